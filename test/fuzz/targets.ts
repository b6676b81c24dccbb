/**
 * The in-process fuzz targets: the DER decoders, `Kdc.handle` (AS and TGS
 * requests damaged on the wire, and TGS-REQs built around a valid TGT whose
 * authenticator, body or ticket is damaged and then re-encrypted or
 * re-checksummed, so the damage reaches the checks behind the crypto), the
 * managed instance's AP-REQ acceptance (@krbsim/service, the same three
 * ways), the MS-KKDCP proxy path, PACs (MS-PAC) damaged as bytes, and the
 * password-change service (kpasswd, RFC 3244).
 * Every target has the same shape: an
 * input stream and a `run` that feeds one input, checks the invariants
 * (checks.ts) and returns an outcome label for the tallies.
 */

import { readFileSync } from 'node:fs';
import {
  Asn1Error,
  decodeApRep,
  decodeAsReq,
  decodeDerTree,
  decodeEncTicketPart,
  decodeKdcProxyMessage,
  decodeKpasswdMessage,
  decodeKpasswdResult,
  decodeKrbError,
  decodeKrbPriv,
  decodeMessage,
  decodeNegotiationToken,
  decodeTgsReq,
  type EncTicketPart,
  encodeApReq,
  encodeAsReq,
  encodeAuthenticator,
  encodeEncryptedData,
  encodeEncTicketPart,
  encodeKdcProxyMessage,
  encodeKdcReqBody,
  encodeKpasswdMessage,
  encodeKrbFastReq,
  encodeMessage,
  encodePaData,
  encodePaEncTsEnc,
  encodePaFxFastRequest,
  encodeTgsReq,
  PaDataType,
  type Ticket,
  unwrapGssToken,
} from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { cf2, checksum, checksumTypeFor, decrypt, encrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { Kdc, KpasswdService, Realm } from '@krbsim/kdc';
import { decodePac, encodePac, findPac, parsePac, signTicketPac, verifyPac } from '@krbsim/pac';
import { frameTcp, InProcessTransport, KdcProxy, unframeKerbMessage } from '@krbsim/transport';
import { checkKdcReply, expectKerberosError, InvariantError } from './checks';
import { InputStream, smallInt, tlv } from './inputs';
import { AZURE, CONTOSO, type FuzzLab, type Session } from './lab';

/** A fuzz target: where its inputs come from and how one is fed. */
export interface Target {
  readonly name: string;
  /** Its share of the run's time, relative to the other targets'. */
  readonly weight: number;
  readonly inputs: InputStream;
  /** Feed one input; returns an outcome label; throws on a crash or a broken invariant. */
  run(input: Uint8Array): string | Promise<string>;
  /** The message the last input was built into, when the target builds one (saved with a failure). */
  lastBuilt?: Uint8Array;
  /** Checks after the target's time is up (a server's state, say); throws on a broken invariant. */
  finish?(): Promise<void>;
  /** A line for the report, set by `finish` (a server's counters). */
  summary?: string;
}

const AS_REQ = 0x6a;
const TGS_REQ = 0x6c;

/** Real messages captured from MIT krb5 1.20 and Heimdal 7.8 (test/fixtures), as seeds. */
function fixtureMessages(kinds: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of ['mit', 'heimdal']) {
    const path = new URL(`../fixtures/${dir}/messages.json`, import.meta.url);
    const list = JSON.parse(readFileSync(path, 'utf8')) as { kind: string; hex: string }[];
    for (const m of list) if (kinds.includes(m.kind)) out.push(Uint8Array.from(Buffer.from(m.hex, 'hex')));
  }
  return out;
}

/** A KDC's answer to one input, with the invariants: no throw, no bug reported, a well-formed reply. */
function feedKdc(lab: FuzzLab, kdc: Kdc, bytes: Uint8Array): string {
  let reply: Uint8Array;
  try {
    reply = kdc.handle(bytes);
  } catch (e) {
    throw new Error(`Kdc.handle threw: ${(e as Error).stack ?? e}`, { cause: e });
  }
  const bugs = lab.takeBugs();
  if (bugs.length > 0) {
    const e = bugs[0] as Error;
    throw new Error(`the KDC reported an internal error (KRB_ERR_GENERIC to the client): ${e?.stack ?? e}`, {
      cause: e,
    });
  }
  return checkKdcReply(bytes, reply);
}

/** The decoders: each returns or throws a codec error; a decoded message re-encodes. */
function derTarget(seed: string, lab: FuzzLab): Target {
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ['decodeDerTree', decodeDerTree],
    ['decodeKdcProxyMessage', decodeKdcProxyMessage],
    ['decodeNegotiationToken', decodeNegotiationToken],
    ['unwrapGssToken', unwrapGssToken],
    ['decodeEncTicketPart', decodeEncTicketPart],
  ];
  const bases = [
    ...lab.exchanges.flatMap((e) => [e.request, e.reply]),
    ...lab.apReqs,
    ...fixtureMessages([
      'AS-REQ',
      'AS-REP',
      'TGS-REQ',
      'TGS-REP',
      'AP-REQ',
      'AP-REP',
      'KRB-ERROR',
      'KRB-CRED',
    ]),
    ...fixtureMessages(['GSS-INIT-TOKEN', 'GSS-ACCEPT-TOKEN']),
    encodeKdcProxyMessage({ kerbMessage: frameTcp(lab.asReqPreauth), targetDomain: CONTOSO }),
  ];
  return {
    name: 'der',
    weight: 2,
    inputs: new InputStream(seed, 'der', bases),
    run(bytes) {
      let decoded = 0;
      try {
        const msg = decodeMessage(bytes);
        decoded++;
        try {
          encodeMessage(msg);
        } catch (e) {
          throw new InvariantError(`decodeMessage accepted a ${msg.type} that does not re-encode: ${e}`);
        }
      } catch (e) {
        if (e instanceof InvariantError) throw e;
        codecError(e, 'decodeMessage');
      }
      for (const [name, decode] of decoders) {
        try {
          decode(bytes);
          decoded++;
        } catch (e) {
          codecError(e, name);
        }
      }
      return decoded === 0 ? 'rejected' : 'decoded';
    },
  };
}

/** A codec failure must be an Asn1Error from the codec's own checks, not something that escaped from below. */
function codecError(e: unknown, where: string): void {
  expectKerberosError(e, where);
  if (e instanceof Asn1Error && e.reason.startsWith('internal codec failure'))
    throw new Error(`${where}: ${e.message} (a non-codec error escaped)`, { cause: e });
}

/** Requests damaged on the wire, to each realm's KDC in turn. */
function kdcWireTarget(seed: string, lab: FuzzLab, tag: number): Target {
  const name = tag === AS_REQ ? 'kdc-as' : 'kdc-tgs';
  const bases = [
    ...lab.exchanges.filter((e) => e.request[0] === tag).map((e) => e.request),
    ...fixtureMessages([tag === AS_REQ ? 'AS-REQ' : 'TGS-REQ']),
  ];
  const kdcs = [...lab.kdcs.values()];
  let n = 0;
  return {
    name,
    weight: 1.5,
    inputs: new InputStream(seed, name, bases, [AS_REQ, TGS_REQ]),
    run: (bytes) => feedKdc(lab, kdcs[n++ % kdcs.length]!, bytes),
  };
}

/** An AP-REQ DER around `ticket` with `authenticator` (already encrypted). */
function apReq(ticket: Ticket, etype: number, authenticatorCipher: Uint8Array): Uint8Array {
  return encodeApReq({
    pvno: 5,
    msgType: 14,
    apOptions: 0,
    ticket,
    authenticator: { etype, cipher: authenticatorCipher },
  });
}

/** A TGS-REQ assembled from its DER parts, so that a damaged body goes out exactly as damaged. */
function tgsReq(apReqDer: Uint8Array, bodyDer: Uint8Array): Uint8Array {
  const padata = encodePaData({ padataType: PaDataType.PA_TGS_REQ, padataValue: apReqDer });
  return tlv(
    TGS_REQ,
    tlv(
      0x30,
      tlv(0xa1, smallInt(5)),
      tlv(0xa2, smallInt(12)),
      tlv(0xa3, tlv(0x30, padata)),
      tlv(0xa4, bodyDer),
    ),
  );
}

/** A valid authenticator for `s` at the lab's time, checksumming `bodyDer` when given (TGS). */
function authenticator(lab: FuzzLab, s: Session, bodyDer?: Uint8Array): Uint8Array {
  const now = lab.clock.now();
  const sk = s.cred.sessionKey;
  return encodeAuthenticator({
    authenticatorVno: 5,
    crealm: s.cred.client.realm,
    cname: s.cred.client.name,
    ...(bodyDer && {
      cksum: {
        cksumtype: checksumTypeFor(sk.etype),
        checksum: checksum(sk, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer),
      },
    }),
    cusec: 0,
    ctime: Math.floor(now / 1000) * 1000,
  });
}

/** `s`'s ticket with its enc-part replaced by `plain` encrypted in the ticket's key. */
function reTicket(s: Session, plain: Uint8Array, random: SeededRandom): Ticket {
  const t = s.cred.ticket;
  const cipher = encrypt(s.ticketKey, KeyUsage.KDC_REP_TICKET, plain, { random });
  return { ...t, encPart: { ...t.encPart, cipher } };
}

/**
 * TGS-REQs around alice's valid TGT with one part damaged behind the crypto:
 * the authenticator (re-encrypted in the session key), the body (with a
 * fresh checksum over the damaged bytes), or the ticket's EncTicketPart
 * (re-encrypted in the krbtgt key: the PAC inside included).
 */
function tgsDeepTargets(seed: string, lab: FuzzLab): Target[] {
  const random = new SeededRandom(`${seed}:tgs-deep`);
  const tgt = lab.tgt;
  const sk = tgt.cred.sessionKey;
  const referral = lab.exchanges.find((e) => e.realm === CONTOSO && e.request[0] === TGS_REQ)!;
  const body = encodeKdcReqBody(decodeTgsReq(referral.request).reqBody);
  const kdc = lab.kdcs.get(CONTOSO)!;
  const encAuth = (plain: Uint8Array) => encrypt(sk, KeyUsage.TGS_REQ_AUTH, plain, { random });
  const send = (t: Target, bytes: Uint8Array) => {
    t.lastBuilt = bytes;
    return feedKdc(lab, kdc, bytes);
  };
  const ticketPlain = decrypt(tgt.ticketKey, KeyUsage.KDC_REP_TICKET, tgt.cred.ticket.encPart.cipher);
  const authenticatorTarget: Target = {
    name: 'tgs-authenticator',
    weight: 1,
    inputs: new InputStream(seed, 'tgs-authenticator', [authenticator(lab, tgt, body)]),
    run: (plain) => send(authenticatorTarget, tgsReq(apReq(tgt.cred.ticket, sk.etype, encAuth(plain)), body)),
  };
  const bodyTarget: Target = {
    name: 'tgs-body',
    weight: 1,
    inputs: new InputStream(seed, 'tgs-body', [body]),
    run: (damaged) =>
      send(
        bodyTarget,
        tgsReq(apReq(tgt.cred.ticket, sk.etype, encAuth(authenticator(lab, tgt, damaged))), damaged),
      ),
  };
  const ticketTarget: Target = {
    name: 'tgs-ticket',
    weight: 1,
    inputs: new InputStream(seed, 'tgs-ticket', [ticketPlain]),
    run: (plain) =>
      send(
        ticketTarget,
        tgsReq(apReq(reTicket(tgt, plain, random), sk.etype, encAuth(authenticator(lab, tgt, body))), body),
      ),
  };
  return [authenticatorTarget, bodyTarget, ticketTarget];
}

/**
 * FAST (RFC 6113) in TGS-REQs at CONTOSO.COM: alice's TGT and an
 * authenticator subkey give the implicit armor key (section 5.4.1.1); the
 * damaged KrbFastReq is encrypted in it beside a valid req-checksum, so the
 * damage reaches the KDC's reading of the armored request (fast-options, the
 * inner padata, the inner req-body) behind the armor.
 */
function fastTarget(seed: string, lab: FuzzLab): Target {
  const random = new SeededRandom(`${seed}:fast`);
  const tgt = lab.tgt;
  const sk = tgt.cred.sessionKey;
  const subkey = generateKey(sk.etype, { random });
  const armorKey = cf2(subkey, sk, 'subkeyarmor', 'ticketarmor');
  const referral = lab.exchanges.find((e) => e.realm === CONTOSO && e.request[0] === TGS_REQ)!;
  const reqBody = decodeTgsReq(referral.request).reqBody;
  const bodyDer = encodeKdcReqBody(reqBody);
  const kdc = lab.kdcs.get(CONTOSO)!;
  const krbFastReq = encodeKrbFastReq({ fastOptions: 0, padata: [], reqBody: bodyDer });
  const t: Target = {
    name: 'fast',
    weight: 1,
    inputs: new InputStream(seed, 'fast', [krbFastReq], [0x30]),
    run(damaged) {
      const auth = encodeAuthenticator({
        authenticatorVno: 5,
        crealm: tgt.cred.client.realm,
        cname: tgt.cred.client.name,
        cksum: {
          cksumtype: checksumTypeFor(sk.etype),
          checksum: checksum(sk, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer),
        },
        cusec: 0,
        ctime: Math.floor(lab.clock.now() / 1000) * 1000,
        subkey: { keytype: subkey.etype, keyvalue: subkey.bytes },
      });
      const apReqDer = apReq(tgt.cred.ticket, sk.etype, encrypt(sk, KeyUsage.TGS_REQ_AUTH, auth, { random }));
      const armoredData = {
        reqChecksum: {
          cksumtype: checksumTypeFor(armorKey.etype),
          checksum: checksum(armorKey, KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM, apReqDer),
        },
        encFastReq: {
          etype: armorKey.etype,
          cipher: encrypt(armorKey, KeyUsage.KEY_USAGE_FAST_ENC, damaged, { random }),
        },
      };
      t.lastBuilt = encodeTgsReq({
        pvno: 5,
        msgType: 12,
        padata: [
          { padataType: PaDataType.PA_TGS_REQ, padataValue: apReqDer },
          { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData }) },
        ],
        reqBody,
      });
      return feedKdc(lab, kdc, t.lastBuilt);
    },
  };
  return t;
}

/** AS-REQs of alice whose PA-ENC-TIMESTAMP plaintext is damaged, then encrypted in her key. */
function asTimestampTarget(seed: string, lab: FuzzLab): Target {
  const random = new SeededRandom(`${seed}:as-timestamp`);
  const req = decodeAsReq(lab.asReqPreauth);
  const ts = req.padata?.find((p) => p.padataType === PaDataType.PA_ENC_TIMESTAMP);
  if (ts === undefined) throw new Error('fuzz lab: the preauthenticated AS-REQ has no PA-ENC-TIMESTAMP');
  const key = lab.aliceKeys.find((k) => k.etype === 18) ?? lab.aliceKeys[0]!;
  const kdc = lab.kdcs.get(CONTOSO)!;
  const now = lab.clock.now();
  const plain = encodePaEncTsEnc({ patimestamp: Math.floor(now / 1000) * 1000, pausec: 0 });
  const t: Target = {
    name: 'as-timestamp',
    weight: 0.5,
    inputs: new InputStream(seed, 'as-timestamp', [plain]),
    run(damaged) {
      const cipher = encrypt(key, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, damaged, { random });
      const padata = (req.padata ?? []).map((p) =>
        p === ts ? { ...p, padataValue: encodeEncryptedData({ etype: key.etype, cipher }) } : p,
      );
      t.lastBuilt = encodeAsReq({ ...req, padata });
      return feedKdc(lab, kdc, t.lastBuilt);
    },
  };
  return t;
}

/** The acceptor: returns, or refuses with a KerberosError. */
function accept(lab: FuzzLab, token: Uint8Array): string {
  try {
    lab.service.accept(token);
    return 'accepted';
  } catch (e) {
    return expectKerberosError(e, 'KerberosService.accept');
  }
}

/** The managed instance's acceptance: AP-REQs damaged on the wire, in the authenticator, in the ticket. */
function serviceTargets(seed: string, lab: FuzzLab): Target[] {
  const random = new SeededRandom(`${seed}:service`);
  const s = lab.sqlTicket;
  const sk = s.cred.sessionKey;
  const encAuth = (plain: Uint8Array) => encrypt(sk, KeyUsage.AP_REQ_AUTH, plain, { random });
  const ticketPlain = decrypt(s.ticketKey, KeyUsage.KDC_REP_TICKET, s.cred.ticket.encPart.cipher);
  const wire: Target = {
    name: 'service',
    weight: 1,
    inputs: new InputStream(seed, 'service', lab.apReqs, [0x6e, 0x60, 0xa0]),
    run: (token) => accept(lab, token),
  };
  const auth: Target = {
    name: 'service-authenticator',
    weight: 0.75,
    inputs: new InputStream(seed, 'service-authenticator', [authenticator(lab, s)]),
    run(plain) {
      auth.lastBuilt = apReq(s.cred.ticket, sk.etype, encAuth(plain));
      return accept(lab, auth.lastBuilt);
    },
  };
  const ticket: Target = {
    name: 'service-ticket',
    weight: 1,
    inputs: new InputStream(seed, 'service-ticket', [ticketPlain]),
    run(plain) {
      ticket.lastBuilt = apReq(reTicket(s, plain, random), sk.etype, encAuth(authenticator(lab, s)));
      return accept(lab, ticket.lastBuilt);
    },
  };
  return [wire, auth, ticket];
}

/**
 * GSS-API per-message tokens (RFC 4121 section 4.2) at the managed
 * instance: a context set up with mutual authentication (the acceptor's
 * subkey), then the initiator's Wrap tokens (sealed and integrity-only) and
 * MIC token, damaged, each fed to the acceptor's `unwrap` and `verifyMic`.
 * Invariants: nothing but a KerberosError, and no damaged token unwraps or
 * verifies for a message the initiator did not send (a forgery).
 */
function gssTarget(seed: string, lab: FuzzLab): Target {
  const random = new SeededRandom(`${seed}:gss`);
  const client = new KerberosClient({
    realm: CONTOSO,
    transport: new InProcessTransport(),
    clock: lab.clock,
    random,
  });
  const built = client.buildApReq(lab.sqlTicket.cred, { gss: 'krb5', mutual: true });
  const accepted = lab.service.accept(built.token);
  const initiator = client.verifyApRep(built.context, accepted.responseToken!).securityContext;
  const acceptor = accepted.securityContext;
  if (initiator === undefined || acceptor === undefined)
    throw new Error('fuzz lab: no GSS context at both ends');
  const message = new TextEncoder().encode('SELECT SUSER_SNAME()');
  const same = (a: Uint8Array) => a.length === message.length && a.every((x, i) => x === message[i]);
  const bases = [
    initiator.wrap(message),
    initiator.wrap(message, { conf: false }),
    initiator.getMic(message),
  ];
  return {
    name: 'gss',
    weight: 0.75,
    inputs: new InputStream(seed, 'gss', bases, [0x04, 0x05]),
    run(token) {
      const out: string[] = [];
      try {
        const r = acceptor.unwrap(token);
        if (!same(r.message))
          throw new InvariantError('a damaged Wrap token unwrapped to a message never wrapped');
        out.push('unwrapped');
      } catch (e) {
        if (e instanceof InvariantError) throw e;
        out.push(`unwrap ${expectKerberosError(e, 'unwrap')}`);
      }
      const other = Uint8Array.from(message, (x, i) => (i === 0 ? x ^ 1 : x));
      for (const [m, label] of [
        [message, 'mic'],
        [other, 'mic of another message'],
      ] as const) {
        try {
          acceptor.verifyMic(m, token);
          if (m === other) throw new InvariantError('a MIC token verified for a message it was not made for');
          out.push(`${label} verified`);
        } catch (e) {
          if (e instanceof InvariantError) throw e;
          out.push(`${label} ${expectKerberosError(e, 'verifyMic')}`);
        }
      }
      return out.join(', ');
    },
  };
}

/** MS-KKDCP: KDC-PROXY-MESSAGEs to a proxy in front of the realms' KDCs. */
function kkdcpTarget(seed: string, lab: FuzzLab): Target {
  const proxy = new KdcProxy((realm) => lab.route(realm));
  const bases = lab.exchanges
    .filter((e) => e.realm === CONTOSO || e.realm === AZURE)
    .map((e) => encodeKdcProxyMessage({ kerbMessage: frameTcp(e.request), targetDomain: e.realm }));
  return {
    name: 'kkdcp',
    weight: 1,
    inputs: new InputStream(seed, 'kkdcp', bases, [0x30]),
    async run(body) {
      let out: Uint8Array;
      try {
        out = await proxy.handle(body);
      } catch (e) {
        const bugs = lab.takeBugs();
        if (bugs.length > 0)
          throw new Error(`the KDC reported an internal error: ${bugs[0]}`, { cause: bugs[0] });
        return expectKerberosError(e, 'KdcProxy.handle');
      }
      const bugs = lab.takeBugs();
      if (bugs.length > 0)
        throw new Error(`the KDC reported an internal error: ${bugs[0]}`, { cause: bugs[0] });
      const request = unframeKerbMessage(decodeKdcProxyMessage(body).kerbMessage);
      return checkKdcReply(request, unframeKerbMessage(decodeKdcProxyMessage(out).kerbMessage));
    },
  };
}

/**
 * PACs (MS-PAC) damaged as bytes. `pac`: decoded whole (every buffer
 * krbsim knows, strictly), parsed (header and directory only) and verified
 * with the keys that signed the original. Invariants: nothing but a
 * KerberosError out of them, a decoded PAC encodes again, and no PAC other
 * than the original verifies (a damaged PAC whose signatures still check is
 * a forgery). `pac-signed`: below.
 */
function pacTargets(seed: string, lab: FuzzLab): Target[] {
  const s = lab.sqlTicket;
  const part = decodeEncTicketPart(
    decrypt(s.ticketKey, KeyUsage.KDC_REP_TICKET, s.cred.ticket.encPart.cipher),
  );
  const original = findPac(part.authorizationData)?.pac;
  if (original === undefined) throw new Error("fuzz lab: the managed instance's ticket carries no PAC");
  const kdcKey = lab.realms
    .get(AZURE)!
    .keysFor(`krbtgt/${AZURE}`)
    .find((k) => {
      try {
        verifyPac(original, { kdcKey: k });
        return true;
      } catch {
        return false;
      }
    });
  if (kdcKey === undefined)
    throw new Error('fuzz lab: no krbtgt key of KERBEROS.MICROSOFTONLINE.COM verifies its PAC');
  const keys = { serverKey: s.ticketKey, kdcKey };
  const same = (a: Uint8Array) => a.length === original.length && a.every((x, i) => x === original[i]);
  const random = new SeededRandom(`${seed}:pac-signed`);
  const sk = s.cred.sessionKey;
  const server = s.cred.ticket.sname;
  /**
   * The same damage, signed again as the KDC would sign it (when the header
   * and directory still parse) and carried to the managed instance in its
   * ticket: the damage gets past the signatures, to the acceptor's reading of
   * the PAC (logon information, UPN and DNS information, client information,
   * the checks against the ticket) and the instance's use of it.
   */
  const signed: Target = {
    name: 'pac-signed',
    weight: 1,
    inputs: new InputStream(seed, 'pac-signed', [original]),
    run(bytes) {
      let pac: ReturnType<typeof parsePac>;
      try {
        pac = parsePac(bytes);
      } catch (e) {
        return `unparsed ${expectKerberosError(e, 'parsePac')}`;
      }
      let encTicketPart: EncTicketPart;
      try {
        encTicketPart = signTicketPac(part, pac, keys, { server }).encTicketPart;
      } catch (e) {
        return `unsigned ${expectKerberosError(e, 'signTicketPac')}`;
      }
      signed.lastBuilt = apReq(
        reTicket(s, encodeEncTicketPart(encTicketPart), random),
        sk.etype,
        encrypt(sk, KeyUsage.AP_REQ_AUTH, authenticator(lab, s), { random }),
      );
      try {
        lab.service.accept(signed.lastBuilt);
        return 'accepted';
      } catch (e) {
        return expectKerberosError(e, 'KerberosService.accept');
      }
    },
  };
  const raw: Target = {
    name: 'pac',
    weight: 1,
    inputs: new InputStream(seed, 'pac', [original]),
    run(bytes) {
      let decoded = false;
      try {
        const pac = decodePac(bytes);
        decoded = true;
        try {
          encodePac(pac);
        } catch (e) {
          throw new InvariantError(`decodePac accepted a PAC that does not encode again: ${e}`);
        }
      } catch (e) {
        if (e instanceof InvariantError) throw e;
        expectKerberosError(e, 'decodePac');
      }
      try {
        parsePac(bytes);
      } catch (e) {
        expectKerberosError(e, 'parsePac');
      }
      try {
        verifyPac(bytes, keys);
      } catch (e) {
        expectKerberosError(e, 'verifyPac');
        return decoded ? 'decoded, refused' : 'refused';
      }
      if (!same(bytes))
        throw new InvariantError('a damaged PAC verified with the keys that signed the original');
      return 'verified';
    },
  };
  return [raw, signed];
}

/**
 * The password-change service (RFC 3244): kpasswd requests damaged as bytes,
 * from real ones the client makes (its own realm, so a change here leaves
 * the lab's users alone): alice's change of her own, and an administrator's
 * set password naming her. Invariants: `handle` never throws, and its answer
 * is a kpasswd reply: a header that holds, then an AP-REP and a KRB-PRIV, or
 * no AP-REP and a KRB-ERROR whose e-data holds a result.
 */
function kpasswdTarget(seed: string): Target {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({ name: 'KPASSWD.TEST', clock, random: new SeededRandom(`${seed}:kpasswd`) });
  realm.addPasswordChangeService();
  realm.addUser('alice', { password: 'Fuzz-Passw0rd' });
  // An administrator, whose set password naming alice reaches the reset path.
  realm.addUser('carl', { password: 'Fuzz-Adm1n-Passw0rd' });
  realm.directory.addMember('Domain Admins', 'carl');
  const kdc = new Kdc(realm);
  // No replay cache: the same authenticator again reaches the checks behind it.
  const service = new KpasswdService(realm, { replayCache: false });
  const inputs = new InputStream(seed, 'kpasswd', [
    encodeKpasswdMessage({ version: 1, ap: Uint8Array.of(0x6e, 0x00), rest: Uint8Array.of(0x75, 0x00) }),
  ]);
  let real: Promise<void> | undefined;
  const capture = async (): Promise<void> => {
    let request: Uint8Array | undefined;
    const transport = new InProcessTransport().register(realm.name, (r) => kdc.handle(r));
    const kpasswd = new InProcessTransport().register(realm.name, (r) => {
      request = r;
      return service.handle(r);
    });
    const client = new KerberosClient({
      realm: realm.name,
      transport,
      clock,
      random: new SeededRandom(seed),
    });
    await client.changePassword('alice', 'Fuzz-Passw0rd', 'Fuzz-Passw0rd', { transport: kpasswd });
    inputs.addBase(request!);
    await client.changePassword('carl', 'Fuzz-Adm1n-Passw0rd', 'Fuzz-Passw0rd', {
      transport: kpasswd,
      target: `alice@${realm.name}`,
    });
    inputs.addBase(request!);
  };
  return {
    name: 'kpasswd',
    weight: 0.5,
    inputs,
    async run(bytes) {
      real ??= capture();
      await real;
      let reply: Uint8Array;
      try {
        reply = service.handle(bytes);
      } catch (e) {
        throw new Error(`KpasswdService.handle threw: ${(e as Error).stack ?? e}`, { cause: e });
      }
      const m = decodeKpasswdMessage(reply);
      if (m.ap.length > 0) {
        decodeApRep(m.ap);
        decodeKrbPriv(m.rest);
        return 'AP-REP and KRB-PRIV';
      }
      const err = decodeKrbError(m.rest);
      const result = decodeKpasswdResult(err.eData ?? new Uint8Array(0));
      return `KRB-ERROR, result ${result.code}`;
    },
  };
}

/** Every in-process target. */
export function inProcessTargets(seed: string, lab: FuzzLab): Target[] {
  return [
    derTarget(seed, lab),
    kdcWireTarget(seed, lab, AS_REQ),
    kdcWireTarget(seed, lab, TGS_REQ),
    ...tgsDeepTargets(seed, lab),
    asTimestampTarget(seed, lab),
    fastTarget(seed, lab),
    ...serviceTargets(seed, lab),
    kkdcpTarget(seed, lab),
    gssTarget(seed, lab),
    ...pacTargets(seed, lab),
    kpasswdTarget(seed),
  ];
}
