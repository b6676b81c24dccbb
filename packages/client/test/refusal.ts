/** The KerberosError a promise (or a call) ends with; a test fails when it succeeds or throws anything else. */

import { KerberosError } from '@krbsim/core';
import { expect } from 'vitest';

export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<KerberosError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a refusal');
}
