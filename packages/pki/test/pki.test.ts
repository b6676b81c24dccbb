/**
 * @krbsim/pki: the certificates it issues read back with the PKINIT
 * extensions, path validation and its refusals, CMS SignedData signed and
 * verified (and tampered with), DH and ECDH agreement from both ends, and
 * octetstring2key against a direct reading of RFC 4556 section 3.2.3.1.
 */

import { createHash, X509Certificate } from 'node:crypto';
import { NameType, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { randomToKey } from '@krbsim/crypto';
import {
  type CmsSigner,
  certificateFrom,
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  generateKeyAgreement,
  groupAlgorithm,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  issueServerCertificate,
  KEY_AGREEMENT_GROUPS,
  octetString2Key,
  type PemCertificate,
  parseClientPublicValue,
  parseKdcPublicValue,
  verifyCertificatePath,
  verifySignedData,
} from '@krbsim/pki';
import { beforeAll, describe, expect, it } from 'vitest';

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

  it('the TLS server certificate still carries serverAuth and its names', async () => {
    const s = certificateFrom((await issueServerCertificate(ca, { dnsNames: ['localhost'] })).certPem);
    expect(s.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new X509Certificate(s.der).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
  });

  it('refuses garbage as KDC_ERR_INVALID_CERTIFICATE', () => {
    expect(code(() => certificateFrom(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)))).toBe(
      ErrorCode.KDC_ERR_INVALID_CERTIFICATE,
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
});
