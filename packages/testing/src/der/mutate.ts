/**
 * Mutation arbitraries for fuzzing DER decoders from valid encodings.
 *
 * {@link arbDerMutant} turns one valid encoding into a stream of damaged
 * ones: byte-level damage (truncation, extension, bit flips, length-octet
 * lies) and structure-aware damage that keeps every enclosing length
 * consistent (dropped, duplicated or re-tagged fields, boundary INTEGERs,
 * malformed times and strings, indefinite lengths, oversized SEQUENCE OFs).
 * {@link nestingBomb} and {@link longSequenceOf} build the classic
 * resource-exhaustion inputs.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import fc from 'fast-check';
import { cloneTlvs, derLength, parseTlvs, serializeTlvs, type TlvNode, tlvPositions, walkTlvs } from './tlv';

/** A damaged encoding and the name of the mutation that produced it (for failure messages). */
export interface DerMutant {
  readonly kind: string;
  readonly bytes: Uint8Array;
}

/** Length-octet replacements that lie about (or malform) a TLV's length. */
function lyingLengths(actual: number): Uint8Array[] {
  return [
    derLength(actual + 1),
    derLength(actual + 2),
    derLength(actual + 100),
    derLength(Math.max(0, actual - 1)),
    derLength(0),
    Uint8Array.of(0x7f),
    Uint8Array.of(0x80), // indefinite: not DER
    Uint8Array.of(0x81, actual & 0xff), // non-minimal (or wrong) long form
    Uint8Array.of(0x82, (actual >>> 8) & 0xff, actual & 0xff), // non-minimal long form
    Uint8Array.of(0x84, 0x80, 0x00, 0x00, 0x00), // claims 2^31
    Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff), // claims 2^32 - 1
    Uint8Array.of(0x84, 0x7f, 0xff, 0xff, 0xff),
    Uint8Array.of(0x85, 0x01, 0x00, 0x00, 0x00, 0x00), // five length octets
    Uint8Array.of(0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0xff), // reserved
    Uint8Array.of(0x81), // long form cut short
  ];
}

const INTEGER_EDGES: readonly (readonly number[])[] = [
  [],
  [0x00, 0x01], // non-minimal
  [0xff, 0xff], // non-minimal negative
  [0x00], // zero
  [0xff], // -1
  [0x7f, 0xff, 0xff, 0xff], // 2^31 - 1
  [0x80, 0x00, 0x00, 0x00], // -2^31
  [0x00, 0x80, 0x00, 0x00, 0x00], // 2^31
  [0x00, 0xff, 0xff, 0xff, 0xff], // 2^32 - 1
  [0x01, 0x00, 0x00, 0x00, 0x00], // 2^32
  [0xff, 0x7f, 0xff, 0xff, 0xff], // -2^31 - 1
  [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
  [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x0f, 0x42, 0x40], // 1000000 (one past Microseconds)
  [0x05],
];

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

const STRING_EDGES: readonly (readonly number[])[] = [
  [],
  [0x00],
  [0x41, 0x00, 0x42],
  [0xc3, 0x28], // invalid UTF-8
  [0xe2, 0x82], // truncated UTF-8
  [0xc3, 0xa9], // valid UTF-8
  [0xed, 0xa0, 0x80], // UTF-8 surrogate
  [0xff, 0xfe, 0xfd],
  [0x7f, 0x1b, 0x0a],
];

const TIME_EDGES: readonly (readonly number[])[] = [
  ascii('20240229120000Z'),
  ascii('20230229120000Z'), // no such day
  ascii('20241301000000Z'),
  ascii('20240101240000Z'),
  ascii('20240101000060Z'),
  ascii('20240101000000'),
  ascii('20240101000000.5Z'),
  ascii('20240101000000+0100'),
  ascii('2024010100000Z'),
  ascii('202401010000000Z'),
  ascii('19691231235959Z'),
  ascii('99991231235959Z'),
  ascii('00000101000000Z'),
  ascii('2024O101000000Z'),
  ascii('-2024010100000Z'),
  [],
];

const BIT_STRING_EDGES: readonly (readonly number[])[] = [
  [],
  [0x00],
  [0x08, 0x00],
  [0x07, 0x80],
  [0x01, 0xff],
  [0x00, 0x80],
  [0x00, 0x80, 0x00, 0x00],
  [0x00, 0x80, 0x00, 0x00, 0x00, 0x01],
  [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x03, 0x80, 0x00, 0x00, 0x08],
];

const BOOLEAN_EDGES: readonly (readonly number[])[] = [[], [0x01], [0x00, 0x00], [0x80], [0xff, 0xff]];

function edgesFor(tag: number): readonly (readonly number[])[] {
  switch (tag) {
    case 0x01:
      return BOOLEAN_EDGES;
    case 0x02:
      return INTEGER_EDGES;
    case 0x03:
      return BIT_STRING_EDGES;
    case 0x18:
      return TIME_EDGES;
    default:
      return STRING_EDGES;
  }
}

/** Byte-level damage that ignores structure. */
function byteMutants(base: Uint8Array): fc.Arbitrary<DerMutant>[] {
  const n = base.length;
  const truncate = fc
    .integer({ min: 0, max: Math.max(0, n - 1) })
    .map((k) => ({ kind: `truncate@${k}`, bytes: base.slice(0, k) }));
  const extend = fc
    .uint8Array({ minLength: 1, maxLength: 16 })
    .map((tail) => ({ kind: `extend+${tail.length}`, bytes: concatBytes([base, tail]) }));
  const flip = fc
    .array(fc.tuple(fc.nat({ max: Math.max(0, n - 1) }), fc.integer({ min: 1, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => {
      const b = base.slice();
      for (const [at, mask] of edits) if (at < b.length) b[at]! ^= mask;
      return { kind: `flip${JSON.stringify(edits)}`, bytes: b };
    });
  const overwrite = fc
    .tuple(fc.nat({ max: Math.max(0, n - 1) }), fc.uint8Array({ minLength: 1, maxLength: 6 }))
    .map(([at, with_]) => {
      const b = base.slice();
      b.set(with_.subarray(0, Math.max(0, b.length - at)), at);
      return { kind: `overwrite@${at}`, bytes: b };
    });
  return [truncate, extend, flip, overwrite];
}

/** Header lies spliced into the flat encoding: enclosing lengths are left as they were. */
function headerMutants(base: Uint8Array): fc.Arbitrary<DerMutant>[] {
  const positions = tlvPositions(base);
  if (positions.length === 0) return [];
  const lie = fc
    .tuple(fc.constantFrom(...positions), fc.nat({ max: lyingLengths(0).length - 1 }))
    .map(([pos, which]) => {
      const len = lyingLengths(pos.contentLength)[which]!;
      return {
        kind: `length-lie@${pos.lengthAt}#${which}`,
        bytes: concatBytes([
          base.subarray(0, pos.lengthAt),
          len,
          base.subarray(pos.lengthAt + pos.lengthSize),
        ]),
      };
    });
  const constructedPositions = positions.filter((p) => p.constructed);
  const indefinite =
    constructedPositions.length === 0
      ? []
      : [
          fc.constantFrom(...constructedPositions).map((pos) => {
            const end = pos.contentAt + pos.contentLength;
            return {
              kind: `indefinite-flat@${pos.start}`,
              bytes: concatBytes([
                base.subarray(0, pos.lengthAt),
                [0x80],
                base.subarray(pos.contentAt, end),
                [0x00, 0x00],
                base.subarray(end),
              ]),
            };
          }),
        ];
  return [lie, ...indefinite];
}

/** Structure-aware damage: the edited tree is re-serialised, so every enclosing length stays right. */
function treeMutants(base: Uint8Array): fc.Arbitrary<DerMutant>[] {
  const tree = parseTlvs(base);
  if (tree === undefined) return [];
  const count = walkTlvs(tree).length;
  const pick = fc.nat({ max: count - 1 });
  const apply = (edit: (tree: TlvNode[]) => string) => {
    const copy = cloneTlvs(tree);
    const kind = edit(copy);
    return { kind, bytes: serializeTlvs(copy) };
  };
  const at = (t: TlvNode[], i: number) => walkTlvs(t)[i]!;

  const drop = pick.map((i) =>
    apply((t) => {
      const w = at(t, i);
      w.parent.splice(w.index, 1);
      return `drop#${i}`;
    }),
  );
  const duplicate = fc.tuple(pick, fc.integer({ min: 1, max: 3 })).map(([i, times]) =>
    apply((t) => {
      const w = at(t, i);
      const copies = Array.from({ length: times }, () => cloneTlvs([w.node])[0]!);
      w.parent.splice(w.index + 1, 0, ...copies);
      return `duplicate#${i}x${times}`;
    }),
  );
  const swap = pick.map((i) =>
    apply((t) => {
      const w = at(t, i);
      if (w.index + 1 < w.parent.length) {
        const next = w.parent[w.index + 1]!;
        w.parent[w.index + 1] = w.node;
        w.parent[w.index] = next;
      }
      return `swap#${i}`;
    }),
  );
  const retag = fc
    .tuple(
      pick,
      fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((v) => [v]),
        fc.constantFrom([0x1f, 0x81, 0x00], [0x3f, 0x80, 0x01], [0xbf, 0xff, 0xff, 0xff, 0xff, 0x7f], [0x1f]),
      ),
    )
    .map(([i, tag]) =>
      apply((t) => {
        at(t, i).node.tag = Uint8Array.from(tag);
        return `retag#${i}=${tag.join(',')}`;
      }),
    );
  const bumpTag = fc.tuple(pick, fc.constantFrom(1, -1, 0x20, 0x40, 0x80, 0xc0)).map(([i, delta]) =>
    apply((t) => {
      const node = at(t, i).node;
      const tag = node.tag.slice();
      tag[0] = delta === 1 || delta === -1 ? (tag[0]! + delta) & 0xff : tag[0]! ^ delta;
      node.tag = tag;
      return `bumptag#${i}${delta}`;
    }),
  );
  const reContent = fc.tuple(pick, fc.uint8Array({ maxLength: 12 })).map(([i, bytes]) =>
    apply((t) => {
      const node = at(t, i).node;
      node.children = undefined;
      node.content = bytes;
      return `recontent#${i}`;
    }),
  );
  const edge = fc.tuple(pick, fc.nat({ max: 15 })).map(([i, which]) =>
    apply((t) => {
      const node = at(t, i).node;
      if (node.children !== undefined) {
        // A constructed node: empty it instead.
        node.children = [];
        return `empty#${i}`;
      }
      const edges = edgesFor(node.tag[0]!);
      node.content = Uint8Array.from(edges[which % edges.length]!);
      return `edge#${i}.${which % edges.length}`;
    }),
  );
  const headerLie = fc.tuple(pick, fc.nat({ max: lyingLengths(0).length - 1 })).map(([i, which]) =>
    apply((t) => {
      const node = at(t, i).node;
      const content = node.children === undefined ? node.content : serializeTlvs(node.children);
      node.raw = concatBytes([node.tag, lyingLengths(content.length)[which]!, content]);
      return `length-lie-consistent#${i}.${which}`;
    }),
  );
  const indefinite = pick.map((i) =>
    apply((t) => {
      const node = at(t, i).node;
      const content = node.children === undefined ? node.content : serializeTlvs(node.children);
      node.raw = concatBytes([node.tag, [0x80], content, [0x00, 0x00]]);
      return `indefinite#${i}`;
    }),
  );
  const bigSequenceOf = fc.tuple(pick, fc.integer({ min: 100, max: 1500 })).map(([i, times]) =>
    apply((t) => {
      const w = at(t, i);
      const copies = Array.from({ length: times }, () => w.node);
      w.parent.splice(w.index + 1, 0, ...copies);
      return `repeat#${i}x${times}`;
    }),
  );
  const edits: fc.Arbitrary<DerMutant>[] = [
    drop,
    duplicate,
    swap,
    retag,
    bumpTag,
    reContent,
    edge,
    edge,
    headerLie,
    indefinite,
  ];
  return [...edits, bigSequenceOf];
}

/**
 * A damaged variant of a valid DER encoding, drawn from every mutation
 * family in this module. Deterministic for a given fast-check seed.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbDerMutant(encodeTicket(t)), (m) => {
 *   try { decodeTicket(m.bytes); } catch (e) { expect(e).toBeInstanceOf(Asn1Error); }
 * }), { seed: 1, numRuns: 1000 });
 * ```
 */
export function arbDerMutant(base: Uint8Array): fc.Arbitrary<DerMutant> {
  const families = [...byteMutants(base), ...headerMutants(base), ...treeMutants(base)];
  return fc.oneof(...families);
}

/** Every proper prefix of `bytes` (lengths 0..n-1). */
export function* truncations(bytes: Uint8Array): Generator<Uint8Array> {
  for (let k = 0; k < bytes.length; k++) yield bytes.subarray(0, k);
}

/**
 * `depth` nested constructed TLVs, innermost empty: minimal definite DER
 * lengths when `form` is `'definite'` (a valid encoding), `0x80` when
 * `'indefinite'` (with matching end-of-contents octets), or headers only
 * (claiming more than follows) when `'open'`.
 */
export function nestingBomb(
  depth: number,
  options: {
    readonly tag?: number;
    readonly outer?: readonly number[];
    readonly form?: 'definite' | 'indefinite' | 'open';
  } = {},
): Uint8Array {
  const tag = options.tag ?? 0x30;
  const form = options.form ?? 'definite';
  let body: Uint8Array;
  if (form === 'indefinite') {
    body = new Uint8Array(depth * 4);
    for (let i = 0; i < depth; i++) {
      body[2 * i] = tag;
      body[2 * i + 1] = 0x80;
    }
  } else if (form === 'open') {
    body = new Uint8Array(depth * 6);
    for (let i = 0; i < depth; i++) body.set([tag, 0x84, 0x7f, 0xff, 0xff, 0xff], i * 6);
  } else {
    // Build from the inside out, writing backwards, with minimal DER lengths.
    const buf = new Uint8Array(depth * 6);
    let p = buf.length;
    for (let i = 0; i < depth; i++) {
      const len = buf.length - p;
      const l = derLength(len);
      p -= l.length;
      buf.set(l, p);
      buf[--p] = tag;
    }
    body = buf.subarray(p);
  }
  const outer = options.outer ?? [];
  if (outer.length === 0) return body;
  return concatBytes([outer, derLength(body.length), body]);
}

/**
 * A SEQUENCE whose content is `count` copies of `element` (a complete TLV),
 * optionally wrapped in one more tag (e.g. a context tag `0xa8`).
 */
export function longSequenceOf(element: ArrayLike<number>, count: number, wrapTag?: number): Uint8Array {
  const content = new Uint8Array(element.length * count);
  for (let i = 0; i < count; i++) content.set(element, i * element.length);
  const seq = concatBytes([[0x30], derLength(content.length), content]);
  return wrapTag === undefined ? seq : concatBytes([[wrapTag], derLength(seq.length), seq]);
}
