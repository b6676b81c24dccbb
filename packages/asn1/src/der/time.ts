/**
 * KerberosTime as GeneralizedTime: RFC 4120 section 5.2.3. On the wire it is
 * always exactly `YYYYMMDDHHMMSSZ` (15 characters, UTC, no fraction); in
 * krbsim it is a number of milliseconds since the Unix epoch, a whole number
 * of seconds.
 *
 * The conversions are done with integer arithmetic on the proleptic Gregorian
 * calendar (days-from-civil), not with `Date`, to keep the hot decode path
 * free of allocations.
 *
 * @module
 */

const DAY_MS = 86_400_000;

/** Days in `month` (1..12) of `year`. */
function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Parses the 15 bytes `YYYYMMDDHHMMSSZ` at `buf[p..p+15)` into milliseconds.
 * Returns `NaN` when a character is not a digit, the `Z` is missing or a field
 * is out of range (month 1..12, day valid for the month, hour 0..23, minute
 * and second 0..59).
 */
export function parseKerberosTime(buf: Uint8Array, p: number): number {
  for (let i = 0; i < 14; i++) {
    const c = buf[p + i]!;
    if (c < 0x30 || c > 0x39) return Number.NaN;
  }
  if (buf[p + 14] !== 0x5a) return Number.NaN;
  const year = buf[p]! * 1000 + buf[p + 1]! * 100 + buf[p + 2]! * 10 + buf[p + 3]! - 0x30 * 1111;
  const month = buf[p + 4]! * 10 + buf[p + 5]! - 0x30 * 11;
  const day = buf[p + 6]! * 10 + buf[p + 7]! - 0x30 * 11;
  const hour = buf[p + 8]! * 10 + buf[p + 9]! - 0x30 * 11;
  const minute = buf[p + 10]! * 10 + buf[p + 11]! - 0x30 * 11;
  const second = buf[p + 12]! * 10 + buf[p + 13]! - 0x30 * 11;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000;
}

/**
 * Writes `ms` as `YYYYMMDDHHMMSSZ` into `out[p..p+15)`. The caller has checked
 * that `ms` is a whole number of seconds within years 0000..9999.
 */
export function formatKerberosTime(ms: number, out: Uint8Array, p: number): void {
  const days = Math.floor(ms / DAY_MS);
  let secs = (ms - days * DAY_MS) / 1000;
  // civil-from-days
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(secs / 3600);
  secs -= hour * 3600;
  const minute = Math.floor(secs / 60);
  const second = secs - minute * 60;
  out[p] = 0x30 + Math.floor(year / 1000);
  out[p + 1] = 0x30 + (Math.floor(year / 100) % 10);
  out[p + 2] = 0x30 + (Math.floor(year / 10) % 10);
  out[p + 3] = 0x30 + (year % 10);
  out[p + 4] = 0x30 + Math.floor(month / 10);
  out[p + 5] = 0x30 + (month % 10);
  out[p + 6] = 0x30 + Math.floor(day / 10);
  out[p + 7] = 0x30 + (day % 10);
  out[p + 8] = 0x30 + Math.floor(hour / 10);
  out[p + 9] = 0x30 + (hour % 10);
  out[p + 10] = 0x30 + Math.floor(minute / 10);
  out[p + 11] = 0x30 + (minute % 10);
  out[p + 12] = 0x30 + Math.floor(second / 10);
  out[p + 13] = 0x30 + (second % 10);
  out[p + 14] = 0x5a;
}

/** The smallest and largest KerberosTime krbsim can put on the wire (years 0000 and 9999). */
export const MIN_KERBEROS_TIME = daysFromCivil(0, 1, 1) * DAY_MS;
/** The largest encodable KerberosTime: 9999-12-31T23:59:59Z. */
export const MAX_KERBEROS_TIME = daysFromCivil(9999, 12, 31) * DAY_MS + 86_399_000;
