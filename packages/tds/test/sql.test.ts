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
  type SessionFacts,
  TdsVersion,
} from '@krbsim/tds';
import { describe, expect, it } from 'vitest';
import { refusal, refusalMessage } from './helpers';

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

  it('refuses ALL_HEADERS that lie, a missing transaction descriptor, and text that is not UTF-16', () => {
    const good = encodeSqlBatch('x');
    const at = (f: (v: DataView) => void, b = good.slice()) => {
      f(new DataView(b.buffer));
      return b;
    };
    expect(refusal(() => decodeSqlBatch(at((v) => v.setUint32(0, 999, true))))).toBe(
      'malformed SQLBatch.ALL_HEADERS.TotalLength',
    );
    expect(refusal(() => decodeSqlBatch(at((v) => v.setUint32(4, 3, true))))).toBe(
      'malformed SQLBatch.ALL_HEADERS[0].HeaderLength',
    );
    expect(refusal(() => decodeSqlBatch(at((v) => v.setUint32(4, 40, true))))).toBe(
      'malformed SQLBatch.ALL_HEADERS[0].HeaderData',
    );
    expect(refusal(() => decodeSqlBatch(at((v) => v.setUint16(8, 1, true))))).toBe(
      'malformed SQLBatch.ALL_HEADERS',
    );
    expect(refusal(() => decodeSqlBatch(Uint8Array.from([...good, 0])))).toBe('malformed SQLBatch.SQLText');
    expect(refusal(() => decodeSqlBatch(Uint8Array.of(1, 0)))).toBe(
      'malformed SQLBatch.ALL_HEADERS.TotalLength',
    );
  });

  it('reads 16 ALL_HEADERS headers and refuses a 17th', () => {
    const withHeaders = (n: number) => {
      // Each header: HeaderLength 6, HeaderType TRANSACTION_DESCRIPTOR, no data.
      const b = new Uint8Array(4 + 6 * n);
      const v = new DataView(b.buffer);
      v.setUint32(0, b.length, true);
      for (let i = 0; i < n; i++) {
        v.setUint32(4 + 6 * i, 6, true);
        v.setUint16(8 + 6 * i, AllHeadersType.TRANSACTION_DESCRIPTOR, true);
      }
      return b;
    };
    expect(decodeSqlBatch(withHeaders(16)).headers).toHaveLength(16);
    expect(refusalMessage(() => decodeSqlBatch(withHeaders(17)))).toBe(
      'too-large SQLBatch.ALL_HEADERS: more than 16 headers',
    );
  });
});

const facts: SessionFacts = {
  login: 'CONTOSO\\alice',
  authScheme: 'KERBEROS',
  version: 'Microsoft SQL Azure (RTM) - 12.0.2000.8',
  serverName: 'mi1',
  spid: 51,
  database: 'master',
  encrypted: true,
  clientAddress: '127.0.0.1',
  isMember: (n) => (n === 'CONTOSO\\SqlAdmins' ? 1 : n === 'CONTOSO\\Auditors' ? 0 : null),
  isSrvRoleMember: (r) => (r === 'sysadmin' ? 0 : null),
};

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

  it('answers sys.dm_exec_connections for the session, any of its columns, either way round', () => {
    expect(one('SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID')).toEqual({
      kind: 'rows',
      columns: [{ name: 'auth_scheme', type: 'nvarchar' }],
      rows: [['KERBEROS']],
    });
    expect(
      one(
        'select net_transport, [encrypt_option], session_id sid from [sys].[dm_exec_connections] where @@spid=session_id',
      ),
    ).toEqual({
      kind: 'rows',
      columns: [
        { name: 'net_transport', type: 'nvarchar' },
        { name: 'encrypt_option', type: 'nvarchar' },
        { name: 'sid', type: 'int' },
      ],
      rows: [['TCP', 'TRUE', 51]],
    });
    expect(one('SELECT auth_scheme FROM sys.dm_exec_connections').kind).toBe('error');
  });

  it('names columns by alias in every form T-SQL allows, and answers several in one row', () => {
    expect(
      one("SELECT SUSER_SNAME() AS login, who = SYSTEM_USER, IS_MEMBER('CONTOSO\\SqlAdmins') [admin]"),
    ).toEqual({
      kind: 'rows',
      columns: [
        { name: 'login', type: 'nvarchar' },
        { name: 'who', type: 'nvarchar' },
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
      { kind: 'done' },
    ]);
    for (const sql of [
      'BEGIN TRAN',
      'BEGIN TRANSACTION t1',
      'COMMIT',
      'ROLLBACK TRAN',
      'IF @@TRANCOUNT > 0 COMMIT TRAN',
    ]) {
      expect(one(sql)).toEqual({ kind: 'done' });
    }
    expect(one('USE [master]')).toEqual({ kind: 'use', database: 'master' });
    // jTDS opens a session with a SELECT and a run of SETs, no semicolon between.
    const jtds =
      'SELECT @@MAX_PRECISION\r\nSET TRANSACTION ISOLATION LEVEL READ COMMITTED\r\nSET IMPLICIT_TRANSACTIONS OFF\r\n' +
      'SET QUOTED_IDENTIFIER ON\r\nSET TEXTSIZE 2147483647';
    const answers = answerBatch(jtds, facts);
    expect(answers[0]).toEqual({ kind: 'rows', columns: [{ name: '', type: 'int' }], rows: [[38]] });
    expect(answers.slice(1)).toEqual(Array(4).fill({ kind: 'done' }));
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
    expect(r.map((x) => x.kind)).toEqual(['done', 'rows', 'rows']);
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
    expect(one('SELECT 1 /* unclosed')).toMatchObject({ kind: 'error', error: { number: 105 } });
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

  it('reads ]] in a bracketed name as ], and refuses an unclosed bracket with 105', () => {
    expect(one('SELECT 1 AS [a]]b]')).toEqual({
      kind: 'rows',
      columns: [{ name: 'a]b', type: 'int' }],
      rows: [[1]],
    });
    expect(one('SELECT 1 AS [open')).toMatchObject({
      kind: 'error',
      error: { number: 105, msgText: "Unclosed quotation mark after the character string '[open'." },
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
      'SELECT',
      'SELECT 1,',
      'SELECT @@TRANCOUNT',
      'SELECT CURRENT_USER',
      'SELECT GETDATE()',
      'SELECT 2147483648',
      "SELECT [IS_MEMBER]('x')",
    ]) {
      notRun(sql);
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
    // The CLIENT_CERT bit asks for certificate authentication, which is not served: the rest decides.
    expect(negotiateEncryption('login-only', 0x80)).toEqual({ answer: 0, mode: 'login-only' });
  });
});
