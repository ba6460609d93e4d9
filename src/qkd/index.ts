/**
 * QKD keys through ETSI GS QKD 014 (docs/QKD.md). Other modules import from here.
 *
 * - For the tunnel driver: `createQkdKeySource(config.qkd)` → `QkdKeySource`
 *   (`start`, `forInitiator`, `forResponder`, `prefetchNow`, `counters`,
 *   `recentKeyIds`, `close`; its module comment is the contract, including what
 *   `required` and `optional` mean for the driver). Failures are `QkdError`s
 *   with a `QkdErrorCode`.
 * - The ETSI 014 client on its own: `Etsi014Client` over `httpsTransport`.
 * - The simulator: `initKmeSimDir`, `loadKmeSimDir`, `startKmeSimulator`.
 * @module
 */

export { printable, QkdError, QkdErrorCode } from './errors.js';
export type { DeliveredKey, KmeStatus } from './etsi014.js';
export { type Etsi014Api, Etsi014Client, type Etsi014ClientOptions } from './etsi014-client.js';
export { createQkdKeySource, type QkdSourceTuning } from './from-config.js';
export {
  type QkdCounters,
  QkdKeySource,
  type QkdKeySourceOptions,
  type QkdMode,
  type UsedKeyId,
} from './key-source.js';
export {
  initKmeSimDir,
  type KmeSimFiles,
  type KmeSimOptions,
  type KmeSimulator,
  loadKmeSimDir,
  startKmeSimulator,
} from './kme-sim.js';
export {
  type HttpsTransportOptions,
  httpsTransport,
  type KmeRequest,
  type KmeResponse,
  type KmeTransport,
} from './transport.js';
