/**
 * SQLBatch (MS-TDS 2.2.6.7 with ALL_HEADERS, 2.2.5.3) and the statements
 * the emulator answers: what drivers send at connect (FreeTDS, pymssql),
 * the login's facts, and the error for everything else.
 */
import {
  AllHeadersType,
  answerBatch,
  decodeSqlBatch,
  encodeSqlBatch,
  negotiateEncryption,
  notRunByEmulator,
  TdsVersion,
  transactionDescriptorOf,
} from '@krbsim/tds';
import { describe, expect, it } from 'vitest';
import { refusal, refusalMessage, SESSION_FACTS } from './helpers';

describe('SQLBatch', () => {
  it('round-trips with the transaction descriptor header, and without ALL_HEADERS under TDS 7.1', () => {
    const wire = encodeSqlBatch('SELECT SUSER_SNAME()');
    expect(decodeSqlBatch(wire)).toEqual({
      headers: [
        {
          type: AllHeadersType.TRANSACTION_DESCRIPTOR,
          data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
        },
      ],
      sqlText: 'SELECT SUSER_SNAME()',
    });
    const v71 = encodeSqlBatch('SELECT 1', TdsVersion.V7_1);
    expect(v71.length).toBe(16);
    expect(decodeSqlBatch(v71, TdsVersion.V7_1).sqlText).toBe('SELECT 1');
  });

  it('writes and reads the transaction a batch names: TransactionDescriptor and OutstandingRequestCount (2.2.5.3.2)', () => {
    const descriptor = Uint8Array.of(0x21, 0, 0, 0, 0x35, 0, 0, 0);
    const wire = encodeSqlBatch('COMMIT', TdsVersion.V7_4, { descriptor, outstandingRequestCount: 2 });
    expect(transactionDescriptorOf(decodeSqlBatch(wire))).toEqual({ descriptor, outstandingRequestCount: 2 });
    expect(transactionDescriptorOf(decodeSqlBatch(encodeSqlBatch('SELECT 1')))).toEqual({
      descriptor: new Uint8Array(8),
      outstandingRequestCount: 1,
    });
    // TDS 7.1 has no ALL_HEADERS: nothing named.
    expect(
      transactionDescriptorOf(decodeSqlBatch(encodeSqlBatch('SELECT 1', TdsVersion.V7_1), TdsVersion.V7_1)),
    ).toBe(undefined);
    expect(() => encodeSqlBatch('COMMIT', TdsVersion.V7_4, { descriptor: new Uint8Array(4) })).toThrow(
      new RangeError('SQLBatch: a transaction descriptor of 4 bytes, not 8'),
    );
  });

  /** ALL_HEADERS of `headers` ([HeaderType, HeaderData, HeaderLength if not 6 + the data's]), then `sql`. */
  const batch = (headers: Array<[number, number[], number?]>, sql = 'SELECT 1') => {
    const parts = headers.flatMap(([type, data, length = 6 + data.length]) => [
      ...[0, 8, 16, 24].map((s) => (length >>> s) & 0xff),
      type & 0xff,
      type >> 8,
      ...data,
    ]);
    const total = 4 + parts.length;
    return Uint8Array.from([total & 0xff, total >> 8, 0, 0, ...parts, ...Buffer.from(sql, 'utf16le')]);
  };
  const DESCRIPTOR: [number, number[]] = [
    AllHeadersType.TRANSACTION_DESCRIPTOR,
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
  ];
  /** NotifyId 'n', SSBDeployment 's' (USHORT byte lengths, UTF-16LE), and `timeout` bytes of NotifyTimeout. */
  const notifications = (timeout: number[] = []): [number, number[]] => [
    AllHeadersType.QUERY_NOTIFICATIONS,
    [2, 0, 0x6e, 0, 2, 0, 0x73, 0, ...timeout],
  ];
  const TRACE: [number, number[]] = [AllHeadersType.TRACE_ACTIVITY, Array(20).fill(7)];

  it('refuses ALL_HEADERS that lie, a missing transaction descriptor, and text that is not UTF-16', () => {
    const good = encodeSqlBatch('x');
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(0, 999, true);
    expect(refusal(() => decodeSqlBatch(lying))).toBe('malformed SQLBatch.ALL_HEADERS.TotalLength');
    expect(refusal(() => decodeSqlBatch(batch([[AllHeadersType.TRANSACTION_DESCRIPTOR, [], 3]])))).toBe(
      'malformed SQLBatch.ALL_HEADERS[0].HeaderLength',
    );
    // A header whose HeaderLength runs past ALL_HEADERS.
    expect(
      refusal(() =>
        decodeSqlBatch(batch([DESCRIPTOR, [AllHeadersType.QUERY_NOTIFICATIONS, [0, 0, 0, 0], 40]])),
      ),
    ).toBe('malformed SQLBatch.ALL_HEADERS[1].HeaderData');
    expect(refusalMessage(() => decodeSqlBatch(batch([notifications()])))).toBe(
      'malformed SQLBatch.ALL_HEADERS: no transaction descriptor header (required from TDS 7.2)',
    );
    expect(refusal(() => decodeSqlBatch(Uint8Array.from([...good, 0])))).toBe('malformed SQLBatch.SQLText');
    expect(refusal(() => decodeSqlBatch(Uint8Array.of(1, 0)))).toBe(
      'malformed SQLBatch.ALL_HEADERS.TotalLength',
    );
  });

  it('reads each ALL_HEADERS header type once, in its structure (MS-TDS 2.2.5.3): descriptor 18 bytes, trace activity 26, query notifications', () => {
    expect(decodeSqlBatch(batch([notifications([0x10, 0x27, 0, 0]), TRACE, DESCRIPTOR])).headers).toEqual([
      {
        type: AllHeadersType.QUERY_NOTIFICATIONS,
        data: Uint8Array.of(2, 0, 0x6e, 0, 2, 0, 0x73, 0, 0x10, 0x27, 0, 0),
      },
      { type: AllHeadersType.TRACE_ACTIVITY, data: Uint8Array.from(Array(20).fill(7)) },
      {
        type: AllHeadersType.TRANSACTION_DESCRIPTOR,
        data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
      },
    ]);
    expect(decodeSqlBatch(batch([DESCRIPTOR, notifications()])).headers).toHaveLength(2);
    for (const [headers, refused] of [
      // A transaction descriptor with no data, or one byte more.
      [
        [[AllHeadersType.TRANSACTION_DESCRIPTOR, []]],
        'malformed SQLBatch.ALL_HEADERS[0].HeaderLength: 6 where a header of type 2 has 18',
      ],
      [
        [[AllHeadersType.TRANSACTION_DESCRIPTOR, [...DESCRIPTOR[1], 0]]],
        'malformed SQLBatch.ALL_HEADERS[0].HeaderLength: 19 where a header of type 2 has 18',
      ],
      [
        [DESCRIPTOR, [AllHeadersType.TRACE_ACTIVITY, Array(16).fill(0)]],
        'malformed SQLBatch.ALL_HEADERS[1].HeaderLength: 22 where a header of type 3 has 26',
      ],
      // A header type MS-TDS does not define, and a second header of one type.
      [[DESCRIPTOR, [0x7777, [1]]], 'malformed SQLBatch.ALL_HEADERS[1].HeaderType: 0x7777 is no header type'],
      [[DESCRIPTOR, DESCRIPTOR], 'malformed SQLBatch.ALL_HEADERS[1].HeaderType: a second header of type 2'],
      [[DESCRIPTOR, TRACE, TRACE], 'malformed SQLBatch.ALL_HEADERS[2].HeaderType: a second header of type 3'],
      // Query notifications: NotifyId and SSBDeployment in UTF-16, then a 4-byte NotifyTimeout or nothing.
      [
        [DESCRIPTOR, notifications([1])],
        'malformed SQLBatch.ALL_HEADERS[1].HeaderData.NotifyTimeout: 1 bytes where 4 or none are',
      ],
      [
        [DESCRIPTOR, [AllHeadersType.QUERY_NOTIFICATIONS, [1, 0, 0x6e, 0, 0]]],
        'malformed SQLBatch.ALL_HEADERS[1].HeaderData.NotifyId.Length: 1 bytes is not UTF-16',
      ],
      [
        [DESCRIPTOR, [AllHeadersType.QUERY_NOTIFICATIONS, [2, 0, 0x6e, 0, 9, 0]]],
        'malformed SQLBatch.ALL_HEADERS[1].HeaderData.SSBDeployment.Length: 9 bytes is not UTF-16',
      ],
    ] as Array<[Array<[number, number[]]>, string]>) {
      expect(refusalMessage(() => decodeSqlBatch(batch(headers)))).toBe(refused);
    }
  });
});

const facts = SESSION_FACTS;

const one = (sql: string) => {
  const r = answerBatch(sql, facts);
  expect(r).toHaveLength(1);
  return r[0]!;
};
const value = (sql: string) => {
  const r = one(sql);
  if (r.kind !== 'rows') throw new Error(`${sql}: ${JSON.stringify(r)}`);
  return r.rows[0]![0];
};

describe('answerBatch', () => {
  it('answers the login, its memberships and the server, as one row', () => {
    for (const sql of [
      'SELECT SUSER_SNAME()',
      'select suser_name();',
      'SELECT SYSTEM_USER',
      'SELECT ORIGINAL_LOGIN()',
    ]) {
      expect(value(sql)).toBe('CONTOSO\\alice');
    }
    expect(value("SELECT IS_MEMBER('CONTOSO\\SqlAdmins')")).toBe(1);
    expect(value("SELECT IS_MEMBER('CONTOSO\\Auditors')")).toBe(0);
    expect(value("SELECT IS_MEMBER(N'nobody')")).toBe(null);
    expect(value("SELECT IS_SRVROLEMEMBER('sysadmin')")).toBe(0);
    expect(value('SELECT @@VERSION')).toBe(facts.version);
    expect(value('SELECT @@SPID')).toBe(51);
    expect(value('SELECT @@SERVERNAME')).toBe('mi1');
    expect(value('SELECT DB_NAME()')).toBe('master');
    expect(value('SELECT 1')).toBe(1);
    expect(value("SELECT N'it''s'")).toBe("it's");
  });

  it("answers @@TRANCOUNT as an int whose value is the session's: the columns that hold it are named, 0 in the row", () => {
    // The count changes statement by statement (BEGIN TRAN; SELECT @@TRANCOUNT): the session puts it in.
    expect(one('SELECT 7, @@TRANCOUNT AS n, @@trancount')).toEqual({
      kind: 'rows',
      columns: [
        { name: '', type: 'int' },
        { name: 'n', type: 'int' },
        { name: '', type: 'int' },
      ],
      rows: [[7, 0, 0]],
      tranCount: [1, 2],
    });
    expect(one('SELECT 7')).not.toHaveProperty('tranCount');
  });

  it('answers sys.dm_exec_connections for the session, any of its columns, either way round', () => {
    // A SELECT of a view: under SET IMPLICIT_TRANSACTIONS ON it begins a transaction (readsTable).
    expect(one('SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID')).toEqual({
      kind: 'rows',
      columns: [{ name: 'auth_scheme', type: 'nvarchar', length: 40 }],
      rows: [['KERBEROS']],
      readsTable: true,
    });
    expect(
      one(
        'select net_transport, [encrypt_option], session_id sid from [sys].[dm_exec_connections] where @@spid=session_id',
      ),
    ).toEqual({
      kind: 'rows',
      columns: [
        { name: 'net_transport', type: 'nvarchar', length: 40 },
        { name: 'encrypt_option', type: 'nvarchar', length: 40 },
        { name: 'sid', type: 'int' },
      ],
      rows: [['TCP', 'TRUE', 51]],
      readsTable: true,
    });
    expect(one('SELECT auth_scheme FROM sys.dm_exec_connections').kind).toBe('error');
  });

  it('names columns by alias in every form T-SQL allows, and answers several in one row', () => {
    expect(
      one("SELECT SUSER_SNAME() AS login, who = SYSTEM_USER, IS_MEMBER('CONTOSO\\SqlAdmins') [admin]"),
    ).toEqual({
      kind: 'rows',
      columns: [
        { name: 'login', type: 'nvarchar', length: 128 },
        { name: 'who', type: 'nvarchar', length: 128 },
        { name: 'admin', type: 'int' },
      ],
      rows: [['CONTOSO\\alice', 'CONTOSO\\alice', 1]],
    });
  });

  it("accepts what drivers send at connect: pymssql's SET run, FreeTDS's SET TEXTSIZE, transactions", () => {
    const pymssql =
      'SET ARITHABORT ON;SET CONCAT_NULL_YIELDS_NULL ON;SET ANSI_NULLS ON;SET ANSI_NULL_DFLT_ON ON;' +
      'SET ANSI_PADDING ON;SET ANSI_WARNINGS ON;SET ANSI_NULL_DFLT_ON ON;SET CURSOR_CLOSE_ON_COMMIT ON;' +
      'SET QUOTED_IDENTIFIER ON;SET TEXTSIZE 2147483647;';
    expect(answerBatch(pymssql, facts).every((r) => r.kind === 'done')).toBe(true);
    expect(answerBatch('set textsize 2147483647 SET NOCOUNT ON', facts)).toEqual([
      { kind: 'done' },
      { kind: 'nocount', on: true },
    ]);
    expect(one('BEGIN TRAN')).toEqual({ kind: 'transaction', op: 'begin' });
    expect(one('BEGIN TRANSACTION t1')).toEqual({ kind: 'transaction', op: 'begin', name: 't1' });
    expect(one('COMMIT')).toEqual({ kind: 'transaction', op: 'commit' });
    expect(one('ROLLBACK TRAN')).toEqual({ kind: 'transaction', op: 'rollback' });
    expect(one('IF @@TRANCOUNT > 0 COMMIT TRAN')).toEqual({
      kind: 'transaction',
      op: 'commit',
      ifOpen: true,
    });
    expect(one('USE [master]')).toEqual({ kind: 'use', database: 'master' });
    // jTDS opens a session with a SELECT and a run of SETs, no semicolon between.
    const jtds =
      'SELECT @@MAX_PRECISION\r\nSET TRANSACTION ISOLATION LEVEL READ COMMITTED\r\nSET IMPLICIT_TRANSACTIONS OFF\r\n' +
      'SET QUOTED_IDENTIFIER ON\r\nSET TEXTSIZE 2147483647';
    const answers = answerBatch(jtds, facts);
    expect(answers[0]).toEqual({ kind: 'rows', columns: [{ name: '', type: 'tinyint' }], rows: [[38]] });
    expect(answers.slice(1)).toEqual([
      { kind: 'done' },
      { kind: 'implicit_transactions', on: false },
      { kind: 'done' },
      { kind: 'done' },
    ]);
  });

  it('ends a SELECT at the next statement keyword, but for one joined by a set operator', () => {
    expect(answerBatch('SELECT 1 SELECT 2', facts).map((x) => x.kind)).toEqual(['rows', 'rows']);
    // SELECT ... UNION SELECT stays one statement, which the emulator does not run.
    const union = answerBatch('SELECT 1 UNION ALL SELECT 2', facts);
    expect(union).toHaveLength(1);
    expect(union[0]!.kind).toBe('error');
    // A subquery's SELECT is inside parentheses: one statement.
    expect(answerBatch('SELECT (SELECT 1)', facts)).toHaveLength(1);
  });

  it('answers each statement of a batch, comments and runs of SET included', () => {
    const r = answerBatch(
      '-- who am I?\nSET NOCOUNT ON SELECT SUSER_SNAME() /* and */; SELECT @@SPID',
      facts,
    );
    expect(r.map((x) => x.kind)).toEqual(['nocount', 'rows', 'rows']);
    expect(answerBatch('  ;  -- nothing', facts)).toEqual([]);
  });

  it('refuses everything else with an error that says the emulator does not run SQL', () => {
    for (const sql of [
      'DROP TABLE x',
      'SELECT name FROM sys.databases',
      'SELECT SUSER_SNAME(0x01)',
      'EXEC sp_who',
    ]) {
      const r = one(sql);
      expect(r.kind).toBe('error');
      if (r.kind === 'error') {
        expect(r.error).toMatchObject({ number: 50000, class: 16 });
        expect(r.error.msgText).toContain('does not run');
      }
    }
    expect(one('USE otherdb')).toMatchObject({ kind: 'error', error: { number: 911 } });
    expect(one("SELECT 'unclosed")).toMatchObject({ kind: 'error', error: { number: 105, class: 15 } });
    expect(one('SELECT 1 /* unclosed')).toMatchObject({ kind: 'error', error: { number: 113, class: 15 } });
  });
});

describe('answerBatch: what it does not answer', () => {
  const notRun = (sql: string) => {
    const r = one(sql);
    expect(r.kind === 'error' && [r.error.number, r.error.msgText.includes('does not run')]).toEqual([
      50000,
      true,
    ]);
  };

  it('refuses a batch over 64 Ki characters or 256 statements whole, with one error', () => {
    const long = `SELECT '${'x'.repeat(64 * 1024)}'`;
    const r = answerBatch(long, facts);
    expect(r).toHaveLength(1);
    expect(r[0]!.kind === 'error' && r[0]!.error.msgText).toContain(`"SELECT '${'x'.repeat(89)}..."`);
    expect(answerBatch('SELECT 1;'.repeat(256), facts)).toHaveLength(256);
    const many = answerBatch('SELECT 1;'.repeat(257), facts);
    expect(many).toHaveLength(1);
    expect(many[0]).toMatchObject({ kind: 'error', error: { number: 50000 } });
  });

  it("reads a lowercase n'...' as N'...': a Unicode constant, nvarchar of its length", () => {
    // "Constants (Transact-SQL)" says the N prefix must be uppercase, yet T-SQL is lexed without regard
    // to case (Microsoft's own T-SQL parser, ScriptDom, lexes so) and SQL Server takes n'...' as N'...'.
    // Pinned: refusing it would refuse what drivers and people send that SQL Server runs.
    expect(one("SELECT n'\u4e2d'")).toEqual(one("SELECT N'\u4e2d'"));
    expect(one("SELECT n'abc' AS x")).toEqual({
      kind: 'rows',
      columns: [{ name: 'x', type: 'nvarchar', length: 3 }],
      rows: [['abc']],
    });
    // Not a prefix when it ends a word: `an'x'` is the column an and the alias 'x', not served.
    expect(one("SELECT an'x'")).toMatchObject({ kind: 'error', error: { number: 50000 } });
  });

  it('refuses a string alias longer than 128 characters with 103, as SQL Server refuses any identifier that long', () => {
    const long = 'e'.repeat(129);
    const tooLong = {
      kind: 'error',
      error: {
        number: 103,
        state: 4,
        class: 15,
        msgText: `The identifier that starts with '${'e'.repeat(128)}' is too long. Maximum length is 128.`,
      },
    };
    for (const sql of [
      `SELECT 1 AS '${long}'`,
      `SELECT 1 '${long}'`,
      `SELECT '${long}' = 1`,
      `SELECT SYSTEM_USER '${long}'`,
      `SELECT (1) '${long}'`,
      `SELECT 1 AS '${long}' FROM sys.dm_exec_connections WHERE session_id = @@SPID`,
      `SELECT TOP 1 1 '${long}'`,
      `SELECT DISTINCT TOP (1) PERCENT WITH TIES 1 AS '${long}'`,
      // The whole batch, as SQL Server compiles it: the SELECT before is not answered either.
      `SELECT 1; SELECT 2 AS '${long}'`,
    ]) {
      expect(answerBatch(sql, facts), sql.slice(0, 20)).toEqual([tooLong]);
    }
    // 128 is a name; a long string that is a value is a literal.
    expect(one(`SELECT 1 AS '${'e'.repeat(128)}'`)).toMatchObject({ columns: [{ name: 'e'.repeat(128) }] });
    expect(one(`SELECT '${long}'`)).toMatchObject({ columns: [{ name: '', type: 'varchar', length: 129 }] });
    expect(one(`SELECT 'a' = '${long}'`)).toMatchObject({ columns: [{ name: 'a', length: 129 }] });
    // After ALL, DISTINCT or TOP's argument a string is the first value, not an alias: not a syntax error
    // (the emulator then does not run TOP or DISTINCT: 50000, as for a short string).
    for (const head of ['TOP 1', 'TOP (1)', 'TOP (SELECT (1)) PERCENT', 'ALL', 'DISTINCT TOP 1 WITH TIES']) {
      const sql = `SELECT ${head} '${long}'`;
      const [answer] = answerBatch(sql, facts);
      expect(answer?.kind === 'error' ? answer.error.number : answer?.kind, sql.slice(0, 30)).not.toBe(103);
      expect(answerBatch(sql, facts)).toEqual(
        answerBatch(`SELECT ${head} 'abc'`, facts).map((a) =>
          a.kind === 'error' ? { ...a, error: { ...a.error, msgText: expect.any(String) } } : a,
        ),
      );
    }
  });

  it('reads ]] in a bracketed name as ], and refuses an unclosed bracket with 105 naming what follows it', () => {
    expect(one('SELECT 1 AS [a]]b]')).toEqual({
      kind: 'rows',
      columns: [{ name: 'a]b', type: 'int' }],
      rows: [[1]],
    });
    expect(one('SELECT 1 AS [open')).toMatchObject({
      kind: 'error',
      error: { number: 105, msgText: "Unclosed quotation mark after the character string 'open'." },
    });
  });

  it('answers protocol_type and client_net_address (NULL when unknown) of sys.dm_exec_connections', () => {
    const sql =
      'SELECT protocol_type, client_net_address FROM sys.dm_exec_connections WHERE session_id = @@SPID';
    expect(one(sql)).toMatchObject({ kind: 'rows', rows: [['TSQL', '127.0.0.1']] });
    const { clientAddress: _, ...noAddress } = facts;
    expect(answerBatch(sql, noAddress)[0]).toMatchObject({ kind: 'rows', rows: [['TSQL', null]] });
  });

  it('refuses sys.dm_exec_connections columns it does not know, and any other WHERE', () => {
    const where = 'FROM sys.dm_exec_connections WHERE session_id = @@SPID';
    notRun(`SELECT login_time ${where}`);
    notRun(`SELECT 1 ${where}`);
    notRun(`SELECT ${where}`);
    notRun('SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id > @@SPID');
    notRun('SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = 51 AND 1 = 1');
  });

  it('answers a negative literal, and refuses an empty item, unknown variables, words and functions', () => {
    expect(value('SELECT -5')).toBe(-5);
    for (const sql of [
      'SELECT 1 WHERE 1 = 1',
      'SELECT @@ERROR',
      'SELECT CURRENT_USER',
      'SELECT GETDATE()',
      'SELECT 2147483648',
      "SELECT [IS_MEMBER]('x')",
    ]) {
      notRun(sql);
    }
  });
});

/** The refusal of `statement`, as the surface answers one it does not run. */
const refused = (statement: string) => ({ kind: 'error', error: notRunByEmulator(statement) });
const syntaxError = (number: 102 | 156, near: string) => ({
  kind: 'error',
  error: {
    number,
    state: 1,
    class: 15,
    msgText:
      number === 156 ? `Incorrect syntax near the keyword '${near}'.` : `Incorrect syntax near '${near}'.`,
  },
});

describe('answerBatch: what SQL Server reads', () => {
  it('names a column by its alias as written: keywords and functions in any case, the alias kept', () => {
    expect(
      one("select Suser_Sname() as LoginName, 1 AS [MyCol], Who = SYSTEM_USER, 2 'Quoted Name', 3 [select]"),
    ).toEqual({
      kind: 'rows',
      columns: [
        { name: 'LoginName', type: 'nvarchar', length: 128 },
        { name: 'MyCol', type: 'int' },
        { name: 'Who', type: 'nvarchar', length: 128 },
        { name: 'Quoted Name', type: 'int' },
        { name: 'select', type: 'int' },
      ],
      rows: [['CONTOSO\\alice', 1, 'CONTOSO\\alice', 2, 3]],
    });
    expect(one('SELECT Session_ID AS Sid FROM sys.dm_exec_connections WHERE session_id = @@SPID')).toEqual({
      kind: 'rows',
      columns: [{ name: 'Sid', type: 'int' }],
      rows: [[51]],
      readsTable: true,
    });
  });

  it('reads a numeric literal whole, and refuses the types it does not serve rather than answer another INT', () => {
    // Hex is VARBINARY, a '.' DECIMAL, an exponent FLOAT, '$' MONEY (Constants, Transact-SQL).
    for (const sql of [
      'SELECT 0x10',
      'SELECT -0x01',
      'SELECT 0x',
      'SELECT 1e3',
      'SELECT 1E+3',
      'SELECT 2.5e-1',
      'SELECT 1.5',
      'SELECT .5',
      'SELECT 1.',
      'SELECT $1',
      'SELECT 1e3 AS x',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
    // A letter after an integer begins a name, as T-SQL reads it: 1 AS x.
    expect(one('SELECT 1x')).toEqual({ kind: 'rows', columns: [{ name: 'x', type: 'int' }], rows: [[1]] });
  });

  it('answers INT literals within INT only: 2^31 and beyond, either sign, is a DECIMAL', () => {
    expect(value('SELECT 2147483647')).toBe(2147483647);
    expect(value('SELECT -2147483647')).toBe(-2147483647);
    expect(value('SELECT -0')).toBe(0);
    // The minus applies to the literal, typed first: -2147483648 is a DECIMAL in SQL Server.
    for (const sql of [
      'SELECT 2147483648',
      'SELECT -2147483648',
      'SELECT -2147483649',
      'SELECT -99999999999',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
  });

  it('ends a SET after its argument: what follows is a statement of its own, refused unless served', () => {
    const nocount = { kind: 'nocount', on: true };
    for (const [sql, first, rest] of [
      ["SET NOCOUNT ON RAISERROR('boom', 16, 1)", nocount, "RAISERROR('boom', 16, 1)"],
      ["SET NOCOUNT ON THROW 50001, 'boom', 1", nocount, "THROW 50001, 'boom', 1"],
      ['SET NOCOUNT ON TRUNCATE TABLE t', nocount, 'TRUNCATE TABLE t'],
      ["SET XACT_ABORT ON WAITFOR DELAY '00:00:10'", { kind: 'done' }, "WAITFOR DELAY '00:00:10'"],
      ['SET NOCOUNT ON GRANT CONTROL SERVER TO [x]', nocount, 'GRANT CONTROL SERVER TO [x]'],
      ['SET NOCOUNT ON DBCC CHECKDB', nocount, 'DBCC CHECKDB'],
      ['SET NOCOUNT ON SHUTDOWN', nocount, 'SHUTDOWN'],
      [
        'SET ANSI_NULLS ON MERGE t USING s ON 1 = 1 WHEN MATCHED THEN DELETE;',
        { kind: 'done' },
        'MERGE t USING s ON 1 = 1 WHEN MATCHED THEN DELETE',
      ],
      ['SET TEXTSIZE 100 sp_who', { kind: 'done' }, 'sp_who'],
      ['COMMIT\nSHUTDOWN', { kind: 'transaction', op: 'commit' }, 'SHUTDOWN'],
      ['ROLLBACK TRAN SHUTDOWN', { kind: 'transaction', op: 'rollback' }, 'SHUTDOWN'],
      ['BEGIN TRAN t1 KILL 52', { kind: 'transaction', op: 'begin', name: 't1' }, 'KILL 52'],
    ] as const) {
      expect(answerBatch(sql, facts), sql).toEqual([first, refused(rest)]);
    }
    expect(answerBatch('USE master SELECT 1', facts)).toEqual([
      { kind: 'use', database: 'master' },
      { kind: 'rows', columns: [{ name: '', type: 'int' }], rows: [[1]] },
    ]);
    expect(answerBatch('COMMIT WORK SELECT 1', facts).map((r) => r.kind)).toEqual(['transaction', 'rows']);
  });

  it('refuses SET options that would change the answers, and takes the rest', () => {
    for (const sql of [
      'SET FMTONLY ON',
      'SET NOEXEC ON',
      'SET PARSEONLY ON',
      'SET SHOWPLAN_XML ON',
      'SET SHOWPLAN_TEXT ON',
      'SET STATISTICS IO ON',
      'SET STATISTICS TIME ON',
      'SET NOCOUNT, FMTONLY ON',
      'SET ANSI_DEFAULTS, FMTONLY ON',
      'SET ROWCOUNT 10',
      'SET ROWCOUNT @n',
      'SET LANGUAGE Deutsch',
      "SET LANGUAGE N'Français'",
      'SET DATEFIRST 8',
      'SET CONTEXT_INFO 0x01',
      'SET @x = 1',
      'SET NOCOUNT YES',
      'SET IDENTITY_INSERT t ON',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
    for (const sql of [
      'SET FMTONLY OFF',
      'SET STATISTICS XML OFF',
      'SET ROWCOUNT 0',
      'SET ANSI_NULLS, ANSI_PADDING, QUOTED_IDENTIFIER ON',
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'SET TRANSACTION ISOLATION LEVEL SNAPSHOT',
      'SET DEADLOCK_PRIORITY LOW',
      'SET DEADLOCK_PRIORITY -5',
      'SET LOCK_TIMEOUT -1',
      'SET DATEFORMAT ymd',
      'SET DATEFIRST 1',
      'SET XACT_ABORT OFF',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([{ kind: 'done' }]);
    }
    for (const sql of ['SET LANGUAGE us_english', 'SET LANGUAGE [English]', "SET LANGUAGE N'us_english'"]) {
      expect(answerBatch(sql, facts), sql).toEqual([{ kind: 'language', language: 'us_english' }]);
    }
    expect(answerBatch('SET NOCOUNT, XACT_ABORT OFF', facts)).toEqual([{ kind: 'nocount', on: false }]);
  });

  it('reads SET IMPLICIT_TRANSACTIONS, and ANSI_DEFAULTS as the seven options it sets, as the transaction mode', () => {
    expect(answerBatch('SET IMPLICIT_TRANSACTIONS ON; set implicit_transactions off', facts)).toEqual([
      { kind: 'implicit_transactions', on: true },
      { kind: 'implicit_transactions', on: false },
    ]);
    // ANSI_NULLS, CURSOR_CLOSE_ON_COMMIT, ANSI_NULL_DFLT_ON, IMPLICIT_TRANSACTIONS, ANSI_PADDING,
    // QUOTED_IDENTIFIER and ANSI_WARNINGS: each is served, so ANSI_DEFAULTS is, both ways.
    expect(answerBatch('SET ANSI_DEFAULTS ON SET ANSI_DEFAULTS OFF', facts)).toEqual([
      { kind: 'implicit_transactions', on: true },
      { kind: 'implicit_transactions', on: false },
    ]);
    // One value for every option the SET names.
    expect(answerBatch('SET NOCOUNT, IMPLICIT_TRANSACTIONS ON', facts)).toEqual([
      { kind: 'implicit_transactions', on: true, nocount: true },
    ]);
    expect(answerBatch('SET ANSI_DEFAULTS, XACT_ABORT OFF', facts)).toEqual([
      { kind: 'implicit_transactions', on: false },
    ]);
    // With an option refused ON, the SET is refused whole, ANSI_DEFAULTS with it.
    for (const sql of ['SET ANSI_DEFAULTS, FMTONLY ON', 'SET IMPLICIT_TRANSACTIONS, NOEXEC ON']) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
    // What begins a transaction under it: a SELECT that reads a table or view, not one without FROM.
    expect(one('SELECT session_id FROM sys.dm_exec_connections WHERE session_id = @@SPID')).toMatchObject({
      readsTable: true,
    });
    for (const sql of ['SELECT 1', 'SELECT SUSER_SNAME()', "SELECT 'a' AS x, @@SPID"]) {
      expect(one(sql), sql).not.toHaveProperty('readsTable');
    }
  });

  it('reads transaction statements in the forms T-SQL has, and refuses what they cannot be', () => {
    expect(
      answerBatch('BEGIN TRANSACTION [My Tran]; ROLLBACK TRANSACTION MyTran; ROLLBACK WORK', facts),
    ).toEqual([
      { kind: 'transaction', op: 'begin', name: 'My Tran' },
      { kind: 'transaction', op: 'rollback', name: 'MyTran' },
      { kind: 'transaction', op: 'rollback' },
    ]);
    expect(one('IF @@TRANCOUNT <> 0 ROLLBACK TRANSACTION')).toEqual({
      kind: 'transaction',
      op: 'rollback',
      ifOpen: true,
    });
    for (const sql of [
      'BEGIN TRAN @name',
      "BEGIN TRAN t WITH MARK 'm'",
      'COMMIT TRAN WITH (DELAYED_DURABILITY = ON)',
      `BEGIN TRAN ${'t'.repeat(33)}`,
      'BEGIN DISTRIBUTED TRANSACTION',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
  });

  it('leaves what a control-of-flow statement governs unanswered: it takes the rest of the batch', () => {
    for (const sql of [
      'IF 1 = 1 SELECT 1 ELSE SELECT 2',
      'IF @@TRANCOUNT > 0 ROLLBACK ELSE SELECT 1',
      'WHILE 1 = 1 SELECT 1',
      'BEGIN SELECT 1; SELECT 2 END',
      'CREATE PROCEDURE p AS SELECT 1; SELECT 2',
    ]) {
      expect(answerBatch(sql, facts), sql).toEqual([refused(sql)]);
    }
    expect(answerBatch('SELECT 1 RETURN SELECT 2', facts)).toEqual([
      { kind: 'rows', columns: [{ name: '', type: 'int' }], rows: [[1]] },
      refused('RETURN SELECT 2'),
    ]);
  });

  it('answers a syntax error as SQL Server does, for the whole batch: a reserved word is no alias', () => {
    for (const [sql, number, near] of [
      ['SELECT SUSER_SNAME() WHERE', 156, 'WHERE'],
      ['SELECT SUSER_SNAME() order', 156, 'order'],
      ['SELECT 1 ELSE', 156, 'ELSE'],
      ["SELECT 'a' AS", 156, 'AS'],
      ['SELECT', 156, 'SELECT'],
      ['SELECT 1,', 102, ','],
      ['SELECT 1 AS, 2', 102, ','],
      ["SELECT IS_MEMBER('x',)", 102, ')'],
      // Followed by a statement or a ';': SQL Server names what comes next.
      ['SELECT 1 WHERE SET NOCOUNT ON', 156, 'SET'],
      ['SELECT 1 FROM;', 102, ';'],
      // Anywhere in the batch: nothing runs, the statements before it neither.
      ['SET NOCOUNT ON; SELECT 1; SELECT 2 UNION', 156, 'UNION'],
    ] as const) {
      expect(answerBatch(sql, facts), sql).toEqual([syntaxError(number, near)]);
    }
  });

  it("answers a ')' that closes nothing in a SELECT with 102 near it, the first error in the text", () => {
    // Each scan of a statement's top level holds the depth at 0 past such a ')': the scan for FROM went
    // below 0 and read the rest as nested, so that a FROM after it was not found.
    for (const [sql, number, near] of [
      ['SELECT 1)', 102, ')'],
      ['SELECT 1), 2 FROM', 102, ')'],
      ['SELECT 1 WHERE)', 102, ')'],
      ['SELECT (1)) FROM sys.dm_exec_connections WHERE session_id = @@SPID', 102, ')'],
      // Answered with a row before: the WHERE's parentheses were not counted.
      ['SELECT auth_scheme FROM sys.dm_exec_connections WHERE (session_id = @@SPID))', 102, ')'],
      ['SELECT 1; SELECT 2) SET NOCOUNT ON', 102, ')'],
      ['SELECT 1 FROM) x', 102, ')'],
    ] as const) {
      expect(answerBatch(sql, facts), sql).toEqual([syntaxError(number, near)]);
    }
    // Balanced, nested: no syntax error (a parenthesized expression is not served), and in a WHERE, served.
    expect(one('SELECT ((1))')).toEqual(refused('SELECT ((1))'));
    expect(
      one('SELECT auth_scheme FROM sys.dm_exec_connections WHERE ((session_id) = (@@SPID))'),
    ).toMatchObject({ kind: 'rows', rows: [['KERBEROS']] });
  });

  it('refuses a SELECT of more than 4096 elements with 1056, as SQL Server does', () => {
    const list = (n: number) => `SELECT ${Array(n).fill('7').join(',')}`;
    const most = one(list(4096));
    expect(most.kind === 'rows' && [most.columns.length, most.rows[0]!.length]).toEqual([4096, 4096]);
    expect(answerBatch(`SELECT 1; ${list(4097)}`, facts)).toEqual([
      {
        kind: 'error',
        error: {
          number: 1056,
          state: 1,
          class: 15,
          msgText:
            'The number of elements in the select list exceeds the maximum allowed number of 4096 elements.',
        },
      },
    ]);
  });

  it('answers an unclosed comment with 113, an unclosed string or name with 105 naming the text after its quote', () => {
    expect(answerBatch('SELECT 1 /* a /* nested */ comment', facts)).toEqual([
      {
        kind: 'error',
        error: { number: 113, state: 1, class: 15, msgText: "Missing end comment mark '*/'." },
      },
    ]);
    for (const [sql, rest] of [
      ["SELECT 'abc", 'abc'],
      ["SELECT N'abc", 'abc'],
      ["SELECT 'it''s", "it''s"],
      ['SELECT 1 AS [open', 'open'],
      ['SELECT 1 AS "open', 'open'],
    ] as const) {
      expect(answerBatch(sql, facts), sql).toEqual([
        {
          kind: 'error',
          error: {
            number: 105,
            state: 1,
            class: 15,
            msgText: `Unclosed quotation mark after the character string '${rest}'.`,
          },
        },
      ]);
    }
  });
});

describe('negotiateEncryption (MS-TDS 2.2.6.5)', () => {
  it("follows the spec's table for each server setting and client offer", () => {
    const rows = [0, 1, 2, 3].map((client) =>
      (['required', 'login-only', 'not-supported'] as const).map((server) => {
        const { answer, mode } = negotiateEncryption(server, client);
        return `${answer}:${mode}`;
      }),
    );
    expect(rows).toEqual([
      ['3:full', '0:login-only', '2:none'], // ENCRYPT_OFF
      ['1:full', '1:full', '2:refuse'], // ENCRYPT_ON
      ['3:refuse', '2:none', '2:none'], // ENCRYPT_NOT_SUP
      ['1:full', '1:full', '2:refuse'], // ENCRYPT_REQ
    ]);
  });

  it('answers ENCRYPT_CLIENT_CERT (0x80) as its table does: the value it is set on, and an end where TLS cannot be had', () => {
    // MS-TDS 2.2.6.5's rows for ENCRYPT_CLIENT_CERT_OFF, _ON, _NOT_SUP and _REQ (0x80 to 0x83), in the
    // columns of a server set to ENCRYPT_ON (required), ENCRYPT_OFF (login-only) and ENCRYPT_NOT_SUP.
    const rows = [0x80, 0x81, 0x82, 0x83].map((client) =>
      (['required', 'login-only', 'not-supported'] as const).map((server) => {
        const { answer, mode } = negotiateEncryption(server, client);
        return `${answer}:${mode}`;
      }),
    );
    expect(rows).toEqual([
      ['3:full', '0:login-only', '2:refuse'], // ENCRYPT_CLIENT_CERT | ENCRYPT_OFF
      ['1:full', '1:full', '2:refuse'], // ENCRYPT_CLIENT_CERT | ENCRYPT_ON
      // ENCRYPT_CLIENT_CERT | ENCRYPT_NOT_SUP: TLS is a must. (The table has REQ for a server without
      // encryption too; a server that has none answers NOT_SUP, as to any offer, and ends it the same.)
      ['3:refuse', '3:refuse', '2:refuse'],
      ['1:full', '1:full', '2:refuse'], // ENCRYPT_CLIENT_CERT | ENCRYPT_REQ
    ]);
  });
});
