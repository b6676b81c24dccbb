/** The client tests' one way to await a refusal: the promise must reject with a KerberosError. */

import { KerberosError } from '@krbsim/core';
import { expect } from 'vitest';

/** The KerberosError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<KerberosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a rejection');
}
