/**
 * The generic paths: decodeDerTree / formatDerTree, decodeMessage /
 * encodeMessage dispatch, messageToJson and expandAuthorizationData.
 */

import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { hex, thrown, unhex } from './helpers';
import { MIT_REFERENCE } from './vectors/mit-reference';

const vec = (name: string) => unhex(MIT_REFERENCE.find((v) => v.name === name)!.hex);

describe('decodeDerTree', () => {
  it('renders any DER value', () => {
    const t = K.decodeDerTree(vec('ticket'));
    expect(t.tagClass).toBe('application');
    expect(t.tagNumber).toBe(1);
    expect(t.typeName).toBe('[APPLICATION 1]');
    const seq = t.children![0]!;
    expect(seq.typeName).toBe('SEQUENCE');
    expect(seq.children!.map((c) => c.typeName)).toEqual(['[0]', '[1]', '[2]', '[3]']);
    expect(seq.children![1]!.children![0]).toMatchObject({
      typeName: 'GeneralString',
      value: 'ATHENA.MIT.EDU',
    });
    expect(K.formatDerTree(t)).toBe(
      [
        '[APPLICATION 1] (92)',
        '  SEQUENCE (90)',
        '    [0] (3)',
        '      INTEGER (1): 5',
        '    [1] (16)',
        '      GeneralString (14): ATHENA.MIT.EDU',
        '    [2] (26)',
        '      SEQUENCE (24)',
        '        [0] (3)',
        '          INTEGER (1): 1',
        '        [1] (17)',
        '          SEQUENCE (15)',
        '            GeneralString (6): hftsai',
        '            GeneralString (5): extra',
        '    [3] (37)',
        '      SEQUENCE (35)',
        '        [0] (3)',
        '          INTEGER (1): 0',
        '        [1] (3)',
        '          INTEGER (1): 5',
        '        [2] (23)',
        '          OCTET STRING (21): 6b726241534e2e312074657374206d657373616765',
      ].join('\n'),
    );
  });

  it('renders the other universal types', () => {
    const t = K.decodeDerTree(
      unhex(
        '3026 0101ff 0500 0603 2a0304 0a01fe 180f32303234303130323033303430355a 0c02c3a9 9f2001aa'.replace(
          / /g,
          '',
        ),
      ),
    );
    expect(t.children!.map((c) => [c.typeName, c.value])).toEqual([
      ['BOOLEAN', 'TRUE'],
      ['NULL', ''],
      ['OBJECT IDENTIFIER', '1.2.3.4'],
      ['ENUMERATED', '-2'],
      ['GeneralizedTime', '20240102030405Z'],
      ['UTF8String', 'é'],
      ['context 32', 'aa'],
    ]);
    const big = K.decodeDerTree(unhex(`0209 00${'ff'.repeat(8)}`.replace(' ', '')));
    expect(big.value).toBe(`0x00${'ff'.repeat(8)}`);
    expect(K.decodeDerTree(unhex('020180')).value).toBe('-128');
  });

  it('errors carry child-index paths', () => {
    const e = (() => {
      try {
        K.decodeDerTree(unhex('300430020201'));
      } catch (x) {
        return x as K.Asn1Error;
      }
      return undefined;
    })();
    expect(e?.path).toBe('DER[0][0]');
    expect(e?.reason).toBe('length 1 runs past the end (0 bytes left)');
  });
});

describe('decodeMessage / encodeMessage', () => {
  const cases: [string, string][] = [
    ['ticket', 'Ticket'],
    ['authenticator', 'Authenticator'],
    ['enc_tkt_part', 'EncTicketPart'],
    ['as_req', 'AS-REQ'],
    ['as_rep', 'AS-REP'],
    ['tgs_req(optionals NULL except second_ticket)', 'TGS-REQ'],
    ['tgs_rep', 'TGS-REP'],
    ['ap_req', 'AP-REQ'],
    ['ap_rep', 'AP-REP'],
    ['ap_rep_enc_part', 'EncAPRepPart'],
    ['enc_kdc_rep_part', 'EncTGSRepPart'],
    ['safe', 'KRB-SAFE'],
    ['priv', 'KRB-PRIV'],
    ['enc_priv_part', 'EncKrbPrivPart'],
    ['cred', 'KRB-CRED'],
    ['enc_cred_part(optionals NULL)', 'EncKrbCredPart'],
    ['error', 'KRB-ERROR'],
  ];
  for (const [name, type] of cases) {
    it(`${name} is a ${type}`, () => {
      const b = vec(name);
      const m = K.decodeMessage(b);
      expect(m.type).toBe(type);
      expect(hex(K.encodeMessage(m))).toBe(hex(b));
    });
  }

  it('EncASRepPart by tag 25', () => {
    const b = vec('enc_kdc_rep_part').slice();
    b[0] = 0x79;
    const m = K.decodeMessage(b);
    expect(m.type).toBe('EncASRepPart');
    expect(hex(K.encodeMessage(m))).toBe(hex(b));
  });
});

describe('messageToJson', () => {
  it('renders times, flags, names, bytes and nested values', () => {
    const j = K.messageToJson(K.decodeMessage(vec('as_req')));
    expect(j.type).toBe('AS-REQ');
    const body = j.reqBody as Record<string, K.Json>;
    expect(body.till).toBe('1994-06-10T06:03:17Z');
    // 0xfedcba90: named bits in table order, then the unnamed ones
    expect(body.kdcOptions).toEqual([
      'reserved',
      'forwardable',
      'forwarded',
      'proxiable',
      'proxy',
      'allow-postdate',
      'postdated',
      'renewable',
      'opt-hardware-auth',
      'request-anonymous',
      'renewable-ok',
      'bit9',
      'bit12',
      'bit13',
      'bit18',
      'bit19',
      'bit20',
      'bit22',
      'bit24',
    ]);
    expect(body.etype).toEqual([0, 1]);
    expect(body.etypeName).toEqual([null, 'des-cbc-crc']);
    expect((body.cname as Record<string, K.Json>).nameTypeName).toBe('NT_PRINCIPAL');
    expect((body.encAuthorizationData as Record<string, K.Json>).cipher).toBe(
      hex(new TextEncoder().encode('krbASN.1 test message')),
    );
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('decodes known PA-DATA values and e-data in place', () => {
    const etypeInfo = K.encodeEtypeInfo2([{ etype: 18, salt: 'EXAMPLE.COMalice' }]);
    const err: K.KrbErrorMessage = {
      pvno: 5,
      msgType: 30,
      stime: Date.UTC(2024, 0, 1),
      susec: 0,
      errorCode: 25,
      realm: 'EXAMPLE.COM',
      sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
      eData: K.encodeMethodData([
        { padataType: 19, padataValue: etypeInfo },
        { padataType: 2, padataValue: new Uint8Array(0) },
        { padataType: 128, padataValue: unhex('3005a0030101') },
      ]),
    };
    const j = K.messageToJson({ type: 'KRB-ERROR', value: err });
    expect(j.errorCodeName).toBe('KDC_ERR_PREAUTH_REQUIRED');
    const eData = j.eDataDecoded as Record<string, K.Json>[];
    expect(eData[0]!.padataTypeName).toBe('PA_ETYPE_INFO2');
    expect(eData[0]!.padataValueDecoded).toEqual([
      { etype: 18, etypeName: 'aes256-cts-hmac-sha1-96', salt: 'EXAMPLE.COMalice' },
    ]);
    expect(eData[1]!.padataValueDecoded).toBeUndefined();
    expect(eData[2]!.padataValueDecodedError).toBe(
      'KERB-PA-PAC-REQUEST: length 5 runs past the end (4 bytes left)',
    );
  });

  it('decodes authorization-data containers', () => {
    const inner = K.encodeAuthorizationData([{ adType: 128, adData: unhex('0102') }]);
    const v = K.expandAuthorizationData([{ adType: 1, adData: inner }]);
    expect(v[0]!.elements).toEqual([{ adType: 128, adData: unhex('0102') }]);
    const etp = K.decodeEncTicketPart(vec('enc_tkt_part'));
    const m = K.messageToJson({
      type: 'EncTicketPart',
      value: { ...etp, authorizationData: [{ adType: 1, adData: inner }] },
    });
    const ad = (m.authorizationData as Record<string, K.Json>[])[0]!;
    expect(ad.adTypeName).toBe('AD_IF_RELEVANT');
    expect(ad.adDataDecoded).toEqual([{ adType: 128, adTypeName: 'AD_WIN2K_PAC', adData: '0102' }]);
    expect(m.flags).toEqual(K.flagNames(K.TicketFlags, 0xfedcba98));
  });

  it("decodes an authenticator's RFC 4537 EtypeList and a Windows client's token restrictions", () => {
    const restriction = K.encodeLsapTokenInfoIntegrity({
      flags: 0,
      tokenIL: 0x2000,
      machineId: new Uint8Array(32),
    });
    const inner = K.encodeAuthorizationData([
      { adType: 129, adData: K.encodeEtypeList([18, 17]).slice() },
      { adType: 141, adData: K.encodeKerbAdRestrictions([{ restrictionType: 0, restriction }]).slice() },
    ]);
    const v = K.valueToJson('AuthorizationData', [{ adType: 1, adData: inner }]) as Record<string, K.Json>[];
    const [etypes, restrictions] = v[0]!.adDataDecoded as Record<string, K.Json>[];
    expect(etypes!.adDataDecoded).toEqual([18, 17]);
    expect(restrictions!.adTypeName).toBe('KERB_AUTH_DATA_TOKEN_RESTRICTIONS');
    expect(restrictions!.adDataDecoded).toEqual([
      { restrictionType: 0, restriction: Buffer.from(restriction).toString('hex') },
    ]);
  });

  it('expands AD-KDCIssued and AD-AND-OR, and names the element whose container does not decode', () => {
    const pac = [{ adType: 128, adData: unhex('0102') }];
    const kdcIssued = {
      adChecksum: { cksumtype: 16, checksum: unhex('00'.repeat(12)) },
      iRealm: 'CONTOSO.COM',
      iSname: { nameType: 2, nameString: ['krbtgt', 'CONTOSO.COM'] },
    };
    const v = K.expandAuthorizationData([
      { adType: K.AdType.AD_KDC_ISSUED, adData: K.encodeAdKdcIssued({ ...kdcIssued, elements: pac }) },
      { adType: K.AdType.AD_AND_OR, adData: K.encodeAdAndOr({ conditionCount: 1, elements: pac }) },
    ]);
    expect(v[0]).toMatchObject({ adType: K.AdType.AD_KDC_ISSUED, kdcIssued, elements: pac });
    expect(v[0]!.kdcIssued).not.toHaveProperty('elements');
    expect(v[1]).toMatchObject({ adType: K.AdType.AD_AND_OR, conditionCount: 1, elements: pac });
    const e = thrown(() =>
      K.expandAuthorizationData([
        { adType: 128, adData: unhex('0102') },
        { adType: K.AdType.AD_AND_OR, adData: unhex('3003020101') }, // no elements [1]
      ]),
    );
    expect(e).toBeInstanceOf(K.Asn1Error);
    expect(e.message).toMatch(/^AuthorizationData\[1\]\.ad-data/);
  });

  it('a value shown decoded keeps the first 64 bytes of its hex and its length; one that does not decode keeps all', () => {
    const etypeInfo = K.encodeEtypeInfo2(
      [18, 17, 20, 19].map((etype) => ({ etype, salt: `EXAMPLE.COM${'x'.repeat(20)}` })),
    ).slice();
    const junk = new Uint8Array(100).fill(0x30);
    const eData = K.encodeMethodData([
      { padataType: K.PaDataType.PA_ETYPE_INFO2, padataValue: etypeInfo },
      { padataType: K.PaDataType.PA_PAC_REQUEST, padataValue: junk },
    ]).slice();
    expect(etypeInfo.length).toBeGreaterThan(64);
    const err: K.KrbErrorMessage = {
      pvno: 5,
      msgType: 30,
      stime: Date.UTC(2024, 0, 1),
      susec: 0,
      errorCode: 25,
      realm: 'EXAMPLE.COM',
      sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
      eData,
    };
    const j = K.messageToJson({ type: 'KRB-ERROR', value: err });
    expect(j.eData).toBe(`${hex(eData.subarray(0, 64))}...`);
    expect(j.eDataLength).toBe(eData.length);
    const [info, pac] = j.eDataDecoded as Record<string, K.Json>[];
    expect(info!.padataValue).toBe(`${hex(etypeInfo.subarray(0, 64))}...`);
    expect(info!.padataValueLength).toBe(etypeInfo.length);
    expect(info!.padataValueDecoded).toHaveLength(4);
    // Not decoded: the hex is all there is, so all of it stays.
    expect(pac!.padataValue).toBe(hex(junk));
    expect(pac!).not.toHaveProperty('padataValueLength');
    expect(pac!.padataValueDecodedError).toMatch(/^KERB-PA-PAC-REQUEST/);
  });

  it('valueToJson by type name', () => {
    const v = K.decodeEtypeInfo2(K.encodeEtypeInfo2([{ etype: 23 }]));
    expect(K.valueToJson('ETYPE-INFO2', v)).toEqual([{ etype: 23, etypeName: 'rc4-hmac' }]);
    expect(K.valueToJson('Ticket', K.decodeTicket(vec('ticket')))).toMatchObject({ realm: 'ATHENA.MIT.EDU' });
    expect(() => K.valueToJson('Nope' as never, {})).toThrow(K.Asn1Error);
  });
});

describe('messageToJson: values nested in one another stay bounded', () => {
  const krbError = (eData?: Uint8Array): Uint8Array =>
    K.encodeKrbError({
      pvno: 5,
      msgType: 30,
      stime: Date.UTC(2026, 0, 1),
      susec: 0,
      errorCode: 6,
      realm: 'R',
      sname: { nameType: 2, nameString: ['krbtgt', 'R'] },
      eData,
    }).slice();
  /** A KRB-ERROR whose e-data is METHOD-DATA { PA-FX-ERROR (137): a KRB-ERROR whose e-data ... }, `levels` deep. */
  const fxErrorChain = (levels: number): Uint8Array => {
    let m = krbError();
    for (let i = 0; i < levels; i++) {
      m = krbError(K.encodeMethodData([{ padataType: K.PaDataType.PA_FX_ERROR, padataValue: m }]).slice());
    }
    return m;
  };
  /** AuthorizationData { AD-IF-RELEVANT { AD-IF-RELEVANT { ... } } }, `levels` deep. */
  const ifRelevantChain = (levels: number): Uint8Array => {
    let ad = K.encodeAuthorizationData([{ adType: 128, adData: Uint8Array.of(0) }]).slice();
    for (let i = 0; i < levels; i++) {
      ad = K.encodeAuthorizationData([{ adType: K.AdType.AD_IF_RELEVANT, adData: ad }]).slice();
    }
    return ad;
  };
  type J = Record<string, K.Json>;
  /** Follows the decoded views down the KRB-ERROR chain: the innermost KRB-ERROR and how deep it is. */
  const innermostError = (j: J): [J, number] => {
    let v = j;
    let depth = 0;
    while (v.eDataDecoded !== undefined) {
      v = (v.eDataDecoded as J[])[0]!.padataValueDecoded as J;
      depth += 2;
    }
    return [v, depth];
  };
  it.each([100, 300, 1000])(
    'a KRB-ERROR with PA-FX-ERRORs %i deep: decoded 32 deep, then hex, in linear size',
    (levels) => {
      const bytes = fxErrorChain(levels);
      const json = JSON.stringify(K.messageToJson(K.decodeMessage(bytes)));
      // Every byte is written out as hex once (the innermost value not decoded) and the
      // rest as 64 bytes per level: about twice the input, not once per level it is inside.
      expect(json.length).toBeLessThan(3 * bytes.length);
      const [inner, depth] = innermostError(JSON.parse(json));
      expect(depth).toBe(K.DEFAULT_MAX_DEPTH);
      expect(inner.eDataDecodedError).toBe('nests deeper than maxDepth 32');
      expect(typeof inner.eData).toBe('string');
      expect(inner).not.toHaveProperty('eDataLength');
    },
  );

  it.each([100, 300, 1000])('AD-IF-RELEVANT %i deep (valueToJson): decoded 32 deep, then hex', (levels) => {
    const bytes = ifRelevantChain(levels);
    const json = JSON.stringify(K.valueToJson('AuthorizationData', K.decodeAuthorizationData(bytes)));
    expect(json.length).toBeLessThan(8 * bytes.length);
    let v = (JSON.parse(json) as J[])[0]!;
    let depth = 0;
    while (v.adDataDecoded !== undefined) {
      v = (v.adDataDecoded as J[])[0]!;
      depth++;
    }
    expect(depth).toBe(32);
    expect(v.adDataDecodedError).toBe('nests deeper than maxDepth 32');
  });

  it('maxDepth sets the limit', () => {
    const msg = K.decodeMessage(fxErrorChain(3));
    const none = K.messageToJson(msg, { maxDepth: 0 });
    expect(none).not.toHaveProperty('eDataDecoded');
    expect(none.eDataDecodedError).toBe('nests deeper than maxDepth 0');
    expect(innermostError(K.messageToJson(msg, { maxDepth: 2 }))[1]).toBe(2);
    // Deep enough for the whole chain: the innermost KRB-ERROR has no e-data.
    const [inner, depth] = innermostError(K.messageToJson(msg, { maxDepth: 100 }));
    expect(depth).toBe(6);
    expect(inner).not.toHaveProperty('eData');
    expect(inner).not.toHaveProperty('eDataDecodedError');
    const ad = K.decodeAuthorizationData(ifRelevantChain(5));
    expect(JSON.stringify(K.valueToJson('AuthorizationData', ad, { maxDepth: 1 }))).toContain(
      '"adDataDecodedError":"nests deeper than maxDepth 1"',
    );
  });
});
