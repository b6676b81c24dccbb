/**
 * The statements an authentication emulator answers: those that show who
 * logged in and how. Anything else gets an error that says so: this is
 * not a database.
 *
 * A batch is split into statements at `;` and, after a `SET` or a `SELECT`,
 * at the next statement keyword (drivers send runs such as `SET ANSI_NULLS
 * ON SET TEXTSIZE 2147483647`, or jTDS's `SELECT @@MAX_PRECISION SET ...`).
 * Each statement is answered on its own:
 *
 * - `SELECT` of a list of: `SUSER_SNAME()`, `SUSER_NAME()`, `SYSTEM_USER`,
 *   `ORIGINAL_LOGIN()`, `IS_MEMBER('...')`, `IS_SRVROLEMEMBER('...')`,
 *   `@@VERSION`, `@@SPID`, `@@SERVERNAME`, `@@MAX_PRECISION`, `DB_NAME()`, integer and string
 *   literals, each with an optional alias (`AS x`, `x`, `x = ...`): one row;
 * - `SELECT auth_scheme, encrypt_option, net_transport, protocol_type,
 *   session_id, client_net_address FROM sys.dm_exec_connections WHERE
 *   session_id = @@SPID` (any of those columns): one row;
 * - `SET ...`, `BEGIN TRAN`, `COMMIT`, `ROLLBACK`, `IF @@TRANCOUNT > 0
 *   COMMIT|ROLLBACK ...`: done, no rows (drivers send them around others);
 * - `USE master`: the database change; another database: error 911;
 * - anything else: error 50000 saying the emulator does not run it.
 *
 * @module
 */

import { databaseDoesNotExist, notRunByEmulator, type SqlError, unclosedQuotation } from './sql-errors';
import type { Cell, Column } from './tokens/types';

/** What the statements report about the session and its connection. */
export interface SessionFacts {
  /** The login, as SUSER_SNAME() and SYSTEM_USER give it (`CONTOSO\alice`). */
  readonly login: string;
  /** ORIGINAL_LOGIN(); default `login`. */
  readonly originalLogin?: string;
  /** sys.dm_exec_connections.auth_scheme: `KERBEROS` (or `NTLM`, `SQL`). */
  readonly authScheme: string;
  /** @@VERSION. */
  readonly version: string;
  /** @@SERVERNAME. */
  readonly serverName: string;
  /** @@SPID and session_id. */
  readonly spid: number;
  /** DB_NAME(). */
  readonly database: string;
  /** sys.dm_exec_connections.encrypt_option: is the session in TLS? */
  readonly encrypted: boolean;
  /** sys.dm_exec_connections.client_net_address. */
  readonly clientAddress?: string;
  /** IS_MEMBER: 1, 0, or null for a group or role that does not resolve. */
  isMember(name: string): number | null;
  /** IS_SRVROLEMEMBER: 1, 0, or null for an unknown role. */
  isSrvRoleMember(role: string): number | null;
}

/** One statement's answer. */
export type StatementResult =
  | {
      readonly kind: 'rows';
      readonly columns: readonly Column[];
      readonly rows: readonly (readonly Cell[])[];
    }
  | { readonly kind: 'done' }
  /** The session's database changed (ENVCHANGE and INFO 5701 follow). */
  | { readonly kind: 'use'; readonly database: string }
  | { readonly kind: 'error'; readonly error: SqlError };

/** The longest batch text read; a longer one is refused as not run. */
const MAX_BATCH_CHARS = 64 * 1024;
/** The most statements answered in one batch. */
const MAX_STATEMENTS = 256;

/** Answer a batch: one result per statement, in order. */
export function answerBatch(sqlText: string, facts: SessionFacts): StatementResult[] {
  if (sqlText.length > MAX_BATCH_CHARS) return [{ kind: 'error', error: notRunByEmulator(sqlText) }];
  let tokens: Token[];
  try {
    tokens = tokenize(sqlText);
  } catch (e) {
    if (e instanceof Unclosed) return [{ kind: 'error', error: unclosedQuotation(e.rest) }];
    throw e;
  }
  const statements = splitStatements(tokens);
  if (statements.length > MAX_STATEMENTS) return [{ kind: 'error', error: notRunByEmulator(sqlText) }];
  return statements.map((s) => answerStatement(s, sqlText, facts));
}

// --- tokens ---

interface Token {
  readonly kind: 'word' | 'string' | 'number' | 'var' | 'punct';
  /** Words and variables lower-cased (unless quoted), strings unescaped. */
  readonly value: string;
  /** A bracketed or double-quoted identifier. */
  readonly quoted?: boolean;
  /** Where the token starts and ends in the text. */
  readonly start: number;
  readonly end: number;
}

class Unclosed extends Error {
  constructor(readonly rest: string) {
    super('unclosed');
  }
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && s[i + 1] === '-') {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === '/' && s[i + 1] === '*') {
      let depth = 0;
      while (i < s.length) {
        if (s[i] === '/' && s[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (s[i] === '*' && s[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      if (depth !== 0) throw new Unclosed(s.slice(start));
    } else if (c === "'" || ((c === 'N' || c === 'n') && s[i + 1] === "'")) {
      i += c === "'" ? 1 : 2;
      let value = '';
      for (;;) {
        if (i >= s.length) throw new Unclosed(s.slice(start));
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += s[i++];
      }
      out.push({ kind: 'string', value, start, end: i });
    } else if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      i++;
      let value = '';
      for (;;) {
        if (i >= s.length) throw new Unclosed(s.slice(start));
        if (s[i] === close) {
          if (s[i + 1] === close) {
            value += close;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += s[i++];
      }
      out.push({ kind: 'word', value: value.toLowerCase(), quoted: true, start, end: i });
    } else if (c === '@') {
      i++;
      if (s[i] === '@') i++;
      while (i < s.length && /[\w#$@]/.test(s[i]!)) i++;
      out.push({ kind: 'var', value: s.slice(start, i).toLowerCase(), start, end: i });
    } else if (/\d/.test(c)) {
      while (i < s.length && /\d/.test(s[i]!)) i++;
      out.push({ kind: 'number', value: s.slice(start, i), start, end: i });
    } else if (/[A-Za-z_#]/.test(c)) {
      while (i < s.length && /[\w#$@]/.test(s[i]!)) i++;
      out.push({ kind: 'word', value: s.slice(start, i).toLowerCase(), start, end: i });
    } else {
      const two = s.slice(i, i + 2);
      const len = ['>=', '<=', '<>', '!='].includes(two) ? 2 : 1;
      i += len;
      out.push({ kind: 'punct', value: s.slice(start, i), start, end: i });
    }
  }
  return out;
}

/** Keywords that begin a statement, where a run of SET statements ends or continues. */
const STATEMENT_KEYWORDS = new Set([
  'set',
  'select',
  'use',
  'begin',
  'commit',
  'rollback',
  'if',
  'declare',
  'exec',
  'execute',
  'print',
  'insert',
  'update',
  'delete',
  'create',
  'drop',
  'alter',
]);

const isWord = (t: Token | undefined, ...values: string[]) =>
  t !== undefined && t.kind === 'word' && !t.quoted && values.includes(t.value);
const isPunct = (t: Token | undefined, value: string) =>
  t !== undefined && t.kind === 'punct' && t.value === value;

function splitStatements(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  const flush = () => {
    if (current.length > 0) out.push(current);
    current = [];
  };
  for (const t of tokens) {
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth = Math.max(0, depth - 1);
    if (depth === 0 && isPunct(t, ';')) {
      flush();
      continue;
    }
    // After a SET or a SELECT, the next statement keyword at the top level starts a new statement
    // (`SELECT @@MAX_PRECISION SET TRANSACTION ...`, as jTDS opens a session), but for a SELECT
    // joined to another by a set operator.
    if (
      depth === 0 &&
      current.length > 0 &&
      isWord(t, ...STATEMENT_KEYWORDS) &&
      (isWord(current[0], 'set') ||
        (isWord(current[0], 'select') && !isWord(current.at(-1), 'union', 'all', 'except', 'intersect')))
    ) {
      flush();
    }
    current.push(t);
  }
  flush();
  return out;
}

// --- statements ---

function answerStatement(tokens: readonly Token[], text: string, facts: SessionFacts): StatementResult {
  const source = text.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
  const notRun: StatementResult = { kind: 'error', error: notRunByEmulator(source.replace(/\s+/g, ' ')) };
  const first = tokens[0]!;
  if (isWord(first, 'set')) return { kind: 'done' };
  if (isWord(first, 'use') && tokens.length === 2 && tokens[1]!.kind === 'word') {
    const db = tokens[1]!.value;
    return db === 'master'
      ? { kind: 'use', database: 'master' }
      : {
          kind: 'error',
          error: databaseDoesNotExist(text.slice(tokens[1]!.start, tokens[1]!.end).replace(/^\[|\]$/g, '')),
        };
  }
  if (isTransaction(tokens)) return { kind: 'done' };
  if (isWord(first, 'select')) return select(tokens.slice(1), facts) ?? notRun;
  return notRun;
}

const TRAN = ['tran', 'transaction', 'work'];

/** BEGIN TRAN[SACTION] [name], COMMIT/ROLLBACK [TRAN|WORK] [name], IF @@TRANCOUNT > 0 COMMIT/ROLLBACK ... */
function isTransaction(t: readonly Token[]): boolean {
  if (isWord(t[0], 'begin')) return t.length <= 3 && isWord(t[1], 'tran', 'transaction');
  if (isWord(t[0], 'commit', 'rollback')) {
    return (
      t.length === 1 || (t.length <= 3 && isWord(t[1], ...TRAN)) || (t.length === 2 && t[1]!.kind === 'word')
    );
  }
  if (isWord(t[0], 'if') && t[1]?.kind === 'var' && t[1].value === '@@trancount') {
    const op = t[2]?.value;
    const rest = t.slice(4);
    return (
      (op === '>' || op === '<>' || op === '!=') &&
      t[3]?.value === '0' &&
      rest.length > 0 &&
      isTransaction(rest)
    );
  }
  return false;
}

/** The columns sys.dm_exec_connections answers for the session's own connection. */
function connectionColumn(t: Token, facts: SessionFacts): (Column & { value: Cell }) | undefined {
  if (t.kind !== 'word') return undefined;
  const name = t.value;
  switch (name) {
    case 'auth_scheme':
      return { name, type: 'nvarchar', value: facts.authScheme };
    case 'encrypt_option':
      return { name, type: 'nvarchar', value: facts.encrypted ? 'TRUE' : 'FALSE' };
    case 'net_transport':
      return { name, type: 'nvarchar', value: 'TCP' };
    case 'protocol_type':
      return { name, type: 'nvarchar', value: 'TSQL' };
    case 'session_id':
      return { name, type: 'int', value: facts.spid };
    case 'client_net_address':
      return { name, type: 'nvarchar', value: facts.clientAddress ?? null };
    default:
      return undefined;
  }
}

/** SELECT's list, with an optional FROM sys.dm_exec_connections WHERE session_id = @@SPID. */
function select(t: readonly Token[], facts: SessionFacts): StatementResult | undefined {
  // Split off FROM ... at the top level.
  let depth = 0;
  let from = t.length;
  for (let i = 0; i < t.length; i++) {
    if (isPunct(t[i], '(')) depth++;
    else if (isPunct(t[i], ')')) depth--;
    else if (depth === 0 && isWord(t[i], 'from')) {
      from = i;
      break;
    }
  }
  const items = splitTop(t.slice(0, from), ',');
  if (items.length === 0 || items.some((i) => i.length === 0)) return undefined;
  const columns: Column[] = [];
  const row: Cell[] = [];
  if (from < t.length) {
    if (!isConnectionsOfThisSession(t.slice(from + 1))) return undefined;
    for (const item of items) {
      const found = readings(item)
        .map((r) => ({ r, c: r.expr.length === 1 ? connectionColumn(r.expr[0]!, facts) : undefined }))
        .find((x) => x.c !== undefined);
      if (found === undefined) return undefined;
      columns.push({ name: found.r.alias ?? found.c!.name, type: found.c!.type });
      row.push(found.c!.value);
    }
    return { kind: 'rows', columns, rows: [row] };
  }
  for (const item of items) {
    const found = readings(item)
      .map((r) => ({ r, v: evaluate(r.expr, facts) }))
      .find((x) => x.v !== undefined);
    if (found === undefined) return undefined;
    columns.push({ name: found.r.alias ?? '', type: found.v!.type });
    row.push(found.v!.value);
  }
  return { kind: 'rows', columns, rows: [row] };
}

/** `sys.dm_exec_connections WHERE session_id = @@SPID` (the WHERE's sides either way round). */
function isConnectionsOfThisSession(t: readonly Token[]): boolean {
  const table =
    t[0]?.kind === 'word' &&
    t[0].value === 'sys' &&
    isPunct(t[1], '.') &&
    t[2]?.kind === 'word' &&
    t[2].value === 'dm_exec_connections';
  if (!table || !isWord(t[3], 'where')) return false;
  const cond = t.slice(4).filter((x) => !isPunct(x, '(') && !isPunct(x, ')'));
  if (cond.length !== 3 || !isPunct(cond[1], '=')) return false;
  const sides = [cond[0]!, cond[2]!];
  return (
    sides.some((x) => x.kind === 'word' && x.value === 'session_id') &&
    sides.some((x) => x.kind === 'var' && x.value === '@@spid')
  );
}

function splitTop(t: readonly Token[], sep: string): Token[][] {
  if (t.length === 0) return [];
  const out: Token[][] = [[]];
  let depth = 0;
  for (const x of t) {
    if (isPunct(x, '(')) depth++;
    else if (isPunct(x, ')')) depth--;
    if (depth === 0 && isPunct(x, sep)) out.push([]);
    else out[out.length - 1]!.push(x);
  }
  return out;
}

/** The readings of a SELECT item: `expr`, `alias = expr`, `expr AS alias`, `expr alias`. */
function readings(item: readonly Token[]): Array<{ expr: readonly Token[]; alias?: string }> {
  const isName = (x: Token | undefined) => x !== undefined && (x.kind === 'word' || x.kind === 'string');
  const n = item.length;
  const out: Array<{ expr: readonly Token[]; alias?: string }> = [{ expr: item }];
  if (n >= 3 && isPunct(item[1], '=') && isName(item[0]))
    out.push({ expr: item.slice(2), alias: item[0]!.value });
  if (n >= 3 && isWord(item[n - 2], 'as') && isName(item[n - 1])) {
    out.push({ expr: item.slice(0, n - 2), alias: item[n - 1]!.value });
  }
  if (n >= 2 && isName(item[n - 1])) out.push({ expr: item.slice(0, n - 1), alias: item[n - 1]!.value });
  return out;
}

/** One expression's value and type, or undefined when the emulator does not answer it. */
function evaluate(
  t: readonly Token[],
  facts: SessionFacts,
): { type: Column['type']; value: Cell } | undefined {
  const str = (value: Cell) => ({ type: 'nvarchar' as const, value });
  const int = (value: Cell) => ({ type: 'int' as const, value });
  if (t.length === 1) {
    const x = t[0]!;
    if (x.kind === 'number') return Number(x.value) < 2 ** 31 ? int(Number(x.value)) : undefined;
    if (x.kind === 'string') return str(x.value);
    if (x.kind === 'var') {
      if (x.value === '@@version') return str(facts.version);
      if (x.value === '@@spid') return int(facts.spid);
      if (x.value === '@@servername') return str(facts.serverName);
      // The precision of decimal and numeric, which a driver reads as its session opens (jTDS).
      if (x.value === '@@max_precision') return int(38);
      return undefined;
    }
    if (isWord(x, 'system_user')) return str(facts.login);
    return undefined;
  }
  if (t.length === 2 && isPunct(t[0], '-') && t[1]!.kind === 'number') return int(-Number(t[1]!.value));
  // A call: name ( [ 'literal' ] )
  const fn = t[0];
  if (fn?.kind !== 'word' || fn.quoted || !isPunct(t[1], '(') || !isPunct(t[t.length - 1], ')'))
    return undefined;
  const args = t.slice(2, -1);
  if (args.length === 0) {
    switch (fn.value) {
      case 'suser_sname':
      case 'suser_name':
        return str(facts.login);
      case 'original_login':
        return str(facts.originalLogin ?? facts.login);
      case 'db_name':
        return str(facts.database);
      default:
        return undefined;
    }
  }
  if (args.length === 1 && args[0]!.kind === 'string') {
    if (fn.value === 'is_member') return int(facts.isMember(args[0]!.value));
    if (fn.value === 'is_srvrolemember') return int(facts.isSrvRoleMember(args[0]!.value));
  }
  return undefined;
}
