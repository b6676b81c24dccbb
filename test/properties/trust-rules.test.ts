/**
 * Property tests of the trust rules, over generated realm topologies: real
 * KDCs and the real client, in process, against independent oracles from
 * @krbsim/testing, which know nothing of the KDC's code: `reachableRealms`
 * (routing) and, for realms that issue PACs, `pacReachableRealms` and
 * `sidsKeptAlong` (SID filtering at trusts, MS-PAC 4.1.2.2, and selective
 * authentication, MS-KILE 3.3.5.7.5).
 *
 * No property fixes its seed: CI's KRBSIM_FC_SEED (test/setup/fast-check-seed.ts)
 * seeds them all, so each commit tries other topologies. Cases a property must
 * always try are its `examples`, and each property checks that the topologies
 * it met covered what it is about (every verdict, boundary, long paths).
 */
import {
  decodeEncTicketPart,
  decodeKrbError,
  decodeTransited,
  KdcOptions,
  NameType,
  TicketFlags,
} from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { createTrust, Kdc, MAX_TRUST_PATH } from '@krbsim/kdc';
import { decodePac, findPac, formatSid, getPacBuffer, PacBufferType } from '@krbsim/pac';
import {
  arbTopology,
  buildTopology,
  crossTo,
  domainSidOf,
  MAX_TRUST_HOPS,
  type PacReach,
  type PacRefusalReason,
  pacCarriedAlong,
  pacReachableRealms,
  REALM_NAMES,
  type RealmSpec,
  reachableRealms,
  sidsKeptAlong,
  type TopologySpec,
  type TopologyWorld,
  TRUST_BOUNDARIES,
  type TrustBoundarySpec,
  type TrustSpec,
  trustBoundaryOf,
} from '@krbsim/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encTimestamp,
  forgedCreds,
  login,
  makeRealm,
  openRep,
  pacRequest,
  paForUser,
  paPacOptionsRbcd,
  pn,
  repOf,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from '../../packages/kdc/test/helpers';

const MAX_HOPS = MAX_TRUST_HOPS;

/** The reply's message name, or a KRB-ERROR's code. */
function errorOrReply(reply: Uint8Array): number | 'TGS-REP' {
  return reply[0] === 0x7e ? decodeKrbError(reply).errorCode : 'TGS-REP';
}

type World = TopologyWorld;

/** The topology, running: one KDC per realm, `user` and `host/svc.<domain>` in each (@krbsim/testing). */
function build(spec: TopologySpec, seed: number): World {
  return buildTopology(spec, { seed });
}

type Outcome =
  | {
      ok: true;
      transited: string[];
      crealm: string;
      flags: number;
      /** The ExtraSids of the ticket's PAC, as text; undefined without a PAC. */
      extraSids: string[] | undefined;
    }
  | { ok: false; code: number };

/** A user of realm `home` asks for `host/svc.<target domain>`: the ticket's transited realms, or the error. */
async function attempt(world: World, spec: TopologySpec, home: number, target: number): Promise<Outcome> {
  const client = new KerberosClient({
    realm: spec.realms[home]!.name,
    transport: world.transport,
    clock: world.clock,
    random: new SeededRandom(`client:${home}:${target}`),
    maxReferralHops: MAX_HOPS,
  });
  await client.getInitialCredentials('user', { key: world.userKeys[home]! });
  const spn = `host/svc.${spec.realms[target]!.domain}`;
  try {
    const cred = await client.getServiceTicket(spn);
    // Open the ticket with the service's own key, as the service would.
    const service = world.realms[target]!;
    const key = service.keysFor(spn).find((k) => k.etype === cred.ticket.encPart.etype)!;
    const part = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, cred.ticket.encPart.cipher));
    expect(cred.server.realm).toBe(service.name);
    expect(cred.ticket.sname).toEqual({
      nameType: expect.any(Number),
      nameString: ['host', `svc.${spec.realms[target]!.domain}`],
    });
    // The reply's copy of the flags is the ticket's (RFC 4120 section 5.4.2).
    expect(cred.flags).toBe(part.flags);
    const pac = findPac(part.authorizationData);
    const info = pac === undefined ? undefined : getPacBuffer(decodePac(pac.pac), PacBufferType.LOGON_INFO);
    return {
      ok: true,
      transited: decodeTransited(part.transited.contents),
      crealm: part.crealm,
      flags: part.flags,
      extraSids: info?.extraSids.map((e) => formatSid(e.sid)),
    };
  } catch (e) {
    if (!(e instanceof KerberosError)) throw e;
    // No service ticket was cached for the refused request.
    expect(client.cache.all().some((c) => c.server.name.nameString.join('/') === spn)).toBe(false);
    return { ok: false, code: e.code };
  }
}

/**
 * The realms whose KDCs the client asked in TGS-REQs since trace entry `since`, by index: the path
 * its referrals took, up to the realm that answered last (with a ticket or an error).
 */
function routeSince(world: World, spec: TopologySpec, since: number): number[] {
  const index = new Map(spec.realms.map((r, i) => [`KDC ${r.name}`, i]));
  return world.trace.entries
    .slice(since)
    .filter((e) => e.requestType === 'TGS-REQ')
    .map((e) => index.get(e.to)!);
}

/**
 * Checks an attempt's outcome against the PAC oracle's answer for its target: a ticket on a clean
 * shortest path, or KDC_ERR_POLICY from the realm where SID filtering refuses the user on one, as
 * the verdict allows (`either`: whichever the KDC's choice of path gives). `route` is the path the
 * referrals took ({@link routeSince}). Returns the path of a ticket.
 */
function checkPacOutcome(
  spec: TopologySpec,
  reach: PacReach,
  out: Outcome,
  route: number[],
  refusedBy?: Set<PacRefusalReason>,
): number[] | undefined {
  const shown = (p: readonly number[]) => p.map((i) => spec.realms[i]!.name).join(' -> ');
  if (out.ok) {
    expect(reach.verdict, `served on ${shown(route)}`).not.toBe('refused');
    const path = reach.paths.find((p) => p.realms.join() === route.join());
    expect(path, `${shown(route)} is a shortest path`).toBeDefined();
    expect(path!.refusedAt, `${shown(route)} is clean`).toBeUndefined();
    // The ticket names the path its referrals took.
    expect(out.transited).toEqual(route.slice(1, -1).map((i) => spec.realms[i]!.name));
    return route;
  }
  expect(reach.verdict, `refused on ${shown(route)} (${out.code})`).not.toBe('succeeds');
  expect(out.code).toBe(ErrorCode.KDC_ERR_POLICY);
  // Refused by the realm where the oracle says SID filtering refuses the user on that path.
  const refusedHere = reach.paths.filter(
    (p) => p.refusedAt === route.length - 1 && p.realms.slice(0, route.length).join() === route.join(),
  );
  expect(refusedHere.length, `the KDC of the last realm of ${shown(route)} refuses the user`).toBeGreaterThan(
    0,
  );
  for (const p of refusedHere) refusedBy?.add(p.refusedBy!);
  return undefined;
}

/** A topology of AD forests, with the trusts' SID filtering switches, whose boundaries properties check. */
const arbAdTopology = (
  o: { minRealms?: number; maxRealms?: number; minTrusts?: number; maxTrusts?: number } = {},
) => arbTopology({ maxRealms: 4, maxTrusts: 5, ...o, forests: true, sidFiltering: true });

/**
 * D (DELTA, a child domain of CHARLIE's forest) reaches A in two hops either through B, across two
 * quarantined realm trusts (refused at A: B speaks for no domain behind it), or through its forest's
 * root C and a forest trust (served): the PAC oracle says `either`.
 */
const EITHER_EXAMPLE: TopologySpec = {
  realms: [
    { name: 'ALPHA.TEST', domain: 'alpha.test', domainSid: 'S-1-5-21-100-200-300' },
    { name: 'BRAVO.TEST', domain: 'bravo.test', domainSid: 'S-1-5-21-100-200-301' },
    { name: 'CHARLIE.TEST', domain: 'charlie.test', domainSid: 'S-1-5-21-100-200-302' },
    { name: 'DELTA.TEST', domain: 'delta.test', domainSid: 'S-1-5-21-100-200-303', forest: 'CHARLIE.TEST' },
  ],
  trusts: [
    { trusting: 2, trusted: 3, direction: 'two-way', kind: 'realm' },
    { trusting: 1, trusted: 3, direction: 'one-way', kind: 'realm' },
    { trusting: 0, trusted: 1, direction: 'one-way', kind: 'realm' },
    { trusting: 0, trusted: 2, direction: 'one-way', kind: 'forest' },
  ],
  password: 'Pa55w0rd!',
};

/**
 * A chain of `n` realms, each trusting the one before it over a two-way `realm` trust: `n - 1` hops
 * from end to end. `forest`: one AD forest, each domain a child of the one before it
 * (`BRAVO.ALPHA.TEST`, `CHARLIE.BRAVO.ALPHA.TEST`, ...), so that nothing is SID-filtered.
 */
function chainSpec(n: number, forest: boolean): TopologySpec {
  const realms: RealmSpec[] = [];
  for (let i = 0; i < n; i++) {
    const name = i === 0 || !forest ? `${REALM_NAMES[i]}.TEST` : `${REALM_NAMES[i]}.${realms[i - 1]!.name}`;
    realms.push({
      name,
      domain: name.toLowerCase(),
      domainSid: `S-1-5-21-100-200-${300 + i}`,
      ...(forest && i > 0 && { forest: 'ALPHA.TEST' }),
    });
  }
  const trusts = realms
    .slice(1)
    .map((_, i): TrustSpec => ({ trusting: i + 1, trusted: i, direction: 'two-way', kind: 'realm' }));
  return { realms, trusts, password: 'Pa55w0rd!' };
}

/** Realm `i` of the examples below: `ALPHA.TEST`, ..., with its domain SID (AD unless `extra` says). */
function exampleRealm(i: number, extra: Partial<RealmSpec> = {}): RealmSpec {
  const name = `${REALM_NAMES[i]}.TEST`;
  return { name, domain: name.toLowerCase(), domainSid: `S-1-5-21-100-200-${300 + i}`, ...extra };
}

/**
 * Realms of both kinds and selective-authentication trusts, each with the realm of the user and the
 * realm of the service it asks for:
 * - CHARLIE's user crosses a selective forest trust into ALPHA, then a relaxed realm trust into
 *   BRAVO of a third forest: the OTHER_ORGANIZATION SID ALPHA added does not cross into BRAVO, whose
 *   service serves the user (user of CHARLIE, service of BRAVO);
 * - the same into BRAVO.ALPHA.TEST, a child domain of ALPHA: the SID stays, and BRAVO's service
 *   refuses the user (KDC_ERR_POLICY);
 * - a user of an MIT realm across a selective external trust: no PAC to check, refused at ALPHA;
 * - ALPHA (AD) -> BRAVO (MIT) -> CHARLIE (AD): BRAVO drops the PAC, CHARLIE's ticket has none
 *   (user of ALPHA, service of CHARLIE), and a selective forest trust on to DELTA refuses the
 *   user there (service of DELTA).
 */
const MIXED_EXAMPLES: readonly [TopologySpec, number, number][] = [
  [
    {
      realms: [exampleRealm(0), exampleRealm(1), exampleRealm(2)],
      trusts: [
        { trusting: 0, trusted: 2, direction: 'one-way', kind: 'forest', selectiveAuthentication: true },
        { trusting: 1, trusted: 0, direction: 'one-way', kind: 'realm', quarantine: false },
      ],
      password: 'Pa55w0rd!',
    },
    2,
    1,
  ],
  [
    {
      realms: [
        exampleRealm(0),
        { ...exampleRealm(1), name: 'BRAVO.ALPHA.TEST', domain: 'bravo.alpha.test', forest: 'ALPHA.TEST' },
        exampleRealm(2),
      ],
      trusts: [
        { trusting: 0, trusted: 1, direction: 'two-way', kind: 'realm' },
        { trusting: 0, trusted: 2, direction: 'one-way', kind: 'forest', selectiveAuthentication: true },
      ],
      password: 'Pa55w0rd!',
    },
    2,
    1,
  ],
  [
    {
      realms: [exampleRealm(0), exampleRealm(1, { kind: 'mit' })],
      trusts: [
        { trusting: 0, trusted: 1, direction: 'one-way', kind: 'external', selectiveAuthentication: true },
      ],
      password: 'Pa55w0rd!',
    },
    1,
    0,
  ],
  ...[2, 3].map((target): [TopologySpec, number, number] => [
    {
      realms: [exampleRealm(0), exampleRealm(1, { kind: 'mit' }), exampleRealm(2), exampleRealm(3)],
      trusts: [
        { trusting: 1, trusted: 0, direction: 'one-way', kind: 'realm' },
        { trusting: 2, trusted: 1, direction: 'one-way', kind: 'realm' },
        { trusting: 3, trusted: 2, direction: 'one-way', kind: 'forest', selectiveAuthentication: true },
      ],
      password: 'Pa55w0rd!',
    },
    0,
    target,
  ]),
];

describe('trust rules over generated topologies', () => {
  it('a user reaches a service exactly when the oracle says its realm is reachable, over the shortest path', async () => {
    // Topologies of 4 to 6 realms and 4 to 6 trusts: enough that paths of 3 hops and more come up
    // whatever the seed (smaller topologies are in the properties below).
    let longest = 0;
    await fc.assert(
      fc.asyncProperty(
        arbTopology({ minRealms: 4, maxRealms: 6, minTrusts: 4, maxTrusts: 6 }),
        fc.nat(),
        async (spec, seed) => {
          const world = build(spec, seed);
          for (let home = 0; home < spec.realms.length; home++) {
            const reach = reachableRealms(spec, home);
            for (let target = 0; target < spec.realms.length; target++) {
              const before = world.trace.entries.length;
              const out = await attempt(world, spec, home, target);
              const hops = reach.get(target);
              if (hops === undefined) {
                expect(out).toMatchObject({ ok: false });
                expect([ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, ErrorCode.KDC_ERR_POLICY]).toContain(
                  (out as { code: number }).code,
                );
                continue;
              }
              expect(out).toMatchObject({ ok: true, crealm: spec.realms[home]!.name });
              // Transited names the realms crossed between home and target: hops - 1 of them,
              // none of them the client's or the service's realm (RFC 4120 section 3.3.3.2).
              const transited = (out as { transited: string[] }).transited;
              expect(transited).toHaveLength(Math.max(0, hops - 1));
              expect(transited).not.toContain(spec.realms[home]!.name);
              expect(transited).not.toContain(spec.realms[target]!.name);
              // Referral chasing took one TGS exchange per hop, plus the first ask at home (AS: 2 more).
              const tgs = world.trace.entries.slice(before).filter((e) => e.requestType === 'TGS-REQ');
              expect(tgs.length).toBe(hops === 0 ? 1 : hops + 1);
              longest = Math.max(longest, hops);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
    // Referrals over 3 hops and more were followed (else the transited checks said little).
    expect(longest).toBeGreaterThanOrEqual(3);
  });

  it(`follows a path of ${MAX_TRUST_HOPS} hops and no longer one, as the oracles say (the KDC's MAX_TRUST_PATH)`, async () => {
    expect(MAX_TRUST_HOPS).toBe(MAX_TRUST_PATH);
    // Chains of 11 and 12 realms: 10 and 11 hops from end to end, MIT realms, and AD domains of one
    // forest (no SID filtering; a child domain below each, so transited compresses).
    for (const n of [11, 12]) {
      for (const kind of ['mit', 'active-directory'] as const) {
        const spec = chainSpec(n, kind === 'active-directory');
        const world = buildTopology(spec, { kind });
        for (const home of [0, n - 1]) {
          const reach = reachableRealms(spec, home);
          const pac = pacReachableRealms(spec, home, { kind });
          for (const target of [0, 1, n - 2, n - 1]) {
            const hops = Math.abs(target - home);
            const shown = `${kind}, ${n} realms, ${home} -> ${target}`;
            expect(reach.get(target), shown).toBe(hops <= MAX_TRUST_HOPS ? hops : undefined);
            expect(pac.get(target)?.verdict, shown).toBe(hops <= MAX_TRUST_HOPS ? 'succeeds' : undefined);
            const out = await attempt(world, spec, home, target);
            if (hops > MAX_TRUST_HOPS) {
              expect(out, shown).toEqual({ ok: false, code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN });
              continue;
            }
            expect(out, shown).toMatchObject({ ok: true, crealm: spec.realms[home]!.name });
            const step = target > home ? 1 : -1;
            const between = Array.from({ length: Math.max(0, hops - 1) }, (_, i) => home + step * (i + 1));
            expect((out as { transited: string[] }).transited, shown).toEqual(
              between.map((i) => spec.realms[i]!.name),
            );
          }
        }
      }
    }
  });

  it('an AD user reaches a service exactly as SID filtering at the trusts of its shortest paths allows', async () => {
    // AD realms in forests of one or more domains, trusts with their SID filtering switches: the
    // oracle (pacReachableRealms) refuses a path where a trust's boundary does not admit the user's
    // own domain, as a quarantined trust from a realm not the user's; it leaves the choice among
    // shortest paths to the KDC, and checks the path the referrals took.
    const verdicts = new Set<string>();
    const crossed = new Set<TrustBoundarySpec>();
    await fc.assert(
      fc.asyncProperty(arbAdTopology({ maxRealms: 5, maxTrusts: 6 }), fc.nat(), async (spec, seed) => {
        const world = buildTopology(spec, { seed, kind: 'active-directory' });
        for (let home = 0; home < spec.realms.length; home++) {
          const reach = pacReachableRealms(spec, home);
          for (let target = 0; target < spec.realms.length; target++) {
            const before = world.trace.entries.length;
            const out = await attempt(world, spec, home, target);
            const r = reach.get(target);
            if (r === undefined) {
              expect(out).toMatchObject({ ok: false });
              expect([ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, ErrorCode.KDC_ERR_POLICY]).toContain(
                (out as { code: number }).code,
              );
              continue;
            }
            verdicts.add(r.verdict);
            const route = routeSince(world, spec, before);
            const path = checkPacOutcome(spec, r, out, route);
            if (path === undefined) continue;
            expect(out).toMatchObject({ ok: true, crealm: spec.realms[home]!.name });
            expect(path).toHaveLength(r.hops + 1);
            for (let i = 1; i < path.length; i++) crossed.add(trustBoundaryOf(spec, path[i - 1]!, path[i]!));
          }
        }
      }),
      { numRuns: 30, examples: [[EITHER_EXAMPLE, 0]] },
    );
    // The topologies meet every verdict and every boundary (else the property says little); `either`
    // is rare in generated ones, and EITHER_EXAMPLE has it.
    expect([...verdicts].sort()).toEqual(['either', 'refused', 'succeeds']);
    expect([...crossed].sort()).toEqual([...TRUST_BOUNDARIES].sort());
  });

  it('ok-as-delegate on a ticket to a service trusted for delegation exactly when every trust of its path allows TGT delegation', async () => {
    // AD realms in forests, whose trusts allow TGT delegation or not at random (unquarantined where
    // they do, as createTrust requires); the oracle is MS-KILE 3.3.5.7.5's rule over the path the
    // ticket names (its transited realms), where SID filtering lets the user through at all.
    const withDelegation = arbAdTopology().chain((spec) =>
      fc
        .array(fc.boolean(), { minLength: spec.trusts.length, maxLength: spec.trusts.length })
        .map((allow) => ({
          ...spec,
          trusts: spec.trusts.map((t, i) => ({
            ...t,
            tgtDelegation: allow[i]!,
            ...(allow[i]! && t.kind !== 'forest' && { quarantine: false }),
          })),
        })),
    );
    await fc.assert(
      fc.asyncProperty(withDelegation, fc.nat(), async (spec, seed) => {
        const world = buildTopology(spec, { seed, kind: 'active-directory', servicesOkAsDelegate: true });
        const index = new Map(spec.realms.map((r, i) => [r.name, i]));
        const allows = (a: string, b: string) =>
          spec.trusts.some(
            (t) =>
              t.tgtDelegation === true &&
              ((t.trusting === index.get(a) && t.trusted === index.get(b)) ||
                (t.trusting === index.get(b) && t.trusted === index.get(a))),
          );
        for (let home = 0; home < spec.realms.length; home++) {
          for (const [target, reach] of pacReachableRealms(spec, home)) {
            const before = world.trace.entries.length;
            const out = await attempt(world, spec, home, target);
            if (checkPacOutcome(spec, reach, out, routeSince(world, spec, before)) === undefined) continue;
            if (!out.ok) throw new Error('unreachable');
            const path =
              home === target
                ? [spec.realms[home]!.name] // a local ticket: no trust, the service's flag alone
                : [spec.realms[home]!.name, ...out.transited, spec.realms[target]!.name];
            const expected = path.slice(1).every((r, i) => allows(path[i]!, r));
            expect((out.flags & TicketFlags['ok-as-delegate']) !== 0, path.join(' -> ')).toBe(expected);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it("never lets a PAC from across a trust speak for the receiving realm's own domain (SID filtering)", async () => {
    await fc.assert(
      fc.asyncProperty(arbAdTopology({ minRealms: 2 }), fc.nat(), fc.nat(), async (spec, a, b) => {
        const world = buildTopology(spec, { seed: 3, kind: 'active-directory' });
        const home = a % spec.realms.length;
        // Targets the user reaches with its own identity on every shortest path.
        const served = [...pacReachableRealms(spec, home)]
          .filter(([t, r]) => t !== home && r.verdict === 'succeeds')
          .map(([t]) => t);
        fc.pre(served.length > 0);
        const target = served[b % served.length]!;
        // First the user as its own realm made it: served, as the oracle says.
        expect((await attempt(world, spec, home, target)).ok).toBe(true);
        // Then the home realm's directory claims, for the same user, the target domain's
        // Administrator and Domain Admins: some realm on the way must refuse; none may serve it.
        const targetSid = world.realms[target]!.directory.domainSid;
        world.realms[home]!.directory.setExternalIdentity('user', {
          sid: `${targetSid}-500`,
          groupSids: [`${targetSid}-512`],
        });
        expect(await attempt(world, spec, home, target)).toEqual({
          ok: false,
          code: ErrorCode.KDC_ERR_POLICY,
        });
      }),
      { numRuns: 20 },
    );
  });

  it('keeps of the ExtraSids of a legitimate user exactly what the trust boundaries of its path admit (SID filtering)', async () => {
    // The user of each realm, whose logon domain is its own, and whose ExtraSids carry SIDs of every
    // domain of the topology (each target's among them) and of a domain outside it, with RIDs
    // below, at and above 1000, and well-known SIDs that are no domain's, asks every realm it may
    // reach: each service ticket's PAC keeps what every hop's boundary admits (sidsKeptAlong, from
    // the documented rules; a hop filters what the hops before it kept), no more, no less. Among them
    // identity assertions (S-1-18 and one sub-authority, MS-DTYP 2.4.2.4), which every boundary
    // admits, and a SID under S-1-18 with more, which is none and crosses only within a forest.
    const ELSEWHERE = 'S-1-5-21-9-9-9';
    const RIDS = [512, 999, 1000, 1105];
    const crossed = new Set<TrustBoundarySpec>();
    let kept = 0;
    let removed = 0;
    let multiHop = 0;
    /** The user of `home`, with `extra` as ExtraSids, asks each of `targets`; checks the tickets' ExtraSids. */
    const check = async (
      spec: TopologySpec,
      world: World,
      home: number,
      targets: [number, PacReach][],
      how: string,
      extra: string[],
    ) => {
      for (const [target, reach] of targets) {
        const before = world.trace.entries.length;
        const out = await attempt(world, spec, home, target);
        const path = checkPacOutcome(spec, reach, out, routeSince(world, spec, before));
        if (path === undefined || !out.ok) continue; // refused on the path the KDC chose (`either`)
        // The KDC adds S-1-18-1 (authentication authority asserted identity) after them.
        const expected = sidsKeptAlong(spec, path, [...extra, 'S-1-18-1']);
        const shown = path.map((i) => spec.realms[i]!.name).join(' -> ');
        expect(out.extraSids, `${how}: ${shown}`).toEqual(expected);
        kept += expected.length;
        removed += extra.length + 1 - expected.length;
        for (let i = 1; i < path.length; i++) crossed.add(trustBoundaryOf(spec, path[i - 1]!, path[i]!));
        if (path.length > 2) multiHop++;
      }
    };
    await fc.assert(
      // 4 or 5 realms and 3 trusts at least: paths of several hops in every run.
      fc.asyncProperty(
        arbAdTopology({ minRealms: 4, maxRealms: 5, minTrusts: 3, maxTrusts: 6 }),
        async (spec) => {
          const world = buildTopology(spec, { seed: 5, kind: 'active-directory' });
          const domains = [...spec.realms.map((_, i) => domainSidOf(spec, i)), ELSEWHERE];
          const sidsOf = (ds: string[]) => ds.flatMap((d) => RIDS.map((rid) => `${d}-${rid}`));
          for (let home = 0; home < spec.realms.length; home++) {
            const targets = [...pacReachableRealms(spec, home)].filter(
              ([t, r]) => t !== home && r.verdict !== 'refused',
            );
            const dir = world.realms[home]!.directory;
            // SIDs of every domain (the user's own too) in its sIDHistory.
            const history = sidsOf(domains);
            for (const sid of history) dir.addSidHistory('user', sid);
            await check(spec, world, home, targets, 'sIDHistory', history);
            // From an identity held elsewhere with the user's own SID: other domains' groups and
            // well-known SIDs (its own domain's groups would be GroupIds).
            const groups = [
              ...sidsOf(domains.filter((d) => d !== domainSidOf(spec, home))),
              'S-1-5-9',
              'S-1-5-32-544',
              'S-1-18-3',
              'S-1-18-1-5',
            ];
            dir.setExternalIdentity('user', { sid: dir.sidOf(dir.account('user')!.rid), groupSids: groups });
            await check(spec, world, home, targets, 'external identity', groups);
          }
        },
      ),
      { numRuns: 25 },
    );
    // Every boundary met, SIDs kept and removed, and paths of several hops (else it says little).
    expect([...crossed].sort()).toEqual([...TRUST_BOUNDARIES].sort());
    expect(kept).toBeGreaterThan(0);
    expect(removed).toBeGreaterThan(0);
    expect(multiHop).toBeGreaterThanOrEqual(20);
  });

  it('over realms of both kinds and selective-authentication trusts, a user reaches a service, with a PAC or none, exactly as the oracle says', async () => {
    // MIT and AD realms mixed, AD forests, SID filtering switches and selective authentication (no
    // service grants Allowed to Authenticate): pacReachableRealms says where SID filtering or
    // selective authentication refuses the user, pacCarriedAlong whether the ticket carries a PAC (a
    // `mit` realm on the way carries none on), sidsKeptAlong what its PAC keeps.
    const refusedBy = new Set<PacRefusalReason>();
    let withPac = 0;
    let droppedPac = 0;
    const examples = MIXED_EXAMPLES.map(([spec]): [TopologySpec, number] => [spec, 0]);
    const asked = new Map(MIXED_EXAMPLES.map(([spec, home, target]) => [spec, [home, target] as const]));
    await fc.assert(
      fc.asyncProperty(
        arbTopology({
          minRealms: 3,
          maxRealms: 5,
          minTrusts: 3,
          maxTrusts: 6,
          forests: true,
          sidFiltering: true,
          kinds: true,
          selectiveAuthentication: true,
        }),
        fc.nat(),
        async (spec, seed) => {
          const world = buildTopology(spec, { seed, kind: 'active-directory' });
          // An example's own pair, or every pair (counted: the examples say nothing of the generator).
          const example = asked.get(spec);
          const pairs =
            example !== undefined
              ? [example]
              : spec.realms.flatMap((_, h) => spec.realms.map((_, t) => [h, t] as const));
          for (const [home, target] of pairs) {
            const before = world.trace.entries.length;
            const out = await attempt(world, spec, home, target);
            const reach = pacReachableRealms(spec, home).get(target);
            if (reach === undefined) {
              expect(out).toMatchObject({ ok: false });
              expect([ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, ErrorCode.KDC_ERR_POLICY]).toContain(
                (out as { code: number }).code,
              );
              continue;
            }
            const seen = example === undefined ? refusedBy : undefined;
            const path = checkPacOutcome(spec, reach, out, routeSince(world, spec, before), seen);
            if (path === undefined || !out.ok) continue;
            const shown = path.map((i) => spec.realms[i]!.name).join(' -> ');
            if (pacCarriedAlong(spec, path)) {
              // The KDC adds S-1-18-1 (authentication authority asserted identity) to the user's.
              expect(out.extraSids, shown).toEqual(sidsKeptAlong(spec, path, ['S-1-18-1']));
              if (example === undefined && path.length > 1) withPac++;
            } else {
              expect(out.extraSids, shown).toBeUndefined();
              if (example === undefined && spec.realms[target]!.kind === 'active-directory') droppedPac++;
            }
          }
        },
      ),
      { numRuns: 30, examples },
    );
    // Both refusals, PACs across trusts, and AD services reached without one (else it says little).
    expect([...refusedBy].sort()).toEqual(['selective-authentication', 'sid-filtering']);
    expect(withPac).toBeGreaterThan(0);
    expect(droppedPac).toBeGreaterThan(0);
  });

  it('never lets a one-way trust grant access the other way', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbTopology({ minRealms: 2, maxRealms: 2, maxTrusts: 1 }).filter(
          (s) => s.trusts.length === 1 && s.trusts[0]!.direction === 'one-way',
        ),
        async (spec) => {
          const world = build(spec, 1);
          const t = spec.trusts[0]!;
          const forward = await attempt(world, spec, t.trusted, t.trusting);
          const backward = await attempt(world, spec, t.trusting, t.trusted);
          expect(forward.ok).toBe(true);
          expect(backward).toEqual({ ok: false, code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN });
          // And by keys: the trusting realm holds no key for krbtgt/TRUSTED@TRUSTING.
          const trusting = world.realms[t.trusting]!;
          const trusted = world.realms[t.trusted]!;
          expect(trusting.lookup(`krbtgt/${trusted.name}@${trusting.name}`)).toBeUndefined();
        },
      ),
      { numRuns: 12 },
    );
  });

  it("never accepts a cross-realm TGT that claims one of the accepting realm's own clients (lineage)", async () => {
    await fc.assert(
      fc.asyncProperty(
        // At least one trust: without one there is no inter-realm key to forge with.
        arbTopology({ minRealms: 2, maxRealms: 4, minTrusts: 1, maxTrusts: 5 }),
        fc.nat(),
        async (spec, seed) => {
          const world = build(spec, seed);
          let keys = 0;
          // Every inter-realm key krbtgt/B@A that A holds: whoever holds it can make any TGT.
          for (const a of world.realms) {
            for (const b of world.realms) {
              if (a === b) continue;
              const entry = a.lookup(`krbtgt/${b.name}@${a.name}`);
              if (entry === undefined) continue;
              keys++;
              const key = entry.keys.at(-1)!;
              const kdc = new Kdc(b);
              const ask = (crealm: string) =>
                errorOrReply(
                  kdc.handle(
                    tgsReq({
                      tgt: forgedCreds(
                        a.name,
                        `krbtgt/${b.name}`,
                        crealm,
                        'user',
                        key.key,
                        key.kvno,
                        world.clock.now(),
                      ),
                      realm: b.name,
                      sname: 'user',
                      now: world.clock.now(),
                    }),
                  ),
                );
              // Claiming one of B's own users is refused, whatever the topology.
              expect(ask(b.name)).toBe(ErrorCode.KDC_ERR_POLICY);
              // Vouching for A's own user is what the key is for.
              expect(ask(a.name)).toBe('TGS-REP');
            }
          }
          // One key per trust and direction it allows: every trust was tried.
          expect(keys).toBe(spec.trusts.reduce((n, t) => n + (t.direction === 'two-way' ? 2 : 1), 0));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('terminates referral chasing within the hop bound even when KDCs refer in a loop', async () => {
    // Two rogue KDCs that always answer with a referral to each other: the client must stop.
    const spec: TopologySpec = {
      realms: [
        { name: 'ALPHA.TEST', domain: 'alpha.test' },
        { name: 'BRAVO.TEST', domain: 'bravo.test' },
      ],
      trusts: [{ trusting: 1, trusted: 0, direction: 'two-way', kind: 'forest' }],
      password: 'x',
    };
    const world = build(spec, 3);
    // Make each realm route the other's domain back to itself's partner, forever.
    world.realms[0]!.mapDomain('.loop.test', 'BRAVO.TEST');
    world.realms[1]!.mapDomain('.loop.test', 'ALPHA.TEST');
    const client = new KerberosClient({
      realm: 'ALPHA.TEST',
      transport: world.transport,
      clock: world.clock,
      random: new SeededRandom('loop'),
      maxReferralHops: MAX_HOPS,
    });
    await client.getInitialCredentials('user', { key: world.userKeys[0]! });
    const before = world.trace.entries.length;
    const err = await client.getServiceTicket('host/x.loop.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KerberosError);
    expect(world.trace.entries.length - before).toBeLessThanOrEqual(MAX_HOPS + 1);
  });

  it('S4U2Proxy across a trust: a ticket exactly when the trust lets the service realm in and the target names the service', () => {
    // Two AD realms; websvc of realm A delegates for alice of A to sql of B. The oracle is the
    // spec's own crossTo (not the KDC's routing) and the target's resource-based list.
    fc.assert(
      fc.property(
        fc.constantFrom<'one-way' | 'two-way'>('one-way', 'two-way'),
        fc.constantFrom<'forest' | 'external' | 'realm'>('forest', 'external', 'realm'),
        fc.boolean(), // A is the trusting side
        fc.boolean(), // sql's list names websvc@A
        (direction, kind, aTrusts, allowed) => {
          const clock = new ManualClock(T0);
          const ad = { kind: 'active-directory' as const };
          const a = makeRealm('ALPHA.TEST', { krbErrorStyle: 'mit' }, clock, ad);
          const b = makeRealm('BRAVO.TEST', { krbErrorStyle: 'mit' }, clock, ad);
          const [trusting, trusted] = aTrusts ? [a, b] : [b, a];
          createTrust({ trusting: trusting.realm, trusted: trusted.realm, direction, kind });
          a.realm.mapDomain('.bravo.test', 'BRAVO.TEST');
          // A service account has an SPN: S4U2Self by one without is user-to-user's in AD (ddb6bc7).
          a.realm.addUser('websvc', {
            password: 'w',
            spns: ['HTTP/web.alpha.test'],
            delegation: { trustedToAuthenticate: true },
          });
          a.realm.addUser('alice', { password: 'a' });
          const sql = 'MSSQLSvc/sql.bravo.test:1433';
          b.realm.addUser('sql', {
            password: 's',
            spns: [sql],
            ...(allowed && { delegation: { allowedFrom: ['websvc@ALPHA.TEST'] } }),
          });
          const websvc = login(a, 'websvc', userKey('ALPHA.TEST', 'websvc', 'w'));
          const proxy =
            KdcOptions.forwardable | KdcOptions.canonicalize | KdcOptions['constrained-delegation'];
          const self = tgsGet(a.kdc, {
            tgt: websvc,
            realm: 'ALPHA.TEST',
            sname: 'websvc',
            now: T0,
            options: KdcOptions.forwardable,
            extraPadata: [paForUser(websvc, pn('alice', NameType.NT_PRINCIPAL), 'ALPHA.TEST')],
          });
          const spec = { trusting: aTrusts ? 0 : 1, trusted: aTrusts ? 1 : 0, direction, kind };
          const reachable = crossTo(spec, 0) === 1;
          const first = a.kdc.handle(
            tgsReq({
              tgt: websvc,
              realm: 'ALPHA.TEST',
              sname: sql,
              now: T0,
              options: proxy,
              additionalTickets: [self.ticket],
              extraPadata: [paPacOptionsRbcd],
            }),
          );
          if (!reachable) {
            // A refers nothing to B: no referral, so nothing for B to honour.
            expect(errorOrReply(first)).not.toBe('TGS-REP');
            return;
          }
          expect(errorOrReply(first)).toBe('TGS-REP');
          const referral = openRep(repOf(first), websvc.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY);
          const cross = tgsGet(a.kdc, {
            tgt: websvc,
            realm: 'ALPHA.TEST',
            sname: 'krbtgt/BRAVO.TEST',
            now: T0,
          });
          const last = errorOrReply(
            b.kdc.handle(
              tgsReq({
                tgt: cross,
                realm: 'BRAVO.TEST',
                sname: sql,
                now: T0,
                options: proxy,
                additionalTickets: [referral.ticket],
                extraPadata: [paPacOptionsRbcd],
              }),
            ),
          );
          expect(last).toBe(allowed ? 'TGS-REP' : ErrorCode.KDC_ERR_BADOPTION);
        },
      ),
      { numRuns: 24 },
    );
  });

  it("across a selective-authentication trust, a service ticket exactly when the service grants one of the user's SIDs; elsewhere no check", () => {
    // Two AD realms and one trust, selective or not; the user of either side asks the other
    // side's service, whose account grants some of: the user, a group the user may be in,
    // another group, a domain-local group of the service's domain holding the user, the
    // well-known Authenticated Users and Everyone, and a stranger. The oracle is the MS-KILE
    // 3.3.5.7.5 rule stated directly, over the SIDs the test itself gave the user.
    const grantable = [
      'user',
      'group',
      'otherGroup',
      'localGroup',
      'authenticated',
      'everyone',
      'stranger',
    ] as const;
    fc.assert(
      fc.property(
        fc.record({
          direction: fc.constantFrom<'one-way' | 'two-way'>('one-way', 'two-way'),
          kind: fc.constantFrom<'forest' | 'external'>('forest', 'external'),
          selective: fc.boolean(),
          fromTrusting: fc.boolean(),
          inGroup: fc.boolean(),
          pac: fc.boolean(), // PA-PAC-REQUEST: the check happens either way
          grants: fc.subarray([...grantable]),
        }),
        (c) => {
          fc.pre(!c.fromTrusting || c.direction === 'two-way');
          const clock = new ManualClock(T0);
          const ad = { kind: 'active-directory' as const };
          const trusting = makeRealm('ALPHA.TEST', { krbErrorStyle: 'mit' }, clock, ad);
          const trusted = makeRealm('BRAVO.TEST', { krbErrorStyle: 'mit' }, clock, ad);
          createTrust({
            trusting: trusting.realm,
            trusted: trusted.realm,
            direction: c.direction,
            kind: c.kind,
            selectiveAuthentication: c.selective,
          });
          const [home, target] = c.fromTrusting ? [trusting, trusted] : [trusted, trusting];
          home.realm.addUser('user', { password: 'pw' });
          const dir = home.realm.directory;
          const userSid = dir.sidOf(dir.account('user')!.rid);
          const group = dir.addGroup('G');
          if (c.inGroup) dir.addMember('G', 'user');
          const other = dir.addGroup('H');
          const spn = `HTTP/svc.${target.realm.name.toLowerCase()}`;
          target.realm.addService(spn, { password: 'svc' });
          const local = target.realm.directory.addGroup('L', { scope: 'domain-local' });
          target.realm.directory.addForeignMember('L', userSid);
          const sidOf = {
            user: userSid,
            group: dir.sidOf(group.rid),
            otherGroup: dir.sidOf(other.rid),
            localGroup: target.realm.directory.sidOf(local.rid),
            authenticated: 'S-1-5-11',
            everyone: 'S-1-1-0',
            stranger: 'S-1-5-21-9-9-9-1104',
          };
          for (const g of c.grants) target.realm.allowToAuthenticate(spn, sidOf[g]);
          const key = userKey(home.realm.name, 'user', 'pw');
          const tgt = login(home, 'user', key, { padata: [encTimestamp(key, T0), pacRequest(c.pac)] });
          const referral = tgsGet(home.kdc, {
            tgt,
            realm: home.realm.name,
            sname: `krbtgt/${target.realm.name}`,
            now: T0,
          });
          const reply = errorOrReply(
            target.kdc.handle(tgsReq({ tgt: referral, realm: target.realm.name, sname: spn, now: T0 })),
          );
          const checked = c.selective && !c.fromTrusting;
          const holds = (g: (typeof grantable)[number]) =>
            g === 'group' ? c.inGroup : g !== 'otherGroup' && g !== 'stranger';
          const allowed = !checked || c.grants.some(holds);
          expect(reply).toBe(allowed ? 'TGS-REP' : ErrorCode.KDC_ERR_POLICY);
        },
      ),
      { numRuns: 60 },
    );
  });
});
