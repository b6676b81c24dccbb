/**
 * The client keeps the keys it derived from a password (issue 14): a second
 * AS exchange with the same password, salt and s2kparams runs no
 * string-to-key. Counted with an injected `stringToKey` (the client option).
 */

import { KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { type StringToKeyFunction, stringToKey } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const REALM = 'EXAMPLE.COM';

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('realm') });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addUser('bob', { password: 'battery staple' });
  const kdc = new Kdc(realm);
  const transport = new InProcessTransport().register(REALM, (req) => kdc.handle(req));
  const calls: { etype: number; salt: string }[] = [];
  const derive: StringToKeyFunction = (etype, password, salt, params) => {
    calls.push({ etype, salt: String(salt) });
    return stringToKey(etype, password, salt, params);
  };
  const client = new KerberosClient({
    realm: REALM,
    transport,
    clock,
    random: new SeededRandom('client'),
    encTypes: [18, 17],
    stringToKey: derive,
  });
  return { realm, client, calls, clock };
}

describe('password keys across AS exchanges', () => {
  it('derives once for repeated logons with the same password', async () => {
    const { client, calls } = setup();
    for (let i = 0; i < 3; i++) {
      const tgt = await client.getInitialCredentials('alice', { password: 'correct horse' });
      expect(tgt.client.name.nameString).toEqual(['alice']);
    }
    expect(calls).toEqual([{ etype: 18, salt: `${REALM}alice` }]);
  });

  it('derives again for another principal or a changed password', async () => {
    const { client, calls, realm } = setup();
    await client.getInitialCredentials('alice', { password: 'correct horse' });
    await client.getInitialCredentials('bob', { password: 'battery staple' });
    await client.getInitialCredentials('alice', { password: 'correct horse' });
    expect(calls.map((c) => c.salt)).toEqual([`${REALM}alice`, `${REALM}bob`]);

    realm.setPassword('alice', 'new horse');
    await client.getInitialCredentials('alice', { password: 'new horse' });
    expect(calls).toHaveLength(3);
    // The old password's key is still held, and still wrong: the KDC refuses it.
    const err = await client.getInitialCredentials('alice', { password: 'correct horse' }).catch((e) => e);
    expect(err).toBeInstanceOf(KerberosError);
    expect((err as KerberosError).code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(calls).toHaveLength(3);
  });

  it('two clients keep separate keys (each asks its stringToKey)', async () => {
    const a = setup();
    const b = new KerberosClient({
      realm: REALM,
      transport: new InProcessTransport().register(REALM, (req) => new Kdc(a.realm).handle(req)),
      clock: a.clock,
      random: new SeededRandom('client b'),
      encTypes: [18],
      stringToKey: (etype, password, salt, params) => {
        a.calls.push({ etype, salt: `b:${String(salt)}` });
        return stringToKey(etype, password, salt, params);
      },
    });
    await a.client.getInitialCredentials('alice', { password: 'correct horse' });
    await b.getInitialCredentials('alice', { password: 'correct horse' });
    await b.getInitialCredentials('alice', { password: 'correct horse' });
    expect(a.calls.map((c) => c.salt)).toEqual([`${REALM}alice`, `b:${REALM}alice`]);
  });
});
