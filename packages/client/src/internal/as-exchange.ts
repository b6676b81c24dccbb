/**
 * The Authentication Service exchange: RFC 4120 section 3.1 (AS-REQ and
 * AS-REP), with pre-authentication the way MIT's `krb5_get_init_creds` does
 * it (section 3.1.1: the first request carries no pre-authentication; on
 * KDC_ERR_PREAUTH_REQUIRED the client reads ETYPE-INFO2 from the e-data,
 * section 5.2.7.5, and sends PA-ENC-TIMESTAMP, section 5.2.7.2, or, armored
 * with FAST (RFC 6113) by a TGT, PA-ENCRYPTED-CHALLENGE, section 5.4.6), client
 * referrals for enterprise names (RFC 6806 section 7: KDC_ERR_WRONG_REALM
 * names the client's realm in `crealm`), and the reply checks of section 3.1.5.
 *
 * @module
 */

import {
  ANONYMOUS_NAME,
  ANONYMOUS_REALM,
  type AsRep,
  decodeChecksum,
  decodeEncKdcRepPart,
  decodeEncryptedData,
  decodeEtypeInfo2,
  decodeMethodData,
  decodePaEncTsEnc,
  ENC_PA_REP,
  type EncKdcRepPart,
  type EtypeInfo2Entry,
  encodeAsReq,
  encodeEncryptedData,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  encodePaPacRequest,
  encodeTicket,
  formatPrincipal,
  KdcOptions,
  type KdcReqBody,
  type KrbErrorMessage,
  krbtgtName,
  type PaData,
  PaDataType,
  type PrincipalName,
  type QualifiedName,
  sameName,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, equalBytes, isKerberosError, KerberosError, randomUInt31 } from '@krbsim/core';
import {
  clientChallengeKey,
  decrypt,
  encrypt,
  getEncType,
  type Key,
  KeyUsage,
  kdcChallengeKey,
  verifyChecksum,
} from '@krbsim/crypto';
import { type Credential, credentialFromReply } from '../credential';
import type { ReplyKeySource } from '../secret';
import { type ClientContext, kerberosTime, sendAsReq } from './context';
import {
  apRequestArmor,
  type FastArmor,
  fastPadata,
  openFastError,
  openFastReply,
  strengthenedKey,
} from './fast';
import { errorFromKrbError, replyMismatch } from './krb-error';
import { checkReplyTimes } from './reply-times';
import { checkSessionKey } from './session-key';

/** One AS exchange's parameters. */
export interface AsRequest {
  readonly client: QualifiedName;
  /** The service asked for; default `krbtgt/REALM` of whichever realm answers. */
  readonly service?: PrincipalName;
  readonly secret: ReplyKeySource;
  readonly kdcOptions: number;
  readonly lifetimeMs: number;
  readonly renewLifeMs?: number;
  readonly includePac: boolean;
  /** The client accepts a different (canonical) client or service name in the reply. */
  readonly canonicalize: boolean;
  /** A TGT of the client's realm to armor the exchange with (RFC 6113 FAST). */
  readonly armor?: Credential;
}

/** The KDC-REQ-BODY of an AS-REQ for `req`, sent to `realm` for `sname` at `now`. */
export function asReqBody(
  req: AsRequest,
  realm: string,
  sname: PrincipalName,
  now: number,
  nonce: number,
): KdcReqBody {
  return {
    kdcOptions: req.kdcOptions >>> 0,
    cname: req.client.name,
    realm,
    sname,
    till: kerberosTime(now + req.lifetimeMs),
    ...(req.renewLifeMs === undefined ? {} : { rtime: kerberosTime(now + req.renewLifeMs) }),
    nonce,
    etype: req.secret.offered,
  };
}

/** The padata every AS-REQ of `req` ends with, whatever pre-authenticates it. */
export function requestPadata(req: AsRequest): PaData[] {
  return [
    {
      padataType: PaDataType.PA_PAC_REQUEST,
      padataValue: encodePaPacRequest({ includePac: req.includePac }),
    },
    // RFC 6806 section 11: ask the KDC to prove it answers this very request (MIT and Heimdal
    // send it in every AS-REQ; a KDC that does not know it ignores it).
    { padataType: PaDataType.PA_REQ_ENC_PA_REP, padataValue: new Uint8Array(0) },
  ];
}

/** The etype, salt and parameters the KDC told us to use (ETYPE-INFO2). */
interface KeyChoice {
  readonly etype: number;
  readonly salt?: string;
  readonly s2kparams?: Uint8Array;
}

/**
 * From the KDC's ETYPE-INFO2, the first entry whose etype the client can use
 * (RFC 4120 section 5.2.7.5: the KDC lists them in its order of preference).
 *
 * @throws KerberosError KRB_ERR_GENERIC for s2kparams asking fewer PBKDF2
 *   iterations than the enctype's default: the hint comes in an
 *   unauthenticated error, and a key made so cheaply would hand whoever sent
 *   it a timestamp that is quick to guess the password from (MIT refuses
 *   such parameters too); and for s2kparams the enctype's string-to-key does
 *   not take (not 4 bytes for AES, any for rc4-hmac: MIT's
 *   KRB5_ERR_BAD_S2K_PARAMS, for which RFC 4120 has no code).
 */
function chooseEtype(
  entries: readonly EtypeInfo2Entry[],
  secret: ReplyKeySource,
  realm: string,
): KeyChoice | undefined {
  for (const e of entries) {
    if (!secret.supports(e.etype)) continue;
    // Empty s2kparams ask for the default; otherwise they have the length of the etype's own.
    const expected = getEncType(e.etype).defaultS2kParams.length;
    if (e.s2kparams !== undefined && e.s2kparams.length > 0 && e.s2kparams.length !== expected) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `the KDC for ${realm} sends ${e.s2kparams.length} bytes of s2kparams for etype ${e.etype}, whose string-to-key takes ${expected === 0 ? 'none' : `${expected}`}: bad string-to-key parameters (MIT: KRB5_ERR_BAD_S2K_PARAMS; RFC 4120 has no code for it, so KRB_ERR_GENERIC)`,
        { realm },
      );
    }
    if (e.s2kparams !== undefined && e.s2kparams.length === 4) {
      const asked = new DataView(e.s2kparams.buffer, e.s2kparams.byteOffset, 4).getUint32(0);
      const least = new DataView(getEncType(e.etype).defaultS2kParams.buffer).getUint32(0);
      if (asked !== 0 && asked < least) {
        throw new KerberosError(
          ErrorCode.KRB_ERR_GENERIC,
          `the KDC for ${realm} asks for ${asked} PBKDF2 iterations for etype ${e.etype}, fewer than its ${least}; refused, as MIT refuses weak string-to-key parameters`,
          { realm },
        );
      }
    }
    return {
      etype: e.etype,
      ...(e.salt === undefined ? {} : { salt: e.salt }),
      ...(e.s2kparams === undefined ? {} : { s2kparams: e.s2kparams }),
    };
  }
  return undefined;
}

function findPadata(padata: readonly PaData[] | undefined, type: number): PaData | undefined {
  return padata?.find((p) => p.padataType === type);
}

/** What a PREAUTH_REQUIRED error tells the client: the key to use, and a FAST cookie to echo. */
function readPreauthHints(
  err: KrbErrorMessage,
  secret: ReplyKeySource,
  realm: string,
  armored: boolean,
  who: () => string,
): { choice: KeyChoice; cookie?: PaData } {
  const methods = err.eData === undefined ? [] : decodeMethodData(err.eData);
  // RFC 4120 section 3.1.1: the KDC lists the methods it accepts in METHOD-DATA. With none (no
  // e-data, or an empty list) nothing is offered, so nothing is sent: the KDC's error is the
  // answer, as MIT's get_in_tkt returns it without e-data (an empty list, MIT 1.20 gives up on as
  // KRB5_PREAUTH_FAILED). A timestamp sent unasked would hand whoever sent the error a
  // password-guessing key.
  if (methods.length === 0) {
    throw errorFromKrbError(
      err,
      {
        doing: `getting initial credentials for ${who()}`,
        client: who(),
        why: `the KDC for ${realm} asks ${who()} for pre-authentication and offers no method (${err.eData === undefined ? 'its error carries no e-data' : 'its METHOD-DATA is empty'}), so no timestamp was sent`,
      },
      realm,
    );
  }
  const info2 = findPadata(methods, PaDataType.PA_ETYPE_INFO2);
  // A realm that requires FAST offers PA-FX-FAST alone (MS-KILE 3.3.5.1): nothing to do unarmored.
  if (info2 === undefined && methods.every((m) => m.padataType === PaDataType.PA_FX_FAST)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
      `the KDC for ${realm} requires FAST (armored requests); pass a TGT of the realm as armor ({ armor } in getInitialCredentials)`,
      { realm },
    );
  }
  // Send the password-derived method only when the KDC offers it (MIT's kinit sends nothing else):
  // a KDC that wants another method (hardware, OTP, PKINIT) gets no timestamp to guess a password from.
  const method = armored ? PaDataType.PA_ENCRYPTED_CHALLENGE : PaDataType.PA_ENC_TIMESTAMP;
  if (findPadata(methods, method) === undefined) {
    const offered = methods.map((m) => m.padataType).join(', ');
    throw new KerberosError(
      ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
      `the KDC for ${realm} offers pre-authentication types ${offered} and not ${armored ? 'the encrypted challenge (138)' : 'the encrypted timestamp (2)'}, the one this client does with a password or key`,
      { realm },
    );
  }
  // RFC 6113 section 5.2: a client copies PA-FX-COOKIE into its next request.
  const cookie = findPadata(methods, PaDataType.PA_FX_COOKIE);
  const withCookie = cookie === undefined ? {} : { cookie };
  if (info2 !== undefined) {
    const entries = decodeEtypeInfo2(info2.padataValue);
    const choice = chooseEtype(entries, secret, realm);
    if (choice === undefined) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `the KDC for ${realm} offers keys of enctypes ${entries.map((e) => e.etype).join(', ')} and this client can use ${secret.offered.join(', ')}; add one of the KDC's to encTypes`,
        { realm },
      );
    }
    return { choice, ...withCookie };
  }
  // No ETYPE-INFO2 (an old KDC): the first enctype offered, with the PA-PW-SALT
  // salt if there is one, else the default salt.
  const pwSalt = findPadata(methods, PaDataType.PA_PW_SALT);
  const salt = pwSalt === undefined ? undefined : new TextDecoder().decode(pwSalt.padataValue);
  return { choice: { etype: secret.offered[0]!, ...(salt === undefined ? {} : { salt }) }, ...withCookie };
}

/** PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6): the time under the client challenge key, usage 54. */
function buildEncryptedChallenge(ctx: ClientContext, fast: FastArmor, key: Key, offsetMs: number): PaData {
  const challengeKey = clientChallengeKey(fast.armorKey, key);
  const t = ctx.authClock.next(offsetMs);
  const plain = encodePaEncTsEnc({ patimestamp: t.ctime, pausec: t.cusec });
  const cipher = encrypt(challengeKey, KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT, plain, {
    random: ctx.random,
  });
  return {
    padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
    padataValue: encodeEncryptedData({ etype: challengeKey.etype, cipher }),
  };
}

function buildPaEncTimestamp(ctx: ClientContext, key: Key, offsetMs: number): PaData {
  const t = ctx.authClock.next(offsetMs);
  const plain = encodePaEncTsEnc({ patimestamp: t.ctime, pausec: t.cusec });
  const cipher = encrypt(key, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, plain, { random: ctx.random });
  return {
    padataType: PaDataType.PA_ENC_TIMESTAMP,
    padataValue: encodeEncryptedData({ etype: key.etype, cipher }),
  };
}

/**
 * Runs the AS exchange: AS-REQ, pre-authentication if asked, client referrals
 * if the KDC says WRONG_REALM, then checks and decrypts the AS-REP.
 */
export async function asExchange(ctx: ClientContext, req: AsRequest): Promise<Credential> {
  let realm = req.client.realm;
  const visited = [realm];
  let choice: KeyChoice | undefined;
  let cookie: PaData | undefined;
  // kdcTimeSync: the KDC's time as the last pre-authentication error gave it, less the client's (kdc-time.ts).
  let kdcOffsetMs = 0;
  // Formatted only for a log line or an error.
  const who = (): string => formatPrincipal(req.client.name, req.client.realm);
  for (;;) {
    const sname = req.service ?? krbtgtName(realm);
    const now = ctx.clock.now() + kdcOffsetMs;
    const nonce = randomUInt31(ctx.random);
    const padata: PaData[] = [];
    let preauthKey: Key | undefined;
    // A fresh armor (and subkey) per request; only the client's own realm can check its TGT.
    const fast = req.armor === undefined ? undefined : apRequestArmor(ctx, req.armor);
    if (choice !== undefined) {
      preauthKey = req.secret.keyFor(choice.etype, choice.salt, choice.s2kparams, realm, req.client.name);
      if (preauthKey === undefined)
        throw new KerberosError(ErrorCode.KDC_ERR_ETYPE_NOSUPP, 'no key for the chosen enctype', { realm });
      padata.push(
        fast === undefined
          ? buildPaEncTimestamp(ctx, preauthKey, kdcOffsetMs)
          : buildEncryptedChallenge(ctx, fast, preauthKey, kdcOffsetMs),
      );
      if (cookie !== undefined) padata.push(cookie);
    }
    padata.push(...requestPadata(req));
    const body = asReqBody(req, realm, sname, now, nonce);
    // Armored (RFC 6113 section 5.4.2): the padata travels inside; the outer body is the same.
    const bytes = encodeAsReq({
      pvno: 5,
      msgType: 10,
      padata: fast === undefined ? padata : [fastPadata(ctx, fast, { padata, body }, encodeKdcReqBody(body))],
      reqBody: body,
    });
    const method =
      choice === undefined ? '' : fast === undefined ? 'PA-ENC-TIMESTAMP' : 'PA-ENCRYPTED-CHALLENGE';
    if (ctx.logging) {
      const detail = [
        ...(fast === undefined ? [] : ['FAST']),
        ...(choice === undefined ? [] : [`${method}, etype ${choice.etype}`]),
      ];
      ctx.log(
        `AS-REQ ${formatPrincipal(req.client.name)} for ${formatPrincipal(sname, realm)} -> ${realm}${detail.length === 0 ? '' : ` (${detail.join(', ')})`}`,
      );
    }
    const answer = await sendAsReq(ctx, realm, bytes, {
      from: formatPrincipal(req.client.name, req.client.realm),
      label: `sname=${formatPrincipal(sname)}${fast === undefined ? '' : ' FAST'}${method === '' ? '' : ` ${method}`}`,
    });
    if (answer.kind === 'error') {
      const opened =
        fast === undefined
          ? { error: answer.error, armored: false }
          : openFastError(fast, answer.error, nonce, realm);
      const e = opened.error;
      if (ctx.logging)
        ctx.log(`KRB-ERROR ${e.errorCode} from ${e.realm || realm}${e.eText ? `: ${e.eText}` : ''}`);
      // Under FAST, an error that is not armored is final (RFC 6113 section 5.4.4; MIT takes it so):
      // its hints and referrals are unauthenticated, which is what the armor is there to prevent.
      const final = fast !== undefined && !opened.armored;
      if (!final && e.errorCode === ErrorCode.KDC_ERR_PREAUTH_REQUIRED && choice === undefined) {
        const hints = readPreauthHints(e, req.secret, realm, fast !== undefined, who);
        choice = hints.choice;
        cookie = hints.cookie;
        // MIT's note_req_timestamp: the error's time, for this exchange only (it is unauthenticated).
        if (ctx.kdcTime !== undefined) kdcOffsetMs = e.stime + Math.floor(e.susec / 1000) - ctx.clock.now();
        continue;
      }
      // RFC 6806 section 7: a client referral answers a request that asked to canonicalize. Followed
      // otherwise, an unauthenticated KRB-ERROR could send the password's timestamp to any realm;
      // MIT and Heimdal follow it only then, too. It names the realm in crealm: one without a
      // crealm, or with an empty one, refers nowhere and is the KDC's refusal, thrown as it came.
      // MIT's older get_in_tkt refused it so (KRB5KDC_ERR_WRONG_REALM); 1.20 takes the referral and
      // then finds no KDC for realm "" (KRB5_REALM_CANT_RESOLVE): neither sends anything more.
      if (
        !final &&
        e.errorCode === ErrorCode.KDC_ERR_WRONG_REALM &&
        req.canonicalize &&
        e.crealm !== undefined &&
        e.crealm !== '' &&
        e.crealm !== realm
      ) {
        if (visited.includes(e.crealm)) {
          throw new KerberosError(
            ErrorCode.KDC_ERR_WRONG_REALM,
            `client referral loop for ${who()}: ${[...visited, e.crealm].join(' -> ')}; the realms disagree about where the account lives`,
            { realm: e.realm || realm },
          );
        }
        if (visited.length > ctx.maxReferralHops) {
          throw new KerberosError(
            ErrorCode.KDC_ERR_WRONG_REALM,
            `more than ${ctx.maxReferralHops} client referrals for ${who()} (${visited.join(' -> ')})`,
            { realm: e.realm || realm },
          );
        }
        if (ctx.logging) ctx.log(`client referral: ${who()} belongs to ${e.crealm}`);
        realm = e.crealm;
        visited.push(realm);
        choice = undefined;
        cookie = undefined;
        continue;
      }
      throw errorFromKrbError(
        e,
        {
          doing: `getting initial credentials for ${who()}${final ? ' (the KDC answered the armored request unarmored)' : ''}`,
          client: who(),
          server: formatPrincipal(sname, realm),
        },
        realm,
      );
    }
    return verifyAsRep(ctx, req, answer.reply, {
      realm,
      body,
      kdcOffsetMs,
      sname,
      ...(choice !== undefined && { choice }),
      ...(preauthKey !== undefined && { preauthKey }),
      ...(fast !== undefined && { fast }),
      request: bytes,
    });
  }
}

/**
 * RFC 6806 section 11: when the reply part's enc-pa-rep flag is set, its
 * encrypted-pa-data must hold PA-REQ-ENC-PA-REP, a checksum with the reply key
 * (key usage 56) over the AS-REQ this client sent; else the reply is not
 * trusted (what MIT reports as "KDC reply did not match expectations").
 */
function checkEncPaRep(enc: EncKdcRepPart, key: Key, request: Uint8Array, realm: string): void {
  if ((enc.flags & ENC_PA_REP) === 0) return;
  const pa = findPadata(enc.encryptedPaData, PaDataType.PA_REQ_ENC_PA_REP);
  if (pa === undefined)
    throw replyMismatch('enc-pa-rep is set but the reply carries no PA-REQ-ENC-PA-REP', realm);
  let ok = false;
  try {
    const ck = decodeChecksum(pa.padataValue);
    ok = verifyChecksum(key, KeyUsage.KEY_USAGE_AS_REQ, request, ck.checksum, { cksumtype: ck.cksumtype });
  } catch (e) {
    if (!isKerberosError(e)) throw e;
  }
  if (!ok) throw replyMismatch('the PA-REQ-ENC-PA-REP checksum does not match the AS-REQ sent', realm);
}

/**
 * RFC 6113 section 5.4.6: the KDC's PA-ENCRYPTED-CHALLENGE, its time under
 * the KDC challenge key (usage 55), proves it knows the client's key.
 */
function checkKdcChallenge(
  ctx: ClientContext,
  fast: FastArmor,
  padata: readonly PaData[] | undefined,
  clientKey: Key,
  realm: string,
  offsetMs: number,
): void {
  const pa = findPadata(padata, PaDataType.PA_ENCRYPTED_CHALLENGE);
  if (pa === undefined) throw replyMismatch('the armored AS-REP carries no KDC encrypted challenge', realm);
  const kdcKey = kdcChallengeKey(fast.armorKey, clientKey);
  let time: number;
  try {
    const ts = decodePaEncTsEnc(
      decrypt(kdcKey, KeyUsage.KEY_USAGE_ENC_CHALLENGE_KDC, decodeEncryptedData(pa.padataValue).cipher),
    );
    time = ts.patimestamp + Math.floor((ts.pausec ?? 0) / 1000);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw replyMismatch('the KDC encrypted challenge does not open with the KDC challenge key', realm);
  }
  if (Math.abs(time - (ctx.clock.now() + offsetMs)) > ctx.clockSkewMs) {
    throw replyMismatch('the KDC encrypted challenge is outside the clock skew', realm);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return equalBytes(a, b);
}

/** RFC 4120 section 3.1.5: decrypt the reply with the client key and check it answers this request. */
export function verifyAsRep(
  ctx: ClientContext,
  req: AsRequest,
  received: AsRep,
  sent: {
    realm: string;
    /** The request's body: its nonce, and the times and options the reply must keep to. */
    body: KdcReqBody;
    sname: PrincipalName;
    choice?: KeyChoice;
    preauthKey?: Key;
    /** The AS-REQ as sent, for the RFC 6806 section 11 checksum. */
    request: Uint8Array;
    /** The armor, when the request was armored. */
    fast?: FastArmor;
    /** With `kdcTimeSync`, the offset to the KDC's time the exchange used (see `kdc-time.ts`). */
    kdcOffsetMs?: number;
    /** A reply key agreed rather than derived from the secret (PKINIT, `pkinit.ts`). */
    replyKey?: Key;
  },
): Credential {
  const { realm } = sent;
  const etype = received.encPart.etype;
  // Armored: the reply's padata and client name are the FAST response's (RFC 6113 section 5.4.3).
  const fastReply =
    sent.fast === undefined ? undefined : openFastReply(sent.fast, received, sent.body.nonce, realm);
  const padata = fastReply === undefined ? received.padata : fastReply.padata;
  const rep: AsRep =
    fastReply === undefined
      ? received
      : { ...received, crealm: fastReply.client.realm, cname: fastReply.client.name };
  // The AS-REP may name the salt itself (MIT sends ETYPE-INFO2 in the reply padata).
  const info2 = findPadata(padata, PaDataType.PA_ETYPE_INFO2);
  const replyHint =
    info2 === undefined ? undefined : decodeEtypeInfo2(info2.padataValue).find((e) => e.etype === etype);
  let key: Key | undefined;
  // Reuse the pre-authentication key unless the reply names a different salt
  // (string-to-key is thousands of PBKDF2 rounds).
  const sameHint =
    replyHint === undefined ||
    (replyHint.salt === sent.choice?.salt && sameBytes(replyHint.s2kparams, sent.choice?.s2kparams));
  if (sent.replyKey !== undefined) {
    key = sent.replyKey;
  } else if (sent.preauthKey !== undefined && sent.preauthKey.etype === etype && sameHint) {
    key = sent.preauthKey;
  } else {
    const salt = replyHint?.salt ?? (sent.choice?.etype === etype ? sent.choice.salt : undefined);
    const params = replyHint?.s2kparams ?? (sent.choice?.etype === etype ? sent.choice.s2kparams : undefined);
    if (!req.secret.supports(etype)) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `the KDC for ${realm} encrypted the AS-REP with enctype ${etype}, which this client did not offer`,
        { realm },
      );
    }
    // No salt named anywhere: the default salt of the client the reply names, its canonical name
    // (an enterprise name's account), as MIT's init_creds_step_reply makes it from reply->client.
    key = req.secret.keyFor(etype, salt, params, rep.crealm, rep.cname);
  }
  if (key === undefined) {
    throw new KerberosError(ErrorCode.KRB_AP_ERR_NOKEY, `no client key of enctype ${etype}`, { realm });
  }
  if (sent.fast !== undefined && fastReply !== undefined) {
    if (sent.preauthKey !== undefined)
      checkKdcChallenge(ctx, sent.fast, padata, key, realm, sent.kdcOffsetMs ?? 0);
    key = strengthenedKey(fastReply, key);
  }
  let enc: EncKdcRepPart;
  try {
    enc = decodeEncKdcRepPart(decrypt(key, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
  } catch (e) {
    if (isKerberosError(e, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
        `the AS-REP from ${realm} did not decrypt with the key made from the given secret: the password or key is wrong`,
        { realm, cause: e },
      );
    }
    throw e;
  }
  const nonce = sent.body.nonce;
  if (enc.nonce !== nonce) throw replyMismatch(`nonce ${enc.nonce} where ${nonce} was sent`, realm);
  checkEncPaRep(enc, key, sent.request, realm);
  // The ticket's cleartext names must agree with the encrypted part (section 3.1.5).
  if (enc.srealm !== rep.ticket.realm || !sameName(enc.sname, rep.ticket.sname)) {
    throw replyMismatch('the ticket names a different server than the encrypted part', realm);
  }
  // RFC 8062 section 4.1: an anonymous ticket names WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS.
  if ((req.kdcOptions & KdcOptions['request-anonymous']) !== 0) {
    if (rep.crealm !== ANONYMOUS_REALM || !sameName(rep.cname, ANONYMOUS_NAME)) {
      throw replyMismatch(
        `anonymous PKINIT answered for ${formatPrincipal(rep.cname, rep.crealm)}, not the anonymous client`,
        realm,
      );
    }
  } else if (!req.canonicalize) {
    if (rep.crealm !== realm || !sameName(rep.cname, req.client.name)) {
      throw replyMismatch(
        `client ${formatPrincipal(rep.cname, rep.crealm)} was not the one asked for`,
        realm,
      );
    }
  }
  // The server: exactly the one asked for, except that asked for a TGS with canonicalize (or
  // anonymously) another TGS may answer (MIT's verify_as_reply): a canonicalized reply may rename
  // the client, never turn a TGT into a service ticket or the reverse.
  const askedTgs = tgsRealmOf(sent.sname) !== undefined;
  const tgsMayChange =
    askedTgs && (req.canonicalize || (req.kdcOptions & KdcOptions['request-anonymous']) !== 0);
  if (
    tgsMayChange
      ? tgsRealmOf(enc.sname) === undefined
      : enc.srealm !== realm || !sameName(enc.sname, sent.sname)
  ) {
    throw replyMismatch(`server ${formatPrincipal(enc.sname, enc.srealm)} was not the one asked for`, realm);
  }
  checkReplyTimes(ctx, enc, sent.body, realm, 'as');
  checkSessionKey(ctx, enc.key, 'AS-REP', realm);
  const cred = credentialFromReply(rep, enc, encodeTicket(rep.ticket));
  if (ctx.logging) {
    ctx.log(
      `AS-REP: ${formatPrincipal(cred.client.name, cred.client.realm)} has ${formatPrincipal(cred.server.name, cred.server.realm)}`,
    );
  }
  return cred;
}
