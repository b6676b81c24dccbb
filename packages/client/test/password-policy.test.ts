/**
 * The realm's password rules, as the password-change service applies them
 * (`@krbsim/kdc`'s password-policy.ts), end to end through the client's
 * `changePassword`: an Active Directory realm's Default Domain Policy
 * (minimum age, length, complexity, history), answered with AD_POLICY_INFO as a
 * Windows DC answers; the same rules in an MIT realm, answered in kadmind's
 * words; and a refused password changes nothing.
 */

import { DomainPasswordProperties, KpasswdResult } from '@krbsim/asn1';
import { type KdcRefusedError, KerberosClient, PasswordChangeError } from '@krbsim/client';
import { Duration, ErrorCode, ManualClock, NtStatus, SeededRandom } from '@krbsim/core';
import { Kdc, KpasswdService, Realm, type RealmKind, type RealmPolicy } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { refusal } from './refusal';

const REALM = 'CONTOSO.COM';

function setup(kind: RealmKind, policy: Partial<RealmPolicy> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('policy'), kind, policy });
  realm.addPasswordChangeService();
  realm.addUser('alice', { password: 'Old-Passw0rd', displayName: 'Alice Li Smith-Jones' });
  realm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
  const kdc = new Kdc(realm);
  const log: string[] = [];
  const service = new KpasswdService(realm, { log: (l) => log.push(l) });
  const transport = new InProcessTransport().register(REALM, (r) => kdc.handle(r));
  const kpasswd = new InProcessTransport().register(REALM, (r) => service.handle(r));
  const client = () => new KerberosClient({ realm: REALM, transport, clock, random: new SeededRandom('c') });
  const change = (user: string, old: string, next: string) =>
    client().changePassword(user, old, next, { transport: kpasswd });
  const refused = async (user: string, old: string, next: string) => {
    const e = await refusal(change(user, old, next));
    expect(e).toBeInstanceOf(PasswordChangeError);
    expect((e as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    return e as PasswordChangeError;
  };
  const logsOn = (user: string, password: string) => client().getInitialCredentials(user, { password });
  return { realm, clock, change, refused, logsOn, log };
}

const AD_POLICY = {
  minLength: 7,
  historyLength: 24,
  properties: DomainPasswordProperties.COMPLEX,
  maxAgeMs: 0,
  minAgeMs: Duration.day,
};

describe("an Active Directory realm's Default Domain Policy", () => {
  it('holds a password for a day after it was set, but not a user who must change it', async () => {
    const s = setup('active-directory');
    const e = await s.refused('alice', 'Old-Passw0rd', 'New-Passw0rd');
    expect(s.log.at(-1)).toBe(
      `kpasswd alice@${REALM} -> SOFTERROR: Current password's minimum life has not expired`,
    );
    s.clock.advance(Duration.day - 1);
    await s.refused('alice', 'Old-Passw0rd', 'New-Passw0rd');
    s.clock.advance(1);
    await s.change('alice', 'Old-Passw0rd', 'New-Passw0rd');
    await s.logsOn('alice', 'New-Passw0rd');
    // The answer is the domain's whole policy, not the rule broken, as a Windows DC sends it.
    expect(e.policy).toEqual(AD_POLICY);
    expect(e.resultText).toContain('The password can only be changed once a day.');
    // frank must change his password: no minimum age holds him, and then it does.
    await s.change('frank', 'Fr4nk-Old', 'Fr4nk-New1');
    await s.refused('frank', 'Fr4nk-New1', 'Fr4nk-New2');
  });

  it('wants 7 characters of three kinds, and nothing of the account or display name', async () => {
    const s = setup('active-directory');
    s.clock.advance(2 * Duration.day);
    const cases: [string, string][] = [
      ['Sh0rt!', 'too-short'],
      ['password', 'not-complex'], // one kind
      ['password1', 'not-complex'], // two kinds
      ['PASSWORD-', 'not-complex'],
      ['My-Alice-Passw0rd', 'not-complex'], // the account name, whatever its case
      ['Jones#2026x', 'not-complex'], // a part of the display name
      ['smith_2026X', 'not-complex'],
    ];
    for (const [password, why] of cases) {
      await s.refused('alice', 'Old-Passw0rd', password);
      expect([password, s.log.at(-1)]).toEqual([password, expect.stringContaining(REJECTION[why]!)]);
    }
    await s.logsOn('alice', 'Old-Passw0rd'); // nothing changed
    // "Li", a part of two characters, does not count; three kinds of five do.
    await s.change('alice', 'Old-Passw0rd', 'Li-passw0rd');
    s.clock.advance(2 * Duration.day);
    await s.change('alice', 'Li-passw0rd', 'ΑΒΓ-δεζ-123'); // Greek letters have cases too
    s.clock.advance(2 * Duration.day);
    await s.change('alice', 'ΑΒΓ-δεζ-123', '東京-tokyo-7'); // letters without case, lower-case, digits
    await s.logsOn('alice', '東京-tokyo-7');
  });

  it('remembers 24 passwords: none of them, the current one included, comes back', async () => {
    const s = setup('active-directory');
    s.clock.advance(2 * Duration.day);
    await s.refused('alice', 'Old-Passw0rd', 'Old-Passw0rd');
    expect(s.log.at(-1)).toContain('Cannot reuse password');
    let current = 'Old-Passw0rd';
    for (let i = 1; i <= 23; i++) {
      const next = `Passw0rd-${i}`;
      await s.change('alice', current, next);
      current = next;
      s.clock.advance(2 * Duration.day);
    }
    // 24 passwords remembered: the current one and the 23 before it, back to the first.
    await s.refused('alice', current, 'Old-Passw0rd');
    await s.refused('alice', current, 'Passw0rd-1');
    await s.change('alice', current, 'Passw0rd-24');
    s.clock.advance(2 * Duration.day);
    // One more change, and the first password has left the history.
    await s.change('alice', 'Passw0rd-24', 'Old-Passw0rd');
    await s.logsOn('alice', 'Old-Passw0rd');
  });
});

describe('password expiry', () => {
  it('an expired password changed through kpasswd ends the expiry: the user logs on again', async () => {
    const s = setup('mit');
    s.realm.addUser('erin', { password: 'Er1n-0ld-Pw', passwordExpires: s.clock.now() - 1 });
    const e = await refusal(s.logsOn('erin', 'Er1n-0ld-Pw'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    await s.change('erin', 'Er1n-0ld-Pw', 'Er1n-N3w-Pw');
    await s.logsOn('erin', 'Er1n-N3w-Pw');
  });

  it('maxPasswordAgeMs: a password lasts that long from when it was set', async () => {
    const s = setup('active-directory', { maxPasswordAgeMs: 42 * Duration.day, minPasswordAgeMs: 0 });
    const expiry = () => s.realm.lookup('alice')!.passwordExpires;
    expect(expiry()).toBe(s.clock.now() + 42 * Duration.day);
    // The AS reply says when (last-req type 6, in whole seconds), and the client's credential carries it.
    const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;
    expect((await s.logsOn('alice', 'Old-Passw0rd')).passwordExpires).toBe(seconds(expiry()!));
    s.clock.advance(42 * Duration.day - 1);
    await s.logsOn('alice', 'Old-Passw0rd');
    s.clock.advance(1);
    const expired = await refusal(s.logsOn('alice', 'Old-Passw0rd'));
    expect(expired.code).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    expect((expired as KdcRefusedError).ntStatus).toBe(NtStatus.STATUS_PASSWORD_EXPIRED);
    // Changed: 42 days from now, and a refusal's AD_POLICY_INFO reports the maximum age.
    await s.change('alice', 'Old-Passw0rd', 'New-Passw0rd');
    expect(expiry()).toBe(s.clock.now() + 42 * Duration.day);
    await s.logsOn('alice', 'New-Passw0rd');
    const weak = await s.refused('alice', 'New-Passw0rd', 'weak');
    expect(weak.policy?.maxAgeMs).toBe(42 * Duration.day);
    // A user who must change the password has no expiry until it is changed.
    expect(s.realm.lookup('frank')!.passwordExpires).toBeUndefined();
    // Without a maximum age, no expiry: nothing in the reply, nothing on the credential.
    expect((await setup('mit').logsOn('alice', 'Old-Passw0rd')).passwordExpires).toBeUndefined();
  });
});

const REJECTION: Record<string, string> = {
  'too-short': 'Password is too short',
  'not-complex': 'Password does not meet complexity requirements',
};

describe('the same rules in an MIT realm', () => {
  it('are off by default: any password but an empty one, as kadmind without a policy', async () => {
    const s = setup('mit');
    await s.change('alice', 'Old-Passw0rd', 'a');
    await s.change('alice', 'a', 'a'); // no history, no minimum life
    const e = await s.refused('alice', 'a', '');
    expect(e.policy).toBeUndefined();
    expect(e.resultText).toBe('Password is too short');
  });

  it("answer in kadmind's words for the rule broken", async () => {
    const s = setup('mit', {
      minPasswordAgeMs: Duration.hour,
      minPasswordLength: 10,
      passwordComplexity: true,
      passwordHistoryLength: 2,
    });
    const words = async (next: string) => (await s.refused('alice', 'Old-Passw0rd', next)).resultText;
    expect(await words('New-Passw0rd-1')).toBe("Current password's minimum life has not expired");
    s.clock.advance(Duration.hour);
    expect(await words('Sh0rt-1')).toBe('Password is too short');
    expect(await words('longer-but-simple')).toBe('Password does not meet complexity requirements');
    expect(await words('Old-Passw0rd')).toBe('Cannot reuse password');
    await s.change('alice', 'Old-Passw0rd', 'New-Passw0rd-1');
    s.clock.advance(Duration.hour);
    // A history of 2: the current password and the one before.
    expect((await s.refused('alice', 'New-Passw0rd-1', 'Old-Passw0rd')).resultText).toBe(
      'Cannot reuse password',
    );
    await s.change('alice', 'New-Passw0rd-1', 'New-Passw0rd-2');
    s.clock.advance(Duration.hour);
    await s.change('alice', 'New-Passw0rd-2', 'Old-Passw0rd');
  });

  it('can answer as a Windows DC does, and refuses a policy no realm could hold', () => {
    expect(setup('mit', { kpasswdResultStyle: 'active-directory' }).realm.policy.kpasswdResultStyle).toBe(
      'active-directory',
    );
    for (const bad of [{ passwordHistoryLength: -1 }, { minPasswordLength: 1.5 }, { minPasswordAgeMs: -1 }]) {
      let code: number | undefined;
      try {
        setup('mit', bad);
      } catch (e) {
        code = (e as { code?: number }).code;
      }
      expect([bad, code]).toEqual([bad, ErrorCode.KRB_ERR_GENERIC]);
    }
  });
});
