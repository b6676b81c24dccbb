/**
 * PKINIT in an `active-directory` realm as a Windows DC answers it, beside
 * an `mit` realm as MIT's KDC does: the SIDs a certificate names for
 * KB5014754's strong mapping (MS-PKCA 3.1.5.2.1.6), Full Enforcement's
 * refusal of a weak mapping and Compatibility mode (3.1.5.2.1.5), the codes of freshness
 * token failures (RFC 8070; Samba's pkinit_tests.py for Windows, MIT's
 * kdc_preauth.c), and the PAC of a PKINIT logon (S-1-18-3 after a
 * freshness token, PAC_CREDENTIAL_INFO: MS-PAC 2.6, MS-PKCA 3.1.5.2).
 */

import {
  decodeAsRep,
  decodeEncryptedData,
  decodeKdcDhKeyInfo,
  decodeMethodData,
  decodePaPkAsRep,
  encodeEncryptedData,
  encodePaEncTsEnc,
  NameType,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import { Duration, ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { encrypt, generateKey, type Key, stringToKey } from '@krbsim/crypto';
import { Kdc, type PkinitOptions, Realm, type RealmPolicy } from '@krbsim/kdc';
import {
  decodeNtlmSupplementalCredential,
  decodePac,
  decodePacCredentialInfo,
  encodePac,
  findPac,
  formatSid,
  getPacBuffer,
  NtlmCredentialFlags,
  openPacCredentials,
  type Pac,
  PacBufferType,
  type RawPacBuffer,
  verifyPac,
  withPac,
} from '@krbsim/pac';
import {
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  generateKeyAgreement,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  octetString2Key,
  type PemCertificate,
  parseCertificate,
  parseKdcPublicValue,
  pemBlocks,
  verifySignedData,
} from '@krbsim/pki';
import {
  certificateExtension,
  derOid,
  derSeq,
  handMadeCertificate,
  keyUsageExtension,
  tlv,
} from '@krbsim/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { asReq, errorOf, openTicket, T0 } from './helpers';
import { pkinitAsReq } from './pkinit-request';

const REALM = 'PKI.TEST';
const random = new SeededRandom('pkinit-mapping');
const clockAt = () => new ManualClock(T0);

let ca: PemCertificate;
let kdcCert: PemCertificate;
/** The SIDs the realms below give alice, bob and PC1$ (a domain SID derived from the realm's name). */
const sid: Record<'alice' | 'bob' | 'pc1', string> = { alice: '', bob: '', pc1: '' };
const certs: Record<string, PemCertificate> = {};

function lab(
  kind: 'active-directory' | 'mit' = 'active-directory',
  policy: Partial<RealmPolicy> = {},
  pkinit: Partial<PkinitOptions> = {},
) {
  const realm = new Realm({
    name: REALM,
    kind,
    clock: clockAt(),
    random: new SeededRandom('pkinit-mapping-realm'),
    policy,
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem, ...pkinit },
  });
  // alice has an RC4-HMAC key (her NT hash), as every account of a real DC has; bob has not.
  realm.addUser('alice', { password: 'alice-Passw0rd', upn: 'alice@pki.test', encTypes: [18, 17, 23] });
  realm.addUser('bob', { password: 'bob-Passw0rd', upn: 'bob@pki.test' });
  if (kind === 'active-directory') realm.addComputer('PC1', { password: 'pc1-machine-Passw0rd' });
  const log: string[] = [];
  return { realm, kdc: new Kdc(realm, { log: (l) => log.push(l) }), log };
}

/** An AD realm whose KRB-ERRORs carry e-text (MIT's shape), for the tests that read the KDC's reason. */
const withText = (pkinit: Partial<PkinitOptions> = {}) =>
  lab('active-directory', { krbErrorStyle: 'mit' }, pkinit);
/** An AD realm in KB5014754's Compatibility mode, as DCs ran before the 2025 updates. */
const compatibility = (pkinit: Partial<PkinitOptions> = {}) =>
  lab('active-directory', {}, { certificateMappingEnforcement: 'compatibility', ...pkinit });

beforeAll(async () => {
  const o = { clock: clockAt(), random: new SeededRandom('pkinit-mapping-certs'), realm: REALM };
  ca = await createSelfSignedCa({ ...o, commonName: 'krbsim PKINIT mapping CA', keyType: 'ecdsa-p256' });
  kdcCert = await issuePkinitKdcCertificate(ca, { ...o, keyType: 'ecdsa-p256' });
  const d = lab().realm.directory;
  sid.alice = d.sidOf(d.account('alice')!.rid);
  sid.bob = d.sidOf(d.account('bob')!.rid);
  sid.pc1 = d.sidOf(d.account('PC1$')!.rid);
  const card = {
    ...o,
    keyType: 'ecdsa-p256' as const,
    pkinitSan: false,
    purposes: ['smartcard-logon' as const],
  };
  const issue = (name: string, extra: Partial<Parameters<typeof issuePkinitClientCertificate>[1]>) =>
    issuePkinitClientCertificate(ca, { ...card, principal: 'alice', upn: 'alice@pki.test', ...extra }).then(
      (c) => {
        certs[name] = c;
      },
    );
  await Promise.all([
    issue('aliceUpn', {}),
    issue('aliceSid', { sid: sid.alice }),
    issue('aliceSidUrl', { sidUrl: sid.alice }),
    issue('aliceBobSid', { sid: sid.bob }),
    issue('aliceBobSidUrl', { sidUrl: sid.bob }),
    issue('aliceSidBobUrl', { sid: sid.alice, sidUrl: sid.bob }),
    issue('bobWithSid', { principal: 'bob', upn: 'bob@pki.test', sid: sid.bob }),
    issue('pc1Sid', { principal: 'PC1$', upn: undefined, dnsNames: ['PC1.pki.test'], sid: sid.pc1 }),
    issue('pc1AliceSid', { principal: 'PC1$', upn: undefined, dnsNames: ['PC1.pki.test'], sid: sid.alice }),
    // Weakly mapped: by its dNSName alone, as certificates before KB5014754 were.
    issue('pc1Dns', { principal: 'PC1$', upn: undefined, dnsNames: ['PC1.pki.test'] }),
    // No name the realm reads: only the mapping table maps it.
    issue('aliceUnnamed', { upn: undefined }),
    // An MIT realm's certificate: id-pkinit-san, with a SID it does not read.
    issue('mitAliceBobSid', { pkinitSan: true, upn: undefined, purposes: ['pkinit'], sid: sid.bob }),
  ]);
});

/** A PA-PK-AS-REQ for `cname` signed with `cert`, P-256 ECDH, no KDFs (octetstring2key); and how to get its reply key. */
function request(cert: { certPem: string; keyPem: string }, cname = 'alice', token?: Uint8Array) {
  const pair = generateKeyAgreement('P-256', random);
  const bytes = pkinitAsReq({
    realm: REALM,
    now: T0,
    cname: { nameType: NameType.NT_PRINCIPAL, nameString: [cname] },
    authPack: (a) => ({
      pkAuthenticator: token === undefined ? a : { ...a, freshnessToken: token },
      clientPublicValue: pair.spki,
    }),
    sign: (ap) => createSignedData(PkinitOid.id_pkinit_authData, ap, cmsSigner(cert.certPem, cert.keyPem)),
  });
  const replyKey = (rep: Uint8Array): Key => {
    const asRep = decodeAsRep(rep);
    const pk = decodePaPkAsRep(
      asRep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue,
    );
    if (!('dhInfo' in pk)) throw new Error('expected a DH reply');
    const info = decodeKdcDhKeyInfo(
      verifySignedData(pk.dhInfo.dhSignedData, PkinitOid.id_pkinit_DHKeyData).content,
    );
    return octetString2Key(
      asRep.encPart.etype,
      pair.secret(parseKdcPublicValue('P-256', info.subjectPublicKey)),
    );
  };
  return { bytes, replyKey };
}

const code = (rep: Uint8Array) => (rep[0] === 0x7e ? errorOf(rep).errorCode : 0);

describe('an active-directory realm checks the SID a certificate names (MS-PKCA 3.1.5.2.1.6, KB5014754)', () => {
  it("serves a certificate whose szOID_NTDS_CA_SECURITY_EXT or SAN URL names the mapped account's SID", () => {
    for (const name of ['aliceSid', 'aliceSidUrl']) {
      expect(code(lab().kdc.handle(request(certs[name]!).bytes)), name).toBe(0);
    }
    expect(code(lab().kdc.handle(request(certs.bobWithSid!, 'bob').bytes))).toBe(0);
    expect(code(lab().kdc.handle(request(certs.pc1Sid!, 'PC1$').bytes))).toBe(0);
  });

  it("refuses one naming another account's SID with KDC_ERR_CERTIFICATE_MISMATCH", () => {
    const cases: [string, string, string][] = [
      [
        'aliceBobSid',
        'alice',
        `names the SID ${sid.bob} (szOID_NTDS_CA_SECURITY_EXT), not alice@${REALM}'s (${sid.alice})`,
      ],
      [
        'aliceBobSidUrl',
        'alice',
        `names the SID ${sid.bob} (its SAN URL), not alice@${REALM}'s (${sid.alice})`,
      ],
      ['aliceSidBobUrl', 'alice', `names the SID ${sid.bob} (its SAN URL)`],
      [
        'pc1AliceSid',
        'PC1$',
        `names the SID ${sid.alice} (szOID_NTDS_CA_SECURITY_EXT), not PC1$@${REALM}'s (${sid.pc1})`,
      ],
    ];
    for (const [name, cname, reason] of cases) {
      expect(errorOf(lab().kdc.handle(request(certs[name]!, cname).bytes)).errorCode, name).toBe(
        ErrorCode.KDC_ERR_CERTIFICATE_MISMATCH,
      );
      // A DC's KRB-ERROR carries no e-text; MIT-style errors show the reason.
      const err = errorOf(withText().kdc.handle(request(certs[name]!, cname).bytes));
      expect(err.eText, name).toContain(reason);
    }
  });

  it('maps first: a certificate of another account is KDC_ERR_CLIENT_NAME_MISMATCH, whatever its SID', () => {
    expect(code(lab().kdc.handle(request(certs.bobWithSid!, 'alice').bytes))).toBe(
      ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH,
    );
  });

  it('an MIT realm reads neither form (MIT does not know them)', () => {
    expect(code(lab('mit').kdc.handle(request(certs.mitAliceBobSid!).bytes))).toBe(0);
  });

  it('a malformed szOID_NTDS_CA_SECURITY_EXT: KDC_ERR_INVALID_CERTIFICATE in an AD realm, naming the field; ignored by an MIT realm', () => {
    const upnSan = certificateExtension(
      PkinitOid.subjectAltName,
      false,
      derSeq(
        tlv(
          0xa0,
          derOid(PkinitOid.id_ms_san_upn),
          tlv(0xa0, tlv(0x0c, new TextEncoder().encode('alice@pki.test'))),
        ),
      ),
    );
    const pkinitSan = certificateExtension(
      PkinitOid.subjectAltName,
      false,
      derSeq(
        tlv(
          0xa0,
          derOid(PkinitOid.id_pkinit_san),
          tlv(
            0xa0,
            derSeq(
              tlv(0xa0, tlv(0x1b, new TextEncoder().encode(REALM))),
              tlv(
                0xa1,
                derSeq(
                  tlv(0xa0, Uint8Array.of(2, 1, 1)),
                  tlv(0xa1, derSeq(tlv(0x1b, new TextEncoder().encode('alice')))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
    // The SID as a UTF8String, not the OCTET STRING AD CS writes.
    const badSid = certificateExtension(
      '1.3.6.1.4.1.311.25.2',
      false,
      derSeq(
        tlv(
          0xa0,
          derOid('1.3.6.1.4.1.311.25.2.1'),
          tlv(0xa0, tlv(0x0c, new TextEncoder().encode(sid.alice))),
        ),
      ),
    );
    const made = (san: Uint8Array, eku: string) =>
      handMadeCertificate({
        subject: 'alice',
        issuer: ca,
        extensions: [
          san,
          keyUsageExtension(0),
          certificateExtension('2.5.29.37', false, derSeq(derOid(eku))),
          badSid,
        ],
        notBefore: T0 - Duration.day,
        notAfter: T0 + Duration.day,
      });
    const err = errorOf(withText().kdc.handle(request(made(upnSan, PkinitOid.id_ms_kp_sc_logon)).bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_INVALID_CERTIFICATE);
    expect(err.eText).toContain(
      'invalid certificate: szOID_NTDS_CA_SECURITY_EXT[0].value: expected tag 0x04, got 0x0c',
    );
    expect(
      code(lab('mit').kdc.handle(request(made(pkinitSan, PkinitOid.id_pkinit_KPClientAuth)).bytes)),
    ).toBe(0);
  });
});

describe("KB5014754's Full Enforcement of strong certificate mapping (MS-PKCA 3.1.5.2.1.5)", () => {
  const fingerprint = (c: PemCertificate) =>
    parseCertificate(pemBlocks(c.certPem, 'CERTIFICATE')[0]!).fingerprint256;
  const weak = (rep: Uint8Array) => {
    expect(code(rep)).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
  };

  it('refuses a certificate mapped by its UPN alone with KDC_ERR_CLIENT_NAME_MISMATCH, saying what would make it strong', () => {
    weak(lab().kdc.handle(request(certs.aliceUpn!).bytes));
    const err = errorOf(withText().kdc.handle(request(certs.aliceUpn!).bytes));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    expect(err.eText).toContain(`maps to alice@${REALM} only weakly, by its UPN alice@pki.test`);
    expect(err.eText).toContain(
      `the account's SID ${sid.alice} in the certificate (szOID_NTDS_CA_SECURITY_EXT, or a SAN URL tag:microsoft.com,2022-09-14:sid:${sid.alice}) or a mapping-table row by fingerprint256`,
    );
    // 'full' is the default: naming it changes nothing.
    weak(
      lab('active-directory', {}, { certificateMappingEnforcement: 'full' }).kdc.handle(
        request(certs.aliceUpn!).bytes,
      ),
    );
  });

  it("refuses a computer's certificate mapped by its dNSName alone; its SID makes it strong", () => {
    weak(lab().kdc.handle(request(certs.pc1Dns!, 'PC1$').bytes));
    const err = errorOf(withText().kdc.handle(request(certs.pc1Dns!, 'PC1$').bytes));
    expect(err.eText).toContain(`maps to PC1$@${REALM} only weakly, by its dNSName PC1.pki.test`);
    expect(code(lab().kdc.handle(request(certs.pc1Sid!, 'PC1$').bytes))).toBe(0);
  });

  it('takes the SID in szOID_NTDS_CA_SECURITY_EXT or in a SAN URL as a strong mapping', () => {
    expect(code(lab().kdc.handle(request(certs.aliceSid!).bytes))).toBe(0);
    expect(code(lab().kdc.handle(request(certs.aliceSidUrl!).bytes))).toBe(0);
  });

  it('a mapping-table row by fingerprint256 is strong (as X509SHA1PublicKey); one by subject alone is weak (as X509SubjectOnly)', () => {
    const fp = fingerprint(certs.aliceUnnamed!);
    const byHash = { mapping: [{ principal: 'alice', fingerprint256: fp }] };
    const bySubject = { mapping: [{ principal: 'alice', subject: 'CN=alice' }] };
    const both = { mapping: [{ principal: 'alice', subject: 'CN=alice', fingerprint256: fp }] };
    const r = () => request(certs.aliceUnnamed!).bytes;
    expect(code(lab('active-directory', {}, byHash).kdc.handle(r()))).toBe(0);
    expect(code(lab('active-directory', {}, both).kdc.handle(r()))).toBe(0);
    weak(lab('active-directory', {}, bySubject).kdc.handle(r()));
    expect(errorOf(withText(bySubject).kdc.handle(r())).eText).toContain(
      'only weakly, by its mapping-table row by subject (CN=alice)',
    );
    // A weak mapping beside a strong one: the strong one counts.
    const upnAndHash = { mapping: [{ principal: 'alice', fingerprint256: fingerprint(certs.aliceUpn!) }] };
    expect(code(lab('active-directory', {}, upnAndHash).kdc.handle(request(certs.aliceUpn!).bytes))).toBe(0);
  });

  it('compatibility mode serves the weak mappings (UPN, dNSName, subject row), and still checks a SID the certificate names', () => {
    expect(code(compatibility().kdc.handle(request(certs.aliceUpn!).bytes))).toBe(0);
    expect(code(compatibility().kdc.handle(request(certs.pc1Dns!, 'PC1$').bytes))).toBe(0);
    const bySubject = { mapping: [{ principal: 'alice', subject: 'CN=alice' }] };
    expect(code(compatibility(bySubject).kdc.handle(request(certs.aliceUnnamed!).bytes))).toBe(0);
    expect(code(compatibility().kdc.handle(request(certs.aliceBobSid!).bytes))).toBe(
      ErrorCode.KDC_ERR_CERTIFICATE_MISMATCH,
    );
  });

  it('an MIT realm is unaffected: it maps by id-pkinit-san, the table by subject, and the UPN with allowUpn (MIT has no such rule)', () => {
    for (const certificateMappingEnforcement of ['full', 'compatibility'] as const) {
      const mit = (pkinit: Partial<PkinitOptions> = {}) =>
        lab('mit', {}, { certificateMappingEnforcement, clientEku: 'scLogin', ...pkinit });
      expect(code(mit().kdc.handle(request(certs.mitAliceBobSid!).bytes))).toBe(0);
      expect(code(mit({ allowUpn: true }).kdc.handle(request(certs.aliceUpn!).bytes))).toBe(0);
      const bySubject = { mapping: [{ principal: 'alice', subject: 'CN=alice' }] };
      expect(code(mit(bySubject).kdc.handle(request(certs.aliceUnnamed!).bytes))).toBe(0);
    }
  });
});

describe('freshness token failures: the codes a DC and MIT send', () => {
  /** A token as `realm` hands it out (PREAUTH_REQUIRED to an empty PA_AS_FRESHNESS). */
  function tokenOf(realm: Realm, kdc: Kdc): Uint8Array {
    const err = errorOf(
      kdc.handle(
        asReq({
          realm: realm.name,
          cname: 'alice',
          padata: [{ padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) }],
        }),
      ),
    );
    return decodeMethodData(err.eData!).find((p) => p.padataType === PaDataType.PA_AS_FRESHNESS)!.padataValue;
  }
  const cases: [string, (real: Uint8Array) => Uint8Array, number][] = [
    [
      'a garbage token',
      () => new TextEncoder().encode('A genuine freshness token'),
      ErrorCode.KRB_AP_ERR_MODIFIED,
    ],
    ['an empty token', () => new Uint8Array(0), ErrorCode.KRB_AP_ERR_MODIFIED],
    [
      "a token whose leading two bytes are '@@'",
      (t) => Uint8Array.from([0x40, 0x40, ...t.subarray(2)]),
      ErrorCode.KRB_AP_ERR_MODIFIED,
    ],
    [
      'a token whose ciphertext was changed',
      (t) => {
        const x = t.slice();
        x[x.length - 1]! ^= 1;
        return x;
      },
      ErrorCode.KRB_AP_ERR_MODIFIED,
    ],
    [
      'a token under a krbtgt key version this realm does not hold (an RODC-style kvno)',
      (t) => {
        const real = decodeEncryptedData(t);
        const key = generateKey(real.etype, { random });
        const cipher = encrypt(key, 514, encodePaEncTsEnc({ patimestamp: T0 }), { random });
        return encodeEncryptedData({ etype: real.etype, kvno: (0x1234 << 16) | 1, cipher }).slice();
      },
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
    ],
  ];

  for (const [what, token, adCode] of cases) {
    const adName = Object.entries(ErrorCode).find(([, v]) => v === adCode)![0];
    it(`${what}: ${adName} from a DC, KDC_ERR_PREAUTH_FAILED from an MIT realm`, () => {
      for (const kind of ['active-directory', 'mit'] as const) {
        const cert = kind === 'mit' ? certs.mitAliceBobSid! : certs.aliceSid!;
        const l = lab(kind);
        const err = errorOf(l.kdc.handle(request(cert, 'alice', token(tokenOf(l.realm, l.kdc))).bytes));
        expect(err.errorCode, kind).toBe(kind === 'mit' ? ErrorCode.KDC_ERR_PREAUTH_FAILED : adCode);
        // PREAUTH_FAILED comes with the METHOD-DATA to retry with, as MIT's KDC sends it.
        if (err.errorCode === ErrorCode.KDC_ERR_PREAUTH_FAILED) {
          expect(
            decodeMethodData(err.eData!).map((p) => p.padataType),
            kind,
          ).toContain(PaDataType.PA_PK_AS_REQ);
        }
      }
    });
  }

  it('a stale token: KDC_ERR_PREAUTH_EXPIRED from a DC, KDC_ERR_PREAUTH_FAILED from an MIT realm', () => {
    for (const [kind, expected] of [
      ['active-directory', ErrorCode.KDC_ERR_PREAUTH_EXPIRED],
      ['mit', ErrorCode.KDC_ERR_PREAUTH_FAILED],
    ] as const) {
      const l = lab(kind);
      const token = tokenOf(l.realm, l.kdc);
      (l.realm.clock as ManualClock).advance(10 * Duration.minute);
      const cert = kind === 'mit' ? certs.mitAliceBobSid! : certs.aliceSid!;
      // The PKAuthenticator's time follows the KDC's, so only the token is stale.
      const req = pkinitAsReq({
        realm: REALM,
        now: T0 + 10 * Duration.minute,
        cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
        authPack: (a) => ({
          pkAuthenticator: { ...a, freshnessToken: token },
          clientPublicValue: generateKeyAgreement('P-256', random).spki,
        }),
        sign: (ap) =>
          createSignedData(PkinitOid.id_pkinit_authData, ap, cmsSigner(cert.certPem, cert.keyPem)),
      });
      expect(errorOf(l.kdc.handle(req)).errorCode, kind).toBe(expected);
    }
  });
});

describe('the PAC of a PKINIT logon in an active-directory realm (MS-PKCA 3.1.5.2)', () => {
  /** alice's PKINIT TGT: its PAC, opened with the krbtgt key, and the reply key. */
  function logon(kind: 'active-directory' | 'mit', withToken: boolean, who = 'alice') {
    const l = lab(kind, kind === 'mit' ? { issuePac: true } : {});
    const cert = kind === 'mit' ? certs.mitAliceBobSid! : who === 'bob' ? certs.bobWithSid! : certs.aliceSid!;
    const token = withToken
      ? decodeMethodData(
          errorOf(
            l.kdc.handle(
              asReq({
                realm: REALM,
                cname: who,
                padata: [{ padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) }],
              }),
            ),
          ).eData!,
        ).find((p) => p.padataType === PaDataType.PA_AS_FRESHNESS)!.padataValue
      : undefined;
    const r = request(cert, who, token);
    const rep = l.kdc.handle(r.bytes);
    const asRep = decodeAsRep(rep);
    const krbtgt = l.realm.krbtgt.keys.find((k) => k.key.etype === asRep.ticket.encPart.etype)!.key;
    const pacBytes = findPac(openTicket(asRep.ticket, krbtgt).authorizationData)!.pac;
    // The KDC signs the PAC after the PKINIT changes: its signatures verify.
    verifyPac(pacBytes, { serverKey: krbtgt, kdcKey: krbtgt });
    const pac = decodePac(pacBytes);
    const extraSids = getPacBuffer(pac, PacBufferType.LOGON_INFO)!.extraSids.map((e) => formatSid(e.sid));
    return { pac, extraSids, replyKey: r.replyKey(rep) };
  }

  it('a validated freshness token adds S-1-18-3 after S-1-18-1; without one, S-1-18-1 alone', () => {
    expect(logon('active-directory', true).extraSids).toEqual(['S-1-18-1', 'S-1-18-3']);
    expect(logon('active-directory', false).extraSids).toEqual(['S-1-18-1']);
    // MIT's KDC adds neither.
    expect(logon('mit', true).extraSids).toEqual(['S-1-18-1']);
  });

  it("PAC_CREDENTIAL_INFO after KERB_VALIDATION_INFO: the account's NT hash, encrypted with the AS reply key", () => {
    const { pac, replyKey } = logon('active-directory', true);
    expect(pac.buffers.map((b) => b.type).slice(0, 3)).toEqual([
      PacBufferType.LOGON_INFO,
      PacBufferType.CREDENTIALS_INFO,
      PacBufferType.CLIENT_INFO,
    ]);
    const raw = pac.buffers.find((b) => b.type === PacBufferType.CREDENTIALS_INFO) as RawPacBuffer;
    const info = decodePacCredentialInfo(raw.data);
    expect([info.version, info.encryptionType]).toEqual([0, replyKey.etype]);
    const data = openPacCredentials(replyKey, info);
    expect(data.credentials.map((c) => c.packageName)).toEqual(['NTLM']);
    const ntlm = decodeNtlmSupplementalCredential(data.credentials[0]!.credentials);
    expect(ntlm.flags).toBe(NtlmCredentialFlags.NT_OWF);
    expect(Buffer.from(ntlm.lmPassword).toString('hex')).toBe('00'.repeat(16));
    // The NT hash: RC4-HMAC's string-to-key, MD4 of the UTF-16LE password (RFC 4757 section 4).
    expect(Buffer.from(ntlm.ntPassword).toString('hex')).toBe(
      Buffer.from(stringToKey(23, 'alice-Passw0rd', '').bytes).toString('hex'),
    );
  });

  it('no PAC_CREDENTIAL_INFO for an account without an NT hash (no RC4-HMAC key), nor from an MIT realm', () => {
    const types = (p: ReturnType<typeof logon>) => p.pac.buffers.map((b) => b.type);
    expect(types(logon('active-directory', false, 'bob'))).not.toContain(PacBufferType.CREDENTIALS_INFO);
    expect(types(logon('mit', false))).not.toContain(PacBufferType.CREDENTIALS_INFO);
  });

  it('both are in the PAC the realm proposes, which its authorizationData hook sees and decides on', () => {
    const l = lab();
    const proposed: Pac[] = [];
    // A hook that keeps the PAC but drops PAC_CREDENTIAL_INFO, as a realm hiding the NT hash would.
    l.realm.authorizationData = (ctx) => {
      const pac = decodePac(findPac(ctx.proposed)!.pac);
      proposed.push(pac);
      const kept = { buffers: pac.buffers.filter((b) => b.type !== PacBufferType.CREDENTIALS_INFO) };
      return withPac(ctx.proposed, encodePac(kept));
    };
    const token = decodeMethodData(
      errorOf(
        l.kdc.handle(
          asReq({
            realm: REALM,
            cname: 'alice',
            padata: [{ padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) }],
          }),
        ),
      ).eData!,
    ).find((p) => p.padataType === PaDataType.PA_AS_FRESHNESS)!.padataValue;
    const asRep = decodeAsRep(l.kdc.handle(request(certs.aliceSid!, 'alice', token).bytes));
    expect(proposed).toHaveLength(1);
    const seen = proposed[0]!;
    expect(seen.buffers.map((b) => b.type).slice(0, 2)).toEqual([
      PacBufferType.LOGON_INFO,
      PacBufferType.CREDENTIALS_INFO,
    ]);
    expect(getPacBuffer(seen, PacBufferType.LOGON_INFO)!.extraSids.map((e) => formatSid(e.sid))).toEqual([
      'S-1-18-1',
      'S-1-18-3',
    ]);
    // The ticket carries what the hook chose: nothing adds the buffer back after it.
    const krbtgt = l.realm.krbtgt.keys.find((k) => k.key.etype === asRep.ticket.encPart.etype)!.key;
    const issued = decodePac(findPac(openTicket(asRep.ticket, krbtgt).authorizationData)!.pac);
    expect(issued.buffers.map((b) => b.type)).not.toContain(PacBufferType.CREDENTIALS_INFO);
    expect(getPacBuffer(issued, PacBufferType.LOGON_INFO)!.extraSids.map((e) => formatSid(e.sid))).toEqual([
      'S-1-18-1',
      'S-1-18-3',
    ]);
  });
});
