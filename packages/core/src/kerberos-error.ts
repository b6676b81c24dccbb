/**
 * The one error base of krbsim.
 *
 * Every failure krbsim reports, from a bad checksum to a trust that points the
 * wrong way, is a {@link KerberosError} (or a subclass) carrying the RFC 4120
 * error code a KDC or service would put in its KRB-ERROR. Subclasses add
 * context (the field path of a bad DER value, for example) but never change
 * the meaning of `code`.
 *
 * Messages never contain key material, passwords or plaintext: they name what
 * failed and what a person can do about it.
 *
 * @module
 */

import { ERROR_BRAND, hasErrorBrand } from './error-brand';
import { type ErrorCodeName, errorCodeName } from './iana/error-codes';

/** Options for {@link KerberosError}. */
export interface KerberosErrorOptions {
  /** The realm whose KDC or service reported the error, when known. */
  readonly realm?: string;
  /** The error that caused this one (kept for debugging; never serialised). */
  readonly cause?: unknown;
}

/**
 * A Kerberos failure with its RFC 4120 section 7.5.9 error code.
 *
 * `instanceof` holds for errors from any copy of krbsim in the process (its
 * ES module and CommonJS builds, or two installed versions): the class and
 * each subclass carry a brand (see {@link hasErrorBrand}).
 *
 * @example
 * ```ts
 * try { decrypt(key, 2, bytes); } catch (e) {
 *   if (e instanceof KerberosError && e.code === ErrorCode.KRB_AP_ERR_BAD_INTEGRITY) { ... }
 * }
 * ```
 */
export class KerberosError extends Error {
  /** This class's brand, the same in every copy of `@krbsim/core`. */
  static readonly [ERROR_BRAND]: string = '@krbsim/core:KerberosError';

  /** `instanceof` for this class and its branded subclasses, across copies of their packages. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, a subclass included
    return hasErrorBrand(this, value);
  }

  /** The wire error code (RFC 4120 section 7.5.9). */
  readonly code: number;
  /** The RFC name of {@link KerberosError.code}, e.g. `KRB_AP_ERR_SKEW`. */
  readonly codeName: ErrorCodeName | `KRB_ERR_${number}`;
  /** The realm that reported the error, when known. */
  readonly realm: string | undefined;

  constructor(code: number, message: string, options: KerberosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.codeName = errorCodeName(code) as ErrorCodeName;
    this.realm = options.realm;
  }

  override get name(): string {
    return 'KerberosError';
  }

  /** `KRB_AP_ERR_SKEW (37) from CONTOSO.COM: clock skew too great` */
  override toString(): string {
    const from = this.realm === undefined ? '' : ` from ${this.realm}`;
    return `${this.name}: ${this.codeName} (${this.code})${from}: ${this.message}`;
  }
}

/** True when `e` is a {@link KerberosError} (from any copy of krbsim) with the given code. */
export function isKerberosError(e: unknown, code?: number): e is KerberosError {
  return e instanceof KerberosError && (code === undefined || e.code === code);
}
