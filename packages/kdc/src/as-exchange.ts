/**
 * The Authentication Service exchange: RFC 4120 section 3.1 (3.1.2 receipt,
 * 3.1.3 generation of the reply), with pre-authentication per section 5.2.7,
 * the checks MIT krb5's validate_as_request makes (in its order), and the
 * RFC 6806 canonicalize and enterprise-name behaviour.
 *
 * @module
 */

import type { EncKdcRepPart, KdcReq, LastReqEntry, PrincipalName } from '@krbsim/asn1';
import {
  ENC_PA_REP,
  emptyTransited,
  encodeAsRep,
  formatPrincipal,
  KdcOptions,
  NameType,
  PaDataType,
  TicketFlags,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { isWeakEncType, KeyUsage } from '@krbsim/crypto';
import {
  type AccountRefusal,
  disabledServerRefusal,
  expiryRefusal,
  standingRefusal,
} from './account-standing';
import { ANONYMOUS_NAME, ANONYMOUS_REALM, anonymousClient, pkinitKx } from './anonymous';
import { NO_AUTHORIZATION_DATA, ticketAuthorizationData } from './authorization-data';
import { cannotBeDelegated, isProtectedUser, PROTECTED_USERS_TGT_LIFE_MS } from './delegation';
import { type ExchangeResult, naming, runIssuancePolicy } from './exchange';
import { type FastRequest, unwrapAsFast } from './fast-armor';
import { armoredError, fastReplyPadata, strengthenReplyKey, visibleClient } from './fast-reply';
import { findClient } from './find-client';
import { issueTicket, newSessionKey, sealReplyPart, type TicketDraft } from './issue';
import { etypeNoSupp, sessionKeyEtype, ticketKey } from './keys';
import { KdcError } from './krb-error';
import { recordBadPassword, recordGoodPassword } from './lockout';
import { asPacAttributes } from './pac-builder';
import { signIssuedPac } from './pac-issuance';
import type { AsPadataHandler, AsRequestState } from './padata/handler';
import { runPadata } from './padata/handler';
import { AS_PADATA_HANDLERS } from './padata/registry';
import { encPaRepPadata } from './padata/req-enc-pa-rep';
import { supportedEnctypesPadata } from './padata/supported-enctypes';
import { pkinitLogonOf } from './pkinit/logon';
import { asReplyHints, fastRequired, preauthRequired, usableClientKeys, withPreauthMethods } from './preauth';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { realmOfHost } from './referral';
import { routingView } from './routing-view';
import { asTicketTimes, starttimeField, toSeconds } from './ticket-times';
import { trustBetween } from './trust-graph';

/** Options RFC 4120 section 3.1.3 does not allow in an AS-REQ (MIT: AS_INVALID_OPTIONS). */
const AS_INVALID_OPTIONS =
  KdcOptions.forwarded |
  KdcOptions.proxy |
  KdcOptions.validate |
  KdcOptions.renew |
  KdcOptions['enc-tkt-in-skey'] |
  KdcOptions['constrained-delegation'];

/**
 * The realm an enterprise name (`alice@fabrikam.com`) that this realm does
 * not hold belongs to, when its UPN suffix routes to a realm of this realm's
 * trust graph (a direct trust or one reached through others: a child domain
 * knows its forest's trusts), as AD routes UPN suffixes through forest trust
 * names; else undefined.
 */
function enterpriseRealm(realm: Realm, cname: PrincipalName): string | undefined {
  if (cname.nameType !== NameType.NT_ENTERPRISE || cname.nameString.length !== 1) return undefined;
  const upn = cname.nameString[0]!;
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at === upn.length - 1) return undefined;
  // The realm of the UPN's DNS domain: where hosts in that domain would be routed.
  const home = realmOfHost(realm, `host.${upn.slice(at + 1).toLowerCase()}`);
  if (home === undefined || home === realm.name || !routingView(realm).realms.has(home)) return undefined;
  return home;
}

/** Find the AS server: a local principal, or a cross-realm TGT along a trust out of this realm. */
function findServer(realm: Realm, sname: PrincipalName): PrincipalEntry | undefined {
  const other = tgsRealmOf(sname);
  if (other !== undefined && realm.isNamed(other)) return realm.krbtgt;
  if (other !== undefined) {
    // krbtgt/OTHER@THIS: only when a trust lets this realm's principals into OTHER (policy) and
    // the outgoing key exists (keys).
    const t = trustBetween(realm, other);
    if (!t?.allows(realm.name, other)) return undefined;
  }
  return realm.db.get(sname, realm.name);
}

/**
 * Answer an AS-REQ (RFC 4120 section 3.1.2 and 3.1.3), running `handlers`
 * on its PA-DATA. An armored AS-REQ (RFC 6113) is opened first and its inner
 * request answered; its reply and its refusals are armored. Throws
 * {@link KdcError} to refuse.
 */
export function processAsReq(
  realm: Realm,
  req: KdcReq,
  requestDer: Uint8Array,
  handlers: readonly AsPadataHandler[] = AS_PADATA_HANDLERS,
): ExchangeResult {
  const now = realm.clock.now();
  // Refusals of the armor itself go out unarmored: there is no armor key to trust.
  const fast = unwrapAsFast(realm, req, now);
  if (fast === undefined) return answerAs(realm, req, requestDer, handlers, now, undefined);
  try {
    return answerAs(realm, fast.inner, requestDer, handlers, now, fast);
  } catch (e) {
    throw armoredError(e, fast, req, { now, style: realm.policy.krbErrorStyle, random: realm.random });
  }
}

/** A computer account (AD's `NAME$`), which MS-KILE exempts from required FAST: it gets the armor. */
function isComputer(realm: Realm, client: PrincipalEntry): boolean {
  const name = client.name.nameString;
  return name.length === 1 && realm.directory.account(name[0]!)?.kind === 'computer';
}

function answerAs(
  realm: Realm,
  req: KdcReq,
  requestDer: Uint8Array,
  handlers: readonly AsPadataHandler[],
  now: number,
  fast: FastRequest | undefined,
): ExchangeResult {
  const body = req.reqBody;
  const policy = realm.policy;
  if (!body.cname) throw new KdcError(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, 'the request names no client');
  const cname = body.cname;
  const crealm = realm.name;
  const who = { cname, crealm };
  const fail = (code: number, msg: string): never => {
    throw new KdcError(code, msg, { ...who, realm: realm.name });
  };
  if (!realm.isNamed(body.realm)) {
    fail(ErrorCode.KDC_ERR_WRONG_REALM, `this KDC serves ${realm.name}, not ${body.realm}`);
  }
  if (!body.sname) fail(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, 'the request names no server');
  const sname = body.sname!;
  // RFC 4120 section 5.4.1: enc-authorization-data and additional-tickets belong to a TGS-REQ; an
  // AS-REQ carrying them asks for what no AS exchange gives (MIT's KDC drops them unread).
  if (body.encAuthorizationData !== undefined || (body.additionalTickets?.length ?? 0) > 0) {
    fail(
      ErrorCode.KDC_ERR_BADOPTION,
      `an AS-REQ cannot carry ${body.encAuthorizationData !== undefined ? 'enc-authorization-data' : 'additional-tickets'} (TGS-REQ fields only)`,
    );
  }

  // RFC 8062: request-anonymous names the realm's anonymous principal, or is refused.
  let anonymous: PrincipalEntry | undefined;
  try {
    anonymous = anonymousClient(realm, body.kdcOptions, cname);
  } catch (e) {
    throw naming(e, { ...who, realm: realm.name });
  }
  const client = anonymous ?? findClient(realm, cname);
  if (!client) {
    const home = enterpriseRealm(realm, cname);
    if (home !== undefined) {
      // RFC 6806 section 7: a client referral, the client's realm in crealm.
      throw new KdcError(
        ErrorCode.KDC_ERR_WRONG_REALM,
        `${cname.nameString[0]} belongs to ${home}; ask its KDC`,
        { cname, crealm: home, realm: realm.name },
      );
    }
    fail(
      ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
      `client ${formatPrincipal(cname, crealm)} not found in Kerberos database`,
    );
  }
  const server = findServer(realm, sname);
  if (!server)
    fail(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      `server ${formatPrincipal(sname, realm.name)} not found in Kerberos database`,
    );
  const c = client!;
  const s = server!;

  // Account checks, in MIT's order (validate_as_request). A Windows DC says why in an NTSTATUS.
  const refuseAccount = (refusal: AccountRefusal | undefined): void => {
    if (refusal === undefined) return;
    const { code, message, ntStatus } = refusal;
    throw new KdcError(code, message, { ...who, realm: realm.name, ntStatus });
  };
  const clientName = { name: cname, realm: crealm };
  const isChangePw = s.name.nameString[0] === 'kadmin' && s.name.nameString[1] === 'changepw';
  // A DC looks at the password's state only once the client has proved it knows the password (Samba's
  // Heimdal: "Verify flags after the user been required to prove its identity"): before, a must-change
  // or expired password would tell anyone who asks, and a wrong password would escape lockout. MIT's
  // validate_as_request checks it first.
  const passwordsAfterPreauth = realm.kind === 'active-directory';
  // The request's own fault first: MIT's validate_as_request looks at AS_INVALID_OPTIONS before the accounts.
  if ((body.kdcOptions & AS_INVALID_OPTIONS) !== 0)
    fail(ErrorCode.KDC_ERR_BADOPTION, 'an option that only a TGS-REQ may carry was set');
  refuseAccount(expiryRefusal(c, clientName, now, policy, !isChangePw && !passwordsAfterPreauth));
  if (s.kind !== 'krbtgt' && s.disabled) {
    const refusal = disabledServerRefusal(realm.kind);
    fail(refusal.code, refusal.message);
  }
  refuseAccount(standingRefusal(c, clientName, now, policy));

  // Etypes: what the client asked for, what it has keys for, what policy permits.
  const permitted = policy.permittedEncTypes;
  // Without a usable key the client may still come in by a method that makes the reply key (PKINIT),
  // as MIT's KDC lets it: the refusal waits until no method has made one.
  const usable = usableClientKeys(c, body.etype, permitted);
  const sessionEtype = sessionKeyEtype(realm.kind, permitted, body.etype, s.encTypes);
  if (sessionEtype === undefined) etypeNoSupp('the session key', body.etype, realm.name);
  const isTgt = s.kind === 'krbtgt';
  const tkey = ticketKey(s.keys, permitted, isTgt ? undefined : policy.ticketEncType);
  if (!tkey) etypeNoSupp('the server key', body.etype, realm.name);

  // PA-DATA: pre-authentication (section 5.2.7) and the other padata, by the registry.
  // MS-KILE 3.3.5.1, "Fail unarmored authentication requests" (ClaimsCompIdFASTSupport 3): "If the
  // principal is a computer account, then the KDC continues without FAST. Otherwise" PREAUTH_REQUIRED
  // offering PA-FX-FAST: a user account with SPNs (a service account) and a bare service principal
  // must come armored too; only a computer, whose TGT is the armor, comes in without.
  if (fast === undefined && policy.fast === 'required' && !isComputer(realm, c)) {
    throw fastRequired(cname, crealm);
  }
  const state: AsRequestState = {
    realm,
    req,
    fast,
    requestDer,
    now,
    cname,
    crealm,
    client: c,
    server: s,
    clientKeys: usable,
    replyKey: usable[0],
    preauthenticated: false,
    wrongKey: false,
    pacRequest: undefined,
    encPaRep: false,
    replyPadata: [],
  };
  try {
    runPadata(handlers, state);
  } catch (e) {
    // A wrong password counts towards the account's lockout (MS-SAMR 3.1.5.14.6).
    if (state.wrongKey) recordBadPassword(c, now, policy);
    throw naming(withPreauthMethods(e, usable, handlers, state), { ...who, realm: realm.name });
  }
  // The PAC reports the wrong passwords this logon ends (MS-PAC 2.5 BadPasswordCount), as a DC does.
  const badPasswordCount = c.badPasswordCount ?? 0;
  if (state.preauthenticated) recordGoodPassword(c);
  if (!state.preauthenticated && c.requiresPreauth) {
    throw preauthRequired(usable, handlers, state, cname, crealm);
  }
  if (passwordsAfterPreauth && !isChangePw) refuseAccount(expiryRefusal(c, clientName, now, policy, true));
  // An anonymous ticket carries no PAC: there is no user to describe.
  const pacRequested = anonymous === undefined && (state.pacRequest ?? policy.includePacByDefault);
  const replyKey = state.replyKey ?? etypeNoSupp('the client key', body.etype, realm.name);
  // RFC 6113 section 5.4.3: under FAST the reply is sealed with the strengthened reply key.
  const strengthened =
    fast === undefined || !policy.fastStrengthenKey
      ? undefined
      : strengthenReplyKey(replyKey.key, realm.random);
  const sealingKey = strengthened?.replyKey ?? replyKey.key;

  runIssuancePolicy(realm, { realm, exchange: 'AS', cname, crealm, client: c, server: s }, who);
  // RFC 8062 section 7: an anonymous ticket's session key mixes a KDC contribution into the reply key:
  // PKINIT's, before any FAST strengthening (RFC 6113 section 5.4.3 changes only the key sealing the
  // enc-part). MIT's KDC encrypts PA-PKINIT-KX before kdc_fast_handle_reply_key, and its client checks
  // it with ctx->as_key (verify_anonymous), so `kinit -n -T` needs this key.
  const anonymousKx =
    anonymous === undefined ? undefined : pkinitKx(replyKey.key, sessionEtype!, realm.random);
  if (anonymousKx !== undefined) state.replyPadata.push(anonymousKx.padata);

  // MS-KILE 3.3.5.6: a member of Protected Users pre-authenticates with AES only, and its TGT lives
  // at most 4 hours, renewals included.
  const protectedUser = isProtectedUser(realm, c);
  if (protectedUser && state.preauthenticated && isWeakEncType(replyKey.key.etype)) {
    fail(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      `${formatPrincipal(cname, crealm)} is a member of Protected Users: no pre-authentication with etype ${replyKey.key.etype}`,
    );
  }
  const timePolicy =
    protectedUser && isTgt
      ? {
          ...policy,
          maxTicketLifeMs: Math.min(policy.maxTicketLifeMs, PROTECTED_USERS_TGT_LIFE_MS),
          maxRenewLifeMs: Math.min(policy.maxRenewLifeMs, PROTECTED_USERS_TGT_LIFE_MS),
        }
      : policy;
  const times = asTicketTimes(
    body,
    now,
    timePolicy,
    { serverIsTgs: isTgt, serverMaxLifeMs: s.maxTicketLifeMs },
    realm.kind,
  );
  const opts = body.kdcOptions;
  const canonicalize = (opts & KdcOptions.canonicalize) !== 0;
  let flags = times.flags | TicketFlags.initial;
  if (state.preauthenticated) flags |= TicketFlags['pre-authent'];
  // MS-KILE 3.3.5.1: an account that cannot be delegated gets neither flag, whatever it asks.
  if (!cannotBeDelegated(realm, c)) {
    if (opts & KdcOptions.forwardable) flags |= TicketFlags.forwardable;
    if (opts & KdcOptions.proxiable) flags |= TicketFlags.proxiable;
  }
  // Bit 15: MIT's get_ticket_flags sets TKT_FLG_ENC_PA_REP in every ticket (`encPaRepInEveryTicket`);
  // MS-KILE's name-canonicalize when the client asked. The reply part's own is set below.
  if (canonicalize || policy.encPaRepInEveryTicket) flags |= TicketFlags['name-canonicalize'];
  if (s.okAsDelegate) flags |= TicketFlags['ok-as-delegate'];
  if (anonymous !== undefined) flags |= TicketFlags.anonymous;
  flags >>>= 0;

  // The client name in the ticket: canonical when asked (or for an enterprise name, as AD does);
  // for an anonymous ticket WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS (RFC 8062 section 3).
  const ticketCname =
    anonymous !== undefined
      ? ANONYMOUS_NAME
      : canonicalize || cname.nameType === NameType.NT_ENTERPRISE
        ? c.name
        : cname;
  const ticketCrealm = anonymous !== undefined ? ANONYMOUS_REALM : crealm;
  // A service reached by an alias keeps the name asked for where the realm does not rename it
  // (`canonicalServiceAliases`, as in the TGS exchange).
  // A TGT asked for as krbtgt/contoso.com in an AD realm is the realm's own: named as the realm names itself.
  const ownTgs = tgsRealmOf(sname);
  const asked =
    ownTgs !== undefined && ownTgs !== realm.name && realm.isNamed(ownTgs)
      ? { nameType: sname.nameType, nameString: ['krbtgt', realm.name] }
      : sname;
  const ticketSname =
    canonicalize && (s.kind !== 'service' || realm.policy.canonicalServiceAliases) ? s.name : asked;
  const draft: TicketDraft = {
    exchange: 'AS',
    cname: ticketCname,
    crealm: ticketCrealm,
    client: c,
    server: s,
    sname: ticketSname,
    evidence: undefined,
    serverKey: tkey!,
    sessionKey: anonymousKx?.sessionKey ?? newSessionKey(sessionEtype!, realm.random),
    flags,
    times,
    transited: emptyTransited(),
    caddr: body.addresses,
  };
  // MS-PKCA 3.1.5.2: a DC's PAC of a PKINIT logon has S-1-18-3 after a freshness token, and
  // PAC_CREDENTIAL_INFO under the PKINIT reply key (pkinit/logon.ts); MIT's KDC adds neither.
  const pkinitLogon = realm.kind === 'active-directory' ? pkinitLogonOf(state) : undefined;
  const authorizationData = ticketAuthorizationData(
    realm,
    draft,
    {
      fromEvidence: NO_AUTHORIZATION_DATA,
      fromRequest: NO_AUTHORIZATION_DATA,
      pacRequested,
      pacAttributes: asPacAttributes(state.pacRequest, policy.includePacByDefault),
      badPasswordCount,
    },
    pkinitLogon && { freshnessToken: pkinitLogon.freshnessToken, replyKey: replyKey.key },
  );
  const request = { ...draft, authorizationData };
  const { ticket, encTicketPart: etp } = issueTicket(realm.name, request, realm.random, (e) =>
    signIssuedPac(realm, request, e),
  );
  const sessionKey = draft.sessionKey;

  const encryptedPaData = [
    ...(state.encPaRep
      ? [
          encPaRepPadata(sealingKey, requestDer),
          // RFC 6806 section 11: protected FAST negotiation, as MIT's KDC says it (an empty PA-FX-FAST).
          ...(policy.fast === 'none'
            ? []
            : [{ padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) }]),
        ]
      : []),
    ...(policy.paSupportedEnctypes && canonicalize ? [supportedEnctypesPadata(realm, s)] : []),
  ];

  const lastReq: LastReqEntry[] = [];
  if (c.passwordExpires !== undefined) lastReq.push({ lrType: 6, lrValue: toSeconds(c.passwordExpires) });
  if (c.accountExpires !== undefined) lastReq.push({ lrType: 7, lrValue: toSeconds(c.accountExpires) });
  if (lastReq.length === 0) lastReq.push({ lrType: 0, lrValue: 0 });
  // Bit 15 of the reply part is enc-pa-rep, a promise of the checksum (RFC 6806 section 11),
  // whatever the ticket's own bit 15 (name-canonicalize) says.
  const part: EncKdcRepPart = {
    key: sessionKey,
    lastReq,
    nonce: body.nonce,
    // The nonce goes back in the form it came (Heimdal writes a signed INTEGER), as its KDC would.
    ...(body.nonceForm !== undefined && { nonceForm: body.nonceForm }),
    ...(c.passwordExpires !== undefined && { keyExpiration: toSeconds(c.passwordExpires) }),
    flags: state.encPaRep ? (flags | ENC_PA_REP) >>> 0 : (flags & ~ENC_PA_REP) >>> 0,
    authtime: times.authtime,
    ...starttimeField(times),
    endtime: times.endtime,
    ...(times.renewTill !== undefined && { renewTill: times.renewTill }),
    srealm: realm.name,
    sname: ticketSname,
    ...(etp.caddr && { caddr: etp.caddr }),
    ...(encryptedPaData.length > 0 && { encryptedPaData }),
  };
  // The client's key of the reply's etype (PKINIT's key is made, and the client may have none):
  // ETYPE-INFO2 names its salt, so that a client that sent no pre-authentication learns it, and the
  // enc-part its kvno where the realm says so (`asReplyKvno`: a DC does, MIT's KDC does not).
  const clientKey = usable.find((k) => k.key.etype === replyKey.key.etype);
  const encPart = sealReplyPart(
    part,
    'as',
    sealingKey,
    KeyUsage.AS_REP_ENCPART,
    realm.random,
    policy.asReplyKvno ? clientKey?.kvno : undefined,
  );
  const padata = [
    ...(clientKey === undefined ? [] : asReplyHints(clientKey, body.etype, policy)),
    ...state.replyPadata,
  ];
  const clear = visibleClient(fast, ticketCname, ticketCrealm);
  const reply = encodeAsRep({
    pvno: 5,
    msgType: 11,
    padata:
      fast === undefined
        ? padata
        : [
            fastReplyPadata(
              fast,
              {
                padata,
                strengthenKey: strengthened?.strengthenKey,
                ticket,
                cname: ticketCname,
                crealm: ticketCrealm,
                now,
              },
              realm.random,
            ),
          ],
    crealm: clear.crealm,
    cname: clear.cname,
    ticket,
    encPart,
  });
  if (fast === undefined) return { reply, outcome: 'AS-REP' };
  // The log names the inner request's client and server, which the outer body may hide.
  return {
    reply,
    outcome: 'AS-REP (FAST)',
    client: { name: cname, realm: crealm },
    server: { name: sname, realm: realm.name },
  };
}
