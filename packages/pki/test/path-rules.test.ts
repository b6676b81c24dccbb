/**
 * What path validation refuses that an issuer's signature alone would let
 * through (RFC 5280 sections 4.2 and 6.1, as OpenSSL, and so MIT's PKINIT,
 * applies them), and how much work a peer's certificates can make it do.
 */

import { X509Certificate } from 'node:crypto';
import { PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import {
  allowsKeyUsage,
  certificateFrom,
  KeyUsageBit,
  parseCertificate,
  verifyCertificatePath,
} from '@krbsim/pki';
import {
  basicConstraintsExtension,
  certificateExtension,
  derOid,
  derSeq,
  extKeyUsageExtension,
  type HandMadeCertificate,
  handMadeCertificate,
  keyUsageExtension,
  pkinitSanExtension,
  tlv,
} from '@krbsim/testing';
import { describe, expect, it, vi } from 'vitest';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const DAY = 86_400_000;
const valid = { notBefore: T0 - DAY, notAfter: T0 + 30 * DAY };
const KU = KeyUsageBit;

const root = handMadeCertificate({
  subject: 'hand-made root',
  extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign, KU.cRLSign)],
  ...valid,
});
const leafExtensions = [
  basicConstraintsExtension(false),
  keyUsageExtension(KU.digitalSignature),
  extKeyUsageExtension(PkinitOid.id_pkinit_KPClientAuth),
  pkinitSanExtension('PKI.TEST', 'alice'),
];
const leafUnder = (issuer: HandMadeCertificate, extensions = leafExtensions) =>
  handMadeCertificate({ subject: 'alice', issuer, extensions, ...valid });

/** The path's outcome: the chain's length, or the refusal's code and message. */
function outcome(
  leaf: HandMadeCertificate,
  anchors: HandMadeCertificate[],
  intermediates: HandMadeCertificate[] = [],
) {
  try {
    return verifyCertificatePath(certificateFrom(leaf.certPem), {
      anchors: anchors.map((a) => certificateFrom(a.certPem)),
      intermediates: intermediates.map((c) => certificateFrom(c.certPem)),
      now: T0,
    }).length;
  } catch (e) {
    if (!(e instanceof KerberosError)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

describe('keyUsage and basicConstraints of issuers', () => {
  it('a leaf under an intermediate CA with keyCertSign chains (the baseline)', () => {
    const sub = handMadeCertificate({
      subject: 'sub CA',
      issuer: root,
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign)],
      ...valid,
    });
    expect(outcome(leafUnder(sub), [root], [sub])).toBe(3);
  });

  it('refuses an intermediate CA whose keyUsage does not allow keyCertSign (section 4.2.1.3)', () => {
    const sub = handMadeCertificate({
      subject: 'signing-only CA',
      issuer: root,
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.digitalSignature)],
      ...valid,
    });
    expect(outcome(leafUnder(sub), [root], [sub])).toBe(
      `${ErrorCode.KDC_ERR_INVALID_CERTIFICATE}: invalid certificate: CN=signing-only CA signed a certificate but its keyUsage does not allow keyCertSign (intermediate CA)`,
    );
  });

  it('refuses an anchor that is not a CA; takes a v1 self-signed root, which has no extensions', () => {
    const notCa = handMadeCertificate({
      subject: 'not a CA',
      extensions: [basicConstraintsExtension(false), keyUsageExtension(KU.digitalSignature)],
      ...valid,
    });
    expect(outcome(leafUnder(notCa), [notCa])).toBe(
      `${ErrorCode.KDC_ERR_INVALID_CERTIFICATE}: invalid certificate: CN=not a CA signed a certificate but is not a CA (trust anchor)`,
    );
    const v1 = handMadeCertificate({ subject: 'v1 root', version: 1, ...valid });
    expect(certificateFrom(v1.certPem).version).toBe(1);
    expect(outcome(leafUnder(v1), [v1])).toBe(2);
  });
});

describe('critical extensions (RFC 5280 section 4.2)', () => {
  const nameConstraints = certificateExtension(
    '2.5.29.30',
    true,
    derSeq(tlv(0xa0, derSeq(tlv(0x82, new TextEncoder().encode('pki.test'))))),
  );

  it('refuses a leaf, an intermediate or an anchor with a critical extension it does not process', () => {
    const odd = certificateExtension('1.3.6.1.4.1.55555.1', true, Uint8Array.of(0x05, 0));
    expect(outcome(leafUnder(root, [...leafExtensions, odd]), [root])).toBe(
      `${ErrorCode.KDC_ERR_INVALID_CERTIFICATE}: invalid certificate: CN=alice has a critical extension this KDC does not process (1.3.6.1.4.1.55555.1)`,
    );
    // Name constraints are not enforced here: a CA that sets them is refused, not trusted beyond them.
    const constrained = handMadeCertificate({
      subject: 'constrained CA',
      issuer: root,
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign), nameConstraints],
      ...valid,
    });
    expect(outcome(leafUnder(constrained), [root], [constrained])).toMatch(
      /CN=constrained CA has a critical extension this KDC does not process \(2\.5\.29\.30\)$/,
    );
    const constrainedRoot = handMadeCertificate({
      subject: 'constrained root',
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign), nameConstraints],
      ...valid,
    });
    expect(outcome(leafUnder(constrainedRoot), [constrainedRoot])).toMatch(/\(2\.5\.29\.30\)$/);
  });

  it('takes the same extensions when they are not critical', () => {
    const odd = certificateExtension('1.3.6.1.4.1.55555.1', false, Uint8Array.of(0x05, 0));
    expect(outcome(leafUnder(root, [...leafExtensions, odd]), [root])).toBe(2);
  });

  it('refuses nameConstraints marked non-critical too: not enforced here, so not passed as if met (MIT enforces them)', () => {
    const nonCritical = certificateExtension(
      '2.5.29.30',
      false,
      derSeq(tlv(0xa0, derSeq(tlv(0x82, new TextEncoder().encode('pki.test'))))),
    );
    const constrained = handMadeCertificate({
      subject: 'loosely constrained CA',
      issuer: root,
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign), nonCritical],
      ...valid,
    });
    expect(outcome(leafUnder(constrained), [root], [constrained])).toBe(
      `${ErrorCode.KDC_ERR_INVALID_CERTIFICATE}: invalid certificate: CN=loosely constrained CA carries nameConstraints (2.5.29.30), which this KDC does not enforce`,
    );
  });
});

describe('validity times (RFC 5280 section 4.1.2.5)', () => {
  it('refuses a time whose fields are out of range (month 13, day 32, hour 24) rather than rolling it over', () => {
    // notAfter 2027-12-07 10:00:00 (written 20271207100000Z or 271207100000Z), then one field pushed out of
    // its range.
    const cert = handMadeCertificate({
      subject: 'alice',
      issuer: root,
      extensions: leafExtensions,
      notBefore: T0 - DAY,
      notAfter: Date.UTC(2027, 11, 7, 10, 0, 0),
    });
    const der = new Uint8Array(new X509Certificate(cert.certPem).raw);
    const text = Buffer.from(der).toString('latin1');
    const at = text.indexOf('271207100000Z');
    expect(at).toBeGreaterThan(0);
    expect(parseCertificate(der).notAfter).toBe(Date.UTC(2027, 11, 7, 10, 0, 0));
    for (const bad of ['271307100000Z', '271232100000Z', '271207240000Z', '271207106000Z', '271207100060Z']) {
      const changed = der.slice();
      changed.set(new TextEncoder().encode(bad), at);
      expect(() => parseCertificate(changed), bad).toThrow(new RegExp(`"(20)?${bad}" is no date`));
    }
  });
});

describe('keyUsage as parsed', () => {
  it('reads each bit, and absent means any use', () => {
    const all = Object.values(KU);
    for (const bit of all) {
      const cert = certificateFrom(
        handMadeCertificate({ subject: `bit ${bit}`, extensions: [keyUsageExtension(bit)], ...valid })
          .certPem,
      );
      for (const other of all) expect(allowsKeyUsage(cert, other), `${bit} ${other}`).toBe(other === bit);
    }
    const none = certificateFrom(handMadeCertificate({ subject: 'no keyUsage', ...valid }).certPem);
    expect(none.keyUsage).toBeUndefined();
    expect(allowsKeyUsage(none, KU.keyCertSign)).toBe(true);
  });
});

describe('the work a peer can make path validation do', () => {
  it('checks at most three signatures a level, however many certificates claim the issuer name', () => {
    const sub = handMadeCertificate({
      subject: 'sub CA',
      issuer: root,
      extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign)],
      ...valid,
    });
    const leaf = leafUnder(sub);
    // 40 impostors named as the leaf's issuer, each with a key of its own: none signed the leaf.
    const impostors = Array.from({ length: 40 }, () =>
      handMadeCertificate({
        subject: 'sub CA',
        issuer: root,
        extensions: [basicConstraintsExtension(true), keyUsageExtension(KU.keyCertSign)],
        ...valid,
      }),
    );
    const verify = vi.spyOn(X509Certificate.prototype, 'verify');
    try {
      expect(outcome(leaf, [root], impostors)).toBe(
        `${ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE}: the certificate CN=alice does not chain to a trusted CA`,
      );
      // The anchor's one (its name is not the leaf's issuer: not even tried) and three impostors.
      expect(verify.mock.calls.length).toBeLessThanOrEqual(3);
      verify.mockClear();
      // The real issuer among the first three is found.
      expect(outcome(leaf, [root], [impostors[0]!, sub, ...impostors.slice(1)])).toBe(3);
      expect(verify.mock.calls.length).toBeLessThanOrEqual(4);
    } finally {
      verify.mockRestore();
    }
  });

  it('refuses an RSA key whose public exponent is longer than 32 bits, or a modulus past 16384 bits', () => {
    // RSAPublicKey ::= SEQUENCE { modulus, publicExponent }, in an rsaEncryption subjectPublicKeyInfo.
    const rsaSpki = (n: Uint8Array, e: Uint8Array) =>
      derSeq(
        derSeq(derOid('1.2.840.113549.1.1.1'), Uint8Array.of(0x05, 0)),
        tlv(0x03, Uint8Array.of(0), derSeq(tlv(0x02, Uint8Array.of(0, ...n)), tlv(0x02, e))),
      );
    const modulus = (bytes: number) => {
      const n = new Uint8Array(bytes).fill(0xc5);
      n[bytes - 1] = 0xc7;
      return n;
    };
    const parsed = (spki: Uint8Array): string => {
      const cert = handMadeCertificate({ subject: 'rsa', subjectPublicKeyInfo: spki, ...valid });
      try {
        return parseCertificate(cert.der).keyType;
      } catch (e) {
        if (!(e instanceof KerberosError)) throw e;
        expect(e.code).toBe(ErrorCode.KDC_ERR_INVALID_CERTIFICATE);
        return e.message;
      }
    };
    expect(parsed(rsaSpki(modulus(256), Uint8Array.of(1, 0, 1)))).toBe('rsa');
    expect(parsed(rsaSpki(modulus(256), Uint8Array.of(0x00, 0xff, 0xff, 0xff, 0xff)))).toBe('rsa');
    expect(parsed(rsaSpki(modulus(256), Uint8Array.of(0x01, 0, 0, 0, 1)))).toBe(
      'invalid certificate: its RSA public exponent is longer than 32 bits',
    );
    expect(parsed(rsaSpki(modulus(2049), Uint8Array.of(1, 0, 1)))).toBe(
      'invalid certificate: its RSA modulus has 16392 bits, more than 16384',
    );
  });
});
