/**
 * Turning a KRB-ERROR (RFC 4120 section 5.9.1) into a thrown
 * {@link KdcRefusedError}: the code, its RFC name, the realm that said it (the
 * KRB-ERROR's `realm`, i.e. the KDC that answered), the NTSTATUS a domain
 * controller gave, and a sentence a person can act on, with the KDC's own
 * e-text appended.
 *
 * @module
 */

import type { KrbErrorMessage } from '@krbsim/asn1';
import { ErrorCode, KerberosError, NtStatus, ntStatusName } from '@krbsim/core';
import { KdcRefusedError, ntStatusOf } from '../kdc-refused-error';

/** What the client was doing when the error came back, for the message. */
export interface ErrorContext {
  /** e.g. `getting initial credentials for alice@CONTOSO.COM`. */
  readonly doing: string;
  /** The client principal, as text. */
  readonly client?: string;
  /** The server principal asked for, as text. */
  readonly server?: string;
  /** What the client makes of the error, in place of the code's usual sentence. */
  readonly why?: string;
}

type Hint = (ctx: ErrorContext, realm: string) => string;

/** What a domain controller's NTSTATUS says of the account, and what to do, for the sentence. */
const accountStatus: Readonly<Record<number, readonly [state: string, remedy: string]>> = {
  [NtStatus.STATUS_ACCOUNT_DISABLED]: ['is disabled', 'ask an administrator'],
  [NtStatus.STATUS_ACCOUNT_EXPIRED]: ['has expired', 'ask an administrator'],
  [NtStatus.STATUS_ACCOUNT_LOCKED_OUT]: [
    'is locked out after too many wrong passwords',
    'wait for the lockout to end, or ask an administrator to unlock it',
  ],
  [NtStatus.STATUS_INVALID_LOGON_HOURS]: ['may not log on at this hour', 'its logon hours forbid it'],
  [NtStatus.STATUS_PASSWORD_EXPIRED]: ['has a password that has expired', 'change it'],
  [NtStatus.STATUS_PASSWORD_MUST_CHANGE]: ['must change its password before it logs on', 'change it'],
};

const hints: Readonly<Record<number, Hint>> = {
  [ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN]: (c, r) =>
    c.client?.includes('\\@')
      ? `the KDC for ${r} has no account with the enterprise name ${c.client} and did not refer the client to the realm that has (KDC_ERR_WRONG_REALM); ask that realm's KDC (client realm option) or check the UPN`
      : `the KDC for ${r} does not know the client ${c.client ?? ''}; check the user name and realm (an enterprise name like user@domain needs { enterprise: true })`,
  [ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN]: (c, r) =>
    c.server?.startsWith('krbtgt/')
      ? `the KDC for ${r} has no cross-realm key ${c.server}: no trust lets this client's realm into that realm (check the trust exists and its direction)`
      : `the KDC for ${r} does not know the service ${c.server ?? ''}; check the SPN is registered (setspn / addprinc) in the realm that owns the host, or map the host with domainRealm`,
  [ErrorCode.KDC_ERR_PREAUTH_FAILED]: (c) =>
    `pre-authentication failed for ${c.client ?? 'the client'}: the password or key is wrong (or its salt or key version no longer matches the KDC's)`,
  [ErrorCode.KDC_ERR_PREAUTH_REQUIRED]: (c) =>
    `the KDC still asks ${c.client ?? 'the client'} for pre-authentication after an encrypted timestamp was sent; no usable method was offered`,
  [ErrorCode.KDC_ERR_ETYPE_NOSUPP]: () =>
    "the KDC and this client share no encryption type; add one of the principal's key types to encTypes (or allowWeakCrypto for RC4/DES)",
  [ErrorCode.KRB_AP_ERR_SKEW]: () =>
    'the clocks of this client and the KDC differ by more than the allowed skew (5 minutes by default); fix the clock',
  [ErrorCode.KDC_ERR_CLIENT_REVOKED]: (c) =>
    `the account ${c.client ?? ''} is disabled, locked out or expired; ask an administrator`,
  [ErrorCode.KDC_ERR_KEY_EXPIRED]: (c) =>
    `the password of ${c.client ?? 'the client'} has expired; change it`,
  [ErrorCode.KDC_ERR_BADOPTION]: () =>
    'the KDC cannot grant an option that was asked for (renewal of a non-renewable ticket, forwarding a non-forwardable one, or a lifetime policy forbids)',
  [ErrorCode.KDC_ERR_POLICY]: () => 'the realm policy forbids this request',
  [ErrorCode.KRB_AP_ERR_TKT_EXPIRED]: () => 'the ticket presented has expired; get fresh credentials',
  [ErrorCode.KRB_AP_ERR_TKT_NYV]: () => 'the ticket presented is not yet valid (postdated or invalid)',
  [ErrorCode.KRB_AP_ERR_BAD_INTEGRITY]: () =>
    'a ticket or authenticator did not decrypt: the keys on the two sides differ (stale ticket after a key change, or a broken trust key)',
  [ErrorCode.KRB_AP_ERR_MODIFIED]: () =>
    'a ticket did not decrypt with the key the KDC expected (for a referral: the trust keys of the two realms differ)',
  [ErrorCode.KDC_ERR_PATH_NOT_ACCEPTED]: () =>
    'the KDC refused the path the ticket took across realms; check the trust direction and transit policy',
  [ErrorCode.KDC_ERR_WRONG_REALM]: () => 'the KDC says the client belongs to another realm',
  [ErrorCode.KDC_ERR_TGT_REVOKED]: () =>
    'the ticket-granting ticket was revoked; get new initial credentials',
  [ErrorCode.KDC_ERR_NEVER_VALID]: () => 'the requested ticket lifetime is empty (start after end)',
  [ErrorCode.KDC_ERR_SVC_UNAVAILABLE]: (_c, r) => `the KDC for ${r} is unavailable; try again later`,
  [ErrorCode.KRB_ERR_RESPONSE_TOO_BIG]: () => 'the reply does not fit a UDP datagram; retry over TCP',
};

/** The error a client throws for a KRB-ERROR from `sentTo`'s KDC. */
export function errorFromKrbError(err: KrbErrorMessage, ctx: ErrorContext, sentTo: string): KdcRefusedError {
  const realm = err.realm || sentTo;
  const ntStatus = ntStatusOf(err.eData);
  const hint = hints[err.errorCode];
  const account = ntStatus === undefined ? undefined : accountStatus[ntStatus];
  let what: string;
  if (account !== undefined) {
    what = `the account ${ctx.client ?? ''} ${account[0]} (${ntStatusName(ntStatus!)}); ${account[1]}`;
  } else {
    what = ctx.why ?? (hint === undefined ? `the KDC for ${realm} refused the request` : hint(ctx, realm));
    if (ntStatus !== undefined) what += ` (${ntStatusName(ntStatus)})`;
  }
  const eText = err.eText !== undefined && err.eText.length > 0 ? ` (KDC said: "${err.eText}")` : '';
  return new KdcRefusedError(err.errorCode, `${ctx.doing}: ${what}${eText}`, {
    realm,
    ...(ntStatus !== undefined && { ntStatus }),
  });
}

/** A client-side check failed on a KDC reply (RFC 4120 section 3.1.5); the reply is not trusted. */
export function replyMismatch(what: string, realm: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MODIFIED,
    `the KDC reply from ${realm} does not match the request (${what}); it was not accepted`,
    { realm },
  );
}
