/**
 * Byte helpers shared by the profiles: text encoding, big- and little-endian
 * integers, constant-time comparison and wiping (concatenation is
 * `@krbsim/core`'s `concatBytes`).
 *
 * @module
 */

import { invalidInput } from './errors';

const encoder = new TextEncoder();

/**
 * UTF-8 bytes of a string. Lone UTF-16 surrogates are rejected rather than
 * silently replaced by U+FFFD: two different passwords must never produce the
 * same key.
 */
export function utf8(text: string): Uint8Array {
  assertWellFormed(text);
  return encoder.encode(text);
}

/** Strings become UTF-8; byte arrays pass through unchanged (not copied). */
export function toBytes(value: string | Uint8Array, what: string): Uint8Array {
  if (typeof value === 'string') return utf8(value);
  if (value instanceof Uint8Array) return value;
  throw invalidInput(`${what} must be a string or a Uint8Array`);
}

/** Throws KRB_ERR_GENERIC if `text` holds an unpaired UTF-16 surrogate. */
export function assertWellFormed(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    throw invalidInput('text contains an unpaired UTF-16 surrogate and has no UTF-8 form');
  }
}

/** `n` as four big-endian bytes (RFC 3961 usage numbers, RFC 8009 lengths). */
export function be32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** `n` as four little-endian bytes (RFC 4757 message types). */
export function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}

/** The four big-endian bytes at `offset` as an unsigned number. */
export function readBe32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

/**
 * Constant-time equality of two byte arrays. Security: the loop always runs
 * over the whole of `a`, so the time taken does not reveal where the first
 * difference is (a MAC-forging oracle otherwise). Lengths are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Zero-fills `bytes`. Security: scratch that held key material or plaintext. */
export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}

/** Lower-case hex, for messages and tests. Never used on key material in messages. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}
