/**
 * Account lockout (MS-SAMR 3.1.5.14.6), on a manual clock: wrong passwords
 * counted within the observation window, the account locked at the threshold
 * even for the right password, until the duration passes or it is unlocked,
 * and the TGS re-check and S4U2Self refusing a locked account too.
 */

import { decodeAsReq, encodeAsReq, encodeKdcReqBody, encodePaFxFastRequest, PaDataType } from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { decodePac, findPac, getPacBuffer, PacBufferType } from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { apArmor, armoredReq, encryptedChallenge, paEncTsEnc } from './fast-helpers';
import {
  asReq,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  ntStatusOf,
  openTicket,
  paForUser,
  pn,
  repOf,
  T0,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const MINUTE = 60_000;

function lab(policy: object = { lockoutThreshold: 3 }) {
  const l = makeRealm(REALM, policy, new ManualClock(T0), { kind: 'active-directory' });
  l.realm.addUser('alice', { password: 'pw' });
  l.realm.addUser('websvc', {
    password: 'web-pw',
    spns: ['HTTP/web.contoso.com'],
    delegation: { trustedToAuthenticate: true },
  });
  const logon = (password: string) =>
    l.kdc.handle(
      asReq({
        realm: REALM,
        cname: 'alice',
        padata: [encTimestamp(userKey(REALM, 'alice', password), l.clock.now())],
      }),
    );
  return { ...l, logon };
}

describe('account lockout (MS-SAMR 3.1.5.14.6)', () => {
  it('locks the account at the threshold, refuses even the right password, and lets it in when the lockout ends', () => {
    const l = lab();
    for (let i = 0; i < 3; i++)
      expect(errorOf(l.logon('wrong')).errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    const locked = errorOf(l.logon('pw'));
    expect(locked.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(locked.eData)).toBe(0xc0000234);
    // A wrong password while locked is refused the same way, without pre-authentication being tried.
    expect(errorOf(l.logon('wrong')).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    l.clock.advance(29 * MINUTE);
    expect(errorOf(l.logon('pw')).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    l.clock.advance(MINUTE);
    expect(repOf(l.logon('pw')).msgType).toBe(11);
    expect(l.realm.lookup('alice')).toMatchObject({ badPasswordCount: 0, lockoutTime: undefined });
  });

  it('with a lockout duration of 0, as AD means it: locked until an administrator unlocks the account', () => {
    const l = lab({ lockoutThreshold: 2, lockoutDurationMs: 0 });
    for (let i = 0; i < 2; i++) l.logon('wrong');
    l.clock.advance(5 * 60 * MINUTE); // far past the default 30 minutes
    expect(errorOf(l.logon('pw')).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    l.realm.unlockAccount('alice');
    expect(repOf(l.logon('pw')).msgType).toBe(11);
  });

  it("reports the wrong passwords a logon ends in its PAC's BadPasswordCount (MS-PAC 2.5), as a DC does", () => {
    const l = lab();
    const krbtgt = l.realm.krbtgt.keys.find((k) => k.key.etype === 18)!.key;
    const badPasswords = (reply: Uint8Array) => {
      const etp = openTicket(repOf(reply).ticket, krbtgt);
      return getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.LOGON_INFO)!
        .badPasswordCount;
    };
    expect(badPasswords(l.logon('pw'))).toBe(0);
    for (let i = 0; i < 2; i++) l.logon('wrong');
    expect(badPasswords(l.logon('pw'))).toBe(2);
    // That logon reset the count: the next one reports none.
    expect(badPasswords(l.logon('pw'))).toBe(0);
  });

  it('counts only within the observation window, and a logon with the right password starts the count again', () => {
    const l = lab();
    l.logon('wrong');
    l.logon('wrong');
    expect(repOf(l.logon('pw')).msgType).toBe(11); // reset
    l.logon('wrong');
    l.logon('wrong');
    l.clock.advance(31 * MINUTE); // the last two are older than the window
    l.logon('wrong');
    expect(l.realm.lookup('alice')!.badPasswordCount).toBe(1);
    expect(repOf(l.logon('pw')).msgType).toBe(11);
  });

  it('a wrong encrypted challenge under FAST counts as a wrong timestamp does', () => {
    const l = lab({ lockoutThreshold: 2, fast: 'supported' });
    const host = login(l, 'websvc', userKey(REALM, 'websvc', 'web-pw'));
    const armored = (password: string) => {
      const a = apArmor(host, l.clock.now());
      const body = decodeAsReq(
        asReq({ realm: REALM, cname: 'alice', till: l.clock.now() + 3600_000 }),
      ).reqBody;
      const challenge = encryptedChallenge(
        a.armorKey,
        userKey(REALM, 'alice', password),
        paEncTsEnc(l.clock.now()),
      );
      const fx = armoredReq(a.armorKey, { padata: [challenge], body }, encodeKdcReqBody(body), a.armor);
      return l.kdc.handle(
        encodeAsReq({
          pvno: 5,
          msgType: 10,
          padata: [
            { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: fx }) },
          ],
          reqBody: body,
        }),
      );
    };
    armored('wrong');
    expect(l.realm.lookup('alice')!.badPasswordCount).toBe(1);
    armored('wrong');
    expect(errorOf(armored('pw')).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
  });

  it('unlockAccount ends a lockout at once; a threshold of 0 (the default) never locks', () => {
    const l = lab();
    for (let i = 0; i < 3; i++) l.logon('wrong');
    expect(errorOf(l.logon('pw')).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    l.realm.unlockAccount('alice');
    expect(repOf(l.logon('pw')).msgType).toBe(11);
    expect(() => l.realm.unlockAccount('nobody')).toThrow(/no user nobody/);
    const never = lab({});
    for (let i = 0; i < 10; i++) never.logon('wrong');
    expect(repOf(never.logon('pw')).msgType).toBe(11);
    expect(never.realm.lookup('alice')!.badPasswordCount).toBeUndefined();
  });

  it('a TGT checked again after 20 minutes and S4U2Self refuse a locked-out account (STATUS_ACCOUNT_LOCKED_OUT)', () => {
    const l = lab();
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const web = login(l, 'websvc', userKey(REALM, 'websvc', 'web-pw'));
    for (let i = 0; i < 3; i++) l.logon('wrong');
    l.clock.advance(21 * MINUTE);
    const tgs = errorOf(
      l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: l.clock.now() })),
    );
    expect(tgs.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(tgs.eData)).toBe(0xc0000234);
    const s4u = errorOf(
      l.kdc.handle(
        tgsReq({
          tgt: web,
          realm: REALM,
          sname: 'HTTP/web.contoso.com',
          now: l.clock.now(),
          extraPadata: [paForUser(web, pn('alice', 1), REALM)],
        }),
      ),
    );
    expect(s4u.errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(ntStatusOf(s4u.eData)).toBe(0xc0000234);
  });
});
