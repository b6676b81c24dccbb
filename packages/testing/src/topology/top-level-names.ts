/**
 * fast-check arbitraries for the top-level names a forest trust claims
 * (MS-ADTS 6.1.6.9.3, msDS-TrustForestTrustInfo): DNS names that route
 * host-based service names at or below them to the trusting realm.
 *
 * @module
 */

import fc from 'fast-check';

/** A DNS label: 1 to 12 lower-case letters and digits, hyphens inside (RFC 1035 section 2.3.1). */
export const arbDnsLabel: fc.Arbitrary<string> = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 12 })
  .map((l) => l.replace(/^-+|-+$/g, ''))
  .filter((l) => l.length > 0);

/** A DNS name of `minLabels`..`maxLabels` labels (default 1..3), lower case, no trailing dot. */
export function arbDnsName(options: { minLabels?: number; maxLabels?: number } = {}): fc.Arbitrary<string> {
  const { minLabels = 1, maxLabels = 3 } = options;
  return fc.array(arbDnsLabel, { minLength: minLabels, maxLength: maxLabels }).map((ls) => ls.join('.'));
}

/** True when `a` is `b` or below it, or `b` below `a`, label by label: two such names overlap. */
export function dnsNamesOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  return x === y || x.endsWith(`.${y}`) || y.endsWith(`.${x}`);
}

/**
 * Top-level names for one trust: up to `maxLength` (default 3) DNS names,
 * none equal to or below another, so `createTrust` accepts them all
 * (`windows.net` and `core.windows.net` would overlap).
 */
export function arbTopLevelNames(
  options: { minLength?: number; maxLength?: number; maxLabels?: number } = {},
): fc.Arbitrary<string[]> {
  const { minLength = 0, maxLength = 3, maxLabels = 3 } = options;
  return fc
    .uniqueArray(arbDnsName({ maxLabels }), { minLength: 0, maxLength: maxLength * 2 })
    .map((names) =>
      names.filter((n, i) => names.slice(0, i).every((m) => !dnsNamesOverlap(m, n))).slice(0, maxLength),
    )
    .filter((names) => names.length >= minLength);
}
