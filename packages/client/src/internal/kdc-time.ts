/**
 * MIT's `kdc_timesync` (`[libdefaults]`): a client whose clock is off uses
 * the KDC's time instead of failing with KRB_AP_ERR_SKEW.
 *
 * - Within an AS exchange, the KRB-ERROR that asks for pre-authentication
 *   carries the KDC's time (`stime`, `susec`): the encrypted timestamp or
 *   challenge, and the request's times, are made with its offset from the
 *   local clock (MIT's `pa_offset`, `note_req_timestamp` in get_in_tkt.c).
 *   That error is unauthenticated, so the offset lives for that exchange only.
 * - A verified AS-REP sets the client's offset: its `authtime` less the
 *   local time (MIT's `verify_as_reply`, which then skips its skew check).
 *   Every later request, authenticator and check runs on the local clock
 *   plus that offset, as MIT's `krb5_set_time_offsets` makes it for the
 *   context (and its ccache header, tag 1, keeps it for the next process).
 *
 * @module
 */

import type { Clock } from '@krbsim/core';

/** The client's time: the local clock plus the offset learned from the KDC. */
export class KdcTimeClock implements Clock {
  /** The local clock. */
  readonly local: Clock;
  /** The KDC's time less the local clock's, in milliseconds: 0 until an AS exchange sets it. */
  offsetMs: number;

  constructor(local: Clock, offsetMs = 0) {
    this.local = local;
    this.offsetMs = offsetMs;
  }

  now(): number {
    return this.local.now() + this.offsetMs;
  }
}
