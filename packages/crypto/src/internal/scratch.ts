/**
 * One shared, growable scratch buffer for the encrypt and decrypt hot paths.
 *
 * Performance: the hot paths are synchronous and never re-entered, so one
 * module-level buffer can stage confounder | plaintext | padding without a
 * fresh ArrayBuffer per call. On Node 20 every new ArrayBuffer costs far more
 * than the bytes in it (see the README's performance notes).
 *
 * Security: callers wipe the bytes they staged before returning.
 *
 * @module
 */

/** Requests above this size get a private buffer, so the shared one stays small. */
const MAX_SHARED = 64 * 1024;

let shared = new Uint8Array(4096);

/** A buffer of at least `length` bytes; its contents are unspecified. */
export function scratch(length: number): Uint8Array {
  if (length <= shared.length) return shared;
  if (length > MAX_SHARED) return new Uint8Array(length);
  shared = new Uint8Array(Math.min(MAX_SHARED, Math.max(length, shared.length * 2)));
  return shared;
}

/** A 16-byte block for CTS fix-ups; callers wipe it after use. */
export const block16 = new Uint8Array(16);
