/**
 * A deliberately small, scriptable KDC for client tests: enough of RFC 4120
 * sections 3.1 and 3.3 to issue real tickets, plus knobs a real KDC would
 * never turn (always refer, refer in a circle, answer WRONG_REALM). Each
 * realm routes a requested server to "local", a referral realm, or
 * "unknown". Cross-realm TGTs `krbtgt/B@A` are encrypted in a key both
 * realms share.
 */

import {
  type AsReq,
  decodeApReq,
  decodeAsReq,
  decodeAuthenticator,
  decodeEncryptedData,
  decodeEncTicketPart,
  decodePaEncTsEnc,
  decodeTgsReq,
  ENC_PA_REP,
  type EncKdcRepPart,
  type EncTicketPart,
  encodeAsRep,
  encodeChecksum,
  encodeEncKdcRepPart,
  encodeEncTicketPart,
  encodeEtypeInfo2,
  encodeKrbError,
  encodeMethodData,
  encodeTgsRep,
  KdcOptions,
  krbError,
  NameType,
  PaDataType,
  type PrincipalName,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { type Clock, Duration, ErrorCode, type RandomSource } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  generateKey,
  type Key,
  salt,
  stringToKey,
} from '@krbsim/crypto';

const ETYPE = 18;

/** What a realm does with a requested server name. */
export type Route = { kind: 'local' } | { kind: 'refer'; to: string } | { kind: 'unknown' };

export interface FakeUser {
  readonly password: string;
  readonly requirePreauth?: boolean;
}

export interface FakeRealmOptions {
  readonly name: string;
  readonly users?: Record<string, FakeUser>;
  /** Services by their string name (`HTTP/web.a.test`). */
  readonly services?: Record<string, string>;
  /** How to route a server that is not local. Default: unknown. */
  readonly route?: (server: PrincipalName) => Route;
  /** Enterprise names this realm knows live elsewhere: `alice@corp.test` -> realm. */
  readonly wrongRealm?: Record<string, string>;
  /** Which tag EncKDCRepPart gets in AS replies: 25 (RFC) or 26 (as MIT sends). */
  readonly asRepTag?: 25 | 26;
  readonly ticketLifetimeMs?: number;
  /** Make replies this realm sends wrong in one way, to test the client's checks. */
  readonly misbehave?: Misbehaviour;
}

/**
 * How a realm's replies go wrong: a nonce off by one, another client name,
 * another server name in the encrypted part only (`sname`) or in the ticket and
 * the encrypted part alike (`renamed`: `HTTP/renamed.test`), a broken RFC
 * 6806 section 11 PA-REQ-ENC-PA-REP, or times in the encrypted part beyond
 * what was asked for (an end a day late, a renew-till thirty days late) or
 * ten minutes ahead of the clock (`starttime-ahead`); or, asked for a
 * service, a TGT of the client's own realm (`krbtgt/A@A` from realm B's KDC:
 * `foreign-tgt`).
 */
export type Misbehaviour =
  | 'nonce'
  | 'cname'
  | 'sname'
  | 'renamed'
  | 'enc-pa-rep-missing'
  | 'enc-pa-rep-forged'
  | 'endtime-late'
  | 'renew-till-late'
  | 'starttime-ahead'
  | 'foreign-tgt';

const RENAMED = 'HTTP/renamed.test';

function name(text: string): PrincipalName {
  const parts = text.split('/');
  return { nameType: parts.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL, nameString: parts };
}

const text = (n: PrincipalName) => n.nameString.join('/');

/** A set of fake realms sharing a clock and random source. */
export class FakeKdcWorld {
  readonly requests: Array<{ realm: string; kind: 'AS' | 'TGS'; sname: string }> = [];
  readonly #realms = new Map<string, FakeRealmOptions & { keys: Map<string, Key> }>();
  readonly #clock: Clock;
  readonly #random: RandomSource;

  constructor(clock: Clock, random: RandomSource) {
    this.#clock = clock;
    this.#random = random;
  }

  /** Adds a realm; long-term keys come from passwords (default salt) or are random (krbtgt, services). */
  addRealm(opts: FakeRealmOptions): this {
    const keys = new Map<string, Key>();
    keys.set(`krbtgt/${opts.name}`, generateKey(ETYPE, { random: this.#random }));
    for (const [u, def] of Object.entries(opts.users ?? {})) {
      keys.set(u, stringToKey(ETYPE, def.password, salt(opts.name, u.split('/'))));
    }
    for (const [s, password] of Object.entries(opts.services ?? {})) {
      keys.set(s, stringToKey(ETYPE, password, salt(opts.name, s.split('/'))));
    }
    this.#realms.set(opts.name, { ...opts, keys });
    return this;
  }

  /** From now on `realm`'s replies go wrong as `how` says (undefined: they go right again). */
  setMisbehave(realm: string, how: Misbehaviour | undefined): this {
    const { misbehave: _old, ...r } = this.#realms.get(realm)!;
    this.#realms.set(realm, how === undefined ? r : { ...r, misbehave: how });
    return this;
  }

  /** Makes `krbtgt/to@from` usable: one key known to both realms. */
  link(from: string, to: string): this {
    const key = generateKey(ETYPE, { random: this.#random });
    this.#realms.get(from)!.keys.set(`krbtgt/${to}`, key);
    this.#realms.get(to)!.keys.set(`krbtgt/${to}@${from}`, key);
    return this;
  }

  /** The handler for `realm`, for an InProcessTransport or a hand-rolled one. */
  handler(realm: string): (req: Uint8Array) => Uint8Array {
    return (req) => this.#handle(realm, req);
  }

  /** A transport that routes by realm to these handlers. */
  transport(): { send(realm: string, req: Uint8Array): Promise<Uint8Array> } {
    return {
      send: async (realm, req) => {
        if (!this.#realms.has(realm)) throw new Error(`no fake realm ${realm}`);
        return this.#handle(realm, req);
      },
    };
  }

  #error(
    realm: string,
    code: number,
    sname: PrincipalName,
    extra: { eData?: Uint8Array; crealm?: string } = {},
  ) {
    return encodeKrbError(
      krbError({
        errorCode: code,
        now: this.#clock.now(),
        realm,
        sname,
        eText: `fake KDC ${realm}: error ${code}`,
        ...(extra.eData === undefined ? {} : { eData: extra.eData }),
        ...(extra.crealm === undefined ? {} : { crealm: extra.crealm }),
      }),
    );
  }

  #issue(
    realm: string,
    serverKey: Key,
    server: PrincipalName,
    client: { realm: string; name: PrincipalName },
    flags: number,
    authtime: number,
    till: number,
    renewTill?: number,
  ): { ticket: Ticket; part: EncTicketPart; key: Key } {
    const key = generateKey(ETYPE, { random: this.#random });
    const now = Math.floor(this.#clock.now() / 1000) * 1000;
    const life = this.#realms.get(realm)!.ticketLifetimeMs ?? 10 * 3_600_000;
    const part: EncTicketPart = {
      flags,
      key: { keytype: key.etype, keyvalue: key.bytes },
      crealm: client.realm,
      cname: client.name,
      transited: { trType: 1, contents: new Uint8Array(0) },
      authtime,
      starttime: now,
      endtime: Math.min(till, now + life),
      ...(renewTill === undefined ? {} : { renewTill }),
    };
    const ticket: Ticket = {
      tktVno: 5,
      realm,
      sname: this.#realms.get(realm)!.misbehave === 'renamed' ? name(RENAMED) : server,
      encPart: {
        etype: serverKey.etype,
        kvno: 1,
        cipher: encrypt(serverKey, 2, encodeEncTicketPart(part), { random: this.#random }),
      },
    };
    return { ticket, part, key };
  }

  #repPart(part: EncTicketPart, nonce: number, realm: string, sname: PrincipalName): EncKdcRepPart {
    const bad = this.#realms.get(realm)!.misbehave;
    return {
      key: part.key,
      lastReq: [],
      nonce: bad === 'nonce' ? (nonce + 1) >>> 0 : nonce,
      flags: part.flags,
      authtime: part.authtime,
      ...(bad === 'starttime-ahead'
        ? { starttime: (part.starttime ?? part.authtime) + 10 * Duration.minute }
        : part.starttime === undefined
          ? {}
          : { starttime: part.starttime }),
      endtime: part.endtime + (bad === 'endtime-late' ? Duration.day : 0),
      ...(part.renewTill === undefined
        ? {}
        : { renewTill: part.renewTill + (bad === 'renew-till-late' ? 30 * Duration.day : 0) }),
      srealm: realm,
      sname: bad === 'sname' ? name('HTTP/forged.test') : bad === 'renamed' ? name(RENAMED) : sname,
    };
  }

  /** RFC 6806 section 11, when the request asks for it (or a knob breaks it). */
  #withEncPaRep(
    r: FakeRealmOptions,
    enc: EncKdcRepPart,
    req: AsReq,
    der: Uint8Array,
    replyKey: Key,
  ): EncKdcRepPart {
    if (!req.padata?.some((p) => p.padataType === PaDataType.PA_REQ_ENC_PA_REP)) return enc;
    const flags = (enc.flags | ENC_PA_REP) >>> 0;
    if (r.misbehave === 'enc-pa-rep-missing') return { ...enc, flags };
    const signed =
      r.misbehave === 'enc-pa-rep-forged' ? Uint8Array.from(der, (b, i) => (i === 0 ? b : b ^ 1)) : der;
    const cksum = { cksumtype: checksumTypeFor(replyKey.etype), checksum: checksum(replyKey, 56, signed) };
    return {
      ...enc,
      flags,
      encryptedPaData: [{ padataType: PaDataType.PA_REQ_ENC_PA_REP, padataValue: encodeChecksum(cksum) }],
    };
  }

  #handle(realm: string, req: Uint8Array): Uint8Array {
    const r = this.#realms.get(realm)!;
    if (req[0] === 0x6a) return this.#as(r, decodeAsReq(req), req);
    const tgs = decodeTgsReq(req);
    this.requests.push({ realm, kind: 'TGS', sname: text(tgs.reqBody.sname!) });
    const pa = tgs.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
    const ap = decodeApReq(pa.padataValue);
    const issuer = ap.ticket.realm;
    const tgtKey = r.keys.get(issuer === realm ? `krbtgt/${realm}` : `krbtgt/${realm}@${issuer}`);
    const sname = tgs.reqBody.sname!;
    if (tgtKey === undefined) return this.#error(realm, ErrorCode.KDC_ERR_POLICY, sname);
    const renewing = (tgs.reqBody.kdcOptions & KdcOptions.renew) !== 0;
    const presentedKey = renewing ? r.keys.get(text(ap.ticket.sname)) : tgtKey;
    const tgt = decodeEncTicketPart(decrypt(presentedKey ?? tgtKey, 2, ap.ticket.encPart.cipher));
    const sk: Key = { etype: tgt.key.keytype, bytes: tgt.key.keyvalue };
    const auth = decodeAuthenticator(decrypt(sk, 7, ap.authenticator.cipher));
    const replyKey: Key = auth.subkey ? { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue } : sk;
    const usage = auth.subkey ? 9 : 8;
    const client = { realm: tgt.crealm, name: tgt.cname };
    let issued: { ticket: Ticket; part: EncTicketPart; key: Key };
    let replySname = sname;
    if (renewing) {
      if ((tgt.flags & TicketFlags.renewable) === 0)
        return this.#error(realm, ErrorCode.KDC_ERR_BADOPTION, sname);
      const till = tgt.renewTill!;
      issued = this.#issue(realm, presentedKey!, sname, client, tgt.flags, tgt.authtime, till, tgt.renewTill);
    } else {
      const local = r.keys.get(text(sname));
      const route: Route =
        local !== undefined ? { kind: 'local' } : (r.route?.(sname) ?? { kind: 'unknown' });
      if (route.kind === 'unknown') return this.#error(realm, ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, sname);
      const flags = (tgt.flags & (TicketFlags.forwardable | TicketFlags.renewable)) >>> 0;
      if (route.kind === 'refer') {
        const crossKey = r.keys.get(`krbtgt/${route.to}`);
        if (crossKey === undefined) return this.#error(realm, ErrorCode.KDC_ERR_PATH_NOT_ACCEPTED, sname);
        replySname = name(`krbtgt/${route.to}`);
        issued = this.#issue(
          realm,
          crossKey,
          replySname,
          client,
          flags,
          tgt.authtime,
          tgt.endtime,
          tgt.renewTill,
        );
      } else {
        issued = this.#issue(
          realm,
          local!,
          sname,
          client,
          flags,
          tgt.authtime,
          tgs.reqBody.till,
          tgt.renewTill,
        );
      }
    }
    if (r.misbehave === 'foreign-tgt' && !renewing) {
      // A ticket named for the client's own realm's TGS, which only that realm's KDC may issue.
      const forged = name(`krbtgt/${client.realm}`);
      const ticket = { ...issued.ticket, realm: client.realm, sname: forged };
      const enc = { ...this.#repPart(issued.part, tgs.reqBody.nonce, realm, forged), srealm: client.realm };
      return encodeTgsRep({
        pvno: 5,
        msgType: 13,
        crealm: client.realm,
        cname: client.name,
        ticket,
        encPart: {
          etype: replyKey.etype,
          cipher: encrypt(replyKey, usage, encodeEncKdcRepPart(enc, 26), { random: this.#random }),
        },
      });
    }
    const enc = this.#repPart(issued.part, tgs.reqBody.nonce, realm, replySname);
    return encodeTgsRep({
      pvno: 5,
      msgType: 13,
      crealm: client.realm,
      cname: r.misbehave === 'cname' ? name('mallory') : client.name,
      ticket: issued.ticket,
      encPart: {
        etype: replyKey.etype,
        cipher: encrypt(replyKey, usage, encodeEncKdcRepPart(enc, 26), { random: this.#random }),
      },
    });
  }

  #as(r: FakeRealmOptions & { keys: Map<string, Key> }, req: AsReq, der: Uint8Array): Uint8Array {
    const body = req.reqBody;
    const sname = body.sname!;
    this.requests.push({ realm: r.name, kind: 'AS', sname: text(sname) });
    const cname = body.cname!;
    if (cname.nameType === NameType.NT_ENTERPRISE) {
      const home = r.wrongRealm?.[cname.nameString[0]!];
      if (home !== undefined)
        return this.#error(r.name, ErrorCode.KDC_ERR_WRONG_REALM, sname, { crealm: home });
    }
    const user =
      cname.nameType === NameType.NT_ENTERPRISE ? cname.nameString[0]!.split('@')[0]! : text(cname);
    const def = r.users?.[user];
    const userKey = r.keys.get(user);
    if (def === undefined || userKey === undefined)
      return this.#error(r.name, ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, sname);
    const ts = req.padata?.find((p) => p.padataType === PaDataType.PA_ENC_TIMESTAMP);
    if (ts === undefined && def.requirePreauth !== false) {
      const info = encodeEtypeInfo2([{ etype: ETYPE, salt: salt(r.name, user.split('/')) }]);
      const eData = encodeMethodData([
        { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
        { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: info },
      ]);
      return this.#error(r.name, ErrorCode.KDC_ERR_PREAUTH_REQUIRED, sname, { eData });
    }
    if (ts !== undefined) {
      try {
        const ed = decodeEncryptedData(ts.padataValue);
        decodePaEncTsEnc(decrypt(userKey, 1, ed.cipher));
      } catch {
        return this.#error(r.name, ErrorCode.KDC_ERR_PREAUTH_FAILED, sname);
      }
    }
    const tgtKey = r.keys.get(text(sname)) ?? r.keys.get(`krbtgt/${r.name}`)!;
    const now = Math.floor(this.#clock.now() / 1000) * 1000;
    const renewable = (body.kdcOptions & KdcOptions.renewable) !== 0 && body.rtime !== undefined;
    const flags =
      (TicketFlags.initial |
        TicketFlags['pre-authent'] |
        ((body.kdcOptions & KdcOptions.forwardable) !== 0 ? TicketFlags.forwardable : 0) |
        (renewable ? TicketFlags.renewable : 0)) >>>
      0;
    const client = { realm: r.name, name: { nameType: NameType.NT_PRINCIPAL, nameString: user.split('/') } };
    const issued = this.#issue(
      r.name,
      tgtKey,
      sname,
      client,
      flags,
      now,
      body.till,
      renewable ? body.rtime : undefined,
    );
    const enc = this.#withEncPaRep(
      r,
      this.#repPart(issued.part, body.nonce, r.name, sname),
      req,
      der,
      userKey,
    );
    return encodeAsRep({
      pvno: 5,
      msgType: 11,
      crealm: client.realm,
      cname: r.misbehave === 'cname' ? name('mallory') : client.name,
      ticket: issued.ticket,
      encPart: {
        etype: ETYPE,
        kvno: 1,
        cipher: encrypt(userKey, 3, encodeEncKdcRepPart(enc, r.asRepTag ?? 25), { random: this.#random }),
      },
    });
  }
}
