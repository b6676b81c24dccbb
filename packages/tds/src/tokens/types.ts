/**
 * The tokens of the tabular result stream this package writes and reads
 * (MS-TDS section 2.2.7), as plain data named after the spec's fields.
 *
 * @module
 */

import type { Login7Feature } from '../login7';

/** A product version as LOGINACK carries it (MajorVer, MinorVer, BuildNumHi/BuildNumLow). */
export interface ProgVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** LOGINACK (2.2.7.14): the login succeeded. */
export interface LoginAckToken {
  readonly type: 'LOGINACK';
  /** 1: SQL_TSQL. */
  readonly interface: number;
  /** The TDS version the server uses with this client. */
  readonly tdsVersion: number;
  readonly progName: string;
  readonly progVersion: ProgVersion;
}

/**
 * ENVCHANGE (2.2.7.9): an environment change. Database, language, charset,
 * packet size and user instance carry text (B_VARCHAR); the collation and
 * the transaction changes carry bytes (B_VARBYTE).
 */
export interface EnvChangeToken {
  readonly type: 'ENVCHANGE';
  /** An `EnvChangeType` value. */
  readonly envType: number;
  readonly newValue: string | Uint8Array;
  readonly oldValue: string | Uint8Array;
}

/** INFO and ERROR (2.2.7.12, 2.2.7.10): a server message. */
export interface ServerMessage {
  readonly number: number;
  readonly state: number;
  /** The severity: INFO 0 to 10, ERROR 11 and above (20 and above close the connection). */
  readonly class: number;
  readonly msgText: string;
  readonly serverName: string;
  readonly procName: string;
  readonly lineNumber: number;
}

export interface InfoToken extends ServerMessage {
  readonly type: 'INFO';
}

export interface ErrorToken extends ServerMessage {
  readonly type: 'ERROR';
}

/** DONE, DONEPROC, DONEINPROC (2.2.7.6-8): the end of a statement or batch. */
export interface DoneToken {
  readonly type: 'DONE' | 'DONEPROC' | 'DONEINPROC';
  /** `DoneStatus` bits. */
  readonly status: number;
  /** The statement's token (0xC1 SELECT...); 0 for a login. */
  readonly curCmd: number;
  /** Valid when status has COUNT. */
  readonly rowCount: number;
}

/** SSPI (2.2.7.22): the server's security token (the Kerberos AP-REP, or SPNEGO around it). */
export interface SspiToken {
  readonly type: 'SSPI';
  readonly token: Uint8Array;
}

/** FEATUREEXTACK (2.2.7.11): the FeatureExt features the server acknowledges. */
export interface FeatureExtAckToken {
  readonly type: 'FEATUREEXTACK';
  readonly features: readonly Login7Feature[];
}

/**
 * An integer column: TINYINT (0 to 255), SMALLINT, INT or BIGINT, written as INTN of 1, 2, 4 or 8
 * bytes (MS-TDS 2.2.5.4.2), nullable.
 */
export interface IntColumn {
  readonly name: string;
  readonly type: 'tinyint' | 'smallint' | 'int' | 'bigint';
}

/**
 * A string column, nullable: NVARCHAR(length), UTF-16 of at most `length` code units (the
 * byte-pairs of T-SQL's `nvarchar(n)`, 1 to 4000), or VARCHAR(length), at most `length` bytes (1 to
 * 8000) in the code page of the instance's collation (SQL_Latin1_General_CP1_CI_AS: Windows-1252),
 * whose characters alone it holds. MS-TDS 2.2.5.4.3: NVARCHARTYPE (0xE7) and BIGVARCHRTYPE (0xA7),
 * each with its maximum length in bytes and the 5-byte COLLATION. `length` defaults to the most,
 * 4000 or 8000; the decoder always gives it.
 */
export interface StringColumn {
  readonly name: string;
  readonly type: 'nvarchar' | 'varchar';
  readonly length?: number;
}

/** A result column this package writes and reads. */
export type Column = IntColumn | StringColumn;

/** COLMETADATA (2.2.7.4): the columns of the rows that follow. */
export interface ColMetadataToken {
  readonly type: 'COLMETADATA';
  readonly columns: readonly Column[];
}

/** A value of a row: a string, a number, or NULL. */
export type Cell = string | number | null;

/** ROW (2.2.7.19): one row, typed by the last COLMETADATA. */
export interface RowToken {
  readonly type: 'ROW';
  readonly values: readonly Cell[];
}

/** Any token this package writes and reads. */
export type TdsTokenValue =
  | LoginAckToken
  | EnvChangeToken
  | InfoToken
  | ErrorToken
  | DoneToken
  | SspiToken
  | FeatureExtAckToken
  | ColMetadataToken
  | RowToken;

/** The TDS version tokens are written for: 7.1 has 2-byte line numbers and 4-byte row counts. */
export interface TokenContext {
  readonly tdsVersion?: number;
}
