/**
 * FILETIME (MS-DTYP 2.3.3): a 64-bit count of 100-nanosecond intervals
 * since 1601-01-01 00:00 UTC. The PAC keeps FILETIMEs as `bigint`s so that
 * every value, including the special ones, survives a round trip; these
 * helpers convert to and from krbsim's times (milliseconds since 1970).
 *
 * @module
 */

import { PacError } from './errors';

/** "Never" (MS-PAC 2.5): the largest positive FILETIME, 0x7FFFFFFFFFFFFFFF. */
export const FILETIME_NEVER = 0x7fffffffffffffffn;

/** "Not set" (MS-PAC 2.5): zero. */
export const FILETIME_NOT_SET = 0n;

/** 100-ns intervals between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFF = 116444736000000000n;

/**
 * The FILETIME of a time in milliseconds since 1970-01-01 UTC (a
 * KerberosTime, `Date.now()`).
 *
 * @throws PacError for a time that is not an integer or falls before 1601.
 */
export function fileTimeFromMillis(ms: number): bigint {
  if (!Number.isSafeInteger(ms)) throw new PacError(`expected an integer number of milliseconds, got ${ms}`);
  const ft = BigInt(ms) * 10000n + EPOCH_DIFF;
  if (ft < 0n) throw new PacError(`${ms} ms is before 1601, which a FILETIME cannot hold`);
  return ft;
}

/**
 * The time in milliseconds since 1970 of a FILETIME, rounded down to the
 * millisecond. Special values convert like any other: compare with
 * {@link FILETIME_NEVER} and {@link FILETIME_NOT_SET} first.
 */
export function fileTimeToMillis(ft: bigint): number {
  return Number((ft - EPOCH_DIFF) / 10000n) - (ft < EPOCH_DIFF && (ft - EPOCH_DIFF) % 10000n !== 0n ? 1 : 0);
}
