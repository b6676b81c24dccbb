/**
 * PKINIT (RFC 4556, RFC 8070) refusals on the KDC side, from PA-PK-AS-REQs
 * built by hand: a malformed client public value, a freshness token another
 * realm made, a certificate the mapping table and its SANs do not tie to the
 * client, and a realm PKINIT configuration that cannot be read.
 */

import { createHash } from 'node:crypto';
import {
  decodeAsRep,
  decodeKdcDhKeyInfo,
  decodePaPkAsRep,
  decodeTdDhParameters,
  decodeTypedData,
  encodeEncryptedData,
  encodePaEncTsEnc,
  NameType,
  PaDataType,
  type PkAuthenticator,
  PkinitOid,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { Kdc, type PkinitOptions, Realm } from '@krbsim/kdc';
import {
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  generateKeyAgreement,
  groupOfAlgorithm,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  type PemCertificate,
  parseKdcPublicValue,
  pkinitKdf,
  verifySignedData,
} from '@krbsim/pki';
import { derOid, derSeq } from '@krbsim/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, T0 } from './helpers';
import { pkinitAsReq } from './pkinit-request';

const REALM = 'PKI.TEST';
const random = new SeededRandom('pkinit-errors');

let ca: PemCertificate;
let kdcCert: PemCertificate;
let alice: PemCertificate;

beforeAll(async () => {
  const clock = new ManualClock(T0);
  const o = {
    clock,
    random: new SeededRandom('pkinit-errors-certs'),
    realm: REALM,
    keyType: 'ecdsa-p256' as const,
  };
  ca = await createSelfSignedCa({ ...o, commonName: 'krbsim PKINIT errors CA' });
  kdcCert = await issuePkinitKdcCertificate(ca, o);
  // With her SID, as AD CS issues it (KB5014754): an AD realm maps her strongly; an MIT realm ignores it.
  const d = lab({}, 'active-directory').realm.directory;
  const sid = d.sidOf(d.account('alice')!.rid);
  alice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', upn: 'alice@pki.test', sid });
});

function lab(pkinit: Partial<PkinitOptions> = {}, kind: 'mit' | 'active-directory' = 'mit') {
  const clock = new ManualClock(T0);
  const realm = new Realm({
    name: REALM,
    kind,
    clock,
    random: new SeededRandom('pki-realm'),
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem, ...pkinit },
  });
  realm.addUser('alice', { password: 'unused-Passw0rd', upn: 'alice@pki.test' });
  realm.addUser('bob', { password: 'bob-Passw0rd' });
  return { clock, realm, kdc: new Kdc(realm) };
}

/** An AS-REQ for `cname` with a PA-PK-AS-REQ signed by alice's certificate; `change` edits its AuthPack. */
function pkAsReq(
  change: {
    authenticator?: (a: PkAuthenticator, bodyDer: Uint8Array) => PkAuthenticator;
    publicValue?: Uint8Array;
  } = {},
  cname = 'alice',
): Uint8Array {
  return pkinitAsReq({
    realm: REALM,
    now: T0,
    cname: { nameType: NameType.NT_PRINCIPAL, nameString: [cname] },
    authPack: (a, bodyDer) => ({
      pkAuthenticator: change.authenticator?.(a, bodyDer) ?? a,
      clientPublicValue: change.publicValue ?? generateKeyAgreement('P-256', random).spki,
    }),
    sign: (authPack) =>
      createSignedData(PkinitOid.id_pkinit_authData, authPack, cmsSigner(alice.certPem, alice.keyPem)),
  });
}

describe('PKINIT refusals', () => {
  it('answers a good request (the baseline of the refusals below)', () => {
    const l = lab();
    expect(l.kdc.handle(pkAsReq())[0]).toBe(0x6b);
  });

  it('MS-PKCA paChecksum2: an AD realm validates it (SHA-256 or SHA-1), an MIT realm ignores it as MIT does', () => {
    const alg = (oid: string) => derSeq(derOid(oid), Uint8Array.of(0x05, 0x00));
    const withSum = (digest: string, oid: string, over?: Uint8Array) =>
      pkAsReq({
        authenticator: (a, body) => ({
          ...a,
          paChecksum2: {
            checksum: createHash(digest)
              .update(over ?? body)
              .digest(),
            algorithmIdentifier: alg(oid),
          },
        }),
      });
    const ad = lab({}, 'active-directory');
    expect(ad.kdc.handle(withSum('sha256', PkinitOid.id_sha256))[0]).toBe(0x6b);
    expect(lab({}, 'active-directory').kdc.handle(withSum('sha1', PkinitOid.id_sha1))[0]).toBe(0x6b);
    const wrong = lab({}, 'active-directory').kdc.handle(
      withSum('sha256', PkinitOid.id_sha256, Uint8Array.of(1)),
    );
    expect(errorOf(wrong).errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    const md5 = lab({}, 'active-directory').kdc.handle(withSum('md5', '1.2.840.113549.2.5'));
    expect(errorOf(md5).errorCode).toBe(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP);
    // An MIT realm does not know the field.
    expect(lab().kdc.handle(withSum('sha256', PkinitOid.id_sha256, Uint8Array.of(1)))[0]).toBe(0x6b);
  });

  it('a malformed client public value: KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED with TD-DH-PARAMETERS', () => {
    const l = lab({ groups: ['P-256', 'modp14'] });
    // A P-256 SubjectPublicKeyInfo whose point claims the compressed form (0x02), not 0x04.
    const spki = generateKeyAgreement('P-256', random).spki.slice();
    expect(spki[spki.length - 65]).toBe(0x04);
    spki[spki.length - 65] = 0x02;
    const err = errorOf(l.kdc.handle(pkAsReq({ publicValue: spki })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
    expect(err.eText).toContain('not an uncompressed point');
    // The groups the realm serves, for the client to retry with (RFC 4556 section 3.2.2).
    const td = decodeTypedData(err.eData!);
    expect(td.map((t) => t.dataType)).toEqual([109]);
    expect(decodeTdDhParameters(td[0]!.dataValue!).map(groupOfAlgorithm)).toEqual(['P-256', 'modp14']);
  });

  it('a freshness token sealed under a key version this realm does not hold: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    // Shaped like this realm's tokens (EncryptedData of PA-ENC-TS-ENC), but another realm's key and kvno.
    const key = generateKey(18, { random });
    const token = encodeEncryptedData({
      etype: 18,
      kvno: 77,
      cipher: encrypt(key, 514, encodePaEncTsEnc({ patimestamp: T0 }), { random }),
    });
    const err = errorOf(l.kdc.handle(pkAsReq({ authenticator: (a) => ({ ...a, freshnessToken: token }) })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(err.eText).toContain('the freshness token is not from this realm');
  });

  it('a certificate no mapping row, SAN or UPN ties to the client: KDC_ERR_CLIENT_NAME_MISMATCH, naming what it does name', () => {
    const l = lab({
      allowUpn: true,
      mapping: [
        { principal: 'bob' }, // matches no certificate: it names neither subject nor fingerprint
        { principal: 'bob', subject: 'CN=someone else' },
        { principal: 'bob', fingerprint256: '00:11:22' },
      ],
    });
    const err = errorOf(l.kdc.handle(pkAsReq({}, 'bob')));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    expect(err.eText).toContain(`does not map to bob@${REALM}`);
    expect(err.eText).toContain(`it names alice@${REALM}, alice@pki.test (UPN)`);
    expect(err.eText).not.toContain('mapping table');
  });
});

describe('PKINIT: the RFC 8636 KDF', () => {
  it('takes the names as the AS-REQ sent them (section 7): an AD realm asked in lower case', () => {
    const l = lab({}, 'active-directory');
    for (const asked of [REALM, REALM.toLowerCase()]) {
      const pair = generateKeyAgreement('P-256', random);
      const cname = { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] };
      const req = pkinitAsReq({
        realm: asked,
        now: T0,
        cname,
        authPack: (pkAuthenticator) => ({
          pkAuthenticator,
          clientPublicValue: pair.spki,
          supportedKdfs: [{ kdfId: PkinitOid.id_pkinit_kdf_ah_sha256 }],
        }),
        sign: (ap) =>
          createSignedData(PkinitOid.id_pkinit_authData, ap, cmsSigner(alice.certPem, alice.keyPem)),
      });
      const asRep = decodeAsRep(l.kdc.handle(req));
      const pa = asRep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!;
      const dh = (
        decodePaPkAsRep(pa.padataValue) as { dhInfo: { dhSignedData: Uint8Array; kdf?: { kdfId: string } } }
      ).dhInfo;
      const info = decodeKdcDhKeyInfo(
        verifySignedData(dh.dhSignedData, PkinitOid.id_pkinit_DHKeyData).content,
      );
      const secret = pair.secret(parseKdcPublicValue('P-256', info.subjectPublicKey));
      // What MIT's client and krbsim's derive: the client and server names of the request, as sent.
      const key = pkinitKdf(dh.kdf!.kdfId, asRep.encPart.etype, secret, {
        client: { realm: asked, principalName: cname },
        server: {
          realm: asked,
          principalName: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', asked] },
        },
        asReq: req,
        pkAsRep: pa.padataValue,
      });
      expect(() => decrypt(key, KeyUsage.AS_REP_ENCPART, asRep.encPart.cipher)).not.toThrow();
    }
  });
});

describe('PKINIT configuration', () => {
  function refusal(pkinit: Partial<PkinitOptions>, kind: 'mit' | 'active-directory' = 'mit'): Error {
    try {
      lab(pkinit, kind);
    } catch (e) {
      expect(isKerberosError(e, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
      return e as Error;
    }
    throw new Error('expected the realm to refuse its PKINIT configuration');
  }

  it('refuses a realm with no anchor certificate', () => {
    expect(refusal({ anchors: [] }).message).toBe('PKINIT configuration: no anchor certificate');
  });

  it('refuses a clientEku it does not know, rather than checking nothing', () => {
    expect(refusal({ clientEku: 'smartcard' as PkinitOptions['clientEku'] }).message).toBe(
      'PKINIT configuration: clientEku "smartcard" is not one of kpClientAuth, scLogin, windows, none',
    );
  });

  it('refuses a certificateMappingEnforcement it does not know, in either kind of realm; takes full and compatibility in both', () => {
    for (const kind of ['active-directory', 'mit'] as const) {
      for (const bad of ['strict', 'Full', 'enforcement', 2, null]) {
        expect(
          refusal(
            { certificateMappingEnforcement: bad as PkinitOptions['certificateMappingEnforcement'] },
            kind,
          ).message,
          kind,
        ).toBe(
          `PKINIT configuration: certificateMappingEnforcement ${JSON.stringify(bad)} is not one of full, compatibility`,
        );
      }
      for (const good of ['full', 'compatibility'] as const) {
        expect(() => lab({ certificateMappingEnforcement: good }, kind)).not.toThrow();
      }
    }
  });

  it('refuses a KDC key it cannot read, without echoing the key', () => {
    const e = refusal({ privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n' });
    expect(e.message).toContain('PKINIT configuration: the KDC certificate or key cannot be read');
    expect(e.message).not.toContain('not a key');
  });
});
