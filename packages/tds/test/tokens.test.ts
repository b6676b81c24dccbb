/**
 * The token stream (MS-TDS 2.2.7): every token this package writes reads
 * back equal, under TDS 7.4 and 7.1 (4-byte line numbers and 8-byte row
 * counts, or 2 and 4), and the decoder refuses what lies, by token and
 * offset, and throws nothing but TdsErrors on random bytes.
 */
import {
  DEFAULT_COLLATION,
  DoneStatus,
  decodeTokens,
  EnvChangeType,
  encodeTokens,
  TdsToken,
  type TdsTokenValue,
  TdsVersion,
} from '@krbsim/tds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refusal, refusalMessage } from './helpers';

const stream: TdsTokenValue[] = [
  { type: 'SSPI', token: Uint8Array.of(0x6f, 0x81, 0x90) },
  { type: 'ENVCHANGE', envType: EnvChangeType.DATABASE, newValue: 'master', oldValue: 'master' },
  {
    type: 'INFO',
    number: 5701,
    state: 2,
    class: 0,
    msgText: "Changed database context to 'master'.",
    serverName: 'mi1',
    procName: '',
    lineNumber: 1,
  },
  {
    type: 'ENVCHANGE',
    envType: EnvChangeType.SQL_COLLATION,
    newValue: DEFAULT_COLLATION,
    oldValue: new Uint8Array(0),
  },
  { type: 'ENVCHANGE', envType: EnvChangeType.PACKET_SIZE, newValue: '8000', oldValue: '4096' },
  {
    type: 'LOGINACK',
    interface: 1,
    tdsVersion: TdsVersion.V7_4,
    progName: 'Microsoft SQL Server',
    progVersion: { major: 12, minor: 0, build: 2000 },
  },
  { type: 'FEATUREEXTACK', features: [{ id: 0x0a, data: Uint8Array.of(1) }] },
  {
    type: 'COLMETADATA',
    columns: [
      { name: '', type: 'nvarchar', length: 128 },
      { name: 'n', type: 'int' },
      { name: 'spid', type: 'smallint' },
      { name: 'p', type: 'tinyint' },
      { name: 'big', type: 'bigint' },
      { name: 'v', type: 'varchar', length: 5 },
      { name: 'w', type: 'nvarchar', length: 4000 },
    ],
  },
  { type: 'ROW', values: ['CONTOSO\\alice', 51, -32768, 255, -(2 ** 53) + 1, 'caf\u00e9\u20ac', 'x'] },
  { type: 'ROW', values: [null, null, null, null, null, null, null] },
  { type: 'DONE', status: DoneStatus.COUNT | DoneStatus.MORE, curCmd: 0xc1, rowCount: 2 },
  {
    type: 'ERROR',
    number: 18456,
    state: 1,
    class: 14,
    msgText: "Login failed for user 'CONTOSO\\bob'.",
    serverName: 'mi1',
    procName: '',
    lineNumber: 1,
  },
  { type: 'DONEINPROC', status: DoneStatus.ERROR, curCmd: 0, rowCount: 0 },
  { type: 'DONEPROC', status: 0, curCmd: 0, rowCount: 0 },
];

describe('tokens', () => {
  it('round-trip every token this package writes, under TDS 7.4 and 7.1', () => {
    for (const tdsVersion of [TdsVersion.V7_4, TdsVersion.V7_1]) {
      const wire = encodeTokens(stream, { tdsVersion });
      expect(decodeTokens(wire, { tdsVersion })).toEqual(stream);
    }
    const short = encodeTokens([{ type: 'DONE', status: 0, curCmd: 0, rowCount: 0 }], {
      tdsVersion: TdsVersion.V7_1,
    });
    expect(short.length).toBe(9);
    expect(encodeTokens([{ type: 'DONE', status: 0, curCmd: 0, rowCount: 0 }]).length).toBe(13);
  });

  it('writes COLMETADATA UserType as a USHORT before TDS 7.2 and a ULONG from it (MS-TDS 2.2.7.4)', () => {
    const meta = [{ type: 'COLMETADATA' as const, columns: [{ name: 'x', type: 'int' as const }] }];
    // 0x81, Count, UserType, Flags, INTN 4, ColName 'x'
    const v71 = encodeTokens(meta, { tdsVersion: TdsVersion.V7_1 });
    expect([...v71]).toEqual([0x81, 1, 0, 0, 0, 0x09, 0, 0x26, 4, 1, 0x78, 0]);
    const v74 = encodeTokens(meta, { tdsVersion: TdsVersion.V7_4 });
    expect([...v74]).toEqual([0x81, 1, 0, 0, 0, 0, 0, 0x09, 0, 0x26, 4, 1, 0x78, 0]);
  });

  it("writes LOGINACK's TDS version big-endian, and the length of what follows", () => {
    const [ack] = stream.filter((t) => t.type === 'LOGINACK');
    const wire = encodeTokens([ack!]);
    expect([...wire.subarray(0, 8)]).toEqual([0xad, wire.length - 3, 0, 1, 0x74, 0, 0, 4]);
  });

  it('reads ROWs that continue an earlier COLMETADATA', () => {
    const columns = [{ name: 'x', type: 'int' as const }];
    const rows = encodeTokens([
      { type: 'COLMETADATA', columns },
      { type: 'ROW', values: [7] },
    ]).subarray(14);
    expect(decodeTokens(rows, { columns })).toEqual([{ type: 'ROW', values: [7] }]);
  });

  it('refuses tokens that lie, naming the token and its offset', () => {
    const ack = encodeTokens([stream[5]!]);
    const longer = ack.slice();
    longer[1] = ack[1]! + 1;
    expect(refusal(() => decodeTokens(longer))).toBe('malformed LOGINACK@0.body');
    const withExtra = Uint8Array.from([...ack.subarray(0, 1), ack[1]! + 1, 0, ...ack.subarray(3), 0]);
    expect(refusal(() => decodeTokens(withExtra))).toBe('malformed LOGINACK@0');
    expect(refusal(() => decodeTokens(Uint8Array.of(0xd1)))).toBe('unexpected ROW@0');
    expect(refusal(() => decodeTokens(Uint8Array.of(0x79, 0, 0, 0, 0)))).toBe('unsupported token[0]');
    expect(refusal(() => decodeTokens(Uint8Array.of(0xfd, 0, 0)))).toBe('malformed DONE@0.CurCmd');
    const cols = encodeTokens([{ type: 'COLMETADATA', columns: [{ name: 'x', type: 'int' }] }]);
    expect(refusal(() => decodeTokens(Uint8Array.from([...cols, 0xd1, 3, 1, 2, 3])))).toBe(
      'malformed ROW@14.values[0].length',
    );
    const ncols = encodeTokens([{ type: 'COLMETADATA', columns: [{ name: 'x', type: 'nvarchar' }] }]);
    expect(refusal(() => decodeTokens(Uint8Array.from([...ncols, 0xd1, 3, 0, 0x41, 0, 0x42])))).toBe(
      'malformed ROW@20.values[0].length',
    );
    const varmax = ncols.slice();
    varmax[10] = 0xff;
    varmax[11] = 0xff;
    expect(refusal(() => decodeTokens(varmax))).toBe(
      'unsupported COLMETADATA@0.columns[0].TYPE_INFO.MaxLength',
    );
  });

  it('reads INTN cells of 1, 2, 4 and 8 bytes, each as long as its column says, and refuses 8-byte values beyond 2^53', () => {
    const row = (type: 'tinyint' | 'smallint' | 'int' | 'bigint', ...bytes: number[]) =>
      decodeTokens(Uint8Array.of(TdsToken.ROW, ...bytes), { columns: [{ name: 'n', type }] });
    const int64 = (v: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, v, true);
      return [8, ...b];
    };
    expect(row('tinyint', 1, 0xff)).toEqual([{ type: 'ROW', values: [255] }]); // TINYINT is unsigned
    expect(row('smallint', 2, 0xfe, 0xff)).toEqual([{ type: 'ROW', values: [-2] }]);
    expect(row('smallint', 2, 0xff, 0x7f)).toEqual([{ type: 'ROW', values: [32767] }]);
    expect(row('int', 4, 0xfe, 0xff, 0xff, 0xff)).toEqual([{ type: 'ROW', values: [-2] }]);
    expect(row('bigint', ...int64(2n ** 53n - 1n))).toEqual([{ type: 'ROW', values: [2 ** 53 - 1] }]);
    expect(row('bigint', ...int64(-(2n ** 53n) + 1n))).toEqual([{ type: 'ROW', values: [-(2 ** 53) + 1] }]);
    for (const type of ['tinyint', 'smallint', 'int', 'bigint'] as const) {
      expect(row(type, 0)).toEqual([{ type: 'ROW', values: [null] }]);
    }
    expect(refusalMessage(() => row('bigint', ...int64(2n ** 53n)))).toBe(
      'unsupported ROW@0.values[0]: 9007199254740992 is beyond 2^53',
    );
    expect(refusalMessage(() => row('bigint', ...int64(-(2n ** 53n))))).toBe(
      'unsupported ROW@0.values[0]: -9007199254740992 is beyond 2^53',
    );
    // MS-TDS 2.2.5.4.2: a value is 0 bytes (NULL) or its column's size, never another.
    expect(refusalMessage(() => row('int', 1, 7))).toBe(
      'malformed ROW@0.values[0].length: an INTN value of 1 bytes in a column of INTN(4), INT',
    );
    expect(refusalMessage(() => row('smallint', 4, 1, 0, 0, 0))).toBe(
      'malformed ROW@0.values[0].length: an INTN value of 4 bytes in a column of INTN(2), SMALLINT',
    );
  });

  it('reads and writes each ENVCHANGE type in its own value forms (section 2.2.7.9)', () => {
    const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const routing = Uint8Array.of(0x00, 0x99, 0x05, 0x02, 0x00, 0x61, 0x00, 0x62, 0x00); // TCP, port 1433, 'ab'
    const cases: [TdsTokenValue, string][] = [
      // Routing (20): NewValue US_VARBYTE (a 2-byte length), OldValue an empty US_VARBYTE.
      [
        { type: 'ENVCHANGE', envType: EnvChangeType.ROUTING, newValue: routing, oldValue: new Uint8Array(0) },
        `e30e00140900${hexOf(routing)}0000`,
      ],
      // Promote Transaction (15): NewValue L_VARBYTE (a 4-byte length), OldValue an empty B_VARBYTE.
      [
        {
          type: 'ENVCHANGE',
          envType: EnvChangeType.PROMOTE_TRANSACTION,
          newValue: Uint8Array.of(1, 2, 3),
          oldValue: new Uint8Array(0),
        },
        'e309000f0300000001020300',
      ],
      // Transaction manager address (16): B_VARBYTE both.
      [
        { type: 'ENVCHANGE', envType: 16, newValue: Uint8Array.of(7, 8), oldValue: new Uint8Array(0) },
        'e305001002070800',
      ],
      // The user instance's name (19): B_VARCHAR both.
      [
        { type: 'ENVCHANGE', envType: EnvChangeType.USER_INSTANCE, newValue: 'mi', oldValue: '' },
        'e3070013026d00690000',
      ],
    ];
    for (const [token, wire] of cases) {
      const bytes = encodeTokens([token]);
      expect(hexOf(bytes), `type ${token.type === 'ENVCHANGE' && token.envType}`).toBe(wire);
      expect(decodeTokens(bytes)).toEqual([token]);
    }
    // A Routing value given as text is refused, naming the field.
    expect(() =>
      encodeTokens([
        { type: 'ENVCHANGE', envType: EnvChangeType.ROUTING, newValue: 'x', oldValue: new Uint8Array(0) },
      ]),
    ).toThrow('ENVCHANGE[0].NewValue: this ENVCHANGE type carries bytes, not text');
  });

  it('refuses NoMetaData (asked for by no request of this package), and a ROW or NBCROW of no columns', () => {
    // MS-TDS 2.2.7.4: Count 0xFFFF answers an RPC sent with fNoMetaData; this package sends no RPC.
    expect(refusalMessage(() => decodeTokens(Uint8Array.of(TdsToken.COLMETADATA, 0xff, 0xff)))).toBe(
      'unexpected COLMETADATA@0.Count: 0xFFFF (NoMetaData) answers an RPC sent with fNoMetaData, which this package never sends',
    );
    // A ROW of no columns is one byte: read as such, one 4 MiB message would be 4 million tokens.
    const none = Uint8Array.of(TdsToken.COLMETADATA, 0, 0);
    expect(decodeTokens(none)).toEqual([{ type: 'COLMETADATA', columns: [] }]);
    expect(refusalMessage(() => decodeTokens(Uint8Array.from([...none, TdsToken.ROW, TdsToken.ROW])))).toBe(
      'unexpected ROW@3: a ROW of a COLMETADATA with no columns',
    );
    expect(refusal(() => decodeTokens(Uint8Array.of(TdsToken.ROW), { columns: [] }))).toBe(
      'unexpected ROW@0',
    );
    // A hostile message: NoMetaData, then 0xD1 to the 4 MiB a message may hold; refused at its first bytes.
    const flood = new Uint8Array(4 * 1024 * 1024 - 64).fill(TdsToken.ROW);
    flood.set([TdsToken.COLMETADATA, 0xff, 0xff]);
    expect(refusal(() => decodeTokens(flood))).toBe('unexpected COLMETADATA@0.Count');
    // NBCROW (0xD2) is a token this package does not read, with or without columns.
    expect(refusal(() => decodeTokens(Uint8Array.from([...none, 0xd2])))).toBe('unsupported token[1]');
  });

  it('refuses a second LOGINACK, FEATUREEXTACK or SSPI in one message (empty ones would make millions of tokens)', () => {
    const sspi = encodeTokens([{ type: 'SSPI', token: new Uint8Array(0) }]);
    expect(decodeTokens(sspi)).toEqual([{ type: 'SSPI', token: new Uint8Array(0) }]);
    expect(refusalMessage(() => decodeTokens(Uint8Array.from([...sspi, ...sspi])))).toBe(
      'unexpected token[1]: a second token of type 0xed in one message',
    );
    const ack = encodeTokens([{ type: 'FEATUREEXTACK', features: [] }]);
    expect(refusal(() => decodeTokens(Uint8Array.from([...ack, ...ack])))).toBe('unexpected token[1]');
  });

  it('reads 1024 FEATUREEXTACK entries and refuses a 1025th', () => {
    const ack = (n: number): TdsTokenValue => ({
      type: 'FEATUREEXTACK',
      features: Array.from({ length: n }, (_, i) => ({ id: i % 0xff, data: new Uint8Array(0) })),
    });
    expect(decodeTokens(encodeTokens([ack(1024)]))).toEqual([ack(1024)]);
    expect(refusalMessage(() => decodeTokens(encodeTokens([ack(1025)])))).toBe(
      'too-large FEATUREEXTACK@0: more than 1024 features',
    );
  });

  it("reads a COLMETADATA of 4096 columns, SQL Server's most in a SELECT list (its 1056 past it), and refuses a 4097th", () => {
    const columns = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: 'int' as const }));
    const answer = (n: number): TdsTokenValue[] => [
      { type: 'COLMETADATA', columns: columns(n) },
      { type: 'ROW', values: Array(n).fill(7) },
    ];
    expect(decodeTokens(encodeTokens(answer(4096)))).toEqual(answer(4096));
    expect(refusalMessage(() => decodeTokens(encodeTokens(answer(4097))))).toBe(
      'too-large COLMETADATA@0.Count: 4097 columns is more than 4096',
    );
  });

  it('reads 65536 tokens from one message and refuses the next, however small (an empty ENVCHANGE is 6 bytes)', () => {
    const empty = encodeTokens([
      {
        type: 'ENVCHANGE',
        envType: EnvChangeType.RESET_CONNECTION_ACK,
        newValue: new Uint8Array(0),
        oldValue: new Uint8Array(0),
      },
    ]);
    expect(empty.length).toBe(6);
    const tokens = (n: number) => {
      const b = new Uint8Array(6 * n);
      for (let i = 0; i < n; i++) b.set(empty, 6 * i);
      return b;
    };
    expect(decodeTokens(tokens(65_536))).toHaveLength(65_536);
    expect(refusalMessage(() => decodeTokens(tokens(65_537)))).toBe(
      'too-large token: more than 65536 tokens in one message (at offset 393216)',
    );
  });

  it('throws nothing but TdsErrors on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          decodeTokens(b);
        } catch (e) {
          expect(
            refusal(() => {
              throw e;
            }),
          ).toBeDefined();
        }
      }),
      { seed: 44, numRuns: 2000 },
    );
  });

  it('refuses values a column type cannot hold when encoding', () => {
    const cols: TdsTokenValue = { type: 'COLMETADATA', columns: [{ name: 'n', type: 'int' }] };
    expect(() => encodeTokens([cols, { type: 'ROW', values: [2 ** 31] }])).toThrow(RangeError);
    expect(() => encodeTokens([{ type: 'ROW', values: [1] }])).toThrow(TypeError);
    expect(() =>
      encodeTokens([
        { type: 'ENVCHANGE', envType: EnvChangeType.SQL_COLLATION, newValue: 'x', oldValue: '' },
      ]),
    ).toThrow(TypeError);
  });

  it('refuses, naming the field, what does not fit its encoding', () => {
    const message = {
      number: 1,
      state: 1,
      class: 0,
      msgText: '',
      serverName: 'mi1',
      procName: '',
      lineNumber: 1,
    };
    const cases: Array<[TdsTokenValue[], Error]> = [
      [
        [{ type: 'SSPI', token: new Uint8Array(70_000) }],
        new RangeError("SSPI[0]: 70000 bytes is more than a token's 65535"),
      ],
      [
        [
          {
            type: 'ENVCHANGE',
            envType: EnvChangeType.SQL_COLLATION,
            newValue: new Uint8Array(256),
            oldValue: new Uint8Array(0),
          },
        ],
        new RangeError('ENVCHANGE[0].NewValue: 256 bytes is more than 255'),
      ],
      [
        [
          {
            type: 'ENVCHANGE',
            envType: EnvChangeType.DATABASE,
            newValue: Uint8Array.of(1),
            oldValue: 'master',
          },
        ],
        new TypeError('ENVCHANGE[0].NewValue: this ENVCHANGE type carries text, not bytes'),
      ],
      [
        [{ type: 'ERROR', ...message, serverName: 's'.repeat(256) }],
        new RangeError('ERROR[0].ServerName: 256 characters is more than 255'),
      ],
      [
        [{ type: 'INFO', ...message, msgText: 'm'.repeat(65_536) }],
        new RangeError('INFO[0].MsgText: 65536 characters is more than 65535'),
      ],
      [
        [
          { type: 'COLMETADATA', columns: [{ name: 'n', type: 'int' }] },
          { type: 'ROW', values: [1, 2] },
        ],
        new TypeError('ROW[1]: 2 values for 1 columns'),
      ],
      [
        [
          { type: 'COLMETADATA', columns: [{ name: 's', type: 'nvarchar' }] },
          { type: 'ROW', values: ['x'.repeat(4000)] },
          { type: 'ROW', values: ['x'.repeat(4001)] },
        ],
        new RangeError('ROW[2].values[0]: longer than NVARCHAR(4000)'),
      ],
    ];
    for (const [tokens, error] of cases) expect(() => encodeTokens(tokens)).toThrow(error);
  });
});
