/**
 * krbsim's AP-REQ acceptor (`KerberosService`) against MIT krb5 1.20's
 * `krb5_rd_req` and `gss_accept_sec_context` as an oracle. One service
 * principal in an MIT realm on loopback, its keytab exported; MIT reads it
 * (service-mit-helper.c, mode `check`, compiled here) and krbsim reads the
 * same file. Each case builds one AP-REQ by hand (a ticket encrypted in the
 * service key with an EncTicketPart the case controls, an authenticator under
 * the ticket's session key), each with one fault on a valid baseline, and the
 * same bytes go to both. Each answer is reduced to what can be compared: `OK`
 * with the client and whether an AP-REP came (decrypted and checked for the
 * echoed time), or the error. The two must agree, except in the cases listed
 * in KNOWN_DIFFERENCES, where each side's answer is pinned and the reason
 * given.
 *
 * The cases, by part: the baseline and mutual authentication; the ticket (key,
 * kvno, enctype, server name and realm, times within and beyond the skew,
 * flags, addresses, transited realms, tkt-vno, authorization data and PACs);
 * the authenticator (key, client, time, cusec, subkey, checksums, sequence
 * number, authorization data, authenticator-vno); the AP-REQ itself (pvno,
 * msg-type, ap-options, truncated or trailing bytes); the acceptor told its
 * own principal (krb5_rd_req's `server`, krbsim's `principal`); GSS-API
 * framing (RFC 4121, gss_accept_sec_context), where the checksum, sequence
 * number and subkey matter; and a replay.
 *
 * Errors: MIT reports com_err codes. A protocol code (KRB5KRB_AP_ERR_*,
 * KRB5KDC_ERR_*) is the com_err code minus ERROR_TABLE_BASE_krb5 and is named
 * with `errorCodeName`. Other MIT codes have no protocol number; they are
 * named `MIT:<name>` (in GSS framing with no minor code, `GSS:<major>`), and
 * MIT_CODES says which protocol code krbsim should answer for each: the one
 * RFC 4120 names for the same fault, else KRB_ERR_GENERIC, which is what
 * MIT's own GSS acceptor sends for them (accept_sec_context.c).
 *
 * Replay: MIT's replay cache is off (the realm's env sets KRB5RCACHETYPE=none)
 * and so is krbsim's (`replayCache: false`), so that no case depends on
 * another; the replay case gives each side a cache of its own (MIT's file2
 * cache through KRB5RCACHENAME, krbsim's default one) and sends the AP-REQ
 * twice.
 *
 * Times: MIT reads the system clock, so every time is built from the clock
 * in whole seconds when the case runs, with margins of minutes around the
 * 5-minute skew both sides allow: no case depends on when it runs.
 *
 * Ticket addresses: MIT compares them only when the caller sets the peer's
 * address in the auth context, krbsim only when `accept` is given
 * `peerAddress`; the `peer` acceptor does both (192.0.2.7, raw framing: MIT's
 * GSS acceptor takes no address), the others neither, so that any addresses
 * pass there.
 *
 * Skipped with a printed reason when MIT krb5 or gcc is missing; failing
 * instead under KRBSIM_REQUIRE_MIT=1.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdType,
  ApOptions,
  type Authenticator,
  type Checksum,
  decodeApRep,
  decodeEncApRepPart,
  type EncTicketPart,
  encodeApReq,
  encodeAuthenticator,
  encodeAuthorizationData,
  encodeClientTarget,
  encodeEncTicketPart,
  encodeGssChecksum,
  encodeKerbAdRestrictions,
  encodeLsapTokenInfoIntegrity,
  GssFlags,
  Krb5TokenId,
  NameType,
  type PrincipalName,
  TicketFlags,
  TokenIntegrityLevel,
  unwrapKrb5Token,
  wrapKrb5Token,
} from '@krbsim/asn1';
import {
  ChecksumType,
  concatBytes,
  Duration,
  errorCodeName,
  isKerberosError,
  randomBytes,
  SeededRandom,
  systemClock,
} from '@krbsim/core';
import { checksum, decrypt, encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import { readKeytabFile } from '@krbsim/files';
import { createPacClientInfo, type Pac, PacBufferType, signTicketPac } from '@krbsim/pac';
import { KerberosService } from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { int, tlv } from './der';
import { type KnownDifference, knownDifferencesTest } from './helpers/kdc-oracle';
import { buildServiceMitHelper } from './helpers/mit';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'APREQ.TEST';
const SERVICE = 'host/svc.apreq.test';
const SPN = `${SERVICE}@${REALM}`;
const SNAME: PrincipalName = { nameType: NameType.NT_SRV_INST, nameString: ['host', 'svc.apreq.test'] };
const ALICE: PrincipalName = { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] };
const MINUTE = Duration.minute;
const HOUR = Duration.hour;
const ERROR_TABLE_BASE_KRB5 = -1765328384;
const random = new SeededRandom('service-differential-mit');

/**
 * The MIT codes the cases meet that RFC 4120 gives no number (library codes,
 * errno values, and MIT's own 43): MIT's name, and what krbsim answers for
 * the same fault: the code RFC 4120 names for it, else KRB_ERR_GENERIC, which
 * is what MIT's own GSS acceptor sends in their place (accept_sec_context.c).
 */
const MIT_CODES: Record<number, { name: string; krbsim: string }> = {
  // 43 is not in RFC 4120 section 7.5.9; 51 is its "Policy rejects transited path".
  [-1765328341]: { name: 'KRB5KRB_AP_ERR_ILL_CR_TKT', krbsim: 'KRB_AP_PATH_NOT_ACCEPTED' },
  // What MIT's transited check says of realms listed for a client of the service realm.
  [-1765328199]: { name: 'KRB5_NO_TKT_IN_RLM', krbsim: 'KRB_AP_PATH_NOT_ACCEPTED' },
  // RFC 4120 section 3.2.3: a ticket with the INVALID flag set is KRB_AP_ERR_TKT_NYV.
  [-1765328239]: { name: 'KRB5KRB_AP_ERR_TKT_INVALID', krbsim: 'KRB_AP_ERR_TKT_NYV' },
  // An enctype refused by policy: what krbsim answers for the enctypes it refuses (README).
  [-1765328148]: { name: 'KRB5_NOPERM_ETYPE', krbsim: 'KDC_ERR_ETYPE_NOSUPP' },
  [-1765328196]: { name: 'KRB5_BAD_ENCTYPE', krbsim: 'KRB_ERR_GENERIC' },
  1859794437: { name: 'ASN1_OVERRUN', krbsim: 'KRB_ERR_GENERIC' },
  1859794438: { name: 'ASN1_BAD_ID', krbsim: 'KRB_ERR_GENERIC' },
  39756038: { name: 'KG_BAD_LENGTH', krbsim: 'KRB_ERR_GENERIC' },
  34: { name: 'ERANGE', krbsim: 'KRB_ERR_GENERIC' },
};

/** GSS-API major status routine errors (RFC 2744 section 3.9.1), by their number. */
const GSS_ROUTINE_ERRORS = [
  '',
  'BAD_MECH',
  'BAD_NAME',
  'BAD_NAMETYPE',
  'BAD_BINDINGS',
  'BAD_STATUS',
  'BAD_SIG',
  'NO_CRED',
  'NO_CONTEXT',
  'DEFECTIVE_TOKEN',
  'DEFECTIVE_CREDENTIAL',
  'CREDENTIALS_EXPIRED',
  'CONTEXT_EXPIRED',
  'FAILURE',
];

const OK = /^OK alice@APREQ\.TEST$/;

/**
 * Where krbsim answers otherwise on purpose: each side's answer, pinned, and
 * why.
 */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'ticket: kvno 2, which the keytab lacks, under the service key': {
    oracle: OK,
    krbsim: 'KRB_AP_ERR_BADKEYVER',
    why: 'RFC 4120 3.2.3: the ticket is decrypted with the key version it names, else KRB_AP_ERR_BADKEYVER; MIT, given no server, tries every key of the keytab',
  },
  'ticket: enctype the keytab lacks (camellia256-cts-cmac, 26)': {
    oracle: /^KRB_AP_ERR_BADKEYVER$/,
    krbsim: 'KRB_AP_ERR_NOKEY',
    why: 'RFC 4120 3.2.3 names KRB_AP_ERR_NOKEY for a key the server does not hold; MIT has no code for "the kvno but not the enctype" and uses BADKEYVER (NOKEY when given the server)',
  },
  'ticket: enctype the keytab lacks (rc4-hmac, 23)': {
    oracle: /^KRB_AP_ERR_BADKEYVER$/,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: 'RC4 is refused before the keytab is searched, unless allowWeakCrypto (RFC 8429; the README names the code)',
  },
  'ticket: transited of tr-type 2': {
    oracle: /^MIT:KRB5_NO_TKT_IN_RLM$/,
    krbsim: 'KDC_ERR_TRTYPE_NOSUPP',
    why: 'RFC 4120 7.5.5 defines DOMAIN-X500-COMPRESS only: krbsim refuses another encoding with the code for it; MIT ignores the type and fails the path check',
  },
  'ticket: tkt-vno 4': {
    oracle: /^KDC_ERR_BAD_PVNO$/,
    krbsim: 'KRB_AP_ERR_BADVERSION',
    why: "KDC_ERR_BAD_PVNO is the KDC's code; for the messages of an application exchange RFC 4120 uses KRB_AP_ERR_BADVERSION (3.6.2), as the codec documents",
  },
  'ticket: session key rc4-hmac (23)': {
    oracle: OK,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: 'an RC4 session key is refused unless allowWeakCrypto (RFC 8429; README); MIT 1.20 still permits rc4-hmac',
  },
  'ticket: a PAC whose server signature is made with another key': {
    oracle: OK,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: 'MS-PAC 2.8: the server signature must verify, as a Windows service requires (README); MIT 1.20 only leaves the PAC unverified',
  },
  'ticket: a PAC that does not decode': {
    oracle: /^MIT:ERANGE$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: 'the README gives a PAC that does not decode KRB_AP_ERR_MODIFIED; MIT fails with an errno',
  },
  'authenticator: enctype 17 for a session key of 18': {
    oracle: /^MIT:KRB5_BAD_ENCTYPE$/,
    krbsim: 'KRB_AP_ERR_BAD_INTEGRITY',
    why: "an authenticator not in the session key's enctype does not decrypt with it: RFC 4120 3.2.3's KRB_AP_ERR_BAD_INTEGRITY",
  },
  'authenticator: cusec 1000000': {
    oracle: OK,
    krbsim: 'KRB_ERR_GENERIC',
    why: 'Microseconds is INTEGER (0..999999) (RFC 4120 5.2.4) and 7.5 lets a receiver refuse values out of range: the codec does; MIT does not check',
  },
  'authenticator: cusec -1': {
    oracle: OK,
    krbsim: 'KRB_ERR_GENERIC',
    why: 'as above',
  },
  'authenticator: subkey rc4-hmac (23)': {
    oracle: OK,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: "the subkey becomes the session key, so it gets the session key's check: weak enctypes refused without allowWeakCrypto (RFC 8429), as an rc4 session key is above; MIT permits rc4",
  },
  'authenticator: subkey aes256-cts-hmac-sha1-96 (18), MUTUAL-REQUIRED': {
    oracle: /^OK \S+ AP-REP subkey 18 \(the client's\)$/,
    krbsim: 'OK alice@APREQ.TEST AP-REP',
    why: "where the acceptor makes no subkey of its own, MIT's krb5_mk_rep echoes the client's; krbsim sends none, as Heimdal's krb5_mk_rep does (RFC 4120 5.5.2: optional): the echo is the client's own key, and a DCE-style initiator (a raw AP-REQ) would take it for an acceptor subkey",
  },
  'authenticator: authenticator-vno 4': {
    oracle: /^KDC_ERR_BAD_PVNO$/,
    krbsim: 'KRB_AP_ERR_BADVERSION',
    why: 'as for tkt-vno',
  },
  'GSS, rc4 permitted: session key rc4-hmac (23), subkey rc4-hmac': {
    oracle: /^OK \S+ AP-REP subkey 23 \(the client's\)$/,
    krbsim: 'OK alice@APREQ.TEST AP-REP',
    why: "as for a raw AP-REP above: an rc4 context takes no acceptor subkey, and MIT's AP-REP echoes the client's (its initiator then ignores it: same enctype)",
  },
  'GSS, rc4 permitted: session key aes256-cts-hmac-sha1-96 (18), subkey rc4-hmac': {
    oracle: /^OK \S+ AP-REP subkey 23 \(the client's\)$/,
    krbsim: 'OK alice@APREQ.TEST AP-REP',
    why: 'as above: the context is keyed with the rc4 subkey, and negotiation keeps the session enctype',
  },
  'GSS, rc4 permitted: session key aes256-cts-hmac-sha1-96 (18), subkey rc4-hmac, enctypes [17] listed': {
    oracle: /^OK \S+ AP-REP subkey 23 \(the client's\)$/,
    krbsim: 'OK alice@APREQ.TEST AP-REP',
    why: 'as above',
  },
  'AP-REQ: pvno 4': {
    oracle: /^KDC_ERR_BAD_PVNO$/,
    krbsim: 'KRB_AP_ERR_BADVERSION',
    why: 'as for tkt-vno',
  },
  'AP-REQ: msg-type 13': {
    oracle: OK,
    krbsim: 'KRB_AP_ERR_MSG_TYPE',
    why: 'RFC 4120 3.2.3: a message type other than KRB_AP_REQ is KRB_AP_ERR_MSG_TYPE; MIT looks at the application tag only',
  },
  'AP-REQ: use-session-key without user-to-user': {
    oracle: OK,
    krbsim: 'KRB_AP_ERR_METHOD',
    why: "RFC 4120 3.2.3: USE-SESSION-KEY says the ticket is in the session key of the server's TGT; krbsim offers no user-to-user and says so (README); MIT ignores the option",
  },
  'AP-REQ: trailing garbage': {
    oracle: OK,
    krbsim: 'KRB_ERR_GENERIC',
    why: "the codec refuses bytes after the message (@krbsim/asn1's README); MIT's decoder ignores them",
  },
  'GSS: an unkeyed CRC32 checksum': {
    oracle: /^MIT:KRB5_BAD_ENCTYPE$/,
    krbsim: 'KRB_AP_ERR_INAPP_CKSUM',
    why: 'both refuse; krbsim with its code for a checksum that is not 0x8003 (README), MIT with a library code',
  },
  'GSS: a keyed checksum over nothing, of another enctype (aes128 for an aes256 key)': {
    oracle: /^MIT:KRB5_BAD_ENCTYPE$/,
    krbsim: 'KRB_AP_ERR_INAPP_CKSUM',
    why: "both refuse a checksum type the session key cannot make: krbsim with RFC 4120's code for an inappropriate checksum (README), MIT with a library code",
  },
  'GSS: a keyed checksum that does not verify': {
    oracle: /^GSS:BAD_SIG$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: "both refuse: MIT with a GSS status, krbsim with RFC 4120's code for a checksum that does not verify (README)",
  },
  'GSS: a 0x8003 checksum of 5 octets': {
    oracle: /^GSS:BAD_BINDINGS$/,
    krbsim: 'KRB_AP_ERR_INAPP_CKSUM',
    why: 'both refuse; krbsim with its code for a 0x8003 checksum it cannot read (README), MIT with a GSS status',
  },
  'GSS: a 0x8003 checksum with Lgth 17': {
    oracle: /^MIT:KG_BAD_LENGTH$/,
    krbsim: 'KRB_AP_ERR_INAPP_CKSUM',
    why: 'as above',
  },
  'permitting [17, 18]: ticket and session key aes256-cts-hmac-sha384-192 (20)': {
    oracle: /^KRB_AP_ERR_BAD_INTEGRITY$/,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: "krbsim refuses a ticket of an enctype it does not permit before the keytab is searched, as it refuses a weak one (KDC_ERR_ETYPE_NOSUPP, the README's table); MIT, given no server, tries only its permitted keys, none of which opens the ticket, and reports the failed decryption",
  },
  'permitting [17, 18]: ticket aes256-cts-hmac-sha384-192 (20), session key aes256-cts-hmac-sha1-96': {
    oracle: /^KRB_AP_ERR_BAD_INTEGRITY$/,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: 'as above',
  },
  "GSS: a Windows client's token restrictions that do not decode": {
    oracle: /^OK alice@APREQ\.TEST AP-REP subkey 18$/,
    krbsim: 'KRB_ERR_GENERIC',
    why: "MS-KILE 3.4.5.3 has a service read KERB_AUTH_DATA_TOKEN_RESTRICTIONS (krbsim's AcceptResult.windows); krbsim refuses one it cannot read, as it refuses an EtypeList it cannot read, where MIT, which reads none of MS-KILE's elements, ignores it",
  },
};

/** What the case sent, to check an AP-REP against. */
interface Sent {
  readonly token: Uint8Array;
  readonly sessionKey: Key;
  readonly ctime: number;
  readonly cusec: number;
  /** The authenticator's subkey, to tell an AP-REP that echoes it from one with a subkey of its own. */
  readonly subkey?: Uint8Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An AP-REQ to build, every field open to the case. */
interface Spec {
  pvno: number;
  msgType: number;
  apOptions: number;
  tktVno: number;
  realm: string;
  sname: PrincipalName;
  /** The ticket's enc-part: its etype and kvno as written, and the key that encrypts it (none: random bytes). */
  ticketEtype: number;
  kvno: number | undefined;
  ticketKey: Key | undefined;
  part: Mutable<EncTicketPart>;
  sessionKey: Key;
  auth: Mutable<Omit<Authenticator, 'authenticatorVno'>> & { vno: number };
  authKey: Key;
  authEtype: number;
  authUsage: number;
  /** Rewrites the authenticator's DER before it is encrypted. */
  authDer?: (der: Uint8Array) => Uint8Array;
  /** Rewrites the AP-REQ's DER (before any GSS framing). */
  apReqDer?: (der: Uint8Array) => Uint8Array;
}

/** How the AP-REQ is sent: as it is, or in an RFC 4121 InitialContextToken. */
type Framing = 'raw' | 'gss';
/**
 * Which acceptor takes it: `any` accepts with any key of the keytab (no server
 * named), `named` with the service's own principal's only, `replay` as `any`
 * but with a replay cache, `weak` as `any` with krbsim's `allowWeakCrypto` (MIT
 * 1.20 permits rc4-hmac by default), `peer` as `any` told the AP-REQ came from
 * {@link PEER} (MIT's auth context's remote address, krbsim's `peerAddress`),
 * `permitted` as `any` permitting {@link PERMITTED} only.
 */
type Acceptor = 'any' | 'named' | 'replay' | 'weak' | 'peer' | 'permitted';
/**
 * The `permitted` acceptor's enctypes, most preferred first: MIT's `permitted_enctypes` (a
 * krb5.conf read before the realm's) and krbsim's `permittedEncTypes`.
 */
const PERMITTED = [17, 18];
/** MIT's names of the enctypes {@link PERMITTED} may hold. */
const ENCTYPE_NAMES: Record<number, string> = {
  17: 'aes128-cts-hmac-sha1-96',
  18: 'aes256-cts-hmac-sha1-96',
};
/** The address the `peer` acceptor is told the AP-REQ came from. */
const PEER = '192.0.2.7';

interface Case {
  readonly label: string;
  readonly framing: Framing;
  readonly acceptor: Acceptor;
  readonly edit: (s: Spec, now: number) => void;
}

const cases: Case[] = [];
const add = (label: string, edit: Case['edit'], framing: Framing = 'raw', acceptor: Acceptor = 'any') =>
  cases.push({ label, framing, acceptor, edit });

let serviceKeys: Map<number, Key>;
const serviceKey = (etype: number): Key => serviceKeys.get(etype)!;
const otherKey = (etype = 18): Key => generateKey(etype, { random });
const keyOf = (k: Key) => ({ keytype: k.etype, keyvalue: k.bytes });

/** A valid AP-REQ from alice, at `now`: a ticket good from an hour ago for nine hours. */
function baseline(now: number, framing: Framing): Spec {
  const sessionKey = generateKey(18, { random });
  return {
    pvno: 5,
    msgType: 14,
    apOptions: 0,
    tktVno: 5,
    realm: REALM,
    sname: SNAME,
    ticketEtype: 18,
    kvno: 1,
    ticketKey: serviceKey(18),
    part: {
      flags: TicketFlags.forwardable | TicketFlags['pre-authent'],
      key: keyOf(sessionKey),
      crealm: REALM,
      cname: ALICE,
      transited: { trType: 1, contents: new Uint8Array(0) },
      authtime: now - HOUR,
      starttime: now - HOUR,
      endtime: now + 8 * HOUR,
    },
    sessionKey,
    auth: {
      vno: 5,
      crealm: REALM,
      cname: ALICE,
      cusec: 250_000,
      ctime: now,
      ...(framing === 'gss' && {
        cksum: encodeGssChecksum({ flags: GssFlags.mutual | GssFlags.integ | GssFlags.conf }),
        seqNumber: 12345,
      }),
    },
    authKey: sessionKey,
    authEtype: 18,
    authUsage: KeyUsage.AP_REQ_AUTH,
  };
}

/** The session key (in the ticket, and the authenticator's key) becomes `k`. */
function useSessionKey(s: Spec, k: Key): void {
  s.sessionKey = k;
  s.part.key = keyOf(k);
  s.authKey = k;
  s.authEtype = k.etype;
}

/** The ticket is encrypted in the service key of `etype`. */
function useTicketEtype(s: Spec, etype: number): void {
  s.ticketEtype = etype;
  s.ticketKey = serviceKey(etype);
}

function build(s: Spec, framing: Framing): Sent {
  const part = encodeEncTicketPart(s.part);
  const ticketCipher =
    s.ticketKey === undefined
      ? randomBytes(random, part.length + 28)
      : encrypt(s.ticketKey, KeyUsage.KDC_REP_TICKET, part, { random });
  const { vno, ...auth } = s.auth;
  let authDer = encodeAuthenticator({ ...auth, authenticatorVno: vno as 5 });
  if (s.authDer) authDer = s.authDer(authDer);
  let apReq = encodeApReq({
    pvno: s.pvno as 5,
    msgType: 14,
    apOptions: s.apOptions,
    ticket: {
      tktVno: s.tktVno as 5,
      realm: s.realm,
      sname: s.sname,
      encPart: {
        etype: s.ticketEtype,
        ...(s.kvno !== undefined && { kvno: s.kvno }),
        cipher: ticketCipher,
      },
    },
    authenticator: {
      etype: s.authEtype,
      cipher: encrypt(s.authKey, s.authUsage, authDer, { random }),
    },
  });
  if (s.msgType !== 14) apReq = withField(apReq, 1, int(s.msgType));
  if (s.apReqDer) apReq = s.apReqDer(apReq);
  return {
    token: framing === 'gss' ? wrapKrb5Token(Krb5TokenId.AP_REQ, apReq) : Uint8Array.from(apReq),
    sessionKey: s.sessionKey,
    ctime: s.auth.ctime,
    cusec: s.auth.cusec,
    ...(s.auth.subkey !== undefined && { subkey: s.auth.subkey.keyvalue }),
  };
}

/** The TLV at `at`: its tag, where its contents start and where it ends. */
function tlvAt(b: Uint8Array, at: number): { tag: number; body: number; end: number } {
  let len = b[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!;
    body += n;
  }
  return { tag: b[at]!, body, end: body + len };
}

/**
 * `der`, an `[APPLICATION n] SEQUENCE` as every message here is, with field
 * `[field]` holding `value` (a whole TLV) instead: how the cases write what
 * the codec will not (a cusec out of range, a msg-type the tag contradicts).
 */
function withField(der: Uint8Array, field: number, value: Uint8Array): Uint8Array {
  const app = tlvAt(der, 0);
  const sq = tlvAt(der, app.body);
  const fields: Uint8Array[] = [];
  let found = false;
  for (let at = sq.body; at < sq.end; ) {
    const f = tlvAt(der, at);
    found ||= f.tag === (0xa0 | field);
    fields.push(f.tag === (0xa0 | field) ? tlv(f.tag, value) : der.subarray(at, f.end));
    at = f.end;
  }
  if (!found) throw new Error(`no field [${field}] to replace`);
  return tlv(der[0]!, tlv(0x30, concatBytes(fields)));
}

/** A checksum of `type` with random bytes. */
const garbage = (cksumtype: number, n: number): Checksum => ({ cksumtype, checksum: randomBytes(random, n) });

/** AuthorizationData elements, for the ticket or the authenticator. */
const adElement = (adType: number, adData: Uint8Array) => ({ adType, adData });
const ifRelevant = (...elements: { adType: number; adData: Uint8Array }[]) =>
  adElement(AdType.AD_IF_RELEVANT, encodeAuthorizationData(elements));

/** alice's PAC with a client-info buffer for the ticket's authtime, signed as a KDC would. */
function withSignedPac(s: Spec, serverKey: Key): void {
  const pac: Pac = {
    buffers: [{ type: PacBufferType.CLIENT_INFO, value: createPacClientInfo('alice', s.part.authtime) }],
  };
  const signed = signTicketPac(s.part, pac, { serverKey, kdcKey: otherKey() }, { server: s.sname });
  s.part = { ...signed.encTicketPart };
}

// The baseline.
add('baseline', () => {});
add('baseline: MUTUAL-REQUIRED', (s) => {
  s.apOptions = ApOptions['mutual-required'];
});
add('baseline: ticket and session key aes128-cts-hmac-sha1-96 (17), MUTUAL-REQUIRED', (s) => {
  useTicketEtype(s, 17);
  useSessionKey(s, generateKey(17, { random }));
  s.apOptions = ApOptions['mutual-required'];
});
add('baseline: ticket and session key aes256-cts-hmac-sha384-192 (20), MUTUAL-REQUIRED', (s) => {
  useTicketEtype(s, 20);
  useSessionKey(s, generateKey(20, { random }));
  s.apOptions = ApOptions['mutual-required'];
});
add('baseline: ticket aes128-cts-hmac-sha256-128 (19), session key aes256-cts-hmac-sha1-96', (s) => {
  useTicketEtype(s, 19);
});

// The ticket.
add('ticket: under the wrong key', (s) => {
  s.ticketKey = otherKey();
});
add('ticket: kvno 2, which the keytab lacks, under the service key', (s) => {
  s.kvno = 2;
});
add('ticket: kvno 2, which the keytab lacks, under another key', (s) => {
  s.kvno = 2;
  s.ticketKey = otherKey();
});
add('ticket: no kvno', (s) => {
  s.kvno = undefined;
});
add('ticket: kvno 257 (the keytab has 1, its low byte)', (s) => {
  s.kvno = 257;
});
add('ticket: enctype the keytab lacks (camellia256-cts-cmac, 26)', (s) => {
  s.ticketEtype = 26;
  s.ticketKey = undefined;
});
add('ticket: enctype the keytab lacks (rc4-hmac, 23)', (s) => {
  s.ticketEtype = 23;
  s.ticketKey = undefined;
});
add('ticket: for another service, under the service key', (s) => {
  s.sname = { nameType: NameType.NT_SRV_INST, nameString: ['host', 'other.apreq.test'] };
});
add('ticket: for another service, under another key', (s) => {
  s.sname = { nameType: NameType.NT_SRV_INST, nameString: ['host', 'other.apreq.test'] };
  s.ticketKey = otherKey();
});
add('ticket: realm other than the service realm, under the service key', (s) => {
  s.realm = 'OTHER.TEST';
});
add('ticket: service named as NT-SRV-HST', (s) => {
  s.sname = { nameType: NameType.NT_SRV_HST, nameString: SNAME.nameString };
});
add('ticket: endtime 10 minutes ago (beyond the skew)', (s, now) => {
  s.part.endtime = now - 10 * MINUTE;
});
add('ticket: endtime 3 minutes ago (within the skew)', (s, now) => {
  s.part.endtime = now - 3 * MINUTE;
});
add('ticket: starttime in 10 minutes (beyond the skew)', (s, now) => {
  s.part.starttime = now + 10 * MINUTE;
});
add('ticket: starttime in 3 minutes (within the skew)', (s, now) => {
  s.part.starttime = now + 3 * MINUTE;
});
add('ticket: no starttime, authtime in 10 minutes', (s, now) => {
  s.part.starttime = undefined;
  s.part.authtime = now + 10 * MINUTE;
});
add('ticket: INVALID flag set', (s) => {
  s.part.flags |= TicketFlags.invalid;
});
add('ticket: POSTDATED and INVALID, starttime passed', (s) => {
  s.part.flags |= TicketFlags.postdated | TicketFlags.invalid;
});
add('ticket: caddr 127.0.0.1', (s) => {
  s.part.caddr = [{ addrType: 2, address: Uint8Array.of(127, 0, 0, 1) }];
});
add('ticket: caddr of another host', (s) => {
  s.part.caddr = [{ addrType: 2, address: Uint8Array.of(192, 0, 2, 7) }];
});
/** A case for the acceptor told the peer's address, {@link PEER}. */
const peer = (label: string, edit: Case['edit']) => add(`from ${PEER}: ${label}`, edit, 'raw', 'peer');
const ipv4 = (...octets: number[]) => ({ addrType: 2, address: Uint8Array.from(octets) });
peer('ticket: caddr 192.0.2.7', (s) => {
  s.part.caddr = [ipv4(192, 0, 2, 7)];
});
peer('ticket: caddr 192.0.2.8 and 192.0.2.7', (s) => {
  s.part.caddr = [ipv4(192, 0, 2, 8), ipv4(192, 0, 2, 7)];
});
peer('ticket: caddr 192.0.2.8', (s) => {
  s.part.caddr = [ipv4(192, 0, 2, 8)];
});
peer('ticket: caddr 2001:db8::7 (IPv6)', (s) => {
  s.part.caddr = [
    { addrType: 24, address: Uint8Array.from([0x20, 1, 0x0d, 0xb8, ...new Array(11).fill(0), 7]) },
  ];
});
peer('ticket: no caddr', () => {});
// MIT's krb5_address_search (addr_srch.c): a NetBIOS name alone is no address; beside others, one more.
const netbios = { addrType: 20, address: new TextEncoder().encode('WIN10-01       ') };
peer('ticket: caddr a NetBIOS name alone', (s) => {
  s.part.caddr = [netbios];
});
peer('ticket: caddr a NetBIOS name and 192.0.2.8', (s) => {
  s.part.caddr = [netbios, ipv4(192, 0, 2, 8)];
});
peer('ticket: caddr a NetBIOS name and 192.0.2.7', (s) => {
  s.part.caddr = [netbios, ipv4(192, 0, 2, 7)];
});
peer('ticket: caddr 192.0.2.8, the authenticator naming another client', (s) => {
  s.part.caddr = [ipv4(192, 0, 2, 8)];
  s.auth.cname = { nameType: NameType.NT_PRINCIPAL, nameString: ['mallory'] };
});
peer('ticket: caddr 192.0.2.8, the authenticator 10 minutes old', (s, now) => {
  s.part.caddr = [ipv4(192, 0, 2, 8)];
  s.auth.ctime = now - 10 * MINUTE;
});
/** alice of OTHER.TEST, in the ticket and the authenticator, through `transited`. */
function crossRealm(s: Spec, transited: string, flags = 0): void {
  s.part.crealm = 'OTHER.TEST';
  s.auth.crealm = 'OTHER.TEST';
  s.part.transited = { trType: 1, contents: new TextEncoder().encode(transited) };
  s.part.flags |= flags;
}
add('ticket: client of another realm, nothing transited', (s) => crossRealm(s, ''));
add('ticket: client of another realm, through its parent TEST', (s) => crossRealm(s, 'TEST'));
add('ticket: client of another realm, through a realm off the path, without TRANSITED-POLICY-CHECKED', (s) =>
  crossRealm(s, 'ELSEWHERE.EXAMPLE'),
);
add('ticket: client of another realm, through a realm off the path, TRANSITED-POLICY-CHECKED', (s) =>
  crossRealm(s, 'ELSEWHERE.EXAMPLE', TicketFlags['transited-policy-checked']),
);
add('ticket: transited realms of the service realm itself', (s) => {
  s.part.transited = { trType: 1, contents: new TextEncoder().encode('ELSEWHERE.EXAMPLE') };
});
add('ticket: transited of tr-type 2', (s) => {
  s.part.transited = { trType: 2, contents: new TextEncoder().encode('ELSEWHERE.EXAMPLE') };
});
add('ticket: tkt-vno 4', (s) => {
  s.tktVno = 4;
});
add('ticket: session key rc4-hmac (23)', (s) => {
  useSessionKey(s, generateKey(23, { random }));
});
add('ticket: authorization data of an unknown type', (s) => {
  s.part.authorizationData = [adElement(9999, Uint8Array.of(1, 2, 3))];
});
add('ticket: authorization data of an unknown type in AD-IF-RELEVANT', (s) => {
  s.part.authorizationData = [ifRelevant(adElement(9999, Uint8Array.of(1, 2, 3)))];
});
add('ticket: a PAC signed with the service key', (s) => withSignedPac(s, serviceKey(18)));
add('ticket: a PAC whose server signature is made with another key', (s) => withSignedPac(s, otherKey()));
add('ticket: a PAC that does not decode', (s) => {
  s.part.authorizationData = [ifRelevant(adElement(AdType.AD_WIN2K_PAC, Uint8Array.of(1, 2, 3, 4)))];
});

// The authenticator.
add('authenticator: under the wrong key', (s) => {
  s.authKey = otherKey();
});
add('authenticator: with the key usage of a PA-TGS-REQ (7)', (s) => {
  s.authUsage = KeyUsage.TGS_REQ_AUTH;
});
add('authenticator: enctype 17 for a session key of 18', (s) => {
  s.authKey = otherKey(17);
  s.authEtype = 17;
});
add("authenticator: cname not the ticket's", (s) => {
  s.auth.cname = { nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] };
});
add("authenticator: crealm not the ticket's", (s) => {
  s.auth.crealm = 'OTHER.TEST';
});
add('authenticator: cname of another name type (NT-UNKNOWN)', (s) => {
  s.auth.cname = { nameType: 0, nameString: ['alice'] };
});
add('authenticator: ctime 10 minutes behind', (s, now) => {
  s.auth.ctime = now - 10 * MINUTE;
});
add('authenticator: ctime 10 minutes ahead', (s, now) => {
  s.auth.ctime = now + 10 * MINUTE;
});
add('authenticator: ctime 4 minutes behind (within the skew)', (s, now) => {
  s.auth.ctime = now - 4 * MINUTE;
});
add('authenticator: ctime 4 minutes ahead (within the skew)', (s, now) => {
  s.auth.ctime = now + 4 * MINUTE;
});
add('authenticator: cusec 999999', (s) => {
  s.auth.cusec = 999_999;
});
add('authenticator: cusec 1000000', (s) => {
  s.authDer = (der) => withField(der, 4, int(1_000_000));
});
add('authenticator: cusec -1', (s) => {
  s.authDer = (der) => withField(der, 4, tlv(0x02, Uint8Array.of(0xff)));
});
add('authenticator: subkey aes128-cts-hmac-sha1-96 (17)', (s) => {
  s.auth.subkey = keyOf(generateKey(17, { random }));
});
add('authenticator: subkey aes256-cts-hmac-sha1-96 (18), MUTUAL-REQUIRED', (s) => {
  s.auth.subkey = keyOf(generateKey(18, { random }));
  s.apOptions = ApOptions['mutual-required'];
});
add('authenticator: subkey des-cbc-md5 (3)', (s) => {
  s.auth.subkey = { keytype: 3, keyvalue: randomBytes(random, 8) };
});
add('authenticator: subkey rc4-hmac (23)', (s) => {
  s.auth.subkey = keyOf(generateKey(23, { random }));
});
add('authenticator: subkey of an unknown enctype (99)', (s) => {
  s.auth.subkey = { keytype: 99, keyvalue: randomBytes(random, 32) };
});
add('authenticator: subkey of an unknown enctype (99), MUTUAL-REQUIRED', (s) => {
  s.auth.subkey = { keytype: 99, keyvalue: randomBytes(random, 32) };
  s.apOptions = ApOptions['mutual-required'];
});
add('authenticator: no checksum', () => {});
add('authenticator: an unkeyed CRC32 checksum', (s) => {
  s.auth.cksum = { cksumtype: ChecksumType.CRC32, checksum: new Uint8Array(4) };
});
add('authenticator: an unkeyed RSA-MD5 checksum', (s) => {
  s.auth.cksum = garbage(ChecksumType.RSA_MD5, 16);
});
add('authenticator: a keyed checksum that does not verify', (s) => {
  s.auth.cksum = garbage(ChecksumType.HMAC_SHA1_96_AES256, 12);
});
add('authenticator: a GSS 0x8003 checksum of garbage', (s) => {
  s.auth.cksum = garbage(ChecksumType.GSS_KRB5, 5);
});
add('authenticator: seq-number', (s) => {
  s.auth.seqNumber = 0x12345678;
});
add('authenticator: authorization data of an unknown type', (s) => {
  s.auth.authorizationData = [adElement(9999, Uint8Array.of(1, 2, 3))];
});
add('authenticator: authorization data of an unknown type in AD-IF-RELEVANT', (s) => {
  s.auth.authorizationData = [ifRelevant(adElement(9999, Uint8Array.of(1, 2, 3)))];
});
add('authenticator: AD-MANDATORY-FOR-KDC of unknown contents', (s) => {
  s.auth.authorizationData = [adElement(AdType.AD_MANDATORY_FOR_KDC, Uint8Array.of(0x30, 0))];
});
add('authenticator: AD-ETYPE-NEGOTIATION listing an unknown enctype, MUTUAL-REQUIRED', (s) => {
  s.auth.authorizationData = [
    ifRelevant(adElement(AdType.AD_ETYPE_NEGOTIATION, tlv(0x30, concatBytes([int(99)])))),
  ];
  s.apOptions = ApOptions['mutual-required'];
});
add('authenticator: authenticator-vno 4', (s) => {
  s.auth.vno = 4;
});

// The AP-REQ.
add('AP-REQ: pvno 4', (s) => {
  s.pvno = 4;
});
add('AP-REQ: msg-type 13', (s) => {
  s.msgType = 13;
});
add('AP-REQ: use-session-key without user-to-user', (s) => {
  s.apOptions = ApOptions['use-session-key'];
});
add('AP-REQ: an unassigned ap-options bit (3)', (s) => {
  s.apOptions = (0x80000000 >>> 3) >>> 0;
});
add('AP-REQ: truncated by 10 bytes', (s) => {
  s.apReqDer = (der) => der.subarray(0, der.length - 10);
});
add('AP-REQ: trailing garbage', (s) => {
  s.apReqDer = (der) => concatBytes([der, Uint8Array.of(0, 0, 0, 0)]);
});

// The acceptor told its principal: MIT's krb5_rd_req with `server`, krbsim with `principal`.
const named = (label: string, edit: Case['edit']) => add(`named service: ${label}`, edit, 'raw', 'named');
named('baseline', () => {});
named('ticket under the wrong key', (s) => {
  s.ticketKey = otherKey();
});
named('ticket with kvno 2, under the service key', (s) => {
  s.kvno = 2;
});
named('ticket of an enctype the keytab lacks (26)', (s) => {
  s.ticketEtype = 26;
  s.ticketKey = undefined;
});
named('ticket for another service, under the service key', (s) => {
  s.sname = { nameType: NameType.NT_SRV_INST, nameString: ['host', 'other.apreq.test'] };
});
named('ticket for another service, under another key', (s) => {
  s.sname = { nameType: NameType.NT_SRV_INST, nameString: ['host', 'other.apreq.test'] };
  s.ticketKey = otherKey();
});
named('ticket of another realm, under the service key', (s) => {
  s.realm = 'OTHER.TEST';
});

// GSS-API framing (RFC 4121): the same AP-REQs in an InitialContextToken, where the checksum matters.
const gss = (label: string, edit: Case['edit']) => add(`GSS: ${label}`, edit, 'gss');
gss('baseline (0x8003 checksum, mutual flag)', () => {});
gss('0x8003 checksum without the mutual flag', (s) => {
  s.auth.cksum = encodeGssChecksum({ flags: GssFlags.integ });
});
gss('no checksum', (s) => {
  s.auth.cksum = undefined;
});
gss('an unkeyed CRC32 checksum', (s) => {
  s.auth.cksum = { cksumtype: ChecksumType.CRC32, checksum: new Uint8Array(4) };
});
gss('a keyed checksum over nothing', (s) => {
  s.auth.cksum = {
    cksumtype: ChecksumType.HMAC_SHA1_96_AES256,
    checksum: checksum(s.sessionKey, KeyUsage.AP_REQ_AUTH_CKSUM, new Uint8Array(0)),
  };
});
gss('a keyed checksum over nothing, MUTUAL-REQUIRED', (s) => {
  // MIT takes the mutual flag from the AP options when there is no 0x8003 checksum to carry it.
  s.apOptions = ApOptions['mutual-required'];
  s.auth.cksum = {
    cksumtype: ChecksumType.HMAC_SHA1_96_AES256,
    checksum: checksum(s.sessionKey, KeyUsage.AP_REQ_AUTH_CKSUM, new Uint8Array(0)),
  };
});
gss('a keyed checksum over nothing, of another enctype (aes128 for an aes256 key)', (s) => {
  s.auth.cksum = { cksumtype: ChecksumType.HMAC_SHA1_96_AES128, checksum: new Uint8Array(12) };
});
gss('a keyed checksum that does not verify', (s) => {
  s.auth.cksum = garbage(ChecksumType.HMAC_SHA1_96_AES256, 12);
});
gss('a 0x8003 checksum of 5 octets', (s) => {
  s.auth.cksum = garbage(ChecksumType.GSS_KRB5, 5);
});
gss('a 0x8003 checksum with Lgth 17', (s) => {
  const c = encodeGssChecksum({ flags: GssFlags.mutual }).checksum;
  c[0] = 17;
  s.auth.cksum = { cksumtype: ChecksumType.GSS_KRB5, checksum: c };
});
gss('no seq-number', (s) => {
  s.auth.seqNumber = undefined;
});
gss('subkey of an unknown enctype (99)', (s) => {
  s.auth.subkey = { keytype: 99, keyvalue: randomBytes(random, 32) };
});
gss('subkey of an unknown enctype (99), without the mutual flag', (s) => {
  s.auth.subkey = { keytype: 99, keyvalue: randomBytes(random, 32) };
  s.auth.cksum = encodeGssChecksum({ flags: GssFlags.integ });
});
gss('channel bindings the acceptor does not have', (s) => {
  s.auth.cksum = encodeGssChecksum({
    flags: GssFlags.mutual,
    channelBindings: new TextEncoder().encode('tls-server-end-point:x'),
  });
});

// RFC 4537 enctype negotiation: which enctype the acceptor's subkey gets (the AP-REP's subkey is compared).
/** An AD-ETYPE-NEGOTIATION element listing `etypes`. */
const etypeNegotiation = (...etypes: number[]) =>
  adElement(AdType.AD_ETYPE_NEGOTIATION, tlv(0x30, concatBytes(etypes.map((e) => int(e)))));
/** The ticket's session key becomes a new key of `etype`. */
const sessionOf = (s: Spec, etype: number) => useSessionKey(s, generateKey(etype, { random }));
gss('subkey aes128-cts-hmac-sha1-96 (17) under an aes256 session key', (s) => {
  s.auth.subkey = keyOf(generateKey(17, { random }));
});
gss('session key aes128-cts-hmac-sha1-96 (17), enctypes [18, 17] listed', (s) => {
  sessionOf(s, 17);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(18, 17))];
});
gss('session key aes256-cts-hmac-sha384-192 (20), enctypes [18] listed', (s) => {
  sessionOf(s, 20);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(18))];
});
gss('session key aes128-cts-hmac-sha256-128 (19), enctypes [20, 19] listed', (s) => {
  sessionOf(s, 19);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(20, 19))];
});
gss('session key aes256-cts-hmac-sha1-96 (18), enctypes [17] listed', (s) => {
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(17))];
});
gss('session key aes128-cts-hmac-sha1-96 (17), enctypes [99] listed', (s) => {
  sessionOf(s, 17);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(99))];
});
gss('session key aes128-cts-hmac-sha1-96 (17), enctypes [18] listed outside AD-IF-RELEVANT', (s) => {
  sessionOf(s, 17);
  s.auth.authorizationData = [etypeNegotiation(18)];
});
gss('session key aes128-cts-hmac-sha1-96 (17), enctypes listed after another AD-IF-RELEVANT', (s) => {
  sessionOf(s, 17);
  s.auth.authorizationData = [
    ifRelevant(adElement(9999, Uint8Array.of(1))),
    ifRelevant(etypeNegotiation(18)),
  ];
});
gss('an AD-ETYPE-NEGOTIATION that is not an EtypeList', (s) => {
  s.auth.authorizationData = [ifRelevant(adElement(AdType.AD_ETYPE_NEGOTIATION, Uint8Array.of(4, 1, 18)))];
});
add('an AD-ETYPE-NEGOTIATION that is not an EtypeList, no AP-REP asked for', (s) => {
  s.auth.authorizationData = [ifRelevant(adElement(AdType.AD_ETYPE_NEGOTIATION, Uint8Array.of(4, 1, 18)))];
});
add('session key aes128-cts-hmac-sha1-96 (17), enctypes [18] listed, MUTUAL-REQUIRED', (s) => {
  sessionOf(s, 17);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(18))];
  s.apOptions = ApOptions['mutual-required'];
});
/** A GSS case for an acceptor that permits rc4-hmac (krbsim's allowWeakCrypto). */
const weak = (label: string, edit: Case['edit']) => add(`GSS, rc4 permitted: ${label}`, edit, 'gss', 'weak');
weak('session key rc4-hmac (23)', (s) => sessionOf(s, 23));
weak('session key rc4-hmac (23), subkey rc4-hmac', (s) => {
  sessionOf(s, 23);
  s.auth.subkey = keyOf(generateKey(23, { random }));
});
weak('session key rc4-hmac (23), enctypes [18, 17, 23] listed', (s) => {
  sessionOf(s, 23);
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(18, 17, 23))];
});
weak('session key rc4-hmac (23), subkey aes256-cts-hmac-sha1-96', (s) => {
  sessionOf(s, 23);
  s.auth.subkey = keyOf(generateKey(18, { random }));
});
weak('session key aes256-cts-hmac-sha1-96 (18), subkey rc4-hmac', (s) => {
  s.auth.subkey = keyOf(generateKey(23, { random }));
});
weak('session key aes256-cts-hmac-sha1-96 (18), subkey rc4-hmac, enctypes [17] listed', (s) => {
  s.auth.subkey = keyOf(generateKey(23, { random }));
  s.auth.authorizationData = [ifRelevant(etypeNegotiation(17))];
});

// What a Windows client adds (MS-KILE 3.2.5.8): MIT reads none of it; krbsim reads it and accepts.
/** KERB_AUTH_DATA_TOKEN_RESTRICTIONS, KERB-LOCAL, AD-AUTH-DATA-AP-OPTIONS and the client target, as Windows sends them. */
const windowsClientElements = () => [
  adElement(
    AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS,
    encodeKerbAdRestrictions([
      {
        restrictionType: 0,
        restriction: encodeLsapTokenInfoIntegrity({
          flags: 0,
          tokenIL: TokenIntegrityLevel.MEDIUM,
          machineId: new Uint8Array(32).fill(7),
        }),
      },
    ]).slice(),
  ),
  adElement(AdType.KERB_LOCAL, new Uint8Array(16).fill(9)),
  adElement(AdType.AD_AUTH_DATA_AP_OPTIONS, Uint8Array.of(0, 0x40, 0, 0)),
  adElement(AdType.KERB_AUTH_DATA_CLIENT_TARGET, encodeClientTarget(`${SERVICE}@${REALM}`)),
];
gss("a Windows client's token restrictions, KERB-LOCAL, AP options and client target", (s) => {
  s.auth.authorizationData = [ifRelevant(...windowsClientElements())];
});
add("a Windows client's token restrictions, KERB-LOCAL, AP options and client target, raw", (s) => {
  s.auth.authorizationData = [ifRelevant(...windowsClientElements())];
});
gss("a Windows client's token restrictions that do not decode", (s) => {
  s.auth.authorizationData = [
    ifRelevant(adElement(AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS, Uint8Array.of(4, 0))),
  ];
});

// An acceptor that permits aes128 and aes256 (aes-sha1), aes128 first: MIT's permitted_enctypes, krbsim's permittedEncTypes.
const permitted = (label: string, edit: Case['edit'], framing: Framing = 'raw') =>
  add(`permitting [17, 18]: ${label}`, edit, framing, 'permitted');
permitted('the baseline (aes256-cts-hmac-sha1-96 ticket and session key)', () => {});
permitted('ticket and session key aes256-cts-hmac-sha384-192 (20)', (s) => {
  useTicketEtype(s, 20);
  useSessionKey(s, generateKey(20, { random }));
});
permitted('ticket aes256-cts-hmac-sha384-192 (20), session key aes256-cts-hmac-sha1-96', (s) => {
  useTicketEtype(s, 20);
});
permitted('session key aes128-cts-hmac-sha256-128 (19)', (s) => sessionOf(s, 19));
permitted('subkey aes256-cts-hmac-sha384-192 (20)', (s) => {
  s.auth.subkey = keyOf(generateKey(20, { random }));
});
permitted('GSS, no list: the acceptor subkey', () => {}, 'gss');
permitted(
  'GSS, enctypes [18, 17] listed: the acceptor subkey in its order',
  (s) => {
    s.auth.authorizationData = [ifRelevant(etypeNegotiation(18, 17))];
  },
  'gss',
);
permitted(
  'GSS, enctypes [20, 18] listed',
  (s) => {
    s.auth.authorizationData = [ifRelevant(etypeNegotiation(20, 18))];
  },
  'gss',
);

// A replay, each side with its replay cache.
add('replay: the same AP-REQ twice', () => {}, 'raw', 'replay');

describeWithTools(
  'krbsim service against MIT krb5_rd_req and gss_accept_sec_context: the same AP-REQs, the same answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc', 'gcc'],
  (tools) => {
    let mit: MitRealm;
    let helper: string;
    let keytabPath: string;
    let services: Record<'any' | 'named' | 'weak' | 'permitted', KerberosService>;
    /** A krb5.conf read before the realm's: MIT's permitted_enctypes for the `permitted` acceptor. */
    let permittedConf: string;
    let keytab: Awaited<ReturnType<typeof readKeytabFile>>;
    let replays = 0;

    beforeAll(async () => {
      mit = await startMitRealm(REALM, [{ name: SERVICE, password: 'svc-Passw0rd' }], tools);
      helper = await buildServiceMitHelper(tools.gcc!, mit.dir);
      keytabPath = await mit.exportKeytab(SPN);
      keytab = await readKeytabFile(keytabPath);
      serviceKeys = new Map(
        keytab.entries.map((e) => [e.key.etype, { etype: e.key.etype, bytes: e.key.bytes }]),
      );
      services = {
        any: new KerberosService({ keytab, clock: systemClock, replayCache: false }),
        named: new KerberosService({ keytab, principal: SPN, clock: systemClock, replayCache: false }),
        weak: new KerberosService({ keytab, clock: systemClock, replayCache: false, allowWeakCrypto: true }),
        permitted: new KerberosService({
          keytab,
          clock: systemClock,
          replayCache: false,
          permittedEncTypes: PERMITTED,
        }),
      };
      permittedConf = join(mit.dir, 'permitted.conf');
      await writeFile(
        permittedConf,
        `[libdefaults]\n permitted_enctypes = ${PERMITTED.map((e) => ENCTYPE_NAMES[e]).join(' ')}\n`,
      );
    }, 60_000);
    afterAll(async () => mit?.stop());

    /** MIT's answers to `sent`, once or (replay) twice. */
    async function mitAnswer(c: Case, sent: Sent): Promise<string> {
      const args = ['check', c.framing === 'gss' ? 'krb5' : 'raw', keytabPath];
      if (c.acceptor === 'named') args.push(SPN);
      const env =
        c.acceptor === 'replay'
          ? { ...mit.env, KRB5RCACHENAME: `file2:${join(mit.dir, `replay-${++replays}`)}` }
          : c.acceptor === 'peer'
            ? { ...mit.env, KRBSIM_PEER_ADDR: PEER }
            : c.acceptor === 'permitted'
              ? { ...mit.env, KRB5_CONFIG: `${permittedConf}:${mit.env.KRB5_CONFIG}` }
              : mit.env;
      const once = async () => {
        const r = await runTool(helper, args, { input: `${hex(sent.token)}\n`, env });
        const line = r.stdout.trim();
        if (!line.startsWith('OK ') && !line.startsWith('ERR krb5_rd_req:') && !line.startsWith('ERR gss_'))
          throw new Error(`MIT helper: ${r.stdout}${r.stderr}`);
        return mitOutcome(line, sent);
      };
      if (c.acceptor !== 'replay') return once();
      return `${await once()} / ${await once()}`;
    }

    /** krbsim's answers to `sent`, once or (replay) twice. */
    function krbsimAnswer(c: Case, sent: Sent): string {
      const service =
        c.acceptor === 'replay'
          ? new KerberosService({ keytab, clock: systemClock })
          : services[c.acceptor === 'peer' ? 'any' : c.acceptor];
      const once = () => {
        try {
          const r = service.accept(sent.token, c.acceptor === 'peer' ? { peerAddress: PEER } : {});
          return accepted(r.clientPrincipal, r.responseToken, sent);
        } catch (e) {
          if (!isKerberosError(e)) throw e;
          return e.codeName;
        }
      };
      if (c.acceptor !== 'replay') return once();
      return `${once()} / ${once()}`;
    }

    knownDifferencesTest(cases, KNOWN_DIFFERENCES);

    for (const c of cases) {
      it(c.label, async () => {
        const now = wholeSecondsNow();
        const s = baseline(now, c.framing);
        c.edit(s, now);
        const sent = build(s, c.framing);
        const mitSays = await mitAnswer(c, sent);
        const krbsimSays = krbsimAnswer(c, sent);
        const known = KNOWN_DIFFERENCES[c.label];
        if (known === undefined) {
          expect(krbsimSays).toBe(expectedOfKrbsim(mitSays));
        } else {
          expect(mitSays).toMatch(known.oracle);
          expect(krbsimSays).toBe(known.krbsim);
        }
      });
    }
  },
);

/** An accepted AP-REQ: the client, and the AP-REP if one came, checked against what was sent. */
function accepted(client: string, response: Uint8Array | undefined, sent: Sent): string {
  if (response === undefined) return `OK ${client}`;
  try {
    const apRep = decodeApRep(response[0] === 0x60 ? unwrapKrb5Token(response).message : response);
    const part = decodeEncApRepPart(decrypt(sent.sessionKey, KeyUsage.AP_REP_ENCPART, apRep.encPart.cipher));
    const timeEchoed = part.ctime === sent.ctime && part.cusec === sent.cusec;
    const echoed =
      sent.subkey !== undefined && hex(part.subkey?.keyvalue ?? new Uint8Array(0)) === hex(sent.subkey);
    const subkey =
      part.subkey === undefined ? '' : ` subkey ${part.subkey.keytype}${echoed ? " (the client's)" : ''}`;
    return `OK ${client} AP-REP${timeEchoed ? '' : ' (time not echoed)'}${subkey}`;
  } catch (e) {
    return `OK ${client} AP-REP (unreadable: ${(e as Error).message})`;
  }
}

/** MIT's answer line reduced as krbsim's is. */
function mitOutcome(line: string, sent: Sent): string {
  if (line.startsWith('OK ')) {
    const [, client, answer] = line.split(' ');
    return accepted(client!, answer === '-' ? undefined : unhex(answer!), sent);
  }
  const gssCodes = /^ERR gss_accept_sec_context: major 0x([0-9a-f]+) minor (-?\d+)/.exec(line);
  if (gssCodes !== null) {
    // The mechglue renumbers a minor status of 0 (its text is then "Success").
    const minor = / \/ Success$/.test(line) ? 0 : Number(gssCodes[2]);
    if (minor !== 0) return mitCodeName(minor);
    const routine = (Number.parseInt(gssCodes[1]!, 16) >>> 16) & 0xff;
    return `GSS:${GSS_ROUTINE_ERRORS[routine] ?? routine}`;
  }
  const code = /\((-?\d+)\)$/.exec(line);
  if (code === null) throw new Error(`unexpected MIT answer: ${line}`);
  return mitCodeName(Number(code[1]));
}

/** A com_err code by its RFC 4120 name, or MIT's own (`MIT:<name>`). */
function mitCodeName(code: number): string {
  const mitOnly = MIT_CODES[code];
  if (mitOnly !== undefined) return `MIT:${mitOnly.name}`;
  const protocol = code - ERROR_TABLE_BASE_KRB5;
  if (protocol >= 0 && protocol <= 127) return errorCodeName(protocol);
  throw new Error(`MIT code ${code} is not in MIT_CODES: add it, with krbsim's answer for the same fault`);
}

/** What krbsim answers when it agrees with MIT's `answer`. */
function expectedOfKrbsim(answer: string): string {
  if (answer.startsWith('GSS:')) return 'KRB_ERR_GENERIC';
  if (!answer.startsWith('MIT:')) return answer;
  return Object.values(MIT_CODES).find((m) => `MIT:${m.name}` === answer)!.krbsim;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

function wholeSecondsNow(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}
