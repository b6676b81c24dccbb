/**
 * Keytab entries from a password, as `ktutil addent -password` or
 * `kadmin ktadd` (with a known password) make them: one entry per enctype,
 * each key the enctype's string-to-key (RFC 3961 section 3) of the password
 * and the principal's salt, by default the RFC 4120 section 4 salt (realm
 * followed by the name components).
 *
 * @module
 */

import type { QualifiedName } from '@krbsim/asn1';
import { salt as defaultSalt, redactedKey, stringToKey } from '@krbsim/crypto';
import type { KeytabEntry } from './keytab';

/** Input to {@link keytabEntriesFromPassword}. */
export interface PasswordEntriesOptions {
  readonly principal: QualifiedName;
  readonly password: string | Uint8Array;
  /** One entry per etype, in this order (e.g. `[18, 17]`). */
  readonly etypes: readonly number[];
  readonly kvno: number;
  /** The entries' timestamp in milliseconds: pass your clock's `now()`. */
  readonly timestamp: number;
  /** Override the salt (an ETYPE-INFO2 salt, or a Windows-style one). Default: realm + components. */
  readonly salt?: string | Uint8Array;
  /** s2kparams (a 4-byte big-endian PBKDF2 iteration count for AES); default the etype's. */
  readonly s2kparams?: Uint8Array;
}

/**
 * The keytab entries a password yields, one per etype. Their keys print and
 * serialize (`util.inspect`, `JSON.stringify`) as `<redacted N bytes>`, as
 * `parseKeytab`'s do.
 *
 * @example
 * ```ts
 * const entries = keytabEntriesFromPassword({
 *   principal: parsePrincipal('HTTP/web.contoso.com@CONTOSO.COM'),
 *   password: 'S3rvice!', etypes: [18, 17], kvno: 2, timestamp: clock.now(),
 * });
 * ```
 * @throws KerberosError from `@krbsim/crypto` for an unsupported etype or bad s2kparams.
 */
export function keytabEntriesFromPassword(options: PasswordEntriesOptions): KeytabEntry[] {
  const { principal, password, kvno, timestamp } = options;
  const salt = options.salt ?? defaultSalt(principal.realm, principal.name.nameString);
  return options.etypes.map((etype) => {
    const key = stringToKey(etype, password, salt, options.s2kparams);
    return { principal, timestamp, kvno, key: redactedKey(key) };
  });
}
