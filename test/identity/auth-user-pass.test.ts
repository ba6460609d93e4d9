import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InlineContent } from '../../src/config/model.js';
import { readAuthUserPass } from '../../src/identity/auth-user-pass.js';
import { makePki, type Pki } from './pki-fixture.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki(9);
});
afterAll(() => pki.cleanup());

const f = (path: string) => ({ kind: 'file', path }) as const;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const noTty = { promptHidden: async () => undefined };

describe('readAuthUserPass (OpenVPN auth-user-pass format)', () => {
  it('reads username from line 1 and password from line 2, dropping CR', async () => {
    const path = await pki.file('a.auth', 'alice\r\nsecret pass\r\n', 0o600);
    const c = await readAuthUserPass(f(path), noTty);
    expect(c.username).toBe('alice');
    expect(text(c.password)).toBe('secret pass');
  });

  it('reads an inline block (first newline after the tag skipped)', async () => {
    const c = await readAuthUserPass(new InlineContent('\nbob\nhunter2\n'), noTty);
    expect([c.username, text(c.password)]).toEqual(['bob', 'hunter2']);
  });

  it('asks for the password when the file has only the username, and for both without a file', async () => {
    const path = await pki.file('u.auth', 'carol\n', 0o600);
    const prompts: string[] = [];
    const promptHidden = async (p: string) => {
      prompts.push(p);
      return p.includes('Username') ? 'dave' : 'typed';
    };
    const c = await readAuthUserPass(f(path), { promptHidden });
    expect([c.username, text(c.password), prompts]).toEqual(['carol', 'typed', ['Enter Auth Password: ']]);
    const d = await readAuthUserPass(undefined, { promptHidden });
    expect(d.username).toBe('dave');
  });

  it('fails clearly: missing file, no terminal, empty username, empty password, oversized, control characters', async () => {
    await expect(readAuthUserPass(f(`${pki.dir}/missing.auth`), noTty)).rejects.toMatchObject({
      code: 'SOURCE_MISSING',
      message: expect.stringContaining('missing.auth'),
    });
    await expect(readAuthUserPass(undefined, noTty)).rejects.toMatchObject({ code: 'AUTH_USER_PASS_NO_TTY' });
    await expect(readAuthUserPass(undefined, {})).rejects.toMatchObject({ code: 'AUTH_USER_PASS_NO_TTY' });
    const cases: [string, string][] = [
      ['\npassword\n', 'AUTH_USER_PASS_EMPTY'],
      ['alice\n\n', 'AUTH_USER_PASS_EMPTY'],
      [`${'u'.repeat(256)}\npw\n`, 'AUTH_USER_PASS_INVALID'],
      [`alice\n${'p'.repeat(1025)}\n`, 'AUTH_USER_PASS_INVALID'],
      ['al\tice\npw\n', 'AUTH_USER_PASS_INVALID'],
      ['alice\npw\u0000x\n', 'AUTH_USER_PASS_INVALID'],
    ];
    for (const [content, code] of cases) {
      const path = await pki.file('bad.auth', content, 0o600);
      await expect(readAuthUserPass(f(path), noTty), JSON.stringify(content)).rejects.toMatchObject({ code });
    }
  });

  it('never puts the password in an error message', async () => {
    const path = await pki.file('long.auth', `alice\nTOPSECRET${'x'.repeat(1100)}\n`, 0o600);
    const error = await readAuthUserPass(f(path), noTty).catch((e: Error) => e);
    expect((error as Error).message).not.toContain('TOPSECRET');
  });
});
