/**
 * Where encoded messages are written: shared slabs of uninitialized memory,
 * handed out as views, the way Node's `Buffer.allocUnsafe` pool does.
 * Allocating a fresh `ArrayBuffer` per message costs more than encoding a
 * small message in V8, so outputs share slabs. They never overlap, but
 * several share one `ArrayBuffer`: use `out.slice()` for a buffer of your own
 * (transferring a view's `buffer` to a worker takes the whole slab with it,
 * which {@link writeOutput} notices and replaces).
 *
 * A write function (see `writer.ts`) fills the slab backwards from the end of
 * its free part and returns where it started. When the value did not fit,
 * that start is negative and tells the exact size, and the value is written
 * again into a new slab, or into a buffer of its own when it is large.
 *
 * @module
 */

import { Asn1Error } from './errors';

/**
 * Writes `v` in front of `b[p]` and returns where it starts; `t` is the
 * EXPLICIT tag to wrap it in (0: none) and `ctx` an APPLICATION tag override.
 */
export type WriteFn<V> = (b: Uint8Array, p: number, v: V, t: number, ctx?: number) => number;

/**
 * Uninitialized memory where the platform has it (Node's
 * `Buffer.allocUnsafeSlow`, about half the cost of a zero-filled array), else
 * a zero-filled `Uint8Array`. Every byte handed out is written first.
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

/** Slab size; an output of more than half of it gets a buffer of its own. */
const SLAB_SIZE = 64 * 1024;
/** A new slab is started when less than this is left. */
const SLAB_MIN_ROOM = 4096;
/** Largest encoding: typed array offsets are Int32 in practice. */
const MAX_OUTPUT = 0x7fffffff;

let slab = allocUnsafe(SLAB_SIZE);
/** `slab.buffer` and `slab.byteOffset`, cached: reading `.buffer` is a runtime call in V8. */
let slabAb: ArrayBufferLike = slab.buffer;
let slabOff = slab.byteOffset;
/** The free part of the slab is `slab[0..room)`; outputs handed out lie after it. */
let room = SLAB_SIZE;
/** Set while a write runs, so that a re-entrant one (from an accessor on the value) goes elsewhere. */
let busy = false;

function newSlab(): void {
  slab = allocUnsafe(SLAB_SIZE);
  slabAb = slab.buffer;
  slabOff = slab.byteOffset;
  room = SLAB_SIZE;
}

/**
 * Writes into a buffer of its own, `size` bytes at first, as many times as it
 * takes to fit (more than once only if the value changes under its accessors).
 */
function writeAlone<V>(fn: WriteFn<V>, v: V, ctx: number | undefined, size: number): Uint8Array {
  for (let tries = 0; ; tries++) {
    if (size > MAX_OUTPUT) throw new Asn1Error('encoding is too large');
    const b = allocUnsafe(size);
    const p = fn(b, size, v, 0, ctx);
    if (p >= 0) return p === 0 ? b : b.subarray(p);
    if (tries === 3) throw new Asn1Error('the value changed while it was being encoded');
    size -= p;
  }
}

/** Runs `fn` on `v` (with `ctx`) and returns the bytes it wrote, a view into a shared slab. */
export function writeOutput<V>(fn: WriteFn<V>, v: V, ctx?: number): Uint8Array {
  if (busy) return writeAlone(fn, v, ctx, 1024);
  busy = true;
  try {
    // A new slab when this one is nearly full, or was detached (an output's
    // buffer transferred to a worker takes the whole slab with it).
    if (room < SLAB_MIN_ROOM || slab.length === 0) newSlab();
    let end = room;
    let p = fn(slab, end, v, 0, ctx);
    if (p < 0) {
      const size = end - p;
      if (size > SLAB_SIZE / 2) return writeAlone(fn, v, ctx, size);
      newSlab();
      end = room;
      p = fn(slab, end, v, 0, ctx);
      if (p < 0) return writeAlone(fn, v, ctx, end - p);
    }
    room = p;
    return new Uint8Array(slabAb, slabOff + p, end - p);
  } finally {
    busy = false;
  }
}

const copyInFront: WriteFn<Uint8Array> = (b, p, v) => {
  const start = p - v.length;
  if (start >= 0) b.set(v, start);
  return start;
};

/**
 * A copy of `bytes` handed out as encoders hand out their outputs: a view
 * into a shared slab (see above). For other encoders' results, such as
 * `@krbsim/pac`'s, which are built in a reused buffer and copied out once.
 */
export function outputCopy(bytes: Uint8Array): Uint8Array {
  return writeOutput(copyInFront, bytes);
}

/**
 * `bytes` copied into an `ArrayBuffer` of their own, exactly as long (offset
 * 0): the owned form of what an encoder returns. Encoders hand out views into
 * shared slabs (see above), whose `.buffer` also holds other encodings, some
 * with keys in them; copy before keeping bytes for long (a view keeps its
 * whole slab alive), transferring them to a worker, wiping them, or passing
 * them to an API that reads `.buffer`.
 */
export function ownedCopy(bytes: Uint8Array): Uint8Array {
  // Not `bytes.slice()`: a Node Buffer's slice is a view of the same memory, not a copy.
  return new Uint8Array(bytes);
}
