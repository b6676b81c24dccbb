/**
 * The two NDR building blocks the PAC's structures share:
 *
 * - RPC_UNICODE_STRING (MS-DTYP 2.3.10): `Length`, `MaximumLength` (bytes)
 *   and a unique pointer to `[size_is(MaximumLength/2),
 *   length_is(Length/2)] WCHAR*`, a conformant varying array written after
 *   the enclosing structure as MaxCount, Offset (0), ActualCount and the
 *   code units;
 * - RPC_SID (MS-DTYP 2.4.2.3): a conformant structure, so the conformance
 *   (MaxCount = SubAuthorityCount) comes first, then Revision,
 *   SubAuthorityCount, the 6-byte IdentifierAuthority and the
 *   sub-authorities.
 *
 * Strings are read in two steps, as NDR lays them out: the header inside
 * the structure, the characters later with the other deferred referents.
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { MAX_SUB_AUTHORITIES, readAuthority, type Sid, sidLength, writeSid } from '../sid';
import type { NdrReader } from './reader';
import type { FormCollector, NdrForm, ReferentReader, ReferentWriter } from './serialization';
import { checkString, type NdrWriter } from './writer';

/** An RPC_UNICODE_STRING whose header has been read and whose characters come later. */
export interface PendingString {
  readonly field: string;
  readonly length: number;
  readonly maximumLength: number;
  readonly ptr: number;
}

/** Reads an RPC_UNICODE_STRING header (Length, MaximumLength, Buffer pointer). */
export function readStringHeader(r: NdrReader, field: string): PendingString {
  let at = '.Length';
  try {
    r.align(4); // the structure holds a pointer: 4-byte alignment
    const length = r.u16();
    at = '.MaximumLength';
    const maximumLength = r.u16();
    at = '.Buffer';
    const ptr = r.u32();
    at = '';
    if (length % 2 !== 0 || maximumLength % 2 !== 0) {
      throw r.error(`Length ${length} and MaximumLength ${maximumLength} must be even (UTF-16 code units)`);
    }
    if (length > maximumLength) {
      throw r.error(`Length ${length} is greater than MaximumLength ${maximumLength}`);
    }
    if (ptr === 0 && maximumLength !== 0) {
      throw r.error(`a NULL Buffer with MaximumLength ${maximumLength}`);
    }
    return { field, length, maximumLength, ptr };
  } catch (e) {
    throw withPath(e, `.${field}${at}`);
  }
}

/**
 * Reads the deferred characters of `s` (nothing for a NULL pointer):
 * MaxCount = MaximumLength/2, Offset = 0, ActualCount = Length/2, then the
 * code units. `canonicalMax` is the MaximumLength krbsim would write;
 * another one is recorded in `form`.
 */
export function readStringBody(
  r: NdrReader,
  s: PendingString,
  refs: ReferentReader,
  form: FormCollector,
  canonicalExtra: number,
): string {
  if (s.ptr === 0) {
    form.nullString(s.field);
    return '';
  }
  let at = '.Buffer';
  try {
    refs.take(s.ptr);
    at = '.Buffer.MaxCount';
    const maxCount = r.u32();
    if (maxCount !== s.maximumLength / 2) {
      throw r.error(`MaxCount ${maxCount} does not match MaximumLength ${s.maximumLength}`);
    }
    at = '.Buffer.Offset';
    const offset = r.u32();
    if (offset !== 0) throw r.error(`Offset must be 0, got ${offset}`);
    at = '.Buffer.ActualCount';
    const actual = r.u32();
    if (actual !== s.length / 2) throw r.error(`ActualCount ${actual} does not match Length ${s.length}`);
    at = '.Buffer';
    const value = r.utf16(actual);
    if (s.maximumLength !== s.length + canonicalExtra) form.maximumLength(s.field, s.maximumLength);
    return value;
  } catch (e) {
    throw withPath(e, `.${s.field}${at}`);
  }
}

/** What {@link writeStringHeader} leaves for {@link writeStringBody}. */
export interface StringSlot {
  readonly value: string;
  /** Where the pointer placeholder is, or -1 for a NULL pointer. */
  readonly ptrAt: number;
  readonly maximumLength: number;
}

/** The largest string an RPC_UNICODE_STRING holds: Length is a 16-bit byte count. */
const MAX_UNITS = 0x7fff;

/** Writes an RPC_UNICODE_STRING header with a pointer placeholder. */
export function writeStringHeader(
  w: NdrWriter,
  value: string,
  field: string,
  canonicalExtra: number,
  form: NdrForm | undefined,
): StringSlot {
  checkString(value, MAX_UNITS - (canonicalExtra >> 1), field);
  const length = 2 * value.length;
  w.align(4);
  if (length === 0 && form?.nullStrings?.includes(field)) {
    w.u16(0);
    w.u16(0);
    w.u32(0);
    return { value, ptrAt: -1, maximumLength: 0 };
  }
  let maximumLength = length + canonicalExtra;
  const recorded = form?.maximumLengths?.[field];
  if (recorded !== undefined) {
    if (
      typeof recorded !== 'number' ||
      !Number.isInteger(recorded) ||
      recorded % 2 !== 0 ||
      recorded > 0xfffe
    ) {
      throw new PacError(`must be an even 16-bit number, got ${String(recorded)}`, {
        path: `ndrForm.maximumLengths.${field}`,
      });
    }
    if (recorded >= length) maximumLength = recorded;
  }
  w.u16(length);
  w.u16(maximumLength);
  w.align(4);
  const ptrAt = w.pos;
  w.u32le(0);
  return { value, ptrAt, maximumLength };
}

/** Writes the deferred characters of a string header written earlier, patching its pointer. */
export function writeStringBody(w: NdrWriter, slot: StringSlot, refs: ReferentWriter): void {
  if (slot.ptrAt < 0) return;
  w.put32(slot.ptrAt, refs.next());
  w.u32(slot.maximumLength / 2);
  w.u32(0);
  w.u32(slot.value.length);
  w.utf16(slot.value);
}

/** True if a {@link StringSlot} has a non-NULL pointer: it counts as one referent. */
export function stringPointers(value: string, field: string, form: NdrForm | undefined): number {
  return value.length === 0 && form?.nullStrings?.includes(field) ? 0 : 1;
}

/** Reads an RPC_SID referent: MaxCount, Revision, SubAuthorityCount, IdentifierAuthority, SubAuthority[]. */
export function readRpcSid(r: NdrReader): Sid {
  let at = '.MaxCount';
  try {
    const maxCount = r.u32();
    at = '.Revision';
    const revision = r.u8();
    if (revision !== 1) throw r.error(`Revision must be 1, got ${revision}`);
    at = '.SubAuthorityCount';
    const count = r.u8();
    if (count > MAX_SUB_AUTHORITIES) {
      throw r.error(`SubAuthorityCount must be at most ${MAX_SUB_AUTHORITIES}, got ${count}`);
    }
    if (count !== maxCount) throw r.error(`SubAuthorityCount ${count} does not match MaxCount ${maxCount}`);
    at = '.IdentifierAuthority';
    r.need(6);
    const identifierAuthority = readAuthority(r.b, r.pos);
    r.pos += 6;
    at = '.SubAuthority';
    r.need(4 * count);
    const subAuthority: number[] = [];
    for (let i = 0; i < count; i++) subAuthority.push(r.u32le());
    return { identifierAuthority, subAuthority };
  } catch (e) {
    throw withPath(e, at);
  }
}

/** Writes an RPC_SID referent: the conformance, then the SID's packed form (MS-DTYP 2.4.2.2) in place. */
export function writeRpcSid(w: NdrWriter, sid: Sid): void {
  w.u32(sid.subAuthority.length);
  w.put(sidLength(sid), writeSid, sid);
}
