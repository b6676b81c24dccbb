/**
 * The two DER forms of a UInt32 of 2^31 or more (RFC 4120 section 5.2.4
 * declares nonces, sequence numbers and kvno `UInt32`; MIT and Heimdal
 * declare the nonces `Int32`, MIT the kvno too): `02 05 00 94 70 9c 33` and
 * the 32-bit two's complement `02 04 94 70 9c 33`. Both decode to
 * 0x94709c33; the form read is kept in the field's `<key>Form` sibling when
 * it is not the encoder's default (signed for nonces and kvno, which MIT's
 * decoders require, unsigned for the rest), so every input re-encodes to its
 * own bytes.
 *
 * The DER here is built by hand from the value and the form, independently
 * of the encoder under test.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as K from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './helpers';
import { addr, alice, bytes, ed, realm, T } from './samples';

type Form = K.IntegerForm;

/** A DER TLV with a one-octet tag and a short- or long-form length. */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...len, ...body]);
}

/** The INTEGER TLV of the UInt32 `v` in `form`, minimal (X.690 8.3.2), computed with BigInt. */
function integer(v: number, form: Form): Uint8Array {
  let x = BigInt(v);
  if (form === 'signed' && v >= 2 ** 31) x -= 2n ** 32n;
  const out: number[] = [];
  for (;;) {
    out.unshift(Number(BigInt.asUintN(8, x)));
    x >>= 8n; // arithmetic: -1n stays -1n
    const top = out[0]! & 0x80;
    if ((x === 0n && !top) || (x === -1n && top)) break;
  }
  return tlv(0x02, Uint8Array.from(out));
}

/** What a decoder must record: the form, when the value has two and it is not the default. */
const recorded = (v: number, form: Form, dflt: Form): Form | undefined =>
  v >= 2 ** 31 && form !== dflt ? form : undefined;

/** UInt32 values, weighted towards the edges of the two forms. */
const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0x7fffffff, 0x80000000, 0xff800000, 0xffffff80, 0xffffffff, 0x94709c33),
  fc.integer({ min: 0x80000000, max: 0xffffffff }),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const form = fc.constantFrom<Form>('signed', 'unsigned');

describe('KDC-REQ-BODY nonce: both INTEGER forms, built by hand', () => {
  const till = Uint8Array.from(Buffer.from('20370913024805Z'));
  /** The smallest KDC-REQ-BODY: kdc-options, realm, till, nonce and one etype. */
  const reqBody = (nonce: Uint8Array) =>
    tlv(
      0x30,
      tlv(0xa0, Uint8Array.of(0x03, 0x05, 0x00, 0x40, 0x81, 0x00, 0x10)),
      tlv(0xa2, tlv(0x1b, Uint8Array.from(Buffer.from('R')))),
      tlv(0xa5, tlv(0x18, till)),
      tlv(0xa7, nonce),
      tlv(0xa8, tlv(0x30, Uint8Array.of(0x02, 0x01, 0x12))),
    );

  it("MIT's and Heimdal's negative nonce: 02 04 94 70 9c 33 is 0x94709c33 and re-encodes to itself", () => {
    const der = reqBody(Uint8Array.of(0x02, 0x04, 0x94, 0x70, 0x9c, 0x33));
    const b = K.decodeKdcReqBody(der);
    expect(b.nonce).toBe(0x94709c33);
    // The default form: nothing recorded.
    expect(b.nonceForm).toBeUndefined();
    expect(hex(K.encodeKdcReqBody(b))).toBe(hex(der));
    // The value alone is written in the signed form too, as MIT writes it (its decoders
    // read nonces as Int32 and refuse 02 05 00 94 70 9c 33 with ASN1_OVERFLOW).
    expect(hex(K.encodeKdcReqBody({ ...b, nonceForm: undefined }))).toContain('a706020494709c33');
  });

  it('the unsigned form decodes to the same number, recorded as unsigned, and re-encodes to itself', () => {
    const der = reqBody(Uint8Array.of(0x02, 0x05, 0x00, 0x94, 0x70, 0x9c, 0x33));
    const b = K.decodeKdcReqBody(der);
    expect(b.nonce).toBe(0x94709c33);
    expect(b.nonceForm).toBe('unsigned');
    expect(hex(K.encodeKdcReqBody(b))).toBe(hex(der));
  });

  it('property: any UInt32 in either form decodes to its value and re-encodes byte-identically', () => {
    fc.assert(
      fc.property(uint32, form, (v, f) => {
        const der = reqBody(integer(v, f));
        const b = K.decodeKdcReqBody(der);
        expect(b.nonce).toBe(v);
        expect(b.nonceForm).toBe(recorded(v, f, 'signed'));
        expect(hex(K.encodeKdcReqBody(b))).toBe(hex(der));
        // The form can also be asked for on a value built by hand.
        expect(hex(K.encodeKdcReqBody({ ...b, nonceForm: f }))).toBe(hex(der));
      }),
      { numRuns: 500 },
    );
  });

  it('property: a TGS-REQ with a signed nonce round-trips through decodeMessage / encodeMessage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x80000000, max: 0xffffffff }), (v) => {
        const body = reqBody(integer(v, 'signed'));
        const der = tlv(
          0x6c,
          tlv(
            0x30,
            tlv(0xa1, Uint8Array.of(0x02, 0x01, 0x05)),
            tlv(0xa2, Uint8Array.of(0x02, 0x01, 0x0c)),
            tlv(0xa4, body),
          ),
        );
        const m = K.decodeMessage(der);
        expect(m.type).toBe('TGS-REQ');
        expect(hex(K.encodeMessage(m))).toBe(hex(der));
        const req = K.decodeTgsReq(der);
        expect(hex(req.reqBodyDer!)).toBe(hex(body));
        expect(hex(K.encodeTgsReq(req))).toBe(hex(der));
      }),
      { numRuns: 200 },
    );
  });

  it('forms that are not DER stay errors: a redundant 00 or ff octet, more than 32 bits', () => {
    for (const bad of ['020500' + '7fffffff', '0205ff' + '94709c33', '0206' + '00' + '0094709c33']) {
      const der = reqBody(Uint8Array.from(Buffer.from(bad, 'hex')));
      expect(() => K.decodeKdcReqBody(der)).toThrow(/KDC-REQ-BODY\.nonce: /);
    }
  });

  it('an unknown form is refused with the path where it matters (a value of 2^31 or more)', () => {
    const b = K.decodeKdcReqBody(reqBody(integer(5, 'unsigned')));
    const bad = (nonce: number) => ({ ...b, nonce, nonceForm: 'two' }) as unknown as K.KdcReqBody;
    expect(() => K.encodeKdcReqBody(bad(0x94709c33))).toThrow(
      "KDC-REQ-BODY.nonce: expected an INTEGER form ('signed' or 'unsigned'), got \"two\"",
    );
    // Below 2^31 both forms are the same bytes, so the encoder does not look at the form.
    expect(hex(K.encodeKdcReqBody(bad(5)))).toBe(hex(K.encodeKdcReqBody(b)));
    // A form does not widen the range: the value is still a UInt32.
    expect(() => K.encodeKdcReqBody({ ...b, nonce: -1, nonceForm: 'signed' })).toThrow(
      'KDC-REQ-BODY.nonce: expected a UInt32 (0..2^32-1), got -1',
    );
  });

  it('messageToJson shows a non-default form beside the value', () => {
    const der = tlv(
      0x6c,
      tlv(
        0x30,
        tlv(0xa1, Uint8Array.of(0x02, 0x01, 0x05)),
        tlv(0xa2, Uint8Array.of(0x02, 0x01, 0x0c)),
        tlv(0xa4, reqBody(integer(0x94709c33, 'unsigned'))),
      ),
    );
    const json = K.messageToJson(K.decodeMessage(der)) as unknown as { reqBody: Record<string, unknown> };
    expect(json.reqBody.nonce).toBe(0x94709c33);
    expect(json.reqBody.nonceForm).toBe('unsigned');
  });
});

/** One UInt32 component of one type: how to set it and find it, its tag and its default form. */
interface UIntField {
  readonly type: string;
  readonly key: string;
  readonly tag: number;
  readonly dflt: Form;
  encode(v: number | undefined, f: Form | undefined): Uint8Array;
  /** The object that holds the field, in the decoded value. */
  decode(b: Uint8Array): Record<string, unknown>;
}

/** A field of `base` at `key` (inside `inner`, when given), set through `encode`. */
function uintField<T extends object>(
  type: string,
  key: string,
  tag: number,
  base: T,
  enc: (v: T) => Uint8Array,
  dec: (b: Uint8Array) => T,
  opts: { dflt?: Form; inner?: string } = {},
): UIntField {
  const set = (v: number | undefined, f: Form | undefined): T => {
    const fields = { [key]: v, [`${key}Form`]: f };
    if (opts.inner === undefined) return { ...base, ...fields };
    const b = base as Record<string, object>;
    return { ...base, [opts.inner]: { ...b[opts.inner], ...fields } };
  };
  return {
    type,
    key,
    tag,
    dflt: opts.dflt ?? 'unsigned',
    encode: (v, f) => enc(set(v, f)),
    decode: (b) => {
      const d = dec(b) as Record<string, Record<string, unknown>>;
      return opts.inner === undefined ? (d as Record<string, unknown>) : d[opts.inner]!;
    },
  };
}

const key: K.EncryptionKey = { keytype: 18, keyvalue: bytes(32, 7) };
const cksum: K.Checksum = { cksumtype: 16, checksum: bytes(12, 9) };
const encKdcRepPart: K.EncKdcRepPart = {
  key,
  lastReq: [],
  nonce: 0,
  flags: 0,
  authtime: T('2026-01-01T00:00:00Z'),
  endtime: T('2026-01-01T10:00:00Z'),
  srealm: realm,
  sname: alice,
};

/** Nonces (and kvno) default to the signed form, as MIT writes them and its decoders require. */
const SIGNED = { dflt: 'signed' } as const;

/** Every UInt32 component of the module (checked complete against the declarations below). */
const FIELDS: readonly UIntField[] = [
  uintField('EncryptedData', 'kvno', 1, ed(16, 1), K.encodeEncryptedData, K.decodeEncryptedData, {
    dflt: 'signed',
  }),
  uintField(
    'KDC-REQ-BODY',
    'nonce',
    7,
    { kdcOptions: 0, realm, till: T('2037-09-13T02:48:05Z'), nonce: 0, etype: [18] },
    K.encodeKdcReqBody,
    K.decodeKdcReqBody,
    SIGNED,
  ),
  uintField(
    'EncKDCRepPart',
    'nonce',
    2,
    encKdcRepPart,
    (v) => K.encodeEncKdcRepPart(v, 26),
    K.decodeEncKdcRepPart,
    SIGNED,
  ),
  uintField(
    'Authenticator',
    'seqNumber',
    7,
    { authenticatorVno: 5, crealm: realm, cname: alice, cusec: 1, ctime: T('2026-01-01T00:00:00Z') },
    K.encodeAuthenticator,
    K.decodeAuthenticator,
  ),
  uintField(
    'EncAPRepPart',
    'seqNumber',
    3,
    { ctime: T('2026-01-01T00:00:00Z'), cusec: 0 },
    K.encodeEncApRepPart,
    K.decodeEncApRepPart,
  ),
  uintField(
    'KRB-SAFE-BODY',
    'seqNumber',
    3,
    { userData: bytes(3), sAddress: addr },
    K.encodeKrbSafeBody,
    K.decodeKrbSafeBody,
  ),
  uintField(
    'EncKrbPrivPart',
    'seqNumber',
    3,
    { userData: bytes(3), sAddress: addr },
    K.encodeEncKrbPrivPart,
    K.decodeEncKrbPrivPart,
  ),
  uintField(
    'EncKrbCredPart',
    'nonce',
    1,
    { ticketInfo: [{ key }] },
    K.encodeEncKrbCredPart,
    K.decodeEncKrbCredPart,
    SIGNED,
  ),
  uintField(
    'S4UUserID',
    'nonce',
    0,
    { userId: { nonce: 0, crealm: realm, cname: alice }, checksum: cksum },
    K.encodePaS4uX509User,
    K.decodePaS4uX509User,
    { ...SIGNED, inner: 'userId' },
  ),
  uintField(
    'KrbFastResponse',
    'nonce',
    3,
    { padata: [], nonce: 0 },
    K.encodeKrbFastResponse,
    K.decodeKrbFastResponse,
    SIGNED,
  ),
  uintField(
    'PKAuthenticator',
    'nonce',
    2,
    { pkAuthenticator: { cusec: 0, ctime: T('2026-01-01T00:00:00Z'), nonce: 0 } },
    K.encodeAuthPack,
    K.decodeAuthPack,
    { ...SIGNED, inner: 'pkAuthenticator' },
  ),
  uintField(
    'KDCDHKeyInfo',
    'nonce',
    1,
    { subjectPublicKey: Uint8Array.of(0x03, 0x01, 0x00), nonce: 0 },
    K.encodeKdcDhKeyInfo,
    K.decodeKdcDhKeyInfo,
    SIGNED,
  ),
  uintField(
    'KDC-PROXY-MESSAGE',
    'dclocatorHint',
    2,
    { kerbMessage: bytes(8) },
    K.encodeKdcProxyMessage,
    K.decodeKdcProxyMessage,
  ),
];

describe('every UInt32 component keeps the form it was read in', () => {
  for (const f of FIELDS) {
    it(`${f.type}.${f.key} [${f.tag}] (default ${f.dflt})`, () => {
      fc.assert(
        fc.property(uint32, form, (v, wire) => {
          const field = hex(tlv(0xa0 | f.tag, integer(v, wire)));
          const der = f.encode(v, wire);
          expect(hex(der)).toContain(field);
          const d = f.decode(der);
          expect(d[f.key]).toBe(v);
          expect(d[`${f.key}Form`]).toBe(recorded(v, wire, f.dflt));
          // Decoded, then encoded again (decoded values are the encoder's input type).
          expect(hex(f.encode(v, d[`${f.key}Form`] as Form | undefined))).toBe(hex(der));
          // With no form, the default one.
          expect(hex(f.encode(v, undefined))).toContain(hex(tlv(0xa0 | f.tag, integer(v, f.dflt))));
        }),
        { numRuns: 100 },
      );
    });
  }

  it('a 32-bit nonce given without a form goes out as MIT writes it and reads it (02 04 ...), unsigned only when asked', () => {
    const nonces = FIELDS.filter((f) => f.key === 'nonce');
    expect(nonces.map((f) => f.type)).toEqual([
      'KDC-REQ-BODY',
      'EncKDCRepPart',
      'EncKrbCredPart',
      'S4UUserID',
      'KrbFastResponse',
      'PKAuthenticator',
      'KDCDHKeyInfo',
    ]);
    for (const f of nonces) {
      const t = (0xa0 | f.tag).toString(16);
      expect(hex(f.encode(0x94709c33, undefined)), f.type).toContain(`${t}06020494709c33`);
      expect(hex(f.encode(0x94709c33, 'unsigned')), f.type).toContain(`${t}0702050094709c33`);
    }
  });

  it('a value decoded from its own default encoding carries no form (decode(encode(v)) equals v)', () => {
    for (const f of FIELDS) {
      const d = f.decode(f.encode(0xfedcba98, undefined));
      expect(d[`${f.key}Form`], f.type).toBeUndefined();
    }
  });

  it('the Ticket on the hot path: a kvno in the unsigned form (as Windows writes UInt32) is kept', () => {
    const ticketWith = (kvno: Uint8Array) =>
      tlv(
        0x61,
        tlv(
          0x30,
          tlv(0xa0, Uint8Array.of(0x02, 0x01, 0x05)),
          tlv(0xa1, tlv(0x1b, Uint8Array.from(Buffer.from(realm)))),
          tlv(0xa2, K.encodePrincipalName(alice)),
          tlv(
            0xa3,
            tlv(
              0x30,
              tlv(0xa0, Uint8Array.of(0x02, 0x01, 0x12)),
              tlv(0xa1, kvno),
              tlv(0xa2, tlv(0x04, bytes(200, 0x33))),
            ),
          ),
        ),
      );
    for (const wire of ['signed', 'unsigned'] as const) {
      const der = ticketWith(integer(0x80000001, wire));
      const t = K.decodeTicket(der);
      expect(t.encPart.kvno).toBe(0x80000001);
      expect(t.encPart.kvnoForm).toBe(wire === 'signed' ? undefined : 'unsigned');
      expect(hex(K.encodeTicket(t))).toBe(hex(der));
    }
  });

  it('the table covers every UInt32 component the declarations have', () => {
    // Read from the declarations' source, so a new UInt32 field without a line above fails here.
    const dir = fileURLToPath(new URL('../src/messages/', import.meta.url));
    const declared = readdirSync(dir)
      .flatMap((f) => [
        ...readFileSync(join(dir, f), 'utf8').matchAll(/field\((\d+), '([a-z-]+)', (uint32|nonce|kvno)\)/g),
      ])
      .map((m) => `[${m[1]}] ${m[2]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}`)
      .sort();
    expect(declared).toEqual(FIELDS.map((f) => `[${f.tag}] ${f.key}`).sort());
  });
});
