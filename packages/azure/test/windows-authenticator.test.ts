/**
 * The lab's Windows clients describe their machine to the instance as Windows' SSPI does
 * (MS-KILE 3.2.5.8): token restrictions with the machine's PerBootMachineID and a medium,
 * full token; KERB-LOCAL; the service meant. The instance, on another machine, reads them and
 * sees no local login; a service given the PC's machine ID does. Their TGS-REQs for a service
 * carry KERB-LOCAL too (MS-KILE 3.2.5.7), and the session's ticket is reused.
 */

import {
  AdType,
  decodeAuthorizationData,
  decodePaPacOptions,
  decodeTgsReq,
  formatPrincipal,
  PacOptions,
  PaDataType,
} from '@krbsim/asn1';
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

  it('by either flow: every TGS-REQ for the instance carries KERB-LOCAL and branch-aware, the ticket holds KERB-LOCAL, and the next context reuses the ticket', async () => {
    const { lab, alice, mi } = setup();
    const onPremPc = lab.adJoinedClient(alice);
    const cloudPc = lab.azureAdJoinedClient(alice);
    await cloudPc.signIn();
    for (const pc of [onPremPc, cloudPc]) {
      const start = lab.trace.entries.length;
      const ctx = await pc.initSecurityContext(mi.spn);
      const tgsReqs = lab.trace.entries
        .slice(start)
        .filter((e) => e.requestType === 'TGS-REQ')
        .map((e) => decodeTgsReq(e.request));
      // On-prem: the referral request and Azure AD's; cloud: Azure AD's alone.
      expect(tgsReqs).toHaveLength(pc === onPremPc ? 2 : 1);
      for (const req of tgsReqs) {
        expect(formatPrincipal(req.reqBody.sname!)).toBe(mi.spn);
        // The AES types Windows implements, no aes-sha2.
        expect(req.reqBody.etype).toEqual([18, 17]);
        expect(req.reqBody.encAuthorizationData).toBeDefined();
        const pacOptions = req.padata?.filter((p) => p.padataType === PaDataType.PA_PAC_OPTIONS) ?? [];
        expect(pacOptions.map((p) => decodePaPacOptions(p.padataValue).flags)).toEqual([
          PacOptions['branch-aware'],
        ]);
      }
      expect(ctx.ticket.requestedAuthorizationData).toEqual([
        {
          adType: AdType.AD_IF_RELEVANT,
          adData: expect.any(Uint8Array),
        },
      ]);
      expect(decodeAuthorizationData(ctx.ticket.requestedAuthorizationData![0]!.adData)).toEqual([
        { adType: AdType.KERB_LOCAL, adData: pc.machine.loopback },
      ]);
      // The ticket the instance decrypts holds the KDC's copy after the PAC's container.
      const session = mi.accept(ctx.token, pc.participant);
      const copies = session.kerberos.authorizationData
        .filter((e) => e.adType === AdType.AD_IF_RELEVANT)
        .map((e) => decodeAuthorizationData(e.adData))
        .filter((inner) => inner.some((e) => e.adType === AdType.KERB_LOCAL));
      expect(copies.length).toBeGreaterThan(0);
      for (const inner of copies)
        expect(inner).toEqual([{ adType: AdType.KERB_LOCAL, adData: pc.machine.loopback }]);
      // The next login: the session's cached ticket, no TGS-REQ.
      const next = lab.trace.entries.length;
      const again = await pc.initSecurityContext(mi.spn);
      expect(again.ticket).toBe(ctx.ticket);
      expect(lab.trace.entries.slice(next).filter((e) => e.requestType === 'TGS-REQ')).toEqual([]);
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
    // Given IDs, as the other clients take them; and an application running as a service.
    const machine = { machineId: new Uint8Array(32).fill(7), loopback: new Uint8Array(16).fill(9) };
    const given = lab.hybridJoinedClient(alice, { machine, interactive: false });
    expect([given.machine, given.onPrem.machine, given.cloud.machine]).toEqual([machine, machine, machine]);
    expect(given.cloud.interactive).toBe(false);
  });
});
