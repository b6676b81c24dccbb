/**
 * The lab's default clock, and what it costs a client that does not share
 * it. A lab made without a `clock` runs on a {@link ManualClock} that starts
 * at {@link AZURE_LAB_DEFAULT_TIME} (2026-01-01T08:00:00Z) and moves only when
 * a test moves it, so a seeded lab is the same bytes on every run. The lab's
 * own clients and instances share that clock; a client or service on the
 * system clock (a `KerberosClient` made by the test, a `KerberosService`, a
 * real tool) is months or years away from it, and every KDC and service
 * check of the authenticator's time fails with KRB_AP_ERR_SKEW (RFC 4120
 * section 5.2.3 and section 3.1.2, five minutes by default). While the
 * lab's clock is the default, the lab says so in those errors.
 *
 * @module
 */

import { decodeKrbError, encodeKrbError } from '@krbsim/asn1';
import { type Clock, ErrorCode, KerberosError, ManualClock } from '@krbsim/core';
import { peekKrbErrorCode } from '@krbsim/transport';

/** Where a lab's default clock starts: 2026-01-01T08:00:00Z. */
export const AZURE_LAB_DEFAULT_TIME = Date.UTC(2026, 0, 1, 8);

/** A new default lab clock (see the module documentation). */
export function defaultLabClock(): ManualClock {
  return new ManualClock(AZURE_LAB_DEFAULT_TIME);
}

/** The sentence a clock-skew error gets while the lab runs on its default clock. */
export function labClockNote(clock: Clock): string {
  return (
    `the lab runs on its default clock, a ManualClock that started at ${new Date(AZURE_LAB_DEFAULT_TIME).toISOString()} ` +
    `and moves only when told (now ${new Date(clock.now()).toISOString()}): give the client lab.clock, ` +
    'or create the lab with { clock: systemClock } for clients on the system clock'
  );
}

/**
 * `reply` with `note` appended to its e-text when it is a KRB-ERROR
 * KRB_AP_ERR_SKEW and the note is not empty, else `reply` itself (one byte
 * is looked at).
 */
export function withSkewNote(reply: Uint8Array, note: () => string): Uint8Array {
  if (reply[0] !== 0x7e || peekKrbErrorCode(reply) !== ErrorCode.KRB_AP_ERR_SKEW) return reply;
  const text = note();
  if (text === '') return reply;
  const err = decodeKrbError(reply);
  const eText = err.eText === undefined || err.eText === '' ? text : `${err.eText}; ${text}`;
  return encodeKrbError({ ...err, eText });
}

/** `e` with `note` in its message when it is a KRB_AP_ERR_SKEW and the note is not empty, else `e` itself. */
export function skewErrorWithNote(e: unknown, note: () => string): unknown {
  if (!(e instanceof KerberosError) || e.code !== ErrorCode.KRB_AP_ERR_SKEW) return e;
  const text = note();
  if (text === '') return e;
  return new KerberosError(e.code, `${e.message}; ${text}`, { realm: e.realm, cause: e });
}
