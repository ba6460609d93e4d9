/**
 * The peer: OpenVPN 2.6 from Debian, configured as in
 * /work/shared/reference/baseline.md — UDP, AES-256-GCM, data channel offload
 * off (`--disable-dco`: this machine has no kernel modules, and DCO would move
 * the packet path into the kernel, which is not what we compare), subnet
 * topology, certificates from a throwaway PKI made with openssl (ECDSA P-256,
 * with the key usage and EKU that `--remote-cert-tls` checks), `--dh none`
 * (ECDHE only). No tls-crypt, like the baseline's first row.
 * @module
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.js';
import type { TunnelSetup, TunnelUnderTest } from './tunnel.js';

const NET = '10.99.1.0';
const PORT = 1194;

export function openvpnTunnel(): TunnelUnderTest {
  return {
    label: 'OpenVPN',
    serverTunnelAddress: '10.99.1.1',
    port: PORT,
    profilable: false,
    prepare: makeOpenvpnPki,
    server: (s) => ({
      argv: [
        'openvpn',
        ...common(s.dir),
        '--port',
        String(PORT),
        '--server',
        NET,
        '255.255.255.0',
        '--topology',
        'subnet',
        '--dh',
        'none',
        '--keepalive',
        '10',
        '60',
        '--cert',
        join(s.dir, 'ovpn-server.crt'),
        '--key',
        join(s.dir, 'ovpn-server.key'),
      ],
    }),
    client: (s) => ({
      argv: [
        'openvpn',
        ...common(s.dir),
        '--client',
        '--remote',
        s.underlayServerAddress,
        String(PORT),
        '--nobind',
        '--remote-cert-tls',
        'server',
        '--explicit-exit-notify',
        '1',
        '--cert',
        join(s.dir, 'ovpn-client.crt'),
        '--key',
        join(s.dir, 'ovpn-client.key'),
      ],
    }),
  };
}

function common(dir: string): string[] {
  return [
    '--dev',
    'ovpn0',
    '--dev-type',
    'tun',
    '--proto',
    'udp',
    '--data-ciphers',
    'AES-256-GCM',
    '--disable-dco',
    '--ca',
    join(dir, 'ovpn-ca.crt'),
    '--verb',
    '3',
  ];
}

/** A CA and one server and one client certificate, valid two days. */
async function makeOpenvpnPki(setup: TunnelSetup): Promise<void> {
  const d = setup.dir;
  const openssl = (...args: string[]) => run(['openssl', ...args], { timeoutMs: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    join(d, 'ovpn-ca.key'),
    '-out',
    join(d, 'ovpn-ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=pqvpn bench OpenVPN CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  for (const [name, eku] of [
    ['server', 'serverAuth'],
    ['client', 'clientAuth'],
  ] as const) {
    const ext = join(d, `ovpn-${name}.ext`);
    await writeFile(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=${eku}\n`,
    );
    await openssl(
      'req',
      '-new',
      ...ec,
      '-keyout',
      join(d, `ovpn-${name}.key`),
      '-out',
      join(d, `ovpn-${name}.csr`),
      '-subj',
      `/CN=${name}`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      join(d, `ovpn-${name}.csr`),
      '-CA',
      join(d, 'ovpn-ca.crt'),
      '-CAkey',
      join(d, 'ovpn-ca.key'),
      '-set_serial',
      name === 'server' ? '2' : '3',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      join(d, `ovpn-${name}.crt`),
    );
  }
}
