/**
 * Reading the token stream (MS-TDS section 2.2.7), strictly: a token with
 * a length must use exactly that many bytes, a value must fit its type,
 * a ROW needs a COLMETADATA of at least one column before it (a ROW of
 * none would be one byte, and a 4 MiB message four million tokens), a
 * COLMETADATA of NoMetaData (0xFFFF) answers only an RPC sent with
 * fNoMetaData, which this package never sends, and a token type this
 * package does not read (NBCROW among them) is refused by name and offset
 * rather than skipped.
 *
 * @module
 */

import { TdsError } from '../errors';
import { TdsVersion } from '../iana/login7';
import { DataType, TdsToken } from '../iana/tokens';
import { ByteReader } from '../internal/bytes';
import type { Login7Feature } from '../login7';
import { hasTds72Forms } from '../negotiate';
import { collationCodePage, cp1252Decode } from './code-page';
import { declaredLength, type EnvChangeForm, envChangeForms, INTN_SIZE, MAX_STRING_LENGTH } from './encode';
import type {
  Cell,
  Column,
  IntColumn,
  ServerMessage,
  StringColumn,
  TdsTokenValue,
  TokenContext,
} from './types';

/** The most FeatureExt acknowledgements read from one token. */
const MAX_ENTRIES = 1024;
/** The most columns read from a COLMETADATA: SQL Server's most in a SELECT list (its error 1056 past it). */
const MAX_COLUMNS = 4096;
/**
 * The most tokens read from one message. A token can be six bytes (an empty ENVCHANGE), so a 4 MiB
 * message could otherwise become some 700 000 objects.
 */
const MAX_TOKENS = 65_536;

/** Options of {@link decodeTokens}. */
export interface DecodeTokensOptions extends TokenContext {
  /** The columns of an earlier COLMETADATA, for ROWs that continue a result. */
  readonly columns?: readonly Column[];
}

/** Read every token of a TABULAR_RESULT payload. */
export function decodeTokens(payload: Uint8Array, options: DecodeTokensOptions = {}): TdsTokenValue[] {
  const v71 = !hasTds72Forms(options.tdsVersion ?? TdsVersion.V7_4);
  const r = new ByteReader(payload);
  const out: TdsTokenValue[] = [];
  let columns = options.columns;
  /** Tokens a message carries once at most (a login's answer, one leg of SSPI). */
  const once = new Set<number>();
  while (r.remaining > 0) {
    const at = r.offset;
    if (out.length === MAX_TOKENS) {
      throw new TdsError(
        'too-large',
        'token',
        `more than ${MAX_TOKENS} tokens in one message (at offset ${at})`,
      );
    }
    const type = r.u8('token');
    const path = `token[${out.length}]`;
    // A second one is no answer a server gives; refused at once, so that a message of empty ones cannot
    // become millions of objects (each a few bytes on the wire).
    if (type === TdsToken.LOGINACK || type === TdsToken.FEATUREEXTACK || type === TdsToken.SSPI) {
      if (once.has(type)) {
        throw new TdsError(
          'unexpected',
          path,
          `a second token of type 0x${type.toString(16)} in one message`,
        );
      }
      once.add(type);
    }
    /** A token with a 2-byte length: read inside exactly that many bytes. */
    const sized = <T>(name: string, read: (s: ByteReader, p: string) => T): T => {
      const p = `${name}@${at}`;
      const length = r.u16le(`${p}.Length`);
      const s = new ByteReader(r.take(length, `${p}.body`));
      const value = read(s, p);
      s.end(p);
      return value;
    };
    switch (type) {
      case TdsToken.LOGINACK:
        out.push(
          sized('LOGINACK', (s, p) => ({
            type: 'LOGINACK',
            interface: s.u8(`${p}.Interface`),
            tdsVersion: s.u32be(`${p}.TDSVersion`),
            progName: s.bVarchar(`${p}.ProgName`),
            progVersion: {
              major: s.u8(`${p}.MajorVer`),
              minor: s.u8(`${p}.MinorVer`),
              build: s.u16be(`${p}.BuildNum`),
            },
          })),
        );
        break;
      case TdsToken.ENVCHANGE:
        out.push(
          sized('ENVCHANGE', (s, p) => {
            const envType = s.u8(`${p}.Type`);
            const [newForm, oldForm] = envChangeForms(envType);
            const value = (form: EnvChangeForm, name: string): string | Uint8Array => {
              const at = `${p}.${name}`;
              if (form === 'B_VARCHAR') return s.bVarchar(at);
              const n =
                form === 'B_VARBYTE'
                  ? s.u8(`${at}.length`)
                  : form === 'US_VARBYTE'
                    ? s.u16le(`${at}.length`)
                    : s.u32le(`${at}.length`);
              return s.take(n, at);
            };
            const newValue = value(newForm, 'NewValue');
            return { type: 'ENVCHANGE', envType, newValue, oldValue: value(oldForm, 'OldValue') };
          }),
        );
        break;
      case TdsToken.INFO:
      case TdsToken.ERROR: {
        const name = type === TdsToken.INFO ? 'INFO' : 'ERROR';
        const m = sized(name, (s, p) => readMessage(s, p, v71));
        out.push(type === TdsToken.INFO ? { type: 'INFO', ...m } : { type: 'ERROR', ...m });
        break;
      }
      case TdsToken.DONE:
      case TdsToken.DONEPROC:
      case TdsToken.DONEINPROC: {
        const name = type === TdsToken.DONE ? 'DONE' : type === TdsToken.DONEPROC ? 'DONEPROC' : 'DONEINPROC';
        const p = `${name}@${at}`;
        const status = r.u16le(`${p}.Status`);
        const curCmd = r.u16le(`${p}.CurCmd`);
        const count = v71 ? r.u32le(`${p}.DoneRowCount`) : r.u64le(`${p}.DoneRowCount`);
        if (typeof count === 'bigint' && count > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new TdsError('unsupported', `${p}.DoneRowCount`, `${count} rows is beyond 2^53`);
        }
        out.push({ type: name, status, curCmd, rowCount: Number(count) });
        break;
      }
      case TdsToken.SSPI:
        out.push(sized('SSPI', (s, p) => ({ type: 'SSPI', token: s.take(s.remaining, `${p}.SSPIBuffer`) })));
        break;
      case TdsToken.FEATUREEXTACK: {
        const p = `FEATUREEXTACK@${at}`;
        const features: Login7Feature[] = [];
        for (;;) {
          const id = r.u8(`${p}.FeatureId`);
          if (id === 0xff) break;
          if (features.length === MAX_ENTRIES)
            throw new TdsError('too-large', p, `more than ${MAX_ENTRIES} features`);
          const len = r.u32le(`${p}[${features.length}].FeatureAckDataLen`);
          features.push({ id, data: r.take(len, `${p}[${features.length}].FeatureAckData`) });
        }
        out.push({ type: 'FEATUREEXTACK', features });
        break;
      }
      case TdsToken.COLMETADATA: {
        columns = readColMetadata(r, `COLMETADATA@${at}`, v71);
        out.push({ type: 'COLMETADATA', columns });
        break;
      }
      case TdsToken.ROW: {
        const p = `ROW@${at}`;
        if (columns === undefined) throw new TdsError('unexpected', p, 'a ROW before any COLMETADATA');
        if (columns.length === 0)
          throw new TdsError('unexpected', p, 'a ROW of a COLMETADATA with no columns');
        const values: Cell[] = columns.map((c, j) => readCell(r, c, `${p}.values[${j}]`));
        out.push({ type: 'ROW', values });
        break;
      }
      default:
        throw new TdsError(
          'unsupported',
          path,
          `token type 0x${type.toString(16).padStart(2, '0')} at offset ${at} is not one this package reads`,
        );
    }
  }
  return out;
}

function readMessage(s: ByteReader, p: string, v71: boolean): ServerMessage {
  return {
    number: s.i32le(`${p}.Number`),
    state: s.u8(`${p}.State`),
    class: s.u8(`${p}.Class`),
    msgText: s.usVarchar(`${p}.MsgText`),
    serverName: s.bVarchar(`${p}.ServerName`),
    procName: s.bVarchar(`${p}.ProcName`),
    lineNumber: v71 ? s.u16le(`${p}.LineNumber`) : s.i32le(`${p}.LineNumber`),
  };
}

function readColMetadata(r: ByteReader, p: string, v71: boolean): Column[] {
  const count = r.u16le(`${p}.Count`);
  if (count === 0xffff) {
    // MS-TDS 2.2.7.4: the server sends no metadata only to a client that asked for none (an RPC's fNoMetaData).
    throw new TdsError(
      'unexpected',
      `${p}.Count`,
      '0xFFFF (NoMetaData) answers an RPC sent with fNoMetaData, which this package never sends',
    );
  }
  if (count > MAX_COLUMNS)
    throw new TdsError('too-large', `${p}.Count`, `${count} columns is more than ${MAX_COLUMNS}`);
  const columns: Column[] = [];
  for (let j = 0; j < count; j++) {
    const cp = `${p}.columns[${j}]`;
    // MS-TDS 2.2.7.4: a USHORT before TDS 7.2, a ULONG from it.
    if (v71) r.u16le(`${cp}.UserType`);
    else r.u32le(`${cp}.UserType`);
    r.u16le(`${cp}.Flags`);
    const dataType = r.u8(`${cp}.TYPE_INFO`);
    let type: { type: IntColumn['type'] } | { type: StringColumn['type']; length: number };
    if (dataType === DataType.NVARCHAR || dataType === DataType.BIGVARCHR) {
      const nvarchar = dataType === DataType.NVARCHAR;
      const max = r.u16le(`${cp}.TYPE_INFO.MaxLength`);
      const length = nvarchar ? max / 2 : max;
      const most = MAX_STRING_LENGTH[nvarchar ? 'nvarchar' : 'varchar'];
      if (max === 0xffff) {
        throw new TdsError(
          'unsupported',
          `${cp}.TYPE_INFO.MaxLength`,
          `${nvarchar ? 'NVARCHAR' : 'VARCHAR'}(MAX) is not read`,
        );
      }
      if (!Number.isInteger(length) || length < 1 || length > most) {
        throw new TdsError(
          'malformed',
          `${cp}.TYPE_INFO.MaxLength`,
          `${max} bytes is no ${nvarchar ? 'NVARCHAR' : 'VARCHAR'}(1 to ${most})`,
        );
      }
      const collation = r.take(5, `${cp}.TYPE_INFO.COLLATION`);
      if (!nvarchar && collationCodePage(collation) !== 1252) {
        throw new TdsError(
          'unsupported',
          `${cp}.TYPE_INFO.COLLATION`,
          `VARCHAR of collation ${Buffer.from(collation).toString('hex')} (this package reads VARCHAR in Windows-1252 only)`,
        );
      }
      type = { type: nvarchar ? 'nvarchar' : 'varchar', length };
    } else if (dataType === DataType.INTN) {
      const size = r.u8(`${cp}.TYPE_INFO.Length`);
      const found = (Object.keys(INTN_SIZE) as IntColumn['type'][]).find((t) => INTN_SIZE[t] === size);
      if (found === undefined) {
        throw new TdsError('malformed', `${cp}.TYPE_INFO.Length`, `INTN of ${size} bytes`);
      }
      type = { type: found };
    } else {
      throw new TdsError(
        'unsupported',
        `${cp}.TYPE_INFO`,
        `data type 0x${dataType.toString(16)} (this package reads NVARCHAR, VARCHAR and INTN)`,
      );
    }
    columns.push({ name: r.bVarchar(`${cp}.ColName`), ...type });
  }
  return columns;
}

function readCell(r: ByteReader, c: Column, p: string): Cell {
  if (c.type === 'nvarchar' || c.type === 'varchar') {
    const len = r.u16le(`${p}.length`);
    if (len === 0xffff) return null;
    const n = declaredLength(c);
    if (c.type === 'varchar') {
      if (len > n)
        throw new TdsError('malformed', `${p}.length`, `${len} bytes is longer than VARCHAR(${n})`);
      return cp1252Decode(r.take(len, p));
    }
    if (len % 2 !== 0) throw new TdsError('malformed', `${p}.length`, `${len} bytes is not UTF-16`);
    if (len > 2 * n)
      throw new TdsError('malformed', `${p}.length`, `${len} bytes is longer than NVARCHAR(${n})`);
    return r.utf16(len / 2, p);
  }
  // MS-TDS 2.2.5.4.2: an INTN value is as long as its column's TYPE_INFO says, or 0 for NULL.
  const len = r.u8(`${p}.length`);
  if (len === 0) return null;
  if (len !== INTN_SIZE[c.type]) {
    throw new TdsError(
      'malformed',
      `${p}.length`,
      `an INTN value of ${len} bytes in a column of INTN(${INTN_SIZE[c.type]}), ${c.type.toUpperCase()}`,
    );
  }
  switch (len) {
    case 1:
      return r.u8(p);
    case 2: {
      const v = r.u16le(p);
      return v >= 0x8000 ? v - 0x10000 : v;
    }
    case 4:
      return r.i32le(p);
    default: {
      const v = new DataView(r.take(8, p).buffer).getBigInt64(0, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new TdsError('unsupported', p, `${v} is beyond 2^53`);
      }
      return Number(v);
    }
  }
}
