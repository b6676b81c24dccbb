/**
 * Declaration-driven conversion of decoded values to plain JSON for traces:
 * bytes as lowercase hex, KerberosTime as ISO 8601 (`1994-06-10T06:03:17Z`),
 * KerberosFlags as arrays of flag names, numbers kept numeric with a sibling
 * `<key>Name` where the number has a registered name (etypes, name types,
 * padata types, error codes...). Not a hot path.
 *
 * @module
 */

import { flagNames } from '../iana/flags';
import type { Node, PrimNode, SeqNode } from './nodes';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Per-SEQUENCE hooks that add decoded views of nested opaque values: a hook
 * that shows the bytes of field `x` decoded puts them under `xDecoded`.
 * `depth` is how many such decoded views enclose the SEQUENCE (0 in the value
 * given to {@link toJson}); a hook passes `depth + 1` to the `toJson` of what
 * it decodes, and stops at its limit.
 */
export type JsonHooks = ReadonlyMap<
  SeqNode,
  (value: Record<string, unknown>, out: Record<string, Json>, depth: number) => void
>;

/**
 * How many bytes of hex an OCTET STRING shown decoded beside it (`xDecoded`)
 * keeps, followed by `...`, with its length in `xLength`. Without the cut, a
 * value nested n deep would be written out n times, as the hex of each
 * enclosing value, and the JSON would grow with the square of the input.
 */
const SHOWN_DECODED_HEX = 64;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `b`. */
function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

/** A KerberosTime as ISO 8601 without milliseconds. */
function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('.000Z', 'Z');
}

function nameOfPrim(p: PrimNode, v: unknown): string | undefined {
  if (typeof v !== 'number') return undefined;
  if (p.nameOf !== undefined) return p.nameOf(v);
  if (p.names !== undefined && p.json === 'int') {
    for (const k in p.names) if (p.names[k] === v) return k;
  }
  return undefined;
}

function prim(p: PrimNode, v: unknown): Json {
  switch (p.json) {
    case 'time':
      return typeof v === 'number' ? isoTime(v) : String(v);
    case 'bytes':
    case 'raw':
      return v instanceof Uint8Array ? toHex(v) : String(v);
    case 'flags':
    case 'bits':
      return typeof v === 'number' ? flagNames(p.names ?? {}, v) : String(v);
    case 'int':
    case 'bool':
    case 'string':
    case 'oid':
      return v as Json;
  }
}

/** Names for a field's value: a name for a number, an array of names for a list of numbers. */
function names(node: Node, v: unknown): Json | undefined {
  if (node.kind === 'prim') return nameOfPrim(node, v);
  if (node.kind === 'seqOf' && node.of.kind === 'prim' && Array.isArray(v)) {
    const p = node.of;
    if (p.names === undefined && p.nameOf === undefined) return undefined;
    return v.map((x) => nameOfPrim(p, x) ?? null);
  }
  return undefined;
}

/**
 * Renders `value`, decoded by (or ready for) declaration `node`, as JSON.
 * `depth` is passed to the hooks (see {@link JsonHooks}).
 */
export function toJson(node: Node, value: unknown, hooks?: JsonHooks, depth = 0): Json {
  if (value === undefined || value === null) return null;
  switch (node.kind) {
    case 'prim':
      return prim(node, value);
    case 'seqOf':
      return Array.isArray(value) ? value.map((x) => toJson(node.of, x, hooks, depth)) : null;
    case 'app':
      return toJson(node.of, value, hooks, depth);
    case 'choice': {
      const v = value as Record<string, unknown>;
      const out: Record<string, Json> = {};
      for (const a of node.alts)
        if (v[a.key] !== undefined) out[a.key] = toJson(a.node, v[a.key], hooks, depth);
      return out;
    }
    case 'seq': {
      const v = value as Record<string, unknown>;
      const out: Record<string, Json> = {};
      const hook = hooks?.get(node);
      // Long OCTET STRINGs of a SEQUENCE with a hook: written after it, cut when it shows them decoded.
      const long: string[] = [];
      if (node.appKey !== undefined && v[node.appKey] !== undefined)
        out[node.appKey] = v[node.appKey] as Json;
      for (const f of node.fields) {
        const x = v[f.key];
        if (x === undefined || x === null) continue;
        if (
          hook !== undefined &&
          f.node.kind === 'prim' &&
          f.node.json === 'bytes' &&
          x instanceof Uint8Array &&
          x.length > SHOWN_DECODED_HEX
        ) {
          out[f.key] = null; // keeps the key's place
          long.push(f.key);
        } else {
          out[f.key] = toJson(f.node, x, hooks, depth);
        }
        const n = names(f.node, x);
        if (n !== undefined) out[`${f.key}Name`] = n;
        // A UInt32's non-default wire form (`nonceForm: 'unsigned'`), so traces show what came.
        if (f.formKey !== undefined && typeof v[f.formKey] === 'string')
          out[f.formKey] = v[f.formKey] as Json;
      }
      if (hook !== undefined) {
        hook(v, out, depth);
        for (const k of long) {
          const b = v[k] as Uint8Array;
          if (out[`${k}Decoded`] === undefined) {
            out[k] = toHex(b);
          } else {
            out[k] = `${toHex(b.subarray(0, SHOWN_DECODED_HEX))}...`;
            out[`${k}Length`] = b.length;
          }
        }
      }
      return out;
    }
  }
}
