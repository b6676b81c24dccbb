/**
 * SQLBatch (MS-TDS section 2.2.6.7): from TDS 7.2 on, ALL_HEADERS
 * (section 2.2.5.3) and then the SQL text in UTF-16LE.
 *
 * ```
 * ALL_HEADERS = TotalLength (4, itself included) { HeaderLength (4, itself included) HeaderType (2) HeaderData }
 * ```
 *
 * Each header type comes once at most, with its structure (2.2.5.3.1-3):
 * query notifications (1): NotifyId and SSBDeployment, each a USHORT byte
 * length and UTF-16LE text, then an optional 4-byte NotifyTimeout;
 * transaction descriptor (2, required from TDS 7.2 on): an 8-byte
 * descriptor and a 4-byte outstanding request count, HeaderLength 18;
 * trace activity (3): a 16-byte activity id and a 4-byte sequence number,
 * HeaderLength 26. Another type, a second header of one type, or a
 * header out of its structure is malformed (the client then gets 4014).
 * A transaction manager request carries the same ALL_HEADERS, without
 * query notifications (`transaction-manager.ts` reads it with the reader
 * and writer here).
 *
 * The decoder checks a transaction descriptor's structure only; its value
 * is the session's to check (`connection.ts`): the descriptor the server
 * handed out in ENVCHANGE BEGIN_TRANSACTION while that transaction is open,
 * 0 when none is (2.2.5.3.2: 0 in autocommit mode); an
 * OutstandingRequestCount above 1 (there is no MARS) makes a statement that
 * begins or ends a transaction 3981, as SQL Server answers it. A count of 0
 * is taken as 1: what SQL Server does with it is not documented.
 *
 * @module
 */

import { TdsError } from './errors';
import { TdsVersion } from './iana/login7';
import { ByteReader, ByteWriter, utf16Decode, utf16Encode } from './internal/bytes';
import { hasTds72Forms } from './negotiate';

/** ALL_HEADERS HeaderType values. */
export const AllHeadersType = Object.freeze({
  QUERY_NOTIFICATIONS: 1,
  TRANSACTION_DESCRIPTOR: 2,
  TRACE_ACTIVITY: 3,
} as const);

/** One ALL_HEADERS header. */
export interface StreamHeader {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A decoded SQLBatch. */
export interface SqlBatch {
  readonly headers: readonly StreamHeader[];
  readonly sqlText: string;
}

/** A transaction descriptor header's data (MS-TDS 2.2.5.3.2). */
export interface TransactionDescriptorHeader {
  /**
   * The 8-byte TransactionDescriptor: the one the server sent in ENVCHANGE BEGIN_TRANSACTION for the
   * transaction the request runs in, all zeros when none is open.
   */
  readonly descriptor: Uint8Array;
  /** OutstandingRequestCount: the requests active on the connection, this one included (1 without MARS). */
  readonly outstandingRequestCount: number;
}

/**
 * The transaction descriptor header of a request decoded under TDS 7.2 or later (a SQLBatch, a transaction
 * manager request); undefined under 7.1, which has no ALL_HEADERS.
 */
export function transactionDescriptorOf(request: {
  readonly headers: readonly StreamHeader[];
}): TransactionDescriptorHeader | undefined {
  const h = request.headers.find((x) => x.type === AllHeadersType.TRANSACTION_DESCRIPTOR);
  if (h === undefined) return undefined;
  const r = new ByteReader(h.data);
  const descriptor = r.take(8, 'ALL_HEADERS.TransactionDescriptor');
  return { descriptor, outstandingRequestCount: r.u32le('ALL_HEADERS.OutstandingRequestCount') };
}

/** The HeaderLength of the fixed-size headers (HeaderLength, HeaderType and HeaderData). */
const FIXED_HEADER_LENGTHS: ReadonlyMap<number, number> = new Map([
  [AllHeadersType.TRANSACTION_DESCRIPTOR, 18],
  [AllHeadersType.TRACE_ACTIVITY, 26],
]);

/** A query notifications header's data (2.2.5.3.1): two US_VARCHARs sized in bytes, then NotifyTimeout or nothing. */
function checkQueryNotifications(data: Uint8Array, p: string): void {
  const r = new ByteReader(data);
  for (const field of ['NotifyId', 'SSBDeployment']) {
    const n = r.u16le(`${p}.${field}.Length`);
    if (n % 2 !== 0) throw new TdsError('malformed', `${p}.${field}.Length`, `${n} bytes is not UTF-16`);
    r.take(n, `${p}.${field}`);
  }
  if (r.remaining !== 0 && r.remaining !== 4) {
    throw new TdsError('malformed', `${p}.NotifyTimeout`, `${r.remaining} bytes where 4 or none are`);
  }
}

/**
 * ALL_HEADERS at the start of `b` (MS-TDS 2.2.5.3), the request's `message` naming the fields
 * (`SQLBatch`, `TransMgrReq`): its headers and where the request's own data begins. Query
 * notifications are a SQLBatch's and an RPC's only (2.2.5.3's table: disallowed in a transaction
 * manager request), so `queryNotifications: false` refuses them too.
 */
export function decodeAllHeaders(
  b: Uint8Array,
  message: string,
  queryNotifications: boolean,
): { headers: StreamHeader[]; end: number } {
  const headers: StreamHeader[] = [];
  const r = new ByteReader(b);
  const total = r.u32le(`${message}.ALL_HEADERS.TotalLength`);
  if (total < 4 || total > b.length) {
    throw new TdsError('malformed', `${message}.ALL_HEADERS.TotalLength`, `${total} is not 4 to ${b.length}`);
  }
  const hr = new ByteReader(b, 4, total);
  while (hr.remaining > 0) {
    const p = `${message}.ALL_HEADERS[${headers.length}]`;
    const length = hr.u32le(`${p}.HeaderLength`);
    if (length < 6) throw new TdsError('malformed', `${p}.HeaderLength`, `${length} is shorter than 6`);
    const type = hr.u16le(`${p}.HeaderType`);
    const fixed = FIXED_HEADER_LENGTHS.get(type);
    if (fixed === undefined && type !== AllHeadersType.QUERY_NOTIFICATIONS) {
      throw new TdsError(
        'malformed',
        `${p}.HeaderType`,
        `0x${type.toString(16).padStart(4, '0')} is no header type`,
      );
    }
    if (type === AllHeadersType.QUERY_NOTIFICATIONS && !queryNotifications) {
      throw new TdsError(
        'malformed',
        `${p}.HeaderType`,
        `query notifications (type 1) are not allowed in a ${message}`,
      );
    }
    if (headers.some((h) => h.type === type)) {
      throw new TdsError('malformed', `${p}.HeaderType`, `a second header of type ${type}`);
    }
    if (fixed !== undefined && length !== fixed) {
      throw new TdsError(
        'malformed',
        `${p}.HeaderLength`,
        `${length} where a header of type ${type} has ${fixed}`,
      );
    }
    const data = hr.take(length - 6, `${p}.HeaderData`);
    if (type === AllHeadersType.QUERY_NOTIFICATIONS) checkQueryNotifications(data, `${p}.HeaderData`);
    headers.push({ type, data });
  }
  if (!headers.some((h) => h.type === AllHeadersType.TRANSACTION_DESCRIPTOR)) {
    throw new TdsError(
      'malformed',
      `${message}.ALL_HEADERS`,
      'no transaction descriptor header (required from TDS 7.2)',
    );
  }
  return { headers, end: total };
}

/** Decode a SQLBatch payload sent under `tdsVersion` (7.1 has no ALL_HEADERS). */
export function decodeSqlBatch(b: Uint8Array, tdsVersion: number = TdsVersion.V7_4): SqlBatch {
  const { headers, end } = hasTds72Forms(tdsVersion)
    ? decodeAllHeaders(b, 'SQLBatch', true)
    : { headers: [], end: 0 };
  const text = b.subarray(end);
  if (text.length % 2 !== 0) {
    throw new TdsError('malformed', 'SQLBatch.SQLText', `${text.length} bytes is not UTF-16`);
  }
  return { headers, sqlText: utf16Decode(text) };
}

/** No transaction open: the descriptor a request carries in autocommit mode (MS-TDS 2.2.5.3.2). */
export const NO_TRANSACTION = new Uint8Array(8);

/**
 * Write ALL_HEADERS with the transaction descriptor header alone (22 bytes): `transaction`'s descriptor
 * (8 bytes; default all zeros, no transaction open) and OutstandingRequestCount (default 1, as without
 * MARS). `message` names the request in the RangeError a descriptor of another length is.
 */
export function writeAllHeaders(
  w: ByteWriter,
  message: string,
  transaction: Partial<TransactionDescriptorHeader>,
): ByteWriter {
  const descriptor = transaction.descriptor ?? NO_TRANSACTION;
  if (descriptor.length !== 8) {
    throw new RangeError(`${message}: a transaction descriptor of ${descriptor.length} bytes, not 8`);
  }
  w.u32le(22).u32le(18).u16le(AllHeadersType.TRANSACTION_DESCRIPTOR).bytes(descriptor);
  return w.u32le(transaction.outstandingRequestCount ?? 1);
}

/**
 * Encode a SQLBatch; from TDS 7.2 on with the transaction descriptor header: `transaction`'s
 * descriptor (8 bytes; default all zeros, no transaction open) and OutstandingRequestCount
 * (default 1, as without MARS). A descriptor of another length is a RangeError.
 */
export function encodeSqlBatch(
  sqlText: string,
  tdsVersion: number = TdsVersion.V7_4,
  transaction: Partial<TransactionDescriptorHeader> = {},
): Uint8Array {
  const text = utf16Encode(sqlText);
  if (!hasTds72Forms(tdsVersion)) return text.slice();
  return writeAllHeaders(new ByteWriter(22 + text.length), 'SQLBatch', transaction)
    .bytes(text)
    .finish();
}
