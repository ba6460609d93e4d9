/**
 * Small text checks for values that end up in files, logs and script
 * environments (names from certificates, options from a server).
 * @module
 */

/** True when `text` has an ASCII control character (C0 or DEL). */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** `text` with control characters shown as '?', clipped to `max` characters: safe for one log line. */
export function printable(text: string, max = 120): string {
  let out = '';
  for (let i = 0; i < text.length && i < max; i++) {
    const c = text.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? '?' : text[i];
  }
  return text.length > max ? `${out.slice(0, max - 3)}...` : out;
}
