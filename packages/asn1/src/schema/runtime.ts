/**
 * The helpers generated codecs call besides the DER reader's and writer's:
 * error paths and the refusals of CHOICE, SEQUENCE OF and APPLICATION
 * wrappers. Both the code compiled at run time (`compile.ts`) and
 * `precompiled.ts` use them.
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import { Asn1Error, asAsn1Error, describeTag } from '../der/errors';
import type { Reader } from '../der/reader';
import { tagError } from '../der/reader';

export function at(x: unknown, f: number, names: readonly string[]): Asn1Error {
  const e = asAsn1Error(x);
  if (f >= 0) e.prepend(`.${names[f]}`);
  return e;
}

export function atI(x: unknown, i: number): Asn1Error {
  const e = asAsn1Error(x);
  if (i >= 0) e.prepend(`[${i}]`);
  return e;
}

export function noChoice(r: Reader, end: number, tags: readonly number[]): never {
  throw tagError(r, end, tags.map(describeTag).join(' or '));
}

export function tooFew(n: number, min: number): never {
  throw new Asn1Error(`SEQUENCE OF has ${n} elements, at least ${min} required`);
}

export function badApp(v: unknown, tags: readonly number[], what: string): never {
  throw new Asn1Error(`${what} ${String(v)} is not one of ${tags.join(', ')}`, {
    code: ErrorCode.KRB_AP_ERR_MSG_TYPE,
  });
}
