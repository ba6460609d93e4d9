/**
 * A small, strict DER codec (ITU-T X.690 Distinguished Encoding Rules) for the
 * subset of ASN.1 that X.509 certificates, CRLs and PKCS#8 keys use.
 *
 * Why our own: we parse certificates that a peer sends during the handshake, so
 * the parser must be strict and its memory bounded. It accepts exactly one
 * encoding of every value and rejects everything BER would also allow:
 * - lengths: definite only (no `0x80` indefinite form), minimal (no `0x81 0x05`,
 *   no leading zero length octets), at most 4 length octets, never past the input;
 * - tags: single-octet (low tag number) identifiers only; universal types have the
 *   form DER requires (SEQUENCE/SET constructed, strings and INTEGERs primitive);
 * - BOOLEAN is exactly `0x00` or `0xFF`; INTEGER is minimal two's complement;
 *   BIT STRING has 0–7 unused bits that are zero; OBJECT IDENTIFIER arcs are
 *   minimal base-128; SET OF elements are sorted; no trailing bytes after the
 *   top-level element; nesting is limited to `maxDepth`.
 *
 * Encoding is a set of functions that each return one complete TLV as bytes
 * (`derSequence(derInteger(1n), derOid('2.5.4.3'))`). Decoding is `parseDer`,
 * which returns a tree of `DerNode`s whose `content`/`encoded` are views into the
 * input (no copies), plus `read*` functions that check and convert one node, and a
 * `DerReader` that walks a SEQUENCE field by field.
 *
 * Times follow RFC 5280 §4.1.2.5: UTCTime (`YYMMDDHHMMSSZ`) for years 1950–2049,
 * GeneralizedTime (`YYYYMMDDHHMMSSZ`) from 2050, always in UTC with whole seconds.
 *
 * The code is split by direction (der-common.ts, der-encode.ts, der-decode.ts);
 * import everything from this module.
 * @module
 */

export * from './der-common.js';
export * from './der-decode.js';
export * from './der-encode.js';
