/**
 * From a loaded config to running drivers: everything `pqvpn server` and
 * `pqvpn client` build before the first packet — the handshake setup
 * (src/identity), the control plane (src/runtime), the authenticator
 * (src/auth), the TUN backend (src/tun), `ip` (src/net) and, with `qkd-*`,
 * the extra-secret source (src/qkd) — so the CLI module stays a thin shell
 * and tests can start the same thing in-process.
 *
 * Control planes: the client runs its one handshake in-process; the server
 * runs handshakes in the worker pool (src/runtime/handshake-pool.ts), so
 * public-key work never stalls the packet loop; each worker builds the same
 * verifier from the same plain-data spec (CRL file re-reads included).
 *
 * Process-level directives acted on here, for both modes: `writepid FILE`
 * (written before anything opens, removed when the tunnel stops) and
 * `txqueuelen N` (`ip link set … txqueuelen N` as soon as the device is open,
 * by wrapping the TUN backend, so server and client share it).
 * @module
 */

import { rmSync, writeFileSync } from 'node:fs';
import { createAuthenticator } from '../auth/index.js';
import type { ClientConfig, ServerConfig } from '../config/model.js';
import { buildClientHandshakeConfig, buildServerHandshakeConfig } from '../identity/handshake-config.js';
import { createPeerVerifier } from '../identity/peer-verifier.js';
import type { Logger } from '../log.js';
import {
  type CommandRunner,
  execFileRunner,
  NetworkConfigurator,
  planServerRoutes,
  txqueuelenCommand,
} from '../net/iproute2.js';
import { createQkdKeySource } from '../qkd/from-config.js';
import { createWorkerPoolServerControlPlane } from '../runtime/handshake-pool.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../runtime/in-process.js';
import { createTunBackend } from '../tun/index.js';
import type { TunBackend } from '../tun/tun-device.js';
import { TunnelClient } from './client.js';
import type { Authenticate, ExtraSecretSource } from './seams.js';
import { TunnelServer } from './server.js';

export interface SetupSeams {
  readonly tun?: TunBackend;
  readonly ip?: CommandRunner;
  /** Handshake worker threads for the server (0: on the main thread). Default: cores − 1. */
  readonly workers?: number;
  /** Reads a secret from the terminal (auth-user-pass without a file). */
  readonly promptHidden?: (prompt: string) => Promise<string | undefined>;
}

/**
 * `qkd-*` configured: the started key source (QkdKeySource fits ExtraSecretSource as is).
 * `prefetch`: keys kept ready for epochs this side starts — 0 for a server that never
 * starts a rekey (no reneg-* limit), so it does not take keys from a shared pool it never uses.
 */
async function qkdSource(
  config: ServerConfig | ClientConfig,
  log: Logger,
  prefetch: number,
): Promise<(ExtraSecretSource & { close(): void }) | undefined> {
  if (!config.qkd) return undefined;
  const source = await createQkdKeySource(config.qkd, { log, prefetch });
  source.start();
  return source;
}

export async function startServer(
  config: ServerConfig,
  log: Logger,
  seams: SetupSeams = {},
): Promise<{
  server: TunnelServer;
  /** Rejects when the server cannot go on (its TUN device failed); never resolves. */
  failed: Promise<never>;
  stop(reason: 'shutdown' | 'restart'): Promise<void>;
}> {
  const removePid = writePidFile(config.writepid, log);
  try {
    return await startServerWith(config, log, seams, removePid);
  } catch (error) {
    removePid();
    throw error;
  }
}

async function startServerWith(
  config: ServerConfig,
  log: Logger,
  seams: SetupSeams,
  removePid: () => void,
): Promise<{
  server: TunnelServer;
  failed: Promise<never>;
  stop(reason: 'shutdown' | 'restart'): Promise<void>;
}> {
  const setup = await buildServerHandshakeConfig(config, { logger: log });
  for (const w of setup.warnings) log.warn(w);
  const authenticator = await createAuthenticator(config, { logger: log });
  const authenticate: Authenticate = async (r) => {
    if (!authenticator) return { ok: true }; // certificate-only: the handshake verified the certificate
    const [ip = '', port = '0'] = splitAddress(r.address);
    const outcome = await authenticator.authenticate({
      ...(r.username !== undefined ? { username: r.username } : {}),
      ...(r.password !== undefined ? { password: r.password } : {}),
      ...(r.commonName !== undefined ? { commonName: r.commonName } : {}),
      untrustedIp: ip,
      untrustedPort: Number(port),
    });
    return outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason };
  };
  const startsRekeys = config.renegSec > 0 || config.renegBytes > 0 || config.renegPkts > 0;
  const extraSecrets = await qkdSource(config, log, startsRekeys ? 1 : 0);
  const peerVerifier = createPeerVerifier(setup.verifier, { logger: log });
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const server = await TunnelServer.start({
    config,
    log,
    onFatal: (error) => fail(error),
    tun: withTxQueueLen(
      seams.tun ?? createTunBackend(),
      seams.ip ?? execFileRunner(),
      config.txqueuelen,
      log,
    ),
    authenticate,
    ...(extraSecrets ? { extraSecrets } : {}),
    createControlPlane: async (sink) => {
      const onError = (error: Error) => log.error(`control plane: ${error.message}`);
      if (seams.workers !== 0) {
        const pool = await createWorkerPoolServerControlPlane(
          {
            session: setup.session,
            verifier: setup.verifier,
            pluginPaths: setup.sigPlugins,
            onError,
            // Workers run what this process runs (the TypeScript loader when started from sources).
            execArgv: process.execArgv,
            ...(seams.workers !== undefined ? { workers: seams.workers } : {}),
          },
          sink,
        );
        log.info(`handshakes run in ${pool.stats().workers} worker thread(s)`);
        return pool;
      }
      return createInProcessServerControlPlane(
        {
          session: setup.session,
          verifier: { trustAnchors: setup.verifier.trustAnchors },
          pluginPaths: setup.sigPlugins,
          peerVerifier,
          onError,
        },
        sink,
      );
    },
  });
  // The server's own `route` / `route-ipv6` lines go into the kernel (OpenVPN does the same), so networks
  // behind clients (iroute) are reachable from the server's side; removed again at stop.
  const routes = new NetworkConfigurator(seams.ip ?? execFileRunner(), log);
  if (!config.routeNoexec && server.tunName !== undefined) {
    try {
      await routes.apply(
        planServerRoutes({
          dev: server.tunName,
          routes: config.routes,
          routesIpv6: config.routesIpv6,
          ...(config.routeMetric !== undefined ? { routeMetric: config.routeMetric } : {}),
        }),
      );
    } catch (error) {
      await server.stop('shutdown');
      extraSecrets?.close();
      throw error; // the caller removes the pid file
    }
  }
  return {
    server,
    failed,
    stop: async (reason) => {
      try {
        await routes.undoAll();
        await server.stop(reason);
      } finally {
        extraSecrets?.close();
        removePid();
      }
    },
  };
}

export async function createClient(
  config: ClientConfig,
  log: Logger,
  seams: SetupSeams = {},
): Promise<{ client: TunnelClient; dispose(): void }> {
  const removePid = writePidFile(config.writepid, log);
  try {
    return await createClientWith(config, log, seams, removePid);
  } catch (error) {
    removePid();
    throw error;
  }
}

async function createClientWith(
  config: ClientConfig,
  log: Logger,
  seams: SetupSeams,
  removePid: () => void,
): Promise<{ client: TunnelClient; dispose(): void }> {
  const setup = await buildClientHandshakeConfig(config, {
    logger: log,
    ...(seams.promptHidden ? { promptHidden: seams.promptHidden } : {}),
  });
  for (const w of setup.warnings) log.warn(w);
  const extraSecrets = await qkdSource(config, log, 1);
  const peerVerifier = createPeerVerifier(setup.verifier, { logger: log });
  const ip = seams.ip ?? execFileRunner();
  const client = new TunnelClient({
    config,
    log,
    tun: withTxQueueLen(seams.tun ?? createTunBackend(), ip, config.txqueuelen, log),
    ip,
    ...(extraSecrets ? { extraSecrets } : {}),
    createControlPlane: (sink) =>
      createInProcessClientControlPlane(
        {
          session: setup.session,
          verifier: { trustAnchors: setup.verifier.trustAnchors },
          pluginPaths: setup.sigPlugins,
          peerVerifier,
          onError: (error) => log.error(`control plane: ${error.message}`),
        },
        sink,
      ),
  });
  return {
    client,
    dispose: () => {
      setup.session.credentials?.password.fill(0);
      extraSecrets?.close();
      removePid();
    },
  };
}

/** 'ip:port' / '[ip6]:port' → [ip, port]. */
function splitAddress(address: string): [string, string] {
  const m = /^\[(.*)\]:(\d+)$/.exec(address) ?? /^(.*):(\d+)$/.exec(address);
  return m ? [m[1] ?? '', m[2] ?? '0'] : [address, '0'];
}

/**
 * `writepid FILE`: writes this process's id (decimal, newline) before the
 * tunnel starts, and returns the function that removes it again, once. The
 * removal never throws: after `user`/`group` it may lack the permission, as
 * OpenVPN's does, and a stale pid file must not turn a clean exit into a failure.
 */
export function writePidFile(path: string | undefined, log: Logger, pid = process.pid): () => void {
  if (path === undefined) return () => {};
  writeFileSync(path, `${pid}\n`, { mode: 0o644 });
  log.verbose(`writepid: ${pid} written to ${path}`);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    try {
      rmSync(path, { force: true });
    } catch (error) {
      log.warn(`writepid: cannot remove ${path}: ${(error as Error).message}`);
    }
  };
}

/**
 * `txqueuelen N`: a backend that sets the transmit queue length of each
 * device it opens, with `ip link`, before the device is used. A failure
 * closes the device and fails the open, since the user asked for the setting.
 */
export function withTxQueueLen(
  backend: TunBackend,
  ip: CommandRunner,
  packets: number | undefined,
  log: Logger,
): TunBackend {
  if (packets === undefined) return backend;
  return {
    open: async (options) => {
      const device = await backend.open(options);
      const command = txqueuelenCommand(device.name, packets);
      try {
        await ip.run(command.argv);
      } catch (error) {
        device.close();
        throw error;
      }
      log.verbose(command.what);
      return device;
    },
  };
}
