import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText, quoteToken, splitLine } from '../../src/config/tokenizer.js';
import { ValueError } from '../../src/config/values.js';
import { ConfigErrors } from '../../src/errors.js';

const source = { file: 'x.ovpn', dir: '/etc/pqvpn' };

function syntaxErrors(text: string): { code: string; line: number | undefined; message: string }[] {
  try {
    parseConfigText(text, source);
  } catch (e) {
    if (e instanceof ConfigErrors)
      return e.errors.map((x) => ({ code: x.code, line: x.location?.line, message: x.message }));
    throw e;
  }
  return [];
}

function lineError(line: string): string {
  try {
    splitLine(line);
  } catch (e) {
    if (e instanceof ValueError) return e.code;
    throw e;
  }
  return 'none';
}

describe('splitLine (OpenVPN parse_line)', () => {
  it('splits on spaces and tabs', () => {
    expect(splitLine('remote  vpn.example.com\t1194 ')).toEqual(['remote', 'vpn.example.com', '1194']);
    expect(splitLine('   ')).toEqual([]);
  });

  it('treats # and ; at the start of a token as a comment, elsewhere as text', () => {
    expect(splitLine('# comment')).toEqual([]);
    expect(splitLine('  ; indented comment')).toEqual([]);
    expect(splitLine('key server.key  # This file should be kept secret')).toEqual(['key', 'server.key']);
    expect(splitLine('key server.key ;secret')).toEqual(['key', 'server.key']);
    expect(splitLine('setenv A b#c;d')).toEqual(['setenv', 'A', 'b#c;d']);
    // As in OpenVPN, the comment check comes before the escape: `\#` at a token start is still a comment.
    expect(splitLine('setenv A \\#x')).toEqual(['setenv', 'A']);
  });

  it('keeps spaces inside double and single quotes, and allows empty parameters', () => {
    expect(splitLine('push "route 10.0.0.0 255.0.0.0"')).toEqual(['push', 'route 10.0.0.0 255.0.0.0']);
    expect(splitLine("setenv NAME 'a b'")).toEqual(['setenv', 'NAME', 'a b']);
    expect(splitLine('setenv NAME ""')).toEqual(['setenv', 'NAME', '']);
    expect(splitLine('a "#not a comment"')).toEqual(['a', '#not a comment']);
  });

  it('ends a quoted parameter at its closing quote even without a space', () => {
    expect(splitLine('"ab"cd')).toEqual(['ab', 'cd']);
    expect(splitLine('\'ab\'"c d"')).toEqual(['ab', 'c d']);
  });

  it('keeps a quote in the middle of an unquoted token', () => {
    expect(splitLine('ab"cd')).toEqual(['ab"cd']);
    expect(splitLine("it's")).toEqual(["it's"]);
  });

  it('applies backslash escapes outside single quotes only', () => {
    expect(splitLine('ca C:\\\\keys\\\\ca.crt')).toEqual(['ca', 'C:\\keys\\ca.crt']);
    expect(splitLine('a\\ b')).toEqual(['a b']);
    expect(splitLine('"say \\"hi\\""')).toEqual(['say "hi"']);
    expect(splitLine('\\"quoted')).toEqual(['"quoted']);
    expect(splitLine("'C:\\keys\\ca.crt'")).toEqual(['C:\\keys\\ca.crt']);
  });

  it('rejects other escapes, as OpenVPN does', () => {
    expect(lineError('ca C:\\keys\\ca.crt')).toBe('CONFIG_BAD_ESCAPE');
    expect(lineError('"\\n"')).toBe('CONFIG_BAD_ESCAPE');
    expect(lineError('"it\\\'s"')).toBe('CONFIG_BAD_ESCAPE');
    expect(lineError('trailing\\')).toBe('CONFIG_BAD_ESCAPE');
  });

  it('rejects unterminated quotes', () => {
    expect(lineError('push "route 10.0.0.0')).toBe('CONFIG_UNTERMINATED_QUOTE');
    expect(lineError("setenv A 'x")).toBe('CONFIG_UNTERMINATED_QUOTE');
  });

  it('allows a name and 15 parameters, and no more', () => {
    expect(splitLine(Array.from({ length: 16 }, (_, i) => `t${i}`).join(' '))).toHaveLength(16);
    expect(lineError(Array.from({ length: 17 }, (_, i) => `t${i}`).join(' '))).toBe(
      'CONFIG_TOO_MANY_PARAMETERS',
    );
  });

  it('reads back any tokens printed with quoteToken', () => {
    const token = fc.string({
      unit: fc.constantFrom('a', ' ', '\t', '"', "'", '\\', '#', ';', 'é', '<', 'x', '1'),
    });
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 16 }), (tokens) => {
        expect(splitLine(tokens.map(quoteToken).join(' '))).toEqual(tokens);
      }),
    );
  });
});

describe('parseConfigText', () => {
  it('gives each directive its line and drops a leading --', () => {
    const { directives } = parseConfigText('# c\n\nclient\n--verb 4\n', source);
    expect(directives).toEqual([
      { name: 'client', args: [], location: { file: 'x.ovpn', line: 3 } },
      { name: 'verb', args: ['4'], location: { file: 'x.ovpn', line: 4 } },
    ]);
  });

  it('ignores a byte-order mark and CR before LF', () => {
    const { directives } = parseConfigText('\uFEFFclient\r\nverb 3\r\n', source);
    expect(directives.map((d) => [d.name, d.args])).toEqual([
      ['client', []],
      ['verb', ['3']],
    ]);
  });

  it('reads inline blocks verbatim, with the closing tag allowed to be indented', () => {
    const text = 'client\n<ca>\n-----BEGIN CERTIFICATE-----\n  indented\n\nAAAA\n  </ca>\nverb 3\n';
    const { directives } = parseConfigText(text, source);
    expect(directives[1]).toEqual({
      name: 'ca',
      args: [],
      location: { file: 'x.ovpn', line: 2 },
      inline: '-----BEGIN CERTIFICATE-----\n  indented\n\nAAAA\n',
    });
    expect(directives[2]).toMatchObject({ name: 'verb', location: { line: 8 } });
  });

  it('does not tokenize inside a block (quotes and comments are content)', () => {
    const { directives } = parseConfigText('<tls-crypt>\n# 2048 bit key\n"quoted\n</tls-crypt>\n', source);
    expect(directives[0]?.inline).toBe('# 2048 bit key\n"quoted\n');
  });

  it('pairs "name [inline]" with the following block and keeps its other parameters', () => {
    const text = 'tls-auth [inline] 1\nverb 3\n<tls-auth>\nKEY\n</tls-auth>\nca [INLINE]\n<ca>\nCA\n</ca>\n';
    const { directives } = parseConfigText(text, source);
    expect(directives.map((d) => [d.name, d.args, d.inline, d.location.line])).toEqual([
      ['tls-auth', ['1'], 'KEY\n', 1],
      ['verb', ['3'], undefined, 2],
      ['ca', [], 'CA\n', 6],
    ]);
  });

  it('reports every syntax error with its line', () => {
    const text = [
      'client',
      'push "route 10.0.0.0', // 2
      'ca C:\\keys', // 3
      '</cert>', // 4
      '<key> extra', // 5
      'verb 3 \0', // 6
      `setenv A ${'x'.repeat(9000)}`, // 7
      'cert [inline]', // 8
      '<ca>', // 9
      'never closed',
    ].join('\n');
    expect(syntaxErrors(text).map((e) => [e.code, e.line])).toEqual([
      ['CONFIG_UNTERMINATED_QUOTE', 2],
      ['CONFIG_BAD_ESCAPE', 3],
      ['CONFIG_INLINE_UNMATCHED', 4],
      ['CONFIG_SYNTAX', 5],
      ['CONFIG_SYNTAX', 6],
      ['CONFIG_LINE_TOO_LONG', 7],
      ['CONFIG_INLINE_UNTERMINATED', 9],
      ['CONFIG_INLINE_MISSING', 8],
    ]);
  });

  it('names the file and line in the message', () => {
    const [e] = syntaxErrors('client\n<ca>\nxx\n');
    expect(e?.message).toBe('x.ovpn:2: inline block <ca> has no closing </ca>');
  });

  it('parses OpenVPN sample text with inline blocks (loopback-client style)', () => {
    const text =
      '#key sample-keys/client.key\n<key>\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n</key>\nping 1\n';
    const { directives } = parseConfigText(text, source);
    expect(directives.map((d) => d.name)).toEqual(['key', 'ping']);
  });
});
