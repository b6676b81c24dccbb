/**
 * Where encoded PACs are handed out: views into shared slabs, as
 * `@krbsim/asn1` hands out its DER. V8 keeps a typed array of more than 64
 * bytes outside its heap, so a fresh `Uint8Array` per PAC is an allocation
 * of its own plus the garbage collector's bookkeeping for it, which costs
 * more than copying the PAC and varies with the GC's state. The views never
 * overlap, but several share one `ArrayBuffer`: `slice()` one for a buffer
 * of your own (transferring a view's `buffer` to a worker takes the whole
 * slab with it, which is noticed and the slab replaced).
 *
 * @module
 */

/**
 * Uninitialized memory where the platform has it (Node's
 * `Buffer.allocUnsafeSlow`), else a zero-filled `Uint8Array`. Every byte
 * handed out is copied in first.
 */
const allocUnsafe: (n: number) => Uint8Array = (() => {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow?: (n: number) => Uint8Array } }).Buffer;
  const slow = B?.allocUnsafeSlow;
  if (typeof slow !== 'function') return (n: number) => new Uint8Array(n);
  return (n: number) => {
    const b = slow.call(B, n);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
})();

/** Slab size, as `@krbsim/asn1`'s; an output of more than a quarter of it gets a buffer of its own. */
const SLAB_SIZE = 64 * 1024;

let slab = allocUnsafe(SLAB_SIZE);
/** `slab.buffer` and `slab.byteOffset`, cached: reading `.buffer` is a runtime call in V8. */
let slabAb: ArrayBufferLike = slab.buffer;
let slabOff = slab.byteOffset;
/** The next free byte of the slab. */
let used = 0;

/** A copy of `src`, as a view into a shared slab (see the module comment). */
export function outputCopy(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n > SLAB_SIZE / 4) return src.slice();
  // A new slab when this one is full, or was detached by a transfer of an output's buffer.
  if (used + n > SLAB_SIZE || slab.length === 0) {
    slab = allocUnsafe(SLAB_SIZE);
    slabAb = slab.buffer;
    slabOff = slab.byteOffset;
    used = 0;
  }
  slab.set(src, used);
  const out = new Uint8Array(slabAb, slabOff + used, n);
  used += n;
  return out;
}
