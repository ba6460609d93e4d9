/**
 * The effective configuration, printed back in directive form: one directive per
 * line, defaults included and marked `# default`, paths absolute — what
 * `pqvpn config check` shows and what `--verb 4` logs at start.
 *
 * Secrets never appear: an inline block is printed as `key [inline]` with a
 * comment giving its size, and files are named, never read. The output parses
 * back with `parseConfigText` (inline blocks aside, whose content is withheld).
 * @module
 */

import { formatLocation } from '../errors.js';
import type { ClientConfig, ConfigWarning, FileSource, PqvpnConfig, ServerConfig } from './model.js';
import { quoteToken } from './tokenizer.js';

const COMMENT_COLUMN = 40;

class Printer {
  readonly lines: string[] = [];
  private readonly defaulted: readonly string[];
  constructor(defaulted: readonly string[]) {
    this.defaulted = defaulted;
  }

  line(name: string, args: readonly (string | number)[] = [], comment?: string): void {
    const text = [name, ...args.map((a) => quoteToken(String(a)))].join(' ');
    const note = comment ?? (this.defaulted.includes(name) ? 'default' : undefined);
    this.lines.push(note === undefined ? text : `${text.padEnd(COMMENT_COLUMN - 1)} # ${note}`);
  }

  flag(name: string, on: boolean): void {
    if (on) this.line(name);
  }

  file(name: string, source: FileSource | undefined, extra: readonly string[] = []): void {
    if (source === undefined) return;
    if (source.kind === 'inline')
      this.line(name, ['[inline]', ...extra], `${source.bytes} bytes inline, not shown`);
    else this.line(name, [source.path, ...extra]);
  }

  /** A line that is information only, so the output still parses to the same config. */
  comment(text: string): void {
    this.lines.push(`# ${text}`);
  }

  section(title: string): void {
    this.lines.push('', `# ${title}`);
  }
}

function common(p: Printer, c: PqvpnConfig): void {
  p.section('Device and network');
  p.line('dev', [c.dev]);
  p.line('dev-type', [c.devType]);
  p.line('proto', [c.proto]);
  p.line('topology', [c.topology]);
  if (c.local !== undefined) p.line('local', [c.local]);
  p.line('lport', [c.lport]);
  if (c.bind.ipv6only) p.line('bind', ['ipv6only']);
  p.flag('float', c.float);
  p.line('tun-mtu', [c.tunMtu]);
  if (c.sndbuf !== undefined) p.line('sndbuf', [c.sndbuf]);
  if (c.rcvbuf !== undefined) p.line('rcvbuf', [c.rcvbuf]);
  if (c.txqueuelen !== undefined) p.line('txqueuelen', [c.txqueuelen]);
  for (const r of c.routes)
    p.line('route', [
      r.network,
      r.netmask,
      ...(r.gateway ? [r.gateway] : r.metric !== undefined ? ['default'] : []),
      ...(r.metric !== undefined ? [r.metric] : []),
    ]);
  for (const r of c.routesIpv6)
    p.line('route-ipv6', [
      `${r.network}/${r.prefixLength}`,
      ...(r.gateway ? [r.gateway] : r.metric !== undefined ? ['default'] : []),
      ...(r.metric !== undefined ? [r.metric] : []),
    ]);
  if (c.routeMetric !== undefined) p.line('route-metric', [c.routeMetric]);
  p.flag('route-noexec', c.routeNoexec);
  p.flag('ifconfig-noexec', c.ifconfigNoexec);

  p.section('Identity and peer verification');
  p.file('ca', c.ca);
  p.file('cert', c.cert);
  p.file('key', c.key);
  if (c.crlVerify) p.file('crl-verify', c.crlVerify.source, c.crlVerify.dir ? ['dir'] : []);
  p.file('tls-crypt', c.tlsCrypt);
  if (c.remoteCertTls) p.line('remote-cert-tls', [c.remoteCertTls]);
  if (c.remoteCertEku) p.line('remote-cert-eku', [c.remoteCertEku]);
  if (c.remoteCertKu)
    p.line(
      'remote-cert-ku',
      c.remoteCertKu.map((v) => v.toString(16)),
    );
  if (c.verifyX509Name) p.line('verify-x509-name', [c.verifyX509Name.name, c.verifyX509Name.type]);

  p.section('Cryptography');
  p.line('kem-suites', [c.kemSuites.join(':')]);
  p.line('sig-schemes', [c.sigSchemes.join(':')]);
  for (const plugin of c.sigPlugins) p.line('sig-plugin', [plugin]);
  p.line('data-ciphers', [c.dataCiphers.join(':')]);
  p.file('psk', c.psk);
  if (c.qkd) {
    p.line('qkd-kme', [c.qkd.kme]);
    p.line('qkd-sae-id', [c.qkd.saeId]);
    p.line('qkd-peer-sae-id', [c.qkd.peerSaeId]);
    p.file('qkd-ca', c.qkd.ca);
    p.file('qkd-cert', c.qkd.cert);
    p.file('qkd-key', c.qkd.key);
    p.line('qkd-key-size', [c.qkd.keySize]);
    p.line('qkd-mode', [c.qkd.mode]);
  }

  p.section('Timers');
  if (c.keepalive) {
    p.line('keepalive', [c.keepalive.interval, c.keepalive.timeout]);
    p.comment(`ping ${c.ping}, ping-restart ${c.pingRestart} (from keepalive)`);
  } else {
    p.line('ping', [c.ping]);
    p.line('ping-restart', [c.pingRestart]);
    p.line('ping-exit', [c.pingExit]); // keepalive excludes ping-exit, so it is 0 there
  }
  p.flag('ping-timer-rem', c.pingTimerRem);
  if (c.inactive) p.line('inactive', [c.inactive.seconds, c.inactive.bytes]);
  p.line('reneg-sec', [c.renegSec]);
  p.line('reneg-bytes', [c.renegBytes]);
  p.line('reneg-pkts', [c.renegPkts]);
  p.line('hand-window', [c.handWindow]);
  p.line('tran-window', [c.tranWindow]);
  p.line('replay-window', [c.replayWindow]);
  p.line('explicit-exit-notify', [c.explicitExitNotify]);

  p.section('Process');
  if (c.user !== undefined) p.line('user', [c.user]);
  if (c.group !== undefined) p.line('group', [c.group]);
  p.flag('persist-tun', c.persistTun);
  p.flag('persist-key', c.persistKey);
  if (c.cd !== undefined) p.line('cd', [c.cd]);
  if (c.writepid !== undefined) p.line('writepid', [c.writepid]);
  if (c.tmpDir !== undefined) p.line('tmp-dir', [c.tmpDir]);
  if (c.status) p.line('status', [c.status.path, c.status.seconds]);
  if (c.log) p.line(c.log.append ? 'log-append' : 'log', [c.log.path]);
  p.line('verb', [c.verb]);
  p.line('mute', [c.mute]);
  p.flag('suppress-timestamps', c.suppressTimestamps);
  p.line('script-security', [c.scriptSecurity]);
  if (c.up) p.line('up', [c.up.line]);
  if (c.down) p.line('down', [c.down.line]);
  for (const e of c.setenv) p.line('setenv', [e.name, e.value]);
}

function server(p: Printer, c: ServerConfig): void {
  p.line('server', [c.server.network, c.server.netmask]);
  if (c.serverIpv6) p.line('server-ipv6', [`${c.serverIpv6.network}/${c.serverIpv6.prefixLength}`]);
  if (c.ifconfigPoolPersist)
    p.line('ifconfig-pool-persist', [c.ifconfigPoolPersist.path, c.ifconfigPoolPersist.seconds]);
  p.line('max-clients', [c.maxClients]);
  p.flag('client-to-client', c.clientToClient);
  p.flag('duplicate-cn', c.duplicateCn);
  p.line('verify-client-cert', [c.verifyClientCert]);
  if (c.passdb !== undefined) p.line('passdb', [c.passdb]);
  if (c.authUserPassVerify)
    p.line('auth-user-pass-verify', [c.authUserPassVerify.command.line, c.authUserPassVerify.method]);
  p.flag('username-as-common-name', c.usernameAsCommonName);
  if (c.clientConfigDir !== undefined) p.line('client-config-dir', [c.clientConfigDir]);
  p.flag('ccd-exclusive', c.ccdExclusive);
  for (const option of c.push) {
    if (option.origin === 'keepalive') p.comment(`push ${quoteToken(option.text)} (from keepalive)`);
    else p.line('push', [option.text]);
  }
}

function client(p: Printer, c: ClientConfig): void {
  p.line('client');
  for (const r of c.remotes) p.line('remote', [r.host, r.port, r.proto]);
  p.flag('remote-random', c.remoteRandom);
  p.flag('nobind', c.nobind);
  p.line('resolv-retry', [c.resolvRetry]);
  p.line('connect-retry', [c.connectRetry.initial, c.connectRetry.max]);
  if (c.connectRetryMax !== undefined) p.line('connect-retry-max', [c.connectRetryMax]);
  p.line('server-poll-timeout', [c.serverPollTimeout]);
  if (c.authUserPass) {
    if (c.authUserPass.source) p.file('auth-user-pass', c.authUserPass.source);
    else p.line('auth-user-pass', [], 'asked on the terminal');
  }
  p.line('auth-retry', [c.authRetry]);
  if (c.redirectGateway) p.line('redirect-gateway', c.redirectGateway);
  if (c.redirectPrivate) p.line('redirect-private', c.redirectPrivate);
  for (const o of c.dhcpOptions)
    p.line('dhcp-option', [o.type, ...(o.value === undefined ? [] : o.value.split(' '))]);
  if (c.routeGateway !== undefined) p.line('route-gateway', [c.routeGateway]);
  p.flag('route-nopull', c.routeNopull);
  for (const f of c.pullFilters) p.line('pull-filter', [f.action, f.text]);
}

/** The config as directive lines (ending with a newline); secrets are never included. */
export function formatEffectiveConfig(config: PqvpnConfig): string {
  const p = new Printer(config.defaulted);
  p.lines.push(`# pqvpn effective configuration (${config.mode}) from ${config.source.file}`);
  p.lines.push("# '# default': not set in the file; paths are absolute; inline key material is not shown");
  p.section(config.mode === 'server' ? 'Server' : 'Client');
  if (config.mode === 'server') server(p, config);
  else client(p, config);
  common(p, config);
  return `${p.lines.join('\n')}\n`;
}

/** One warning as a line: `file:line: 'directive': message` (the caller adds "WARNING: "). */
export function formatWarning(warning: ConfigWarning): string {
  const where = warning.location ? `${formatLocation(warning.location)}: ` : '';
  const what = warning.directive ? `'${warning.directive}': ` : '';
  return `${where}${what}${warning.message}`;
}
