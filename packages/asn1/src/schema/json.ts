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

/** Per-SEQUENCE hooks that add decoded views of nested opaque values. */
export type JsonHooks = ReadonlyMap<
  SeqNode,
  (value: Record<string, unknown>, out: Record<string, Json>) => void
>;

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

/** Renders `value`, decoded by (or ready for) declaration `node`, as JSON. */
export function toJson(node: Node, value: unknown, hooks?: JsonHooks): Json {
  if (value === undefined || value === null) return null;
  switch (node.kind) {
    case 'prim':
      return prim(node, value);
    case 'seqOf':
      return Array.isArray(value) ? value.map((x) => toJson(node.of, x, hooks)) : null;
    case 'app':
      return toJson(node.of, value, hooks);
    case 'choice': {
      const v = value as Record<string, unknown>;
      const out: Record<string, Json> = {};
      for (const a of node.alts) if (v[a.key] !== undefined) out[a.key] = toJson(a.node, v[a.key], hooks);
      return out;
    }
    case 'seq': {
      const v = value as Record<string, unknown>;
      const out: Record<string, Json> = {};
      if (node.appKey !== undefined && v[node.appKey] !== undefined)
        out[node.appKey] = v[node.appKey] as Json;
      for (const f of node.fields) {
        const x = v[f.key];
        if (x === undefined || x === null) continue;
        out[f.key] = toJson(f.node, x, hooks);
        const n = names(f.node, x);
        if (n !== undefined) out[`${f.key}Name`] = n;
        // A UInt32's non-default wire form (`nonceForm: 'signed'`), so traces show what came.
        if (f.formKey !== undefined && typeof v[f.formKey] === 'string')
          out[f.formKey] = v[f.formKey] as Json;
      }
      hooks?.get(node)?.(v, out);
      return out;
    }
  }
}
