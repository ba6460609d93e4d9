import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetnsCommandError, NetnsLab, uniqueNetnsName } from './netns.js';
import { describeRoot, gateDecision } from './root.js';

function hostNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Running (a zombie waiting for a reaper counts as gone: it holds no namespace). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('test support: root gate', () => {
  it('runs when nothing is missing, skips with the reason otherwise, fails when root is required', () => {
    expect(gateDecision(undefined, false)).toEqual({ kind: 'run' });
    expect(gateDecision(undefined, true)).toEqual({ kind: 'run' });
    expect(gateDecision('needs root', false)).toEqual({ kind: 'skip', reason: 'needs root' });
    expect(gateDecision('needs root', true)).toEqual({ kind: 'fail', reason: 'needs root' });
  });

  it('names namespaces uniquely per process and thread, within the 15-byte-free netns name rules', () => {
    const a = uniqueNetnsName();
    const b = uniqueNetnsName();
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^pqt-${process.pid}-\\d+-\\d+$`));
  });
});

describeRoot('test support: network namespaces', () => {
  it('joins two namespaces with a veth pair (IPv4 and IPv6) and runs commands inside them', async () => {
    const lab = new NetnsLab();
    try {
      const a = await lab.namespace();
      const b = await lab.namespace();
      expect(hostNamespaces()).toEqual(expect.arrayContaining([a.name, b.name]));
      const pair = await lab.veth(a, b, {
        a: ['10.77.0.1/24', 'fd77::1/64'],
        b: ['10.77.0.2/24', 'fd77::2/64'],
      });
      const addrs = (await lab.exec(b, ['ip', '-o', 'addr', 'show', 'dev', pair.b])).stdout;
      expect(addrs).toContain('10.77.0.2/24');
      expect(addrs).toContain('fd77::2/64');
      await lab.exec(a, ['ping', '-c1', '-W2', '10.77.0.2']);
      await lab.exec(a, ['ping', '-6', '-c1', '-W2', 'fd77::2']);
      // The namespaces are isolated from the host: the host has no route to them.
      expect(execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' })).not.toContain('10.77.0.');
    } finally {
      await lab.cleanup();
    }
  });

  it('rejects a failing command with its exit code and stderr', async () => {
    const lab = new NetnsLab();
    try {
      const a = await lab.namespace();
      const error = await lab.exec(a, ['sh', '-c', 'echo oops >&2; exit 3']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetnsCommandError);
      expect((error as NetnsCommandError).exitCode).toBe(3);
      expect((error as NetnsCommandError).stderr).toContain('oops');
    } finally {
      await lab.cleanup();
    }
  });

  it('cleanup kills spawned processes and stray ones inside its namespaces, deletes exactly its namespaces, and can run twice', async () => {
    const lab = new NetnsLab();
    const bystander = new NetnsLab();
    const other = await bystander.namespace();
    try {
      const a = await lab.namespace();
      const child = lab.spawn(a, ['sleep', '300']);
      // A grandchild that ignores TERM and is not known to the lab by pid.
      const stray = Number(
        (await lab.exec(a, ['sh', '-c', "trap '' TERM; sleep 300 >/dev/null 2>&1 & echo $!"])).stdout.trim(),
      );
      expect(child.pid).toBeGreaterThan(1);
      expect(alive(stray)).toBe(true);
      await lab.cleanup(200);
      expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
      await expect.poll(() => alive(stray)).toBe(false);
      const left = hostNamespaces();
      expect(left).not.toContain(a.name);
      expect(left).toContain(other.name);
      expect(lab.namespaces).toEqual([]);
      await lab.cleanup();
      // A deleted namespace can no longer be used through the lab.
      expect(() => lab.spawn(a, ['true'])).toThrow(/does not belong/);
    } finally {
      await bystander.cleanup();
    }
    expect(hostNamespaces()).not.toContain(other.name);
  });

  it('refuses namespaces it did not create', async () => {
    const lab = new NetnsLab();
    await expect(lab.exec({ name: 'not-ours' }, ['true'])).rejects.toThrow(/does not belong/);
  });
});
