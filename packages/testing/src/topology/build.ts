/**
 * A generated {@link TopologySpec} turned into running realms: one
 * `@krbsim/kdc` realm and KDC per realm spec (with its kind, forest and
 * domain SID when the spec gives them), registered on one in-process
 * transport, `user` (with the spec's password) and `host/svc.<domain>` in
 * each, every realm's DNS domain mapped in every realm, and the spec's trusts
 * created with `createTrust` (with their `tgtDelegation`, `quarantine`,
 * `enableSidHistory` and `selectiveAuthentication` when given).
 *
 * ```ts
 * fc.assert(fc.property(arbTopology(), (spec) => {
 *   const world = buildTopology(spec);
 *   const client = new KerberosClient({ realm: spec.realms[0].name, transport: world.transport, clock: world.clock });
 *   // ...
 * }));
 * ```
 *
 * @module
 */

import { type Clock, ManualClock, SeededRandom } from '@krbsim/core';
import { EncType, type Key } from '@krbsim/crypto';
import { createTrust, Kdc, Realm, type RealmKind, type Trust } from '@krbsim/kdc';
import { InProcessTransport, Trace } from '@krbsim/transport';
import type { TopologySpec } from './spec';

/** Options for {@link buildTopology}. */
export interface BuildTopologyOptions {
  /** Seeds every realm's random source (session keys, nonces; the users' keys come from the password). Default 1. */
  readonly seed?: number | string;
  /** The clock of every realm. Default: a `ManualClock` at 2026-03-01T00:00:00Z. */
  readonly clock?: Clock;
  /** Where the transport records the exchanges. Default: a new, unbounded `Trace`. */
  readonly trace?: Trace;
  /**
   * The kind of every realm whose spec gives none (`RealmSpec.kind`): its
   * defaults (PACs, FAST, error style). Default the `Realm` default (`mit`);
   * `'active-directory'` for PACs across the trusts.
   */
  readonly kind?: RealmKind;
  /** Make every realm's `host/svc.<domain>` trusted for delegation (`okAsDelegate`). Default false. */
  readonly servicesOkAsDelegate?: boolean;
}

/** The running realms of a {@link TopologySpec}, index for index. */
export interface TopologyWorld {
  readonly realms: readonly Realm[];
  readonly kdcs: readonly Kdc[];
  /**
   * `user@<realm i>`'s long-term key (AES256-CTS-HMAC-SHA1-96, its only one,
   * from the spec's password), for `getInitialCredentials('user', { key })`.
   */
  readonly userKeys: readonly Key[];
  /** The trusts, index for index with `spec.trusts`. */
  readonly trusts: readonly Trust[];
  /** Reaches every realm's KDC by realm name. */
  readonly transport: InProcessTransport;
  readonly trace: Trace;
  readonly clock: Clock;
  /** `host/svc.<domain>` of realm `i`: the service each realm holds. */
  serviceOf(i: number): string;
}

/** Builds the realms, KDCs and trusts a spec describes (see the module documentation). */
export function buildTopology(spec: TopologySpec, options: BuildTopologyOptions = {}): TopologyWorld {
  const seed = options.seed ?? 1;
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 2, 1));
  const trace = options.trace ?? new Trace();
  const transport = new InProcessTransport({ trace });
  const serviceOf = (i: number) => `host/svc.${spec.realms[i]!.domain}`;
  const realms = spec.realms.map((r, i) => {
    const kind = r.kind ?? options.kind;
    return new Realm({
      name: r.name,
      clock,
      random: new SeededRandom(`${seed}:${i}`),
      ...(kind !== undefined && { kind }),
      ...(r.forest !== undefined && { forest: r.forest }),
      ...(r.domainSid !== undefined && { domainSid: r.domainSid }),
    });
  });
  const userKeys: Key[] = [];
  const kdcs: Kdc[] = [];
  realms.forEach((realm, i) => {
    for (const other of spec.realms) realm.mapDomain(`.${other.domain}`, other.name);
    // The password's AES256 key alone (RFC 3962 string-to-key, RFC 4120's default salt: realm and name).
    const user = realm.addUser('user', {
      password: spec.password,
      encTypes: [EncType.AES256_CTS_HMAC_SHA1_96],
    });
    userKeys.push(user.keys.find((k) => k.key.etype === EncType.AES256_CTS_HMAC_SHA1_96)!.key);
    realm.addService(serviceOf(i), { okAsDelegate: options.servicesOkAsDelegate ?? false });
    const kdc = new Kdc(realm);
    kdcs.push(kdc);
    transport.register(realm.name, (req) => kdc.handle(req));
  });
  const trusts = spec.trusts.map((t) =>
    createTrust({
      trusting: realms[t.trusting]!,
      trusted: realms[t.trusted]!,
      direction: t.direction,
      kind: t.kind,
      ...(t.tgtDelegation !== undefined && { tgtDelegation: t.tgtDelegation }),
      ...(t.quarantine !== undefined && { quarantine: t.quarantine }),
      // Delegation does not cross a quarantined trust; a forest trust has no quarantine switch.
      ...(t.quarantine === undefined &&
        t.tgtDelegation === true &&
        t.kind !== 'forest' && { quarantine: false }),
      ...(t.enableSidHistory !== undefined && { enableSidHistory: t.enableSidHistory }),
      ...(t.selectiveAuthentication !== undefined && { selectiveAuthentication: t.selectiveAuthentication }),
    }),
  );
  return { realms, kdcs, userKeys, trusts, transport, trace, clock, serviceOf };
}
