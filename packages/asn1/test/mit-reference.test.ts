/**
 * MIT krb5's canonical encodings (test/vectors/mit-reference.ts): each one
 * decodes, re-encodes to the same bytes, and the asn1js oracle agrees with
 * the structure. Spot checks on decoded values catch field mix-ups.
 */

import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, unhex } from './helpers';
import { MIT_REFERENCE } from './vectors/mit-reference';

type Pair = [(b: Uint8Array) => unknown, (v: never) => Uint8Array];
const CODECS: Record<string, Pair> = {
  Authenticator: [K.decodeAuthenticator, K.encodeAuthenticator],
  Ticket: [K.decodeTicket, K.encodeTicket],
  EncryptionKey: [K.decodeEncryptionKey, K.encodeEncryptionKey],
  EncTicketPart: [K.decodeEncTicketPart, K.encodeEncTicketPart],
  EncKdcRepPart: [K.decodeEncKdcRepPart, K.encodeEncKdcRepPart],
  AsRep: [K.decodeAsRep, K.encodeAsRep],
  TgsRep: [K.decodeTgsRep, K.encodeTgsRep],
  ApReq: [K.decodeApReq, K.encodeApReq],
  ApRep: [K.decodeApRep, K.encodeApRep],
  EncApRepPart: [K.decodeEncApRepPart, K.encodeEncApRepPart],
  AsReq: [K.decodeAsReq, K.encodeAsReq],
  TgsReq: [K.decodeTgsReq, K.encodeTgsReq],
  KdcReqBody: [K.decodeKdcReqBody, K.encodeKdcReqBody],
  KrbSafe: [K.decodeKrbSafe, K.encodeKrbSafe],
  KrbPriv: [K.decodeKrbPriv, K.encodeKrbPriv],
  EncKrbPrivPart: [K.decodeEncKrbPrivPart, K.encodeEncKrbPrivPart],
  KrbCred: [K.decodeKrbCred, K.encodeKrbCred],
  EncKrbCredPart: [K.decodeEncKrbCredPart, K.encodeEncKrbCredPart],
  KrbError: [K.decodeKrbError, K.encodeKrbError],
  AuthorizationData: [K.decodeAuthorizationData, K.encodeAuthorizationData],
  MethodData: [K.decodeMethodData, K.encodeMethodData],
  TypedData: [K.decodeTypedData, K.encodeTypedData],
  EtypeInfo: [K.decodeEtypeInfo, K.encodeEtypeInfo],
  EtypeInfo2: [K.decodeEtypeInfo2, K.encodeEtypeInfo2],
  PaEncTsEnc: [K.decodePaEncTsEnc, K.encodePaEncTsEnc],
  EncryptedData: [K.decodeEncryptedData, K.encodeEncryptedData],
  PaForUser: [K.decodePaForUser, K.encodePaForUser],
  PaS4uX509User: [K.decodePaS4uX509User, K.encodePaS4uX509User],
  AdKdcIssued: [K.decodeAdKdcIssued, K.encodeAdKdcIssued],
  KrbFastResponse: [K.decodeKrbFastResponse, K.encodeKrbFastResponse],
  PaFxFastReply: [K.decodePaFxFastReply, K.encodePaFxFastReply],
};

const T_1994 = Date.UTC(1994, 5, 10, 6, 3, 17);
const HFTSAI = { nameType: 1, nameString: ['hftsai', 'extra'] };
const te = (s: string) => new TextEncoder().encode(s);

describe('MIT reference encodings', () => {
  for (const v of MIT_REFERENCE) {
    it(`${v.name}: decodes, re-encodes byte-identically, asn1js agrees`, () => {
      const pair = CODECS[v.codec];
      expect(pair, v.codec).toBeDefined();
      const [dec, enc] = pair!;
      const bytes = unhex(v.hex);
      const value = dec(bytes);
      expect(hex(enc(value as never))).toBe(v.hex);
      expectOracle(bytes);
    });
  }

  const get = (name: string) => unhex(MIT_REFERENCE.find((v) => v.name === name)!.hex);

  it('authenticator values', () => {
    const a = K.decodeAuthenticator(get('authenticator'));
    expect(a).toEqual({
      authenticatorVno: 5,
      crealm: 'ATHENA.MIT.EDU',
      cname: HFTSAI,
      cksum: { cksumtype: 1, checksum: te('1234') },
      cusec: 123456,
      ctime: T_1994,
      subkey: { keytype: 1, keyvalue: te('12345678') },
      seqNumber: 17,
      authorizationData: [
        { adType: 1, adData: te('foobar') },
        { adType: 1, adData: te('foobar') },
      ],
    });
  });

  it('ticket values', () => {
    expect(K.decodeTicket(get('ticket'))).toEqual({
      tktVno: 5,
      realm: 'ATHENA.MIT.EDU',
      sname: HFTSAI,
      encPart: { etype: 0, kvno: 5, cipher: te('krbASN.1 test message') },
    });
  });

  it('enc_tkt_part values', () => {
    const e = K.decodeEncTicketPart(get('enc_tkt_part'));
    expect(e.flags).toBe(0xfedcba98);
    expect(e.transited).toEqual({ trType: 1, contents: te('EDU,MIT.,ATHENA.,WASHINGTON.EDU,CS.') });
    expect([e.authtime, e.starttime, e.endtime, e.renewTill]).toEqual([T_1994, T_1994, T_1994, T_1994]);
    expect(e.caddr).toEqual([
      { addrType: 2, address: Uint8Array.of(0x12, 0xd0, 0x00, 0x23) },
      { addrType: 2, address: Uint8Array.of(0x12, 0xd0, 0x00, 0x23) },
    ]);
    const n = K.decodeEncTicketPart(get('enc_tkt_part(optionals NULL)'));
    expect(n.starttime).toBeUndefined();
    expect(n.renewTill).toBeUndefined();
    expect(n.caddr).toBeUndefined();
    expect(n.authorizationData).toBeUndefined();
  });

  it('MIT tags EncKDCRepPart as [APPLICATION 26]; the decoder records it and re-encodes it', () => {
    const bytes = get('enc_kdc_rep_part');
    const e = K.decodeEncKdcRepPart(bytes);
    expect(e.appTag).toBe(26);
    expect(e.lastReq).toEqual([
      { lrType: -5, lrValue: T_1994 },
      { lrType: -5, lrValue: T_1994 },
    ]);
    expect(e.nonce).toBe(42);
    expect(e.srealm).toBe('ATHENA.MIT.EDU');
    expect(K.encodeEncAsRepPart(e)[0]).toBe(0x79);
    expect(hex(K.encodeEncTgsRepPart(e))).toBe(hex(bytes));
    expect(hex(K.encodeEncKdcRepPart(e, 25)).slice(2)).toBe(hex(bytes).slice(2));
  });

  it('as_req values and reqBodyDer', () => {
    const bytes = get('as_req');
    const r = K.decodeAsReq(bytes);
    expect(r.msgType).toBe(10);
    expect(r.padata).toEqual([
      { padataType: 13, padataValue: te('pa-data') },
      { padataType: 13, padataValue: te('pa-data') },
    ]);
    const b = r.reqBody;
    expect(b.kdcOptions).toBe(0xfedcba90);
    expect(b.nonce).toBe(42);
    expect(b.etype).toEqual([0, 1]);
    expect(b.additionalTickets).toHaveLength(2);
    expect(b.encAuthorizationData).toEqual({ etype: 0, kvno: 5, cipher: te('krbASN.1 test message') });
    // reqBodyDer is exactly the bytes after the [4] header: 0xa4 0x82 0x01 0xaa.
    const at = hex(bytes).indexOf('a48201aa') / 2 + 4;
    expect(hex(r.reqBodyDer!)).toBe(hex(bytes.subarray(at)));
    expect(hex(K.encodeKdcReqBody(b))).toBe(hex(r.reqBodyDer!));
  });

  it('kvno: MIT writes UInt32 kvno as signed 32-bit; we read and write it the same way', () => {
    expect(K.decodeEncryptedData(get('enc_data(MSB-set kvno)')).kvno).toBe(0xff000000);
    expect(K.decodeEncryptedData(get('enc_data(kvno=-1)')).kvno).toBe(0xffffffff);
  });

  it('error values', () => {
    const e = K.decodeKrbError(get('error'));
    expect(e.errorCode).toBe(60);
    expect(e.eText).toBe('krb5data');
    expect(e.eData).toEqual(te('krb5data'));
    expect(e.susec).toBe(123456);
  });

  it('s4u values', () => {
    const s = K.decodePaS4uX509User(get('pa_s4u_x509_user'));
    expect(s.userId.nonce).toBe(13243546);
    expect(s.userId.options).toBe(0x80000000);
    expect(s.userId.subjectCertificate).toEqual(te('pa_s4u_x509_user'));
  });

  it('fast_response values', () => {
    const f = K.decodeKrbFastResponse(get('fast_response'));
    expect(f.nonce).toBe(42);
    expect(f.finished?.usec).toBe(123456);
    expect(f.finished?.ticketChecksum.cksumtype).toBe(1);
    expect(K.decodePaFxFastReply(get('pa_fx_fast_reply')).armoredData.encFastRep.etype).toBe(0);
  });
});

describe('MIT reference: KKDCP message', () => {
  it('kkdcp_message decodes and re-encodes', () => {
    const as = MIT_REFERENCE.find((v) => v.name === 'as_req')!.hex;
    // The same structure as MIT's encode_krb5_kkdcp_message, built from the AS-REQ vector.
    const msg = { kerbMessage: unhex(as), targetDomain: 'krb5data' };
    const enc = K.encodeKdcProxyMessage(msg);
    expect(hex(enc).startsWith('308201fca08201ec048201e86a8201e4')).toBe(true);
    expect(hex(enc).endsWith('a10a1b086b7262356461746')).toBe(false);
    expect(hex(enc).endsWith('a10a1b086b72623564617461')).toBe(true);
    expect(K.decodeKdcProxyMessage(enc)).toEqual({ ...msg, dclocatorHint: undefined });
    expectOracle(enc);
  });
});
