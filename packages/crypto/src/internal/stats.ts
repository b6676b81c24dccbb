/**
 * Internal counters, for tests that prove the derived-key cache works.
 * Never exported from the package index.
 *
 * @module
 */

/** Mutable counters; tests read and reset them. */
export const stats = {
  /** Key derivations run (RFC 3961 DK, RFC 8009 KDF, RFC 4757 per-usage K1 and Ksign). */
  derivations: 0,
  /** AES-CTS engines created (each holds two OpenSSL contexts). */
  engines: 0,
  /** Operations that could have run in JavaScript sent to OpenSSL during the cold start (warm-up.ts). */
  coldNative: 0,
};

/** Counts one key derivation. */
export function countDerivation(): void {
  stats.derivations++;
}

/** Resets every counter to zero. */
export function resetStats(): void {
  stats.derivations = 0;
  stats.engines = 0;
  stats.coldNative = 0;
}
