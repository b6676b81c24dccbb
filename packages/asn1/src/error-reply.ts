/**
 * Building a KRB-ERROR (RFC 4120 section 5.9.1): the one place that fills
 * in `pvno` 5, `msg-type` 30 and the server time, for every krbsim component
 * that answers with an error (the KDC, the transports' own errors, test
 * doubles). Encode the result with `encodeKrbError`.
 *
 * @module
 */

import { krbtgtName } from './principal';
import type { KerberosTime, PrincipalName } from './types/basic';
import type { KrbErrorMessage } from './types/error';

/** What {@link krbError} needs: the error, the server's clock, and whom it concerns. */
export interface KrbErrorFields {
  /** An RFC 4120 section 7.5.9 code (`ErrorCode` in `@krbsim/core`). */
  readonly errorCode: number;
  /** The server's time, milliseconds since the epoch (from an injected clock): `stime` and `susec`. */
  readonly now: number;
  /** The realm of the server that answers (`realm`). */
  readonly realm: string;
  /** The server named in the request (`sname`); default `krbtgt/<realm>`. */
  readonly sname?: PrincipalName;
  readonly crealm?: string;
  readonly cname?: PrincipalName;
  /** The client's time, when the error answers a message that carried one. */
  readonly ctime?: KerberosTime;
  readonly cusec?: number;
  readonly eText?: string;
  /** DER of METHOD-DATA or TYPED-DATA, depending on the code. */
  readonly eData?: Uint8Array;
}

/**
 * The KRB-ERROR message for `fields`. `now` is split into `stime` (whole
 * seconds, as KerberosTime carries them) and `susec` (the microseconds
 * within that second, from a clock that gives fractions of a millisecond
 * too). Optional fields are left out when not given.
 *
 * @example
 * ```ts
 * encodeKrbError(krbError({ errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED, now: clock.now(), realm: 'CONTOSO.COM', eData }));
 * ```
 */
export function krbError(fields: KrbErrorFields): KrbErrorMessage {
  const micros = Math.floor(fields.now * 1000);
  const susec = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
  return {
    pvno: 5,
    msgType: 30,
    ...(fields.ctime !== undefined && { ctime: fields.ctime }),
    ...(fields.cusec !== undefined && { cusec: fields.cusec }),
    stime: (micros - susec) / 1000,
    susec,
    errorCode: fields.errorCode,
    ...(fields.crealm !== undefined && { crealm: fields.crealm }),
    ...(fields.cname !== undefined && { cname: fields.cname }),
    realm: fields.realm,
    sname: fields.sname ?? krbtgtName(fields.realm),
    ...(fields.eText !== undefined && { eText: fields.eText }),
    ...(fields.eData !== undefined && { eData: fields.eData }),
  };
}
