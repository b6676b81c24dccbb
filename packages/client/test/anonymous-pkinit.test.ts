/**
 * Anonymous PKINIT (RFC 8062) against krbsim's KDC, in process: the AS-REQ
 * with request-anonymous for WELLKNOWN/ANONYMOUS and an unsigned AuthPack,
 * the anonymous TGT it gets (flag, names, no PAC), that TGT as FAST armor for
 * krbsim's client, and every refusal with its code.
 */

import { createHash } from 'node:crypto';
import {
  type AsRep,
  decodeAsRep,
  decodeEncKdcRepPart,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeEncTicketPart,
  decodeKdcDhKeyInfo,
  decodeKrbError,
  decodeMethodData,
  decodePaPkAsRep,
  encodeAsRep,
  encodeAsReq,
  encodeAuthPack,
  encodeKdcReqBody,
  encodePaPkAsReq,
  encodeTicket,
  KdcOptions,
  type KdcReqBody,
  NameType,
  PaDataType,
  PkinitOid,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, credentialFromReply, KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { cf2, decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { Kdc, type KdcRequestEvent, Realm, type RealmPolicy } from '@krbsim/kdc';
import {
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  createUnsignedData,
  generateKeyAgreement,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  octetString2Key,
  type PemCertificate,
  parseKdcPublicValue,
  pkinitKdf,
  verifySignedData,
} from '@krbsim/pki';
import { InProcessTransport } from '@krbsim/transport';
import { beforeAll, describe, expect, it } from 'vitest';

const REALM = 'ANON.TEST';
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const ANONYMOUS = ['WELLKNOWN', 'ANONYMOUS'];

let ca: PemCertificate;
let kdcCert: PemCertificate;
let alice: PemCertificate;

beforeAll(async () => {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('anon-certs');
  ca = await createSelfSignedCa({
    commonName: 'krbsim anonymous PKINIT CA',
    clock,
    random,
    keyType: 'rsa-2048',
  });
  kdcCert = await issuePkinitKdcCertificate(ca, { clock, random, realm: REALM });
  alice = await issuePkinitClientCertificate(ca, { clock, random, realm: REALM, principal: 'alice' });
});

function lab(
  policy: Partial<RealmPolicy> = { allowAnonymous: true },
  kind: 'mit' | 'active-directory' = 'mit',
) {
  const clock = new ManualClock(T0);
  const realm = new Realm({
    name: REALM,
    clock,
    random: new SeededRandom('anon'),
    kind,
    policy: { ...policy, ...(kind === 'active-directory' && { fast: 'supported' as const }) },
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem },
  });
  realm.addUser('alice', { password: 'correct horse' });
  const events: KdcRequestEvent[] = [];
  const kdc = new Kdc(realm, { onRequest: (e) => events.push(e) });
  const transport = new InProcessTransport().register(REALM, (req) => kdc.handle(req));
  const client = () =>
    new KerberosClient({ realm: REALM, transport, clock, random: new SeededRandom('client') });
  return { clock, realm, kdc, events, client };
}

interface AnonRequest {
  readonly options?: number;
  readonly cname?: readonly string[];
  readonly nameType?: number;
  /** Sign the AuthPack with alice's certificate instead of leaving it unsigned. */
  readonly signed?: boolean;
  readonly noPublicValue?: boolean;
  readonly noPkinit?: boolean;
  readonly kdfs?: readonly string[];
}

/** An AS-REQ for an anonymous TGT as MIT's `kinit -n` sends it, with one part changed. */
function anonymousAsReq(r: AnonRequest = {}) {
  const body: KdcReqBody = {
    kdcOptions: r.options ?? (KdcOptions['request-anonymous'] | KdcOptions.canonicalize) >>> 0,
    cname: { nameType: r.nameType ?? NameType.NT_WELLKNOWN, nameString: [...(r.cname ?? ANONYMOUS)] },
    realm: REALM,
    sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] },
    till: T0 + 36_000_000,
    nonce: 31337,
    etype: [18, 17],
  };
  const pair = generateKeyAgreement('modp14', new SeededRandom('anon-dh'));
  const authPack = encodeAuthPack({
    pkAuthenticator: {
      cusec: 0,
      ctime: T0,
      nonce: body.nonce,
      paChecksum: createHash('sha1').update(encodeKdcReqBody(body)).digest(),
    },
    ...(r.noPublicValue ? {} : { clientPublicValue: pair.spki }),
    ...(r.kdfs !== undefined && { supportedKdfs: r.kdfs.map((kdfId) => ({ kdfId })) }),
  }).slice();
  const signedAuthPack = r.signed
    ? createSignedData(PkinitOid.id_pkinit_authData, authPack, cmsSigner(alice.certPem, alice.keyPem))
    : createUnsignedData(PkinitOid.id_pkinit_authData, authPack);
  const req = encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: r.noPkinit
      ? []
      : [{ padataType: PaDataType.PA_PK_AS_REQ, padataValue: encodePaPkAsReq({ signedAuthPack }).slice() }],
    reqBody: body,
  }).slice();
  return { body, pair, req };
}

/** The client's side of the reply: the reply key from PA-PK-AS-REP, the decrypted part, a Credential. */
function openReply(
  sent: ReturnType<typeof anonymousAsReq>,
  bytes: Uint8Array,
): { rep: AsRep; cred: Credential } {
  expect(bytes[0], bytes[0] === 0x7e ? `KRB-ERROR ${decodeKrbError(bytes).errorCode}` : '').toBe(0x6b);
  const rep = decodeAsRep(bytes);
  const pa = rep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!;
  const pk = decodePaPkAsRep(pa.padataValue);
  if (!('dhInfo' in pk)) throw new Error('not a DH reply');
  const signed = verifySignedData(pk.dhInfo.dhSignedData, PkinitOid.id_pkinit_DHKeyData);
  const info = decodeKdcDhKeyInfo(signed.content);
  const secret = sent.pair.secret(parseKdcPublicValue('modp14', info.subjectPublicKey));
  const etype = rep.encPart.etype;
  const key: Key =
    pk.dhInfo.kdf === undefined
      ? octetString2Key(etype, secret)
      : pkinitKdf(pk.dhInfo.kdf.kdfId, etype, secret, {
          // RFC 8062 with MIT: the KDF names the anonymous client in the realm-independent form.
          client: {
            realm: 'WELLKNOWN:ANONYMOUS',
            principalName: { nameType: NameType.NT_WELLKNOWN, nameString: ANONYMOUS },
          },
          server: { realm: REALM, principalName: sent.body.sname! },
          asReq: sent.req,
          pkAsRep: pa.padataValue,
        });
  const enc = decodeEncKdcRepPart(decrypt(key, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
  expect(enc.nonce).toBe(sent.body.nonce);
  // RFC 8062 section 7: the session key is KRB-FX-CF2 of the KDC's contribution and the reply key.
  const kx = decodeEncryptedData(
    rep.padata!.find((p) => p.padataType === PaDataType.PA_PKINIT_KX)!.padataValue,
  );
  const contribution = decodeEncryptionKey(decrypt(key, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher));
  const session = cf2(
    { etype: contribution.keytype, bytes: contribution.keyvalue },
    key,
    'PKINIT',
    'KEYEXCHANGE',
  );
  expect(enc.key).toEqual({ keytype: session.etype, keyvalue: session.bytes });
  return { rep, cred: credentialFromReply(rep, enc, encodeTicket(rep.ticket)) };
}

function codeOf(bytes: Uint8Array): number {
  return bytes[0] === 0x7e ? decodeKrbError(bytes).errorCode : 0;
}

describe('anonymous PKINIT (RFC 8062): the anonymous TGT', () => {
  it('names WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS, carries the anonymous flag, and no PAC', () => {
    const l = lab({ allowAnonymous: true }, 'active-directory');
    const sent = anonymousAsReq();
    const { rep, cred } = openReply(sent, l.kdc.handle(sent.req));
    expect(rep.cname).toEqual({ nameType: NameType.NT_WELLKNOWN, nameString: ANONYMOUS });
    expect(rep.crealm).toBe('WELLKNOWN:ANONYMOUS');
    expect(cred.flags & TicketFlags.anonymous).not.toBe(0);
    expect(cred.flags & TicketFlags['pre-authent']).not.toBe(0);
    expect(cred.server).toEqual({ realm: REALM, name: { nameType: 2, nameString: ['krbtgt', REALM] } });
    const krbtgt = l.realm.krbtgt.keys.find((k) => k.key.etype === rep.ticket.encPart.etype)!;
    const etp = decodeEncTicketPart(decrypt(krbtgt.key, KeyUsage.KDC_REP_TICKET, rep.ticket.encPart.cipher));
    expect(etp.cname.nameString).toEqual(ANONYMOUS);
    expect(etp.crealm).toBe('WELLKNOWN:ANONYMOUS');
    expect(etp.flags & TicketFlags.anonymous).not.toBe(0);
    // An AD realm puts a PAC in every TGT, but there is no user to describe here.
    expect(etp.authorizationData ?? []).toEqual([]);
  });

  it('serves the name whatever its name type, with the RFC 8636 KDF when the client lists one', () => {
    const l = lab();
    for (const nameType of [NameType.NT_WELLKNOWN, NameType.NT_PRINCIPAL]) {
      const sent = anonymousAsReq({ nameType, kdfs: [PkinitOid.id_pkinit_kdf_ah_sha256] });
      const { rep } = openReply(sent, l.kdc.handle(sent.req));
      expect(
        decodePaPkAsRep(rep.padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue),
      ).toMatchObject({ dhInfo: { kdf: { kdfId: PkinitOid.id_pkinit_kdf_ah_sha256 } } });
      expect(rep.crealm).toBe('WELLKNOWN:ANONYMOUS');
    }
  });

  it('armors FAST: alice gets her TGT with the anonymous TGT as armor', async () => {
    const l = lab();
    const sent = anonymousAsReq();
    const { cred: armor } = openReply(sent, l.kdc.handle(sent.req));
    const tgt = await l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(l.events.at(-1)!.outcome).toBe('AS-REP (FAST)');
  });
});

describe('anonymous PKINIT (RFC 8062): refusals', () => {
  const cases: [string, AnonRequest, number][] = [
    [
      'request-anonymous for another client: KDC_ERR_BADOPTION',
      { cname: ['alice'], nameType: NameType.NT_PRINCIPAL },
      ErrorCode.KDC_ERR_BADOPTION,
    ],
    [
      'WELLKNOWN/ANONYMOUS without request-anonymous: KDC_ERR_C_PRINCIPAL_UNKNOWN',
      { options: KdcOptions.canonicalize },
      ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
    ],
    ['a signed AuthPack: KDC_ERR_PREAUTH_FAILED (anonymous PKINIT is unsigned)', { signed: true }, 24],
    ['no DH value: KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED', { noPublicValue: true }, 81],
    ['no PA-PK-AS-REQ: KDC_ERR_PREAUTH_REQUIRED', { noPkinit: true }, ErrorCode.KDC_ERR_PREAUTH_REQUIRED],
  ];
  for (const [name, change, code] of cases) {
    it(name, () => {
      const l = lab();
      expect(codeOf(l.kdc.handle(anonymousAsReq(change).req))).toBe(code);
    });
  }

  it('offers PA-PK-AS-REQ when the anonymous client sends no pre-authentication', () => {
    const l = lab();
    const err = decodeKrbError(l.kdc.handle(anonymousAsReq({ noPkinit: true }).req));
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toContain(PaDataType.PA_PK_AS_REQ);
  });

  it('a realm that does not allow anonymous tickets (the default): KDC_ERR_POLICY', () => {
    const l = lab({});
    expect(l.realm.policy.allowAnonymous).toBe(false);
    expect(codeOf(l.kdc.handle(anonymousAsReq().req))).toBe(ErrorCode.KDC_ERR_POLICY);
  });

  it('an unsigned AuthPack for alice, who is not anonymous: KDC_ERR_PREAUTH_FAILED', () => {
    const l = lab();
    const sent = anonymousAsReq({ options: 0, cname: ['alice'], nameType: NameType.NT_PRINCIPAL });
    expect(codeOf(l.kdc.handle(sent.req))).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
  });
});

describe("krbsim's client asks for anonymous PKINIT itself ({ anonymous: true, anchors })", () => {
  it('gets the anonymous TGT, checks its names and the PKINIT-KX session key, and armors FAST with it', async () => {
    const l = lab({ allowAnonymous: true }, 'active-directory');
    const client = l.client();
    const armor = await client.getInitialCredentials(`WELLKNOWN/ANONYMOUS@${REALM}`, {
      anonymous: true,
      anchors: ca.certPem,
    });
    expect(armor.client).toEqual({
      realm: 'WELLKNOWN:ANONYMOUS',
      name: { nameType: NameType.NT_WELLKNOWN, nameString: ANONYMOUS },
    });
    expect(armor.flags & TicketFlags.anonymous).not.toBe(0);
    expect(l.events.at(-1)!.outcome).toBe('AS-REP');
    const tgt = await l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(l.events.at(-1)!.outcome).toBe('AS-REP (FAST)');
  });

  it('gets service tickets with the anonymous TGT, from the realm that issued it (its start realm)', async () => {
    // The anonymous client's realm is WELLKNOWN:ANONYMOUS; its TGT is ANON.TEST's, as after MIT's kinit -n.
    const l = lab();
    l.realm.addService('HTTP/web.anon.test', { password: 'web-Passw0rd' });
    const client = l.client();
    await client.getInitialCredentials(`WELLKNOWN/ANONYMOUS@${REALM}`, {
      anonymous: true,
      anchors: ca.certPem,
    });
    const st = await client.getServiceTicket('HTTP/web.anon.test');
    expect(st.server.realm).toBe(REALM);
    expect(st.client.realm).toBe('WELLKNOWN:ANONYMOUS');
  });

  it('refuses a KDC certificate that does not chain to the anchors, before using the reply', async () => {
    const l = lab();
    const other = await createSelfSignedCa({
      commonName: 'another CA',
      clock: new ManualClock(T0),
      random: new SeededRandom('other-ca'),
      keyType: 'rsa-2048',
    });
    await expect(
      l.client().getInitialCredentials('WELLKNOWN/ANONYMOUS', { anonymous: true, anchors: other.certPem }),
    ).rejects.toThrow(/PKINIT reply from ANON.TEST/);
  });

  it('refuses a reply whose session key is not KRB-FX-CF2 of PA-PKINIT-KX and the reply key', async () => {
    const l = lab();
    // A KDC (or someone between) that swaps PA-PKINIT-KX: the client must notice (RFC 8062 section 7).
    const transport = new InProcessTransport().register(REALM, (req) => {
      const reply = l.kdc.handle(req);
      if (reply[0] !== 0x6b) return reply;
      const rep = decodeAsRep(reply);
      const kx = rep.padata!.find((p) => p.padataType === PaDataType.PA_PKINIT_KX)!;
      const swapped = rep.padata!.map((p) =>
        p === kx
          ? {
              ...p,
              padataValue: rep.padata!.find((q) => q.padataType === PaDataType.PA_PK_AS_REP)!.padataValue,
            }
          : p,
      );
      return encodeAsRep({ ...rep, padata: swapped }).slice();
    });
    const client = new KerberosClient({
      realm: REALM,
      transport,
      clock: l.clock,
      random: new SeededRandom('client'),
    });
    await expect(
      client.getInitialCredentials('WELLKNOWN/ANONYMOUS', { anonymous: true, anchors: ca.certPem }),
    ).rejects.toThrow(/PA-PKINIT-KX/);
  });

  /** The client's anonymous PKINIT exchange, the AS-REP rewritten by `change` on its way. */
  async function changedReply(change: (rep: AsRep) => AsRep) {
    const l = lab();
    const transport = new InProcessTransport().register(REALM, (req) => {
      const reply = l.kdc.handle(req);
      return reply[0] === 0x6b ? encodeAsRep(change(decodeAsRep(reply))).slice() : reply;
    });
    const client = new KerberosClient({
      realm: REALM,
      transport,
      clock: l.clock,
      random: new SeededRandom('c'),
    });
    const e = await client
      .getInitialCredentials('WELLKNOWN/ANONYMOUS', { anonymous: true, anchors: ca.certPem })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(KerberosError);
    expect(client.cache.size).toBe(0);
    return e as KerberosError;
  }

  it('refuses an anonymous reply without PA-PKINIT-KX (RFC 8062 section 7)', async () => {
    const e = await changedReply((rep) => ({
      ...rep,
      padata: rep.padata!.filter((p) => p.padataType !== PaDataType.PA_PKINIT_KX),
    }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain('the anonymous AS-REP carries no PA-PKINIT-KX');
  });

  it('refuses an anonymous reply that names another client than WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS', async () => {
    const e = await changedReply((rep) => ({
      ...rep,
      crealm: REALM,
      cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain(`anonymous PKINIT answered for alice@${REALM}, not the anonymous client`);
  });

  it('asks only for WELLKNOWN/ANONYMOUS with it, and for WELLKNOWN/ANONYMOUS only with it', async () => {
    const l = lab();
    await expect(
      l.client().getInitialCredentials('alice', { anonymous: true, anchors: ca.certPem }),
    ).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_BADOPTION });
    await expect(
      l.client().getInitialCredentials('WELLKNOWN/ANONYMOUS', { password: 'x' }),
    ).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_BADOPTION });
  });

  it('a realm that does not allow anonymous tickets: the KDC refusal (KDC_ERR_POLICY)', async () => {
    const l = lab({});
    await expect(
      l.client().getInitialCredentials('WELLKNOWN/ANONYMOUS', { anonymous: true, anchors: ca.certPem }),
    ).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_POLICY });
  });
});
