/**
 * PKINIT (RFC 4556, RFC 8070) between krbsim's client and krbsim's KDC, in
 * process: DH and ECDH, the certificate checks of both sides, the mapping
 * table, EKU and UPN policies, freshness, the group negotiation of
 * TD-DH-PARAMETERS, and every refusal with its RFC 4556 section 3.1.3 code,
 * some from requests built by hand to reach each check.
 */

import {
  type AsRep,
  decodeAsRep,
  decodeAsReq,
  decodeExternalPrincipalIdentifiers,
  decodeKdcDhKeyInfo,
  decodeKrbError,
  decodeMethodData,
  decodePaPkAsRep,
  decodeTdDhParameters,
  decodeTypedData,
  encodeAsRep,
  encodeAsReq,
  encodeKdcDhKeyInfo,
  encodeKrbError,
  encodeMethodData,
  encodePaPkAsRep,
  encodePaPkAsReq,
  encodeTypedData,
  krbError,
  NameType,
  PaDataType,
  type PaPkAsRep,
  type PkAuthenticator,
  PkinitOid,
} from '@krbsim/asn1';
import { type ClientOptions, KerberosClient, type PkinitIdentity } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, type PkinitOptions, Realm } from '@krbsim/kdc';
import {
  certificateFrom,
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  generateKeyAgreement,
  groupOfAlgorithm,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  issuerAndSerialNumber,
  KeyUsageBit,
  type PemCertificate,
  parseCertificate,
  pemBlocks,
  SID_URL_PREFIX,
  verifySignedData,
} from '@krbsim/pki';
import {
  basicConstraintsExtension,
  certificateExtension,
  derOid,
  derSeq,
  extKeyUsageExtension,
  handMadeCertificate,
  keyUsageExtension,
  pkinitSanExtension,
  tlv,
} from '@krbsim/testing';
import { InProcessTransport } from '@krbsim/transport';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pkinitAsReq } from '../../kdc/test/pkinit-request';
import { rejection } from './rejection';

const REALM = 'PKI.TEST';
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

let ca: PemCertificate;
let otherCa: PemCertificate;
let kdcCert: PemCertificate;
let alice: PemCertificate;
let stranger: PemCertificate;
let bob: PemCertificate;
let noSan: PemCertificate;
let upnOnly: PemCertificate;
let tlsOnly: PemCertificate;
let upnTlsOnly: PemCertificate;
let smartcard: PemCertificate;
let ecAlice: PemCertificate;
let otherKdc: PemCertificate;
let bobImplicit: PemCertificate;
let bobElsewhere: PemCertificate;
let pc1: PemCertificate;
let pc1Wrong: PemCertificate;
let dcCert: PemCertificate;
const sids: Record<'alice' | 'bob' | 'PC1$', string> = { alice: '', bob: '', PC1$: '' };

beforeAll(async () => {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('pkinit-certs');
  const o = { clock, random, realm: REALM };
  ca = await createSelfSignedCa({ commonName: 'krbsim PKINIT test CA', clock, random, keyType: 'rsa-2048' });
  otherCa = await createSelfSignedCa({ commonName: 'someone else', clock, random, keyType: 'rsa-2048' });
  kdcCert = await issuePkinitKdcCertificate(ca, o);
  otherKdc = await issuePkinitKdcCertificate(ca, { ...o, realm: 'ELSEWHERE.TEST' });
  // The SIDs an active-directory realm gives alice, bob and PC1$: AD CS writes the account's SID in
  // its certificates (KB5014754), which an AD realm under Full Enforcement needs; an MIT realm ignores it.
  const d = lab({}, {}, 'active-directory').realm.directory;
  for (const name of ['alice', 'bob', 'PC1$'] as const) sids[name] = d.sidOf(d.account(name)!.rid);
  alice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice' });
  stranger = await issuePkinitClientCertificate(otherCa, { ...o, principal: 'alice' });
  bob = await issuePkinitClientCertificate(ca, { ...o, principal: 'bob' });
  noSan = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'alice',
    pkinitSan: false,
    commonName: 'Alice Smith',
  });
  upnOnly = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'alice',
    pkinitSan: false,
    upn: 'alice@pki.test',
    sid: sids.alice,
  });
  tlsOnly = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', purposes: ['client-auth'] });
  upnTlsOnly = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'alice',
    pkinitSan: false,
    upn: 'alice@pki.test',
    sid: sids.alice,
    purposes: ['client-auth'],
  });
  smartcard = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'alice',
    purposes: ['smartcard-logon'],
  });
  ecAlice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', keyType: 'ecdsa-p256' });
  // Windows smart-card and computer certificates: no id-pkinit-san; a UPN, or a dNSName.
  const windows = { ...o, pkinitSan: false, purposes: ['smartcard-logon'] as const };
  bobImplicit = await issuePkinitClientCertificate(ca, {
    ...windows,
    principal: 'bob',
    upn: 'BOB@pki.test',
    sid: sids.bob,
  });
  bobElsewhere = await issuePkinitClientCertificate(ca, {
    ...windows,
    principal: 'bob',
    upn: 'bob@other.test',
  });
  pc1 = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'PC1$',
    pkinitSan: false,
    dnsNames: ['PC1.pki.test'],
    sidUrl: sids.PC1$,
  });
  // A Windows DC's: KDC authentication, the domain's and the DC's DNS names, no id-pkinit-san.
  dcCert = await issuePkinitKdcCertificate(ca, {
    ...o,
    pkinitSan: false,
    dnsNames: ['pki.test', 'DC1.pki.test'],
  });
  pc1Wrong = await issuePkinitClientCertificate(ca, {
    ...o,
    principal: 'PC1$',
    pkinitSan: false,
    dnsNames: ['pc2.pki.test'],
  });
});

function lab(
  pkinit: Partial<PkinitOptions> = {},
  users: { alicePreauth?: boolean } = {},
  kind: 'mit' | 'active-directory' = 'mit',
) {
  const clock = new ManualClock(T0);
  const realm = new Realm({
    name: REALM,
    kind,
    clock,
    random: new SeededRandom('pki'),
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem, ...pkinit },
  });
  realm.addUser('alice', {
    password: 'unused-Passw0rd',
    upn: 'alice@pki.test',
    ...(users.alicePreauth === undefined ? {} : { requiresPreauth: users.alicePreauth }),
  });
  realm.addUser('bob', { password: 'bob-Passw0rd' });
  if (kind === 'active-directory') realm.addComputer('PC1', { password: 'pc1-machine-Passw0rd' });
  const kdc = new Kdc(realm);
  const requests: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  /** Rewrites a reply before the client sees it (tests of the client's handling). */
  const edit: { reply?: (rep: Uint8Array, n: number) => Uint8Array } = {};
  const transport = new InProcessTransport().register(REALM, (req) => {
    requests.push(req);
    const rep = kdc.handle(req);
    replies.push(rep);
    return edit.reply?.(rep, replies.length) ?? rep;
  });
  const log: string[] = [];
  const client = (extra: Partial<ClientOptions> = {}) =>
    new KerberosClient({
      realm: REALM,
      transport,
      clock,
      random: new SeededRandom('client'),
      log: (l) => log.push(l),
      ...extra,
    });
  const codes = () => replies.filter((r) => r[0] === 0x7e).map((r) => decodeKrbError(r).errorCode);
  return { clock, realm, kdc, client, log, requests, replies, codes, edit };
}

/** A subjectAltName holding one Microsoft UPN otherName (a UTF8String). */
/** subjectAltName: a UPN otherName and, as KB5014754's strong mapping, the account's SID as a URL. */
const upnSanExtension = (upn: string, sid: string) =>
  certificateExtension(
    PkinitOid.subjectAltName,
    false,
    derSeq(
      tlv(0xa0, derOid(PkinitOid.id_ms_san_upn), tlv(0xa0, tlv(0x0c, new TextEncoder().encode(upn)))),
      tlv(0x86, new TextEncoder().encode(`${SID_URL_PREFIX}${sid}`)),
    ),
  );

const identity = (cert: PemCertificate, extra: Partial<PkinitIdentity> = {}): PkinitIdentity => ({
  certificate: cert.certPem,
  privateKey: cert.keyPem,
  anchors: ca.certPem,
  ...extra,
});

describe('PKINIT: krbsim client and krbsim KDC', () => {
  it('gets a TGT by Diffie-Hellman (modp14) with a freshness token', async () => {
    const { client, log, codes } = lab();
    const tgt = await client().getInitialCredentials('alice', identity(alice));
    expect(tgt.server.name.nameString).toEqual(['krbtgt', REALM]);
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(log.some((l) => l.includes('PKINIT modp14, freshness token'))).toBe(true);
    expect(codes()).toEqual([ErrorCode.KDC_ERR_PREAUTH_REQUIRED]);
  });

  it("with kdcTimeSync, a client an hour ahead signs its AuthPack on the KDC's time, as MIT's pkinit does", async () => {
    const { client } = lab();
    const ahead = new ManualClock(T0 + 3_600_000);
    const e = await rejection(client({ clock: ahead }).getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    const synced = client({ clock: ahead, kdcTimeSync: true });
    const tgt = await synced.getInitialCredentials('alice', identity(alice));
    expect(tgt.authtime).toBe(T0);
    expect(Math.abs(synced.kdcTimeOffsetMs! + 3_600_000)).toBeLessThan(1000);
  });

  for (const group of ['modp16', 'modp2', 'P-256', 'P-384', 'P-521'] as const) {
    it(`gets a TGT with ${group} when the realm serves it`, async () => {
      const { client } = lab({ groups: [group] });
      const tgt = await client().getInitialCredentials('alice', identity(alice, { group }));
      expect(tgt.client.name.nameString).toEqual(['alice']);
    });
  }

  it('uses the RFC 8636 KDF the client lists first (SHA-256), or octetstring2key where the realm will not', async () => {
    const kdf = lab();
    await kdf.client().getInitialCredentials('alice', identity(alice));
    expect(kdf.log).toContain('PKINIT reply key by the KDF 1.3.6.1.5.2.3.6.2 (RFC 8636)');
    const plain = lab({ useKdf: false });
    await plain.client().getInitialCredentials('alice', identity(alice));
    expect(plain.log.some((l) => l.includes('by the KDF'))).toBe(false);
  });

  it('signs with an ECDSA client certificate too', async () => {
    const { client } = lab();
    const tgt = await client().getInitialCredentials('alice', identity(ecAlice));
    expect(tgt.client.name.nameString).toEqual(['alice']);
  });

  it('a user without keys (keys: [], MIT addprinc -nokey) comes in by its certificate alone, as MIT serves it', async () => {
    const { client, realm, replies } = lab();
    const carol = await issuePkinitClientCertificate(ca, {
      clock: new ManualClock(T0),
      random: new SeededRandom('carol'),
      realm: REALM,
      principal: 'carol',
      keyType: 'ecdsa-p256',
    });
    realm.addUser('carol', { keys: [], requiresPreauth: true });
    const tgt = await client().getInitialCredentials('carol', identity(carol));
    expect(tgt.client.name.nameString).toEqual(['carol']);
    // Without a key there is no salt to name: no ETYPE-INFO2 in the reply, the enc-part's kvno absent.
    const rep = decodeAsRep(replies.at(-1)!);
    expect(rep.padata?.map((p) => p.padataType)).toEqual([PaDataType.PA_PK_AS_REP]);
    expect(rep.encPart.kvno).toBeUndefined();
    // A password cannot: no PA-ENC-TIMESTAMP is offered, and no key hint (ETYPE-INFO2); PKINIT and
    // FAST are (an MIT realm offers FAST, first as MIT's KDC lists it, with its cookie).
    const e = await rejection(client().getInitialCredentials('carol', { password: 'any-Passw0rd' }));
    expect(e).toBeInstanceOf(KerberosError);
    const offered = decodeMethodData(decodeKrbError(replies.at(-1)!).eData!).map((p) => p.padataType);
    expect(offered).toEqual([PaDataType.PA_FX_FAST, PaDataType.PA_PK_AS_REQ, PaDataType.PA_FX_COOKIE]);
    // Without pre-authentication required and without PKINIT, there is no reply key to seal with.
    realm.addUser('dave', { keys: [], requiresPreauth: false });
    const plain = await rejection(client().getInitialCredentials('dave', { password: 'any-Passw0rd' }));
    expect(plain.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
  });

  it('the TGT serves a TGS exchange like any other', async () => {
    const { client, realm } = lab();
    realm.addService('HTTP/web.pki.test', { password: 'web-Passw0rd' });
    const c = client();
    await c.getInitialCredentials('alice', identity(alice));
    const st = await c.getServiceTicket('HTTP/web.pki.test');
    expect(st.client.name.nameString).toEqual(['alice']);
  });

  it('a group the realm does not accept: KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED with TD-DH-PARAMETERS, and the client retries with one of them', async () => {
    const { client, codes, replies, log } = lab({ groups: ['modp16', 'P-256'] });
    const tgt = await client().getInitialCredentials('alice', identity(alice, { group: 'modp2' }));
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(codes()).toEqual([
      ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
      ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED,
    ]);
    const err = decodeKrbError(replies.find((r) => r[0] === 0x7e && decodeKrbError(r).errorCode === 65)!);
    const td = decodeTypedData(err.eData!);
    expect(td[0]!.dataType).toBe(109);
    expect(decodeTdDhParameters(td[0]!.dataValue!).map(groupOfAlgorithm)).toEqual(['modp16', 'P-256']);
    expect(log.some((l) => l.includes('does not accept modp2; it offers modp16'))).toBe(true);
  });

  it('offered only groups under modp14, it does not step down to them (MIT: pkinit_dh_min_bits 2048)', async () => {
    for (const sent of ['modp14', 'P-384'] as const) {
      const two = lab({ groups: ['modp2'] });
      const e = await rejection(
        two.client().getInitialCredentials('alice', identity(alice, { group: sent })),
      );
      expect(e.code, sent).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
      expect(e.message, sent).toContain(
        `the KDC for ${REALM} does not accept ${sent} and offers only groups weaker than modp14 (modp2)`,
      );
      expect(two.log.some((l) => l.includes('(PKINIT modp2'))).toBe(false);
    }
    // Asked for explicitly, a weak group is used; a group of modp14's strength or more offered is taken.
    await lab({ groups: ['modp2'] })
      .client()
      .getInitialCredentials('alice', identity(alice, { group: 'modp2' }));
    const up = lab({ groups: ['modp2', 'modp16'] });
    await up.client().getInitialCredentials('alice', identity(alice));
    expect(up.log.some((l) => l.includes('does not accept modp14; it offers modp16'))).toBe(true);
    const across = lab({ groups: ['modp2', 'modp14'] });
    await across.client().getInitialCredentials('alice', identity(alice, { group: 'P-384' }));
    expect(across.log.some((l) => l.includes('does not accept P-384; it offers modp14'))).toBe(true);
  });

  it('a realm that requires freshness refuses a request without a token, with one to retry with (RFC 8070)', async () => {
    const { client, codes, edit } = lab({ requireFreshness: true });
    // Hide the token of the first PREAUTH_REQUIRED, as from a client that never asked for one.
    edit.reply = (rep, n) => {
      if (n !== 1) return rep;
      const e = decodeKrbError(rep);
      const methods = decodeMethodData(e.eData!).filter((m) => m.padataType !== PaDataType.PA_AS_FRESHNESS);
      return encodeKrbError({ ...e, eData: encodeMethodData(methods).slice() }).slice();
    };
    const tgt = await client().getInitialCredentials('alice', identity(alice));
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(codes()).toEqual([ErrorCode.KDC_ERR_PREAUTH_REQUIRED, ErrorCode.KDC_ERR_PREAUTH_FAILED]);
  });

  it('a freshness token past its lifetime: KDC_ERR_PREAUTH_EXPIRED from a DC, PREAUTH_FAILED from an MIT realm (as MIT sends it)', async () => {
    for (const [kind, cert, code] of [
      ['active-directory', upnOnly, ErrorCode.KDC_ERR_PREAUTH_EXPIRED],
      ['mit', alice, ErrorCode.KDC_ERR_PREAUTH_FAILED],
    ] as const) {
      const { client, clock, edit } = lab({}, {}, kind);
      edit.reply = (rep, n) => {
        if (n === 1) clock.advance(10 * 60_000);
        return rep;
      };
      const e = await rejection(client().getInitialCredentials('alice', identity(cert)));
      expect(e.code, kind).toBe(code);
    }
  });

  it('maps a certificate without id-pkinit-san through the mapping table, and only then', async () => {
    const subject = certificateFrom(noSan.certPem).subjectText;
    expect(subject).toBe('CN=Alice Smith');
    const e = await rejection(lab().client().getInitialCredentials('alice', identity(noSan)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    expect(e.message).toContain('it names no principal');
    const bySubject = lab({ mapping: [{ subject, principal: 'alice' }] });
    expect(
      (await bySubject.client().getInitialCredentials('alice', identity(noSan))).client.name.nameString,
    ).toEqual(['alice']);
    const fp = certificateFrom(noSan.certPem).fingerprint256;
    const byPrint = lab({ mapping: [{ fingerprint256: fp.toLowerCase(), principal: 'alice' }] });
    await byPrint.client().getInitialCredentials('alice', identity(noSan));
    // The table maps the certificate to alice, not to bob.
    const wrong = lab({ mapping: [{ subject, principal: 'alice' }] });
    expect((await rejection(wrong.client().getInitialCredentials('bob', identity(noSan)))).code).toBe(
      ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH,
    );
  });

  it("refuses bob's certificate for alice (KDC_ERR_CLIENT_NAME_MISMATCH)", async () => {
    const e = await rejection(lab().client().getInitialCredentials('alice', identity(bob)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    expect(e.message).toContain(`bob@${REALM}`);
  });

  it('a UPN subjectAltName maps only where the realm allows it (active-directory default)', async () => {
    expect((await rejection(lab().client().getInitialCredentials('alice', identity(upnOnly)))).code).toBe(
      ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH,
    );
    await lab({ allowUpn: true }).client().getInitialCredentials('alice', identity(upnOnly));
  });

  it('an active-directory realm maps as a DC does: by UPN (the implicit one too), a computer by its dNSName, never by id-pkinit-san', async () => {
    const ad = () => lab({}, {}, 'active-directory');
    // A UPN subjectAltName, with id-pkinit-KPClientAuth or the smart card logon EKU (a Windows smart card's).
    await ad().client().getInitialCredentials('alice', identity(upnOnly));
    // MS-PKCA 3.1.5: a Windows KDC does not process id-pkinit-san, so a certificate naming alice only there
    // does not map, whatever its EKU.
    for (const cert of [alice, smartcard]) {
      const e = await rejection(ad().client().getInitialCredentials('alice', identity(cert)));
      expect(e.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    }
    // bob has no UPN of his own: his implicit one, sAMAccountName@<the domain>, maps, in any case; another does not.
    await ad().client().getInitialCredentials('bob', identity(bobImplicit));
    const elsewhere = await rejection(ad().client().getInitialCredentials('bob', identity(bobElsewhere)));
    expect(elsewhere.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    // A computer's certificate names its dNSHostName (MS-PKCA 3.1.5.2.1): PC1$, not another host.
    const cred = await ad().client().getInitialCredentials('PC1$', identity(pc1));
    expect(cred.client.name.nameString).toEqual(['PC1$']);
    const wrong = await rejection(ad().client().getInitialCredentials('PC1$', identity(pc1Wrong)));
    expect(wrong.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
    // The mapping table (AD's explicit mappings, altSecurityIdentities) still maps: by fingerprint256, a
    // strong mapping (packages/kdc/test/pkinit-mapping.test.ts has the weak ones Full Enforcement refuses).
    const fingerprint256 = certificateFrom(noSan.certPem).fingerprint256;
    await lab({ mapping: [{ fingerprint256, principal: 'alice' }] }, {}, 'active-directory')
      .client()
      .getInitialCredentials('alice', identity(noSan));
    // An MIT realm maps by id-pkinit-san, and by none of the AD names.
    await lab().client().getInitialCredentials('alice', identity(alice));
    expect(
      (
        await rejection(
          lab({ allowUpn: true, clientEku: 'scLogin' })
            .client()
            .getInitialCredentials('bob', identity(bobImplicit)),
        )
      ).code,
    ).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
  });

  it("an active-directory realm takes the EKUs a DC takes (MS-PKCA 3.1.5), and a certificate without EKU or keyUsage; an MIT realm keeps MIT's rules", async () => {
    const ad = () => lab({}, {}, 'active-directory');
    const upnCert = (extensions: Uint8Array[]) =>
      handMadeCertificate({
        subject: 'alice',
        issuer: ca,
        extensions: [
          basicConstraintsExtension(false),
          upnSanExtension('alice@pki.test', sids.alice),
          ...extensions,
        ],
        notBefore: T0 - 86_400_000,
        notAfter: T0 + 30 * 86_400_000,
      });
    const signs = keyUsageExtension(KeyUsageBit.digitalSignature);
    const taken: [string, PemCertificate][] = [
      ['TLS client authentication', upnTlsOnly],
      ['smart card logon', bobImplicit],
      ['neither EKU nor keyUsage', upnCert([])],
      ['no EKU, keyUsage digitalSignature', upnCert([signs])],
      ['anyExtendedKeyUsage', upnCert([signs, extKeyUsageExtension('2.5.29.37.0')])],
    ];
    for (const [what, cert] of taken) {
      const who = cert === bobImplicit ? 'bob' : 'alice';
      const tgt = await ad().client().getInitialCredentials(who, identity(cert));
      expect(tgt.client.name.nameString, what).toEqual([who]);
    }
    // A DC's KRB-ERROR carries no e-text: packages/kdc/test/pkinit-mapping.test.ts reads the KDC's reasons.
    const refused: [string, PemCertificate][] = [
      ['server authentication only', upnCert([signs, extKeyUsageExtension('1.3.6.1.5.5.7.3.1')])],
      ['keyUsage without digitalSignature', upnCert([keyUsageExtension(KeyUsageBit.keyEncipherment)])],
    ];
    for (const [what, cert] of refused) {
      const e = await rejection(ad().client().getInitialCredentials('alice', identity(cert)));
      expect(e.code, what).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
    }
    // MIT (pkinit_eku_checking kpClientAuth, crypto_check_cert_eku): the EKU and keyUsage are both required.
    for (const [what, cert] of taken.filter(([, c]) => c !== bobImplicit)) {
      const e = await rejection(
        lab({ allowUpn: true }).client().getInitialCredentials('alice', identity(cert)),
      );
      expect(e.code, what).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
    }
    // clientEku: 'scLogin' in an AD realm asks MIT's scLogin rule instead.
    const sc = await rejection(
      lab({ clientEku: 'scLogin' }, {}, 'active-directory')
        .client()
        .getInitialCredentials('alice', identity(upnTlsOnly)),
    );
    expect(sc.code).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
  });

  /** The one TYPED-DATA entry of the last KRB-ERROR `replies` holds, its ExternalPrincipalIdentifiers decoded. */
  const typedHint = (replies: Uint8Array[]) => {
    const err = decodeKrbError(replies.filter((r) => r[0] === 0x7e).at(-1)!);
    const [entry, ...more] = decodeTypedData(err.eData!);
    expect(more).toEqual([]);
    return { type: entry!.dataType, ids: decodeExternalPrincipalIdentifiers(entry!.dataValue!) };
  };

  it('refuses a certificate of another CA (KDC_ERR_CANT_VERIFY_CERTIFICATE), naming the anchors it trusts', async () => {
    const l = lab();
    const e = await rejection(l.client().getInitialCredentials('alice', identity(stranger)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE);
    // RFC 4556 section 3.2.2: TD-TRUSTED-CERTIFIERS, the realm's CA by subject and issuer and serial.
    const anchor = parseCertificate(pemBlocks(ca.certPem, 'CERTIFICATE')[0]!);
    const hint = typedHint(l.replies);
    expect(hint.type).toBe(104);
    expect(hint.ids).toEqual([
      { subjectName: anchor.subject, issuerAndSerialNumber: issuerAndSerialNumber(anchor) },
    ]);
  });

  it('refuses an expired certificate (KDC_ERR_INVALID_CERTIFICATE), naming it', async () => {
    const l = lab();
    l.clock.advance(400 * 86_400_000);
    // The client's own clock moves too; the KDC checks validity at its time.
    const e = await rejection(l.client().getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_INVALID_CERTIFICATE);
    // TD-INVALID-CERTIFICATES: the signer's certificate by issuer and serial.
    const hint = typedHint(l.replies);
    expect(hint.type).toBe(105);
    expect(hint.ids).toEqual([
      {
        issuerAndSerialNumber: issuerAndSerialNumber(
          parseCertificate(pemBlocks(alice.certPem, 'CERTIFICATE')[0]!),
        ),
      },
    ]);
  });

  it('the client EKU: KPClientAuth by default, smart card logon by policy (KDC_ERR_INCONSISTENT_KEY_PURPOSE)', async () => {
    for (const cert of [tlsOnly, smartcard]) {
      const e = await rejection(lab().client().getInitialCredentials('alice', identity(cert)));
      expect(e.code).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
    }
    await lab({ clientEku: 'scLogin' }).client().getInitialCredentials('alice', identity(smartcard));
    expect(
      (
        await rejection(
          lab({ clientEku: 'scLogin' }).client().getInitialCredentials('alice', identity(tlsOnly)),
        )
      ).code,
    ).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
    await lab({ clientEku: 'none' }).client().getInitialCredentials('alice', identity(tlsOnly));
  });

  it('a client certificate that may not sign (keyUsage without digitalSignature, or none): KDC_ERR_INCONSISTENT_KEY_PURPOSE, as MIT', async () => {
    const made = (keyUsage: number[] | undefined) =>
      handMadeCertificate({
        subject: 'alice',
        issuer: ca,
        extensions: [
          basicConstraintsExtension(false),
          ...(keyUsage === undefined ? [] : [keyUsageExtension(...keyUsage)]),
          extKeyUsageExtension(PkinitOid.id_pkinit_KPClientAuth),
          pkinitSanExtension(REALM, 'alice'),
        ],
        notBefore: T0 - 86_400_000,
        notAfter: T0 + 30 * 86_400_000,
      });
    const signs = made([KeyUsageBit.digitalSignature]);
    await lab().client().getInitialCredentials('alice', identity(signs));
    for (const [what, cert] of [
      ['keyEncipherment only', made([KeyUsageBit.keyEncipherment])],
      ['no keyUsage', made(undefined)],
    ] as const) {
      const e = await rejection(lab().client().getInitialCredentials('alice', identity(cert)));
      expect(e.code, what).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
      expect(e.message, what).toContain('the client certificate CN=alice may not sign');
      // With EKU checking off, as MIT's pkinit_eku_checking = none.
      await lab({ clientEku: 'none' }).client().getInitialCredentials('alice', identity(cert));
    }
  });

  it('the client refuses a KDC certificate that may not sign (keyUsage without digitalSignature)', async () => {
    const kdcMade = handMadeCertificate({
      subject: 'KDC',
      issuer: ca,
      extensions: [
        basicConstraintsExtension(false),
        keyUsageExtension(KeyUsageBit.keyEncipherment),
        extKeyUsageExtension(PkinitOid.id_pkinit_KPKdc),
        pkinitSanExtension(REALM, 'krbtgt', REALM),
      ],
      notBefore: T0 - 86_400_000,
      notAfter: T0 + 30 * 86_400_000,
    });
    const kdcCertificate = { certificate: kdcMade.certPem, privateKey: kdcMade.keyPem };
    const e = await rejection(lab(kdcCertificate).client().getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
    expect(e.message).toContain(
      'the KDC certificate CN=KDC may not sign (keyUsage without digitalSignature)',
    );
    await lab(kdcCertificate)
      .client()
      .getInitialCredentials('alice', identity(alice, { checkKdcCertificate: false }));
  });

  it("the client refuses a KDC whose certificate names another realm's krbtgt (KDC_ERR_KDC_NAME_MISMATCH)", async () => {
    const { client } = lab({ certificate: otherKdc.certPem, privateKey: otherKdc.keyPem });
    const e = await rejection(client().getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_KDC_NAME_MISMATCH);
    await lab({ certificate: otherKdc.certPem, privateKey: otherKdc.keyPem })
      .client()
      .getInitialCredentials('alice', identity(alice, { checkKdcCertificate: false }));
  });

  it("a DC's certificate (dNSNames, no id-pkinit-san) is taken with kdcHostnames, as MIT's pkinit_kdc_hostname", async () => {
    const dc = () => lab({ certificate: dcCert.certPem, privateKey: dcCert.keyPem });
    const e = await rejection(dc().client().getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_KDC_NAME_MISMATCH);
    const other = await rejection(
      dc()
        .client()
        .getInitialCredentials('alice', identity(alice, { kdcHostnames: ['dc2.pki.test'] })),
    );
    expect(other.message).toContain('nor any of dc2.pki.test');
    // Either of its names, in any case.
    await dc()
      .client()
      .getInitialCredentials('alice', identity(alice, { kdcHostnames: ['dc1.PKI.test'] }));
    await dc()
      .client()
      .getInitialCredentials('alice', identity(alice, { kdcHostnames: ['pki.test'] }));
    // A list that is not one is refused before anything is sent.
    const l = dc();
    const bad = await rejection(
      l.client().getInitialCredentials('alice', identity(alice, { kdcHostnames: [''] as readonly string[] })),
    );
    expect([bad.code, l.requests.length]).toEqual([ErrorCode.KRB_ERR_GENERIC, 0]);
  });

  it("the client refuses a KDC certificate that is not a KDC's (KDC_ERR_INCONSISTENT_KEY_PURPOSE)", async () => {
    const { client } = lab({ certificate: bob.certPem, privateKey: bob.keyPem });
    const e = await rejection(client().getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE);
  });

  it('the client refuses a KDC certificate its anchors do not trust', async () => {
    const e = await rejection(
      lab()
        .client()
        .getInitialCredentials('alice', identity(alice, { anchors: otherCa.certPem })),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE);
  });

  it('a realm without PKINIT does not offer it, and refuses a PA-PK-AS-REQ (KDC_ERR_PADATA_TYPE_NOSUPP)', async () => {
    const clock = new ManualClock(T0);
    const realm = new Realm({ name: REALM, clock });
    realm.addUser('alice', { password: 'a-Passw0rd' });
    const kdc = new Kdc(realm);
    const transport = new InProcessTransport().register(REALM, (req) => kdc.handle(req));
    const c = new KerberosClient({ realm: REALM, transport, clock });
    const e = await rejection(c.getInitialCredentials('alice', identity(alice)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
    expect(e.message).toContain('does not offer PKINIT');
    const raw = handBuilt(lab(), {});
    expect(raw.code(kdc)).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
  });
});

/** A PA-PK-AS-REQ built by hand, with one part of it changed, sent straight to a KDC. */
function handBuilt(
  _l: ReturnType<typeof lab>,
  change: {
    authenticator?: (a: PkAuthenticator) => PkAuthenticator;
    noPublicValue?: boolean;
    kdfs?: readonly string[];
    signer?: PemCertificate | 'ec';
    tamper?: boolean;
  },
) {
  const pair = generateKeyAgreement('modp14', new SeededRandom('hand'));
  const who = change.signer === 'ec' ? ecAlice : (change.signer ?? alice);
  const req = pkinitAsReq({
    realm: REALM,
    now: T0,
    cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    nonce: 12345,
    authPack: (a) => ({
      pkAuthenticator: change.authenticator?.(a) ?? a,
      ...(change.noPublicValue ? {} : { clientPublicValue: pair.spki }),
      ...(change.kdfs !== undefined && { supportedKdfs: change.kdfs.map((kdfId) => ({ kdfId })) }),
    }),
    sign: (authPack) =>
      createSignedData(PkinitOid.id_pkinit_authData, authPack, cmsSigner(who.certPem, who.keyPem)),
    ...(change.tamper !== undefined && { tamper: change.tamper }),
  });
  return {
    req,
    code(kdc: Kdc): number {
      const rep = kdc.handle(req);
      return rep[0] === 0x7e ? decodeKrbError(rep).errorCode : 0;
    },
  };
}

describe('PKINIT: the KDC checks every part of a PA-PK-AS-REQ', () => {
  const cases: [string, Parameters<typeof handBuilt>[1], number][] = [
    ['a good request is answered', {}, 0],
    [
      'no paChecksum: KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED',
      { authenticator: ({ paChecksum: _, ...a }) => a },
      79,
    ],
    [
      'a paChecksum over another body: KRB_AP_ERR_MODIFIED',
      { authenticator: (a) => ({ ...a, paChecksum: new Uint8Array(20) }) },
      ErrorCode.KRB_AP_ERR_MODIFIED,
    ],
    // RFC 4556 section 3.2.1: the PKAuthenticator's nonce "does not need to match" the request's.
    [
      'a PKAuthenticator nonce other than the request nonce: answered',
      { authenticator: (a) => ({ ...a, nonce: 1 }) },
      0,
    ],
    [
      'a ctime ten minutes off: KRB_AP_ERR_SKEW',
      { authenticator: (a) => ({ ...a, ctime: T0 - 600_000 }) },
      ErrorCode.KRB_AP_ERR_SKEW,
    ],
    [
      'a freshness token not from this realm: KDC_ERR_PREAUTH_FAILED',
      { authenticator: (a) => ({ ...a, freshnessToken: Uint8Array.of(1, 2, 3) }) },
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
    ],
    // Public-key encryption delivery: pkinit-key-transport.test.ts checks the reply.
    ['no DH value, an RSA certificate: answered by public-key encryption', { noPublicValue: true }, 0],
    [
      'no DH value, an EC certificate: KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED',
      { noPublicValue: true, signer: 'ec' },
      ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
    ],
    ['a broken signature: KDC_ERR_INVALID_SIG', { tamper: true }, ErrorCode.KDC_ERR_INVALID_SIG],
    ['only KDFs the KDC does not know: KDC_ERR_NO_ACCEPTABLE_KDF', { kdfs: ['1.2.3.4'] }, 100],
    [
      'an unknown KDF before a known one: answered',
      { kdfs: ['1.2.3.4', PkinitOid.id_pkinit_kdf_ah_sha1] },
      0,
    ],
  ];
  for (const [name, change, code] of cases) {
    it(name, () => {
      const l = lab();
      expect(handBuilt(l, change).code(l.kdc)).toBe(code);
    });
  }

  it("the KDCDHKeyInfo echoes the PKAuthenticator's nonce (RFC 4556 section 3.2.3.1), not the request's", () => {
    const l = lab();
    const rep = decodeAsRep(l.kdc.handle(handBuilt(l, { authenticator: (a) => ({ ...a, nonce: 1 }) }).req));
    const pk = decodePaPkAsRep(
      rep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue,
    );
    if (!('dhInfo' in pk)) throw new Error('expected a DH reply');
    const info = decodeKdcDhKeyInfo(
      verifySignedData(pk.dhInfo.dhSignedData, PkinitOid.id_pkinit_DHKeyData).content,
    );
    expect(info.nonce).toBe(1);
  });

  it('a SignedData that does not decode: KDC_ERR_PREAUTH_FAILED with the METHOD-DATA to retry with', () => {
    const l = lab();
    const good = decodeAsReq(handBuilt(l, {}).req);
    const bad = encodeAsReq({
      ...good,
      padata: [
        {
          padataType: PaDataType.PA_PK_AS_REQ,
          padataValue: encodePaPkAsReq({ signedAuthPack: Uint8Array.of(0x30, 0) }),
        },
      ],
    });
    const err = decodeKrbError(l.kdc.handle(bad));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    // The CMS code that refuses it is @krbsim/pki's; the KDC still sends what PREAUTH_REQUIRED would.
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toContain(PaDataType.PA_PK_AS_REQ);
  });

  it('garbage in PA-PK-AS-REQ: KDC_ERR_PREAUTH_FAILED, never a crash', () => {
    const l = lab();
    const good = handBuilt(l, {}).req;
    for (const cut of [20, 200, 800]) {
      const { req } = handBuilt(l, {});
      const bad = req.slice();
      bad.fill(0x41, bad.length - cut, bad.length - cut + 8);
      const rep = l.kdc.handle(bad);
      expect(rep[0]).toBe(0x7e);
    }
    expect(l.kdc.handle(good)[0]).toBe(0x6b);
  });
});

describe('PKINIT: damaged requests never reach a bug', () => {
  it('flipped, cut and overwritten bytes in a PA-PK-AS-REQ get a KRB-ERROR, never an internal error', () => {
    const l = lab();
    const bugs: unknown[] = [];
    const kdc = new Kdc(l.realm, { onInternalError: (e) => bugs.push(e) });
    const { req } = handBuilt(l, {});
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: req.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('flip', 'cut', 'zero'),
        (at, x, how) => {
          const bad =
            how === 'cut'
              ? req.slice(0, at)
              : how === 'zero'
                ? req.slice().fill(0, at, at + 16)
                : req.slice();
          if (how === 'flip') bad[at] = bad[at]! ^ x;
          const rep = kdc.handle(bad);
          expect([0x7e, 0x6b]).toContain(rep[0]);
        },
      ),
      { numRuns: 400, seed: 4556 },
    );
    expect(bugs).toEqual([]);
  });
});

describe('PKINIT: the client and a damaged reply', () => {
  it('a flipped byte in the AS-REP is a KerberosError (or harmless), never a crash', async () => {
    const l = lab();
    const rng = new SeededRandom('damage');
    for (let i = 0; i < 40; i++) {
      const at = rng.fill(new Uint8Array(4));
      l.edit.reply = (rep) => {
        if (rep[0] !== 0x6b) return rep;
        const bad = rep.slice();
        const pos = (((at[0]! << 16) | (at[1]! << 8) | at[2]!) >>> 0) % bad.length;
        bad[pos] = bad[pos]! ^ (at[3]! | 1);
        return bad;
      };
      try {
        await l.client().getInitialCredentials('alice', identity(alice, { group: 'P-256' }));
      } catch (e) {
        expect(e).toBeInstanceOf(KerberosError);
      }
    }
  });
});

describe("PKINIT: the client's identity and the KDC's reply, checked", () => {
  it('an identity without anchors, or whose certificate or key does not load: KRB_ERR_GENERIC before anything is sent', async () => {
    const { client, requests } = lab();
    const none = await rejection(client().getInitialCredentials('alice', identity(alice, { anchors: [] })));
    expect(none.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(none.realm).toBe(REALM);
    expect(none.message).toContain('PKINIT identity: no anchor certificate to check the KDC with');
    const badKey = await rejection(
      client().getInitialCredentials('alice', { ...identity(alice), privateKey: 'not a key' }),
    );
    expect(badKey.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(badKey.message).toMatch(/^PKINIT identity: /);
    expect(badKey.cause).toBeDefined();
    expect(requests).toHaveLength(0);
  });

  it('a KDC that answers the first AS-REQ without asking for pre-authentication is asked again with PKINIT', async () => {
    const { client, codes, requests, log } = lab({}, { alicePreauth: false });
    const tgt = await client().getInitialCredentials('alice', identity(alice));
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(codes()).toEqual([]);
    expect(requests).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('AS-REQ')).at(-1)).toContain('(PKINIT modp14)');
  });

  it('KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED without a usable TD-DH-PARAMETERS is the refusal, not a retry', async () => {
    const eDatas: Array<[string, Uint8Array | undefined]> = [
      ['no e-data', undefined],
      ['e-data that is not TYPED-DATA', new Uint8Array([0x04, 0x01, 0x00])],
      ['TYPED-DATA without TD-DH-PARAMETERS', encodeTypedData([{ dataType: 108 }]).slice()],
    ];
    for (const [what, eData] of eDatas) {
      const { client, edit, requests } = lab();
      edit.reply = (rep, n) =>
        n === 2
          ? encodeKrbError(
              krbError({
                errorCode: ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED,
                now: T0,
                realm: REALM,
                ...(eData === undefined ? {} : { eData }),
              }),
            ).slice()
          : rep;
      const e = await rejection(client().getInitialCredentials('alice', identity(alice)));
      expect(e.code, what).toBe(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED);
      expect(e.message, what).toContain(`getting initial credentials for alice@${REALM} with PKINIT`);
      expect(requests, what).toHaveLength(2);
    }
  });

  /** Alice's PKINIT exchange with the AS-REP rewritten by `change`. */
  async function changedReply(change: (rep: AsRep) => AsRep): Promise<KerberosError> {
    const l = lab();
    l.edit.reply = (rep) => (rep[0] === 0x6b ? encodeAsRep(change(decodeAsRep(rep))).slice() : rep);
    const c = l.client();
    const e = await rejection(c.getInitialCredentials('alice', identity(alice)));
    expect(c.cache.size).toBe(0);
    return e;
  }

  /** `rep` with its PA-PK-AS-REP's value rewritten by `change`. */
  const withPkAsRep = (rep: AsRep, change: (pk: PaPkAsRep) => PaPkAsRep): AsRep => ({
    ...rep,
    padata: rep.padata!.map((p) =>
      p.padataType === PaDataType.PA_PK_AS_REP
        ? { ...p, padataValue: encodePaPkAsRep(change(decodePaPkAsRep(p.padataValue))).slice() }
        : p,
    ),
  });

  it('an AS-REP without PA-PK-AS-REP: KRB_AP_ERR_MODIFIED', async () => {
    const e = await changedReply((rep) => ({
      ...rep,
      padata: rep.padata!.filter((p) => p.padataType !== PaDataType.PA_PK_AS_REP),
    }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('the AS-REP carries no PA-PK-AS-REP');
  });

  it('a public-key encryption reply (encKeyPack) to a Diffie-Hellman request: KRB_AP_ERR_MODIFIED', async () => {
    const e = await changedReply((rep) =>
      withPkAsRep(rep, (pk) => ({ encKeyPack: 'dhInfo' in pk ? pk.dhInfo.dhSignedData : new Uint8Array() })),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('the KDC answered with public-key encryption, not Diffie-Hellman');
  });

  it('an enc-part of an enctype the client did not offer: KDC_ERR_ETYPE_NOSUPP, before any key is made', async () => {
    for (const etype of [23, 16]) {
      const e = await changedReply((rep) => ({ ...rep, encPart: { ...rep.encPart, etype } }));
      expect(e.code, `etype ${etype}`).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(e.message).toContain(
        `encrypted the AS-REP with enctype ${etype}, which this client did not offer (20, 19, 18, 17)`,
      );
    }
  });

  it('a KDF the client did not offer: KDC_ERR_NO_ACCEPTABLE_KDF', async () => {
    const e = await changedReply((rep) =>
      withPkAsRep(rep, (pk) =>
        'dhInfo' in pk ? { dhInfo: { ...pk.dhInfo, kdf: { kdfId: '1.2.3.4' } } } : pk,
      ),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_NO_ACCEPTABLE_KDF);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain('the KDC chose the KDF 1.2.3.4, which this client did not offer');
  });

  it('a KDCDHKeyInfo, signed by the KDC, for another nonce: KRB_AP_ERR_MODIFIED', async () => {
    const kdcSigner = cmsSigner(kdcCert.certPem, kdcCert.keyPem);
    const e = await changedReply((rep) =>
      withPkAsRep(rep, (pk) => {
        if (!('dhInfo' in pk)) return pk;
        const info = decodeKdcDhKeyInfo(
          verifySignedData(pk.dhInfo.dhSignedData, PkinitOid.id_pkinit_DHKeyData).content,
        );
        const forged = encodeKdcDhKeyInfo({ ...info, nonce: (info.nonce + 1) >>> 0 }).slice();
        const dhSignedData = createSignedData(PkinitOid.id_pkinit_DHKeyData, forged, kdcSigner);
        return { dhInfo: { ...pk.dhInfo, dhSignedData } };
      }),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('the KDCDHKeyInfo nonce is not the one sent');
  });
});
