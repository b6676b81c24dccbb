/**
 * Every message type, built by hand: the encoding is what asn1js (an
 * independent parser) reads, decoding gives the value back, and re-encoding
 * gives the same bytes. Small types are also checked against hand-written DER.
 */

import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, unhex } from './helpers';
import { addr, alice, body, bytes, ed, http, krbtgt, realm, T, ticket, ticket2 } from './samples';

const te = (s: string) => new TextEncoder().encode(s);
const key: K.EncryptionKey = { keytype: 18, keyvalue: bytes(32, 0x11) };
const cksum: K.Checksum = { cksumtype: 16, checksum: bytes(12, 0x22) };

const encPart: K.EncKdcRepPart = {
  appTag: 25,
  key,
  lastReq: [{ lrType: 0, lrValue: T('2024-03-01T00:00:00Z') }],
  nonce: 0xfffffffe,
  keyExpiration: T('2025-01-01T00:00:00Z'),
  flags: K.flagsOf(K.TicketFlags, ['forwardable', 'renewable', 'initial', 'pre-authent']),
  authtime: T('2024-03-01T00:00:00Z'),
  starttime: T('2024-03-01T00:00:01Z'),
  endtime: T('2024-03-01T10:00:00Z'),
  renewTill: T('2024-03-08T00:00:00Z'),
  srealm: realm,
  sname: krbtgt,
  caddr: [addr],
  encryptedPaData: [{ padataType: 149, padataValue: K.encodeChecksum(cksum) }],
};

type Case = [string, (v: never) => Uint8Array, (b: Uint8Array) => unknown, unknown];
const CASES: Case[] = [
  ['PrincipalName', K.encodePrincipalName, K.decodePrincipalName, http],
  ['EncryptedData', K.encodeEncryptedData, K.decodeEncryptedData, ed(16, 0xffffffff)],
  ['EncryptionKey', K.encodeEncryptionKey, K.decodeEncryptionKey, key],
  ['Checksum', K.encodeChecksum, K.decodeChecksum, cksum],
  ['HostAddress', K.encodeHostAddress, K.decodeHostAddress, addr],
  ['HostAddresses', K.encodeHostAddresses, K.decodeHostAddresses, [addr, addr]],
  [
    'TransitedEncoding',
    K.encodeTransitedEncoding,
    K.decodeTransitedEncoding,
    { trType: 1, contents: te('A.,B.') },
  ],
  ['LastReq', K.encodeLastReq, K.decodeLastReq, encPart.lastReq],
  ['PA-DATA', K.encodePaData, K.decodePaData, { padataType: 2, padataValue: K.encodeEncryptedData(ed(20)) }],
  ['Ticket', K.encodeTicket, K.decodeTicket, ticket],
  [
    'EncTicketPart',
    K.encodeEncTicketPart,
    K.decodeEncTicketPart,
    {
      flags: encPart.flags,
      key,
      crealm: realm,
      cname: alice,
      transited: { trType: 1, contents: new Uint8Array(0) },
      authtime: encPart.authtime,
      starttime: encPart.starttime,
      endtime: encPart.endtime,
      renewTill: encPart.renewTill,
      caddr: [addr],
      authorizationData: [
        { adType: 1, adData: K.encodeAuthorizationData([{ adType: 128, adData: bytes(100) }]) },
      ],
    },
  ],
  [
    'Authenticator',
    K.encodeAuthenticator,
    K.decodeAuthenticator,
    {
      authenticatorVno: 5,
      crealm: realm,
      cname: alice,
      cksum: { cksumtype: 0x8003, checksum: bytes(24, 0) },
      cusec: 999999,
      ctime: T('2024-03-01T00:00:00Z'),
      subkey: key,
      seqNumber: 0xffffffff,
      authorizationData: [{ adType: 143, adData: Uint8Array.of(0, 0x40, 0, 0) }],
    },
  ],
  ['KDC-REQ-BODY', K.encodeKdcReqBody, K.decodeKdcReqBody, body],
  [
    'AS-REP',
    K.encodeAsRep,
    K.decodeAsRep,
    {
      pvno: 5,
      msgType: 11,
      padata: [{ padataType: 19, padataValue: K.encodeEtypeInfo2([{ etype: 18, salt: `${realm}alice` }]) }],
      crealm: realm,
      cname: alice,
      ticket,
      encPart: ed(200, 1),
    },
  ],
  [
    'TGS-REP',
    K.encodeTgsRep,
    K.decodeTgsRep,
    { pvno: 5, msgType: 13, crealm: realm, cname: alice, ticket: ticket2, encPart: ed(150) },
  ],
  [
    'AP-REQ',
    K.encodeApReq,
    K.decodeApReq,
    {
      pvno: 5,
      msgType: 14,
      apOptions: K.ApOptions['mutual-required'],
      ticket: ticket2,
      authenticator: ed(120),
    },
  ],
  ['AP-REP', K.encodeApRep, K.decodeApRep, { pvno: 5, msgType: 15, encPart: ed(80) }],
  [
    'EncAPRepPart',
    K.encodeEncApRepPart,
    K.decodeEncApRepPart,
    { ctime: T('2024-03-01T00:00:00Z'), cusec: 5, subkey: key, seqNumber: 123 },
  ],
  [
    'KRB-ERROR',
    K.encodeKrbError,
    K.decodeKrbError,
    {
      pvno: 5,
      msgType: 30,
      ctime: T('2024-03-01T00:00:00Z'),
      cusec: 1,
      stime: T('2024-03-01T00:00:02Z'),
      susec: 2,
      errorCode: 25,
      crealm: realm,
      cname: alice,
      realm,
      sname: krbtgt,
      eText: 'NEEDED_PREAUTH',
      eData: K.encodeMethodData([
        { padataType: 2, padataValue: new Uint8Array(0) },
        {
          padataType: 19,
          padataValue: K.encodeEtypeInfo2([{ etype: 18, salt: 'x', s2kparams: Uint8Array.of(0, 0, 16, 0) }]),
        },
      ]),
    },
  ],
  ['METHOD-DATA', K.encodeMethodData, K.decodeMethodData, [{ padataType: 133, padataValue: te('cookie') }]],
  [
    'TYPED-DATA',
    K.encodeTypedData,
    K.decodeTypedData,
    [{ dataType: 104 }, { dataType: 105, dataValue: te('x') }],
  ],
  [
    'KERB-ERROR-DATA',
    K.encodeKerbErrorData,
    K.decodeKerbErrorData,
    { dataType: K.KERB_ERR_TYPE_EXTENDED, dataValue: K.encodeKerbExtError(0xc0000072) },
  ],
  [
    'KRB-SAFE',
    K.encodeKrbSafe,
    K.decodeKrbSafe,
    {
      pvno: 5,
      msgType: 20,
      safeBody: {
        userData: te('hello'),
        timestamp: T('2024-03-01T00:00:00Z'),
        usec: 7,
        seqNumber: 9,
        sAddress: addr,
        rAddress: addr,
      },
      cksum,
    },
  ],
  ['KRB-PRIV', K.encodeKrbPriv, K.decodeKrbPriv, { pvno: 5, msgType: 21, encPart: ed(30) }],
  [
    'EncKrbPrivPart',
    K.encodeEncKrbPrivPart,
    K.decodeEncKrbPrivPart,
    { userData: te('hi'), seqNumber: 1, sAddress: addr },
  ],
  [
    'KRB-CRED',
    K.encodeKrbCred,
    K.decodeKrbCred,
    { pvno: 5, msgType: 22, tickets: [ticket, ticket2], encPart: { etype: 0, cipher: bytes(50) } },
  ],
  [
    'EncKrbCredPart',
    K.encodeEncKrbCredPart,
    K.decodeEncKrbCredPart,
    {
      ticketInfo: [
        {
          key,
          prealm: realm,
          pname: alice,
          flags: encPart.flags,
          authtime: encPart.authtime,
          starttime: encPart.starttime,
          endtime: encPart.endtime,
          renewTill: encPart.renewTill,
          srealm: realm,
          sname: krbtgt,
          caddr: [addr],
        },
        { key },
      ],
      nonce: 77,
      timestamp: encPart.authtime,
      usec: 0,
      sAddress: addr,
      rAddress: addr,
    },
  ],
  [
    'PA-ENC-TS-ENC',
    K.encodePaEncTsEnc,
    K.decodePaEncTsEnc,
    { patimestamp: T('2024-03-01T00:00:00Z'), pausec: 12 },
  ],
  [
    'ETYPE-INFO2',
    K.encodeEtypeInfo2,
    K.decodeEtypeInfo2,
    [{ etype: 18, salt: 'ALPHA.TESTalice' }, { etype: 23 }],
  ],
  ['ETYPE-INFO', K.encodeEtypeInfo, K.decodeEtypeInfo, [{ etype: 3, salt: te('salt') }, { etype: 23 }]],
  ['KERB-PA-PAC-REQUEST', K.encodePaPacRequest, K.decodePaPacRequest, { includePac: false }],
  [
    'PA-PAC-OPTIONS',
    K.encodePaPacOptions,
    K.decodePaPacOptions,
    { flags: (K.PacOptions.claims | K.PacOptions['resource-based-constrained-delegation']) >>> 0 },
  ],
  [
    'PA-FOR-USER',
    K.encodePaForUser,
    K.decodePaForUser,
    {
      userName: alice,
      userRealm: realm,
      cksum: { cksumtype: -138, checksum: bytes(16) },
      authPackage: 'Kerberos',
    },
  ],
  [
    'PA-S4U-X509-USER',
    K.encodePaS4uX509User,
    K.decodePaS4uX509User,
    {
      userId: { nonce: 42, cname: alice, crealm: realm, subjectCertificate: bytes(10), options: 0x20000000 },
      checksum: cksum,
    },
  ],
  [
    'PA-FX-FAST-REQUEST',
    K.encodePaFxFastRequest,
    K.decodePaFxFastRequest,
    {
      armoredData: { armor: { armorType: 1, armorValue: bytes(30) }, reqChecksum: cksum, encFastReq: ed(90) },
    },
  ],
  ['KrbFastArmor', K.encodeKrbFastArmor, K.decodeKrbFastArmor, { armorType: 1, armorValue: bytes(3) }],
  [
    'KrbFastArmoredReq',
    K.encodeKrbFastArmoredReq,
    K.decodeKrbFastArmoredReq,
    { reqChecksum: cksum, encFastReq: ed(9) },
  ],
  [
    'KrbFastReq',
    K.encodeKrbFastReq,
    K.decodeKrbFastReq,
    { fastOptions: K.FastOptions['hide-client-names'], padata: [], reqBody: K.encodeKdcReqBody(body) },
  ],
  ['PA-FX-FAST-REPLY', K.encodePaFxFastReply, K.decodePaFxFastReply, { armoredData: { encFastRep: ed(70) } }],
  ['KrbFastArmoredRep', K.encodeKrbFastArmoredRep, K.decodeKrbFastArmoredRep, { encFastRep: ed(7) }],
  [
    'KrbFastResponse',
    K.encodeKrbFastResponse,
    K.decodeKrbFastResponse,
    {
      padata: [{ padataType: 133, padataValue: te('c') }],
      strengthenKey: key,
      finished: { timestamp: encPart.authtime, usec: 3, crealm: realm, cname: alice, ticketChecksum: cksum },
      nonce: 1,
    },
  ],
  [
    'KrbFastFinished',
    K.encodeKrbFastFinished,
    K.decodeKrbFastFinished,
    { timestamp: encPart.authtime, usec: 3, crealm: realm, cname: alice, ticketChecksum: cksum },
  ],
  [
    'AD-KDCIssued',
    K.encodeAdKdcIssued,
    K.decodeAdKdcIssued,
    { adChecksum: cksum, iRealm: realm, iSname: krbtgt, elements: [{ adType: 128, adData: bytes(8) }] },
  ],
  [
    'AD-AND-OR',
    K.encodeAdAndOr,
    K.decodeAdAndOr,
    { conditionCount: 1, elements: [{ adType: 1, adData: bytes(2) }] },
  ],
  [
    'KDC-PROXY-MESSAGE',
    K.encodeKdcProxyMessage,
    K.decodeKdcProxyMessage,
    { kerbMessage: bytes(40), targetDomain: realm, dclocatorHint: 0x80000000 },
  ],
];

/** toEqual, after dropping the keys a decoder adds (reqBodyDer) and undefined values. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v instanceof Uint8Array) return hex(v);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && k !== 'reqBodyDer') out[k] = clean(x);
    return out;
  }
  return v;
}

describe('every type: encode, asn1js oracle, decode, re-encode', () => {
  for (const [name, enc, dec, value] of CASES) {
    it(name, () => {
      const b = enc(value as never);
      expectOracle(b);
      const back = dec(b);
      expect(clean(back)).toEqual(clean(value));
      expect(hex(enc(back as never))).toBe(hex(b));
    });
  }

  it('AS-REQ and TGS-REQ with reqBodyDer', () => {
    const as: K.AsReq = {
      pvno: 5,
      msgType: 10,
      padata: [{ padataType: 128, padataValue: unhex('3005a0030101ff') }],
      reqBody: body,
    };
    const b = K.encodeAsReq(as);
    expectOracle(b);
    const d = K.decodeAsReq(b);
    expect(clean(d)).toEqual(clean(as));
    expect(hex(d.reqBodyDer!)).toBe(hex(K.encodeKdcReqBody(body)));
    expect(hex(K.encodeAsReq({ ...d, reqBodyDer: new Uint8Array(1) }))).toBe(hex(b));
    const tgs: K.TgsReq = { pvno: 5, msgType: 12, reqBody: { ...body, cname: undefined } };
    const t = K.encodeTgsReq(tgs);
    expect(t[0]).toBe(0x6c);
    expect(K.decodeKdcReq(t).msgType).toBe(12);
    expect(hex(K.encodeKdcReq(K.decodeTgsReq(t)))).toBe(hex(t));
  });

  it('EncKDCRepPart: explicit tag, appTag, then 25', () => {
    const b25 = K.encodeEncKdcRepPart(encPart);
    expect(b25[0]).toBe(0x79);
    expectOracle(b25);
    expect(clean(K.decodeEncKdcRepPart(b25))).toEqual(clean(encPart));
    const b26 = K.encodeEncKdcRepPart(encPart, 26);
    expect(b26[0]).toBe(0x7a);
    expect(K.decodeEncKdcRepPart(b26).appTag).toBe(26);
    expect(K.encodeEncTgsRepPart(encPart)[0]).toBe(0x7a);
    expect(K.encodeEncAsRepPart({ ...encPart, appTag: 26 })[0]).toBe(0x79);
    const { appTag: _, ...noTag } = encPart;
    expect(K.encodeEncKdcRepPart(noTag)[0]).toBe(0x79);
    expect(hex(b25.subarray(1))).toBe(hex(b26.subarray(1)));
  });

  it('decoded values share one shape per type (absent OPTIONAL fields are present as undefined)', () => {
    const a = K.decodeEncryptedData(K.encodeEncryptedData({ etype: 1, cipher: new Uint8Array(1) }));
    // kvnoForm: the sibling every UInt32 field has (set only for a kvno in the unsigned form).
    expect(Object.keys(a)).toEqual(['etype', 'kvno', 'kvnoForm', 'cipher']);
    expect(a.kvno).toBeUndefined();
    expect(a.kvnoForm).toBeUndefined();
  });
});

describe('KERB-ERROR-DATA and KERB-EXT-ERROR (MS-KILE 2.2.1, 2.2.2)', () => {
  it("is a Windows KDC's extended error: data-type [1] 3, data-value [2] the NTSTATUS, 0, flags 1, little-endian", () => {
    const b = K.encodeKerbErrorData({
      dataType: K.KERB_ERR_TYPE_EXTENDED,
      dataValue: K.encodeKerbExtError(0xc0000072),
    });
    expect(hex(b)).toBe('3015a103020103a20e040c720000c00000000001000000');
    const back = K.decodeKerbErrorData(b);
    expect(back.dataType).toBe(3);
    expect(K.decodeKerbExtError(back.dataValue!)).toEqual({ ntStatus: 0xc0000072, flags: 1 });
    expect(() => K.decodeKerbExtError(new Uint8Array(11))).toThrow(
      /^KERB-EXT-ERROR: expected 12 bytes, got 11$/,
    );
    // TYPED-DATA's tags start at 0: it is not a KERB-ERROR-DATA.
    expect(() => K.decodeKerbErrorData(K.encodeTypedData([{ dataType: 3 }]))).toThrow(K.Asn1Error);
  });
});

describe('encoder outputs', () => {
  it('outputs never alias each other', () => {
    const a = K.encodeTicket(ticket);
    const copy = a.slice();
    const outs = Array.from({ length: 200 }, () => K.encodeTicket(ticket2));
    expect(hex(a)).toBe(hex(copy));
    for (const o of outs) o.fill(0);
    expect(hex(a)).toBe(hex(copy));
  });

  it('outputs of every size keep their bytes, whichever slab or buffer they land in', () => {
    // Around the length forms, the copy thresholds and the 64 KiB slab (an
    // output over half of it gets a buffer of its own).
    const sizes = [0, 1, 15, 16, 100, 511, 512, 1000, 3000, 5000, 20000, 33000, 70000];
    const kept: [Uint8Array, string][] = [];
    for (let round = 0; round < 12; round++) {
      for (const n of sizes) {
        const out = K.encodeTicket({
          ...ticket,
          encPart: { etype: 18, kvno: round, cipher: bytes(n, round) },
        });
        const back = K.decodeTicket(out).encPart;
        expect([back.kvno, back.cipher.length, back.cipher[n - 1]]).toEqual([
          round,
          n,
          n ? round : undefined,
        ]);
        kept.push([out, hex(out)]);
      }
    }
    for (const [out, h] of kept) expect(hex(out)).toBe(h);
  });

  it('a value that changes while it is encoded comes out whole, or is refused', () => {
    // Bigger than a whole slab at first: written again, so the accessor is read again.
    let reads = 0;
    const shrinking = {
      ...ticket,
      encPart: {
        etype: 18,
        get cipher() {
          return bytes(reads++ === 0 ? 70000 : 10);
        },
      },
    } as K.Ticket;
    expect(K.decodeTicket(K.encodeTicket(shrinking)).encPart.cipher).toEqual(bytes(10));
    let size = 0;
    const growing = {
      ...ticket,
      encPart: {
        etype: 18,
        get cipher() {
          size += 70000;
          return bytes(size);
        },
      },
    } as K.Ticket;
    expect(() => K.encodeTicket(growing)).toThrow('Ticket: the value changed while it was being encoded');
  });

  it('re-entrant encoding through an accessor still works', () => {
    const tricky = {
      tktVno: 5,
      get realm() {
        K.encodeTicket(ticket2);
        return realm;
      },
      sname: krbtgt,
      encPart: ed(10),
    } as K.Ticket;
    expect(K.decodeTicket(K.encodeTicket(tricky)).realm).toBe(realm);
  });

  it('encoding goes on after an output buffer was transferred away', () => {
    const a = K.encodeTicket(ticket);
    structuredClone(a, { transfer: [a.buffer as ArrayBuffer] });
    expect(a.byteLength).toBe(0);
    const b = K.encodeTicket(ticket);
    expect(K.decodeTicket(b).realm).toBe(realm);
  });

  it('decoded OCTET STRINGs are views into the input', () => {
    const b = K.encodeTicket(ticket);
    const t = K.decodeTicket(b);
    expect(t.encPart.cipher.buffer).toBe(b.buffer);
  });
});
