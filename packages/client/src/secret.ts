/**
 * The client's long-term secret and the reply key derived from it
 * (RFC 4120 section 3.1.3 and section 5.2.7.5). A password goes through the
 * etype's string-to-key (RFC 3961 section 3) with the salt and s2kparams the
 * KDC named in ETYPE-INFO2, or the default salt (realm followed by the name
 * components, RFC 4120 section 4) when it named none. A raw key or a keytab
 * entry is used as is, for its own enctype only: a raw key's (weak only with
 * `allowWeakCrypto`), a keytab's only when it is one of the client's
 * `encTypes` (which hold weak ones only with `allowWeakCrypto`).
 *
 * @module
 */

import {
  formatPrincipal,
  type KeytabEntryLike,
  type KeytabLike,
  keytabEntries,
  type PrincipalName,
  type QualifiedName,
  samePrincipal,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { salt as defaultSalt, type Key, type StringToKeyCache, WEAK_ENC_TYPES } from '@krbsim/crypto';
import { findKeytabEntry, type Keytab } from '@krbsim/files';
import type { KeyAgreementGroup } from '@krbsim/pki';

/** The client's long-term secret for {@link KerberosClient.getInitialCredentials}. */
export type InitialSecret =
  | { readonly password: string }
  | { readonly key: Key }
  | { readonly keytab: KeytabLike }
  | PkinitIdentity
  | AnonymousPkinit;

/**
 * A certificate and its private key, for PKINIT (RFC 4556): MIT's
 * `X509_user_identity=FILE:cert.pem,key.pem` with `pkinit_anchors`.
 */
export interface PkinitIdentity {
  /** The client certificate, PEM, optionally followed by its CA chain. */
  readonly certificate: string;
  /** Its private key, PKCS #8 PEM (RSA or EC). */
  readonly privateKey: string;
  /** CA certificates, PEM, that the KDC's certificate must chain to (`pkinit_anchors`). */
  readonly anchors: string | readonly string[];
  /**
   * How the KDC is asked to deliver the AS reply key: by key agreement
   * (default) or by public-key encryption (see {@link PkinitKeyDelivery}).
   */
  readonly keyDelivery?: PkinitKeyDelivery;
  /**
   * The key agreement group: `modp14` (default, 2048-bit Diffie-Hellman, as
   * MIT), `modp16`, `modp2`, or ECDH on `P-256`, `P-384`, `P-521`. Not used
   * with `keyDelivery: 'public-key-encryption'`. A KDC that refuses it is
   * asked again with a group it names only if that one is at least as strong
   * as modp14 (or as this group, if weaker).
   */
  readonly group?: KeyAgreementGroup;
  /**
   * Check the KDC certificate's id-pkinit-KPKdc EKU, its keyUsage
   * (digitalSignature) and its id-pkinit-san (krbtgt/REALM@REALM), as MIT's
   * `pkinit_eku_checking` kpKDC does. Default true.
   */
  readonly checkKdcCertificate?: boolean;
  /**
   * Host names a KDC certificate may carry as a dNSName instead of an
   * id-pkinit-san for krbtgt/REALM@REALM (MIT's `pkinit_kdc_hostname`): a
   * Windows domain controller's certificate names the domain and the DC so
   * (MS-PKCA 3.1.5.1). Compared without regard to case.
   */
  readonly kdcHostnames?: readonly string[];
}

/**
 * The two ways a PKINIT KDC delivers the AS reply key (RFC 4556 section 3.2.3):
 *
 * - `'diffie-hellman'` (the default): the AuthPack carries a Diffie-Hellman
 *   or ECDH public value in {@link PkinitIdentity.group}, the KDC answers
 *   with its own, signed, and the reply key comes from the shared secret
 *   (section 3.2.3.1, with RFC 8636's KDFs);
 * - `'public-key-encryption'`: the AuthPack carries no public value; the KDC
 *   makes a random reply key, signs it with a checksum of this AS-REQ
 *   (ReplyKeyPack) and encrypts it to the client's certificate (section
 *   3.2.3.2; MIT's `kinit -X flag_RSA_PROTOCOL=yes`, Heimdal's `kinit
 *   --pk-use-enckey`). It needs an RSA certificate: an EC one is refused
 *   before anything is sent (KRB_ERR_GENERIC).
 */
export type PkinitKeyDelivery = 'diffie-hellman' | 'public-key-encryption';

/**
 * Anonymous PKINIT (RFC 8062), as MIT's `kinit -n`: no certificate of the
 * client's, the KDC's checked against `anchors`. The principal asked for
 * is WELLKNOWN/ANONYMOUS (with the realm, `WELLKNOWN/ANONYMOUS@REALM`); the
 * ticket names WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS, and serves as FAST
 * armor (RFC 6113) among other things.
 */
export interface AnonymousPkinit {
  readonly anonymous: true;
  /** CA certificates, PEM, that the KDC's certificate must chain to (`pkinit_anchors`). */
  readonly anchors: string | readonly string[];
  /** The key agreement group, as {@link PkinitIdentity.group}. */
  readonly group?: KeyAgreementGroup;
  /** As {@link PkinitIdentity.checkKdcCertificate}. Default true. */
  readonly checkKdcCertificate?: boolean;
  /** As {@link PkinitIdentity.kdcHostnames}. */
  readonly kdcHostnames?: readonly string[];
}

/**
 * Derives reply keys for one principal from an {@link InitialSecret}, and
 * says which enctypes it can offer in an AS-REQ.
 */
export class ReplyKeySource {
  readonly #secret: InitialSecret;
  readonly #offered: readonly number[];
  /** The keytab's entries for the principal, each with a timestamp (0 when the entry has none). */
  readonly #keytab: Keytab;
  readonly #principal: QualifiedName;
  readonly #passwordKeys: StringToKeyCache;

  /**
   * @param secret the password, key or keytab
   * @param principal the name and realm asked for, to pick keytab entries
   * @param encTypes the client's enctypes, most preferred first
   * @param passwordKeys where a password's keys come from: the client's own
   *   cache of the keys it derived (string-to-key on a miss)
   */
  constructor(
    secret: InitialSecret,
    principal: QualifiedName,
    encTypes: readonly number[],
    passwordKeys: StringToKeyCache,
  ) {
    this.#secret = secret;
    this.#principal = principal;
    this.#passwordKeys = passwordKeys;
    if ('password' in secret || 'certificate' in secret || 'anonymous' in secret) {
      this.#keytab = { entries: [] };
      this.#offered = encTypes;
    } else if ('key' in secret) {
      this.#keytab = { entries: [] };
      this.#offered = [secret.key.etype];
    } else {
      const entries = keytabEntries(secret.keytab).filter((e) => samePrincipal(e.principal, principal));
      const who = formatPrincipal(principal.name, principal.realm);
      if (entries.length === 0) {
        throw new KerberosError(
          ErrorCode.KRB_AP_ERR_NOKEY,
          `the keytab holds no key for ${who}; export one (ktadd) or name the principal the keytab holds`,
          { realm: principal.realm },
        );
      }
      this.#keytab = { entries: entries.map(withTimestamp) };
      const have = new Set(entries.map((e) => e.key.etype));
      // MIT's get_init_creds_keytab only moves the enctypes the keytab holds to the front of the
      // allowed list: a keytab of none of them never widens it (to a weak enctype, say).
      this.#offered = encTypes.filter((t) => have.has(t));
      if (this.#offered.length === 0) {
        const held = [...have];
        const weak = held.some((t) => WEAK_ENC_TYPES.has(t));
        throw new KerberosError(
          ErrorCode.KDC_ERR_ETYPE_NOSUPP,
          `the keytab's keys for ${who} are of enctypes ${held.join(', ')}, none of this client's [${encTypes.join(', ')}]; export keys of an allowed enctype${weak ? ' (weak enctypes need allowWeakCrypto)' : ' or add one of those to encTypes'}`,
          { realm: principal.realm },
        );
      }
    }
  }

  /** The enctypes to list in the AS-REQ, most preferred first. */
  get offered(): readonly number[] {
    return this.#offered;
  }

  /** True when this source can produce a key of `etype`. */
  supports(etype: number): boolean {
    return this.#offered.includes(etype);
  }

  /**
   * The reply key for `etype`, or undefined when this secret cannot produce
   * one. `salt` and `s2kparams` come from ETYPE-INFO2; `saltRealm` and
   * `saltName` give the default salt when the KDC sent none.
   */
  keyFor(
    etype: number,
    salt: string | undefined,
    s2kparams: Uint8Array | undefined,
    saltRealm: string,
    saltName: PrincipalName,
  ): Key | undefined {
    const secret = this.#secret;
    if ('password' in secret) {
      const s = salt ?? defaultSalt(saltRealm, saltName.nameString);
      return this.#passwordKeys.get(etype, secret.password, s, s2kparams);
    }
    if ('key' in secret) return secret.key.etype === etype ? secret.key : undefined;
    // A certificate yields no long-term key: PKINIT agrees on the reply key (internal/pkinit.ts).
    if ('certificate' in secret || 'anonymous' in secret) return undefined;
    // The most recent key version of the enctype, as MIT's get_as_key_keytab gets it (krb5_kt_get_entry
    // with kvno 0), judged across an 8-bit kvno wraparound: @krbsim/files' rule.
    return findKeytabEntry(this.#keytab, { principal: this.#principal, etype })?.key;
  }
}

/**
 * A keytab entry as `@krbsim/files` looks entries up: with its timestamp, which a keytab parsed
 * by that package has and a hand-made entry may lack (taken as 0, the same for every such entry).
 */
function withTimestamp(e: KeytabEntryLike): Keytab['entries'][number] {
  const { timestamp } = e as { readonly timestamp?: unknown };
  return { ...e, timestamp: typeof timestamp === 'number' ? timestamp : 0 };
}
