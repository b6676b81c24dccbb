/**
 * Kerberos crypto: encrypt / decrypt of an EncTicketPart-sized plaintext
 * (379 B without a PAC, 1024 B with one) for aes128-sha1 (17), aes256-sha1
 * (18) and aes256-sha384 (20), with key usage 2; and string-to-key for 18
 * and 20 at their default iteration counts.
 *
 * Baselines, per line:
 *  - node:crypto raw: the primitives one call needs, with fresh objects per
 *    call as naive code would: AES-CBC (no padding) over the confounder and
 *    plaintext rounded up to whole blocks (CTS costs the same block
 *    operations) plus one HMAC (SHA-1 over the plaintext for aes-sha1,
 *    SHA-384 over IV|C for aes-sha2); for string-to-key, pbkdf2Sync with the
 *    same parameters. Key derivation, the confounder and CTS's block swap are
 *    not in it: it is a floor, not a Kerberos implementation.
 *  - MIT krb5 (the C harness): krb5_k_encrypt / krb5_k_decrypt with a cached
 *    krb5_key, and krb5_c_string_to_key_with_params, with the SAME key bytes
 *    and plaintext; MIT decrypts krbsim's own ciphertext (checked first).
 */

import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { randomBytes, SeededRandom } from '@krbsim/core';
import { type Baseline, type Suite, type SuiteContext, suite } from '../lib/measure';
import { mitExec } from '../lib/mit';

// Types only (erased at run time): the module itself is imported dynamically
// below, so this suite still runs its baselines when the package is broken.
type CryptoApi = Pick<typeof import('@krbsim/crypto'), 'encrypt' | 'decrypt' | 'stringToKey' | 'generateKey'>;
type Key = ReturnType<CryptoApi['generateKey']>;

const USAGE = 2; // KDC-REP ticket, encrypted with the service key
const SIZES = [379, 1024];
const PASSWORD = 'correct horse battery staple';
const SALT = 'CONTOSO.COMalice';
const ZERO_IV = new Uint8Array(16);

interface EtypeInfo {
  etype: number;
  name: string;
  keyLen: number;
  cbc: string;
  hash: string;
  kiLen: number;
  sha2: boolean;
  s2kIterations: number;
}

const ETYPES: EtypeInfo[] = [
  {
    etype: 17,
    name: 'aes128-cts-hmac-sha1-96',
    keyLen: 16,
    cbc: 'aes-128-cbc',
    hash: 'sha1',
    kiLen: 16,
    sha2: false,
    s2kIterations: 4096,
  },
  {
    etype: 18,
    name: 'aes256-cts-hmac-sha1-96',
    keyLen: 32,
    cbc: 'aes-256-cbc',
    hash: 'sha1',
    kiLen: 32,
    sha2: false,
    s2kIterations: 4096,
  },
  {
    etype: 20,
    name: 'aes256-cts-hmac-sha384-192',
    keyLen: 32,
    cbc: 'aes-256-cbc',
    hash: 'sha384',
    kiLen: 24,
    sha2: true,
    s2kIterations: 32768,
  },
];

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const roundUp16 = (n: number): number => Math.ceil(n / 16) * 16;

async function loadCrypto(): Promise<CryptoApi | string> {
  // A variable specifier: this suite still runs (baselines only) while the
  // package is absent or incomplete.
  const specifier = '@krbsim/crypto';
  try {
    const m = (await import(specifier)) as Partial<CryptoApi>;
    const missing = (['encrypt', 'decrypt', 'stringToKey', 'generateKey'] as const).filter(
      (f) => typeof m[f] !== 'function',
    );
    if (missing.length) return `@krbsim/crypto does not export ${missing.join(', ')} yet`;
    return m as CryptoApi;
  } catch (e) {
    return `@krbsim/crypto is not importable yet (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
  }
}

/** node:crypto raw primitives for one encrypt or decrypt (see the header). */
function nodeRaw(
  info: EtypeInfo,
  size: number,
  rng: SeededRandom,
): { encrypt: () => unknown; decrypt: () => unknown } {
  const ke = randomBytes(rng, info.keyLen);
  const ki = randomBytes(rng, info.kiLen);
  const body = 16 + size; // confounder | plaintext
  const blocks = randomBytes(rng, roundUp16(body)); // what AES-CBC runs over
  const plain = blocks.subarray(0, body);
  const ct = blocks.subarray(0, body);

  const encrypt = (): unknown => {
    const c = createCipheriv(info.cbc, ke, ZERO_IV);
    c.setAutoPadding(false);
    const out = c.update(blocks);
    c.final();
    const h = createHmac(info.hash, ki);
    if (info.sha2) h.update(ZERO_IV).update(out.subarray(0, body));
    else h.update(plain);
    return h.digest();
  };
  const decrypt = (): unknown => {
    if (info.sha2) {
      const mac = createHmac(info.hash, ki).update(ZERO_IV).update(ct).digest();
      const d = createDecipheriv(info.cbc, ke, ZERO_IV);
      d.setAutoPadding(false);
      const out = d.update(blocks);
      d.final();
      return [mac, out];
    }
    const d = createDecipheriv(info.cbc, ke, ZERO_IV);
    d.setAutoPadding(false);
    const out = d.update(blocks);
    d.final();
    return createHmac(info.hash, ki).update(out.subarray(0, body)).digest();
  };
  return { encrypt, decrypt };
}

export default async function build(ctx: SuiteContext): Promise<Suite> {
  const s = suite('crypto');
  const api = await loadCrypto();
  const krbsim = typeof api === 'string' ? null : api;
  if (!krbsim) s.note(`krbsim crypto pending: ${api} — printing the baselines only`);
  const mitName = ctx.mit.ok ? ctx.mit.version : 'MIT krb5';
  if (!ctx.mit.ok) s.note(`MIT baseline skipped: ${ctx.mit.reason}`);

  // Checked once, untimed: MIT must decrypt krbsim's ciphertexts (same key, same work).
  const interopFailures: string[] = [];

  for (const info of ETYPES) {
    for (const size of SIZES) {
      const rng = new SeededRandom(`bench-crypto-${info.etype}-${size}`);
      const key: Key = krbsim
        ? krbsim.generateKey(info.etype, { random: rng })
        : { etype: info.etype, bytes: randomBytes(rng, info.keyLen) };
      const plaintext = randomBytes(rng, size);
      const raw = nodeRaw(info, size, rng);
      const label = `${info.name} ${size} B`;
      const mitArgs = [String(info.etype), String(size), '--key', hex(key.bytes), '--data', hex(plaintext)];

      const encBaselines: Baseline[] = [{ name: 'node:crypto raw', run: raw.encrypt }];
      if (ctx.mit.ok) encBaselines.push({ name: mitName, mit: ['encrypt', ...mitArgs] });
      s.add({
        name: `encrypt ${label}`,
        ...(krbsim ? { run: () => krbsim.encrypt(key, USAGE, plaintext) } : { pending: '@krbsim/crypto' }),
        baselines: encBaselines,
      });

      const decBaselines: Baseline[] = [{ name: 'node:crypto raw', run: raw.decrypt }];
      let decrypt: (() => unknown) | undefined;
      if (krbsim) {
        const ciphertext = krbsim.encrypt(key, USAGE, plaintext, { random: rng });
        const back = krbsim.decrypt(key, USAGE, ciphertext);
        if (hex(back) !== hex(plaintext)) throw new Error(`krbsim decrypt(encrypt(x)) != x for ${label}`);
        decrypt = () => krbsim.decrypt(key, USAGE, ciphertext);
        let args = ['decrypt', ...mitArgs, '--ciphertext', hex(ciphertext)];
        if (ctx.mit.ok) {
          try {
            mitExec(ctx.mit, [...args, '--samples', '1', '--target-ms', '1', '--warmup-ms', '0']);
          } catch (e) {
            interopFailures.push(`${label}: ${(e as Error).message}`);
            args = ['decrypt', ...mitArgs]; // MIT decrypts its own ciphertext instead
          }
          decBaselines.push({ name: mitName, mit: args });
        }
      } else if (ctx.mit.ok) {
        decBaselines.push({ name: mitName, mit: ['decrypt', ...mitArgs] });
      }
      s.add({
        name: `decrypt ${label}`,
        ...(decrypt ? { run: decrypt } : { pending: '@krbsim/crypto' }),
        baselines: decBaselines,
      });
    }
  }
  if (ctx.mit.ok && krbsim) {
    s.note(
      interopFailures.length
        ? `MIT REJECTED krbsim ciphertexts (MIT decrypts its own instead): ${interopFailures.join('; ')}`
        : 'checked: MIT decrypts every krbsim ciphertext to the same plaintext under the same key',
    );
  }

  for (const info of ETYPES.filter((e) => e.etype !== 17)) {
    const iter = info.s2kIterations;
    const params = new Uint8Array([iter >>> 24, (iter >>> 16) & 255, (iter >>> 8) & 255, iter & 255]);
    const pbkdf2Salt = info.sha2 ? Buffer.concat([Buffer.from(`${info.name}\0`), Buffer.from(SALT)]) : SALT;
    const baselines: Baseline[] = [
      { name: 'node:crypto raw', run: () => pbkdf2Sync(PASSWORD, pbkdf2Salt, iter, info.keyLen, info.hash) },
    ];
    if (ctx.mit.ok)
      baselines.push({ name: mitName, mit: ['string-to-key', String(info.etype), String(iter)] });
    let run: (() => unknown) | undefined;
    if (krbsim) {
      run = () => krbsim.stringToKey(info.etype, PASSWORD, SALT, params);
      if (ctx.mit.ok) {
        const mine = hex(krbsim.stringToKey(info.etype, PASSWORD, SALT, params).bytes);
        const out = mitExec(ctx.mit, [
          'string-to-key',
          String(info.etype),
          String(iter),
          '--samples',
          '1',
          '--target-ms',
          '1',
          '--warmup-ms',
          '0',
        ]);
        const theirs = (JSON.parse(out.trim()) as { key: string }).key;
        if (mine !== theirs) s.note(`string-to-key ${info.name}: krbsim key ${mine} != MIT key ${theirs}`);
      }
    }
    s.add({
      name: `string-to-key ${info.name} (${iter} it.)`,
      ...(run ? { run } : { pending: '@krbsim/crypto' }),
      baselines,
    });
  }
  return s;
}
