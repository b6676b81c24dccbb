/**
 * krbsim's KDC against MIT krb5kdc 1.20 as an oracle: one realm with the
 * same principals and passwords on both (an MIT database on loopback, a
 * krbsim `Realm` of the default `mit` kind given MIT's krbtgt keys), and the
 * same requests sent to each. An AS-REQ is sent as the same bytes; a TGS-REQ
 * is built the same way around each KDC's own TGT. Each answer is reduced to
 * what can be compared (the error code; or the reply's flags, lifetime and
 * renewable life in minutes, session key and ticket etypes and the ticket's
 * server, and, decrypted, the ticket's flags, authorization-data types,
 * addresses and transited field) and the two must agree, except in the cases
 * listed in KNOWN_DIFFERENCES, where each side's answer is pinned and the
 * reason given.
 *
 * The cases: every one of the 32 KDC option bits in an AS-REQ (with and
 * without pre-authentication) and in a TGS-REQ (for a service and for a
 * TGT), the time fields (till 0 or past, renewable life, postdating), the
 * etype list, the names, padata (unknown, PA-PAC-REQUEST), the
 * authenticator's faults, a subkey, enc-authorization-data, forwarded
 * addresses, ticket addresses (a NetBIOS name alone among them), and
 * FORWARDED and PROXY presenting a service ticket or a proxiable TGT; and, on
 * the wire, the order of PREAUTH_REQUIRED's METHOD-DATA and the AS-REP's
 * enc-part kvno.
 *
 * Two things are set aside. Bit 15 of an AS-REP's reply part: MIT sets it in
 * every one (RFC 6806's enc-pa-rep), krbsim only when it sends the
 * PA-REQ-ENC-PA-REP checksum; canonicalize-mit.test.ts checks that MIT's
 * client accepts krbsim's replies (bit 15 of every ticket and TGS reply part
 * is compared: both set it). And the PAC's contents:
 * MIT 1.20 puts a PAC in every ticket, so the krbsim realm here issues PACs
 * too (`issuePac`, off by default in `mit` realms), and only their presence
 * is compared (pac-mit.test.ts holds krbsim's PACs to MIT's).
 *
 * Skipped with a printed reason when MIT krb5's KDC is missing; failing
 * instead under KRBSIM_REQUIRE_MIT=1.
 */

import { AdType, decodeMethodData, encodeAuthorizationData, KdcOptions, NameType } from '@krbsim/asn1';
import { Duration } from '@krbsim/core';
import { type Key, KeyUsage } from '@krbsim/crypto';
import { decodePac, findPac, getPacBuffer, PacBufferType } from '@krbsim/pac';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AsReqInput,
  asReq,
  type Creds,
  encTimestamp,
  openRep,
  openTicket,
  pacRequest,
  parseReply,
  type TgsReqInput,
  tgsReq,
  userKey,
} from '../../packages/kdc/test/helpers';
import {
  asLogin,
  describeKdcReply,
  type KnownDifference,
  type OracleCase,
  type OracleSide,
  oracleTests,
  serverKeyOf,
  startMitOracle,
  tgsHop,
  wholeSecondsNow,
} from './helpers/kdc-oracle';
import type { MitRealm } from './helpers/mit-realm';
import { describeWithTools } from './mit-tools';

const REALM = 'DIFF.TEST';
const SERVICE = 'host/svc.diff.test';
/** A service with aes256-cts-hmac-sha1-96 keys only, where the realm's krbtgt's first key is aes256-sha2. */
const SHA1_SERVICE = 'host/sha1.diff.test';
const PASSWORDS: Record<string, string> = {
  alice: 'alice-Passw0rd',
  /** An account that expired in 2020 (no pre-authentication required). */
  eve: 'eve-Passw0rd',
  bob: 'bob-Passw0rd',
  [SERVICE]: 'svc-Passw0rd',
  [SHA1_SERVICE]: 'sha1-Passw0rd',
};

/** One KDC, as the cases see it. */
interface Side extends OracleSide {
  /** alice's TGT from this KDC (for the TGS cases). */
  tgt?: Creds;
  /** bob's TGT, the second ticket of the user-to-user cases. */
  bobTgt?: Creds;
  /** alice's ticket for the service, a second ticket that is not a TGT. */
  serviceTicket?: Creds;
  /** alice's TGT asked with ALLOW-POSTDATE: MAY-POSTDATE, so that it may ask for postdated tickets. */
  postdatableTgt?: Creds;
  /** alice's TGT postdated to an hour ago: POSTDATED and INVALID, its start time past. */
  postdatedTgt?: Creds;
  /** alice's TGTs for one address: another host's (10.0.0.1), and loopback's, where the requests come from. */
  elsewhereTgt?: Creds;
  loopbackTgt?: Creds;
  /** alice's TGT whose only address is a NetBIOS name (as Windows asks for it), and one with 10.0.0.1 besides. */
  netbiosTgt?: Creds;
  netbiosElsewhereTgt?: Creds;
  /** alice's TGT asked with PROXIABLE and FORWARDABLE. */
  proxiableTgt?: Creds;
}

/** The subkey of the TGS case that asks for its reply under one. */
const SUBKEY = userKey(REALM, 'subkey', 'subkey', 18);

/** The TGTs a TGS case may present, by name. */
const TGTS = {
  tgt: (side: Side) => side.tgt!,
  postdatable: (side: Side) => side.postdatableTgt!,
  postdated: (side: Side) => side.postdatedTgt!,
  elsewhere: (side: Side) => side.elsewhereTgt!,
  loopback: (side: Side) => side.loopbackTgt!,
  netbios: (side: Side) => side.netbiosTgt!,
  netbiosElsewhere: (side: Side) => side.netbiosElsewhereTgt!,
  proxiable: (side: Side) => side.proxiableTgt!,
  /** alice's forwardable ticket for the service: a header for FORWARDED, not a TGT. */
  service: (side: Side) => side.serviceTicket!,
};

/** Whose key opens the reply: a user's (AS), the TGT session key or the authenticator's subkey (TGS). */
type ReplyKey = 'alice' | 'bob' | 'eve' | 'subkey' | keyof typeof TGTS;

/**
 * Where krbsim answers otherwise on purpose: each side's answer, pinned
 * (MIT's as a pattern where it carries the time of day), and why.
 */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'AS: POSTDATED without a start time': {
    oracle: /^REP postdated,invalid,initial,pre-authent life=-\d+m /,
    krbsim: 'KDC_ERR_BADOPTION',
    why: 'RFC 4120 5.4.1: a postdated ticket needs `from`; MIT postdates to 1970, a ticket that ended long ago',
  },
  'AS (no pre-authentication): POSTDATED without a start time': {
    oracle: /^REP postdated,invalid,initial life=-\d+m /,
    krbsim: 'KDC_ERR_BADOPTION',
    why: 'as above',
  },
  'AS: till in the past': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=-60m /,
    krbsim: 'KDC_ERR_NEVER_VALID',
    why: 'RFC 4120 3.1.3: an end time before the start time is KDC_ERR_NEVER_VALID; MIT issues an expired ticket',
  },
  'AS: from in the future without POSTDATED': {
    oracle: /^REP initial,pre-authent life=300m /,
    krbsim: 'KDC_ERR_CANNOT_POSTDATE',
    why: 'RFC 4120 3.1.3 names this error; MIT starts the ticket now instead',
  },
  'AS: RENEWABLE with rtime before till': {
    oracle: /^REP renewable,initial,pre-authent life=300m renew=60m /,
    krbsim:
      'REP initial,pre-authent life=300m renew=- sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket initial,pre-authent,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'a renew-till before the end time renews nothing: krbsim leaves the ticket unrenewable; MIT 1.20 sets RENEWABLE with it',
  },
  'AS: RENEWABLE with rtime in the past': {
    oracle: /^REP renewable,initial,pre-authent life=300m renew=-60m /,
    krbsim:
      'REP initial,pre-authent life=300m renew=- sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket initial,pre-authent,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'as above: MIT 1.20 issues a ticket renewable until before it starts',
  },
  'AS: two timestamps, the first under the wrong key': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=480m /,
    krbsim: 'KDC_ERR_PREAUTH_FAILED e-data=[2,19,133,136]',
    why: 'krbsim verifies the first PA-ENC-TIMESTAMP only, as Heimdal (Samba) does; MIT tries each until one verifies, so one request can try several passwords',
  },
  'AS: a timestamp outside the skew, then a good one': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=480m /,
    krbsim: 'KRB_AP_ERR_SKEW',
    why: 'as above',
  },
  'TGS postdatable: POSTDATED, to start in two hours': {
    oracle:
      /^REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now\+0m /,
    krbsim:
      'REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now+120m renew=- sk=18 tkt=20 s=host/svc.diff.test | ticket postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: "RFC 4120 section 2.4: a postdated ticket starts at `from` and lives what remained of the TGT's life when asked; MIT 1.20 marks it postdated and invalid but starts it now (do_tgs_req.c overwrites the start time)",
  },
  'TGS postdatable: POSTDATED, a start time an hour ago': {
    oracle:
      /^REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now\+0m /,
    krbsim:
      'REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now-60m renew=- sk=18 tkt=20 s=host/svc.diff.test | ticket postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'as above',
  },
  'TGS postdatable: POSTDATED, to start after the TGT ends': {
    oracle:
      /^REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=600m start=now\+0m /,
    krbsim:
      'REP postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize life=600m start=now+720m renew=- sk=18 tkt=20 s=host/svc.diff.test | ticket postdated,invalid,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: "as above, from a start after the TGT's end too",
  },
  'TGS postdated (invalid): VALIDATE, its start time past': {
    oracle:
      /^REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now\+0m /,
    krbsim:
      'REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=600m start=now-60m renew=- sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: "krbsim gives back the presented ticket's own times with INVALID cleared; MIT 1.20 starts it again now and cuts it to the request's till",
  },
  'TGS postdated (invalid): RENEW': {
    oracle: /^KDC_ERR_BADOPTION$/,
    krbsim: 'KRB_AP_ERR_TKT_NYV',
    why: 'both refuse; MIT names the option first (the ticket is not renewable), krbsim the ticket (it is invalid until validated)',
  },
  'TGS postdatable: a start time two hours on, without POSTDATED': {
    oracle: /^REP pre-authent,transited-policy-checked,name-canonicalize life=300m /,
    krbsim: 'KDC_ERR_CANNOT_POSTDATE',
    why: 'RFC 4120 3.1.3 names this error (3.3.3 applies it to the TGS); MIT starts the ticket now instead, as in the AS case',
  },
  'AS: realm of the request is not the KDC realm': {
    oracle: /^KDC_ERR_C_PRINCIPAL_UNKNOWN$/,
    krbsim: 'KDC_ERR_WRONG_REALM',
    why: 'krbsim says which realm it serves (RFC 6806 section 7) rather than look the client up in a realm it does not hold',
  },
  'AS: PA-ENC-TIMESTAMP in an etype the request does not list': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=480m /,
    krbsim: 'KDC_ERR_PREAUTH_FAILED e-data=[2,19,133,136]',
    why: 'the key that verifies the timestamp is the reply key, so it must be of an etype the client asked for; MIT verifies with any key and replies in another',
  },
  'TGS postdated (invalid): VALIDATE and ALLOW-POSTDATE': {
    oracle:
      /^REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now\+0m /,
    krbsim:
      'REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=600m start=now-60m renew=- sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'RFC 4120 3.3.3.1: a validated ticket is the same ticket, made valid; MIT 1.20 times it anew from the request (start now, the till asked) when a postdating option comes with VALIDATE, and as krbsim does without one (the case above)',
  },
  'TGS postdated (invalid): VALIDATE and POSTDATED': {
    oracle:
      /^REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=300m start=now\+0m /,
    krbsim:
      'REP may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize life=600m start=now-60m renew=- sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket may-postdate,postdated,initial,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'as above',
  },
  'TGS krbtgt: option bit 30 (renew)': {
    oracle:
      /^REP forwardable,initial,pre-authent,transited-policy-checked,name-canonicalize life=600m renew=- /,
    krbsim:
      'REP forwardable,renewable,initial,pre-authent,transited-policy-checked,name-canonicalize life=600m renew=10080m sk=18 tkt=20 s=krbtgt/DIFF.TEST | ticket forwardable,renewable,initial,pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: 'RFC 4120 3.3.3.1: a renewed ticket keeps its renew-till; MIT keeps it only when the request repeats RENEWABLE (its clients do)',
  },
  'U2U: no server named: the second ticket names it': {
    oracle: /^no answer$/,
    krbsim:
      'REP pre-authent,transited-policy-checked,name-canonicalize life=300m renew=- sk=18 tkt=18 s=bob | ticket pre-authent,transited-policy-checked,name-canonicalize ad=1[128] caddr=- tr=',
    why: "RFC 4120 3.3.3 lets a user-to-user request name no server (the second ticket's client is then the server); MIT's decoder requires sname, and its KDC drops the request",
  },
  'TGS: checksum over another request body': {
    oracle: /^KRB_AP_ERR_BAD_INTEGRITY$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: 'RFC 4120 3.3.2 names KRB_AP_ERR_MODIFIED for a checksum that does not match',
  },
  'TGS: checksum type CRC32': {
    oracle: /^KDC_ERR_SUMTYPE_NOSUPP$/,
    krbsim: 'KRB_AP_ERR_INAPP_CKSUM',
    why: 'RFC 4120 3.3.2: a checksum that is not collision-proof is KRB_AP_ERR_INAPP_CKSUM',
  },
  'TGS: till in the past': {
    oracle: /^REP forwardable,pre-authent,transited-policy-checked,name-canonicalize life=-60m /,
    krbsim: 'KDC_ERR_NEVER_VALID',
    why: 'as for the AS exchange (RFC 4120 3.3.3)',
  },
  'TGS: realm of the request is not the KDC realm': {
    oracle: /^KRB_ERR_GENERIC$/,
    krbsim: 'KDC_ERR_WRONG_REALM',
    why: 'as for the AS exchange',
  },
};

let krbtgtKeys: readonly Key[] = [];
let changepwKeys: readonly Key[] = [];

/** What of a reply both KDCs must agree on. */
function outcome(key: ReplyKey, side: Side, bytes: Uint8Array): string {
  return describeKdcReply(
    bytes,
    (rep) =>
      key in TGTS
        ? openRep(rep, TGTS[key as keyof typeof TGTS](side).sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY)
        : key === 'subkey'
          ? openRep(rep, SUBKEY, KeyUsage.TGS_REP_ENCPART_SUBKEY)
          : openRep(rep, userKey(REALM, key, PASSWORDS[key]!, rep.encPart.etype), KeyUsage.AS_REP_ENCPART),
    (ticket) =>
      serverKeyOf(
        ticket,
        { [REALM]: krbtgtKeys },
        { [REALM]: PASSWORDS },
        { [`kadmin/changepw@${REALM}`]: changepwKeys },
      ),
    { compareBit15: true },
  );
}

const OPTION_NAMES = new Map(Object.entries(KdcOptions).map(([name, mask]) => [mask >>> 0, name]));
const optionLabel = (bit: number) =>
  `option bit ${bit} (${OPTION_NAMES.get((0x80000000 >>> bit) >>> 0) ?? 'unassigned'})`;

const cases: OracleCase<Side>[] = [];
const aliceKey = userKey(REALM, 'alice', PASSWORDS.alice!, 18);
const hours = (n: number) => n * Duration.hour;

/**
 * An AS-REQ for alice (pre-authenticated) or bob (no pre-authentication required), for 8 hours: short
 * of the maximum life by more than the KDCs' clocks can differ, so that no time is capped (or turned
 * renewable by RENEWABLE-OK) by a second's chance.
 */
function asCase(
  label: string,
  f: (now: number) => Partial<AsReqInput>,
  who: 'alice' | 'bob' | 'eve' = 'alice',
): void {
  cases.push({
    label,
    realm: REALM,
    outcome: (side, reply) => outcome(who, side, reply),
    build: (_side, now) =>
      asReq({
        realm: REALM,
        cname: who,
        till: now + hours(8),
        etypes: [18],
        ...(who === 'alice' && { padata: [encTimestamp(aliceKey, now)] }),
        ...f(now),
      }),
  });
}

/**
 * A TGS-REQ for the service, around each KDC's own TGT, for 5 hours: well within the TGT's life, so
 * that what the TGT bounds does not depend on when the case runs.
 */
function tgsCase(
  label: string,
  f: (side: Side, now: number) => Partial<TgsReqInput>,
  from: keyof typeof TGTS = 'tgt',
): void {
  cases.push({
    label,
    realm: REALM,
    outcome: (side, reply) => outcome(label.includes('subkey') ? 'subkey' : from, side, reply),
    build: (side, now) =>
      tgsReq({
        tgt: TGTS[from](side),
        now,
        realm: REALM,
        sname: SERVICE,
        till: now + hours(5),
        etypes: [18],
        ...f(side, now),
      }),
  });
}

/**
 * A user-to-user TGS-REQ (RFC 4120 section 3.7): alice asks, with ENC-TKT-IN-SKEY, for a ticket to
 * bob sealed with the session key of the second ticket, bob's TGT unless told otherwise.
 */
function u2uCase(label: string, f: (side: Side, now: number) => Partial<TgsReqInput>): void {
  cases.push({
    label,
    realm: REALM,
    outcome: (side, reply) =>
      describeKdcReply(
        reply,
        (rep) => openRep(rep, side.tgt!.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY),
        // A user-to-user ticket is sealed with the second ticket's session key, not a server's key.
        () => side.bobTgt!.sessionKey,
        { compareBit15: true },
      ),
    build: (side, now) =>
      tgsReq({
        tgt: side.tgt!,
        now,
        realm: REALM,
        sname: 'bob',
        till: now + hours(5),
        etypes: [18],
        options: KdcOptions['enc-tkt-in-skey'] | KdcOptions.canonicalize,
        additionalTickets: [side.bobTgt!.ticket],
        ...f(side, now),
      }),
  });
}

asCase('AS: baseline', () => ({}));
asCase('AS: no pre-authentication for a user who needs it', () => ({ padata: [] }));
asCase('AS (no pre-authentication): baseline', () => ({}), 'bob');
for (let bit = 0; bit < 32; bit++) {
  const options = (0x80000000 >>> bit) >>> 0;
  const rtime = (now: number) => (bit === 8 ? { rtime: now + hours(24) } : {});
  if (bit === 6) {
    asCase('AS: POSTDATED without a start time', () => ({ options }));
    asCase('AS (no pre-authentication): POSTDATED without a start time', () => ({ options }), 'bob');
    continue;
  }
  asCase(`AS: ${optionLabel(bit)}`, (now) => ({ options, ...rtime(now) }));
  asCase(`AS (no pre-authentication): ${optionLabel(bit)}`, (now) => ({ options, ...rtime(now) }), 'bob');
}
asCase('AS: till 0 (as long as allowed)', () => ({ till: 0 }));
asCase('AS: till in the past', (now) => ({ till: now - hours(1) }));
asCase('AS: till beyond the maximum life', (now) => ({ till: now + hours(100) }));
asCase('AS: RENEWABLE-OK with till beyond the maximum life', (now) => ({
  options: KdcOptions['renewable-ok'],
  till: now + hours(100),
}));
asCase('AS: RENEWABLE with rtime beyond the maximum renewable life', (now) => ({
  options: KdcOptions.renewable,
  till: now + hours(1),
  rtime: now + hours(30 * 24),
}));
asCase('AS: RENEWABLE without rtime', (now) => ({ options: KdcOptions.renewable, till: now + hours(1) }));
asCase('AS: rtime without RENEWABLE', (now) => ({
  options: 0,
  till: now + hours(1),
  rtime: now + hours(48),
}));
asCase('AS: from in the future without POSTDATED', (now) => ({
  options: 0,
  from: now + hours(2),
  till: now + hours(5),
}));
asCase('AS: from in the future with POSTDATED and ALLOW-POSTDATE', (now) => ({
  options: KdcOptions.postdated | KdcOptions['allow-postdate'],
  from: now + hours(2),
  till: now + hours(5),
}));
asCase('AS: from in the past', (now) => ({ options: 0, from: now - hours(2), till: now + hours(5) }));
asCase('AS: from in the past with POSTDATED and ALLOW-POSTDATE', (now) => ({
  options: KdcOptions.postdated | KdcOptions['allow-postdate'],
  from: now - hours(2),
  till: now + hours(5),
}));
asCase('AS: RENEWABLE with rtime before till', (now) => ({
  options: KdcOptions.renewable,
  till: now + hours(5),
  rtime: now + hours(1),
}));
asCase('AS: RENEWABLE with rtime in the past', (now) => ({
  options: KdcOptions.renewable,
  till: now + hours(5),
  rtime: now - hours(1),
}));
asCase('AS: only rc4-hmac asked for', () => ({ etypes: [23] }));
asCase('AS: no etype asked for', () => ({ etypes: [] }));
asCase('AS: an unknown etype before a known one', () => ({ etypes: [99, 18] }));
asCase('AS (no pre-authentication): only aes128-sha1 asked for', () => ({ etypes: [17] }), 'bob');
asCase('AS: unknown client', () => ({ cname: 'nobody' }));
asCase('AS: an expired client', () => ({}), 'eve');
asCase('AS: an expired client asking FORWARDED', () => ({ options: KdcOptions.forwarded }), 'eve');
asCase('AS: unknown server', () => ({ sname: 'krbtgt/OTHER.TEST' }));
asCase('AS: a service ticket straight from the AS', () => ({ sname: SERVICE }));
asCase('AS: a ticket for kadmin/changepw', () => ({ sname: 'kadmin/changepw' }));
asCase('AS: realm of the request is not the KDC realm', () => ({
  realm: 'OTHER.TEST',
  sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] },
}));
asCase('AS: timestamp outside the clock skew', (now) => ({
  padata: [encTimestamp(aliceKey, now - 10 * Duration.minute)],
}));
asCase('AS: timestamp under the wrong key', (now) => ({
  padata: [encTimestamp(userKey(REALM, 'alice', 'not-the-password', 18), now)],
}));
asCase('AS: PA-ENC-TIMESTAMP in an etype the request does not list', (now) => ({
  padata: [encTimestamp(userKey(REALM, 'alice', PASSWORDS.alice!, 17), now)],
}));
asCase('AS: two timestamps, the first under the wrong key', (now) => ({
  padata: [encTimestamp(userKey(REALM, 'alice', 'not-the-password', 18), now), encTimestamp(aliceKey, now)],
}));
asCase('AS: two timestamps, the second under the wrong key', (now) => ({
  padata: [encTimestamp(aliceKey, now), encTimestamp(userKey(REALM, 'alice', 'not-the-password', 18), now)],
}));
asCase('AS: a timestamp outside the skew, then a good one', (now) => ({
  padata: [encTimestamp(aliceKey, now - hours(1)), encTimestamp(aliceKey, now)],
}));
asCase('AS: unknown padata beside the timestamp', (now) => ({
  padata: [{ padataType: 999, padataValue: new Uint8Array([1, 2]) }, encTimestamp(aliceKey, now)],
}));
asCase(
  'AS (no pre-authentication): unknown padata',
  () => ({ padata: [{ padataType: 999, padataValue: new Uint8Array([1, 2]) }] }),
  'bob',
);
asCase('AS: PA-ENC-TIMESTAMP that is not EncryptedData', () => ({
  padata: [{ padataType: 2, padataValue: new Uint8Array([0x30, 0]) }],
}));
asCase('AS: enterprise client name', () => ({
  cname: { nameType: NameType.NT_ENTERPRISE, nameString: [`alice@${REALM}`] },
}));
asCase('AS: enterprise client name, the bare account name', () => ({
  cname: { nameType: NameType.NT_ENTERPRISE, nameString: ['alice'] },
}));
asCase('AS: client name of type NT-SRV-INST', () => ({
  cname: { nameType: NameType.NT_SRV_INST, nameString: ['alice'] },
}));
asCase('AS: client name of type NT-UNKNOWN', () => ({ cname: { nameType: 0, nameString: ['alice'] } }));
asCase('AS: client name in another case', () => ({ cname: 'ALICE' }));
asCase('AS: addresses', () => ({ addresses: [{ addrType: 2, address: new Uint8Array([127, 0, 0, 1]) }] }));
asCase('AS: nonce 0', () => ({ nonce: 0 }));
asCase('AS: PA-PAC-REQUEST asking for no PAC', (now) => ({
  padata: [pacRequest(false), encTimestamp(aliceKey, now)],
}));
asCase('AS: PA-PAC-REQUEST asking for a PAC', (now) => ({
  padata: [pacRequest(true), encTimestamp(aliceKey, now)],
}));
asCase('AS: server name with no components', () => ({
  sname: { nameType: NameType.NT_SRV_INST, nameString: [] },
}));
asCase('AS: krbtgt of the realm in lower case', () => ({ sname: `krbtgt/${REALM.toLowerCase()}` }));

tgsCase('TGS: baseline', () => ({}));
for (let bit = 0; bit < 32; bit++) {
  const options = (0x80000000 >>> bit) >>> 0;
  const rtime = (now: number) => (bit === 8 ? { rtime: now + hours(24) } : {});
  tgsCase(`TGS service: ${optionLabel(bit)}`, (_side, now) => ({ options, ...rtime(now) }));
  tgsCase(`TGS krbtgt: ${optionLabel(bit)}`, (_side, now) => ({
    sname: `krbtgt/${REALM}`,
    options,
    ...rtime(now),
  }));
}
tgsCase('TGS: kadmin/changepw', () => ({ sname: 'kadmin/changepw' }));
tgsCase('TGS: unknown service', () => ({ sname: 'host/nowhere.diff.test' }));
tgsCase('TGS: krbtgt of an unknown realm', () => ({ sname: 'krbtgt/OTHER.TEST' }));
tgsCase('TGS: authenticator without a checksum', () => ({ noChecksum: true }));
tgsCase('TGS: checksum over another request body', () => ({
  checksumBody: { kdcOptions: 0, realm: REALM, till: 0, nonce: 1, etype: [18] },
}));
tgsCase('TGS: checksum type CRC32', () => ({ checksumType: 1 }));
tgsCase('TGS: authenticator outside the clock skew', (_side, now) => ({ now: now - 10 * Duration.minute }));
tgsCase('TGS: authenticator under the wrong key', () => ({
  authKey: userKey(REALM, 'alice', 'not-the-password', 18),
}));
tgsCase('TGS: authenticator naming another client', () => ({
  authCname: { nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] },
}));
tgsCase('TGS: till in the past', (_side, now) => ({ till: now - hours(1) }));
tgsCase('TGS: till 0 (as long as allowed)', () => ({ till: 0 }));
tgsCase("TGS: RENEWABLE-OK with till beyond the TGT's end", (_side, now) => ({
  options: KdcOptions['renewable-ok'],
  till: now + hours(20),
}));
tgsCase('TGS: only rc4-hmac asked for', () => ({ etypes: [23] }));
tgsCase('TGS: no etype asked for', () => ({ etypes: [] }));
tgsCase('TGS: realm of the request is not the KDC realm', () => ({ realm: 'OTHER.TEST' }));
tgsCase('TGS: ENC-TKT-IN-SKEY without a second ticket', () => ({ options: KdcOptions['enc-tkt-in-skey'] }));
tgsCase('TGS: ENC-TKT-IN-SKEY with a TGT whose client is not the server', (side) => ({
  options: KdcOptions['enc-tkt-in-skey'],
  additionalTickets: [side.tgt!.ticket],
}));
tgsCase('TGS: a second ticket without ENC-TKT-IN-SKEY', (side) => ({
  additionalTickets: [side.tgt!.ticket],
}));
tgsCase('TGS: unknown padata beside PA-TGS-REQ', () => ({
  extraPadata: [{ padataType: 999, padataValue: new Uint8Array([1]) }],
}));
tgsCase('TGS: service named as NT-SRV-HST', () => ({
  sname: { nameType: NameType.NT_SRV_HST, nameString: ['host', 'svc.diff.test'] },
}));
tgsCase('TGS: service named as NT-PRINCIPAL', () => ({
  sname: { nameType: NameType.NT_PRINCIPAL, nameString: ['host', 'svc.diff.test'] },
}));
tgsCase('TGS: a user as the server', () => ({ sname: 'bob' }));
tgsCase('TGS: reply under a subkey', () => ({ subkey: SUBKEY }));
tgsCase('TGS: enc-authorization-data for the ticket', () => ({
  authorizationData: [
    {
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([{ adType: 99, adData: new Uint8Array([1]) }]),
    },
  ],
}));
tgsCase('TGS krbtgt: FORWARDED with addresses', () => ({
  sname: `krbtgt/${REALM}`,
  options: KdcOptions.forwarded,
  addresses: [{ addrType: 2, address: new Uint8Array([127, 0, 0, 2]) }],
}));
u2uCase("U2U: a ticket to bob under his TGT's session key", () => ({}));
u2uCase('U2U: no server named: the second ticket names it', () => ({ sname: undefined }));
u2uCase('U2U: a second ticket that is not a TGT', (side) => ({
  additionalTickets: [side.serviceTicket!.ticket],
}));
u2uCase('U2U: two second tickets', (side) => ({
  additionalTickets: [side.bobTgt!.ticket, side.tgt!.ticket],
}));
u2uCase('U2U: a second ticket whose client is not the server named', () => ({ sname: 'host/svc.diff.test' }));
u2uCase('U2U: forwardable and renewable asked for', () => ({
  options: KdcOptions['enc-tkt-in-skey'] | KdcOptions.forwardable | KdcOptions.renewable,
  rtime: 0,
}));
tgsCase('TGS: POSTDATED with a start time, from a TGT without MAY-POSTDATE', (_side, now) => ({
  options: KdcOptions.postdated,
  from: now + hours(2),
}));
// From a TGT with MAY-POSTDATE (RFC 4120 section 3.3.3: the life of a postdated ticket is what
// remains of the TGT's at its start).
tgsCase(
  'TGS postdatable: POSTDATED, to start in two hours',
  (_side, now) => ({ options: KdcOptions.postdated, from: now + hours(2), till: now + hours(5) }),
  'postdatable',
);
tgsCase(
  'TGS postdatable: POSTDATED, a start time an hour ago',
  (_side, now) => ({ options: KdcOptions.postdated, from: now - hours(1), till: now + hours(5) }),
  'postdatable',
);
tgsCase(
  'TGS postdatable: POSTDATED, to start after the TGT ends',
  (_side, now) => ({ options: KdcOptions.postdated, from: now + hours(12), till: now + hours(14) }),
  'postdatable',
);
tgsCase('TGS postdated (invalid): a service ticket', () => ({}), 'postdated');
// RFC 4120 section 3.3.3.1 (ticket addresses): the requests come from loopback.
tgsCase('TGS: from a TGT for another host', () => ({}), 'elsewhere');
tgsCase('TGS: from a TGT for this host', () => ({}), 'loopback');
// MIT's krb5_address_search (addr_srch.c): a NetBIOS name alone is no address; beside others, one more.
tgsCase('TGS: from a TGT whose only address is a NetBIOS name', () => ({}), 'netbios');
tgsCase('TGS: from a TGT for a NetBIOS name and another host', () => ({}), 'netbiosElsewhere');
// FORWARDED and PROXY forward the presented ticket itself (MIT's check_tgs_nontgt).
tgsCase('TGS proxiable: PROXY for the service', () => ({ options: KdcOptions.proxy }), 'proxiable');
tgsCase(
  'TGS proxiable: PROXY for the krbtgt',
  () => ({ sname: `krbtgt/${REALM}`, options: KdcOptions.proxy }),
  'proxiable',
);
tgsCase('TGS proxiable: PROXIABLE for the service', () => ({ options: KdcOptions.proxiable }), 'proxiable');
tgsCase(
  'TGS service ticket: FORWARDED for its own service',
  () => ({ options: KdcOptions.forwarded }),
  'service',
);
tgsCase(
  'TGS service ticket: FORWARDED and FORWARDABLE, with an address',
  () => ({
    options: KdcOptions.forwarded | KdcOptions.forwardable,
    addresses: [{ addrType: 2, address: new Uint8Array([127, 0, 0, 2]) }],
  }),
  'service',
);
tgsCase(
  'TGS service ticket: FORWARDED for another service',
  () => ({ sname: SHA1_SERVICE, options: KdcOptions.forwarded }),
  'service',
);
tgsCase(
  'TGS service ticket: PROXY, the ticket not proxiable',
  () => ({ options: KdcOptions.proxy }),
  'service',
);
tgsCase('TGS service ticket: no option', () => ({ options: 0 }), 'service');
tgsCase(
  'TGS postdated (invalid): VALIDATE, its start time past',
  () => ({ options: KdcOptions.validate, sname: `krbtgt/${REALM}` }),
  'postdated',
);
tgsCase(
  'TGS postdated (invalid): RENEW',
  () => ({ options: KdcOptions.renew, sname: `krbtgt/${REALM}` }),
  'postdated',
);
// A renewal or validation is the same ticket again (RFC 4120 3.3.3.1), and MIT's check_tgs_opts still
// holds each option to the presented ticket's flags.
const ADDRESS_ELSEWHERE = [{ addrType: 2, address: new Uint8Array([10, 9, 9, 9]) }];
for (const [name, option] of [
  ['FORWARDED, with an address', KdcOptions.forwarded],
  ['PROXY, with an address', KdcOptions.proxy],
  ['ALLOW-POSTDATE', KdcOptions['allow-postdate']],
  ['POSTDATED', KdcOptions.postdated],
] as const) {
  tgsCase(`TGS krbtgt: RENEW and ${name}`, () => ({
    sname: `krbtgt/${REALM}`,
    options: KdcOptions.renew | KdcOptions.renewable | option,
    addresses: ADDRESS_ELSEWHERE,
  }));
  tgsCase(
    `TGS postdated (invalid): VALIDATE and ${name}`,
    () => ({ sname: `krbtgt/${REALM}`, options: KdcOptions.validate | option, addresses: ADDRESS_ELSEWHERE }),
    'postdated',
  );
}
tgsCase(
  'TGS krbtgt: RENEW of a TGT bound to an address, with FORWARDED and none',
  () => ({
    sname: `krbtgt/${REALM}`,
    options: KdcOptions.renew | KdcOptions.renewable | KdcOptions.forwarded,
  }),
  'loopback',
);
tgsCase('TGS postdatable: ALLOW-POSTDATE', () => ({ options: KdcOptions['allow-postdate'] }), 'postdatable');
tgsCase(
  'TGS postdatable: a start time two hours on, without POSTDATED',
  (_side, now) => ({ options: 0, from: now + hours(2), till: now + hours(5) }),
  'postdatable',
);

describeWithTools(
  'krbsim KDC against MIT krb5kdc: the same requests, the same answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc'],
  (tools) => {
    let mit: MitRealm;
    const sides: Side[] = [];

    beforeAll(async () => {
      // The realm as kdc.conf sets MIT's up: 10 h tickets, 7 days renewable, pre-authentication where flagged.
      const oracle = await startMitOracle(
        REALM,
        [
          {
            name: 'alice',
            password: PASSWORDS.alice!,
            kind: 'user',
            mitFlags: '+requires_preauth',
            krbsim: { requiresPreauth: true },
          },
          { name: 'bob', password: PASSWORDS.bob!, kind: 'user' },
          {
            name: 'eve',
            password: PASSWORDS.eve!,
            kind: 'user',
            mitFlags: '-expire 2020-01-01',
            krbsim: { accountExpires: Date.UTC(2020, 0, 1) },
          },
          { name: SERVICE, password: PASSWORDS[SERVICE]!, kind: 'service' },
          {
            name: SHA1_SERVICE,
            password: PASSWORDS[SHA1_SERVICE]!,
            kind: 'service',
            mitFlags: '-e aes256-cts-hmac-sha1-96:normal',
            etypes: [18],
          },
        ],
        tools,
      );
      ({ mit, krbtgtKeys, changepwKeys } = oracle);
      sides.push(...oracle.sides);
      for (const side of sides) {
        side.tgt = await asLogin(side, REALM, 'alice', aliceKey);
        side.bobTgt = await asLogin(side, REALM, 'bob', userKey(REALM, 'bob', PASSWORDS.bob!, 18), {
          preauth: false,
        });
        side.serviceTicket = await tgsHop(side, REALM, side.tgt, SERVICE);
        side.postdatableTgt = await asLogin(side, REALM, 'alice', aliceKey, {
          options: KdcOptions['allow-postdate'],
        });
        const ipv4 = (...b: number[]) => [{ addrType: 2, address: new Uint8Array(b) }];
        side.elsewhereTgt = await asLogin(side, REALM, 'alice', aliceKey, { addresses: ipv4(10, 0, 0, 1) });
        side.loopbackTgt = await asLogin(side, REALM, 'alice', aliceKey, { addresses: ipv4(127, 0, 0, 1) });
        const netbios = { addrType: 20, address: new TextEncoder().encode('WIN10-01       ') };
        side.netbiosTgt = await asLogin(side, REALM, 'alice', aliceKey, { addresses: [netbios] });
        side.netbiosElsewhereTgt = await asLogin(side, REALM, 'alice', aliceKey, {
          addresses: [netbios, ...ipv4(10, 0, 0, 1)],
        });
        side.proxiableTgt = await asLogin(side, REALM, 'alice', aliceKey, {
          options: KdcOptions.proxiable | KdcOptions.forwardable,
        });
        side.postdatedTgt = await asLogin(side, REALM, 'alice', aliceKey, {
          options: KdcOptions.postdated | KdcOptions['allow-postdate'],
          fromMs: -hours(1),
        });
      }
    }, 60_000);
    afterAll(async () => mit?.stop());

    oracleTests(cases, sides, KNOWN_DIFFERENCES);

    it("lists PREAUTH_REQUIRED's METHOD-DATA in MIT's order and names no kvno in the AS-REP's enc-part", async () => {
      const now = wholeSecondsNow();
      const ask = (side: Side, padata: ReturnType<typeof encTimestamp>[]) =>
        side.send(REALM, asReq({ realm: REALM, cname: 'alice', till: now + hours(8), etypes: [18], padata }));
      const [mitSays, krbsimSays] = await Promise.all(
        sides.map(async (side) => {
          const required = parseReply(await ask(side, []));
          const rep = parseReply(await ask(side, [encTimestamp(aliceKey, now)]));
          return {
            methods:
              required.kind === 'error'
                ? decodeMethodData(required.error.eData!).map((p) => p.padataType)
                : [],
            kvno: rep.kind === 'as' ? rep.rep.encPart.kvno : 'no AS-REP',
          };
        }),
      );
      expect(mitSays).toEqual({ methods: [136, 19, 2, 133], kvno: undefined });
      expect(krbsimSays).toEqual(mitSays);
    });

    it("signs a ticket's PAC with the krbtgt's first key, whatever the server's keys (MS-KILE 3.3.5.6.4.4)", async () => {
      const sigTypes = async (side: Side, sname: string) => {
        const st = await tgsHop(side, REALM, side.tgt!, sname);
        const etp = openTicket(
          st.ticket,
          serverKeyOf(st.ticket, { [REALM]: krbtgtKeys }, { [REALM]: PASSWORDS }),
        );
        const pac = decodePac(findPac(etp.authorizationData)!.pac);
        const sig = (t: typeof PacBufferType.SERVER_CHECKSUM | typeof PacBufferType.PRIVSVR_CHECKSUM) =>
          getPacBuffer(pac, t)?.signatureType;
        return `ticket ${st.ticket.encPart.etype}: server ${sig(PacBufferType.SERVER_CHECKSUM)}, kdc ${sig(PacBufferType.PRIVSVR_CHECKSUM)}`;
      };
      for (const sname of [SERVICE, SHA1_SERVICE]) {
        const [mitSays, krbsimSays] = await Promise.all(sides.map((side) => sigTypes(side, sname)));
        expect(krbsimSays, sname).toBe(mitSays);
      }
    });
  },
);
