import { ErrorCode, isKerberosError, ManualClock } from '@krbsim/core';
import { createTrust, nextHop, Realm, realmOfHost } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { directoryOf } from '../src/internal/trust-directory';
import { errorOf, login, makeRealm, T0, tgsGet, tgsReq, userKey } from './helpers';

const mk = (name: string) => new Realm({ name, clock: new ManualClock(T0) });

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return e.message;
  }
  return undefined;
}

describe('what a realm knows of its own trusts', () => {
  it('keeps no internals on the Realm: its trusts live in a directory of its own', () => {
    const a = mk('A.TEST');
    const b = mk('B.TEST');
    const t = createTrust({ trusting: b, trusted: a, direction: 'one-way', kind: 'forest' });
    for (const key of ['_addTrust', '_removeTrust', '_makeEntry']) expect(key in a).toBe(false);
    expect(a.trusts).toEqual([t]);
    expect(directoryOf(a).partner('B.TEST')).toBe(t);
    expect(directoryOf(b).partner('A.TEST')).toBe(t);
    t.remove();
    expect(a.trusts).toHaveLength(0);
    expect(directoryOf(a).partner('B.TEST')).toBeUndefined();
  });

  it('frees the top-level names and the partner of a removed trust', () => {
    const onprem = mk('CONTOSO.COM');
    const azure = mk('KERBEROS.MICROSOFTONLINE.COM');
    const other = mk('OTHER.TEST');
    const first = createTrust({
      trusting: other,
      trusted: onprem,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['database.windows.net'],
    });
    const claim = () =>
      createTrust({
        trusting: azure,
        trusted: onprem,
        direction: 'one-way',
        kind: 'forest',
        topLevelNames: ['windows.net'],
      });
    // A name above one already claimed collides, as one below does.
    expect(refusal(claim)).toBe('Collision setting top level names on trust KERBEROS.MICROSOFTONLINE.COM');
    first.remove();
    const second = claim();
    expect(realmOfHost(onprem, 'mi1.abc123.database.windows.net')).toBe('KERBEROS.MICROSOFTONLINE.COM');
    expect(refusal(claim)).toBe(
      'KERBEROS.MICROSOFTONLINE.COM and CONTOSO.COM already have a trust; remove it first',
    );
    second.remove();
    expect(realmOfHost(onprem, 'mi1.abc123.database.windows.net')).toBeUndefined();
  });
});

describe('routing views follow the topology', () => {
  it('sees a trust created or removed two realms away', () => {
    const a = mk('A.TEST');
    const b = mk('B.TEST');
    const c = mk('C.TEST');
    createTrust({ trusting: b, trusted: a, direction: 'one-way', kind: 'realm' });
    // A's view is built (and cached) before C joins.
    expect(realmOfHost(a, 'svc.c.test')).toBeUndefined();
    expect(nextHop(a, 'A.TEST', 'C.TEST')).toBeUndefined();
    const bc = createTrust({
      trusting: c,
      trusted: b,
      direction: 'one-way',
      kind: 'realm',
      topLevelNames: ['c.test'],
    });
    expect(realmOfHost(a, 'svc.c.test')).toBe('C.TEST');
    expect(nextHop(a, 'A.TEST', 'C.TEST')?.path).toEqual(['A.TEST', 'B.TEST', 'C.TEST']);
    bc.remove();
    expect(realmOfHost(a, 'svc.c.test')).toBeUndefined();
    expect(nextHop(a, 'A.TEST', 'C.TEST')).toBeUndefined();
  });
});

describe('answers kept from the whole-graph search that an AD domain could not give', () => {
  // A trusts D (forest, claiming `test`) and, by an external trust, B; B trusts C (forest, claiming
  // `c.test`). A's view spans every realm linked to it, so it knows C's `c.test`, which an AD
  // domain would not learn across an external trust. The longer name wins, C is out of reach for
  // A's users, and the request fails where AD would have referred it to D by `test`.
  it('a longer top-level name toward a realm the client cannot reach hides a shorter reachable one', () => {
    const clock = new ManualClock(T0);
    const a = makeRealm('A.TEST', {}, clock);
    const b = makeRealm('B.TEST', {}, clock);
    const c = makeRealm('C.TEST', {}, clock);
    const d = makeRealm('D.TEST', {}, clock);
    a.realm.addUser('ann', { password: 'pw', encTypes: [18] });
    createTrust({ trusting: b.realm, trusted: a.realm, direction: 'one-way', kind: 'external' });
    createTrust({
      trusting: c.realm,
      trusted: b.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['c.test'],
    });
    createTrust({
      trusting: d.realm,
      trusted: a.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['test'],
    });
    expect(realmOfHost(a.realm, 'svc.c.test')).toBe('C.TEST');
    const ann = login(a, 'ann', userKey('A.TEST', 'ann', 'pw'));
    const err = errorOf(
      a.kdc.handle(tgsReq({ tgt: ann, realm: 'A.TEST', sname: 'host/svc.c.test', now: T0 })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.eText).toContain('its host maps to C.TEST, which A.TEST may not reach from here');
    // A name only D claims is referred to D.
    const r = tgsGet(a.kdc, { tgt: ann, realm: 'A.TEST', sname: 'host/svc.d.test', now: T0 });
    expect(r.part.sname.nameString).toEqual(['krbtgt', 'D.TEST']);
  });
});
