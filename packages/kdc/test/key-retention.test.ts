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
import { asReq, login, makeRealm, parseReply, tgsReq } from './helpers';

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

it('tickets for 100 services in turn derive no more than 100 tickets for one service', () => {
  const REALM = 'RETAIN.TEST';
  const lab = makeRealm(REALM, { permittedEncTypes: [18] });
  const random = new SeededRandom('services');
  const services = Array.from({ length: USERS }, (_, i) => `HTTP/web${i}.retain.test`);
  for (const spn of services) lab.realm.addService(spn, { keys: [generateKey(18, { random })] });
  const aliceKey = generateKey(18, { random });
  lab.realm.addUser('alice', { keys: [aliceKey] });
  const tgt = login(lab, 'alice', aliceKey);
  const now = lab.clock.now();
  // The requests are made before counting: only the KDC's derivations are counted.
  const requests = (snames: readonly string[]) =>
    snames.map((sname, nonce) => tgsReq({ tgt, realm: REALM, sname, now, nonce, etypes: [18] }));
  const handled = (reqs: readonly Uint8Array[]) => {
    resetStats();
    for (const req of reqs) expect(parseReply(lab.kdc.handle(req)).kind).toBe('tgs');
    return stats.derivations;
  };
  handled(requests(services)); // the first round derives each service key's Ke and Ki
  const one = handled(requests(services.map(() => services[0]!)));
  const many = handled(requests(services));
  // What each request derives either way: the TGT's session key, decoded afresh from the ticket.
  expect(one).toBeGreaterThan(0);
  expect(many).toBe(one);
});
