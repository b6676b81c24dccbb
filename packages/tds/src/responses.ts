/**
 * The token streams a server answers with (MS-TDS section 3.3.5): the
 * login's (2.2.7.14 LOGINACK and the ENVCHANGE and INFO tokens SQL Server
 * sends before it), and a batch's, statement by statement, each ending in
 * a DONE that says whether more follow.
 *
 * @module
 */

import { TDS_7_1_SWAPPED, TdsVersion } from './iana/login7';
import { DoneStatus, EnvChangeType } from './iana/tokens';
import { DEFAULT_PACKET_SIZE } from './packet';
import type { PreloginVersion } from './prelogin';
import type { SqlError } from './sql-errors';
import type { StatementResult } from './sql-surface';
import { DEFAULT_COLLATION } from './tokens/encode';
import type { TdsTokenValue } from './tokens/types';

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
export const RESET_CONNECTION_ACK: TdsTokenValue = Object.freeze({
  type: 'ENVCHANGE',
  envType: EnvChangeType.RESET_CONNECTION_ACK,
  newValue: new Uint8Array(0),
  oldValue: new Uint8Array(0),
});

/**
 * A batch's tokens: per statement its rows, ENVCHANGE and INFO 5701 for a
 * database change (with fUseDB), or its ERROR; then a DONE, with MORE on all but the
 * last, COUNT with rows, ERROR after an error. Returns the session's
 * database after the batch.
 */
export function statementTokens(
  results: readonly StatementResult[],
  session: {
    readonly serverName: string;
    readonly database: string;
    /** LOGIN7's fUseDB: a USE is answered with ENVCHANGE and INFO 5701 (section 2.2.6.4). */
    readonly notifyDatabase: boolean;
  },
): { tokens: TdsTokenValue[]; database: string } {
  let database = session.database;
  if (results.length === 0) return { tokens: [done(DoneStatus.FINAL)], database };
  const tokens: TdsTokenValue[] = [];
  results.forEach((r, i) => {
    const more = i < results.length - 1 ? DoneStatus.MORE : 0;
    switch (r.kind) {
      case 'rows':
        tokens.push({ type: 'COLMETADATA', columns: r.columns });
        for (const values of r.rows) tokens.push({ type: 'ROW', values });
        tokens.push({
          type: 'DONE',
          status: more | DoneStatus.COUNT,
          curCmd: CUR_CMD_SELECT,
          rowCount: r.rows.length,
        });
        return;
      case 'done':
        tokens.push(done(more));
        return;
      case 'use':
        if (session.notifyDatabase) {
          tokens.push(
            { type: 'ENVCHANGE', envType: EnvChangeType.DATABASE, newValue: r.database, oldValue: database },
            info(5701, 1, `Changed database context to '${r.database}'.`, session.serverName),
          );
        }
        tokens.push(done(more));
        database = r.database;
        return;
      case 'error':
        tokens.push(errorToken(r.error, session.serverName), done(more | DoneStatus.ERROR));
        return;
    }
  });
  return { tokens, database };
}
