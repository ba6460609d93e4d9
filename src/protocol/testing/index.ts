/**
 * Test doubles for sans-I/O protocol code: a seeded PRNG, a fake clock and an
 * in-memory network with an event loop (see network.ts for the contract).
 * @module
 */

export { EventQueue } from './event-queue.js';
export { FakeClock } from './fake-clock.js';
export {
  type DatagramFate,
  type DatagramRecord,
  type EndpointEvent,
  type LinkConditions,
  type LinkStats,
  type RunOptions,
  type RunResult,
  type SendAction,
  type SimAction,
  type SimEndpoint,
  type SimEventRecord,
  SimNetwork,
  type SimNetworkOptions,
  SimulationError,
  type TimerAction,
} from './network.js';
export { createPrng, type Prng } from './prng.js';
