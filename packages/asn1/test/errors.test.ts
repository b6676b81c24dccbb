/**
 * Every failure is an Asn1Error with a field path and the right code; never
 * a RangeError, TypeError or hang. Inputs are built by encoding a valid
 * value and then breaking one thing.
 */

import {
  Asn1Error,
  type AuthorizationData,
  decodeAsReq,
  decodeDerTree,
  decodeEncKdcRepPart,
  decodeEncryptedData,
  decodeEtypeInfo2,
  decodeGssChecksum,
  decodeKdcReq,
  decodeKrbError,
  decodeMessage,
  decodePaEncTsEnc,
  decodePaPacRequest,
  decodePrincipalName,
  decodeTicket,
  decodeTypedData,
  encodeAsReq,
  encodeAuthorizationData,
  encodeEncryptedData,
  encodeEtypeInfo2,
  encodeGssChecksum,
  encodeKdcReq,
  encodeKpasswdMessage,
  encodeKrbError,
  encodeNegotiationToken,
  encodePaPacRequest,
  encodePrincipalName,
  encodeTicket,
  expandAuthorizationData,
  GSS_CHECKSUM_TYPE,
  Krb5TokenId,
  wrapGssToken,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { asReq, hex, T0, thrown, ticket, unhex } from './helpers';

/** Replaces the first occurrence of `from` (hex) in `bytes` with `to` (hex, same length). */
function patch(bytes: Uint8Array, from: string, to: string, nth = 0): Uint8Array {
  const h = hex(bytes);
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = h.indexOf(from, at + 1);
    while (at % 2 !== 0 && at >= 0) at = h.indexOf(from, at + 1);
  }
  expect(at, `pattern ${from}`).toBeGreaterThanOrEqual(0);
  return unhex(h.slice(0, at) + to + h.slice(at + from.length));
}

function expectAsn1(
  fn: () => unknown,
  path: string,
  reason: RegExp | string,
  code: number = ErrorCode.KRB_ERR_GENERIC,
) {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(Asn1Error);
  expect(e).toBeInstanceOf(KerberosError);
  expect(e.path).toBe(path);
  if (typeof reason === 'string') expect(e.reason).toBe(reason);
  else expect(e.reason).toMatch(reason);
  expect(e.code).toBe(code);
  expect(e.message).toBe(path === '' ? e.reason : `${path}: ${e.reason}`);
  return e;
}

describe('tags and structure', () => {
  it('names the exact field: AS-REQ.req-body.sname.name-string[1]', () => {
    const bytes = patch(encodeAsReq(asReq), '1b0b4558414d504c452e434f4d', '040b4558414d504c452e434f4d', 1);
    expectAsn1(
      () => decodeAsReq(bytes),
      'AS-REQ.req-body.sname.name-string[1]',
      'expected GeneralString (0x1b), got 0x04',
    );
  });

  it('wrong APPLICATION tag is KRB_AP_ERR_MSG_TYPE with expected and actual', () => {
    const e = expectAsn1(
      () => decodeTicket(encodeAsReq(asReq)),
      'Ticket',
      'expected [APPLICATION 1] (0x61), got 0x6a',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
    expect(e.code).toBe(40);
    expectAsn1(
      () => decodeAsReq(encodeKdcReq({ ...asReq, msgType: 12 })),
      'AS-REQ',
      'expected [APPLICATION 10] (0x6a), got 0x6c',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
    expectAsn1(
      () => decodeKdcReq(encodeTicket(ticket)),
      'KDC-REQ',
      'expected [APPLICATION 10] (0x6a) or [APPLICATION 12] (0x6c), got 0x61',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
  });

  it('msg-type that disagrees with the tag is KRB_AP_ERR_MSG_TYPE', () => {
    // msg-type [2] INTEGER 10 -> 12 inside an [APPLICATION 10]
    const bytes = patch(encodeAsReq(asReq), 'a20302010a', 'a20302010c');
    expectAsn1(
      () => decodeAsReq(bytes),
      'AS-REQ.msg-type',
      'msg-type 12 does not match the application tag, expected 10',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
  });

  it('pvno other than 5 is KRB_AP_ERR_BADVERSION (39)', () => {
    const bytes = patch(encodeAsReq(asReq), 'a103020105', 'a103020104');
    expectAsn1(
      () => decodeAsReq(bytes),
      'AS-REQ.pvno',
      'protocol version 4, expected 5',
      ErrorCode.KRB_AP_ERR_BADVERSION,
    );
    const t = patch(encodeTicket(ticket), 'a003020105', 'a003020106');
    expectAsn1(() => decodeTicket(t), 'Ticket.tkt-vno', 'protocol version 6, expected 5', 39);
  });

  it('unknown context tag in a SEQUENCE', () => {
    // Ticket.enc-part: relabel cipher [2] as [5]
    const bytes = patch(encodeEncryptedData(ticket.encPart), 'a22a', 'a52a');
    expectAsn1(() => decodeEncryptedData(bytes), 'EncryptedData.cipher', 'expected [2] (0xa2), got 0xa5');
    // An extra field after the last known one
    const base = encodePrincipalName({ nameType: 1, nameString: ['a'] });
    const extra = unhex(`30${(base[1]! + 5).toString(16)}${hex(base.subarray(2))}a203020101`);
    expectAsn1(
      () => decodePrincipalName(extra),
      'PrincipalName',
      'unexpected [2] (0xa2): unknown or out-of-order field',
    );
  });

  it('missing required field at the end of a SEQUENCE', () => {
    expectAsn1(
      () => decodePrincipalName(unhex('3005a003020101')),
      'PrincipalName.name-string',
      'expected [1] (0xa1), got end of input',
    );
  });

  it('two values inside one explicit tag', () => {
    expectAsn1(
      () => decodePrincipalName(unhex('300ca006020101020101a1023000')),
      'PrincipalName.name-type',
      '3 unexpected bytes after the value',
    );
  });

  it('CHOICE with no known alternative', () => {
    expect(thrown(() => decodeMessage(unhex('a0023000'))).code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
  });
});

describe('lengths and bounds', () => {
  const t = encodeTicket(ticket);

  it('truncated input', () => {
    expectAsn1(
      () => decodeTicket(t.subarray(0, t.length - 1)),
      'Ticket',
      `length ${t.length - 2} runs past the end (${t.length - 3} bytes left)`,
    );
    expectAsn1(
      () => decodeTicket(new Uint8Array(0)),
      'Ticket',
      'expected [APPLICATION 1] (0x61), got end of input',
      40,
    );
    expectAsn1(() => decodeTicket(unhex('61')), 'Ticket', 'truncated: no length octets');
  });

  it('an inner length that runs past its enclosing value', () => {
    const bytes = patch(t, '1b0b4558414d504c452e434f4d', '1b0f4558414d504c452e434f4d');
    expectAsn1(() => decodeTicket(bytes), 'Ticket.realm', 'length 15 runs past the end (11 bytes left)');
  });

  it('trailing bytes after the top-level value', () => {
    const bytes = unhex(`${hex(t)}00`);
    expectAsn1(() => decodeTicket(bytes), 'Ticket', '1 trailing bytes after the value');
  });

  it('indefinite length is rejected', () => {
    expectAsn1(
      () => decodeTicket(unhex(`6180${hex(t.subarray(2))}0000`)),
      'Ticket',
      'indefinite length (BER 0x80) is not allowed in DER',
    );
  });

  it('non-minimal lengths are rejected', () => {
    expectAsn1(
      () => decodeEncryptedData(unhex('308105a003020112')),
      'EncryptedData',
      'length 5 is not in the shortest form',
    );
    expectAsn1(
      () => decodeEncryptedData(unhex('30820005a003020112')),
      'EncryptedData',
      'length is not in the shortest form (leading 0x00)',
    );
    expectAsn1(
      () => decodeEncryptedData(unhex('3085000000000500')),
      'EncryptedData',
      'length of 5 octets is too large',
    );
  });

  it('oversized input (maxBytes, default 1 MiB)', () => {
    const big = new Uint8Array((1 << 20) + 1);
    expectAsn1(() => decodeTicket(big), 'Ticket', `input of ${big.length} bytes exceeds maxBytes 1048576`);
    expectAsn1(
      () => decodeTicket(t, { maxBytes: 10 }),
      'Ticket',
      `input of ${t.length} bytes exceeds maxBytes 10`,
    );
    expect(decodeTicket(t, { maxBytes: t.length })).toEqual(ticket);
  });

  it('a huge claimed length allocates nothing and fails', () => {
    expectAsn1(
      () => decodeEtypeInfo2(unhex('3084ffffff00')),
      'ETYPE-INFO2',
      'length 4294967040 runs past the end (0 bytes left)',
    );
  });

  it('deep nesting in the generic tree decoder', () => {
    let b = unhex('0500');
    for (let i = 0; i < 40; i++) b = unhex(`30${b.length.toString(16).padStart(2, '0')}${hex(b)}`);
    const e = thrown(() => decodeDerTree(b));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.reason).toBe('nesting deeper than maxDepth 32');
    expect(e.path).toBe(`DER${'[0]'.repeat(32)}`);
    expect(decodeDerTree(b, { maxDepth: 64 }).constructed).toBe(true);
  });

  it('deep nesting of AD-IF-RELEVANT containers', () => {
    let ad: AuthorizationData = [{ adType: 128, adData: new Uint8Array(4) }];
    for (let i = 0; i < 40; i++) ad = [{ adType: 1, adData: encodeAuthorizationData(ad) }];
    const e = thrown(() => expandAuthorizationData(ad));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.reason).toBe('authorization data nests deeper than maxDepth 32');
    expect(e.path).toMatch(/^AuthorizationData(\[0\]\.ad-data){32}$/);
    const ok = expandAuthorizationData(ad, { maxDepth: 64 });
    expect(ok[0]!.elements![0]!.adType).toBe(1);
  });

  it('a non-Uint8Array input', () => {
    expectAsn1(() => decodeTicket('abc' as never), 'Ticket', 'expected a Uint8Array to decode, got string');
  });
});

describe('primitive values', () => {
  it('GeneralizedTime that is not YYYYMMDDHHMMSSZ', () => {
    const ts = (text: string) => {
      const body = hex(new TextEncoder().encode(text));
      const n = body.length / 2;
      const h = (x: number) => x.toString(16).padStart(2, '0');
      return unhex(`30${h(n + 4)}a0${h(n + 2)}18${h(n)}${body}`);
    };
    expect(decodePaEncTsEnc(ts('20240102030405Z'))).toEqual({ patimestamp: T0, pausec: undefined });
    expect(decodePaEncTsEnc(ts('20240229235959Z')).patimestamp).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    for (const text of [
      '20240102030405.0Z', // fraction
      '20240102030405', // no Z
      '2024010203040Z', // 14 characters
      '20241302030405Z', // month 13
      '20240002030405Z', // month 0
      '20230229030405Z', // not a leap year
      '20240431030405Z', // April 31
      '20240102240405Z', // hour 24
      '20240102036005Z', // minute 60
      '20240102030460Z', // second 60
      '202401020304+5Z', // not a digit
      '20240102030405z', // lower-case z
    ]) {
      expectAsn1(
        () => decodePaEncTsEnc(ts(text)),
        'PA-ENC-TS-ENC.patimestamp',
        `GeneralizedTime "${text}" is not YYYYMMDDHHMMSSZ`,
      );
    }
  });

  it('integers that do not fit', () => {
    // Int32 etype of 5 octets
    expectAsn1(
      () => decodeEncryptedData(unhex('300da007020500ffffffffa2020400')),
      'EncryptedData.etype',
      'INTEGER of 5 octets does not fit Int32',
    );
    // UInt32 kvno 2^32
    expectAsn1(
      () => decodeEncryptedData(unhex('3012a003020112a107020501000000 00a2020400'.replace(' ', ''))),
      'EncryptedData.kvno',
      'INTEGER of 5 octets does not fit UInt32',
    );
    // UInt32 of 6 octets
    expectAsn1(
      () => decodeEncryptedData(unhex('3013a003020112a10802060000ffffffffa2020400')),
      'EncryptedData.kvno',
      /INTEGER of 6 octets does not fit UInt32|not in the shortest form/,
    );
    // non-minimal INTEGER
    expectAsn1(
      () => decodeEncryptedData(unhex('300aa00402020012a2020400')),
      'EncryptedData.etype',
      'INTEGER is not in the shortest form',
    );
    expectAsn1(
      () => decodeEncryptedData(unhex('3008a0020200a2020400')),
      'EncryptedData.etype',
      'empty INTEGER',
    );
    // Microseconds out of range
    const err = encodeKrbError({
      pvno: 5,
      msgType: 30,
      stime: T0,
      susec: 123456,
      errorCode: 25,
      realm: 'EXAMPLE.COM',
      sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
    });
    const e = thrown(() => decodeKrbError(patch(err, 'a505020301e240', 'a505020310e240')));
    expect(e.path).toBe('KRB-ERROR.susec');
    expect(e.reason).toBe('Microseconds 1106496 is out of range 0..999999');
  });

  it('BOOLEAN must be DER (0x00 or 0xff)', () => {
    expect(decodePaPacRequest(unhex('3005a0030101ff'))).toEqual({ includePac: true });
    expectAsn1(
      () => decodePaPacRequest(unhex('3005a003010101')),
      'KERB-PA-PAC-REQUEST.include-pac',
      'BOOLEAN 0x01 is not DER (0x00 or 0xff)',
    );
  });

  it('GeneralString that is not UTF-8', () => {
    expectAsn1(
      () => decodePrincipalName(unhex('300ca003020101a1053003 1b01ff'.replace(' ', ''))),
      'PrincipalName.name-string[0]',
      'GeneralString is not valid UTF-8',
    );
    expect(
      decodePrincipalName(encodePrincipalName({ nameType: 1, nameString: ['jösé', '用户'] })).nameString,
    ).toEqual(['jösé', '用户']);
  });

  it('BIT STRING with a bad unused-bits count', () => {
    const bytes = patch(encodeAsReq(asReq), 'a0070305004081', 'a0070305084081');
    expectAsn1(
      () => decodeAsReq(bytes),
      'AS-REQ.req-body.kdc-options',
      'BIT STRING has a bad unused-bits count 8',
    );
  });

  it('SEQUENCE SIZE (1..MAX) OF', () => {
    expectAsn1(
      () => decodeEtypeInfo2(unhex('3000')),
      'ETYPE-INFO2',
      'SEQUENCE OF has 0 elements, at least 1 required',
    );
    expectAsn1(
      () => decodeTypedData(unhex('3000')),
      'TYPED-DATA',
      'SEQUENCE OF has 0 elements, at least 1 required',
    );
    expectAsn1(() => encodeEtypeInfo2([]), 'ETYPE-INFO2', 'SEQUENCE OF has 0 elements, at least 1 required');
  });

  it('EncKDCRepPart accepts only [APPLICATION 25] and [APPLICATION 26]', () => {
    expect(thrown(() => decodeEncKdcRepPart(encodeTicket(ticket))).code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
  });

  it('decodeMessage: unknown application tag', () => {
    expectAsn1(
      () => decodeMessage(unhex('7f2000')),
      'Kerberos message',
      'expected a Kerberos APPLICATION tag, got 0x7f',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
  });
});

describe('encoding bad values', () => {
  it('names the field of a bad value', () => {
    expectAsn1(
      () => encodeTicket({ ...ticket, sname: { nameType: 1, nameString: ['a', 7 as never] } }),
      'Ticket.sname.name-string[1]',
      'expected a string, got 7',
    );
    expectAsn1(
      () => encodeTicket({ ...ticket, encPart: { ...ticket.encPart, etype: 2 ** 31 } }),
      'Ticket.enc-part.etype',
      'expected an Int32 (-2^31..2^31-1), got 2147483648',
    );
    expectAsn1(
      () => encodeTicket({ ...ticket, realm: undefined as never }),
      'Ticket.realm',
      'expected a string, got undefined (missing)',
    );
    expectAsn1(
      () => encodeAsReq({ ...asReq, reqBody: { ...asReq.reqBody, till: T0 + 1 } }),
      'AS-REQ.req-body.till',
      'expected a KerberosTime (whole seconds in ms, years 0000..9999), got 1704164645001',
    );
    expectAsn1(
      () => encodeAsReq({ ...asReq, msgType: 12 } as never),
      'AS-REQ',
      'msg-type 12 is not one of 10',
      ErrorCode.KRB_AP_ERR_MSG_TYPE,
    );
    expectAsn1(
      () => encodeAuthorizationData([{ adType: 1, adData: 'x' as never }]),
      'AuthorizationData[0].ad-data',
      'expected a Uint8Array, got "x"',
    );
  });

  it('says what it got, for each kind of field', () => {
    const krbError = {
      pvno: 5,
      msgType: 30,
      stime: T0,
      susec: 0,
      errorCode: 25,
      realm: 'EXAMPLE.COM',
      sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
    } as const;
    const body = asReq.reqBody;
    const cases: [() => unknown, string, string][] = [
      [
        () => encodeEncryptedData({ etype: 18, kvno: 1.5, cipher: new Uint8Array(1) }),
        'EncryptedData.kvno',
        'expected a kvno (UInt32), got 1.5',
      ],
      [
        () => encodeKrbError({ ...krbError, susec: 1_000_000 }),
        'KRB-ERROR.susec',
        'expected Microseconds (0..999999), got 1000000',
      ],
      [
        () => encodePaPacRequest({ includePac: 'yes' as never }),
        'KERB-PA-PAC-REQUEST.include-pac',
        'expected a boolean, got "yes"',
      ],
      [
        () => encodeAsReq({ ...asReq, reqBody: { ...body, kdcOptions: null as never } }),
        'AS-REQ.req-body.kdc-options',
        'expected KerberosFlags (a 32-bit number), got null',
      ],
      [
        () => encodeAsReq({ ...asReq, reqBody: { ...body, etype: 18 as never } }),
        'AS-REQ.req-body.etype',
        'expected an array (SEQUENCE OF Int32), got 18',
      ],
      [
        () => encodeEncryptedData({ etype: 18, cipher: [1, 2] as never }),
        'EncryptedData.cipher',
        'expected a Uint8Array, got an array',
      ],
      [
        () => encodeEncryptedData({ etype: 18, cipher: {} as never }),
        'EncryptedData.cipher',
        'expected a Uint8Array, got object',
      ],
      [
        () => encodeNegotiationToken({ negTokenInit: { mechTypes: ['kerberos'] } }),
        'NegotiationToken.negTokenInit.mechTypes[0]',
        'expected an OBJECT IDENTIFIER in dotted form, got "kerberos"',
      ],
      [
        () => encodeNegotiationToken({ negTokenInit: { mechTypes: ['1.40.5'] } }),
        'NegotiationToken.negTokenInit.mechTypes[0]',
        'expected an OBJECT IDENTIFIER (second arc < 40), got "1.40.5"',
      ],
      [
        () => encodeNegotiationToken({ negTokenInit: { mechTypes: ['1.2.99999999999999999999'] } }),
        'NegotiationToken.negTokenInit.mechTypes[0]',
        'expected an OBJECT IDENTIFIER with safe-integer arcs, got "1.2.99999999999999999999"',
      ],
    ];
    for (const [fn, path, reason] of cases) expectAsn1(fn, path, reason);
  });

  it('the hand-written encoders (GSS framing, the 0x8003 checksum, kpasswd, SPNEGO) report the same way', () => {
    const cases: [() => unknown, string, string][] = [
      [
        () => encodeGssChecksum({ flags: 0, delegation: new Uint8Array(70_000) }),
        'GssChecksum.delegation',
        'a delegated KRB-CRED of 70000 octets does not fit Dlgth (at most 65535)',
      ],
      [
        () => encodeGssChecksum({ flags: 0, delegation: 'cred' as never }),
        'GssChecksum.delegation',
        'expected a Uint8Array, got "cred"',
      ],
      [
        () => encodeGssChecksum({ flags: 2 ** 32 }),
        'GssChecksum.flags',
        'expected 32 bits of GSS flags, got 4294967296',
      ],
      [
        () => encodeGssChecksum({ flags: 0, channelBindings: { applicationData: undefined as never } }),
        'GssChecksum.channelBindings.applicationData',
        'expected a Uint8Array, got undefined (missing)',
      ],
      [
        () => encodeGssChecksum(null as never),
        'GssChecksum',
        'expected GssChecksumOptions (object), got null',
      ],
      [
        () => wrapKrb5Token(Krb5TokenId.AP_REQ, undefined as never),
        'Krb5Token.message',
        'expected a Uint8Array, got undefined (missing)',
      ],
      // A string is not written as a zero byte.
      [
        () => wrapGssToken('1.2.3', 'x' as never),
        'InitialContextToken.innerContextToken',
        'expected a Uint8Array, got "x"',
      ],
      [
        () => encodeKpasswdMessage({ version: 1, ap: undefined as never, rest: new Uint8Array(0) }),
        'KpasswdMessage.ap',
        'expected a Uint8Array, got undefined (missing)',
      ],
      [
        () => encodeKpasswdMessage({ version: 0x10000, ap: new Uint8Array(0), rest: new Uint8Array(0) }),
        'KpasswdMessage.version',
        'expected a 2-byte version (0..65535), got 65536',
      ],
      [
        () => encodeKpasswdMessage({ version: 1, ap: new Uint8Array(0x8000), rest: new Uint8Array(0x8000) }),
        'KpasswdMessage',
        'a kpasswd message of 65542 bytes does not fit its 2-byte length',
      ],
      [
        () => encodeNegotiationToken(null as never),
        'NegotiationToken',
        'expected a NegotiationToken (object), got null',
      ],
      [
        () => encodeNegotiationToken({ negTokenInit: null as never }),
        'NegotiationToken.negTokenInit',
        'expected a NegTokenInit (object), got null',
      ],
    ];
    for (const [fn, path, reason] of cases) expectAsn1(fn, path, reason);
    // Not a checksum at all: the same, with the code of an unusable checksum.
    expectAsn1(
      () => decodeGssChecksum({ cksumtype: GSS_CHECKSUM_TYPE, checksum: undefined as never }),
      'Checksum.checksum',
      'expected a Uint8Array, got undefined (missing)',
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
    expectAsn1(
      () => decodeGssChecksum(7 as never),
      'Checksum',
      'expected a Checksum (object), got 7',
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  });
});
