/**
 * Regenerates the protocol test vectors under test/vectors/control and test/vectors/handshake
 * (docs/PROTOCOL.md §14) from fixed seeds and labelled inputs. Nothing here is random: the same code
 * gives the same bytes on every machine, and test/protocol/vectors/files.test.ts fails when the files
 * and this generator disagree (a byte of the protocol changed).
 *
 * Node 20 cannot run TypeScript directly, so the files are written through vitest:
 *
 *   PQVPN_WRITE_VECTORS=1 npx vitest run test/protocol/vectors/files.test.ts
 *
 * Regenerate only when the protocol changes on purpose (which needs a new protocol version).
 * @module
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cookieVectors,
  fragmentationVectors,
  packetsVectors,
  tlsCryptVectors,
} from '../test/protocol/vectors/gen-control.js';
import { keyScheduleVectors, messagesVectors } from '../test/protocol/vectors/gen-handshake.js';
import { transcriptVectors } from '../test/protocol/vectors/gen-transcript.js';
import type { Json } from '../test/protocol/vectors/json.js';

/** test/vectors, as an absolute path. */
export const VECTOR_ROOT = fileURLToPath(new URL('../test/vectors/', import.meta.url));

/** File (relative to test/vectors) → generator. */
export const PROTOCOL_VECTOR_FILES: Readonly<Record<string, () => Json>> = {
  'handshake/messages.json': messagesVectors,
  'handshake/key-schedule.json': keyScheduleVectors,
  'handshake/transcript.json': transcriptVectors,
  'control/packets.json': packetsVectors,
  'control/fragmentation.json': fragmentationVectors,
  'control/tls-crypt.json': tlsCryptVectors,
  'control/cookie.json': cookieVectors,
};

/** The exact text each vector file must contain. */
export function renderVectorFile(name: string): string {
  const generate = PROTOCOL_VECTOR_FILES[name];
  if (!generate) throw new Error(`unknown vector file ${name}`);
  return `${JSON.stringify(generate(), null, 2)}\n`;
}

export function writeProtocolVectors(): string[] {
  const written: string[] = [];
  for (const name of Object.keys(PROTOCOL_VECTOR_FILES)) {
    const path = `${VECTOR_ROOT}${name}`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderVectorFile(name));
    written.push(path);
  }
  return written;
}
