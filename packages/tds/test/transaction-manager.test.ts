/**
 * Transaction manager requests (MS-TDS 2.2.6.9, packet type 0x0E): the
 * bytes drivers send (python-tds, tedious, SqlClient), read and written
 * back, and the strict decoder's refusals, each naming its field.
 */
import {
  AllHeadersType,
  decodeTransactionManagerRequest,
  encodeTransactionManagerRequest,
  IsolationLevel,
  TdsVersion,
  type TransactionManagerRequest,
  TransactionManagerRequestType,
  transactionDescriptorOf,
} from '@krbsim/tds';
import { describe, expect, it } from 'vitest';
import { refusalMessage } from './helpers';

/** ALL_HEADERS with the transaction descriptor header alone (22 bytes), as every driver writes it. */
const allHeaders = (descriptor = 0n, outstanding = 1) => {
  const v = new DataView(new ArrayBuffer(22));
  v.setUint32(0, 22, true);
  v.setUint32(4, 18, true);
  v.setUint16(8, AllHeadersType.TRANSACTION_DESCRIPTOR, true);
  v.setBigUint64(10, descriptor, true);
  v.setUint32(18, outstanding, true);
  return [...new Uint8Array(v.buffer)];
};
/** A request: ALL_HEADERS, then the RequestType (USHORT) and the payload's bytes. */
const tm = (type: number, payload: number[], descriptor = 0n) =>
  Uint8Array.from([...allHeaders(descriptor), type & 0xff, type >> 8, ...payload]);
/** A name as drivers write it: a BYTE length in bytes, then UTF-16LE. */
const name = (s: string) => [s.length * 2, ...Buffer.from(s, 'utf16le')];

describe('transaction manager requests: what drivers send', () => {
  const cases: Array<[string, Uint8Array, TransactionManagerRequest]> = [
    // python-tds: begin at connect (and after each commit or rollback, which its own requests do).
    [
      "python-tds's TM_BEGIN_XACT: isolation level 0, no name",
      tm(TransactionManagerRequestType.BEGIN_XACT, [0, 0]),
      { type: 'begin', isolationLevel: IsolationLevel.NO_CHANGE, name: '' },
    ],
    [
      "python-tds's commit(): TM_COMMIT_XACT with fBeginXact, the next transaction's level and name",
      tm(TransactionManagerRequestType.COMMIT_XACT, [0, 1, 0, 0], 1n),
      { type: 'commit', name: '', begin: { isolationLevel: 0, name: '' } },
    ],
    [
      "tedious's beginTransaction('tx1', READ_COMMITTED): the name's length in bytes",
      tm(TransactionManagerRequestType.BEGIN_XACT, [2, ...name('tx1')]),
      { type: 'begin', isolationLevel: IsolationLevel.READ_COMMITTED, name: 'tx1' },
    ],
    [
      "SqlClient's Commit: no name, no flags",
      tm(TransactionManagerRequestType.COMMIT_XACT, [0, 0], 1n),
      { type: 'commit', name: '' },
    ],
    [
      "tedious's rollbackTransaction('tx1')",
      tm(TransactionManagerRequestType.ROLLBACK_XACT, [...name('tx1'), 0], 1n),
      { type: 'rollback', name: 'tx1' },
    ],
    [
      "SqlClient's Save('sp1')",
      tm(TransactionManagerRequestType.SAVE_XACT, name('sp1'), 1n),
      { type: 'save', name: 'sp1' },
    ],
    [
      "SqlClient's TM_GET_DTC_ADDRESS: an empty US_VARBYTE",
      tm(TransactionManagerRequestType.GET_DTC_ADDRESS, [0, 0]),
      { type: 'get-dtc-address', data: new Uint8Array(0) },
    ],
    [
      'TM_PROPAGATE_XACT: the DTC transaction, a US_VARBYTE',
      tm(TransactionManagerRequestType.PROPAGATE_XACT, [3, 0, 7, 8, 9]),
      { type: 'propagate', data: Uint8Array.of(7, 8, 9) },
    ],
    [
      'TM_PROMOTE_XACT: no payload',
      tm(TransactionManagerRequestType.PROMOTE_XACT, [], 1n),
      { type: 'promote' },
    ],
  ];

  it.each(cases)('reads and writes %s', (_, wire, request) => {
    const decoded = decodeTransactionManagerRequest(wire);
    expect(decoded.request).toEqual(request);
    const descriptor = transactionDescriptorOf(decoded)!;
    expect(encodeTransactionManagerRequest(request, TdsVersion.V7_4, descriptor)).toEqual(wire);
  });

  it('names the transaction in ALL_HEADERS as a batch does (2.2.5.3.2), and has none under TDS 7.1', () => {
    const descriptor = Uint8Array.of(0x21, 0, 0, 0, 0x35, 0, 0, 0);
    const wire = encodeTransactionManagerRequest({ type: 'rollback', name: '' }, TdsVersion.V7_4, {
      descriptor,
      outstandingRequestCount: 2,
    });
    expect(transactionDescriptorOf(decodeTransactionManagerRequest(wire))).toEqual({
      descriptor,
      outstandingRequestCount: 2,
    });
    const v71 = encodeTransactionManagerRequest(
      { type: 'begin', isolationLevel: 4, name: 'a' },
      TdsVersion.V7_1,
    );
    expect([...v71]).toEqual([5, 0, 4, 2, 0x61, 0]);
    expect(decodeTransactionManagerRequest(v71, TdsVersion.V7_1)).toEqual({
      headers: [],
      request: { type: 'begin', isolationLevel: 4, name: 'a' },
    });
    // Trace activity is allowed, as in a batch.
    const trace = [26, 0, 0, 0, AllHeadersType.TRACE_ACTIVITY, 0, ...Array(20).fill(7)];
    const withTrace = Uint8Array.from([48, 0, 0, 0, ...allHeaders().slice(4), ...trace, 5, 0, 0, 0]);
    expect(decodeTransactionManagerRequest(withTrace).headers.map((h) => h.type)).toEqual([
      AllHeadersType.TRANSACTION_DESCRIPTOR,
      AllHeadersType.TRACE_ACTIVITY,
    ]);
  });
});

describe('transaction manager requests: the strict decoder', () => {
  it('refuses each request out of its structure, naming the field', () => {
    const notifications = [14, 0, 0, 0, AllHeadersType.QUERY_NOTIFICATIONS, 0, 2, 0, 0x6e, 0, 2, 0, 0x73, 0];
    for (const [wire, refused] of [
      // RequestType: 2 to 4 and past 9 are none (MS-TDS: the receiver SHOULD disconnect).
      [tm(2, []), 'malformed TransMgrReq.RequestType: 2 is no request type (0, 1 and 5 to 9 are)'],
      [tm(10, [0, 0]), 'malformed TransMgrReq.RequestType: 10 is no request type (0, 1 and 5 to 9 are)'],
      [
        Uint8Array.from([...allHeaders(), 5]),
        'malformed TransMgrReq.RequestType: truncated: 2 bytes needed at offset 22, 1 left',
      ],
      // ISOLATION_LEVEL: 0x00 to 0x05, in a begin and in a commit's or rollback's next transaction.
      [tm(5, [6, 0]), 'malformed TransMgrReq.ISOLATION_LEVEL: 0x06 is no isolation level (0x00 to 0x05)'],
      [
        tm(8, [0, 1, 0xff, 0], 1n),
        'malformed TransMgrReq.ISOLATION_LEVEL: 0xff is no isolation level (0x00 to 0x05)',
      ],
      // Names: UTF-16, whole.
      [tm(5, [0, 3, 0x61, 0, 0x62]), 'malformed TransMgrReq.BEGIN_XACT_NAME.length: 3 bytes is not UTF-16'],
      [
        tm(5, [0, 4, 0x61, 0]),
        'malformed TransMgrReq.BEGIN_XACT_NAME: truncated: 4 bytes needed at offset 26, 2 left',
      ],
      [
        tm(5, [0]),
        'malformed TransMgrReq.BEGIN_XACT_NAME.length: truncated: 1 bytes needed at offset 25, 0 left',
      ],
      // XACT_FLAGS: required; fBeginXact its one flag; the next transaction only with it.
      [tm(7, [0], 1n), 'malformed TransMgrReq.XACT_FLAGS: truncated: 1 bytes needed at offset 25, 0 left'],
      [
        tm(7, [0, 2], 1n),
        'malformed TransMgrReq.XACT_FLAGS: 0x02 sets reserved bits (fBeginXact, 0x01, is the one flag)',
      ],
      [tm(7, [0, 0, 0, 0], 1n), 'malformed TransMgrReq: 2 bytes after the end'],
      [
        tm(8, [0, 1, 0], 1n),
        'malformed TransMgrReq.BEGIN_XACT_NAME.length: truncated: 1 bytes needed at offset 27, 0 left',
      ],
      // A savepoint needs a name.
      [tm(9, [0], 1n), 'malformed TransMgrReq.XACT_NAME: a savepoint needs a name'],
      // The distributed requests' payloads: a whole US_VARBYTE; none for a promotion.
      [
        tm(1, [4, 0, 1]),
        'malformed TransMgrReq.RequestPayload: truncated: 4 bytes needed at offset 26, 1 left',
      ],
      [
        tm(0, []),
        'malformed TransMgrReq.RequestPayload.length: truncated: 2 bytes needed at offset 24, 0 left',
      ],
      [tm(6, [0], 1n), 'malformed TransMgrReq: 1 bytes after the end'],
      // ALL_HEADERS: the transaction descriptor required, query notifications not allowed (2.2.5.3).
      [
        Uint8Array.from([18, 0, 0, 0, ...notifications, 5, 0, 0, 0]),
        'malformed TransMgrReq.ALL_HEADERS[0].HeaderType: query notifications (type 1) are not allowed in a TransMgrReq',
      ],
      [
        Uint8Array.from([4, 0, 0, 0, 5, 0, 0, 0]),
        'malformed TransMgrReq.ALL_HEADERS: no transaction descriptor header (required from TDS 7.2)',
      ],
      [Uint8Array.of(5, 0, 0, 0), 'malformed TransMgrReq.ALL_HEADERS.TotalLength: 5 is not 4 to 4'],
    ] as Array<[Uint8Array, string]>) {
      expect(refusalMessage(() => decodeTransactionManagerRequest(wire))).toBe(refused);
    }
  });

  it('writes only what it could read: an isolation level outside 0 to 5, a name past 127 characters or an empty savepoint name is a RangeError', () => {
    expect(() => encodeTransactionManagerRequest({ type: 'begin', isolationLevel: 6, name: '' })).toThrow(
      new RangeError('TransMgrReq.ISOLATION_LEVEL: 6 is not 0 to 5'),
    );
    expect(() =>
      encodeTransactionManagerRequest({
        type: 'commit',
        name: 'x'.repeat(128),
        begin: { isolationLevel: 0, name: '' },
      }),
    ).toThrow(new RangeError('TransMgrReq.XACT_NAME: 128 characters is more than 127'));
    expect(() => encodeTransactionManagerRequest({ type: 'save', name: '' })).toThrow(
      new RangeError('TransMgrReq.XACT_NAME: a savepoint needs a name'),
    );
    expect(() =>
      encodeTransactionManagerRequest({ type: 'promote' }, TdsVersion.V7_4, {
        descriptor: new Uint8Array(4),
      }),
    ).toThrow(new RangeError('TransMgrReq: a transaction descriptor of 4 bytes, not 8'));
    // 127 characters is the longest name a B_VARBYTE holds: 254 bytes.
    const longest = encodeTransactionManagerRequest({
      type: 'begin',
      isolationLevel: 0,
      name: 'y'.repeat(127),
    });
    expect(decodeTransactionManagerRequest(longest).request).toEqual({
      type: 'begin',
      isolationLevel: 0,
      name: 'y'.repeat(127),
    });
  });
});
