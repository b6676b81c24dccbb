/**
 * The column types of the instance's answers are SQL Server's, on the wire
 * and through krbsim's own client: @@SPID smallint, @@MAX_PRECISION
 * tinyint, a non-Unicode literal varchar(n) in the database collation's
 * code page (Windows-1252), N'...' nvarchar(n), the login and database
 * names nvarchar(128) (sysname), @@VERSION nvarchar(300), and
 * sys.dm_exec_connections' columns in the view's types. What no such type
 * holds is refused (error 50000), never answered in another type.
 *
 * TYPE_INFO (MS-TDS 2.2.5.6): INTN (0x26) and its size, 1, 2, 4 or 8;
 * NVARCHAR (0xE7) and BIGVARCHR (0xA7), each with a 2-byte maximum length
 * in bytes (2n and n) and the 5-byte COLLATION of
 * SQL_Latin1_General_CP1_CI_AS (LCID 0x0409, sort id 52).
 */
import {
  answerBatch,
  type Column,
  connectTds,
  DEFAULT_COLLATION,
  decodeTokens,
  encodeTokens,
  type StatementResult,
  serveTds,
  TdsToken,
  type TdsTokenValue,
} from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate } from '@krbsim/transport';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalMessage, SESSION_FACTS } from './helpers';

const facts = SESSION_FACTS;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Windows-1252, the code page of SQL_Latin1_General_CP1 (Microsoft's table: 0x80-0x9F as below, the
 * five it leaves unassigned the C1 controls of their numbers as Windows maps them; the rest Latin-1).
 * Node's TextDecoder reads 'windows-1252' as Latin-1, so it is no oracle here.
 */
const HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const cp1252 = (bytes: Iterable<number>) =>
  [...bytes].map((b) => (b >= 0x80 && b < 0xa0 ? HIGH[b - 0x80]! : String.fromCharCode(b))).join('');
const COLLATION = hex(DEFAULT_COLLATION); // 0904d00034
/** TYPE_INFO of each type, as MS-TDS writes it. */
const INTN = (size: number) => `26${size.toString(16).padStart(2, '0')}`;
const le16 = (n: number) => hex(Uint8Array.of(n & 0xff, n >> 8));
const NVARCHAR = (n: number) => `e7${le16(2 * n)}${COLLATION}`;
const VARCHAR = (n: number) => `a7${le16(n)}${COLLATION}`;

/** The one answer to `sql`. */
function one(sql: string): StatementResult {
  const r = answerBatch(sql, facts);
  expect(r, sql).toHaveLength(1);
  return r[0]!;
}

/** The rows answer to `sql`, or the test fails naming what came instead. */
function rows(sql: string): { columns: readonly Column[]; row: readonly (string | number | null)[] } {
  const r = one(sql);
  if (r.kind !== 'rows') throw new Error(`${sql}: ${JSON.stringify(r)}`);
  return { columns: r.columns, row: r.rows[0]! };
}

/** The TYPE_INFO of each column of the COLMETADATA the instance writes for `sql` (TDS 7.4), in hex. */
function typeInfos(sql: string): string[] {
  const wire = encodeTokens([{ type: 'COLMETADATA', columns: rows(sql).columns }]);
  expect(wire[0]).toBe(TdsToken.COLMETADATA);
  const count = wire[1]! | (wire[2]! << 8);
  const out: string[] = [];
  let i = 3;
  for (let j = 0; j < count; j++) {
    i += 6; // UserType (4 bytes from TDS 7.2), Flags (2)
    const start = i;
    const type = wire[i++]!;
    if (type === 0x26) i += 1;
    else if (type === 0xe7 || type === 0xa7) i += 2 + 5;
    else throw new Error(`column ${j}: TYPE_INFO 0x${type.toString(16)}`);
    out.push(hex(wire.subarray(start, i)));
    i += 1 + 2 * wire[i]!; // ColName, a B_VARCHAR
  }
  expect(i).toBe(wire.length);
  return out;
}

/** The ROW the instance writes for `sql`'s one row, after its COLMETADATA, in hex. */
function rowBytes(sql: string): string {
  const { columns, row } = rows(sql);
  const meta = encodeTokens([{ type: 'COLMETADATA', columns }]);
  const wire = encodeTokens([
    { type: 'COLMETADATA', columns },
    { type: 'ROW', values: row },
  ]);
  return hex(wire.subarray(meta.length));
}

const refused = (sql: string) => {
  const r = one(sql);
  expect(r.kind === 'error' && [r.error.number, r.error.msgText.includes('does not run')], sql).toEqual([
    50000,
    true,
  ]);
};

describe('the column types of SELECT answers are SQL Server’s', () => {
  it("types SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER as smallint, tinyint, varchar(3), nvarchar(3), nvarchar(128)", () => {
    const sql = "SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER";
    expect(rows(sql)).toEqual({
      columns: [
        { name: '', type: 'smallint' },
        { name: '', type: 'tinyint' },
        { name: '', type: 'varchar', length: 3 },
        { name: '', type: 'nvarchar', length: 3 },
        { name: '', type: 'nvarchar', length: 128 },
      ],
      row: [51, 38, 'abc', 'abc', 'CONTOSO\\alice'],
    });
    expect(typeInfos(sql)).toEqual([INTN(2), INTN(1), VARCHAR(3), NVARCHAR(3), NVARCHAR(128)]);
    // The whole COLMETADATA of one column: Count 1, UserType 0, Flags 0x0009, INTN 2, ColName ''.
    expect(hex(encodeTokens([{ type: 'COLMETADATA', columns: rows('SELECT @@SPID').columns }]))).toBe(
      '8101000000000009002602' + '00',
    );
  });

  it('types each function and variable by its Return Types', () => {
    const cases: Array<[string, string]> = [
      ['SUSER_SNAME()', NVARCHAR(128)],
      ['SUSER_NAME()', NVARCHAR(128)],
      ['SYSTEM_USER', NVARCHAR(128)],
      ['ORIGINAL_LOGIN()', NVARCHAR(128)], // sysname
      ['DB_NAME()', NVARCHAR(128)],
      ['@@SERVERNAME', NVARCHAR(128)],
      ['@@VERSION', NVARCHAR(300)],
      ['@@SPID', INTN(2)],
      ['@@MAX_PRECISION', INTN(1)],
      ["IS_MEMBER('CONTOSO\\SqlAdmins')", INTN(4)],
      ["IS_SRVROLEMEMBER('sysadmin')", INTN(4)],
      ['1', INTN(4)],
      ['-2147483647', INTN(4)],
      ['2147483647', INTN(4)],
    ];
    for (const [expr, info] of cases) expect(typeInfos(`SELECT ${expr}`), expr).toEqual([info]);
    // An alias changes the name, not the type.
    expect(rows('SELECT @@SPID AS spid, p = @@MAX_PRECISION').columns).toEqual([
      { name: 'spid', type: 'smallint' },
      { name: 'p', type: 'tinyint' },
    ]);
  });

  it("types sys.dm_exec_connections' columns as the view does", () => {
    const sql =
      'SELECT session_id, auth_scheme, encrypt_option, net_transport, protocol_type, client_net_address ' +
      'FROM sys.dm_exec_connections WHERE session_id = @@SPID';
    expect(typeInfos(sql)).toEqual([
      INTN(4),
      NVARCHAR(40),
      NVARCHAR(40),
      NVARCHAR(40),
      NVARCHAR(40),
      VARCHAR(48),
    ]);
    expect(rows(sql).row).toEqual([51, 'KERBEROS', 'TRUE', 'TCP', 'TSQL', '127.0.0.1']);
    // No address known: NULL, still varchar(48).
    const r = answerBatch(
      'SELECT client_net_address FROM sys.dm_exec_connections WHERE session_id = @@SPID',
      { ...facts, clientAddress: undefined },
    )[0];
    expect(r).toMatchObject({ columns: [{ type: 'varchar', length: 48 }], rows: [[null]] });
  });

  it('types a string literal by its length: varchar(n) in bytes of the code page, nvarchar(n) in byte-pairs, 1 when empty', () => {
    const typeOf = (sql: string) => rows(sql).columns[0];
    expect(typeOf("SELECT 'abc'")).toEqual({ name: '', type: 'varchar', length: 3 });
    expect(typeOf("SELECT N'abc'")).toEqual({ name: '', type: 'nvarchar', length: 3 });
    expect(typeOf("SELECT 'it''s'")).toEqual({ name: '', type: 'varchar', length: 4 });
    // No varchar(0) or nvarchar(0): an empty constant is of length 1, its value empty.
    expect(rows("SELECT ''")).toEqual({ columns: [{ name: '', type: 'varchar', length: 1 }], row: [''] });
    expect(rows("SELECT N''")).toEqual({ columns: [{ name: '', type: 'nvarchar', length: 1 }], row: [''] });
    // A supplementary character is two byte-pairs of nvarchar.
    expect(typeOf("SELECT N'\u{1f600}'")).toEqual({ name: '', type: 'nvarchar', length: 2 });
    // The most each holds; one more is varchar(max) or nvarchar(max), which the instance does not serve.
    expect(typeOf(`SELECT '${'x'.repeat(8000)}'`)).toEqual({ name: '', type: 'varchar', length: 8000 });
    expect(typeOf(`SELECT N'${'x'.repeat(4000)}'`)).toEqual({ name: '', type: 'nvarchar', length: 4000 });
    refused(`SELECT '${'x'.repeat(8001)}'`);
    refused(`SELECT N'${'x'.repeat(4001)}'`);
    // A string alias names the column and types nothing.
    expect(rows("SELECT 1 'one'").columns).toEqual([{ name: 'one', type: 'int' }]);
  });

  it("converts a non-Unicode literal to Windows-1252: é and € kept, a CJK ideograph '?', a character it cannot convert as SQL Server does refused", () => {
    expect(rows("SELECT 'café', '€', '中文'")).toEqual({
      columns: [
        { name: '', type: 'varchar', length: 4 },
        { name: '', type: 'varchar', length: 1 },
        { name: '', type: 'varchar', length: 2 },
      ],
      row: ['café', '€', '??'],
    });
    // N'...' is not converted.
    expect(rows("SELECT N'中文'").row).toEqual(['中文']);
    // Windows' best fit turns some characters into look-alikes (a Greek pi into 'p', ā into 'a'), others
    // into '?': not knowing which, the instance answers neither.
    for (const ch of ['π', 'ā', 'Ж', '\u{1f600}', '\ud800', '\u0080']) refused(`SELECT '${ch}'`);
  });

  it("refuses a value longer than its function's type, which SQL Server's never is", () => {
    const long = { ...facts, login: `CONTOSO\\${'a'.repeat(121)}` }; // 129 characters
    for (const sql of ['SELECT SUSER_SNAME()', 'SELECT SYSTEM_USER', 'SELECT ORIGINAL_LOGIN()']) {
      expect(answerBatch(sql, long)[0]).toMatchObject({ kind: 'error', error: { number: 50000 } });
    }
    expect(answerBatch('SELECT @@SPID', { ...facts, spid: 32768 })[0]).toMatchObject({ kind: 'error' });
    expect(answerBatch('SELECT @@VERSION', { ...facts, version: 'v'.repeat(301) })[0]).toMatchObject({
      kind: 'error',
    });
    expect(answerBatch('SELECT @@VERSION', { ...facts, version: 'v'.repeat(300) })[0]).toMatchObject({
      kind: 'rows',
    });
  });
});

describe('ROW values in their columns’ types', () => {
  it('writes a tinyint in 1 byte, a smallint in 2, a varchar in Windows-1252 bytes, an nvarchar in UTF-16', () => {
    // INTN: its length, then the value; @@SPID 51 is 0x0033.
    expect(rowBytes('SELECT @@MAX_PRECISION')).toBe('d1' + '0126');
    expect(rowBytes('SELECT @@SPID')).toBe('d1' + '023300');
    expect(rowBytes('SELECT 1')).toBe('d1' + '0401000000');
    // USHORTLEN in bytes, then the bytes: é is 0xE9, € 0x80 in Windows-1252; 中 became '?' (0x3F).
    expect(rowBytes("SELECT 'é'")).toBe('d1' + '0100e9');
    expect(rowBytes("SELECT '€'")).toBe('d1' + '010080');
    expect(rowBytes("SELECT '中'")).toBe('d1' + '01003f');
    expect(rowBytes("SELECT ''")).toBe('d1' + '0000');
    expect(rowBytes("SELECT N'é'")).toBe('d1' + '0200e900');
  });

  it('reads them back: krbsim’s decoder gives the columns their types and lengths, the values as written', () => {
    const { columns, row } = rows("SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER, 'é€', '中'");
    const tokens: TdsTokenValue[] = [
      { type: 'COLMETADATA', columns },
      { type: 'ROW', values: row },
    ];
    const decoded = decodeTokens(encodeTokens(tokens));
    expect(decoded).toEqual(tokens);
    expect(decoded[0]).toEqual({
      type: 'COLMETADATA',
      columns: [
        { name: '', type: 'smallint' },
        { name: '', type: 'tinyint' },
        { name: '', type: 'varchar', length: 3 },
        { name: '', type: 'nvarchar', length: 3 },
        { name: '', type: 'nvarchar', length: 128 },
        { name: '', type: 'varchar', length: 2 },
        { name: '', type: 'varchar', length: 1 },
      ],
    });
    expect(decoded[1]).toEqual({ type: 'ROW', values: [51, 38, 'abc', 'abc', 'CONTOSO\\alice', 'é€', '?'] });
  });

  it('refuses, when writing, a value its column cannot hold', () => {
    const write = (column: Column, value: string | number | null) => () =>
      encodeTokens([
        { type: 'COLMETADATA', columns: [column] },
        { type: 'ROW', values: [value] },
      ]);
    const cases: Array<[Column, string | number | null, string]> = [
      [{ name: 'v', type: 'tinyint' }, 256, 'ROW[1].values[0]: 256 is no TINYINT value'],
      [{ name: 'v', type: 'tinyint' }, -1, 'ROW[1].values[0]: -1 is no TINYINT value'],
      [{ name: 'v', type: 'smallint' }, 32768, 'ROW[1].values[0]: 32768 is no SMALLINT value'],
      [{ name: 'v', type: 'int' }, 2 ** 31, 'ROW[1].values[0]: 2147483648 is no INT value'],
      [{ name: 'v', type: 'varchar', length: 3 }, 'abcd', 'ROW[1].values[0]: longer than VARCHAR(3)'],
      [{ name: 'v', type: 'nvarchar', length: 3 }, 'abcd', 'ROW[1].values[0]: longer than NVARCHAR(3)'],
      [
        { name: 'v', type: 'varchar', length: 3 },
        'π',
        "ROW[1].values[0]: a character not in Windows-1252, the code page of VARCHAR(3)'s collation",
      ],
    ];
    for (const [column, value, message] of cases)
      expect(write(column, value)).toThrow(new RangeError(message));
    for (const [column, message] of [
      [
        { name: 'v', type: 'nvarchar', length: 0 },
        'COLMETADATA[0].columns[0]: NVARCHAR(0) is not a length from 1 to 4000',
      ],
      [
        { name: 'v', type: 'nvarchar', length: 4001 },
        'COLMETADATA[0].columns[0]: NVARCHAR(4001) is not a length from 1 to 4000',
      ],
      [
        { name: 'v', type: 'varchar', length: 8001 },
        'COLMETADATA[0].columns[0]: VARCHAR(8001) is not a length from 1 to 8000',
      ],
    ] as Array<[Column, string]>) {
      expect(write(column, null)).toThrow(new RangeError(message));
    }
    // What every type holds, and NULL.
    expect(write({ name: 'v', type: 'tinyint' }, 0)).not.toThrow();
    expect(write({ name: 'v', type: 'smallint' }, -32768)).not.toThrow();
    expect(write({ name: 'v', type: 'varchar', length: 1 }, null)).not.toThrow();
  });

  it('refuses, when reading, a VARCHAR of a code page it does not read and a value longer than its column', () => {
    const meta = (columns: Column[]) => encodeTokens([{ type: 'COLMETADATA', columns }]);
    const varchar = meta([{ name: 'v', type: 'varchar', length: 2 }]);
    // LCID 0x0419 (Russian), sort id 0: Cyrillic_General, code page 1251.
    const cyrillic = varchar.slice();
    cyrillic.set([0x19, 0x04, 0xd0, 0x00, 0x00], 12);
    expect(refusalMessage(() => decodeTokens(cyrillic))).toBe(
      'unsupported COLMETADATA@0.columns[0].TYPE_INFO.COLLATION: VARCHAR of collation 1904d00000 (this package reads VARCHAR in Windows-1252 only)',
    );
    const zero = varchar.slice();
    zero[10] = 0;
    expect(refusalMessage(() => decodeTokens(zero))).toBe(
      'malformed COLMETADATA@0.columns[0].TYPE_INFO.MaxLength: 0 bytes is no VARCHAR(1 to 8000)',
    );
    expect(
      refusalMessage(() => decodeTokens(Uint8Array.of(...varchar, TdsToken.ROW, 3, 0, 0x61, 0x62, 0x63))),
    ).toBe('malformed ROW@20.values[0].length: 3 bytes is longer than VARCHAR(2)');
    const nvarchar = meta([{ name: 'v', type: 'nvarchar', length: 1 }]);
    expect(
      refusalMessage(() => decodeTokens(Uint8Array.of(...nvarchar, TdsToken.ROW, 4, 0, 0x61, 0, 0x62, 0))),
    ).toBe('malformed ROW@20.values[0].length: 4 bytes is longer than NVARCHAR(1)');
    const odd = nvarchar.slice();
    odd[10] = 3;
    expect(refusalMessage(() => decodeTokens(odd))).toBe(
      'malformed COLMETADATA@0.columns[0].TYPE_INFO.MaxLength: 3 bytes is no NVARCHAR(1 to 4000)',
    );
    const intn3 = meta([{ name: 'v', type: 'int' }]);
    intn3[10] = 3;
    expect(refusalMessage(() => decodeTokens(intn3))).toBe(
      'malformed COLMETADATA@0.columns[0].TYPE_INFO.Length: INTN of 3 bytes',
    );
  });

  it("decodes and encodes every Windows-1252 byte as Microsoft's table has it", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const columns: Column[] = [{ name: 'v', type: 'varchar', length: 256 }];
    const wire = Uint8Array.of(TdsToken.ROW, 0, 1, ...all);
    const text = cp1252(all);
    expect(text.slice(0x80, 0x82)).toBe('\u20ac\u0081');
    expect(decodeTokens(wire, { columns })).toEqual([{ type: 'ROW', values: [text] }]);
    const written = encodeTokens([
      { type: 'COLMETADATA', columns },
      { type: 'ROW', values: [text] },
    ]);
    expect(hex(written.subarray(written.length - 259))).toBe(hex(wire));
  });
});

describe('round trips', () => {
  /** A column of each type, with a value it holds. */
  const cellOf = fc.oneof(
    fc.record({
      column: fc.constantFrom('tinyint', 'smallint', 'int', 'bigint').map((type) => ({ name: 'c', type })),
      value: fc.constant(null),
    }),
    fc.integer({ min: 0, max: 255 }).map((v) => ({ column: { name: 't', type: 'tinyint' }, value: v })),
    fc
      .integer({ min: -32768, max: 32767 })
      .map((v) => ({ column: { name: 's', type: 'smallint' }, value: v })),
    fc.integer().map((v) => ({ column: { name: 'i', type: 'int' }, value: v })),
    fc.maxSafeInteger().map((v) => ({ column: { name: 'b', type: 'bigint' }, value: v })),
    fc
      .tuple(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 50 }))
      .map(([n, bytes]) => ({
        column: { name: 'v', type: 'varchar', length: Math.max(n, bytes.length || 1) },
        value: cp1252(bytes),
      })),
    fc
      .tuple(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 50 }),
      )
      .map(([n, units]) => ({
        column: { name: 'n', type: 'nvarchar', length: Math.max(n, units.length || 1) },
        value: String.fromCharCode(...units),
      })),
  ) as fc.Arbitrary<{ column: Column; value: string | number | null }>;

  it('every column and value this package writes reads back equal', () => {
    fc.assert(
      fc.property(fc.array(cellOf, { minLength: 1, maxLength: 8 }), (cells) => {
        const tokens: TdsTokenValue[] = [
          { type: 'COLMETADATA', columns: cells.map((c) => c.column) },
          { type: 'ROW', values: cells.map((c) => c.value) },
        ];
        expect(decodeTokens(encodeTokens(tokens))).toEqual(tokens);
      }),
      { seed: 61, numRuns: 500 },
    );
  });

  it("a literal of Windows-1252 characters is varchar of its length and its value; N'...' of any UTF-16 nvarchar", () => {
    const inCp1252 = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }).map(cp1252);
    const quote = (s: string) => s.replaceAll("'", "''");
    fc.assert(
      fc.property(inCp1252, fc.string({ unit: 'binary', maxLength: 40 }), (v, n) => {
        expect(rows(`SELECT '${quote(v)}', N'${quote(n)}'`)).toEqual({
          columns: [
            { name: '', type: 'varchar', length: Math.max(1, v.length) },
            { name: '', type: 'nvarchar', length: Math.max(1, n.length) },
          ],
          row: [v, n],
        });
      }),
      { seed: 62, numRuns: 300 },
    );
  });
});

describe("through the listener and krbsim's client", () => {
  let port: number;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const ca = await createSelfSignedCa({ commonName: 'column types test CA' });
    const cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'], ipAddresses: ['127.0.0.1'] });
    const server = await serveTds({
      serverName: 'mi1',
      cert: cert.certPem,
      key: cert.keyPem,
      authenticate: () => ({ kind: 'accepted', session: { login: 'CONTOSO\\alice' } }),
    });
    port = server.port;
    const c = await connectTds({ port, tls: { ca: ca.certPem } });
    client = c;
    close = async () => {
      c.close();
      await server.close();
    };
  });
  let client: Awaited<ReturnType<typeof connectTds>>;
  afterAll(async () => close?.());

  it('the client reads each column in its type and each value as written', async () => {
    expect((await client.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    const b = await client.batch(
      "SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER, 'café', '中', DB_NAME(), @@VERSION; " +
        'SELECT session_id, client_net_address FROM sys.dm_exec_connections WHERE session_id = @@SPID',
    );
    expect(b.errors).toEqual([]);
    expect(b.results[0]!.columns).toEqual([
      { name: '', type: 'smallint' },
      { name: '', type: 'tinyint' },
      { name: '', type: 'varchar', length: 3 },
      { name: '', type: 'nvarchar', length: 3 },
      { name: '', type: 'nvarchar', length: 128 },
      { name: '', type: 'varchar', length: 4 },
      { name: '', type: 'varchar', length: 1 },
      { name: '', type: 'nvarchar', length: 128 },
      { name: '', type: 'nvarchar', length: 300 },
    ]);
    const [spid, ...rest] = b.results[0]!.rows[0]!;
    expect(rest.slice(0, 7)).toEqual([38, 'abc', 'abc', 'CONTOSO\\alice', 'café', '?', 'master']);
    expect(b.results[1]!.columns).toEqual([
      { name: 'session_id', type: 'int' },
      { name: 'client_net_address', type: 'varchar', length: 48 },
    ]);
    expect(b.results[1]!.rows).toEqual([[spid, '127.0.0.1']]);
  });
});
