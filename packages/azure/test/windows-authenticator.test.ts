/**
 * The lab's Windows clients describe their machine to the instance as Windows' SSPI does
 * (MS-KILE 3.2.5.8): token restrictions with the machine's PerBootMachineID and a medium,
 * full token; KERB-LOCAL; the service meant. The instance, on another machine, reads them and
 * sees no local login; a service given the PC's machine ID does.
 */

import { AZURE_AD_REALM, createAzureSqlMiLab } from '@krbsim/azure';
import { ManualClock } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

function setup() {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 52,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, alice, mi };
}

describe("a lab client's authenticator describes its machine", () => {
  it('by either flow: the machine ID, a medium full token, KERB-LOCAL and the SPN with its realm; not local to the instance', async () => {
    const { lab, alice, mi } = setup();
    const onPremPc = lab.adJoinedClient(alice);
    const cloudPc = lab.azureAdJoinedClient(alice);
    await cloudPc.signIn();
    expect(onPremPc.machine.machineId).not.toEqual(cloudPc.machine.machineId);
    for (const pc of [onPremPc, cloudPc]) {
      const ctx = await pc.initSecurityContext(mi.spn);
      const session = mi.accept(ctx.token, pc.participant);
      expect(session.kerberos.windows).toEqual({
        tokenIntegrity: { flags: 0, tokenIL: 0x2000, machineId: pc.machine.machineId },
        loopback: pc.machine.loopback,
        clientTarget: `${mi.spn}@${AZURE_AD_REALM}`,
        local: false,
      });
      expect(pc.machine.machineId.length).toBe(32);
      expect(pc.machine.loopback.length).toBe(16);
    }
  });

  it('a hybrid-joined PC is one machine on both sides', async () => {
    const { lab, alice, mi } = setup();
    const pc = lab.hybridJoinedClient(alice);
    expect(pc.onPrem.machine).toBe(pc.cloud.machine);
    expect(pc.machine).toBe(pc.onPrem.machine);
    await pc.signIn();
    const ctx = await pc.initSecurityContext(mi.spn, { via: 'cloud' });
    expect(mi.accept(ctx.token, pc.participant).kerberos.windows?.tokenIntegrity?.machineId).toEqual(
      pc.machine.machineId,
    );
  });
});
