/**
 * The few statements an authentication emulator answers: those that show
 * who logged in and how. Anything else gets an error that says so: this is
 * not a database.
 *
 * - `SELECT SUSER_SNAME()`, `SELECT SYSTEM_USER`, `SELECT ORIGINAL_LOGIN()`
 * - `SELECT IS_MEMBER('...')`, `SELECT IS_SRVROLEMEMBER('...')`
 * - `SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID`
 * - `SELECT @@VERSION`, `SELECT @@SPID`
 * - `SET ...`, `USE master` and transaction statements (BEGIN, COMMIT,
 *   ROLLBACK), which drivers send around others: done, no rows.
 *
 * @module
 */

import type { Cell, Column, ServerMessage } from './tokens';

/** What the statements report about the session. */
export interface SessionFacts {
  /** The login, as SUSER_SNAME() gives it (`CONTOSO\alice`). */
  readonly login: string;
  /** `KERBEROS` (or `NTLM`, `SQL`). */
  readonly authScheme: string;
  /** The server's @@VERSION text. */
  readonly version: string;
  readonly spid: number;
  /** IS_MEMBER: 1, 0, or null for an unknown group or role. */
  isMember(name: string): number | null;
  /** IS_SRVROLEMEMBER: 1, 0, or null for an unknown role. */
  isSrvRoleMember(role: string): number | null;
}

/** A statement's answer: rows, nothing, or an error. */
export type QueryResult =
  | {
      readonly kind: 'rows';
      readonly columns: readonly Column[];
      readonly rows: readonly (readonly Cell[])[];
    }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly error: Omit<ServerMessage, 'serverName'> };

const one = (name: string, type: Column['type'], value: Cell): QueryResult => ({
  kind: 'rows',
  columns: [{ name, type }],
  rows: [[value]],
});

/** Answer one batch (one statement; trailing `;` and whitespace allowed). */
export function answerBatch(sql: string, facts: SessionFacts): QueryResult {
  const s = sql.trim().replace(/;\s*$/, '').replace(/\s+/g, ' ');
  const lower = s.toLowerCase();
  if (/^set /.test(lower) || /^use \[?master\]?$/.test(lower)) return { kind: 'done' };
  // Transactions drivers open and close around statements (pymssql's autocommit off): nothing to do.
  if (
    /^(begin|commit|rollback)( tran(saction)?)?$/.test(lower) ||
    /^if @@trancount ?> ?0 (commit|rollback)( tran(saction)?)?$/.test(lower)
  ) {
    return { kind: 'done' };
  }
  if (/^select (suser_sname|suser_name)\(\)$/.test(lower)) return one('', 'nvarchar', facts.login);
  if (lower === 'select system_user') return one('', 'nvarchar', facts.login);
  if (lower === 'select original_login()') return one('', 'nvarchar', facts.login);
  if (lower === 'select @@version') return one('', 'nvarchar', facts.version);
  if (lower === 'select @@spid') return one('', 'int', facts.spid);
  if (/^select auth_scheme from sys\.dm_exec_connections where session_id ?= ?@@spid$/.test(lower)) {
    return one('auth_scheme', 'nvarchar', facts.authScheme);
  }
  const member = /^select is_member\('([^']*)'\)$/i.exec(s);
  if (member) return one('', 'int', facts.isMember(member[1]!));
  const role = /^select is_srvrolemember\('([^']*)'\)$/i.exec(s);
  if (role) return one('', 'int', facts.isSrvRoleMember(role[1]!));
  return {
    kind: 'error',
    error: {
      number: 40000,
      state: 1,
      class: 16,
      text: `krbsim emulates authentication, not a database: it does not run '${s.slice(0, 100)}'. It answers SUSER_SNAME(), SYSTEM_USER, ORIGINAL_LOGIN(), IS_MEMBER, IS_SRVROLEMEMBER, auth_scheme and @@VERSION.`,
    },
  };
}
