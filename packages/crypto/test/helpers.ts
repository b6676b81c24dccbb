/** Test helpers: hex conversion and error assertions. */

import { KerberosError } from '@krbsim/core';
import { expect } from 'vitest';

/** Bytes from hex; whitespace is ignored so vectors can be pasted as printed in the RFCs. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** ASCII/UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Runs `fn`, asserts it throws a KerberosError with `code`, and returns the error. */
export function expectKerberosError(fn: () => unknown, code: number, message?: RegExp): KerberosError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a KerberosError').toBeInstanceOf(KerberosError);
  const err = caught as KerberosError;
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}
