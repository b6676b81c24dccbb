/**
 * Writing the token stream (MS-TDS section 2.2.7). Little-endian; strings
 * UTF-16LE with a 1-byte (B_VARCHAR) or 2-byte (US_VARCHAR) length in
 * characters, but VARCHAR values, which are bytes of the collation's code
 * page (Windows-1252) behind a 2-byte length in bytes.
 *
 * @module
 */

import { TdsVersion } from '../iana/login7';
import { DataType, EnvChangeType, TdsToken } from '../iana/tokens';
import { ByteWriter, utf16Encode } from '../internal/bytes';
import { hasTds72Forms } from '../negotiate';
import { cp1252Encode } from './code-page';
import type { Column, IntColumn, ServerMessage, StringColumn, TdsTokenValue, TokenContext } from './types';

/** SQL_Latin1_General_CP1_CI_AS (LCID 0x0409, sort id 52): the collation a managed instance reports. */
export const DEFAULT_COLLATION: Uint8Array = Uint8Array.of(0x09, 0x04, 0xd0, 0x00, 0x34);

/** How an ENVCHANGE value is written: text, or bytes behind a 1-, 2- or 4-byte length. */
export type EnvChangeForm = 'B_VARCHAR' | 'B_VARBYTE' | 'US_VARBYTE' | 'L_VARBYTE';

/** ENVCHANGE types whose values are B_VARBYTE rather than B_VARCHAR (section 2.2.7.9). */
const BINARY_ENV_CHANGES: ReadonlySet<number> = new Set([
  EnvChangeType.SQL_COLLATION,
  EnvChangeType.BEGIN_TRANSACTION,
  EnvChangeType.COMMIT_TRANSACTION,
  EnvChangeType.ROLLBACK_TRANSACTION,
  EnvChangeType.ENLIST_DTC_TRANSACTION,
  EnvChangeType.DEFECT_TRANSACTION,
  EnvChangeType.TRANSACTION_MANAGER_ADDRESS,
  EnvChangeType.TRANSACTION_ENDED,
  EnvChangeType.RESET_CONNECTION_ACK,
]);

/**
 * The forms of an ENVCHANGE type's NewValue and OldValue (section 2.2.7.9):
 * Promote Transaction (15) carries an L_VARBYTE and an empty B_VARBYTE;
 * Routing (20) a US_VARBYTE of routing data and an empty US_VARBYTE; the
 * binary types B_VARBYTE both; the rest B_VARCHAR both.
 */
export function envChangeForms(envType: number): readonly [EnvChangeForm, EnvChangeForm] {
  if (envType === EnvChangeType.PROMOTE_TRANSACTION) return ['L_VARBYTE', 'B_VARBYTE'];
  if (envType === EnvChangeType.ROUTING) return ['US_VARBYTE', 'US_VARBYTE'];
  return BINARY_ENV_CHANGES.has(envType) ? ['B_VARBYTE', 'B_VARBYTE'] : ['B_VARCHAR', 'B_VARCHAR'];
}

/**
 * The longest string column this package writes and reads: NVARCHAR(4000) (in UTF-16 code units, T-SQL's
 * byte-pairs) and VARCHAR(8000) (in bytes). Longer is (MAX), a PLP type this package does not serve.
 */
export const MAX_STRING_LENGTH: Readonly<Record<StringColumn['type'], number>> = Object.freeze({
  nvarchar: 4000,
  varchar: 8000,
});

/** A string column's declared length: its `length`, or the most. */
export function declaredLength(c: StringColumn): number {
  return c.length ?? MAX_STRING_LENGTH[c.type];
}

/** INTN's size in bytes for each integer type (MS-TDS 2.2.5.4.2). */
export const INTN_SIZE: Readonly<Record<IntColumn['type'], 1 | 2 | 4 | 8>> = Object.freeze({
  tinyint: 1,
  smallint: 2,
  int: 4,
  bigint: 8,
});

/** The values each integer type holds; BIGINT's as far as a number is exact (2^53). */
const INT_RANGE: Readonly<Record<IntColumn['type'], readonly [number, number]>> = Object.freeze({
  tinyint: [0, 255],
  smallint: [-(2 ** 15), 2 ** 15 - 1],
  int: [-(2 ** 31), 2 ** 31 - 1],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
});

/** Whether `v` is a value of the integer type `type`. */
export function fitsInt(type: IntColumn['type'], v: number): boolean {
  const [min, max] = INT_RANGE[type];
  return Number.isInteger(v) && v >= min && v <= max;
}

const isStringColumn = (c: Column): c is StringColumn => c.type === 'nvarchar' || c.type === 'varchar';

/** Column Flags: Nullable (bit 0) and Updateable unknown (bits 2-3 = 2). */
const COLUMN_FLAGS = 0x0009;

/** A column's TYPE_INFO (MS-TDS 2.2.5.6): INTN and its size, or the string type, its MaxLength in bytes, the collation. */
function typeInfo(w: ByteWriter, c: Column, path: string): void {
  if (isStringColumn(c)) {
    const n = declaredLength(c);
    const max = MAX_STRING_LENGTH[c.type];
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new RangeError(`${path}: ${c.type.toUpperCase()}(${n}) is not a length from 1 to ${max}`);
    }
    if (c.type === 'nvarchar') w.u8(DataType.NVARCHAR).u16le(2 * n);
    else w.u8(DataType.BIGVARCHR).u16le(n);
    w.bytes(DEFAULT_COLLATION);
    return;
  }
  const size = INTN_SIZE[c.type];
  if (size === undefined) throw new TypeError(`${path}: no column type ${String(c.type)}`);
  w.u8(DataType.INTN).u8(size);
}

/** A value of a ROW in its column's type: a USHORTLEN string or an INTN, or the type's NULL. */
function cell(w: ByteWriter, c: Column, v: string | number | null, path: string): void {
  if (isStringColumn(c)) {
    if (v === null) {
      w.u16le(0xffff);
      return;
    }
    const n = declaredLength(c);
    const name = `${c.type.toUpperCase()}(${n})`;
    let b: Uint8Array | undefined;
    if (c.type === 'nvarchar') b = utf16Encode(String(v));
    else {
      b = cp1252Encode(String(v));
      if (b === undefined) {
        throw new RangeError(
          `${path}: a character not in Windows-1252, the code page of ${name}'s collation`,
        );
      }
    }
    if (b.length > (c.type === 'nvarchar' ? 2 * n : n)) throw new RangeError(`${path}: longer than ${name}`);
    w.u16le(b.length).bytes(b);
    return;
  }
  if (v === null) {
    w.u8(0);
    return;
  }
  if (typeof v !== 'number' || !fitsInt(c.type, v)) {
    throw new RangeError(`${path}: ${String(v)} is no ${c.type.toUpperCase()} value`);
  }
  const size = INTN_SIZE[c.type];
  w.u8(size);
  if (size === 1) w.u8(v);
  else if (size === 2) w.u16le(v & 0xffff);
  else if (size === 4) w.i32le(v);
  else w.u64le(BigInt.asUintN(64, BigInt(v)));
}

/** A token with its 2-byte length: the body is written, then the length put before it. */
function sized(w: ByteWriter, token: number, body: (w: ByteWriter) => void, path: string): void {
  w.u8(token);
  const at = w.length;
  w.u16le(0);
  body(w);
  const n = w.length - at - 2;
  if (n > 0xffff) throw new RangeError(`${path}: ${n} bytes is more than a token's 65535`);
  w.patchU16le(at, n);
}

function message(w: ByteWriter, m: ServerMessage, v71: boolean, path: string): void {
  w.i32le(m.number).u8(m.state).u8(m.class).usVarchar(m.msgText, `${path}.MsgText`);
  w.bVarchar(m.serverName, `${path}.ServerName`).bVarchar(m.procName, `${path}.ProcName`);
  if (v71) w.u16le(m.lineNumber);
  else w.i32le(m.lineNumber);
}

const VARBYTE_MAX: Record<Exclude<EnvChangeForm, 'B_VARCHAR'>, number> = {
  B_VARBYTE: 0xff,
  US_VARBYTE: 0xffff,
  L_VARBYTE: 0xffffffff,
};

function envValue(w: ByteWriter, form: EnvChangeForm, v: string | Uint8Array, path: string): void {
  if (form === 'B_VARCHAR') {
    if (typeof v !== 'string') throw new TypeError(`${path}: this ENVCHANGE type carries text, not bytes`);
    w.bVarchar(v, path);
    return;
  }
  if (typeof v === 'string') throw new TypeError(`${path}: this ENVCHANGE type carries bytes, not text`);
  const max = VARBYTE_MAX[form];
  if (v.length > max) throw new RangeError(`${path}: ${v.length} bytes is more than ${max}`);
  if (form === 'B_VARBYTE') w.u8(v.length);
  else if (form === 'US_VARBYTE') w.u16le(v.length);
  else w.u32le(v.length);
  w.bytes(v);
}

/** Write `tokens` in order; a ROW is typed by the COLMETADATA before it. */
export function encodeTokens(tokens: readonly TdsTokenValue[], ctx: TokenContext = {}): Uint8Array {
  const v71 = !hasTds72Forms(ctx.tdsVersion ?? TdsVersion.V7_4);
  const w = new ByteWriter(512);
  let columns: readonly Column[] | undefined;
  tokens.forEach((t, i) => {
    const path = `${t.type}[${i}]`;
    switch (t.type) {
      case 'LOGINACK':
        sized(
          w,
          TdsToken.LOGINACK,
          (w) => {
            // TDSVersion is big-endian here, unlike LOGIN7's (section 2.2.7.14).
            w.u8(t.interface).u32be(t.tdsVersion).bVarchar(t.progName, `${path}.ProgName`);
            w.u8(t.progVersion.major).u8(t.progVersion.minor).u16be(t.progVersion.build);
          },
          path,
        );
        return;
      case 'ENVCHANGE':
        sized(
          w,
          TdsToken.ENVCHANGE,
          (w) => {
            w.u8(t.envType);
            const [newForm, oldForm] = envChangeForms(t.envType);
            envValue(w, newForm, t.newValue, `${path}.NewValue`);
            envValue(w, oldForm, t.oldValue, `${path}.OldValue`);
          },
          path,
        );
        return;
      case 'INFO':
      case 'ERROR':
        sized(w, t.type === 'INFO' ? TdsToken.INFO : TdsToken.ERROR, (w) => message(w, t, v71, path), path);
        return;
      case 'DONE':
      case 'DONEPROC':
      case 'DONEINPROC':
        w.u8(
          t.type === 'DONE' ? TdsToken.DONE : t.type === 'DONEPROC' ? TdsToken.DONEPROC : TdsToken.DONEINPROC,
        );
        w.u16le(t.status).u16le(t.curCmd);
        if (v71) w.u32le(t.rowCount);
        else w.u64le(BigInt(t.rowCount));
        return;
      case 'SSPI':
        sized(w, TdsToken.SSPI, (w) => w.bytes(t.token), path);
        return;
      case 'FEATUREEXTACK':
        w.u8(TdsToken.FEATUREEXTACK);
        for (const f of t.features) w.u8(f.id).u32le(f.data.length).bytes(f.data);
        w.u8(0xff);
        return;
      case 'COLMETADATA':
        columns = t.columns;
        w.u8(TdsToken.COLMETADATA).u16le(t.columns.length);
        for (const [j, c] of t.columns.entries()) {
          // UserType (MS-TDS 2.2.7.4: a USHORT before TDS 7.2, a ULONG from it), Flags.
          if (v71) w.u16le(0);
          else w.u32le(0);
          w.u16le(COLUMN_FLAGS);
          typeInfo(w, c, `${path}.columns[${j}]`);
          w.bVarchar(c.name, `${path}.columns[${j}].ColName`);
        }
        return;
      case 'ROW': {
        if (columns === undefined) throw new TypeError(`${path}: a ROW needs a COLMETADATA before it`);
        if (t.values.length !== columns.length) {
          throw new TypeError(`${path}: ${t.values.length} values for ${columns.length} columns`);
        }
        w.u8(TdsToken.ROW);
        for (const [j, c] of columns.entries()) cell(w, c, t.values[j] ?? null, `${path}.values[${j}]`);
        return;
      }
    }
  });
  return w.finish();
}
