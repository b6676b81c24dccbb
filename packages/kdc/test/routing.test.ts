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

describe('a two-way trust routes each side by its own names', () => {
  const forests = () => {
    const clock = new ManualClock(T0);
    const contoso = makeRealm('CONTOSO.COM', {}, clock, { kind: 'active-directory' });
    const fabrikam = makeRealm('FABRIKAM.COM', {}, clock, { kind: 'active-directory' });
    return { contoso, fabrikam };
  };

  it("refers the trusting forest's users to the trusted forest by trustedTopLevelNames", () => {
    const { contoso, fabrikam } = forests();
    const trust = createTrust({
      trusting: fabrikam.realm,
      trusted: contoso.realm,
      direction: 'two-way',
      kind: 'forest',
      topLevelNames: ['fabrikam.com'],
      trustedTopLevelNames: ['contoso.com'],
    });
    expect(trust.trustedTopLevelNames).toEqual(['contoso.com']);
    expect(realmOfHost(contoso.realm, 'web.fabrikam.com')).toBe('FABRIKAM.COM');
    expect(realmOfHost(fabrikam.realm, 'web.contoso.com')).toBe('CONTOSO.COM');
    fabrikam.realm.addUser('bob', { password: 'pw', encTypes: [18] });
    contoso.realm.addService('HTTP/web.contoso.com', { password: 'x' });
    const bob = login(fabrikam, 'bob', userKey('FABRIKAM.COM', 'bob', 'pw'));
    const referral = tgsGet(fabrikam.kdc, {
      tgt: bob,
      realm: 'FABRIKAM.COM',
      sname: 'HTTP/web.contoso.com',
      now: T0,
    });
    expect(referral.part.sname.nameString).toEqual(['krbtgt', 'CONTOSO.COM']);
    const ticket = tgsGet(contoso.kdc, {
      tgt: referral,
      realm: 'CONTOSO.COM',
      sname: 'HTTP/web.contoso.com',
      now: T0,
    });
    expect(ticket.part.sname.nameString).toEqual(['HTTP', 'web.contoso.com']);
    trust.remove();
    expect(realmOfHost(fabrikam.realm, 'web.contoso.com')).toBeUndefined();
  });

  it('refuses trusted names on a one-way trust, on both sides at once, or colliding with a trust of the trusting realm', () => {
    const { contoso, fabrikam } = forests();
    const opts = {
      trusting: fabrikam.realm,
      trusted: contoso.realm,
      kind: 'forest',
      topLevelNames: ['fabrikam.com'],
    } as const;
    expect(
      refusal(() => createTrust({ ...opts, direction: 'one-way', trustedTopLevelNames: ['contoso.com'] })),
    ).toBe(
      "trustedTopLevelNames route FABRIKAM.COM's requests to CONTOSO.COM: a one-way trust has no such way",
    );
    expect(
      refusal(() =>
        createTrust({
          ...opts,
          direction: 'two-way',
          topLevelNames: ['fabrikam.com', 'fabrikam.net'],
          trustedTopLevelNames: ['eu.fabrikam.net'],
        }),
      ),
    ).toBe(
      'Collision setting top level names on trust CONTOSO.COM: eu.fabrikam.net is claimed by both sides',
    );
    // A name of the routing realm's own forest is not the other side's (AD: LSA_TLN_DISABLED_CONFLICT).
    expect(
      refusal(() =>
        createTrust({ ...opts, direction: 'two-way', trustedTopLevelNames: ['eu.fabrikam.com'] }),
      ),
    ).toBe(
      "Collision setting top level names on trust CONTOSO.COM: eu.fabrikam.com lies in fabrikam.com, a domain of FABRIKAM.COM's forest",
    );
    expect(
      refusal(() =>
        createTrust({ ...opts, direction: 'one-way', topLevelNames: ['fabrikam.com', 'hr.contoso.com'] }),
      ),
    ).toBe(
      "Collision setting top level names on trust FABRIKAM.COM: hr.contoso.com lies in contoso.com, a domain of CONTOSO.COM's forest",
    );
    const woodgrove = makeRealm('WOODGROVE.COM', {}, new ManualClock(T0), { kind: 'active-directory' });
    createTrust({
      trusting: woodgrove.realm,
      trusted: fabrikam.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['woodgrove.com'],
    });
    expect(
      refusal(() => createTrust({ ...opts, direction: 'two-way', trustedTopLevelNames: ['woodgrove.com'] })),
    ).toBe('Collision setting top level names on trust CONTOSO.COM');
    // Nothing was left behind by the refusals.
    expect(realmOfHost(fabrikam.realm, 'web.contoso.com')).toBeUndefined();
    expect(contoso.realm.trusts).toHaveLength(0);
  });
});
