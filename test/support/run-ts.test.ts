import { describe, expect, it } from 'vitest';
import { runCli } from './run-ts.js';

describe('test support: running the CLI from sources in a child process', () => {
  it('prints help and exits 0', () => {
    const result = runCli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('pqvpn <command>');
  });

  it('exits 2 with one clear line on an unknown command', () => {
    const result = runCli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^ERROR: .*frobnicate/m);
  });
});
