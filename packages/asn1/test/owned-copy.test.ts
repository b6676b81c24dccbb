/**
 * Encoders return views into shared slabs (der/output.ts): two encodings
 * share one ArrayBuffer, which is why `ownedCopy` exists. It gives the same
 * bytes in a buffer of their own, exactly sized, that later encodings do
 * not touch.
 */
import { decodePrincipalName, encodePrincipalName, outputCopy, ownedCopy } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';

const alice = { nameType: 1, nameString: ['alice'] };
const bob = { nameType: 1, nameString: ['bob'] };

describe('ownedCopy', () => {
  it('encoders hand out views that share a slab', () => {
    // Two encodings in a row share a slab unless the first filled one up: a third try cannot.
    let a = encodePrincipalName(alice);
    let b = encodePrincipalName(bob);
    if (a.buffer !== b.buffer) [a, b] = [b, encodePrincipalName(alice)];
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBeGreaterThan(a.length + b.length);
  });

  it('copies into an exactly-sized buffer of its own, with the same bytes', () => {
    const view = encodePrincipalName(alice);
    const owned = ownedCopy(view);
    expect(owned).toEqual(view);
    expect(owned.byteOffset).toBe(0);
    expect(owned.buffer.byteLength).toBe(view.length);
    expect(owned.buffer).not.toBe(view.buffer);
    owned.fill(0); // wiping the copy leaves the encoding as it was
    expect(decodePrincipalName(view)).toEqual(alice);
  });
});

describe('outputCopy', () => {
  it("copies into the encoders' shared slab, and one larger than a slab into a buffer of its own", () => {
    const src = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    let a = outputCopy(src);
    let b = encodePrincipalName(alice);
    if (a.buffer !== b.buffer) [a, b] = [outputCopy(src), encodePrincipalName(alice)];
    expect(a).toEqual(src);
    expect(a.buffer).toBe(b.buffer);
    src.fill(0); // the copy is its own bytes
    expect(a[1]).toBe(1);
    const big = new Uint8Array(70_000).fill(7);
    const c = outputCopy(big);
    expect(c).toEqual(big);
    expect(c.buffer.byteLength).toBe(70_000);
  });
});
