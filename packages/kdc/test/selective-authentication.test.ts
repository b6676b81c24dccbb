/**
 * Selective authentication (MS-KILE 3.3.5.7.5): across a trust whose trusting
 * side set it, the KDC marks the user's PAC with the OTHER_ORGANIZATION SID
 * and issues service tickets only for accounts that grant one of the user's
 * SIDs Allowed to Authenticate; KDC_ERR_POLICY with
 * STATUS_AUTHENTICATION_FIREWALL_FAILED otherwise.
 */

import { krbtgtName } from '@krbsim/asn1';
import { ErrorCode, KerberosError, NtStatus } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { createTrust } from '@krbsim/kdc';
import {
  decodePac,
  findPac,
  formatSid,
  getPacBuffer,
  PacBufferType,
  validationInfoSids,
  WellKnownSid,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import {
  adForestTrust,
  type Creds,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  ntStatusOf,
  openTicket,
  pacRequest,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const SID = 'S-1-5-21-1004336348-1177238915-682003330';
const ONPREM = 'CONTOSO.COM';

type EncPart = ReturnType<typeof openTicket>;
const logonInfo = (etp: EncPart) =>
  getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.LOGON_INFO)!;
const pacSids = (etp: EncPart): string[] => validationInfoSids(logonInfo(etp)).map((s) => formatSid(s.sid));

/** The reference scenario's forest trust, made selective unless asked otherwise; alice logged on on-prem. */
function lab(trust: { selectiveAuthentication?: boolean; direction?: 'one-way' | 'two-way' } = {}) {
  const t = adForestTrust(SID, {}, { selectiveAuthentication: true, ...trust });
  // Windows-shaped errors: the NTSTATUS goes out in the e-data.
  t.cloud.realm.policy.krbErrorStyle = 'active-directory';
  const key = userKey(ONPREM, 'alice', 'pw');
  const alice = login(t.onprem, 'alice', key);
  const aliceSid = `${SID}-${t.onprem.realm.directory.account('alice')!.rid}`;
  const cloudName = t.cloud.realm.name;
  const interRealm: Key = t.cloud.realm.db
    .get(krbtgtName(cloudName), ONPREM)!
    .keys.find((k) => k.key.etype === 18)!.key;
  /** The referral from on-prem, and the cloud KDC's reply to a TGS-REQ for the instance with it. */
  const askForMi = (tgt: Creds = alice) => {
    const referral = tgsGet(t.onprem.kdc, { tgt, realm: ONPREM, sname: t.mi, now: T0 });
    return {
      referral,
      reply: t.cloud.kdc.handle(tgsReq({ tgt: referral, realm: cloudName, sname: t.mi, now: T0 })),
    };
  };
  const miTicket = (tgt: Creds = alice) =>
    openTicket(
      tgsGet(t.cloud.kdc, { tgt: askForMi(tgt).referral, realm: cloudName, sname: t.mi, now: T0 }).ticket,
      t.miKey,
    );
  return { ...t, key, alice, aliceSid, interRealm, askForMi, miTicket };
}

describe('selective authentication (MS-KILE 3.3.5.7.5)', () => {
  it('refuses a service ticket for an account that grants the user nothing: KDC_ERR_POLICY, STATUS_AUTHENTICATION_FIREWALL_FAILED', () => {
    const t = lab();
    const err = errorOf(t.askForMi().reply);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(ntStatusOf(err.eData)).toBe(NtStatus.STATUS_AUTHENTICATION_FIREWALL_FAILED);
    // Another service's grant does not count.
    t.cloud.realm.addService('HTTP/web.windows.net', { password: 'web' });
    t.cloud.realm.allowToAuthenticate('HTTP/web.windows.net', t.aliceSid);
    expect(errorOf(t.askForMi().reply).errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
  });

  it('issues it once the account grants the user Allowed to Authenticate; the PAC carries the OTHER_ORGANIZATION SID the trusting side added', () => {
    const t = lab();
    t.cloud.realm.allowToAuthenticate(t.mi, t.aliceSid);
    // The referral the trusted side wrote carries no mark: the trusting KDC adds it.
    expect(pacSids(openTicket(t.askForMi().referral.ticket, t.interRealm))).not.toContain(
      WellKnownSid.OTHER_ORGANIZATION,
    );
    const sids = pacSids(t.miTicket());
    expect(sids[0]).toBe(t.aliceSid);
    expect(sids.filter((s) => s === WellKnownSid.OTHER_ORGANIZATION)).toHaveLength(1);
  });

  it("counts a grant to any of the user's SIDs: a group of the user's domain, a domain-local group of the resource domain, Authenticated Users", () => {
    const groupGrant = lab();
    const dbas = groupGrant.onprem.realm.directory.addGroup('DBAs');
    groupGrant.onprem.realm.directory.addMember('DBAs', 'alice');
    const alice = login(groupGrant.onprem, 'alice', groupGrant.key); // a TGT with the new group
    expect(errorOf(groupGrant.askForMi(alice).reply).errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    groupGrant.cloud.realm.allowToAuthenticate(groupGrant.mi, `${SID}-${dbas.rid}`);
    expect(pacSids(groupGrant.miTicket(alice))).toContain(`${SID}-${dbas.rid}`);

    const localGrant = lab();
    const cloudDir = localGrant.cloud.realm.directory;
    const miUsers = cloudDir.addGroup('MI Users', { scope: 'domain-local' });
    cloudDir.addForeignMember('MI Users', localGrant.aliceSid);
    expect(errorOf(localGrant.askForMi().reply).errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    localGrant.cloud.realm.allowToAuthenticate(localGrant.mi, cloudDir.sidOf(miUsers.rid));
    expect(pacSids(localGrant.miTicket())).toContain(cloudDir.sidOf(miUsers.rid));

    const everyone = lab();
    expect(errorOf(everyone.askForMi().reply).errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    everyone.cloud.realm.allowToAuthenticate(everyone.mi, WellKnownSid.AUTHENTICATED_USERS);
    expect(pacSids(everyone.miTicket())).toContain(WellKnownSid.OTHER_ORGANIZATION);
  });

  it('checks the user whose PAC the client declined (PA-PAC-REQUEST false) before the PAC is left out of the ticket', () => {
    const t = lab();
    const declined = login(t.onprem, 'alice', t.key, {
      padata: [encTimestamp(t.key, T0), pacRequest(false)],
    });
    expect(errorOf(t.askForMi(declined).reply).errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    t.cloud.realm.allowToAuthenticate(t.mi, t.aliceSid);
    expect(findPac(t.miTicket(declined).authorizationData)).toBeUndefined();
  });

  it('leaves a trust without it, and the other way of a two-way selective trust, open: no mark, no check', () => {
    const open = lab({ selectiveAuthentication: false });
    expect(pacSids(open.miTicket())).not.toContain(WellKnownSid.OTHER_ORGANIZATION);

    // CONTOSO.COM's own setting decides who comes in from the cloud realm, not the cloud's.
    const twoWay = lab({ direction: 'two-way' });
    twoWay.cloud.realm.addUser('bob', { password: 'bob-pw' });
    twoWay.onprem.realm.addService('HTTP/intranet.contoso.com', { password: 'web' });
    const bob = login(twoWay.cloud, 'bob', userKey(twoWay.cloud.realm.name, 'bob', 'bob-pw'));
    const referral = tgsGet(twoWay.cloud.kdc, {
      tgt: bob,
      realm: twoWay.cloud.realm.name,
      sname: `krbtgt/${ONPREM}`,
      now: T0,
    });
    const st = tgsGet(twoWay.onprem.kdc, {
      tgt: referral,
      realm: ONPREM,
      sname: 'HTTP/intranet.contoso.com',
      now: T0,
    });
    const etp = openTicket(st.ticket, userKey(ONPREM, 'HTTP/intranet.contoso.com', 'web'));
    expect(pacSids(etp)).not.toContain(WellKnownSid.OTHER_ORGANIZATION);
  });

  it('refuses what it cannot check: a trusting realm that stopped issuing PACs (KDC_ERR_POLICY)', () => {
    const t = lab();
    t.cloud.realm.allowToAuthenticate(t.mi, t.aliceSid);
    t.cloud.realm.policy.issuePac = false;
    const err = errorOf(t.askForMi().reply);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(ntStatusOf(err.eData)).toBe(NtStatus.STATUS_AUTHENTICATION_FIREWALL_FAILED);
  });

  it('is a setting of AD external and forest trusts into a realm that issues PACs', () => {
    const mit = makeRealm('MIT.EXAMPLE');
    const ad = makeRealm('AD.EXAMPLE', {}, undefined, { kind: 'active-directory' });
    const make = (trusting: typeof mit, trusted: typeof mit, kind: 'realm' | 'external') => () =>
      createTrust({
        trusting: trusting.realm,
        trusted: trusted.realm,
        direction: 'one-way',
        kind,
        selectiveAuthentication: true,
      });
    expect(make(ad, mit, 'realm')).toThrow(
      /selective authentication is a setting of an AD external or forest trust/,
    );
    expect(make(mit, ad, 'external')).toThrow(/MIT.EXAMPLE issues no PACs/);
    expect(ad.realm.trusts).toHaveLength(0); // refused before anything changed
    expect(make(ad, mit, 'external')().selectiveAuthentication).toBe(true);
  });

  it('grants by SID text, to accounts and services that exist', () => {
    const t = lab();
    expect(() => t.cloud.realm.allowToAuthenticate(t.mi, 'S-1-5-21-nope')).toThrow(RangeError);
    expect(() => t.cloud.realm.allowToAuthenticate('HTTP/none.windows.net', t.aliceSid)).toThrow(
      expect.objectContaining({ code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN }),
    );
    expect(() =>
      t.cloud.realm.allowToAuthenticate(`krbtgt/${t.cloud.realm.name}@${ONPREM}`, t.aliceSid),
    ).toThrow(KerberosError);
    // One entry per SID, whatever case or repetition it was given in.
    t.cloud.realm.allowToAuthenticate(t.mi, t.aliceSid.toLowerCase());
    t.cloud.realm.allowToAuthenticate(t.mi, t.aliceSid);
    expect(t.cloud.realm.lookup(t.mi)!.allowedToAuthenticate).toEqual([t.aliceSid]);
  });
});
