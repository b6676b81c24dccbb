/**
 * The one error of the TDS package: a message from a peer that could not
 * be read or is not allowed where it came, with a stable reason and the
 * field it concerns (`LOGIN7.ibSSPI`, `PRELOGIN.ENCRYPTION`).
 *
 * @module
 */

import { ERROR_BRAND, hasErrorBrand } from '@krbsim/core';

/**
 * Why a TDS message was refused:
 * - `malformed`: the bytes do not follow MS-TDS (a length that lies, a
 *   truncated field, trailing bytes);
 * - `too-large`: a bound was passed (packet, message, LOGIN7, SSPI, field);
 * - `unexpected`: a well-formed message where the protocol does not allow it;
 * - `unsupported`: valid TDS this emulator does not serve (TDS 7.0, RPC);
 * - `tls`: the TLS layer failed;
 * - `timeout`: the peer took too long;
 * - `closed`: the connection could not be made (its `cause` is node:net's
 *   error), or closed before the answer came.
 */
export type TdsErrorReason =
  | 'malformed'
  | 'too-large'
  | 'unexpected'
  | 'unsupported'
  | 'tls'
  | 'timeout'
  | 'closed';

/**
 * A TDS message that could not be read or is not allowed here. `instanceof`
 * holds across copies of the package (its ES module and CommonJS builds):
 * see `hasErrorBrand` in `@krbsim/core`.
 */
export class TdsError extends Error {
  /** This class's brand, the same in every copy of `@krbsim/tds`. */
  static readonly [ERROR_BRAND]: string = '@krbsim/tds:TdsError';

  /** `instanceof` across copies of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, a subclass included
    return hasErrorBrand(this, value);
  }

  readonly reason: TdsErrorReason;
  /** The field: `packet.Length`, `LOGIN7.ibSSPI`, `PRELOGIN.ENCRYPTION`... */
  readonly path: string;

  constructor(reason: TdsErrorReason, path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.reason = reason;
    this.path = path;
  }

  override get name(): string {
    return 'TdsError';
  }
}

/** True for a {@link TdsError}, also one from another copy of this package. */
export function isTdsError(e: unknown): e is TdsError {
  return e instanceof TdsError;
}
