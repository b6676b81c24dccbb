/**
 * LOGIN7 (MS-TDS section 2.2.6.4): a fixed part, then offset/length pairs
 * (in characters for strings, bytes for SSPI) into a variable part of
 * UTF-16LE strings; the password obfuscated (each byte's nibbles swapped,
 * then XOR 0xA5). Only what a server needs is decoded.
 *
 * @module
 */

import { TdsError } from './errors';

/** OptionFlags2 fIntSecurity: integrated (SSPI) authentication. */
const F_INT_SECURITY = 0x80;

/** What a server reads from LOGIN7. */
export interface Login7 {
  readonly tdsVersion: number;
  readonly packetSize: number;
  readonly hostName: string;
  readonly userName: string;
  readonly appName: string;
  readonly serverName: string;
  readonly language: string;
  readonly database: string;
  /** Integrated security (fIntSecurity): the SSPI field carries the authentication token. */
  readonly integratedSecurity: boolean;
  /** The SSPI token (a Kerberos GSS token or SPNEGO), when integrated security is used. */
  readonly sspi: Uint8Array;
}

const FIXED = 36;
const TABLE = 58; // offsets and lengths up to and including cbSSPILong

/** Decode a LOGIN7 payload; the SSPI field of at most `maxSspi` bytes. */
export function decodeLogin7(b: Uint8Array, maxSspi = 64 * 1024): Login7 {
  if (b.length < FIXED + TABLE) throw new TdsError('malformed', 'LOGIN7', `${b.length} bytes is too short`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const length = v.getUint32(0, true);
  if (length !== b.length)
    throw new TdsError('malformed', 'LOGIN7.Length', `${length}, but the message has ${b.length}`);
  const str = (at: number, name: string): string => {
    const ib = v.getUint16(FIXED + at, true);
    const cch = v.getUint16(FIXED + at + 2, true);
    if (cch === 0) return '';
    if (ib + cch * 2 > b.length)
      throw new TdsError('malformed', `LOGIN7.ib${name}`, 'points past the message');
    return Buffer.from(b.subarray(ib, ib + cch * 2)).toString('utf16le');
  };
  const ibSspi = v.getUint16(FIXED + 42, true);
  let cbSspi = v.getUint16(FIXED + 44, true);
  if (cbSspi === 0xffff) cbSspi = v.getUint32(FIXED + 54, true);
  if (cbSspi > maxSspi)
    throw new TdsError('too-large', 'LOGIN7.cbSSPI', `${cbSspi} bytes is more than ${maxSspi}`);
  if (ibSspi + cbSspi > b.length) throw new TdsError('malformed', 'LOGIN7.ibSSPI', 'points past the message');
  return {
    tdsVersion: v.getUint32(4, true),
    packetSize: v.getUint32(8, true),
    hostName: str(0, 'HostName'),
    userName: str(4, 'UserName'),
    appName: str(12, 'AppName'),
    serverName: str(16, 'ServerName'),
    language: str(28, 'Language'),
    database: str(32, 'Database'),
    integratedSecurity: (b[25]! & F_INT_SECURITY) !== 0,
    sspi: b.slice(ibSspi, ibSspi + cbSspi),
  };
}

/** Encode a LOGIN7 for integrated security: what a client sends (tests and tools). */
export function encodeLogin7(l: {
  hostName?: string;
  appName?: string;
  serverName?: string;
  database?: string;
  sspi: Uint8Array;
  packetSize?: number;
}): Uint8Array {
  const strings = [
    l.hostName ?? 'krbsim',
    '',
    '',
    l.appName ?? 'krbsim',
    l.serverName ?? '',
    '',
    '',
    '',
    l.database ?? '',
  ];
  // HostName, UserName, Password, AppName, ServerName, Extension(unused), CltIntName, Language, Database
  const enc = strings.map((s) => Buffer.from(s, 'utf16le'));
  let at = FIXED + TABLE;
  const table = new DataView(new ArrayBuffer(TABLE));
  enc.forEach((e, i) => {
    table.setUint16(i * 4, e.length === 0 ? 0 : at, true);
    table.setUint16(i * 4 + 2, e.length / 2, true);
    at += e.length;
  });
  // ClientID (6 bytes) at 36..41, then SSPI at 42.
  table.setUint16(42, at, true);
  table.setUint16(44, l.sspi.length, true);
  const total = at + l.sspi.length;
  const fixed = new DataView(new ArrayBuffer(FIXED));
  fixed.setUint32(0, total, true);
  fixed.setUint32(4, 0x74000004, true); // TDS 7.4
  fixed.setUint32(8, l.packetSize ?? 4096, true);
  fixed.setUint8(24, 0xe0); // OptionFlags1: USE_DB_ON, INIT_DB_FATAL, SET_LANG_ON
  fixed.setUint8(25, F_INT_SECURITY | 0x02); // OptionFlags2: integrated security, ODBC
  const out = new Uint8Array(total);
  out.set(new Uint8Array(fixed.buffer), 0);
  out.set(new Uint8Array(table.buffer), FIXED);
  let p = FIXED + TABLE;
  for (const e of enc) {
    out.set(e, p);
    p += e.length;
  }
  out.set(l.sspi, p);
  return out;
}
