/**
 * NDR type serialization version 1 (MS-RPCE 2.2.6), the framing of every
 * NDR-encoded PAC buffer (KERB_VALIDATION_INFO, S4U_DELEGATION_INFO):
 *
 * ```
 * Common Type Header (2.2.6.1), 8 bytes:
 *   Version 0x01 | Endianness 0x10 (little) | CommonHeaderLength 0x0008 | Filler 0xcccccccc
 * Private Header (2.2.6.2), 8 bytes:
 *   ObjectBufferLength (serialized data including its padding) | Filler 0x00000000
 * the top-level type in NDR, padded with zeros to a multiple of 8
 * ```
 *
 * The fillers "SHOULD be ignored" on receipt, and so is alignment padding
 * (C706 14.2.2 leaves its octets unspecified). Windows, MIT, Samba and krbsim
 * write the fillers above and zero padding; Impacket writes 0xcccccccc in the
 * private header and fills padding with 0xab, 0xbf, 0xcc or 0xee. krbsim
 * accepts any fillers and padding and records what is not its own
 * ({@link NdrForm}), so that a decoded buffer re-encodes to its own bytes.
 *
 * Referent IDs (C706 14.3.11): the PAC's pointers are unique pointers whose
 * non-NULL values are arbitrary. Windows numbers them 0x00020000,
 * 0x00020004, ... in the order their referents are written; Samba in the
 * order the pointers are. krbsim writes Windows' numbering and records any
 * other numbering it reads ({@link NdrForm}).
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { NdrReader, type PaddingRecorder } from './reader';
import { isUInt32, type NdrWriter, type PaddingSource } from './writer';

/**
 * How an NDR-encoded value was written where NDR allows more than one
 * encoding of the same value: present on decoded values only when the input
 * differs from the form krbsim writes (Windows' form), so that re-encoding
 * gives the input's bytes. Leave it out when building values. Editing a
 * decoded value can invalidate it; the encoder then ignores the parts that
 * no longer fit (see each field).
 */
export interface NdrForm {
  /**
   * The referent ID of every non-NULL pointer, in the order the referents
   * are written, when not 0x00020000, 0x00020004, ... Used only when it has
   * exactly one entry per non-NULL pointer of the value being encoded.
   */
  readonly referentIds?: readonly number[];
  /**
   * RPC_UNICODE_STRING MaximumLength values that differ from krbsim's rule,
   * by field (`LogonServer`, `S4UTransitedServices[1]`). The rule: Length + 2
   * for KERB_VALIDATION_INFO's LogonServer and LogonDomainName (room for a
   * terminating NUL, as Windows writes them), Length for every other string.
   * An entry smaller than the string's Length is ignored.
   */
  readonly maximumLengths?: Readonly<Record<string, number>>;
  /** RPC_UNICODE_STRING fields written as a NULL pointer (an empty string; Windows writes a non-NULL, empty buffer). */
  readonly nullStrings?: readonly string[];
  /**
   * The Filler of the common type header (MS-RPCE 2.2.6.1) and of the
   * private header (2.2.6.2), when not 0xcccccccc and 0.
   */
  readonly headerFillers?: readonly [common: number, privateHeader: number];
  /**
   * Alignment padding that is not zeros, in stream order. Used where the
   * padding at `offset` has `bytes.length` bytes; other padding is zeros.
   */
  readonly padding?: readonly NdrPadding[];
}

/** Alignment padding of an NDR stream that was not zeros ({@link NdrForm.padding}). */
export interface NdrPadding {
  /** Where the padding starts, counted from the first byte of the common type header. */
  readonly offset: number;
  /** The padding's bytes (1 to 7). */
  readonly bytes: Uint8Array;
}

/** Version 1, little-endian, CommonHeaderLength 8 (MS-RPCE 2.2.6.1). */
const COMMON_HEADER = [0x01, 0x10, 0x08, 0x00] as const;

/** The fillers krbsim writes, and records no others than (MS-RPCE 2.2.6.1, 2.2.6.2). */
const COMMON_FILLER = 0xcccccccc;
const PRIVATE_FILLER = 0;

/** The first referent ID of a type-serialized stream and the step between IDs. */
const FIRST_REFERENT = 0x00020000;

/** Collects the {@link NdrForm} of a value while it is decoded. */
export class FormCollector implements PaddingRecorder {
  private maximumLengths: Record<string, number> | undefined;
  private nullStrings: string[] | undefined;
  private headerFillers: [number, number] | undefined;
  private padding: NdrPadding[] | undefined;

  /** Records a MaximumLength that differs from the canonical one. */
  maximumLength(field: string, value: number): void {
    if (this.maximumLengths === undefined) this.maximumLengths = {};
    this.maximumLengths[field] = value;
  }

  nullString(field: string): void {
    if (this.nullStrings === undefined) this.nullStrings = [];
    this.nullStrings.push(field);
  }

  /** Records the headers' fillers, unless they are krbsim's. */
  fillers(common: number, priv: number): void {
    if (common !== COMMON_FILLER || priv !== PRIVATE_FILLER) this.headerFillers = [common, priv];
  }

  /** Records alignment padding that is not zeros. */
  pad(offset: number, bytes: Uint8Array): void {
    if (this.padding === undefined) this.padding = [];
    this.padding.push({ offset, bytes });
  }

  /** The form, or undefined when everything was written the canonical way. */
  build(refs: ReferentReader): NdrForm | undefined {
    const referentIds = refs.result();
    if (
      referentIds === undefined &&
      this.maximumLengths === undefined &&
      this.nullStrings === undefined &&
      this.headerFillers === undefined &&
      this.padding === undefined
    ) {
      return undefined;
    }
    return {
      ...(referentIds !== undefined && { referentIds }),
      ...(this.maximumLengths !== undefined && { maximumLengths: this.maximumLengths }),
      ...(this.nullStrings !== undefined && { nullStrings: this.nullStrings }),
      ...(this.headerFillers !== undefined && { headerFillers: this.headerFillers }),
      ...(this.padding !== undefined && { padding: this.padding }),
    };
  }
}

/**
 * Decodes one type-serialized top-level value, the type `name`, filling
 * `b[start..end)` exactly: the headers, the value (`body`), then padding to a
 * multiple of 8. `body` reads the value; the form it and the framing record
 * is set on the value as `ndrForm`. Errors carry paths below `name` and
 * absolute offsets.
 */
export function readTypeSerialization<T extends { ndrForm?: NdrForm }>(
  b: Uint8Array,
  start: number,
  end: number,
  name: string,
  body: (r: NdrReader, refs: ReferentReader, form: FormCollector) => T,
): T {
  try {
    return readSerialized(b, start, end, body);
  } catch (e) {
    throw withPath(e, name);
  }
}

function readSerialized<T extends { ndrForm?: NdrForm }>(
  b: Uint8Array,
  start: number,
  end: number,
  body: (r: NdrReader, refs: ReferentReader, form: FormCollector) => T,
): T {
  const len = end - start;
  if (len < 16) {
    throw new PacError(`type serialization headers take 16 bytes, got ${len}`, { offset: start });
  }
  const names = ['Version', 'Endianness', 'CommonHeaderLength', 'CommonHeaderLength'];
  for (let i = 0; i < 4; i++) {
    if (b[start + i] !== COMMON_HEADER[i]) {
      throw new PacError(
        `common type header (MS-RPCE 2.2.6.1) must start 01 10 08 00 (version 1, little-endian), got ${hex(b.subarray(start, start + 4))}`,
        { path: `CommonHeader.${names[i]!}`, offset: start + i },
      );
    }
  }
  const form = new FormCollector();
  const r = new NdrReader(b, start + 4, end, start, form);
  const commonFiller = r.u32le();
  const objectLength = r.u32le();
  if (objectLength !== len - 16) {
    throw new PacError(
      `ObjectBufferLength ${objectLength} does not match the ${len - 16} bytes after the headers`,
      {
        path: 'PrivateHeader.ObjectBufferLength',
        offset: start + 8,
      },
    );
  }
  if (objectLength % 8 !== 0) {
    throw new PacError(`ObjectBufferLength ${objectLength} is not a multiple of 8 (MS-RPCE 2.2.6.2)`, {
      path: 'PrivateHeader.ObjectBufferLength',
      offset: start + 8,
    });
  }
  form.fillers(commonFiller, r.u32le());
  const refs = new ReferentReader();
  const value = body(r, refs, form);
  r.align(8);
  if (r.pos !== end) {
    throw new PacError(`${end - r.pos} bytes after the serialized value`, { offset: r.pos });
  }
  const ndrForm = form.build(refs);
  if (ndrForm !== undefined) value.ndrForm = ndrForm;
  return value;
}

/**
 * Writes the type serialization headers, the value (`body`) and the
 * padding, with the fillers and padding `form` records.
 */
export function writeTypeSerialization(
  w: NdrWriter,
  form: NdrForm | undefined,
  body: (w: NdrWriter) => void,
): void {
  const start = w.pos;
  const [commonFiller, privateFiller] = checkFillers(form?.headerFillers);
  for (const c of COMMON_HEADER) w.u8(c);
  w.u32le(commonFiller);
  const lengthAt = w.pos;
  w.u32le(0);
  w.u32le(privateFiller);
  w.padding = paddingAt(form?.padding, start);
  try {
    body(w);
    w.align(8);
  } finally {
    w.padding = undefined;
  }
  w.put32(lengthAt, w.pos - start - 16);
}

function checkFillers(f: NdrForm['headerFillers']): readonly [number, number] {
  if (f === undefined) return [COMMON_FILLER, PRIVATE_FILLER];
  if (!Array.isArray(f) || f.length !== 2 || !isUInt32(f[0]) || !isUInt32(f[1])) {
    throw new PacError('expected two unsigned 32-bit integers', { path: 'ndrForm.headerFillers' });
  }
  return f as readonly [number, number];
}

/** The recorded padding as the writer looks it up: by absolute offset. */
function paddingAt(list: NdrForm['padding'], start: number): PaddingSource | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new PacError('expected an array', { path: 'ndrForm.padding' });
  const byOffset = new Map<number, Uint8Array>();
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as NdrPadding | undefined;
    if (
      p === null ||
      typeof p !== 'object' ||
      !Number.isInteger(p.offset) ||
      p.offset < 0 ||
      !(p.bytes instanceof Uint8Array) ||
      p.bytes.length === 0 ||
      p.bytes.length > 7
    ) {
      throw new PacError('expected { offset, bytes } with a non-negative offset and 1 to 7 bytes', {
        path: `ndrForm.padding[${i}]`,
      });
    }
    byOffset.set(start + p.offset, p.bytes);
  }
  return byOffset;
}

/** Checks the referent IDs of the value being decoded against Windows' numbering. */
export class ReferentReader {
  private readonly seen: number[] = [];
  private canonical = true;

  /** Records the referent ID of the pointee about to be read. */
  take(ref: number): void {
    if (ref !== FIRST_REFERENT + 4 * this.seen.length) this.canonical = false;
    this.seen.push(ref);
  }

  /** The IDs, when they are not Windows' numbering. */
  result(): readonly number[] | undefined {
    return this.canonical ? undefined : this.seen;
  }
}

/** Hands out referent IDs as pointees are written: Windows' numbering, or the recorded IDs. */
export class ReferentWriter {
  private k = 0;
  private readonly ids: readonly number[] | undefined;

  /** @param recorded IDs from an {@link NdrForm}, used when there are exactly `count` of them */
  constructor(recorded: readonly number[] | undefined, count: number) {
    if (recorded !== undefined && recorded.length === count) {
      for (const id of recorded) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id > 0xffffffff) {
          throw new PacError(`a referent ID must be a non-zero unsigned 32-bit integer, got ${String(id)}`, {
            path: 'ndrForm.referentIds',
          });
        }
      }
      this.ids = recorded;
    } else {
      this.ids = undefined;
    }
  }

  next(): number {
    const k = this.k++;
    return this.ids === undefined ? FIRST_REFERENT + 4 * k : this.ids[k]!;
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
