/**
 * The one error type of `@krbsim/pac`: {@link PacError}, a
 * {@link KerberosError} that carries the field path of a malformed value
 * (MS-PAC and MS-RPCE structure and field names) or names the PAC signature
 * that failed.
 *
 * Decoders build the path bottom-up, as `@krbsim/asn1` does: the innermost
 * check throws with an empty path and each enclosing structure, array and
 * buffer prepends its segment as the error passes through, so nothing is
 * allocated for paths on the success path.
 *
 * @module
 */

import { ERROR_BRAND, ErrorCode, KerberosError } from '@krbsim/core';

/**
 * Which PAC signature a verification failure is about (MS-PAC 2.8): the
 * server signature (buffer type 6), the KDC signature (7), the ticket
 * signature (16) or the extended KDC ("full PAC") signature (19).
 */
export type PacSignatureKind = 'server' | 'kdc' | 'ticket' | 'full';

/** Options for {@link PacError}. */
export interface PacErrorOptions {
  /** The wire error code; default `KRB_ERR_GENERIC` (60). */
  readonly code?: number;
  readonly path?: string;
  readonly offset?: number;
  /** For signature failures: which signature. */
  readonly signature?: PacSignatureKind;
  readonly cause?: unknown;
}

/**
 * A malformed, truncated, oversized or inconsistent PAC, or a PAC signature
 * that does not verify.
 *
 * - `path` names where, in the spec's names:
 *   `PACTYPE.Buffers[0].KERB_VALIDATION_INFO.GroupIds[3].Attributes`;
 * - `reason` is the message without the path;
 * - `code` is `KRB_ERR_GENERIC` (60) for malformed input; for signatures,
 *   `KRB_AP_ERR_MODIFIED` (41) when one does not match or is missing,
 *   `KRB_AP_ERR_INAPP_CKSUM` (50) for an unkeyed checksum type or one that
 *   does not fit the key, `KDC_ERR_SUMTYPE_NOSUPP` (15) for an unknown one;
 * - `signature` says which signature failed, when one did;
 * - `offset` is the byte offset in the input where decoding stood (-1 when
 *   unknown or when encoding).
 */
export class PacError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/pac:PacError';

  /** Where the failure happened, or `''` at the top. */
  path: string;
  /** The failure without its path. */
  readonly reason: string;
  /** Byte offset in the input, or -1. */
  readonly offset: number;
  /** The signature that failed verification, for signature errors. */
  readonly signature: PacSignatureKind | undefined;

  constructor(reason: string, options: PacErrorOptions = {}) {
    const path = options.path ?? '';
    super(options.code ?? ErrorCode.KRB_ERR_GENERIC, path === '' ? reason : `${path}: ${reason}`, {
      cause: options.cause,
    });
    this.path = path;
    this.reason = reason;
    this.offset = options.offset ?? -1;
    this.signature = options.signature;
  }

  override get name(): string {
    return 'PacError';
  }

  /**
   * Prepends a path segment (`.Field`, `[3]`, or a type name) and refreshes
   * the message. Used by decoders as the error unwinds; returns `this`.
   */
  prepend(segment: string): this {
    const p = this.path;
    let next: string;
    if (p === '') next = segment;
    else if (p.charCodeAt(0) === 0x2e /* . */ || p.charCodeAt(0) === 0x5b /* [ */) next = segment + p;
    else next = `${segment}.${p}`;
    this.path = next;
    this.message = `${next}: ${this.reason}`;
    return this;
  }
}

/** True when `e` is a {@link PacError}. */
export function isPacError(e: unknown): e is PacError {
  return e instanceof PacError;
}

/** Prepends `segment` to a {@link PacError}'s path and rethrows anything else unchanged. */
export function withPath(e: unknown, segment: string): unknown {
  return e instanceof PacError && segment !== '' ? e.prepend(segment) : e;
}
