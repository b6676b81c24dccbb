/**
 * The transited field of a ticket: RFC 4120 section 3.3.3.2, encoding
 * DOMAIN-X500-COMPRESS (tr-type 1). Realm names are separated by commas. A
 * name ending in `.` is completed by the previous name (`MIT.` after `EDU` is
 * `MIT.EDU`); a name starting with `/` extends the previous X.500 name
 * (`/HP` after `/COM` is `/COM/HP`); a name starting with a space is taken as
 * is. Empty names at either end mark the client's and server's realms, which
 * the path does not repeat.
 *
 * @module
 */

import type { TransitedEncoding } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** tr-type 1 (RFC 4120 section 7.5.8). */
export const DOMAIN_X500_COMPRESS = 1;

function splitUnescaped(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/**
 * The realms a ticket transited, expanded, in order (empty for a ticket
 * issued in one realm). Throws KRB_ERR_GENERIC for a transited encoding other
 * than DOMAIN-X500-COMPRESS.
 */
export function decodeTransited(t: TransitedEncoding): string[] {
  if (t.contents.length === 0) return [];
  if (t.trType !== DOMAIN_X500_COMPRESS) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_TRTYPE_NOSUPP,
      `the ticket's transited field uses tr-type ${t.trType}; only DOMAIN-X500-COMPRESS (1) is understood`,
    );
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(t.contents);
  const realms: string[] = [];
  let prev: string | undefined;
  for (const part of splitUnescaped(text)) {
    if (part.length === 0) continue;
    let name: string;
    if (part.startsWith(' ')) name = part.slice(1);
    else if (part.endsWith('.') && prev !== undefined) name = part + prev;
    else if (part.startsWith('/') && prev?.startsWith('/')) name = `${prev}${part}`;
    else name = part;
    realms.push(name);
    prev = name;
  }
  return realms;
}
