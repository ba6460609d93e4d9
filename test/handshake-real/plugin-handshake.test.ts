/**
 * A third-party signature plugin end to end: the example Picnic-style plugin
 * (test/fixtures/plugins) is named by sig-plugin in both configs; src/pki
 * issues a CA, a server and a client certificate with it (src/pki signs with
 * any registered scheme), and the handshake completes with it on both sides.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import { loadSignaturePlugin } from '../../src/crypto/signature-plugin.js';
import {
  buildClientHandshakeConfig,
  buildServerHandshakeConfig,
} from '../../src/identity/handshake-config.js';
import { parseCertificate } from '../../src/pki/index.js';
import { makePki, type Pki } from '../identity/pki-fixture.js';
import { realHandshake } from './real-pair.js';

const PLUGIN = resolve('test/fixtures/plugins/example-picnic-style.mjs');
let pki: Pki;

beforeAll(async () => {
  await loadSignaturePlugin(PLUGIN); // the fixture issues certificates before any config loads it
  pki = await makePki(33, 'example-picnic-style');
  await pki.issue('server', 'server', { subject: { commonName: 'vpn.example.org' } });
  await pki.issue('client', 'client');
}, 60_000);
afterAll(() => pki?.cleanup());

async function config<T>(name: string, text: string): Promise<T> {
  return (await loadConfigFile(await pki.file(name, text))).config as T;
}

describe('the example Picnic-style plugin in a handshake', () => {
  it('certificates and CertificateVerify signatures all use the plugin scheme, and the handshake completes', async () => {
    const plugin = `sig-plugin ${PLUGIN}\nsig-schemes example-picnic-style\n`;
    const server = await buildServerHandshakeConfig(
      await config<ServerConfig>(
        's.ovpn',
        `server 10.8.0.0 255.255.255.0\ndev tun\nca ca.crt\ncert server.crt\nkey server.key\n${plugin}`,
      ),
    );
    const client = await buildClientHandshakeConfig(
      await config<ClientConfig>(
        'c.ovpn',
        `client\ndev tun\nremote vpn.example.org 1194\nca ca.crt\ncert client.crt\nkey client.key\n${plugin}`,
      ),
    );
    expect(server.session.identity.scheme).toBe('example-picnic-style');
    expect(client.session.identity?.scheme).toBe('example-picnic-style');
    expect(server.sigPlugins).toEqual([PLUGIN]);
    expect(parseCertificate(server.session.identity.chain[0]!).signatureAlgorithm.oid).toBe(
      '1.3.6.1.4.1.32473.1.1',
    );
    const r = await realHandshake({ server, client });
    expect(r.client.phase).toBe('established');
    expect(r.serverEvents.find((e) => e.type === 'auth-needed')).toMatchObject({ commonName: 'client' });
  }, 60_000);
});
