/**
 * Differential tests against MIT krb5 1.20 (libkrb5/libk5crypto), the
 * reference implementation, via fixtures captured by
 * fixtures/make-mit-keys.sh:
 *
 * - fixtures/mit-keys.json: keys MIT's `ktutil addent -password` made for
 *   principals with one to three components and non-ASCII names and
 *   passwords, for every supported etype (salt = the principal's default
 *   salt, s2kparams = the etype default), read back with `klist -K`;
 * - fixtures/mit-crypto.json: output of fixtures/mit-oracle.c: string-to-key
 *   with explicit s2kparams, checksums over many usages and lengths, PRF,
 *   KRB-FX-CF2 (including mixed etypes), and encryptions for usages 1-27,
 *   50-56, 513, 1024 and plaintext lengths 0-1024, with the confounder MIT
 *   drew.
 */

import { readFileSync } from 'node:fs';
import {
  cf2,
  checksum,
  decrypt,
  encrypt,
  type Key,
  prf,
  salt,
  stringToKey,
  verifyChecksum,
} from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { hex, toHex } from './helpers';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

interface KtutilKey {
  principal: string;
  realm: string;
  components: string[];
  password: string;
  enctype: string;
  etype: number;
  key: string;
}

interface MitCrypto {
  stringToKey: { etype: number; password: string; salt: string; params: string; key: string }[];
  checksums: {
    etype: number;
    cksumtype: number;
    key: string;
    usage: number;
    data: string;
    checksum: string;
  }[];
  prf: { etype: number; key: string; input: string; output: string }[];
  cf2: {
    etype1: number;
    key1: string;
    etype2: number;
    key2: string;
    pepper1: string;
    pepper2: string;
    etype: number;
    output: string;
  }[];
  encryptions: {
    etype: number;
    key: string;
    usage: number;
    confounder: string;
    plaintext: string;
    ciphertext: string;
  }[];
}

const ktutil = fixture<{ keys: KtutilKey[] }>('mit-keys.json').keys;
const mit = fixture<MitCrypto>('mit-crypto.json');

describe('MIT ktutil: string-to-key with default salts', () => {
  it('covers every etype, multi-component and non-ASCII principals and passwords', () => {
    expect(new Set(ktutil.map((k) => k.etype))).toEqual(new Set([17, 18, 19, 20, 23]));
    expect(ktutil.some((k) => k.components.length === 3)).toBe(true);
    expect(ktutil.some((k) => /[^ -~]/.test(k.password))).toBe(true);
    expect(ktutil.some((k) => /[^ -~]/.test(k.principal))).toBe(true);
  });

  it.each(ktutil.map((k) => [`${k.principal} ${k.enctype}`, k] as const))('%s', (_name, k) => {
    const key = stringToKey(k.etype, k.password, salt(k.realm, k.components));
    expect(toHex(key.bytes)).toBe(k.key);
    expect(key.etype).toBe(k.etype);
  });
});

describe('MIT libk5crypto: string-to-key with explicit s2kparams', () => {
  it.each(mit.stringToKey.map((v, i) => [i, v] as const))('case %i', (_i, v) => {
    const key = stringToKey(v.etype, hex(v.password), hex(v.salt), hex(v.params));
    expect(toHex(key.bytes)).toBe(v.key);
  });
});

describe('MIT libk5crypto: keyed checksums', () => {
  it(`matches all ${mit.checksums.length} checksums (5 etypes x 15 usages x 7 lengths)`, () => {
    for (const v of mit.checksums) {
      const key = { etype: v.etype, bytes: hex(v.key) };
      const got = checksum(key, v.usage, hex(v.data), { cksumtype: v.cksumtype });
      expect(toHex(got), `etype ${v.etype} usage ${v.usage} data ${v.data}`).toBe(v.checksum);
      expect(verifyChecksum(key, v.usage, hex(v.data), hex(v.checksum))).toBe(true);
    }
  });
});

describe('MIT libk5crypto: PRF', () => {
  it.each(mit.prf.map((v) => [v.etype, v.input, v] as const))('etype %i, input %s', (_e, _i, v) => {
    expect(toHex(prf({ etype: v.etype, bytes: hex(v.key) }, hex(v.input)))).toBe(v.output);
  });
});

describe('MIT libk5crypto: KRB-FX-CF2', () => {
  it.each(mit.cf2.map((v) => [v.etype1, v.etype2, v] as const))('etypes %i and %i', (_a, _b, v) => {
    const out = cf2(
      { etype: v.etype1, bytes: hex(v.key1) },
      { etype: v.etype2, bytes: hex(v.key2) },
      v.pepper1,
      v.pepper2,
    );
    expect(out.etype).toBe(v.etype);
    expect(toHex(out.bytes)).toBe(v.output);
  });
});

describe('MIT libk5crypto: encryption', () => {
  const keys = new Map<string, Key>();
  const keyFor = (etype: number, bytes: string): Key => {
    let key = keys.get(bytes);
    if (key === undefined) {
      key = { etype, bytes: hex(bytes) };
      keys.set(bytes, key);
    }
    return key;
  };

  for (const etype of [17, 18, 19, 20, 23]) {
    const vectors = mit.encryptions.filter((v) => v.etype === etype);
    it(`etype ${etype}: decrypts MIT's ${vectors.length} ciphertexts and re-encrypts them byte for byte`, () => {
      expect(vectors.length).toBeGreaterThan(50);
      for (const v of vectors) {
        const key = keyFor(v.etype, v.key);
        const label = `usage ${v.usage}, ${v.plaintext.length / 2} bytes`;
        expect(toHex(decrypt(key, v.usage, hex(v.ciphertext))), label).toBe(v.plaintext);
        expect(toHex(encrypt(key, v.usage, hex(v.plaintext), { confounder: hex(v.confounder) })), label).toBe(
          v.ciphertext,
        );
      }
    });
  }
});
