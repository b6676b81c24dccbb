/** The pki tests' one way to expect a refusal. */

import { KerberosError } from '@krbsim/core';
import { expect } from 'vitest';

/** Runs `f` (or awaits it), expects a KerberosError of `want` whose message matches `message`. */
export async function refused(f: () => unknown, want: number, message: RegExp): Promise<KerberosError> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KerberosError);
  const e = err as KerberosError;
  expect(e.code, e.message).toBe(want);
  expect(e.message).toMatch(message);
  return e;
}
