/**
 * Self time from a V8 `.cpuprofile` (what `node --cpu-prof` writes at exit).
 *
 * The file is a call tree (`nodes`, each with a `callFrame` and `children`)
 * plus a sample stream: `samples[i]` is the id of the node that was on top of
 * the stack at sample i, and `timeDeltas[i]` the microseconds since the
 * previous sample. A node's self time is the time of the samples that hit it;
 * we attribute `timeDeltas[i + 1]` to `samples[i]` (the interval that sample
 * opens), as Chrome DevTools does. Entries are merged by function + script +
 * line, so one function reached through many call paths is one row.
 *
 * `(idle)` is time the event loop waited for I/O; `(program)` is native code
 * V8 cannot attribute (libuv, syscalls, the addon); `(garbage collector)` is
 * GC. Functions without a script are Node's C++ bindings or V8 builtins
 * (e.g. `initiv` of node:crypto); they are named with their nearest script
 * caller, which tells `send` of a UDP socket from `send` of something else.
 * Shares are given of the busy (non-idle) time.
 * @module
 */

import { BenchError } from './errors.js';

export interface ProfileEntry {
  /** `functionName file:line`, with the file relative to the repository when it is inside it. */
  readonly name: string;
  /** The script (shortened), '' for V8's pseudo-entries. */
  readonly file: string;
  readonly selfMs: number;
  /** Share of busy (non-idle) time, 0..1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  /** Functions by self time, largest first. */
  readonly functions: readonly ProfileEntry[];
  /** Scripts (modules) by self time, largest first; V8 pseudo-entries are their own rows. */
  readonly files: readonly ProfileEntry[];
  /** Self time by activity of the packet path (see ACTIVITIES), largest first. */
  readonly activities: readonly ProfileEntry[];
}

/**
 * What a packet-path function is doing, decided by its row name (which for a
 * native function includes its script caller). First match wins.
 */
export const ACTIVITIES: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  {
    name: 'TUN device read/write (addon; a write includes the kernel delivering the packet)',
    pattern: /dist\/tun\//,
  },
  { name: 'UDP socket send/receive (node:dgram)', pattern: /node:dgram|udp_wrap/ },
  {
    name: 'AES-256-GCM through node:crypto (a cipher object per packet)',
    pattern: /node:(?:internal\/)?crypto/,
  },
  { name: 'garbage collection', pattern: /^\(garbage collector\)$/ },
  { name: '(program): native time V8 cannot attribute (libuv, addon callbacks)', pattern: /^\(program\)$/ },
  { name: 'pqvpn JavaScript (dist/), with the natives it calls directly', pattern: /dist\// },
  { name: 'other Node internals (buffers, events, timers)', pattern: /./ },
];

function activityOf(name: string): string {
  return ACTIVITIES.find((a) => a.pattern.test(name))?.name ?? 'other';
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** Summarizes a `.cpuprofile` JSON text. `root` is stripped from script URLs to shorten them. */
export function summarizeCpuProfile(text: string, root = ''): ProfileSummary {
  const doc = parseProfile(text);
  const frames = new Map<number, CallFrame>();
  const parents = new Map<number, number>();
  for (const node of doc.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children) parents.set(child, node.id);
  }
  /** The nearest ancestor that is a script function: who called a native function. */
  const caller = (id: number): string => {
    for (let p = parents.get(id); p !== undefined; p = parents.get(p)) {
      const f = frames.get(p);
      if (f?.url) return `${f.functionName || '(anonymous)'} ${shortUrl(f.url, root)}:${f.lineNumber + 1}`;
    }
    return '?';
  };
  const byFunction = new Map<string, { file: string; us: number }>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const { samples, timeDeltas } = doc;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const frame = frames.get(id);
    if (!frame) continue;
    const us = Math.max(0, timeDeltas[i + 1] ?? 0);
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = shortUrl(frame.url, root);
    const pseudo = frame.functionName.startsWith('(');
    const name = file
      ? `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`
      : pseudo
        ? frame.functionName
        : `${frame.functionName || '(anonymous)'} (native, from ${caller(id)})`;
    const entry = byFunction.get(name) ?? { file, us: 0 };
    entry.us += us;
    byFunction.set(name, entry);
    const fileKey = file || (pseudo ? frame.functionName : '(native functions of Node and V8)');
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  const functions = [...byFunction.entries()]
    .map(([name, e]) => ({ name, file: e.file, selfMs: e.us / 1000, share: share(e.us) }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const files = [...byFile.entries()]
    .map(([name, us]) => ({ name, file: name, selfMs: us / 1000, share: share(us) }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const byActivity = new Map<string, number>();
  for (const [name, e] of byFunction)
    byActivity.set(activityOf(name), (byActivity.get(activityOf(name)) ?? 0) + e.us);
  const activities = [...byActivity.entries()]
    .map(([name, us]) => ({ name, file: '', selfMs: us / 1000, share: share(us) }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    functions,
    files,
    activities,
  };
}

/** `file:///work/main/dist/x.js` → `dist/x.js`; `node:internal/…` stays as it is. */
export function shortUrl(url: string, root: string): string {
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (root && u.startsWith(`${root}/`)) u = u.slice(root.length + 1);
  return u;
}

interface ProfileDoc {
  nodes: { id: number; callFrame: CallFrame; children: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function parseProfile(text: string): ProfileDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new BenchError('PROFILE_BAD_JSON', 'the .cpuprofile is not JSON', { cause });
  }
  if (typeof doc !== 'object' || doc === null)
    throw new BenchError('PROFILE_BAD', 'the .cpuprofile is not an object');
  const d = doc as Record<string, unknown>;
  if (!Array.isArray(d.nodes) || !Array.isArray(d.samples) || !Array.isArray(d.timeDeltas))
    throw new BenchError('PROFILE_BAD', 'the .cpuprofile lacks nodes, samples or timeDeltas');
  const nodes: ProfileDoc['nodes'] = [];
  for (const n of d.nodes as unknown[]) {
    const node = n as {
      id?: unknown;
      callFrame?: Partial<Record<keyof CallFrame, unknown>>;
      children?: unknown;
    };
    const cf = node.callFrame;
    if (typeof node.id !== 'number' || !cf)
      throw new BenchError('PROFILE_BAD', 'a profile node lacks id or callFrame');
    nodes.push({
      id: node.id,
      callFrame: {
        functionName: typeof cf.functionName === 'string' ? cf.functionName : '',
        url: typeof cf.url === 'string' ? cf.url : '',
        lineNumber: typeof cf.lineNumber === 'number' ? cf.lineNumber : -1,
      },
      children: Array.isArray(node.children)
        ? node.children.filter((c): c is number => typeof c === 'number')
        : [],
    });
  }
  return {
    nodes,
    samples: (d.samples as unknown[]).map(Number),
    timeDeltas: (d.timeDeltas as unknown[]).map(Number),
  };
}
