/**
 * LOGIN7 (MS-TDS section 2.2.6.4): a 36-byte fixed part, a table of
 * offsets and lengths (characters for strings, bytes for SSPI and the
 * extension), then the variable data. Little-endian throughout.
 *
 * ```
 *  0 Length  4 TDSVersion  8 PacketSize  12 ClientProgVer  16 ClientPID  20 ConnectionID
 * 24 OptionFlags1  25 OptionFlags2  26 TypeFlags  27 OptionFlags3  28 ClientTimeZone  32 ClientLCID
 * 36 ibHostName/cchHostName  40 UserName  44 Password  48 AppName  52 ServerName
 * 56 ibExtension/cbExtension  60 CltIntName  64 Language  68 Database  72 ClientID (6)
 * 78 ibSSPI/cbSSPI  82 AtchDBFile  86 ChangePassword (7.2+)  90 cbSSPILong (7.2+)  94 data
 * ```
 *
 * The password travels obfuscated: each byte has its nibbles swapped, then
 * is XORed with 0xA5. With fExtension (OptionFlags3) the extension field
 * holds a 4-byte offset of the FeatureExt block: FeatureId (1 byte),
 * FeatureDataLen (4), data, ..., then 0xFF.
 *
 * Decoding is strict and bounded: Length must equal the message, at most
 * 128 KiB - 1 (section 2.2.6.4); every field lies after the table and inside
 * the message; strings are at most 128 characters (AtchDBFile 260), the SSPI
 * field at most `maxSspi` bytes; TDS versions before 7.1 are refused.
 *
 * @module
 */

import { TdsError } from './errors';
import {
  FeatureId,
  OptionFlags1,
  OptionFlags2,
  OptionFlags3,
  TDS_7_1_SWAPPED,
  TdsVersion,
} from './iana/login7';
import { ByteReader, ByteWriter, utf16Decode, utf16Encode } from './internal/bytes';
import { hasTds72Forms } from './negotiate';
import { messageBytePositions } from './packet';

/** The longest LOGIN7 (section 2.2.6.4: 128K - 1 bytes). */
export const MAX_LOGIN7_BYTES = 128 * 1024 - 1;
/** The default bound of the SSPI field: an AP-REQ with a large PAC fits many times over. */
export const DEFAULT_MAX_SSPI_BYTES = 64 * 1024;

/** One FeatureExt entry. */
export interface Login7Feature {
  /** A `FeatureId` value. */
  readonly id: number;
  readonly data: Uint8Array;
}

/** A LOGIN7 message, field by field (names after the spec, camelCase). */
export interface Login7 {
  readonly tdsVersion: number;
  /** The packet size the client asks for. */
  readonly packetSize: number;
  readonly clientProgVer: number;
  readonly clientPid: number;
  readonly connectionId: number;
  /** {@link OptionFlags1} bits. */
  readonly optionFlags1: number;
  /** {@link OptionFlags2} bits; INTEGRATED_SECURITY_ON means the SSPI field carries the token. */
  readonly optionFlags2: number;
  readonly typeFlags: number;
  /** {@link OptionFlags3} bits; EXTENSION means `features` came in a FeatureExt block. */
  readonly optionFlags3: number;
  /** Minutes from UTC. */
  readonly clientTimeZone: number;
  readonly clientLcid: number;
  readonly hostName: string;
  readonly userName: string;
  /**
   * SQL authentication's password, de-obfuscated. Never logged; in a decoded LOGIN7 it is not
   * enumerable and prints and serializes as `'<redacted>'` (`util.inspect`, `JSON.stringify`), so
   * a spread copy leaves it out.
   */
  readonly password: string;
  readonly appName: string;
  readonly serverName: string;
  /** CltIntName: the client library (`DB-Library`, `ODBC`). */
  readonly clientInterfaceName: string;
  readonly language: string;
  readonly database: string;
  /** The client's MAC address (6 bytes). */
  readonly clientId: Uint8Array;
  /** The SSPI token (a Kerberos GSS token or SPNEGO) under integrated security; empty otherwise. */
  readonly sspi: Uint8Array;
  readonly attachDbFile: string;
  /** A new password (with fChangePassword), de-obfuscated. Never logged; redacted as `password` is. */
  readonly changePassword: string;
  /** The FeatureExt entries (empty without fExtension). */
  readonly features: readonly Login7Feature[];
}

/** What {@link encodeLogin7} needs: every field optional but the SSPI token. */
export type Login7Init = Partial<Login7>;

/** The fixed part and the table, TDS 7.2 and later. */
const HEADER_7_2 = 94;
/** TDS 7.1 has neither ChangePassword nor cbSSPILong. */
const HEADER_7_1 = 86;
/** The longest strings (in characters), by field. */
const MAX_CHARS = 128;
const MAX_ATTACH_DB_CHARS = 260;
/** The most FeatureExt entries read. */
const MAX_FEATURES = 32;

/** The password obfuscation of section 2.2.6.4: swap nibbles, then XOR 0xA5. */
function obfuscate(password: string): Uint8Array {
  const b = utf16Encode(password).slice();
  for (let i = 0; i < b.length; i++) b[i] = (((b[i]! << 4) & 0xf0) | (b[i]! >> 4)) ^ 0xa5;
  return b;
}

function deobfuscate(b: Uint8Array): string {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const x = b[i]! ^ 0xa5;
    out[i] = ((x << 4) & 0xf0) | (x >> 4);
  }
  return utf16Decode(out);
}

/** Decode a LOGIN7 payload; see the module comment for what is refused. */
export function decodeLogin7(b: Uint8Array, options: { maxSspi?: number } = {}): Login7 {
  const maxSspi = options.maxSspi ?? DEFAULT_MAX_SSPI_BYTES;
  if (b.length > MAX_LOGIN7_BYTES) {
    throw new TdsError('too-large', 'LOGIN7', `${b.length} bytes is more than ${MAX_LOGIN7_BYTES}`);
  }
  const r = new ByteReader(b);
  const length = r.u32le('LOGIN7.Length');
  if (length !== b.length) {
    throw new TdsError('malformed', 'LOGIN7.Length', `${length}, but the message has ${b.length} bytes`);
  }
  const tdsVersion = r.u32le('LOGIN7.TDSVersion');
  // 0x08000000 is a TDS 8.0 client's (MS-TDS 1.7: ignored, the session keeps 7.4's forms).
  if (tdsVersion < TdsVersion.V7_1_REV0 && tdsVersion !== TDS_7_1_SWAPPED && tdsVersion >>> 24 !== 0x08) {
    throw new TdsError(
      'unsupported',
      'LOGIN7.TDSVersion',
      `0x${tdsVersion.toString(16)} is before TDS 7.1; this server speaks 7.1 to 7.4`,
    );
  }
  // TDS 7.1 clients may send TDS_7_1_SWAPPED (the version's bytes reversed) as SQL Server 2000's did.
  const header = hasTds72Forms(tdsVersion) ? HEADER_7_2 : HEADER_7_1;
  if (b.length < header) {
    throw new TdsError('malformed', 'LOGIN7', `${b.length} bytes is shorter than the ${header}-byte header`);
  }
  const fixed = {
    tdsVersion,
    packetSize: r.u32le('LOGIN7.PacketSize'),
    clientProgVer: r.u32le('LOGIN7.ClientProgVer'),
    clientPid: r.u32le('LOGIN7.ClientPID'),
    connectionId: r.u32le('LOGIN7.ConnectionID'),
    optionFlags1: r.u8('LOGIN7.OptionFlags1'),
    optionFlags2: r.u8('LOGIN7.OptionFlags2'),
    typeFlags: r.u8('LOGIN7.TypeFlags'),
    optionFlags3: r.u8('LOGIN7.OptionFlags3'),
    clientTimeZone: r.i32le('LOGIN7.ClientTimeZone'),
    clientLcid: r.u32le('LOGIN7.ClientLCID'),
  };

  /** The bytes of a field: offset and size checked against the header and the message. */
  const field = (name: string, ib: number, bytes: number): Uint8Array => {
    if (bytes === 0) return new Uint8Array(0);
    if (ib < header) {
      throw new TdsError(
        'malformed',
        `LOGIN7.ib${name}`,
        `offset ${ib} points into the ${header}-byte header`,
      );
    }
    if (ib + bytes > b.length) {
      throw new TdsError(
        'malformed',
        `LOGIN7.ib${name}`,
        `${ib}+${bytes} points past the message (${b.length})`,
      );
    }
    return b.subarray(ib, ib + bytes);
  };
  const text = (name: string, max = MAX_CHARS): { ib: number; cch: number; read(): Uint8Array } => {
    const ib = r.u16le(`LOGIN7.ib${name}`);
    const cch = r.u16le(`LOGIN7.cch${name}`);
    if (cch > max)
      throw new TdsError('too-large', `LOGIN7.cch${name}`, `${cch} characters is more than ${max}`);
    return { ib, cch, read: () => field(name, ib, cch * 2) };
  };

  const hostName = text('HostName');
  if (hostName.ib === 0) {
    // Section 2.2.6.4: ibHostName marks where the variable part starts; it MUST NOT be 0.
    throw new TdsError('malformed', 'LOGIN7.ibHostName', 'is 0; it must point at the variable part');
  }
  const userName = text('UserName');
  const password = text('Password');
  const appName = text('AppName');
  const serverName = text('ServerName');
  const ibExtension = r.u16le('LOGIN7.ibExtension');
  const cbExtension = r.u16le('LOGIN7.cbExtension');
  const cltIntName = text('CltIntName');
  const language = text('Language');
  const database = text('Database');
  const clientId = r.take(6, 'LOGIN7.ClientID');
  const ibSspi = r.u16le('LOGIN7.ibSSPI');
  let cbSspi = r.u16le('LOGIN7.cbSSPI');
  const attachDbFile = text('AtchDBFile', MAX_ATTACH_DB_CHARS);
  const changePassword = header === HEADER_7_2 ? text('ChangePassword') : { read: () => new Uint8Array(0) };
  const cbSspiLong = header === HEADER_7_2 ? r.u32le('LOGIN7.cbSSPILong') : 0;
  // Section 2.2.6.4: a cbSSPI of 0xFFFF means the size is cbSSPILong, or 65535 itself when cbSSPILong is 0.
  if (cbSspi === 0xffff && header === HEADER_7_2 && cbSspiLong > 0) cbSspi = cbSspiLong;
  if (cbSspi > maxSspi) {
    throw new TdsError('too-large', 'LOGIN7.cbSSPI', `${cbSspi} bytes is more than ${maxSspi}`);
  }

  const features: Login7Feature[] = [];
  if ((fixed.optionFlags3 & OptionFlags3.EXTENSION) !== 0) {
    if (cbExtension !== 4) {
      throw new TdsError('malformed', 'LOGIN7.cbExtension', `${cbExtension}; with fExtension it is 4`);
    }
    const pointer = field('Extension', ibExtension, 4);
    const at = new DataView(pointer.buffer, pointer.byteOffset, 4).getUint32(0, true);
    if (at < header || at >= b.length) {
      throw new TdsError(
        'malformed',
        'LOGIN7.FeatureExt',
        `offset ${at} is outside ${header}..${b.length - 1}`,
      );
    }
    const fr = new ByteReader(b, at);
    for (;;) {
      const id = fr.u8(`LOGIN7.FeatureExt[${features.length}].FeatureId`);
      if (id === FeatureId.TERMINATOR) break;
      if (features.length === MAX_FEATURES) {
        throw new TdsError('too-large', 'LOGIN7.FeatureExt', `more than ${MAX_FEATURES} features`);
      }
      const len = fr.u32le(`LOGIN7.FeatureExt[${features.length}].FeatureDataLen`);
      features.push({ id, data: fr.take(len, `LOGIN7.FeatureExt[${features.length}].FeatureData`) });
    }
  } else if (cbExtension > 0) {
    field('Extension', ibExtension, cbExtension); // the spec's "unused" field: checked, ignored
  }

  const str = (f: { read(): Uint8Array }) => utf16Decode(f.read());
  return login7Record({
    ...fixed,
    hostName: str(hostName),
    userName: str(userName),
    password: deobfuscate(password.read()),
    appName: str(appName),
    serverName: str(serverName),
    clientInterfaceName: str(cltIntName),
    language: str(language),
    database: str(database),
    clientId,
    sspi: field('SSPI', ibSspi, cbSspi).slice(),
    attachDbFile: str(attachDbFile),
    changePassword: deobfuscate(changePassword.read()),
    features,
  });
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** What a printed or serialized LOGIN7 shows for a password it carries. */
const REDACTED = '<redacted>';

/**
 * A decoded LOGIN7 whose passwords are there to read (`login.password`) but not to print: they
 * are not enumerable, and `util.inspect` and `JSON.stringify` show `'<redacted>'` for one that is
 * set, so logging a login (or a `TdsAuthRequest`) never shows them.
 */
function login7Record(fields: Login7): Login7 {
  const { password, changePassword, ...shown } = fields;
  const printed = () => ({
    ...fields,
    password: password === '' ? '' : REDACTED,
    changePassword: changePassword === '' ? '' : REDACTED,
  });
  const login = { ...shown } as Login7;
  Object.defineProperties(login, {
    password: { value: password, enumerable: false },
    changePassword: { value: changePassword, enumerable: false },
    toJSON: { value: printed, enumerable: false },
    [INSPECT]: {
      value: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
        inspect(printed(), options),
      enumerable: false,
    },
  });
  return login;
}

/** A character of the marker a blanked password shows: `*`, obfuscated as LOGIN7 carries it. */
const BLANK_CHAR = obfuscate('*');

/**
 * A LOGIN7 message as it crossed the wire (its packets, headers included), with the Password and
 * ChangePassword fields overwritten by `*` (obfuscated, so the message still decodes: the lengths
 * and offsets are untouched, and a decoder shows `****`): what a trace, its HTML and a pcap keep
 * of a SQL authentication login, whose obfuscation (section 2.2.6.4) hides nothing. Fields that
 * lie outside the message (a malformed LOGIN7) are not there to blank; the bytes are a copy.
 */
export function blankLogin7Passwords(packets: Uint8Array): Uint8Array {
  const out = packets.slice();
  const where = messageBytePositions(out);
  const byteAt = (i: number) => (i < where.length ? out[where[i]!]! : 0);
  const u16 = (i: number) => byteAt(i) | (byteAt(i + 1) << 8);
  const u32 = (i: number) => (u16(i) | (u16(i + 2) << 16)) >>> 0;
  if (where.length < HEADER_7_1) return out;
  const blank = (table: number) => {
    const ib = u16(table);
    const bytes = u16(table + 2) * 2;
    for (let i = ib; i < Math.min(ib + bytes, where.length); i++) out[where[i]!] = BLANK_CHAR[(i - ib) & 1]!;
  };
  blank(44); // ibPassword, cchPassword
  if (hasTds72Forms(u32(4)) && where.length >= HEADER_7_2) blank(86); // ibChangePassword, cchChangePassword
  return out;
}

/**
 * Encode a LOGIN7 (what a client sends; tests and tools). Defaults: TDS
 * 7.4, packet size 4096, OptionFlags1 USE_DB_ON | INIT_DB_FATAL |
 * SET_LANG_ON, OptionFlags2 INIT_LANG_FATAL | ODBC_ON, plus
 * INTEGRATED_SECURITY_ON when an SSPI token is given; fExtension when
 * features are given (or when `optionFlags3` sets it: then a FeatureExt
 * block holding only its terminator).
 */
export function encodeLogin7(l: Login7Init): Uint8Array {
  const sspi = l.sspi ?? new Uint8Array(0);
  const features = l.features ?? [];
  const tdsVersion = l.tdsVersion ?? TdsVersion.V7_4;
  const header = hasTds72Forms(tdsVersion) ? HEADER_7_2 : HEADER_7_1;
  if (header === HEADER_7_1 && sspi.length > 0xffff) {
    // TDS 7.1's header has cbSSPI alone (16 bits); cbSSPILong came with 7.2.
    throw new RangeError(
      `LOGIN7: an SSPI token of ${sspi.length} bytes does not fit TDS 7.1's 16-bit cbSSPI`,
    );
  }
  const optionFlags3 = (l.optionFlags3 ?? 0) | (features.length > 0 ? OptionFlags3.EXTENSION : 0);
  // fExtension, asked for or implied by features: a FeatureExt block, perhaps only its terminator.
  const withExtension = (optionFlags3 & OptionFlags3.EXTENSION) !== 0;
  const optionFlags2 =
    l.optionFlags2 ??
    OptionFlags2.INIT_LANG_FATAL |
      OptionFlags2.ODBC_ON |
      (sspi.length > 0 ? OptionFlags2.INTEGRATED_SECURITY_ON : 0);
  const str = (s: string | undefined) => utf16Encode(s ?? '');
  // The variable part, in the table's order.
  const hostName = str(l.hostName);
  const userName = str(l.userName);
  const password = obfuscate(l.password ?? '');
  const appName = str(l.appName);
  const serverName = str(l.serverName);
  const extension = new Uint8Array(withExtension ? 4 : 0);
  const cltIntName = str(l.clientInterfaceName);
  const language = str(l.language);
  const database = str(l.database);
  const attachDbFile = str(l.attachDbFile);
  const changePassword = obfuscate(l.changePassword ?? '');
  const variable = [
    hostName,
    userName,
    password,
    appName,
    serverName,
    extension,
    cltIntName,
    language,
    database,
  ];
  const offsets: number[] = [];
  let at = header;
  for (const v of variable) {
    offsets.push(at);
    at += v.length;
  }
  const ibSspi = at;
  at += sspi.length;
  const ibAttach = at;
  at += attachDbFile.length;
  const ibChange = at;
  at += header === HEADER_7_2 ? changePassword.length : 0;
  const featureExtAt = at;
  if (withExtension) {
    at += 1 + features.reduce((n, f) => n + 5 + f.data.length, 0);
    new DataView(extension.buffer).setUint32(0, featureExtAt, true);
  }
  if (at > MAX_LOGIN7_BYTES) throw new RangeError(`LOGIN7: ${at} bytes is more than ${MAX_LOGIN7_BYTES}`);

  const w = new ByteWriter(at);
  w.u32le(at)
    .u32le(tdsVersion)
    .u32le(l.packetSize ?? 4096)
    .u32le(l.clientProgVer ?? 0)
    .u32le(l.clientPid ?? 0)
    .u32le(l.connectionId ?? 0)
    .u8(l.optionFlags1 ?? OptionFlags1.USE_DB_ON | OptionFlags1.INIT_DB_FATAL | OptionFlags1.SET_LANG_ON)
    .u8(optionFlags2)
    .u8(l.typeFlags ?? 0)
    .u8(optionFlags3)
    .i32le(l.clientTimeZone ?? 0)
    .u32le(l.clientLcid ?? 0x0409);
  variable.forEach((v, i) => {
    // The extension's size is in bytes, the strings' in characters (password's too: 2 bytes each).
    w.u16le(offsets[i]!).u16le(i === 5 ? v.length : v.length / 2);
  });
  w.bytes(l.clientId ?? new Uint8Array(6));
  w.u16le(ibSspi).u16le(Math.min(sspi.length, 0xffff));
  w.u16le(ibAttach).u16le(attachDbFile.length / 2);
  if (header === HEADER_7_2)
    w.u16le(ibChange)
      .u16le(changePassword.length / 2)
      .u32le(sspi.length);
  for (const v of variable) w.bytes(v);
  w.bytes(sspi).bytes(attachDbFile);
  if (header === HEADER_7_2) w.bytes(changePassword);
  if (withExtension) {
    for (const f of features) w.u8(f.id).u32le(f.data.length).bytes(f.data);
    w.u8(FeatureId.TERMINATOR);
  }
  return w.finish();
}
