/**
 * S4U2Self (MS-SFU sections 2.2.1, 2.2.2 and 3.2.5.1): a service, with its
 * own TGT, asks for a ticket to itself on behalf of a user, named in
 * PA-FOR-USER (Heimdal, Windows) or PA-S4U-X509-USER (MIT sends both; the
 * X.509 form wins when both come, as in MIT's and AD's KDCs).
 *
 * - PA-FOR-USER's checksum is keyed with the TGT session key, usage 17, over
 *   the name type (4 bytes little-endian), the name's components, the realm
 *   and the auth package: HMAC-MD5 (-138) whatever the key's etype as
 *   Windows sends it, or the key's own checksum type as Heimdal does; any
 *   keyed type is accepted, as MIT's KDC does, an unkeyed one never
 *   (KRB_AP_ERR_INAPP_CKSUM);
 * - PA-S4U-X509-USER's is the key's own checksum type, usage 26, over the
 *   S4UUserID as received, keyed with the authenticator's subkey when there
 *   is one, else the TGT session key: in an MIT realm that key only, as MIT's
 *   KDC verifies it; in an AD realm the TGT session key too, as section
 *   2.2.2 says; the reply echoes it (section 3.2.5.1.2) with a checksum under
 *   the same key, usage 27 when the client asked for it (the
 *   USE_REPLY_KEY_USAGE option), 26 otherwise.
 *
 * A user of this realm must exist here, and pass a logon's account checks
 * but the password's (`accountExpiredCode`, KDC_ERR_CLIENT_REVOKED, in MIT's
 * order; an expired password or one to change is no matter, as for MIT and
 * Windows); a user of another realm is left to
 * the exchange, which serves it across a direct trust or refuses it
 * (`s4u-cross-realm.ts`). A certificate-only S4UUserID (no cname) is
 * refused with KDC_ERR_PADATA_TYPE_NOSUPP: never ignored.
 *
 * @module
 */

import type { Checksum, PaData, PrincipalName, S4uUserId } from '@krbsim/asn1';
import {
  decodeDerTree,
  decodePaForUser,
  decodePaS4uX509User,
  encodePaS4uX509User,
  encodeS4uUserId,
  formatPrincipal,
  PaDataType,
  paForUserChecksumInput,
  S4uUserIdOptions,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { checksum, checksumTypeFor, type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { expiryRefusal, standingRefusal } from '../account-standing';
import { findClient } from '../find-client';
import { KdcError } from '../krb-error';
import type { PrincipalEntry } from '../principal-db';
import type { TgsPadataHandler, TgsRequestState } from './handler';

function header(state: TgsRequestState): NonNullable<TgsRequestState['header']> {
  // Registry order runs PA-TGS-REQ first; without it the exchange refuses the request anyway.
  if (state.header === undefined) {
    throw new KdcError(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP, 'S4U2Self needs a PA-TGS-REQ');
  }
  return state.header;
}

function modified(what: string, cause?: unknown): never {
  throw new KdcError(ErrorCode.KRB_AP_ERR_MODIFIED, `the ${what} checksum does not verify`, {
    ...(cause !== undefined && { cause }),
  });
}

function verify(key: Key, usage: number, data: Uint8Array, ck: Checksum, what: string): void {
  let ok: boolean;
  try {
    ok = verifyChecksum(key, usage, data, ck.checksum, { cksumtype: ck.cksumtype });
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    if (e.code === ErrorCode.KRB_AP_ERR_INAPP_CKSUM) {
      throw new KdcError(e.code, `the ${what} checksum type ${ck.cksumtype} is not a keyed checksum`, {
        cause: e,
      });
    }
    if (e.code === ErrorCode.KDC_ERR_SUMTYPE_NOSUPP) {
      throw new KdcError(e.code, `the ${what} checksum type ${ck.cksumtype} is not supported`, { cause: e });
    }
    modified(what, e);
  }
  if (!ok) modified(what);
}

/** Whether `ck` verifies under `key`, any failure read as no. */
function verifiesQuietly(key: Key, data: Uint8Array, ck: Checksum): boolean {
  try {
    return verifyChecksum(key, KeyUsage.PA_S4U_X509_USER_REQUEST, data, ck.checksum, {
      cksumtype: ck.cksumtype,
    });
  } catch {
    return false;
  }
}

/**
 * The user of an S4U2Self request, looked up in this realm, and the realm
 * the ticket names; undefined for a user of another realm.
 */
function resolveUser(
  state: TgsRequestState,
  cname: PrincipalName,
  crealm: string,
  checkLogonHours: boolean,
): { user: PrincipalEntry | undefined; crealm: string } {
  const realm = state.realm;
  // A domain's realm is its DNS name, whatever its case (a DC matches it so); MIT compares realms exactly,
  // so another case names another realm.
  const local = realm.isNamed(crealm);
  if (!local) return { user: undefined, crealm };
  const user = findClient(realm, cname);
  if (user === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
      `S4U2Self: client ${formatPrincipal(cname, realm.name)} not found in Kerberos database`,
    );
  }
  // The user gets a ticket as if logging on, so the account checks of a logon apply, in MIT's
  // order (its KDC runs validate_as_request on the impersonated client); logon hours only when the
  // service asks (MS-SFU 2.2.2, KDC_CHECK_LOGON_HOUR_RESTRICTIONS: Windows' S4U logon sets it on
  // request, KERB_S4U_LOGON_FLAG_CHECK_LOGONHOURS). But not the password's: S4U2Self is no
  // password authentication, so an expired password or one to change does not stop it (MIT's
  // kdc_process_s4u2self_req clears pw_expiration and REQUIRES_PWCHANGE "as Windows does").
  const who = { name: cname, realm: realm.name };
  const refusal =
    expiryRefusal(user, who, state.now, realm.policy, false) ??
    standingRefusal(user, who, state.now, realm.policy, checkLogonHours);
  if (refusal !== undefined) {
    throw new KdcError(refusal.code, `S4U2Self: ${refusal.message}`, { ntStatus: refusal.ntStatus });
  }
  return { user, crealm: realm.name };
}

/** PA-FOR-USER (129). */
export const paForUser: TgsPadataHandler = {
  padataType: PaDataType.PA_FOR_USER,
  process(state, pa) {
    const h = header(state);
    if (state.s4uSelf !== undefined) return; // PA-S4U-X509-USER named the user already
    const req = decodePaForUser(pa.padataValue);
    if (req.authPackage.toLowerCase() !== 'kerberos') {
      throw new KdcError(
        ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
        `PA-FOR-USER auth-package '${req.authPackage}' is not Kerberos`,
      );
    }
    const sessionKey: Key = { etype: h.tgt.key.keytype, bytes: h.tgt.key.keyvalue };
    verify(
      sessionKey,
      KeyUsage.KERB_NON_KERB_CKSUM_SALT,
      paForUserChecksumInput(req),
      req.cksum,
      'PA-FOR-USER',
    );
    state.s4uSelf = { cname: req.userName, ...resolveUser(state, req.userName, req.userRealm, false) };
  },
};

/** The S4UUserID's bytes as received: what its checksum covers. */
function userIdBytes(pa: PaData): Uint8Array {
  const seq = decodeDerTree(pa.padataValue);
  const userId = seq.children?.[0]?.children?.[0];
  if (userId === undefined) throw new KdcError(ErrorCode.KRB_ERR_GENERIC, 'PA-S4U-X509-USER has no user-id');
  return pa.padataValue.subarray(userId.offset, userId.offset + userId.headerLength + userId.length);
}

/** PA-S4U-X509-USER (130). */
export const paS4uX509User: TgsPadataHandler = {
  padataType: PaDataType.PA_FOR_X509_USER,
  process(state, pa) {
    const h = header(state);
    const req = decodePaS4uX509User(pa.padataValue);
    // MIT's KDC verifies it with the authenticator's subkey when there is one, else the TGT session
    // key (kdc_process_s4u_x509_user), as its client keys it: one key, the request's reply key, so
    // in an MIT realm a session-keyed checksum beside a subkey is KRB_AP_ERR_MODIFIED. An AD realm
    // takes either, subkey first: section 2.2.2 names the TGT session key ("the same key is used in
    // the TGS request and reply"), and MIT's client, which Windows DCs serve, keys it with the
    // subkey. (Samba's DC, the AD oracle at hand, ignores PA-S4U-X509-USER: no evidence there.)
    // The key that verifies checksums the echo too.
    const session: Key = { etype: h.tgt.key.keytype, bytes: h.tgt.key.keyvalue };
    const sub = h.authenticator.subkey;
    const subkey: Key | undefined = sub ? { etype: sub.keytype, bytes: sub.keyvalue } : undefined;
    const keys: Key[] =
      subkey === undefined ? [session] : state.realm.kind === 'mit' ? [subkey] : [subkey, session];
    const data = userIdBytes(pa);
    let key = keys.find((k) => verifiesQuietly(k, data, req.checksum));
    if (key === undefined) {
      // None verified: the first key's check throws why, with its precise code.
      key = keys[0]!;
      verify(key, KeyUsage.PA_S4U_X509_USER_REQUEST, data, req.checksum, 'PA-S4U-X509-USER');
    }
    const id = req.userId;
    if (id.nonce !== state.req.reqBody.nonce) {
      throw new KdcError(ErrorCode.KRB_AP_ERR_MODIFIED, 'the S4UUserID nonce is not the request nonce');
    }
    if (id.cname === undefined && id.subjectCertificate === undefined) {
      // MIT's answer: an S4UUserID that names nobody has no client to find.
      throw new KdcError(
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        'the S4UUserID names no user (no cname, no certificate)',
      );
    }
    // MS-SFU 2.2.2: a subject-certificate is the user to find, with a name or without (MIT looks the
    // account up by it whenever it is there). This KDC maps no certificate to an account: refused,
    // rather than a ticket for the name whatever the certificate says.
    if (id.subjectCertificate !== undefined) {
      throw new KdcError(
        ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
        `S4U2Self by certificate (a subject-certificate in S4UUserID${id.cname === undefined ? ', no cname' : ', beside a cname'}) is not supported by this KDC`,
      );
    }
    if (id.cname === undefined) {
      throw new KdcError(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, 'the S4UUserID names no user');
    }
    state.s4uSelf = {
      cname: id.cname,
      ...resolveUser(
        state,
        id.cname,
        id.crealm,
        ((id.options ?? 0) & S4uUserIdOptions['check-logon-hour']) !== 0,
      ),
      x509UserId: id,
      x509Key: key,
    };
  },
};

/**
 * The reply's PA-S4U-X509-USER (MS-SFU 3.2.5.1.2): the request's S4UUserID,
 * checksummed with the reply key.
 */
export function s4uX509Reply(userId: S4uUserId, replyKey: Key): PaData {
  const usage =
    ((userId.options ?? 0) & S4uUserIdOptions['use-reply-key-usage']) !== 0
      ? KeyUsage.PA_S4U_X509_USER_REPLY
      : KeyUsage.PA_S4U_X509_USER_REQUEST;
  const idBytes = encodeS4uUserId(userId);
  const ck = { cksumtype: checksumTypeFor(replyKey.etype), checksum: checksum(replyKey, usage, idBytes) };
  return {
    padataType: PaDataType.PA_FOR_X509_USER,
    padataValue: encodePaS4uX509User({ userId, checksum: ck }),
  };
}
