/**
 * The transited field: RFC 4120 section 3.3.3.2, DOMAIN-X500-COMPRESS
 * (`tr-type` 1, section 5.3).
 *
 * The field lists, in order, the realms a cross-realm authentication passed
 * through, leaving out the client's realm and the realm of the ticket's
 * server. Names are separated by `,`. Two compressions shorten it:
 * - a name ending in `.` is put in front of the previous name
 *   (`EDU,MIT.` is EDU then MIT.EDU);
 * - a name starting with `/` is appended to the previous name
 *   (`/COM,/HP` is /COM then /COM/HP); a `/` name that stands alone after
 *   another name is written with a leading space (` /COM/DEC`).
 * `,`, `\`, a trailing `.` and a leading space inside a name are escaped
 * with `\`. An empty subfield means "every realm between the neighbours was
 * traversed"; it is decoded as `''` (this KDC never writes one, and its
 * transit check refuses one, since it cannot be verified hop by hop).
 *
 * Bounds: the compressions let each name grow from the one before it
 * (`/a,/a,/a...` is `/a`, `/a/a`, `/a/a/a`...), so the names of a field can
 * come to the square of its length. A field of more than 128 realms, or
 * whose names come to more than 65536 characters (or longer than that
 * itself), is refused with KDC_ERR_TRTYPE_NOSUPP, the code of a transited
 * field the KDC cannot process, and `addTransited` does not make one. Real
 * paths have a handful of realms.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';
import type { TransitedEncoding } from './types/basic';

/** `tr-type` DOMAIN-X500-COMPRESS (RFC 4120 section 5.3). */
export const DOMAIN_X500_COMPRESS = 1;

/** The most realms (and empty subfields) a transited field may list. */
const MAX_TRANSITED_REALMS = 128;
/** The most characters a transited field, and its realm names together, may have. */
const MAX_TRANSITED_LENGTH = 65536;

/** An empty transited field (no realm traversed). */
export function emptyTransited(): TransitedEncoding {
  return { trType: DOMAIN_X500_COMPRESS, contents: new Uint8Array(0) };
}

interface RawToken {
  /** The unescaped text, without the compression markers. */
  readonly text: string;
  /** Ends with an unescaped `.`: prepend to the previous name. */
  readonly prepend: boolean;
  /** Starts with an unescaped `/` (not preceded by a space): append to the previous name. */
  readonly append: boolean;
}

function tokenize(s: string): RawToken[] {
  const out: RawToken[] = [];
  let text = '';
  let escapedEnd = false;
  let startsRaw: 'slash' | 'space' | 'other' | undefined;
  const flush = (): void => {
    if (out.length === MAX_TRANSITED_REALMS)
      throw tooLong(`it lists more than ${MAX_TRANSITED_REALMS} realms`);
    const prepend = !escapedEnd && text.endsWith('.') && text.length > 1;
    out.push({
      text: prepend ? text.slice(0, -1) : text,
      prepend,
      append: startsRaw === 'slash',
    });
    text = '';
    escapedEnd = false;
    startsRaw = undefined;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined) throw bad('trailing backslash');
      startsRaw ??= 'other';
      text += n;
      escapedEnd = true;
      i++;
    } else if (c === ',') {
      flush();
    } else {
      if (startsRaw === undefined) {
        if (c === ' ') {
          // A leading space marks a `/` name that stands alone; it is not part of the name.
          startsRaw = 'space';
          continue;
        }
        startsRaw = c === '/' ? 'slash' : 'other';
      }
      text += c;
      escapedEnd = false;
    }
  }
  flush();
  return out;
}

/** Realm names are UTF-8 at most (MIT: bytes compared as they are): ill-formed ones are refused, a BOM kept. */
const TRANSITED_TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function bad(why: string): KerberosError {
  return new KerberosError(ErrorCode.KDC_ERR_TRTYPE_NOSUPP, `malformed transited field: ${why}`);
}

function tooLong(why: string): KerberosError {
  return new KerberosError(ErrorCode.KDC_ERR_TRTYPE_NOSUPP, `transited field too long: ${why}`);
}

/**
 * Decode the contents of a DOMAIN-X500-COMPRESS field into full realm names,
 * in order. An empty field is `[]`; an empty subfield is `''`. Throws
 * KDC_ERR_TRTYPE_NOSUPP for a malformed field and one over the bounds (see
 * the module notes).
 */
export function decodeTransited(contents: string | Uint8Array): string[] {
  if (contents.length > MAX_TRANSITED_LENGTH) {
    throw tooLong(
      `${contents.length} ${typeof contents === 'string' ? 'characters' : 'bytes'}, more than ${MAX_TRANSITED_LENGTH}`,
    );
  }
  let s: string;
  try {
    s = typeof contents === 'string' ? contents : TRANSITED_TEXT.decode(contents);
  } catch {
    throw bad('the contents are not UTF-8');
  }
  if (s.length === 0) return [];
  const out: string[] = [];
  let prev = '';
  let total = 0;
  for (const t of tokenize(s)) {
    if (t.text.length === 0) {
      out.push('');
      continue;
    }
    const prepend = t.prepend && prev.length > 0;
    const append = !t.prepend && t.append;
    // Measured before it is built: a name is at most its text and the previous name.
    total += t.text.length + (prepend ? prev.length + 1 : append ? prev.length : 0);
    if (total > MAX_TRANSITED_LENGTH) {
      throw tooLong(`its realm names come to more than ${MAX_TRANSITED_LENGTH} characters`);
    }
    let name = t.text;
    if (prepend) name = `${t.text}.${prev}`;
    else if (append) name = `${prev}${t.text}`;
    out.push(name);
    prev = name;
  }
  return out;
}

function escapeName(name: string): string {
  let s = name.replace(/[\\,]/g, (m) => `\\${m}`);
  if (s.endsWith('.')) s = `${s.slice(0, -1)}\\.`;
  if (s.startsWith(' ')) s = `\\${s}`;
  return s;
}

/**
 * Encode realm names with the RFC's compressions: a domain-style name below
 * the previous one is written as its extra labels and a `.`, an X.500-style
 * name below the previous one as its extra `/` components.
 */
export function encodeTransited(realms: readonly string[]): string {
  const parts: string[] = [];
  let prev = '';
  for (const r of realms) {
    if (r.length === 0) {
      parts.push('');
      continue;
    }
    if (r.startsWith('/')) {
      if (prev.startsWith('/') && r.startsWith(`${prev}/`)) parts.push(escapeName(r.slice(prev.length)));
      else if (prev.length === 0) parts.push(escapeName(r));
      else parts.push(` ${escapeName(r)}`);
    } else if (
      prev.length > 0 &&
      !prev.startsWith('/') &&
      r.endsWith(`.${prev}`) &&
      r.length > prev.length + 1
    ) {
      parts.push(`${escapeName(r.slice(0, r.length - prev.length - 1))}.`);
    } else {
      parts.push(escapeName(r));
    }
    prev = r;
  }
  return parts.join(',');
}

/** The realms listed in a ticket's transited field. Throws KDC_ERR_TRTYPE_NOSUPP for other tr-types. */
export function transitedRealms(t: TransitedEncoding): string[] {
  if (t.trType !== DOMAIN_X500_COMPRESS && !(t.trType === 0 && t.contents.length === 0)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_TRTYPE_NOSUPP,
      `transited encoding type ${t.trType} is not supported`,
    );
  }
  return decodeTransited(t.contents);
}

/**
 * The transited field of a ticket issued from a TGT that `issuingRealm`
 * issued: `issuingRealm` is added unless it is the client's realm
 * (RFC 4120 section 3.3.3.2; MIT's add_to_transited does the same).
 * Throws KDC_ERR_TRTYPE_NOSUPP when the field cannot be read or would grow
 * past the bounds (see the module notes).
 */
export function addTransited(
  t: TransitedEncoding,
  issuingRealm: string,
  clientRealm: string,
): TransitedEncoding {
  const realms = transitedRealms(t);
  // A linear search: the bounds keep the list short.
  if (issuingRealm === clientRealm || realms.includes(issuingRealm)) {
    return { trType: DOMAIN_X500_COMPRESS, contents: t.contents };
  }
  const next = [...realms, issuingRealm];
  let total = 0;
  for (const r of next) total += r.length;
  const contents = new TextEncoder().encode(encodeTransited(next));
  if (
    next.length > MAX_TRANSITED_REALMS ||
    total > MAX_TRANSITED_LENGTH ||
    contents.length > MAX_TRANSITED_LENGTH
  ) {
    throw tooLong(
      `adding ${issuingRealm} would take it past ${MAX_TRANSITED_REALMS} realms or ${MAX_TRANSITED_LENGTH} characters`,
    );
  }
  return { trType: DOMAIN_X500_COMPRESS, contents };
}
