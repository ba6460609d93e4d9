/**
 * What src/identity/peer-verifier.ts adds to createPkiPeerVerifier (whose own
 * checks are tested in test/protocol/control/pki.test.ts): loading ca/crl-verify,
 * CRL re-read on change, the crl-verify dir mode, verify-x509-name subject,
 * remote-cert-eku and remote-cert-ku, and never throwing.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommonConfig } from '../../src/config/model.js';
import { InlineContent } from '../../src/config/model.js';
import {
  createPeerVerifier,
  loadPeerVerifierSpec,
  openvpnKeyUsageValue,
} from '../../src/identity/peer-verifier.js';
import { Logger } from '../../src/log.js';
import { ALERT_NAMES } from '../../src/protocol/handshake/constants.js';
import { alertForCertificateFailure } from '../../src/protocol/handshake/peer-auth.js';
import { makePki, type Pki } from './pki-fixture.js';

let pki: Pki;
let alice: Awaited<ReturnType<Pki['issue']>>;
let bob: Awaited<ReturnType<Pki['issue']>>;
const now = () => Date.now();

beforeAll(async () => {
  pki = await makePki(11);
  alice = await pki.issue('alice', 'client');
  bob = await pki.issue('bob', 'client', { subject: { commonName: 'bob', organization: 'Example, Inc.' } });
});
afterAll(() => pki.cleanup());

function config(extra: Partial<CommonConfig>): CommonConfig {
  return {
    ca: { kind: 'file', path: join(pki.dir, 'ca.crt') },
    sigSchemes: ['ml-dsa-44'],
    ...extra,
  } as CommonConfig;
}
const chain = (c: typeof alice) => [c.issued.certificate.der];

describe('loadPeerVerifierSpec', () => {
  it('takes every CA of a bundle as a trust anchor', async () => {
    const spec = await loadPeerVerifierSpec(
      config({ ca: { kind: 'file', path: join(pki.dir, 'both-ca.crt') } }),
    );
    expect(spec.trustAnchors).toHaveLength(2);
    expect(createPeerVerifier(spec).verify(chain(alice), 'clientAuth', now())).toMatchObject({ ok: true });
  });

  it('refuses a malformed CRL at start-up, naming the directive', async () => {
    const bad = await pki.file('bad-crl.pem', '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    await expect(
      loadPeerVerifierSpec(config({ crlVerify: { source: { kind: 'file', path: bad }, dir: false } })),
    ).rejects.toMatchObject({ code: 'IDENTITY_BAD_CRL', message: expect.stringContaining('crl-verify') });
  });

  it('an inline CRL block is carried as DER', async () => {
    const path = await pki.writeCrl([alice.issued], 'inline-crl.pem');
    const text = await fs.readFile(path, 'utf8');
    const spec = await loadPeerVerifierSpec(
      config({ crlVerify: { source: new InlineContent(text), dir: false } }),
    );
    expect(spec.crls).toHaveLength(1);
    expect(spec.crlFile).toBeUndefined();
    expect(createPeerVerifier(spec).verify(chain(alice), 'clientAuth', now())).toMatchObject({
      ok: false,
      code: 'REVOKED',
    });
  });
});

describe('createPeerVerifier', () => {
  it('re-reads crl-verify FILE when it changes (OpenVPN re-reads per connection)', async () => {
    const path = await pki.writeCrl([], 'live-crl.pem');
    const lines: string[] = [];
    const spec = await loadPeerVerifierSpec(
      config({ crlVerify: { source: { kind: 'file', path }, dir: false } }),
    );
    const v = createPeerVerifier(spec, { logger: new Logger({ verb: 3, sink: (l) => lines.push(l) }) });
    expect(v.verify(chain(alice), 'clientAuth', now()).ok).toBe(true);
    await pki.writeCrl([alice.issued], 'live-crl.pem.new');
    await fs.rename(`${path}.new`, path);
    expect(v.verify(chain(alice), 'clientAuth', now())).toMatchObject({ ok: false, code: 'REVOKED' });
    expect(v.verify(chain(bob), 'clientAuth', now()).ok).toBe(true);
    expect(lines.join('\n')).toMatch(/re-read: 1 CRL/);
  });

  it('fails closed while the CRL file is missing or broken, and recovers when fixed', async () => {
    const path = await pki.writeCrl([], 'flaky-crl.pem');
    const lines: string[] = [];
    const v = createPeerVerifier(
      await loadPeerVerifierSpec(config({ crlVerify: { source: { kind: 'file', path }, dir: false } })),
      { logger: new Logger({ verb: 3, sink: (l) => lines.push(l) }) },
    );
    await fs.writeFile(path, 'garbage that is longer than before\n');
    const broken = v.verify(chain(bob), 'clientAuth', now());
    expect(broken).toMatchObject({ ok: false, code: 'CRL_INVALID' });
    expect(alertForCertificateFailure('CRL_INVALID')).toBe(alertForCertificateFailure('BAD_SIGNATURE'));
    await fs.rm(path);
    expect(v.verify(chain(bob), 'clientAuth', now())).toMatchObject({ ok: false, code: 'CRL_INVALID' });
    await pki.writeCrl([], 'flaky-crl.pem');
    expect(v.verify(chain(bob), 'clientAuth', now()).ok).toBe(true);
    expect(lines.filter((l) => l.includes('refusing peers'))).toHaveLength(2); // once per change, not per peer
  });

  it('crl-verify DIR dir: a file named by the decimal serial revokes', async () => {
    const dir = join(pki.dir, 'crl.d');
    await fs.mkdir(dir);
    const v = createPeerVerifier(
      await loadPeerVerifierSpec(config({ crlVerify: { source: { kind: 'file', path: dir }, dir: true } })),
    );
    expect(v.verify(chain(alice), 'clientAuth', now()).ok).toBe(true);
    const serial = BigInt(`0x${alice.issued.certificate.serialHex}`).toString(10);
    await fs.writeFile(join(dir, serial), '');
    const r = v.verify(chain(alice), 'clientAuth', now());
    expect(r).toMatchObject({ ok: false, code: 'REVOKED' });
    expect(ALERT_NAMES[alertForCertificateFailure('REVOKED')]).toBe('CERTIFICATE_REVOKED');
    expect(v.verify(chain(bob), 'clientAuth', now()).ok).toBe(true);
  });

  it('verify-x509-name subject compares the whole DN in OpenVPN form (escaped commas)', async () => {
    const spec = await loadPeerVerifierSpec(
      config({ verifyX509Name: { type: 'subject', name: 'O=Example\\, Inc., CN=bob' } }),
    );
    const v = createPeerVerifier(spec);
    expect(v.verify(chain(bob), 'clientAuth', now())).toMatchObject({ ok: true, commonName: 'bob' });
    expect(v.verify(chain(alice), 'clientAuth', now())).toMatchObject({ ok: false, code: 'NAME_MISMATCH' });
    // name/name-prefix are the client machine's job, not the verifier's.
    const byName = await loadPeerVerifierSpec(config({ verifyX509Name: { type: 'name', name: 'x' } }));
    expect(byName.expectedSubject).toBeUndefined();
  });

  it('remote-cert-eku and remote-cert-ku (OpenVPN bit order: digitalSignature = 0x80)', async () => {
    expect(openvpnKeyUsageValue(['digitalSignature'])).toBe(0x80);
    expect(openvpnKeyUsageValue(['keyCertSign', 'cRLSign'])).toBe(0x06);
    const anchors = (await loadPeerVerifierSpec(config({}))).trustAnchors;
    const v = (extra: object) => createPeerVerifier({ trustAnchors: anchors, ...extra });
    expect(v({ requiredEku: '1.3.6.1.5.5.7.3.2' }).verify(chain(alice), 'clientAuth', now()).ok).toBe(true);
    expect(v({ requiredEku: '1.3.6.1.5.5.7.3.4' }).verify(chain(alice), 'clientAuth', now())).toMatchObject({
      code: 'WRONG_EKU',
    });
    expect(v({ requiredKeyUsage: [] }).verify(chain(alice), 'clientAuth', now()).ok).toBe(true);
    expect(v({ requiredKeyUsage: [0xa0, 0x80] }).verify(chain(alice), 'clientAuth', now()).ok).toBe(true);
    expect(v({ requiredKeyUsage: [0xa0] }).verify(chain(alice), 'clientAuth', now())).toMatchObject({
      code: 'WRONG_KEY_USAGE',
    });
  });

  it('never throws: garbage, empty chains and truncated certificates are failures', async () => {
    const v = createPeerVerifier(
      await loadPeerVerifierSpec(config({ verifyX509Name: { type: 'subject', name: 'CN=x' } })),
    );
    const der = alice.issued.certificate.der;
    for (const c of [[], [new Uint8Array(0)], [der.subarray(0, 100)], [Uint8Array.of(0x30, 0x80)]]) {
      const r = v.verify(c, 'clientAuth', now());
      expect(r.ok).toBe(false);
    }
  });
});
