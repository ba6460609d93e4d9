/**
 * The negotiated key-exchange suite for log lines. The handshake's
 * `established` event does not carry it yet; when a control plane adds a
 * `suite` field it is used, otherwise the log says honestly what was offered.
 * @module
 */

export function suiteOf(e: object, offered: readonly string[]): string {
  const suite = (e as { suite?: unknown }).suite;
  if (typeof suite === 'string') return suite;
  return `one of ${offered.join(', ')} (the handshake does not report which yet)`;
}
