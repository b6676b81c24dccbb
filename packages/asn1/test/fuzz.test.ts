/**
 * Mutation fuzzing of the `@krbsim/asn1` decoders.
 *
 * Starting from valid encodings (values drawn from the `@krbsim/testing`
 * arbitraries, and the real MIT krb5 messages of test/fixtures/mit), every
 * test feeds damaged bytes to the decoders: every prefix,
 * random extensions, flipped and overwritten bytes, lying length octets (up to
 * 4-byte lengths claiming 2^31), indefinite lengths, structure-aware edits
 * that keep enclosing lengths right, nesting bombs 100k deep and SEQUENCE OFs
 * hundreds of thousands long.
 *
 * The contract checked on every input:
 * - the decoder either returns a value or throws an `Asn1Error` whose `code`
 *   is a number and `path` a string, and never an error that
 *   `asAsn1Error` had to wrap ("internal codec failure": a TypeError,
 *   RangeError... escaping from below);
 * - a decoded value re-encodes without throwing, and that re-encoding decodes
 *   and re-encodes to itself (the codec's normal form is stable);
 * - nothing hangs (per-input time limits on the big inputs) and the heap does
 *   not grow by more than 200 MB over the file.
 *
 * Deterministic: fixed seeds, no clocks in the inputs.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Asn1Error,
  decodeAdAndOr,
  decodeAdKdcIssued,
  decodeApRep,
  decodeApReq,
  decodeAsRep,
  decodeAsReq,
  decodeAuthenticator,
  decodeAuthorizationData,
  decodeChecksum,
  decodeDerTree,
  decodeEncApRepPart,
  decodeEncKdcRepPart,
  decodeEncKrbCredPart,
  decodeEncKrbPrivPart,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeEncTicketPart,
  decodeEtypeInfo,
  decodeEtypeInfo2,
  decodeHostAddresses,
  decodeKdcProxyMessage,
  decodeKdcReqBody,
  decodeKrbCred,
  decodeKrbError,
  decodeKrbFastArmoredReq,
  decodeKrbFastFinished,
  decodeKrbFastReq,
  decodeKrbFastResponse,
  decodeKrbPriv,
  decodeKrbSafe,
  decodeLastReq,
  decodeMessage,
  decodeMethodData,
  decodeNegotiationToken,
  decodePaData,
  decodePaEncTsEnc,
  decodePaForUser,
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
  encodeHostAddresses,
  encodeKdcProxyMessage,
  encodeKdcReqBody,
  encodeKrbCred,
  encodeKrbError,
  encodeKrbFastArmoredReq,
  encodeKrbFastFinished,
  encodeKrbFastReq,
  encodeKrbFastResponse,
  encodeKrbPriv,
  encodeKrbSafe,
  encodeLastReq,
  encodeMessage,
  encodeMethodData,
  encodeNegotiationToken,
  encodePaData,
  encodePaEncTsEnc,
  encodePaForUser,
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
  expandAuthorizationData,
  type KrbMessage,
  messageToJson,
  PaDataType,
  unwrapGssToken,
  unwrapKrb5Token,
  valueToJson,
  wrapGssToken,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { concatBytes } from '@krbsim/core';
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
  arbDerMutant,
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
  arbHostAddresses,
  arbKdcProxyMessage,
  arbKdcReqBody,
  arbKrb5Token,
  arbKrbCred,
  arbKrbError,
  arbKrbFastArmoredReq,
  arbKrbFastFinished,
  arbKrbFastReq,
  arbKrbFastResponse,
  arbKrbPriv,
  arbKrbSafe,
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
  type DerMutant,
  derLength,
  longSequenceOf,
  nestingBomb,
} from '@krbsim/testing';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

const SEED = 0x66757a7a; // "fuzz"

// ---------------------------------------------------------------------------
// The contract

interface Target {
  readonly name: string;
  readonly decode: (bytes: Uint8Array) => unknown;
  /** Absent for decoders without an encoder (`decodeDerTree`): then only the decode side is checked. */
  readonly encode?: (value: unknown) => Uint8Array;
  /** Valid encodings to mutate. */
  readonly seeds: Uint8Array[];
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const short = (b: Uint8Array) =>
  b.length > 256 ? `${hex(b.subarray(0, 256))}... (${b.length} bytes)` : hex(b);

/** Tallies, per target, for the summary assertions. */
const tally = new Map<string, { decoded: number; rejected: number }>();
let inputs = 0;

/** Throws unless `e` is a well-formed Asn1Error from the codec's own checks. */
function expectAsn1Error(e: unknown, what: string, bytes: Uint8Array): void {
  if (!(e instanceof Asn1Error)) {
    throw new Error(`${what}: threw ${String(e)} (not an Asn1Error) for ${short(bytes)}`, { cause: e });
  }
  if (typeof e.code !== 'number' || typeof e.path !== 'string' || typeof e.message !== 'string') {
    throw new Error(`${what}: malformed Asn1Error (code ${e.code}, path ${e.path}) for ${short(bytes)}`);
  }
  if (e.reason.startsWith('internal codec failure')) {
    throw new Error(`${what}: ${e.message} (a non-Asn1Error escaped from below) for ${short(bytes)}`, {
      cause: e,
    });
  }
}

/** Feeds `bytes` to `t`; checks the contract; returns whether it decoded. */
function probe(t: Pick<Target, 'name' | 'decode' | 'encode'>, bytes: Uint8Array, kind: string): boolean {
  inputs++;
  const what = `${t.name} [${kind}]`;
  const count = tally.get(t.name) ?? { decoded: 0, rejected: 0 };
  tally.set(t.name, count);
  let value: unknown;
  try {
    value = t.decode(bytes);
  } catch (e) {
    expectAsn1Error(e, what, bytes);
    count.rejected++;
    return false;
  }
  count.decoded++;
  if (t === anyMessage) renders(value as KrbMessage, what, bytes);
  if (t.encode === undefined) return true;
  let again: Uint8Array;
  try {
    again = t.encode(value);
  } catch (e) {
    throw new Error(`${what}: decoded, but re-encoding threw ${String(e)}; input ${short(bytes)}`, {
      cause: e,
    });
  }
  let normal: Uint8Array;
  try {
    normal = t.encode(t.decode(again));
  } catch (e) {
    throw new Error(`${what}: the re-encoding ${short(again)} of ${short(bytes)} does not round-trip: ${e}`, {
      cause: e,
    });
  }
  if (hex(normal) !== hex(again)) {
    throw new Error(`${what}: normal form unstable: ${short(bytes)} -> ${short(again)} -> ${short(normal)}`);
  }
  return true;
}

/** Throws unless `messageToJson` renders `msg` (what `krbsim decode` and the HTML traces show) as JSON. */
function renders(msg: KrbMessage, what: string, bytes: Uint8Array): void {
  try {
    JSON.stringify(messageToJson(msg));
  } catch (e) {
    throw new Error(`${what}: decoded, but messageToJson threw ${String(e)}; input ${short(bytes)}`, {
      cause: e,
    });
  }
}

/** The generic decoders every input is also fed to. */
const anyMessage: Pick<Target, 'name' | 'decode' | 'encode'> = {
  name: 'decodeMessage',
  decode: (b) => decodeMessage(b),
  encode: (v) => encodeMessage(v as KrbMessage),
};
const derTree: Pick<Target, 'name' | 'decode'> = {
  name: 'decodeDerTree',
  decode: (b) => decodeDerTree(b),
};

/** Probes `bytes` with `t`, `decodeMessage` and `decodeDerTree`. */
function probeAll(t: Target, bytes: Uint8Array, kind: string): void {
  probe(t, bytes, kind);
  probe(anyMessage, bytes, kind);
  probe(derTree, bytes, kind);
}

// ---------------------------------------------------------------------------
// Targets and their seeds

const SEEDS_PER_TARGET = 6;

function target<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
  seedIndex: number,
): Target {
  const seeds = fc.sample(arb, { seed: SEED + seedIndex, numRuns: SEEDS_PER_TARGET }).map((v) => encode(v));
  return { name, decode, encode: encode as (v: unknown) => Uint8Array, seeds };
}

const TARGETS: Target[] = [
  target('Ticket', arbTicket, encodeTicket, decodeTicket, 1),
  target('EncTicketPart', arbEncTicketPart, encodeEncTicketPart, decodeEncTicketPart, 2),
  target('Authenticator', arbAuthenticator, encodeAuthenticator, decodeAuthenticator, 3),
  target('KDC-REQ-BODY', arbKdcReqBody, encodeKdcReqBody, decodeKdcReqBody, 4),
  target('AS-REQ', arbAsReq, encodeAsReq, decodeAsReq, 5),
  target('TGS-REQ', arbTgsReq, encodeTgsReq, decodeTgsReq, 6),
  target('AS-REP', arbAsRep, encodeAsRep, decodeAsRep, 7),
  target('TGS-REP', arbTgsRep, encodeTgsRep, decodeTgsRep, 8),
  target('EncKDCRepPart', arbEncKdcRepPart, (v) => encodeEncKdcRepPart(v, v.appTag), decodeEncKdcRepPart, 9),
  target('AP-REQ', arbApReq, encodeApReq, decodeApReq, 10),
  target('AP-REP', arbApRep, encodeApRep, decodeApRep, 11),
  target('EncAPRepPart', arbEncApRepPart, encodeEncApRepPart, decodeEncApRepPart, 12),
  target('KRB-ERROR', arbKrbError, encodeKrbError, decodeKrbError, 13),
  target('METHOD-DATA', arbMethodData, encodeMethodData, decodeMethodData, 14),
  target('TYPED-DATA', arbTypedData, encodeTypedData, decodeTypedData, 15),
  target('KRB-SAFE', arbKrbSafe, encodeKrbSafe, decodeKrbSafe, 16),
  target('KRB-PRIV', arbKrbPriv, encodeKrbPriv, decodeKrbPriv, 17),
  target('EncKrbPrivPart', arbEncKrbPrivPart, encodeEncKrbPrivPart, decodeEncKrbPrivPart, 18),
  target('KRB-CRED', arbKrbCred, encodeKrbCred, decodeKrbCred, 19),
  target('EncKrbCredPart', arbEncKrbCredPart, encodeEncKrbCredPart, decodeEncKrbCredPart, 20),
  target('PrincipalName', arbPrincipalName, encodePrincipalName, decodePrincipalName, 21),
  target('EncryptedData', arbEncryptedData, encodeEncryptedData, decodeEncryptedData, 22),
  target('EncryptionKey', arbEncryptionKey, encodeEncryptionKey, decodeEncryptionKey, 23),
  target('Checksum', arbChecksum, encodeChecksum, decodeChecksum, 24),
  target('AuthorizationData', arbAuthorizationData, encodeAuthorizationData, decodeAuthorizationData, 25),
  target('HostAddresses', arbHostAddresses, encodeHostAddresses, decodeHostAddresses, 26),
  target('PA-DATA', arbPaData, encodePaData, decodePaData, 27),
  target('TransitedEncoding', arbTransitedEncoding, encodeTransitedEncoding, decodeTransitedEncoding, 28),
  target('LastReq', arbLastReq, encodeLastReq, decodeLastReq, 29),
  target('AD-KDCIssued', arbAdKdcIssued, encodeAdKdcIssued, decodeAdKdcIssued, 30),
  target('AD-AND-OR', arbAdAndOr, encodeAdAndOr, decodeAdAndOr, 31),
  target('PA-ENC-TS-ENC', arbPaEncTsEnc, encodePaEncTsEnc, decodePaEncTsEnc, 32),
  target('ETYPE-INFO2', arbEtypeInfo2, encodeEtypeInfo2, decodeEtypeInfo2, 33),
  target('ETYPE-INFO', arbEtypeInfo, encodeEtypeInfo, decodeEtypeInfo, 34),
  target('KERB-PA-PAC-REQUEST', arbPaPacRequest, encodePaPacRequest, decodePaPacRequest, 35),
  target('PA-PAC-OPTIONS', arbPaPacOptions, encodePaPacOptions, decodePaPacOptions, 36),
  target('PA-FOR-USER', arbPaForUser, encodePaForUser, decodePaForUser, 37),
  target('PA-S4U-X509-USER', arbPaS4uX509User, encodePaS4uX509User, decodePaS4uX509User, 38),
  target('PA-FX-FAST-REQUEST', arbPaFxFastRequest, encodePaFxFastRequest, decodePaFxFastRequest, 39),
  target('KrbFastArmoredReq', arbKrbFastArmoredReq, encodeKrbFastArmoredReq, decodeKrbFastArmoredReq, 40),
  target('KrbFastReq', arbKrbFastReq, encodeKrbFastReq, decodeKrbFastReq, 41),
  target('PA-FX-FAST-REPLY', arbPaFxFastReply, encodePaFxFastReply, decodePaFxFastReply, 42),
  target('KrbFastResponse', arbKrbFastResponse, encodeKrbFastResponse, decodeKrbFastResponse, 43),
  target('KrbFastFinished', arbKrbFastFinished, encodeKrbFastFinished, decodeKrbFastFinished, 44),
  target('KDC-PROXY-MESSAGE', arbKdcProxyMessage, encodeKdcProxyMessage, decodeKdcProxyMessage, 45),
  target(
    'InitialContextToken',
    arbGssInitialContextToken,
    (t) => wrapGssToken(t.thisMech, t.innerToken),
    unwrapGssToken,
    46,
  ),
  target('Krb5Token', arbKrb5Token, (t) => wrapKrb5Token(t.tokId, t.message, t.mech), unwrapKrb5Token, 47),
  target('NegotiationToken', arbNegotiationToken, encodeNegotiationToken, decodeNegotiationToken, 48),
  target('KrbMessage', arbMessage, encodeMessage, decodeMessage, 49),
];

const byName = new Map(TARGETS.map((t) => [t.name, t]));
const get = (name: string) => byName.get(name)!;

// ---------------------------------------------------------------------------
// The MIT krb5 1.20 fixtures, and the values nested inside them

interface Fixture {
  readonly name: string;
  readonly kind: string;
  readonly hex: string;
}

const fixturesPath = fileURLToPath(new URL('../../../test/fixtures/mit/messages.json', import.meta.url));
// Committed: read unconditionally, so a renamed or missing file fails the file, never drops the seeds.
const FIXTURES: Fixture[] = JSON.parse(readFileSync(fixturesPath, 'utf8')) as Fixture[];
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

/** Seeds the targets with the fixtures and with the PA-DATA values, e-data and tokens inside them. */
function seedFromFixtures(): number {
  let added = 0;
  const add = (name: string, bytes: Uint8Array) => {
    get(name).seeds.push(bytes.slice());
    added++;
  };
  const padataTargets: Record<number, string> = {
    [PaDataType.PA_TGS_REQ]: 'AP-REQ',
    [PaDataType.PA_ENC_TIMESTAMP]: 'EncryptedData',
    [PaDataType.PA_ETYPE_INFO2]: 'ETYPE-INFO2',
    [PaDataType.PA_PAC_REQUEST]: 'KERB-PA-PAC-REQUEST',
    [PaDataType.PA_PAC_OPTIONS]: 'PA-PAC-OPTIONS',
    [PaDataType.PA_REQ_ENC_PA_REP]: 'Checksum',
  };
  const addPadata = (
    padata: readonly { padataType: number; padataValue: Uint8Array }[] | undefined,
    request: boolean,
  ) => {
    for (const pa of padata ?? []) {
      const name =
        pa.padataType === PaDataType.PA_FX_FAST
          ? request
            ? 'PA-FX-FAST-REQUEST'
            : 'PA-FX-FAST-REPLY'
          : padataTargets[pa.padataType];
      if (name !== undefined && pa.padataValue.length > 0) add(name, pa.padataValue);
    }
  };
  for (const f of FIXTURES) {
    const bytes = fromHex(f.hex);
    if (f.kind === 'GSS-INIT-TOKEN' || f.kind === 'GSS-ACCEPT-TOKEN') {
      add('Krb5Token', bytes);
      add('InitialContextToken', bytes);
      continue;
    }
    if (!byName.has(f.kind)) continue;
    add(f.kind, bytes);
    add('KrbMessage', bytes);
    const msg = decodeMessage(bytes);
    switch (msg.type) {
      case 'AS-REQ':
      case 'TGS-REQ':
        add('KDC-REQ-BODY', encodeKdcReqBody(msg.value.reqBody));
        addPadata(msg.value.padata, true);
        break;
      case 'AS-REP':
      case 'TGS-REP':
        add('Ticket', encodeTicket(msg.value.ticket));
        addPadata(msg.value.padata, false);
        break;
      case 'KRB-ERROR':
        if (msg.value.eData !== undefined) {
          add('METHOD-DATA', msg.value.eData);
          addPadata(decodeMethodData(msg.value.eData), false);
        }
        break;
      case 'AP-REQ':
        add('Ticket', encodeTicket(msg.value.ticket));
        break;
    }
  }
  return added;
}

// ---------------------------------------------------------------------------

let heapBefore = 0;
let fromFixtures = 0;
/** The seeds {@link seedFromFixtures} adds: a recapture that changes it changes this number. */
const FIXTURE_SEEDS = 137;
beforeAll(() => {
  heapBefore = process.memoryUsage().heapUsed;
  fromFixtures = seedFromFixtures();
});

describe('seeds', () => {
  it('every seed decodes cleanly before it is mutated', () => {
    // The 40 captured messages, and the bodies, tickets, PA-DATA values, e-data and tokens inside them.
    expect(FIXTURES).toHaveLength(40);
    expect(fromFixtures).toBe(FIXTURE_SEEDS);
    for (const t of TARGETS) {
      for (const s of t.seeds) expect(probe(t, s, 'seed')).toBe(true);
    }
  });
});

describe('truncation at every prefix length', () => {
  it('rejects every proper prefix of real and generated messages', () => {
    const picks: Array<[Target, Uint8Array]> = [];
    for (const name of [
      'AS-REQ',
      'TGS-REQ',
      'AS-REP',
      'KRB-ERROR',
      'KRB-CRED',
      'EncKDCRepPart',
      'Krb5Token',
    ]) {
      const t = get(name);
      // The largest seed (a MIT message when the fixtures are there) and the first generated one.
      const largest = [...t.seeds].sort((a, b) => b.length - a.length)[0]!;
      picks.push([t, largest], [t, t.seeds[0]!]);
    }
    let n = 0;
    for (const [t, bytes] of picks) {
      for (let k = 0; k < bytes.length; k++) {
        const prefix = bytes.slice(0, k);
        // A proper prefix of a DER value is never a complete value of the same type.
        expect(probe(t, prefix, `truncate@${k}`)).toBe(false);
        probe(anyMessage, prefix, `truncate@${k}`);
        n++;
      }
    }
    expect(n).toBeGreaterThan(2000);
  });
});

describe('mutations of valid encodings', () => {
  const RUNS_PER_TARGET = 240;

  it.each(TARGETS.map((t, i) => [t.name, t, i] as const))('%s', (_name, t, i) => {
    const mutants = t.seeds.map((s) => arbDerMutant(s));
    const arb = fc.nat({ max: mutants.length - 1 }).chain((k) => mutants[k]!);
    fc.assert(
      fc.property(arb, (m: DerMutant) => {
        probeAll(t, m.bytes, m.kind);
      }),
      { seed: SEED + i, numRuns: RUNS_PER_TARGET, endOnFailure: true },
    );
  });

  it('mutated MIT fixtures, through decodeMessage', () => {
    const real = FIXTURES.filter((f) => byName.has(f.kind)).map((f) => fromHex(f.hex));
    expect(real).toHaveLength(36); // the Kerberos messages: every fixture but the four GSS tokens
    const mutants = real.map((b) => arbDerMutant(b));
    fc.assert(
      fc.property(
        fc.nat({ max: mutants.length - 1 }).chain((k) => mutants[k]!),
        (m) => {
          probe(anyMessage, m.bytes, m.kind);
        },
      ),
      { seed: SEED, numRuns: 1500, endOnFailure: true },
    );
  });
});

describe('random bytes behind every APPLICATION tag', () => {
  it('never throws anything but Asn1Error', () => {
    const tags = [0x60, 0x61, 0x62, 0x63, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x74, 0x75, 0x76];
    const arb = fc.tuple(
      fc.constantFrom(...tags, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x30, 0xa0, 0xa1),
      fc.uint8Array({ maxLength: 48 }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(arb, ([tag, body, framed]) => {
        const bytes = framed
          ? Uint8Array.from([tag, ...derLength(body.length), ...body])
          : Uint8Array.from([tag, ...body]);
        probe(anyMessage, bytes, 'random');
        probe(derTree, bytes, 'random');
        for (const name of ['Ticket', 'NegotiationToken', 'Krb5Token', 'KDC-PROXY-MESSAGE']) {
          probe(get(name), bytes, 'random');
        }
      }),
      { seed: SEED, numRuns: 1500, endOnFailure: true },
    );
  });
});

/**
 * A limit for {@link within} that only a hang reaches: generous on a loaded machine, and below
 * vitest's 60 s timeout, so the failure names the input.
 */
const HANG_MS = 10_000;

/** Runs `f` and fails if it takes longer than `ms` (a hang detector, far above the expected time). */
function within<T>(ms: number, label: string, f: () => T): T {
  const t0 = performance.now();
  const v = f();
  const took = performance.now() - t0;
  if (took > ms) throw new Error(`${label} took ${took.toFixed(0)} ms (limit ${ms} ms)`);
  return v;
}

describe('resource exhaustion', () => {
  const DEPTH = 100_000;
  const BOMB_TARGETS = ['Ticket', 'AS-REQ', 'TGS-REP', 'KRB-ERROR', 'AuthorizationData', 'PrincipalName'];

  it.each(['definite', 'indefinite', 'open'] as const)('nesting bombs %s, 100k deep', (form) => {
    const bombs: Array<[string, Uint8Array]> = [
      ['SEQUENCE', nestingBomb(DEPTH, { form })],
      ['[0]', nestingBomb(DEPTH, { form, tag: 0xa0 })],
      ['[APPLICATION 1] SEQUENCE', nestingBomb(DEPTH, { form, outer: [0x61] })],
      ['[APPLICATION 10] SEQUENCE', nestingBomb(DEPTH, { form, outer: [0x6a] })],
      ['[APPLICATION 30] SEQUENCE', nestingBomb(DEPTH, { form, outer: [0x7e] })],
      ['[APPLICATION 1] [0]', nestingBomb(DEPTH, { form, tag: 0xa0, outer: [0x61] })],
    ];
    for (const [label, bomb] of bombs) {
      within(2000, `${form} ${label} bomb`, () => {
        for (const name of BOMB_TARGETS) probe(get(name), bomb, `bomb ${form} ${label}`);
        probe(anyMessage, bomb, `bomb ${form} ${label}`);
        probe(derTree, bomb, `bomb ${form} ${label}`);
        expect(() => decodeDerTree(bomb, { maxDepth: 64 })).toThrow(Asn1Error);
      });
    }
  });

  it('rejects AD-IF-RELEVANT nested 30k deep (expandAuthorizationData)', () => {
    const ad = nestedIfRelevant(30_000);
    const outer = within(2000, 'decode nested AD', () => decodeAuthorizationData(ad));
    const err = within(2000, 'expand nested AD', () => {
      try {
        expandAuthorizationData(outer);
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expectAsn1Error(err, 'expandAuthorizationData', ad);
    // ...while a container nested within maxDepth expands.
    const ok = expandAuthorizationData(decodeAuthorizationData(nestedIfRelevant(20)));
    expect(ok).toHaveLength(1);
  });

  it('messageToJson / valueToJson of values nested thousands deep: 32 decoded, then hex, in linear size and time', () => {
    // Each level's opaque bytes are decoded and shown in place (e-data, a PA-FX-ERROR's KRB-ERROR,
    // AD-IF-RELEVANT): unbounded, that was a stack overflow, and the hex of every level beside it
    // made the JSON quadratic in the input (a 109 KB KRB-ERROR took 2.7 GB).
    const chain = nestedFxError(8_000);
    expect(chain.length).toBeLessThanOrEqual(1 << 20);
    const msg = decodeMessage(chain);
    const json = within(HANG_MS, 'messageToJson(PA-FX-ERROR chain)', () =>
      JSON.stringify(messageToJson(msg)),
    );
    expect(json.length).toBeLessThan(3 * chain.length);
    expect(json.match(/"eDataDecoded":/g)).toHaveLength(16); // 32 levels: e-data, PA-FX-ERROR, e-data...
    expect(json).toContain('"eDataDecodedError":"nests deeper than maxDepth 32"');
    const ad = nestedIfRelevant(30_000);
    const adJson = within(HANG_MS, 'valueToJson(AD-IF-RELEVANT chain)', () =>
      JSON.stringify(valueToJson('AuthorizationData', decodeAuthorizationData(ad))),
    );
    expect(adJson.length).toBeLessThan(3 * ad.length);
    expect(adJson.match(/"adDataDecoded":/g)).toHaveLength(32);
    expect(adJson).toContain('"adDataDecodedError":"nests deeper than maxDepth 32"');
  });

  it('handles SEQUENCE OFs with hundreds of thousands of elements', () => {
    const principal = (names: Uint8Array) => seq([0xa0, 3, 2, 1, 1], wrap(0xa1, names));
    const cases: Array<[string, Uint8Array]> = [
      ['PrincipalName', principal(longSequenceOf([0x1b, 0x00], 250_000))],
      ['AuthorizationData', longSequenceOf(seq(wrap(0xa0, [2, 1, 1]), wrap(0xa1, [4, 0])), 50_000)],
      ['METHOD-DATA', longSequenceOf(seq(wrap(0xa1, [2, 1, 2]), wrap(0xa2, [4, 0])), 50_000)],
      ['LastReq', longSequenceOf(seq(wrap(0xa0, [2, 1, 0]), wrap(0xa1, timeTlv())), 20_000)],
      ['AS-REQ', asReqWithEtypes(200_000)],
    ];
    for (const [name, bytes] of cases) {
      expect(bytes.length).toBeLessThanOrEqual(1 << 20);
      within(3000, `${name} of ${bytes.length} bytes`, () => probe(get(name), bytes, 'long SEQUENCE OF'));
    }
    // Over maxBytes: refused up front, by its size, at offset 0 (not after walking its elements).
    const huge = principal(longSequenceOf([0x1b, 0x00], 600_000));
    expect(huge.length).toBeGreaterThan(1 << 20);
    expect(probe(get('PrincipalName'), huge, 'over maxBytes')).toBe(false);
    const refusal = (() => {
      try {
        decodePrincipalName(huge);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(Asn1Error);
    expect((refusal as Asn1Error).reason).toBe(`input of ${huge.length} bytes exceeds maxBytes ${1 << 20}`);
    expect((refusal as Asn1Error).offset).toBe(0);
  });

  it('refuses lengths that claim up to 2^32 - 1 bytes without allocating them', () => {
    const claims = [
      [0x84, 0x80, 0x00, 0x00, 0x00],
      [0x84, 0xff, 0xff, 0xff, 0xff],
      [0x84, 0x7f, 0xff, 0xff, 0xff],
      [0x83, 0xff, 0xff, 0xff],
      [0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ];
    for (const t of TARGETS) {
      for (const claim of claims) {
        for (const first of [t.seeds[0]![0]!, 0x30, 0x04]) {
          const bytes = Uint8Array.from([first, ...claim, 0x30, 0x00, 0x02, 0x01, 0x05]);
          expect(probe(t, bytes, 'claimed length')).toBe(false);
          probe(anyMessage, bytes, 'claimed length');
          probe(derTree, bytes, 'claimed length');
        }
      }
    }
  });

  it('decodeDerTree renders a 64 KiB INTEGER as hex, without big-integer arithmetic on it, and without hanging', () => {
    // Under maxBytes. Rendered in decimal it would take a BigInt conversion per octet, each as
    // long as the number: quadratic. Past 8 octets it is the contents in hex, so the work is
    // one pass over them: the rendering itself shows which path ran, whatever the machine's speed.
    const n = 64 * 1024;
    const bytes = Uint8Array.from([0x02, ...derLength(n), ...new Uint8Array(n).fill(0x11)]);
    expect(probe(derTree, bytes, 'long INTEGER')).toBe(true);
    const tree = within(HANG_MS, 'decodeDerTree(64 KiB INTEGER)', () => decodeDerTree(bytes));
    expect(tree.value).toBe(`0x${'11'.repeat(n)}`);
  });
});

describe('OBJECT IDENTIFIER arcs', () => {
  it('round-trips every arc the encoder accepts, or refuses to encode it', () => {
    for (const arc of [2 ** 32, 2 ** 45, 2 ** 52, 2 ** 52 + 128, 2 ** 53 - 1]) {
      const mech = `1.2.${arc}`;
      let framed: Uint8Array;
      try {
        framed = wrapGssToken(mech, Uint8Array.of(0));
      } catch (e) {
        expectAsn1Error(e, `wrapGssToken(${mech})`, new Uint8Array(0));
        continue;
      }
      expect(unwrapGssToken(framed).thisMech, `${mech} as ${hex(framed)}`).toBe(mech);
    }
  });
});

describe('summary', () => {
  // Meaningful after a full run of this file (skipped, like any test, by a -t filter).
  it('probed many thousands of inputs, saw both outcomes everywhere, and kept the heap in bounds', () => {
    expect(inputs).toBeGreaterThan(20_000);
    for (const t of TARGETS) {
      const c = tally.get(t.name)!;
      expect(c.rejected, t.name).toBeGreaterThan(0);
      expect(c.decoded, t.name).toBeGreaterThan(0);
    }
    // A weak check that nothing retained input-sized garbage across the run.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });
});

// ---------------------------------------------------------------------------
// Builders for the big inputs

function wrap(tag: number, content: ArrayLike<number>): Uint8Array {
  return concatBytes([[tag], derLength(content.length), content]);
}

function seq(...fields: ArrayLike<number>[]): Uint8Array {
  return wrap(0x30, concatBytes(fields));
}

function timeTlv(): Uint8Array {
  return wrap(
    0x18,
    Array.from('20260101000000Z', (ch) => ch.charCodeAt(0)),
  );
}

/** An AS-REQ whose etype list has `count` entries (each `02 01 12`). */
function asReqWithEtypes(count: number): Uint8Array {
  const body = seq(
    wrap(0xa0, [0x03, 0x05, 0x00, 0x40, 0x00, 0x00, 0x10]),
    wrap(0xa2, wrap(0x1b, [0x41])),
    wrap(0xa5, timeTlv()),
    wrap(0xa7, [0x02, 0x01, 0x01]),
    wrap(0xa8, longSequenceOf([0x02, 0x01, 0x12], count)),
  );
  return wrap(0x6a, seq(wrap(0xa1, [2, 1, 5]), wrap(0xa2, [2, 1, 10]), wrap(0xa4, body)));
}

/**
 * A KRB-ERROR whose e-data is METHOD-DATA { PA-FX-ERROR (137): a KRB-ERROR whose e-data ... },
 * `levels` deep (built back to front, linear).
 */
function nestedFxError(levels: number): Uint8Array {
  const base = {
    pvno: 5 as const,
    msgType: 30 as const,
    stime: Date.UTC(2026, 0, 1),
    susec: 0,
    errorCode: 6,
    realm: 'R',
    sname: { nameType: 2, nameString: ['krbtgt', 'R'] },
  };
  const innermost = encodeKrbError(base).slice();
  // The KRB-ERROR's fields: its bytes without the [APPLICATION 30] and SEQUENCE headers.
  const skip = (b: Uint8Array, at: number) => at + 2 + (b[at + 1]! & 0x80 ? b[at + 1]! & 0x7f : 0);
  const fields = innermost.subarray(skip(innermost, skip(innermost, 0)));
  const { put, header, written } = backToFront(innermost.length + levels * (fields.length + 64));
  put(innermost);
  for (let i = 0; i < levels; i++) {
    header(0x04); // padata-value OCTET STRING
    header(0xa2);
    put([0xa1, 0x04, 0x02, 0x02, 0x00, 0x89]); // padata-type [1] 137 (PA-FX-ERROR)
    header(0x30); // PA-DATA
    header(0x30); // METHOD-DATA
    header(0x04); // e-data OCTET STRING
    header(0xac); // [12]
    put(fields);
    header(0x30);
    header(0x7e);
  }
  return written();
}

/** AuthorizationData holding one AD-IF-RELEVANT holding one AD-IF-RELEVANT ... `levels` deep (built back to front, linear). */
function nestedIfRelevant(levels: number): Uint8Array {
  const { put, header, written } = backToFront(levels * 30 + 16);
  put([0x30, 0x00]);
  for (let i = 0; i < levels; i++) {
    header(0x04); // ad-data OCTET STRING
    header(0xa1);
    put([0xa0, 0x03, 0x02, 0x01, 0x01]); // ad-type [0] 1 (AD-IF-RELEVANT)
    header(0x30); // the entry
    header(0x30); // the SEQUENCE OF
  }
  return written();
}

/**
 * DER written from the end of a buffer of `capacity` bytes towards its start, so that each header
 * wraps everything written so far without a copy: `put` bytes, `header(tag)` over all of them.
 */
function backToFront(capacity: number) {
  const buf = new Uint8Array(capacity);
  let p = buf.length;
  const put = (bytes: ArrayLike<number>) => {
    p -= bytes.length;
    buf.set(bytes, p);
  };
  const header = (tag: number) => {
    put(derLength(buf.length - p));
    put([tag]);
  };
  return { put, header, written: () => buf.slice(p) };
}
