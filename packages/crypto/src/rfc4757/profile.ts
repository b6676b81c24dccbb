/**
 * The rc4-hmac family: rc4-hmac (23), RFC 4757. Weak: kept for realms that
 * still issue it; `weak: true` in its profile.
 *
 *   string-to-key: K = MD4(UTF-16LE(password)); salt and s2kparams unused
 *   encrypt (section 3), T = message type of the usage:
 *     K1 = HMAC-MD5(K, T as 4 little-endian bytes)
 *     CHECKSUM = HMAC-MD5(K1, conf | plaintext)      (conf: 8 bytes)
 *     K3 = HMAC-MD5(K1, CHECKSUM)
 *     cipher = CHECKSUM | RC4(K3, conf | plaintext)
 *   checksum hmac-md5 (-138, section 4), in ./checksum.ts (keys of any
 *   etype can compute it):
 *     Ksign = HMAC-MD5(K, "signaturekey" | 0x00)
 *     CHKSUM = HMAC-MD5(Ksign, MD5(T as 4 little-endian bytes | data))
 *   PRF (as MIT and Windows do; RFC 4757 defines none): HMAC-SHA1(K, input)
 *
 * K1 per usage and Ksign are derived once per key and cached.
 *
 * @module
 */

import { createHmac } from 'node:crypto';
import { assertWellFormed, constantTimeEqual, le32 } from '../internal/bytes';
import { badIntegrity, invalidInput } from '../internal/errors';
import { countDerivation } from '../internal/stats';
import type { CryptoFamily, EncTypeSpec, KeyState } from '../rfc3961/profile';
import { hmacMd5Checksum, rc4MessageType } from './checksum';
import { md4 } from './md4';
import { rc4InPlace } from './rc4';

/** The usage-to-message-type map of section 3, shared with the checksum; also importable from here. */
export { rc4MessageType };

const CONFOUNDER_BYTES = 8;
const CHECKSUM_BYTES = 16;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** K1 = HMAC-MD5(K, T), per usage. */
function k1For(state: KeyState, usage: number): Buffer {
  let k1 = state.enc.get(usage) as Buffer | undefined;
  if (k1 === undefined) {
    countDerivation();
    k1 = hmacMd5(state.bytes, le32(rc4MessageType(usage)));
    state.enc.set(usage, k1);
  }
  return k1;
}

/** The password as UTF-16LE. Byte passwords are read as UTF-8 first. */
function utf16le(password: Uint8Array | string): Uint8Array {
  let text: string;
  if (typeof password === 'string') {
    text = password;
  } else {
    try {
      text = utf8Decoder.decode(password);
    } catch {
      throw invalidInput('rc4-hmac password bytes are not valid UTF-8');
    }
  }
  assertWellFormed(text);
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >>> 8;
  }
  return out;
}

/** The RFC 4757 family's spec functions. */
export const rc4HmacFamily: CryptoFamily = {
  stringToKey(_spec: EncTypeSpec, password, _salt, params) {
    if (params.length !== 0) throw invalidInput('rc4-hmac takes no s2kparams');
    const unicode = utf16le(password);
    try {
      return md4(unicode);
    } finally {
      unicode.fill(0); // Security: the encoded password.
    }
  },

  randomToKey(_spec, seed) {
    return new Uint8Array(seed); // identity (a copy)
  },

  encrypt(state, usage, plaintext, confounder) {
    const k1 = k1For(state, usage);
    const n = CONFOUNDER_BYTES + plaintext.length;
    const out = new Uint8Array(CHECKSUM_BYTES + n);
    out.set(confounder, CHECKSUM_BYTES);
    out.set(plaintext, CHECKSUM_BYTES + CONFOUNDER_BYTES);
    const checksum = hmacMd5(k1, out.subarray(CHECKSUM_BYTES)); // K2 = K1 for rc4-hmac (not -exp)
    out.set(checksum, 0);
    const k3 = hmacMd5(k1, checksum);
    rc4InPlace(k3, out, CHECKSUM_BYTES, out.length);
    k3.fill(0);
    return out;
  },

  decrypt(state, usage, ciphertext) {
    if (ciphertext.length < CHECKSUM_BYTES + CONFOUNDER_BYTES) {
      throw badIntegrity(
        `ciphertext of ${ciphertext.length} bytes is shorter than the ${CHECKSUM_BYTES + CONFOUNDER_BYTES}-byte minimum`,
      );
    }
    const k1 = k1For(state, usage);
    const checksum = ciphertext.subarray(0, CHECKSUM_BYTES);
    const k3 = hmacMd5(k1, checksum);
    const plain = new Uint8Array(ciphertext.subarray(CHECKSUM_BYTES)); // a copy: decrypted in place
    rc4InPlace(k3, plain, 0, plain.length);
    k3.fill(0);
    if (!constantTimeEqual(hmacMd5(k1, plain), checksum)) {
      plain.fill(0); // Security: never leave unauthenticated plaintext around.
      throw badIntegrity('HMAC-MD5 does not match');
    }
    plain.fill(0, 0, CONFOUNDER_BYTES);
    return plain.subarray(CONFOUNDER_BYTES);
  },

  checksum(state, usage, data) {
    return hmacMd5Checksum(state, usage, data);
  },

  prf(state, input) {
    return new Uint8Array(createHmac('sha1', state.bytes).update(input).digest());
  },
};
