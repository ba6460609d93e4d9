/**
 * The messages between the worker pool's main thread and its handshake
 * workers (structured-clone plain data; see handshake-pool.ts for the
 * design).
 *
 * Sessions are named by a `handle` the main thread assigns when it routes a
 * client's first Initial packet to a worker; the session id the worker's
 * `ServerSession` draws comes back with the first result. Each message to a
 * worker that touches a session is answered by exactly one `result` (or one
 * `misuse`), in order; timers inside the worker produce further `result`s.
 * @module
 */

import type {
  AuthResult,
  ExtraSecretInput,
  ServerConfig,
  SessionEvent,
} from '../protocol/handshake/types.js';
import type { VerifierSource } from './control-plane-options.js';

/** `workerData` of a server handshake worker. */
export interface ServerWorkerData {
  readonly role: 'server';
  readonly session: ServerConfig;
  readonly verifier: VerifierSource;
  readonly pluginPaths: readonly string[];
}

export type ToWorker =
  | {
      readonly type: 'create';
      readonly handle: number;
      readonly clientSessionId: Uint8Array;
      readonly addressValidated: boolean;
      readonly datagram: Uint8Array;
    }
  | {
      readonly type: 'receive';
      readonly handle: number;
      readonly datagram: Uint8Array;
      readonly from: string;
    }
  | { readonly type: 'auth-result'; readonly handle: number; readonly result: AuthResult }
  | {
      readonly type: 'extra-secret';
      readonly handle: number;
      readonly keyId: number;
      readonly secret: Uint8Array | undefined;
    }
  | { readonly type: 'rekey'; readonly handle: number; readonly extra: ExtraSecretInput | undefined }
  | { readonly type: 'close'; readonly handle: number; readonly reason: 'shutdown' | 'restart' }
  /** Close every session (their results follow), then answer `shutdown-done`. */
  | { readonly type: 'shutdown'; readonly reason: 'shutdown' | 'restart' };

/** What one session asked for, in order; the timer stays inside the worker. */
export type WorkerOutput = { readonly type: 'send'; readonly datagram: Uint8Array } | SessionEvent;

export interface SessionResult {
  readonly type: 'result';
  readonly handle: number;
  /** Hex session id (ours), as in EndpointEvent.session. */
  readonly sessionId: string;
  readonly outputs: readonly WorkerOutput[];
  readonly halfOpen: boolean;
  /** Closed and lingered: the worker has forgotten it; so may the main thread. */
  readonly finished: boolean;
  /** For a `receive`: the address it came from and whether the session accepted it (roaming). */
  readonly received?: { readonly from: string; readonly accepted: boolean };
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly code: string; readonly message: string }
  | SessionResult
  | { readonly type: 'misuse'; readonly handle: number; readonly code: string; readonly message: string }
  | { readonly type: 'shutdown-done' };
