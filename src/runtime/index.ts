/**
 * The runtime: control planes that run the pure handshake machines against
 * real time and threads, behind one interface (control-plane.ts).
 *
 * - `createInProcessServerControlPlane` / `createInProcessClientControlPlane`:
 *   on the calling thread. The client always uses this one: its public-key
 *   work is one handshake at start and one KEM pair per rekey
 *   (docs/PERFORMANCE.md), not worth a thread.
 * - `createWorkerPoolServerControlPlane`: server sessions in worker threads,
 *   the gate and routing on the calling thread (the server default).
 * @module
 */

export type {
  ClientControlPlane,
  ClientControlPlaneSink,
  ControlPlaneSink,
  ServerControlPlane,
  ServerControlPlaneSink,
} from './control-plane.js';
export type {
  ClientControlPlaneOptions,
  CommonControlPlaneOptions,
  ServerControlPlaneOptions,
  VerifierSource,
} from './control-plane-options.js';
export {
  createWorkerPoolServerControlPlane,
  defaultWorkerCount,
  type PoolStats,
  type WorkerPoolOptions,
  type WorkerPoolServerControlPlane,
  type WorkerPoolServerControlPlaneOptions,
} from './handshake-pool.js';
export {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
  type InProcessClientControlPlaneOptions,
  type InProcessSeams,
  type InProcessServerControlPlaneOptions,
} from './in-process.js';
