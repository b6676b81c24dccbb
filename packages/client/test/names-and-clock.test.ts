import { NameType } from '@krbsim/asn1';
import { formatPrincipal, KerberosClient, parsePrincipal, realmForHost } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { AuthenticatorClock } from '../src/internal/authenticator-clock';

describe('parsePrincipal', () => {
  const d = { defaultRealm: 'CONTOSO.COM' };

  it('reads user names, with and without a realm', () => {
    expect(parsePrincipal('alice', d)).toEqual({
      realm: 'CONTOSO.COM',
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    });
    expect(parsePrincipal('alice@FABRIKAM.COM', d).realm).toBe('FABRIKAM.COM');
  });

  it('reads service names as NT-SRV-INST, keeping ports', () => {
    const p = parsePrincipal('MSSQLSvc/mi1.zone.database.windows.net:1433', { defaultRealm: '' });
    expect(p.name).toEqual({
      nameType: NameType.NT_SRV_INST,
      nameString: ['MSSQLSvc', 'mi1.zone.database.windows.net:1433'],
    });
    expect(p.realm).toBe('');
  });

  it('treats user@lower.case as an enterprise name unless told otherwise', () => {
    const e = parsePrincipal('alice@contoso.com', d);
    expect(e).toEqual({
      realm: 'CONTOSO.COM',
      name: { nameType: NameType.NT_ENTERPRISE, nameString: ['alice@contoso.com'] },
    });
    expect(parsePrincipal('alice@contoso.com', { ...d, enterprise: false }).realm).toBe('contoso.com');
    expect(parsePrincipal('alice@CONTOSO.COM', { ...d, enterprise: true }).name.nameString).toEqual([
      'alice@CONTOSO.COM',
    ]);
    const explicit = parsePrincipal('alice@contoso.com@FABRIKAM.COM', d);
    expect(explicit.realm).toBe('FABRIKAM.COM');
    expect(explicit.name.nameString).toEqual(['alice@contoso.com']);
  });

  it('honours backslash escapes and formats them back', () => {
    const p = parsePrincipal('a\\/b/c\\@d@R', d);
    expect(p.name.nameString).toEqual(['a/b', 'c@d']);
    expect(formatPrincipal(p.name, p.realm)).toBe('a\\/b/c\\@d@R');
  });

  it('rejects empty names and realms with a KerberosError', () => {
    for (const bad of ['', '@R', 'alice@', 'a@b@C']) {
      const e = (() => {
        try {
          parsePrincipal(bad, { ...d, enterprise: false });
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e, bad).toBeInstanceOf(KerberosError);
      expect((e as KerberosError).code).toBe(ErrorCode.KRB_ERR_GENERIC);
    }
  });
});

describe('realmForHost (MIT [domain_realm])', () => {
  const map = { '.contoso.com': 'CONTOSO.COM', 'special.contoso.com': 'SPECIAL.COM', 'windows.net': 'AZURE' };

  it('prefers the most specific entry', () => {
    expect(realmForHost(map, 'special.contoso.com')).toBe('SPECIAL.COM');
    expect(realmForHost(map, 'web.contoso.com')).toBe('CONTOSO.COM');
    expect(realmForHost(map, 'a.b.contoso.com')).toBe('CONTOSO.COM');
  });

  it('matches parent domains written without a dot, as MIT does', () => {
    expect(realmForHost(map, 'mi1.zone.database.windows.net')).toBe('AZURE');
  });

  it('returns undefined when nothing matches', () => {
    expect(realmForHost(map, 'example.org')).toBeUndefined();
    expect(realmForHost(undefined, 'web.contoso.com')).toBeUndefined();
  });
});

describe('AuthenticatorClock', () => {
  it('is strictly increasing while the clock stands still', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 250));
    const ac = new AuthenticatorClock(clock);
    const a = ac.next();
    const b = ac.next();
    const c = ac.next();
    expect(a).toEqual({ ctime: Date.UTC(2026, 0, 1, 12, 0, 0), cusec: 250_000 });
    expect(b).toEqual({ ctime: a.ctime, cusec: 250_001 });
    expect(c.cusec).toBe(250_002);
  });

  it('carries into the next second and follows the clock once it moves on', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 999));
    const ac = new AuthenticatorClock(clock);
    ac.next();
    for (let i = 0; i < 1000; i++) ac.next();
    const t = ac.next();
    expect(t.ctime).toBe(Date.UTC(2026, 0, 1, 12, 0, 1));
    expect(t.cusec).toBe(1);
    clock.advance(5_000);
    expect(ac.next()).toEqual({ ctime: Date.UTC(2026, 0, 1, 12, 0, 5), cusec: 999_000 });
  });

  it('believes a clock set back by more than a second', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const ac = new AuthenticatorClock(clock);
    ac.next();
    clock.advance(-60_000);
    expect(ac.next().ctime).toBe(Date.UTC(2026, 0, 1, 11, 59, 0));
  });
});

describe('KerberosClient options', () => {
  const make = (opts: { clockSkewMs?: number; maxReferralHops?: number }) =>
    new KerberosClient({
      realm: 'CONTOSO.COM',
      transport: { send: () => Promise.reject(new Error('not sent')) },
      clock: new ManualClock(0),
      ...opts,
    });

  it('refuses a clockSkewMs that is not a finite number, 0 or more: a NaN skew would pass every skew check', () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, -Number.MIN_VALUE]) {
      expect(() => make({ clockSkewMs: bad }), `${bad}`).toThrow(
        new RangeError(`clockSkewMs must be a finite number of milliseconds, 0 or more, got ${bad}`),
      );
    }
    for (const good of [0, 1.5, 300_000]) expect(() => make({ clockSkewMs: good })).not.toThrow();
  });

  it('refuses a maxReferralHops that is not a positive integer', () => {
    for (const bad of [Number.NaN, 0, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => make({ maxReferralHops: bad }), `${bad}`).toThrow(
        new RangeError(`maxReferralHops must be a positive integer, got ${bad}`),
      );
    }
    for (const good of [1, 10, 64]) expect(() => make({ maxReferralHops: good })).not.toThrow();
  });
});
