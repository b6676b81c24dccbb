/**
 * Realm ticket policy: the knobs RFC 4120 leaves to "local policy"
 * (sections 3.1.3 and 3.3.3: maximum lifetimes, renewability, postdating,
 * acceptable clock skew, permitted encryption types) plus the places where
 * MIT krb5, Active Directory and Azure AD Kerberos behave differently.
 *
 * Every difference between products is a named option here, with the
 * product's behaviour in its TSDoc, so a lab can model each KDC faithfully.
 *
 * @module
 */

import { Duration, ErrorCode, KerberosError } from '@krbsim/core';
import { defaultEncTypes, isSupportedEncType, isWeakEncType, supportedEncTypes } from '@krbsim/crypto';

/** rc4-hmac (RFC 4757): weak, accepted only with {@link RealmPolicy.allowWeakCrypto}. */
const RC4_HMAC = 23;

/**
 * Which product a realm answers like, where MIT krb5 and Active Directory
 * differ. The kind only chooses the defaults of {@link RealmPolicy}; each
 * difference stays a named option that can be set on its own.
 * - `mit` (the default): MIT krb5's KDC, with AD's referral rule.
 * - `active-directory`: a Windows domain controller (MS-KILE).
 */
export type RealmKind = 'mit' | 'active-directory';

/** How KRB-ERROR replies are shaped (RFC 4120 section 5.9.1 leaves most fields optional). */
export type KrbErrorStyle = 'mit' | 'active-directory';

/**
 * Whether a realm's KDC speaks FAST (RFC 6113), as AD's "KDC support for
 * claims, compound authentication and Kerberos armoring" policy sets it
 * (MS-KILE 3.3.5.1, ClaimsCompIdFASTSupport):
 * - `none`: armored requests are refused with KDC_ERR_PADATA_TYPE_NOSUPP
 *   (AD, policy not configured, would ignore them; krbsim says so instead);
 * - `supported`: armored AS and TGS requests are served (MIT krb5's KDC, AD
 *   "Supported"); KDC_ERR_PREAUTH_REQUIRED offers PA-FX-FAST as MIT's KDC
 *   does, unless {@link RealmPolicy.fastOfferedInErrors} is off (AD);
 * - `required`: as `supported`, and an unarmored AS-REQ is answered with
 *   KDC_ERR_PREAUTH_REQUIRED whose METHOD-DATA offers PA-FX-FAST only, as
 *   MS-KILE 3.3.5.1 says for "Fail unarmored authentication requests" (value 3):
 *   "If the principal is a computer account, then the KDC continues without
 *   FAST. Otherwise" it refuses. So only computer accounts (`Realm.addComputer`),
 *   which get the armor TGT, are exempt; a user account with SPNs (a service
 *   account) and a service added by `Realm.addService` are not.
 */
export type FastSupport = 'none' | 'supported' | 'required';

/**
 * A realm's ticket and protocol policy. Every field has a default (see
 * {@link resolvePolicy}); pass a `Partial<RealmPolicy>` to `new Realm()`.
 */
export interface RealmPolicy {
  /** Longest ticket life the KDC grants (RFC 4120 section 3.1.3). Default 10 h (AD's default). */
  maxTicketLifeMs: number;
  /** Longest renewable life (renew-till minus starttime). Default 7 days. */
  maxRenewLifeMs: number;
  /** Acceptable clock skew for pre-authentication and authenticators. Default 5 min. */
  clockSkewMs: number;
  /**
   * The etypes this realm uses, in order of strength (strongest first). Session
   * keys, reply keys and ticket keys are chosen from this list; requests naming
   * none of them fail with KDC_ERR_ETYPE_NOSUPP. Default `[20, 19, 18, 17]`, plus
   * 23 (rc4-hmac) last when {@link allowWeakCrypto} is set.
   */
  permittedEncTypes: number[];
  /** Permit weak etypes such as rc4-hmac (23). Default false. */
  allowWeakCrypto: boolean;
  /**
   * Issue renewable TGTs when asked. Default true (MIT, AD, and Azure AD
   * Kerberos, whose cloud TGTs carry the flag though it renews none: see
   * {@link renewsTickets}). False: a RENEWABLE request is quietly not honoured
   * (no error), as a KDC does for any flag its policy withholds.
   */
  renewableTgt: boolean;
  /**
   * Honour RENEW requests (RFC 4120 section 3.3.3.1). Default true. Azure AD
   * Kerberos: false, its cloud TGTs carry the renewable flag (as `klist`
   * shows) yet it renews none; a RENEW request then fails with
   * KDC_ERR_BADOPTION and the user signs in again.
   */
  renewsTickets: boolean;
  /** Cap on the life of service (non-krbtgt) tickets. Azure AD: 1 h. Default: none. */
  serviceTicketLifeMs?: number;
  /**
   * Force the etype of service tickets (the server must hold a key of that
   * etype). Azure AD Kerberos always uses 18 (aes256-cts-hmac-sha1-96).
   */
  ticketEncType?: number;
  /** New users require pre-authentication unless told otherwise. Default true, as in AD. */
  requirePreauthByDefault: boolean;
  /**
   * Compare principal names without regard to case. AD matches user and service
   * names case-insensitively; MIT krb5 compares bytes. Default false (MIT-like).
   * Realm names are compared exactly (RFC 4120 section 6.1), except that an
   * `active-directory` realm answers to its own name in any case (`Realm.isNamed`).
   */
  caseInsensitiveNames: boolean;
  /**
   * Issue host-based referrals (RFC 6806) only when the client set the
   * `canonicalize` KDC option, as MIT krb5 and RFC 6806 section 8 do. Default
   * false: like Active Directory, refer whenever the host maps to another realm.
   */
  referralsRequireCanonicalize: boolean;
  /**
   * Honour ALLOW-POSTDATE / POSTDATED (MIT: yes; AD: no, KDC_ERR_POLICY as a
   * DC answers; an MIT realm without it answers KDC_ERR_CANNOT_POSTDATE). Default true.
   */
  allowPostdate: boolean;
  /**
   * A TGS-REQ presenting a ticket with addresses must come from one of them
   * (RFC 4120 section 3.3.3.1), else KRB_AP_ERR_BADADDR, as MIT's KDC checks
   * (krb5_rd_req with the sender's address). Checked when the request's
   * sender is known: a network transport's peer, not an in-process caller.
   * Default true (MIT); AD: false (Windows clients send no addresses, and no
   * oracle shows a DC checking them).
   */
  checkTicketAddresses: boolean;
  /**
   * FORWARDED and PROXY forward or proxy the presented ticket itself, as MIT's KDC has them (its
   * NON_TGT_OPTION, with RENEW and VALIDATE; tgs_policy.c check_tgs_nontgt): the request must name
   * the presented ticket's server, else KDC_ERR_SERVER_NOMATCH, and that ticket may be a forwardable
   * (proxiable) service ticket as well as a TGT. A TGT is never proxied (KDC_ERR_BADOPTION), so
   * PROXY from a TGT never succeeds. `false`: FORWARDED or PROXY from a TGT for any server, as RFC
   * 4120 section 3.3.3 reads and Samba's AD DC does, and a service ticket authenticates only a
   * RENEW or VALIDATE (else KRB_AP_ERR_NOT_US). Default true; `active-directory` realms: false.
   */
  forwardsPresentedTicket: boolean;
  /**
   * Set bit 15 of the flags (TKT_FLG_ENC_PA_REP, RFC 6806 section 11) in every ticket, and in the
   * reply part of every TGS-REP, as MIT's get_ticket_flags does (krb5kdc 1.20.1). `false`: bit 15 is
   * MS-KILE's name-canonicalize, set in a referral TGT or when the client asked to canonicalize, as
   * a Windows DC sets it. The AS-REP's reply part has it when the KDC sends the PA-REQ-ENC-PA-REP
   * checksum (the promise a client holds it to), whatever this is. Default true;
   * `active-directory` realms: false.
   */
  encPaRepInEveryTicket: boolean;
  /**
   * Refuse DISABLE-TRANSITED-CHECK with KDC_ERR_POLICY, as MIT's KDC does with its default
   * `reject_bad_transit` (it issues no ticket whose transited path it did not check; krbsim always
   * checks the path, trust direction resting on it, so it could not honour the option either).
   * `false`: serve the request as any other, as a Windows DC does: KILE checks no transited path on
   * a KDC (MS-KILE 3.1.5.4), so the option changes nothing. Default true; `active-directory`
   * realms: false.
   */
  refuseDisableTransitedCheck: boolean;
  /**
   * Salt the password keys of a user with a userPrincipalName (`AddUserOptions.upn`) by the UPN, as
   * a Windows DC does: the realm, then the UPN's name before its last `@`, `/` left out
   * (`keys.ts` upnSalt, after Samba's smb_krb5_salt_principal, tested against Windows). A user
   * without a UPN is salted by its account name (case kept), a computer by `REALMhost<name>.<domain>`
   * in either case. `false`: the principal's name, as MIT's kadmin salts (RFC 4120 section 4).
   * ETYPE-INFO2 names the salt the keys were made with. Default false; `active-directory` realms:
   * true.
   */
  upnSalt: boolean;
  /**
   * How many krbtgt key versions stay usable after {@link Realm.rotateKrbtgt}:
   * 2 keeps the current and the previous key, AD's two-key window. Default 2.
   */
  krbtgtKeyHistory: number;
  /**
   * When a cross-realm TGT names a kvno this realm does not hold for the
   * inter-realm key: `true` fails with KRB_AP_ERR_BADKEYVER (MIT); `false`
   * (default) tries the newest key anyway, so a key mismatch surfaces as
   * {@link ticketDecryptFailureCode} (KRB_AP_ERR_MODIFIED in AD realms), the
   * symptom AD and Azure AD show when the trust's `KeyVersion` and
   * `CloudKeyVersion` drift apart.
   */
  interRealmKvnoStrict: boolean;
  /** Include a PAC when the AS-REQ carries no PA-PAC-REQUEST (AD: yes). Default true. */
  includePacByDefault: boolean;
  /**
   * Look up and refer a service name whatever its name type. AD resolves
   * NT-PRINCIPAL, NT-SRV-HST and NT-SRV-INST names alike, as SPNs (MS-KILE
   * 3.3.5.1.1), so `MSSQLSvc/host:1433` sent as NT-PRINCIPAL (FreeTDS, MIT
   * `kvno 'svc/host@'`) or NT-UNKNOWN (Java's Kerberos, a JDBC driver) is
   * referred by its host. MIT refers only NT-SRV-INST
   * and NT-SRV-HST names. Default false; `active-directory` realms: true.
   */
  referAnyServiceNameType: boolean;
  /**
   * Answer a canonicalize request for a service found by one of its aliases
   * under the service's canonical name, as MIT's KDC does. `false`: under the
   * name asked for, as a DC answers (in AD every SPN is an attribute of an
   * account, none more canonical than another); Java's client refuses a reply
   * naming a service it did not ask for (KRB_AP_ERR_MODIFIED), so a client
   * reaching a managed instance by another of its SPNs depends on it. Default
   * true; `active-directory` realms: false.
   */
  canonicalServiceAliases: boolean;
  /**
   * The shape of KRB-ERROR replies. `mit`: cname and crealm when known and an
   * e-text naming the problem. `active-directory`: as a Windows DC sends them,
   * without cname, crealm or e-text. Default `mit`; `active-directory` realms:
   * `active-directory`.
   */
  krbErrorStyle: KrbErrorStyle;
  /**
   * Account lockout (AD's domain policy, MS-SAMR 3.1.5.14.6): after this
   * many wrong passwords within
   * `lockoutObservationWindowMs` an account is locked out for
   * `lockoutDurationMs`: its logons are refused with KDC_ERR_CLIENT_REVOKED
   * and STATUS_ACCOUNT_LOCKED_OUT, even with the right password. 0 (the
   * default, as in AD's Default Domain Policy): never.
   */
  lockoutThreshold: number;
  /**
   * How long a lockout lasts. Default 30 minutes (AD's once a threshold is set). 0, as in AD: until an
   * administrator unlocks the account (`Realm.unlockAccount`).
   */
  lockoutDurationMs: number;
  /** How long a wrong password counts towards the threshold. Default 30 minutes. */
  lockoutObservationWindowMs: number;
  /**
   * The shortest new password the password-change service (kpasswd) accepts;
   * a shorter one is KRB5_KPASSWD_SOFTERROR. Default 1 (MIT's, without a
   * password policy: not empty); `active-directory` realms: 7, AD's Default
   * Domain Policy (Samba's DC refuses a shorter one the same way).
   */
  minPasswordLength: number;
  /**
   * AD's "Password must meet complexity requirements" for a password changed
   * through kpasswd (`password-policy.ts` has the rule: three kinds of
   * character of five, nothing of the account or display name). Default
   * false; `active-directory` realms: true, AD's Default Domain Policy.
   */
  passwordComplexity: boolean;
  /**
   * How many passwords, the current one included, a changed password must
   * differ from ("Enforce password history"; MIT's `history` policy). The
   * realm remembers the keys of that many. Default 0 (not remembered);
   * `active-directory` realms: 24, AD's Default Domain Policy.
   */
  passwordHistoryLength: number;
  /**
   * How long a password must be kept before its user may change it ("Minimum
   * password age"; MIT's `minlife`), and the PAC's PasswordCanChange. A user
   * who must change the password is not held. Default 0; `active-directory`
   * realms: one day, AD's Default Domain Policy.
   */
  minPasswordAgeMs: number;
  /**
   * How long a password lasts ("Maximum password age"; MIT's `maxlife`): a
   * password set at T expires at T plus this (`PrincipalEntry.
   * passwordExpires`), after which a logon is KDC_ERR_KEY_EXPIRED
   * (STATUS_PASSWORD_EXPIRED) until the user changes it, and the AS-REP says
   * when in key-expiration and last-req. 0: passwords do not expire. Default
   * 0 in both kinds: AD's Default Domain Policy says 42 days, but a lab's
   * clock moves freely and its accounts are "password never expires" unless
   * this is set.
   */
  maxPasswordAgeMs: number;
  /**
   * How the password-change service words a change its policy refused
   * (KRB5_KPASSWD_SOFTERROR). `mit`: kadmind's words for the rule broken
   * ("Password is too short"). `active-directory`: the domain's whole policy
   * as AD_POLICY_INFO, 30 bytes in place of the text, as a Windows DC sends
   * it (MIT's and Windows' clients put it in words). Default `mit`;
   * `active-directory` realms: `active-directory`.
   */
  kpasswdResultStyle: 'mit' | 'active-directory';
  /**
   * Put the salt in ETYPE-INFO2 entries for rc4-hmac (23), whose keys use
   * none. MIT sends it; AD leaves it out. Default true; `active-directory`
   * realms: false.
   */
  rc4SaltInEtypeInfo: boolean;
  /**
   * Which of the client's keys a PA-ETYPE-INFO2 hint names (RFC 4120 section
   * 5.2.7.5 leaves it open), and who is also sent PA-ETYPE-INFO (5.2.7.4), the
   * hint of clients older than ETYPE-INFO2. `first-requested`: one entry, the
   * first etype of the request the client has a key for, as MIT's KDC sends
   * it; PA-ETYPE-INFO first when the request names no etype newer than
   * rc4-hmac (MIT's requires_info2), in KDC_ERR_PREAUTH_REQUIRED and in the
   * AS-REP, which then ends with PA-PW-SALT too (krb5kdc 1.20.1).
   * `strongest-aes-and-rc4`: the strongest AES key the client asked for, and
   * the rc4-hmac key when it asked for that too, as a Windows DC sends it;
   * PA-ETYPE-INFO first in KDC_ERR_PREAUTH_REQUIRED, its salt empty, when the
   * hint names rc4-hmac alone (Samba's KDC tests hold Windows to both).
   * Default `first-requested`; `active-directory` realms: `strongest-aes-and-rc4`.
   */
  etypeInfo2Entries: 'first-requested' | 'strongest-aes-and-rc4';
  /**
   * Name the client key's version in the AS-REP's enc-part (its `kvno`), as a
   * Windows DC does (Samba's KDC tests hold Windows to it). MIT's KDC leaves
   * it out (krb5kdc 1.20.1), as RFC 4120 section 5.2.9 lets it. Default
   * false; `active-directory` realms: true.
   */
  asReplyKvno: boolean;
  /**
   * The code a TGS gives a ticket that does not decrypt (tampered, or under
   * another key): KRB_AP_ERR_BAD_INTEGRITY as MIT's KDC answers,
   * KRB_AP_ERR_MODIFIED as AD does (the symptom of a trust key mismatch in the
   * Azure AD scenario). Default: MIT's; `active-directory` realms: AD's.
   */
  ticketDecryptFailureCode: number;
  /**
   * The code for a client whose account has expired (AS and S4U2Self):
   * KDC_ERR_NAME_EXP as MIT's KDC answers; KDC_ERR_CLIENT_REVOKED with
   * STATUS_ACCOUNT_EXPIRED as a Windows DC does (MS-KILE 3.3.5.6.3). Default:
   * MIT's; `active-directory` realms: AD's.
   */
  accountExpiredCode: number;
  /**
   * Put a PAC (MS-PAC) in the tickets this realm issues, built from its
   * directory, verified and re-signed in every TGS exchange. Default false
   * (no PAC); `active-directory` realms: true, as every Windows DC does.
   */
  issuePac: boolean;
  /**
   * SID-filter a PAC that crossed a trust by the trust boundary (MS-PAC
   * 4.1.2.2; `filterAtTrust`), as a DC does. Default false: MIT's KDC reads no
   * logon information and passes a cross-realm PAC on as it came, re-signed;
   * `active-directory` realms: true.
   */
  filterSidsAtTrusts: boolean;
  /**
   * Refuse a TGT of this realm that carries no PAC (KDC_ERR_TGT_REVOKED), as
   * Windows DCs do since the November 2021 PAC requestor enforcement. Only
   * with {@link issuePac}. Default false; `active-directory` realms: true.
   */
  requirePac: boolean;
  /**
   * Put a PAC in every TGT, even when the client sent PA-PAC-REQUEST false:
   * its PAC_ATTRIBUTES_INFO records whether the client asked for it, and a
   * service ticket from that TGT carries a PAC only if it did (MS-KILE
   * 3.3.5.3 and 3.3.5.6.4.7, Windows DCs since the November 2021 updates).
   * `false`: PA-PAC-REQUEST false leaves the PAC out of the TGT, as MIT's KDC
   * does. Only with {@link issuePac}. Default false; `active-directory`
   * realms: true.
   */
  pacInEveryTgt: boolean;
  /**
   * Look at the client's account again when a TGT of this realm older than
   * 20 minutes asks for a ticket, and refuse it with KDC_ERR_CLIENT_REVOKED if
   * the account has since been disabled, locked out, expired or removed
   * (MS-KILE 3.3.5.7.1, AD's "TicketValidateClient", on by default). MIT's
   * KDC serves a TGT until it ends. Default false; `active-directory`
   * realms: true.
   */
  ticketValidateClient: boolean;
  /**
   * Put PA-SUPPORTED-ENCTYPES in the encrypted-pa-data of replies to requests
   * that ask to canonicalize: the server's encryption types as
   * msDS-SupportedEncryptionTypes bits and, for a TGT, whether the realm
   * serves FAST (MS-KILE 3.3.5.6, 3.3.5.7), as Windows DCs do. Default
   * false; `active-directory` realms: true.
   */
  paSupportedEnctypes: boolean;
  /**
   * Look up a one-part name that names no account as AD does: a client name
   * as `name$` (a computer's sAMAccountName), then as the UPN `name@REALM`
   * (MS-KILE 3.3.5.6.1); a server name as `name$`, and an NT-ENTERPRISE
   * server name by UPN or as an account of this domain (3.3.5.1.1); an
   * NT-ENTERPRISE `name@REALM` as the account `name` (its implicit UPN). MIT's
   * KDC matches names exactly, and of an enterprise name finds only a bare
   * `name` (krb5kdc 1.20.1, db2). Default false; `active-directory` realms:
   * true.
   */
  accountNameFallbacks: boolean;
  /**
   * Refuse a service ticket for a user account that holds no SPN with
   * KDC_ERR_MUST_USE_USER2USER unless the request is user-to-user, as a
   * Windows DC does (its KDC logs "User2User was required"): a ticket under a
   * user's password key is never handed to whoever asks. S4U2Self by such an
   * account too, with KDC_ERR_S_PRINCIPAL_UNKNOWN (a Samba AD DC's answer),
   * unless it asks with user-to-user. MIT's KDC issues both. Default false;
   * `active-directory` realms: true.
   */
  userToUserForPlainUsers: boolean;
  /**
   * FAST (RFC 6113) support, see {@link FastSupport}. Default `supported`
   * (MIT's KDC always serves FAST); `active-directory` realms: `none`, the
   * default of AD's KDC armoring policy. Under `none`, armored TGS-REQs
   * (implicit armor, which MIT's client always sends) are still served.
   */
  fast: FastSupport;
  /**
   * Put a strengthen key in FAST replies and seal the reply with the
   * strengthened reply key (RFC 6113 section 5.4.3), as MIT's KDC and AD do.
   * Heimdal 7's KDC sends none and its kinit ignores one, so an armored
   * kinit from Heimdal 7 cannot decrypt a strengthened AS-REP ("Password
   * incorrect"); turn this off to serve those clients. Default true.
   */
  fastStrengthenKey: boolean;
  /**
   * Offer PA-FX-FAST first in the METHOD-DATA of KDC_ERR_PREAUTH_REQUIRED,
   * before the key hints, as MIT's KDC lists its pre-authentication systems
   * (kdc_preauth.c: FAST, etype-info and etype-info2 before the methods'
   * modules; krb5kdc 1.20.1: [136, 19, 2, 133]). `false`: after the methods,
   * before PA-FX-COOKIE, as a Windows DC lists it (Samba's KDC tests hold
   * Windows to [19, 2, 16, 15, 136, 133]). Default true; `active-directory`
   * realms: false.
   */
  fastOfferedFirst: boolean;
  /**
   * With `fast: 'supported'`, offer PA-FX-FAST in KDC_ERR_PREAUTH_REQUIRED, as
   * MIT's KDC does. An AD DC at "Supported" does not (MS-KILE 3.3.5.1): its
   * clients learn of FAST from PA-SUPPORTED-ENCTYPES in their TGT (3.2.5.4).
   * `fast: 'required'` always offers it. Default true; `active-directory`
   * realms: false.
   */
  fastOfferedInErrors: boolean;
  /**
   * Issue anonymous tickets (RFC 8062): an AS-REQ with request-anonymous for
   * WELLKNOWN/ANONYMOUS, authenticated by anonymous PKINIT (needs the realm's
   * `pkinit`), gets a TGT naming WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS, as
   * FAST's anonymous armor uses. Default false: MIT serves it only once an
   * administrator creates the WELLKNOWN/ANONYMOUS principal, and AD does not
   * serve it at all. Refused with KDC_ERR_POLICY when off.
   */
  allowAnonymous: boolean;
  /**
   * Put starttime in every ticket and KDC reply, also when it equals the
   * authtime, as a Windows DC does (Impacket's ccache writer reads it
   * unconditionally). RFC 4120 section 5.3 makes it OPTIONAL, authtime
   * standing in, and MIT's KDC leaves it out then. Default false;
   * `active-directory` realms: true.
   */
  starttimeAlways: boolean;
  /**
   * Refuse a TGS-REQ whose authenticator carries no checksum of the request
   * body (KRB_AP_ERR_INAPP_CKSUM), as RFC 4120 section 3.3.2 has the KDC
   * verify it and MIT's and Samba's KDCs refuse it. `false` serves one, as
   * Windows DCs do (Impacket's `getST` sends none): its body is then bound to
   * nothing, and whoever sees the AP-REQ may send it with another body within
   * the clock skew. A checksum that is present is always verified. Default
   * true in both kinds.
   */
  requireTgsReqChecksum: boolean;
}

/** The policy with every default applied. */
export function defaultPolicy(): RealmPolicy {
  return {
    maxTicketLifeMs: 10 * Duration.hour,
    maxRenewLifeMs: 7 * Duration.day,
    clockSkewMs: 5 * Duration.minute,
    permittedEncTypes: [...defaultEncTypes],
    allowWeakCrypto: false,
    renewableTgt: true,
    renewsTickets: true,
    requirePreauthByDefault: true,
    caseInsensitiveNames: false,
    referralsRequireCanonicalize: false,
    allowPostdate: true,
    checkTicketAddresses: true,
    forwardsPresentedTicket: true,
    encPaRepInEveryTicket: true,
    refuseDisableTransitedCheck: true,
    upnSalt: false,
    krbtgtKeyHistory: 2,
    interRealmKvnoStrict: false,
    includePacByDefault: true,
    referAnyServiceNameType: false,
    canonicalServiceAliases: true,
    krbErrorStyle: 'mit',
    rc4SaltInEtypeInfo: true,
    etypeInfo2Entries: 'first-requested',
    asReplyKvno: false,
    lockoutThreshold: 0,
    lockoutDurationMs: 30 * 60_000,
    lockoutObservationWindowMs: 30 * 60_000,
    minPasswordLength: 1,
    passwordComplexity: false,
    passwordHistoryLength: 0,
    minPasswordAgeMs: 0,
    maxPasswordAgeMs: 0,
    kpasswdResultStyle: 'mit',
    ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    accountExpiredCode: ErrorCode.KDC_ERR_NAME_EXP,
    issuePac: false,
    filterSidsAtTrusts: false,
    requirePac: false,
    pacInEveryTgt: false,
    ticketValidateClient: false,
    paSupportedEnctypes: false,
    accountNameFallbacks: false,
    userToUserForPlainUsers: false,
    fast: 'supported',
    fastStrengthenKey: true,
    fastOfferedInErrors: true,
    fastOfferedFirst: true,
    allowAnonymous: false,
    starttimeAlways: false,
    requireTgsReqChecksum: true,
  };
}

/**
 * What an Active Directory domain controller does differently from the
 * defaults: the aes-sha1 etypes only (AD implements neither 19 nor 20; rc4
 * comes last when `allowWeakCrypto` is set), names matched without regard to
 * case, no postdating, service names resolved whatever their name type and
 * answered as asked,
 * KRB-ERRORs and ETYPE-INFO2 shaped as a DC sends them.
 */
const ACTIVE_DIRECTORY: Partial<RealmPolicy> = {
  permittedEncTypes: [18, 17],
  caseInsensitiveNames: true,
  allowPostdate: false,
  checkTicketAddresses: false,
  forwardsPresentedTicket: false,
  encPaRepInEveryTicket: false,
  refuseDisableTransitedCheck: false,
  upnSalt: true,
  referAnyServiceNameType: true,
  canonicalServiceAliases: false,
  krbErrorStyle: 'active-directory',
  rc4SaltInEtypeInfo: false,
  etypeInfo2Entries: 'strongest-aes-and-rc4',
  asReplyKvno: true,
  ticketDecryptFailureCode: ErrorCode.KRB_AP_ERR_MODIFIED,
  accountExpiredCode: ErrorCode.KDC_ERR_CLIENT_REVOKED,
  issuePac: true,
  filterSidsAtTrusts: true,
  requirePac: true,
  pacInEveryTgt: true,
  ticketValidateClient: true,
  paSupportedEnctypes: true,
  accountNameFallbacks: true,
  userToUserForPlainUsers: true,
  minPasswordLength: 7,
  passwordComplexity: true,
  passwordHistoryLength: 24,
  minPasswordAgeMs: Duration.day,
  kpasswdResultStyle: 'active-directory',
  fast: 'none',
  fastOfferedInErrors: false,
  fastOfferedFirst: false,
  starttimeAlways: true,
};

/** The defaults of a realm kind, before a realm's own policy is applied. */
export function policyOfKind(kind: RealmKind): RealmPolicy {
  return kind === 'active-directory' ? { ...defaultPolicy(), ...ACTIVE_DIRECTORY } : defaultPolicy();
}

/**
 * Merge `partial` over the defaults of `kind` and check it. Throws a
 * {@link KerberosError} (KRB_ERR_GENERIC) for a policy no KDC could run with:
 * a weak etype without `allowWeakCrypto`, an empty etype list, or a
 * non-positive lifetime.
 */
export function resolvePolicy(partial: Partial<RealmPolicy> = {}, kind: RealmKind = 'mit'): RealmPolicy {
  const base = policyOfKind(kind);
  const policy: RealmPolicy = { ...base, ...stripUndefined(partial) };
  if (partial.permittedEncTypes === undefined && policy.allowWeakCrypto) {
    policy.permittedEncTypes = [...base.permittedEncTypes, RC4_HMAC];
  }
  policy.permittedEncTypes = [...new Set(policy.permittedEncTypes)];
  const bad = (why: string): never => {
    throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `invalid realm policy: ${why}`);
  };
  if (policy.permittedEncTypes.length === 0) bad('permittedEncTypes is empty');
  const unsupported = policy.permittedEncTypes.filter((e) => !isSupportedEncType(e));
  if (unsupported.length > 0) {
    bad(
      `etype ${unsupported.join(', ')} is not one krbsim supports (it supports ${supportedEncTypes.join(', ')})`,
    );
  }
  if (!policy.allowWeakCrypto) {
    const weak = policy.permittedEncTypes.filter((e) => isWeakEncType(e));
    if (weak.length > 0) bad(`etype ${weak.join(', ')} is weak; set allowWeakCrypto to permit it`);
  }
  for (const k of ['maxTicketLifeMs', 'maxRenewLifeMs', 'clockSkewMs'] as const) {
    if (!(policy[k] > 0)) bad(`${k} must be positive`);
  }
  if (policy.serviceTicketLifeMs !== undefined && !(policy.serviceTicketLifeMs > 0)) {
    bad('serviceTicketLifeMs must be positive');
  }
  if (!Number.isInteger(policy.krbtgtKeyHistory) || policy.krbtgtKeyHistory < 1) {
    bad('krbtgtKeyHistory must be an integer >= 1');
  }
  for (const k of ['minPasswordLength', 'passwordHistoryLength'] as const) {
    if (!Number.isInteger(policy[k]) || policy[k] < 0) bad(`${k} must be an integer >= 0`);
  }
  for (const k of ['minPasswordAgeMs', 'maxPasswordAgeMs'] as const) {
    if (!(policy[k] >= 0) || !Number.isFinite(policy[k])) bad(`${k} must be a finite number >= 0`);
  }
  if (!['none', 'supported', 'required'].includes(policy.fast)) {
    bad(`fast must be 'none', 'supported' or 'required', not '${String(policy.fast)}'`);
  }
  if (policy.ticketEncType !== undefined && !policy.permittedEncTypes.includes(policy.ticketEncType)) {
    bad(`ticketEncType ${policy.ticketEncType} is not in permittedEncTypes`);
  }
  return policy;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
