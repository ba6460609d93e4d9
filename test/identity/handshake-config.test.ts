import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import {
  buildClientHandshakeConfig,
  buildServerHandshakeConfig,
  controlMtu,
} from '../../src/identity/handshake-config.js';
import { createPeerVerifier } from '../../src/identity/peer-verifier.js';
import { addUser } from '../../src/passdb/store.js';
import { FAST, OPEN_LIMITS } from '../passdb/helpers.js';
import { makePki, type Pki } from './pki-fixture.js';

let pki: Pki;
let server: Awaited<ReturnType<Pki['issue']>>;
let client: Awaited<ReturnType<Pki['issue']>>;

beforeAll(async () => {
  pki = await makePki(5);
  server = await pki.issue('server', 'server', {
    subject: { commonName: 'vpn.example.org', organization: 'Example' },
  });
  client = await pki.issue('client', 'client');
  await addUser(join(pki.dir, 'passdb'), 'alice', 'correct horse', { params: FAST, limits: OPEN_LIMITS });
  await pki.file('alice.auth', 'alice\ncorrect horse\n', 0o600);
});
afterAll(() => pki.cleanup());

async function load<T>(name: string, text: string): Promise<T> {
  const path = await pki.file(name, text);
  return (await loadConfigFile(path)).config as T;
}

const SERVER = `server 10.8.0.0 255.255.255.0
dev tun
ca ca.crt
cert server.crt
key server.key
tls-crypt tls-crypt.key
`;
const CLIENT = `client
dev tun
remote vpn.example.org 1194
ca ca.crt
`;

describe('buildServerHandshakeConfig', () => {
  it('maps a certificate-only server config to plain data the worker can receive', async () => {
    const config = await load<ServerConfig>('s1.ovpn', `${SERVER}hand-window 30\n`);
    const setup = await buildServerHandshakeConfig(config);
    const s = setup.session;
    expect(s.identity.scheme).toBe('ml-dsa-44');
    expect(Buffer.from(s.identity.chain[0]!)).toEqual(Buffer.from(server.issued.certificate.der));
    expect(s.clientAuth).toEqual({ certificate: true, password: false });
    expect(s.tlsCryptKey).toHaveLength(64);
    expect(s.psk).toBeUndefined();
    expect(s.kemSuites).toEqual(['x-wing', 'ml-kem-1024']);
    expect(s.clientSignatureSchemes).toEqual(['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87']);
    expect(s.handshakeTimeoutMs).toBe(30_000);
    expect(s.transitionWindowMs).toBeUndefined(); // tran-window not given: the machine's default
    expect(s.mtu).toBe(1250);
    expect(setup.driver).toMatchObject({ renegSec: 3600, renegBytes: 0, renegPkts: 0, tunMtu: 1500 });
    expect(setup.verifier.trustAnchors).toHaveLength(1);
    expect(setup.verifier.allowedSchemes).toEqual(s.clientSignatureSchemes);
    expect(setup.sigPlugins).toEqual([]);
    expect(structuredClone(setup)).toEqual(setup);
    // The verifier built from the spec accepts the client certificate.
    const v = createPeerVerifier(setup.verifier).verify(
      [client.issued.certificate.der],
      'clientAuth',
      Date.now(),
    );
    expect(v).toMatchObject({ ok: true, commonName: 'client' });
  });

  it('password servers: verify-client-cert none / require / optional, psk, tran-window, small tun-mtu', async () => {
    const none = await buildServerHandshakeConfig(
      await load<ServerConfig>(
        's2.ovpn',
        `${SERVER}verify-client-cert none\npassdb passdb\npsk psk.key\ntran-window 120\ntun-mtu 1000\n`,
      ),
    );
    expect(none.session.clientAuth).toEqual({ certificate: false, password: true });
    expect(none.session.psk).toHaveLength(64);
    expect(none.session.transitionWindowMs).toBe(120_000);
    expect(none.session.mtu).toBe(1000);
    const both = await buildServerHandshakeConfig(
      await load<ServerConfig>('s3.ovpn', `${SERVER}passdb passdb\n`),
    );
    expect(both.session.clientAuth).toEqual({ certificate: true, password: true });
    expect(both.warnings).toEqual([]);
    const optional = await buildServerHandshakeConfig(
      await load<ServerConfig>('s4.ovpn', `${SERVER}verify-client-cert optional\npassdb passdb\n`),
    );
    expect(optional.session.clientAuth).toEqual({ certificate: false, password: true });
    expect(optional.warnings.join()).toMatch(/optional/);
  });

  it('reports an identity problem with its file (key of another certificate)', async () => {
    const config = await load<ServerConfig>('s5.ovpn', SERVER.replace('key server.key', 'key client.key'));
    await expect(buildServerHandshakeConfig(config)).rejects.toMatchObject({ code: 'IDENTITY_KEY_MISMATCH' });
  });

  it('carries crl-verify as a file to re-read, and verify-x509-name subject into the verifier', async () => {
    await pki.writeCrl([]);
    const config = await load<ServerConfig>(
      's6.ovpn',
      `${SERVER}crl-verify crl.pem\nverify-x509-name "CN=client"\nremote-cert-eku clientAuth\n`,
    );
    const setup = await buildServerHandshakeConfig(config);
    expect(setup.verifier.crlFile).toBe(join(pki.dir, 'crl.pem'));
    expect(setup.verifier.expectedSubject).toBe('CN=client');
    expect(setup.verifier.requiredEku).toBe('1.3.6.1.5.5.7.3.2');
  });
});

describe('buildClientHandshakeConfig', () => {
  it('certificate client with verify-x509-name name → the machine config', async () => {
    const config = await load<ClientConfig>(
      'c1.ovpn',
      `${CLIENT}cert client.crt\nkey client.key\nverify-x509-name vpn.example.org name\nkem-suites ml-kem-1024\n`,
    );
    const setup = await buildClientHandshakeConfig(config);
    expect(setup.session.identity?.scheme).toBe('ml-dsa-44');
    expect(setup.session.verifyX509Name).toEqual({ type: 'name', value: 'vpn.example.org' });
    expect(setup.session.kemSuites).toEqual(['ml-kem-1024']);
    expect(setup.session.credentials).toBeUndefined();
    expect(setup.verifier.expectedSubject).toBeUndefined();
    expect(structuredClone(setup)).toEqual(setup);
  });

  it('verify-x509-name subject (OpenVPN default type) goes to the verifier, which checks the whole DN', async () => {
    const config = await load<ClientConfig>(
      'c2.ovpn',
      `${CLIENT}auth-user-pass alice.auth\nverify-x509-name "O=Example, CN=vpn.example.org"\n`,
    );
    const setup = await buildClientHandshakeConfig(config);
    expect(setup.session.verifyX509Name).toBeUndefined();
    expect(setup.verifier.expectedSubject).toBe('O=Example, CN=vpn.example.org');
    const v = createPeerVerifier(setup.verifier);
    expect(v.verify([server.issued.certificate.der], 'serverAuth', Date.now()).ok).toBe(true);
    const wrong = createPeerVerifier({ ...setup.verifier, expectedSubject: 'CN=vpn.example.org' });
    expect(wrong.verify([server.issued.certificate.der], 'serverAuth', Date.now())).toMatchObject({
      ok: false,
      code: 'NAME_MISMATCH',
    });
    expect(setup.session.credentials?.username).toBe('alice');
    expect(Buffer.from(setup.session.credentials!.password).toString()).toBe('correct horse');
  });

  it('credentials passed by the caller win over auth-user-pass; no file and no terminal is an error', async () => {
    const withFile = await load<ClientConfig>('c3.ovpn', `${CLIENT}auth-user-pass alice.auth\n`);
    const given = await buildClientHandshakeConfig(withFile, {
      credentials: { username: 'bob', password: new TextEncoder().encode('pw') },
    });
    expect(given.session.credentials?.username).toBe('bob');
    const prompting = await load<ClientConfig>('c4.ovpn', `${CLIENT}auth-user-pass\n`);
    await expect(
      buildClientHandshakeConfig(prompting, { promptHidden: async () => undefined }),
    ).rejects.toMatchObject({ code: 'AUTH_USER_PASS_NO_TTY' });
    const asked = await buildClientHandshakeConfig(prompting, {
      promptEcho: async () => 'carol',
      promptHidden: async () => 's3cret',
    });
    expect(asked.session.credentials?.username).toBe('carol');
  });

  it('a sig-schemes name that no loaded plugin provides is refused (HANDSHAKE_SETUP_UNKNOWN_SCHEME)', async () => {
    const noble = pathToFileURL(resolve('node_modules/@noble/post-quantum/ml-dsa.js')).href;
    const plugin = await pki.file(
      'other-plugin.mjs',
      `import { ml_dsa44 as m } from '${noble}';
export default { name: 'other-scheme', oid: '1.3.6.1.4.1.32473.7.1', codePoint: 0xfe77, seedBytes: 32,
  publicKeyBytes: m.lengths.publicKey, signatureBytes: m.lengths.signature,
  keygen: (s) => m.keygen(s), sign: (sk, msg) => m.sign(msg, sk),
  verify: (pk, msg, sig) => { try { return m.verify(sig, msg, pk); } catch { return false; } } };
`,
    );
    const config = await load<ClientConfig>(
      'c6.ovpn',
      `${CLIENT}cert client.crt\nkey client.key\nsig-plugin ${plugin}\nsig-schemes other-scheme:my-missing-scheme\n`,
    );
    await expect(buildClientHandshakeConfig(config)).rejects.toMatchObject({
      code: 'HANDSHAKE_SETUP_UNKNOWN_SCHEME',
      message: expect.stringContaining('my-missing-scheme'),
    });
  });

  it('a sig-plugin without a scheme export is refused before anything else is read', async () => {
    const plugin = await pki.file(
      'empty-plugin.mjs',
      'export default undefined; export const scheme = undefined;\n',
    );
    const config = await load<ClientConfig>(
      'c5.ovpn',
      `${CLIENT}cert client.crt\nkey client.key\nsig-plugin ${plugin}\nsig-schemes ml-dsa-44:my-scheme\n`,
    );
    await expect(buildClientHandshakeConfig(config)).rejects.toMatchObject({ code: 'PLUGIN_INVALID' });
  });
});

describe('controlMtu', () => {
  it('is 1250 (OpenVPN tls-mtu), lowered to a smaller tun-mtu, never below 256', () => {
    expect(controlMtu(1500)).toBe(1250);
    expect(controlMtu(1100)).toBe(1100);
    expect(controlMtu(100)).toBe(256);
  });
});
