/**
 * Test-only request builder: AS-REQs and TGS-REQs made directly with the
 * codec and crypto (the real client lives in @krbsim/client), and reply
 * parsing. Nothing here is exported by the package.
 */

import type {
  AuthorizationData,
  EncKdcRepPart,
  EncTicketPart,
  KdcRep,
  KdcReqBody,
  KrbErrorMessage,
  PaData,
  PrincipalName,
  S4uUserId,
  Ticket,
} from '@krbsim/asn1';
import {
  decodeAsRep,
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeKrbError,
  decodeTgsRep,
  encodeApReq,
  encodeAsReq,
  encodeAuthenticator,
  encodeAuthorizationData,
  encodeEncryptedData,
  encodeEncTicketPart,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  encodePaForUser,
  encodePaPacOptions,
  encodePaPacRequest,
  encodePaS4uX509User,
  encodeTgsReq,
  KdcOptions,
  KERB_ERR_TYPE_EXTENDED,
  NameType,
  PacOptions,
  PaDataType,
  paForUserChecksumInput,
  TicketFlags,
} from '@krbsim/asn1';
import { Duration, ManualClock, type RandomSource, SeededRandom } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  generateKey,
  type Key,
  KeyUsage,
  stringToKey,
} from '@krbsim/crypto';
import { createTrust, Kdc, type Realm, Realm as RealmClass, type RealmPolicy } from '@krbsim/kdc';

/** 2026-01-01T00:00:00Z, where every test clock starts. */
export const T0 = Date.UTC(2026, 0, 1);

/** Test random source for the client side (separate from the realm's). */
export const clientRandom: RandomSource = new SeededRandom('test-client');

/** A realm on a manual clock, its KDC, and the KDC's log lines. */
export interface Lab {
  readonly clock: ManualClock;
  readonly realm: Realm;
  readonly kdc: Kdc;
  readonly log: string[];
}

/** A realm named `name` with a KDC that records its log. */
export function makeRealm(
  name: string,
  policy: Partial<RealmPolicy> = {},
  clock = new ManualClock(T0),
  extra = {},
): Lab {
  const realm = new RealmClass({ name, clock, random: new SeededRandom(`realm:${name}`), policy, ...extra });
  const log: string[] = [];
  return { clock, realm, kdc: new Kdc(realm, { log: (l) => log.push(l) }), log };
}

/** `a/b` as a PrincipalName (NT-SRV-INST for two components, else NT-PRINCIPAL). */
export function pn(text: string, nameType?: number): PrincipalName {
  const parts = text.split('/');
  return {
    nameType: nameType ?? (parts.length === 2 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL),
    nameString: parts,
  };
}

const s2kCache = new Map<string, Key>();

/**
 * The key of a password with the default salt (aes256-sha1 unless told).
 * Memoized: PBKDF2 at 32768 iterations dominates the suite otherwise.
 */
export function userKey(realm: string, name: string, password: string, etype = 18): Key {
  const salt = realm + name.split('/').join('');
  const id = `${etype}\0${salt}\0${password}`;
  let k = s2kCache.get(id);
  if (!k) {
    k = stringToKey(etype, password, salt);
    s2kCache.set(id, k);
  }
  return k;
}

/** The keys `realm.addUser(name, { password })` would derive, for every default etype (memoized). */
export function pwKeys(realm: string, name: string, password: string, etypes = [20, 19, 18, 17]): Key[] {
  return etypes.map((e) => userKey(realm, name, password, e));
}

export interface AsReqInput {
  realm: string;
  cname: string | PrincipalName;
  sname?: string | PrincipalName;
  etypes?: number[];
  options?: number;
  from?: number;
  till?: number;
  rtime?: number;
  nonce?: number;
  padata?: PaData[];
  addresses?: KdcReqBody['addresses'];
}

const name = (n: string | PrincipalName): PrincipalName => (typeof n === 'string' ? pn(n) : n);

/** Encode an AS-REQ. Default till: now + 10 h (taken from `till` or T0). */
export function asReq(i: AsReqInput): Uint8Array {
  const body: KdcReqBody = {
    kdcOptions: i.options ?? KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize,
    cname: name(i.cname),
    realm: i.realm,
    sname: name(i.sname ?? `krbtgt/${i.realm}`),
    ...(i.from !== undefined && { from: i.from }),
    till: i.till ?? T0 + 10 * Duration.hour,
    ...(i.rtime !== undefined && { rtime: i.rtime }),
    nonce: i.nonce ?? 12345,
    etype: i.etypes ?? [18, 17],
    ...(i.addresses && { addresses: i.addresses }),
  };
  return encodeAsReq({ pvno: 5, msgType: 10, ...(i.padata && { padata: i.padata }), reqBody: body });
}

/** A PA-ENC-TIMESTAMP for `time` under `key`. */
export function encTimestamp(
  key: Key,
  time: number,
  usage: number = KeyUsage.AS_REQ_PA_ENC_TIMESTAMP,
): PaData {
  const sec = Math.floor(time / 1000) * 1000;
  const plain = encodePaEncTsEnc({ patimestamp: sec, pausec: (time - sec) * 1000 });
  const cipher = encrypt(key, usage, plain, { random: clientRandom });
  return {
    padataType: PaDataType.PA_ENC_TIMESTAMP,
    padataValue: encodeEncryptedData({ etype: key.etype, cipher }),
  };
}

/** KERB-PA-PAC-REQUEST. */
export function pacRequest(includePac: boolean): PaData {
  return { padataType: PaDataType.PA_PAC_REQUEST, padataValue: encodePaPacRequest({ includePac }) };
}

/** A decoded reply. */
export type Reply =
  | { readonly kind: 'error'; readonly error: KrbErrorMessage }
  | { readonly kind: 'as' | 'tgs'; readonly rep: KdcRep };

/** Decode whatever the KDC answered. */
export function parseReply(bytes: Uint8Array): Reply {
  switch (bytes[0]) {
    case 0x7e:
      return { kind: 'error', error: decodeKrbError(bytes) };
    case 0x6b:
      return { kind: 'as', rep: decodeAsRep(bytes) };
    case 0x6d:
      return { kind: 'tgs', rep: decodeTgsRep(bytes) };
    default:
      throw new Error(`unexpected reply tag 0x${bytes[0]?.toString(16)}`);
  }
}

/** The KRB-ERROR in `bytes`; fails the test if it is a reply. */
export function errorOf(bytes: Uint8Array): KrbErrorMessage {
  const r = parseReply(bytes);
  if (r.kind !== 'error') throw new Error(`expected KRB-ERROR, got ${r.kind}-rep`);
  return r.error;
}

/**
 * The NTSTATUS of a KRB-ERROR's e-data: KERB-ERROR-DATA of type
 * KERB_ERR_TYPE_EXTENDED holding a KERB-EXT-ERROR (MS-KILE 2.2.1, 2.2.2),
 * the e-data alone, which Wireshark reads as Windows'.
 */
export function ntStatusOf(eData: Uint8Array | undefined): number {
  if (eData === undefined) throw new Error('expected e-data holding an NTSTATUS, got none');
  const data = decodeKerbErrorData(eData);
  if (data.dataType !== KERB_ERR_TYPE_EXTENDED)
    throw new Error(`expected KERB-ERROR-DATA type 3, got ${data.dataType}`);
  return decodeKerbExtError(data.dataValue!).ntStatus;
}

/** The KDC-REP in `bytes`; fails the test with the error text if it is a KRB-ERROR. */
export function repOf(bytes: Uint8Array): KdcRep {
  const r = parseReply(bytes);
  if (r.kind === 'error') throw new Error(`KRB-ERROR ${r.error.errorCode}: ${r.error.eText}`);
  return r.rep;
}

/** Credentials obtained from a reply. */
export interface Creds {
  readonly rep: KdcRep;
  readonly ticket: Ticket;
  readonly part: EncKdcRepPart;
  readonly sessionKey: Key;
  readonly cname: PrincipalName;
  readonly crealm: string;
}

/** Decrypt a KDC-REP's enc-part with `key` for `usage`. */
export function openRep(rep: KdcRep, key: Key, usage: number): Creds {
  const part = decodeEncKdcRepPart(decrypt(key, usage, rep.encPart.cipher));
  return {
    rep,
    ticket: rep.ticket,
    part,
    sessionKey: { etype: part.key.keytype, bytes: part.key.keyvalue },
    cname: rep.cname,
    crealm: rep.crealm,
  };
}

/** Decrypt a ticket with the server's key. */
export function openTicket(ticket: Ticket, key: Key): EncTicketPart {
  return decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher));
}

/** AS exchange with PA-ENC-TIMESTAMP; returns the TGT (or the ticket for `sname`). */
export function login(lab: Lab, user: string, key: Key, more: Partial<AsReqInput> = {}): Creds {
  const now = lab.clock.now();
  const bytes = lab.kdc.handle(
    asReq({
      realm: lab.realm.name,
      cname: user,
      till: now + 10 * Duration.hour,
      etypes: [key.etype],
      padata: [encTimestamp(key, now)],
      ...more,
    }),
  );
  return openRep(repOf(bytes), key, KeyUsage.AS_REP_ENCPART);
}

export interface TgsReqInput {
  /** The ticket and session key to authenticate with. */
  tgt: Pick<Creds, 'ticket' | 'sessionKey' | 'cname' | 'crealm'>;
  /** The realm the request is sent to (the realm of the requested server). */
  realm: string;
  sname?: string | PrincipalName;
  options?: number;
  etypes?: number[];
  from?: number;
  till?: number;
  rtime?: number;
  nonce?: number;
  /** How the nonce is written: `signed` as Heimdal does (a negative INTEGER for nonces >= 2^31). */
  nonceForm?: 'signed' | 'unsigned';
  /** The authenticator's time (default T0-based clock value the caller passes). */
  now: number;
  subkey?: Key;
  authorizationData?: AuthorizationData;
  /** Send this enc-authorization-data as it is (to test what does not decrypt). */
  encAuthorizationData?: KdcReqBody['encAuthorizationData'];
  /** Override the authenticator's client name. */
  authCname?: PrincipalName;
  /** Compute the checksum over a different body (to test tampering). */
  checksumBody?: KdcReqBody;
  /** Omit the authenticator checksum. */
  noChecksum?: boolean;
  /** Name this checksum type in the authenticator checksum (its bytes stay the right ones). */
  checksumType?: number;
  /** Encrypt the authenticator with this key instead of the session key. */
  authKey?: Key;
  /** The authenticator's own authorization-data (RFC 4120 section 5.5.1), e.g. RFC 6113's FAST marks. */
  authenticatorAuthorizationData?: AuthorizationData;
  extraPadata?: PaData[];
  /** Tickets for additional-tickets (user-to-user's second ticket). */
  additionalTickets?: Ticket[];
  /** The addresses the new ticket is for (FORWARDED, PROXY). */
  addresses?: KdcReqBody['addresses'];
}

/** Encode a TGS-REQ with a PA-TGS-REQ authenticator checksummed over the req-body. */
export function tgsReq(i: TgsReqInput): Uint8Array {
  let encAuthorizationData: KdcReqBody['encAuthorizationData'] = i.encAuthorizationData;
  if (i.authorizationData) {
    const k = i.subkey ?? i.tgt.sessionKey;
    const usage = i.subkey ? KeyUsage.TGS_REQ_AD_SUBKEY : KeyUsage.TGS_REQ_AD_SESSKEY;
    const cipher = encrypt(k, usage, encodeAuthorizationData(i.authorizationData), { random: clientRandom });
    encAuthorizationData = { etype: k.etype, cipher };
  }
  const body: KdcReqBody = {
    kdcOptions: i.options ?? KdcOptions.forwardable | KdcOptions.canonicalize,
    realm: i.realm,
    ...(i.sname !== undefined && { sname: name(i.sname) }),
    ...(i.from !== undefined && { from: i.from }),
    till: i.till ?? i.now + 10 * Duration.hour,
    ...(i.rtime !== undefined && { rtime: i.rtime }),
    nonce: i.nonce ?? 777,
    ...(i.nonceForm !== undefined && { nonceForm: i.nonceForm }),
    etype: i.etypes ?? [18, 17],
    ...(encAuthorizationData && { encAuthorizationData }),
    ...(i.additionalTickets && { additionalTickets: i.additionalTickets }),
    ...(i.addresses && { addresses: i.addresses }),
  };
  const bodyDer = encodeKdcReqBody(i.checksumBody ?? body);
  const sk = i.tgt.sessionKey;
  const sec = Math.floor(i.now / 1000) * 1000;
  const auth = encodeAuthenticator({
    authenticatorVno: 5,
    crealm: i.tgt.crealm,
    cname: i.authCname ?? i.tgt.cname,
    ...(!i.noChecksum && {
      cksum: {
        cksumtype: i.checksumType ?? checksumTypeOf(sk),
        checksum: checksum(sk, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer),
      },
    }),
    cusec: (i.now - sec) * 1000,
    ctime: sec,
    ...(i.subkey && { subkey: { keytype: i.subkey.etype, keyvalue: i.subkey.bytes } }),
    ...(i.authenticatorAuthorizationData && { authorizationData: i.authenticatorAuthorizationData }),
  });
  const authKey = i.authKey ?? sk;
  const apReq = encodeApReq({
    pvno: 5,
    msgType: 14,
    apOptions: 0,
    ticket: i.tgt.ticket,
    authenticator: {
      etype: authKey.etype,
      cipher: encrypt(authKey, KeyUsage.TGS_REQ_AUTH, auth, { random: clientRandom }),
    },
  });
  return encodeTgsReq({
    pvno: 5,
    msgType: 12,
    padata: [{ padataType: PaDataType.PA_TGS_REQ, padataValue: apReq }, ...(i.extraPadata ?? [])],
    reqBody: body,
  });
}

function checksumTypeOf(key: Key): number {
  return ({ 17: 15, 18: 16, 19: 19, 20: 20, 23: -138 } as Record<number, number>)[key.etype]!;
}

/** TGS exchange: returns the new credentials (fails the test on a KRB-ERROR). */
export function tgsGet(kdc: Kdc, i: TgsReqInput): Creds {
  const rep = repOf(kdc.handle(tgsReq(i)));
  const key = i.subkey ?? i.tgt.sessionKey;
  return openRep(rep, key, i.subkey ? KeyUsage.TGS_REP_ENCPART_SUBKEY : KeyUsage.TGS_REP_ENCPART_SESSKEY);
}

/** A fresh random key for a test principal. */
export function testKey(etype = 18, seed = 'k'): Key {
  return generateKey(etype, { random: new SeededRandom(`test-key:${seed}`) });
}

/** TicketFlags names set in `flags`. */
export { flagNames } from '@krbsim/asn1';

/** Make a ticket by hand, as a rogue KDC holding `key` would. */
export function forge(realm: string, sname: string, etp: EncTicketPart, key: Key, kvno: number): Ticket {
  const cipher = encrypt(key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random: clientRandom });
  return { tktVno: 5, realm, sname: pn(sname), encPart: { etype: key.etype, kvno, cipher } };
}

/** Credentials for a TGT or ticket forged with `key`, as a rogue KDC holding it would make. */
export function forgedCreds(
  realm: string,
  sname: string,
  crealm: string,
  cname: string,
  key: Key,
  kvno: number,
  authtime = T0,
): Creds {
  const sessionKey = testKey(18, 'forged-session');
  const etp: EncTicketPart = {
    flags: TicketFlags.forwardable | TicketFlags['pre-authent'],
    key: { keytype: sessionKey.etype, keyvalue: sessionKey.bytes },
    crealm,
    cname: pn(cname),
    transited: { trType: 1, contents: new Uint8Array(0) },
    authtime,
    endtime: authtime + 10 * Duration.hour,
  };
  const ticket = forge(realm, sname, etp, key, kvno);
  return { ticket, sessionKey, cname: pn(cname), crealm } as Creds;
}

/** PA-FOR-USER for `user@realm` from the holder of `c`, its checksum as MS-SFU 2.2.1 defines it (HMAC-MD5). */
export function paForUser(
  c: Creds,
  user: PrincipalName,
  realm: string,
  pkg = 'Kerberos',
  tamper = false,
): PaData {
  const data = paForUserChecksumInput({ userName: user, userRealm: realm, authPackage: pkg });
  const ck = checksum(c.sessionKey, KeyUsage.KERB_NON_KERB_CKSUM_SALT, data, { cksumtype: -138 });
  if (tamper) ck[0]! ^= 1;
  return {
    padataType: PaDataType.PA_FOR_USER,
    padataValue: encodePaForUser({
      userName: user,
      userRealm: realm,
      cksum: { cksumtype: -138, checksum: ck },
      authPackage: pkg,
    }),
  };
}

/** PA-S4U-X509-USER with a name (checksum usage 26 over the S4UUserID DER). */
export function paS4uX509User(c: Pick<Creds, 'sessionKey'>, userId: S4uUserId): PaData {
  const placeholder = encodePaS4uX509User({
    userId,
    checksum: { cksumtype: 0, checksum: new Uint8Array(0) },
  });
  // The S4UUserID DER: the [0] field's contents, right after the SEQUENCE and [0] headers.
  const idDer = s4uUserIdDer(placeholder);
  const key = c.sessionKey;
  const ck = { cksumtype: checksumTypeFor(key.etype), checksum: checksum(key, 26, idDer) };
  return {
    padataType: PaDataType.PA_FOR_X509_USER,
    padataValue: encodePaS4uX509User({ userId, checksum: ck }),
  };
}

/** The DER of the S4UUserID in an encoded PA-S4U-X509-USER (what its checksum covers). */
export function s4uUserIdDer(pa: Uint8Array): Uint8Array {
  const hdr = (at: number) => (pa[at + 1]! < 0x80 ? 2 : 2 + (pa[at + 1]! & 0x7f));
  const inner = hdr(0) + hdr(hdr(0)); // SEQUENCE, then [0]
  const len =
    pa[inner + 1]! < 0x80
      ? pa[inner + 1]!
      : Number.parseInt(
          Buffer.from(pa.subarray(inner + 2, inner + 2 + (pa[inner + 1]! & 0x7f))).toString('hex'),
          16,
        );
  return pa.subarray(inner, inner + hdr(inner) + len);
}

/** PA-PAC-OPTIONS asking for resource-based constrained delegation, as MIT and Windows send it in S4U2Proxy. */
export const paPacOptionsRbcd: PaData = {
  padataType: PaDataType.PA_PAC_OPTIONS,
  padataValue: encodePaPacOptions({ flags: PacOptions['resource-based-constrained-delegation'] }),
};

/** Re-seal a ticket after changing its EncTicketPart: what someone holding `key` could do. */
export function reseal(c: Creds, key: Key, f: (e: EncTicketPart) => EncTicketPart): Creds {
  const etp = f(openTicket(c.ticket, key));
  const cipher = encrypt(key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random: clientRandom });
  return { ...c, ticket: { ...c.ticket, encPart: { ...c.ticket.encPart, cipher } } };
}

/** The managed instance's SPN in the reference scenario's cloud realm. */
export const MI_SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

/**
 * The reference trust: KERBEROS.MICROSOFTONLINE.COM trusts CONTOSO.COM (AD, one-way, forest, top-level
 * name windows.net), alice on-prem (password `pw`), the managed instance's service in the cloud
 * (`mi-pw`, with `cloudService`'s options); both realms AD with MIT-shaped errors.
 */
export function adForestTrust(
  domainSid: string,
  cloudService: { okAsDelegate?: boolean } = {},
  trust: { selectiveAuthentication?: boolean; direction?: 'one-way' | 'two-way' } = {},
) {
  const clock = new ManualClock(T0);
  const onprem = makeRealm('CONTOSO.COM', { krbErrorStyle: 'mit' }, clock, {
    kind: 'active-directory',
    domainSid,
  });
  const cloud = makeRealm('KERBEROS.MICROSOFTONLINE.COM', { krbErrorStyle: 'mit' }, clock, {
    kind: 'active-directory',
  });
  createTrust({
    trusting: cloud.realm,
    trusted: onprem.realm,
    direction: trust.direction ?? 'one-way',
    kind: 'forest',
    topLevelNames: ['windows.net'],
    ...(trust.selectiveAuthentication !== undefined && {
      selectiveAuthentication: trust.selectiveAuthentication,
    }),
  });
  onprem.realm.addUser('alice', { password: 'pw' });
  cloud.realm.addService(MI_SPN, { password: 'mi-pw', ...cloudService });
  const miKey = cloud.realm.keysFor(MI_SPN).find((k) => k.etype === 18)!;
  return { onprem, cloud, mi: MI_SPN, miKey };
}
