/**
 * The aes-sha2 family: aes128-cts-hmac-sha256-128 (19) and
 * aes256-cts-hmac-sha384-192 (20), RFC 8009 section 5.
 *
 *   encrypt:  C = AES-CTS(Ke, IV = 0, conf | plaintext)
 *             H = HMAC-SHA-256/384(Ki, IV | C)[0..h]     (h = 16 or 24)
 *             cipher = C | H
 *   checksum: HMAC-SHA-256/384(Kc, data)[0..h]           (types 19, 20)
 *   PRF:      KDF-HMAC-SHA2(key, "prf", input, 256 or 384)
 *
 * Unlike RFC 3962 the MAC covers the ciphertext (encrypt-then-MAC), so a
 * decrypt checks integrity before it decrypts anything.
 *
 * Ke = KDF(base-key, usage | 0xAA, 128 or 256 bits),
 * Ki = KDF(base-key, usage | 0x55, 128 or 192 bits),
 * Kc = KDF(base-key, usage | 0x99, 128 or 192 bits), cached per (key, usage).
 *
 * @module
 */

import { utf8 } from '../internal/bytes';
import { badIntegrity } from '../internal/errors';
import { hmacFor, type Mac, macEquals } from '../internal/hmac';
import { scratch } from '../internal/scratch';
import { countDerivation } from '../internal/stats';
import { KC, KE, KI, usageConstant } from '../rfc3961/dk';
import type { CryptoFamily, EncTypeSpec, KeyState } from '../rfc3961/profile';
import { AesCts, ctsSpace } from '../rfc3962/aes-cts';
import { aesSha2StringToKey, kdfWithMac } from './kdf';

const CONFOUNDER_BYTES = 16;
/** The cipher state (IV) that RFC 8009 prepends to C under the MAC: all zero. */
const ZERO_IV = new Uint8Array(16);
const PRF_LABEL = utf8('prf');

/** Per-usage encryption material: the AES-CTS contexts for Ke, and HMAC keyed with Ki. */
interface EncMaterial {
  readonly cts: AesCts;
  readonly ki: Mac;
}

/**
 * HMAC keyed with the base key, for every KDF-HMAC-SHA2 of that key (Ke, Ki,
 * Kc, the PRF), kept on the key's state. For aes128-cts-hmac-sha256-128 a
 * derivation is then two SHA-256 compressions, with no re-keying; for
 * aes256-cts-hmac-sha384-192 it is two one-shot digests from the kept pads
 * (../internal/hmac.ts says why).
 */
function baseMac(state: KeyState): Mac {
  let mac = state.extra as Mac | undefined;
  if (mac === undefined) {
    mac = hmacFor(state.spec.hash, state.bytes);
    state.extra = mac;
  }
  return mac;
}

function kdf(state: KeyState, label: Uint8Array, bytes: number): Uint8Array {
  countDerivation();
  return kdfWithMac(baseMac(state), label, undefined, bytes * 8);
}

function encMaterial(state: KeyState, usage: number): EncMaterial {
  let material = state.enc.get(usage) as EncMaterial | undefined;
  if (material === undefined) {
    const spec = state.spec;
    const ke = kdf(state, usageConstant(usage, KE), spec.keyBytes);
    const ki = kdf(state, usageConstant(usage, KI), spec.integrityKeyBytes);
    material = { cts: new AesCts(ke), ki: hmacFor(spec.hash, ki) };
    ke.fill(0);
    ki.fill(0);
    state.enc.set(usage, material);
  }
  return material;
}

/** HMAC keyed with Kc for `usage`. */
function checksumMac(state: KeyState, usage: number): Mac {
  let kc = state.cksum.get(usage) as Mac | undefined;
  if (kc === undefined) {
    const derived = kdf(state, usageConstant(usage, KC), state.spec.integrityKeyBytes);
    kc = hmacFor(state.spec.hash, derived);
    derived.fill(0);
    state.cksum.set(usage, kc);
  }
  return kc;
}

/** The RFC 8009 family's spec functions. */
export const aesSha2Family: CryptoFamily = {
  stringToKey: aesSha2StringToKey,

  randomToKey(_spec: EncTypeSpec, seed: Uint8Array): Uint8Array {
    return new Uint8Array(seed); // RFC 8009 section 5: random-to-key is the identity (a copy).
  },

  encrypt(state, usage, plaintext, confounder) {
    const { cts, ki } = encMaterial(state, usage);
    const h = state.spec.macBytes;
    const n = CONFOUNDER_BYTES + plaintext.length;
    const staged = scratch(ctsSpace(n, h));
    staged.set(confounder, 0);
    staged.set(plaintext, CONFOUNDER_BYTES);
    const out = cts.encrypt(staged, n, h);
    staged.fill(0, 0, n); // Security: the plaintext was staged here.
    // H = HMAC(Ki, IV | C), truncated; written into the room after C.
    const mac = ki.compute(ZERO_IV, new Uint8Array(out.buffer, out.byteOffset, n));
    for (let i = 0; i < h; i++) out[n + i] = mac[i]!;
    return new Uint8Array(out.buffer, out.byteOffset, n + h);
  },

  decrypt(state, usage, ciphertext) {
    const h = state.spec.macBytes;
    const n = ciphertext.length - h;
    if (n < CONFOUNDER_BYTES) {
      throw badIntegrity(
        `ciphertext of ${ciphertext.length} bytes is shorter than the ${CONFOUNDER_BYTES + h}-byte minimum`,
      );
    }
    const { cts, ki } = encMaterial(state, usage);
    // Encrypt-then-MAC: verify before decrypting anything.
    const c = new Uint8Array(ciphertext.buffer, ciphertext.byteOffset, n);
    if (!macEquals(ki.compute(ZERO_IV, c), ciphertext, n, h)) {
      throw badIntegrity(`HMAC-${state.spec.hash.toUpperCase()} does not match`);
    }
    const plain = cts.decrypt(ciphertext, n);
    for (let i = 0; i < CONFOUNDER_BYTES; i++) plain[i] = 0; // the confounder; a loop beats Buffer#fill here
    return new Uint8Array(plain.buffer, plain.byteOffset + CONFOUNDER_BYTES, n - CONFOUNDER_BYTES);
  },

  checksum(state, usage, data) {
    return checksumMac(state, usage).compute(data).slice(0, state.spec.macBytes);
  },

  prf(state, input) {
    return kdfWithMac(baseMac(state), PRF_LABEL, input, state.spec.prfBytes * 8);
  },
};
