/**
 * fast-check arbitraries for Azure SQL Managed Instance labs: 1 to 3 users,
 * 1 to 3 instances on distinct subnets, with or without the cloud trust.
 *
 * @module
 */

import fc from 'fast-check';
import { arbDnsLabel } from '../topology/top-level-names';
import type { AzureInstanceSpec, AzureLabSpec } from './spec';

const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGITS = [...'0123456789'];

/** An on-prem realm name: `<LABEL>.<COM|LOCAL|TEST|CORP>`, never one the Azure cloud claims. */
export const arbOnPremRealm: fc.Arbitrary<string> = fc
  .tuple(arbDnsLabel, fc.constantFrom('COM', 'LOCAL', 'TEST', 'CORP'))
  .map(([label, tld]) => `${label.toUpperCase()}.${tld}`);

/** A sAMAccountName: 1 to 12 lower-case letters and digits, starting with a letter. */
export const arbSamAccountName: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...LETTERS),
    fc.string({ unit: fc.constantFrom(...LETTERS, ...DIGITS), maxLength: 11 }),
  )
  .map(([first, rest]) => first + rest);

/** An instance of a lab, the `i`th: name `mi<i>`, a DNS zone id, subnet `10.<i>.0.0/24`. */
function arbInstance(i: number): fc.Arbitrary<AzureInstanceSpec> {
  return fc
    .string({ unit: fc.constantFrom(...LETTERS, ...DIGITS), minLength: 6, maxLength: 12 })
    .map((dnsZone) => ({ name: `mi${i + 1}`, dnsZone, subnet: `10.${i}.0.0/24` }));
}

/** A lab (see the module documentation); `cloudTrust` fixed when given. */
export function arbAzureLab(
  options: { maxUsers?: number; maxInstances?: number; cloudTrust?: boolean } = {},
): fc.Arbitrary<AzureLabSpec> {
  const { maxUsers = 3, maxInstances = 3 } = options;
  return fc.record({
    onPremRealm: arbOnPremRealm,
    seed: fc.nat(),
    users: fc.uniqueArray(arbSamAccountName, { minLength: 1, maxLength: maxUsers }),
    instances: fc
      .integer({ min: 1, max: maxInstances })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbInstance(i)))),
    cloudTrust: options.cloudTrust === undefined ? fc.boolean() : fc.constant(options.cloudTrust),
  });
}
