/**
 * PACTYPE and PAC_INFO_BUFFER: MS-PAC 2.3 and 2.4, the PAC's header and
 * directory, and the codec of a whole PAC.
 *
 * ```
 * typedef struct _PACTYPE {
 *   ULONG cBuffers;
 *   ULONG Version;                  // MUST be 0
 *   PAC_INFO_BUFFER Buffers[1];     // cBuffers entries
 * } PACTYPE;
 *
 * typedef struct _PAC_INFO_BUFFER {
 *   ULONG ulType;                   // PacBufferType
 *   ULONG cbBufferSize;
 *   ULONG64 Offset;                 // from the start of the PAC; a multiple of 8
 * } PAC_INFO_BUFFER;
 * ```
 *
 * "All PAC elements MUST be placed on an 8-byte boundary" (2.3). Windows,
 * MIT and Heimdal all lay a PAC out the same way: the buffers in directory
 * order, each starting at the first 8-byte boundary after the previous one,
 * zero padding between them and after the last up to a multiple of 8. That
 * is the only layout krbsim writes and the only one it reads, so a decoded
 * PAC re-encodes to its own bytes.
 *
 * Buffer types krbsim knows are decoded into typed values; the others
 * (credentials, claims, device info, and anything unknown) are kept as
 * bytes and written back unchanged.
 *
 * @module
 */

import {
  type PacAttributesInfo,
  type PacRequestor,
  readPacAttributesInfo,
  readPacRequestor,
  writePacAttributesInfo,
  writePacRequestor,
} from './buffers/attributes';
import { type PacClientInfo, readPacClientInfo, writePacClientInfo } from './buffers/client-info';
import {
  readS4uDelegationInfo,
  type S4uDelegationInfo,
  writeS4uDelegationInfo,
} from './buffers/delegation-info';
import {
  type KerbValidationInfo,
  readKerbValidationInfo,
  writeKerbValidationInfo,
} from './buffers/logon-info';
import { type PacSignatureData, readPacSignatureData, writePacSignatureData } from './buffers/signature';
import { readUpnDnsInfo, type UpnDnsInfo, writeUpnDnsInfo } from './buffers/upn-dns-info';
import { PacError, withPath } from './errors';
import { PAC_BUFFER_TYPE_NAMES, PacBufferType } from './iana/buffer-type';
import { u32At } from './ndr/reader';
import { acquireWriter, type NdrWriter, releaseWriter } from './ndr/writer';

/** The typed value of each buffer type krbsim decodes. */
export interface PacBufferValues {
  1: KerbValidationInfo;
  6: PacSignatureData;
  7: PacSignatureData;
  10: PacClientInfo;
  11: S4uDelegationInfo;
  12: UpnDnsInfo;
  16: PacSignatureData;
  17: PacAttributesInfo;
  18: PacRequestor;
  19: PacSignatureData;
}

/** A buffer type krbsim decodes into a typed value. */
export type DecodedPacBufferType = keyof PacBufferValues;

/** A buffer with its typed value: `{ type: 1, value: KerbValidationInfo }`, ... */
export type KnownPacBuffer = {
  [T in DecodedPacBufferType]: { readonly type: T; readonly value: PacBufferValues[T] };
}[DecodedPacBufferType];

/**
 * A buffer kept as bytes: every type krbsim does not decode (credentials,
 * claims, device info, unknown types). A buffer of a decoded type may also
 * be given this way, to write bytes as they are.
 */
export interface RawPacBuffer {
  readonly type: number;
  readonly data: Uint8Array;
}

/** One PAC_INFO_BUFFER and its contents. */
export type PacBuffer = KnownPacBuffer | RawPacBuffer;

/**
 * A PAC (PACTYPE, MS-PAC 2.3): its buffers in directory order. Version is
 * always 0 and not stored.
 */
export interface Pac {
  readonly buffers: readonly PacBuffer[];
}

/** Options for {@link decodePac}. */
export interface DecodePacOptions {
  /** Refuse a PAC longer than this many bytes; default {@link DEFAULT_MAX_PAC_BYTES}. */
  readonly maxBytes?: number;
}

/** The default input limit of {@link decodePac}: 1 MiB, far above the largest Windows PAC (MaxTokenSize is 48 KiB). */
export const DEFAULT_MAX_PAC_BYTES = 1 << 20;

interface BufferCodec {
  read(b: Uint8Array, start: number, end: number): unknown;
  write(w: NdrWriter, v: unknown): void;
}

function signatureCodec(name: string): BufferCodec {
  return {
    read: (b, s, e) => readPacSignatureData(b, s, e, name),
    write: (w, v) => writePacSignatureData(w, v as PacSignatureData, name),
  };
}

const CODECS: ReadonlyMap<number, BufferCodec> = new Map<number, BufferCodec>([
  [
    PacBufferType.LOGON_INFO,
    { read: readKerbValidationInfo, write: (w, v) => writeKerbValidationInfo(w, v as KerbValidationInfo) },
  ],
  [PacBufferType.SERVER_CHECKSUM, signatureCodec('PAC_SIGNATURE_DATA(server)')],
  [PacBufferType.PRIVSVR_CHECKSUM, signatureCodec('PAC_SIGNATURE_DATA(kdc)')],
  [
    PacBufferType.CLIENT_INFO,
    { read: readPacClientInfo, write: (w, v) => writePacClientInfo(w, v as PacClientInfo) },
  ],
  [
    PacBufferType.DELEGATION_INFO,
    { read: readS4uDelegationInfo, write: (w, v) => writeS4uDelegationInfo(w, v as S4uDelegationInfo) },
  ],
  [
    PacBufferType.UPN_DNS_INFO,
    { read: readUpnDnsInfo, write: (w, v) => writeUpnDnsInfo(w, v as UpnDnsInfo) },
  ],
  [PacBufferType.TICKET_CHECKSUM, signatureCodec('PAC_SIGNATURE_DATA(ticket)')],
  [
    PacBufferType.ATTRIBUTES_INFO,
    { read: readPacAttributesInfo, write: (w, v) => writePacAttributesInfo(w, v as PacAttributesInfo) },
  ],
  [
    PacBufferType.REQUESTOR,
    { read: readPacRequestor, write: (w, v) => writePacRequestor(w, v as PacRequestor) },
  ],
  [PacBufferType.FULL_CHECKSUM, signatureCodec('PAC_SIGNATURE_DATA(full)')],
]);

/** True for the buffer types krbsim decodes into typed values. */
export function isDecodedPacBufferType(type: number): type is DecodedPacBufferType {
  return CODECS.has(type);
}

/** One PAC_INFO_BUFFER as found in a PAC's bytes. */
export interface PacDirectoryEntry {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * A buffer of a parsed PAC: its directory entry, and its bytes as a view
 * into the parsed input, made when `data` is first read (a PAC of seven
 * buffers costs seven small objects, not seven typed arrays: MIT's
 * `krb5_pac_parse` makes no per-buffer copy either). Being a getter, `data`
 * is not copied by `{ ...b }`: copy a buffer as `{ type: b.type, data: b.data }`.
 */
class ParsedPacBuffer implements RawPacBuffer, PacDirectoryEntry {
  // Performance: `declare`d and set in the constructor only. A class field
  // (or a parameter property, under ES2022 class fields) is first defined as
  // undefined and then assigned: twice the stores for an object that parsing
  // makes once per buffer.
  declare readonly type: number;
  declare readonly offset: number;
  declare readonly size: number;
  readonly #pac: Uint8Array;
  #data: Uint8Array | undefined;

  constructor(pac: Uint8Array, type: number, offset: number, size: number) {
    this.type = type;
    this.offset = offset;
    this.size = size;
    this.#pac = pac;
  }

  get data(): Uint8Array {
    if (this.#data === undefined) this.#data = this.#pac.subarray(this.offset, this.offset + this.size);
    return this.#data;
  }

  /** What `console.log` and `util.inspect` show: the buffer as `{ type, data }`. */
  [Symbol.for('nodejs.util.inspect.custom')](): RawPacBuffer {
    return { type: this.type, data: this.data };
  }
}

const align8 = (n: number) => (n + 7) & ~7;

/** The offset of the first non-zero byte of `b[from..to)`, or -1. */
function firstNonZero(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] !== 0) return i;
  return -1;
}

/**
 * Reads and checks a PAC's header and directory (MS-PAC 2.3, 2.4): version
 * 0, the directory inside the input, every buffer on its 8-byte boundary in
 * directory order, zero padding, nothing after the last buffer's padding.
 * Allocates one {@link ParsedPacBuffer} per directory entry actually
 * present in the input.
 */
function readPacDirectory(b: Uint8Array, options?: DecodePacOptions): ParsedPacBuffer[] {
  if (!(b instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path: 'PACTYPE' });
  const max = options?.maxBytes ?? DEFAULT_MAX_PAC_BYTES;
  if (b.length > max)
    throw new PacError(`${b.length} bytes is more than maxBytes ${max}`, { path: 'PACTYPE' });
  if (b.length < 8)
    throw new PacError(`the header takes 8 bytes, got ${b.length}`, { path: 'PACTYPE', offset: 0 });
  const count = u32At(b, 0);
  // Checked before anything is allocated for `count` buffers.
  if (count > (b.length - 8) / 16) {
    throw new PacError(`${count} buffers need ${8 + 16 * count} bytes of header, the PAC has ${b.length}`, {
      path: 'PACTYPE.cBuffers',
      offset: 0,
    });
  }
  const version = u32At(b, 4);
  if (version !== 0) throw new PacError(`must be 0, got ${version}`, { path: 'PACTYPE.Version', offset: 4 });
  // Sized once: `count` is checked against the input above. Performance:
  // parsing allocates only this array and one object per buffer.
  const entries = new Array<ParsedPacBuffer>(count);
  let expected = 8 + 16 * count; // already a multiple of 8
  for (let i = 0; i < count; i++) {
    const at = 8 + 16 * i;
    const type = u32At(b, at);
    const size = u32At(b, at + 4);
    const offLo = u32At(b, at + 8);
    // The offset is 64 bits, its high half zero; `expected` is a multiple of
    // 8, so equality checks the alignment too.
    if ((b[at + 12]! | b[at + 13]! | b[at + 14]! | b[at + 15]!) !== 0 || offLo !== expected) {
      const offHi = u32At(b, at + 12);
      const off = offHi === 0 ? `${offLo}` : `0x${offHi.toString(16)}${offLo.toString(16).padStart(8, '0')}`;
      throw new PacError(
        `expected ${expected} (buffers follow the directory in order, each on the next 8-byte boundary), got ${off}`,
        { path: `PACTYPE.Buffers[${i}].Offset`, offset: at + 8 },
      );
    }
    if (size > b.length - offLo) {
      throw new PacError(`${size} bytes at offset ${offLo} run past the ${b.length}-byte PAC`, {
        path: `PACTYPE.Buffers[${i}].cbBufferSize`,
        offset: at + 4,
      });
    }
    entries[i] = new ParsedPacBuffer(b, type, offLo, size);
    const end = offLo + size;
    expected = align8(end);
    const nonZero = firstNonZero(b, end, Math.min(expected, b.length));
    if (nonZero >= 0) {
      throw new PacError(`padding must be zero, got 0x${b[nonZero]!.toString(16).padStart(2, '0')}`, {
        path: `PACTYPE.Buffers[${i}].padding`,
        offset: nonZero,
      });
    }
  }
  if (b.length !== expected) {
    throw new PacError(
      b.length < expected
        ? `the last buffer's padding is missing: the PAC should end at ${expected}, it has ${b.length} bytes`
        : `${b.length - expected} bytes after the last buffer`,
      { path: 'PACTYPE', offset: Math.min(expected, b.length) },
    );
  }
  return entries;
}

/**
 * Decodes a PAC (the ad-data of an AD-WIN2K-PAC element): the header, the
 * directory and every buffer krbsim knows, strictly (see the module
 * comment); other buffers are kept as bytes.
 *
 * @throws PacError with a path such as
 *   `PACTYPE.Buffers[0].KERB_VALIDATION_INFO.GroupIds[3].Attributes`.
 */
export function decodePac(bytes: Uint8Array, options?: DecodePacOptions): Pac {
  const entries = readPacDirectory(bytes, options);
  const buffers: PacBuffer[] = [];
  for (let i = 0; i < entries.length; i++) {
    const { type, offset, size } = entries[i]!;
    const codec = CODECS.get(type);
    if (codec === undefined) {
      buffers.push({ type, data: bytes.slice(offset, offset + size) });
      continue;
    }
    try {
      buffers.push({ type, value: codec.read(bytes, offset, offset + size) } as KnownPacBuffer);
    } catch (e) {
      throw withPath(e, `PACTYPE.Buffers[${i}]`);
    }
  }
  return { buffers };
}

/**
 * Parses a PAC as MIT's `krb5_pac_parse` does: the header and the
 * directory, checked as {@link decodePac} checks them, and every buffer,
 * of whatever type, kept as bytes: `{ type, data }`, `data` a view into
 * `bytes` made when first read (as `@krbsim/asn1`'s OCTET STRINGs are views
 * into their input: copy the input first if you will change it; and `data`
 * being a getter, copy a buffer as `{ type: b.type, data: b.data }`, not
 * with a spread). {@link getPacBuffer}
 * decodes the buffer it is asked for;
 * {@link encodePac} and `signPac` write the buffers back as they are, so
 * re-signing a parsed PAC costs no NDR at all.
 *
 * @throws PacError for a malformed header or directory.
 */
export function parsePac(bytes: Uint8Array, options?: DecodePacOptions): Pac {
  // Each parsed buffer is its own directory entry (see parsePacWithDirectory).
  return { buffers: readPacDirectory(bytes, options) };
}

/** A parsed PAC and its directory as found in the input. */
export interface ParsedPac {
  readonly pac: Pac;
  readonly entries: readonly PacDirectoryEntry[];
}

/** {@link parsePac}, also returning the directory (the verifying code finds the signatures by it). */
export function parsePacWithDirectory(bytes: Uint8Array, options?: DecodePacOptions): ParsedPac {
  // Each parsed buffer is its own directory entry.
  const entries = readPacDirectory(bytes, options);
  return { pac: { buffers: entries }, entries };
}

/**
 * Writes `pac` into `w`, which must be at position 0, and returns where
 * each buffer landed (the signing code checksums and patches the bytes in
 * place before copying them out).
 */
export function writePac(w: NdrWriter, pac: Pac): PacDirectoryEntry[] {
  if (pac === null || typeof pac !== 'object' || !Array.isArray(pac.buffers)) {
    throw new PacError('expected a Pac object with a buffers array', { path: 'PACTYPE' });
  }
  const list = pac.buffers;
  w.zeros(8 + 16 * list.length);
  const entries: PacDirectoryEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const buf = list[i]!;
    w.align(8);
    const offset = w.pos;
    try {
      const type = buf?.type;
      if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffffffff) {
        throw new PacError(`ulType must be an unsigned 32-bit integer, got ${String(type)}`);
      }
      if ('data' in buf) {
        if (!(buf.data instanceof Uint8Array)) throw new PacError('data must be a Uint8Array');
        w.bytes(buf.data);
      } else {
        if (!('value' in buf)) {
          throw new PacError(
            "a buffer needs a value or data (the data of a parsed PAC's buffer is a getter, which a spread does not copy)",
          );
        }
        const codec = CODECS.get(type);
        if (codec === undefined) {
          throw new PacError(`krbsim has no codec for buffer type ${type}: give its bytes as { type, data }`);
        }
        codec.write(w, (buf as KnownPacBuffer).value);
      }
      entries.push({ type, offset, size: w.pos - offset });
    } catch (e) {
      throw withPath(e, `PACTYPE.Buffers[${i}]`);
    }
  }
  w.align(8);
  w.put32(0, list.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = 8 + 16 * i;
    w.put32(at, e.type);
    w.put32(at + 4, e.size);
    w.put32(at + 8, e.offset);
  }
  return entries;
}

/**
 * Encodes a PAC: the header, the directory, and each buffer on its 8-byte
 * boundary with zero padding (MS-PAC 2.3), as Windows and MIT lay it out.
 * Signature buffers are written as given; `signPac` computes them.
 *
 * The result is a view into a slab it shares with other outputs, as
 * `@krbsim/asn1`'s encodings are: `slice()` it for a buffer of your own.
 *
 * @throws PacError naming the buffer and field of a value out of range.
 */
export function encodePac(pac: Pac): Uint8Array {
  const w = acquireWriter();
  try {
    writePac(w, pac);
    return w.finish();
  } finally {
    releaseWriter(w);
  }
}

/**
 * `pac` with the buffer of `type` replaced by one holding `f` of its value
 * (decoded by {@link getPacBuffer} when the buffer is bytes), in the same
 * place; `pac` itself when it has no such buffer.
 *
 * @throws PacError as {@link getPacBuffer} does.
 */
export function updatePacBuffer<T extends DecodedPacBufferType>(
  pac: Pac,
  type: T,
  f: (value: PacBufferValues[T]) => PacBufferValues[T],
): Pac {
  const old = getPacBuffer(pac, type);
  if (old === undefined) return pac;
  const buffer = { type, value: f(old) } as KnownPacBuffer;
  return { buffers: pac.buffers.map((b) => (b.type === type ? buffer : b)) };
}

/**
 * The value of the buffer of `type` in `pac`, or undefined when there is
 * none. A buffer given as bytes (every buffer of a parsed PAC) is decoded,
 * strictly, on each call.
 *
 * @throws PacError if the PAC has more than one buffer of `type` (MS-PAC
 *   says to ignore the later ones; MIT refuses such a PAC, and so does
 *   krbsim, so that no two readers can disagree on which one counts), or
 *   if the buffer, given as bytes, does not decode (the path starts at
 *   `PACTYPE.Buffers[i]`; the offset is within the buffer).
 */
export function getPacBuffer<T extends DecodedPacBufferType>(
  pac: Pac,
  type: T,
): PacBufferValues[T] | undefined {
  let found: PacBuffer | undefined;
  let index = -1;
  for (let i = 0; i < pac.buffers.length; i++) {
    const b = pac.buffers[i]!;
    if (b.type !== type) continue;
    if (found !== undefined) {
      throw new PacError(
        `the PAC has more than one buffer of type ${type} (${PAC_BUFFER_TYPE_NAMES[type] ?? type})`,
        {
          path: 'PACTYPE',
        },
      );
    }
    found = b;
    index = i;
  }
  if (found === undefined) return undefined;
  if ('value' in found) return found.value as PacBufferValues[T];
  try {
    return CODECS.get(type)!.read(found.data, 0, found.data.length) as PacBufferValues[T];
  } catch (e) {
    throw withPath(e, `PACTYPE.Buffers[${index}]`);
  }
}
