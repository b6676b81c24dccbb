/**
 * The inputs of a fuzz target: a deterministic stream, batch after batch,
 * of damaged copies of the target's real messages (`@krbsim/testing`'s
 * `arbDerMutant`: byte damage, lying lengths, structure-aware edits; some
 * mutated twice), random bytes, and random bytes behind one of the target's
 * own first octets and a DER length (so that they get past a first-byte
 * check). Batch `b` of target `t` depends only on the run's seed, `t` and
 * `b`, so input number `n` is the same on every machine, however many inputs
 * the time bound lets each machine try.
 */

import { createHash } from 'node:crypto';
import { concatBytes, SeededRandom } from '@krbsim/core';
import { arbDerMutant, type DerMutant, derLength } from '@krbsim/testing';
import fc from 'fast-check';

/** One input and how it was made (printed and saved with a failure). */
export interface FuzzInput {
  readonly bytes: Uint8Array;
  readonly kind: string;
  /** Its number in the target's stream, from 0. */
  readonly index: number;
}

const MUTANTS_PER_BATCH = 40;
const TWICE_PER_BATCH = 8;
const RANDOM_PER_BATCH = 12;
const TAGGED_PER_BATCH = 4;
/**
 * A mutant is damaged a second time only up to this size: `repeat` twice
 * makes inputs of tens of MB, past every limit of the code under test (the
 * KDC refuses more than 1 MiB), whose cost would be the fuzzer's own.
 */
const TWICE_MAX_BYTES = 16 << 10;

/** A 31-bit fast-check seed from a string. */
const seedOf = (s: string): number => createHash('sha256').update(s).digest().readUInt32BE(0) >>> 1;

/** A length for random bytes: mostly short, sometimes a few KB. */
function randomLength(rnd: SeededRandom): number {
  const [a, b, c] = rnd.fill(new Uint8Array(3));
  const n = (b! << 8) | c!;
  return a! < 128 ? n % 64 : a! < 224 ? n % 512 : n % 4096;
}

/** A deterministic stream of inputs for one target. */
export class InputStream {
  readonly #seed: string;
  readonly #target: string;
  readonly #bases: Uint8Array[];
  readonly #tags: readonly number[];
  readonly #arbs = new Map<number, fc.Arbitrary<DerMutant>>();
  #batch = 0;
  #index = 0;
  #queue: FuzzInput[] = [];

  /**
   * @param bases the valid encodings to damage (at least one)
   * @param tags first octets the target looks for, for the tagged random inputs
   */
  constructor(seed: string, target: string, bases: readonly Uint8Array[], tags: readonly number[] = []) {
    if (bases.length === 0) throw new Error(`fuzz target ${target}: no base inputs`);
    this.#seed = seed;
    this.#target = target;
    this.#bases = [...bases];
    this.#tags = tags;
  }

  /**
   * Another base, known only once the target runs (a message a real peer
   * sends mid-exchange): the batches after the current one damage it in
   * turn with the others.
   */
  addBase(bytes: Uint8Array): void {
    this.#bases.push(bytes);
  }

  next(): FuzzInput {
    if (this.#queue.length === 0) this.#refill();
    return this.#queue.shift()!;
  }

  #arb(i: number): fc.Arbitrary<DerMutant> {
    let a = this.#arbs.get(i);
    if (a === undefined) {
      a = arbDerMutant(this.#bases[i]!);
      this.#arbs.set(i, a);
    }
    return a;
  }

  #refill(): void {
    const b = this.#batch++;
    const name = `${this.#seed}:${this.#target}:${b}`;
    const rnd = new SeededRandom(name);
    const made: { bytes: Uint8Array; kind: string }[] = [];
    if (b === 0) made.push(...this.#bases.map((bytes, i) => ({ bytes: bytes.slice(), kind: `base#${i}` })));
    const bi = b % this.#bases.length;
    const mutants = fc.sample(this.#arb(bi), { seed: seedOf(`${name}:m`), numRuns: MUTANTS_PER_BATCH });
    for (const m of mutants) made.push({ bytes: m.bytes, kind: `base#${bi} ${m.kind}` });
    for (let i = 0; i < TWICE_PER_BATCH; i++) {
      const first = mutants[i]!;
      if (first.bytes.length === 0 || first.bytes.length > TWICE_MAX_BYTES) continue;
      const [again] = fc.sample(arbDerMutant(first.bytes), { seed: seedOf(`${name}:t${i}`), numRuns: 1 });
      made.push({ bytes: again!.bytes, kind: `base#${bi} ${first.kind} then ${again!.kind}` });
    }
    for (let i = 0; i < RANDOM_PER_BATCH; i++) {
      const len = randomLength(rnd);
      made.push({ bytes: rnd.fill(new Uint8Array(len)), kind: `random(${len})` });
    }
    for (let i = 0; i < TAGGED_PER_BATCH && this.#tags.length > 0; i++) {
      const tag = this.#tags[rnd.fill(new Uint8Array(1))[0]! % this.#tags.length]!;
      const len = randomLength(rnd);
      const body = rnd.fill(new Uint8Array(len));
      made.push({
        bytes: concatBytes([[tag], derLength(len), body]),
        kind: `tagged-random(0x${tag.toString(16)}, ${len})`,
      });
    }
    this.#queue = made.map((m) => ({ ...m, index: this.#index++ }));
  }
}

/** A DER TLV: `tag`, its definite length, the concatenated `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(content);
  return concatBytes([[tag], derLength(body.length), body]);
}

/** A small non-negative DER INTEGER. */
export const smallInt = (n: number): Uint8Array => tlv(0x02, Uint8Array.of(n));
