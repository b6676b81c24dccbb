/**
 * The service's side of MS-SFU: S4U2Self (section 3.1.5.1), a ticket to the
 * service itself on behalf of a user who did not authenticate to it
 * (protocol transition), and S4U2Proxy (section 3.1.5.2), a ticket to
 * another service for the user named by an evidence ticket (constrained
 * delegation). Both are TGS exchanges made with the service's own TGT.
 *
 * S4U2Self names the user twice, as MIT's client does: PA-FOR-USER (2.2.1,
 * HMAC-MD5 with the TGT session key, the form every KDC reads) and
 * PA-S4U-X509-USER (2.2.2, checksummed with the request's subkey, bound to
 * the request's nonce), whose echo in the reply, checksummed with the reply
 * key, proves that the KDC answered for that user (3.1.5.1.2).
 *
 * Across realms (3.1.5.1.1.2 and 3.1.5.2.2), the KDCs answer with referral
 * TGTs that name the service as client but carry the user's authorization
 * data: they are evidence for the next KDC, never the service's own TGTs, so
 * they stay out of the credential cache (a later `getServiceTicket` that
 * found one would speak for the user).
 *
 * @module
 */

import {
  decodePaPacOptions,
  decodePaS4uX509User,
  encodeAsReq,
  encodePaForUser,
  encodePaPacRequest,
  encodePaS4uX509User,
  encodeS4uUserId,
  formatPrincipal,
  KdcOptions,
  type KdcReqBody,
  krbtgtName,
  NameType,
  PacOptions,
  type PaData,
  PaDataType,
  type PrincipalName,
  paForUserChecksumInput,
  type QualifiedName,
  type S4uUserId,
  S4uUserIdOptions,
  sameName,
  type TgsRep,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError, randomUInt31 } from '@krbsim/core';
import { checksum, checksumTypeFor, type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import type { Credential } from '../credential';
import { type ClientContext, kerberosTime, sendAsReq } from './context';
import { errorFromKrbError, replyMismatch } from './krb-error';
import { crossRealmTgt, localTgt, optionsFor, ReferralError } from './referrals';
import { type RequestKeys, tgsExchange } from './tgs-exchange';

/** HMAC-MD5 (RFC 4757 section 4), PA-FOR-USER's checksum type whatever the key's etype (MS-SFU 2.2.1). */
const HMAC_MD5 = -138;
const AUTH_PACKAGE = 'Kerberos';

/** An S4U2Self request as the client resolved it. */
export interface S4uSelfRequest {
  /** The user the ticket is for. */
  readonly user: QualifiedName;
  /** The service asking: the client of its own TGT. */
  readonly service: QualifiedName;
  /** Send PA-S4U-X509-USER beside PA-FOR-USER, and require its echo. */
  readonly x509UserId: boolean;
  /** KDC options to set (forwardable...), beside those inherited from the TGT. */
  readonly kdcOptions: number;
  readonly dropOptions?: number;
}

/**
 * S4U2Proxy's evidence: the user's ticket to the service, as a credential from S4U2Self has it, or as
 * `@krbsim/service`'s accept result has it (`client`, `server`, `sealedTicket` as `ticket`).
 */
export type S4uEvidence = Pick<Credential, 'client' | 'server' | 'ticket'>;

/** An S4U2Proxy request as the client resolved it. */
export interface S4uProxyRequest {
  /** The user's ticket to the service (from S4U2Self, or the forwardable ticket of an AP-REQ). */
  readonly evidence: S4uEvidence;
  /** Service 2, the server the ticket is for. */
  readonly server: PrincipalName;
  /** The service asking, Service 1: the client of its own TGT. */
  readonly service: QualifiedName;
  /** Send PA-PAC-OPTIONS with resource-based-constrained-delegation (MS-SFU 3.1.5.2.1). */
  readonly resourceBased: boolean;
  readonly kdcOptions: number;
  readonly dropOptions?: number;
}

/** PA-FOR-USER for `user`, keyed with the TGT's session key (usage 17). */
function paForUser(user: QualifiedName, keys: RequestKeys): PaData {
  const input = { userName: user.name, userRealm: user.realm, authPackage: AUTH_PACKAGE };
  const ck = checksum(keys.sessionKey, KeyUsage.KERB_NON_KERB_CKSUM_SALT, paForUserChecksumInput(input), {
    cksumtype: HMAC_MD5,
  });
  return {
    padataType: PaDataType.PA_FOR_USER,
    padataValue: encodePaForUser({ ...input, cksum: { cksumtype: HMAC_MD5, checksum: ck } }),
  };
}

/** PA-S4U-X509-USER for `user`: keyed with the subkey when there is one, else the session key (2.2.2). */
function paS4uX509User(user: QualifiedName, keys: RequestKeys): PaData {
  const key = keys.subkey ?? keys.sessionKey;
  const userId: S4uUserId = {
    nonce: keys.nonce,
    cname: user.name,
    crealm: user.realm,
    options: S4uUserIdOptions['use-reply-key-usage'],
  };
  // The checksum is made before the next encoding reuses the encoder's slab.
  const ck = checksum(key, KeyUsage.PA_S4U_X509_USER_REQUEST, encodeS4uUserId(userId));
  return {
    padataType: PaDataType.PA_FOR_X509_USER,
    padataValue: encodePaS4uX509User({
      userId,
      checksum: { cksumtype: checksumTypeFor(key.etype), checksum: ck },
    }),
  };
}

/**
 * MS-SFU 3.1.5.1.2, checked as MIT's client checks it: the reply's
 * PA-S4U-X509-USER echoes an S4UUserID with the request's nonce, checksummed
 * with the reply key (usage 27 when the echo sets use-reply-key-usage, else
 * 26), and names the user the ticket is for. A KDC that does not know
 * PA-S4U-X509-USER (Heimdal's, Samba's) sends no echo: accepted, as MIT's
 * client does since 1.19, and the reply's client is then checked against the
 * user asked for. Returns the user the echo names.
 *
 * @throws KerberosError KRB_AP_ERR_MODIFIED for an echo that does not verify.
 */
function checkEcho(rep: TgsRep, nonce: number, replyKey: Key, realm: string): QualifiedName | undefined {
  const echo = rep.padata?.find((p) => p.padataType === PaDataType.PA_FOR_X509_USER);
  if (echo === undefined) return undefined;
  let got: ReturnType<typeof decodePaS4uX509User>;
  try {
    got = decodePaS4uX509User(echo.padataValue);
  } catch (e) {
    throw replyMismatch(`the reply's PA-S4U-X509-USER does not decode: ${(e as Error).message}`, realm);
  }
  const id = got.userId;
  if (id.nonce !== nonce)
    throw replyMismatch(`PA-S4U-X509-USER echoes nonce ${id.nonce}, not ${nonce}`, realm);
  if (id.cname === undefined || id.cname.nameString.length === 0) {
    throw replyMismatch("the reply's PA-S4U-X509-USER names no user", realm);
  }
  const usage =
    ((id.options ?? 0) & S4uUserIdOptions['use-reply-key-usage']) !== 0
      ? KeyUsage.PA_S4U_X509_USER_REPLY
      : KeyUsage.PA_S4U_X509_USER_REQUEST;
  let ok: boolean;
  try {
    ok = verifyChecksum(replyKey, usage, encodeS4uUserId(id), got.checksum.checksum, {
      cksumtype: got.checksum.cksumtype,
    });
  } catch (e) {
    throw replyMismatch(`the checksum of the reply's PA-S4U-X509-USER: ${(e as Error).message}`, realm);
  }
  if (!ok) throw replyMismatch("the checksum of the reply's PA-S4U-X509-USER does not verify", realm);
  return { name: id.cname, realm: id.crealm };
}

const sameQualified = (a: QualifiedName, b: QualifiedName): boolean =>
  a.realm === b.realm && sameName(a.name, b.name);

const named = (c: Credential, who: QualifiedName): boolean => sameQualified(c.client, who);

const text = (q: QualifiedName): string => formatPrincipal(q.name, q.realm);

/** Where a chain of S4U referrals goes next; refuses loops and over-long paths as referral chasing does. */
function nextHop(ctx: ClientContext, path: string[], next: string, target: string, realm: string): string {
  if (path.includes(next)) throw new ReferralError('loop', [...path, next], target, realm);
  if (path.length > ctx.maxReferralHops) throw new ReferralError('hops', [...path, next], target, realm);
  path.push(next);
  return next;
}

/**
 * MS-SFU 3.1.5.1.1.1: the realm of a user named by an enterprise name, found
 * as MIT's client finds it: an AS-REQ for the name, canonicalize set and no
 * pre-authentication, to the service's KDC. KDC_ERR_PREAUTH_REQUIRED (or a
 * reply, for an account that needs none) says that realm holds the account;
 * KDC_ERR_WRONG_REALM names the next realm to ask (RFC 6806 section 7). The
 * probe proves nothing and gets no key: it only says where to send S4U2Self,
 * whose own checks decide the rest.
 */
async function userRealmOf(ctx: ClientContext, user: QualifiedName): Promise<string> {
  let realm = user.realm;
  const path = [realm];
  for (;;) {
    const body: KdcReqBody = {
      kdcOptions: KdcOptions.canonicalize,
      cname: user.name,
      realm,
      sname: krbtgtName(realm),
      till: kerberosTime(ctx.clock.now() + 86_400_000),
      nonce: randomUInt31(ctx.random),
      etype: ctx.encTypes,
    };
    const bytes = encodeAsReq({
      pvno: 5,
      msgType: 10,
      padata: [
        { padataType: PaDataType.PA_PAC_REQUEST, padataValue: encodePaPacRequest({ includePac: false }) },
      ],
      reqBody: body,
    });
    const answer = await sendAsReq(ctx, realm, bytes, {
      from: text(user),
      label: 'S4U2Self: where is the user',
    });
    if (answer.kind === 'reply') return answer.reply.crealm;
    const e = answer.error;
    if (e.errorCode === ErrorCode.KDC_ERR_PREAUTH_REQUIRED) return realm;
    // A referral names the realm in crealm; an empty one refers nowhere (as in the AS exchange).
    if (
      e.errorCode === ErrorCode.KDC_ERR_WRONG_REALM &&
      e.crealm !== undefined &&
      e.crealm !== '' &&
      e.crealm !== realm
    ) {
      realm = nextHop(ctx, path, e.crealm, text(user), realm);
      if (ctx.logging) ctx.log(`S4U2Self: ${text(user)} belongs to ${realm}`);
      continue;
    }
    throw errorFromKrbError(
      e,
      { doing: `finding the realm of ${text(user)} for S4U2Self`, client: text(user) },
      realm,
    );
  }
}

/**
 * S4U2Self: a ticket from `req.user` to the service itself. A user of
 * another realm is reached as MS-SFU 3.1.5.1.1.2 says: the service's
 * cross-realm TGT to the user's realm, whose KDC answers with a referral back
 * (its client the service, its PAC the user's), then the service's own KDC.
 * An enterprise name's realm is found first ({@link userRealmOf}).
 */
export async function s4u2Self(ctx: ClientContext, req: S4uSelfRequest): Promise<Credential> {
  const { service } = req;
  // An enterprise name (RFC 6806 section 5) is resolved by the KDC: the reply names the account.
  const enterprise = req.user.name.nameType === NameType.NT_ENTERPRISE;
  const user = enterprise ? { name: req.user.name, realm: await userRealmOf(ctx, req.user) } : req.user;
  let realm = service.realm;
  let tgt = localTgt(ctx, service);
  if (user.realm !== service.realm) {
    tgt = await crossRealmTgt(ctx, user.realm, service);
    realm = user.realm;
  }
  const path = [realm];
  // The user the ticket must name: as asked, unless an echo says how the KDC resolved the name.
  let expected: QualifiedName | undefined = enterprise ? undefined : user;
  for (;;) {
    let nonce = 0;
    const { cred, rep, replyKey } = await tgsExchange(ctx, {
      tgt,
      kdcRealm: realm,
      server: service.name,
      serverRealm: realm,
      kdcOptions: optionsFor(tgt, req.kdcOptions | KdcOptions.canonicalize, req.dropOptions),
      // MIT's order: PA-S4U-X509-USER, then PA-FOR-USER.
      padata: (keys) => {
        nonce = keys.nonce;
        return req.x509UserId ? [paS4uX509User(user, keys), paForUser(user, keys)] : [paForUser(user, keys)];
      },
      replyClients: 'any',
    });
    const echoed = checkEcho(rep, nonce, replyKey, realm);
    if (echoed !== undefined) {
      // The first echo names the user as the KDC resolved it (an enterprise name canonicalized); later hops agree.
      if (expected !== undefined && !sameQualified(echoed, expected)) {
        throw replyMismatch(`PA-S4U-X509-USER names ${text(echoed)}, not ${text(expected)}`, realm);
      }
      expected = echoed;
    }
    const next = tgsRealmOf(cred.server.name);
    if (next !== undefined) {
      // A referral (3.1.5.1.1): the service is still its client; the TGT carries the user's PAC.
      if (!named(cred, service)) {
        throw replyMismatch(
          `an S4U2Self referral names ${text(cred.client)}, not the service ${text(service)}`,
          realm,
        );
      }
      if (ctx.logging) ctx.log(`S4U2Self referral: ${realm} sends ${text(user)} on to ${next}`);
      realm = nextHop(ctx, path, next, text(user), realm);
      tgt = cred;
      continue;
    }
    if (named(cred, service)) {
      // MS-SFU 3.1.5.1.2: a ticket for the service itself: the KDC ignored the S4U padata.
      throw new KerberosError(
        ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
        `the KDC for ${realm} answered S4U2Self for ${text(user)} with a ticket for ${text(service)} itself: it does not support S4U2Self`,
        { realm },
      );
    }
    // The reply's cname is outside its encrypted part: without an echo to say how the KDC resolved an
    // enterprise name, it must be the name asked for (MIT's krb5_get_self_cred_from_kdc refuses others).
    const want = expected ?? user;
    if (!named(cred, want)) {
      throw replyMismatch(`S4U2Self for ${text(want)} returned a ticket for ${text(cred.client)}`, realm);
    }
    if (cred.server.realm !== service.realm || !sameName(cred.server.name, service.name)) {
      throw replyMismatch(
        `S4U2Self returned a ticket to ${formatPrincipal(cred.server.name, cred.server.realm)}, not to ${text(service)}`,
        realm,
      );
    }
    ctx.cache.add(cred, ctx.clock.now());
    return cred;
  }
}

/** Whether a reply's encrypted-pa-data has PA-PAC-OPTIONS with resource-based-constrained-delegation. */
function rbcdEchoed(padata: readonly PaData[] | undefined): boolean {
  const options = padata?.find((p) => p.padataType === PaDataType.PA_PAC_OPTIONS);
  if (options === undefined) return false;
  try {
    return (
      (decodePaPacOptions(options.padataValue).flags &
        PacOptions['resource-based-constrained-delegation']) !==
      0
    );
  } catch {
    return false;
  }
}

/**
 * S4U2Proxy: a ticket from the evidence's user to `req.server`. When the
 * service's KDC answers with a referral (Service 2 is in another realm,
 * MS-SFU 3.1.5.2.2), the referral is the evidence for that realm's KDC,
 * asked with the service's own cross-realm TGT.
 */
export async function s4u2Proxy(ctx: ClientContext, req: S4uProxyRequest): Promise<Credential> {
  const { service, server } = req;
  const user = req.evidence.client;
  if (tgsRealmOf(req.evidence.server.name) !== undefined) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy's evidence is the user's ticket to this service, not a ticket-granting ticket (${formatPrincipal(req.evidence.server.name, req.evidence.server.realm)})`,
      { realm: service.realm },
    );
  }

  let realm = service.realm;
  let tgt = localTgt(ctx, service);
  let evidence = req.evidence.ticket;
  const path = [realm];
  for (;;) {
    const { cred, enc } = await tgsExchange(ctx, {
      tgt,
      kdcRealm: realm,
      server,
      serverRealm: realm,
      kdcOptions: optionsFor(
        tgt,
        req.kdcOptions | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
        req.dropOptions,
      ),
      additionalTickets: [evidence],
      ...(req.resourceBased ? { pacOptions: PacOptions['resource-based-constrained-delegation'] } : {}),
      replyClients: [user, service],
    });
    const next = tgsRealmOf(cred.server.name);
    if (next !== undefined) {
      if (!named(cred, service)) {
        throw replyMismatch(
          `an S4U2Proxy referral names ${text(cred.client)}, not the service ${text(service)}`,
          realm,
        );
      }
      // Across a trust only resource-based delegation is served (3.2.5.2.2): the KDC says it
      // understood the request as such in encrypted-pa-data, and MIT's client goes on only then.
      if (!rbcdEchoed(enc.encryptedPaData)) {
        throw new KerberosError(
          ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
          `the KDC for ${realm} referred S4U2Proxy for ${formatPrincipal(server)} to ${next} without confirming resource-based delegation (PA-PAC-OPTIONS)`,
          { realm },
        );
      }
      if (ctx.logging) ctx.log(`S4U2Proxy referral: ${realm} sends ${formatPrincipal(server)} to ${next}`);
      realm = nextHop(ctx, path, next, formatPrincipal(server), realm);
      evidence = cred.ticket;
      tgt = await crossRealmTgt(ctx, realm, service);
      continue;
    }
    if (!named(cred, user)) {
      throw replyMismatch(`S4U2Proxy for ${text(user)} returned a ticket for ${text(cred.client)}`, realm);
    }
    // And to the server asked for, of the realm that issued it (MIT's get_proxy_cred_from_kdc:
    // KRB5KRB_AP_WRONG_PRINC): the cached ticket must be the one the service will present.
    if (cred.server.realm !== realm || !sameName(cred.server.name, server)) {
      throw replyMismatch(
        `S4U2Proxy for ${formatPrincipal(server, realm)} returned a ticket to ${text(cred.server)}`,
        realm,
      );
    }
    ctx.cache.add(cred, ctx.clock.now());
    return cred;
  }
}
