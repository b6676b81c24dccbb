/**
 * Test helpers: hex conversion and the asn1js oracle (an independent BER
 * parser) to check that our encodings have the structure we claim.
 */

import { type AsReq, type DerNode, decodeDerTree, type Ticket } from '@krbsim/asn1';
import * as asn1js from 'asn1js';
import { expect } from 'vitest';

/** Bytes from hex (spaces allowed). */
export function unhex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lowercase hex. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A structure both parsers can produce: class, number, constructed, lengths, primitive TLV bytes. */
interface Shape {
  cls: number;
  tag: number;
  cons: boolean;
  hl: number;
  len: number;
  tlv?: string;
  kids?: Shape[];
}

type AnyBlock = {
  idBlock: { tagClass: number; tagNumber: number; isConstructed: boolean; blockLength: number };
  lenBlock: { length: number; blockLength: number };
  valueBlock: { value?: unknown };
  valueBeforeDecodeView: Uint8Array;
};

function fromAsn1js(b: AnyBlock): Shape {
  const s: Shape = {
    cls: b.idBlock.tagClass - 1,
    tag: b.idBlock.tagNumber,
    cons: b.idBlock.isConstructed,
    hl: b.idBlock.blockLength + b.lenBlock.blockLength,
    len: b.lenBlock.length,
  };
  if (b.idBlock.isConstructed) s.kids = (b.valueBlock.value as AnyBlock[]).map(fromAsn1js);
  else s.tlv = hex(b.valueBeforeDecodeView);
  return s;
}

const CLS = { universal: 0, application: 1, context: 2, private: 3 } as const;
function fromOurs(n: DerNode, bytes: Uint8Array): Shape {
  const s: Shape = {
    cls: CLS[n.tagClass],
    tag: n.tagNumber,
    cons: n.constructed,
    hl: n.headerLength,
    len: n.length,
  };
  if (n.children !== undefined) s.kids = n.children.map((c) => fromOurs(c, bytes));
  else s.tlv = hex(bytes.subarray(n.offset, n.offset + n.headerLength + n.length));
  return s;
}

/**
 * The asn1js oracle: asn1js must parse `bytes` completely, without error, to
 * the same tree of tags and lengths as our `decodeDerTree`.
 */
export function expectOracle(bytes: Uint8Array): void {
  const r = asn1js.fromBER(bytes);
  expect(r.offset, `asn1js: ${(r.result as { error?: string }).error}`).toBe(bytes.length);
  expect((r.result as { error?: string }).error ?? '').toBe('');
  expect(fromOurs(decodeDerTree(bytes), bytes)).toEqual(fromAsn1js(r.result as unknown as AnyBlock));
}

/** Runs `fn`, which must throw, and returns the error. */
export function thrown(fn: () => unknown): Error & { code?: number; path?: string; reason?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none thrown');
}

/** A sample time, Ticket and AS-REQ shared by the error and robustness tests. */
export const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);
export const ticket: Ticket = {
  tktVno: 5,
  realm: 'EXAMPLE.COM',
  sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
  encPart: { etype: 18, kvno: 2, cipher: new Uint8Array(40).fill(0xaa) },
};
export const asReq: AsReq = {
  pvno: 5,
  msgType: 10,
  padata: [{ padataType: 128, padataValue: unhex('3005a0030101ff') }],
  reqBody: {
    kdcOptions: 0x40810010,
    cname: { nameType: 1, nameString: ['alice'] },
    realm: 'EXAMPLE.COM',
    sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
    till: T0,
    nonce: 12345,
    etype: [18, 17],
  },
};
