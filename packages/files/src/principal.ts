/**
 * A principal as the MIT file formats store it: a realm plus an RFC 4120
 * section 5.2.2 PrincipalName, and the `name/instance@REALM` text form MIT
 * tools print (krb5_parse_name / krb5_unparse_name conventions: `/` separates
 * components, `@` starts the realm, a backslash quotes either).
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import { NameType } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** A realm-qualified principal, as stored in keytab and credential cache entries. */
export interface KrbPrincipal {
  readonly realm: string;
  readonly name: PrincipalName;
}

/**
 * Parse `name/instance@REALM`. A backslash quotes the next character
 * (`\/`, `\@`, `\\`); `\n`, `\t`, `\b` and `\0` are the control characters MIT
 * writes that way. Without `@REALM`, `defaultRealm` is used.
 *
 * @example
 * ```ts
 * parsePrincipal('HTTP/web.contoso.com@CONTOSO.COM');
 * // { realm: 'CONTOSO.COM', name: { nameType: 1, nameString: ['HTTP', 'web.contoso.com'] } }
 * ```
 * @throws KerberosError (KRB_ERR_GENERIC) on an empty name, a trailing backslash or no realm.
 */
export function parsePrincipal(
  text: string,
  options: { defaultRealm?: string; nameType?: number } = {},
): KrbPrincipal {
  const components: string[] = [];
  let current = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\') {
      i++;
      if (i >= text.length) throw bad(text, 'ends with a lone backslash');
      c = unquote(text[i]!);
    } else if (realm === undefined && c === '/') {
      components.push(current);
      current = '';
      continue;
    } else if (realm === undefined && c === '@') {
      components.push(current);
      current = '';
      realm = '';
      continue;
    } else if (c === '@') {
      throw bad(text, 'has a second unquoted @');
    }
    current += c;
  }
  if (realm === undefined) {
    components.push(current);
    realm = options.defaultRealm;
    if (realm === undefined) throw bad(text, 'has no @REALM and no default realm was given');
  } else {
    realm = current;
  }
  if (components.length === 0 || (components.length === 1 && components[0] === '')) {
    throw bad(text, 'has an empty name');
  }
  return { realm, name: { nameType: options.nameType ?? NameType.NT_PRINCIPAL, nameString: components } };
}

function unquote(c: string): string {
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

function bad(text: string, why: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_ERR_GENERIC, `principal ${JSON.stringify(text)} ${why}`);
}

function quote(s: string, specials: RegExp): string {
  return s
    .replace(specials, (c) => `\\${c}`)
    .replaceAll('\n', '\\n')
    .replaceAll('\t', '\\t')
    .replaceAll('\b', '\\b')
    .replaceAll('\0', '\\0');
}

/**
 * The `name/instance@REALM` text of a principal, quoting `/`, `@` and `\`
 * inside components (and `@`, `\` inside the realm) the way MIT's klist prints.
 */
export function formatPrincipal(p: KrbPrincipal): string {
  const name = p.name.nameString.map((c) => quote(c, /[/@\\]/g)).join('/');
  return `${name}@${quote(p.realm, /[@\\]/g)}`;
}

/**
 * True when `a` and `b` name the same principal: same realm and same
 * components. The name type is ignored, as MIT's krb5_principal_compare does.
 */
export function samePrincipal(a: KrbPrincipal, b: KrbPrincipal): boolean {
  if (a.realm !== b.realm) return false;
  const x = a.name.nameString;
  const y = b.name.nameString;
  return x.length === y.length && x.every((c, i) => c === y[i]);
}
