/**
 * The acceptor's channel-binding check (RFC 4121 section 4.1.1.2) on a
 * decoded 0x8003 checksum. An initiator that sent no bindings (Bnd all zero)
 * is accepted even when the acceptor has bindings (as MIT does), unless it
 * flagged KERB_AP_OPTIONS_CBT (MS-KILE 3.2.5.8); bindings
 * that are present and differ are refused with KRB_AP_ERR_MODIFIED: no RFC
 * 4120 code names this (GSS reports GSS_S_BAD_BINDINGS), and "modified" is
 * what a relayed token looks like.
 *
 * The KERB_AP_OPTIONS are found as MIT's acceptor finds them (check_cbt,
 * through krb5_find_authdata): at the top level of the authenticator's
 * authorization data and inside AD-IF-RELEVANT, nested ones included; more
 * than one element, or one that is not four octets, refuses the token.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  channelBindingHash,
  DEFAULT_MAX_DEPTH,
  decodeAuthorizationData,
  type GssChecksum,
  isAsn1Error,
  KerbApOptions,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/**
 * The KERB_AP_OPTIONS the client put in its authenticator
 * (AD-AUTH-DATA-AP-OPTIONS, 143; MS-KILE 2.2.8, 3.2.5.8): 0 when there are
 * none. Looked for at the top level and inside AD-IF-RELEVANT at any depth,
 * as MIT's krb5_find_authdata looks.
 *
 * @throws KerberosError KRB_AP_ERR_MSG_TYPE for more than one such element,
 *   or one that is not four octets (MIT's check_cbt refuses both);
 *   KRB_ERR_GENERIC for an AD-IF-RELEVANT that does not decode or nests
 *   deeper than DEFAULT_MAX_DEPTH (MIT fails the token on the first too).
 */
export function authenticatorApOptions(authorizationData: AuthorizationData | undefined): number {
  const found: Uint8Array[] = [];
  collectApOptions(authorizationData ?? [], found, 1);
  if (found.length === 0) return 0;
  if (found.length > 1) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      `the authenticator carries ${found.length} AD-AUTH-DATA-AP-OPTIONS elements; a client sends one KERB-AP-OPTIONS (MS-KILE 3.2.5.8)`,
    );
  }
  const d = found[0]!;
  if (d.length !== 4) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
      `the authenticator's AD-AUTH-DATA-AP-OPTIONS is ${d.length} octets; KERB_AP_OPTIONS is 4 (MS-KILE 2.2.8)`,
    );
  }
  return (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
}

/** Adds the ad-data of every AD-AUTH-DATA-AP-OPTIONS in `ad` and its AD-IF-RELEVANT containers to `found`. */
function collectApOptions(ad: AuthorizationData, found: Uint8Array[], depth: number): void {
  for (const e of ad) {
    if (e.adType === AdType.AD_AUTH_DATA_AP_OPTIONS) {
      found.push(e.adData);
      continue;
    }
    if (e.adType !== AdType.AD_IF_RELEVANT) continue;
    // Up to DEFAULT_MAX_DEPTH containers, one inside the other, are read (this one is number `depth`).
    if (depth > DEFAULT_MAX_DEPTH) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `the authenticator's AD-IF-RELEVANT containers nest deeper than ${DEFAULT_MAX_DEPTH}`,
      );
    }
    let inner: AuthorizationData;
    try {
      inner = decodeAuthorizationData(e.adData);
    } catch (cause) {
      if (!isAsn1Error(cause)) throw cause;
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `an AD-IF-RELEVANT in the authenticator does not decode, so its KERB-AP-OPTIONS cannot be read (MIT refuses it too): ${cause.message}`,
        { cause },
      );
    }
    collectApOptions(inner, found, depth + 1);
  }
}

/**
 * Checks Bnd against the acceptor's channel bindings (their application
 * data). No acceptor bindings passes; so do none sent by the initiator,
 * unless its authenticator asked for bindings to be checked
 * (KERB_AP_OPTIONS_CBT in `apOptions`, as MIT 1.19 and Windows hold it):
 * then all-zero bindings are refused too, so that an authenticator made
 * outside the channel cannot be used inside it.
 *
 * @returns true when the initiator's bindings were compared and match: the
 *   context is channel-bound (GSS_C_CHANNEL_BOUND_FLAG, as MIT 1.19 reports it).
 */
export function checkChannelBindings(
  parsed: GssChecksum,
  applicationData: Uint8Array | undefined,
  apOptions = 0,
): boolean {
  if (applicationData === undefined) return false;
  const none = parsed.bindings.every((x) => x === 0);
  if (none && (apOptions & KerbApOptions.CBT) === 0) return false;
  const want = channelBindingHash(applicationData);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= want[i]! ^ parsed.bindings[i]!;
  if (diff !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      none
        ? 'the GSS checksum carries no channel bindings (16 zero octets), though the initiator set KERB_AP_OPTIONS_CBT or the service requires them: the token may have been made outside this channel'
        : 'the channel bindings in the GSS checksum do not match this connection; the token was made for another channel (a relay?) or the client computed bindings differently',
    );
  }
  return true;
}
