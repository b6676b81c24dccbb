/**
 * Writing `krb5.conf` in MIT krb5's profile syntax (MIT krb5 documentation,
 * "krb5.conf": sections `[libdefaults]`, `[realms]`, `[domain_realm]`,
 * `[capaths]`), so MIT and Heimdal tools can be pointed at simulated realms
 * with `KRB5_CONFIG=<file>`.
 *
 * A realm's KDC may be `host:port` (UDP/TCP, RFC 4120 section 7.2) or an
 * `https://host:port/path` URL, which MIT (1.13 and later) treats as an
 * MS-KKDCP KDC proxy; `http_anchors` names the CA that signs the proxy's
 * certificate.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';

/** A relation value: lists are written space-separated, booleans as `true`/`false`. */
export type Krb5ConfValue = string | number | boolean | readonly string[];

/** One `[realms]` entry. */
export interface Krb5ConfRealm {
  /** The realm name, e.g. `CONTOSO.COM`. */
  readonly name: string;
  /** `host:port` or `https://host:port/kerberos` (KDC proxy), one `kdc =` line each, in order. */
  readonly kdcs: readonly string[];
  /** `admin_server = host:port`. */
  readonly adminServer?: string;
  /** `kpasswd_server = host:port`. */
  readonly kpasswd?: string;
  /** `http_anchors` lines, e.g. `FILE:/path/ca.pem`: the CAs trusted for KDC proxy URLs. */
  readonly httpAnchors?: readonly string[];
  /** Any other realm relations (`master_kdc`, `default_domain`, ...). */
  readonly extra?: Readonly<Record<string, Krb5ConfValue>>;
}

/** Input to {@link writeKrb5Conf}. */
export interface Krb5ConfOptions {
  /** `[libdefaults] default_realm`. */
  readonly defaultRealm: string;
  readonly realms: readonly Krb5ConfRealm[];
  /** `[domain_realm]`: `.contoso.com` (every host in the domain) or `host.contoso.com` → realm. */
  readonly domainRealm?: Readonly<Record<string, string>>;
  /**
   * `[capaths]`: client realm → server realm → intermediate realms, `'.'`
   * (or an empty list) for a direct path. Each intermediate is one line, in order.
   */
  readonly capaths?: Readonly<Record<string, Readonly<Record<string, '.' | readonly string[]>>>>;
  /**
   * `[libdefaults]` relations added to or replacing {@link KRB5_CONF_DEFAULTS};
   * `null` removes a default.
   */
  readonly libdefaults?: Readonly<Record<string, Krb5ConfValue | null>>;
}

/**
 * The `[libdefaults]` {@link writeKrb5Conf} writes unless overridden: no DNS
 * lookups of KDCs or realms and no hostname canonicalization, so a simulated
 * realm never reaches for real DNS.
 */
export const KRB5_CONF_DEFAULTS: Readonly<Record<string, Krb5ConfValue>> = Object.freeze({
  dns_lookup_kdc: false,
  dns_lookup_realm: false,
  rdns: false,
  dns_canonicalize_hostname: false,
});

const INDENT = '    ';

/**
 * Render a `krb5.conf`.
 *
 * @example
 * ```ts
 * writeKrb5Conf({
 *   defaultRealm: 'CONTOSO.COM',
 *   realms: [{ name: 'CONTOSO.COM', kdcs: ['127.0.0.1:50088'] }],
 *   domainRealm: { '.contoso.com': 'CONTOSO.COM' },
 *   libdefaults: { udp_preference_limit: 1, permitted_enctypes: ['aes256-cts-hmac-sha1-96'] },
 * });
 * ```
 * `[domain_realm]` keys are written in lower case, as MIT looks host names up.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) when a name or value cannot be
 *   written in the profile syntax (a line break, a `=`, `*` or whitespace in a
 *   tag, a brace or NUL in a value, a number that is not an integer).
 */
export function writeKrb5Conf(options: Krb5ConfOptions): string {
  const out: string[] = ['[libdefaults]'];
  const lib: Record<string, Krb5ConfValue | null> = {
    default_realm: options.defaultRealm,
    ...KRB5_CONF_DEFAULTS,
    ...options.libdefaults,
  };
  for (const [k, v] of Object.entries(lib)) {
    if (v !== null && v !== undefined) out.push(relation(1, k, v));
  }

  out.push('', '[realms]');
  for (const realm of options.realms) {
    out.push(`${INDENT}${tag(realm.name, 'realm name')} = {`);
    for (const kdc of realm.kdcs) out.push(relation(2, 'kdc', kdc));
    if (realm.adminServer !== undefined) out.push(relation(2, 'admin_server', realm.adminServer));
    if (realm.kpasswd !== undefined) out.push(relation(2, 'kpasswd_server', realm.kpasswd));
    for (const anchor of realm.httpAnchors ?? []) out.push(relation(2, 'http_anchors', anchor));
    for (const [k, v] of Object.entries(realm.extra ?? {})) out.push(relation(2, k, v));
    out.push(`${INDENT}}`);
  }

  const domains = Object.entries(options.domainRealm ?? {});
  if (domains.length > 0) {
    out.push('', '[domain_realm]');
    // MIT lowercases the host name it looks up: a key with capitals would never match.
    for (const [domain, realm] of domains) out.push(relation(1, domain.toLowerCase(), realm));
  }

  const capaths = Object.entries(options.capaths ?? {});
  if (capaths.length > 0) {
    out.push('', '[capaths]');
    for (const [client, servers] of capaths) {
      out.push(`${INDENT}${tag(client, 'capaths client realm')} = {`);
      for (const [server, via] of Object.entries(servers)) {
        const hops = via === '.' || via.length === 0 ? ['.'] : via;
        for (const hop of hops) out.push(relation(2, server, hop));
      }
      out.push(`${INDENT}}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function relation(depth: number, name: string, value: Krb5ConfValue): string {
  return `${INDENT.repeat(depth)}${tag(name, 'relation name')} = ${render(name, value)}`;
}

function render(name: string, value: Krb5ConfValue): string {
  const text =
    typeof value === 'boolean'
      ? String(value)
      : typeof value === 'number'
        ? checkNumber(name, value)
        : typeof value === 'string'
          ? value
          : value.join(' ');
  if (text.trim() === '' || text !== text.trim() || /[\r\n\0{}]/.test(text) || text.startsWith('"')) {
    return invalid(`value of ${name} ${JSON.stringify(text)} cannot be written unquoted`);
  }
  return text;
}

/** A number MIT's profile reads as written: an integer (a duration with a unit, such as 5m, is a string). */
function checkNumber(name: string, n: number): string {
  if (!Number.isSafeInteger(n)) {
    return invalid(
      `value of ${name} ${n} is not an integer MIT's profile reads (write a duration such as '5m' as a string)`,
    );
  }
  return String(n);
}

/**
 * `name`, if MIT's profile parser reads it back as this tag: no whitespace,
 * `=`, brackets, braces, quote or comment character, no NUL, and no `*`
 * (which ends a tag there and marks the relation final).
 */
function tag(name: string, what: string): string {
  if (name === '' || /[\s=[\]{}"#;*\0]/.test(name)) {
    return invalid(`${what} ${JSON.stringify(name)} cannot appear in krb5.conf`);
  }
  return name;
}

function invalid(message: string): never {
  throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `krb5.conf: ${message}`);
}
