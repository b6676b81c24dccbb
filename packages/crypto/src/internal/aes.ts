/**
 * The AES block cipher (FIPS 197) in JavaScript: key expansion and one-block
 * encrypt and decrypt, table-driven (the "T-table" form of FIPS 197 section
 * 5 that merges SubBytes, ShiftRows and MixColumns into four lookups per
 * column; decryption uses the equivalent inverse cipher of section 5.3.5).
 *
 * Why a JavaScript AES next to OpenSSL's: a key used once. Every AP-REQ
 * brings a fresh session key, used for one authenticator; through
 * node:crypto that key costs an ECB context to derive Ke and Ki and a CBC
 * context to decrypt, each a native object whose creation and collection
 * cost far more than the few AES blocks they run. Here a key schedule is a
 * plain Int32Array, so a one-shot key costs no native object and little
 * garbage. Keys that are used again move to OpenSSL (see aes-cts.ts), where
 * AES-NI wins on throughput.
 *
 * Security: table lookups indexed by secret bytes are not constant time on
 * CPUs with caches. krbsim runs a key through these tables at most a few
 * times (its derivation and first message), which leaves a cache-timing
 * observer one trace per key; long-lived keys run on OpenSSL's AES-NI.
 *
 * @module
 */

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
// Encryption tables: TE0[x] = the MixColumns column of S(x), [2, 1, 1, 3]·S(x);
// TE1..TE3 are TE0 rotated right by 8, 16 and 24 bits.
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);
// Decryption tables: TD0[x] = [14, 9, 13, 11]·S^-1(x), and rotations.
const TD0 = new Int32Array(256);
const TD1 = new Int32Array(256);
const TD2 = new Int32Array(256);
const TD3 = new Int32Array(256);

/** A big-endian 32-bit word of `b` at `o`. */
const be32 = (b: Uint8Array, o: number): number =>
  (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;

const ror8 = (x: number): number => (x >>> 8) | (x << 24);

// Build the tables from GF(2^8) arithmetic rather than 8 KB of literals.
{
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= ((x << 1) ^ (x & 0x80 ? 0x1b : 0)) & 0xff; // x * 3, the generator
  }
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!);
  for (let x = 0; x < 256; x++) {
    const inv = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    // The affine map of section 5.1.1: b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
    let s = inv;
    for (let r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    s ^= 0x63;
    SBOX[x] = s;
    INV_SBOX[s] = x;
  }
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!;
    const e = (mul(s, 2) << 24) | (s << 16) | (s << 8) | mul(s, 3);
    TE0[x] = e;
    TE1[x] = ror8(e);
    TE2[x] = ror8(ror8(e));
    TE3[x] = ror8(ror8(ror8(e)));
    const v = INV_SBOX[x]!;
    const d = (mul(v, 14) << 24) | (mul(v, 9) << 16) | (mul(v, 13) << 8) | mul(v, 11);
    TD0[x] = d;
    TD1[x] = ror8(d);
    TD2[x] = ror8(ror8(d));
    TD3[x] = ror8(ror8(ror8(d)));
  }
}

/** Int32 words in the largest key schedule (AES-256: 15 round keys of 4 words). */
export const SCHEDULE_WORDS = 60;

/**
 * Expands a 16-, 24- or 32-byte key into `w` (FIPS 197 section 5.2), the
 * encryption schedule, and returns the number of rounds (10, 12 or 14).
 * `w` holds at least {@link SCHEDULE_WORDS} words; the caller wipes it.
 * Performance: the caller owns `w`, so a one-shot key allocates nothing (a
 * 240-byte typed array is off-heap in V8, and costs more than expanding).
 */
export function expandKey(key: Uint8Array, w: Int32Array): number {
  const nk = key.length >>> 2;
  const rounds = nk + 6;
  const total = 4 * (rounds + 1);
  for (let i = 0; i < nk; i++) w[i] = be32(key, 4 * i);
  let rcon = 1; // Rcon[i / nk]: 1, 2, 4, ... doubling in GF(2^8)
  for (let i = nk, j = 0; i < total; i++) {
    let t = w[i - 1]!;
    if (j === 0) {
      // SubWord(RotWord(t)) ^ Rcon
      t =
        ((SBOX[(t >>> 16) & 0xff]! << 24) |
          (SBOX[(t >>> 8) & 0xff]! << 16) |
          (SBOX[t & 0xff]! << 8) |
          SBOX[t >>> 24]!) ^
        (rcon << 24);
      rcon = ((rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0)) & 0xff;
    } else if (nk > 6 && j === 4) {
      t =
        (SBOX[t >>> 24]! << 24) |
        (SBOX[(t >>> 16) & 0xff]! << 16) |
        (SBOX[(t >>> 8) & 0xff]! << 8) |
        SBOX[t & 0xff]!;
    }
    w[i] = w[i - nk]! ^ t;
    if (++j === nk) j = 0;
  }
  return rounds;
}

/**
 * Writes into `d` the decryption schedule for the equivalent inverse cipher
 * (FIPS 197 section 5.3.5) of the encryption schedule `e`: the round keys in
 * reverse order, InvMixColumns applied to all but the first and last.
 * `TDn[S(b)]` is InvMixColumns of byte b alone.
 */
export function invertSchedule(e: Int32Array, rounds: number, d: Int32Array): void {
  const last = 4 * rounds;
  for (let c = 0; c < 4; c++) {
    d[c] = e[last + c]!;
    d[last + c] = e[c]!;
  }
  for (let i = 4; i < last; i++) {
    const w = e[last - (i & ~3) + (i & 3)]!;
    d[i] =
      TD0[SBOX[w >>> 24]!]! ^
      TD1[SBOX[(w >>> 16) & 0xff]!]! ^
      TD2[SBOX[(w >>> 8) & 0xff]!]! ^
      TD3[SBOX[w & 0xff]!]!;
  }
}

/**
 * Encrypts, with the schedule `k` of `rounds` rounds, the block at `src[so..so+16]` XOR `x[xo..xo+16]` into
 * `dst[dout..dout+16]` (CBC's chaining in the same pass; pass a zero block
 * for plain ECB). `dst` may be `src` or `x`.
 */
export function encryptBlock(
  k: Int32Array,
  rounds: number,
  src: Uint8Array,
  so: number,
  x: Uint8Array,
  xo: number,
  dst: Uint8Array,
  dout: number,
): void {
  let s0 = be32(src, so) ^ be32(x, xo) ^ k[0]!;
  let s1 = be32(src, so + 4) ^ be32(x, xo + 4) ^ k[1]!;
  let s2 = be32(src, so + 8) ^ be32(x, xo + 8) ^ k[2]!;
  let s3 = be32(src, so + 12) ^ be32(x, xo + 12) ^ k[3]!;
  let i = 4;
  for (let r = 1; r < rounds; r++, i += 4) {
    const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ k[i]!;
    const t1 =
      TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ k[i + 1]!;
    const t2 =
      TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ k[i + 2]!;
    const t3 =
      TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ k[i + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Last round: SubBytes and ShiftRows, no MixColumns.
  put(dst, dout, lastRound(SBOX, s0, s1, s2, s3) ^ k[i]!);
  put(dst, dout + 4, lastRound(SBOX, s1, s2, s3, s0) ^ k[i + 1]!);
  put(dst, dout + 8, lastRound(SBOX, s2, s3, s0, s1) ^ k[i + 2]!);
  put(dst, dout + 12, lastRound(SBOX, s3, s0, s1, s2) ^ k[i + 3]!);
}

/**
 * Decrypts the block at `src[so..so+16]` with an {@link invertSchedule}d `k`,
 * XORs the result with `x[xo..xo+16]` (CBC's chaining; a zero block for
 * ECB) and writes it to `dst[dout..dout+16]`. `dst` may be `src`, not `x`.
 */
export function decryptBlock(
  k: Int32Array,
  rounds: number,
  src: Uint8Array,
  so: number,
  x: Uint8Array,
  xo: number,
  dst: Uint8Array,
  dout: number,
): void {
  let s0 = be32(src, so) ^ k[0]!;
  let s1 = be32(src, so + 4) ^ k[1]!;
  let s2 = be32(src, so + 8) ^ k[2]!;
  let s3 = be32(src, so + 12) ^ k[3]!;
  let i = 4;
  for (let r = 1; r < rounds; r++, i += 4) {
    const t0 = TD0[s0 >>> 24]! ^ TD1[(s3 >>> 16) & 0xff]! ^ TD2[(s2 >>> 8) & 0xff]! ^ TD3[s1 & 0xff]! ^ k[i]!;
    const t1 =
      TD0[s1 >>> 24]! ^ TD1[(s0 >>> 16) & 0xff]! ^ TD2[(s3 >>> 8) & 0xff]! ^ TD3[s2 & 0xff]! ^ k[i + 1]!;
    const t2 =
      TD0[s2 >>> 24]! ^ TD1[(s1 >>> 16) & 0xff]! ^ TD2[(s0 >>> 8) & 0xff]! ^ TD3[s3 & 0xff]! ^ k[i + 2]!;
    const t3 =
      TD0[s3 >>> 24]! ^ TD1[(s2 >>> 16) & 0xff]! ^ TD2[(s1 >>> 8) & 0xff]! ^ TD3[s0 & 0xff]! ^ k[i + 3]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
  }
  // Read the chaining block before writing: dst may overlap x's neighbours.
  const x0 = be32(x, xo);
  const x1 = be32(x, xo + 4);
  const x2 = be32(x, xo + 8);
  const x3 = be32(x, xo + 12);
  put(dst, dout, lastRound(INV_SBOX, s0, s3, s2, s1) ^ k[i]! ^ x0);
  put(dst, dout + 4, lastRound(INV_SBOX, s1, s0, s3, s2) ^ k[i + 1]! ^ x1);
  put(dst, dout + 8, lastRound(INV_SBOX, s2, s1, s0, s3) ^ k[i + 2]! ^ x2);
  put(dst, dout + 12, lastRound(INV_SBOX, s3, s2, s1, s0) ^ k[i + 3]! ^ x3);
}

/** One output column of the last round: the S-box of byte 3, 2, 1, 0 of a, b, c, d. */
function lastRound(box: Uint8Array, a: number, b: number, c: number, d: number): number {
  return (
    (box[a >>> 24]! << 24) | (box[(b >>> 16) & 0xff]! << 16) | (box[(c >>> 8) & 0xff]! << 8) | box[d & 0xff]!
  );
}

function put(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
