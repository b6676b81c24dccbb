/**
 * What a PKINIT logon adds to the PAC an `active-directory` realm issues in
 * the AS exchange, as a Windows DC builds it:
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
 * ({@link recordPkinitLogon}); the AS exchange hands it to `buildPac`
 * (`pac-builder.ts`, `PacLogon.pkinit`), which builds both into the PAC it
 * proposes, so the realm's `authorizationData` hook sees them. An MIT
 * realm's PAC gets neither: MIT's KDC adds neither.
 *
 * @module
 */

import { EncType, type Key } from '@krbsim/crypto';
import {
  encodePacCredentialInfo,
  ntlmSupplementalCred,
  PacBufferType,
  parseSid,
  type RawPacBuffer,
  type Sid,
  sealPacCredentials,
  WellKnownSid,
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

/** FRESH_PUBLIC_KEY_IDENTITY (MS-DTYP 2.4.2.4), for a logon with a validated freshness token. */
export const FRESH_PUBLIC_KEY_IDENTITY: Sid = parseSid(WellKnownSid.FRESH_PUBLIC_KEY_IDENTITY);

/** The NT hash of `client`: its current RC4-HMAC key (RFC 4757 section 4: MD4 of the UTF-16LE password). */
function ntHashOf(client: PrincipalEntry): Uint8Array | undefined {
  return currentKeys(client.keys).find((k) => k.key.etype === EncType.RC4_HMAC)?.key.bytes;
}

/**
 * PAC_CREDENTIAL_INFO for `client`'s PKINIT logon (MS-PAC 2.6): its NT hash
 * in an NTLM SECPKG_SUPPLEMENTAL_CRED, sealed with `replyKey` (key usage 16)
 * and a confounder from the realm's random source; undefined for an account
 * without an NT hash.
 */
export function pkinitCredentialInfo(
  realm: Realm,
  client: PrincipalEntry,
  replyKey: Key,
): RawPacBuffer | undefined {
  const ntHash = ntHashOf(client);
  if (ntHash === undefined) return undefined;
  const info = sealPacCredentials(replyKey, { credentials: [ntlmSupplementalCred(ntHash)] }, realm.random);
  return { type: PacBufferType.CREDENTIALS_INFO, data: encodePacCredentialInfo(info) };
}
