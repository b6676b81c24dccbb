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
  sameName,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, encrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { WellKnownRid } from '@krbsim/pac';
import { buildApRep, ReplayCache, verifyApReq } from '@krbsim/service';
import { encodeErrorReply, KdcError } from './krb-error';
import { accountOf } from './pac-builder';
import { adPolicyInfoOf, checkNewPassword, passwordRejectionText } from './password-policy';
import type { Realm } from './realm';

/** The service principal a password-change ticket is for. */
const CHANGEPW = ['kadmin', 'changepw'];

/** Options for {@link KpasswdService}. */
export interface KpasswdOptions {
  /** The service's own address, the sender address of its KRB-PRIV replies. Default 127.0.0.1. */
  readonly address?: HostAddress;
  /** Replay cache for the requests' authenticators; `false` turns replay detection off (not recommended). Default: a new bounded one. */
  readonly replayCache?: ReplayCache | false;
  /** One line per request: who asked and the result. Never a password. */
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
    this.#log = opts.log ?? (() => {});
    this.#onChange = opts.onChange;
  }

  /** Answers one request: a kpasswd reply, never a throw. */
  handle(request: Uint8Array): Uint8Array {
    let apReq: ApReq | undefined;
    try {
      const parsed = parseRequest(request);
      apReq = parsed.apReq;
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
      this.#log(`kpasswd -> ${kpasswdResultName(refusal.result)}: ${refusal.message}`);
      return this.#refuse(refusal, apReq);
    }
  }

  #change(version: number, apReq: ApReq, priv: Uint8Array): Uint8Array {
    const realm = this.#realm;
    if (
      apReq.ticket.realm !== realm.name ||
      !sameName(apReq.ticket.sname, { nameType: 2, nameString: CHANGEPW })
    ) {
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
    const v = verifyApReq(apReq, {
      keytab,
      clock: realm.clock,
      clockSkewMs: realm.policy.clockSkewMs,
      replayCache: this.#replay,
      allowWeakCrypto: realm.policy.allowWeakCrypto,
      gss: false,
    });
    const subkey = v.authenticator.subkey;
    const client = `${formatPrincipal(v.ticket.cname, v.ticket.crealm)}`;
    // From here the AP-REQ checked: every answer is an AP-REP and a KRB-PRIV under the subkey.
    const answer = (result: number, text: string | AdPolicyInfo, why = text as string): Uint8Array => {
      this.#log(`kpasswd ${client} -> ${kpasswdResultName(result)}${why === '' ? '' : `: ${why}`}`);
      return this.#reply(
        v.sessionKey,
        v.authenticator,
        subkey === undefined ? v.sessionKey : toKey(subkey),
        result,
        text,
      );
    };
    if (subkey === undefined) return answer(KpasswdResult.MALFORMED, 'the AP-REQ carries no subkey');
    let part: ReturnType<typeof decodeEncKrbPrivPart>;
    try {
      const krbPriv = decodeKrbPriv(priv);
      part = decodeEncKrbPrivPart(decrypt(toKey(subkey), KeyUsage.KRB_PRIV_ENCPART, krbPriv.encPart.cipher));
    } catch {
      return answer(KpasswdResult.MALFORMED, 'the KRB-PRIV does not decode or decrypt with the subkey');
    }
    if (
      v.authenticator.seqNumber !== undefined &&
      part.seqNumber !== undefined &&
      part.seqNumber !== v.authenticator.seqNumber
    ) {
      return answer(KpasswdResult.MALFORMED, "the KRB-PRIV sequence number is not the authenticator's");
    }
    let password: Uint8Array = part.userData;
    // Whose password: the ticket's client's, or the target a ChangePasswdData names.
    let target = { name: v.ticket.cname, realm: v.ticket.crealm };
    let reset = false;
    if (version === KpasswdVersion.SET_PASSWORD) {
      let data: ReturnType<typeof decodeChangePasswdData>;
      try {
        data = decodeChangePasswdData(part.userData);
      } catch {
        return answer(KpasswdResult.MALFORMED, 'ChangePasswdData does not decode');
      }
      password = data.newPasswd;
      const other =
        (data.targName !== undefined && !sameName(data.targName, v.ticket.cname)) ||
        (data.targRealm !== undefined && data.targRealm.toUpperCase() !== v.ticket.crealm.toUpperCase());
      if (other) {
        target = { name: data.targName ?? v.ticket.cname, realm: data.targRealm ?? v.ticket.crealm };
        reset = true;
      }
    }
    if ((v.ticket.flags & TicketFlags.initial) === 0) {
      return answer(
        KpasswdResult.INITIAL_FLAG_NEEDED,
        'the ticket must come from an AS exchange (an initial ticket)',
      );
    }
    if (v.ticket.crealm !== realm.name) {
      return answer(KpasswdResult.ACCESSDENIED, `${client} is not an account of ${realm.name}`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(password);
    } catch {
      return answer(KpasswdResult.SOFTERROR, 'the new password is not UTF-8');
    }
    const whose = formatPrincipal(target.name, target.realm);
    if (reset) {
      // Another's password: an administrator's reset (AD's "Reset password" right, held by Domain Admins).
      if (target.realm.toUpperCase() !== realm.name.toUpperCase()) {
        return answer(KpasswdResult.ACCESSDENIED, `${whose} is not an account of ${realm.name}`);
      }
      if (!isPasswordAdministrator(realm, formatPrincipal(v.ticket.cname))) {
        return answer(
          KpasswdResult.ACCESSDENIED,
          `${client} may not set the password of ${whose}: only Domain Admins and Enterprise Admins may`,
        );
      }
    }
    const user = realm.lookup(formatPrincipal(target.name));
    if (user === undefined || user.kind === 'krbtgt') {
      return answer(KpasswdResult.HARDERROR, `${whose} has no account here`);
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
      { reset },
    );
    if (rejection !== undefined) {
      const words = passwordRejectionText[rejection];
      // A Windows DC answers with its whole policy, not the rule broken (AD_POLICY_INFO).
      const policy =
        realm.policy.kpasswdResultStyle === 'active-directory' ? adPolicyInfoOf(realm.policy) : undefined;
      return answer(KpasswdResult.SOFTERROR, policy ?? words, words);
    }
    realm.setPassword(formatPrincipal(target.name), text);
    let note = reset ? `set the password of ${whose}` : '';
    try {
      this.#onChange?.(formatPrincipal(target.name, realm.name), text);
    } catch (e) {
      // The password is changed: the client hears so, and the log that the owner's copy is not.
      note = `${note === '' ? '' : `${note}; `}onChange failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    return answer(KpasswdResult.SUCCESS, '', note);
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

  /** A refusal before the AP-REQ checked: header, no AP-REP, a KRB-ERROR with the result in e-data. */
  #refuse(refusal: KpasswdRefusal, apReq: ApReq | undefined): Uint8Array {
    const realm = this.#realm;
    const err = encodeErrorReply(
      new KdcError(refusal.errorCode ?? ErrorCode.KRB_ERR_GENERIC, refusal.message, {
        eData: encodeKpasswdResult(refusal.result, refusal.message),
      }),
      { realm: realm.name, sname: apReq?.ticket.sname ?? { nameType: 2, nameString: CHANGEPW } },
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
  return realm.directory.tokenGroups(account.name).groups.some((g) => admins.includes(g.relativeId));
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
