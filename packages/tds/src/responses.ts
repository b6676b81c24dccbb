/**
 * The token streams a server answers with (MS-TDS section 3.3.5): the
 * login's (2.2.7.14 LOGINACK and the ENVCHANGE and INFO tokens SQL Server
 * sends before it), and a batch's, statement by statement, each ending in
 * a DONE that says whether more follow.
 *
 * @module
 */

import { equalBytes } from '@krbsim/core';
import { TDS_7_1_SWAPPED, TdsVersion } from './iana/login7';
import { DoneStatus, EnvChangeType } from './iana/tokens';
import { ByteReader, ByteWriter } from './internal/bytes';
import { DEFAULT_PACKET_SIZE } from './packet';
import type { PreloginVersion } from './prelogin';
import { NO_TRANSACTION } from './sql-batch';
import {
  commitWithoutBegin,
  failedToResumeTransaction,
  noTransactionOrSavepoint,
  requestWithoutTransactionDescriptor,
  rollbackWithoutBegin,
  type SqlError,
  transactionHasPendingRequests,
  transactionRequestNotServed,
} from './sql-errors';
import { MAX_TRANSACTION_NAME, type StatementResult } from './sql-surface';
import { DEFAULT_COLLATION } from './tokens/encode';
import type { Cell, TdsTokenValue } from './tokens/types';
import type { TransactionManagerRequest } from './transaction-manager';

/** DONE CurCmd of a SELECT. */
const CUR_CMD_SELECT = 0xc1;

/** The fixed server roles besides `public`, which holds every login. */
const FIXED_SERVER_ROLES = new Set([
  'sysadmin',
  'serveradmin',
  'securityadmin',
  'processadmin',
  'setupadmin',
  'bulkadmin',
  'diskadmin',
  'dbcreator',
]);

/** IS_SRVROLEMEMBER for a login granted no server role: 1 for `public`, 0 for a fixed role, else NULL. */
export function fixedServerRole(role: string): number | null {
  const r = role.toLowerCase();
  return r === 'public' ? 1 : FIXED_SERVER_ROLES.has(r) ? 0 : null;
}

export function done(status: number): TdsTokenValue {
  return { type: 'DONE', status, curCmd: 0, rowCount: 0 };
}

export function errorToken(e: SqlError, serverName: string): TdsTokenValue {
  return { type: 'ERROR', ...e, serverName, procName: '', lineNumber: 1 };
}

function info(number: number, state: number, msgText: string, serverName: string): TdsTokenValue {
  return { type: 'INFO', number, state, class: 0, msgText, serverName, procName: '', lineNumber: 1 };
}

/** What the answer to a successful LOGIN7 depends on. */
export interface LoginResponse {
  readonly serverName: string;
  readonly database: string;
  readonly tdsVersion: number;
  readonly progName: string;
  readonly version: PreloginVersion;
  readonly packetSize: number;
  /** The acceptor's last token (the AP-REP): an SSPI token before the rest. */
  readonly responseToken: Uint8Array | undefined;
  /** LOGIN7's fUseDB: the client is told of the database change (ENVCHANGE and INFO 5701). */
  readonly notifyDatabase: boolean;
  /** LOGIN7's fSetLang: the client is told of the language change (ENVCHANGE and INFO 5703). */
  readonly notifyLanguage: boolean;
}

/**
 * The tokens of a successful login, in SQL Server's order. No FEATUREEXTACK: it is optional and
 * acknowledges the FeatureExt features a server serves (section 2.2.7.11), and this one serves none;
 * an empty one would be taken by a client (tedious) for an acknowledgment of something it did not
 * ask, and fail the login.
 */
export function loginResponse(r: LoginResponse): TdsTokenValue[] {
  return [
    ...(r.responseToken !== undefined ? [{ type: 'SSPI', token: r.responseToken } as const] : []),
    ...(r.notifyDatabase
      ? [
          {
            type: 'ENVCHANGE',
            envType: EnvChangeType.DATABASE,
            newValue: r.database,
            oldValue: 'master',
          } as const,
          info(5701, 2, `Changed database context to '${r.database}'.`, r.serverName),
        ]
      : []),
    {
      type: 'ENVCHANGE',
      envType: EnvChangeType.SQL_COLLATION,
      newValue: DEFAULT_COLLATION,
      oldValue: new Uint8Array(0),
    },
    ...(r.notifyLanguage
      ? [
          {
            type: 'ENVCHANGE',
            envType: EnvChangeType.LANGUAGE,
            newValue: 'us_english',
            oldValue: '',
          } as const,
          info(5703, 1, 'Changed language setting to us_english.', r.serverName),
        ]
      : []),
    {
      type: 'LOGINACK',
      interface: 1, // SQL_TSQL
      // Section 2.2.7.14: SQL Server 2000 as released acknowledges TDS 7.1 as 0x07010000 (0x71000000
      // is LOGIN7's form only); every later version answers the value LOGIN7 carries.
      tdsVersion: r.tdsVersion === TdsVersion.V7_1_REV0 ? TDS_7_1_SWAPPED : r.tdsVersion,
      progName: r.progName,
      progVersion: { major: r.version.major, minor: r.version.minor, build: r.version.build },
    },
    {
      type: 'ENVCHANGE',
      envType: EnvChangeType.PACKET_SIZE,
      newValue: String(r.packetSize),
      oldValue: String(DEFAULT_PACKET_SIZE),
    },
    done(DoneStatus.FINAL),
  ];
}

/** ENVCHANGE RESET_CONNECTION_ACK: the answer to a request with RESET_CONNECTION set. */
const RESET_CONNECTION_ACK: TdsTokenValue = Object.freeze({
  type: 'ENVCHANGE',
  envType: EnvChangeType.RESET_CONNECTION_ACK,
  newValue: new Uint8Array(0),
  oldValue: new Uint8Array(0),
});

/** What a session's statements change, and later statements see. */
export interface SessionState {
  /** DB_NAME(), changed by USE. */
  readonly database: string;
  /** SET NOCOUNT ON: a statement's DONE leaves out its row count (MS-TDS 2.2.7.6, DONE_COUNT). */
  readonly nocount: boolean;
  /**
   * SET IMPLICIT_TRANSACTIONS ON (or ANSI_DEFAULTS ON): a statement that begins a transaction when none
   * is open (a SELECT that reads a table, BEGIN TRANSACTION) does so, as if an unseen BEGIN TRANSACTION
   * ran first ("SET IMPLICIT_TRANSACTIONS (Transact-SQL)"). OFF at login, as every driver's session
   * starts (LOGIN7 has no flag that turns it on), and after RESETCONNECTION.
   */
  readonly implicitTransactions: boolean;
  /** The transaction BEGIN TRANSACTION (or implicit mode) opened, until COMMIT or ROLLBACK ends it. */
  readonly transaction: OpenTransaction | undefined;
  /** How many transactions the session has begun: the next one's descriptor. */
  readonly begun: number;
}

/** An open transaction. */
interface OpenTransaction {
  /**
   * @@TRANCOUNT: 1, and one more for each BEGIN TRANSACTION inside it; 2 when a BEGIN TRANSACTION
   * opened it under implicit mode (the unseen BEGIN, then its own).
   */
  readonly count: number;
  /**
   * The outermost BEGIN TRANSACTION's name ('' for none, and for one implicit mode began, the unseen
   * BEGIN being the outermost): the one name ROLLBACK TRANSACTION may give.
   */
  readonly name: string;
  /** Its descriptor (8 bytes, ENVCHANGE type 8), which the client sends back in ALL_HEADERS (2.2.5.3.2). */
  readonly descriptor: Uint8Array;
}

/** A session as it logs in to master. */
export const NEW_SESSION: SessionState = Object.freeze({
  database: 'master',
  nocount: false,
  implicitTransactions: false,
  transaction: undefined,
  begun: 0,
});

const NO_VALUE = new Uint8Array(0);

/**
 * A session as RESETCONNECTION leaves it (MS-TDS 2.2.3.1.2), and the tokens that begin the request's
 * answer: its SET options back to the login's (NOCOUNT and IMPLICIT_TRANSACTIONS OFF), its open
 * transaction rolled back (the reset aborts open transactions), unless RESETCONNECTIONSKIPTRAN keeps
 * it: the transaction and its descriptor, not the mode, which is a SET option. A transaction the reset
 * rolls back is told as any rollback is, ENVCHANGE ROLLBACK_TRANSACTION with its descriptor as the old
 * value (2.2.7.9), so the client stops sending that descriptor (2.2.5.3.2); then the reset's
 * acknowledgement, ENVCHANGE RESET_CONNECTION_ACK, ahead of whatever the request itself answers.
 */
export function resetSession(
  state: SessionState,
  keepTransaction: boolean,
): { state: SessionState; tokens: TdsTokenValue[] } {
  const rolledBack = keepTransaction ? undefined : state.transaction;
  return {
    state: {
      ...state,
      nocount: false,
      implicitTransactions: false,
      transaction: keepTransaction ? state.transaction : undefined,
    },
    tokens: [
      ...(rolledBack !== undefined ? [transactionEnded(EnvChangeType.ROLLBACK_TRANSACTION, rolledBack)] : []),
      RESET_CONNECTION_ACK,
    ],
  };
}

/** ENVCHANGE COMMIT_TRANSACTION or ROLLBACK_TRANSACTION: `open` ended, its descriptor the old value (2.2.7.9). */
function transactionEnded(envType: number, open: OpenTransaction): TdsTokenValue {
  return { type: 'ENVCHANGE', envType, newValue: NO_VALUE, oldValue: open.descriptor };
}

/**
 * The 8-byte TransactionDescriptor a request must carry in its ALL_HEADERS (MS-TDS 2.2.5.3.2): the open
 * transaction's, handed out in its ENVCHANGE BEGIN_TRANSACTION, or all zeros when none is open.
 */
function currentTransactionDescriptor(state: SessionState): Uint8Array {
  return state.transaction?.descriptor ?? NO_TRANSACTION;
}

/**
 * Whether a request may run in `state` with the TransactionDescriptor it carries (MS-TDS 2.2.5.3.2), or
 * SQL Server's refusal of it, the request not run: 3989 for 0 while a transaction is open, 3971 for a
 * descriptor that is not the open transaction's (one that ended, one never handed out, any while none
 * is open).
 */
export function transactionDescriptorRefusal(carried: Uint8Array, state: SessionState): SqlError | undefined {
  if (equalBytes(carried, currentTransactionDescriptor(state))) return undefined;
  const value = new ByteReader(carried).u64le('TransactionDescriptor');
  return value === 0n ? requestWithoutTransactionDescriptor() : failedToResumeTransaction(value);
}

/**
 * A transaction begun in `state`, which has none open, at @@TRANCOUNT `count`: the session after, and
 * the ENVCHANGE BEGIN_TRANSACTION that tells the client its new descriptor (MS-TDS 2.2.7.9).
 */
function begin(
  state: SessionState,
  count: number,
  name: string,
): { state: SessionState; token: TdsTokenValue } {
  const begun = state.begun + 1;
  const descriptor = new ByteWriter(8).u64le(BigInt(begun)).finish();
  return {
    state: { ...state, begun, transaction: { count, name, descriptor } },
    token: {
      type: 'ENVCHANGE',
      envType: EnvChangeType.BEGIN_TRANSACTION,
      newValue: descriptor,
      oldValue: NO_VALUE,
    },
  };
}

/**
 * BEGIN, COMMIT or ROLLBACK TRANSACTION run in `state` (`name` as written, none for undefined), as a
 * batch's statement or a transaction manager request runs it: the session after and its ENVCHANGEs,
 * or SQL Server's error, the session left as it was (see {@link statementTokens}).
 */
function transactionStep(
  state: SessionState,
  op: 'begin' | 'commit' | 'rollback',
  name: string | undefined,
  outstandingRequests: number,
): { state: SessionState; tokens: TdsTokenValue[] } | { error: SqlError } {
  // MS-TDS 2.2.5.3.2: without MARS a request is the only one active (OutstandingRequestCount 1); a
  // count above that claims others work on the transaction, and SQL Server refuses to begin or end one
  // under them.
  if (outstandingRequests > 1) return { error: transactionHasPendingRequests() };
  const open = state.transaction;
  if (op === 'begin') {
    if (open !== undefined) {
      return { state: { ...state, transaction: { ...open, count: open.count + 1 } }, tokens: [] };
    }
    // Under implicit mode an unseen BEGIN TRANSACTION, the outermost and nameless, runs first.
    const b = state.implicitTransactions ? begin(state, 2, '') : begin(state, 1, name ?? '');
    return { state: b.state, tokens: [b.token] };
  }
  if (open === undefined) return { error: op === 'commit' ? commitWithoutBegin() : rollbackWithoutBegin() };
  if (op === 'commit' && open.count > 1) {
    return { state: { ...state, transaction: { ...open, count: open.count - 1 } }, tokens: [] };
  }
  if (op === 'rollback' && name !== undefined && name !== open.name) {
    return { error: noTransactionOrSavepoint(name) };
  }
  return {
    state: { ...state, transaction: undefined },
    tokens: [
      transactionEnded(
        op === 'commit' ? EnvChangeType.COMMIT_TRANSACTION : EnvChangeType.ROLLBACK_TRANSACTION,
        open,
      ),
    ],
  };
}

/**
 * A batch's tokens: per statement its rows, ENVCHANGE and INFO 5701 for a database change (with
 * fUseDB), ENVCHANGE and INFO 5703 for SET LANGUAGE (with fSetLang), the transaction ENVCHANGEs, or its
 * ERROR; then a DONE, with MORE on all but the last, COUNT with rows (unless SET NOCOUNT ON), ERROR
 * after an error. Returns the session's state after the batch.
 *
 * Transactions (MS-TDS 2.2.7.9): the outermost BEGIN TRANSACTION sends ENVCHANGE type 8 with a new
 * descriptor; one inside it only counts. COMMIT ends the transaction (type 9, the descriptor as the
 * old value) when it closes the outermost, else counts down; ROLLBACK ends it whole (type 10), and
 * names only the outermost transaction (6401 for another: there are no savepoints). Either without a
 * transaction is SQL Server's 3902 or 3903. Any of them in a batch whose OutstandingRequestCount is
 * above 1 is SQL Server's 3981, the transaction left as it was.
 *
 * Implicit mode (SET IMPLICIT_TRANSACTIONS ON): with no transaction open, a statement of the kinds
 * that begin one (here a SELECT that reads a table, `readsTable`) begins it first, with the same
 * ENVCHANGE 8, @@TRANCOUNT 1; a SELECT without FROM does not. BEGIN TRANSACTION then opens two nested
 * transactions, the unseen one and its own (@@TRANCOUNT 2, one ENVCHANGE 8, the outermost nameless), as
 * SQL Server's documentation of the option says. An open transaction ends as any other, and SET
 * IMPLICIT_TRANSACTIONS OFF leaves it open.
 *
 * A column that is @@TRANCOUNT (`tranCount`) holds the session's transaction count as the statement
 * runs, after the statements before it in the batch (and the transaction its own reading may begin).
 *
 * DONE_INXACT (2.2.7.6) is left clear: MS-TDS's product notes (Appendix A, on section 2.2.7.6) say SQL
 * Server does not set it, the bit being reserved for future use.
 */
export function statementTokens(
  results: readonly StatementResult[],
  session: {
    readonly serverName: string;
    readonly state: SessionState;
    /** LOGIN7's fUseDB: a USE is answered with ENVCHANGE and INFO 5701 (section 2.2.6.4). */
    readonly notifyDatabase: boolean;
    /** LOGIN7's fSetLang: SET LANGUAGE is answered with ENVCHANGE and INFO 5703 (section 2.2.6.4). */
    readonly notifyLanguage: boolean;
    /**
     * The batch's OutstandingRequestCount (ALL_HEADERS, section 2.2.5.3.2; 1 under TDS 7.1, which has
     * none): above 1, each transaction statement run is SQL Server's 3981.
     */
    readonly outstandingRequests: number;
  },
): { tokens: TdsTokenValue[]; state: SessionState } {
  let state = session.state;
  if (results.length === 0) return { tokens: [done(DoneStatus.FINAL)], state };
  const tokens: TdsTokenValue[] = [];
  results.forEach((r, i) => {
    const more = i < results.length - 1 ? DoneStatus.MORE : 0;
    const error = (e: SqlError) =>
      tokens.push(errorToken(e, session.serverName), done(more | DoneStatus.ERROR));
    switch (r.kind) {
      case 'rows':
        if (r.readsTable === true && state.implicitTransactions && state.transaction === undefined) {
          const b = begin(state, 1, '');
          state = b.state;
          tokens.push(b.token);
        }
        tokens.push({ type: 'COLMETADATA', columns: r.columns });
        for (const values of r.rows) {
          tokens.push({ type: 'ROW', values: withTranCount(values, r.tranCount, state) });
        }
        tokens.push({
          type: 'DONE',
          status: more | (state.nocount ? 0 : DoneStatus.COUNT),
          curCmd: CUR_CMD_SELECT,
          rowCount: state.nocount ? 0 : r.rows.length,
        });
        return;
      case 'done':
        tokens.push(done(more));
        return;
      case 'nocount':
        state = { ...state, nocount: r.on };
        tokens.push(done(more));
        return;
      case 'implicit_transactions':
        state = { ...state, implicitTransactions: r.on, ...(r.nocount === true && { nocount: r.on }) };
        tokens.push(done(more));
        return;
      case 'language':
        if (session.notifyLanguage) {
          tokens.push(
            {
              type: 'ENVCHANGE',
              envType: EnvChangeType.LANGUAGE,
              newValue: r.language,
              oldValue: 'us_english',
            },
            info(5703, 1, `Changed language setting to ${r.language}.`, session.serverName),
          );
        }
        tokens.push(done(more));
        return;
      case 'use':
        if (session.notifyDatabase) {
          tokens.push(
            {
              type: 'ENVCHANGE',
              envType: EnvChangeType.DATABASE,
              newValue: r.database,
              oldValue: state.database,
            },
            info(5701, 1, `Changed database context to '${r.database}'.`, session.serverName),
          );
        }
        tokens.push(done(more));
        state = { ...state, database: r.database };
        return;
      case 'transaction': {
        if (state.transaction === undefined && r.ifOpen === true) {
          tokens.push(done(more));
          return;
        }
        const step = transactionStep(state, r.op, r.name, session.outstandingRequests);
        if ('error' in step) {
          error(step.error);
          return;
        }
        state = step.state;
        tokens.push(...step.tokens, done(more));
        return;
      }
      case 'error':
        error(r.error);
        return;
    }
  });
  return { tokens, state };
}

/** A row with its @@TRANCOUNT columns (`columns`, by index) holding the count of `state`'s transaction. */
function withTranCount(
  values: readonly Cell[],
  columns: readonly number[] | undefined,
  state: SessionState,
): readonly Cell[] {
  if (columns === undefined || columns.length === 0) return values;
  const row = [...values];
  for (const i of columns) row[i] = state.transaction?.count ?? 0;
  return row;
}

/** What the answer names each transaction manager request it does not serve by. */
const UNSERVED_REQUESTS = {
  'get-dtc-address': 'distributed transactions (TM_GET_DTC_ADDRESS)',
  propagate: 'distributed transactions (TM_PROPAGATE_XACT)',
  promote: 'distributed transactions (TM_PROMOTE_XACT)',
} as const;

/**
 * The answer to a transaction manager request (MS-TDS 2.2.6.9) whose transaction descriptor the session
 * took, and the session after it; one DONE ends it (DONE_ERROR after an ERROR). Each request runs as the
 * T-SQL statement it stands for runs in a batch ({@link statementTokens}), so both kinds of request see
 * one transaction:
 *
 * - TM_BEGIN_XACT: BEGIN TRANSACTION [name]. With none open, ENVCHANGE 8 with a new descriptor (its old
 *   value empty); inside an open transaction it counts one more and sends no ENVCHANGE (MS-TDS: it
 *   "increments trancount if already in a transaction"). The isolation level (0x00 to 0x05, checked by
 *   the decoder) changes no answer: the emulator has no data.
 * - TM_COMMIT_XACT, TM_ROLLBACK_XACT: COMMIT (the name is not checked, as COMMIT TRANSACTION's is not)
 *   and ROLLBACK TRANSACTION [name]: ENVCHANGE 9 or 10 with the descriptor as the old value when the
 *   transaction ends; 3902 or 3903 with none open, 6401 for a rollback naming another transaction. With
 *   fBeginXact, the next transaction begins as TM_BEGIN_XACT begins one, its ENVCHANGE 8 in the same
 *   answer; when the commit or rollback fails, nothing begins.
 * - An OutstandingRequestCount above 1 makes each of them 3981, as in a batch.
 * - TM_SAVE_XACT: savepoints are not served (a batch's ROLLBACK TRANSACTION to one is 6401), so it is
 *   refused with 50000 naming it, the transaction as it was; so are TM_GET_DTC_ADDRESS,
 *   TM_PROPAGATE_XACT and TM_PROMOTE_XACT: distributed transactions are not served.
 * - A name longer than BEGIN TRANSACTION takes (32 characters) is refused with 50000, as a batch's
 *   statement naming one is.
 */
export function transactionManagerTokens(
  request: TransactionManagerRequest,
  session: {
    readonly serverName: string;
    readonly state: SessionState;
    /** The request's OutstandingRequestCount (1 under TDS 7.1, which has no ALL_HEADERS). */
    readonly outstandingRequests: number;
  },
): { tokens: TdsTokenValue[]; state: SessionState } {
  const refuse = (e: SqlError) => ({
    tokens: [errorToken(e, session.serverName), done(DoneStatus.ERROR)],
    state: session.state,
  });
  switch (request.type) {
    case 'get-dtc-address':
    case 'propagate':
    case 'promote':
      return refuse(transactionRequestNotServed(UNSERVED_REQUESTS[request.type]));
    case 'save':
      return refuse(transactionRequestNotServed(`savepoints (TM_SAVE_XACT '${request.name}')`));
  }
  const steps: Array<{ op: 'begin' | 'commit' | 'rollback'; name: string }> =
    request.type === 'begin'
      ? [{ op: 'begin', name: request.name }]
      : [
          { op: request.type, name: request.name },
          ...(request.begin !== undefined ? [{ op: 'begin' as const, name: request.begin.name }] : []),
        ];
  const long = steps.find((s) => s.name.length > MAX_TRANSACTION_NAME);
  if (long !== undefined) {
    return refuse(
      transactionRequestNotServed(
        `a transaction name of ${long.name.length} characters ('${long.name}'; BEGIN TRANSACTION takes ${MAX_TRANSACTION_NAME} at most)`,
      ),
    );
  }
  let state = session.state;
  const tokens: TdsTokenValue[] = [];
  for (const s of steps) {
    const step = transactionStep(
      state,
      s.op,
      s.name === '' ? undefined : s.name,
      session.outstandingRequests,
    );
    if ('error' in step) {
      tokens.push(errorToken(step.error, session.serverName), done(DoneStatus.ERROR));
      return { tokens, state };
    }
    state = step.state;
    tokens.push(...step.tokens);
  }
  tokens.push(done(DoneStatus.FINAL));
  return { tokens, state };
}
