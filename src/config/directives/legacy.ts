/**
 * OpenVPN directives pqvpn deliberately does not implement, each with its reason.
 *
 * The rule for choosing the status: a directive is `warned` (accepted, ignored,
 * one WARNING line) when ignoring it weakens nothing and changes nothing the
 * user relies on — OpenSSL tuning that pqvpn's own handshake replaces, Windows
 * knobs, compression that pqvpn refuses for safety. It is `rejected` (an ERROR)
 * when ignoring it would silently weaken security (static keys, disabling
 * replay protection, an unenforced access check or script), or silently change
 * what the user set up (TAP bridging, TCP, proxies, confinement).
 * @module
 */

import { type DirectiveSpec, rejected, warned } from '../directive.js';

const NOT_TLS =
  "pqvpn's control channel is its own post-quantum handshake, not TLS; choose algorithms with kem-suites and sig-schemes";
const WINDOWS = 'Windows only; no effect on Linux';
const AES_GCM = 'the data channel always uses AES-256-GCM (see data-ciphers)';
const NO_COMPRESSION =
  'compression is never used: compressing before encrypting leaks plaintext (VORACLE); the directive is ignored';
const NO_PROXY = 'pqvpn has no proxy support (it runs over UDP); ignored';
const PUSHED_INTERNALLY = 'set by the protocol itself, never by configuration';
const REMOVED = (version: string, instead: string) => `removed in OpenVPN ${version}; ${instead}`;
const COMMAND = (instead: string) => `a command-line action, not a config directive; ${instead}`;
const NO_SCRIPT = (what: string) =>
  `pqvpn does not run ${what} scripts; ignoring it would silently skip what your script does (use up/down, or remove it)`;
const MANAGEMENT =
  "an option of OpenVPN's management interface, which pqvpn does not have ('management' is an error)";
const IDENTITY = "pqvpn loads its identity only from PEM files made by 'pqvpn pki' (cert and key)";
const TAP =
  'TAP devices and Ethernet bridging (layer 2) are not supported; pqvpn routes IP packets over dev tun';

export const legacyDirectives: readonly DirectiveSpec[] = [
  // Replaced by pqvpn's own cryptography.
  warned(
    'dh',
    'not needed: the key exchange is post-quantum (X-Wing / ML-KEM, see kem-suites), not Diffie-Hellman',
    {
      inline: true,
    },
  ),
  warned('ecdh-curve', 'not needed: the key exchange is chosen with kem-suites'),
  warned(
    'tls-auth',
    'pqvpn protects handshake packets with tls-crypt, which authenticates and also encrypts them; use tls-crypt (pqvpn genkey tls-crypt)',
    { inline: true },
  ),
  warned('key-direction', 'only used with tls-auth and secret; tls-crypt keys have no direction'),
  warned('cipher', AES_GCM),
  warned('auth', 'the data channel is AEAD (AES-256-GCM) and needs no separate HMAC digest'),
  warned('ncp-ciphers', `renamed data-ciphers in OpenVPN 2.5; ${AES_GCM}`),
  warned(
    'data-ciphers-fallback',
    'pqvpn peers always agree on AES-256-GCM; there is nothing to fall back to',
  ),
  warned('ncp-disable', REMOVED('2.6', 'cipher negotiation cannot be turned off')),
  warned('keysize', REMOVED('2.4', 'the key size is fixed by AES-256-GCM')),
  warned('prng', REMOVED('2.4', 'pqvpn draws randomness from the operating system')),
  warned('key-method', REMOVED('2.5', 'there is one key method')),
  warned('comp-lzo', NO_COMPRESSION),
  warned('compress', NO_COMPRESSION),
  warned('allow-compression', NO_COMPRESSION),
  warned('comp-noadapt', NO_COMPRESSION),
  warned('tls-cipher', NOT_TLS),
  warned('tls-ciphersuites', NOT_TLS),
  warned('tls-version-min', NOT_TLS),
  warned('tls-version-max', NOT_TLS),
  warned('tls-groups', NOT_TLS),
  warned('tls-cert-profile', NOT_TLS),
  warned('tls-timeout', "pqvpn's handshake retransmits on its own schedule"),
  warned('tls-exit', 'a testing aid; pqvpn does not implement it'),
  warned('engine', 'pqvpn does not use OpenSSL engines'),
  warned('providers', 'pqvpn does not use OpenSSL providers'),
  warned(
    'askpass',
    'pqvpn private keys are not passphrase-encrypted; protect them with file permissions (mode 0600)',
  ),
  warned('force-tls-key-material-export', 'pqvpn always derives keys with its own key schedule'),
  warned('keying-material-exporter', 'TLS keying-material export to scripts is not implemented'),
  warned('disable-occ', 'pqvpn does not exchange OpenVPN option strings'),
  warned('opt-verify', REMOVED('2.6', 'pqvpn negotiates what must match')),
  warned('replay-persist', 'only meaningful for static-key mode, which pqvpn does not have'),
  warned('compat-mode', 'pqvpn does not speak older OpenVPN protocol versions'),
  warned('extra-certs', 'put intermediate CA certificates after the certificate in the cert file', {
    inline: true,
  }),
  warned('x509-track', 'not implemented; scripts get the common name only'),
  warned('tls-export-cert', 'exporting peer certificates to scripts is not implemented'),
  warned(
    'auth-gen-token',
    'session tokens are not used; clients keep their credentials in memory for reconnects',
  ),
  warned('auth-gen-token-secret', 'session tokens are not used', { inline: true }),
  warned('auth-token', PUSHED_INTERNALLY),
  warned('auth-token-user', PUSHED_INTERNALLY),
  warned(
    'auth-user-pass-optional',
    'not implemented: every client that logs in with a password must give one',
  ),
  warned('static-challenge', 'challenge/response logins are not implemented'),
  warned('peer-id', PUSHED_INTERNALLY),
  warned('key-derivation', PUSHED_INTERNALLY),
  warned('protocol-flags', PUSHED_INTERNALLY),
  warned('push-continuation', PUSHED_INTERNALLY),
  warned('push-peer-info', 'pqvpn clients send only their version'),
  warned('echo', 'messages to a GUI are not implemented'),

  // Tunnel, MTU and sockets.
  warned('fragment', 'pqvpn does not fragment inside the tunnel; packets are kept small with tun-mtu'),
  warned('mtu-disc', 'the kernel default path-MTU discovery is used'),
  warned('mtu-test', 'not implemented; set tun-mtu'),
  warned('link-mtu', REMOVED('2.6 (deprecated)', 'set tun-mtu')),
  warned('tun-mtu-extra', 'only meaningful for TAP devices'),
  warned('tun-mtu-max', 'pqvpn reads packets up to tun-mtu'),
  warned('max-packet-size', 'pqvpn sizes packets from tun-mtu'),
  warned('dev-node', 'pqvpn opens /dev/net/tun; dev-node is for Windows and macOS'),
  warned('tun-ipv6', REMOVED('2.5', 'IPv6 is always available; use server-ipv6')),
  warned('ifconfig-nowarn', 'pqvpn does not compare ifconfig with the peer'),
  warned('ifconfig-pool-linear', REMOVED('2.5', 'subnet topology hands out addresses linearly anyway')),
  warned('route-delay', 'routes are added as soon as the device is up'),
  warned('allow-pull-fqdn', 'pqvpn routes take IP addresses only'),
  warned(
    'allow-recursive-routing',
    'not implemented (an override of the check against routing the server through the tunnel)',
  ),
  warned('iproute', 'pqvpn configures the device and routes through netlink itself'),
  warned('persist-local-ip', 'not implemented; the local address is chosen at each start'),
  warned('persist-remote-ip', 'not implemented; remote names are resolved again on restart'),
  warned('remote-random-hostname', 'not implemented; use remote-random with several remote lines'),
  warned('proto-force', 'pqvpn has only UDP'),
  warned('connect-timeout', 'use server-poll-timeout'),
  warned('mark', 'Node.js cannot set SO_MARK; use a per-user or cgroup routing rule'),
  warned('socket-flags', 'TCP socket flags do not apply (UDP only)'),
  warned('multihome', 'not implemented; bind multi-homed servers to one address with local'),
  warned('shaper', 'not implemented; shape traffic with tc on the device'),
  warned('stale-routes-check', 'not implemented (periodic clean-up of routes learned from clients)'),
  warned(
    'connect-freq',
    'not implemented; handshake packets that fail tls-crypt are dropped before any work',
  ),
  warned(
    'connect-freq-initial',
    'not implemented; handshake packets that fail tls-crypt are dropped before any work',
  ),
  warned('max-routes-per-client', 'not implemented (a cap on routes learned from one client)'),
  warned('bcast-buffers', 'pqvpn has no broadcast buffers (routed TUN only)'),
  warned('tcp-queue-limit', 'pqvpn has no TCP transport'),
  warned('hash-size', 'pqvpn sizes its client tables itself'),
  warned('single-session', 'only meaningful in point-to-point mode'),
  warned('dns', 'not implemented yet; use dhcp-option DNS and dhcp-option DOMAIN'),

  // Process and logging.
  warned('daemon', 'pqvpn stays in the foreground; run it as a systemd service (or under your init system)'),
  warned('syslog', 'pqvpn logs to standard error (journald keeps it) or to a log/log-append file'),
  warned('errors-to-stderr', 'errors always go to standard error'),
  warned('machine-readable-output', 'not implemented (a log-line format for GUIs)'),
  warned('status-version', 'pqvpn writes one documented status format'),
  warned('nice', "set the priority in your service manager (systemd 'Nice=')"),
  warned('mlock', 'Node.js cannot lock memory against swapping; use encrypted swap or none'),
  warned('fast-io', 'no effect in pqvpn'),
  warned('up-delay', 'up runs once, when the device is ready'),
  warned('up-restart', 'up runs once, when the device is ready'),
  warned('down-pre', 'down runs after the device is closed'),
  warned('remap-usr1', 'signal remapping is not implemented'),
  warned('management-query-passwords', MANAGEMENT),
  warned('management-query-proxy', MANAGEMENT),
  warned('management-query-remote', MANAGEMENT),
  warned('management-hold', MANAGEMENT),
  warned('management-signal', MANAGEMENT),
  warned('management-forget-disconnect', MANAGEMENT),
  warned('management-up-down', MANAGEMENT),
  warned('management-log-cache', MANAGEMENT),
  warned('management-client', MANAGEMENT),

  // Windows.
  warned('block-outside-dns', WINDOWS),
  warned('register-dns', WINDOWS),
  warned('route-method', WINDOWS),
  warned('ip-win32', WINDOWS),
  warned('tap-sleep', WINDOWS),
  warned('dhcp-renew', WINDOWS),
  warned('dhcp-release', WINDOWS),
  warned('dhcp-pre-release', WINDOWS),
  warned('show-net-up', WINDOWS),
  warned('windows-driver', WINDOWS),
  warned('allow-nonadmin', WINDOWS),
  warned('win-sys', WINDOWS),
  warned('service', WINDOWS),

  // Proxies: the proxy itself is refused; its settings alone are harmless.
  rejected(
    'http-proxy',
    'pqvpn runs over UDP and cannot go through an HTTP proxy; ignoring it would connect directly',
  ),
  rejected('socks-proxy', 'SOCKS proxies are not supported; ignoring it would connect directly'),
  warned('http-proxy-user-pass', NO_PROXY, { inline: true }),
  warned('http-proxy-option', NO_PROXY),
  warned('http-proxy-retry', NO_PROXY),
  warned('http-proxy-timeout', NO_PROXY),
  warned('socks-proxy-retry', NO_PROXY),

  // Rejected: ignoring these would weaken security or change the setup.
  rejected(
    'secret',
    'static-key mode has no forward secrecy and no post-quantum key exchange; use certificates or passdb',
    {
      inline: true,
    },
  ),
  rejected(
    'tls-crypt-v2',
    'per-client tls-crypt keys are not supported; use tls-crypt with one key shared by all',
    {
      inline: true,
    },
  ),
  rejected('tls-crypt-v2-verify', 'tls-crypt-v2 is not supported'),
  rejected(
    'ns-cert-type',
    'obsolete Netscape certificate type check; use remote-cert-tls server (or client)',
  ),
  rejected('client-cert-not-required', REMOVED('2.5', 'use verify-client-cert none')),
  rejected('no-replay', REMOVED('2.5', 'replay protection cannot be turned off')),
  rejected('no-iv', REMOVED('2.5', 'an IV is always used')),
  rejected(
    'verify-hash',
    'CA fingerprint pinning is not implemented; ignoring it would accept CAs you meant to refuse',
  ),
  rejected(
    'peer-fingerprint',
    'fingerprint-only peer verification is not implemented; use ca with certificates',
    {
      inline: true,
    },
  ),
  rejected(
    'x509-username-field',
    'pqvpn identifies clients by their common name; another field would change who is who',
  ),
  rejected('capath', 'give all CA certificates in one file with ca'),
  rejected('pkcs12', IDENTITY, { inline: true }),
  rejected('cryptoapicert', IDENTITY),
  rejected('pkcs11-providers', IDENTITY),
  rejected('pkcs11-id', IDENTITY),
  rejected('pkcs11-id-management', IDENTITY),
  rejected('pkcs11-pin-cache', IDENTITY),
  rejected('pkcs11-protected-authentication', IDENTITY),
  rejected('pkcs11-private-mode', IDENTITY),
  rejected('pkcs11-cert-private', IDENTITY),
  rejected('management-external-key', IDENTITY),
  rejected('management-external-cert', IDENTITY),
  rejected(
    'management-client-auth',
    'client authentication through the management interface is not implemented; ignoring it would skip your checks',
  ),
  rejected(
    'management-client-user',
    'not implemented; ignoring it would let any local user use the management socket (protect it with file permissions)',
  ),
  rejected(
    'management-client-group',
    'not implemented; ignoring it would let any local user use the management socket',
  ),
  rejected('tls-verify', NO_SCRIPT('tls-verify')),
  rejected('client-connect', NO_SCRIPT('client-connect')),
  rejected('client-disconnect', NO_SCRIPT('client-disconnect')),
  rejected('learn-address', NO_SCRIPT('learn-address')),
  rejected('route-up', NO_SCRIPT('route-up')),
  rejected('route-pre-down', NO_SCRIPT('route-pre-down')),
  rejected('ipchange', NO_SCRIPT('ipchange')),
  rejected(
    'plugin',
    'OpenVPN C plugins cannot be loaded; for authentication use passdb or auth-user-pass-verify',
  ),
  rejected(
    'session-timeout',
    'session time limits are not implemented; ignoring it would let sessions run longer than set',
  ),
  rejected(
    'block-ipv6',
    'not implemented; ignoring it could let IPv6 traffic bypass the VPN (use server-ipv6 with redirect-gateway ipv6)',
  ),
  rejected(
    'chroot',
    'Node.js cannot chroot; confine pqvpn with systemd (RootDirectory=, ProtectSystem=strict) instead',
  ),
  rejected('setcon', 'SELinux context switching is not implemented; confine pqvpn with its systemd unit'),
  rejected(
    'bind-dev',
    'binding to a VRF device is not implemented; ignoring it would send traffic through the default VRF',
  ),
  rejected('client-nat', 'not implemented; ignoring it would change the addresses clients see'),
  rejected('port-share', 'pqvpn runs over UDP; port sharing is a TCP feature'),
  rejected('inetd', 'pqvpn runs as a long-lived UDP service, not from inetd'),
  rejected('server-bridge', TAP),
  rejected('lladdr', TAP),
  rejected('vlan-tagging', TAP),
  rejected('vlan-accept', TAP),
  rejected('vlan-pvid', TAP),
  rejected('ifconfig-pool', "write 'server NETWORK NETMASK'; pqvpn hands out the whole subnet"),
  rejected('ifconfig-ipv6-pool', "write 'server-ipv6 NETWORK/LENGTH'"),
  rejected('config', 'nested config files are not supported; put everything in one file'),
  rejected(
    'connection',
    '<connection> blocks are not supported; list several remote lines (with remote-random if wanted)',
    {
      inline: true,
    },
  ),
  rejected('genkey', COMMAND("use 'pqvpn genkey'")),
  rejected('mktun', COMMAND('pqvpn creates its device at start; use persist-tun to keep it')),
  rejected('rmtun', COMMAND('pqvpn removes its device at exit')),
  rejected('test-crypto', COMMAND('run the test suite')),
  rejected('show-ciphers', COMMAND('pqvpn has one cipher, AES-256-GCM')),
  rejected('show-digests', COMMAND('pqvpn uses no HMAC digests')),
  rejected('show-tls', COMMAND("see 'pqvpn --help'")),
  rejected('show-engines', COMMAND('pqvpn uses no OpenSSL engines')),
  rejected('show-curves', COMMAND('see kem-suites')),
  rejected('show-groups', COMMAND('see kem-suites')),
  rejected('show-gateway', COMMAND("use 'ip route'")),
  rejected('version', COMMAND("use 'pqvpn --version'")),
  rejected('help', COMMAND("use 'pqvpn --help'")),
];
