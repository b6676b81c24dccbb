/**
 * The encoders write into one reused writer and hand out views into shared
 * slabs (src/ndr/writer.ts, `outputCopy` of @krbsim/asn1): no output may change when
 * the next one is written, a nested encode (from an accessor on the value)
 * gets a writer of its own, and a large PAC gets a buffer of its own.
 */

import { SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import {
  createKerbValidationInfo,
  decodePac,
  encodePac,
  type KerbValidationInfo,
  type Pac,
  PacBufferType,
  signPac,
  verifyPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { alicePac, hex } from './helpers';

const rng = new SeededRandom('pac-output');
const keys = { serverKey: generateKey(18, { random: rng }), kdcKey: generateKey(18, { random: rng }) };

/** alice's PAC with `n` GroupIds. */
function pacWithGroups(n: number): Pac {
  const base = alicePac();
  return {
    buffers: base.buffers.map((b) =>
      b.type === PacBufferType.LOGON_INFO
        ? {
            type: b.type,
            value: {
              ...(b as { value: KerbValidationInfo }).value,
              groupIds: Array.from({ length: n }, (_, i) => ({ relativeId: 2000 + i, attributes: 7 })),
            },
          }
        : b,
    ),
  };
}

describe('encoder outputs', () => {
  it('no output changes when later PACs are encoded, signed or verified', () => {
    const outs: { bytes: Uint8Array; copy: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const pac = pacWithGroups(i % 37);
      const bytes = i % 2 === 0 ? encodePac(pac) : signPac(pac, keys).bytes;
      outs.push({ bytes, copy: hex(bytes) });
      if (i % 2 === 1) verifyPac(bytes, keys);
    }
    for (const o of outs) expect(hex(o.bytes)).toBe(o.copy);
  });

  it('a nested encode from an accessor gets a writer of its own', () => {
    const inner = pacWithGroups(3);
    let innerBytes: Uint8Array | undefined;
    const info = createKerbValidationInfo({ effectiveName: 'alice', userId: 1104 });
    const sneaky = Object.defineProperty({ ...info }, 'fullName', {
      enumerable: true,
      get() {
        innerBytes = encodePac(inner);
        return 'Alice';
      },
    });
    const outer = encodePac({ buffers: [{ type: PacBufferType.LOGON_INFO, value: sneaky }] });
    expect(innerBytes).toBeDefined();
    expect(hex(innerBytes!)).toBe(hex(encodePac(inner)));
    const plain = encodePac({
      buffers: [{ type: PacBufferType.LOGON_INFO, value: { ...info, fullName: 'Alice' } }],
    });
    expect(hex(outer)).toBe(hex(plain));
  });

  it('a PAC of more than 40 KB (half a slab and more) decodes, re-encodes and verifies', () => {
    const big = signPac(pacWithGroups(5000), keys).bytes;
    expect(big.length).toBeGreaterThan(40_000);
    expect(hex(encodePac(decodePac(big)))).toBe(hex(big));
    verifyPac(big, keys);
  });
});
