/**
 * The committed vector files are exactly what scripts/make-protocol-vectors.ts generates: any change
 * to a byte of the protocol (a label, a field order, a length prefix, a nonce rule) fails here.
 * `PQVPN_WRITE_VECTORS=1` rewrites them instead.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PROTOCOL_VECTOR_FILES,
  renderVectorFile,
  VECTOR_ROOT,
  writeProtocolVectors,
} from '../../../scripts/make-protocol-vectors.js';

describe('protocol vector files', () => {
  if (process.env.PQVPN_WRITE_VECTORS === '1') writeProtocolVectors();
  it.each(Object.keys(PROTOCOL_VECTOR_FILES))('%s matches its generator', (name) => {
    expect(readFileSync(`${VECTOR_ROOT}${name}`, 'utf8')).toBe(renderVectorFile(name));
  });
});
