/**
 * MIT krb5kdc as an oracle for krbsim's KDC: what the differential tests
 * (kdc-differential-mit.test.ts, kdc-cross-realm-differential-mit.test.ts)
 * share. Each sends the same requests to MIT's KDCs and to krbsim's, reduces
 * each answer to a line both must agree on ({@link describeKdcReply}), and
 * registers one test a case ({@link oracleTests}); where krbsim answers
 * otherwise on purpose, a {@link KnownDifference} pins both answers and says
 * why.
 */

import {
  AdType,
  type AuthorizationData,
  decodeAuthorizationData,
  decodeMethodData,
  flagNames,
  formatPrincipal,
  KdcOptions,
  type KdcRep,
  type KdcReqBody,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { Duration, ErrorCode, errorCodeName, isKerberosError, systemClock, systemRandom } from '@krbsim/core';
import { cf2, type Key, KeyUsage } from '@krbsim/crypto';
import { readKeytabFile } from '@krbsim/files';
import { type AddUserOptions, Kdc, Realm, type RealmPolicy } from '@krbsim/kdc';
import { udpExchange } from '@krbsim/transport';
import { expect, it } from 'vitest';
import { fastResponse, innerError } from '../../../packages/kdc/test/fast-helpers';
import {
  asReq,
  type Creds,
  encTimestamp,
  openRep,
  openTicket,
  parseReply,
  pwKeys,
  tgsReq,
  userKey,
} from '../../../packages/kdc/test/helpers';
import { type MitRealm, startMitRealm } from './mit-realm';

/**
 * Bit 15, left out of the comparisons unless a test asks for it
 * (`compareBit15`): MIT sets it in every ticket and reply part (RFC 6806's
 * enc-pa-rep), krbsim's `mit` realm in every ticket and TGS reply part too
 * (`encPaRepInEveryTicket`) but in an AS-REP's reply part only when it sends
 * the PA-REQ-ENC-PA-REP checksum, and an AD realm in a ticket when the client
 * asked to canonicalize (MS-KILE's name-canonicalize). An AS-REP's reply
 * part's is never compared.
 */
const ENC_PA_REP_BIT = TicketFlags['name-canonicalize'];

/** Where krbsim answers otherwise on purpose: the oracle's answer (a pattern), krbsim's, and why. */
export interface KnownDifference {
  /** What the real implementation answers: MIT's, or Samba's DC's. */
  readonly oracle: RegExp;
  readonly krbsim: string;
  readonly why: string;
}

/** One request, built for one side, and how that side's answer reads. */
export interface OracleCase<S> {
  readonly label: string;
  /** The request for `side` at `now` (whole seconds). */
  build(side: S, now: number): Uint8Array;
  /** `reply`, as describeKdcReply writes it, opened with `side`'s keys. */
  outcome(side: S, reply: Uint8Array): string;
  /** The realm whose KDC gets the request. */
  readonly realm: string;
}

/** A KDC pair's side: the oracle's (MIT's or Samba's) or krbsim's, reached by realm. */
export interface OracleSide {
  readonly name: 'mit' | 'samba' | 'krbsim';
  send(realm: string, request: Uint8Array): Promise<Uint8Array>;
}

/** The authorization-data types of a ticket, AD-IF-RELEVANT's contents in brackets. */
function adTypes(ad: AuthorizationData | undefined): string {
  return (ad ?? [])
    .map((e) =>
      e.adType === AdType.AD_IF_RELEVANT
        ? `${e.adType}[${adTypes(decodeAuthorizationData(e.adData))}]`
        : `${e.adType}`,
    )
    .join(',');
}

/**
 * A KDC's answer as both must give it: the error's name, or the reply's
 * flags, lifetime and renewable life in minutes, session key and ticket
 * etypes, the ticket's realm and server, and, decrypted with `ticketKey`, the
 * ticket's flags, authorization-data types, addresses and transited field.
 * `open` decrypts the reply's enc-part. `compareBit15`: bit 15 of the ticket's
 * flags and of a TGS-REP's reply part is compared too (see ENC_PA_REP_BIT).
 */
export function describeKdcReply(
  bytes: Uint8Array,
  open: (rep: KdcRep) => Creds,
  ticketKey: (ticket: Ticket) => Key,
  { compareBit15 = false }: { compareBit15?: boolean } = {},
): string {
  const r = parseReply(bytes);
  if (r.kind === 'error') {
    const name = errorCodeName(r.error.errorCode);
    if (r.error.eData === undefined) return name;
    let types: string;
    try {
      types = decodeMethodData(r.error.eData)
        .map((p) => p.padataType)
        .sort((a, b) => a - b)
        .join(',');
    } catch {
      types = 'not METHOD-DATA';
    }
    return `${name} e-data=[${types}]`;
  }
  const c = open(r.rep);
  const p = c.part;
  const start = p.starttime ?? p.authtime;
  // Rounded to the minute: the KDCs' clocks read a second apart at times (MIT's time(2) is the
  // kernel's coarse clock), and a time a TGT bounds comes out short by how long after the TGT the
  // case runs (seconds).
  const minutes = (t: number) => Math.round((t - start) / Duration.minute);
  const replyPartMask = compareBit15 && r.rep.msgType === 13 ? 0 : ENC_PA_REP_BIT;
  const flags = flagNames(TicketFlags, p.flags & ~replyPartMask).join(',');
  const renew = p.renewTill === undefined ? '-' : `${minutes(p.renewTill)}m`;
  const server = c.ticket.sname.nameString.join('/');
  const realm = c.ticket.realm === c.crealm ? '' : `@${c.ticket.realm}`;
  const etp = openTicket(c.ticket, ticketKey(c.ticket));
  const tflags = flagNames(TicketFlags, etp.flags & ~(compareBit15 ? 0 : ENC_PA_REP_BIT)).join(',');
  const transited = new TextDecoder().decode(etp.transited.contents);
  // A postdated ticket's start, from now (the reply has just come): whether it is postdated at all.
  const postdated =
    (p.flags & TicketFlags.postdated) === 0
      ? ''
      : ` start=now${Math.round((start - Date.now()) / Duration.minute) >= 0 ? '+' : ''}${Math.round((start - Date.now()) / Duration.minute)}m`;
  return `REP ${flags} life=${minutes(p.endtime)}m${postdated} renew=${renew} sk=${p.key.keytype} tkt=${c.ticket.encPart.etype} s=${server}${realm} | ticket ${tflags} ad=${adTypes(etp.authorizationData)} caddr=${etp.caddr?.length ?? '-'} tr=${transited}`;
}

/**
 * A FAST exchange's answer: for a reply, its KrbFastResponse (padata types,
 * strengthen key, finished) and what `describeRest` writes of the reply,
 * given how to open it with the strengthened reply key; for an error, its
 * code, its cname, and the armored error inside with the padata it offers
 * (and its own e-data, as `describeEData` writes it, when given).
 */
export function describeFastReply(
  reply: Uint8Array,
  armorKey: Key,
  baseReplyKey: Key,
  usage: number,
  describeRest: (open: (rep: KdcRep) => Creds) => string,
  describeEData?: (eData: Uint8Array) => string,
): string {
  const r = parseReply(reply);
  if (r.kind === 'error') {
    const outer = `${errorCodeName(r.error.errorCode)} cname=${r.error.cname === undefined ? '-' : formatPrincipal(r.error.cname)}`;
    const inner = innerError(r.error, armorKey);
    if (inner === undefined) return outer;
    const offered = inner.padata.map((p) => p.padataType).sort((a, b) => a - b);
    const eData =
      describeEData === undefined || inner.error.eData === undefined
        ? ''
        : ` e-data=${describeEData(inner.error.eData)}`;
    return `${outer} | armored ${errorCodeName(inner.error.errorCode)}${eData} offers=[${offered.join(',')}]`;
  }
  const fast = fastResponse(r.rep.padata ?? [], armorKey);
  const strengthen = fast?.strengthenKey;
  const replyKey =
    strengthen === undefined
      ? baseReplyKey
      : cf2(
          { etype: strengthen.keytype, bytes: strengthen.keyvalue },
          baseReplyKey,
          'strengthenkey',
          'replykey',
        );
  const fx =
    fast === undefined
      ? 'no FAST response'
      : `fast=[${fast.padata.map((p) => p.padataType).sort((a, b) => a - b)}]${strengthen ? ' strengthened' : ''}${fast.finished ? ' finished' : ''}`;
  return `${fx} | ${describeRest((rep) => openRep(rep, replyKey, usage))}`;
}

/** Now, in whole seconds (KerberosTime's resolution). */
export function wholeSecondsNow(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

/** The current keys of `principal` in MIT's database (exported with `ktadd -norandkey`). */
export async function mitKeys(mit: MitRealm, principal: string): Promise<Key[]> {
  const keytab = await readKeytabFile(await mit.exportKeytab(principal));
  return keytab.entries.map((e) => ({ etype: e.key.etype, bytes: e.key.bytes }));
}

/**
 * Sends a request to an MIT KDC over UDP on loopback. On loopback a KDC
 * answers in milliseconds, so two seconds of silence is a dropped request,
 * unless the machine stalled: then the request is sent once more, as a
 * client would (MIT's lookaside cache answers a retransmission with the reply
 * it sent, and drops again what it dropped).
 */
export async function sendToMit(mit: MitRealm, request: Uint8Array): Promise<Uint8Array> {
  const send = () => udpExchange('127.0.0.1', mit.port, request, { timeoutMs: 2000, maxReplyBytes: 65_535 });
  try {
    return await send();
  } catch (e) {
    if (!isKerberosError(e, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)) throw e;
    return send();
  }
}

/**
 * Registers the tests: that every known difference names a case, and one test
 * a case, which sends the case's request to both sides (filled in by the
 * caller's beforeAll, the oracle's first) and requires the same outcome, or each
 * side's pinned one. `KRBSIM_ORACLE_LOG=1` prints both answers of every case
 * run (with `-t`, of the cases chosen), to write a new case's expectations.
 */
export function oracleTests<S extends OracleSide>(
  cases: readonly OracleCase<S>[],
  sides: readonly S[],
  known: Readonly<Record<string, KnownDifference>>,
): void {
  knownDifferencesTest(cases, known);
  for (const c of cases) {
    it(c.label, async () => {
      const [oracleAnswer, krbsimAnswer] = await Promise.all(
        sides.map(async (side) => {
          const request = c.build(side, wholeSecondsNow());
          let reply: Uint8Array;
          try {
            reply = await side.send(c.realm, request);
          } catch (e) {
            // A KDC that drops the request (no reply within the timeout) answers nothing.
            if (isKerberosError(e, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)) return 'no answer';
            throw e;
          }
          return c.outcome(side, reply);
        }),
      );
      const k = known[c.label];
      if (process.env.KRBSIM_ORACLE_LOG)
        console.log(`${c.label}\n  oracle: ${oracleAnswer}\n  krbsim: ${krbsimAnswer}`);
      if (k === undefined) {
        expect(krbsimAnswer).toBe(oracleAnswer);
      } else {
        expect(oracleAnswer).toMatch(k.oracle);
        expect(krbsimAnswer).toBe(k.krbsim);
      }
    });
  }
}

/**
 * A krbsim realm of the default `mit` kind set up as startMitRealm sets up
 * MIT's: MIT's krbtgt keys (so both KDCs' tickets open with one key), the
 * system clock and random source (MIT runs on them), PACs on (MIT 1.20 puts
 * one in every ticket), and pre-authentication only where a user asks for it
 * (MIT's default); `policy` adds to that.
 */
export function mirrorRealm(
  name: string,
  krbtgtKeys: readonly Key[],
  policy: Partial<RealmPolicy> = {},
): Realm {
  return new Realm({
    name,
    krbtgtKeys: [...krbtgtKeys],
    clock: systemClock,
    random: systemRandom,
    policy: { requirePreauthByDefault: false, issuePac: true, ...policy },
  });
}

/** A principal of a one-realm MIT oracle, set up alike on both sides. */
export interface OraclePrincipal {
  readonly name: string;
  readonly password: string;
  /** A user (krbsim's `addUser`), or a bare service principal (`addService`). */
  readonly kind: 'user' | 'service';
  /** MIT's `addprinc` flags (`+requires_preauth`). */
  readonly mitFlags?: string;
  /** What the same flags are on krbsim's side (`{ requiresPreauth: true }`). */
  readonly krbsim?: Partial<AddUserOptions>;
  /** Only keys of these etypes on krbsim's side (MIT's: `-e` in `mitFlags`). */
  readonly etypes?: readonly number[];
}

/**
 * One realm on each side, set up alike: MIT's with `principals` (and its
 * krbtgt keys exported), krbsim's {@link mirrorRealm} with the same
 * principals, keys and those keys; and the two sides that reach them, MIT's
 * first. The caller stops `mit`.
 */
export async function startMitOracle(
  realm: string,
  principals: readonly OraclePrincipal[],
  tools: Readonly<Record<string, string>>,
): Promise<{
  mit: MitRealm;
  krbtgtKeys: readonly Key[];
  /** The keys of kadmin/changepw, which `kdb5_util create` made (and krbsim's realm holds too). */
  changepwKeys: readonly Key[];
  sides: [OracleSide, OracleSide];
}> {
  const mit = await startMitRealm(
    realm,
    principals.map((p) => ({ name: p.name, password: p.password, ...(p.mitFlags && { flags: p.mitFlags }) })),
    tools,
  );
  const krbtgtKeys = await mitKeys(mit, `krbtgt/${realm}@${realm}`);
  // kdb5_util locks kadmin/changepw's keys in the database (LOCKDOWN_KEYS): unlocked to be copied.
  await mit.kadmin(`modprinc -lockdown_keys kadmin/changepw@${realm}`);
  const changepwKeys = await mitKeys(mit, `kadmin/changepw@${realm}`);
  const mirror = mirrorRealm(realm, krbtgtKeys);
  for (const p of principals) {
    const keys = pwKeys(realm, p.name, p.password).filter((k) => p.etypes?.includes(k.etype) ?? true);
    if (p.kind === 'user') mirror.addUser(p.name, { keys, ...p.krbsim });
    else mirror.addService(p.name, { keys });
  }
  mirror.addPasswordChangeService({ keys: [...changepwKeys] });
  const kdc = new Kdc(mirror);
  return {
    mit,
    krbtgtKeys,
    changepwKeys,
    sides: [
      { name: 'mit', send: (_realm, b) => sendToMit(mit, b) },
      // From loopback, as MIT's KDC sees the requests come (a TGT's addresses are checked against it).
      { name: 'krbsim', send: async (_realm, b) => kdc.handle(b, { peer: '127.0.0.1:1' }) },
    ],
  };
}

/** What an AS login asks for, besides the client and its key. */
interface LoginOptions {
  /** The server (default the realm's krbtgt). */
  readonly sname?: string;
  /** Pre-authenticate with PA-ENC-TIMESTAMP (default true). */
  readonly preauth?: boolean;
  /** The KDC options (default none). */
  readonly options?: number;
  /** The start time asked for, this far from now (with POSTDATED). */
  readonly fromMs?: number;
  /** The addresses the ticket is to be used from. */
  readonly addresses?: KdcReqBody['addresses'];
}

/**
 * An AS exchange with `side`'s KDC of `realm` for `cname` under `key`
 * (etype 18, ten hours), opened: the credentials a case starts from. Throws
 * when the KDC refuses, naming the side.
 */
export async function asLogin(
  side: OracleSide,
  realm: string,
  cname: string,
  key: Key,
  opts: LoginOptions = {},
): Promise<Creds> {
  const now = wholeSecondsNow();
  const reply = parseReply(
    await side.send(
      realm,
      asReq({
        realm,
        cname,
        ...(opts.sname !== undefined && { sname: opts.sname }),
        till: now + 10 * Duration.hour,
        etypes: [18],
        ...(opts.options !== undefined && { options: opts.options }),
        ...(opts.fromMs !== undefined && { from: now + opts.fromMs }),
        ...(opts.addresses !== undefined && { addresses: opts.addresses }),
        ...(opts.preauth !== false && { padata: [encTimestamp(key, now)] }),
      }),
    ),
  );
  if (reply.kind === 'error') {
    throw new Error(`${side.name} refused ${cname}'s AS-REQ: ${errorCodeName(reply.error.errorCode)}`);
  }
  return openRep(reply.rep, key, KeyUsage.AS_REP_ENCPART);
}

/**
 * A TGS exchange with `side`'s KDC of `realm` for `sname`, presenting `tgt`
 * (forwardable and renewable, ten hours), opened. Throws when the KDC refuses.
 */
export async function tgsHop(side: OracleSide, realm: string, tgt: Creds, sname: string): Promise<Creds> {
  const now = wholeSecondsNow();
  const reply = parseReply(
    await side.send(
      realm,
      tgsReq({
        tgt,
        now,
        realm,
        sname,
        till: now + 10 * Duration.hour,
        options: KdcOptions.forwardable | KdcOptions.renewable,
        etypes: [18],
      }),
    ),
  );
  if (reply.kind === 'error') {
    throw new Error(`${side.name} refused ${sname}: ${errorCodeName(reply.error.errorCode)}`);
  }
  return openRep(reply.rep, tgt.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY);
}

/**
 * The key that opens `ticket`: for a TGT of its own realm, that realm's
 * krbtgt key (`krbtgtKeys`, by realm); else the key the server's password
 * (`passwords`, by realm, then principal) makes with the default salt.
 */
export function serverKeyOf(
  ticket: Ticket,
  krbtgtKeys: Readonly<Record<string, readonly Key[]>>,
  passwords: Readonly<Record<string, Readonly<Record<string, string>>>>,
  /** Keys of servers without a password, by `server@realm` (kadmin/changepw's). */
  keys: Readonly<Record<string, readonly Key[]>> = {},
): Key {
  const { realm } = ticket;
  const server = ticket.sname.nameString.join('/');
  const etype = ticket.encPart.etype;
  if (server === `krbtgt/${realm}`) return krbtgtKeys[realm]!.find((k) => k.etype === etype)!;
  const held = keys[`${server}@${realm}`];
  if (held !== undefined) return held.find((k) => k.etype === etype)!;
  return userKey(realm, server, passwords[realm]![server]!, etype);
}

/**
 * Registers the test every differential test has: each case's label is its
 * own, and each pinned difference names a case (a renamed case would
 * otherwise leave its pin behind, and the case compared as if it agreed).
 */
export function knownDifferencesTest(
  cases: readonly { readonly label: string }[],
  known: Readonly<Record<string, unknown>>,
): void {
  it('every known difference names a case', () => {
    const labels = new Set(cases.map((c) => c.label));
    expect(Object.keys(known).filter((l) => !labels.has(l))).toEqual([]);
    expect(labels.size).toBe(cases.length);
  });
}
