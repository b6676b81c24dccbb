/**
 * The vocabulary of trusts (MS-ADTS trusted domain objects; RFC 4120
 * section 1.2): direction, kind, key-rotation options, and the public face
 * of a trust.
 *
 * It lives apart from trust.ts so that a `Realm` can list its trusts
 * (`Realm.trusts`) without importing the module that creates them, which
 * itself needs the Realm: the face is generic in the realm type, and
 * `Trust` (trust.ts) implements `RealmTrust<Realm>`. No module of the
 * package imports its own importer.
 *
 * @module
 */

import type { Key } from '@krbsim/crypto';
import type { PrincipalEntry } from './principal-db';

/** `one-way`: users of `trusted` reach `trusting`; `two-way`: both ways. */
export type TrustDirection = 'one-way' | 'two-way';

/**
 * `external`: AD external trust, non-transitive. `forest`: AD forest trust,
 * transitive. `realm`: MIT-style cross-realm keys, transitive (the path is
 * still checked hop by hop, as capaths would).
 */
export type TrustKind = 'external' | 'forest' | 'realm';

/** Options for `Trust.rotateKey`. */
export interface RotateKeyOptions {
  password?: string;
  keys?: Key[];
  /**
   * The new key version (low 16 bits). Default: one more than the side's current. A version
   * chosen lower than one held (to match the other side's) becomes current all the same: the
   * versions above it are dropped.
   */
  kvno?: number;
  /** Keep the previous version (one below the new) for tickets already issued. Default true (AD keeps the old trust password). */
  keepPrevious?: boolean;
}

/**
 * A trust between two realms of type `R`, as either of them lists it
 * (`Realm.trusts`). Implemented by `Trust`; see trust.ts for the rules.
 */
export interface RealmTrust<R> {
  /** The realm that holds the resources. */
  readonly trusting: R;
  /** The realm that holds the users. */
  readonly trusted: R;
  readonly direction: TrustDirection;
  readonly kind: TrustKind;
  readonly transitive: boolean;
  /** Lower-case DNS names routed to the trusting realm. */
  readonly topLevelNames: readonly string[];
  /** Lower-case DNS names routed to the trusted realm (`TrustOptions.trustedTopLevelNames`; two-way trusts). */
  readonly trustedTopLevelNames: readonly string[];
  /**
   * Selective authentication (AD's TRUST_ATTRIBUTE_CROSS_ORGANIZATION): users
   * of `trusted` reach only the services of `trusting` whose accounts grant
   * them Allowed to Authenticate (selective-authentication.ts).
   */
  readonly selectiveAuthentication: boolean;
  /** SID filter quarantining: only the client's domain's SIDs cross (`TrustOptions.quarantine`). */
  readonly quarantine: boolean;
  /** A forest trust that lets SIDs of any domain but the trusting forest's cross (`TrustOptions.enableSidHistory`). */
  readonly enableSidHistory: boolean;
  /** Whether ok-as-delegate crosses the trust, for TGT delegation (`TrustOptions.tgtDelegation`). */
  readonly tgtDelegation: boolean;
  /** The inter-realm principals of this trust, as `[service realm, issuing realm]` pairs. */
  readonly interRealmPrincipals: readonly (readonly [string, string])[];
  /** True when principals may cross this trust from realm `from` into realm `to`. */
  allows(from: string, to: string): boolean;
  /** The realm on the other side from `name`, if `name` is one side. */
  other(name: string): R | undefined;
  /** The inter-realm key entry `krbtgt/service@issuer` as held by `holder` (either side), or undefined. */
  keyEntry(holder: 'trusting' | 'trusted', service: string, issuer: string): PrincipalEntry | undefined;
  /** The current kvno of the inter-realm key `krbtgt/TRUSTING@TRUSTED` as `side` holds it. */
  keyVersion(side: 'trusting' | 'trusted'): number;
  /** Replace the inter-realm key(s) on one side or both. Returns the new kvno. */
  rotateKey(side: 'trusting' | 'trusted' | 'both', opts?: RotateKeyOptions): number;
  /** Undo the trust: both realms forget it and its keys. */
  remove(): void;
}
