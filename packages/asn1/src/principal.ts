/**
 * Principal names beside the {@link PrincipalName} type: RFC 4120 section
 * 6.2 (name types; names compare component by component, name types
 * ignored), the text form of RFC 1964 section 2.1.1 as MIT krb5 reads and
 * writes it (`krb5_parse_name` / `krb5_unparse_name`: `/` separates
 * components, `@` starts the realm, `\` quotes), RFC 6806 section 5
 * enterprise names (`alice@contoso.com` as one NT-ENTERPRISE component), the
 * ticket-granting service name of RFC 4120 section 7.3, and the host of a
 * host-based service name (section 6.2.1).
 *
 * Every krbsim package reads and prints names through this module, so a
 * name logged by the KDC, a key looked up by the service and a keytab entry
 * written by the files package agree to the byte.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';
import { NameType } from './iana/name-type';
import type { PrincipalName } from './types/basic';

/** The first component of every ticket-granting service name (RFC 4120 section 7.3). */
export const TGS_NAME = 'krbtgt';

/** The first component of the well-known names of RFC 6111 section 3.1 (`WELLKNOWN/ANONYMOUS`). */
const WELLKNOWN_NAME = 'WELLKNOWN';

/** RFC 8062 section 3: the realm of an anonymous ticket's client. */
export const ANONYMOUS_REALM = 'WELLKNOWN:ANONYMOUS';

/** RFC 8062 section 3: WELLKNOWN/ANONYMOUS, of type NT-WELLKNOWN. */
export const ANONYMOUS_NAME: PrincipalName = Object.freeze({
  nameType: NameType.NT_WELLKNOWN,
  nameString: Object.freeze(['WELLKNOWN', 'ANONYMOUS']) as string[],
});

/** A principal name with its realm: a ticket's client or server, a keytab entry's owner. */
export interface QualifiedName {
  readonly realm: string;
  readonly name: PrincipalName;
}

/** Options for {@link parsePrincipal}. */
export interface ParsePrincipalOptions {
  /** The realm of a text that names none. Without it, such a text is an error. */
  readonly defaultRealm?: string;
  /**
   * The name type of a name that is not an enterprise name, whatever its
   * components. Without it the type is inferred as MIT's `krb5_parse_name`
   * does: NT-SRV-INST for `krbtgt/X` (RFC 4120 section 7.3), NT-WELLKNOWN for
   * `WELLKNOWN/...` (RFC 6111 section 3.1), {@link serviceNameType} for any
   * other name of two or more components, NT-PRINCIPAL for one component.
   */
  readonly nameType?: number;
  /**
   * The inferred type of a name of two or more components other than
   * `krbtgt/X` and `WELLKNOWN/...`, such as `HTTP/web.contoso.com`. Default
   * NT-PRINCIPAL, as `krb5_parse_name` (and `kinit`) give it. MIT's `kvno`
   * and `krb5_sname_to_principal` give NT-SRV-HST; Windows, and krbsim's KDC
   * and client for the SPNs people type, give NT-SRV-INST.
   */
  readonly serviceNameType?: number;
  /**
   * Read the text as an RFC 6806 enterprise name: `/` is an ordinary
   * character, and the text up to the last unquoted `@`, if there are two or
   * more, else the whole text, is one NT-ENTERPRISE component
   * (`alice@contoso.com@CONTOSO.COM`, `alice@contoso.com`). `'auto'`: an
   * enterprise name when there are two unquoted `@`, or one followed by a
   * domain not written in upper case as realms are. Default false
   * (`krb5_parse_name` without KRB5_PRINCIPAL_PARSE_ENTERPRISE).
   */
  readonly enterprise?: boolean | 'auto';
  /**
   * Refuse an empty component (`a//b`), an empty realm after `@` (`alice@`)
   * and an unquoted `/` in the realm (`alice@A/B`). MIT accepts the first
   * two (the empty realm is its referral realm) and refuses the third; a
   * person who types any of them has made a mistake. Default false: all
   * three are read (the realm `A/B`), as names in files written by other
   * tools may need. An empty name (`''`, `@R`) is always refused.
   */
  readonly strict?: boolean;
}

function badName(text: string, why: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_ERR_GENERIC,
    `principal ${JSON.stringify(text)} ${why}; write it as name, name/instance or name@REALM`,
  );
}

/** The character a `\x` escape stands for: MIT's `\n`, `\t`, `\b` and `\0`, else `x` itself. */
function unescapeChar(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case '0':
      return '\0';
    default:
      return c;
  }
}

/** `part` with its `\` escapes resolved; `'/'` and `'@'` in it are plain characters. */
function unquote(text: string, part: string): string {
  if (!part.includes('\\')) return part;
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c !== '\\') {
      out += c;
    } else if (++i === part.length) {
      throw badName(text, 'ends with a lone backslash');
    } else {
      out += unescapeChar(part[i]!);
    }
  }
  return out;
}

/** Where the unquoted `c` of `text` are. */
function unquoted(text: string, c: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const x = text[i];
    if (x === '\\') i++;
    else if (x === c) out.push(i);
  }
  return out;
}

/** The `'auto'` rule of {@link ParsePrincipalOptions.enterprise}. */
function looksEnterprise(text: string): boolean {
  const ats = unquoted(text, '@');
  if (ats.length >= 2) return true;
  if (ats.length === 0) return false;
  const domain = text.slice(ats[0]! + 1);
  return domain.length > 0 && domain !== domain.toUpperCase();
}

/** The type {@link parsePrincipal} gives `components` when no `nameType` is fixed. */
function inferNameType(components: readonly string[], serviceNameType: number): number {
  if (components.length < 2) return NameType.NT_PRINCIPAL;
  if (components.length === 2 && components[0] === TGS_NAME) return NameType.NT_SRV_INST;
  if (components[0] === WELLKNOWN_NAME) return NameType.NT_WELLKNOWN;
  return serviceNameType;
}

function realmOf(text: string, explicit: string | undefined, options: ParsePrincipalOptions): string {
  if (explicit === undefined) {
    if (options.defaultRealm === undefined)
      throw badName(text, 'has no @REALM and no default realm was given');
    return options.defaultRealm;
  }
  if (explicit.length === 0 && options.strict === true) throw badName(text, 'has an empty realm after @');
  return explicit;
}

function parseEnterprise(text: string, options: ParsePrincipalOptions): QualifiedName {
  const ats = unquoted(text, '@');
  const last = ats.length >= 2 ? ats[ats.length - 1]! : -1;
  const name = unquote(text, last < 0 ? text : text.slice(0, last));
  if (name.length === 0) throw badName(text, 'has an empty name');
  if (last >= 0 && options.strict === true && unquoted(text.slice(last + 1), '/').length > 0) {
    throw badName(text, 'has an unquoted / in the realm');
  }
  const realm = realmOf(text, last < 0 ? undefined : unquote(text, text.slice(last + 1)), options);
  return { realm, name: { nameType: NameType.NT_ENTERPRISE, nameString: [name] } };
}

/**
 * Reads `alice`, `alice@CONTOSO.COM`, `HTTP/web.contoso.com@CONTOSO.COM`,
 * `alice\@contoso.com@CONTOSO.COM` or, with `enterprise`, `alice@contoso.com`
 * into a name and a realm, as MIT's `krb5_parse_name` does: `\` quotes the
 * next character (`\/`, `\@`, `\\`; `\n`, `\t`, `\b` and `\0` are those
 * control characters), `/` splits components until the first unquoted `@`,
 * after which everything but a second `@` is the realm (an unquoted `/`
 * there is read as itself unless `strict`). The name type is inferred unless
 * fixed (see {@link ParsePrincipalOptions.nameType}).
 *
 * @example
 * ```ts
 * parsePrincipal('HTTP/web.contoso.com@CONTOSO.COM');
 * // { realm: 'CONTOSO.COM', name: { nameType: 1, nameString: ['HTTP', 'web.contoso.com'] } }
 * parsePrincipal('krbtgt/CONTOSO.COM@CONTOSO.COM').name.nameType; // 2 (NT-SRV-INST)
 * parsePrincipal('alice', { defaultRealm: 'CONTOSO.COM' }).realm; // 'CONTOSO.COM'
 * ```
 * @throws KerberosError (KRB_ERR_GENERIC) on an empty name, a second unquoted
 * `@`, a lone trailing backslash, no realm and no default, and (`strict`) an
 * empty component or realm.
 */
export function parsePrincipal(text: string, options: ParsePrincipalOptions = {}): QualifiedName {
  const enterprise = options.enterprise === 'auto' ? looksEnterprise(text) : options.enterprise === true;
  if (enterprise) return parseEnterprise(text, options);
  const components: string[] = [];
  let current = '';
  let inRealm = false;
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\') {
      if (++i === text.length) throw badName(text, 'ends with a lone backslash');
      c = unescapeChar(text[i]!);
    } else if (c === '@') {
      if (inRealm) throw badName(text, 'has a second unquoted @');
      components.push(current);
      current = '';
      inRealm = true;
      continue;
    } else if (c === '/') {
      if (inRealm) {
        if (options.strict === true) throw badName(text, 'has an unquoted / in the realm');
      } else {
        components.push(current);
        current = '';
        continue;
      }
    }
    current += c;
  }
  if (!inRealm) components.push(current);
  if (components.length === 1 && components[0] === '') throw badName(text, 'has an empty name');
  if (options.strict === true && components.includes('')) throw badName(text, 'has an empty component');
  const realm = realmOf(text, inRealm ? current : undefined, options);
  const nameType =
    options.nameType ?? inferNameType(components, options.serviceNameType ?? NameType.NT_PRINCIPAL);
  return { realm, name: { nameType, nameString: components } };
}

// What krb5_unparse_name escapes, in components and realm alike: the
// separators, the quote and four control characters. An enterprise name
// written without a realm keeps its `@`.
// Performance: names almost never need escaping, and building the escaped
// form costs several times a plain join (formatting sits on the AP-REQ
// path, in every acceptance's server and client text); test first.
const SPECIAL = /[/@\\\0\n\t\b]/;
const ENTERPRISE_SPECIAL = /[/\\\0\n\t\b]/;

/** `s` with each character of `special` escaped as `krb5_unparse_name` does. */
function quote(s: string, special: RegExp): string {
  if (!special.test(s)) return s;
  let out = '';
  for (const c of s) {
    if (!special.test(c)) out += c;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\0') out += '\\0';
    else out += `\\${c}`;
  }
  return out;
}

function joinQuoted(parts: readonly string[], special: RegExp): string {
  let plain = true;
  for (let i = 0; i < parts.length; i++) {
    if (special.test(parts[i]!)) {
      plain = false;
      break;
    }
  }
  if (plain) return parts.length === 1 ? parts[0]! : parts.join('/');
  return parts.map((c) => quote(c, special)).join('/');
}

/**
 * The components of `name` as `krb5_unparse_name` writes them, without a
 * realm: joined by `/`, with `/`, `@`, `\` and the control characters `\n`,
 * `\t`, `\b`, `\0` escaped in each, whatever the name type (so it can key
 * a table: see {@link nameKey}).
 */
export function formatName(name: PrincipalName): string {
  return joinQuoted(name.nameString, SPECIAL);
}

/**
 * The text of a principal, as `krb5_unparse_name` writes it:
 * `HTTP/web.contoso.com@CONTOSO.COM`, `alice\@contoso.com@CONTOSO.COM`.
 * Components are escaped as in {@link formatName}, and so is the realm
 * (MIT writes `R\/S` for a realm `R/S`). Without a realm only the name is written,
 * and an enterprise name keeps its `@` unescaped (`alice@contoso.com`), as
 * people write it. {@link parsePrincipal} reads the result back.
 */
export function formatPrincipal(principal: QualifiedName): string;
export function formatPrincipal(name: PrincipalName, realm?: string): string;
export function formatPrincipal(p: PrincipalName | QualifiedName, realm?: string): string {
  if ('name' in p) return formatPrincipal(p.name, p.realm);
  if (realm === undefined) {
    return p.nameType === NameType.NT_ENTERPRISE
      ? joinQuoted(p.nameString, ENTERPRISE_SPECIAL)
      : formatName(p);
  }
  return `${formatName(p)}@${quote(realm, SPECIAL)}`;
}

/**
 * The lookup key of a name within one realm: {@link formatName}, lower-cased
 * when `caseInsensitive`. Name types are ignored, as both MIT and AD ignore
 * them when matching (RFC 4120 section 6.2).
 */
export function nameKey(name: PrincipalName, caseInsensitive = false): string {
  const key = formatName(name);
  return caseInsensitive ? key.toLowerCase() : key;
}

/**
 * True when two names have the same components, in order. Name types are
 * ignored, as RFC 4120 section 6.2 allows and MIT's `krb5_principal_compare`
 * does. `caseInsensitive` compares components without regard to case, as AD
 * matches user and service names.
 */
export function sameName(a: PrincipalName, b: PrincipalName, caseInsensitive = false): boolean {
  const x = a.nameString;
  const y = b.nameString;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(caseInsensitive && x[i]!.toLowerCase() === y[i]!.toLowerCase())) return false;
  }
  return true;
}

/**
 * True when the realms are equal (exactly: realm names are case-sensitive,
 * RFC 4120 section 6.1) and the names are the same by {@link sameName}.
 */
export function samePrincipal(a: QualifiedName, b: QualifiedName, caseInsensitive = false): boolean {
  return a.realm === b.realm && sameName(a.name, b.name, caseInsensitive);
}

/** `krbtgt/REALM` (NT-SRV-INST), the name of `realm`'s ticket-granting service (RFC 4120 section 7.3). */
export function krbtgtName(realm: string): PrincipalName {
  return { nameType: NameType.NT_SRV_INST, nameString: [TGS_NAME, realm] };
}

/**
 * `X` when `name` is a ticket-granting service name `krbtgt/X`: the realm a
 * TGT for it is good in. Undefined for any other name. MIT and AD match the
 * `krbtgt` component exactly (it is a protocol constant).
 */
export function tgsRealmOf(name: PrincipalName): string | undefined {
  const parts = name.nameString;
  return parts.length === 2 && parts[0] === TGS_NAME ? parts[1] : undefined;
}

/** Options for {@link serviceHostOf}. */
export interface ServiceHostOptions {
  /**
   * Take the host from any name of two or more components whatever its
   * type, and accept a host without a dot. The client's `[domain_realm]`
   * fallback reads names this way: it asks the mapping about whatever host
   * the caller named (the mapping may list a bare host name). Default false:
   * the KDC's rule for host-based referrals.
   */
  readonly lenient?: boolean;
}

/**
 * The host of a host-based service name (RFC 4120 section 6.2.1; RFC 6806
 * section 8): a two-component NT-SRV-INST or NT-SRV-HST name such as
 * `MSSQLSvc/mi1.abc123.database.windows.net:1433`, without the `:port` that
 * SQL Server and others append, lower-cased and without a trailing dot. Only
 * dotted names count (MIT's rule: a bare label is not a FQDN). Never for a
 * `krbtgt/X` name. See {@link ServiceHostOptions.lenient} for the client's
 * looser reading.
 */
export function serviceHostOf(name: PrincipalName, options: ServiceHostOptions = {}): string | undefined {
  const parts = name.nameString;
  const lenient = options.lenient === true;
  if (lenient ? parts.length < 2 : parts.length !== 2) return undefined;
  if (!lenient && name.nameType !== NameType.NT_SRV_INST && name.nameType !== NameType.NT_SRV_HST)
    return undefined;
  if (parts[0] === TGS_NAME) return undefined;
  let host = parts[1]!;
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && /^\d+$/.test(host.slice(colon + 1))) host = host.slice(0, colon);
  host = host.toLowerCase().replace(/\.$/, '');
  if (host.length === 0) return undefined;
  return lenient || host.includes('.') ? host : undefined;
}
