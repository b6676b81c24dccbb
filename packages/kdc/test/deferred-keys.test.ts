/**
 * Password keys are derived when first used (issue 14): a realm that permits
 * four etypes runs string-to-key only for the etype an exchange needs, once
 * per process, and a client of the same process finds that key in the
 * shared cache. Counted with the shared cache's statistics.
 */

import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { sharedStringToKeyCache, stringToKey } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const REALM = 'DEFERRED.TEST';

describe('password keys of a realm', () => {
  it('are derived on first use, only for the etype used', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
    const realm = new Realm({ name: REALM, clock, random: new SeededRandom('realm') });
    // Used nowhere else, and test files do not share modules (vitest isolates them): the shared cache has
    // never seen it.
    const password = 'deferred-keys: derived on first use';
    const before = sharedStringToKeyCache.stats;
    realm.addUser('alice', { password });
    const entry = realm.lookup('alice')!;
    expect(entry.keys.map((k) => k.key.etype)).toEqual([20, 19, 18, 17]);
    expect(sharedStringToKeyCache.stats.misses).toBe(before.misses); // nothing derived yet

    const kdc = new Kdc(realm);
    const client = new KerberosClient({
      realm: REALM,
      transport: new InProcessTransport().register(REALM, (req) => kdc.handle(req)),
      clock,
      random: new SeededRandom('client'),
      encTypes: [18, 17],
    });
    await client.getInitialCredentials('alice', { password });
    const after = sharedStringToKeyCache.stats;
    // One derivation (etype 18, the KDC's or the client's, whichever came first); the other side hit it.
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
    expect(realm.keysFor('alice').find((k) => k.etype === 18)!.bytes).toEqual(
      stringToKey(18, password, `${REALM}alice`).bytes,
    );
  });
});
