/**
 * Zero-filling output memory ahead of large copies, for speed only.
 *
 * Encoders write into fresh memory (see `output.ts`), which is not in the
 * CPU's caches. A `Uint8Array#set` of a large field there (a ticket's or an
 * authenticator's cipher) stalls while every destination cache line is
 * fetched before being overwritten. A memset of a few KiB is much cheaper per
 * line (it writes whole lines without fetching them), and then this copy,
 * the rest of the value and the next values written in front of it land in
 * cache. On the benchmark machines this took encoding an 1100-byte Ticket
 * from about 350 to 230 ns (135 ns into memory already in cache) and a
 * 1446-byte AP-REQ from 460 to 350 ns. Small copies and the byte-by-byte
 * writes of everything else do not stall, and filling ahead of them only
 * costs time (about 10%), so only copies from {@link FILL_AHEAD_MIN} bytes on
 * fill ahead.
 *
 * Only free space is filled: the part of the buffer in front of the write
 * position, which the writer's callers hand over as scratch.
 *
 * @module
 */

/** Copies of at least this many bytes call {@link fillAhead} first. */
export const FILL_AHEAD_MIN = 512;
/** How much to fill in front of the copy. */
const AHEAD = 16 * 1024;
/**
 * Buffers larger than a slab (outputs with a buffer of their own) are left
 * alone: one of them holds a single output, so there is nothing to fill
 * ahead for, and remembering it would keep it alive.
 */
const MAX_BUFFER = 64 * 1024;

/** The buffer filled last, and the lowest index filled in it. */
let filled: Uint8Array | undefined;
let filledFrom = 0;

/**
 * Before `b[q..p)` is written: zero-fills from {@link AHEAD} bytes in front
 * of `q` up to `p`, unless that part of `b` was filled already.
 */
export function fillAhead(b: Uint8Array, q: number, p: number): void {
  if (b.length > MAX_BUFFER || (b === filled && q >= filledFrom)) return;
  const hi = b === filled && filledFrom < p ? filledFrom : p;
  const lo = q > AHEAD ? q - AHEAD : 0;
  b.fill(0, lo, hi);
  filled = b;
  filledFrom = lo;
}
