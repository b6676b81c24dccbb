/**
 * The arbitraries produce only what the RFCs allow, checked without the codec:
 * integer ranges, KerberosTime, strings, absent (never `undefined`) optional
 * fields, and every OPTIONAL field both present and absent across a sample.
 * Plus the DER helpers.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index';

const SEED = 20261124;
const N = 300;

const sample = <V>(arb: fc.Arbitrary<V>, numRuns = N) => fc.sample(arb, { seed: SEED, numRuns });

/** Every key path in `v` whose value is `undefined` (there must be none). */
function undefinedKeys(v: unknown, path = '$'): string[] {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => undefinedKeys(x, `${path}[${i}]`));
  return Object.entries(v).flatMap(([k, x]) =>
    x === undefined ? [`${path}.${k}`] : undefinedKeys(x, `${path}.${k}`),
  );
}

const INT32 = (n: unknown) =>
  Number.isInteger(n) && (n as number) >= -0x80000000 && (n as number) <= 0x7fffffff;
const UINT32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
const MICRO = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 999_999;
const TIME = (n: unknown) =>
  Number.isInteger(n) &&
  (n as number) % 1000 === 0 &&
  (n as number) >= Date.UTC(1990, 0, 1) &&
  (n as number) <= Date.UTC(2100, 0, 1);

/** Field names and the range each must satisfy wherever it appears. */
const RANGES: Record<string, (v: unknown) => boolean> = {
  nonce: UINT32,
  kvno: UINT32,
  seqNumber: UINT32,
  dclocatorHint: UINT32,
  flags: UINT32,
  kdcOptions: UINT32,
  apOptions: UINT32,
  fastOptions: UINT32,
  options: UINT32,
  etype: (v) => (Array.isArray(v) ? v.length > 0 && v.every(INT32) : INT32(v)),
  keytype: INT32,
  cksumtype: INT32,
  nameType: INT32,
  addrType: INT32,
  adType: INT32,
  padataType: INT32,
  errorCode: INT32,
  trType: INT32,
  lrType: INT32,
  dataType: INT32,
  armorType: INT32,
  conditionCount: INT32,
  cusec: MICRO,
  susec: MICRO,
  usec: MICRO,
  pausec: MICRO,
  authtime: TIME,
  starttime: TIME,
  endtime: TIME,
  renewTill: TIME,
  till: TIME,
  from: TIME,
  rtime: TIME,
  ctime: TIME,
  stime: TIME,
  timestamp: TIME,
  patimestamp: TIME,
  keyExpiration: TIME,
  lrValue: TIME,
  pvno: (v) => v === 5,
  tktVno: (v) => v === 5,
  authenticatorVno: (v) => v === 5,
};

/** Every range violation in `v`, as `path=value`. */
function violations(v: unknown, path = '$'): string[] {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => violations(x, `${path}[${i}]`));
  return Object.entries(v).flatMap(([k, x]) => {
    const check = RANGES[k];
    const own = check !== undefined && !check(x) ? [`${path}.${k}=${JSON.stringify(x)}`] : [];
    return [...own, ...violations(x, `${path}.${k}`)];
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in `v` is well-formed Unicode (encodable as UTF-8). */
function badStrings(v: unknown, path = '$'): string[] {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? [path] : [];
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => badStrings(x, `${path}[${i}]`));
  return Object.entries(v).flatMap(([k, x]) => badStrings(x, `${path}.${k}`));
}

const RECORDS: Array<[string, fc.Arbitrary<object>, readonly string[]]> = [
  ['Ticket', T.arbTicket, []],
  ['EncTicketPart', T.arbEncTicketPart, ['starttime', 'renewTill', 'caddr', 'authorizationData']],
  ['Authenticator', T.arbAuthenticator, ['cksum', 'subkey', 'seqNumber', 'authorizationData']],
  [
    'KdcReqBody',
    T.arbKdcReqBody,
    ['cname', 'sname', 'from', 'rtime', 'addresses', 'encAuthorizationData', 'additionalTickets'],
  ],
  ['AsReq', T.arbAsReq, ['padata']],
  ['TgsReq', T.arbTgsReq, ['padata']],
  ['AsRep', T.arbAsRep, ['padata']],
  ['TgsRep', T.arbTgsRep, ['padata']],
  [
    'EncKdcRepPart',
    T.arbEncKdcRepPart,
    ['keyExpiration', 'starttime', 'renewTill', 'caddr', 'encryptedPaData'],
  ],
  ['ApReq', T.arbApReq, []],
  ['ApRep', T.arbApRep, []],
  ['EncApRepPart', T.arbEncApRepPart, ['subkey', 'seqNumber']],
  ['KrbError', T.arbKrbError, ['ctime', 'cusec', 'crealm', 'cname', 'eText', 'eData']],
  ['KrbSafe', T.arbKrbSafe, []],
  ['KrbSafeBody', T.arbKrbSafeBody, ['timestamp', 'usec', 'seqNumber', 'rAddress']],
  ['KrbPriv', T.arbKrbPriv, []],
  ['EncKrbPrivPart', T.arbEncKrbPrivPart, ['timestamp', 'usec', 'seqNumber', 'rAddress']],
  ['KrbCred', T.arbKrbCred, []],
  ['EncKrbCredPart', T.arbEncKrbCredPart, ['nonce', 'timestamp', 'usec', 'sAddress', 'rAddress']],
  [
    'KrbCredInfo',
    T.arbKrbCredInfo,
    ['prealm', 'pname', 'flags', 'authtime', 'starttime', 'endtime', 'renewTill', 'srealm', 'sname', 'caddr'],
  ],
  ['EncryptedData', T.arbEncryptedData, ['kvno']],
  ['PaEncTsEnc', T.arbPaEncTsEnc, ['pausec']],
  ['EtypeInfo2Entry', T.arbEtypeInfo2Entry, ['salt', 's2kparams']],
  ['EtypeInfoEntry', T.arbEtypeInfoEntry, ['salt']],
  ['S4uUserId', T.arbS4uUserId, ['cname', 'subjectCertificate', 'options']],
  ['KrbFastArmoredReq', T.arbKrbFastArmoredReq, ['armor']],
  ['KrbFastResponse', T.arbKrbFastResponse, ['strengthenKey', 'finished']],
  ['KdcProxyMessage', T.arbKdcProxyMessage, ['targetDomain', 'dclocatorHint']],
  ['AdKdcIssued', T.arbAdKdcIssued, ['iRealm', 'iSname']],
  ['TypedDataEntry', T.arbTypedDataEntry, ['dataValue']],
  ['NegTokenInit', T.arbNegTokenInit, ['reqFlags', 'mechToken', 'negHints', 'mechListMic']],
  ['NegTokenResp', T.arbNegTokenResp, ['negState', 'supportedMech', 'responseToken', 'mechListMic']],
];

describe.each(RECORDS)('%s', (_name, arb, optionalKeys) => {
  const values = sample(arb);

  it('has no undefined-valued keys and plain prototypes', () => {
    for (const v of values) {
      expect(undefinedKeys(v)).toEqual([]);
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    }
  });

  it('keeps every field in its wire range, every string well-formed', () => {
    for (const v of values) {
      expect(violations(v)).toEqual([]);
      expect(badStrings(v)).toEqual([]);
    }
  });

  if (optionalKeys.length > 0) {
    it('generates each OPTIONAL field both present and absent', () => {
      for (const key of optionalKeys) {
        const present = values.filter((v) => key in v).length;
        expect(present, `${key} present`).toBeGreaterThan(0);
        expect(present, `${key} absent`).toBeLessThan(values.length);
      }
    });
  }
});

describe('specific constraints', () => {
  it('never sets KdcReq.reqBodyDer, and always sets EncKdcRepPart.appTag to 25 or 26', () => {
    for (const r of [...sample(T.arbAsReq), ...sample(T.arbTgsReq)]) expect('reqBodyDer' in r).toBe(false);
    for (const p of sample(T.arbEncKdcRepPart)) expect([25, 26]).toContain(p.appTag);
  });

  it('fixes msg-type to the message', () => {
    expect(new Set(sample(T.arbAsReq).map((m) => m.msgType))).toEqual(new Set([10]));
    expect(new Set(sample(T.arbTgsReq).map((m) => m.msgType))).toEqual(new Set([12]));
    expect(new Set(sample(T.arbAsRep).map((m) => m.msgType))).toEqual(new Set([11]));
    expect(new Set(sample(T.arbTgsRep).map((m) => m.msgType))).toEqual(new Set([13]));
    expect(new Set(sample(T.arbKrbError).map((m) => m.msgType))).toEqual(new Set([30]));
  });

  it('honours SIZE (1..MAX) on ETYPE-INFO2, TYPED-DATA and the etype list', () => {
    for (const e of sample(T.arbEtypeInfo2)) expect(e.length).toBeGreaterThan(0);
    for (const e of sample(T.arbTypedData)) expect(e.length).toBeGreaterThan(0);
    for (const b of sample(T.arbKdcReqBody)) expect(b.etype.length).toBeGreaterThan(0);
  });

  it('covers the extremes of the integer ranges', () => {
    const nonces = sample(T.arbUInt32, 2000);
    expect(nonces).toContain(0);
    expect(nonces).toContain(0xffffffff);
    const ints = sample(T.arbInt32, 2000);
    expect(ints).toContain(-0x80000000);
    expect(ints).toContain(0x7fffffff);
    expect(Math.max(...sample(T.arbKerberosFlags, 2000))).toBe(0xffffffff);
  });

  it('mostly sends printable ASCII, sometimes other Unicode', () => {
    const strings = sample(T.arbKerberosString, 2000);
    const ascii = strings.filter((s) => /^[\x20-\x7e]*$/.test(s)).length;
    expect(ascii).toBeGreaterThan(strings.length / 2);
    expect(ascii).toBeLessThan(strings.length);
  });

  it('frames KDC-PROXY-MESSAGE payloads with their 4-byte TCP length', () => {
    for (const m of sample(T.arbKdcProxyMessage)) {
      const k = m.kerbMessage;
      expect(new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(0)).toBe(k.length - 4);
    }
  });

  it('generates OIDs with valid first arcs', () => {
    for (const oid of sample(T.arbOid)) {
      const [a, b] = oid.split('.').map(Number);
      expect(a).toBeLessThanOrEqual(2);
      if (a! < 2) expect(b).toBeLessThan(40);
    }
  });

  it('arbMessage tags every value with its decodeMessage type', () => {
    const msgTypes: Record<string, number> = {
      'AS-REQ': 10,
      'AS-REP': 11,
      'TGS-REQ': 12,
      'TGS-REP': 13,
      'AP-REQ': 14,
      'AP-REP': 15,
      'KRB-SAFE': 20,
      'KRB-PRIV': 21,
      'KRB-CRED': 22,
      'KRB-ERROR': 30,
    };
    const seen = new Set<string>();
    for (const m of sample(T.arbMessage, 1500)) {
      seen.add(m.type);
      const want = msgTypes[m.type];
      if (want !== undefined) expect((m.value as { msgType: number }).msgType).toBe(want);
      if (m.type === 'EncASRepPart') expect(m.value.appTag).toBe(25);
      if (m.type === 'EncTGSRepPart') expect(m.value.appTag).toBe(26);
    }
    expect(seen.size).toBe(18);
  });
});

describe('DER helpers', () => {
  it('derLength writes minimal definite lengths', () => {
    expect([...T.derLength(0)]).toEqual([0]);
    expect([...T.derLength(127)]).toEqual([127]);
    expect([...T.derLength(128)]).toEqual([0x81, 0x80]);
    expect([...T.derLength(256)]).toEqual([0x82, 0x01, 0x00]);
    expect([...T.derLength(0x1000000)]).toEqual([0x84, 0x01, 0x00, 0x00, 0x00]);
  });

  it('parses and re-serialises a TLV tree to the same bytes', () => {
    const bytes = Uint8Array.from([0x61, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x05]);
    const tree = T.parseTlvs(bytes)!;
    expect(tree).toHaveLength(1);
    expect(T.walkTlvs(tree)).toHaveLength(4);
    expect([...T.serializeTlvs(tree)]).toEqual([...bytes]);
    expect(T.tlvPositions(bytes).map((p) => [p.start, p.depth])).toEqual([
      [0, 0],
      [2, 1],
      [4, 2],
      [6, 3],
    ]);
    expect(T.parseTlvs(Uint8Array.from([0x30, 0x05, 0x02, 0x01]))).toBeUndefined(); // claims more than it holds
  });

  it('builds nesting bombs of the requested depth', () => {
    const definite = T.nestingBomb(1000);
    expect(T.tlvPositions(definite).length).toBeGreaterThanOrEqual(64); // the walker stops at depth 64
    expect(definite[0]).toBe(0x30);
    const indefinite = T.nestingBomb(3, { form: 'indefinite' });
    expect([...indefinite]).toEqual([0x30, 0x80, 0x30, 0x80, 0x30, 0x80, 0, 0, 0, 0, 0, 0]);
    const framed = T.nestingBomb(2, { outer: [0x61] });
    expect([...framed]).toEqual([0x61, 0x04, 0x30, 0x02, 0x30, 0x00]);
    expect([...T.longSequenceOf([5, 0], 2, 0xa1)]).toEqual([0xa1, 0x06, 0x30, 0x04, 5, 0, 5, 0]);
  });

  it('arbDerMutant is deterministic for a seed and draws from many families', () => {
    const bytes = Uint8Array.from([
      0x61, 0x12, 0x30, 0x10, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x09, 0x1b, 0x07, 0x45, 0x58, 0x2e, 0x54,
      0x45, 0x53, 0x54,
    ]);
    const a = fc.sample(T.arbDerMutant(bytes), { seed: SEED, numRuns: 400 });
    const b = fc.sample(T.arbDerMutant(bytes), { seed: SEED, numRuns: 400 });
    expect(a.map((m) => m.kind)).toEqual(b.map((m) => m.kind));
    const families = new Set(a.map((m) => m.kind.replace(/[@#[+x].*$/, '')));
    expect(families.size).toBeGreaterThanOrEqual(12);
    expect(a.some((m) => m.bytes.length !== bytes.length || m.bytes.some((x, i) => x !== bytes[i]))).toBe(
      true,
    );
  });
});
