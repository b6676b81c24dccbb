/**
 * The generic path: any DER value (X.690) as a readable tree, for traces,
 * debugging and the fuzz tests. Not used by the typed codecs and not tuned
 * for speed. Definite lengths only; nesting is bounded by `maxDepth`.
 *
 * @module
 */

import { checkInput, DEFAULT_MAX_DEPTH, type DecodeOptions } from '../schema/codec';
import { Asn1Error, asAsn1Error, tagName } from './errors';
import { latin1, len, newReader, oidText, type Reader } from './reader';

/** One TLV of {@link decodeDerTree}. */
export interface DerNode {
  readonly tagClass: 'universal' | 'application' | 'context' | 'private';
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet in the input. */
  readonly offset: number;
  /** Identifier and length octets. */
  readonly headerLength: number;
  /** Contents length. */
  readonly length: number;
  /** `SEQUENCE`, `INTEGER`, `[3]`, `[APPLICATION 1]`... */
  readonly typeName: string;
  /** Constructed values: the contents as TLVs. */
  readonly children?: readonly DerNode[];
  /** Primitive values: the contents rendered (numbers, text, dotted OIDs, hex). */
  readonly value?: string;
}

const CLASSES = ['universal', 'application', 'context', 'private'] as const;
const utf8 = new TextDecoder('utf-8');
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function render(tagNumber: number, b: Uint8Array, p: number, e: number): string {
  const body = b.subarray(p, e);
  switch (tagNumber) {
    case 1:
      return e - p === 1 ? (b[p] === 0 ? 'FALSE' : 'TRUE') : hex(body);
    case 2:
    case 10: {
      if (e === p) return '';
      // Up to 8 octets in decimal; longer ones (keys, RSA moduli) as two's-complement hex.
      if (e - p > 8) return `0x${hex(body)}`;
      let v = BigInt.asIntN(8, BigInt(b[p]!));
      for (let i = p + 1; i < e; i++) v = (v << 8n) | BigInt(b[i]!);
      return v.toString();
    }
    case 5:
      return '';
    case 6:
      try {
        return oidText(b, p, e);
      } catch {
        return hex(body);
      }
    case 0x0c:
    case 0x1b:
      return utf8.decode(body);
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x16:
    case 0x17:
    case 0x18:
    case 0x1a:
      return latin1(b, p, e);
    default:
      return hex(body);
  }
}

function node(r: Reader, end: number, depth: number, max: number): DerNode {
  const b = r.buf;
  const start = r.pos;
  if (start >= end) throw new Asn1Error('truncated: expected a tag', { offset: start });
  if (depth > max) throw new Asn1Error(`nesting deeper than maxDepth ${max}`, { offset: start });
  const id = b[start]!;
  let tagNumber = id & 0x1f;
  let q = start + 1;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    let c: number;
    let first = true;
    do {
      if (q >= end) throw new Asn1Error('truncated: high-number tag runs past the end', { offset: q });
      c = b[q++]!;
      if (first && c === 0x80)
        throw new Asn1Error('high-number tag is not in the shortest form', { offset: q - 1 });
      first = false;
      tagNumber = tagNumber * 128 + (c & 0x7f);
      if (tagNumber > 0x7fffffff) throw new Asn1Error('tag number is too large', { offset: q - 1 });
    } while (c & 0x80);
    if (tagNumber < 0x1f)
      throw new Asn1Error('high-number tag form used for a low tag number', { offset: start });
  }
  const e = len(r, end, q);
  const contentStart = r.pos;
  const constructed = (id & 0x20) !== 0;
  const tagClass = CLASSES[id >> 6]!;
  const typeName =
    tagNumber < 0x1f ? tagName(id) : `${tagClass === 'universal' ? 'UNIVERSAL' : tagClass} ${tagNumber}`;
  const base = {
    tagClass,
    tagNumber,
    constructed,
    offset: start,
    headerLength: contentStart - start,
    length: e - contentStart,
    typeName,
  };
  if (!constructed) {
    r.pos = e;
    const value =
      tagClass === 'universal' ? render(tagNumber, b, contentStart, e) : hex(b.subarray(contentStart, e));
    return { ...base, value };
  }
  const children: DerNode[] = [];
  while (r.pos < e) {
    const i = children.length;
    try {
      children.push(node(r, e, depth + 1, max));
    } catch (x) {
      throw asAsn1Error(x).prepend(`[${i}]`);
    }
  }
  return { ...base, children };
}

/**
 * Decodes any single DER value into a {@link DerNode} tree. Throws
 * {@link Asn1Error} for truncation, indefinite or non-minimal lengths,
 * trailing bytes, inputs over `maxBytes` and nesting over `maxDepth`
 * (default 32); the path is `DER[2][0]...`, the child indices.
 */
export function decodeDerTree(bytes: Uint8Array, options?: DecodeOptions): DerNode {
  checkInput(bytes, options, 'DER');
  const r = newReader(bytes);
  try {
    const n = node(r, bytes.length, 1, options?.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (r.pos !== bytes.length) {
      throw new Asn1Error(`${bytes.length - r.pos} trailing bytes after the value`, { offset: r.pos });
    }
    return n;
  } catch (x) {
    throw asAsn1Error(x).prepend('DER');
  }
}

/** An indented one-line-per-TLV rendering of a {@link DerNode} tree. */
export function formatDerTree(n: DerNode, indent = ''): string {
  const head = `${indent}${n.typeName} (${n.length})`;
  if (n.children === undefined) return n.value === undefined || n.value === '' ? head : `${head}: ${n.value}`;
  return [head, ...n.children.map((c) => formatDerTree(c, `${indent}  `))].join('\n');
}
