/**
 * Round-trip properties of the `@krbsim/asn1` codec over the
 * `@krbsim/testing` arbitraries, for every message type:
 *
 * - `decode(encode(x))` deep-equals `x` (absent OPTIONAL fields may come back
 *   as `undefined` keys; `toEqual` treats both alike and compares Uint8Array
 *   contents, not views);
 * - `encode(decode(encode(x)))` is byte-identical to `encode(x)`;
 * - every encoding is canonical DER as far as lengths go (re-serialising its
 *   TLV tree with minimal lengths gives the same bytes);
 * - `decodeMessage(encodeX(x))` names the right type, and `encodeMessage`
 *   inverts it.
 *
 * Seeds are fixed: every run checks the same values.
 */

import {
  type DecodeOptions,
  decodeAdAndOr,
  decodeAdIfRelevant,
  decodeAdKdcIssued,
  decodeApRep,
  decodeApReq,
  decodeAsRep,
  decodeAsReq,
  decodeAuthenticator,
  decodeAuthorizationData,
  decodeChecksum,
  decodeEncApRepPart,
  decodeEncKdcRepPart,
  decodeEncKrbCredPart,
  decodeEncKrbPrivPart,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeEncTicketPart,
  decodeEtypeInfo,
  decodeEtypeInfo2,
  decodeHostAddress,
  decodeHostAddresses,
  decodeKdcProxyMessage,
  decodeKdcReqBody,
  decodeKrbCred,
  decodeKrbError,
  decodeKrbFastArmor,
  decodeKrbFastArmoredRep,
  decodeKrbFastArmoredReq,
  decodeKrbFastFinished,
  decodeKrbFastReq,
  decodeKrbFastResponse,
  decodeKrbPriv,
  decodeKrbSafe,
  decodeKrbSafeBody,
  decodeLastReq,
  decodeMessage,
  decodeMethodData,
  decodeNegotiationToken,
  decodePaData,
  decodePaEncTsEnc,
  decodePaForUser,
  decodePaFxError,
  decodePaFxFastReply,
  decodePaFxFastRequest,
  decodePaPacOptions,
  decodePaPacRequest,
  decodePaS4uX509User,
  decodePrincipalName,
  decodeTgsRep,
  decodeTgsReq,
  decodeTicket,
  decodeTransitedEncoding,
  decodeTypedData,
  encodeAdAndOr,
  encodeAdIfRelevant,
  encodeAdKdcIssued,
  encodeApRep,
  encodeApReq,
  encodeAsRep,
  encodeAsReq,
  encodeAuthenticator,
  encodeAuthorizationData,
  encodeChecksum,
  encodeEncApRepPart,
  encodeEncKdcRepPart,
  encodeEncKrbCredPart,
  encodeEncKrbPrivPart,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeEncTicketPart,
  encodeEtypeInfo,
  encodeEtypeInfo2,
  encodeHostAddress,
  encodeHostAddresses,
  encodeKdcProxyMessage,
  encodeKdcReqBody,
  encodeKrbCred,
  encodeKrbError,
  encodeKrbFastArmor,
  encodeKrbFastArmoredRep,
  encodeKrbFastArmoredReq,
  encodeKrbFastFinished,
  encodeKrbFastReq,
  encodeKrbFastResponse,
  encodeKrbPriv,
  encodeKrbSafe,
  encodeKrbSafeBody,
  encodeLastReq,
  encodeMessage,
  encodeMethodData,
  encodeNegotiationToken,
  encodePaData,
  encodePaEncTsEnc,
  encodePaForUser,
  encodePaFxError,
  encodePaFxFastReply,
  encodePaFxFastRequest,
  encodePaPacOptions,
  encodePaPacRequest,
  encodePaS4uX509User,
  encodePrincipalName,
  encodeTgsRep,
  encodeTgsReq,
  encodeTicket,
  encodeTransitedEncoding,
  encodeTypedData,
  type KrbMessage,
  unwrapGssToken,
  unwrapKrb5Token,
  wrapGssToken,
  wrapKrb5Token,
} from '@krbsim/asn1';
import {
  arbAdAndOr,
  arbAdKdcIssued,
  arbApRep,
  arbApReq,
  arbAsRep,
  arbAsReq,
  arbAuthenticator,
  arbAuthorizationData,
  arbChecksum,
  arbEncApRepPart,
  arbEncKdcRepPart,
  arbEncKrbCredPart,
  arbEncKrbPrivPart,
  arbEncryptedData,
  arbEncryptionKey,
  arbEncTicketPart,
  arbEtypeInfo,
  arbEtypeInfo2,
  arbGssInitialContextToken,
  arbHostAddress,
  arbHostAddresses,
  arbKdcProxyMessage,
  arbKdcReqBody,
  arbKrb5Token,
  arbKrbCred,
  arbKrbError,
  arbKrbFastArmor,
  arbKrbFastArmoredRep,
  arbKrbFastArmoredReq,
  arbKrbFastFinished,
  arbKrbFastReq,
  arbKrbFastResponse,
  arbKrbPriv,
  arbKrbSafe,
  arbKrbSafeBody,
  arbLastReq,
  arbMessage,
  arbMethodData,
  arbNegotiationToken,
  arbPaData,
  arbPaEncTsEnc,
  arbPaForUser,
  arbPaFxFastReply,
  arbPaFxFastRequest,
  arbPaPacOptions,
  arbPaPacRequest,
  arbPaS4uX509User,
  arbPrincipalName,
  arbTgsRep,
  arbTgsReq,
  arbTicket,
  arbTransitedEncoding,
  arbTypedData,
  parseTlvs,
  serializeTlvs,
} from '@krbsim/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SEED = 0x4b5242; // "KRB"
const RUNS = 250;

type Decode<T> = (bytes: Uint8Array, options?: DecodeOptions) => T;

interface Case<T> {
  readonly name: string;
  readonly arb: fc.Arbitrary<T>;
  readonly encode: (value: T) => Uint8Array;
  readonly decode: Decode<T>;
  /** The `decodeMessage` type name, for types `decodeMessage` knows. */
  readonly messageType?: KrbMessage['type'];
  /** What a decoder returns for `x` beyond `x` itself (decoder-only fields). */
  readonly expected?: (value: T) => unknown;
  readonly numRuns?: number;
}

const c = <T>(x: Case<T>): Case<unknown> => x as Case<unknown>;

/** A KdcReq decodes with `reqBodyDer`: the exact DER of its req-body. */
const withReqBodyDer = <T extends { reqBody: Parameters<typeof encodeKdcReqBody>[0] }>(x: T) => ({
  ...x,
  reqBodyDer: encodeKdcReqBody(x.reqBody),
});

const CASES: readonly Case<unknown>[] = [
  // RFC 4120 section 5.2 building blocks
  c({
    name: 'PrincipalName',
    arb: arbPrincipalName,
    encode: encodePrincipalName,
    decode: decodePrincipalName,
  }),
  c({ name: 'HostAddress', arb: arbHostAddress, encode: encodeHostAddress, decode: decodeHostAddress }),
  c({
    name: 'HostAddresses',
    arb: arbHostAddresses,
    encode: encodeHostAddresses,
    decode: decodeHostAddresses,
  }),
  c({
    name: 'AuthorizationData',
    arb: arbAuthorizationData,
    encode: encodeAuthorizationData,
    decode: decodeAuthorizationData,
  }),
  c({
    name: 'AD-IF-RELEVANT',
    arb: arbAuthorizationData,
    encode: encodeAdIfRelevant,
    decode: decodeAdIfRelevant,
  }),
  c({ name: 'AD-KDCIssued', arb: arbAdKdcIssued, encode: encodeAdKdcIssued, decode: decodeAdKdcIssued }),
  c({ name: 'AD-AND-OR', arb: arbAdAndOr, encode: encodeAdAndOr, decode: decodeAdAndOr }),
  c({ name: 'PA-DATA', arb: arbPaData, encode: encodePaData, decode: decodePaData }),
  c({
    name: 'EncryptedData',
    arb: arbEncryptedData,
    encode: encodeEncryptedData,
    decode: decodeEncryptedData,
  }),
  c({
    name: 'EncryptionKey',
    arb: arbEncryptionKey,
    encode: encodeEncryptionKey,
    decode: decodeEncryptionKey,
  }),
  c({ name: 'Checksum', arb: arbChecksum, encode: encodeChecksum, decode: decodeChecksum }),
  c({
    name: 'TransitedEncoding',
    arb: arbTransitedEncoding,
    encode: encodeTransitedEncoding,
    decode: decodeTransitedEncoding,
  }),
  c({ name: 'LastReq', arb: arbLastReq, encode: encodeLastReq, decode: decodeLastReq }),
  // Tickets and the exchanges
  c({ name: 'Ticket', arb: arbTicket, encode: encodeTicket, decode: decodeTicket, messageType: 'Ticket' }),
  c({
    name: 'EncTicketPart',
    arb: arbEncTicketPart,
    encode: encodeEncTicketPart,
    decode: decodeEncTicketPart,
    messageType: 'EncTicketPart',
  }),
  c({ name: 'KDC-REQ-BODY', arb: arbKdcReqBody, encode: encodeKdcReqBody, decode: decodeKdcReqBody }),
  c({
    name: 'AS-REQ',
    arb: arbAsReq,
    encode: encodeAsReq,
    decode: decodeAsReq,
    messageType: 'AS-REQ',
    expected: withReqBodyDer,
    numRuns: 150,
  }),
  c({
    name: 'TGS-REQ',
    arb: arbTgsReq,
    encode: encodeTgsReq,
    decode: decodeTgsReq,
    messageType: 'TGS-REQ',
    expected: withReqBodyDer,
    numRuns: 150,
  }),
  c({ name: 'AS-REP', arb: arbAsRep, encode: encodeAsRep, decode: decodeAsRep, messageType: 'AS-REP' }),
  c({ name: 'TGS-REP', arb: arbTgsRep, encode: encodeTgsRep, decode: decodeTgsRep, messageType: 'TGS-REP' }),
  c({
    name: 'EncKDCRepPart',
    arb: arbEncKdcRepPart,
    encode: (v) => encodeEncKdcRepPart(v, v.appTag),
    decode: decodeEncKdcRepPart,
  }),
  c({ name: 'AP-REQ', arb: arbApReq, encode: encodeApReq, decode: decodeApReq, messageType: 'AP-REQ' }),
  c({
    name: 'Authenticator',
    arb: arbAuthenticator,
    encode: encodeAuthenticator,
    decode: decodeAuthenticator,
    messageType: 'Authenticator',
  }),
  c({ name: 'AP-REP', arb: arbApRep, encode: encodeApRep, decode: decodeApRep, messageType: 'AP-REP' }),
  c({
    name: 'EncAPRepPart',
    arb: arbEncApRepPart,
    encode: encodeEncApRepPart,
    decode: decodeEncApRepPart,
    messageType: 'EncAPRepPart',
  }),
  c({
    name: 'KRB-ERROR',
    arb: arbKrbError,
    encode: encodeKrbError,
    decode: decodeKrbError,
    messageType: 'KRB-ERROR',
  }),
  c({ name: 'PA-FX-ERROR', arb: arbKrbError, encode: encodePaFxError, decode: decodePaFxError }),
  c({ name: 'METHOD-DATA', arb: arbMethodData, encode: encodeMethodData, decode: decodeMethodData }),
  c({ name: 'TYPED-DATA', arb: arbTypedData, encode: encodeTypedData, decode: decodeTypedData }),
  c({
    name: 'KRB-SAFE',
    arb: arbKrbSafe,
    encode: encodeKrbSafe,
    decode: decodeKrbSafe,
    messageType: 'KRB-SAFE',
  }),
  c({ name: 'KRB-SAFE-BODY', arb: arbKrbSafeBody, encode: encodeKrbSafeBody, decode: decodeKrbSafeBody }),
  c({
    name: 'KRB-PRIV',
    arb: arbKrbPriv,
    encode: encodeKrbPriv,
    decode: decodeKrbPriv,
    messageType: 'KRB-PRIV',
  }),
  c({
    name: 'EncKrbPrivPart',
    arb: arbEncKrbPrivPart,
    encode: encodeEncKrbPrivPart,
    decode: decodeEncKrbPrivPart,
    messageType: 'EncKrbPrivPart',
  }),
  c({
    name: 'KRB-CRED',
    arb: arbKrbCred,
    encode: encodeKrbCred,
    decode: decodeKrbCred,
    messageType: 'KRB-CRED',
  }),
  c({
    name: 'EncKrbCredPart',
    arb: arbEncKrbCredPart,
    encode: encodeEncKrbCredPart,
    decode: decodeEncKrbCredPart,
    messageType: 'EncKrbCredPart',
  }),
  // PA-DATA values
  c({ name: 'PA-ENC-TS-ENC', arb: arbPaEncTsEnc, encode: encodePaEncTsEnc, decode: decodePaEncTsEnc }),
  c({ name: 'ETYPE-INFO2', arb: arbEtypeInfo2, encode: encodeEtypeInfo2, decode: decodeEtypeInfo2 }),
  c({ name: 'ETYPE-INFO', arb: arbEtypeInfo, encode: encodeEtypeInfo, decode: decodeEtypeInfo }),
  c({
    name: 'KERB-PA-PAC-REQUEST',
    arb: arbPaPacRequest,
    encode: encodePaPacRequest,
    decode: decodePaPacRequest,
  }),
  c({ name: 'PA-PAC-OPTIONS', arb: arbPaPacOptions, encode: encodePaPacOptions, decode: decodePaPacOptions }),
  c({ name: 'PA-FOR-USER', arb: arbPaForUser, encode: encodePaForUser, decode: decodePaForUser }),
  c({
    name: 'PA-S4U-X509-USER',
    arb: arbPaS4uX509User,
    encode: encodePaS4uX509User,
    decode: decodePaS4uX509User,
  }),
  // FAST (RFC 6113)
  c({ name: 'KrbFastArmor', arb: arbKrbFastArmor, encode: encodeKrbFastArmor, decode: decodeKrbFastArmor }),
  c({
    name: 'KrbFastArmoredReq',
    arb: arbKrbFastArmoredReq,
    encode: encodeKrbFastArmoredReq,
    decode: decodeKrbFastArmoredReq,
  }),
  c({
    name: 'PA-FX-FAST-REQUEST',
    arb: arbPaFxFastRequest,
    encode: encodePaFxFastRequest,
    decode: decodePaFxFastRequest,
  }),
  c({ name: 'KrbFastReq', arb: arbKrbFastReq, encode: encodeKrbFastReq, decode: decodeKrbFastReq }),
  c({
    name: 'KrbFastArmoredRep',
    arb: arbKrbFastArmoredRep,
    encode: encodeKrbFastArmoredRep,
    decode: decodeKrbFastArmoredRep,
  }),
  c({
    name: 'PA-FX-FAST-REPLY',
    arb: arbPaFxFastReply,
    encode: encodePaFxFastReply,
    decode: decodePaFxFastReply,
  }),
  c({
    name: 'KrbFastFinished',
    arb: arbKrbFastFinished,
    encode: encodeKrbFastFinished,
    decode: decodeKrbFastFinished,
  }),
  c({
    name: 'KrbFastResponse',
    arb: arbKrbFastResponse,
    encode: encodeKrbFastResponse,
    decode: decodeKrbFastResponse,
  }),
  // MS-KKDCP, GSS-API, SPNEGO
  c({
    name: 'KDC-PROXY-MESSAGE',
    arb: arbKdcProxyMessage,
    encode: encodeKdcProxyMessage,
    decode: decodeKdcProxyMessage,
  }),
  c({
    name: 'InitialContextToken',
    arb: arbGssInitialContextToken,
    encode: (t) => wrapGssToken(t.thisMech, t.innerToken),
    decode: unwrapGssToken,
  }),
  c({
    name: 'Krb5Token',
    arb: arbKrb5Token,
    encode: (t) => wrapKrb5Token(t.tokId, t.message, t.mech),
    decode: unwrapKrb5Token,
    numRuns: 150,
  }),
  c({
    name: 'NegotiationToken',
    arb: arbNegotiationToken,
    encode: encodeNegotiationToken,
    decode: decodeNegotiationToken,
  }),
];

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe.each(CASES.map((k, i) => [k.name, k, i] as const))('%s', (_name, k, i) => {
  const opts = { seed: SEED + i, numRuns: k.numRuns ?? RUNS };

  it('decode(encode(x)) equals x, and re-encoding is byte-identical', () => {
    fc.assert(
      fc.property(k.arb, (x) => {
        const der = k.encode(x);
        const back = k.decode(der);
        expect(back).toEqual(k.expected === undefined ? x : k.expected(x));
        expect(hex(k.encode(back))).toBe(hex(der));
      }),
      opts,
    );
  });

  it('encodes with minimal definite lengths (canonical DER framing)', () => {
    fc.assert(
      fc.property(k.arb, (x) => {
        const der = k.encode(x);
        const tree = parseTlvs(der);
        expect(tree).toBeDefined();
        expect(tree).toHaveLength(1);
        expect(hex(serializeTlvs(tree!))).toBe(hex(der));
      }),
      { ...opts, numRuns: Math.min(100, opts.numRuns) },
    );
  });

  if (k.messageType !== undefined) {
    const type = k.messageType;
    it(`decodeMessage names it ${type}`, () => {
      fc.assert(
        fc.property(k.arb, (x) => {
          const msg = decodeMessage(k.encode(x));
          expect(msg.type).toBe(type);
          expect(msg.value).toEqual(k.expected === undefined ? x : k.expected(x));
        }),
        { ...opts, numRuns: Math.min(100, opts.numRuns) },
      );
    });
  }
});

describe('EncKDCRepPart application tags', () => {
  it('decodes 25 as EncASRepPart and 26 as EncTGSRepPart, keeping the tag through encodeMessage', () => {
    fc.assert(
      fc.property(arbEncKdcRepPart, fc.constantFrom(25 as const, 26 as const), (part, tag) => {
        const der = encodeEncKdcRepPart(part, tag);
        expect(der[0]).toBe(0x60 | tag);
        const msg = decodeMessage(der);
        expect(msg.type).toBe(tag === 25 ? 'EncASRepPart' : 'EncTGSRepPart');
        expect(msg.value).toEqual({ ...part, appTag: tag });
        expect(hex(encodeMessage(msg))).toBe(hex(der));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('arbMessage', () => {
  it('encodeMessage and decodeMessage are inverse', () => {
    fc.assert(
      fc.property(arbMessage, (msg) => {
        const der = encodeMessage(msg);
        const back = decodeMessage(der);
        expect(back.type).toBe(msg.type);
        const expected =
          msg.type === 'AS-REQ' || msg.type === 'TGS-REQ'
            ? { ...msg.value, reqBodyDer: encodeKdcReqBody(msg.value.reqBody) }
            : msg.value;
        expect(back.value).toEqual(expected);
        expect(hex(encodeMessage(back))).toBe(hex(der));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('covers every decodeMessage type', () => {
    const seen = new Set(fc.sample(arbMessage, { seed: SEED, numRuns: 2000 }).map((m) => m.type));
    expect(seen.size).toBe(18);
  });
});

describe('decoded values do not depend on the input buffer staying unchanged', () => {
  it('re-encodes a decoded Ticket from a copy of the input', () => {
    // OCTET STRINGs may be views into the input (documented); the re-encoding is
    // taken before the input is touched, so the values agree.
    fc.assert(
      fc.property(arbTicket, (t) => {
        const der = encodeTicket(t);
        const input = der.slice();
        const back = decodeTicket(input);
        const again = encodeTicket(back);
        input.fill(0);
        expect(hex(again)).toBe(hex(der));
      }),
      { seed: SEED, numRuns: 50 },
    );
  });
});
