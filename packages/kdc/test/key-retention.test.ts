/**
 * The database's keys keep the state @krbsim/crypto derives from them: a KDC
 * serving many users in turn uses each user's key once an exchange, with the
 * others' in between, and derived it again on every exchange before (issue
 * 14: AS with 1,000 users cost 1.28x AS with one at the KDC). Counted with
 * crypto's internal derivation counter (the tests run on the sources, so
 * it is the one @krbsim/crypto counts with).
 */

import { SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import type { AddUserOptions } from '@krbsim/kdc';
import { expect, it } from 'vitest';
import { resetStats, stats } from '../../crypto/src/internal/stats';
import { asReq, makeRealm, parseReply } from './helpers';

const USERS = 100; // more than the 32 recent keys crypto holds for session keys

const asRep = (kdc: { handle(b: Uint8Array): Uint8Array }, realm: string, user: string) => {
  const reply = parseReply(kdc.handle(asReq({ realm, cname: user, etypes: [18] })));
  expect(reply.kind).toBe('as');
};

it.each<[string, (i: number, random: SeededRandom) => AddUserOptions]>([
  ['given keys', (_, random) => ({ keys: [generateKey(18, { random })] })],
  ['passwords', (i) => ({ password: `Passw0rd-${i}` })],
  ['random keys', () => ({})],
])('users with %s are answered in turn without deriving their keys’ state again', (_, make) => {
  const REALM = 'RETAIN.TEST';
  const { realm, kdc } = makeRealm(REALM, { permittedEncTypes: [18] });
  const random = new SeededRandom('users');
  const users = Array.from({ length: USERS }, (_, i) => `user${i}`);
  for (const [i, user] of users.entries()) {
    realm.addUser(user, { ...make(i, random), requiresPreauth: false });
  }
  for (const user of users) asRep(kdc, REALM, user); // the first round derives each key's reply key
  resetStats();
  for (const user of users) asRep(kdc, REALM, user);
  // No user's Ke or Ki again; the session keys are fresh each exchange and not used at the KDC.
  expect(stats.derivations).toBe(0);
});
