/**
 * The password-change service, kpasswd (RFC 3244; MS-KILE 3.3.5.8 for a
 * domain controller): what MIT's `kpasswd`, `kinit` with an expired password
 * and Windows' "change password" speak on port 464.
 *
 * A request is a 6-byte header (message length, protocol version, AP-REQ
 * length, all big-endian), an AP-REQ for `kadmin/changepw` made with an
 * authenticator subkey, and a KRB-PRIV sealed with that subkey (usage 13).
 * Version 1 (RFC 3244 section 2, "change password") carries the new password
 * itself; version 0xff80 ("set password") a ChangePasswdData, which may name
 * another principal. The reply is the same header (version 1), an AP-REP and
 * a KRB-PRIV whose data is a 2-byte result code and a UTF-8 result string;
 * a request whose AP-REQ does not check gets a KRB-ERROR instead of the
 * AP-REP and KRB-PRIV, the result code and string in its e-data.
 *
 * The rules, as MIT's kadmind and an AD DC apply them:
 * - the ticket must be for `kadmin/changepw` of this realm and, to change
 *   one's own password, an initial ticket (from an AS exchange, so a stolen
 *   TGT cannot change it: KRB5_KPASSWD_INITIAL_FLAG_NEEDED);
 * - one's own password; another account's only by an administrator (a
 *   member of Domain Admins or Enterprise Admins: AD's "Reset password"
 *   right), with ChangePasswdData, else ACCESSDENIED; a reset skips the
 *   minimum age and the history, as AD's does;
 * - a password the realm's rules refuse (`password-policy.ts`: minimum age,
 *   length, AD's complexity, history) is SOFTERROR, with kadmind's words for
 *   the rule broken, or in `active-directory` realms the domain's policy as
 *   AD_POLICY_INFO, as a Windows DC answers;
 * - a changed password ends `mustChangePassword` and its expiry
 *   (`Realm.setPassword`).
 *
 * @module
 */

import {
  type AdPolicyInfo,
  type ApReq,
  decodeApReq,
  decodeChangePasswdData,
  decodeEncKrbPrivPart,
  decodeKpasswdMessage,
  decodeKrbPriv,
  encodeEncKrbPrivPart,
  encodeKpasswdMessage,
  encodeKpasswdResult,
  encodeKrbPriv,
  formatPrincipal,
  type HostAddress,
  type KpasswdMessage,
  KpasswdResult,
  KpasswdVersion,
  kpasswdResultName,
  type PrincipalName,
  type QualifiedName,
  sameName,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, safeLogSink } from '@krbsim/core';
import { decrypt, encrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { PacBufferType, WellKnownRid } from '@krbsim/pac';
import { buildApRep, ReplayCache, type VerifiedApReq, verifyApReq } from '@krbsim/service';
import { encodeErrorReply, KdcError } from './krb-error';
import { accountOf, forestRootOf, forestUniversalGroups } from './pac-builder';
import { adPolicyInfoOf, checkNewPassword, passwordRejectionText } from './password-policy';
import type { Realm } from './realm';

/** The service principal a password-change ticket is for. */
const CHANGEPW = ['kadmin', 'changepw'];

/**
 * The most characters of a refusal's words a KRB-ERROR carries (and a log line): they may quote
 * names the client chose, and the reply's length is a 16-bit field (RFC 3244 section 2).
 */
const MAX_TEXT = 512;

/** `text` cut to {@link MAX_TEXT} characters. */
const brief = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 3)}...` : text);

/** Options for {@link KpasswdService}. */
export interface KpasswdOptions {
  /** The service's own address, the sender address of its KRB-PRIV replies. Default 127.0.0.1. */
  readonly address?: HostAddress;
  /** Replay cache for the requests' authenticators; `false` turns replay detection off (not recommended). Default: a new bounded one. */
  readonly replayCache?: ReplayCache | false;
  /**
   * One line per request: who asked and the result. Never a password; names a client chose have
   * their control characters escaped. A sink that throws changes no reply.
   */
  readonly log?: (line: string) => void;
  /**
   * Called once a password is changed, with the account (`name@REALM`) and
   * its new password: the hook MIT's kadmind (kadm5_hook `chpass`) and
   * Samba's DC offer, for whoever must keep a copy (a lab's record of its
   * users, the files a served realm wrote). Never logged. If it throws, the
   * change stands and is answered SUCCESS, and the log line says the hook
   * failed.
   */
  readonly onChange?: (principal: string, password: string) => void;
}

/** A refusal: its result code, and the KRB-ERROR code when the AP-REQ itself did not check. */
class KpasswdRefusal extends Error {
  constructor(
    readonly result: number,
    message: string,
    readonly errorCode?: number,
  ) {
    super(message);
  }
}

/**
 * An answer after the AP-REQ checked (an AP-REP and a KRB-PRIV): its result
 * code, the result string (AD_POLICY_INFO for an AD realm's refusal), and
 * the reason in words for the log.
 */
class KpasswdAnswer extends Error {
  readonly why: string;
  constructor(
    readonly result: number,
    readonly text: string | AdPolicyInfo,
    why?: string,
  ) {
    const words = why ?? (text as string);
    super(words);
    this.why = words;
  }
}

/** What a request asks: whose password, the new one as sent, and whether it is another's (a reset). */
interface PasswordChange {
  readonly password: Uint8Array;
  readonly target: QualifiedName;
  readonly reset: boolean;
}

/** The realm's password-change service: `handle` answers one kpasswd request (UDP or TCP payload). */
export class KpasswdService {
  readonly #realm: Realm;
  readonly #address: HostAddress;
  readonly #replay: ReplayCache | undefined;
  readonly #log: (line: string) => void;
  readonly #onChange: ((principal: string, password: string) => void) | undefined;

  constructor(realm: Realm, opts: KpasswdOptions = {}) {
    this.#realm = realm;
    this.#address = opts.address ?? { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) };
    this.#replay =
      opts.replayCache === false
        ? undefined
        : (opts.replayCache ?? new ReplayCache({ clock: realm.clock, windowMs: realm.policy.clockSkewMs }));
    // A failing logger must not change the reply: the password may be changed already.
    this.#log = safeLogSink(opts.log);
    this.#onChange = opts.onChange;
  }

  /** Answers one request: a kpasswd reply, never a throw. */
  handle(request: Uint8Array): Uint8Array {
    try {
      const parsed = parseRequest(request);
      return this.#change(parsed.version, parsed.apReq, parsed.priv);
    } catch (e) {
      const refusal =
        e instanceof KpasswdRefusal
          ? e
          : new KpasswdRefusal(
              isKerberosError(e) ? KpasswdResult.AUTHERROR : KpasswdResult.HARDERROR,
              isKerberosError(e) ? e.message : 'internal error',
              isKerberosError(e) ? e.code : ErrorCode.KRB_ERR_GENERIC,
            );
      this.#log(`kpasswd -> ${kpasswdResultName(refusal.result)}: ${brief(refusal.message)}`);
      return this.#refuse(refusal);
    }
  }

  /**
   * A request whose parts decoded, in the order kadmind and a DC check it:
   * the AP-REQ (a refusal here is a KRB-ERROR), then, under its subkey, the
   * KRB-PRIV, whose password and for whom, the right to change it, the
   * realm's rules, and the change.
   */
  #change(version: number, apReq: ApReq, priv: Uint8Array): Uint8Array {
    const v = this.#authenticate(apReq);
    const client = formatPrincipal(v.ticket.cname, v.ticket.crealm);
    const subkey = v.authenticator.subkey === undefined ? undefined : toKey(v.authenticator.subkey);
    // From here the AP-REQ checked: every answer is an AP-REP and a KRB-PRIV under the subkey.
    const answer = (result: number, text: string | AdPolicyInfo, why: string): Uint8Array => {
      this.#log(`kpasswd ${client} -> ${kpasswdResultName(result)}${why === '' ? '' : `: ${why}`}`);
      return this.#reply(v.sessionKey, v.authenticator, subkey ?? v.sessionKey, result, text);
    };
    try {
      if (subkey === undefined)
        throw new KpasswdAnswer(KpasswdResult.MALFORMED, 'the AP-REQ carries no subkey');
      const userData = openPriv(priv, subkey, v.authenticator.seqNumber);
      const change = readChange(version, userData, v.ticket, this.#realm);
      const password = this.#admit(v.ticket, client, change);
      return answer(KpasswdResult.SUCCESS, '', this.#apply(change, password));
    } catch (e) {
      if (e instanceof KpasswdAnswer) return answer(e.result, e.text, e.why);
      // The AP-REQ checked: a refusal after it is a result in the KRB-PRIV, not a KRB-ERROR (RFC 3244
      // section 2 keeps KRB-ERROR for a request whose AP-REQ or KRB-PRIV cannot be read).
      if (isKerberosError(e)) return answer(KpasswdResult.HARDERROR, brief(e.message), brief(e.message));
      throw e;
    }
  }

  /** The AP-REQ, for this realm's `kadmin/changepw` and checked with its keys; else a KRB-ERROR refusal. */
  #authenticate(apReq: ApReq): VerifiedApReq {
    const realm = this.#realm;
    const isChangepw = sameName(
      apReq.ticket.sname,
      { nameType: 2, nameString: CHANGEPW },
      realm.policy.caseInsensitiveNames,
    );
    if (apReq.ticket.realm !== realm.name || !isChangepw) {
      throw new KpasswdRefusal(
        KpasswdResult.AUTHERROR,
        `the ticket is for ${formatPrincipal(apReq.ticket.sname, apReq.ticket.realm)}, not kadmin/changepw@${realm.name}`,
        ErrorCode.KRB_AP_ERR_NOT_US,
      );
    }
    const entry = realm.lookup('kadmin/changepw');
    if (entry === undefined) {
      throw new KpasswdRefusal(
        KpasswdResult.HARDERROR,
        `${realm.name} has no kadmin/changepw`,
        ErrorCode.KRB_AP_ERR_NOKEY,
      );
    }
    const keytab = entry.keys.map((k) => ({
      principal: { realm: realm.name, name: { nameType: 2, nameString: CHANGEPW } },
      kvno: k.kvno,
      key: k.key,
    }));
    const verified = verifyApReq(apReq, {
      keytab,
      clock: realm.clock,
      clockSkewMs: realm.policy.clockSkewMs,
      replayCache: this.#replay,
      allowWeakCrypto: realm.policy.allowWeakCrypto,
      gss: false,
    });
    // A DC's kadmin/changepw shares the krbtgt's keys, so a TGT whose clear sname was rewritten opens
    // too (Samba CVE-2022-2031): a ticket whose PAC has what only TGTs carry (PAC_ATTRIBUTES_INFO,
    // PAC_REQUESTOR) is refused, as Samba's kpasswd_check_non_tgt refuses it.
    const buffers = verified.pac?.buffers.map((b) => b.type) ?? [];
    if (buffers.includes(PacBufferType.ATTRIBUTES_INFO) || buffers.includes(PacBufferType.REQUESTOR)) {
      throw new KpasswdRefusal(
        KpasswdResult.AUTHERROR,
        'the ticket is a TGT (its PAC has PAC_ATTRIBUTES_INFO or PAC_REQUESTOR), not a kadmin/changepw ticket',
        ErrorCode.KRB_AP_ERR_NOT_US,
      );
    }
    return verified;
  }

  /**
   * Whether `ticket`'s client may give `change.target` this password, as
   * kadmind and a DC decide: a client of this realm, an initial ticket for its own password, UTF-8, another
   * account's only by an administrator, and the realm's rules. The password
   * as text, or the answer refusing it.
   */
  #admit(ticket: VerifiedApReq['ticket'], client: string, change: PasswordChange): string {
    const realm = this.#realm;
    const { target, reset } = change;
    // One's own password takes an initial ticket (the old one just typed); an administrator's reset of
    // another's does not (MIT's schpw.c for 0xff80, Samba's kpasswd_set_password: adcli and msktutil get
    // kadmin/changepw through the TGS).
    if (!reset && (ticket.flags & TicketFlags.initial) === 0) {
      throw new KpasswdAnswer(
        KpasswdResult.INITIAL_FLAG_NEEDED,
        'the ticket must come from an AS exchange (an initial ticket)',
      );
    }
    if (ticket.crealm !== realm.name) {
      throw new KpasswdAnswer(KpasswdResult.ACCESSDENIED, `${client} is not an account of ${realm.name}`);
    }
    let text: string;
    try {
      // The bytes as sent: a leading U+FEFF is part of the password, not a byte order mark to drop.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(change.password);
    } catch {
      throw new KpasswdAnswer(KpasswdResult.SOFTERROR, 'the new password is not UTF-8');
    }
    const whose = formatPrincipal(target.name, target.realm);
    if (reset) {
      // Another's password: an administrator's reset (AD's "Reset password" right, held by Domain Admins).
      if (!realm.isNamed(target.realm)) {
        throw new KpasswdAnswer(KpasswdResult.ACCESSDENIED, `${whose} is not an account of ${realm.name}`);
      }
      if (!isPasswordAdministrator(realm, formatPrincipal(ticket.cname))) {
        throw new KpasswdAnswer(
          KpasswdResult.ACCESSDENIED,
          `${client} may not set the password of ${whose}: only Domain Admins and Enterprise Admins may`,
        );
      }
    }
    const user = realm.lookup(formatPrincipal(target.name));
    if (user === undefined || user.kind === 'krbtgt') {
      throw new KpasswdAnswer(KpasswdResult.HARDERROR, `${whose} has no account here`);
    }
    const account = accountOf(realm, user);
    const rejection = checkNewPassword(
      realm.policy,
      {
        entry: user,
        accountName: account?.name ?? user.name.nameString.join('/'),
        ...(account?.displayName !== undefined && { displayName: account.displayName }),
      },
      text,
      realm.clock.now(),
      { reset, historyOnReset: realm.kind !== 'active-directory' },
    );
    if (rejection !== undefined) {
      const words = passwordRejectionText[rejection];
      // A Windows DC answers with its whole policy, not the rule broken (AD_POLICY_INFO).
      const policy =
        realm.policy.kpasswdResultStyle === 'active-directory' ? adPolicyInfoOf(realm.policy) : undefined;
      throw new KpasswdAnswer(KpasswdResult.SOFTERROR, policy ?? words, words);
    }
    return text;
  }

  /** Make the change and tell `onChange`; what the log line adds to SUCCESS. */
  #apply(change: PasswordChange, password: string): string {
    const realm = this.#realm;
    const name = formatPrincipal(change.target.name);
    realm.setPassword(name, password);
    let note = change.reset
      ? `set the password of ${formatPrincipal(change.target.name, change.target.realm)}`
      : '';
    try {
      this.#onChange?.(formatPrincipal(change.target.name, realm.name), password);
    } catch (e) {
      // The password is changed: the client hears so, and the log that the owner's copy is not.
      note = `${note === '' ? '' : `${note}; `}onChange failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    return note;
  }

  /** The success path's reply: header, AP-REP, KRB-PRIV with the result (RFC 3244 section 2). */
  #reply(
    sessionKey: Key,
    auth: { readonly ctime: number; readonly cusec: number },
    privKey: Key,
    result: number,
    text: string | AdPolicyInfo,
  ): Uint8Array {
    const realm = this.#realm;
    const apRep = buildApRep(sessionKey, { ctime: auth.ctime, cusec: auth.cusec }, realm.random);
    const now = realm.clock.now();
    const part = encodeEncKrbPrivPart({
      userData: encodeKpasswdResult(result, text),
      timestamp: Math.floor(now / 1000) * 1000,
      usec: (now % 1000) * 1000,
      sAddress: this.#address,
    });
    const cipher = encrypt(privKey, KeyUsage.KRB_PRIV_ENCPART, part, { random: realm.random });
    const priv = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: privKey.etype, cipher } });
    return encodeKpasswdMessage({ version: KpasswdVersion.CHANGE_PASSWORD, ap: apRep, rest: priv });
  }

  /**
   * A refusal before the AP-REQ checked: header, no AP-REP, a KRB-ERROR with the result in e-data.
   * The KRB-ERROR names this service, whatever the ticket named, and carries at most
   * {@link MAX_TEXT} characters of words, so that it fits the reply's 16-bit length.
   */
  #refuse(refusal: KpasswdRefusal): Uint8Array {
    const realm = this.#realm;
    const words = brief(refusal.message);
    const err = encodeErrorReply(
      new KdcError(refusal.errorCode ?? ErrorCode.KRB_ERR_GENERIC, words, {
        eData: encodeKpasswdResult(refusal.result, words),
      }),
      { realm: realm.name, sname: { nameType: 2, nameString: CHANGEPW } },
      realm.name,
      realm.clock.now(),
    );
    return encodeKpasswdMessage({
      version: KpasswdVersion.CHANGE_PASSWORD,
      ap: new Uint8Array(0),
      rest: err,
    });
  }
}

/**
 * Whether the account `name` of `realm` may set other accounts' passwords: a
 * member, directly or through nested groups, of Domain Admins or Enterprise
 * Admins, who hold AD's "Reset password" right on every user (krbsim's
 * stand-in for MIT's kadm5.acl too).
 */
function isPasswordAdministrator(realm: Realm, name: string): boolean {
  const entry = realm.lookup(name);
  const account = entry === undefined ? undefined : accountOf(realm, entry);
  if (account === undefined) return false;
  const admins: readonly number[] = [WellKnownRid.DOMAIN_ADMINS, WellKnownRid.ENTERPRISE_ADMINS];
  const groups = realm.directory.tokenGroups(account.name).groups;
  if (groups.some((g) => admins.includes(g.relativeId))) return true;
  // In a child domain Enterprise Admins is the forest root's: a member of it from here is found as the
  // global catalog finds it for a logon.
  const root = forestRootOf(realm);
  if (root === undefined) return false;
  const own = () =>
    [account.rid, ...groups.map((g) => g.relativeId)].map((rid) => realm.directory.sidOf(rid));
  return forestUniversalGroups(realm, own).includes(root.directory.sidOf(WellKnownRid.ENTERPRISE_ADMINS));
}

/**
 * The KRB-PRIV's user data, decrypted with the subkey and its sequence number checked: HARDERROR
 * otherwise, as MIT's kadmind answers any KRB-PRIV it cannot read ("Failed decrypting request").
 */
function openPriv(priv: Uint8Array, subkey: Key, seqNumber: number | undefined): Uint8Array {
  let part: ReturnType<typeof decodeEncKrbPrivPart>;
  try {
    const krbPriv = decodeKrbPriv(priv);
    part = decodeEncKrbPrivPart(decrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, krbPriv.encPart.cipher));
  } catch {
    throw new KpasswdAnswer(
      KpasswdResult.HARDERROR,
      'the KRB-PRIV does not decode or decrypt with the subkey',
    );
  }
  // MIT's schpw.c reads the KRB-PRIV with KRB5_AUTH_CONTEXT_DO_SEQUENCE: its sequence number must be
  // the authenticator's, an absent one counting as 0 on either side (RFC 4120 section 3.5.2).
  if ((part.seqNumber ?? 0) !== (seqNumber ?? 0)) {
    throw new KpasswdAnswer(
      KpasswdResult.HARDERROR,
      "the KRB-PRIV sequence number is not the authenticator's",
    );
  }
  return part.userData;
}

/**
 * Whose password and which (RFC 3244 section 2): change password carries
 * the ticket's client's new password; set password a ChangePasswdData that
 * may name another account.
 */
function readChange(
  version: number,
  userData: Uint8Array,
  ticket: { readonly cname: PrincipalName; readonly crealm: string },
  realm: Realm,
): PasswordChange {
  const own = { name: ticket.cname, realm: ticket.crealm };
  if (version !== KpasswdVersion.SET_PASSWORD) return { password: userData, target: own, reset: false };
  let data: ReturnType<typeof decodeChangePasswdData>;
  try {
    data = decodeChangePasswdData(userData);
  } catch {
    throw new KpasswdAnswer(KpasswdResult.MALFORMED, 'ChangePasswdData does not decode');
  }
  // Samba: "Realm and principal must be both present, or neither present".
  if ((data.targName === undefined) !== (data.targRealm === undefined)) {
    throw new KpasswdAnswer(
      KpasswdResult.MALFORMED,
      `ChangePasswdData names a target ${data.targName === undefined ? 'realm without a name' : 'name without a realm'}: both, or neither`,
    );
  }
  const target = data.targName?.nameString;
  if (target !== undefined && (target.length === 0 || target.some((c) => c === ''))) {
    throw new KpasswdAnswer(
      KpasswdResult.MALFORMED,
      'ChangePasswdData names no principal (an empty name or component)',
    );
  }
  // One's own name, as the realm compares names (an AD realm whatever the case): a change, not a reset.
  const other =
    (data.targName !== undefined &&
      !sameName(data.targName, ticket.cname, realm.policy.caseInsensitiveNames)) ||
    (data.targRealm !== undefined && !sameRealmName(realm, data.targRealm, ticket.crealm));
  return other
    ? {
        password: data.newPasswd,
        target: { name: data.targName ?? ticket.cname, realm: data.targRealm ?? ticket.crealm },
        reset: true,
      }
    : { password: data.newPasswd, target: own, reset: false };
}

function toKey(k: { readonly keytype: number; readonly keyvalue: Uint8Array }): Key {
  return { etype: k.keytype, bytes: k.keyvalue };
}

/** Splits a request into its parts; MALFORMED or BAD_VERSION when the header does not hold. */
function parseRequest(request: Uint8Array): { version: number; apReq: ApReq; priv: Uint8Array } {
  let m: KpasswdMessage;
  try {
    m = decodeKpasswdMessage(request);
  } catch (e) {
    throw new KpasswdRefusal(KpasswdResult.MALFORMED, (e as Error).message);
  }
  if (m.version !== KpasswdVersion.CHANGE_PASSWORD && m.version !== KpasswdVersion.SET_PASSWORD) {
    throw new KpasswdRefusal(
      KpasswdResult.BAD_VERSION,
      `protocol version 0x${m.version.toString(16)} is not 1 or 0xff80`,
    );
  }
  if (m.ap.length === 0 || m.rest.length === 0) {
    throw new KpasswdRefusal(KpasswdResult.MALFORMED, 'a request needs an AP-REQ and a KRB-PRIV');
  }
  let apReq: ApReq;
  try {
    apReq = decodeApReq(m.ap);
  } catch (e) {
    throw new KpasswdRefusal(KpasswdResult.MALFORMED, `the AP-REQ does not decode: ${(e as Error).message}`);
  }
  return { version: m.version, apReq, priv: m.rest };
}

/** Whether two realm names are one: the same text, or both naming `realm` (in an AD realm, in any case). */
function sameRealmName(realm: Realm, a: string, b: string): boolean {
  return a === b || (realm.isNamed(a) && realm.isNamed(b));
}
