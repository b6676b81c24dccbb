/**
 * What a PKINIT logon changes in the PAC an `active-directory` realm issues
 * in the AS exchange, as a Windows DC builds it:
 *
 * - a logon whose PKAuthenticator carried a freshness token the KDC
 *   validated (RFC 8070) gets FRESH_PUBLIC_KEY_IDENTITY, S-1-18-3, in
 *   ExtraSids after AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY, S-1-18-1,
 *   which stays (MS-DTYP 2.4.2.4; Samba's KDC adds both, and its
 *   pkinit_tests.py, run against Windows DCs, expects S-1-18-3 with a token
 *   and not without);
 * - PAC_CREDENTIAL_INFO (MS-PAC 2.6, MS-PKCA 3.1.5.2): the account's NTLM
 *   credential, its NT hash, encrypted with the AS reply key (key usage 16),
 *   so that a smart-card user can still answer NTLM. krbsim keeps no
 *   password; the account's RC4-HMAC key is its NT hash (RFC 4757 section 4),
 *   so an account with one (a realm with `allowWeakCrypto`, or `encTypes`
 *   listing 23) gets the buffer, and one without does not.
 *
 * The PKINIT handler records the logon on the request's state
 * ({@link recordPkinitLogon}); the AS exchange rewrites the PAC the ticket
 * carries ({@link withPkinitLogonPac}), the realm's `authorizationData` hook's
 * choice included. An MIT realm's PAC is left as it is: MIT's KDC adds
 * neither.
 *
 * @module
 */

import type { AuthorizationData } from '@krbsim/asn1';
import { EncType, type Key } from '@krbsim/crypto';
import {
  decodePac,
  encodePac,
  encodePacCredentialInfo,
  findPac,
  getPacBuffer,
  isPacError,
  ntlmSupplementalCred,
  type Pac,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  sealPacCredentials,
  sidEquals,
  UserFlags,
  updatePacBuffer,
  WellKnownSid,
  withPac,
} from '@krbsim/pac';
import { currentKeys } from '../keys';
import type { AsRequestState } from '../padata/handler';
import type { PrincipalEntry } from '../principal-db';
import type { Realm } from '../realm';

/** What PKINIT established about a logon. */
export interface PkinitLogon {
  /** The PKAuthenticator carried a freshness token this realm made and validated (RFC 8070). */
  readonly freshnessToken: boolean;
}

const logons = new WeakMap<AsRequestState, PkinitLogon>();

/** Records that PKINIT authenticated the client of `state` (the anonymous client aside). */
export function recordPkinitLogon(state: AsRequestState, logon: PkinitLogon): void {
  logons.set(state, logon);
}

/** The PKINIT logon of `state`, if PKINIT authenticated its client. */
export function pkinitLogonOf(state: AsRequestState): PkinitLogon | undefined {
  return logons.get(state);
}

/** The NT hash of `client`: its current RC4-HMAC key (RFC 4757 section 4: MD4 of the UTF-16LE password). */
function ntHashOf(client: PrincipalEntry): Uint8Array | undefined {
  return currentKeys(client.keys).find((k) => k.key.etype === EncType.RC4_HMAC)?.key.bytes;
}

const FRESH = parseSid(WellKnownSid.FRESH_PUBLIC_KEY_IDENTITY);

/**
 * `authorizationData` with the PKINIT logon's changes (see the module
 * comment) made to its PAC, unsigned (the ticket's seal signs it). Anything
 * that is not an `active-directory` realm's KERB_VALIDATION_INFO PAC is
 * returned as it is.
 */
export function withPkinitLogonPac(
  realm: Realm,
  authorizationData: AuthorizationData | undefined,
  client: PrincipalEntry,
  replyKey: Key,
  logon: PkinitLogon,
): AuthorizationData | undefined {
  if (realm.kind !== 'active-directory' || authorizationData === undefined) return authorizationData;
  let pac: Pac;
  try {
    const loc = findPac(authorizationData);
    if (loc === undefined) return authorizationData;
    pac = decodePac(loc.pac);
    if (getPacBuffer(pac, PacBufferType.LOGON_INFO) === undefined) return authorizationData;
  } catch (e) {
    if (isPacError(e)) return authorizationData; // not a PAC this KDC wrote: the hook's business
    throw e;
  }
  if (logon.freshnessToken) {
    pac = updatePacBuffer(pac, PacBufferType.LOGON_INFO, (info) =>
      info.extraSids.some((e) => sidEquals(e.sid, FRESH))
        ? info
        : {
            ...info,
            userFlags: (info.userFlags | UserFlags.LOGON_EXTRA_SIDS) >>> 0,
            extraSids: [...info.extraSids, { sid: FRESH, attributes: SE_GROUP_DEFAULT }],
          },
    );
  }
  const ntHash = ntHashOf(client);
  if (ntHash !== undefined && !pac.buffers.some((b) => b.type === PacBufferType.CREDENTIALS_INFO)) {
    const info = sealPacCredentials(replyKey, { credentials: [ntlmSupplementalCred(ntHash)] }, realm.random);
    const credentials = { type: PacBufferType.CREDENTIALS_INFO, data: encodePacCredentialInfo(info) };
    // After KERB_VALIDATION_INFO, in buffer type order, as Windows and Samba place it.
    const at = pac.buffers.findIndex((b) => b.type === PacBufferType.LOGON_INFO) + 1;
    pac = { buffers: [...pac.buffers.slice(0, at), credentials, ...pac.buffers.slice(at)] };
  }
  return withPac(authorizationData, encodePac(pac));
}
