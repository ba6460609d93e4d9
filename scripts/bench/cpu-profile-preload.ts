/**
 * Loaded into a pqvpn process with `node --import=<this file>` when the
 * benchmark profiles it. It profiles windows chosen by the benchmark:
 *
 *   with $PQVPN_BENCH_PROFILE_STARTUP_OUT set, profiling starts as this file
 *   loads, and the first SIGURG writes that profile (start-up and connect);
 *   then one SIGURG starts the V8 CPU profiler (100 µs sampling) and the next
 *   stops it and writes the profile to $PQVPN_BENCH_PROFILE_OUT (the packet
 *   path during a transfer).
 *
 * Profiles are `.cpuprofile` files, the format of `node --cpu-prof`. Unlike
 * `--cpu-prof`, this does not depend on how the process exits. SIGURG because
 * pqvpn gives SIGUSR1/SIGUSR2/SIGHUP OpenVPN's meanings, and SIGURG's default
 * action is to be ignored: a stray one harms nothing. Nothing else in the
 * process changes.
 * @module
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const windowOut = process.env.PQVPN_BENCH_PROFILE_OUT;
const startupOut = process.env.PQVPN_BENCH_PROFILE_STARTUP_OUT;

if (windowOut || startupOut) {
  const session = new Session();
  session.connect();
  type State = 'startup' | 'idle' | 'window' | 'stopping' | 'done';
  let state: State = 'idle';
  const start = () =>
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
    );
  const stop = (file: string, next: State) => {
    state = 'stopping';
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
      state = next;
      if (next === 'done') session.disconnect();
    });
  };
  if (startupOut) {
    state = 'startup';
    start();
  }
  process.on('SIGURG', () => {
    if (state === 'startup' && startupOut) stop(startupOut, windowOut ? 'idle' : 'done');
    else if (state === 'idle' && windowOut) {
      state = 'window';
      start();
    } else if (state === 'window' && windowOut) stop(windowOut, 'done');
  });
}
