/**
 * A service's keytab keys keep the state @krbsim/crypto derives from them:
 * an acceptor for many principals may use each key once a request with many
 * others in between, and would otherwise derive its Ke and Ki again each
 * time. Counted with crypto's internal derivation counter (the tests run on
 * the sources, so it is the one @krbsim/crypto counts with).
 */

import { NameType } from '@krbsim/asn1';
import { SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import { expect, it } from 'vitest';
import { resetStats, stats } from '../../crypto/src/internal/stats';
import { Lab, REALM } from './helpers';

it('an acceptor for 100 principals opens their tickets in turn without deriving their keys’ state again', () => {
  const lab = new Lab();
  const random = new SeededRandom('keytab');
  const principals = Array.from({ length: 100 }, (_, i) => ({
    realm: REALM,
    name: { nameType: NameType.NT_SRV_HST, nameString: ['HTTP', `web${i}.contoso.com`] },
  }));
  const keys = principals.map(() => generateKey(18, { random }));
  const svc = lab.service({
    keytab: principals.map((principal, i) => ({ principal, kvno: 3, key: keys[i]! })),
    replayCache: false,
  });
  const tokens = () =>
    principals.map(
      (server, i) =>
        lab.client.buildApReq(lab.credential({ server, serviceKey: keys[i]!, sessionKeyEtype: 18 })).token,
    );
  for (const token of tokens()) svc.accept(token); // the first round derives each ticket key's Ke and Ki
  const second = tokens();
  resetStats();
  for (const token of second) expect(svc.accept(token).server.name.nameString[0]).toBe('HTTP');
  // Each AP-REQ's fresh session key alone: Ke and Ki for its authenticator.
  expect(stats.derivations).toBe(100 * 2);
});
