import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';

// Every command a user can type has --help with at least one example (foundation issue, CLI section).
const commands = [
  [],
  ['server'],
  ['client'],
  ['config'],
  ['config', 'check'],
  ['pki'],
  ['pki', 'init'],
  ['pki', 'issue'],
  ['pki', 'issue', 'server'],
  ['pki', 'issue', 'client'],
  ['pki', 'revoke'],
  ['pki', 'crl'],
  ['pki', 'list'],
  ['pki', 'show'],
  ['passwd'],
  ['passwd', 'add'],
  ['passwd', 'set'],
  ['passwd', 'del'],
  ['passwd', 'list'],
  ['passwd', 'check'],
  ['genkey'],
  ['genkey', 'tls-crypt'],
  ['genkey', 'psk'],
  ['kme-sim'],
  ['kme-sim', 'init'],
];

describe('pqvpn --help', () => {
  for (const command of commands) {
    it(`pqvpn ${command.join(' ')} --help shows an example and exits 0`, async () => {
      const io = memoryIO();
      expect(await run([...command, '--help'], io)).toBe(0);
      expect(io.out.join('\n')).toMatch(/Examples:\n\s+(pqvpn|printf)/);
    });
  }
});
