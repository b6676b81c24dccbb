/**
 * Generated Azure labs, built: the cloud trust is one-way, and the lab
 * behaves so. On-prem users reach every instance only once the trust exists;
 * the Azure AD realm trusts the on-prem realm and never the other way round.
 */

import { isKerberosError } from '@krbsim/core';
import { krbtgtName } from '@krbsim/kdc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AZURE_LAB_PASSWORD,
  arbAzureLab,
  arbTopLevelNames,
  buildAzureLab,
  dnsNamesOverlap,
} from '../src/index';

describe('arbAzureLab and buildAzureLab', () => {
  it('generate labs whose users reach the instances across the one-way trust, and only with it', async () => {
    await fc.assert(
      // One user and one instance of each lab (the `pick`), so the default 100 runs stay quick.
      fc.asyncProperty(arbAzureLab(), fc.nat(), async (spec, pick) => {
        const { lab, users, instances } = buildAzureLab(spec);
        const user = users[pick % users.length]!;
        const mi = instances[pick % instances.length]!;
        const client = lab.adJoinedClient(user);
        if (spec.cloudTrust) {
          const ctx = await client.initSecurityContext(mi.spn);
          const session = mi.accept(ctx.token, client.participant);
          expect(session.login).toBe(`${lab.onPrem.netbiosName}\\${user.samAccountName}`);
        } else {
          const error = await client.initSecurityContext(mi.spn).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isKerberosError(error)).toBe(true);
        }
        // One way: Azure AD trusts the on-prem realm (krbtgt/KERBEROS.MICROSOFTONLINE.COM@<on-prem>),
        // and no key exists for the other direction in either realm.
        const azure = lab.tenant.realm.name;
        for (const realm of [lab.onPrem.realm, lab.tenant.realm]) {
          expect(realm.db.get(krbtgtName(azure), spec.onPremRealm) !== undefined).toBe(spec.cloudTrust);
          expect(realm.db.get(krbtgtName(spec.onPremRealm), azure)).toBeUndefined();
        }
      }),
    );
  });

  it('builds users with the documented password and a Windows login on every instance', () => {
    fc.assert(
      fc.property(arbAzureLab({ cloudTrust: false }), (spec) => {
        const { users, instances } = buildAzureLab(spec);
        expect(users.map((u) => u.samAccountName)).toEqual(spec.users);
        expect(new Set(spec.instances.map((m) => m.subnet)).size).toBe(spec.instances.length);
        expect(instances.map((mi) => mi.name)).toEqual(spec.instances.map((m) => m.name));
        expect(AZURE_LAB_PASSWORD.length).toBeGreaterThan(0);
      }),
      { numRuns: 20 },
    );
  });
});

describe('arbTopLevelNames', () => {
  it('never yields two overlapping names, so one trust can claim them all', () => {
    fc.assert(
      fc.property(arbTopLevelNames({ maxLength: 4 }), (names) => {
        expect(names.length).toBeLessThanOrEqual(4);
        for (const [i, a] of names.entries()) {
          for (const b of names.slice(i + 1)) expect(dnsNamesOverlap(a, b)).toBe(false);
        }
      }),
    );
  });

  it('dnsNamesOverlap compares whole labels', () => {
    expect(dnsNamesOverlap('windows.net', 'core.windows.net')).toBe(true);
    expect(dnsNamesOverlap('windows.net', 'WINDOWS.NET.')).toBe(true);
    expect(dnsNamesOverlap('windows.net', 'xwindows.net')).toBe(false);
  });
});
