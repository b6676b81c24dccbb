/**
 * What the AS and TGS exchanges share: their result, the padata registries
 * they run, the realm's issuance hook, and the rule that a refusal names the
 * client in its KRB-ERROR once the client is known.
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { KdcError } from './krb-error';
import type { AsPadataHandler, TgsPadataHandler } from './padata/handler';
import type { IssuanceContext, Realm } from './realm';

/** What an exchange produced, for the reply and the log line. */
export interface ExchangeResult {
  readonly reply: Uint8Array;
  /** `REP-NAME` or `REP-NAME (detail)` for the log. */
  readonly outcome: string;
  /**
   * The client the log should name, when the request did not name it plainly
   * (TGS: the TGT's client). Formatted only when something listens (`Kdc` log or onRequest).
   */
  readonly client?: { readonly name: PrincipalName; readonly realm: string };
  /**
   * The server the log should name, when the request did not name it plainly
   * (an armored request, whose outer body may hide it: RFC 6113 section 5.4.2).
   */
  readonly server?: { readonly name: PrincipalName; readonly realm: string };
  /**
   * TGS from a cross-realm TGT with a PAC: the SIDs that filtering at the
   * trust removed from it (MS-PAC 4.1.2.2), empty when none.
   */
  readonly sidsFiltered?: readonly string[];
}

/** The PA-DATA handlers a KDC runs, in order (see `padata/registry.ts`). */
export interface PadataRegistry {
  readonly as: readonly AsPadataHandler[];
  readonly tgs: readonly TgsPadataHandler[];
}

/** Who a KRB-ERROR names as the client. */
export interface ErrorClient {
  readonly cname: PrincipalName;
  readonly crealm: string;
  /** The realm the KRB-ERROR comes from, when set. */
  readonly realm?: string;
}

/**
 * `e` as a KdcError naming `who` (unless it already names a client). Only
 * Kerberos failures are rewrapped; anything else is a bug and is rethrown
 * as it is.
 */
export function naming(e: unknown, who: ErrorClient): unknown {
  if (e instanceof KdcError) {
    if (e.details.cname !== undefined) return e;
    return new KdcError(e.code, e.message, { ...e.details, ...who, cause: e.cause });
  }
  if (isKerberosError(e)) return new KdcError(e.code, e.message, { ...who, cause: e });
  return e;
}

/**
 * Run the realm's issuance hook. A KerberosError it throws refuses the
 * request with its code (the client named in the KRB-ERROR); anything else
 * is a fault in the hook and becomes KRB_ERR_GENERIC.
 */
export function runIssuancePolicy(
  realm: Realm,
  ctx: IssuanceContext,
  who: { cname: PrincipalName; crealm: string },
): void {
  if (!realm.issuancePolicy) return;
  try {
    realm.issuancePolicy(ctx);
  } catch (e) {
    if (e instanceof KdcError)
      throw new KdcError(e.code, e.message, { ...e.details, ...who, cause: e.cause });
    if (isKerberosError(e)) throw new KdcError(e.code, e.message, { ...who, cause: e });
    throw new KdcError(ErrorCode.KRB_ERR_GENERIC, 'internal error in the issuance policy', {
      ...who,
      cause: e,
    });
  }
}
