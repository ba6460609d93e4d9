/**
 * Full handshakes from real files: config text → loadConfigFile →
 * build*HandshakeConfig → sessions with the production verifier, real ML-DSA-65
 * certificates made by src/pki, a real passdb and real auth scripts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/index.js';
import { loadConfigFile } from '../../src/config/index.js';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import {
  buildClientHandshakeConfig,
  buildServerHandshakeConfig,
  type ServerHandshakeSetup,
} from '../../src/identity/handshake-config.js';
import { loadLocalIdentity } from '../../src/identity/local-identity.js';
import { addUser } from '../../src/passdb/store.js';
import { CHECK, writeScript } from '../auth/scripts.js';
import { DAY, makePki, type Pki } from '../identity/pki-fixture.js';
import { FAST, OPEN_LIMITS } from '../passdb/helpers.js';
import { realHandshake } from './real-pair.js';

let pki: Pki;
let revokedServer: Awaited<ReturnType<Pki['issue']>>;

beforeAll(async () => {
  pki = await makePki(21, 'ml-dsa-65');
  await pki.issue('server', 'server', {
    subject: { commonName: 'vpn.example.org', organization: 'Example' },
  });
  await pki.issue('alice', 'client');
  await pki.issue('expired', 'server', {
    subject: { commonName: 'vpn.example.org' },
    notBefore: new Date(Date.now() - 40 * DAY),
    days: 10,
  });
  revokedServer = await pki.issue('revoked', 'server', { subject: { commonName: 'vpn.example.org' } });
  await pki.writeCrl([revokedServer.issued]);
  await addUser(join(pki.dir, 'passdb'), 'alice', 'correct horse', { params: FAST, limits: OPEN_LIMITS });
  await pki.file('alice.auth', 'alice\ncorrect horse\n', 0o600);
  await pki.file('wrong.auth', 'alice\nbattery staple\n', 0o600);
  await pki.file('unknown.auth', 'mallory\ncorrect horse\n', 0o600);
  await writeScript(pki.dir, 'check.sh', CHECK);
});
afterAll(() => pki.cleanup());

let n = 0;
async function config<T>(text: string): Promise<T> {
  const path = await pki.file(`cfg${n++}.ovpn`, text);
  return (await loadConfigFile(path)).config as T;
}

const SERVER = (extra = '') => `server 10.8.0.0 255.255.255.0
dev tun
ca ca.crt
cert server.crt
key server.key
tls-crypt tls-crypt.key
${extra}`;
const CLIENT = (extra = '') => `client
dev tun
remote vpn.example.org 1194
ca ca.crt
tls-crypt tls-crypt.key
${extra}`;

async function pair(
  serverText: string,
  clientText: string,
  patch?: (s: ServerHandshakeSetup) => ServerHandshakeSetup,
) {
  const serverConfig = await config<ServerConfig>(serverText);
  let server = await buildServerHandshakeConfig(serverConfig);
  if (patch) server = patch(server);
  const client = await buildClientHandshakeConfig(await config<ClientConfig>(clientText));
  const authenticator = await createAuthenticator(serverConfig, { passdb: { limits: OPEN_LIMITS } });
  return realHandshake({ server, client, ...(authenticator ? { authenticator } : {}) });
}

const established = (events: readonly { type: string }[]) => events.find((e) => e.type === 'established');
const closed = (events: readonly { type: string }[]) =>
  events.find((e) => e.type === 'closed') as { reason: string; detail?: string; by: string } | undefined;

describe('certificate mode with real ML-DSA-65 certificates', () => {
  it('establishes; each side learns the verified common name', async () => {
    const r = await pair(
      SERVER(),
      CLIENT('cert alice.crt\nkey alice.key\nverify-x509-name vpn.example.org name\n'),
    );
    expect(r.client.phase).toBe('established');
    expect(established(r.clientEvents)).toMatchObject({
      peer: { commonName: 'vpn.example.org' },
      pushOptions: ['ping 10'],
    });
    expect(r.serverEvents.find((e) => e.type === 'auth-needed')).toMatchObject({ commonName: 'alice' });
    expect(r.serverEstablished).toBe(true);
  });

  it('verify-x509-name subject (OpenVPN default type) through the verifier', async () => {
    const ok = await pair(
      SERVER(),
      CLIENT('cert alice.crt\nkey alice.key\nverify-x509-name "O=Example, CN=vpn.example.org"\n'),
    );
    expect(ok.client.phase).toBe('established');
    const bad = await pair(
      SERVER(),
      CLIENT('cert alice.crt\nkey alice.key\nverify-x509-name "CN=vpn.example.org"\n'),
    );
    expect(bad.client.closedReason).toBe('BAD_CERTIFICATE');
    expect(closed(bad.clientEvents)?.detail).toMatch(/verify-x509-name subject/);
  });

  it('a client from another CA is refused by the server (UNKNOWN_CA)', async () => {
    const r = await pair(SERVER('ca other-ca.crt\n'), CLIENT('cert alice.crt\nkey alice.key\n'));
    expect(r.client.phase).toBe('closed');
    expect(closed(r.serverEvents)).toMatchObject({ reason: 'UNKNOWN_CA', by: 'local' });
  });
});

describe('a bad server certificate: the client closes with the matching alert', () => {
  it('signed by a CA the client does not trust → UNKNOWN_CA', async () => {
    const r = await pair(SERVER(), CLIENT('ca other-ca.crt\ncert alice.crt\nkey alice.key\n'));
    expect(r.client.closedReason).toBe('UNKNOWN_CA');
  });

  it('expired → CERTIFICATE_EXPIRED', async () => {
    const r = await pair(
      SERVER('cert expired.crt\nkey expired.key\n'),
      CLIENT('cert alice.crt\nkey alice.key\n'),
    );
    expect(r.client.closedReason).toBe('CERTIFICATE_EXPIRED');
  });

  it('revoked in the client’s crl-verify → CERTIFICATE_REVOKED', async () => {
    const r = await pair(
      SERVER('cert revoked.crt\nkey revoked.key\n'),
      CLIENT('cert alice.crt\nkey alice.key\ncrl-verify crl.pem\n'),
    );
    expect(r.client.closedReason).toBe('CERTIFICATE_REVOKED');
  });

  it('a client certificate posing as the server (wrong EKU) → BAD_CERTIFICATE', async () => {
    // loadLocalIdentity refuses to load it for a server, so patch it in afterwards.
    const posing = await loadLocalIdentity({
      cert: { kind: 'file', path: join(pki.dir, 'alice.crt') },
      key: { kind: 'file', path: join(pki.dir, 'alice.key') },
      role: 'client',
    });
    const r = await pair(SERVER(), CLIENT('cert alice.crt\nkey alice.key\n'), (s) => ({
      ...s,
      session: { ...s.session, identity: posing },
    }));
    expect(r.client.closedReason).toBe('BAD_CERTIFICATE');
    expect(closed(r.clientEvents)?.detail).toMatch(/serverAuth/);
  });
});

describe('passdb mode', () => {
  const server = SERVER('verify-client-cert none\npassdb passdb\n');

  it('the right password establishes, and the server learns the username', async () => {
    const r = await pair(server, CLIENT('auth-user-pass alice.auth\n'));
    expect(r.client.phase).toBe('established');
    expect(r.authOutcomes).toEqual([{ ok: true }]);
    expect(r.serverEvents.find((e) => e.type === 'established')).toMatchObject({
      peer: { username: 'alice' },
    });
  });

  it.each([
    ['a wrong password', 'wrong.auth', 'wrong password for "alice"'],
    ['an unknown user', 'unknown.auth', 'unknown user "mallory"'],
  ])(
    '%s: the client is told AUTH_FAILED and nothing more; the server has the reason',
    async (_w, file, reason) => {
      const r = await pair(server, CLIENT(`auth-user-pass ${file}\n`));
      expect(r.client.closedReason).toBe('AUTH_FAILED');
      const c = closed(r.clientEvents)!;
      expect(c.by).toBe('peer');
      expect(JSON.stringify(c)).not.toMatch(/password|unknown|mallory/);
      expect(r.authOutcomes).toEqual([{ ok: false, reason }]);
      expect(closed(r.serverEvents)).toMatchObject({
        reason: 'AUTH_FAILED',
        detail: expect.stringContaining(reason),
      });
    },
  );

  it('certificate and password together (verify-client-cert require + passdb)', async () => {
    const r = await pair(
      SERVER('passdb passdb\n'),
      CLIENT('cert alice.crt\nkey alice.key\nauth-user-pass alice.auth\n'),
    );
    expect(r.client.phase).toBe('established');
    expect(r.serverEvents.find((e) => e.type === 'established')).toMatchObject({
      peer: { commonName: 'alice', username: 'alice' },
    });
  });
});

describe('auth-user-pass-verify scripts', () => {
  it.each(['via-file', 'via-env'] as const)(
    '%s: accepts the right password and rejects a wrong one',
    async (method) => {
      const server = SERVER(
        `verify-client-cert none\nscript-security ${method === 'via-env' ? 3 : 2}\nauth-user-pass-verify check.sh ${method}\ntmp-dir ${pki.dir}\n`,
      );
      const ok = await pair(server, CLIENT('auth-user-pass alice.auth\n'));
      expect(ok.client.phase).toBe('established');
      const bad = await pair(server, CLIENT('auth-user-pass wrong.auth\n'));
      expect(bad.client.closedReason).toBe('AUTH_FAILED');
      expect(bad.authOutcomes[0]).toMatchObject({
        ok: false,
        reason: expect.stringContaining("rejected 'alice' (exit 1)"),
      });
    },
  );
});
