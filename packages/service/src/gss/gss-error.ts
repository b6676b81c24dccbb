/**
 * How RFC 4121 per-message tokens fail: the GSS-API status of RFC 2743
 * section 1.2.1.1 (GSS_S_DEFECTIVE_TOKEN, GSS_S_BAD_MIC, and the
 * supplementary GSS_S_DUPLICATE_TOKEN, GSS_S_OLD_TOKEN, GSS_S_UNSEQ_TOKEN,
 * GSS_S_GAP_TOKEN) carried by a {@link KerberosError} whose code is the RFC
 * 4120 error that says the same of a KRB-SAFE or KRB-PRIV message.
 *
 * @module
 */

import { ERROR_BRAND, ErrorCode, KerberosError } from '@krbsim/core';

/**
 * The GSS-API status of a per-message token failure (RFC 2743 section
 * 1.2.1.1, without the `GSS_S_` prefix):
 *
 * - `DEFECTIVE_TOKEN`: not an RFC 4121 token of the kind expected (TOK_ID,
 *   length, filler, flags that do not fit this context);
 * - `BAD_MIC`: the checksum or the encryption does not verify, or the token
 *   was made by this side (reflected): the token was modified or forged;
 * - `DUPLICATE_TOKEN`: a sequence number already received;
 * - `OLD_TOKEN`: older than the replay window, so it cannot be checked;
 * - `UNSEQ_TOKEN`: authentic, but older than one already received;
 * - `GAP_TOKEN`: authentic, but tokens before it are missing;
 * - `CONTEXT_EXPIRED`: the ticket behind the context has expired.
 */
export type GssStatus =
  | 'DEFECTIVE_TOKEN'
  | 'BAD_MIC'
  | 'DUPLICATE_TOKEN'
  | 'OLD_TOKEN'
  | 'UNSEQ_TOKEN'
  | 'GAP_TOKEN'
  | 'CONTEXT_EXPIRED';

/** The RFC 4120 code of each status (a direction failure overrides BAD_MIC's with KRB_AP_ERR_BADDIRECTION). */
const CODES: Readonly<Record<GssStatus, number>> = {
  DEFECTIVE_TOKEN: ErrorCode.KRB_AP_ERR_MSG_TYPE,
  BAD_MIC: ErrorCode.KRB_AP_ERR_MODIFIED,
  DUPLICATE_TOKEN: ErrorCode.KRB_AP_ERR_REPEAT,
  OLD_TOKEN: ErrorCode.KRB_AP_ERR_BADORDER,
  UNSEQ_TOKEN: ErrorCode.KRB_AP_ERR_BADORDER,
  GAP_TOKEN: ErrorCode.KRB_AP_ERR_BADORDER,
  CONTEXT_EXPIRED: ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
};

/**
 * A per-message token that was refused, with its GSS-API {@link GssStatus}.
 *
 * `UNSEQ_TOKEN` and `GAP_TOKEN` are supplementary in GSS-API: the token
 * itself verified. `accepted` then holds what it carried, and the context has
 * recorded its sequence number, so an application that tolerates reordering
 * can use it; every other status leaves the context as it was.
 */
export class GssTokenError<T = unknown> extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/service:GssTokenError';

  /** The GSS-API status, e.g. `'DUPLICATE_TOKEN'`. */
  readonly status: GssStatus;
  /**
   * For `UNSEQ_TOKEN` and `GAP_TOKEN`: the verified token's contents. Not enumerable: a logged or
   * JSON-serialized error shows neither the message (which may be confidential) nor its sequence number.
   */
  declare readonly accepted: T | undefined;

  constructor(status: GssStatus, message: string, options: { code?: number; accepted?: T } = {}) {
    super(options.code ?? CODES[status], message);
    this.status = status;
    Object.defineProperty(this, 'accepted', { value: options.accepted, enumerable: false });
  }

  override get name(): string {
    return 'GssTokenError';
  }
}

/** True when `e` is a {@link GssTokenError}, with the given status if one is named. */
export function isGssTokenError(e: unknown, status?: GssStatus): e is GssTokenError {
  return e instanceof GssTokenError && (status === undefined || e.status === status);
}
