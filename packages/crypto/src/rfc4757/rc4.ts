/**
 * RC4 (ARCFOUR), in TypeScript, for rc4-hmac (RFC 4757).
 *
 * Node 20's OpenSSL 3 only has RC4 in the legacy provider, which is not
 * loaded by default. RC4 is broken (RFC 7465 bans it from TLS); krbsim keeps
 * it only to emulate realms that still issue rc4-hmac tickets, behind the
 * `weak` flag.
 *
 * @module
 */

/**
 * XORs the RC4 keystream for `key` into `data[start..end)`, in place.
 *
 * @example
 * ```ts
 * const b = new TextEncoder().encode('Plaintext');
 * rc4InPlace(new TextEncoder().encode('Key'), b, 0, b.length); // bbf316e8d940af0ad3
 * ```
 */
export function rc4InPlace(key: Uint8Array, data: Uint8Array, start: number, end: number): void {
  // Key-scheduling algorithm.
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  const kl = key.length;
  let j = 0;
  for (let i = 0; i < 256; i++) {
    const si = s[i]!;
    j = (j + si + key[i % kl]!) & 0xff;
    s[i] = s[j]!;
    s[j] = si;
  }
  // Pseudo-random generation, XOR-ed into the data.
  let i = 0;
  j = 0;
  for (let p = start; p < end; p++) {
    i = (i + 1) & 0xff;
    const si = s[i]!;
    j = (j + si) & 0xff;
    const sj = s[j]!;
    s[i] = sj;
    s[j] = si;
    data[p]! ^= s[(si + sj) & 0xff]!;
  }
  s.fill(0); // Security: the state reveals the key.
}
