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
 * The fillers "SHOULD be ignored" on receipt; krbsim accepts only the values
 * the spec says to write, as every implementation writes them, so that a
 * decoded buffer re-encodes to its own bytes.
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
import { NdrReader } from './reader';
import type { NdrWriter } from './writer';

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
}

const COMMON_HEADER = [0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc] as const;

/** The first referent ID of a type-serialized stream and the step between IDs. */
const FIRST_REFERENT = 0x00020000;

/**
 * Decodes one type-serialized top-level value filling `b[start..end)`
 * exactly: the headers, the value (`body`), then zero padding to a multiple
 * of 8.
 */
export function readTypeSerialization<T>(
  b: Uint8Array,
  start: number,
  end: number,
  body: (r: NdrReader) => T,
): T {
  const len = end - start;
  if (len < 16) {
    throw new PacError(`type serialization headers take 16 bytes, got ${len}`, { offset: start });
  }
  const names = ['Version', 'Endianness', 'CommonHeaderLength', 'CommonHeaderLength', 'Filler'];
  for (let i = 0; i < 8; i++) {
    if (b[start + i] !== COMMON_HEADER[i]) {
      const what = names[Math.min(i, 4)]!;
      throw new PacError(
        `common type header (MS-RPCE 2.2.6.1) must be 01 10 08 00 cc cc cc cc, got ${hex(b.subarray(start, start + 8))}`,
        { path: `CommonHeader.${what}`, offset: start + i },
      );
    }
  }
  const r = new NdrReader(b, start + 8, end, start);
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
  if (r.u32le() !== 0) {
    throw new PacError('the private header Filler must be 0', {
      path: 'PrivateHeader.Filler',
      offset: start + 12,
    });
  }
  const value = body(r);
  try {
    r.align(8);
  } catch (e) {
    throw withPath(e, 'padding');
  }
  if (r.pos !== end) {
    throw new PacError(`${end - r.pos} bytes after the serialized value`, { offset: r.pos });
  }
  return value;
}

/** Writes the type serialization headers, the value (`body`) and the padding. */
export function writeTypeSerialization(w: NdrWriter, body: (w: NdrWriter) => void): void {
  const start = w.pos;
  for (const c of COMMON_HEADER) w.u8(c);
  const lengthAt = w.pos;
  w.u32le(0);
  w.u32le(0);
  body(w);
  w.align(8);
  w.put32(lengthAt, w.pos - start - 16);
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
