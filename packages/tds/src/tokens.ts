/**
 * The tokens of the tabular result stream a login and a batch need (MS-TDS
 * section 2.2.7): LOGINACK, ENVCHANGE, INFO, ERROR, SSPI, DONE, and
 * COLMETADATA and ROW for NVARCHAR and INT columns. Little-endian; strings
 * UTF-16LE with a 1-byte (B_VARCHAR) or 2-byte (US_VARCHAR) length in
 * characters.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { DoneStatus, EnvChangeType, TdsToken } from './iana/packet-type';

const u8 = (n: number) => Uint8Array.of(n & 0xff);
function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
}
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}
const utf16 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf16le'));
const bVarchar = (s: string) => concatBytes([u8(s.length), utf16(s)]);
const usVarchar = (s: string) => concatBytes([u16(s.length), utf16(s)]);
/** A token with a 2-byte length before its body. */
const sized = (token: number, body: Uint8Array) => concatBytes([u8(token), u16(body.length), body]);

/** SQL_Latin1_General_CP1_CI_AS, the collation a managed instance reports (LCID 0x0409, sort id 52). */
const DEFAULT_COLLATION = Uint8Array.of(0x09, 0x04, 0xd0, 0x00, 0x34);

/** LOGINACK: the login succeeded; the TDS version and the server's name and version. */
export function loginAck(tdsVersion: number, progName: string, progVersion: number): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, tdsVersion); // big-endian in LOGINACK
  const pv = new Uint8Array(4);
  new DataView(pv.buffer).setUint32(0, progVersion);
  return sized(TdsToken.LOGINACK, concatBytes([u8(1), v, bVarchar(progName), pv]));
}

/** ENVCHANGE for a string value (database, language, packet size). */
export function envChange(type: number, value: string, old = ''): Uint8Array {
  return sized(TdsToken.ENVCHANGE, concatBytes([u8(type), bVarchar(value), bVarchar(old)]));
}

/** ENVCHANGE for the SQL collation (a 5-byte B_VARBYTE). */
export function collationChange(collation = DEFAULT_COLLATION): Uint8Array {
  return sized(
    TdsToken.ENVCHANGE,
    concatBytes([u8(EnvChangeType.SQL_COLLATION), u8(collation.length), collation, u8(0)]),
  );
}

/** What INFO and ERROR carry. */
export interface ServerMessage {
  readonly number: number;
  readonly state: number;
  readonly class: number;
  readonly text: string;
  readonly serverName: string;
  readonly procName?: string;
  readonly line?: number;
}

function message(token: number, m: ServerMessage): Uint8Array {
  return sized(
    token,
    concatBytes([
      u32(m.number),
      u8(m.state),
      u8(m.class),
      usVarchar(m.text),
      bVarchar(m.serverName),
      bVarchar(m.procName ?? ''),
      u32(m.line ?? 1),
    ]),
  );
}

/** INFO (class 0 to 10). */
export const info = (m: ServerMessage): Uint8Array => message(TdsToken.INFO, m);
/** ERROR (class 11 and above). */
export const error = (m: ServerMessage): Uint8Array => message(TdsToken.ERROR, m);

/** SSPI: the server's authentication token (the Kerberos AP-REP). */
export function sspi(token: Uint8Array): Uint8Array {
  return sized(TdsToken.SSPI, token);
}

/** DONE, with a row count when `rows` is given. */
export function done(opts: { error?: boolean; more?: boolean; rows?: number } = {}): Uint8Array {
  const status =
    (opts.more ? DoneStatus.MORE : 0) |
    (opts.error ? DoneStatus.ERROR : 0) |
    (opts.rows !== undefined ? DoneStatus.COUNT : 0);
  const count = new Uint8Array(8);
  new DataView(count.buffer).setBigUint64(0, BigInt(opts.rows ?? 0), true);
  return concatBytes([u8(TdsToken.DONE), u16(status), u16(0xc1), count]);
}

/** A result column: NVARCHAR(4000) or INT. */
export interface Column {
  readonly name: string;
  readonly type: 'nvarchar' | 'int';
}

/** A value of a row: a string, a number, or null. */
export type Cell = string | number | null;

const NVARCHAR = 0xe7;
const INTN = 0x26;

/** COLMETADATA for `columns`. */
export function colMetadata(columns: readonly Column[]): Uint8Array {
  const cols = columns.map((c) =>
    c.type === 'nvarchar'
      ? concatBytes([u32(0), u16(0x0009), u8(NVARCHAR), u16(8000), DEFAULT_COLLATION, bVarchar(c.name)])
      : concatBytes([u32(0), u16(0x0009), u8(INTN), u8(4), bVarchar(c.name)]),
  );
  return concatBytes([u8(TdsToken.COLMETADATA), u16(columns.length), ...cols]);
}

/** ROW of `cells`, typed by `columns`. */
export function row(columns: readonly Column[], cells: readonly Cell[]): Uint8Array {
  const parts = columns.map((c, i) => {
    const v = cells[i] ?? null;
    if (c.type === 'nvarchar')
      return v === null ? u16(0xffff) : concatBytes([u16(utf16(String(v)).length), utf16(String(v))]);
    return v === null ? u8(0) : concatBytes([u8(4), u32(Number(v))]);
  });
  return concatBytes([u8(TdsToken.ROW), ...parts]);
}
