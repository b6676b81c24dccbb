/**
 * krbsim's client (`KerberosClient`) against MIT krb5 1.20's client library
 * as an oracle: how each checks what a KDC answers. Both talk to one fake KDC
 * on loopback that passes each request to a krbsim `Kdc` and then applies the
 * current case's alteration to the reply before sending it, whoever sent the
 * request: one change on a good reply, the parts a client decrypts sealed
 * again with the right key where the case needs a well-formed but wrong
 * reply, or a KRB-ERROR, garbage, an empty datagram or a broken TCP record in
 * its place. The fake KDC is its own UDP and TCP listener on one port the OS
 * chose (`serveKdc` frames whatever its handler returns, and a broken record
 * must go out as it is). It serves two realms, CDIFF.TEST, where both clients
 * start, and OTHER.TEST, which trusts it and where referrals lead.
 *
 * The keys: the user's password gives the AS reply key; the TGT's session
 * key, recorded from the AS-REP that issued the TGT, opens the PA-TGS-REQ
 * authenticator and gives its subkey. MIT 1.20 arms every TGS-REQ with
 * implicit FAST armor (RFC 6113 section 5.4.1.1) whatever the KDC offered,
 * so krbsim's client runs with `fastTgs` and both send the same kind of
 * request; the fake KDC opens the KrbFastResponse with the armor key (subkey
 * and session key), seals the enc-part again with the strengthened reply
 * key, and makes the KrbFastFinished ticket checksum again over the ticket it
 * sends, so that only the case's change differs. Under FAST both clients read
 * the client's name from KrbFastFinished, not from the reply's cname.
 *
 * MIT's side is client-differential-mit.c, compiled here:
 * krb5_get_init_creds_password as kinit calls it, then, for a TGS case,
 * krb5_get_credentials as kvno does, with the TGT in a memory ccache, under a
 * private krb5.conf naming the fake KDC (KRB5_TRACE kept for failures).
 * krbsim's side is a `KerberosClient` with a `UdpTcpTransport` to the same
 * address. Both offer aes256 and aes128 (18, 17) only and ask for 8 hours
 * (below the realm's 10-hour maximum, so that MIT's RENEWABLE-OK changes
 * nothing). alice needs pre-authentication, so an AS case is two round trips
 * (KDC_ERR_PREAUTH_REQUIRED, then the timestamp); bob needs none. MIT runs
 * first, then krbsim, each with the case's counters reset; an alteration
 * applies to every reply of its kind in the run (MIT starts over, or asks
 * again without canonicalize, where krbsim gives up, and meets the same
 * reply again).
 *
 * The cases: the AS-REP's nonce, names (outside the enc-part, in it and in
 * the ticket), key, key usage, enctype and tags; its other fields (last-req,
 * key-expiration, addresses), flags asked for or not, and times; RFC 6806's
 * enc-pa-rep flag and PA-REQ-ENC-PA-REP checksum; padata and the session
 * key; KRB-ERRORs in its place (PREAUTH_REQUIRED with odd METHOD-DATA,
 * WRONG_REALM, RESPONSE_TOO_BIG over UDP then TCP), garbage, an empty reply,
 * broken TCP length prefixes. The TGS-REP's nonce, names, key and usage (the
 * subkey's or the TGT session key's), session key, flags, times, its FAST
 * response (KrbFastFinished, nonce, strengthen key, none at all), referrals
 * to a realm the KDC serves, to one no KDC serves and to the realm itself.
 *
 * Each answer is reduced to one line: `OK` with the credential's client,
 * server, flags, times in minutes from when the case started (authtime,
 * start, end and renew-till; MIT fills in starttime from authtime, so
 * krbsim's is read the same way) and its session key's type and length; or
 * the error's name. MIT reports com_err codes: a protocol code is its RFC
 * 4120 name (`errorCodeName`), and MIT's own codes are named in MIT_CODES
 * with the code krbsim gives for the same fault. The two lines must agree,
 * except in the cases of KNOWN_DIFFERENCES, where each side's answer is
 * pinned with the reason.
 *
 * Times: MIT reads the system clock, so every time the fake KDC writes is
 * built from the clock in whole seconds when it answers, and every altered
 * time is minutes away from the bounds the clients check. MIT's
 * `kdc_timesync` is left at its default (on), as kinit runs: MIT then
 * records the offset of the KDC's authtime instead of checking the AS-REP's
 * time; two cases run MIT with it off.
 *
 * Skipped with a printed reason when gcc or MIT krb5's development files are
 * missing; failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeApReq,
  decodeAuthenticator,
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeKdcRep,
  decodeKdcReq,
  decodeKrbError,
  decodeKrbFastResponse,
  decodePaFxFastReply,
  type EncKdcRepPart,
  type EncTicketPart,
  encodeChecksum,
  encodeEncKdcRepPart,
  encodeEncTicketPart,
  encodeEtypeInfo2,
  encodeKdcRep,
  encodeKrbError,
  encodeKrbFastResponse,
  encodeMethodData,
  encodePaFxFastReply,
  encodeTicket,
  flagNames,
  KdcOptions,
  type KdcRep,
  type KdcReq,
  type KrbFastFinished,
  type KrbFastResponse,
  krbError,
  NameType,
  type PaData,
  PaDataType,
  type PrincipalName,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import {
  concatBytes,
  Duration,
  ErrorCode,
  errorCodeName,
  isKerberosError,
  SeededRandom,
  systemClock,
  systemRandom,
} from '@krbsim/core';
import {
  cf2,
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  generateKey,
  type Key,
  KeyUsage,
} from '@krbsim/crypto';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { frameTcp, TcpRecordReader, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asReq, pwKeys, userKey } from '../../packages/kdc/test/helpers';
import { type KnownDifference, knownDifferencesTest, wholeSecondsNow } from './helpers/kdc-oracle';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'CDIFF.TEST';
/** A second realm the fake KDC serves, reached by referrals. */
const OTHER = 'OTHER.TEST';
const SERVICE = 'host/svc.cdiff.test';
const PASSWORDS: Record<string, string> = { alice: 'alice-Passw0rd', bob: 'bob-Passw0rd' };
const ENCTYPES = [18, 17];
const MINUTE = Duration.minute;
const HOUR = Duration.hour;
const DAY = 24 * HOUR;
/** The ticket life both clients ask for: short of the realm's maximum (10 h), so that no reply is capped. */
const LIFETIME = 8 * HOUR;
const random = new SeededRandom('client-differential-mit');

const principal = (...nameString: string[]): PrincipalName => ({
  nameType: nameString.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL,
  nameString,
});
const copy = (b: Uint8Array) => new Uint8Array(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// ---------------------------------------------------------------------------
// The fake KDC.

/** One request as the fake KDC sees it, and the good reply krbsim's KDC made for it. */
interface Exchange {
  readonly transport: 'udp' | 'tcp';
  readonly kind: 'as' | 'tgs';
  /** Which request of its kind in this client's run, from 1. */
  readonly n: number;
  readonly request: Uint8Array;
  readonly req: KdcReq;
  readonly good: Uint8Array;
  readonly fake: FakeKdc;
}

/**
 * What the fake KDC sends: a message (framed on TCP), `tcp` bytes written as
 * they are (and the connection closed after them), or nothing (`undefined`
 * from a script: the good reply).
 */
type Answer = Uint8Array | { readonly tcp: Uint8Array };

/** A case's alteration: the answer to send for `x`, or undefined for the good reply. */
type Script = (x: Exchange) => Answer | undefined;

/** How {@link OpenedRep.seal} seals the enc-part again. */
interface Sealing {
  /** This very key (no FAST strengthening). */
  readonly key?: Key;
  /** This base reply key, strengthened as the FAST response says (default: the subkey, or the AS reply key). */
  readonly base?: Key;
  readonly usage?: number;
  readonly appTag?: 25 | 26;
  /** Changes the KrbFastResponse after its ticket checksum is made again over the ticket sent. */
  readonly fast?: (response: Mutable<KrbFastResponse>, finished: Mutable<KrbFastFinished>) => void;
  /** Leave the reply's padata as `edit` left it: no KrbFastResponse. */
  readonly unarmored?: boolean;
}

/** A KDC reply opened with the key that reads it, ready to be changed and sealed again. */
interface OpenedRep {
  readonly rep: KdcRep;
  readonly enc: EncKdcRepPart;
  /** The key (strengthened under FAST) and usage the reply's enc-part is under. */
  readonly key: Key;
  readonly usage: number;
  /** A TGS exchange's TGT session key and authenticator subkey. */
  readonly sessionKey?: Key;
  readonly subkey?: Key;
  /**
   * The reply after `edit` changes copies of its parts: the enc-part sealed
   * again, and for an armored TGS-REP the KrbFastResponse too, its ticket
   * checksum made over the ticket sent.
   */
  seal(edit: (rep: Mutable<KdcRep>, enc: Mutable<EncKdcRepPart>) => void, how?: Sealing): Uint8Array;
}

class FakeKdc {
  readonly #kdcs: ReadonlyMap<string, Kdc>;
  /** TGT session keys, by the hex of the ticket's cipher, from the AS-REPs that issued them. */
  readonly #tgtKeys = new Map<string, Key>();
  #counts = { as: 0, tgs: 0 };
  #script: Script = () => undefined;
  #udp: Socket | undefined;
  #tcp: Server | undefined;
  port = 0;
  /** One line per request, for failure messages. */
  log: string[] = [];
  /** Scripts that threw since the last reset: a case that cannot make its reply proves nothing. */
  failures: string[] = [];

  constructor(
    kdcs: ReadonlyMap<string, Kdc>,
    readonly realms: ReadonlyMap<string, Realm>,
  ) {
    this.#kdcs = kdcs;
  }

  /** The krbsim KDC of `realm`. */
  kdcFor(realm: string): Kdc {
    return this.#kdcs.get(realm)!;
  }

  /** Start a client's run of a case: its script, the counters from zero. */
  reset(script: Script): void {
    this.#script = script;
    this.#counts = { as: 0, tgs: 0 };
    this.log = [];
    this.failures = [];
  }

  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer((socket) => {
        const reader = new TcpRecordReader(1 << 20);
        socket.on('error', () => {});
        socket.on('data', (chunk) => {
          for (const event of reader.push(chunk)) {
            if (event.kind !== 'record') return socket.destroy();
            const answer = this.#safeAnswer(event.message, 'tcp');
            if (answer instanceof Uint8Array) socket.write(frameTcp(answer));
            else socket.end(answer.tcp);
          }
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(0, '127.0.0.1', () => resolve());
      });
      const port = (tcp.address() as { port: number }).port;
      const udp = createSocket('udp4');
      const bound = await new Promise<boolean>((resolve) => {
        udp.once('error', () => resolve(false));
        udp.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) {
        udp.on('message', (msg, peer) => {
          const answer = this.#safeAnswer(new Uint8Array(msg), 'udp');
          udp.send(answer instanceof Uint8Array ? answer : answer.tcp, peer.port, peer.address);
        });
        this.#udp = udp;
        this.#tcp = tcp;
        this.port = port;
        return;
      }
      udp.close();
      await new Promise((r) => tcp.close(r));
      if (attempt > 8) throw new Error('no port free for both UDP and TCP');
    }
  }

  async stop(): Promise<void> {
    this.#udp?.close();
    await new Promise((r) => (this.#tcp ? this.#tcp.close(r) : r(undefined)));
  }

  /** {@link #answer}; a script that throws is recorded (the case fails) and answered with garbage. */
  #safeAnswer(request: Uint8Array, transport: 'udp' | 'tcp'): Answer {
    try {
      return this.#answer(request, transport);
    } catch (e) {
      this.failures.push(`${transport}: ${(e as Error).stack}`);
      return new TextEncoder().encode('the case script failed');
    }
  }

  #answer(request: Uint8Array, transport: 'udp' | 'tcp'): Answer {
    let req: KdcReq;
    try {
      req = decodeKdcReq(request);
    } catch (e) {
      this.log.push(`${transport} undecodable request: ${(e as Error).message}`);
      return new Uint8Array(0);
    }
    const kind = req.msgType === 10 ? 'as' : 'tgs';
    const kdc = this.#kdcs.get(req.reqBody.realm) ?? this.#kdcs.get(REALM)!;
    const good = copy(kdc.handle(request));
    if (good[0] === 0x6b) this.#recordTgt(req, good);
    const n = ++this.#counts[kind];
    const answer = this.#script({ transport, kind, n, request, req, good, fake: this }) ?? good;
    const shown = answer instanceof Uint8Array ? answer : answer.tcp;
    this.log.push(
      `${transport} ${kind.toUpperCase()}-REQ #${n} ${req.reqBody.realm} ${req.reqBody.sname?.nameString.join('/')} options=${flagNames(KdcOptions, req.reqBody.kdcOptions).join(',')} -> ${shown === good ? 'good reply' : 'altered'} 0x${shown[0]?.toString(16) ?? '--'} (${shown.length} bytes)`,
    );
    return answer;
  }

  /** The key an AS-REP of this request is under: the client's password key of the reply's etype. */
  asReplyKey(req: KdcReq, etype: number): Key {
    const cname = req.reqBody.cname!.nameString.join('/');
    return userKey(req.reqBody.realm, cname, PASSWORDS[cname]!, etype);
  }

  #recordTgt(req: KdcReq, good: Uint8Array): void {
    const rep = decodeKdcRep(good);
    const key = this.asReplyKey(req, rep.encPart.etype);
    const enc = decodeEncKdcRepPart(decrypt(key, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
    this.#tgtKeys.set(hex(rep.ticket.encPart.cipher), { etype: enc.key.keytype, bytes: enc.key.keyvalue });
  }

  /** The TGT session key and the authenticator's subkey of a TGS-REQ. */
  tgsKeys(req: KdcReq): { sessionKey: Key; subkey?: Key } {
    const pa = req.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
    const apReq = decodeApReq(pa.padataValue);
    const sessionKey = this.#tgtKeys.get(hex(apReq.ticket.encPart.cipher));
    if (sessionKey === undefined) throw new Error('a TGS-REQ with a TGT the fake KDC did not issue');
    const auth = decodeAuthenticator(decrypt(sessionKey, KeyUsage.TGS_REQ_AUTH, apReq.authenticator.cipher));
    return {
      sessionKey,
      ...(auth.subkey && { subkey: { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue } }),
    };
  }
}

/** The reply key made from `base` with a FAST strengthen key (RFC 6113 section 5.4.3), or `base` without one. */
function strengthened(base: Key, response: KrbFastResponse | undefined): Key {
  const sk = response?.strengthenKey;
  if (sk === undefined) return base;
  return cf2({ etype: sk.keytype, bytes: sk.keyvalue }, base, 'strengthenkey', 'replykey');
}

/**
 * `x`'s good AS-REP or TGS-REP, opened. An armored TGS-REP (MIT's and, with
 * `fastTgs`, krbsim's TGS-REQs carry implicit FAST armor, RFC 6113 section
 * 5.4.1.1) is opened with the armor key made from the subkey and the TGT
 * session key, and its enc-part with the strengthened reply key.
 */
function open(x: Exchange): OpenedRep {
  const rep = decodeKdcRep(x.good);
  let base: Key;
  let usage: number;
  let keys: { sessionKey?: Key; subkey?: Key } = {};
  let armorKey: Key | undefined;
  let response: KrbFastResponse | undefined;
  if (x.kind === 'as') {
    base = x.fake.asReplyKey(x.req, rep.encPart.etype);
    usage = KeyUsage.AS_REP_ENCPART;
  } else {
    const k = x.fake.tgsKeys(x.req);
    keys = k;
    base = k.subkey ?? k.sessionKey;
    usage = k.subkey ? KeyUsage.TGS_REP_ENCPART_SUBKEY : KeyUsage.TGS_REP_ENCPART_SESSKEY;
    const fx = rep.padata?.find((p) => p.padataType === PaDataType.PA_FX_FAST);
    if (fx !== undefined && k.subkey !== undefined) {
      armorKey = cf2(k.subkey, k.sessionKey, 'subkeyarmor', 'ticketarmor');
      const sealed = decodePaFxFastReply(fx.padataValue).armoredData.encFastRep.cipher;
      response = decodeKrbFastResponse(decrypt(armorKey, KeyUsage.KEY_USAGE_FAST_REP, sealed));
    }
  }
  const key = strengthened(base, response);
  const enc = decodeEncKdcRepPart(decrypt(key, usage, rep.encPart.cipher));
  return {
    rep,
    enc,
    key,
    usage,
    ...keys,
    seal(edit, how = {}) {
      const r: Mutable<KdcRep> = { ...rep };
      const e: Mutable<EncKdcRepPart> = { ...enc };
      edit(r, e);
      let fast: KrbFastResponse | undefined;
      if (
        !how.unarmored &&
        response !== undefined &&
        armorKey !== undefined &&
        response.finished !== undefined
      ) {
        const finished: Mutable<KrbFastFinished> = {
          ...response.finished,
          ticketChecksum: {
            cksumtype: checksumTypeFor(armorKey.etype),
            checksum: checksum(armorKey, KeyUsage.KEY_USAGE_FAST_FINISHED, encodeTicket(r.ticket)),
          },
        };
        const changed: Mutable<KrbFastResponse> = { ...response, finished };
        how.fast?.(changed, finished);
        fast = changed;
        const cipher = encrypt(armorKey, KeyUsage.KEY_USAGE_FAST_REP, encodeKrbFastResponse(changed), {
          random,
        });
        r.padata = [
          {
            padataType: PaDataType.PA_FX_FAST,
            padataValue: copy(
              encodePaFxFastReply({ armoredData: { encFastRep: { etype: armorKey.etype, cipher } } }),
            ),
          },
        ];
      }
      const k = how.key ?? (how.base === undefined ? strengthened(base, fast) : strengthened(how.base, fast));
      // A reply key of the case's choosing: the RFC 6806 checksum made again with it, so that only the key differs.
      if (how.key !== undefined && x.kind === 'as' && e.encryptedPaData !== undefined) {
        e.encryptedPaData = e.encryptedPaData.map((p) =>
          p.padataType === PaDataType.PA_REQ_ENC_PA_REP ? encPaRepOver(k, x.request) : p,
        );
      }
      const plain = encodeEncKdcRepPart(e, how.appTag ?? enc.appTag ?? (x.kind === 'as' ? 25 : 26));
      r.encPart = { etype: k.etype, cipher: encrypt(k, how.usage ?? usage, plain, { random }) };
      return copy(encodeKdcRep(r));
    },
  };
}

/** Alters every AS-REP (not the KRB-ERRORs before it) with `f`. */
const asRep =
  (f: (r: OpenedRep, x: Exchange) => Answer): Script =>
  (x) =>
    x.kind === 'as' && x.good[0] === 0x6b ? f(open(x), x) : undefined;

/**
 * Alters every TGS-REP of the client's realm with `f` (MIT asks again without
 * canonicalize when its first request fails, and gets the same alteration),
 * but not the replies of a realm a referral leads to.
 */
const tgsRep =
  (f: (r: OpenedRep, x: Exchange) => Answer): Script =>
  (x) =>
    x.kind === 'tgs' && x.req.reqBody.realm === REALM && x.good[0] === 0x6d ? f(open(x), x) : undefined;

/**
 * Answers with `f`'s message every AS-REQ of the client's realm that the KDC
 * answers with KDC_ERR_PREAUTH_REQUIRED (those without a timestamp; MIT
 * starts over at times, and gets the same answer again).
 */
const preauthStep =
  (f: (x: Exchange) => Answer): Script =>
  (x) =>
    x.kind === 'as' && x.req.reqBody.realm === REALM && isPreauthRequired(x.good) ? f(x) : undefined;

/** Answers every AS-REQ of the client's realm with `f`'s message. */
const everyAs =
  (f: (x: Exchange) => Answer): Script =>
  (x) =>
    x.kind === 'as' && x.req.reqBody.realm === REALM ? f(x) : undefined;

function isPreauthRequired(reply: Uint8Array): boolean {
  return reply[0] === 0x7e && decodeKrbError(reply).errorCode === ErrorCode.KDC_ERR_PREAUTH_REQUIRED;
}

/** A KRB-ERROR from the realm's KDC, as it would answer `x`. */
function error(
  x: Exchange,
  errorCode: number,
  more: { eData?: Uint8Array; crealm?: string } = {},
): Uint8Array {
  return copy(
    encodeKrbError(
      krbError({
        errorCode,
        now: Date.now(),
        realm: x.req.reqBody.realm,
        ...(x.req.reqBody.sname && { sname: x.req.reqBody.sname }),
        ...(x.req.reqBody.cname && { cname: x.req.reqBody.cname }),
        crealm: more.crealm ?? x.req.reqBody.realm,
        ...(more.eData && { eData: more.eData }),
      }),
    ),
  );
}

/** KDC_ERR_PREAUTH_REQUIRED offering `padata`. */
const preauthRequired = (x: Exchange, padata: PaData[]) =>
  error(x, ErrorCode.KDC_ERR_PREAUTH_REQUIRED, { eData: copy(encodeMethodData(padata)) });

const etypeInfo2 = (...entries: { etype: number; salt?: string }[]): PaData => ({
  padataType: PaDataType.PA_ETYPE_INFO2,
  padataValue: copy(encodeEtypeInfo2(entries)),
});

/** KRB_ERR_RESPONSE_TOO_BIG over UDP, `then` over TCP. */
const tooBigOnUdp =
  (then: (x: Exchange) => Answer | undefined): ((x: Exchange) => Answer | undefined) =>
  (x) =>
    x.transport === 'udp' ? error(x, ErrorCode.KRB_ERR_RESPONSE_TOO_BIG) : then(x);

/** `der` with the one-octet INTEGER of its first `[n]` field (`tag` is 0xa0 + n) from `from` on set to `value`. */
function withFirstInteger(der: Uint8Array, tag: number, value: number, from = 0): Uint8Array {
  const out = copy(der);
  for (let i = from; i + 4 < out.length; i++) {
    if (out[i] === tag && out[i + 1] === 0x03 && out[i + 2] === 0x02 && out[i + 3] === 0x01) {
      out[i + 4] = value;
      return out;
    }
  }
  throw new Error(`no [${tag - 0xa0}] INTEGER field`);
}

/** Where the encoding of `ticket` starts in `der`. */
function ticketOffset(der: Uint8Array, ticket: KdcRep['ticket']): number {
  const t = encodeTicket(ticket);
  for (let i = 0; i + t.length <= der.length; i++) {
    let j = 0;
    while (j < t.length && der[i + j] === t[j]) j++;
    if (j === t.length) return i;
  }
  throw new Error('the ticket is not in the message');
}

/** The ticket of `rep` with its EncTicketPart changed by `edit`, sealed again with the server's key. */
function reissueTicket(
  x: Exchange,
  rep: KdcRep,
  edit: (etp: Mutable<EncTicketPart>) => void,
): KdcRep['ticket'] {
  const realm = x.fake.realms.get(rep.ticket.realm)!;
  const key = realm.keysFor(rep.ticket.sname).find((k) => k.etype === rep.ticket.encPart.etype)!;
  const etp: Mutable<EncTicketPart> = {
    ...decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, rep.ticket.encPart.cipher)),
  };
  edit(etp);
  const cipher = encrypt(key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random });
  return { ...rep.ticket, encPart: { ...rep.ticket.encPart, cipher } };
}

/**
 * A referral in place of the service ticket: a TGT for `krbtgt/to@REALM`,
 * sealed with the inter-realm key when the realm holds one (else a random
 * key), with a fresh session key and the good reply's times.
 */
function referral(r: OpenedRep, x: Exchange, to: string): Uint8Array {
  const realm = x.fake.realms.get(REALM)!;
  const sname = principal('krbtgt', to);
  const ticketKey =
    realm.keysFor(sname).find((k) => k.etype === 18) ?? generateKey(18, { random: systemRandom });
  const sessionKey = generateKey(18, { random: systemRandom });
  const etp: EncTicketPart = {
    flags: r.enc.flags,
    key: { keytype: sessionKey.etype, keyvalue: sessionKey.bytes },
    crealm: r.rep.crealm,
    cname: r.rep.cname,
    transited: { trType: 1, contents: new Uint8Array(0) },
    authtime: r.enc.authtime,
    ...(r.enc.starttime !== undefined && { starttime: r.enc.starttime }),
    endtime: r.enc.endtime,
  };
  const cipher = encrypt(ticketKey, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random });
  return r.seal((rep, enc) => {
    rep.ticket = { tktVno: 5, realm: REALM, sname, encPart: { etype: 18, kvno: 1, cipher } };
    enc.key = { keytype: sessionKey.etype, keyvalue: sessionKey.bytes };
    enc.sname = sname;
  });
}

/** The KrbFastFinished checksum of `ticket` under the armor key of `r`'s exchange. */
function finishedChecksumOf(r: OpenedRep, ticket: KdcRep['ticket']): Uint8Array {
  const armorKey = cf2(r.subkey!, r.sessionKey!, 'subkeyarmor', 'ticketarmor');
  return checksum(armorKey, KeyUsage.KEY_USAGE_FAST_FINISHED, encodeTicket(ticket));
}

/** PA-ENC-TIMESTAMP offered, with no value. */
const encTsOffer: PaData = { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) };

function lengthPrefix(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** An AS-REQ for `user` without pre-authentication (bob needs none), with `nonce`. */
function asReqFor(user: string, nonce: number): Uint8Array {
  return asReq({ realm: REALM, cname: user, till: wholeSecondsNow() + 10 * HOUR, etypes: [18], nonce });
}

// ---------------------------------------------------------------------------
// The cases.

interface Case {
  readonly label: string;
  /** `as`: one AS exchange; `tgs`: a good AS exchange, then the TGS exchange the script alters. */
  readonly exchange: 'as' | 'tgs';
  readonly user: 'alice' | 'bob';
  /** What the client asks for: f forwardable, r renewable, C canonicalize (helper's letters), or '-'. */
  readonly options: string;
  readonly script: Script;
  /** MIT with `kdc_timesync = 0`: it then checks the reply's start time against its clock, as krbsim does. */
  readonly noTimesync?: boolean;
}

const cases: Case[] = [];
const asCase = (label: string, script: Script, more: Partial<Case> = {}) =>
  cases.push({ label, exchange: 'as', user: 'alice', options: '-', script, ...more });
const tgsCase = (label: string, script: Script, more: Partial<Case> = {}) =>
  cases.push({ label, exchange: 'tgs', user: 'alice', options: '-', script, ...more });

const bob = principal('bob');
const inMinutes = (m: number) => wholeSecondsNow() + m * MINUTE;

// AS: the reply's nonce, names and key.
asCase('AS: baseline', () => undefined);
asCase('AS (no pre-authentication): baseline', () => undefined, { user: 'bob' });
asCase(
  'AS: nonce changed',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.nonce = (enc.nonce + 1) >>> 0;
    }),
  ),
);
asCase(
  'AS: cname changed outside the enc-part',
  asRep((r) =>
    r.seal((rep) => {
      rep.cname = bob;
    }),
  ),
);
asCase(
  'AS: crealm changed outside the enc-part',
  asRep((r) =>
    r.seal((rep) => {
      rep.crealm = OTHER;
    }),
  ),
);
asCase(
  'AS: cname changed outside the enc-part, canonicalize asked for',
  asRep((r) =>
    r.seal((rep) => {
      rep.cname = bob;
    }),
  ),
  { options: 'C' },
);
asCase(
  'AS (no pre-authentication): cname changed outside the enc-part',
  asRep((r) =>
    r.seal((rep) => {
      rep.cname = principal('alice');
    }),
  ),
  { user: 'bob' },
);
asCase(
  'AS: cname of another name type (NT-UNKNOWN)',
  asRep((r) =>
    r.seal((rep) => {
      rep.cname = { nameType: NameType.NT_UNKNOWN, nameString: ['alice'] };
    }),
  ),
);
asCase(
  'AS: cname in another case',
  asRep((r) =>
    r.seal((rep) => {
      rep.cname = principal('ALICE');
    }),
  ),
);
asCase(
  'AS: cname changed inside the ticket',
  asRep((r, x) =>
    r.seal((rep) => {
      rep.ticket = reissueTicket(x, rep, (etp) => {
        etp.cname = bob;
      });
    }),
  ),
);
asCase(
  'AS: sname changed in the enc-part and the ticket',
  asRep((r) =>
    r.seal((rep, enc) => {
      enc.sname = principal('krbtgt', OTHER);
      rep.ticket = { ...rep.ticket, sname: enc.sname };
    }),
  ),
);
asCase(
  'AS: sname changed in the enc-part and the ticket, canonicalize asked for',
  asRep((r) =>
    r.seal((rep, enc) => {
      enc.sname = principal('krbtgt', OTHER);
      rep.ticket = { ...rep.ticket, sname: enc.sname };
    }),
  ),
  { options: 'C' },
);
asCase(
  'AS: sname changed to a service, canonicalize asked for',
  asRep((r) =>
    r.seal((rep, enc) => {
      enc.sname = principal('host', 'svc.cdiff.test');
      rep.ticket = { ...rep.ticket, sname: enc.sname };
    }),
  ),
  { options: 'C' },
);
asCase(
  'AS: sname changed in the enc-part only',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.sname = principal('krbtgt', OTHER);
    }),
  ),
);
asCase(
  'AS: sname changed in the ticket only',
  asRep((r) =>
    r.seal((rep) => {
      rep.ticket = { ...rep.ticket, sname: principal('krbtgt', OTHER) };
    }),
  ),
);
asCase(
  "AS: the ticket's realm changed",
  asRep((r) =>
    r.seal((rep) => {
      rep.ticket = { ...rep.ticket, realm: OTHER };
    }),
  ),
);
asCase(
  'AS: srealm and the ticket realm changed together',
  asRep((r) =>
    r.seal((rep, enc) => {
      enc.srealm = OTHER;
      rep.ticket = { ...rep.ticket, realm: OTHER };
    }),
  ),
);
asCase(
  'AS: enc-part under another key',
  asRep((r) => r.seal(() => {}, { key: generateKey(18, { random }) })),
);
asCase(
  'AS: enc-part with the key usage of a TGS-REP (8)',
  asRep((r) => r.seal(() => {}, { usage: KeyUsage.TGS_REP_ENCPART_SESSKEY })),
);
asCase(
  'AS: enc-part in an etype not requested (aes256-sha384, 20)',
  asRep((r, x) => r.seal(() => {}, { key: x.fake.asReplyKey(x.req, 20) })),
);
asCase(
  'AS: enc-part in aes128 (17), pre-authenticated in aes256',
  asRep((r, x) => r.seal(() => {}, { key: x.fake.asReplyKey(x.req, 17) })),
);
asCase(
  'AS: enc-part tagged EncTGSRepPart (26)',
  asRep((r) => r.seal(() => {}, { appTag: 26 })),
);
asCase(
  'AS: msg-type 13 in an AS-REP',
  asRep((_r, x) => withFirstInteger(x.good, 0xa1, 13)),
);
asCase(
  'AS: pvno 4 in the AS-REP',
  asRep((_r, x) => withFirstInteger(x.good, 0xa0, 4)),
);
asCase(
  "AS: tkt-vno 4 in the reply's ticket",
  asRep((r, x) => withFirstInteger(x.good, 0xa0, 4, ticketOffset(x.good, r.rep.ticket))),
);
asCase(
  'AS: a TGS-REP in answer',
  asRep((r) => copy(encodeKdcRep({ ...r.rep, msgType: 13 }))),
);
asCase(
  "AS: another client's AS-REP (bob's)",
  asRep((_r, x) => copy(x.fake.kdcFor(REALM).handle(asReqFor('bob', x.req.reqBody.nonce)))),
);
asCase(
  'AS: an AS-REP made for another request (another nonce)',
  asRep((_r, x) => copy(x.fake.kdcFor(REALM).handle(asReqFor('bob', 4242)))),
  { user: 'bob' },
);

// AS: the reply's other fields.
asCase(
  'AS: key-expiration in three days',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.keyExpiration = inMinutes(3 * 24 * 60);
    }),
  ),
);
asCase(
  'AS: key-expiration passed',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.keyExpiration = inMinutes(-60);
    }),
  ),
);
asCase(
  'AS: last-req with a password expiry (lr-type 6) in three days',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.lastReq = [{ lrType: 6, lrValue: inMinutes(3 * 24 * 60) }];
    }),
  ),
);
asCase(
  'AS: client addresses in the enc-part',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.caddr = [{ addrType: 2, address: Uint8Array.of(192, 0, 2, 1) }];
    }),
  ),
);

// AS: flags.
asCase(
  'AS: forwardable, not asked for',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags | TicketFlags.forwardable) >>> 0;
    }),
  ),
);
asCase(
  'AS: renewable with a renew-till, not asked for',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags | TicketFlags.renewable) >>> 0;
      enc.renewTill = enc.endtime;
    }),
  ),
);
asCase(
  'AS: forwardable asked for, missing',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags & ~TicketFlags.forwardable) >>> 0;
    }),
  ),
  { options: 'f' },
);
asCase(
  'AS: renewable asked for, missing (no renew-till)',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags & ~TicketFlags.renewable) >>> 0;
      delete enc.renewTill;
    }),
  ),
  { options: 'r' },
);
asCase(
  'AS: renew-till without the renewable flag',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.renewTill = enc.endtime + DAY;
    }),
  ),
);
asCase(
  'AS: postdated and invalid flags',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags | TicketFlags.postdated | TicketFlags.invalid) >>> 0;
    }),
  ),
);

// AS: times.
asCase(
  'AS: authtime 10 minutes in the future',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.authtime = inMinutes(10);
      delete enc.starttime;
    }),
  ),
);
asCase(
  'AS: authtime 10 minutes in the past',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.authtime = inMinutes(-10);
      delete enc.starttime;
    }),
  ),
);
asCase(
  'AS: starttime 10 minutes in the future',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.starttime = inMinutes(10);
    }),
  ),
);
asCase(
  'AS: authtime 10 minutes in the future, MIT without kdc_timesync',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.authtime = inMinutes(10);
      delete enc.starttime;
    }),
  ),
  { noTimesync: true },
);
asCase(
  'AS: starttime 10 minutes in the future, MIT without kdc_timesync',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.starttime = inMinutes(10);
    }),
  ),
  { noTimesync: true },
);
asCase(
  'AS: endtime before now',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.endtime = inMinutes(-60);
    }),
  ),
);
asCase(
  'AS: endtime after the till asked for',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.endtime = inMinutes(48 * 60);
    }),
  ),
);
asCase(
  'AS: renew-till after the rtime asked for',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.renewTill = inMinutes(30 * 24 * 60);
    }),
  ),
  { options: 'r' },
);

// AS: RFC 6806 section 11.
const withoutEncPaRep = (pa: readonly PaData[] | undefined) =>
  (pa ?? []).filter((p) => p.padataType !== PaDataType.PA_REQ_ENC_PA_REP);
const encPaRep = (value: Uint8Array): PaData => ({
  padataType: PaDataType.PA_REQ_ENC_PA_REP,
  padataValue: value,
});
/** PA-REQ-ENC-PA-REP as a KDC makes it: a checksum of `request` with the reply key, usage 56. */
function encPaRepOver(key: Key, request: Uint8Array): PaData {
  const cksumtype = checksumTypeFor(key.etype);
  return encPaRep(
    copy(encodeChecksum({ cksumtype, checksum: checksum(key, KeyUsage.KEY_USAGE_AS_REQ, request) })),
  );
}
asCase(
  'AS: enc-pa-rep flag without PA-REQ-ENC-PA-REP',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.encryptedPaData = withoutEncPaRep(enc.encryptedPaData);
    }),
  ),
);
asCase(
  'AS: PA-REQ-ENC-PA-REP over other bytes',
  asRep((r, x) =>
    r.seal((_rep, enc) => {
      const other = concatBytes([x.request, Uint8Array.of(0)]);
      enc.encryptedPaData = [...withoutEncPaRep(enc.encryptedPaData), encPaRepOver(r.key, other)];
    }),
  ),
);
asCase(
  'AS: PA-REQ-ENC-PA-REP that is not a Checksum',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.encryptedPaData = [...withoutEncPaRep(enc.encryptedPaData), encPaRep(Uint8Array.of(1, 2, 3))];
    }),
  ),
);
asCase(
  'AS: PA-REQ-ENC-PA-REP without the enc-pa-rep flag',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags & ~TicketFlags['name-canonicalize']) >>> 0;
    }),
  ),
);
asCase(
  'AS: enc-pa-rep flag and no encrypted-pa-data at all',
  asRep((r) =>
    r.seal((_rep, enc) => {
      delete enc.encryptedPaData;
    }),
  ),
);

// AS: padata, and the session key.
asCase(
  'AS: PA-ETYPE-INFO2 in the reply naming another salt',
  asRep((r) =>
    r.seal((rep) => {
      rep.padata = [etypeInfo2({ etype: 18, salt: 'ANOTHER.SALTalice' })];
    }),
  ),
);
asCase(
  'AS: PA-ETYPE-INFO2 in the reply naming another salt, the enc-part under that key',
  asRep((r) =>
    r.seal(
      (rep) => {
        rep.padata = [etypeInfo2({ etype: 18, salt: 'ANOTHER.SALTalice' })];
      },
      { key: userKey('ANOTHER.SALT', 'alice', PASSWORDS.alice!, 18) },
    ),
  ),
);
asCase(
  'AS: session key of an unknown enctype (99)',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.key = { keytype: 99, keyvalue: enc.key.keyvalue };
    }),
  ),
);
asCase(
  'AS: session key too short for its enctype',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.key = { keytype: 18, keyvalue: enc.key.keyvalue.subarray(0, 16) };
    }),
  ),
);
asCase(
  'AS: session key of an enctype not offered (rc4-hmac, 23)',
  asRep((r) =>
    r.seal((_rep, enc) => {
      enc.key = { keytype: 23, keyvalue: enc.key.keyvalue.subarray(0, 16) };
    }),
  ),
);

// AS: KRB-ERRORs and broken replies.
asCase(
  'AS: PREAUTH_REQUIRED without ETYPE-INFO2 (PA-ENC-TIMESTAMP only)',
  preauthStep((x) => preauthRequired(x, [encTsOffer])),
);
asCase(
  'AS: PREAUTH_REQUIRED without e-data',
  preauthStep((x) => error(x, ErrorCode.KDC_ERR_PREAUTH_REQUIRED)),
);
asCase(
  'AS: PREAUTH_REQUIRED whose e-data is not METHOD-DATA',
  preauthStep((x) => error(x, ErrorCode.KDC_ERR_PREAUTH_REQUIRED, { eData: Uint8Array.of(4, 2, 1, 2) })),
);
asCase(
  'AS: PREAUTH_REQUIRED with an empty METHOD-DATA',
  preauthStep((x) => preauthRequired(x, [])),
);
asCase(
  'AS: PREAUTH_REQUIRED offering only an unknown enctype',
  preauthStep((x) => preauthRequired(x, [etypeInfo2({ etype: 99 }), encTsOffer])),
);
asCase(
  'AS: PREAUTH_REQUIRED naming a wrong salt',
  preauthStep((x) => preauthRequired(x, [etypeInfo2({ etype: 18, salt: 'WRONG.SALTalice' }), encTsOffer])),
);
asCase(
  'AS: PREAUTH_REQUIRED again after the timestamp',
  everyAs((x) => preauthRequired(x, [etypeInfo2({ etype: 18 }), encTsOffer])),
);
asCase(
  'AS: WRONG_REALM referring the client to another realm',
  everyAs((x) => error(x, ErrorCode.KDC_ERR_WRONG_REALM, { crealm: OTHER })),
);
asCase(
  'AS: WRONG_REALM referring the client to another realm, canonicalize asked for',
  everyAs((x) => error(x, ErrorCode.KDC_ERR_WRONG_REALM, { crealm: OTHER })),
  { options: 'C' },
);
asCase(
  'AS: WRONG_REALM naming an empty realm, canonicalize asked for',
  everyAs((x) => error(x, ErrorCode.KDC_ERR_WRONG_REALM, { crealm: '' })),
  { options: 'C' },
);
asCase(
  'AS: KDC_ERR_CLIENT_REVOKED in place of the AS-REP',
  asRep((_r, x) => error(x, ErrorCode.KDC_ERR_CLIENT_REVOKED)),
);
asCase(
  'AS: a KRB-ERROR with error-code 0 (KDC_ERR_NONE)',
  everyAs((x) => error(x, 0)),
);
asCase('AS: RESPONSE_TOO_BIG over UDP, the reply over TCP', (x) =>
  x.kind === 'as' ? tooBigOnUdp(() => undefined)(x) : undefined,
);
asCase(
  'AS: RESPONSE_TOO_BIG over UDP and over TCP',
  everyAs((x) => error(x, ErrorCode.KRB_ERR_RESPONSE_TOO_BIG)),
);
asCase(
  'AS: garbage in place of the AS-REP',
  asRep(() => new TextEncoder().encode('this is not a Kerberos message')),
);
asCase(
  'AS: garbage behind the AS-REP tag',
  asRep(() => Uint8Array.of(0x6b, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05)),
);
asCase(
  'AS: the AS-REP truncated by 10 bytes',
  asRep((_r, x) => x.good.subarray(0, x.good.length - 10)),
);
asCase(
  'AS: the AS-REP followed by trailing bytes',
  asRep((_r, x) => concatBytes([x.good, Uint8Array.of(0, 0, 0, 0)])),
);
asCase(
  'AS: an empty reply',
  everyAs(() => new Uint8Array(0)),
);
asCase('AS: over TCP, a length prefix with the reserved bit set', (x) =>
  x.kind === 'as' && x.good[0] === 0x6b
    ? tooBigOnUdp(() => ({ tcp: concatBytes([lengthPrefix((0x80000000 | x.good.length) >>> 0), x.good]) }))(x)
    : undefined,
);
asCase('AS: over TCP, a length prefix longer than the AS-REP', (x) =>
  x.kind === 'as' && x.good[0] === 0x6b
    ? tooBigOnUdp(() => ({ tcp: concatBytes([lengthPrefix(x.good.length + 100), x.good]) }))(x)
    : undefined,
);
asCase('AS: over TCP, a length prefix shorter than the AS-REP', (x) =>
  x.kind === 'as' && x.good[0] === 0x6b
    ? tooBigOnUdp(() => ({ tcp: concatBytes([lengthPrefix(x.good.length - 10), x.good]) }))(x)
    : undefined,
);

// TGS.
tgsCase('TGS: baseline', () => undefined);
tgsCase(
  'TGS: nonce changed',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.nonce = (enc.nonce + 1) >>> 0;
    }),
  ),
);
tgsCase(
  'TGS: cname changed outside the enc-part',
  tgsRep((r) =>
    r.seal((rep) => {
      rep.cname = bob;
    }),
  ),
);
tgsCase(
  'TGS: crealm changed outside the enc-part',
  tgsRep((r) =>
    r.seal((rep) => {
      rep.crealm = OTHER;
    }),
  ),
);
tgsCase(
  'TGS: sname changed in the enc-part and the ticket (another service)',
  tgsRep((r) =>
    r.seal((rep, enc) => {
      enc.sname = principal('host', 'other.cdiff.test');
      rep.ticket = { ...rep.ticket, sname: enc.sname };
    }),
  ),
);
tgsCase(
  'TGS: sname changed in the enc-part only',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.sname = principal('host', 'other.cdiff.test');
    }),
  ),
);
tgsCase(
  "TGS: the ticket's realm changed",
  tgsRep((r) =>
    r.seal((rep) => {
      rep.ticket = { ...rep.ticket, realm: OTHER };
    }),
  ),
);
tgsCase(
  'TGS: reply under the TGT session key (usage 8), not the subkey',
  tgsRep((r) => r.seal(() => {}, { base: r.sessionKey!, usage: KeyUsage.TGS_REP_ENCPART_SESSKEY })),
);
tgsCase(
  'TGS: reply under the subkey with usage 8',
  tgsRep((r) => r.seal(() => {}, { usage: KeyUsage.TGS_REP_ENCPART_SESSKEY })),
);
tgsCase(
  'TGS: reply under the TGT session key with usage 9',
  tgsRep((r) => r.seal(() => {}, { base: r.sessionKey!, usage: KeyUsage.TGS_REP_ENCPART_SUBKEY })),
);
tgsCase(
  'TGS: reply under another key',
  tgsRep((r) => r.seal(() => {}, { key: generateKey(18, { random }) })),
);
tgsCase(
  'TGS: reply with the key usage of an AS-REP (3)',
  tgsRep((r) => r.seal(() => {}, { usage: KeyUsage.AS_REP_ENCPART })),
);
tgsCase(
  'TGS: enc-part tagged EncASRepPart (25)',
  tgsRep((r) => r.seal(() => {}, { appTag: 25 })),
);
tgsCase(
  'TGS: msg-type 11 in a TGS-REP',
  tgsRep((_r, x) => withFirstInteger(x.good, 0xa1, 11)),
);
tgsCase(
  'TGS: an AS-REP in answer',
  tgsRep((r) => copy(encodeKdcRep({ ...r.rep, msgType: 11 }))),
);
tgsCase(
  'TGS: session key of an unknown enctype (99)',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.key = { keytype: 99, keyvalue: enc.key.keyvalue };
    }),
  ),
);
tgsCase(
  'TGS: session key too short for its enctype',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.key = { keytype: 18, keyvalue: enc.key.keyvalue.subarray(0, 16) };
    }),
  ),
);
tgsCase(
  'TGS: session key of an enctype not requested (aes256-sha384, 20)',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      const k = generateKey(20, { random });
      enc.key = { keytype: k.etype, keyvalue: k.bytes };
    }),
  ),
);
tgsCase(
  'TGS: forwardable, not asked for',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags | TicketFlags.forwardable) >>> 0;
    }),
  ),
);
tgsCase(
  'TGS: enc-pa-rep flag without PA-REQ-ENC-PA-REP',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.flags = (enc.flags | TicketFlags['name-canonicalize']) >>> 0;
    }),
  ),
);
tgsCase(
  'TGS: starttime 10 minutes in the future',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.starttime = inMinutes(10);
    }),
  ),
);
tgsCase(
  'TGS: authtime 10 minutes in the past, no starttime',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.authtime = inMinutes(-10);
      delete enc.starttime;
    }),
  ),
);
tgsCase(
  "TGS: endtime after the TGT's",
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.endtime = inMinutes(48 * 60);
    }),
  ),
);
tgsCase(
  'TGS: endtime before now',
  tgsRep((r) =>
    r.seal((_rep, enc) => {
      enc.endtime = inMinutes(-60);
    }),
  ),
);
tgsCase(
  'TGS: cname changed in KrbFastFinished',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (_response, finished) => {
        finished.cname = bob;
      },
    }),
  ),
);
tgsCase(
  'TGS: crealm changed in KrbFastFinished',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (_response, finished) => {
        finished.crealm = OTHER;
      },
    }),
  ),
);
tgsCase(
  'TGS: KrbFastFinished checksum over another ticket',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (_response, finished) => {
        const other = { ...r.rep.ticket, realm: OTHER };
        finished.ticketChecksum = { ...finished.ticketChecksum, checksum: finishedChecksumOf(r, other) };
      },
    }),
  ),
);
tgsCase(
  'TGS: KrbFastResponse without KrbFastFinished',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (response) => {
        delete response.finished;
      },
    }),
  ),
);
tgsCase(
  'TGS: KrbFastResponse nonce changed',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (response) => {
        response.nonce = (response.nonce + 1) >>> 0;
      },
    }),
  ),
);
tgsCase(
  'TGS: KrbFastResponse without a strengthen key, the reply under the subkey',
  tgsRep((r) =>
    r.seal(() => {}, {
      fast: (response) => {
        delete response.strengthenKey;
      },
    }),
  ),
);
tgsCase(
  'TGS: no PA-FX-FAST in the reply to an armored request',
  tgsRep((r) =>
    r.seal(
      (rep) => {
        delete rep.padata;
      },
      { base: r.subkey!, unarmored: true },
    ),
  ),
);
tgsCase(
  'TGS: a referral to a realm the KDC serves',
  tgsRep((r, x) => referral(r, x, OTHER)),
);
tgsCase(
  'TGS: a referral to a realm no KDC serves',
  tgsRep((r, x) => referral(r, x, 'NOWHERE.TEST')),
);
tgsCase(
  "TGS: a referral to the realm's own krbtgt",
  tgsRep((r, x) => referral(r, x, REALM)),
);
tgsCase(
  'TGS: KDC_ERR_S_PRINCIPAL_UNKNOWN in place of the TGS-REP',
  tgsRep((_r, x) => error(x, ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN)),
);
tgsCase(
  'TGS: garbage in place of the TGS-REP',
  tgsRep(() => new TextEncoder().encode('this is not a Kerberos message')),
);
tgsCase('TGS: RESPONSE_TOO_BIG over UDP, the reply over TCP', (x) =>
  x.kind === 'tgs' ? tooBigOnUdp(() => undefined)(x) : undefined,
);

// ---------------------------------------------------------------------------
// The outcomes.

/**
 * MIT's com_err codes that RFC 4120 gives no number: MIT's name, and the code
 * krbsim gives for the same fault (its client README's table; KRB_ERR_GENERIC
 * for a message that does not decode), if it has one.
 */
const MIT_CODES: Record<number, { name: string; krbsim?: string }> = {
  [-1765328237]: { name: 'KRB5_KDCREP_MODIFIED', krbsim: 'KRB_AP_ERR_MODIFIED' },
  [-1765328236]: { name: 'KRB5_KDCREP_SKEW', krbsim: 'KRB_AP_ERR_SKEW' },
  [-1765328228]: { name: 'KRB5_KDC_UNREACH', krbsim: 'KDC_ERR_SVC_UNAVAILABLE' },
  [-1765328230]: { name: 'KRB5_REALM_UNKNOWN', krbsim: 'KDC_ERR_SVC_UNAVAILABLE' },
  [-1765328234]: { name: 'KRB5_PROG_ETYPE_NOSUPP', krbsim: 'KDC_ERR_ETYPE_NOSUPP' },
  [-1765328147]: { name: 'KRB5_CONFIG_ETYPE_NOSUPP', krbsim: 'KDC_ERR_ETYPE_NOSUPP' },
  [-1765328161]: { name: 'KRB5_GET_IN_TKT_LOOP' },
  [-1765328164]: { name: 'KRB5_REALM_CANT_RESOLVE' },
  [-1765328174]: { name: 'KRB5_PREAUTH_FAILED' },
  1859794433: { name: 'ASN1_MISSING_FIELD', krbsim: 'KRB_ERR_GENERIC' },
  1859794437: { name: 'ASN1_OVERRUN', krbsim: 'KRB_ERR_GENERIC' },
  1859794438: { name: 'ASN1_BAD_ID', krbsim: 'KRB_ERR_GENERIC' },
};
const ERROR_TABLE_BASE_KRB5 = -1765328384;

/** MIT's answer when it accepts alice's TGT as the KDC made it. */
const MIT_TGT =
  /^OK alice@CDIFF\.TEST krbtgt\/CDIFF\.TEST@CDIFF\.TEST initial,pre-authent,name-canonicalize auth=0m start=0m end=480m renew=- key=18\/32$/;
/** MIT's answer when it accepts the service ticket as the KDC made it. */
const MIT_TICKET =
  /^OK alice@CDIFF\.TEST host\/svc\.cdiff\.test@CDIFF\.TEST pre-authent,transited-policy-checked,name-canonicalize auth=0m start=0m end=480m renew=- key=18\/32$/;

/**
 * Where krbsim answers otherwise: each side's answer, pinned (MIT's as a
 * pattern), and why.
 */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'AS: authtime 10 minutes in the future': {
    oracle: /^OK alice@CDIFF\.TEST krbtgt\/CDIFF\.TEST@CDIFF\.TEST \S+ auth=10m start=10m /,
    krbsim: 'KRB_AP_ERR_SKEW',
    why: "client README: the reply's start time must be within clockSkewMs; MIT with kdc_timesync (its default) records the KDC's offset instead, and refuses too without it (the cases below)",
  },
  'AS: authtime 10 minutes in the past': {
    oracle: /^OK alice@CDIFF\.TEST krbtgt\/CDIFF\.TEST@CDIFF\.TEST \S+ auth=-10m start=-10m /,
    krbsim: 'KRB_AP_ERR_SKEW',
    why: 'as above',
  },
  'AS: starttime 10 minutes in the future': {
    oracle: /^OK alice@CDIFF\.TEST krbtgt\/CDIFF\.TEST@CDIFF\.TEST \S+ auth=0m start=10m /,
    krbsim: 'KRB_AP_ERR_SKEW',
    why: 'as above (MIT with kdc_timesync takes its offset from authtime and does not look at starttime)',
  },
  'AS: PA-REQ-ENC-PA-REP that is not a Checksum': {
    oracle: /^MIT:ASN1_OVERRUN$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: "both refuse: krbsim with its code for a reply that does not match the request (checkEncPaRep), MIT with its decoder's",
  },
  'AS: PA-ETYPE-INFO2 in the reply naming another salt': {
    oracle: MIT_TGT,
    krbsim: 'KRB_AP_ERR_BAD_INTEGRITY',
    why: "RFC 4120 5.2.7.5: ETYPE-INFO2 in an AS-REP names the salt of the key that decrypts it, and krbsim derives that key (verifyAsRep's comment); MIT tries its pre-authentication key first",
  },
  'AS: session key of an enctype not offered (rc4-hmac, 23)': {
    oracle:
      /^OK alice@CDIFF\.TEST krbtgt\/CDIFF\.TEST@CDIFF\.TEST initial,pre-authent,name-canonicalize auth=0m start=0m end=480m renew=- key=23\/16$/,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: 'an rc4-hmac session key is refused unless allowWeakCrypto (RFC 8429; client README, internal/session-key.ts), as the service refuses one; MIT 1.20 still takes it. That it was not offered is checked by neither',
  },
  'AS: PREAUTH_REQUIRED whose e-data is not METHOD-DATA': {
    oracle: /^MIT:KRB5_GET_IN_TKT_LOOP$/,
    krbsim: 'KRB_ERR_GENERIC',
    why: "both refuse: krbsim with the codec's code for what does not decode; MIT sets the e-data aside and starts over until its loop limit",
  },
  'AS: PREAUTH_REQUIRED with an empty METHOD-DATA': {
    oracle: /^MIT:KRB5_PREAUTH_FAILED$/,
    krbsim: 'KDC_ERR_PREAUTH_REQUIRED',
    why: "both refuse without a second request: no method offered, so nothing to answer with (as-exchange.ts sends no timestamp a KDC did not ask for); krbsim passes the KDC's code on, MIT gives its own for a pre-authentication it could not do",
  },
  'AS: WRONG_REALM naming an empty realm, canonicalize asked for': {
    oracle: /^MIT:KRB5_REALM_CANT_RESOLVE$/,
    krbsim: 'KDC_ERR_WRONG_REALM',
    why: 'both refuse without a second request: an empty crealm refers nowhere, so krbsim throws the KDC\'s refusal as it came (as-exchange.ts); MIT 1.20 takes the referral and finds no KDC for realm ""',
  },
  'AS: PREAUTH_REQUIRED again after the timestamp': {
    oracle: /^MIT:KRB5_GET_IN_TKT_LOOP$/,
    krbsim: 'KDC_ERR_PREAUTH_REQUIRED',
    why: "both refuse: krbsim passes the KDC's code on (its message says a timestamp was sent, krb-error.ts); MIT tries again until its loop limit",
  },
  'AS: an empty reply': {
    oracle: /^MIT:KRB5_GET_IN_TKT_LOOP$/,
    krbsim: 'KRB_AP_ERR_MSG_TYPE',
    why: 'both refuse: an empty reply is neither the AS-REP nor a KRB-ERROR (context.ts); MIT takes it for no reply, starts the exchange over and stops at its loop limit',
  },
  'AS: pvno 4 in the AS-REP': {
    oracle: /^KDC_ERR_BAD_PVNO$/,
    krbsim: 'KRB_AP_ERR_BADVERSION',
    why: "both refuse: the codec's code for a pvno or tkt-vno other than 5 (@krbsim/asn1's README, RFC 4120 3.6.2)",
  },
  "AS: tkt-vno 4 in the reply's ticket": {
    oracle: /^KDC_ERR_BAD_PVNO$/,
    krbsim: 'KRB_AP_ERR_BADVERSION',
    why: 'as above',
  },
  'AS: the AS-REP followed by trailing bytes': {
    oracle: MIT_TGT,
    krbsim: 'KRB_ERR_GENERIC',
    why: "@krbsim/asn1's README: bytes after the top-level value are an error; MIT's decoder ignores them",
  },
  'TGS: a referral to a realm the KDC serves': {
    oracle: MIT_TICKET,
    krbsim:
      'OK alice@CDIFF.TEST host/svc.cdiff.test@OTHER.TEST pre-authent,transited-policy-checked,name-canonicalize auth=0m start=0m end=480m renew=- key=18/32',
    why: "both follow the referral to OTHER.TEST; MIT names the credential by the principal asked for (its ccache's key), krbsim by the ticket's server (credential.ts)",
  },
  "TGS: endtime after the TGT's": {
    oracle: /^OK alice@CDIFF\.TEST host\/svc\.cdiff\.test@CDIFF\.TEST \S+ auth=0m start=0m end=2880m /,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: "RFC 4120 3.3.3 bounds a ticket's end by the till asked for; krbsim's client holds a TGS-REP to its till as to an AS-REP's (client README), MIT's checks only the AS-REP's",
  },
  'TGS: no PA-FX-FAST in the reply to an armored request': {
    oracle: MIT_TICKET,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: "ClientOptions.fastTgs: every KDC asked must then serve FAST, and an unarmored reply is refused; MIT's implicit TGS armor is opportunistic and takes an unarmored reply from a KDC that ignored it",
  },
};

/** An MIT com_err code as a protocol error name, or `MIT:<name>`. */
function mitCodeName(code: number, message: string): string {
  const mitOnly = MIT_CODES[code];
  if (mitOnly !== undefined) return `MIT:${mitOnly.name}`;
  const protocol = code - ERROR_TABLE_BASE_KRB5;
  if (protocol >= 0 && protocol <= 127) return errorCodeName(protocol);
  throw new Error(
    `MIT code ${code} (${message}) is not in MIT_CODES: add it, with krbsim's code for the same fault`,
  );
}

/** What krbsim answers when it agrees with MIT's `answer`. */
function expectedOfKrbsim(answer: string): string {
  if (!answer.startsWith('MIT:')) return answer;
  return Object.values(MIT_CODES).find((m) => `MIT:${m.name}` === answer)?.krbsim ?? `(none for ${answer})`;
}

const minutesFrom = (t: number, from: number) => `${Math.round((t - from) / MINUTE)}m`;

/** A credential as both sides describe it. */
function describe(
  c: {
    client: string;
    server: string;
    flags: number;
    authtime: number;
    starttime: number;
    endtime: number;
    renewTill?: number;
    keytype: number;
    keylength: number;
  },
  from: number,
): string {
  const flags = flagNames(TicketFlags, c.flags).join(',');
  const renew = c.renewTill === undefined ? '-' : minutesFrom(c.renewTill, from);
  return `OK ${c.client} ${c.server} ${flags} auth=${minutesFrom(c.authtime, from)} start=${minutesFrom(c.starttime, from)} end=${minutesFrom(c.endtime, from)} renew=${renew} key=${c.keytype}/${c.keylength}`;
}

const formatName = (n: { realm: string; name: PrincipalName }) => `${n.name.nameString.join('/')}@${n.realm}`;

function describeKrbsim(c: Credential, from: number): string {
  return describe(
    {
      client: formatName(c.client),
      server: formatName(c.server),
      flags: c.flags,
      authtime: c.authtime,
      starttime: c.starttime ?? c.authtime,
      endtime: c.endtime,
      ...(c.renewTill !== undefined && { renewTill: c.renewTill }),
      keytype: c.sessionKey.etype,
      keylength: c.sessionKey.bytes.length,
    },
    from,
  );
}

/** MIT's helper line reduced as krbsim's answer is. */
function describeMit(line: string, from: number): string {
  const ok = /^OK (\S+) (\S+) ([0-9a-f]{8}) (-?\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+) (\d+)$/.exec(line);
  if (ok !== null) {
    const [, client, server, flags, auth, start, end, renew, keytype, keylength] = ok;
    const s = (v: string) => Number(v) * 1000;
    return describe(
      {
        client: client!,
        server: server!,
        flags: Number.parseInt(flags!, 16) >>> 0,
        authtime: s(auth!),
        starttime: s(start!) || s(auth!),
        endtime: s(end!),
        ...(Number(renew) !== 0 && { renewTill: s(renew!) }),
        keytype: Number(keytype),
        keylength: Number(keylength),
      },
      from,
    );
  }
  const err = /^ERR (\w+) (-?\d+) (.*)$/.exec(line);
  if (err === null) throw new Error(`unexpected MIT helper output: ${line}`);
  return mitCodeName(Number(err[2]), err[3]!);
}

describeWithTools(
  'krbsim client against MIT krb5: the same KDC replies, the same verdicts',
  ['gcc', 'krb5-config'],
  (tools) => {
    let dir: string;
    let helper: string;
    let fake: FakeKdc;
    let krb5conf: string;
    let krb5confNoTimesync: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'krbsim-client-diff-'));
      helper = join(dir, 'client-differential-mit');
      const cc = await runTool(tools.gcc!, [
        '-o',
        helper,
        join(import.meta.dirname, 'client-differential-mit.c'),
        '-lkrb5',
      ]);
      if (cc.code !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
      // No FAST offered in the AS exchange, which neither client arms; their TGS-REQs carry implicit
      // armor all the same, which krbsim's KDC serves whatever its policy (fast-armor.ts).
      const policy = { fast: 'none' } as const;
      const main = new Realm({ name: REALM, clock: systemClock, random: systemRandom, policy });
      const other = new Realm({ name: OTHER, clock: systemClock, random: systemRandom, policy });
      for (const realm of [main, other]) {
        realm.addUser('alice', {
          keys: pwKeys(realm.name, 'alice', PASSWORDS.alice!),
          requiresPreauth: true,
        });
        realm.addUser('bob', { keys: pwKeys(realm.name, 'bob', PASSWORDS.bob!), requiresPreauth: false });
        realm.addService(SERVICE, { password: 'svc-Passw0rd' });
      }
      createTrust({ trusting: other, trusted: main, direction: 'one-way', kind: 'external' });
      fake = new FakeKdc(
        new Map([
          [REALM, new Kdc(main)],
          [OTHER, new Kdc(other)],
        ]),
        new Map([
          [REALM, main],
          [OTHER, other],
        ]),
      );
      await fake.start();
      const profile = (timesync: boolean) =>
        [
          '[libdefaults]',
          `  default_realm = ${REALM}`,
          '  dns_lookup_kdc = false',
          '  dns_lookup_realm = false',
          '  rdns = false',
          '  ticket_lifetime = 8h',
          '  default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96',
          '  default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96',
          '  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96',
          ...(timesync ? [] : ['  kdc_timesync = 0']),
          '[realms]',
          ...[REALM, OTHER].flatMap((r) => [`  ${r} = {`, `    kdc = 127.0.0.1:${fake.port}`, '  }']),
          '',
        ].join('\n');
      krb5conf = join(dir, 'krb5.conf');
      krb5confNoTimesync = join(dir, 'krb5-no-timesync.conf');
      await writeFile(krb5conf, profile(true));
      await writeFile(krb5confNoTimesync, profile(false));
    }, 60_000);
    afterAll(async () => {
      await fake?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    let runs = 0;
    /** MIT's answer to the case, and its KRB5_TRACE. */
    async function mitAnswer(c: Case, from: number): Promise<{ answer: string; trace: string }> {
      fake.reset(c.script);
      const trace = join(dir, `trace-${++runs}.log`);
      const args = [c.exchange, c.user, PASSWORDS[c.user]!, c.options];
      if (c.exchange === 'tgs') args.push(`${SERVICE}@${REALM}`);
      const r = await runTool(helper, args, {
        env: {
          KRB5_CONFIG: c.noTimesync ? krb5confNoTimesync : krb5conf,
          KRB5_TRACE: trace,
          KRB5CCNAME: `FILE:${join(dir, 'no-ccache')}`,
        },
      });
      const text = await readFile(trace, 'utf8').catch(() => '');
      const line = r.stdout.trim();
      return {
        answer: describeMit(line, from),
        trace: `${line}\n${r.stderr}\n${text}\n${fake.log.join('\n')}`,
      };
    }

    /** krbsim's answer to the case. */
    async function krbsimAnswer(c: Case, from: number): Promise<{ answer: string; log: string }> {
      fake.reset(c.script);
      const address = [{ host: '127.0.0.1', port: fake.port }];
      const client = new KerberosClient({
        realm: REALM,
        transport: new UdpTcpTransport({ kdcs: { [REALM]: address, [OTHER]: address }, timeoutMs: 5000 }),
        clock: systemClock,
        random: systemRandom,
        encTypes: ENCTYPES,
        // As MIT's client, which arms every TGS-REQ it sends (RFC 6113 section 5.4.1.1).
        fastTgs: true,
      });
      try {
        let cred = await client.getInitialCredentials(
          c.user,
          { password: PASSWORDS[c.user]! },
          {
            lifetimeMs: LIFETIME,
            forwardable: c.options.includes('f'),
            renewable: c.options.includes('r'),
            ...(c.options.includes('C') && { canonicalize: true }),
          },
        );
        if (c.exchange === 'tgs') cred = await client.getServiceTicket(SERVICE);
        return { answer: describeKrbsim(cred, from), log: fake.log.join('\n') };
      } catch (e) {
        if (!isKerberosError(e)) throw e;
        return { answer: e.codeName, log: `${e.message}\n${fake.log.join('\n')}` };
      }
    }

    knownDifferencesTest(cases, KNOWN_DIFFERENCES);

    for (const c of cases) {
      it(c.label, async () => {
        const from = wholeSecondsNow();
        const mit = await mitAnswer(c, from);
        expect(fake.failures, 'the case script failed for MIT').toEqual([]);
        const krbsim = await krbsimAnswer(c, from);
        expect(fake.failures, 'the case script failed for krbsim').toEqual([]);
        const known = KNOWN_DIFFERENCES[c.label];
        if (known === undefined) {
          expect(krbsim.answer, `${krbsim.log}\n--- MIT\n${mit.trace}`).toBe(expectedOfKrbsim(mit.answer));
        } else {
          expect(mit.answer, mit.trace).toMatch(known.oracle);
          expect(krbsim.answer, krbsim.log).toBe(known.krbsim);
        }
      });
    }
  },
);
