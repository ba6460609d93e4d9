/**
 * What `pqvpn server` and `pqvpn client` share: `--config FILE` plus
 * OpenVPN-style `--directive value` overrides, loaded and validated with the
 * same code as `pqvpn config check`, then the tunnel (src/tunnel/setup.ts)
 * until a signal.
 *
 * Signals: SIGTERM or SIGINT stops. The server tells every client it is
 * restarting (exit notices and a RESTART alert), so clients reconnect at once
 * — to this server when it comes back, or to their next `remote`. The client
 * sends an exit notice, removes the addresses and routes it added, runs its
 * `down` script and exits 0. SIGUSR1/SIGHUP make a client reconnect (a server
 * ignores them), SIGUSR2 logs the connections, as in OpenVPN.
 *
 * Exit codes: 0 after a signal; 1 when the tunnel fails at run time
 * (AUTH_FAILED, a socket or TUN device that cannot be opened, a pushed option
 * the client refuses); 2 for usage and configuration errors.
 * @module
 */

import { createWriteStream, type WriteStream } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import type { ClientConfig, PqvpnConfig, ServerConfig } from '../../config/model.js';
import { UsageError } from '../../errors.js';
import { Logger } from '../../log.js';
import type { CommandIO } from '../io.js';

interface TunnelArgs {
  config?: unknown;
  directives?: unknown[];
}

export function tunnelCommand(io: CommandIO, mode: 'server' | 'client'): CommandModule {
  const builder = (y: Argv) =>
    y
      .parserConfiguration({ 'unknown-options-as-args': true, 'parse-positional-numbers': false })
      .strict(false)
      .option('config', { type: 'string', describe: 'the .ovpn config file', demandOption: true })
      .positional('directives', { type: 'string', array: true, describe: '--directive value … overrides' })
      .example(`$0 ${mode} --config ${mode}.ovpn`, `run a ${mode} from a config file`)
      .example(
        `$0 ${mode} --config ${mode}.ovpn --verb 4`,
        'the same with more logging (any directive works)',
      )
      .epilogue(
        'Directives after --config override the file, as with "openvpn --config FILE --verb 4". ' +
          'SIGTERM or SIGINT stops cleanly.',
      );
  return {
    command: `${mode} [directives..]`,
    describe:
      mode === 'server'
        ? 'run a VPN server from a config file'
        : 'connect to a VPN server from a config file',
    builder,
    handler: async (argv) => {
      const args = argv as TunnelArgs;
      if (typeof args.config !== 'string') throw new UsageError(`pqvpn ${mode} needs --config FILE`);
      const overrides = (args.directives ?? []).map(String);
      // The tunnel's modules are loaded here, not at the top, so that other commands, --help and
      // --version do not pay for them; the tunnel starts loading while the config is read.
      const setup = import('../../tunnel/setup.js');
      setup.catch(() => {}); // awaited below; an early failure must not be an unhandled rejection
      const [{ InvalidConfigError }, { formatWarning }, { loadConfigFile }] = await Promise.all([
        import('../../config/build.js'),
        import('../../config/format.js'),
        import('../../config/load.js'),
      ]);
      let config: PqvpnConfig;
      try {
        const loaded = await loadConfigFile(args.config, overrides);
        config = loaded.config;
        for (const w of loaded.warnings) io.stderr(`WARNING: ${formatWarning(w)}`);
        if (config.mode !== mode) {
          throw new UsageError(
            `${args.config} is a ${config.mode} config; run it with 'pqvpn ${config.mode} --config ${args.config}'`,
          );
        }
      } catch (e) {
        if (e instanceof InvalidConfigError)
          for (const w of e.warnings) io.stderr(`WARNING: ${formatWarning(w)}`);
        throw e;
      }
      const { log, close } = openLog(config, io);
      try {
        const { startServer, createClient } = await setup;
        if (config.mode === 'server') await runServer(config, log, startServer);
        else await runClient(config, log, io, createClient);
      } finally {
        await close();
      }
    },
  };
}

type Setup = typeof import('../../tunnel/setup.js');

async function runServer(
  config: ServerConfig,
  log: Logger,
  startServer: Setup['startServer'],
): Promise<void> {
  const running = await startServer(config, log);
  dropPrivileges(config, log);
  const removeExtra = onOtherSignals((signal) => {
    if (signal === 'SIGUSR2') {
      const peers = running.server.peers();
      log.info(`SIGUSR2: ${peers.length} client(s)`);
      for (const p of peers)
        log.info(
          `  ${p.name} ${p.endpoint} ${p.ipv4}${p.ipv6 ? ` ${p.ipv6}` : ''} peer id ${p.peerId}: ` +
            `${p.stats.bytesReceived} bytes in, ${p.stats.bytesSent} out`,
        );
    } else {
      log.info(`${signal} ignored: re-reading the configuration needs a restart of the process`);
    }
  });
  try {
    const signal = await Promise.race([nextSignal(), running.failed]);
    log.info(`${signal} received, telling clients and shutting down`);
  } finally {
    removeExtra();
    await running.stop('restart');
    log.info('server stopped');
  }
}

async function runClient(
  config: ClientConfig,
  log: Logger,
  io: CommandIO,
  createClient: Setup['createClient'],
): Promise<void> {
  if (config.user !== undefined || config.group !== undefined)
    // A client that gave up root could not remove its addresses and routes at exit or reconnect.
    log.warn('user/group are ignored by a client: it keeps root to undo its addresses and routes');
  const { client, dispose } = await createClient(config, log, { promptHidden: io.promptHidden });
  const stop = (signal: NodeJS.Signals) => {
    log.info(`${signal} received, leaving`);
    client.stop();
  };
  const remove = onSignals(stop);
  const removeExtra = onOtherSignals((signal) => {
    if (signal === 'SIGUSR2') log.info(`SIGUSR2: ${client.describe()}`);
    else client.restart(`${signal} received`);
  });
  try {
    await client.run();
    log.info('client stopped');
  } finally {
    remove();
    removeExtra();
    dispose();
  }
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

function onSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}

/**
 * OpenVPN's other signals: SIGUSR1 and SIGHUP reconnect a client (pqvpn does
 * not re-read its configuration on SIGHUP) and are ignored by a server rather
 * than ending it; SIGUSR2 logs the connection state.
 */
const OTHER_SIGNALS: readonly NodeJS.Signals[] = ['SIGUSR1', 'SIGHUP', 'SIGUSR2'];

function onOtherSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  for (const s of OTHER_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of OTHER_SIGNALS) process.off(s, handler);
  };
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const remove = onSignals((signal) => {
      remove();
      resolve(signal);
    });
  });
}

/** `log FILE` / `log-append FILE`, else standard output (as OpenVPN). */
function openLog(config: PqvpnConfig, io: CommandIO): { log: Logger; close(): Promise<void> } {
  let stream: WriteStream | undefined;
  if (config.log)
    stream = createWriteStream(config.log.path, { flags: config.log.append ? 'a' : 'w', mode: 0o640 });
  const sink = stream ? (line: string) => void stream.write(`${line}\n`) : (line: string) => io.stdout(line);
  const log = new Logger({
    verb: config.verb,
    mute: config.mute,
    sink,
    timestamps: !config.suppressTimestamps,
  });
  return {
    log,
    close: () => new Promise<void>((resolve) => (stream ? stream.end(() => resolve()) : resolve())),
  };
}

/** `user`/`group`: give up root once the socket and TUN device are open (group first, as OpenVPN). */
function dropPrivileges(config: PqvpnConfig, log: Logger): void {
  if (config.group !== undefined) {
    process.setgid?.(config.group);
    log.info(`group set to ${config.group}`);
  }
  if (config.user !== undefined) {
    process.setuid?.(config.user);
    log.info(`user set to ${config.user}`);
  }
}
