/**
 * PKINIT's public-key encryption delivery (RFC 4556 section 3.2.3.2)
 * between krbsim's client (`keyDelivery: 'public-key-encryption'`) and
 * krbsim's KDC, in process: the reply key in a ReplyKeyPack the KDC signs
 * (id-pkinit-rkeyData) and encrypts to the client's certificate, its
 * asChecksum over the AS-REQ; the content encryption the KDC picks from the
 * client's supportedCMSTypes; the KDC's refusals (an EC client key, no
 * cipher in common, the anonymous client, and the checks it shares with
 * Diffie-Hellman), from requests built by hand; and every reply the client
 * must refuse, forged with the KDC's own key where a check needs it.
 */

import { createHash } from 'node:crypto';
import {
  type AsRep,
  decodeAsRep,
  decodeAsReq,
  decodeAuthPack,
  decodeKrbError,
  decodeMethodData,
  decodePaPkAsRep,
  decodePaPkAsReq,
  decodeReplyKeyPack,
  encodeAsRep,
  encodePaPkAsRep,
  encodeReplyKeyPack,
  KdcOptions,
  NameType,
  PaDataType,
  type PkAuthenticator,
  PkinitOid,
  type ReplyKeyPack,
} from '@krbsim/asn1';
import { KerberosClient, type PkinitIdentity } from '@krbsim/client';
import { ErrorCode, type KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { checksum, decrypt, EncType, type Key, KeyUsage } from '@krbsim/crypto';
import { Kdc, type PkinitOptions, Realm } from '@krbsim/kdc';
import {
  type CmsSigner,
  certificateFrom,
  cmsSigner,
  contentEncryptionAlgorithmId,
  createEnvelopedData,
  createSelfSignedCa,
  createSignedData,
  createUnsignedData,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  openEnvelopedData,
  type PemCertificate,
  verifySignedData,
} from '@krbsim/pki';
import { derOid, derSeq } from '@krbsim/testing';
import { InProcessTransport } from '@krbsim/transport';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pkinitAsReq } from '../../kdc/test/pkinit-request';
import { rejection } from './rejection';

const REALM = 'PKI.TEST';
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

let ca: PemCertificate;
let kdcCert: PemCertificate;
let alice: PemCertificate;
let bob: PemCertificate;
let ecAlice: PemCertificate;
let aliceId: CmsSigner;
let kdcSigner: CmsSigner;

beforeAll(async () => {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('key-transport-certs');
  const o = { clock, random, realm: REALM };
  ca = await createSelfSignedCa({
    commonName: 'krbsim key transport CA',
    clock,
    random,
    keyType: 'rsa-2048',
  });
  kdcCert = await issuePkinitKdcCertificate(ca, o);
  alice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', keyType: 'rsa-2048' });
  bob = await issuePkinitClientCertificate(ca, { ...o, principal: 'bob', keyType: 'rsa-2048' });
  ecAlice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', keyType: 'ecdsa-p256' });
  aliceId = cmsSigner(alice.certPem, alice.keyPem);
  kdcSigner = cmsSigner(kdcCert.certPem, kdcCert.keyPem);
});

function lab(pkinit: Partial<PkinitOptions> = {}, clientOptions: { encTypes?: readonly number[] } = {}) {
  const clock = new ManualClock(T0);
  const realm = new Realm({
    name: REALM,
    clock,
    random: new SeededRandom('key-transport-kdc'),
    policy: { allowAnonymous: true },
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem, ...pkinit },
  });
  realm.addUser('alice', { password: 'unused-Passw0rd' });
  realm.addService('HTTP/web.pki.test', { password: 'web-Passw0rd' });
  const kdc = new Kdc(realm);
  const requests: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  /** Rewrites a reply before the client sees it. */
  const edit: { reply?: (rep: Uint8Array) => Uint8Array } = {};
  const transport = new InProcessTransport().register(REALM, (req) => {
    requests.push(req);
    const rep = kdc.handle(req);
    replies.push(rep);
    return edit.reply?.(rep) ?? rep;
  });
  const log: string[] = [];
  const client = () =>
    new KerberosClient({
      realm: REALM,
      transport,
      clock,
      random: new SeededRandom('key-transport-client'),
      log: (l) => log.push(l),
      ...clientOptions,
    });
  const codes = () => replies.filter((r) => r[0] === 0x7e).map((r) => decodeKrbError(r).errorCode);
  return { realm, kdc, client, log, requests, replies, codes, edit };
}

const identity = (cert: PemCertificate, extra: Partial<PkinitIdentity> = {}): PkinitIdentity => ({
  certificate: cert.certPem,
  privateKey: cert.keyPem,
  anchors: ca.certPem,
  keyDelivery: 'public-key-encryption',
  ...extra,
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pkAsRepOf = (rep: AsRep) =>
  decodePaPkAsRep(rep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue);

/** The parts of a public-key encryption reply, opened with alice's key. */
function openReply(repBytes: Uint8Array) {
  const rep = decodeAsRep(repBytes);
  const pk = pkAsRepOf(rep);
  if (!('encKeyPack' in pk)) throw new Error('expected encKeyPack');
  const opened = openEnvelopedData(pk.encKeyPack, aliceId);
  const signed = verifySignedData(opened.contentInfo, PkinitOid.id_pkinit_rkeyData);
  const pack = decodeReplyKeyPack(signed.content);
  const key: Key = { etype: pack.replyKey.keytype, bytes: pack.replyKey.keyvalue };
  return { rep, opened, signed, pack, key };
}

describe('public-key encryption delivery: krbsim client and krbsim KDC', () => {
  it('gets a TGT with a freshness token, and it serves a TGS exchange', async () => {
    const { client, log, codes } = lab();
    const c = client();
    const tgt = await c.getInitialCredentials('alice', identity(alice));
    expect(tgt.server.name.nameString).toEqual(['krbtgt', REALM]);
    expect(codes()).toEqual([ErrorCode.KDC_ERR_PREAUTH_REQUIRED]);
    expect(log.some((l) => l.includes('(PKINIT public-key encryption, freshness token)'))).toBe(true);
    // aes256-cts-hmac-sha384-192, the client's first etype, and its mandatory checksum, hmac-sha384-192-aes256.
    expect(log).toContain('PKINIT reply key by public-key encryption (aes256-cbc, checksum type 20)');
    const st = await c.getServiceTicket('HTTP/web.pki.test');
    expect(st.client.name.nameString).toEqual(['alice']);
  });

  it('the request and the reply as RFC 4556 section 3.2.3.2 shapes them', async () => {
    const { client, requests, replies } = lab();
    await client().getInitialCredentials('alice', identity(alice));
    const sent = requests.at(-1)!;
    // The AuthPack: no public value, no KDFs, the content encryptions the client decrypts.
    const pa = decodeAsReq(sent).padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REQ)!;
    const authPack = decodeAuthPack(
      verifySignedData(decodePaPkAsReq(pa.padataValue).signedAuthPack, PkinitOid.id_pkinit_authData).content,
    );
    expect(authPack.clientPublicValue).toBeUndefined();
    expect(authPack.supportedKdfs).toBeUndefined();
    expect(authPack.supportedCmsTypes?.map(hex)).toEqual(
      (['aes256-cbc', 'aes128-cbc', 'des-ede3-cbc'] as const).map((a) =>
        hex(contentEncryptionAlgorithmId(a)),
      ),
    );
    // The reply: EnvelopedData of SignedData (the KDC's) of ReplyKeyPack.
    const { rep, opened, signed, pack, key } = openReply(replies.at(-1)!);
    expect(opened.contentType).toBe(PkinitOid.id_signedData);
    expect(opened.algorithm).toBe('aes256-cbc');
    expect(signed.signer.subjectText).toBe(certificateFrom(kdcCert.certPem).subjectText);
    expect(pack.replyKey.keytype).toBe(rep.encPart.etype);
    expect(pack.replyKey.keytype).toBe(EncType.AES256_CTS_HMAC_SHA384_192);
    expect(pack.asChecksum.cksumtype).toBe(20); // hmac-sha384-192-aes256, the etype's mandatory checksum
    // Key usage 6, keyed with the reply key, over the AS-REQ exactly as sent.
    expect(hex(pack.asChecksum.checksum)).toBe(hex(checksum(key, KeyUsage.TGS_REQ_AUTH_CKSUM, sent)));
    expect(() => decrypt(key, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher)).not.toThrow();
  });

  it('the reply key is of the etype the client asks for (aes128-cts-hmac-sha256-128, checksum 19)', async () => {
    const { client, replies, log } = lab({}, { encTypes: [EncType.AES128_CTS_HMAC_SHA256_128] });
    await client().getInitialCredentials('alice', identity(alice));
    const { pack } = openReply(replies.at(-1)!);
    expect(pack.replyKey.keytype).toBe(EncType.AES128_CTS_HMAC_SHA256_128);
    expect(pack.asChecksum.cksumtype).toBe(19);
    expect(log).toContain('PKINIT reply key by public-key encryption (aes256-cbc, checksum type 19)');
  });

  it('is reproducible: the same seeds give the same bytes, request and reply', async () => {
    const run = async () => {
      const l = lab();
      await l.client().getInitialCredentials('alice', identity(alice));
      return [...l.requests, ...l.replies].map(hex);
    };
    expect(await run()).toEqual(await run());
  });

  it('an EC certificate with public-key encryption: KRB_ERR_GENERIC, nothing sent', async () => {
    const { client, requests } = lab();
    const e = await rejection(client().getInitialCredentials('alice', identity(ecAlice)));
    expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(e.message).toBe(
      "PKINIT identity: keyDelivery 'public-key-encryption' needs an RSA certificate, and CN=alice has a ec key",
    );
    expect(requests).toHaveLength(0);
  });
});

/** An AS-REQ for alice with a PA-PK-AS-REQ built by hand, asking for public-key encryption. */
function handBuilt(
  change: {
    authenticator?: (a: PkAuthenticator) => PkAuthenticator;
    supportedCmsTypes?: readonly Uint8Array[];
    signer?: PemCertificate;
    anonymous?: boolean;
    tamper?: boolean;
  } = {},
): Uint8Array {
  const anonymous = change.anonymous === true;
  const who = change.signer ?? alice;
  return pkinitAsReq({
    realm: REALM,
    now: T0,
    kdcOptions: anonymous ? KdcOptions['request-anonymous'] >>> 0 : 0,
    cname: anonymous
      ? { nameType: NameType.NT_WELLKNOWN, nameString: ['WELLKNOWN', 'ANONYMOUS'] }
      : { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    authPack: (a) => ({
      pkAuthenticator: change.authenticator?.(a) ?? a,
      ...(change.supportedCmsTypes !== undefined && { supportedCmsTypes: change.supportedCmsTypes }),
    }),
    sign: (authPack) =>
      anonymous
        ? createUnsignedData(PkinitOid.id_pkinit_authData, authPack)
        : createSignedData(PkinitOid.id_pkinit_authData, authPack, cmsSigner(who.certPem, who.keyPem)),
    ...(change.tamper !== undefined && { tamper: change.tamper }),
  });
}

const alg = (o: string) => derSeq(derOid(o));

describe('public-key encryption delivery: what the KDC answers', () => {
  it('the content encryption: its strongest that the client lists, AES-256-CBC when it lists none', () => {
    const cases: [string, readonly Uint8Array[] | undefined, string][] = [
      ['no supportedCMSTypes', undefined, 'aes256-cbc'],
      ['des-ede3-cbc only', [alg(PkinitOid.des_ede3_cbc)], 'des-ede3-cbc'],
      [
        'des-ede3-cbc, then aes128-CBC',
        [alg(PkinitOid.des_ede3_cbc), alg(PkinitOid.aes128_CBC)],
        'aes128-cbc',
      ],
      ['signature algorithms only, as MIT', [alg(PkinitOid.sha256WithRSAEncryption)], 'aes256-cbc'],
    ];
    for (const [what, supportedCmsTypes, want] of cases) {
      const { kdc } = lab();
      const rep = kdc.handle(handBuilt({ ...(supportedCmsTypes && { supportedCmsTypes }) }));
      expect(rep[0], what).toBe(0x6b);
      expect(openReply(rep).opened.algorithm, what).toBe(want);
    }
  });

  it('refuses what it cannot serve, and applies the checks Diffie-Hellman requests get', () => {
    const cases: [string, Parameters<typeof handBuilt>[0], number, RegExp][] = [
      [
        'an EC client certificate',
        { signer: ecAlice },
        ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
        /^public-key encryption delivery needs an RSA client key, and the certificate CN=alice has a ec key; send a Diffie-Hellman or ECDH public value$/,
      ],
      [
        'only ciphers the KDC does not use',
        { supportedCmsTypes: [alg('1.2.840.113549.3.2'), alg('2.16.840.1.101.3.4.1.46')] },
        ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
        /^none of the content encryption algorithms of the client's supportedCMSTypes \(1\.2\.840\.113549\.3\.2, 2\.16\.840\.1\.101\.3\.4\.1\.46\) is one this KDC encrypts with \(aes256-cbc, aes128-cbc, des-ede3-cbc\)$/,
      ],
      [
        'a supportedCMSTypes entry that is no AlgorithmIdentifier',
        { supportedCmsTypes: [derSeq(Uint8Array.of(0x02, 1, 0))] },
        ErrorCode.KDC_ERR_PREAUTH_FAILED,
        /^AuthPack\.supportedCMSTypes\[0\] is not an AlgorithmIdentifier$/,
      ],
      [
        'the anonymous client',
        { anonymous: true },
        ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
        /^anonymous PKINIT needs a Diffie-Hellman or ECDH public value/,
      ],
      ['a broken signature', { tamper: true }, ErrorCode.KDC_ERR_INVALID_SIG, /./],
      [
        'no paChecksum',
        { authenticator: ({ paChecksum: _, ...a }) => a },
        ErrorCode.KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED,
        /paChecksum/,
      ],
      [
        'a paChecksum over another body',
        { authenticator: (a) => ({ ...a, paChecksum: new Uint8Array(20) }) },
        ErrorCode.KRB_AP_ERR_MODIFIED,
        /the paChecksum does not match the request body/,
      ],
      [
        'a ctime ten minutes off',
        { authenticator: (a) => ({ ...a, ctime: T0 - 600_000 }) },
        ErrorCode.KRB_AP_ERR_SKEW,
        /clock skew/,
      ],
      [
        'a freshness token not from this realm',
        { authenticator: (a) => ({ ...a, freshnessToken: Uint8Array.of(1, 2, 3) }) },
        ErrorCode.KDC_ERR_PREAUTH_FAILED,
        /./,
      ],
    ];
    for (const [what, change, code, message] of cases) {
      const { kdc } = lab();
      const err = decodeKrbError(kdc.handle(handBuilt(change)));
      expect(err.errorCode, what).toBe(code);
      expect(err.eText, what).toMatch(message);
    }
  });

  it('a realm requiring freshness refuses a request without a token, with one to retry with (RFC 8070)', () => {
    const { kdc } = lab({ requireFreshness: true });
    const err = decodeKrbError(kdc.handle(handBuilt()));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_AS_FRESHNESS]);
  });
});

describe("public-key encryption delivery: the client's checks of the reply", () => {
  /** Alice's exchange with the AS-REP rewritten by `change`; the error, and nothing cached. */
  async function changedReply(change: (rep: AsRep) => AsRep): Promise<KerberosError> {
    const l = lab();
    l.edit.reply = (rep) => (rep[0] === 0x6b ? encodeAsRep(change(decodeAsRep(rep))).slice() : rep);
    const c = l.client();
    const e = await rejection(c.getInitialCredentials('alice', identity(alice)));
    expect(c.cache.size).toBe(0);
    expect(e.realm).toBe(REALM);
    return e;
  }

  const withEncKeyPack = (rep: AsRep, encKeyPack: Uint8Array): AsRep => ({
    ...rep,
    padata: rep.padata!.map((p) =>
      p.padataType === PaDataType.PA_PK_AS_REP
        ? { ...p, padataValue: encodePaPkAsRep({ encKeyPack }).slice() }
        : p,
    ),
  });

  interface Forgery {
    readonly pack?: (p: ReplyKeyPack, key: Key) => ReplyKeyPack;
    /** The signed content, instead of the ReplyKeyPack. */
    readonly content?: Uint8Array;
    readonly eContentType?: string;
    readonly signer?: CmsSigner;
    readonly signedData?: (contentInfo: Uint8Array) => Uint8Array;
    readonly innerType?: string;
    readonly recipient?: PemCertificate;
  }

  /** The reply's ReplyKeyPack, changed, signed and encrypted again as `f` says (the KDC's key by default). */
  const forged =
    (f: Forgery) =>
    (rep: AsRep): AsRep => {
      const pk = pkAsRepOf(rep);
      if (!('encKeyPack' in pk)) throw new Error('expected encKeyPack');
      const inner = verifySignedData(
        openEnvelopedData(pk.encKeyPack, aliceId).contentInfo,
        PkinitOid.id_pkinit_rkeyData,
      );
      const pack = decodeReplyKeyPack(inner.content);
      const key: Key = { etype: pack.replyKey.keytype, bytes: pack.replyKey.keyvalue };
      const content = f.content ?? encodeReplyKeyPack(f.pack?.(pack, key) ?? pack).slice();
      let signed = createSignedData(
        f.eContentType ?? PkinitOid.id_pkinit_rkeyData,
        content,
        f.signer ?? kdcSigner,
      );
      signed = f.signedData?.(signed) ?? signed;
      if (f.innerType !== undefined) {
        // The same SignedData under another content type: ContentInfo { innerType, [0] SignedData }.
        signed = derSeq(derOid(f.innerType), signed.subarray(signed.indexOf(0xa0, 2)));
      }
      const encKeyPack = createEnvelopedData(signed, certificateFrom((f.recipient ?? alice).certPem), {
        algorithm: 'aes256-cbc',
        random: new SeededRandom('forgery'),
      });
      return withEncKeyPack(rep, encKeyPack);
    };

  it('the unchanged reply, signed and encrypted again here, is accepted (the forgeries below are fair)', async () => {
    const l = lab();
    l.edit.reply = (rep) => (rep[0] === 0x6b ? encodeAsRep(forged({})(decodeAsRep(rep))).slice() : rep);
    const tgt = await l.client().getInitialCredentials('alice', identity(alice));
    expect(tgt.client.name.nameString).toEqual(['alice']);
  });

  it("a Windows KDC's asChecksum, unkeyed SHA-1 of the AS-REQ (type 14), is accepted, as MIT's client accepts it", async () => {
    const l = lab();
    l.edit.reply = (rep) =>
      rep[0] === 0x6b
        ? encodeAsRep(
            forged({
              pack: (p) => ({
                ...p,
                asChecksum: {
                  cksumtype: 14,
                  checksum: createHash('sha1').update(l.requests.at(-1)!).digest(),
                },
              }),
            })(decodeAsRep(rep)),
          ).slice()
        : rep;
    const tgt = await l.client().getInitialCredentials('alice', identity(alice));
    expect(tgt.client.name.nameString).toEqual(['alice']);
  });

  const cases: [string, () => (rep: AsRep) => AsRep, number, RegExp][] = [
    [
      'a broken KDC signature: KDC_ERR_INVALID_SIG',
      () =>
        forged({
          signedData: (s) => {
            const b = s.slice();
            b[b.length - 5] = b[b.length - 5]! ^ 1;
            return b;
          },
        }),
      ErrorCode.KDC_ERR_INVALID_SIG,
      /^PKINIT reply from PKI\.TEST: the signature by CN=KDC PKI\.TEST does not verify$/,
    ],
    [
      'an asChecksum over other bytes: KRB_AP_ERR_MODIFIED',
      () =>
        forged({
          pack: (p, key) => ({
            ...p,
            asChecksum: {
              ...p.asChecksum,
              checksum: checksum(key, KeyUsage.TGS_REQ_AUTH_CKSUM, Uint8Array.of(1)),
            },
          }),
        }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /\(ReplyKeyPack\.asChecksum is not the checksum of the AS-REQ sent\)/,
    ],
    [
      "an unkeyed SHA-1 asChecksum (a Windows KDC's type) of other bytes: KRB_AP_ERR_MODIFIED",
      () => forged({ pack: (p) => ({ ...p, asChecksum: { cksumtype: 14, checksum: new Uint8Array(20) } }) }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /\(ReplyKeyPack\.asChecksum is not the checksum of the AS-REQ sent\)/,
    ],
    [
      'an asChecksum of an unkeyed type other than SHA-1 (CRC32): KDC_ERR_SUMTYPE_NOSUPP',
      () => forged({ pack: (p) => ({ ...p, asChecksum: { cksumtype: 1, checksum: new Uint8Array(4) } }) }),
      ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
      /./,
    ],
    [
      'a replyKey of another etype than the enc-part: KRB_AP_ERR_MODIFIED',
      () =>
        forged({
          pack: (p) => ({ ...p, replyKey: { keytype: 17, keyvalue: p.replyKey.keyvalue.subarray(0, 16) } }),
        }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /\(ReplyKeyPack\.replyKey is of etype 17, the enc-part of etype 20\)/,
    ],
    [
      "a ReplyKeyPack signed by bob's certificate, not a KDC's: KDC_ERR_INCONSISTENT_KEY_PURPOSE",
      () => forged({ signer: cmsSigner(bob.certPem, bob.keyPem) }),
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      /^the KDC certificate CN=bob has no id-pkinit-KPKdc extended key usage$/,
    ],
    [
      'a SignedData of id-pkinit-DHKeyData: KDC_ERR_PREAUTH_FAILED',
      () => forged({ eContentType: PkinitOid.id_pkinit_DHKeyData }),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /^PKINIT reply from PKI\.TEST: malformed CMS SignedData: content type 1\.3\.6\.1\.5\.2\.3\.2, expected 1\.3\.6\.1\.5\.2\.3\.3$/,
    ],
    [
      "an envelope for bob's certificate: KDC_ERR_PREAUTH_FAILED",
      () => forged({ recipient: bob }),
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /^PKINIT reply from PKI\.TEST: EnvelopedData\.recipientInfos: none of the 1 is for the certificate CN=alice/,
    ],
    [
      'an encrypted content of type id-data: KRB_AP_ERR_MODIFIED',
      () => forged({ innerType: PkinitOid.id_data }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /\(EnvelopedData\.encryptedContentInfo\.contentType is 1\.2\.840\.113549\.1\.7\.1, not id-signedData\)/,
    ],
    [
      'a ReplyKeyPack that does not decode: KRB_ERR_GENERIC, naming the field',
      () => forged({ content: derSeq(derOid('1.2.3')) }),
      ErrorCode.KRB_ERR_GENERIC,
      /^PKINIT reply from PKI\.TEST: ReplyKeyPack\.replyKey: /,
    ],
    [
      'a Diffie-Hellman reply to a public-key encryption request: KRB_AP_ERR_MODIFIED',
      () => (rep) => ({
        ...rep,
        padata: rep.padata!.map((p) =>
          p.padataType === PaDataType.PA_PK_AS_REP
            ? {
                ...p,
                padataValue: encodePaPkAsRep({ dhInfo: { dhSignedData: Uint8Array.of(0x30, 0) } }).slice(),
              }
            : p,
        ),
      }),
      ErrorCode.KRB_AP_ERR_MODIFIED,
      /\(the KDC answered with Diffie-Hellman, not public-key encryption\)/,
    ],
    [
      'a truncated EnvelopedData: KDC_ERR_PREAUTH_FAILED',
      () => (rep) => {
        const pk = pkAsRepOf(rep);
        if (!('encKeyPack' in pk)) throw new Error('expected encKeyPack');
        return withEncKeyPack(rep, pk.encKeyPack.subarray(0, pk.encKeyPack.length - 30));
      },
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      /^PKINIT reply from PKI\.TEST: malformed CMS EnvelopedData: .*truncated/,
    ],
  ];
  for (const [what, change, code, message] of cases) {
    it(what, async () => {
      const e = await changedReply(change());
      expect(e.code, e.message).toBe(code);
      expect(e.message).toMatch(message);
    });
  }

  it('flipped bytes anywhere in encKeyPack: a KerberosError, never another error, nothing cached', async () => {
    const l = lab();
    await l.client().getInitialCredentials('alice', identity(alice));
    const pk = pkAsRepOf(decodeAsRep(l.replies.at(-1)!));
    if (!('encKeyPack' in pk)) throw new Error('expected encKeyPack');
    const size = pk.encKeyPack.length;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: size - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, x) => {
          const e = await changedReply((rep) => {
            const p = pkAsRepOf(rep);
            if (!('encKeyPack' in p)) throw new Error('expected encKeyPack');
            const bad = p.encKeyPack.slice();
            bad[at] = bad[at]! ^ x;
            return withEncKeyPack(rep, bad);
          });
          expect(e.code).toBeGreaterThan(0);
        },
      ),
      { numRuns: 60, seed: 3232 },
    );
  });
});
