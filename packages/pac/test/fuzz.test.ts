/**
 * Mutation fuzzing of the PAC decoders.
 *
 * Seeds: the Windows and MIT PACs of the fixtures, krbsim-signed PACs, and
 * generated ones. Every test feeds damaged bytes to the decoders: every
 * prefix, flipped bits, 32-bit words overwritten with counts and lengths
 * that lie (0, 1, 2^31-1, 2^32-1, referent IDs, nearby lengths), inserted
 * and deleted bytes, and random bytes.
 *
 * The contract, on every input:
 * - the decoder returns a value or throws a `PacError` with a numeric `code`
 *   and a string `path`; never another error (a TypeError, a RangeError);
 * - a value it returns re-encodes to exactly the input (strict decoding plus
 *   the recorded wire forms make decoding one-to-one);
 * - `verifyPac` with keys only ever throws a `PacError`;
 * - nothing takes long or allocates by a count the input claims: a PAC that
 *   claims 2^32-1 buffers, groups, SIDs or flag words is refused in well
 *   under a second, and the heap does not grow by more than 100 MB over the
 *   file.
 *
 * Deterministic: fixed seeds.
 */

import { SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import {
  decodeKerbValidationInfo,
  decodePac,
  decodePacAttributesInfo,
  decodePacClientInfo,
  decodeS4uDelegationInfo,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePac,
  encodePacClientInfo,
  encodeS4uDelegationInfo,
  encodeUpnDnsInfo,
  PacError,
  signTicketPac,
  verifyPac,
} from '@krbsim/pac';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pacArb } from './arbitraries';
import {
  aliceEncTicketPart,
  aliceLogonInfo,
  alicePac,
  hex,
  mitCaptureTickets,
  principal,
  windowsPacs,
  windowsTickets,
} from './helpers';

const random = new SeededRandom(4242);
const serverKey = generateKey(18, { random });
const kdcKey = generateKey(18, { random });
const signed = signTicketPac(
  aliceEncTicketPart(),
  alicePac(),
  { serverKey, kdcKey },
  {
    server: principal('HTTP/web.contoso.com@CONTOSO.COM'),
  },
).bytes;

const seeds: Uint8Array[] = [
  signed,
  encodePac(alicePac()),
  ...windowsPacs.map((p) => p.pac),
  ...windowsTickets.map((t) => t.pac),
  ...mitCaptureTickets()
    .slice(0, 3)
    .map((t) => t.pac),
  ...fc.sample(pacArb, { seed: 77, numRuns: 20 }).map(encodePac),
];

/** Calls `decode`; a value must re-encode to the input, a failure must be a PacError. */
function check<T>(input: Uint8Array, decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array): boolean {
  let v: T;
  try {
    v = decode(input);
  } catch (e) {
    if (!(e instanceof PacError)) {
      throw new Error(`not a PacError for ${hex(input).slice(0, 200)}: ${String(e)}`, { cause: e });
    }
    expect(typeof e.code).toBe('number');
    expect(typeof e.path).toBe('string');
    return false;
  }
  expect(hex(encode(v))).toBe(hex(input));
  return true;
}

const checkPac = (b: Uint8Array) => check(b, decodePac, encodePac);

const INTERESTING = [
  0, 1, 2, 3, 4, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, 0x00020000, 0x00020004, 0xffff, 0x10000,
];

function mutate(seed: Uint8Array, r: () => number): Uint8Array {
  const b = seed.slice();
  switch (Math.floor(r() * 6)) {
    case 0: {
      const i = Math.floor(r() * b.length);
      b[i]! ^= 1 << Math.floor(r() * 8);
      return b;
    }
    case 1: {
      const i = Math.floor(r() * b.length);
      b[i] = Math.floor(r() * 256);
      return b;
    }
    case 2: {
      const i = Math.floor(r() * Math.max(1, b.length - 3)) & ~3;
      let v = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
      if (r() < 0.3)
        v =
          ((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) + Math.floor(r() * 17) - 8) >>>
          0;
      b[i] = v & 0xff;
      b[i + 1] = (v >>> 8) & 0xff;
      b[i + 2] = (v >>> 16) & 0xff;
      b[i + 3] = v >>> 24;
      return b;
    }
    case 3: {
      const i = Math.floor(r() * b.length);
      const n = 1 + Math.floor(r() * 8);
      return Uint8Array.of(
        ...b.subarray(0, i),
        ...new Uint8Array(n).map(() => Math.floor(r() * 256)),
        ...b.subarray(i),
      );
    }
    case 4: {
      const i = Math.floor(r() * b.length);
      const n = 1 + Math.floor(r() * 8);
      return Uint8Array.of(...b.subarray(0, i), ...b.subarray(i + n));
    }
    default:
      return b.subarray(0, Math.floor(r() * b.length));
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // xorshift32: deterministic, no clock.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

describe('fuzz: decodePac', () => {
  const heapBefore = process.memoryUsage().heapUsed;

  it('every prefix of every seed', () => {
    for (const s of seeds.slice(0, 8)) {
      for (let n = 0; n < s.length; n++) expect(checkPac(s.subarray(0, n))).toBe(false);
      expect(checkPac(s)).toBe(true);
    }
  });

  it('mutated seeds: only PacErrors, and what decodes re-encodes to itself', () => {
    const r = rng(0x5eed);
    let accepted = 0;
    for (let i = 0; i < 12000; i++) {
      let b = seeds[i % seeds.length]!;
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) b = mutate(b, r);
      if (checkPac(b)) accepted++;
    }
    // Flips inside strings, times and signatures leave a valid PAC.
    expect(accepted).toBeGreaterThan(1000);
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        checkPac(b);
      }),
      { seed: 31, numRuns: 3000 },
    );
    // A plausible header in front of random bytes gets further in.
    fc.assert(
      fc.property(
        fc.nat({ max: 6 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 400 }),
        (n, types, rest) => {
          const head = new Uint8Array(8 + 16 * n);
          head[0] = n;
          let off = 8 + 16 * n;
          for (let i = 0; i < n; i++) {
            const size = Math.min(rest.length, 40);
            head[8 + 16 * i] = types[i] ?? 1;
            head[12 + 16 * i] = size;
            head[16 + 16 * i] = off & 0xff;
            head[17 + 16 * i] = off >> 8;
            off = (off + size + 7) & ~7;
          }
          checkPac(Uint8Array.of(...head, ...rest));
        },
      ),
      { seed: 32, numRuns: 3000 },
    );
  });

  it('verifyPac throws only PacErrors on mutated signed PACs', () => {
    const r = rng(77);
    for (let i = 0; i < 3000; i++) {
      const b = mutate(signed, r);
      try {
        verifyPac(b, { serverKey, kdcKey });
      } catch (e) {
        expect(e).toBeInstanceOf(PacError);
        continue;
      }
      // A mutation that verifies changed nothing the signatures cover.
      expect(hex(b)).toBe(hex(signed));
    }
  });

  it('lying counts cost nothing', () => {
    const info = encodeKerbValidationInfo(aliceLogonInfo);
    const cases: Uint8Array[] = [];
    // cBuffers = 2^32-1 in a 64-byte PAC.
    cases.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, ...new Uint8Array(60)));
    // GroupCount, SidCount, ResourceGroupCount and every MaxCount set to 2^31-1, one at a time.
    for (let at = 16; at + 4 <= info.length; at += 4) {
      const b = info.slice();
      b.set([0xff, 0xff, 0xff, 0x7f], at);
      cases.push(b);
    }
    // FlagsLength 2^32-1; NameLength 0xffff.
    cases.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0));
    // Decoding by a claimed count would allocate gigabytes or run past the test's timeout.
    for (const b of cases) {
      try {
        decodeKerbValidationInfo(b);
      } catch (e) {
        expect(e).toBeInstanceOf(PacError);
      }
      try {
        decodePac(b);
      } catch (e) {
        expect(e).toBeInstanceOf(PacError);
      }
      try {
        decodePacAttributesInfo(b);
      } catch (e) {
        expect(e).toBeInstanceOf(PacError);
      }
    }
  });

  it('did not grow the heap without bound', () => {
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown).toBeLessThan(100 * 1024 * 1024);
  });
});

describe('fuzz: the buffer decoders on their own', () => {
  const upn = encodeUpnDnsInfo({
    upn: 'alice@contoso.com',
    dnsDomainName: 'CONTOSO.COM',
    flags: 3,
    samName: 'alice',
    sid: aliceLogonInfo.logonDomainId!,
  });
  const deleg = encodeS4uDelegationInfo({
    s4u2proxyTarget: 'cifs/fs1',
    s4uTransitedServices: ['a@R', 'b@R'],
  });
  const info = encodeKerbValidationInfo(aliceLogonInfo);
  const decoders: [string, Uint8Array, (b: Uint8Array) => unknown, (v: never) => Uint8Array][] = [
    ['KERB_VALIDATION_INFO', info, decodeKerbValidationInfo, encodeKerbValidationInfo],
    ['UPN_DNS_INFO', upn, decodeUpnDnsInfo, encodeUpnDnsInfo],
    ['S4U_DELEGATION_INFO', deleg, decodeS4uDelegationInfo, encodeS4uDelegationInfo],
    [
      'PAC_CLIENT_INFO',
      Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 4, 0, 0x61, 0, 0x62, 0),
      decodePacClientInfo,
      encodePacClientInfo,
    ],
  ];
  for (const [name, seed, decode, encode] of decoders) {
    it(name, () => {
      const r = rng(name.length * 7919);
      for (let i = 0; i < 4000; i++) {
        check(mutate(seed, r), decode, encode as (v: unknown) => Uint8Array);
      }
    });
  }
});
