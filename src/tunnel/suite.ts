/**
 * The negotiated suites for log lines: the KEM suite of the handshake's
 * `established` event and, when the peer presented a certificate, its
 * signature scheme.
 * @module
 */

export function suiteOf(e: { readonly suite: string; readonly peerScheme?: string }): string {
  return e.peerScheme === undefined ? e.suite : `${e.suite}, peer certificate ${e.peerScheme}`;
}
