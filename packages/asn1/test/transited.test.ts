import {
  addTransited,
  DOMAIN_X500_COMPRESS,
  decodeTransited,
  encodeTransited,
  transitedRealms,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('DOMAIN-X500-COMPRESS (RFC 4120 section 3.3.3.2)', () => {
  // The RFC's own examples.
  const domain = ['EDU', 'MIT.EDU', 'ATHENA.MIT.EDU', 'WASHINGTON.EDU', 'CS.WASHINGTON.EDU'];
  const x500 = ['/COM', '/COM/HP', '/COM/HP/APOLLO', '/COM/DEC'];

  it('encodes the domain-style example', () => {
    expect(encodeTransited(domain)).toBe('EDU,MIT.,ATHENA.,WASHINGTON.EDU,CS.');
  });

  it('decodes the domain-style example', () => {
    expect(decodeTransited('EDU,MIT.,ATHENA.,WASHINGTON.EDU,CS.')).toEqual(domain);
  });

  it('encodes and decodes the example without its end-points', () => {
    expect(encodeTransited(['EDU', 'MIT.EDU', 'WASHINGTON.EDU'])).toBe('EDU,MIT.,WASHINGTON.EDU');
    expect(decodeTransited('EDU,MIT.,WASHINGTON.EDU')).toEqual(['EDU', 'MIT.EDU', 'WASHINGTON.EDU']);
  });

  it('encodes and decodes the X.500 example', () => {
    expect(encodeTransited(x500)).toBe('/COM,/HP,/APOLLO, /COM/DEC');
    expect(decodeTransited('/COM,/HP,/APOLLO, /COM/DEC')).toEqual(x500);
    expect(decodeTransited('/COM,/HP')).toEqual(['/COM', '/COM/HP']);
  });

  it('keeps null subfields as empty entries', () => {
    expect(decodeTransited(',EDU, /COM,')).toEqual(['', 'EDU', '/COM', '']);
    expect(decodeTransited(',')).toEqual(['', '']);
  });

  it('escapes special characters and round-trips them', () => {
    const odd = ['A\\B', 'C,D', 'TRAILING.', ' LEADING'];
    const enc = encodeTransited(odd);
    expect(enc).toBe('A\\\\B,C\\,D,TRAILING\\.,\\ LEADING');
    expect(decodeTransited(enc)).toEqual(odd);
  });

  it('round-trips realistic AD realm paths', () => {
    const paths = [
      [],
      ['CONTOSO.COM'],
      ['CONTOSO.COM', 'CHILD.CONTOSO.COM', 'FABRIKAM.COM', 'KERBEROS.MICROSOFTONLINE.COM'],
      ['B.EXAMPLE', 'A.B.EXAMPLE', 'C.A.B.EXAMPLE', 'EXAMPLE'],
    ];
    for (const p of paths) expect(decodeTransited(encodeTransited(p))).toEqual(p);
    expect(encodeTransited(['CONTOSO.COM', 'CHILD.CONTOSO.COM'])).toBe('CONTOSO.COM,CHILD.');
  });

  it('adds the issuing realm unless it is the client realm', () => {
    const empty = { trType: DOMAIN_X500_COMPRESS, contents: new Uint8Array(0) };
    expect(text(addTransited(empty, 'CONTOSO.COM', 'CONTOSO.COM').contents)).toBe('');
    const one = addTransited(empty, 'B.COM', 'A.COM');
    expect(text(one.contents)).toBe('B.COM');
    const two = addTransited(one, 'C.B.COM', 'A.COM');
    expect(text(two.contents)).toBe('B.COM,C.');
    expect(transitedRealms(two)).toEqual(['B.COM', 'C.B.COM']);
    // Adding a realm already listed changes nothing.
    expect(text(addTransited(two, 'B.COM', 'A.COM').contents)).toBe('B.COM,C.');
  });

  it('refuses other transited encodings with KDC_ERR_TRTYPE_NOSUPP', () => {
    let err: unknown;
    try {
      transitedRealms({ trType: 2, contents: bytes('X') });
    } catch (e) {
      err = e;
    }
    expect(isKerberosError(err, ErrorCode.KDC_ERR_TRTYPE_NOSUPP)).toBe(true);
  });

  it('refuses contents that are not UTF-8 (two byte strings are never one realm), and keeps a BOM', () => {
    for (const contents of [Uint8Array.of(0xff, 0x2e, 0x43, 0x4f, 0x4d), Uint8Array.of(0xfe, 0x2e, 0x43)]) {
      expect(() => decodeTransited(contents)).toThrow(
        /malformed transited field: the contents are not UTF-8/,
      );
    }
    expect(decodeTransited(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toEqual(['\ufeffA']);
  });

  it('refuses a field whose names would come to the square of its length, before expanding them (KDC_ERR_TRTYPE_NOSUPP)', () => {
    // 60 KB: /a, /a/a, /a/a/a... 20001 names, 400 million characters in all: the refusal at the
    // 129th name says none past it was built.
    const t = { trType: DOMAIN_X500_COMPRESS, contents: bytes(`/a${',/a'.repeat(20_000)}`) };
    for (const f of [() => transitedRealms(t), () => addTransited(t, 'B', 'C')]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isKerberosError(err, ErrorCode.KDC_ERR_TRTYPE_NOSUPP)).toBe(true);
      expect((err as Error).message).toBe('transited field too long: it lists more than 128 realms');
    }
    // Few realms, long names: 64 names of up to 64 KB each from a field of 64 KB.
    const long = `/${'a'.repeat(1000)}`;
    expect(() => decodeTransited(`${long}${`,${long}`.repeat(63)}`)).toThrow(
      'transited field too long: its realm names come to more than 65536 characters',
    );
    // A field longer than that itself is refused before it is read.
    expect(() => decodeTransited(new Uint8Array(65537).fill(0x41))).toThrow(
      'transited field too long: 65537 bytes, more than 65536',
    );
  });

  it('reads up to 128 realms, and does not add a 129th', () => {
    const realms = Array.from({ length: 128 }, (_, i) => `R${i}.EXAMPLE`);
    const full = { trType: DOMAIN_X500_COMPRESS, contents: bytes(encodeTransited(realms)) };
    expect(transitedRealms(full)).toEqual(realms);
    // One already listed, or the client's realm: nothing to add.
    expect(addTransited(full, 'R5.EXAMPLE', 'A.COM').contents).toBe(full.contents);
    expect(addTransited(full, 'A.COM', 'A.COM').contents).toBe(full.contents);
    let err: unknown;
    try {
      addTransited(full, 'B.COM', 'A.COM');
    } catch (e) {
      err = e;
    }
    expect(isKerberosError(err, ErrorCode.KDC_ERR_TRTYPE_NOSUPP)).toBe(true);
    expect(() => decodeTransited(encodeTransited([...realms, 'B.COM']))).toThrow(
      'transited field too long: it lists more than 128 realms',
    );
    const most = { trType: DOMAIN_X500_COMPRESS, contents: bytes(encodeTransited(realms.slice(1))) };
    expect(transitedRealms(addTransited(most, 'B.COM', 'A.COM'))).toEqual([...realms.slice(1), 'B.COM']);
  });
});
