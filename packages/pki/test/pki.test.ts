/**
 * @krbsim/pki: the certificates it issues read back with the PKINIT
 * extensions, and its refusals to issue; path validation (through
 * intermediate CAs too) and its refusals; CMS SignedData signed and verified
 * (and tampered with, and hand-built in the other forms and malformed shapes
 * a peer may send); DH and ECDH agreement from both ends and malformed public
 * values; and octetstring2key against a direct reading of RFC 4556 section
 * 3.2.3.1.
 */

import { createHash, createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { NameType, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { randomToKey } from '@krbsim/crypto';
import {
  type Certificate,
  type CmsSigner,
  certificateFrom,
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  createUnsignedData,
  generateKeyAgreement,
  groupAlgorithm,
  groupBits,
  groupOfAlgorithm,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  issueServerCertificate,
  KEY_AGREEMENT_GROUPS,
  octetString2Key,
  type PemCertificate,
  parseClientPublicValue,
  parseKdcPublicValue,
  pkinitKdf,
  readUnsignedData,
  verifyCertificatePath,
  verifySignedData,
} from '@krbsim/pki';
// A DER writer for hand-built inputs: @krbsim/testing's.
import { tlv as der, derOid as oid, derSeq as seq } from '@krbsim/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { refused } from './refused';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const DAY = 86_400_000;
let ca: PemCertificate;
let other: PemCertificate;
let kdc: PemCertificate;
let alice: PemCertificate;
let ecAlice: PemCertificate;

function code(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return (e as KerberosError).code;
  }
  throw new Error('expected a KerberosError');
}

const NULL = Uint8Array.of(0x05, 0);
/** An INTEGER of exactly these content octets (negative, or not in the shortest form, when asked). */
const int = (...b: number[]) => der(0x02, Uint8Array.from(b));
/** A ContentInfo whose contentType OBJECT IDENTIFIER has the contents `arcs`. */
const contentInfoWithOid = (arcs: readonly number[]) => seq(der(0x06, Uint8Array.from(arcs)));

/** The parts of a SignedData over `content`, signed by `who`, as a PKINIT client builds it. */
interface HandSigned {
  /** The SignerIdentifier TLV (default IssuerAndSerialNumber). */
  readonly sid?: Uint8Array;
  /** The content type the contentType attribute names (default the eContentType). */
  readonly attrContentType?: string;
  /** Extra SignedData fields after the certificates (crls). */
  readonly afterCertificates?: readonly Uint8Array[];
  /** The signerInfos' contents instead of the one SignerInfo. */
  readonly signerInfos?: readonly Uint8Array[];
}
function handSignedData(who: PemCertificate, content: Uint8Array, o: HandSigned = {}): Uint8Array {
  const contentType = PkinitOid.id_pkinit_authData;
  const cert = certificateFrom(who.certPem);
  const attrs = der(
    0x31,
    seq(oid(PkinitOid.id_contentType), der(0x31, oid(o.attrContentType ?? contentType))),
    seq(oid(PkinitOid.id_messageDigest), der(0x31, der(0x04, createHash('sha256').update(content).digest()))),
  );
  const signature = sign('sha256', attrs, createPrivateKey(who.keyPem));
  const signedAttrs = attrs.slice();
  signedAttrs[0] = 0xa0;
  const digestAlg = seq(oid(PkinitOid.id_sha256), NULL);
  const signerInfo = seq(
    int(1),
    o.sid ?? seq(cert.issuer, cert.serialNumber),
    digestAlg,
    signedAttrs,
    seq(oid(PkinitOid.sha256WithRSAEncryption), NULL),
    der(0x04, signature),
  );
  const signedData = seq(
    int(3),
    der(0x31, digestAlg),
    seq(oid(contentType), der(0xa0, der(0x04, content))),
    der(0xa0, cert.der),
    ...(o.afterCertificates ?? []),
    der(0x31, ...(o.signerInfos ?? [signerInfo])),
  );
  return seq(oid(PkinitOid.id_signedData), der(0xa0, signedData));
}

/**
 * `subject`'s certificate re-signed by `issuer` (its issuer name set to `issuer`'s subject): an
 * intermediate CA; `edit` changes the certificate before it is signed.
 */
async function reissuedBy(
  subject: PemCertificate,
  issuer: PemCertificate,
  edit?: (cert: import('pkijs').Certificate, pkijs: typeof import('pkijs')) => void,
): Promise<PemCertificate> {
  const pkijs = await import('pkijs');
  const cert = pkijs.Certificate.fromBER(certificateFrom(subject.certPem).der.slice());
  cert.issuer = pkijs.Certificate.fromBER(certificateFrom(issuer.certPem).der.slice()).subject;
  edit?.(cert, pkijs);
  const pkcs8 = Buffer.from(issuer.keyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const key = await globalThis.crypto.subtle.importKey(
    'pkcs8',
    pkcs8,
    createPrivateKey(issuer.keyPem).asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  await cert.sign(key, 'SHA-256', new pkijs.CryptoEngine({ name: 'test', crypto: globalThis.crypto }));
  const b64 = Buffer.from(cert.toSchema().toBER()).toString('base64');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
    keyPem: subject.keyPem,
  };
}

beforeAll(async () => {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('pki-test');
  ca = await createSelfSignedCa({
    commonName: 'pki test CA',
    clock,
    random,
    keyType: 'rsa-2048',
    validityDays: 30,
  });
  other = await createSelfSignedCa({ commonName: 'other CA', clock, random, keyType: 'rsa-2048' });
  kdc = await issuePkinitKdcCertificate(ca, { realm: 'PKI.TEST', clock, random, dnsNames: ['kdc.pki.test'] });
  alice = await issuePkinitClientCertificate(ca, {
    principal: 'alice',
    realm: 'PKI.TEST',
    upn: 'alice@pki.test',
    purposes: ['pkinit', 'smartcard-logon'],
    clock,
    random,
  });
  ecAlice = await issuePkinitClientCertificate(ca, {
    principal: 'host/pc1.pki.test',
    realm: 'PKI.TEST',
    keyType: 'ecdsa-p256',
    clock,
    random,
  });
});

describe('certificates', () => {
  it('a KDC certificate: id-pkinit-KPKdc and krbtgt/REALM@REALM as id-pkinit-san', () => {
    const c = certificateFrom(kdc.certPem);
    expect(c.extKeyUsage).toEqual([PkinitOid.id_pkinit_KPKdc]);
    expect(c.pkinitSans).toEqual([
      {
        realm: 'PKI.TEST',
        principalName: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', 'PKI.TEST'] },
      },
    ]);
    expect(c.isCa).toBe(false);
    expect(new X509Certificate(c.der).subjectAltName).toContain('DNS:kdc.pki.test');
    expect(c.notBefore).toBeLessThan(T0);
  });

  it('client certificates: KPClientAuth and smart card logon, the principal and the UPN', () => {
    const c = certificateFrom(alice.certPem);
    expect(c.extKeyUsage).toEqual([PkinitOid.id_pkinit_KPClientAuth, PkinitOid.id_ms_kp_sc_logon]);
    expect(c.pkinitSans[0]!.principalName).toEqual({
      nameType: NameType.NT_PRINCIPAL,
      nameString: ['alice'],
    });
    expect(c.upnSans).toEqual(['alice@pki.test']);
    const h = certificateFrom(ecAlice.certPem);
    expect(h.pkinitSans[0]!.principalName).toEqual({
      nameType: NameType.NT_SRV_INST,
      nameString: ['host', 'pc1.pki.test'],
    });
    expect(new X509Certificate(h.der).publicKey.asymmetricKeyType).toBe('ec');
  });

  it('refuses to issue under a CA whose certificate has ended: the leaf would end before it begins', async () => {
    // The CA's 30 days end long before the real clock's now.
    await expect(issueServerCertificate(ca, { dnsNames: ['late'] })).rejects.toThrow(
      /the CA's certificate ended .*: it issues no certificate valid now/,
    );
  });

  it('refuses a subjectAltName too long for the encoder (more than 65,535 bytes) at issue, not in the certificate', async () => {
    const dnsNames = Array.from({ length: 1100 }, (_, i) => `${'n'.repeat(60)}${i}.example`);
    await expect(
      issueServerCertificate(ca, { dnsNames, commonName: 'x', clock: new ManualClock(T0) }),
    ).rejects.toThrow(/a DER value of \d+ bytes: more than this encoder writes \(65,535\)/);
  });

  it('the TLS server certificate still carries serverAuth and its names', async () => {
    const s = certificateFrom(
      (await issueServerCertificate(ca, { dnsNames: ['localhost'], clock: new ManualClock(T0) })).certPem,
    );
    expect(s.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new X509Certificate(s.der).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
  });

  it('refuses garbage as KDC_ERR_INVALID_CERTIFICATE', () => {
    expect(code(() => certificateFrom(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)))).toBe(
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
    );
  });

  it('refuses PEM without a CERTIFICATE block', async () => {
    await refused(
      () => certificateFrom(alice.keyPem),
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
      /no PEM CERTIFICATE block/,
    );
  });

  it('writes an IPv6 address with an embedded IPv4 tail as its 16 octets', async () => {
    const s = certificateFrom(
      (
        await issueServerCertificate(ca, {
          dnsNames: ['v6'],
          ipAddresses: ['::ffff:192.0.2.1', '1::2:192.0.2.1'],
          clock: new ManualClock(T0),
        })
      ).certPem,
    );
    expect(new X509Certificate(s.der).subjectAltName).toBe(
      'DNS:v6, IP Address:0:0:0:0:0:FFFF:C000:201, IP Address:1:0:0:0:0:2:C000:201',
    );
  });

  it('refuses to issue for an empty realm, a bad principal, DNS name or common name, or a CA key that does not fit', async () => {
    const G = ErrorCode.KRB_ERR_GENERIC;
    await refused(
      () => issuePkinitKdcCertificate(ca, { realm: '' }),
      G,
      /a PKINIT KDC certificate needs a realm/,
    );
    for (const principal of ['', 'host//pc1', 'alice/']) {
      await refused(
        () => issuePkinitClientCertificate(ca, { principal, realm: 'PKI.TEST' }),
        G,
        new RegExp(`${JSON.stringify(principal)} is not a principal name`),
      );
    }
    await refused(
      () => issuePkinitKdcCertificate(ca, { realm: 'PKI.TEST', dnsNames: ['kdc pki.test'] }),
      G,
      /"kdc pki.test" is not a DNS name/,
    );
    await refused(() => createSelfSignedCa({ commonName: '' }), G, /a common name has 1 to 64 characters/);
    await refused(
      () => issueServerCertificate(ca, { commonName: 'x'.repeat(65) }),
      G,
      /a common name has 1 to 64 characters/,
    );
    // The RSA CA's certificate with an EC private key.
    await refused(
      () => issueServerCertificate({ certPem: ca.certPem, keyPem: ecAlice.keyPem }),
      G,
      /the CA private key cannot be imported/,
    );
  });
});

describe('path validation', () => {
  const anchors = () => [certificateFrom(ca.certPem)];
  it('a certificate the CA issued chains to it', () => {
    const chain = verifyCertificatePath(certificateFrom(alice.certPem), { anchors: anchors(), now: T0 });
    expect(chain.map((c) => c.subjectText)).toEqual(['CN=alice', 'CN=pki test CA']);
  });
  it('another CA: KDC_ERR_CANT_VERIFY_CERTIFICATE', () => {
    const anchorsOther = [certificateFrom(other.certPem)];
    expect(
      code(() => verifyCertificatePath(certificateFrom(alice.certPem), { anchors: anchorsOther, now: T0 })),
    ).toBe(ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE);
  });
  it('outside its validity: KDC_ERR_INVALID_CERTIFICATE', () => {
    const leaf = certificateFrom(alice.certPem);
    expect(code(() => verifyCertificatePath(leaf, { anchors: anchors(), now: T0 + 40 * DAY }))).toBe(
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
    );
    expect(code(() => verifyCertificatePath(leaf, { anchors: anchors(), now: T0 - DAY }))).toBe(
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
    );
  });
  it("outside its validity, names whose certificate it is: the client's at the KDC, the KDC's at the client", () => {
    const leaf = certificateFrom(alice.certPem);
    const late = { anchors: anchors(), now: T0 + 40 * DAY };
    expect(() => verifyCertificatePath(leaf, late)).toThrow(/the client certificate CN=/);
    expect(() => verifyCertificatePath(leaf, { ...late, role: 'KDC' })).toThrow(/the KDC certificate CN=/);
  });

  it('refuses a certificate carrying an extension twice (RFC 5280 section 4.2), as OpenSSL does', async () => {
    // A second extKeyUsage before the first: read one way it is a TLS certificate, the other a PKINIT one.
    const twice = await reissuedBy(alice, ca, (cert, pkijs) => {
      const eku = new pkijs.Extension({
        extnID: PkinitOid.extKeyUsage,
        critical: false,
        extnValue: new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.1'] }).toSchema().toBER(),
      });
      cert.extensions!.unshift(eku);
    });
    await refused(
      () => certificateFrom(twice.certPem),
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
      /it carries the extension 2\.5\.29\.37 twice \(RFC 5280 section 4\.2\)/,
    );
  });

  it('a leaf is no issuer: a certificate "signed" by a non-CA does not chain', () => {
    // alice's certificate is not the issuer of kdc's; with only alice as anchor nothing chains.
    expect(
      code(() =>
        verifyCertificatePath(certificateFrom(kdc.certPem), {
          anchors: [certificateFrom(alice.certPem)],
          now: T0,
        }),
      ),
    ).toBe(ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE);
  });

  it('a copy of a certificate, not parsed by parseCertificate, neither chains nor anchors', async () => {
    const leaf = certificateFrom(alice.certPem);
    await refused(
      () => verifyCertificatePath({ ...leaf }, { anchors: anchors(), now: T0 }),
      ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
      /CN=alice does not chain to a trusted CA/,
    );
    await refused(
      () => verifyCertificatePath(leaf, { anchors: anchors().map((a) => ({ ...a })), now: T0 }),
      ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
      /does not chain/,
    );
  });

  it('reads a certificate whose subject is empty (node:crypto gives it no subject text) and checks its path', async () => {
    const anonymous = await reissuedBy(alice, ca, (cert, pkijs) => {
      cert.subject = new pkijs.RelativeDistinguishedNames();
    });
    const parsed = certificateFrom(anonymous.certPem);
    expect(parsed.subjectText).toBe('');
    expect(verifyCertificatePath(parsed, { anchors: anchors(), now: T0 })).toHaveLength(2);
  });

  describe('through intermediate CAs the peer sent', () => {
    const clock = new ManualClock(T0);
    const random = new SeededRandom('pki-intermediates');
    let sub: Certificate;
    let bob: Certificate;
    let late: Certificate;
    let carol: Certificate;
    let mallory: Certificate;
    /** A root that allows two intermediate CAs below it (the file's `ca` allows none). */
    let deep: PemCertificate;
    const deepAnchors = () => [certificateFrom(deep.certPem)];
    /** The same sub CA, issued by the file's root, whose pathLenConstraint is 0. */
    let subOfShallow: Certificate;
    /** An intermediate CA that sub CA (pathLenConstraint 0) issued, and dave issued by it. */
    let subSub: Certificate;
    let dave: Certificate;

    beforeAll(async () => {
      deep = await createSelfSignedCa({ commonName: 'deep CA', clock, random, pathLenConstraint: 2 });
      // sub CA (a CA, issued by the root), and bob issued by it.
      const subCa = await createSelfSignedCa({ commonName: 'sub CA', clock, random });
      sub = certificateFrom((await reissuedBy(subCa, deep)).certPem);
      subOfShallow = certificateFrom((await reissuedBy(subCa, ca)).certPem);
      const subSubCa = await createSelfSignedCa({ commonName: 'sub-sub CA', clock, random });
      subSub = certificateFrom((await reissuedBy(subSubCa, subCa)).certPem);
      dave = certificateFrom(
        (
          await issuePkinitClientCertificate(subSubCa, {
            principal: 'dave',
            realm: 'PKI.TEST',
            keyType: 'ecdsa-p256',
            clock,
            random,
          })
        ).certPem,
      );
      bob = certificateFrom(
        (
          await issuePkinitClientCertificate(subCa, {
            principal: 'bob',
            realm: 'PKI.TEST',
            keyType: 'ecdsa-p256',
            clock,
            random,
          })
        ).certPem,
      );
      // A sub CA whose validity starts a day from now, and carol issued by it today.
      const lateCa = await createSelfSignedCa({
        commonName: 'late CA',
        clock: new ManualClock(T0 + DAY),
        random,
      });
      late = certificateFrom((await reissuedBy(lateCa, deep)).certPem);
      carol = certificateFrom(
        (
          await issuePkinitClientCertificate(lateCa, {
            principal: 'carol',
            realm: 'PKI.TEST',
            keyType: 'ecdsa-p256',
            clock,
            random,
          })
        ).certPem,
      );
      // mallory's certificate, signed with alice's key: alice is no CA.
      mallory = certificateFrom(
        (
          await issuePkinitClientCertificate(alice, {
            principal: 'mallory',
            realm: 'PKI.TEST',
            keyType: 'ecdsa-p256',
            clock,
            random,
          })
        ).certPem,
      );
    });

    it('a leaf, its CA and the anchor', () => {
      expect(sub.isCa).toBe(true);
      const chain = verifyCertificatePath(bob, {
        anchors: deepAnchors(),
        intermediates: [bob, sub],
        now: T0,
      });
      expect(chain.map((c) => c.subjectText)).toEqual(['CN=bob', 'CN=sub CA', 'CN=deep CA']);
    });

    it('reads basicConstraints pathLenConstraint: absent on a leaf, 0 by default on a CA', () => {
      expect(certificateFrom(deep.certPem).pathLenConstraint).toBe(2);
      expect(certificateFrom(ca.certPem).pathLenConstraint).toBe(0);
      expect(sub.pathLenConstraint).toBe(0);
      expect(bob.pathLenConstraint).toBeUndefined();
    });

    it("a path longer than a CA's pathLenConstraint allows: KDC_ERR_INVALID_CERTIFICATE (RFC 5280 section 6.1.4)", async () => {
      // The anchor's own constraint: the file's root signs leaves only.
      await refused(
        () => verifyCertificatePath(bob, { anchors: anchors(), intermediates: [subOfShallow], now: T0 }),
        ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
        /CN=pki test CA allows 0 intermediate CA certificates below it \(pathLenConstraint\), and the path has 1/,
      );
      // An intermediate's: sub CA allows none below it, and sub-sub CA stands there. The anchor
      // (2) would allow both.
      await refused(
        () => verifyCertificatePath(dave, { anchors: deepAnchors(), intermediates: [sub, subSub], now: T0 }),
        ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
        /CN=sub CA allows 0 intermediate CA certificates below it \(pathLenConstraint\), and the path has 1/,
      );
    });

    it('createSelfSignedCa refuses a pathLenConstraint that is not a non-negative integer', async () => {
      for (const pathLenConstraint of [-1, 1.5, Number.NaN]) {
        await refused(
          () => createSelfSignedCa({ commonName: 'bad CA', pathLenConstraint }),
          ErrorCode.KRB_ERR_GENERIC,
          /pathLenConstraint must be a non-negative integer/,
        );
      }
    });

    it('without the intermediate, or beyond maxDepth: KDC_ERR_CANT_VERIFY_CERTIFICATE', async () => {
      await refused(
        () => verifyCertificatePath(bob, { anchors: deepAnchors(), now: T0 }),
        ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
        /CN=bob does not chain to a trusted CA/,
      );
      await refused(
        () =>
          verifyCertificatePath(bob, { anchors: deepAnchors(), intermediates: [sub], now: T0, maxDepth: 0 }),
        ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
        /does not chain/,
      );
    });

    it('an issuer that is not a CA: KDC_ERR_INVALID_CERTIFICATE', async () => {
      await refused(
        () =>
          verifyCertificatePath(mallory, {
            anchors: anchors(),
            intermediates: [certificateFrom(alice.certPem)],
            now: T0,
          }),
        ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
        /CN=alice signed a certificate but is not a CA/,
      );
    });

    it('an intermediate CA outside its validity: KDC_ERR_INVALID_CERTIFICATE', async () => {
      await refused(
        () => verifyCertificatePath(carol, { anchors: deepAnchors(), intermediates: [late], now: T0 }),
        ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
        /the intermediate CA certificate CN=late CA is valid from .* not now/,
      );
      expect(
        verifyCertificatePath(carol, { anchors: deepAnchors(), intermediates: [late], now: T0 + 2 * DAY })
          .length,
      ).toBe(3);
    });
  });
});

describe('CMS SignedData', () => {
  const signer = (p: PemCertificate): CmsSigner => cmsSigner(p.certPem, p.keyPem);
  const content = new TextEncoder().encode('an AuthPack stands here');

  for (const [name, who] of [
    ['RSA', () => alice],
    ['ECDSA', () => ecAlice],
  ] as const) {
    it(`${name}: signs, verifies, and names the signer`, () => {
      const der = createSignedData(PkinitOid.id_pkinit_authData, content, signer(who()));
      const v = verifySignedData(der, PkinitOid.id_pkinit_authData);
      expect(Buffer.from(v.content).toString()).toBe('an AuthPack stands here');
      expect(v.signer.subjectText).toBe(certificateFrom(who().certPem).subjectText);
      expect(v.digest).toBe('sha256');
    });
  }

  it('the wrong content type, a changed content, a changed signature', () => {
    const der = createSignedData(PkinitOid.id_pkinit_authData, content, signer(alice));
    expect(code(() => verifySignedData(der, PkinitOid.id_pkinit_DHKeyData))).toBe(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
    );
    const i = Buffer.from(der).indexOf(Buffer.from('stands'));
    const changed = der.slice();
    changed[i] = changed[i]! ^ 1;
    expect(code(() => verifySignedData(changed, PkinitOid.id_pkinit_authData))).toBe(
      ErrorCode.KDC_ERR_INVALID_SIG,
    );
    const sig = der.slice();
    sig[sig.length - 5] = sig[sig.length - 5]! ^ 1; // inside the signature, the last field
    expect(code(() => verifySignedData(sig, PkinitOid.id_pkinit_authData))).toBe(
      ErrorCode.KDC_ERR_INVALID_SIG,
    );
    expect(code(() => verifySignedData(der.subarray(0, 40), PkinitOid.id_pkinit_authData))).toBe(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
    );
  });

  it('refuses to sign with an EC key and SHA-1 (no ecdsa-with-SHA1 here), as it could not label it', async () => {
    const ec = await issuePkinitClientCertificate(ca, {
      clock: new ManualClock(T0),
      random: new SeededRandom('ec-sha1'),
      realm: 'PKI.TEST',
      principal: 'eve',
      keyType: 'ecdsa-p256',
    });
    expect(() =>
      createSignedData(PkinitOid.id_pkinit_authData, content, cmsSigner(ec.certPem, ec.keyPem), 'sha1'),
    ).toThrow('createSignedData: an EC key signs with sha256, sha384 or sha512, not sha1');
  });

  it('cmsSigner refuses PEM without a certificate, and a private key it cannot read', async () => {
    await refused(
      () => cmsSigner(alice.keyPem, alice.keyPem),
      ErrorCode.KRB_ERR_GENERIC,
      /no PEM CERTIFICATE block/,
    );
    await refused(
      () => cmsSigner(alice.certPem, alice.certPem),
      ErrorCode.KRB_ERR_GENERIC,
      /the private key cannot be read \(PKCS #8 PEM expected\)/,
    );
    const copy = { ...signer(alice) };
    expect(() => createSignedData(PkinitOid.id_pkinit_authData, content, copy)).toThrow(
      /the signer was not made by cmsSigner/,
    );
  });

  it('identifies the signer by subjectKeyIdentifier, [0] IMPLICIT or (as Heimdal writes it) EXPLICIT', async () => {
    const ski = certificateFrom(alice.certPem).subjectKeyIdentifier!;
    expect(ski.length).toBe(20);
    for (const sid of [der(0x80, ski), der(0xa0, der(0x04, ski))]) {
      const v = verifySignedData(handSignedData(alice, content, { sid }), PkinitOid.id_pkinit_authData);
      expect(v.signer.subjectText).toBe('CN=alice');
    }
    // The issuer-and-serial form of the hand-built SignedData verifies too, with a crls field skipped.
    const crls = der(0xa1);
    expect(
      verifySignedData(
        handSignedData(alice, content, { afterCertificates: [crls] }),
        PkinitOid.id_pkinit_authData,
      ).signer.subjectText,
    ).toBe('CN=alice');
    const otherSki = der(0x80, new Uint8Array(20).fill(7));
    await refused(
      () => verifySignedData(handSignedData(alice, content, { sid: otherSki }), PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE,
      /does not carry its signer certificate/,
    );
  });

  it('refuses a contentType attribute other than the content type, though the digest matches', async () => {
    const bad = handSignedData(alice, content, { attrContentType: PkinitOid.id_pkinit_DHKeyData });
    await refused(
      () => verifySignedData(bad, PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_INVALID_SIG,
      /the contentType attribute does not match/,
    );
  });

  it.each([
    [
      'an unknown SignerIdentifier',
      { sid: der(0x81, Uint8Array.of(1)) },
      /unknown SignerIdentifier \(tag 0x81\)/,
    ],
    [
      'a SignerInfo of only a version',
      { signerInfos: [seq(int(1))] },
      /the SignerInfo has no SignerIdentifier/,
    ],
    ['an empty SignerInfo', { signerInfos: [seq()] }, /SignerInfo\.version: missing/],
    // RFC 5652 section 5.3: version 1 or 3; the field is not signed, so only the decoder checks it.
    [
      'a SignerInfo of version 2',
      { signerInfos: [seq(int(2))] },
      /SignerInfo\.version is not one of 1, 3 \(RFC 5652\)/,
    ],
    [
      'an IssuerAndSerialNumber without its fields',
      { sid: seq() },
      /the IssuerAndSerialNumber needs an issuer and a serialNumber/,
    ],
    ['two signers', { signerInfos: [seq(int(1)), seq(int(1))] }, /2 signers, expected one/],
  ] as const)('refuses %s: KDC_ERR_PREAUTH_FAILED, not a crash', async (_name, o, message) => {
    const bad = handSignedData(alice, content, o as HandSigned);
    await refused(
      () => verifySignedData(bad, PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      message,
    );
    // An anonymous request's reader parses the SignerInfo the same way.
    await refused(
      () => readUnsignedData(bad, PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      message,
    );
  });

  it('refuses a SignedData carrying more than 16 certificates before parsing them', async () => {
    const carrying = (n: number) =>
      createSignedData(
        PkinitOid.id_pkinit_authData,
        content,
        cmsSigner(alice.certPem + ca.certPem.repeat(n - 1), alice.keyPem),
      );
    expect(verifySignedData(carrying(16), PkinitOid.id_pkinit_authData).certificates).toHaveLength(16);
    await refused(
      () => verifySignedData(carrying(17), PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /malformed CMS SignedData: 17 certificates, more than 16/,
    );
  });

  it('refuses a ContentInfo that is not signedData', async () => {
    const bare = seq(oid(PkinitOid.id_pkinit_authData), der(0xa0, der(0x04, content)));
    await refused(
      () => verifySignedData(bare, PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /the ContentInfo is not signedData/,
    );
  });

  it('reads an anonymous AuthPack with a crls field, and refuses a malformed one', async () => {
    const unsigned = createUnsignedData(PkinitOid.id_pkinit_authData, content);
    expect(Buffer.from(readUnsignedData(unsigned, PkinitOid.id_pkinit_authData)).toString()).toBe(
      'an AuthPack stands here',
    );
    const withCrls = seq(
      oid(PkinitOid.id_signedData),
      der(
        0xa0,
        seq(
          int(3),
          der(0x31),
          seq(oid(PkinitOid.id_pkinit_authData), der(0xa0, der(0x04, content))),
          der(0xa1),
          der(0x31),
        ),
      ),
    );
    expect(Buffer.from(readUnsignedData(withCrls, PkinitOid.id_pkinit_authData)).toString()).toBe(
      'an AuthPack stands here',
    );
    await refused(
      () => readUnsignedData(unsigned.subarray(0, unsigned.length - 1), PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /malformed CMS SignedData: truncated/,
    );
  });

  it.each([
    ['a lone octet', Uint8Array.of(0x30), /truncated: expected a tag and a length/],
    ['an indefinite length', Uint8Array.of(0x30, 0x80, 0x00, 0x00), /indefinite or oversized length/],
    [
      'bytes after the ContentInfo',
      Uint8Array.of(0x30, 0x00, 0x00),
      /1 trailing bytes after the ContentInfo/,
    ],
    ['a SET for the ContentInfo', Uint8Array.of(0x31, 0x00), /ContentInfo: expected tag 0x30, got 0x31/],
    ['a high-number tag', Uint8Array.of(0x3f, 0x01, 0x00), /high-number tags are not supported/],
    ['a length cut short', Uint8Array.of(0x30, 0x82, 0x01), /truncated length/],
    [
      'a length not in the shortest form',
      Uint8Array.of(0x30, 0x81, 0x01, 0x00),
      /length not in the shortest form/,
    ],
    ['no contentType', seq(), /contentType: missing/],
    ['an empty OBJECT IDENTIFIER', contentInfoWithOid([]), /contentType: empty/],
    [
      'an arc with a leading 0x80',
      contentInfoWithOid([0x2a, 0x80, 0x01]),
      /contentType: arc not in the shortest form/,
    ],
    [
      'an arc past 2^53',
      contentInfoWithOid([0x2a, ...new Array(9).fill(0xff), 0x7f]),
      /contentType: arc too large/,
    ],
    [
      'an OBJECT IDENTIFIER ending inside an arc',
      contentInfoWithOid([0x2a, 0x86]),
      /contentType: ends inside an arc/,
    ],
  ])('the DER reader refuses %s: KDC_ERR_PREAUTH_FAILED', async (_name, input, message) => {
    const e = await refused(
      () => verifySignedData(input, PkinitOid.id_pkinit_authData),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      message,
    );
    expect(e.message).toMatch(/^malformed CMS SignedData: /);
  });
});

describe('key agreement', () => {
  for (const group of KEY_AGREEMENT_GROUPS) {
    it(`${group}: both ends compute the same secret`, () => {
      const client = generateKeyAgreement(group, new SeededRandom(`c-${group}`));
      const kdcPair = generateKeyAgreement(group, new SeededRandom(`k-${group}`));
      const peer = parseClientPublicValue(client.spki);
      expect(peer.group).toBe(group);
      const zKdc = kdcPair.secret(peer.value);
      const zClient = client.secret(parseKdcPublicValue(group, kdcPair.subjectPublicKey));
      expect(Buffer.from(zKdc).equals(Buffer.from(zClient))).toBe(true);
      expect(groupAlgorithm(group).length).toBeGreaterThan(10);
    });
  }

  it('refuses an unknown DH group, a public value of 1 and a point off the curve', () => {
    const client = generateKeyAgreement('modp2', new SeededRandom('x'));
    // Change one octet of p inside the SubjectPublicKeyInfo's DomainParameters.
    const spki = client.spki.slice();
    spki[30] = spki[30]! ^ 0xff;
    expect(code(() => parseClientPublicValue(spki))).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
    const kdcPair = generateKeyAgreement('modp14', new SeededRandom('y'));
    expect(code(() => kdcPair.secret(Uint8Array.of(1)))).toBe(
      ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED,
    );
    const ec = generateKeyAgreement('P-256', new SeededRandom('z'));
    const bad = new Uint8Array(65);
    bad[0] = 4;
    bad[64] = 1;
    expect(code(() => ec.secret(bad))).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
  });

  it('names the group of an AlgorithmIdentifier, or none for one malformed or unknown', () => {
    for (const group of KEY_AGREEMENT_GROUPS) expect(groupOfAlgorithm(groupAlgorithm(group))).toBe(group);
    expect(groupBits('modp14')).toBe(2048);
    expect(groupBits('P-521')).toBe(521);
    expect(groupOfAlgorithm(Uint8Array.of(0x30))).toBeUndefined();
    expect(groupOfAlgorithm(seq())).toBeUndefined();
    expect(groupOfAlgorithm(seq(oid(PkinitOid.rsaEncryption), NULL))).toBeUndefined();
    expect(groupOfAlgorithm(seq(oid(PkinitOid.id_ecPublicKey), oid('1.3.132.0.10')))).toBeUndefined();
  });

  it('refuses a client public value of another algorithm, curve or point form', async () => {
    const E = ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED;
    const bits = (b: Uint8Array) => der(0x03, Uint8Array.of(0), b);
    const point = generateKeyAgreement('P-256', new SeededRandom('pt')).value;
    const p256 = seq(oid(PkinitOid.id_ecPublicKey), oid(PkinitOid.secp256r1));
    expect(parseClientPublicValue(seq(p256, bits(point))).group).toBe('P-256');
    // secp256k1: a curve krbsim does not serve.
    await refused(
      () => parseClientPublicValue(seq(seq(oid(PkinitOid.id_ecPublicKey), oid('1.3.132.0.10')), bits(point))),
      E,
      /an elliptic curve krbsim does not serve/,
    );
    const compressed = Uint8Array.of(2 + (point[64]! & 1), ...point.subarray(1, 33));
    await refused(() => parseClientPublicValue(seq(p256, bits(compressed))), E, /not an uncompressed point/);
    await refused(
      () => parseClientPublicValue(seq(p256, bits(point.subarray(0, 64)))),
      E,
      /not an uncompressed point/,
    );
    await refused(
      () => parseClientPublicValue(seq(seq(oid(PkinitOid.rsaEncryption), NULL), bits(point))),
      E,
      /key agreement algorithm 1\.2\.840\.113549\.1\.1\.1 is not Diffie-Hellman or ECDH/,
    );
    await refused(
      () => parseClientPublicValue(seq()),
      E,
      /malformed client public value: algorithm: missing/,
    );
    // A DH public value that is a negative INTEGER.
    const modp2 = groupAlgorithm('modp2');
    await refused(
      () => parseClientPublicValue(seq(modp2, bits(int(0x80)))),
      E,
      /malformed client public value: y: negative/,
    );
  });

  it("refuses a malformed KDC public value (the client's side)", async () => {
    const E = ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED;
    const inBits = (i: Uint8Array) => der(0x03, Uint8Array.of(0), i);
    expect(parseKdcPublicValue('modp2', inBits(int(0x00, 0x80)))).toEqual(Uint8Array.of(0x80));
    for (const [input, message] of [
      [inBits(der(0x02)), /empty INTEGER/],
      [inBits(int(0xff)), /negative/],
      [inBits(int(0x00, 0x01)), /not in the shortest form/],
      [der(0x03, Uint8Array.of(1, 0x80)), /expected whole octets/],
      [der(0x03), /expected whole octets/],
      [Uint8Array.of(0x03), /truncated/],
    ] as const) {
      await refused(() => parseKdcPublicValue('modp2', input), E, /^malformed KDC public value: /);
      await refused(() => parseKdcPublicValue('modp2', input), E, message);
    }
  });

  it('draws another ECDH scalar when one is out of range, and gives up on a source that only gives such', () => {
    let fills = 0;
    // The first scalar is all ones (above the P-256 group order); the rest are good.
    const seeded = new SeededRandom('retry');
    const once = { fill: (b: Uint8Array) => (fills++ === 0 ? b.fill(0xff) : seeded.fill(b)) };
    const pair = generateKeyAgreement('P-256', once);
    expect(fills).toBe(2);
    expect(pair.value.length).toBe(65);
    let zeros = 0;
    const broken = {
      fill: (b: Uint8Array) => {
        zeros++;
        return b.fill(0);
      },
    };
    expect(() => generateKeyAgreement('P-256', broken)).toThrow(/not valid for specified curve/);
    expect(zeros).toBe(10);
  });
});

describe('octetstring2key (RFC 4556 section 3.2.3.1)', () => {
  it('is random-to-key of SHA-1(0 | x) | SHA-1(1 | x) truncated, for AES-256 and AES-128', () => {
    const x = Uint8Array.from({ length: 256 }, (_, i) => (i * 7) & 0xff);
    const h = (n: number) => createHash('sha1').update(Uint8Array.of(n)).update(x).digest();
    const k32 = Buffer.concat([h(0), h(1)]).subarray(0, 32);
    expect(Buffer.from(octetString2Key(18, x).bytes).equals(Buffer.from(randomToKey(18, k32).bytes))).toBe(
      true,
    );
    expect(Buffer.from(octetString2Key(17, x).bytes).equals(h(0).subarray(0, 16))).toBe(true);
    // The nonces are appended to the secret.
    const n = Uint8Array.of(1, 2, 3);
    const withNonce = createHash('sha1')
      .update(Uint8Array.of(0))
      .update(x)
      .update(n)
      .digest()
      .subarray(0, 16);
    expect(Buffer.from(octetString2Key(17, x, n).bytes).equals(withNonce)).toBe(true);
  });

  it('pkinitKdf refuses a KDF it does not know: KDC_ERR_NO_ACCEPTABLE_KDF', async () => {
    const name = {
      realm: 'PKI.TEST',
      principalName: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    };
    const context = { client: name, server: name, asReq: Uint8Array.of(1), pkAsRep: Uint8Array.of(2) };
    await refused(
      () => pkinitKdf('1.3.6.1.5.2.3.6.9', 18, new Uint8Array(32), context),
      ErrorCode.KDC_ERR_NO_ACCEPTABLE_KDF,
      /the KDF 1\.3\.6\.1\.5\.2\.3\.6\.9 is not one krbsim knows/,
    );
  });
});

describe('a PemCertificate prints no private key', () => {
  it('inspect and JSON.stringify show <redacted> for keyPem of a CA, a server and a PKINIT certificate; keyPem still signs', async () => {
    const ca = await createSelfSignedCa({ commonName: 'redaction CA' });
    const server = await issueServerCertificate(ca, { dnsNames: ['redact.test'] });
    const kdc = await issuePkinitKdcCertificate(ca, { realm: 'REDACT.TEST' });
    for (const cert of [ca, server, kdc]) {
      expect(cert.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const body = cert.keyPem.split('\n')[1]!;
      const printed = [
        inspect(cert),
        inspect({ cert }, { depth: 5 }),
        JSON.stringify(cert),
        JSON.stringify({ cert }),
        JSON.stringify({ ...cert }),
        String(Object.keys(cert)),
      ].join('\n');
      expect(printed).not.toContain('PRIVATE KEY');
      expect(printed).not.toContain(body);
      expect(JSON.parse(JSON.stringify(cert))).toEqual({ certPem: cert.certPem, keyPem: '<redacted>' });
      expect(inspect(cert)).toContain("keyPem: '<redacted>'");
      // Still the key: Node reads it.
      expect(createPrivateKey(cert.keyPem).type).toBe('private');
    }
    // A CA passed on by its fields issues as before.
    const again = await issueServerCertificate({ certPem: ca.certPem, keyPem: ca.keyPem });
    expect(new X509Certificate(again.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });
});
