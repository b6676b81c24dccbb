/**
 * The RFC 4556 types: hand-built DER for the IMPLICIT OCTET STRING fields
 * (the one place the Kerberos modules leave EXPLICIT tagging), every type
 * encoded, checked by the asn1js oracle, decoded and re-encoded, the RFC
 * 8070 / 8636 extension fields, skipped unknown extensions, and strict
 * refusals.
 */

import {
  decodeAuthPack,
  decodeExternalPrincipalIdentifiers,
  decodeKdcDhKeyInfo,
  decodeKrb5PrincipalName,
  decodePaPkAsRep,
  decodePaPkAsReq,
  decodeReplyKeyPack,
  decodeTdDhParameters,
  encodeAuthPack,
  encodeExternalPrincipalIdentifiers,
  encodeKdcDhKeyInfo,
  encodeKrb5PrincipalName,
  encodePaPkAsRep,
  encodePaPkAsReq,
  encodeReplyKeyPack,
  encodeTdDhParameters,
  NameType,
  PkinitOid,
} from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, T0, thrown, unhex } from './helpers';

const spki = unhex('300d300706032b0601050003020000'); // a SEQUENCE standing in for SubjectPublicKeyInfo
const alg = unhex('300d06092a864886f70d0101010500');

describe('PKINIT types (RFC 4556 Appendix A)', () => {
  it('PA-PK-AS-REQ: signedAuthPack [0] and kdcPkId [2] are IMPLICIT OCTET STRINGs', () => {
    const der = encodePaPkAsReq({ signedAuthPack: unhex('3003020101'), kdcPkId: unhex('0102') }).slice();
    expect(hex(der)).toBe('300b80053003020101' + '82020102');
    expectOracle(der);
    const v = decodePaPkAsReq(der);
    expect(hex(v.signedAuthPack)).toBe('3003020101');
    expect(hex(v.kdcPkId!)).toBe('0102');
    expect(hex(encodePaPkAsReq(v))).toBe(hex(der));
  });

  it('PA-PK-AS-REQ with trustedCertifiers (explicit [1] SEQUENCE OF, implicit parts inside)', () => {
    const v = {
      signedAuthPack: unhex('3000'),
      trustedCertifiers: [{ subjectName: unhex('3000') }, { subjectKeyIdentifier: unhex('aabb') }],
    };
    const der = encodePaPkAsReq(v).slice();
    expectOracle(der);
    expect(hex(der)).toBe('3014' + '80023000' + 'a10e300c' + '30048002' + '3000' + '30048202aabb');
    expect(decodePaPkAsReq(der).trustedCertifiers).toEqual(v.trustedCertifiers);
    const list = encodeExternalPrincipalIdentifiers(v.trustedCertifiers).slice();
    expect(decodeExternalPrincipalIdentifiers(list)).toEqual(v.trustedCertifiers);
  });

  it('refuses an EXPLICIT [0] where the IMPLICIT OCTET STRING belongs', () => {
    const e = thrown(() => decodePaPkAsReq(unhex('3006a00404020101')));
    expect(e.message).toContain('PA-PK-AS-REQ');
  });

  it('AuthPack with every field, freshnessToken (RFC 8070) and supportedKDFs (RFC 8636)', () => {
    const v = {
      pkAuthenticator: {
        cusec: 123456,
        ctime: T0,
        nonce: 0x9470_9c33,
        paChecksum: new Uint8Array(20).fill(7),
        freshnessToken: unhex('deadbeef'),
      },
      clientPublicValue: spki,
      supportedCmsTypes: [alg],
      clientDhNonce: unhex('00112233'),
      supportedKdfs: [
        { kdfId: PkinitOid.id_pkinit_kdf_ah_sha256 },
        { kdfId: PkinitOid.id_pkinit_kdf_ah_sha1 },
      ],
    };
    const der = encodeAuthPack(v).slice();
    expectOracle(der);
    const back = decodeAuthPack(der);
    expect(back).toMatchObject(v);
    expect(hex(encodeAuthPack(back))).toBe(hex(der));
  });

  it('reads and writes MS-PKCA paChecksum2 [5], the hash named by its AlgorithmIdentifier', () => {
    const paChecksum2 = {
      checksum: new Uint8Array(32).fill(0xab),
      algorithmIdentifier: unhex('300d06096086480165030402010500'), // id-sha256, NULL parameters
    };
    const pkAuthenticator = { cusec: 0, ctime: T0, nonce: 1, paChecksum: new Uint8Array(20), paChecksum2 };
    const der = encodeAuthPack({ pkAuthenticator }).slice();
    expectOracle(der);
    // [5] { SEQUENCE { [0] OCTET STRING, [1] AlgorithmIdentifier } }
    expect(hex(der)).toContain(`a5373035a0220420${'ab'.repeat(32)}a10f300d0609`);
    expect(decodeAuthPack(der).pkAuthenticator.paChecksum2).toEqual(paChecksum2);
  });

  it('skips unknown extensions after the known fields (a [6])', () => {
    const base = encodeAuthPack({ pkAuthenticator: { cusec: 0, ctime: T0, nonce: 1 } }).slice();
    // Re-build PKAuthenticator with a trailing [5] and check it decodes.
    const inner = decodeAuthPack(base).pkAuthenticator;
    expect(inner.paChecksum).toBeUndefined();
    const pkAuth = base.subarray(4, base.length); // a0 LL 30 LL ...
    expect(pkAuth[0]).toBe(0x30);
    const extra = unhex('a6023000');
    const grown = new Uint8Array([0x30, pkAuth.length - 2 + extra.length, ...pkAuth.subarray(2), ...extra]);
    const wrapped = new Uint8Array([0x30, grown.length + 2, 0xa0, grown.length, ...grown]);
    expect(decodeAuthPack(wrapped).pkAuthenticator.nonce).toBe(1);
  });

  it('PA-PK-AS-REP: dhInfo with kdf, and the IMPLICIT encKeyPack alternative', () => {
    const dh = {
      dhInfo: {
        dhSignedData: unhex('3000'),
        serverDhNonce: unhex('01'),
        kdf: { kdfId: PkinitOid.id_pkinit_kdf_ah_sha512 },
      },
    };
    const der = encodePaPkAsRep(dh).slice();
    expectOracle(der);
    expect(hex(der).startsWith('a0')).toBe(true);
    expect(decodePaPkAsRep(der)).toEqual(dh);
    const enc = encodePaPkAsRep({ encKeyPack: unhex('3000') }).slice();
    expect(hex(enc)).toBe('81023000');
    expect(decodePaPkAsRep(enc)).toEqual({ encKeyPack: unhex('3000') });
  });

  it('KDCDHKeyInfo, KRB5PrincipalName and TD-DH-PARAMETERS round-trip', () => {
    const ki = { subjectPublicKey: unhex('030300abcd'), nonce: 42, dhKeyExpiration: T0 };
    const kder = encodeKdcDhKeyInfo(ki).slice();
    expectOracle(kder);
    expect(decodeKdcDhKeyInfo(kder)).toMatchObject(ki);
    const pn = {
      realm: 'PKI.TEST',
      principalName: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', 'PKI.TEST'] },
    };
    const pder = encodeKrb5PrincipalName(pn).slice();
    expectOracle(pder);
    expect(decodeKrb5PrincipalName(pder)).toEqual(pn);
    const td = encodeTdDhParameters([alg, alg]).slice();
    expect(decodeTdDhParameters(td).map(hex)).toEqual([hex(alg), hex(alg)]);
  });

  it('refuses a KDCDHKeyInfo whose subjectPublicKey is not a BIT STRING, and trailing bytes', () => {
    expect(() => decodeKdcDhKeyInfo(unhex('3009a0040402abcd a1030201 01'.replace(/ /g, '')))).toThrow(
      /BIT STRING|0x03/,
    );
    const good = encodeKdcDhKeyInfo({ subjectPublicKey: unhex('030100'), nonce: 1 }).slice();
    expect(thrown(() => decodeKdcDhKeyInfo(new Uint8Array([...good, 0]))).message).toContain('trailing');
  });
});

describe('ReplyKeyPack (RFC 4556 section 3.2.3.2)', () => {
  const v = {
    replyKey: { keytype: 18, keyvalue: new Uint8Array(32).fill(1) },
    asChecksum: { cksumtype: 16, checksum: new Uint8Array(12).fill(2) },
  };
  // Built by hand from the ASN.1: [0] EncryptionKey, [1] Checksum, each EXPLICIT.
  const der =
    '3046' +
    'a02b3029' +
    'a003020112' +
    `a1220420${'01'.repeat(32)}` +
    'a1173015' +
    'a003020110' +
    `a10e040c${'02'.repeat(12)}`;

  it('encodes as the ASN.1 says, decodes, and re-encodes to the same bytes', () => {
    const b = encodeReplyKeyPack(v).slice();
    expect(hex(b)).toBe(der);
    expectOracle(b);
    const back = decodeReplyKeyPack(b);
    expect(back).toEqual(v);
    expect(hex(encodeReplyKeyPack(back))).toBe(der);
  });

  it('skips an unknown extension after asChecksum (the type is extensible)', () => {
    const grown = unhex(`304a${der.slice(4)}a2023000`);
    expect(decodeReplyKeyPack(grown)).toEqual(v);
  });

  it('refuses damage with the field path and the wire code', () => {
    const cases: [string, string, RegExp][] = [
      [
        'a wrong tag inside asChecksum',
        der.replace('a003020110', 'a003040110'),
        /^ReplyKeyPack\.asChecksum\.cksumtype: expected INTEGER \(0x02\), got 0x04/,
      ],
      [
        'asChecksum under [2]',
        der.replace('a1173015', 'a2173015'),
        /^ReplyKeyPack\.asChecksum: expected \[1\]/,
      ],
      ['no asChecksum', `302da02b${der.slice(8, 8 + 86)}`, /^ReplyKeyPack\.asChecksum: /],
      [
        'a replyKey without keyvalue',
        `3022a0073005a003020112${der.slice(-50)}`,
        /^ReplyKeyPack\.replyKey\.keyvalue: /,
      ],
      ['a truncated value', der.slice(0, -6), /^ReplyKeyPack: length/],
      ['a trailing byte', `${der}00`, /^ReplyKeyPack: 1 trailing bytes/],
    ];
    for (const [what, bytes, message] of cases) {
      const e = thrown(() => decodeReplyKeyPack(unhex(bytes)));
      expect(e.message, what).toMatch(message);
      expect(e.code, what).toBe(60); // KRB_ERR_GENERIC, as every decoder reports
    }
  });
});

describe('PKINIT types: round-trip properties', () => {
  const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.from(b));
  const der = fc.uint8Array({ maxLength: 30 }).map((b) => Uint8Array.from([0x30, b.length, ...b]));
  const time = fc.integer({ min: 0, max: 4102444800 }).map((s) => s * 1000);
  const oidArb = fc.constantFrom(
    PkinitOid.id_pkinit_kdf_ah_sha1,
    PkinitOid.id_pkinit_kdf_ah_sha256,
    '1.2.3.4',
  );
  const pkAuthenticator = fc.record(
    {
      cusec: fc.integer({ min: 0, max: 999999 }),
      ctime: time,
      nonce: fc.integer({ min: 0, max: 0x7fffffff }),
      paChecksum: bytes,
      freshnessToken: bytes,
    },
    { requiredKeys: ['cusec', 'ctime', 'nonce'] },
  );
  const authPack = fc.record(
    {
      pkAuthenticator,
      clientPublicValue: der,
      supportedCmsTypes: fc.array(der, { maxLength: 3 }),
      clientDhNonce: bytes,
      supportedKdfs: fc.array(
        oidArb.map((kdfId) => ({ kdfId })),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ['pkAuthenticator'] },
  );

  it('ReplyKeyPack: decode(encode(v)) is v, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        bytes,
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        bytes,
        (keytype, keyvalue, cksumtype, checksum) => {
          const v = { replyKey: { keytype, keyvalue }, asChecksum: { cksumtype, checksum } };
          const b = encodeReplyKeyPack(v).slice();
          const d = decodeReplyKeyPack(b);
          expect(d).toEqual(v);
          expect(hex(encodeReplyKeyPack(d))).toBe(hex(b));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('AuthPack: decode(encode(v)) is v, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(authPack, (v) => {
        const b = encodeAuthPack(v).slice();
        const d = decodeAuthPack(b);
        expect(d).toMatchObject(v);
        expect(hex(encodeAuthPack(d))).toBe(hex(b));
      }),
      { numRuns: 200 },
    );
  });

  it('PA-PK-AS-REQ and PA-PK-AS-REP round-trip', () => {
    const epi = fc.record(
      { subjectName: der, issuerAndSerialNumber: der, subjectKeyIdentifier: bytes },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.record(
          { signedAuthPack: der, trustedCertifiers: fc.array(epi, { maxLength: 3 }), kdcPkId: bytes },
          { requiredKeys: ['signedAuthPack'] },
        ),
        fc.record({ dhSignedData: der, serverDhNonce: bytes }, { requiredKeys: ['dhSignedData'] }),
        der,
        (req, dhInfo, encKeyPack) => {
          const rb = encodePaPkAsReq(req).slice();
          expect(decodePaPkAsReq(rb)).toMatchObject(req);
          const pb = encodePaPkAsRep({ dhInfo }).slice();
          expect(hex(encodePaPkAsRep(decodePaPkAsRep(pb)))).toBe(hex(pb));
          const eb = encodePaPkAsRep({ encKeyPack }).slice();
          expect(decodePaPkAsRep(eb)).toEqual({ encKeyPack });
        },
      ),
      { numRuns: 200 },
    );
  });
});
