/**
 * `pqvpn kme-sim` — a pair of ETSI GS QKD 014 Key Management Entities for
 * trying QKD mode without QKD hardware (docs/QKD.md).
 *
 *     pqvpn kme-sim init DIR [--sae-a ID] [--sae-b ID] [--host NAME]… [--force]
 *     pqvpn kme-sim --config DIR [--listen ADDR] [--port-a N] [--port-b N]
 *                   [--rate BITS_PER_S] [--capacity BITS] [--initial BITS] [--key-size BITS]
 *
 * `init` writes the certificates (src/qkd/kme-sim.ts lists them). The server
 * runs until SIGTERM or SIGINT, then stops accepting, lets open answers finish,
 * wipes the keys it still holds and exits 0. `--rate` below what the tunnels'
 * rekeys consume reproduces key starvation (enc_keys answers 503).
 * @module
 */

import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CommandIO } from '../io.js';

interface InitArgs {
  dir: string;
  'sae-a': string;
  'sae-b': string;
  host: string[] | undefined;
  days: number;
  force: boolean;
}

interface RunArgs {
  config: string | undefined;
  listen: string;
  'port-a': number;
  'port-b': number;
  rate: number;
  capacity: number;
  initial: number | undefined;
  'key-size': number;
  'sae-a': string | undefined;
  'sae-b': string | undefined;
  verb: number;
}

/** Resolves when the process is asked to stop. Replaceable in tests. */
export type StopSignal = () => Promise<string>;

const processStopSignal: StopSignal = () =>
  new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });

export function kmeSimCommand(io: CommandIO, stopSignal: StopSignal = processStopSignal): CommandModule {
  const init: CommandModule<object, InitArgs> = {
    command: 'init <dir>',
    describe: 'create the CA, KME and SAE certificates for the simulator',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'directory for the files' })
        .option('sae-a', { type: 'string', default: 'sae-a', describe: 'SAE ID of the side that uses KME A' })
        .option('sae-b', { type: 'string', default: 'sae-b', describe: 'SAE ID of the side that uses KME B' })
        .option('host', {
          type: 'string',
          array: true,
          describe:
            'another name or address clients use to reach the KMEs (localhost, 127.0.0.1, ::1 are always in)',
        })
        .option('days', { type: 'number', default: 825, describe: 'validity of the certificates' })
        .option('force', { type: 'boolean', default: false, describe: 'replace existing files' })
        .example('$0 kme-sim init ./kme', 'certificates for SAEs sae-a and sae-b in ./kme')
        .example(
          '$0 kme-sim init ./kme --sae-a vpn-server --sae-b vpn-client --host kme.example.net',
          'named SAEs, KMEs reachable as kme.example.net',
        ),
    handler: async (argv) => {
      // Loaded here, not at the top: every other command, --help and --version start faster without it.
      const { initKmeSimDir, KME_SIM_FILES } = await import('../../qkd/kme-sim.js');
      const { saeA, saeB } = await initKmeSimDir({
        dir: argv.dir,
        saeA: argv['sae-a'],
        saeB: argv['sae-b'],
        hosts: argv.host ?? [],
        days: argv.days,
        force: argv.force,
      });
      io.stdout(`wrote the KME simulator certificates to ${argv.dir} (private keys mode 0600)`);
      io.stdout(`SAE A = ${saeA} (${KME_SIM_FILES.saeA}), SAE B = ${saeB} (${KME_SIM_FILES.saeB})`);
      io.stdout(`start it with: pqvpn kme-sim --config ${argv.dir}`);
    },
  };

  const builder = (y: Argv) =>
    y
      .command(init as unknown as CommandModule)
      .option('config', { global: false, type: 'string', describe: 'directory made by "pqvpn kme-sim init"' })
      .option('listen', {
        global: false,
        type: 'string',
        default: '127.0.0.1',
        describe: 'address both KMEs listen on',
      })
      .option('port-a', {
        global: false,
        type: 'number',
        default: 9443,
        describe: 'HTTPS port of KME A (0 = any free port)',
      })
      .option('port-b', {
        global: false,
        type: 'number',
        default: 9444,
        describe: 'HTTPS port of KME B (0 = any free port)',
      })
      .option('rate', {
        global: false,
        type: 'number',
        default: 2000,
        describe: 'key bits added to the shared pool per second',
      })
      .option('capacity', {
        global: false,
        type: 'number',
        default: 65_536,
        describe: 'most key bits the pool holds',
      })
      .option('initial', {
        global: false,
        type: 'number',
        describe: 'key bits in the pool at start (default: full)',
      })
      .option('key-size', {
        global: false,
        type: 'number',
        default: 256,
        describe: 'key size when a request names none',
      })
      .option('sae-a', { global: false, type: 'string', describe: 'check that sae-a.crt names this SAE ID' })
      .option('sae-b', { global: false, type: 'string', describe: 'check that sae-b.crt names this SAE ID' })
      .option('verb', {
        global: false,
        type: 'number',
        default: 3,
        describe: '0 quiet, 3 one line per request',
      })
      .example('$0 kme-sim init ./kme && $0 kme-sim --config ./kme', 'make certificates, then run both KMEs')
      .example(
        '$0 kme-sim --config ./kme --rate 64 --capacity 512',
        'a slow link: 2 keys of 256 bits stored, one more every 4 s (starvation)',
      )
      .epilogue(
        'KME A serves SAE A on --port-a, KME B serves SAE B on --port-b (ETSI GS QKD 014 over HTTPS with ' +
          'client certificates). Keys are delivered once. Stop with SIGTERM or Ctrl-C.',
      );

  return {
    command: 'kme-sim',
    describe: 'run a pair of simulated QKD key management entities (ETSI GS QKD 014)',
    builder,
    handler: async (raw) => {
      const argv = raw as unknown as RunArgs;
      if (!argv.config) {
        throw new UsageError("pqvpn kme-sim needs --config DIR; create DIR with 'pqvpn kme-sim init DIR'");
      }
      for (const name of ['port-a', 'port-b'] as const) {
        const p = argv[name];
        if (!Number.isInteger(p) || p < 0 || p > 65_535)
          throw new UsageError(`--${name} must be a port (0-65535)`);
      }
      for (const name of ['rate', 'capacity', 'initial', 'key-size'] as const) {
        const v = argv[name];
        if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
          throw new UsageError(`--${name} must be a non-negative number`);
        }
      }
      const { loadKmeSimDir, startKmeSimulator } = await import('../../qkd/kme-sim.js');
      const files = await loadKmeSimDir(argv.config);
      for (const [flag, want, have] of [
        ['sae-a', argv['sae-a'], files.saeA],
        ['sae-b', argv['sae-b'], files.saeB],
      ] as const) {
        if (want !== undefined && want !== have) {
          throw new UsageError(
            `--${flag} ${want}: the certificate in ${argv.config} is for SAE '${have}'; ` +
              `re-create them with 'pqvpn kme-sim init ${argv.config} --${flag} ${want} --force'`,
          );
        }
      }
      const sim = await startKmeSimulator({
        files,
        host: argv.listen,
        portA: argv['port-a'],
        portB: argv['port-b'],
        rateBitsPerSecond: argv.rate,
        capacityBits: Math.floor(argv.capacity),
        ...(argv.initial === undefined ? {} : { initialBits: Math.floor(argv.initial) }),
        defaultKeySize: argv['key-size'],
        log: (line) => {
          if (argv.verb >= 3) io.stdout(line);
        },
      });
      io.stdout(`KME A (kme-a) for SAE ${sim.saeA}: ${sim.urlA}`);
      io.stdout(`KME B (kme-b) for SAE ${sim.saeB}: ${sim.urlB}`);
      io.stdout(
        `pool: ${Math.floor(argv.capacity)} bits capacity, ${argv.rate} bits/s; side A: qkd-kme ${sim.urlA}, ` +
          `qkd-sae-id ${sim.saeA}, qkd-peer-sae-id ${sim.saeB}; side B: qkd-kme ${sim.urlB}, ` +
          `qkd-sae-id ${sim.saeB}, qkd-peer-sae-id ${sim.saeA}`,
      );
      const signal = await stopSignal();
      await sim.close();
      const s = sim.pair.stats;
      io.stdout(
        `stopped (${signal}): ${s.keysIssued} keys issued, ${s.keysDelivered} delivered, ` +
          `${s.starved} requests starved`,
      );
    },
  };
}
