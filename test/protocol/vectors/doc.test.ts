/** docs/PROTOCOL.md names every KDF label, alert, message type and KEM suite the code defines. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, MAX_MESSAGE_LENGTH } from '../../../src/protocol/handshake/constants.js';
import { ML_KEM_1024, X_WING } from '../../../src/protocol/handshake/kem-suites.js';
import { INITIAL_SALT_INPUT, Label, SignatureContext } from '../../../src/protocol/handshake/labels.js';
import { messageName } from './gen-handshake.js';

const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
const section = (n: string) =>
  doc.slice(doc.indexOf(`\n### ${n} `), doc.indexOf('\n### ', doc.indexOf(`\n### ${n} `) + 5));

describe('docs/PROTOCOL.md matches the code', () => {
  it('§6.7 lists every label, signature context and the Initial salt', () => {
    const registry = section('6.7');
    for (const label of Object.values(Label)) expect(registry).toContain(`\`${label}\``);
    for (const ctx of Object.values(SignatureContext)) expect(registry).toContain(`"${ctx}"`);
    expect(registry).toContain(`"${INITIAL_SALT_INPUT}"`);
  });
  it('§10.1 lists every alert with its code', () => {
    const alerts = section('10.1');
    for (const [code, name] of Object.entries(ALERT_NAMES))
      expect(alerts).toMatch(new RegExp(`\\| ${code} \\| ${name} \\|`));
  });
  it('§5.1 lists every message type with its maximum body', () => {
    const types = section('5.1');
    for (const [type, max] of Object.entries(MAX_MESSAGE_LENGTH)) {
      const row = new RegExp(
        `\\| ${type}\\s+\\| ${messageName(Number(type))}\\s+\\|[^\\n]*\\| ${max.toLocaleString('en').replace(/,/g, ' ')}`,
      );
      expect(types).toMatch(row);
    }
  });
  it('§5.4 lists the KEM suites with their sizes', () => {
    const suites = section('5.4');
    for (const s of [X_WING, ML_KEM_1024]) {
      const cp = `0x${s.codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
      expect(suites).toMatch(
        new RegExp(`\`${cp}\`[^\\n]*\\| ${s.publicKeyBytes} \\| ${s.cipherTextBytes} \\| 32 \\|`),
      );
    }
  });
});
