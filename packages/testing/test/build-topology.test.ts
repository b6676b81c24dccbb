/**
 * buildTopology: the realms of a generated spec, running, agree with the
 * reachability oracle for a user of the first realm.
 */

import { KerberosClient } from '@krbsim/client';
import { SeededRandom } from '@krbsim/core';
import { EncType, stringToKey } from '@krbsim/crypto';
import { createTrust } from '@krbsim/kdc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbTopLevelNames,
  arbTopology,
  buildTopology,
  forestOf,
  isQuarantined,
  reachableRealms,
} from '../src/index';

describe('buildTopology', () => {
  it("builds one realm, KDC and trust per spec entry; a user reaches exactly the oracle's realms", async () => {
    await fc.assert(
      fc.asyncProperty(arbTopology({ maxRealms: 4, maxTrusts: 4 }), async (spec) => {
        const world = buildTopology(spec);
        expect(world.realms.map((r) => r.name)).toEqual(spec.realms.map((r) => r.name));
        expect(world.trusts.map((t) => [t.trusting.name, t.trusted.name])).toEqual(
          spec.trusts.map((t) => [spec.realms[t.trusting]!.name, spec.realms[t.trusted]!.name]),
        );
        const client = new KerberosClient({
          realm: spec.realms[0]!.name,
          transport: world.transport,
          clock: world.clock,
          random: new SeededRandom('client'),
          maxReferralHops: 10,
        });
        await client.getInitialCredentials('user', { key: world.userKeys[0]! });
        const reachable = reachableRealms(spec, 0);
        for (let i = 0; i < spec.realms.length; i++) {
          const ok = await client.getServiceTicket(world.serviceOf(i)).then(
            () => true,
            () => false,
          );
          expect(ok).toBe(reachable.has(i));
        }
      }),
      { numRuns: 30 },
    );
  });

  it("builds forests and SID filtering switches as the spec says, with the oracle's defaults", () => {
    fc.assert(
      fc.property(
        arbTopology({ maxRealms: 6, maxTrusts: 9, forests: true, sidFiltering: true }),
        fc.boolean(),
        (spec, delegation) => {
          // tgtDelegation where createTrust takes it: buildTopology then unquarantines the trust.
          const s = delegation
            ? {
                ...spec,
                trusts: spec.trusts.map((t) => (t.quarantine === true ? t : { ...t, tgtDelegation: true })),
              }
            : spec;
          const world = buildTopology(s, { kind: 'active-directory' });
          world.realms.forEach((r, i) => {
            expect(r.forest).toBe(forestOf(s, i));
            expect(r.directory.domainSid).toBe(s.realms[i]!.domainSid);
          });
          world.trusts.forEach((t, i) => {
            const want = s.trusts[i]!;
            expect(t.kind).toBe(want.kind);
            expect(t.quarantine).toBe(isQuarantined(s, want));
            expect(t.enableSidHistory).toBe(want.enableSidHistory ?? false);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("gives each realm's `user` the spec's password: it logs on with the password or with world.userKeys", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbTopology({ maxRealms: 3, kinds: true }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (spec, password) => {
          const world = buildTopology({ ...spec, password });
          for (let i = 0; i < spec.realms.length; i++) {
            const realm = spec.realms[i]!.name;
            const key = stringToKey(EncType.AES256_CTS_HMAC_SHA1_96, password, `${realm}user`);
            expect(world.userKeys[i]!.etype).toBe(EncType.AES256_CTS_HMAC_SHA1_96);
            expect(Buffer.from(world.userKeys[i]!.bytes).equals(Buffer.from(key.bytes))).toBe(true);
            for (const how of [{ password }, { key: world.userKeys[i]! }]) {
              const client = new KerberosClient({ realm, transport: world.transport, clock: world.clock });
              const tgt = await client.getInitialCredentials('user', how);
              expect(tgt.client.realm).toBe(realm);
            }
          }
        },
      ),
      { numRuns: 10 },
    );
  });

  it("builds each realm of its spec's kind (else the option's), and selective-authentication trusts", () => {
    fc.assert(
      fc.property(
        arbTopology({ maxRealms: 5, forests: true, kinds: true, selectiveAuthentication: true }),
        (spec) => {
          const world = buildTopology(spec, { kind: 'mit' });
          expect(world.realms.map((r) => r.kind)).toEqual(spec.realms.map((r) => r.kind));
          expect(world.trusts.map((t) => t.selectiveAuthentication)).toEqual(
            spec.trusts.map((t) => t.selectiveAuthentication ?? false),
          );
          const plain = { ...spec, realms: spec.realms.map(({ kind: _, ...r }) => r) };
          expect(
            buildTopology({ ...plain, trusts: [] }, { kind: 'active-directory' }).realms.map((r) => r.kind),
          ).toEqual(spec.realms.map(() => 'active-directory'));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('top-level names generated for a trust are accepted by createTrust', () => {
    fc.assert(
      fc.property(arbTopLevelNames({ minLength: 1 }), (names) => {
        const world = buildTopology({
          realms: [
            { name: 'A.TEST', domain: 'a.test' },
            { name: 'B.TEST', domain: 'b.test' },
          ],
          trusts: [],
          password: 'x',
        });
        const trust = createTrust({
          trusting: world.realms[1]!,
          trusted: world.realms[0]!,
          direction: 'one-way',
          kind: 'forest',
          topLevelNames: names,
        });
        expect(trust.topLevelNames).toEqual(names);
      }),
      { numRuns: 20 },
    );
  });
});
