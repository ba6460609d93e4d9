/**
 * `pqvpn kme-sim`: a pair of ETSI GS QKD 014 KMEs on two HTTPS ports with
 * mutual TLS, sharing one key pool (kme-handler.ts, kme-pool.ts) — enough to
 * try pqvpn's QKD mode, and to reproduce key starvation, without QKD hardware.
 *
 * Files (`initKmeSimDir`, `pqvpn kme-sim init DIR`), all ECDSA P-256
 * (tls-certificate.ts explains why not ML-DSA):
 * | file                 | what                                                           |
 * |----------------------|----------------------------------------------------------------|
 * | ca.crt, ca.key       | the CA of this little PKI (qkd-ca on both VPN ends)            |
 * | kme-a.crt/.key, kme-b| the two KMEs' server certificates (localhost, 127.0.0.1, ::1,   |
 * |                      | and every `--host`)                                            |
 * | sae-a.crt/.key, sae-b| the two SAEs' client certificates, CN = SAE ID                 |
 * Private keys are written with mode 0600; nothing is overwritten without `force`.
 *
 * The server identifies the calling SAE by its client certificate's CN: port A
 * answers only SAE A, port B only SAE B (others get 401). Keys never reach the
 * log; key IDs do (they are not secret, and seeing them is the point).
 * @module
 */

import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { type GeneralName, isDnsName } from '../pki/general-name.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { printable, QkdError, QkdErrorCode } from './errors.js';
import { isSaeId } from './etsi014.js';
import { KmePair } from './kme-handler.js';
import { KeyPool } from './kme-pool.js';
import { createTlsCertificate } from './tls-certificate.js';

export const KME_SIM_FILES = {
  ca: 'ca.crt',
  caKey: 'ca.key',
  kmeA: 'kme-a.crt',
  kmeAKey: 'kme-a.key',
  kmeB: 'kme-b.crt',
  kmeBKey: 'kme-b.key',
  saeA: 'sae-a.crt',
  saeAKey: 'sae-a.key',
  saeB: 'sae-b.crt',
  saeBKey: 'sae-b.key',
} as const;

export interface InitKmeSimOptions {
  readonly dir: string;
  readonly saeA?: string;
  readonly saeB?: string;
  /** Extra host names or IP addresses the KMEs are reached by. */
  readonly hosts?: readonly string[];
  readonly days?: number;
  readonly force?: boolean;
  readonly now?: Date;
}

/** Writes a CA, two KME server certificates and two SAE client certificates into `dir`. */
export async function initKmeSimDir(options: InitKmeSimOptions): Promise<{ saeA: string; saeB: string }> {
  const saeA = options.saeA ?? 'sae-a';
  const saeB = options.saeB ?? 'sae-b';
  for (const id of [saeA, saeB]) {
    if (!isSaeId(id)) throw new QkdError(QkdErrorCode.config, `'${id}' is not a valid SAE ID`);
  }
  if (saeA === saeB) throw new QkdError(QkdErrorCode.config, 'the two SAE IDs must differ');
  const now = options.now ?? new Date();
  const days = options.days ?? 825;
  const san: GeneralName[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
  ];
  for (const h of options.hosts ?? []) {
    const ip = isIP(h) !== 0;
    if (!ip && !isDnsName(h))
      throw new QkdError(
        QkdErrorCode.config,
        `--host '${printable(h, 80)}' is neither a DNS name nor an IP address`,
      );
    san.push(ip ? { type: 'ip', value: h } : { type: 'dns', value: h });
  }
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new QkdError(QkdErrorCode.config, `--days must be a whole number from 1 to 36500, not ${days}`);
  }
  const ca = createTlsCertificate({
    profile: 'ca',
    subject: { commonName: 'pqvpn KME simulator CA' },
    days: days + 1,
    now,
  });
  const leaf = (profile: 'server' | 'client', commonName: string) =>
    createTlsCertificate(
      profile === 'server'
        ? { profile, subject: { commonName }, san, days, now }
        : { profile, subject: { commonName }, days, now },
      ca,
    );
  const kmeA = leaf('server', 'kme-a');
  const kmeB = leaf('server', 'kme-b');
  const a = leaf('client', saeA);
  const b = leaf('client', saeB);
  await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
  const overwrite = options.force ?? false;
  const F = KME_SIM_FILES;
  const files: [string, string, number][] = [
    [F.ca, ca.certPem, 0o644],
    [F.caKey, ca.keyPem, 0o600],
    [F.kmeA, kmeA.certPem, 0o644],
    [F.kmeAKey, kmeA.keyPem, 0o600],
    [F.kmeB, kmeB.certPem, 0o644],
    [F.kmeBKey, kmeB.keyPem, 0o600],
    [F.saeA, a.certPem, 0o644],
    [F.saeAKey, a.keyPem, 0o600],
    [F.saeB, b.certPem, 0o644],
    [F.saeBKey, b.keyPem, 0o600],
  ];
  if (!overwrite) {
    for (const [name] of files) {
      const exists = await fs.stat(join(options.dir, name)).then(
        () => true,
        () => false,
      );
      if (exists)
        throw new QkdError(
          QkdErrorCode.config,
          `${join(options.dir, name)} already exists; use --force to replace the set`,
        );
    }
  }
  for (const [name, data, mode] of files)
    await writeFileAtomic(join(options.dir, name), data, { mode, overwrite: true });
  return { saeA, saeB };
}

export interface KmeSimFiles {
  readonly ca: string;
  readonly kmeA: { readonly cert: string; readonly key: string };
  readonly kmeB: { readonly cert: string; readonly key: string };
  /** The SAE IDs named by sae-a.crt and sae-b.crt. */
  readonly saeA: string;
  readonly saeB: string;
}

/** Reads what `initKmeSimDir` wrote. */
export async function loadKmeSimDir(dir: string): Promise<KmeSimFiles> {
  const F = KME_SIM_FILES;
  const read = async (name: string) => {
    try {
      return await fs.readFile(join(dir, name), 'utf8');
    } catch (error) {
      throw new QkdError(
        QkdErrorCode.config,
        `cannot read ${join(dir, name)} (${(error as NodeJS.ErrnoException).code ?? 'error'}); create the files with 'pqvpn kme-sim init ${dir}'`,
      );
    }
  };
  const commonName = (pem: string, name: string) => {
    const cn = /^CN=(.*)$/m.exec(new X509Certificate(pem).subject)?.[1];
    if (!cn || !isSaeId(cn))
      throw new QkdError(QkdErrorCode.config, `${join(dir, name)} does not name a valid SAE ID`);
    return cn;
  };
  return {
    ca: await read(F.ca),
    kmeA: { cert: await read(F.kmeA), key: await read(F.kmeAKey) },
    kmeB: { cert: await read(F.kmeB), key: await read(F.kmeBKey) },
    saeA: commonName(await read(F.saeA), F.saeA),
    saeB: commonName(await read(F.saeB), F.saeB),
  };
}

export interface KmeSimOptions {
  readonly files: KmeSimFiles;
  /** Address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 = any free port. */
  readonly portA: number;
  readonly portB: number;
  readonly rateBitsPerSecond: number;
  readonly capacityBits: number;
  readonly initialBits?: number;
  readonly defaultKeySize?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

export interface KmeSimulator {
  readonly pair: KmePair;
  readonly urlA: string;
  readonly urlB: string;
  readonly saeA: string;
  readonly saeB: string;
  /** Stops accepting, ends open connections, wipes pending keys. */
  close(): Promise<void>;
}

const MAX_REQUEST_BODY = 64 * 1024;

export async function startKmeSimulator(options: KmeSimOptions): Promise<KmeSimulator> {
  const now = options.now ?? Date.now;
  const { files } = options;
  const log = options.log ?? (() => {});
  const pool = new KeyPool({
    rateBitsPerSecond: options.rateBitsPerSecond,
    capacityBits: options.capacityBits,
    now: now(),
    ...(options.initialBits === undefined ? {} : { initialBits: options.initialBits }),
  });
  const pair = new KmePair({
    a: { kmeId: 'kme-a', saeId: files.saeA },
    b: { kmeId: 'kme-b', saeId: files.saeB },
    pool,
    ...(options.defaultKeySize === undefined ? {} : { defaultKeySize: options.defaultKeySize }),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    randomUuid: randomUUID,
  });
  const host = options.host ?? '127.0.0.1';
  const servers: Server[] = [];
  const urls: string[] = [];
  try {
    for (const [which, tls, port] of [
      [0, files.kmeA, options.portA],
      [1, files.kmeB, options.portB],
    ] as const) {
      const server = createServer(
        {
          ca: files.ca,
          cert: tls.cert,
          key: tls.key,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        (req, res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let tooLarge = false;
          req.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_REQUEST_BODY) tooLarge = true;
            else chunks.push(c);
          });
          req.on('end', () => {
            const send = (status: number, json: unknown) => {
              const body = JSON.stringify(json);
              res.writeHead(status, {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
              });
              res.end(body);
            };
            if (tooLarge) return send(413, { message: 'Request body too large' });
            const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
            let answer: ReturnType<KmePair['handle']>;
            try {
              answer = pair.handle(
                which,
                {
                  callerSaeId: typeof cn === 'string' ? cn : undefined,
                  method: req.method ?? 'GET',
                  url: req.url ?? '/',
                  contentType: req.headers['content-type'],
                  body: Buffer.concat(chunks),
                },
                now(),
              );
            } catch (error) {
              // A bug, not the client's fault: answer like a KME would, and keep serving.
              log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
              return send(500, { message: 'Internal error' });
            }
            log(answer.log);
            send(answer.status, answer.json);
          });
        },
      );
      server.on('tlsClientError', (error) =>
        log(`kme-${which === 0 ? 'a' : 'b'}: TLS client rejected: ${tlsReason(error)}`),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
      const bound = (server.address() as AddressInfo).port;
      urls.push(`https://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    }
  } catch (error) {
    for (const s of servers) s.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new QkdError(QkdErrorCode.config, `cannot listen on ${host}: ${code ?? String(error)}`, {
      cause: error,
    });
  }
  return {
    pair,
    urlA: urls[0]!,
    urlB: urls[1]!,
    saeA: files.saeA,
    saeB: files.saeB,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
              // In-flight answers get a moment to finish; then the connections are cut.
              setTimeout(() => s.closeAllConnections(), 1000).unref();
            }),
        ),
      );
      pair.wipe();
    },
  };
}

/** OpenSSL's reason text ("peer did not return a certificate"), without the file and line noise. */
function tlsReason(error: Error): string {
  const parts = error.message.split(':');
  return printable(parts.length >= 5 ? (parts[4] ?? error.message) : error.message, 160);
}
