/**
 * Security identifiers: MS-DTYP 2.4.2. A {@link Sid} is plain data; its
 * string form (2.4.2.1, `S-1-5-21-...`) comes from {@link formatSid} and
 * {@link parseSid}, its packed binary form (2.4.2.2, what UPN_DNS_INFO and
 * PAC_REQUESTOR carry) from {@link encodeSid} and {@link decodeSid}. The NDR
 * form (RPC_SID, 2.4.2.3) is written by the KERB_VALIDATION_INFO codec.
 *
 * Revision is always 1 (MS-DTYP: "MUST be set to 0x01") and a SID has at
 * most 15 sub-authorities (RPC_SID's `[range(0,15)]`); anything else is
 * refused.
 *
 * @module
 */

import { PacError } from './errors';

/**
 * A SID (MS-DTYP 2.4.2): revision 1, a 48-bit identifier authority and up
 * to 15 32-bit sub-authorities, the last of which is the RID of an account
 * SID. `S-1-5-21-1-2-3-500` is `{ identifierAuthority: 5, subAuthority: [21, 1, 2, 3, 500] }`.
 */
export interface Sid {
  /** IdentifierAuthority, 0..2^48-1 (5 is NT AUTHORITY). */
  readonly identifierAuthority: number;
  /** SubAuthority[], 0 to 15 unsigned 32-bit numbers. */
  readonly subAuthority: readonly number[];
}

/** The largest SubAuthorityCount (MS-DTYP 2.4.2.3). */
export const MAX_SUB_AUTHORITIES = 15;

const MAX_AUTHORITY = 2 ** 48;

function isUInt32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** True for a valid {@link Sid} value: what {@link checkSid} accepts, without building an error. */
export function isSid(sid: Sid): boolean {
  if (sid === null || typeof sid !== 'object') return false;
  const a = sid.identifierAuthority;
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= MAX_AUTHORITY) return false;
  const subs = sid.subAuthority;
  if (!Array.isArray(subs) || subs.length > MAX_SUB_AUTHORITIES) return false;
  for (let i = 0; i < subs.length; i++) if (!isUInt32(subs[i])) return false;
  return true;
}

/**
 * Checks a {@link Sid} value (authority and sub-authority ranges, at most 15
 * sub-authorities) and throws a {@link PacError} naming what is wrong.
 */
export function checkSid(sid: Sid): void {
  if (sid === null || typeof sid !== 'object') throw new PacError('expected a Sid object');
  const a = sid.identifierAuthority;
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= MAX_AUTHORITY) {
    throw new PacError(`IdentifierAuthority must be an integer in 0..2^48-1, got ${String(a)}`);
  }
  const subs = sid.subAuthority;
  if (!Array.isArray(subs)) throw new PacError('SubAuthority must be an array');
  if (subs.length > MAX_SUB_AUTHORITIES) {
    throw new PacError(`a SID has at most ${MAX_SUB_AUTHORITIES} sub-authorities, got ${subs.length}`);
  }
  for (let i = 0; i < subs.length; i++) {
    if (!isUInt32(subs[i])) {
      throw new PacError(`SubAuthority[${i}] must be an unsigned 32-bit integer, got ${String(subs[i])}`);
    }
  }
}

/**
 * The string form of a SID (MS-DTYP 2.4.2.1): `S-1-` then the identifier
 * authority in decimal (below 2^32) or as `0x` and 12 upper-case hex digits,
 * then each sub-authority in decimal.
 *
 * @example
 * ```ts
 * formatSid({ identifierAuthority: 5, subAuthority: [32, 544] }); // 'S-1-5-32-544'
 * ```
 */
export function formatSid(sid: Sid): string {
  checkSid(sid);
  const a = sid.identifierAuthority;
  let s = a < 2 ** 32 ? `S-1-${a}` : `S-1-0x${a.toString(16).toUpperCase().padStart(12, '0')}`;
  for (const sub of sid.subAuthority) s += `-${sub}`;
  return s;
}

const SID_TEXT = /^[Ss]-1-(0[xX][0-9a-fA-F]{12}|[0-9]{1,15})((?:-[0-9]{1,10}){0,15})$/;

/**
 * Parses the string form of a SID (MS-DTYP 2.4.2.1): `S-1-5-21-1-2-3-500`.
 * Accepts `s` or `S`, a decimal authority below 2^48 or a 12-digit hex one
 * (`0x000000000005`), and up to 15 sub-authorities below 2^32.
 *
 * @throws PacError for anything else (revision other than 1, a value out of
 *   range, empty components, more than 15 sub-authorities).
 */
export function parseSid(text: string): Sid {
  if (typeof text !== 'string') throw new PacError('a SID string must be a string');
  const m = SID_TEXT.exec(text);
  if (m === null) {
    throw new PacError(
      `not a SID: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)} (expected S-1-<authority>-<sub-authority>..., at most 15 sub-authorities)`,
    );
  }
  const authText = m[1]!;
  const hex = authText.length === 14 && (authText[1] === 'x' || authText[1] === 'X');
  const identifierAuthority = hex ? Number.parseInt(authText.slice(2), 16) : Number(authText);
  if (identifierAuthority >= MAX_AUTHORITY) {
    throw new PacError(`SID identifier authority ${authText} is not below 2^48`);
  }
  const subAuthority: number[] = [];
  const rest = m[2]!;
  if (rest !== '') {
    for (const part of rest.slice(1).split('-')) {
      const n = Number(part);
      if (n > 0xffffffff) throw new PacError(`SID sub-authority ${part} is not below 2^32`);
      subAuthority.push(n);
    }
  }
  return { identifierAuthority, subAuthority };
}

/** True when two SIDs are the same SID. */
export function sidEquals(a: Sid, b: Sid): boolean {
  if (a.identifierAuthority !== b.identifierAuthority) return false;
  const x = a.subAuthority;
  const y = b.subAuthority;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The SID of an account or group of a domain: the domain's SID with `rid`
 * appended (`S-1-5-21-x-y-z` + 513 is Domain Users).
 *
 * @throws PacError if the result would have more than 15 sub-authorities.
 */
export function sidWithRid(domain: Sid, rid: number): Sid {
  const sid = {
    identifierAuthority: domain.identifierAuthority,
    subAuthority: [...domain.subAuthority, rid],
  };
  checkSid(sid);
  return sid;
}

/**
 * The domain part and RID of a SID: `S-1-5-21-1-2-3-500` is
 * `{ domain: S-1-5-21-1-2-3, rid: 500 }`; undefined for a SID without
 * sub-authorities.
 */
export function splitSid(sid: Sid): { readonly domain: Sid; readonly rid: number } | undefined {
  const n = sid.subAuthority.length;
  if (n === 0) return undefined;
  return {
    domain: { identifierAuthority: sid.identifierAuthority, subAuthority: sid.subAuthority.slice(0, n - 1) },
    rid: sid.subAuthority[n - 1]!,
  };
}

/** The length of a SID's packed binary form: 8 + 4 per sub-authority. */
export function sidLength(sid: Sid): number {
  return 8 + 4 * sid.subAuthority.length;
}

/** Writes the packed binary form of `sid` (MS-DTYP 2.4.2.2) at `out[at]`; returns the end offset. */
export function writeSid(out: Uint8Array, at: number, sid: Sid): number {
  const subs = sid.subAuthority;
  out[at] = 1;
  out[at + 1] = subs.length;
  // IdentifierAuthority: 6 bytes, big-endian (MS-DTYP 2.4.1.1).
  const a = sid.identifierAuthority;
  const hi = Math.floor(a / 2 ** 32);
  const lo = a >>> 0;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
  let p = at + 8;
  for (const s of subs) {
    out[p] = s & 0xff;
    out[p + 1] = (s >>> 8) & 0xff;
    out[p + 2] = (s >>> 16) & 0xff;
    out[p + 3] = s >>> 24;
    p += 4;
  }
  return p;
}

/** Reads the 6-byte big-endian identifier authority at `b[at]`. */
export function readAuthority(b: Uint8Array, at: number): number {
  const hi = (b[at]! << 8) | b[at + 1]!;
  const lo = ((b[at + 2]! << 24) | (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!) >>> 0;
  return hi * 2 ** 32 + lo;
}

/**
 * The packed binary form of a SID (MS-DTYP 2.4.2.2): Revision (1),
 * SubAuthorityCount, the 6-byte big-endian IdentifierAuthority, then each
 * SubAuthority as a little-endian 32-bit number.
 */
export function encodeSid(sid: Sid): Uint8Array {
  checkSid(sid);
  const out = new Uint8Array(sidLength(sid));
  writeSid(out, 0, sid);
  return out;
}

/**
 * Decodes the packed binary form of a SID (MS-DTYP 2.4.2.2). Strict: the
 * input must be exactly one SID, revision 1, at most 15 sub-authorities.
 *
 * @throws PacError with path `SID.<field>` for anything else.
 */
export function decodeSid(bytes: Uint8Array): Sid {
  if (!(bytes instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path: 'SID' });
  return readBinarySid(bytes, 0, bytes.length, 'SID');
}

/**
 * Reads a packed SID that must fill `b[start..end)` exactly; errors carry
 * `path` and absolute offsets.
 */
export function readBinarySid(b: Uint8Array, start: number, end: number, path: string): Sid {
  const len = end - start;
  if (len < 8) {
    throw new PacError(`a SID takes at least 8 bytes, got ${len}`, { path, offset: start });
  }
  if (b[start] !== 1) {
    throw new PacError(`Revision must be 1, got ${b[start]}`, { path: `${path}.Revision`, offset: start });
  }
  const count = b[start + 1]!;
  if (count > MAX_SUB_AUTHORITIES) {
    throw new PacError(`SubAuthorityCount must be at most ${MAX_SUB_AUTHORITIES}, got ${count}`, {
      path: `${path}.SubAuthorityCount`,
      offset: start + 1,
    });
  }
  if (len !== 8 + 4 * count) {
    throw new PacError(`a SID with ${count} sub-authorities takes ${8 + 4 * count} bytes, got ${len}`, {
      path,
      offset: start,
    });
  }
  const subAuthority: number[] = [];
  for (let i = 0, p = start + 8; i < count; i++, p += 4) {
    subAuthority.push((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0);
  }
  return { identifierAuthority: readAuthority(b, start + 2), subAuthority };
}
