/**
 * Principal names as people type them: RFC 4120 section 6.2 (name types),
 * RFC 1964 section 2.1.1 (the `name/instance@REALM` string form, with `\`
 * escaping `/`, `@` and `\`) and RFC 6806 section 5 (enterprise names, where
 * the whole `alice@contoso.com` is one NT-ENTERPRISE component).
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import { NameType } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** A principal name with its realm. */
export interface QualifiedName {
  readonly realm: string;
  readonly name: PrincipalName;
}

/** Options for {@link parsePrincipal}. */
export interface ParsePrincipalOptions {
  /** The realm used when the text names none. */
  readonly defaultRealm: string;
  /**
   * Parse as an RFC 6806 enterprise name: everything before the last
   * unescaped `@` that is followed by an upper-case realm (or the whole text)
   * becomes one NT-ENTERPRISE component. `undefined` means: guess, treating
   * `user@domain` as enterprise when `domain` is not written in upper case.
   */
  readonly enterprise?: boolean;
  /** The name type for a non-enterprise name; default NT-PRINCIPAL, or NT-SRV-INST for `svc/host`. */
  readonly nameType?: number;
}

/** Splits on unescaped `sep`, keeping escapes, and reports where the splits were. */
function unescapedIndexes(text: string, sep: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === sep) out.push(i);
  }
  return out;
}

function unquote(part: string): string {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = part[++i];
    // RFC 1964 section 2.1.1 only defines escapes for the separators; MIT
    // also reads \n, \t, \b and \0.
    out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'b' ? '\b' : n === '0' ? '\0' : (n ?? '');
  }
  return out;
}

function quote(part: string, escapeAt: boolean): string {
  let out = '';
  for (const c of part) {
    if (c === '/' || c === '\\' || (escapeAt && c === '@')) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\0') out += '\\0';
    else out += c;
  }
  return out;
}

function badName(text: string, why: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_ERR_GENERIC,
    `"${text}" is not a principal name (${why}); write it as name, name/instance or name@REALM`,
  );
}

/**
 * Parses `alice`, `alice@CONTOSO.COM`, `HTTP/web.contoso.com@CONTOSO.COM`, or
 * an enterprise name (`alice@contoso.com`) into a name and realm.
 */
export function parsePrincipal(text: string, opts: ParsePrincipalOptions): QualifiedName {
  if (text.length === 0) throw badName(text, 'it is empty');
  const ats = unescapedIndexes(text, '@');
  const last = ats.at(-1);
  let enterprise = opts.enterprise;
  if (enterprise === undefined) {
    // `user@domain@REALM` only makes sense as an enterprise name; `user@domain`
    // is one when the domain is not written in upper case as realms are.
    const domain = last === undefined ? '' : text.slice(last + 1);
    enterprise = ats.length >= 2 || (domain.length > 0 && domain !== domain.toUpperCase());
  }
  if (enterprise) {
    // `alice@contoso.com@CONTOSO.COM` names the realm explicitly; otherwise
    // the whole text is the enterprise name and the realm is the default one.
    if (ats.length >= 2 && last !== undefined) {
      const realm = text.slice(last + 1);
      if (realm.length === 0) throw badName(text, 'the realm after "@" is empty');
      return {
        realm,
        name: { nameType: NameType.NT_ENTERPRISE, nameString: [unquote(text.slice(0, last))] },
      };
    }
    return {
      realm: opts.defaultRealm,
      name: { nameType: NameType.NT_ENTERPRISE, nameString: [unquote(text)] },
    };
  }
  if (ats.length > 1) throw badName(text, 'more than one unescaped "@"');
  const namePart = last === undefined ? text : text.slice(0, last);
  const realm = last === undefined ? opts.defaultRealm : text.slice(last + 1);
  if (last !== undefined && realm.length === 0) throw badName(text, 'the realm after "@" is empty');
  if (namePart.length === 0) throw badName(text, 'the name before "@" is empty');
  const cuts = unescapedIndexes(namePart, '/');
  const components: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    components.push(unquote(namePart.slice(from, cut)));
    from = cut + 1;
  }
  components.push(unquote(namePart.slice(from)));
  const nameType = opts.nameType ?? (components.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL);
  return { realm, name: { nameType, nameString: components } };
}

/** The string form of a principal: `HTTP/web.contoso.com@CONTOSO.COM`, `alice\@contoso.com@CONTOSO.COM`. */
export function formatPrincipal(name: PrincipalName, realm?: string): string {
  const enterprise = name.nameType === NameType.NT_ENTERPRISE;
  const body = name.nameString.map((c) => quote(c, realm !== undefined || !enterprise)).join('/');
  return realm === undefined ? body : `${body}@${quote(realm, false)}`;
}

/** True when two names have the same components (name types are ignored, as RFC 4120 section 6.2 allows). */
export function sameName(a: PrincipalName, b: PrincipalName): boolean {
  if (a.nameString.length !== b.nameString.length) return false;
  for (let i = 0; i < a.nameString.length; i++) if (a.nameString[i] !== b.nameString[i]) return false;
  return true;
}

/** True when both the names and the realms match. */
export function samePrincipal(a: QualifiedName, b: QualifiedName): boolean {
  return a.realm === b.realm && sameName(a.name, b.name);
}

/** `krbtgt/REALM`, the name of a realm's ticket-granting service (RFC 4120 section 7.3). */
export function krbtgtName(realm: string): PrincipalName {
  return { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', realm] };
}

/** The realm a TGT is good for (`krbtgt/REALM`'s instance), or undefined if `name` is not a krbtgt name. */
export function tgtRealm(name: PrincipalName): string | undefined {
  return name.nameString.length === 2 && name.nameString[0] === 'krbtgt' ? name.nameString[1] : undefined;
}

/**
 * The host of a host-based service name (`MSSQLSvc/mi1.zone.database.windows.net:1433`
 * gives `mi1.zone.database.windows.net`), lower-cased, or undefined.
 */
export function serviceHost(name: PrincipalName): string | undefined {
  if (name.nameString.length < 2 || name.nameString[0] === 'krbtgt') return undefined;
  const host = name.nameString[1]!;
  const colon = host.lastIndexOf(':');
  const bare = colon > 0 && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
  return bare.toLowerCase();
}
