/**
 * Principal names on the service side: RFC 4120 section 6.2 comparison
 * (component by component; name types ignored) and the RFC 1964 section
 * 2.1.1 string form (`HTTP/web.contoso.com@CONTOSO.COM`, with `\` escaping
 * `/`, `@` and `\`).
 *
 * @module
 */

import { NameType, type PrincipalName } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** A principal name and its realm. */
export interface ServicePrincipal {
  readonly realm: string;
  readonly name: PrincipalName;
}

/** True when the names have the same components. */
export function sameName(a: PrincipalName, b: PrincipalName): boolean {
  return a.nameString.length === b.nameString.length && a.nameString.every((c, i) => c === b.nameString[i]);
}

/** `alice@CONTOSO.COM`, `HTTP/web.contoso.com@CONTOSO.COM`, `alice\@contoso.com@CONTOSO.COM`. */
export function formatName(name: PrincipalName, realm: string): string {
  const parts = name.nameString;
  // Performance: names almost never need escaping, and the regex with a
  // callback costs several times the plain join; test first.
  let plain = true;
  for (let i = 0; i < parts.length; i++) if (SPECIAL.test(parts[i]!)) plain = false;
  const body = plain ? parts.join('/') : parts.map((c) => c.replace(/[/@\\]/g, (m) => `\\${m}`)).join('/');
  return `${body}@${realm}`;
}

const SPECIAL = /[/@\\]/;

/** Parses `svc/host@REALM` (the realm is required). */
export function parseServicePrincipal(text: string): ServicePrincipal {
  const parts: string[] = [];
  let cur = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
    } else if (c === '/' && realm === undefined) {
      parts.push(cur);
      cur = '';
    } else if (c === '@' && realm === undefined) {
      parts.push(cur);
      cur = '';
      realm = '';
    } else if (realm !== undefined) {
      realm += c;
    } else {
      cur += c;
    }
  }
  if (realm === undefined || realm.length === 0 || parts.some((p) => p.length === 0)) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      `"${text}" is not a service principal with a realm; write it as service/host@REALM`,
    );
  }
  return {
    realm,
    name: { nameType: parts.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL, nameString: parts },
  };
}
