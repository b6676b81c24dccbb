/**
 * Generated Azure labs, built: the cloud trust is one-way, and the lab
 * behaves so. On-prem users reach every instance only once the trust exists;
 * the Azure AD realm trusts the on-prem realm and never the other way round:
 * a cloud user's TGT gets no ticket for an on-prem service.
 */

import { ErrorCode, isKerberosError } from '@krbsim/core';
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
        // And in use: a cloud user of the tenant, signed in on an Azure AD-joined device, asks with
        // its cloud TGT for an on-prem service, named by host as Windows asks, and in the on-prem
        // realm by name (so that Azure AD would refer it there if it could: a krbtgt/<on-prem> of
        // its own). Azure AD has no way to the on-prem realm: it refuses both itself
        // (KDC_ERR_S_PRINCIPAL_UNKNOWN), and the on-prem KDC is never asked.
        const spn = `host/server.${spec.onPremRealm.toLowerCase()}`;
        lab.onPrem.realm.addService(spn, { password: 'svc Pa55w0rd!' });
        const cloudPc = lab.azureAdJoinedClient(lab.addCloudUser('dave@lab.onmicrosoft.com'));
        await cloudPc.signIn();
        expect(cloudPc.cloudTgt).toBeDefined();
        const since = lab.trace.nextSeq;
        for (const ask of [
          () => cloudPc.initSecurityContext(spn),
          () => cloudPc.kerberos.getServiceTicket(`${spn}@${spec.onPremRealm}`),
        ]) {
          const reverse = await ask().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isKerberosError(reverse, ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN), String(reverse)).toBe(true);
        }
        const asked = lab.trace.entries.filter((e) => e.seq >= since && e.requestType === 'TGS-REQ');
        expect(asked.length).toBeGreaterThanOrEqual(2);
        expect(asked.every((e) => e.to.startsWith(`KDC ${azure}`))).toBe(true);
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
