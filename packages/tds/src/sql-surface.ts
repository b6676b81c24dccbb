/**
 * The statements an authentication emulator answers: those that show who
 * logged in and how. Anything else gets an error that says so: this is
 * not a database.
 *
 * A batch is split into statements at `;`, after a SET, USE or transaction
 * statement's last argument, and, after a SELECT (or a SET this surface
 * does not read), at the next keyword that starts a statement (drivers
 * send runs such as `SET ANSI_NULLS ON SET TEXTSIZE 2147483647`, or jTDS's
 * `SELECT @@MAX_PRECISION SET ...`). A control-of-flow statement (IF,
 * WHILE, a BEGIN...END block, CREATE PROCEDURE...) takes the rest of the
 * batch: what it governs is not answered on its own. Each statement is
 * answered in order:
 *
 * - `SELECT` of a list of: `SUSER_SNAME()`, `SUSER_NAME()`, `SYSTEM_USER`,
 *   `ORIGINAL_LOGIN()`, `IS_MEMBER('...')`, `IS_SRVROLEMEMBER('...')`,
 *   `@@VERSION`, `@@SPID`, `@@SERVERNAME`, `@@MAX_PRECISION`, `@@TRANCOUNT`,
 *   `DB_NAME()`, INT and string literals, each with an optional alias (`AS x`,
 *   `x`, `x = ...`), whose case is kept: one row, each column of the type SQL
 *   Server gives it (`evaluate`: smallint, tinyint, int, nvarchar(128), nvarchar(300), and
 *   varchar(n) or nvarchar(n) for a literal of n characters); a value no
 *   such column holds (a literal longer than 8000 bytes or 4000 byte-pairs,
 *   which SQL Server types (MAX), a character of a non-Unicode literal the
 *   emulator cannot convert to the database's code page as SQL Server does)
 *   makes the statement refused, never answered in another type;
 * - `SELECT auth_scheme, encrypt_option, net_transport, protocol_type,
 *   session_id, client_net_address FROM sys.dm_exec_connections WHERE
 *   session_id = @@SPID` (any of those columns, in the view's types): one row;
 * - `SET` of the options that leave these answers as they are (ANSI_NULLS,
 *   QUOTED_IDENTIFIER, TEXTSIZE, TRANSACTION ISOLATION LEVEL...): done;
 *   `SET NOCOUNT`: honoured; `SET IMPLICIT_TRANSACTIONS`, and
 *   `SET ANSI_DEFAULTS` (which sets it with six options served as they are):
 *   the session's transaction mode; `SET LANGUAGE us_english`: the language
 *   change; options that would change the answers (FMTONLY, NOEXEC,
 *   PARSEONLY, SHOWPLAN_*, STATISTICS, ROWCOUNT above 0, another language)
 *   are refused;
 * - `BEGIN TRAN[SACTION] [name]`, `COMMIT [TRAN [name] | WORK]`,
 *   `ROLLBACK [TRAN [name] | WORK]`, `IF @@TRANCOUNT > 0 COMMIT|ROLLBACK ...`:
 *   run against the session's transaction count; under IMPLICIT_TRANSACTIONS
 *   ON, the SELECT from sys.dm_exec_connections (a SELECT that reads a view;
 *   one without FROM does not) begins a transaction when none is open (see
 *   `statementTokens`);
 * - `USE master`: the database change; another database: error 911;
 * - a syntax error this surface recognizes (an unclosed string or comment,
 *   a keyword or comma with nothing after it, a `)` that closes nothing in a
 *   SELECT, more than 4096 SELECT elements, an identifier or a column alias,
 *   in any of its forms, longer than 128 characters): SQL Server's error for
 *   the whole batch, nothing run;
 * - anything else: error 50000 saying the emulator does not run it.
 *
 * @module
 */

import {
  databaseDoesNotExist,
  identifierTooLong,
  incorrectSyntaxNear,
  missingEndCommentMark,
  notRunByEmulator,
  type SqlError,
  tooManySelectElements,
  unclosedQuotation,
} from './sql-errors';
import { cp1252Byte, cp1252Encode } from './tokens/code-page';
import { fitsInt, MAX_STRING_LENGTH } from './tokens/encode';
import type { Cell, Column, IntColumn, StringColumn } from './tokens/types';

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
  /** @@SPID (a SMALLINT) and session_id. */
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
      /**
       * The SELECT reads a table or view (it has a FROM): under SET IMPLICIT_TRANSACTIONS ON it begins
       * a transaction when none is open, as one without FROM (`SELECT 1`) does not.
       */
      readonly readsTable?: boolean;
      /**
       * The columns (by index) that are @@TRANCOUNT: their value is the session's transaction count as
       * the statement runs, which statements before it in the batch may have changed; the rows hold 0.
       */
      readonly tranCount?: readonly number[];
    }
  | { readonly kind: 'done' }
  /** The session's database changed (ENVCHANGE and INFO 5701 follow). */
  | { readonly kind: 'use'; readonly database: string }
  /** SET NOCOUNT: whether later statements' DONE leave out their row count (MS-TDS 2.2.7.6, DONE_COUNT). */
  | { readonly kind: 'nocount'; readonly on: boolean }
  /**
   * SET IMPLICIT_TRANSACTIONS, or SET ANSI_DEFAULTS (which sets it), ON or OFF: whether the statements
   * that begin a transaction do so when none is open. An open transaction stays open either way.
   * `nocount`: the same SET named NOCOUNT too (`SET NOCOUNT, IMPLICIT_TRANSACTIONS ON`), which takes
   * the same value.
   */
  | { readonly kind: 'implicit_transactions'; readonly on: boolean; readonly nocount?: boolean }
  /** SET LANGUAGE of the instance's language (ENVCHANGE and INFO 5703 follow). */
  | { readonly kind: 'language'; readonly language: string }
  /**
   * BEGIN, COMMIT or ROLLBACK TRANSACTION, run against the session's transaction count; `name` as
   * written (transaction names are case-sensitive); `ifOpen`: `IF @@TRANCOUNT > 0 ...`, nothing to do
   * when no transaction is open.
   */
  | {
      readonly kind: 'transaction';
      readonly op: 'begin' | 'commit' | 'rollback';
      readonly name?: string;
      readonly ifOpen?: boolean;
    }
  | { readonly kind: 'error'; readonly error: SqlError };

/** The longest batch text read; a longer one is refused as not run. */
const MAX_BATCH_CHARS = 64 * 1024;
/** The most statements answered in one batch. */
const MAX_STATEMENTS = 256;
/** The longest identifier SQL Server reads: a sysname, nvarchar(128) (error 103 past it). */
const MAX_IDENTIFIER_LENGTH = 128;

/** SQL Server's most elements in a SELECT list (error 1056 past it). */
const MAX_SELECT_ELEMENTS = 4096;
/** The longest transaction name T-SQL takes (BEGIN TRANSACTION); a transaction manager request's too. */
export const MAX_TRANSACTION_NAME = 32;

/** Answer a batch: one result per statement, in order. */
export function answerBatch(sqlText: string, facts: SessionFacts): StatementResult[] {
  if (sqlText.length > MAX_BATCH_CHARS) return [{ kind: 'error', error: notRunByEmulator(sqlText) }];
  let tokens: Token[];
  try {
    tokens = tokenize(sqlText);
  } catch (e) {
    if (e instanceof LexError) return [{ kind: 'error', error: e.error }];
    throw e;
  }
  const statements = splitStatements(tokens);
  if (statements.length > MAX_STATEMENTS) return [{ kind: 'error', error: notRunByEmulator(sqlText) }];
  // SQL Server compiles a batch whole: a syntax error anywhere is the batch's one answer, nothing run.
  const syntax = statements.find((s) => s.syntaxError !== undefined);
  if (syntax !== undefined) return [{ kind: 'error', error: syntax.syntaxError! }];
  return statements.map((s) => answerStatement(s, sqlText, facts));
}

// --- tokens ---

/** How T-SQL types a numeric literal: `1` INT (up to 2^31 - 1), `1.5` DECIMAL, `1e3` FLOAT, `0x1F` VARBINARY, `$1` MONEY. */
type NumberType = 'int' | 'decimal' | 'float' | 'binary' | 'money';

interface Token {
  readonly kind: 'word' | 'string' | 'number' | 'var' | 'punct';
  /** Words and variables lower-cased (quoted names too), strings unescaped: what is compared. */
  readonly value: string;
  /** As written: a word's spelling, a quoted name or a string unescaped (an alias keeps its case). */
  readonly text: string;
  /** A bracketed or double-quoted identifier. */
  readonly quoted?: boolean;
  readonly numberType?: NumberType;
  /** A string written N'...': a Unicode constant, not one in the database's code page. */
  readonly unicode?: boolean;
  /** Where the token starts and ends in the text. */
  readonly start: number;
  readonly end: number;
}

/** A batch that cannot be read into tokens (105, 113): SQL Server's error for the whole batch. */
class LexError extends Error {
  constructor(readonly error: SqlError) {
    super(error.msgText);
  }
}

const DIGIT = /\d/;

/** An identifier (a sysname) has 128 characters at most: past it, SQL Server's 103 for the whole batch. */
function checkIdentifierLength(name: string): void {
  if (name.length > MAX_IDENTIFIER_LENGTH) throw new LexError(identifierTooLong(name, MAX_IDENTIFIER_LENGTH));
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const digits = () => {
    while (i < s.length && DIGIT.test(s[i]!)) i++;
  };
  while (i < s.length) {
    const c = s[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && s[i + 1] === '-') {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === '/' && s[i + 1] === '*') {
      // Block comments nest.
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
      if (depth !== 0) throw new LexError(missingEndCommentMark());
    } else if (c === "'" || ((c === 'N' || c === 'n') && s[i + 1] === "'")) {
      // N'...' in either case: T-SQL is lexed without regard to case (Microsoft's own T-SQL parser,
      // ScriptDom, lexes so), though "Constants (Transact-SQL)" asks for an uppercase N. Pinned by a test.
      const unicode = c !== "'";
      i += unicode ? 2 : 1;
      const body = i;
      let value = '';
      for (;;) {
        if (i >= s.length) throw new LexError(unclosedQuotation(s.slice(body)));
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
      out.push({ kind: 'string', value, text: value, ...(unicode && { unicode }), start, end: i });
    } else if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      i++;
      const body = i;
      let value = '';
      for (;;) {
        if (i >= s.length) throw new LexError(unclosedQuotation(s.slice(body)));
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
      out.push({ kind: 'word', value: value.toLowerCase(), text: value, quoted: true, start, end: i });
      checkIdentifierLength(value);
    } else if (c === '@') {
      i++;
      if (s[i] === '@') i++;
      while (i < s.length && /[\w#$@]/.test(s[i]!)) i++;
      const text = s.slice(start, i);
      out.push({ kind: 'var', value: text.toLowerCase(), text, start, end: i });
    } else if (
      DIGIT.test(c) ||
      (c === '.' && DIGIT.test(s[i + 1] ?? '')) ||
      (c === '$' && /[\d.]/.test(s[i + 1] ?? ''))
    ) {
      // The whole literal, as T-SQL reads it (Constants): 0x hex digits; digits, '.', digits, exponent.
      let numberType: NumberType = c === '$' ? 'money' : 'int';
      if (c === '$') i++;
      if (c === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
        i += 2;
        while (i < s.length && /[0-9a-fA-F]/.test(s[i]!)) i++;
        numberType = 'binary';
      } else {
        digits();
        if (s[i] === '.') {
          i++;
          digits();
          if (numberType === 'int') numberType = 'decimal';
        }
        if (s[i] === 'e' || s[i] === 'E') {
          i++;
          if (s[i] === '+' || s[i] === '-') i++;
          digits();
          numberType = 'float';
        }
      }
      const text = s.slice(start, i);
      out.push({ kind: 'number', value: text, text, numberType, start, end: i });
    } else if (/[A-Za-z_#]/.test(c)) {
      while (i < s.length && /[\w#$@]/.test(s[i]!)) i++;
      const text = s.slice(start, i);
      out.push({ kind: 'word', value: text.toLowerCase(), text, start, end: i });
      checkIdentifierLength(text);
    } else {
      const two = s.slice(i, i + 2);
      i += ['>=', '<=', '<>', '!='].includes(two) ? 2 : 1;
      const text = s.slice(start, i);
      out.push({ kind: 'punct', value: text, text, start, end: i });
    }
  }
  return out;
}

const words = (list: string): ReadonlySet<string> => new Set(list.split(' '));

/** T-SQL's reserved keywords ("Reserved keywords (Transact-SQL)"): a name only when quoted. */
const RESERVED = words(
  'add all alter and any as asc authorization backup begin between break browse bulk by cascade case check ' +
    'checkpoint close clustered coalesce collate column commit compute constraint contains containstable continue ' +
    'convert create cross current current_date current_time current_timestamp current_user cursor database dbcc ' +
    'deallocate declare default delete deny desc disk distinct distributed double drop dump else end errlvl ' +
    'escape except exec execute exists exit external fetch file fillfactor for foreign freetext freetexttable ' +
    'from full function goto grant group having holdlock identity identity_insert identitycol if in index inner ' +
    'insert intersect into is join key kill left like lineno load merge national nocheck nonclustered not null ' +
    'nullif of off offsets on open opendatasource openquery openrowset openxml option or order outer over ' +
    'percent pivot plan precision primary print proc procedure public raiserror read readtext reconfigure ' +
    'references replication restore restrict return revert revoke right rollback rowcount rowguidcol rule save ' +
    'schema securityaudit select semantickeyphrasetable semanticsimilaritydetailstable semanticsimilaritytable ' +
    'session_user set setuser shutdown some statistics system_user table tablesample textsize then to top tran ' +
    'transaction trigger truncate try_convert tsequal union unique unpivot update updatetext use user values ' +
    'varying view waitfor when where while with writetext',
);

/** Reserved keywords that begin a statement: where a SELECT (or a SET not read here) ends. */
const STATEMENT_KEYWORDS = words(
  'alter backup begin break bulk checkpoint close commit continue create dbcc deallocate declare delete deny ' +
    'drop dump exec execute fetch goto grant if insert kill load merge open print raiserror readtext reconfigure ' +
    'restore return revert revoke rollback save select set setuser shutdown truncate update updatetext use ' +
    'waitfor while writetext',
);

/**
 * Statements that govern others (control of flow) or take the rest of the batch as their body
 * (CREATE PROCEDURE, ALTER VIEW...): not served, they take the rest of the batch, so that no
 * statement they govern is answered as if it stood alone.
 */
const WHOLE_BATCH_KEYWORDS = words('if while else begin end return goto break continue create alter');

/**
 * Keywords (and the comma) that cannot end what they begin: one followed by a comma, a closing
 * parenthesis, the end of its statement or the end of the batch is a syntax error.
 */
const NEEDS_MORE = words(
  'where order group having by from as else then when case and or not in like between is join inner cross ' +
    'outer union except intersect into distinct top escape collate select with',
);

/** The clauses that end a SELECT list. */
const SELECT_LIST_END = words('from where group having order union except intersect into option for');

const isWord = (t: Token | undefined, ...values: string[]) =>
  t !== undefined && t.kind === 'word' && !t.quoted && values.includes(t.value);
const isKeyword = (t: Token | undefined, set: ReadonlySet<string>) =>
  t !== undefined && t.kind === 'word' && !t.quoted && set.has(t.value);
const isPunct = (t: Token | undefined, value: string) =>
  t !== undefined && t.kind === 'punct' && t.value === value;
/** An identifier: a word that is not a reserved keyword, or any quoted name. */
const isName = (t: Token | undefined): boolean =>
  t !== undefined && t.kind === 'word' && (t.quoted === true || !RESERVED.has(t.value));

// --- statements ---

interface Statement {
  readonly tokens: readonly Token[];
  /** The answer when the statement's form decides it (SET, USE, transactions); none: as read below. */
  readonly answer?: StatementResult;
  /** A syntax error, which fails the whole batch. */
  readonly syntaxError?: SqlError;
}

/** A statement read from its first token: where it ends, and its answer (none: refused as not run). */
interface Read {
  readonly end: number;
  readonly answer?: StatementResult;
}

function splitStatements(tokens: readonly Token[]): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  while (i < tokens.length && out.length <= MAX_STATEMENTS) {
    if (isPunct(tokens[i], ';')) {
      i++;
      continue;
    }
    const read = readSet(tokens, i) ?? readUse(tokens, i) ?? readTransaction(tokens, i);
    const end = read?.end ?? statementEnd(tokens, i);
    const statement = tokens.slice(i, end);
    const syntaxError = isWord(statement[0], 'select')
      ? selectSyntaxError(statement, tokens[end])
      : undefined;
    out.push({
      tokens: statement,
      ...(read?.answer !== undefined && { answer: read.answer }),
      ...(syntaxError !== undefined && { syntaxError }),
    });
    i = end;
  }
  return out;
}

/** Where a statement this surface does not read by its form ends. */
function statementEnd(t: readonly Token[], i: number): number {
  if (isKeyword(t[i], WHOLE_BATCH_KEYWORDS)) return t.length;
  // After a SELECT or a SET, the next statement keyword at the top level starts a new statement
  // (`SELECT @@MAX_PRECISION SET TRANSACTION ...`, as jTDS opens a session), but for a SELECT joined
  // to another by a set operator; any other statement runs to the next `;`.
  return isWord(t[i], 'select', 'set') ? runEnd(t, i + 1) : nextSemicolon(t, i + 1);
}

/** The next statement keyword or `;` at the top level from `j` (not after a set operator), or the end. */
function runEnd(t: readonly Token[], j: number): number {
  return topLevelIndex(
    t,
    (x, k) =>
      isPunct(x, ';') ||
      (isKeyword(x, STATEMENT_KEYWORDS) && !isWord(t[k - 1], 'union', 'all', 'except', 'intersect')),
    j,
  );
}

function nextSemicolon(t: readonly Token[], j: number): number {
  return topLevelIndex(t, (x) => isPunct(x, ';'), j);
}

/**
 * A SELECT's syntax errors this surface knows, as SQL Server reports them, the first in the text: a `)`
 * that closes nothing (102 near it); a keyword or comma that needs more, followed by a comma or a
 * closing parenthesis (102 near it), or by nothing: 156 near the keyword that starts the next statement
 * (102 near a `;`), or at the batch's end near the keyword itself (`SELECT 1 WHERE`, `SELECT 'a' AS`,
 * `SELECT 1,`); more than 4096 elements (1056); a column alias written as a string longer than 128
 * characters (103, as an identifier that long, which `tokenize` refuses).
 */
function selectSyntaxError(s: readonly Token[], next: Token | undefined): SqlError | undefined {
  const near = (x: Token) => incorrectSyntaxNear(x.text, isKeyword(x, RESERVED));
  let depth = 0;
  for (let j = 0; j < s.length; j++) {
    if (depth === 0 && isPunct(s[j], ')')) return near(s[j]!);
    depth = depthAfter(depth, s[j]!);
    if (!isPunct(s[j], ',') && !isKeyword(s[j], NEEDS_MORE)) continue;
    const after = s[j + 1];
    if (after === undefined) return near(next ?? s[j]!);
    if (isPunct(after, ',') || isPunct(after, ')')) return near(after);
  }
  const items = splitTop(
    s.slice(
      selectListStart(s),
      topLevelIndex(s, (x) => isKeyword(x, SELECT_LIST_END)),
    ),
    ',',
  );
  if (items.length > MAX_SELECT_ELEMENTS) return tooManySelectElements(MAX_SELECT_ELEMENTS);
  for (const item of items) {
    const alias = stringAlias(item);
    if (alias !== undefined && alias.length > MAX_IDENTIFIER_LENGTH) {
      return identifierTooLong(alias, MAX_IDENTIFIER_LENGTH);
    }
  }
  return undefined;
}

/**
 * Where a SELECT's list begins in `s` (`s[0]` is SELECT): after `ALL` or `DISTINCT`, then `TOP n` or
 * `TOP (expression)` with `PERCENT` and `WITH TIES` ("SELECT (Transact-SQL)"), so that none of them is
 * read as part of the first item (`SELECT TOP 1 'x'` has no alias).
 */
function selectListStart(s: readonly Token[]): number {
  let k = 1;
  if (isWord(s[k], 'all', 'distinct')) k++;
  if (!isWord(s[k], 'top')) return k;
  k++;
  if (isPunct(s[k], '(')) {
    // Past the parenthesis that closes TOP's.
    let depth = 0;
    do depth = depthAfter(depth, s[k++]!);
    while (k < s.length && depth > 0);
  } else if (s[k] !== undefined) {
    k++;
  }
  if (isWord(s[k], 'percent')) k++;
  if (isWord(s[k], 'with') && isWord(s[k + 1], 'ties')) k += 2;
  return k;
}

/**
 * A select item's column alias written as a string, or undefined: `'x' = expr`, `expr AS 'x'`, `expr 'x'`
 * (a string after a value, not after an operator). The alias is the column's name, an identifier, however
 * it is written ("Using Identifiers as Column Names"; a string alias is T-SQL's older form): 128
 * characters at most, as a bracketed or bare one, which `tokenize` checks.
 */
function stringAlias(item: readonly Token[]): string | undefined {
  const n = item.length;
  if (n >= 3 && item[0]!.kind === 'string' && isPunct(item[1], '=')) return item[0]!.value;
  const last = item[n - 1];
  const before = item[n - 2];
  if (last?.kind !== 'string' || before === undefined) return undefined;
  const afterValue =
    isWord(before, 'as') ||
    isPunct(before, ')') ||
    (before.kind !== 'punct' && !isKeyword(before, NEEDS_MORE));
  return afterValue ? last.value : undefined;
}

/**
 * The parenthesis depth after `x`, from `depth`, as every scan of a statement's top level counts it. A
 * `)` that closes nothing leaves it at 0, never below, so that what follows it is still read at the top
 * level (in a SELECT that `)` is SQL Server's 102, see `selectSyntaxError`).
 */
function depthAfter(depth: number, x: Token): number {
  if (isPunct(x, '(')) return depth + 1;
  if (isPunct(x, ')')) return Math.max(0, depth - 1);
  return depth;
}

/** The index of the first token from `from`, outside parentheses and not one, that `is` takes, or the length. */
function topLevelIndex(t: readonly Token[], is: (x: Token, k: number) => boolean, from = 0): number {
  let depth = 0;
  for (let k = from; k < t.length; k++) {
    const x = t[k]!;
    if (depth === 0 && !isPunct(x, '(') && !isPunct(x, ')') && is(x, k)) return k;
    depth = depthAfter(depth, x);
  }
  return t.length;
}

const DONE: StatementResult = Object.freeze({ kind: 'done' });

/** SET options taking ON or OFF (ANSI_DEFAULTS too, read as the options it sets). */
const ON_OFF_OPTIONS = words(
  'ansi_null_dflt_off ansi_null_dflt_on ansi_nulls ansi_padding ansi_warnings arithabort ' +
    'arithignore concat_null_yields_null cursor_close_on_commit fmtonly forceplan implicit_transactions nocount ' +
    'noexec numeric_roundabort parseonly quoted_identifier showplan_all showplan_text showplan_xml xact_abort',
);
/**
 * Options that, ON, would change what the session answers, and are not served: metadata or plans
 * instead of results, nothing run, statistics messages.
 */
const UNSERVED_WHEN_ON = words('fmtonly noexec parseonly showplan_all showplan_text showplan_xml');
/**
 * The options SET ANSI_DEFAULTS sets to its value ("SET ANSI_DEFAULTS (Transact-SQL)"), which it is read
 * as: it is served when each of them is (IMPLICIT_TRANSACTIONS as the session's transaction mode), and
 * refused ON were one of them in UNSERVED_WHEN_ON.
 */
const ANSI_DEFAULTS = [
  'ansi_nulls',
  'cursor_close_on_commit',
  'ansi_null_dflt_on',
  'implicit_transactions',
  'ansi_padding',
  'quoted_identifier',
  'ansi_warnings',
];
const STATISTICS = words('io profile time xml');
/** The instance's one language, by its name or its alias. */
const LANGUAGES = words('us_english english');
const DATE_FORMATS = words('mdy dmy ymd ydm myd dym');

/**
 * SET: the options this surface reads end after their argument, so what follows is a statement of
 * its own; one it cannot serve gets no answer (refused), and a form it does not read runs to the
 * next statement keyword, refused.
 */
function readSet(t: readonly Token[], i: number): Read | undefined {
  if (!isWord(t[i], 'set')) return undefined;
  return readSetOption(t, i + 1) ?? { end: runEnd(t, i + 1) };
}

function readSetOption(t: readonly Token[], j: number): Read | undefined {
  const option = t[j];
  if (option?.kind !== 'word' || option.quoted) return undefined;
  switch (option.value) {
    case 'transaction': {
      // TRANSACTION ISOLATION LEVEL: no data, so every level answers the same.
      if (!isWord(t[j + 1], 'isolation') || !isWord(t[j + 2], 'level')) return undefined;
      const k = j + 3;
      if (isWord(t[k], 'read') && isWord(t[k + 1], 'committed', 'uncommitted'))
        return { end: k + 2, answer: DONE };
      if (isWord(t[k], 'repeatable') && isWord(t[k + 1], 'read')) return { end: k + 2, answer: DONE };
      if (isWord(t[k], 'snapshot', 'serializable')) return { end: k + 1, answer: DONE };
      return undefined;
    }
    case 'textsize':
    case 'lock_timeout':
    case 'query_governor_cost_limit':
    case 'datefirst':
    case 'rowcount': {
      const n = readInteger(t, j + 1);
      if (n === undefined) return undefined;
      // ROWCOUNT above 0 would cut results short; DATEFIRST is 1 to 7.
      const served =
        option.value === 'rowcount'
          ? n.value === 0
          : option.value !== 'datefirst' || (n.value >= 1 && n.value <= 7);
      return served ? { end: n.end, answer: DONE } : { end: n.end };
    }
    case 'deadlock_priority': {
      if (isWord(t[j + 1], 'low', 'normal', 'high')) return { end: j + 2, answer: DONE };
      const n = readInteger(t, j + 1);
      if (n === undefined) return undefined;
      return n.value >= -10 && n.value <= 10 ? { end: n.end, answer: DONE } : { end: n.end };
    }
    case 'dateformat': {
      const f = t[j + 1];
      if (f === undefined || (f.kind !== 'word' && f.kind !== 'string')) return undefined;
      return DATE_FORMATS.has(f.value.toLowerCase()) ? { end: j + 2, answer: DONE } : { end: j + 2 };
    }
    case 'language': {
      const l = t[j + 1];
      if (l === undefined || (l.kind !== 'word' && l.kind !== 'string')) return undefined;
      return LANGUAGES.has(l.value.toLowerCase())
        ? { end: j + 2, answer: { kind: 'language', language: 'us_english' } }
        : { end: j + 2 };
    }
    default:
      return readOnOff(t, j);
  }
}

/**
 * SET option [, option...] { ON | OFF }: SET NOCOUNT honoured, IMPLICIT_TRANSACTIONS (and ANSI_DEFAULTS,
 * read as the options it sets) the session's transaction mode, the options in UNSERVED_WHEN_ON
 * refused ON.
 */
function readOnOff(t: readonly Token[], j: number): Read | undefined {
  const options: string[] = [];
  for (let k = j; ; k++) {
    const x = t[k];
    if (isWord(x, 'statistics') && isKeyword(t[k + 1], STATISTICS)) {
      options.push('statistics');
      k++;
    } else if (isWord(x, 'ansi_defaults')) options.push(...ANSI_DEFAULTS);
    else if (isKeyword(x, ON_OFF_OPTIONS)) options.push(x!.value);
    else return undefined;
    if (isPunct(t[k + 1], ',')) {
      k++;
      continue;
    }
    const value = t[k + 1];
    if (!isWord(value, 'on', 'off')) return undefined;
    const end = k + 2;
    const on = value!.value === 'on';
    if (on && options.some((o) => o === 'statistics' || UNSERVED_WHEN_ON.has(o))) return { end };
    const nocount = options.includes('nocount');
    if (options.includes('implicit_transactions')) {
      return { end, answer: { kind: 'implicit_transactions', on, ...(nocount && { nocount }) } };
    }
    return { end, answer: nocount ? { kind: 'nocount', on } : DONE };
  }
}

/** An INT literal, maybe negative, at `k`. */
function readInteger(t: readonly Token[], k: number): { value: number; end: number } | undefined {
  const negative = isPunct(t[k], '-');
  const n = intLiteral(t[negative ? k + 1 : k]);
  if (n === undefined) return undefined;
  return { value: negative ? -n : n, end: negative ? k + 2 : k + 1 };
}

/** USE name: it ends after the name. */
function readUse(t: readonly Token[], i: number): Read | undefined {
  const db = t[i + 1];
  if (!isWord(t[i], 'use') || db === undefined || !isName(db)) return undefined;
  return {
    end: i + 2,
    answer:
      db.value === 'master'
        ? { kind: 'use', database: 'master' }
        : { kind: 'error', error: databaseDoesNotExist(db.text) },
  };
}

/**
 * BEGIN TRAN[SACTION] [name], COMMIT [TRAN[SACTION] [name] | WORK], ROLLBACK [TRAN[SACTION] [name] |
 * WORK], and IF @@TRANCOUNT > 0 (or <> 0, != 0) before a COMMIT or ROLLBACK, as drivers end a
 * transaction that may be open. Each ends after its last word; a name must be an identifier (a
 * reserved keyword after TRAN starts the next statement). A variable's name, WITH MARK and WITH
 * (DELAYED_DURABILITY = ...) are refused.
 */
function readTransaction(t: readonly Token[], i: number): Read | undefined {
  const first = t[i];
  if (isWord(first, 'if')) {
    const count = t[i + 1];
    if (count?.kind !== 'var' || count.value !== '@@trancount') return undefined;
    if (!['>', '<>', '!='].some((op) => isPunct(t[i + 2], op))) return undefined;
    const zero = t[i + 3];
    if (zero?.kind !== 'number' || zero.numberType !== 'int' || Number(zero.value) !== 0) return undefined;
    const inner = isWord(t[i + 4], 'commit', 'rollback') ? readTransaction(t, i + 4) : undefined;
    // IF ... ELSE ...: the ELSE branch is not served, so neither is the IF.
    if (inner?.answer?.kind !== 'transaction' || isWord(t[inner.end], 'else')) return undefined;
    return { end: inner.end, answer: { ...inner.answer, ifOpen: true } };
  }
  if (isWord(first, 'begin')) {
    return isWord(t[i + 1], 'tran', 'transaction') ? readTransactionName(t, i + 2, 'begin') : undefined;
  }
  if (!isWord(first, 'commit', 'rollback')) return undefined;
  const op = first!.value as 'commit' | 'rollback';
  if (isWord(t[i + 1], 'tran', 'transaction')) return readTransactionName(t, i + 2, op);
  const end = isWord(t[i + 1], 'work') ? i + 2 : i + 1;
  return { end, answer: { kind: 'transaction', op } };
}

function readTransactionName(t: readonly Token[], k: number, op: 'begin' | 'commit' | 'rollback'): Read {
  const x = t[k];
  if (x?.kind === 'var') return { end: runEnd(t, k + 1) };
  const name = x !== undefined && isName(x) ? x.text : undefined;
  const end = name === undefined ? k : k + 1;
  if ((name?.length ?? 0) > MAX_TRANSACTION_NAME || isWord(t[end], 'with')) return { end: runEnd(t, end) };
  return { end, answer: { kind: 'transaction', op, ...(name !== undefined && { name }) } };
}

function answerStatement(s: Statement, text: string, facts: SessionFacts): StatementResult {
  if (s.answer !== undefined) return s.answer;
  const { tokens } = s;
  const source = text.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
  const notRun: StatementResult = { kind: 'error', error: notRunByEmulator(source.replace(/\s+/g, ' ')) };
  if (isWord(tokens[0], 'select')) return select(tokens.slice(1), facts) ?? notRun;
  return notRun;
}

/**
 * The columns sys.dm_exec_connections answers for the session's own connection, in the view's types
 * ("sys.dm_exec_connections"): session_id int, the four names nvarchar(40), client_net_address
 * varchar(48).
 */
function connectionColumn(t: Token, facts: SessionFacts): (Column & { value: Cell }) | undefined {
  if (t.kind !== 'word') return undefined;
  const name = t.value;
  const named = (v: Typed | undefined) => (v === undefined ? undefined : { name, ...v });
  switch (name) {
    case 'auth_scheme':
      return named(nvarchar(40, facts.authScheme));
    case 'encrypt_option':
      return named(nvarchar(40, facts.encrypted ? 'TRUE' : 'FALSE'));
    case 'net_transport':
      return named(nvarchar(40, 'TCP'));
    case 'protocol_type':
      return named(nvarchar(40, 'TSQL'));
    case 'session_id':
      return named(integer('int', facts.spid));
    case 'client_net_address':
      return named(varchar(48, facts.clientAddress ?? null));
    default:
      return undefined;
  }
}

/** SELECT's list, with an optional FROM sys.dm_exec_connections WHERE session_id = @@SPID. */
function select(t: readonly Token[], facts: SessionFacts): StatementResult | undefined {
  const from = topLevelIndex(t, (x) => isWord(x, 'from'));
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
      const { value, ...column } = found.c!;
      columns.push({ ...column, name: found.r.alias ?? column.name });
      row.push(value);
    }
    return { kind: 'rows', columns, rows: [row], readsTable: true };
  }
  const tranCount: number[] = [];
  for (const item of items) {
    const found = readings(item)
      .map((r) => ({ r, v: evaluate(r.expr, facts) }))
      .find((x) => x.v !== undefined);
    if (found === undefined) return undefined;
    const { value, tranCount: isTranCount, ...type } = found.v!;
    if (isTranCount === true) tranCount.push(columns.length);
    columns.push({ name: found.r.alias ?? '', ...type });
    row.push(value);
  }
  return { kind: 'rows', columns, rows: [row], ...(tranCount.length > 0 && { tranCount }) };
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

/** `t` split at each top-level `sep`. */
function splitTop(t: readonly Token[], sep: string): Token[][] {
  if (t.length === 0) return [];
  const out: Token[][] = [[]];
  let depth = 0;
  for (const x of t) {
    depth = depthAfter(depth, x);
    if (depth === 0 && isPunct(x, sep)) out.push([]);
    else out[out.length - 1]!.push(x);
  }
  return out;
}

/**
 * The readings of a SELECT item: `expr`, `alias = expr`, `expr AS alias`, `expr alias`. An alias is
 * an identifier (a reserved keyword is one only quoted) or a string, and keeps its case as written.
 */
function readings(item: readonly Token[]): Array<{ expr: readonly Token[]; alias?: string }> {
  const isAlias = (x: Token | undefined): x is Token => x !== undefined && (isName(x) || x.kind === 'string');
  const n = item.length;
  const out: Array<{ expr: readonly Token[]; alias?: string }> = [{ expr: item }];
  if (n >= 3 && isPunct(item[1], '=') && isAlias(item[0]))
    out.push({ expr: item.slice(2), alias: item[0].text });
  if (n >= 3 && isWord(item[n - 2], 'as') && isAlias(item[n - 1])) {
    out.push({ expr: item.slice(0, n - 2), alias: item[n - 1]!.text });
  }
  if (n >= 2 && isAlias(item[n - 1])) out.push({ expr: item.slice(0, n - 1), alias: item[n - 1]!.text });
  return out;
}

/**
 * An integer literal's INT value, or undefined: a literal of another type (DECIMAL, FLOAT, VARBINARY,
 * MONEY), or an integer of 2^31 or more, which T-SQL types DECIMAL; a minus sign applies to the
 * literal so typed, so -2147483648 is a DECIMAL too. The instance serves no DECIMAL column.
 */
function intLiteral(x: Token | undefined): number | undefined {
  if (x?.kind !== 'number' || x.numberType !== 'int') return undefined;
  const n = Number(x.value);
  return n < 2 ** 31 ? n : undefined;
}

/**
 * A value with its column's type (the column's name aside); `tranCount`: the value is @@TRANCOUNT, the
 * session's when the statement runs (`statementTokens` puts it in).
 */
type Typed = (Omit<IntColumn, 'name'> | Omit<StringColumn, 'name'>) & {
  readonly value: Cell;
  readonly tranCount?: true;
};

/** sysname's length: nvarchar(128), the type of the login and database names. */
const SYSNAME = 128;

/** @@VERSION's type: nvarchar(300). */
const VERSION_LENGTH = 300;

/** An integer of `type`; undefined (not answered) when the value is not one. */
function integer(type: IntColumn['type'], value: number | null): Typed | undefined {
  return value === null || fitsInt(type, value) ? { type, value } : undefined;
}

/** nvarchar(`length`); undefined when the value is longer, which SQL Server's would never be. */
function nvarchar(length: number, value: string | null): Typed | undefined {
  return value === null || value.length <= length ? { type: 'nvarchar', length, value } : undefined;
}

/** varchar(`length`) of a value in the database's code page; undefined when it is not, or is longer. */
function varchar(length: number, value: string | null): Typed | undefined {
  if (value === null) return { type: 'varchar', length, value };
  const b = cp1252Encode(value);
  return b !== undefined && b.length <= length ? { type: 'varchar', length, value } : undefined;
}

/**
 * A string constant's type and value ("Constants (Transact-SQL)"): N'...' is nvarchar of its length in
 * UTF-16 code units (nvarchar's byte-pairs), '...' varchar of its length in bytes once converted to the
 * code page of the database's collation (Windows-1252: one byte a character). A zero-length constant
 * has length 1, as no nvarchar(n) or varchar(n) has an n below 1. One longer than 4000 byte-pairs or
 * 8000 bytes is nvarchar(max) or varchar(max), which the instance does not serve, and neither is one
 * whose conversion it cannot make as SQL Server does (see `toDatabaseCodePage`).
 */
function stringConstant(x: Token): Typed | undefined {
  if (x.unicode === true) {
    const n = x.value.length;
    return n > MAX_STRING_LENGTH.nvarchar ? undefined : nvarchar(Math.max(1, n), x.value);
  }
  const value = toDatabaseCodePage(x.value);
  if (value === undefined || value.length > MAX_STRING_LENGTH.varchar) return undefined;
  return varchar(Math.max(1, value.length), value);
}

/**
 * A non-Unicode constant's text as SQL Server converts it to the database's code page, Windows-1252
 * (the conversion of the batch's Unicode to the constant's code page happens whatever the constant;
 * "Constants (Transact-SQL)", "nchar and nvarchar (Transact-SQL)"). A character the code page has is
 * kept. One it has not is converted by Windows' best-fit mapping of the code page, which turns some
 * into look-alikes (a Greek pi into 'p') and the rest into '?': the emulator knows the CJK Unified
 * Ideographs (U+4E00-U+9FFF) have no best fit, and turns them into '?'; any other character it cannot
 * convert as SQL Server would, so the constant is undefined (not answered).
 */
function toDatabaseCodePage(s: string): string | undefined {
  let out = '';
  for (const ch of s) {
    if (ch.length === 1 && cp1252Byte(ch) !== undefined) out += ch;
    else if (ch >= '\u4e00' && ch <= '\u9fff') out += '?';
    else return undefined;
  }
  return out;
}

/**
 * One expression's value and type, or undefined when the emulator does not answer it. The types are
 * SQL Server's ("Return Types" of each function): @@SPID smallint, @@MAX_PRECISION tinyint, @@TRANCOUNT,
 * IS_MEMBER and IS_SRVROLEMEMBER int; SUSER_SNAME(), SUSER_NAME(), SYSTEM_USER, ORIGINAL_LOGIN() (sysname), DB_NAME() and
 * @@SERVERNAME nvarchar(128); @@VERSION nvarchar(300); an integer constant int; a string constant as
 * `stringConstant` says.
 */
function evaluate(t: readonly Token[], facts: SessionFacts): Typed | undefined {
  if (t.length === 1) {
    const x = t[0]!;
    if (x.kind === 'number') {
      const n = intLiteral(x);
      return n === undefined ? undefined : integer('int', n);
    }
    if (x.kind === 'string') return stringConstant(x);
    if (x.kind === 'var') {
      if (x.value === '@@version') return nvarchar(VERSION_LENGTH, facts.version);
      if (x.value === '@@spid') return integer('smallint', facts.spid);
      if (x.value === '@@servername') return nvarchar(SYSNAME, facts.serverName);
      // The precision of decimal and numeric, which a driver reads as its session opens (jTDS).
      if (x.value === '@@max_precision') return integer('tinyint', 38);
      // The session's transaction count, an int, which the session's state holds (see `Typed`).
      if (x.value === '@@trancount') return { type: 'int', value: 0, tranCount: true };
      return undefined;
    }
    if (isWord(x, 'system_user')) return nvarchar(SYSNAME, facts.login);
    return undefined;
  }
  if (t.length === 2 && isPunct(t[0], '-')) {
    const n = intLiteral(t[1]);
    return n === undefined ? undefined : integer('int', n === 0 ? 0 : -n);
  }
  // A call: name ( [ 'literal' ] )
  const fn = t[0];
  if (fn?.kind !== 'word' || fn.quoted || !isPunct(t[1], '(') || !isPunct(t[t.length - 1], ')'))
    return undefined;
  const args = t.slice(2, -1);
  if (args.length === 0) {
    switch (fn.value) {
      case 'suser_sname':
      case 'suser_name':
        return nvarchar(SYSNAME, facts.login);
      case 'original_login':
        return nvarchar(SYSNAME, facts.originalLogin ?? facts.login);
      case 'db_name':
        return nvarchar(SYSNAME, facts.database);
      default:
        return undefined;
    }
  }
  if (args.length === 1 && args[0]!.kind === 'string') {
    if (fn.value === 'is_member') return integer('int', facts.isMember(args[0]!.value));
    if (fn.value === 'is_srvrolemember') return integer('int', facts.isSrvRoleMember(args[0]!.value));
  }
  return undefined;
}
