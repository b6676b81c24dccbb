/**
 * Transaction Manager Request (MS-TDS section 2.2.6.9, packet type 0x0E):
 * how SqlClient (BeginTransaction, Commit, Rollback, Save), tedious and
 * python-tds begin and end a transaction without SQL text.
 *
 * ```
 * TransMgrReq = ALL_HEADERS RequestType (USHORT) [RequestPayload]
 * ```
 *
 * ALL_HEADERS as a SQLBatch has them (section 2.2.5.3, from TDS 7.2 on; TDS
 * 7.1 has none): the transaction descriptor header required, trace activity
 * allowed, query notifications not (2.2.5.3's table disallows them here).
 * The payload, by RequestType:
 *
 * - TM_GET_DTC_ADDRESS (0), TM_PROPAGATE_XACT (1): a US_VARBYTE (a USHORT
 *   byte length, then the bytes: empty for the address, the DTC's opaque
 *   transaction for a propagation);
 * - TM_BEGIN_XACT (5): ISOLATION_LEVEL (BYTE), then the new transaction's
 *   name;
 * - TM_PROMOTE_XACT (6): nothing;
 * - TM_COMMIT_XACT (7), TM_ROLLBACK_XACT (8): the transaction's name, then
 *   XACT_FLAGS (BYTE: fBeginXact the low bit, the seven others reserved
 *   bits, 0), and only with fBeginXact the next transaction's
 *   ISOLATION_LEVEL and name (a commit or rollback that begins the next);
 * - TM_SAVE_XACT (9): the savepoint's name, which may not be empty.
 *
 * A name is a B_VARBYTE holding UTF-16LE: a BYTE length in bytes (twice the
 * characters, as SqlClient and tedious write it), so 127 characters at
 * most. ISOLATION_LEVEL is 0x00 (no change) to 0x05 (snapshot); another
 * value, another RequestType (MS-TDS: the receiver SHOULD disconnect), a
 * reserved XACT_FLAGS bit set, a name of an odd byte length, a field cut
 * short or bytes after the payload are malformed (the client then gets 4014
 * and the connection closes).
 *
 * The decoder checks the transaction descriptor's structure only; the
 * session checks its value, as for a SQLBatch (`connection.ts`).
 *
 * @module
 */

import { TdsError } from './errors';
import { TdsVersion } from './iana/login7';
import { IsolationLevel, TransactionManagerRequestType } from './iana/transaction-manager';
import { ByteReader, ByteWriter, utf16Decode, utf16Encode } from './internal/bytes';
import { hasTds72Forms } from './negotiate';
import {
  decodeAllHeaders,
  type StreamHeader,
  type TransactionDescriptorHeader,
  writeAllHeaders,
} from './sql-batch';

/** What a begun transaction asks: TM_BEGIN_XACT's payload, and a commit's or rollback's with fBeginXact. */
export interface TransactionBegin {
  /** ISOLATION_LEVEL, 0x00 (no change) to 0x05 (snapshot): {@link IsolationLevel}. */
  readonly isolationLevel: number;
  /** The transaction's name; '' for none. */
  readonly name: string;
}

/** A transaction manager request's RequestType and payload. */
export type TransactionManagerRequest =
  | ({ readonly type: 'begin' } & TransactionBegin)
  | {
      readonly type: 'commit' | 'rollback';
      /** XACT_NAME: the transaction's name; '' for none. */
      readonly name: string;
      /** With fBeginXact: the transaction begun once this one has ended. */
      readonly begin?: TransactionBegin;
    }
  | { readonly type: 'save'; readonly name: string }
  /** TM_GET_DTC_ADDRESS and TM_PROPAGATE_XACT: the US_VARBYTE (empty for the address). */
  | { readonly type: 'get-dtc-address' | 'propagate'; readonly data: Uint8Array }
  | { readonly type: 'promote' };

/** A decoded transaction manager request. */
export interface TransMgrReq {
  /** ALL_HEADERS (none under TDS 7.1). */
  readonly headers: readonly StreamHeader[];
  readonly request: TransactionManagerRequest;
}

const REQUEST_TYPES: ReadonlyMap<number, TransactionManagerRequest['type']> = new Map([
  [TransactionManagerRequestType.GET_DTC_ADDRESS, 'get-dtc-address'],
  [TransactionManagerRequestType.PROPAGATE_XACT, 'propagate'],
  [TransactionManagerRequestType.BEGIN_XACT, 'begin'],
  [TransactionManagerRequestType.PROMOTE_XACT, 'promote'],
  [TransactionManagerRequestType.COMMIT_XACT, 'commit'],
  [TransactionManagerRequestType.ROLLBACK_XACT, 'rollback'],
  [TransactionManagerRequestType.SAVE_XACT, 'save'],
]);

/** XACT_FLAGS fBeginXact: a new transaction begins once this one has ended. */
const BEGIN_XACT = 0x01;
/** The longest name a B_VARBYTE holds: 255 bytes, 127 UTF-16 code units. */
const MAX_NAME_LENGTH = 127;

const P = 'TransMgrReq';

/** A name: a B_VARBYTE of UTF-16LE. */
function readName(r: ByteReader, field: string): string {
  const path = `${P}.${field}`;
  const n = r.u8(`${path}.length`);
  if (n % 2 !== 0) throw new TdsError('malformed', `${path}.length`, `${n} bytes is not UTF-16`);
  return utf16Decode(r.take(n, path));
}

function readBegin(r: ByteReader, nameField: string): TransactionBegin {
  const isolationLevel = r.u8(`${P}.ISOLATION_LEVEL`);
  if (isolationLevel > IsolationLevel.SNAPSHOT) {
    throw new TdsError(
      'malformed',
      `${P}.ISOLATION_LEVEL`,
      `0x${isolationLevel.toString(16).padStart(2, '0')} is no isolation level (0x00 to 0x05)`,
    );
  }
  return { isolationLevel, name: readName(r, nameField) };
}

function readPayload(r: ByteReader, type: TransactionManagerRequest['type']): TransactionManagerRequest {
  switch (type) {
    case 'get-dtc-address':
    case 'propagate':
      return { type, data: r.take(r.u16le(`${P}.RequestPayload.length`), `${P}.RequestPayload`) };
    case 'begin':
      return { type, ...readBegin(r, 'BEGIN_XACT_NAME') };
    case 'promote':
      return { type };
    case 'commit':
    case 'rollback': {
      const name = readName(r, 'XACT_NAME');
      const flags = r.u8(`${P}.XACT_FLAGS`);
      if ((flags & ~BEGIN_XACT) !== 0) {
        throw new TdsError(
          'malformed',
          `${P}.XACT_FLAGS`,
          `0x${flags.toString(16).padStart(2, '0')} sets reserved bits (fBeginXact, 0x01, is the one flag)`,
        );
      }
      return (flags & BEGIN_XACT) === 0
        ? { type, name }
        : { type, name, begin: readBegin(r, 'BEGIN_XACT_NAME') };
    }
    case 'save': {
      const name = readName(r, 'XACT_NAME');
      if (name === '') throw new TdsError('malformed', `${P}.XACT_NAME`, 'a savepoint needs a name');
      return { type, name };
    }
  }
}

/** Decode a transaction manager request's payload sent under `tdsVersion` (7.1 has no ALL_HEADERS). */
export function decodeTransactionManagerRequest(
  b: Uint8Array,
  tdsVersion: number = TdsVersion.V7_4,
): TransMgrReq {
  const { headers, end } = hasTds72Forms(tdsVersion)
    ? decodeAllHeaders(b, P, false)
    : { headers: [], end: 0 };
  const r = new ByteReader(b, end);
  const requestType = r.u16le(`${P}.RequestType`);
  const type = REQUEST_TYPES.get(requestType);
  if (type === undefined) {
    throw new TdsError(
      'malformed',
      `${P}.RequestType`,
      `${requestType} is no request type (0, 1 and 5 to 9 are)`,
    );
  }
  const request = readPayload(r, type);
  r.end(P);
  return { headers, request };
}

function writeName(w: ByteWriter, name: string, field: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    throw new RangeError(`${P}.${field}: ${name.length} characters is more than ${MAX_NAME_LENGTH}`);
  }
  w.u8(name.length * 2).bytes(utf16Encode(name));
}

function writeBegin(w: ByteWriter, begin: TransactionBegin): void {
  if (!Number.isInteger(begin.isolationLevel) || begin.isolationLevel < 0 || begin.isolationLevel > 5) {
    throw new RangeError(`${P}.ISOLATION_LEVEL: ${begin.isolationLevel} is not 0 to 5`);
  }
  w.u8(begin.isolationLevel);
  writeName(w, begin.name, 'BEGIN_XACT_NAME');
}

const TYPE_VALUES: ReadonlyMap<TransactionManagerRequest['type'], number> = new Map(
  [...REQUEST_TYPES].map(([value, type]) => [type, value]),
);

/**
 * Encode a transaction manager request; from TDS 7.2 on with the transaction descriptor header
 * (`transaction`, as `encodeSqlBatch` takes it: the open transaction's descriptor to commit or roll it
 * back, all zeros to begin one with none open). A name past 127 characters, an isolation level outside
 * 0 to 5, an empty savepoint name or a payload past 65535 bytes is a RangeError.
 */
export function encodeTransactionManagerRequest(
  request: TransactionManagerRequest,
  tdsVersion: number = TdsVersion.V7_4,
  transaction: Partial<TransactionDescriptorHeader> = {},
): Uint8Array {
  const w = new ByteWriter(64);
  if (hasTds72Forms(tdsVersion)) writeAllHeaders(w, P, transaction);
  w.u16le(TYPE_VALUES.get(request.type)!);
  switch (request.type) {
    case 'get-dtc-address':
    case 'propagate':
      if (request.data.length > 0xffff) {
        throw new RangeError(`${P}.RequestPayload: ${request.data.length} bytes is more than 65535`);
      }
      w.u16le(request.data.length).bytes(request.data);
      break;
    case 'begin':
      writeBegin(w, request);
      break;
    case 'promote':
      break;
    case 'commit':
    case 'rollback':
      writeName(w, request.name, 'XACT_NAME');
      w.u8(request.begin === undefined ? 0 : BEGIN_XACT);
      if (request.begin !== undefined) writeBegin(w, request.begin);
      break;
    case 'save':
      if (request.name === '') throw new RangeError(`${P}.XACT_NAME: a savepoint needs a name`);
      writeName(w, request.name, 'XACT_NAME');
      break;
  }
  return w.finish();
}
