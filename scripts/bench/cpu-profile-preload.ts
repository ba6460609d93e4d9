/**
 * Loaded into a pqvpn process with `node --import=<this file>` when the
 * benchmark profiles the packet path. It profiles only a window chosen by the
 * benchmark, not start-up or the handshake:
 *
 *   first SIGUSR2  → start the V8 CPU profiler (100 µs sampling);
 *   second SIGUSR2 → stop it and write the profile (a `.cpuprofile`, the same
 *                    format as `node --cpu-prof`) to $PQVPN_BENCH_PROFILE_OUT.
 *
 * Unlike `--cpu-prof`, this does not depend on how the process exits. It
 * changes nothing else in the process (no other signal is handled; an
 * existing SIGUSR2 handler of pqvpn's would still run).
 * @module
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.PQVPN_BENCH_PROFILE_OUT;
if (out) {
  const session = new Session();
  session.connect();
  let state: 'idle' | 'profiling' | 'done' = 'idle';
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'profiling';
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
      );
    } else if (state === 'profiling') {
      state = 'done';
      session.post('Profiler.stop', (error, result) => {
        if (!error) writeFileSync(out, JSON.stringify(result.profile));
        session.disconnect();
      });
    }
  });
}
