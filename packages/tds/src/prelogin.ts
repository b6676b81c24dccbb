/**
 * PRELOGIN (MS-TDS section 2.2.6.5): a table of options (a token, then a
 * big-endian offset and length into the data after the 0xFF terminator),
 * then the options' data. The client's message and the server's answer
 * have the same form; the answer travels in a TABULAR_RESULT packet.
 *
 * Decoding is strict: the table ends with the terminator, VERSION comes
 * first (section 3.3.5.1), every option's data lies after the table and
 * inside the message, no option is given twice, the options this package
 * knows have their sizes, and no bytes follow the last option's data.
 * Options it does not know are kept, as a forward-compatible reader skips
 * them.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { TdsError } from './errors';
import { PreloginOption } from './iana/prelogin';

/** UL_VERSION and US_SUBBUILD: the sender's product version. */
export interface PreloginVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly subBuild: number;
}

/** A PRELOGIN message: every option optional, as on the wire. */
export interface Prelogin {
  readonly version?: PreloginVersion;
  /** B_FENCRYPTION: an `Encryption` value (with the CLIENT_CERT bit, from a client). */
  readonly encryption?: number;
  /** B_INSTVALIDITY: a client's instance name, NUL-terminated; a server's 0x00 (valid) or 0x01. */
  readonly instance?: Uint8Array;
  /** UL_THREADID (little-endian); a server sends the option empty, read as `null`. */
  readonly threadId?: number | null;
  /** B_MARS: 0 or 1. */
  readonly mars?: number;
  /** GUID_CONNID, GUID_ActivityID and ActivitySequence: 36 bytes. */
  readonly traceId?: Uint8Array;
  /** B_FEDAUTHREQUIRED. */
  readonly fedAuthRequired?: number;
  /** NONCE: 32 bytes. */
  readonly nonce?: Uint8Array;
  /** Options this package does not know, by token, as they came. */
  readonly other?: ReadonlyMap<number, Uint8Array>;
}

/** The most options a PRELOGIN may list (the known ones and as many unknown). */
const MAX_OPTIONS = 32;

const NAMES: Readonly<Record<number, string>> = {
  [PreloginOption.VERSION]: 'VERSION',
  [PreloginOption.ENCRYPTION]: 'ENCRYPTION',
  [PreloginOption.INSTOPT]: 'INSTOPT',
  [PreloginOption.THREADID]: 'THREADID',
  [PreloginOption.MARS]: 'MARS',
  [PreloginOption.TRACEID]: 'TRACEID',
  [PreloginOption.FEDAUTHREQUIRED]: 'FEDAUTHREQUIRED',
  [PreloginOption.NONCEOPT]: 'NONCEOPT',
};

const optionPath = (token: number) =>
  `PRELOGIN.${NAMES[token] ?? `option 0x${token.toString(16).padStart(2, '0')}`}`;

function sized(token: number, data: Uint8Array, ...allowed: number[]): void {
  if (!allowed.includes(data.length)) {
    throw new TdsError(
      'malformed',
      optionPath(token),
      `${data.length} bytes; expected ${allowed.join(' or ')}`,
    );
  }
}

/** Decode a PRELOGIN payload (see the module comment for what is refused). */
export function decodePrelogin(b: Uint8Array): Prelogin {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const entries: Array<{ token: number; offset: number; length: number }> = [];
  let at = 0;
  for (;;) {
    if (at >= b.length) throw new TdsError('malformed', 'PRELOGIN', 'the option table has no terminator');
    const token = b[at]!;
    if (token === PreloginOption.TERMINATOR) break;
    if (at + 5 > b.length) throw new TdsError('malformed', `PRELOGIN.option[${entries.length}]`, 'truncated');
    if (entries.length === MAX_OPTIONS) {
      throw new TdsError('too-large', 'PRELOGIN', `more than ${MAX_OPTIONS} options`);
    }
    if (entries.some((e) => e.token === token)) {
      throw new TdsError('malformed', optionPath(token), 'given twice');
    }
    entries.push({ token, offset: view.getUint16(at + 1), length: view.getUint16(at + 3) });
    at += 5;
  }
  const dataStart = at + 1;
  if (entries.length === 0 || entries[0]!.token !== PreloginOption.VERSION) {
    throw new TdsError('malformed', 'PRELOGIN.option[0]', 'VERSION must be the first option');
  }
  let end = dataStart;
  const out: {
    -readonly [K in keyof Prelogin]: Prelogin[K];
  } = {};
  const other = new Map<number, Uint8Array>();
  for (const { token, offset, length } of entries) {
    if (offset < dataStart && length > 0) {
      throw new TdsError('malformed', optionPath(token), `offset ${offset} points into the option table`);
    }
    if (offset + length > b.length) {
      throw new TdsError(
        'malformed',
        optionPath(token),
        `${offset}+${length} points past the message (${b.length})`,
      );
    }
    end = Math.max(end, offset + length);
    const data = b.slice(offset, offset + length);
    switch (token) {
      case PreloginOption.VERSION: {
        sized(token, data, 6);
        const v = new DataView(data.buffer);
        out.version = { major: data[0]!, minor: data[1]!, build: v.getUint16(2), subBuild: v.getUint16(4) };
        break;
      }
      case PreloginOption.ENCRYPTION:
        sized(token, data, 1);
        out.encryption = data[0]!;
        break;
      case PreloginOption.INSTOPT:
        if (data.length === 0) throw new TdsError('malformed', optionPath(token), 'empty');
        out.instance = data;
        break;
      case PreloginOption.THREADID:
        sized(token, data, 0, 4);
        out.threadId = data.length === 0 ? null : new DataView(data.buffer).getUint32(0, true);
        break;
      case PreloginOption.MARS:
        sized(token, data, 1);
        if (data[0]! > 1) throw new TdsError('malformed', optionPath(token), `${data[0]} is not 0 or 1`);
        out.mars = data[0]!;
        break;
      case PreloginOption.TRACEID:
        sized(token, data, 36);
        out.traceId = data;
        break;
      case PreloginOption.FEDAUTHREQUIRED:
        sized(token, data, 1);
        out.fedAuthRequired = data[0]!;
        break;
      case PreloginOption.NONCEOPT:
        sized(token, data, 32);
        out.nonce = data;
        break;
      default:
        other.set(token, data);
    }
  }
  if (end !== b.length) {
    throw new TdsError('malformed', 'PRELOGIN', `${b.length - end} bytes after the last option's data`);
  }
  if (other.size > 0) out.other = other;
  return out;
}

/**
 * Encode a PRELOGIN: the options present, VERSION first, then in token
 * order (the order SQL Server and its drivers use), the unknown ones last.
 */
export function encodePrelogin(p: Prelogin): Uint8Array {
  const options: Array<readonly [number, Uint8Array]> = [];
  const v = p.version ?? { major: 0, minor: 0, build: 0, subBuild: 0 };
  const version = new Uint8Array(6);
  const vv = new DataView(version.buffer);
  version[0] = v.major;
  version[1] = v.minor;
  vv.setUint16(2, v.build);
  vv.setUint16(4, v.subBuild);
  options.push([PreloginOption.VERSION, version]);
  if (p.encryption !== undefined) options.push([PreloginOption.ENCRYPTION, Uint8Array.of(p.encryption)]);
  if (p.instance !== undefined) options.push([PreloginOption.INSTOPT, p.instance]);
  if (p.threadId !== undefined) {
    const t = new Uint8Array(p.threadId === null ? 0 : 4);
    if (p.threadId !== null) new DataView(t.buffer).setUint32(0, p.threadId, true);
    options.push([PreloginOption.THREADID, t]);
  }
  if (p.mars !== undefined) options.push([PreloginOption.MARS, Uint8Array.of(p.mars)]);
  if (p.traceId !== undefined) options.push([PreloginOption.TRACEID, p.traceId]);
  if (p.fedAuthRequired !== undefined) {
    options.push([PreloginOption.FEDAUTHREQUIRED, Uint8Array.of(p.fedAuthRequired)]);
  }
  if (p.nonce !== undefined) options.push([PreloginOption.NONCEOPT, p.nonce]);
  for (const [token, data] of [...(p.other ?? [])].sort((x, y) => x[0] - y[0])) options.push([token, data]);

  const tableBytes = options.length * 5 + 1;
  const head = new Uint8Array(tableBytes);
  const view = new DataView(head.buffer);
  let offset = tableBytes;
  options.forEach(([token, data], i) => {
    head[i * 5] = token;
    view.setUint16(i * 5 + 1, offset);
    view.setUint16(i * 5 + 3, data.length);
    offset += data.length;
  });
  if (offset > 0xffff) throw new RangeError(`PRELOGIN: ${offset} bytes is more than 65535`);
  head[tableBytes - 1] = PreloginOption.TERMINATOR;
  return concatBytes([head, ...options.map(([, d]) => d)]);
}

/**
 * The instance name a client's INSTOPT carries: its bytes up to the NUL (MS-TDS 2.2.6.5: a
 * NUL-terminated MBCS string, read here as Latin-1, which any ASCII name is); '' when absent.
 */
export function preloginInstanceName(instance: Uint8Array | undefined): string {
  if (instance === undefined) return '';
  const end = instance.indexOf(0);
  return Buffer.from(end < 0 ? instance : instance.subarray(0, end)).toString('latin1');
}

/**
 * The server's INSTOPT answer (MS-TDS 2.2.6.5): 0x00 when the client named no instance, this
 * server's (`instanceName`; none for a default instance), or MSSQLServer, which SQL Server 2012 and
 * later take as a match whatever their name (footnote <38>: clients send it when given no name),
 * compared without case; else 0x01, a mismatch the client should end the connection on.
 */
export function instanceAnswer(clientName: string, instanceName: string | undefined): 0 | 1 {
  const name = clientName.toUpperCase();
  return name === '' || name === 'MSSQLSERVER' || name === instanceName?.toUpperCase() ? 0 : 1;
}
