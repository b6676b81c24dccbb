/**
 * The one error of the TDS package: a malformed or unsupported message
 * from a peer, with a stable reason and the field it concerns.
 *
 * @module
 */

/** Why a TDS message was refused. */
export type TdsErrorReason = 'malformed' | 'too-large' | 'unexpected' | 'unsupported' | 'tls';

/** A TDS message that could not be read or is not allowed here. */
export class TdsError extends Error {
  readonly reason: TdsErrorReason;
  /** The field: `LOGIN7.ibSSPI`, `PRELOGIN.ENCRYPTION`... */
  readonly path: string;

  constructor(reason: TdsErrorReason, path: string, message: string) {
    super(`${path}: ${message}`);
    this.reason = reason;
    this.path = path;
  }

  override get name(): string {
    return 'TdsError';
  }
}
