/**
 * The acceptor's channel-binding check (RFC 4121 section 4.1.1.2) on a
 * decoded 0x8003 checksum. An initiator that sent no bindings (Bnd all zero)
 * is accepted even when the acceptor has bindings (as MIT does); bindings
 * that are present and differ are refused with KRB_AP_ERR_MODIFIED: no RFC
 * 4120 code names this (GSS reports GSS_S_BAD_BINDINGS), and "modified" is
 * what a relayed token looks like.
 *
 * @module
 */

import { channelBindingHash, type GssChecksum } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/**
 * Checks Bnd against the acceptor's channel bindings (their application
 * data). No acceptor bindings, or none sent by the initiator, passes.
 */
export function checkChannelBindings(parsed: GssChecksum, applicationData: Uint8Array | undefined): void {
  if (applicationData === undefined) return;
  if (parsed.bindings.every((x) => x === 0)) return;
  const want = channelBindingHash(applicationData);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= want[i]! ^ parsed.bindings[i]!;
  if (diff !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the channel bindings in the GSS checksum do not match this connection; the token was made for another channel (a relay?) or the client computed bindings differently',
    );
  }
}
