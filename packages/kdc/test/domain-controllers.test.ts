/**
 * Domain controllers' accounts (`addComputer`'s `domainController`): what
 * MS-PAC 4.1.2.1 has the KDC add to their logons, their userAccountControl
 * and primary groups, their trust for delegation, and the built-in groups a
 * new domain has (the Denied RODC Password Replication Group as a resource
 * group of its members' service tickets). The same PACs as a Samba AD DC's
 * for the same accounts: test/interop/kdc-ad-differential-samba.test.ts.
 */

import { TicketFlags } from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { buildPac, createTrust, Realm } from '@krbsim/kdc';
import {
  decodePac,
  findPac,
  formatSid,
  getPacBuffer,
  PacBufferType,
  UserAccountControl,
  UserFlags,
  validationInfoSids,
  WellKnownRid,
  WellKnownSid,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { login, makeRealm, openTicket, T0, tgsGet, userKey } from './helpers';

const ROOT_SID = 'S-1-5-21-100-200-300';
const CHILD_SID = 'S-1-5-21-101-201-301';

function logonOf(realm: Realm, name: string) {
  const pac = buildPac(realm, realm.lookup(name)!, { authtime: T0, assertedBy: 'authentication-authority' })!;
  const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
  return { info, sids: validationInfoSids(info).map((s) => formatSid(s.sid)) };
}

describe('domain controllers (MS-PAC 4.1.2.1)', () => {
  it("writes a writable DC's logon: Domain Controllers, SERVER_TRUST_ACCOUNT, trusted for delegation, S-1-5-9", () => {
    const realm = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory', domainSid: ROOT_SID });
    realm.addComputer('DC2', { domainController: 'writable' });
    const { info, sids } = logonOf(realm, 'DC2$');
    expect(info.primaryGroupId).toBe(WellKnownRid.DOMAIN_CONTROLLERS);
    expect(info.groupIds.map((g) => g.relativeId)).toEqual([WellKnownRid.DOMAIN_CONTROLLERS]);
    expect(info.userAccountControl).toBe(
      UserAccountControl.USER_SERVER_TRUST_ACCOUNT | UserAccountControl.USER_TRUSTED_FOR_DELEGATION,
    );
    expect(info.userAccountControl).toBe(0x2100); // what a Samba DC writes for dcpromo's 0x82000
    expect(info.extraSids.map((e) => formatSid(e.sid))).toEqual([
      WellKnownSid.ENTERPRISE_DOMAIN_CONTROLLERS,
      WellKnownSid.AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY,
    ]);
    expect(sids).not.toContain(`${ROOT_SID}-${WellKnownRid.ENTERPRISE_READONLY_DOMAIN_CONTROLLERS}`);
    expect(realm.lookup('DC2$')!.okAsDelegate).toBe(true);
    // An explicit false wins: a DC whose delegation was taken away.
    realm.addComputer('DC3', { domainController: 'writable', okAsDelegate: false });
    expect(realm.lookup('DC3$')!.okAsDelegate).toBe(false);
    expect(logonOf(realm, 'DC3$').info.userAccountControl).toBe(UserAccountControl.USER_SERVER_TRUST_ACCOUNT);
    // A kind that is not one (from JavaScript, or a typo) is refused, not made a workstation.
    expect(() => realm.addComputer('DC4', { domainController: 'rodc' as unknown as 'read-only' })).toThrow(
      /domainController must be 'writable' or 'read-only', got "rodc"/,
    );
    expect(realm.lookup('DC4$')).toBeUndefined();
  });

  it("writes an RODC's logon: Read-only Domain Controllers, PARTIAL_SECRETS_ACCOUNT, the forest root's 498", () => {
    const clock = new ManualClock(T0);
    const root = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory', domainSid: ROOT_SID, clock });
    const child = new Realm({
      name: 'EMEA.CONTOSO.COM',
      kind: 'active-directory',
      domainSid: CHILD_SID,
      forest: 'CONTOSO.COM',
      clock,
    });
    createTrust({ trusting: root, trusted: child, direction: 'two-way', kind: 'realm' });
    const rodc = { domainController: 'read-only' } as const;
    root.addComputer('RODC2', rodc);
    child.addComputer('RODC3', rodc);
    const atRoot = logonOf(root, 'RODC2$');
    expect(atRoot.info.primaryGroupId).toBe(WellKnownRid.READONLY_DOMAIN_CONTROLLERS);
    // In the root domain 498 is one of its own groups, after the token groups (where Samba puts it).
    expect(atRoot.info.groupIds.map((g) => g.relativeId)).toEqual([521, 498]);
    expect(atRoot.info.userAccountControl).toBe(0x140080);
    expect(atRoot.sids).not.toContain(WellKnownSid.ENTERPRISE_DOMAIN_CONTROLLERS);
    expect(root.lookup('RODC2$')!.okAsDelegate).toBe(false);
    expect(root.lookup('RODC2$')!.trustedToAuthForDelegation).toBe(true);
    // In a child domain it is the root's group: an ExtraSid.
    const inChild = logonOf(child, 'RODC3$');
    expect(inChild.info.groupIds.map((g) => g.relativeId)).toEqual([521]);
    expect(inChild.sids).toContain(`${ROOT_SID}-498`);
    // A child whose root this KDC does not know adds none.
    const alone = new Realm({ name: 'APAC.CONTOSO.COM', kind: 'active-directory', forest: 'CONTOSO.COM' });
    alone.addComputer('RODC4', rodc);
    expect(logonOf(alone, 'RODC4$').sids.some((s) => s.endsWith('-498'))).toBe(false);
  });

  it("issues ok-as-delegate tickets to a DC's SPNs, and puts admins' and DCs' Denied RODC group in their service tickets", () => {
    const lab = makeRealm('CONTOSO.COM', { krbErrorStyle: 'mit' }, new ManualClock(T0), {
      kind: 'active-directory',
    });
    lab.realm.addComputer('DC2', { domainController: 'writable', spns: ['ldap/dc2.contoso.com'] });
    lab.realm.addComputer('PC1', { spns: ['HTTP/pc1.contoso.com'] });
    lab.realm.addUser('admin', { password: 'pw' });
    lab.realm.directory.addMember('Domain Admins', 'admin');
    lab.realm.addUser('alice', { password: 'pw' });
    const tgt = login(lab, 'alice', userKey('CONTOSO.COM', 'alice', 'pw'));
    const ok = TicketFlags['ok-as-delegate'];
    const ask = (sname: string) => tgsGet(lab.kdc, { tgt, realm: 'CONTOSO.COM', sname, now: T0 });
    expect(ask('ldap/dc2.contoso.com').part.flags & ok).toBe(ok);
    expect(ask('HTTP/pc1.contoso.com').part.flags & ok).toBe(0);
    // In the service tickets of its members (an admin, a DC), as a resource group (MS-KILE 3.3.5.7.3).
    const denied = WellKnownRid.DENIED_RODC_PASSWORD_REPLICATION_GROUP;
    const resourceGroupsOf = (who: string) => {
      const t = login(lab, who, userKey('CONTOSO.COM', who, 'pw'));
      const st = tgsGet(lab.kdc, { tgt: t, realm: 'CONTOSO.COM', sname: 'HTTP/pc1.contoso.com', now: T0 });
      const key = lab.realm.keysFor('PC1$').find((k) => k.etype === st.ticket.encPart.etype)!;
      const pac = decodePac(findPac(openTicket(st.ticket, key).authorizationData)!.pac);
      const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
      expect((info.userFlags & UserFlags.LOGON_RESOURCE_GROUPS) !== 0).toBe(info.resourceGroupIds.length > 0);
      return info.resourceGroupIds.map((g) => [g.relativeId, g.attributes]);
    };
    expect(resourceGroupsOf('admin')).toEqual([[denied, 0x20000007]]);
    expect(resourceGroupsOf('alice')).toEqual([]);
    expect(lab.realm.directory.tokenGroups('DC2$').domainLocal.map((g) => g.relativeId)).toEqual([denied]);
    expect(lab.realm.directory.tokenGroups('PC1$').domainLocal).toEqual([]);
  });
});
