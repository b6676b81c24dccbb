/**
 * S4U_DELEGATION_INFO: MS-PAC 2.9, constrained delegation information (PAC
 * buffer type 11), which the KDC adds to a ticket obtained with S4U2proxy
 * (MS-SFU). NDR-encoded with type serialization version 1, like
 * KERB_VALIDATION_INFO:
 *
 * ```
 * typedef struct _S4U_DELEGATION_INFO {
 *   RPC_UNICODE_STRING S4U2proxyTarget;
 *   ULONG TransitedListSize;
 *   [size_is(TransitedListSize)] PRPC_UNICODE_STRING S4UTransitedServices;
 * } S4U_DELEGATION_INFO;
 * ```
 *
 * Referents in order: the target's characters, the S4UTransitedServices
 * array (MaxCount, then each string's header), then each string's
 * characters.
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import type { NdrReader } from '../ndr/reader';
import {
  readStringBody,
  readStringHeader,
  type StringSlot,
  stringPointers,
  writeStringBody,
  writeStringHeader,
} from '../ndr/rpc';
import {
  type FormCollector,
  type NdrForm,
  type ReferentReader,
  ReferentWriter,
  readTypeSerialization,
  writeTypeSerialization,
} from '../ndr/serialization';
import { NdrWriter } from '../ndr/writer';

/** S4U_DELEGATION_INFO (MS-PAC 2.9). */
export interface S4uDelegationInfo {
  /** The service the ticket was delegated to (`S4U2proxyTarget`). */
  readonly s4u2proxyTarget: string;
  /** The services the delegation passed through, in order (`S4UTransitedServices`). */
  readonly s4uTransitedServices: readonly string[];
  /** How the decoded bytes differ from krbsim's encoding; see {@link NdrForm}. */
  readonly ndrForm?: NdrForm;
}

function readBody(r: NdrReader, refs: ReferentReader, form: FormCollector): S4uDelegationInfo {
  let at = '';
  try {
    const top = r.u32();
    if (top === 0) throw r.error('the pointer to S4U_DELEGATION_INFO is NULL');
    refs.take(top);
    const target = readStringHeader(r, 'S4U2proxyTarget');
    at = '.TransitedListSize';
    const count = r.u32();
    at = '.S4UTransitedServices';
    const ptr = r.u32();
    if ((count === 0) !== (ptr === 0)) {
      throw r.error(
        count === 0
          ? 'a non-NULL pointer with TransitedListSize 0 (an empty array is a NULL pointer)'
          : `a NULL pointer with TransitedListSize ${count}`,
      );
    }
    at = '';
    const s4u2proxyTarget = readStringBody(r, target, refs, form, 0);
    const s4uTransitedServices: string[] = [];
    if (ptr !== 0) {
      at = '.S4UTransitedServices.MaxCount';
      refs.take(ptr);
      const maxCount = r.u32();
      if (maxCount !== count) throw r.error(`MaxCount ${maxCount} does not match TransitedListSize ${count}`);
      at = '';
      const headers = [];
      for (let i = 0; i < count; i++) headers.push(readStringHeader(r, `S4UTransitedServices[${i}]`));
      for (const h of headers) s4uTransitedServices.push(readStringBody(r, h, refs, form, 0));
    }
    return { s4u2proxyTarget, s4uTransitedServices };
  } catch (e) {
    throw withPath(e, at);
  }
}

/** Reads an S4U_DELEGATION_INFO buffer filling `b[start..end)`. */
export function readS4uDelegationInfo(b: Uint8Array, start: number, end: number): S4uDelegationInfo {
  return readTypeSerialization(b, start, end, 'S4U_DELEGATION_INFO', readBody);
}

/** Decodes a constrained delegation information buffer (MS-PAC 2.9). @throws PacError */
export function decodeS4uDelegationInfo(bytes: Uint8Array): S4uDelegationInfo {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'S4U_DELEGATION_INFO' });
  return readS4uDelegationInfo(bytes, 0, bytes.length);
}

function writeBody(w: NdrWriter, v: S4uDelegationInfo): void {
  const form = v.ndrForm;
  const list = v.s4uTransitedServices;
  if (!Array.isArray(list)) throw new PacError('expected an array', { path: 'S4UTransitedServices' });
  let pointers = 1 + stringPointers(v.s4u2proxyTarget, 'S4U2proxyTarget', form);
  if (list.length > 0) pointers++;
  list.forEach((s, i) => {
    pointers += stringPointers(s, `S4UTransitedServices[${i}]`, form);
  });
  const refs = new ReferentWriter(form?.referentIds, pointers);
  w.u32(refs.next());
  const target = writeStringHeader(w, v.s4u2proxyTarget, 'S4U2proxyTarget', 0, form);
  w.u32(list.length);
  const listAt = w.pos;
  w.u32(0);
  writeStringBody(w, target, refs);
  if (list.length > 0) {
    w.put32(listAt, refs.next());
    w.u32(list.length);
    const slots: StringSlot[] = list.map((s, i) =>
      writeStringHeader(w, s, `S4UTransitedServices[${i}]`, 0, form),
    );
    for (const slot of slots) writeStringBody(w, slot, refs);
  }
}

/** Writes an S4U_DELEGATION_INFO buffer into `w`. */
export function writeS4uDelegationInfo(w: NdrWriter, v: S4uDelegationInfo): void {
  try {
    if (v === null || typeof v !== 'object') throw new PacError('expected an S4uDelegationInfo object');
    writeTypeSerialization(w, v.ndrForm, (w) => writeBody(w, v));
  } catch (e) {
    throw withPath(e, 'S4U_DELEGATION_INFO');
  }
}

/** Encodes a constrained delegation information buffer (MS-PAC 2.9). @throws PacError */
export function encodeS4uDelegationInfo(v: S4uDelegationInfo): Uint8Array {
  const w = new NdrWriter(128);
  writeS4uDelegationInfo(w, v);
  return w.finish();
}
