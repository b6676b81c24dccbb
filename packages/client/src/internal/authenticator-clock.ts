/**
 * Authenticator timestamps: RFC 4120 section 5.5.1 `ctime` (KerberosTime,
 * whole seconds) and `cusec` (microseconds, 0..999999).
 *
 * A service's replay cache (RFC 4120 section 3.2.3) refuses a second
 * authenticator from the same client with the same ctime/cusec. A client
 * that builds two AP-REQs within one tick of its clock would then look like
 * a replay. MIT avoids this by making (ctime, cusec) strictly increasing per
 * process even when the clock has not moved (its `krb5_crypto_us_timeofday`
 * bumps the microseconds past the last value handed out). This class does the
 * same, per client.
 *
 * @module
 */

import type { Clock } from '@krbsim/core';

/** A (ctime, cusec) pair: ctime in milliseconds (a whole second), cusec in microseconds. */
export interface AuthenticatorTime {
  readonly ctime: number;
  readonly cusec: number;
}

const USEC_PER_SEC = 1_000_000;

/** Hands out strictly increasing authenticator timestamps read from `clock`. */
export class AuthenticatorClock {
  readonly #clock: Clock;
  /** The last value handed out, in microseconds since the epoch. */
  #lastUs = -1;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * The next timestamp: the clock's time (plus `offsetMs`: an AS exchange's
   * offset to the KDC's time, see `kdc-time.ts`), or one microsecond after
   * the last one handed out when the clock has not moved past it.
   */
  next(offsetMs = 0): AuthenticatorTime {
    const nowMs = this.#clock.now() + offsetMs;
    // Number arithmetic stays exact: epoch microseconds are below 2^53 until year 2255.
    let us = Math.floor(nowMs) * 1000;
    // Bump only when the clock stands still (or slips back within the same
    // second); a clock set back further is believed, as MIT does.
    if (us <= this.#lastUs && this.#lastUs - us < USEC_PER_SEC) us = this.#lastUs + 1;
    this.#lastUs = us;
    const sec = Math.floor(us / USEC_PER_SEC);
    return { ctime: sec * 1000, cusec: us - sec * USEC_PER_SEC };
  }
}
