/**
 * The one check of the transports' and servers' numeric options: an integer
 * in its range, or a RangeError naming the option. A timeout's range stops at
 * the longest delay a timer takes: node fires a longer one at once.
 *
 * @module
 */

/** The longest delay a timer takes (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 0x7fffffff;

/**
 * `v` when it is an integer from `min` to `max` (default: any safe integer
 * from `min`); else a RangeError: `${name} must be an integer >= 1, got 0`.
 */
export function checkInteger(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be an integer ${range}, got ${String(v)}`);
  }
  return v;
}
