/**
 * The one error type of the benchmark and demo scripts.
 *
 * The scripts do not import the product (they drive `bin/pqvpn.js` as a
 * subprocess, like a user would), so they carry their own small error class
 * with a stable `code`, matched by the tests and by the top-level handlers.
 * @module
 */

export class BenchError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
    this.code = code;
  }
}
