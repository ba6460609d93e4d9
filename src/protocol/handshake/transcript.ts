/**
 * The running transcript hash: SHA-384 over the encoded handshake messages
 * (header and body) in the order they were sent, as TLS 1.3 §4.4.1. Alerts,
 * acknowledgements and packet headers are not part of it.
 * @module
 */

import { createHash, type Hash } from 'node:crypto';

export class Transcript {
  #hash: Hash = createHash('sha384');
  #messages = 0;

  add(rawMessage: Uint8Array): void {
    this.#hash.update(rawMessage);
    this.#messages++;
  }

  /** The hash of everything added so far (the running state is kept). */
  current(): Uint8Array {
    return new Uint8Array(this.#hash.copy().digest());
  }

  get messageCount(): number {
    return this.#messages;
  }
}
