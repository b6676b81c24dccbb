/**
 * A minimal, permissive TLV walker for building fuzz inputs from valid DER.
 *
 * This is test tooling, not a codec: it trusts its input (encodings produced
 * by `@krbsim/asn1` or captured from real implementations) and exists to find
 * the positions of tags and length octets, and to rebuild an edited tree with
 * correct definite lengths so that a mutation reaches deep into a decoder
 * instead of failing at the outermost length check.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';

/** One TLV of a parsed encoding. */
export interface TlvNode {
  /** The identifier octets (one, or more in high-tag-number form). */
  tag: Uint8Array;
  /** Children when the constructed bit is set and the content parsed as TLVs; otherwise undefined. */
  children: TlvNode[] | undefined;
  /** The content octets of a primitive (or unparseable constructed) TLV. */
  content: Uint8Array;
  /**
   * When set, {@link serializeTlvs} emits exactly these bytes for the node
   * (header included) instead of tag, length and content: the way to plant a
   * malformed header while keeping every ancestor's length consistent.
   */
  raw?: Uint8Array;
}

/** Where a TLV's header sits in the flat encoding. */
export interface TlvPosition {
  /** Offset of the first identifier octet. */
  readonly start: number;
  /** Offset of the first length octet. */
  readonly lengthAt: number;
  /** Number of length octets. */
  readonly lengthSize: number;
  /** Offset of the first content octet. */
  readonly contentAt: number;
  /** Number of content octets. */
  readonly contentLength: number;
  /** Nesting depth (0 for the outermost TLV). */
  readonly depth: number;
  /** True when the constructed bit is set. */
  readonly constructed: boolean;
}

interface Header {
  tagEnd: number;
  lengthSize: number;
  length: number;
}

function readHeader(b: Uint8Array, at: number, end: number): Header | undefined {
  let p = at;
  if (p >= end) return undefined;
  const first = b[p++]!;
  if ((first & 0x1f) === 0x1f) {
    for (;;) {
      if (p >= end) return undefined;
      const o = b[p++]!;
      if ((o & 0x80) === 0) break;
    }
  }
  const tagEnd = p;
  if (p >= end) return undefined;
  const l0 = b[p++]!;
  let length: number;
  let lengthSize = 1;
  if (l0 < 0x80) length = l0;
  else {
    const n = l0 & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++]!;
    lengthSize = 1 + n;
  }
  if (p + length > end) return undefined;
  return { tagEnd, lengthSize, length };
}

function parseRange(b: Uint8Array, at: number, end: number, depth: number): TlvNode[] | undefined {
  const out: TlvNode[] = [];
  let p = at;
  while (p < end) {
    const h = readHeader(b, p, end);
    if (h === undefined) return undefined;
    const contentAt = h.tagEnd + h.lengthSize;
    const content = b.subarray(contentAt, contentAt + h.length);
    const constructed = (b[p]! & 0x20) !== 0;
    const children =
      constructed && depth < 64 ? parseRange(b, contentAt, contentAt + h.length, depth + 1) : undefined;
    out.push({ tag: b.slice(p, h.tagEnd), children, content: content.slice() });
    p = contentAt + h.length;
  }
  return out;
}

/** Parses `bytes` as a sequence of definite-length TLVs; undefined when it is not one. */
export function parseTlvs(bytes: Uint8Array): TlvNode[] | undefined {
  return parseRange(bytes, 0, bytes.length, 0);
}

/** The definite-length DER length octets for `n`. */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function contentOf(node: TlvNode): Uint8Array {
  return node.children === undefined ? node.content : serializeTlvs(node.children);
}

/** Serialises TLVs with minimal definite lengths (children re-serialised recursively). */
export function serializeTlvs(nodes: readonly TlvNode[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const node of nodes) {
    if (node.raw !== undefined) {
      parts.push(node.raw);
      continue;
    }
    const content = contentOf(node);
    parts.push(node.tag, derLength(content.length), content);
  }
  return concatBytes(parts);
}

/** Deep copy of a TLV list. */
export function cloneTlvs(nodes: readonly TlvNode[]): TlvNode[] {
  return nodes.map((n) => ({
    tag: n.tag.slice(),
    children: n.children === undefined ? undefined : cloneTlvs(n.children),
    content: n.content.slice(),
    ...(n.raw === undefined ? {} : { raw: n.raw.slice() }),
  }));
}

/** Every node of a TLV forest, depth first, each with its parent list and index. */
export function walkTlvs(
  nodes: TlvNode[],
): Array<{ node: TlvNode; parent: TlvNode[]; index: number; depth: number }> {
  const out: Array<{ node: TlvNode; parent: TlvNode[]; index: number; depth: number }> = [];
  const visit = (list: TlvNode[], depth: number) => {
    list.forEach((node, index) => {
      out.push({ node, parent: list, index, depth });
      if (node.children !== undefined) visit(node.children, depth + 1);
    });
  };
  visit(nodes, 0);
  return out;
}

/** The header positions of every TLV in a definite-length encoding, outermost first. */
export function tlvPositions(bytes: Uint8Array): TlvPosition[] {
  const out: TlvPosition[] = [];
  const visit = (at: number, end: number, depth: number): boolean => {
    let p = at;
    while (p < end) {
      const h = readHeader(bytes, p, end);
      if (h === undefined) return false;
      const contentAt = h.tagEnd + h.lengthSize;
      const constructed = (bytes[p]! & 0x20) !== 0;
      out.push({
        start: p,
        lengthAt: h.tagEnd,
        lengthSize: h.lengthSize,
        contentAt,
        contentLength: h.length,
        depth,
        constructed,
      });
      if (constructed && depth < 64) {
        const mark = out.length;
        if (!visit(contentAt, contentAt + h.length, depth + 1)) out.length = mark;
      }
      p = contentAt + h.length;
    }
    return true;
  };
  visit(0, bytes.length, 0);
  return out;
}
