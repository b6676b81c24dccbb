/**
 * A Windows user's password change in the lab (RFC 3244 through the on-prem
 * domain controller): a user who must change the password is refused at logon
 * (0x773), changes it, and reaches the managed instance; the domain's policy
 * and a wrong current password come back with Windows' statuses.
 */

import {
  AZURE_LAB_DEFAULT_TIME,
  type AzureSqlMiLabOptions,
  createAzureSqlMiLab,
  LabError,
  WindowsStatus,
} from '@krbsim/azure';
import { Duration, ManualClock } from '@krbsim/core';
import { describe, expect, it } from 'vitest';
import { rejection } from './helpers';

function setup(opts: Partial<AzureSqlMiLabOptions> = {}) {
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 21, ...opts });
  const frank = lab.onPrem.addUser('frank', { password: 'Fr4nk-0ld-Passw0rd', mustChangePassword: true });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\frank', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, frank, mi, pc: lab.adJoinedClient(frank) };
}

const labError = (p: Promise<unknown>) => rejection(p, LabError);

describe('changing a password on an AD-joined client', () => {
  it('a user who must change the password does, then logs on to the instance', async () => {
    const { lab, pc, mi } = setup();
    const refused = await labError(pc.initSecurityContext(mi.spn));
    expect(refused.windowsStatus).toBe(WindowsStatus.PASSWORD_MUST_CHANGE);
    const mark = lab.trace.nextSeq;
    const recorded: [string, string][] = [];
    lab.onPrem.onPasswordChanged = (u) => recorded.push([u.samAccountName, u.password]);
    await pc.changePassword('Fr4nk-N3w-Passw0rd');
    expect(recorded).toEqual([['frank', 'Fr4nk-N3w-Passw0rd']]);
    expect(pc.user.password).toBe('Fr4nk-N3w-Passw0rd');
    // The lab's trace has the exchange with the DC's password-change service, after the AS exchange for its ticket.
    const changes = lab.trace.entries.filter((e) => e.seq >= mark && e.protocol === 'kpasswd');
    expect(changes.map((e) => [e.from, e.to, e.requestType, e.replyType])).toEqual([
      ['CONTOSO\\frank', 'KDC CONTOSO.COM', 'KPASSWD-REQ', 'KPASSWD-REP'],
    ]);
    expect(lab.onPrem.user('frank')!.password).toBe('Fr4nk-N3w-Passw0rd');
    const session = mi.accept((await pc.initSecurityContext(mi.spn)).token, pc.participant);
    expect(session.login).toBe('CONTOSO\\frank');
  });

  it('a hybrid-joined machine changes it on its domain side, and its user follows', async () => {
    const { lab, frank } = setup();
    const hc = lab.hybridJoinedClient(frank);
    await hc.onPrem.changePassword('Fr4nk-Hybr1d-Passw0rd');
    expect(hc.user.password).toBe('Fr4nk-Hybr1d-Passw0rd');
    await hc.onPrem.logon();
  });

  it("refuses a password the domain's policy does not allow (0x52d), and a wrong current one (0x56)", async () => {
    const { lab, pc } = setup();
    let e = await labError(pc.changePassword('short'));
    expect(e.reason).toBe('password-change-refused');
    expect(e.windowsStatus).toBe(WindowsStatus.PASSWORD_RESTRICTION);
    expect(e.message).toMatch(/The password must contain at least 7 characters\./);
    // Long enough, but of two kinds of character (AD's complexity rule).
    e = await labError(pc.changePassword('lowercase-only'));
    expect(e.windowsStatus).toBe(WindowsStatus.PASSWORD_RESTRICTION);
    // An administrator reset the password behind the user's back: the one the user types is wrong.
    lab.onPrem.realm.setPassword('frank', 'Reset-By-Admin-1');
    e = await labError(pc.changePassword('Fr4nk-N3w-Passw0rd'));
    expect(e.windowsStatus).toBe(WindowsStatus.WRONG_PASSWORD);
    // ERROR_INVALID_PASSWORD (86), Windows' text for STATUS_WRONG_PASSWORD.
    expect([e.windowsStatus, e.message]).toEqual([
      0x56,
      expect.stringContaining('the specified network password is not correct (0x56)'),
    ]);
    expect(pc.user.password).toBe('Fr4nk-0ld-Passw0rd');
  });

  it("a password past the domain's maximum age: the logon is refused (0x532), the user changes it and logs on", async () => {
    const clock = new ManualClock(AZURE_LAB_DEFAULT_TIME);
    const { lab, mi } = setup({ clock, onPremPolicy: { maxPasswordAgeMs: 42 * Duration.day } });
    const ivan = lab.onPrem.addUser('ivan', { password: 'Iv4n-0ld-Passw0rd' });
    mi.createLogin('CONTOSO\\ivan', 'WINDOWS');
    const pc = lab.adJoinedClient(ivan);
    mi.accept((await pc.initSecurityContext(mi.spn)).token, pc.participant);
    clock.advance(42 * Duration.day);
    const pc2 = lab.adJoinedClient(ivan); // a new logon, after the password expired
    const refused = await labError(pc2.initSecurityContext(mi.spn));
    expect(refused.windowsStatus).toBe(WindowsStatus.PASSWORD_EXPIRED);
    await pc2.changePassword('Iv4n-N3w-Passw0rd');
    const session = mi.accept((await pc2.initSecurityContext(mi.spn)).token, pc2.participant);
    expect(session.login).toBe('CONTOSO\\ivan');
    // The new password lasts another 42 days.
    expect(lab.onPrem.realm.lookup('ivan')!.passwordExpires).toBe(clock.now() + 42 * Duration.day);
  });

  it("holds a password set a moment ago for a day (AD's minimum age), unless the lab's policy says otherwise", async () => {
    const clock = new ManualClock(AZURE_LAB_DEFAULT_TIME);
    const strict = setup({ clock });
    const gina = strict.lab.onPrem.addUser('gina', { password: 'G1na-0ld-Passw0rd' });
    const e = await labError(strict.lab.adJoinedClient(gina).changePassword('G1na-N3w-Passw0rd'));
    expect(e.windowsStatus).toBe(WindowsStatus.PASSWORD_RESTRICTION);
    expect(e.message).toMatch(/The password can only be changed once a day\./);
    clock.advance(Duration.day);
    await strict.lab.adJoinedClient(gina).changePassword('G1na-N3w-Passw0rd');

    const relaxed = setup({ onPremPolicy: { minPasswordAgeMs: 0 } });
    expect(relaxed.lab.onPrem.realm.policy).toMatchObject({ minPasswordAgeMs: 0, passwordHistoryLength: 24 });
    const hal = relaxed.lab.onPrem.addUser('hal', { password: 'H4l-0ld-Passw0rd' });
    await relaxed.lab.adJoinedClient(hal).changePassword('H4l-N3w-Passw0rd');
    expect(relaxed.lab.onPrem.user('hal')!.password).toBe('H4l-N3w-Passw0rd');
  });
});
