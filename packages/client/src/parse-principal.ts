/**
 * How the client reads the principal names people give it: `@krbsim/asn1`'s
 * `parsePrincipal` (MIT's `krb5_parse_name` rules, RFC 6806 section 5
 * enterprise names) with the client's defaults. `user@domain` with a
 * lower-case domain is an enterprise name (`enterprise: 'auto'`); a service
 * name (`HTTP/web.contoso.com`, `MSSQLSvc/host:1433`) is NT-SRV-INST, as
 * Windows clients send SPNs; an empty component or realm is an error.
 *
 * @module
 */

import {
  NameType,
  type ParsePrincipalOptions,
  parsePrincipal as parseName,
  type QualifiedName,
} from '@krbsim/asn1';

/**
 * Parses `alice`, `alice@CONTOSO.COM`, `HTTP/web.contoso.com@CONTOSO.COM`, or
 * an enterprise name (`alice@contoso.com`) into a name and realm, with the
 * client's defaults (see the module comment); `options` overrides them.
 *
 * @example
 * ```ts
 * parsePrincipal('MSSQLSvc/mi1.zone.database.windows.net:1433', { defaultRealm: 'CONTOSO.COM' }).name.nameType; // 2
 * parsePrincipal('alice@contoso.com', { defaultRealm: 'CONTOSO.COM' }).name.nameType; // 10 (NT-ENTERPRISE)
 * ```
 */
export function parsePrincipal(text: string, options: ParsePrincipalOptions = {}): QualifiedName {
  return parseName(text, {
    serviceNameType: NameType.NT_SRV_INST,
    strict: true,
    ...options,
    enterprise: options.enterprise ?? 'auto',
  });
}
