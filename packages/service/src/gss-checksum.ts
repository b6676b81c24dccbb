/**
 * The acceptor's channel-binding check (RFC 4121 section 4.1.1.2) on a
 * decoded 0x8003 checksum. An initiator that sent no bindings (Bnd all zero)
 * is accepted even when the acceptor has bindings (as MIT does), unless it
 * flagged KERB_AP_OPTIONS_CBT (MS-KILE 3.2.5.8); bindings
 * that are present and differ are refused with KRB_AP_ERR_MODIFIED: no RFC
 * 4120 code names this (GSS reports GSS_S_BAD_BINDINGS), and "modified" is
 * what a relayed token looks like.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  channelBindingHash,
  decodeAuthorizationData,
  type GssChecksum,
  KerbApOptions,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/**
 * The KERB_AP_OPTIONS the client put in its authenticator
 * (AD-AUTH-DATA-AP-OPTIONS, 143, inside AD-IF-RELEVANT; MS-KILE 3.2.5.8): 0
 * when there are none.
 *
 * @throws KerberosError KRB_AP_ERR_MSG_TYPE for such an element that is not
 *   four octets (as MIT refuses it).
 */
export function authenticatorApOptions(authorizationData: AuthorizationData | undefined): number {
  let options = 0;
  for (const e of authorizationData ?? []) {
    if (e.adType !== AdType.AD_IF_RELEVANT) continue;
    for (const inner of decodeAuthorizationData(e.adData)) {
      if (inner.adType !== AdType.AD_AUTH_DATA_AP_OPTIONS) continue;
      const d = inner.adData;
      if (d.length !== 4) {
        throw new KerberosError(
          ErrorCode.KRB_AP_ERR_MSG_TYPE,
          `the authenticator's AD-AUTH-DATA-AP-OPTIONS is ${d.length} octets; KERB_AP_OPTIONS is 4 (MS-KILE 2.2.8)`,
        );
      }
      options |= (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
    }
  }
  return options >>> 0;
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
  if (parsed.bindings.every((x) => x === 0) && (apOptions & KerbApOptions.CBT) === 0) return false;
  const want = channelBindingHash(applicationData);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= want[i]! ^ parsed.bindings[i]!;
  if (diff !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the channel bindings in the GSS checksum do not match this connection; the token was made for another channel (a relay?) or the client computed bindings differently',
    );
  }
  return true;
}
