/**
 * The sig-plugin loader: the example third-party plugin loads, registers and
 * works through the registry; every malformed plugin is refused with
 * PLUGIN_INVALID naming the rule, every unimportable one with PLUGIN_LOAD_FAILED.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSignaturePlugin,
  loadSignaturePlugins,
  validateSignaturePlugin,
} from '../../src/crypto/signature-plugin.js';
import {
  signatureSchemeByCodePoint,
  signatureSchemeByName,
  signatureSchemeByOid,
} from '../../src/crypto/signature-schemes.js';

const EXAMPLE_PLUGIN = resolve('test/fixtures/plugins/example-picnic-style.mjs');
const NOBLE_ML_DSA = pathToFileURL(resolve('node_modules/@noble/post-quantum/ml-dsa.js')).href;

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-plugin-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

let counter = 0;
/** A plugin module over ML-DSA-44 with `fields` overriding the scheme's properties (JS source). */
async function plugin(fields: string, exportLine = 'export default scheme;'): Promise<string> {
  const path = join(dir, `p${counter++}.mjs`);
  await fs.writeFile(
    path,
    `import { ml_dsa44 as m } from '${NOBLE_ML_DSA}';
const scheme = {
  name: 'test-scheme-${counter}',
  oid: '1.3.6.1.4.1.32473.99.${counter}',
  codePoint: ${0xfe80 + counter},
  seedBytes: 32,
  publicKeyBytes: m.lengths.publicKey,
  signatureBytes: m.lengths.signature,
  keygen: (seed) => m.keygen(seed),
  sign: (sk, msg) => m.sign(msg, sk),
  verify: (pk, msg, sig) => { try { return m.verify(sig, msg, pk); } catch { return false; } },
  ${fields}
};
${exportLine}
`,
  );
  return path;
}

async function refusal(path: string): Promise<{ code: string; message: string }> {
  try {
    await loadSignaturePlugin(path);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('plugin was accepted');
}

describe('the example Picnic-style plugin', () => {
  it('loads, registers under its name, OID and code point, and signs through the registry', async () => {
    const scheme = await loadSignaturePlugin(EXAMPLE_PLUGIN);
    expect(scheme.name).toBe('example-picnic-style');
    expect(signatureSchemeByName('example-picnic-style')).toBe(scheme);
    expect(signatureSchemeByOid('1.3.6.1.4.1.32473.1.1')).toBe(scheme);
    expect(signatureSchemeByCodePoint(0xfe42)).toBe(scheme);
    expect(Object.isFrozen(scheme)).toBe(true);
    const { publicKey, secretKey } = scheme.keygen(new Uint8Array(48).fill(9));
    const sig = scheme.sign(secretKey, Uint8Array.of(1, 2, 3));
    expect(scheme.verify(publicKey, Uint8Array.of(1, 2, 3), sig)).toBe(true);
    expect(scheme.verify(publicKey, Uint8Array.of(1, 2, 4), sig)).toBe(false);
    expect(scheme.verify(publicKey.subarray(1), Uint8Array.of(1, 2, 3), sig)).toBe(false);
  });

  it('loading the same file again returns the registered scheme (driver and worker both load it)', async () => {
    const [again] = await loadSignaturePlugins([EXAMPLE_PLUGIN]);
    expect(again).toBe(signatureSchemeByName('example-picnic-style'));
  });
});

describe('plugins that are refused', () => {
  it('a plugin over the same base with nothing wrong is accepted (the fixture itself is sound)', async () => {
    const scheme = await loadSignaturePlugin(await plugin(''));
    expect(signatureSchemeByName(scheme.name)).toBe(scheme);
  });

  it.each([
    ['no default export (and no "scheme")', '', 'export const other = scheme;', /no default export/],
    [
      'default and scheme differ',
      '',
      'export default scheme; export const scheme2 = 1; export { scheme2 as scheme };',
      /differ/,
    ],
    ['a non-object export', '', 'export default 42;', /not a scheme object/],
    ['an upper-case name', "name: 'Bad-Name',", undefined, /name must be a string/],
    ['a name too short', "name: 'x',", undefined, /name must be a string/],
    ['a built-in name', "name: 'ml-dsa-65',", undefined, /already taken/],
    ['a non-dotted OID', "oid: 'picnic',", undefined, /dotted OID/],
    ['an OID with a leading zero arc', "oid: '1.3.06.1',", undefined, /dotted OID/],
    ['a built-in OID', "oid: '2.16.840.1.101.3.4.3.18',", undefined, /already used by ml-dsa-65/],
    ['a code point outside private use', 'codePoint: 0x0905,', undefined, /0xfe00 to 0xffff/],
    ["Falcon's code point", 'codePoint: 0xfe01,', undefined, /reserved for falcon-512/],
    ['a fractional code point', 'codePoint: 65100.5,', undefined, /codePoint must be an integer/],
    ['a zero seed size', 'seedBytes: 0,', undefined, /seedBytes must be an integer/],
    ['a string size', "publicKeyBytes: '1312',", undefined, /publicKeyBytes must be an integer/],
    [
      'a signature too big for the wire',
      'signatureBytes: 70000,',
      undefined,
      /signatureBytes must be an integer/,
    ],
    ['keygen not a function', 'keygen: 5,', undefined, /keygen must be a function/],
    ['verify missing', 'verify: undefined,', undefined, /verify must be a function/],
  ])('%s', async (_what, fields, exportLine, message) => {
    const e = await refusal(await plugin(fields, exportLine));
    expect(e.code).toBe('PLUGIN_INVALID');
    expect(e.message).toMatch(message);
  });

  it('a code point already taken by a loaded plugin', async () => {
    await loadSignaturePlugin(EXAMPLE_PLUGIN);
    const e = await refusal(await plugin('codePoint: 0xfe42,'));
    expect(e).toMatchObject({
      code: 'PLUGIN_INVALID',
      message: expect.stringMatching(/example-picnic-style/),
    });
  });

  it.each([
    [
      'keygen is not deterministic',
      'keygen: (seed) => m.keygen(crypto.getRandomValues(new Uint8Array(32))),',
      /not deterministic/,
    ],
    ['a public key of the wrong size', 'publicKeyBytes: 1000,', /1312-byte public key/],
    ['sign throws', "sign: () => { throw new Error('HSM offline'); },", /sign threw \(HSM offline\)/],
    ['sign returns too much', 'signatureBytes: 100,', /sign must return 1..100 bytes/],
    ['verify accepts anything', 'verify: () => true,', /one bit flipped returned true/],
    ['verify rejects its own signature', 'verify: () => false,', /rejected a signature/],
    [
      'verify throws on garbage',
      "verify: (pk, msg, sig) => { if (sig.length === 0) throw new Error('boom'); return m.verify(sig, msg, pk); },",
      /empty signature threw/,
    ],
    [
      'verify returns a truthy non-boolean',
      'verify: (pk, msg, sig) => (m.verify(sig, msg, pk) ? 1 : 0),',
      /rejected a signature/,
    ],
  ])('self-test: %s', async (_what, fields, message) => {
    const e = await refusal(await plugin(fields));
    expect(e.code).toBe('PLUGIN_INVALID');
    expect(e.message).toMatch(/self-test/);
    expect(e.message).toMatch(message);
  });

  it('a refused plugin is not registered', async () => {
    const path = await plugin('verify: () => true,');
    await refusal(path);
    const name = `test-scheme-${counter}`;
    expect(() => signatureSchemeByName(name)).toThrow(/unknown signature scheme/);
  });

  it('missing files, syntax errors and throwing modules are PLUGIN_LOAD_FAILED', async () => {
    expect(await refusal(join(dir, 'nope.mjs'))).toMatchObject({
      code: 'PLUGIN_LOAD_FAILED',
      message: expect.stringContaining('no such file'),
    });
    const syntax = join(dir, 'syntax.mjs');
    await fs.writeFile(syntax, 'export default {');
    expect(await refusal(syntax)).toMatchObject({
      code: 'PLUGIN_LOAD_FAILED',
      message: expect.stringContaining('cannot be imported'),
    });
    const throwing = join(dir, 'throws.mjs');
    await fs.writeFile(throwing, "throw new Error('no licence');");
    expect(await refusal(throwing)).toMatchObject({
      code: 'PLUGIN_LOAD_FAILED',
      message: expect.stringContaining('no licence'),
    });
    expect(await refusal(dir)).toMatchObject({ code: 'PLUGIN_LOAD_FAILED' });
  });

  it('validateSignaturePlugin works on objects too (for plugins bundled in-process)', () => {
    expect(() => validateSignaturePlugin(null)).toThrow(/not a scheme object/);
    expect(() => validateSignaturePlugin({ name: 'ok-name' })).toThrow(/oid must be/);
  });
});

describe('the hardened copy', () => {
  it('verify of a registered plugin returns false when the plugin throws on hostile input', async () => {
    const path = await plugin(
      "verify: (pk, msg, sig) => { if (sig.length === 7) throw new Error('crash'); try { return m.verify(sig, msg, pk); } catch { return false; } },",
    );
    const scheme = await loadSignaturePlugin(path);
    const { publicKey } = scheme.keygen(new Uint8Array(32));
    expect(scheme.verify(publicKey, new Uint8Array(1), new Uint8Array(7))).toBe(false);
    expect(scheme.verify(publicKey, new Uint8Array(1), new Uint8Array(scheme.signatureBytes + 1))).toBe(
      false,
    );
    expect(() => scheme.keygen(new Uint8Array(31))).toThrow(/32-byte seed/);
  });
});
