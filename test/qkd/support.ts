/**
 * Test fixtures for the QKD client: an in-memory PKI (ECDSA, as `kme-sim init`
 * makes), the real simulator on ephemeral ports, and a programmable
 * misbehaving HTTPS KME for the answers the simulator never gives.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Etsi014Client, type Etsi014ClientOptions } from '../../src/qkd/etsi014-client.js';
import type { KmeSimFiles } from '../../src/qkd/kme-sim.js';
import { createTlsCertificate, type TlsIdentity } from '../../src/qkd/tls-certificate.js';
import { httpsTransport } from '../../src/qkd/transport.js';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly ca: string;
  readonly caIdentity: TlsIdentity;
  readonly kmeA: Pem;
  readonly kmeB: Pem;
  readonly saeA: Pem;
  readonly saeB: Pem;
  /** A server certificate that names only other.example (not 127.0.0.1). */
  readonly wrongName: Pem;
  /** A client certificate from another CA. */
  readonly foreignSae: Pem;
  /** Another CA's certificate (trusting it instead of `ca` must fail). */
  readonly foreignCa: string;
  readonly files: KmeSimFiles;
}

const pem = (id: TlsIdentity): Pem => ({ cert: id.certPem, key: id.keyPem });

export function makePki(): TestPki {
  const now = new Date();
  const ca = createTlsCertificate({ profile: 'ca', subject: { commonName: 'test KME CA' }, days: 30, now });
  const server = (cn: string, san: 'local' | 'other') =>
    createTlsCertificate(
      {
        profile: 'server',
        subject: { commonName: cn },
        san:
          san === 'local'
            ? [
                { type: 'dns', value: 'localhost' },
                { type: 'ip', value: '127.0.0.1' },
              ]
            : [{ type: 'dns', value: 'other.example' }],
        days: 10,
        now,
      },
      ca,
    );
  const client = (cn: string, issuer: TlsIdentity) =>
    createTlsCertificate({ profile: 'client', subject: { commonName: cn }, days: 10, now }, issuer);
  const other = createTlsCertificate({ profile: 'ca', subject: { commonName: 'other CA' }, days: 30, now });
  const kmeA = pem(server('kme-a', 'local'));
  const kmeB = pem(server('kme-b', 'local'));
  return {
    ca: ca.certPem,
    caIdentity: ca,
    kmeA,
    kmeB,
    saeA: pem(client('sae-a', ca)),
    saeB: pem(client('sae-b', ca)),
    wrongName: pem(server('kme-x', 'other')),
    foreignSae: pem(client('sae-a', other)),
    foreignCa: other.certPem,
    files: { ca: ca.certPem, kmeA, kmeB, saeA: 'sae-a', saeB: 'sae-b' },
  };
}

/** A client for `url` presenting `sae`, with fast retries and a recorded sleep. */
export function clientFor(
  url: string,
  ca: string,
  sae: Pem,
  options: Partial<Omit<Etsi014ClientOptions, 'transport' | 'kmeName'>> = {},
): Etsi014Client & { sleeps: number[] } {
  const sleeps: number[] = [];
  const client = new Etsi014Client({
    transport: httpsTransport({ baseUrl: url, ca, cert: sae.cert, key: sae.key }),
    kmeName: url,
    timeoutMs: 2000,
    backoffMs: 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return Object.assign(client, { sleeps });
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
  readonly callerCn: string | undefined;
}

export type FakeAnswer =
  | { readonly status: number; readonly body: string; readonly contentType?: string }
  | 'hang'
  | 'destroy'
  /** Headers and half a body, then the connection is cut. */
  | 'partial';

export interface FakeKme {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An HTTPS server with mutual TLS whose answers the test scripts. */
export async function fakeKme(
  pki: TestPki,
  answer: (req: RecordedRequest, n: number) => FakeAnswer,
  tls: Pem = pki.kmeA,
  extra: ServerOptions = {},
): Promise<FakeKme> {
  const requests: RecordedRequest[] = [];
  const server = createServer(
    { ca: pki.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true, ...extra },
    (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
        const rec: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
          callerCn: typeof cn === 'string' ? cn : undefined,
        };
        requests.push(rec);
        const a = answer(rec, requests.length);
        if (a === 'hang') return;
        // After a little "processing": a reset in the very instant after the TLS 1.3 handshake cannot be
        // told apart from a certificate refusal (transport.ts), so a crash is modelled as a crash.
        if (a === 'destroy') return void setTimeout(() => req.socket.destroy(), 30);
        if (a === 'partial') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
          res.write('{"keys":[');
          return void setTimeout(() => req.socket.destroy(), 30);
        }
        res.writeHead(a.status, { 'content-type': a.contentType ?? 'application/json' });
        res.end(a.body);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A §6.3 key container for `keys` (id → bytes). */
export function container(keys: readonly [string, Uint8Array | string][]): string {
  return JSON.stringify({
    keys: keys.map(([key_ID, key]) => ({
      key_ID,
      key: typeof key === 'string' ? key : Buffer.from(key).toString('base64'),
    })),
  });
}

export const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
