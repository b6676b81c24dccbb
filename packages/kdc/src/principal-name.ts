/**
 * Principal names: RFC 4120 section 6.2 (name types) and the string form MIT
 * krb5 prints and parses (`comp1/comp2@REALM`, with `\` escaping `/`, `@` and
 * `\` itself), plus the helpers the KDC needs: the TGS name `krbtgt/REALM`
 * (section 7.3) and the host of a host-based service name (section 6.2.1).
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import { NameType } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** The first component of every ticket-granting service name (RFC 4120 section 7.3). */
export const TGS_NAME = 'krbtgt';

/** A principal name with its realm. */
export interface QualifiedName {
  readonly name: PrincipalName;
  readonly realm: string;
}

/**
 * Parse `comp1/comp2@REALM` (realm optional: `defaultRealm` is used). The
 * name type is NT-SRV-INST for two components (`krbtgt/R`, `MSSQLSvc/host:1433`)
 * and NT-PRINCIPAL otherwise, as `kinit`/`kvno` choose it.
 */
export function parsePrincipal(text: string, defaultRealm?: string): QualifiedName {
  const comps: string[] = [];
  let cur = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const n = text[i + 1];
      if (n === undefined) throw badName(text, 'trailing backslash');
      cur += n === 'n' ? '\n' : n === 't' ? '\t' : n === '0' ? '\0' : n;
      i++;
    } else if (c === '/' && realm === undefined) {
      comps.push(cur);
      cur = '';
    } else if (c === '@' && realm === undefined) {
      comps.push(cur);
      cur = '';
      realm = '';
    } else if (realm !== undefined) {
      if (c === '@' || c === '/') throw badName(text, `unescaped '${c}' in the realm`);
      realm += c;
    } else {
      cur += c;
    }
  }
  if (realm === undefined) comps.push(cur);
  if (comps.some((c) => c.length === 0)) throw badName(text, 'empty component');
  const r = realm ?? defaultRealm;
  if (r === undefined || r.length === 0) throw badName(text, 'no realm');
  const nameType = comps.length === 2 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL;
  return { name: { nameType, nameString: comps }, realm: r };
}

function badName(text: string, why: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_ERR_GENERIC, `cannot parse principal name '${text}': ${why}`);
}

/** `comp1/comp2`, escaping `/`, `@` and `\` as MIT krb5 does. */
export function formatName(name: PrincipalName): string {
  return name.nameString.map((c) => c.replace(/[\\/@]/g, (m) => `\\${m}`)).join('/');
}

/** `comp1/comp2@REALM`. */
export function formatPrincipal(name: PrincipalName, realm: string): string {
  return `${formatName(name)}@${realm}`;
}

/** `krbtgt/REALM` (NT-SRV-INST), the TGS of `realm` (RFC 4120 section 7.3). */
export function krbtgtName(realm: string): PrincipalName {
  return { nameType: NameType.NT_SRV_INST, nameString: [TGS_NAME, realm] };
}

/**
 * If `name` is a ticket-granting service name `krbtgt/X`, return `X`.
 * MIT and AD match the `krbtgt` component exactly (it is a protocol constant).
 */
export function tgsRealmOf(name: PrincipalName): string | undefined {
  return name.nameString.length === 2 && name.nameString[0] === TGS_NAME ? name.nameString[1] : undefined;
}

/**
 * The host of a host-based service name (RFC 4120 section 6.2.1; RFC 6806
 * section 8): a two-component NT-SRV-INST or NT-SRV-HST name such as
 * `MSSQLSvc/mi1.abc123.database.windows.net:1433`, without the `:port` that
 * SQL Server and others append, lower-cased and without a trailing dot. Only
 * dotted names count (MIT's rule: a bare label is not a FQDN).
 */
export function serviceHostOf(name: PrincipalName): string | undefined {
  if (name.nameString.length !== 2) return undefined;
  if (name.nameType !== NameType.NT_SRV_INST && name.nameType !== NameType.NT_SRV_HST) return undefined;
  if (name.nameString[0] === TGS_NAME) return undefined;
  let host = name.nameString[1]!;
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && /^\d+$/.test(host.slice(colon + 1))) host = host.slice(0, colon);
  host = host.toLowerCase().replace(/\.$/, '');
  return host.includes('.') ? host : undefined;
}

/**
 * The lookup key of a name within one realm: components joined by `/`,
 * escaped, and case-folded when `caseInsensitive`. Name types are ignored,
 * as both MIT and AD ignore them when matching (RFC 4120 section 6.2).
 */
export function nameKey(name: PrincipalName, caseInsensitive: boolean): string {
  const s = formatName(name);
  return caseInsensitive ? s.toLowerCase() : s;
}

/** True when two names have the same components (name types ignored). */
export function sameName(a: PrincipalName, b: PrincipalName, caseInsensitive = false): boolean {
  return nameKey(a, caseInsensitive) === nameKey(b, caseInsensitive);
}
