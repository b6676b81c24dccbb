import {
  type AzureSqlMiLab,
  createAzureSqlMiLab,
  LabError,
  LabFaults,
  type ManagedInstance,
  type OnPremUser,
  WindowsStatus,
} from '@krbsim/azure';
import { Duration, ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

const T0 = Date.UTC(2026, 0, 5, 9);

function setup(): { lab: AzureSqlMiLab; clock: ManualClock; alice: OnPremUser; mi: ManagedInstance } {
  const clock = new ManualClock(T0);
  const lab = createAzureSqlMiLab({ seed: 5, clock });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Paired';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, clock, alice, mi };
}

async function failure(p: Promise<unknown>): Promise<KerberosError> {
  const e = await p.then(
    () => expect.unreachable('resolved'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(KerberosError);
  return e as KerberosError;
}

describe('a clock per party', () => {
  it('shares the lab clock by default, and names the parties', () => {
    const { lab, clock } = setup();
    for (const p of ['client', 'CONTOSO.COM', 'KERBEROS.MICROSOFTONLINE.COM', 'mi1']) {
      expect(lab.clockOf(p).now()).toBe(T0);
    }
    clock.advance(Duration.hour);
    expect(lab.clockOf('mi1').now()).toBe(T0 + Duration.hour);
    expect(() => lab.clockOf('nobody')).toThrow(/no party "nobody": its parties are client, CONTOSO.COM/);
  });

  it('a client ahead of the on-prem DC by more than 5 minutes gets KRB_AP_ERR_SKEW', async () => {
    const { lab, alice, mi } = setup();
    lab.clockOf('client').skewMs = 6 * Duration.minute;
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(e.message).toContain("the lab's party clocks are skewed (lab.clockOf): client +360000 ms");
    lab.clockOf('client').skewMs = 4 * Duration.minute; // within the 5 minutes
    await expect(lab.adJoinedClient(alice).initSecurityContext(mi.spn)).resolves.toBeDefined();
  });

  it('the Azure AD KDC behind by 10 minutes refuses the referral; an instance behind refuses the AP-REQ', async () => {
    const { lab, alice, mi } = setup();
    lab.clockOf('KERBEROS.MICROSOFTONLINE.COM').skewMs = -10 * Duration.minute;
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    lab.clockOf('KERBEROS.MICROSOFTONLINE.COM').skewMs = 0;
    const pc = lab.adJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi.spn);
    lab.clockOf('mi1').skewMs = -10 * Duration.minute;
    expect(() => mi.accept(ctx.token, pc.participant)).toThrow(
      expect.objectContaining({ code: ErrorCode.KRB_AP_ERR_SKEW }),
    );
  });

  it("expires the cloud TGT by advancing the client's clock alone", async () => {
    const { lab, alice, mi } = setup();
    const pc = lab.azureAdJoinedClient(alice);
    await pc.signIn();
    lab.clockOf('client').advance(10 * Duration.hour);
    const e = await failure(pc.initSecurityContext(mi.spn));
    expect(e).toMatchObject({ reason: 'sign-in-required' });
    expect(lab.clock.now()).toBe(T0); // nobody else moved
  });

  it("an instance's clock 70 minutes ahead: the authenticator is out of its 5 minutes first", async () => {
    const { lab, alice, mi } = setup();
    const pc = lab.adJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi.spn);
    lab.clockOf('mi1').advance(Duration.hour + 10 * Duration.minute);
    expect(() => mi.accept(ctx.token, pc.participant)).toThrow(
      expect.objectContaining({ code: ErrorCode.KRB_AP_ERR_SKEW }),
    );
  });

  it('the service ticket expires after its hour: the client asks Azure AD for a new one', async () => {
    const { lab, clock, alice, mi } = setup();
    const pc = lab.adJoinedClient(alice);
    const azureTgs = () => lab.trace.entries.filter((e) => e.transport === 'kkdcp').length;
    await pc.initSecurityContext(mi.spn);
    await pc.initSecurityContext(mi.spn);
    expect(azureTgs()).toBe(1); // cached
    clock.advance(Duration.hour);
    await pc.initSecurityContext(mi.spn);
    expect(azureTgs()).toBe(2);
  });
});

describe('a party clock refuses a skew that is not a number of milliseconds', () => {
  it('NaN and infinities are a RangeError naming the party; the skew it had stays', () => {
    const lab = createAzureSqlMiLab({ seed: 5 });
    const clock = lab.clockOf('client');
    clock.skewMs = 1000;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => {
        clock.skewMs = bad;
      }).toThrow(/PartyClock client: skewMs must be finite/);
    }
    expect(clock.skewMs).toBe(1000);
  });
});

describe('KDCs that are down, slow or answer garbage', () => {
  it('a down on-prem DC or KDC proxy is "no logon servers" (0x51f), in the trace too', async () => {
    const { lab, alice, mi } = setup();
    lab.faults.kdc('on-prem', 'down');
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e).toBeInstanceOf(LabError);
    expect(e).toMatchObject({ reason: 'no-logon-servers', windowsStatus: WindowsStatus.NO_LOGON_SERVERS });
    expect(e.message).toContain('the on-prem domain controller is down');
    expect(lab.trace.entries.at(-1)?.error).toContain('is down');
    lab.faults.kdc('on-prem', undefined).kdc('kdc-proxy', 'down');
    const m = await failure(lab.azureAdJoinedClient(alice).initSecurityContext(mi.spn));
    expect(m).toMatchObject({ reason: 'no-logon-servers', windowsStatus: 0x51f });
    expect(m.message).toContain('the KDC proxy is down');
  });

  it('a slow KDC moves the lab clock by its delay; past the client timeout it is no logon servers', async () => {
    const { lab, clock, alice, mi } = setup();
    lab.faults.kdc('azure-ad', { slowMs: 2_000 });
    await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    expect(clock.now()).toBe(T0 + 2_000); // one exchange with the Azure AD KDC
    lab.faults.kdc('azure-ad', { slowMs: 45_000 });
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e).toMatchObject({ reason: 'no-logon-servers' });
    expect(e.message).toContain('no answer within 30000 ms (45000 ms needed');
    expect(clock.now()).toBe(T0 + 32_000);
  });

  it('a KDC that answers garbage fails the client with KRB_AP_ERR_MSG_TYPE; a garbage proxy with a decoding error', async () => {
    const { lab, alice, mi } = setup();
    lab.faults.kdc('on-prem', 'garbage');
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(e.message).toContain('the KDC for CONTOSO.COM answered with a message starting 0x00');
    expect(lab.trace.entries[0]?.reply?.[0]).toBe(0x00);
    lab.faults.kdc('on-prem', undefined).kdc('kdc-proxy', 'garbage');
    const p = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(p.message).toContain('KDC-PROXY-MESSAGE: expected SEQUENCE (0x30), got 0x00');
  });
});

describe('message rules', () => {
  it('drops the first AS-REQ: no logon servers after the timeout; the next try works', async () => {
    const { lab, clock, alice, mi } = setup();
    lab.faults.rule({ to: 'on-prem', messageType: 'AS-REQ', fault: 'drop', times: 1 });
    const e = await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e.message).toContain('the AS-REQ to the on-prem domain controller was dropped');
    expect(clock.now()).toBe(T0 + 30_000);
    await expect(lab.adJoinedClient(alice).initSecurityContext(mi.spn)).resolves.toBeDefined();
  });

  it('delays, duplicates and corrupts', async () => {
    const { lab, clock, alice, mi } = setup();
    lab.faults.rule({ messageType: 'TGS-REQ', fault: { delayMs: 500 } });
    await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    expect(clock.now()).toBe(T0 + 1_000); // two TGS-REQs: on-prem, then Azure AD

    lab.faults.clear();
    lab.faults.rule({ to: 'azure-ad', fault: 'duplicate' });
    await expect(lab.adJoinedClient(alice).initSecurityContext(mi.spn)).resolves.toBeDefined();

    lab.faults.clear();
    lab.faults.rule({ to: 'on-prem', messageType: 'TGS-REQ', fault: 'corrupt-request' });
    await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));

    lab.faults.clear();
    lab.faults.rule({ to: 'on-prem', messageType: 'AS-REQ', fault: 'corrupt-reply' });
    await failure(lab.adJoinedClient(alice).initSecurityContext(mi.spn));
  });

  it('matches the message a KDC-PROXY-MESSAGE carries, and names it when it drops it', async () => {
    const { lab, clock, alice, mi } = setup();
    mi.authenticationMetadata = 'Windows'; // the cloud TGT and Azure AD, through the KDC proxy
    // The Azure AD-joined client's cloud TGT comes with its PRT: only a TGS-REQ goes through the proxy.
    lab.faults.rule({ to: 'kdc-proxy', messageType: 'AS-REQ', fault: 'drop' });
    await expect(lab.azureAdJoinedClient(alice).initSecurityContext(mi.spn)).resolves.toBeDefined();
    expect(clock.now()).toBe(T0);
    lab.faults.clear();
    lab.faults.rule({ to: 'kdc-proxy', messageType: 'TGS-REQ', fault: 'drop', times: 1 });
    const e = await failure(lab.azureAdJoinedClient(alice).initSecurityContext(mi.spn));
    expect(e.message).toBe(
      'no logon servers (0x51f): the TGS-REQ to the KDC proxy was dropped, and no answer came within 30000 ms (lab.faults)',
    );
    expect(clock.now()).toBe(T0 + 30_000);
  });

  it("a duplicate's own failure is not the exchange's: the client has the first answer", async () => {
    const faults = new LabFaults({ clock: new ManualClock(T0), random: new SeededRandom('dup') });
    faults.rule({ fault: 'duplicate' });
    let calls = 0;
    const reply = await faults.exchange('on-prem', Uint8Array.of(0x6a, 0x00), async () => {
      calls++;
      if (calls === 2) throw new Error('the second copy found the KDC gone');
      return Uint8Array.of(0x6b, 0x00);
    });
    expect([...reply]).toEqual([0x6b, 0x00]);
    expect(calls).toBe(2);
  });

  it('checks its arguments', () => {
    const { lab } = setup();
    expect(() => lab.faults.rule({ fault: { delayMs: -1 } })).toThrow(RangeError);
    expect(() => lab.faults.rule({ fault: 'drop', times: 0 })).toThrow(RangeError);
    const sys = createAzureSqlMiLab({ clock: { now: () => T0 } });
    expect(() => sys.faults.kdc('on-prem', { slowMs: 10 })).toThrow(/ManualClock/);
  });
});
