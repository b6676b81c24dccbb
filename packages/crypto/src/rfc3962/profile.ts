/**
 * The aes-sha1 family: aes128-cts-hmac-sha1-96 (17) and
 * aes256-cts-hmac-sha1-96 (18), RFC 3962, on the RFC 3961 section 5.3
 * simplified profile.
 *
 *   encrypt:  C = AES-CTS(Ke, IV = 0, conf | plaintext)
 *             H = HMAC-SHA1(Ki, conf | plaintext)[0..12]
 *             cipher = C | H
 *   checksum: HMAC-SHA1(Kc, data)[0..12]                 (types 15, 16)
 *   PRF:      AES(DK(key, "prf"), SHA1(input)[0..16])     (RFC 3962 section 6)
 *
 * Ke, Ki and Kc are DK(base-key, usage | 0xAA / 0x55 / 0x99), derived once
 * per (key, usage) and cached on the key's state together with the AES-CTS
 * contexts for Ke.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { utf8 } from '../internal/bytes';
import { badIntegrity } from '../internal/errors';
import { hmacFor, type Mac, macEquals } from '../internal/hmac';
import { scratch } from '../internal/scratch';
import { countDerivation } from '../internal/stats';
import { deriveRandom, KC, KE, KI, usageConstant } from '../rfc3961/dk';
import { nfold } from '../rfc3961/nfold';
import type { CryptoFamily, EncTypeSpec, KeyState } from '../rfc3961/profile';
import { AesCts, aesCbcEncrypt, ctsSpace } from './aes-cts';
import { aesSha1StringToKey } from './string-to-key';

const MAC_BYTES = 12;
const CONFOUNDER_BYTES = 16;
const PRF_CONSTANT = utf8('prf');

/** Per-usage encryption material: the AES-CTS contexts for Ke, and HMAC-SHA1 keyed with Ki. */
interface EncMaterial {
  readonly cts: AesCts;
  readonly ki: Mac;
}

/**
 * n-fold(usage | kind) to one AES block, per (usage, kind). Performance: the
 * fold is pure and costs about 1.5 us, and a fresh session key needs two per
 * AP-REQ. Bounded, since a usage is any uint32.
 */
const foldedConstants = new Map<number, Uint8Array>();
function foldedConstant(usage: number, kind: number): Uint8Array {
  const id = usage * 256 + kind;
  let f = foldedConstants.get(id);
  if (f === undefined) {
    f = nfold(usageConstant(usage, kind), 16);
    if (foldedConstants.size < 4096) foldedConstants.set(id, f);
  }
  return f;
}

/**
 * DK(base, usage | kind) (RFC 3961 section 5.1) from the cached fold: DR is
 * E(K1) | E(E(K1)) | ..., which is CBC encryption of K1 then zero blocks,
 * truncated to the key length (random-to-key is the identity here).
 * Performance: a session key arrives with every AP-REQ, so Ke and Ki are on
 * the acceptor's hot path; aesCbcEncrypt runs them on the JavaScript AES.
 */
function dk(base: Uint8Array, usage: number, kind: number): Uint8Array {
  countDerivation();
  const input = new Uint8Array(base.length); // K1, then a zero block for AES-256
  input.set(foldedConstant(usage, kind));
  return aesCbcEncrypt(base, input);
}

function encMaterial(state: KeyState, usage: number): EncMaterial {
  let material = state.enc.get(usage) as EncMaterial | undefined;
  if (material === undefined) {
    const ke = dk(state.bytes, usage, KE);
    const ki = dk(state.bytes, usage, KI);
    material = { cts: new AesCts(ke), ki: hmacFor('sha1', ki) };
    ke.fill(0);
    ki.fill(0);
    state.enc.set(usage, material);
  }
  return material;
}

/** HMAC-SHA1 keyed with Kc for `usage`. */
function checksumMac(state: KeyState, usage: number): Mac {
  let kc = state.cksum.get(usage) as Mac | undefined;
  if (kc === undefined) {
    const derived = dk(state.bytes, usage, KC);
    kc = hmacFor('sha1', derived);
    derived.fill(0);
    state.cksum.set(usage, kc);
  }
  return kc;
}

/** The RFC 3962 family's spec functions. */
export const aesSha1Family: CryptoFamily = {
  stringToKey: aesSha1StringToKey,

  randomToKey(_spec: EncTypeSpec, seed: Uint8Array): Uint8Array {
    return new Uint8Array(seed); // RFC 3962 section 6: random-to-key is the identity (a copy).
  },

  encrypt(state, usage, plaintext, confounder) {
    const { cts, ki } = encMaterial(state, usage);
    const n = CONFOUNDER_BYTES + plaintext.length;
    const staged = scratch(ctsSpace(n, MAC_BYTES));
    staged.set(confounder, 0);
    staged.set(plaintext, CONFOUNDER_BYTES);
    // RFC 3962 MACs the plaintext, so hash it before the CTS call clobbers it.
    const mac = ki.compute(staged.subarray(0, n));
    const out = cts.encrypt(staged, n, MAC_BYTES);
    staged.fill(0, 0, n); // Security: the plaintext was staged here.
    for (let i = 0; i < MAC_BYTES; i++) out[n + i] = mac[i]!; // into the room the engine left after C
    return new Uint8Array(out.buffer, out.byteOffset, n + MAC_BYTES);
  },

  decrypt(state, usage, ciphertext) {
    const n = ciphertext.length - MAC_BYTES;
    if (n < CONFOUNDER_BYTES) {
      throw badIntegrity(
        `ciphertext of ${ciphertext.length} bytes is shorter than the ${CONFOUNDER_BYTES + MAC_BYTES}-byte minimum`,
      );
    }
    const { cts, ki } = encMaterial(state, usage);
    const plain = cts.decrypt(ciphertext, n);
    if (!macEquals(ki.compute(new Uint8Array(plain.buffer, plain.byteOffset, n)), ciphertext, n, MAC_BYTES)) {
      plain.fill(0); // Security: never leave unauthenticated plaintext around.
      throw badIntegrity('HMAC-SHA1-96 does not match');
    }
    for (let i = 0; i < CONFOUNDER_BYTES; i++) plain[i] = 0; // the confounder; a loop beats Buffer#fill here
    return new Uint8Array(plain.buffer, plain.byteOffset + CONFOUNDER_BYTES, n - CONFOUNDER_BYTES);
  },

  checksum(state, usage, data) {
    return checksumMac(state, usage).compute(data).slice(0, MAC_BYTES);
  },

  prf(state, input) {
    let prfKey = state.extra as Uint8Array | undefined;
    if (prfKey === undefined) {
      prfKey = deriveRandom(aesCbcEncrypt, state.bytes, PRF_CONSTANT, 16, state.bytes.length);
      state.extra = prfKey;
    }
    const tmp = createHash('sha1').update(input).digest().subarray(0, 16);
    const out = aesCbcEncrypt(prfKey, tmp); // one block: CTS with a zero IV is plain AES
    return new Uint8Array(out);
  },
};
