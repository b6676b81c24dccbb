/**
 * The linked-server double hop from a managed instance: the instance, holding
 * a user's service ticket, asks the tenant's KDC (S4U2Proxy, MS-SFU 3.2.5.2)
 * for a ticket in the user's name to another instance. Azure SQL Managed
 * Instance documents no Kerberos delegation from its service principal (its
 * linked servers use Microsoft Entra pass-through or the managed identity), so
 * the tenant refuses the hop (docs/azure.md, "Double hop and linked servers").
 * The instance asks as any service would, with `@krbsim/client`'s S4U2Proxy.
 */
import { TicketFlags } from '@krbsim/asn1';
import { AZURE_AD_REALM, createAzureSqlMiLab, type ManagedInstance } from '@krbsim/azure';
import { KdcRefusedError, KerberosClient } from '@krbsim/client';
import { ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { rejection } from './helpers';

const T0 = Date.UTC(2026, 0, 5, 9);
const random = new SeededRandom('double-hop');

function setup() {
  const clock = new ManualClock(T0);
  const log: string[] = [];
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 13, clock, log: (l) => log.push(l) });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const instance = (name: string, subnet: string) => {
    const mi = lab.addManagedInstance({ name, dnsZone: 'abc123', subnet });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Paired';
    mi.createLogin('CONTOSO\\alice', 'WINDOWS');
    mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
    return mi;
  };
  // One Windows-authentication instance per subnet: the linked server lives in another one.
  const mi1 = instance('mi1', '10.0.0.0/24');
  const mi2 = instance('mi2', '10.0.1.0/24');
  lab.setupCloudTrust();
  return { lab, log, clock, alice, mi1, mi2 };
}

/** The instance's client in the tenant realm, logged on with the key its service principal reads. */
async function instanceClient(
  lab: ReturnType<typeof setup>['lab'],
  mi: ManagedInstance,
): Promise<KerberosClient> {
  const entry = lab.tenant.realm.lookup(mi.spn)!;
  const transport = new InProcessTransport({ from: mi.spn }).register(AZURE_AD_REALM, (req) =>
    lab.tenant.kdc.handle(req),
  );
  const client = new KerberosClient({ realm: AZURE_AD_REALM, transport, clock: lab.clock, random });
  await client.getInitialCredentials(mi.spn, { key: entry.keys[0]!.key }, { forwardable: true });
  return client;
}

/** The KDC's refusal of `p`. */
const refusal = (p: Promise<unknown>) => rejection(p, KdcRefusedError);

describe('double hop from the managed instance (linked server)', () => {
  it("refuses S4U2Proxy with the user's cloud-Kerberos ticket: KDC_ERR_BADOPTION, the instance may not delegate", async () => {
    const { lab, log, alice, mi1, mi2 } = setup();
    const pc = lab.azureAdJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi1.spn);
    const session = mi1.accept(ctx.token, pc.participant);
    expect(session.clientPrincipal).toBe(`alice\\@contoso.com@${AZURE_AD_REALM}`);
    // The ticket is forwardable, so the refusal is about delegation, not the evidence.
    expect(session.kerberos.ticket.flags & TicketFlags.forwardable).not.toBe(0);

    const instance = await instanceClient(lab, mi1);
    const err = await refusal(instance.getS4U2ProxyTicket(ctx.ticket, mi2.spn));
    expect(err.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(log.at(-1)).toMatch(
      /^TGS-REQ MSSQLSvc\/mi1\S+ for MSSQLSvc\/mi2\S+ -> KRB-ERROR KDC_ERR_BADOPTION/,
    );

    // The refusal is the missing delegation and nothing else: granted the constrained delegation
    // Azure does not offer (msDS-AllowedToDelegateTo on the instance's principal), the same hop passes.
    const entry = lab.tenant.realm.lookup(mi1.spn)!;
    entry.allowedToDelegateTo = [lab.tenant.realm.lookup(mi2.spn)!.name];
    const hop = await instance.getS4U2ProxyTicket(ctx.ticket, mi2.spn);
    expect(hop.client.name.nameString).toEqual(['alice@contoso.com']);
    expect(hop.server.name.nameString.join('/')).toBe(mi2.spn);
  });

  it("refuses it alike when the user's ticket came over the incoming trust (a user of CONTOSO.COM): BADOPTION", async () => {
    const { lab, log, alice, mi1, mi2 } = setup();
    const pc = lab.adJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi1.spn);
    expect(mi1.accept(ctx.token, pc.participant).clientPrincipal).toBe('alice@CONTOSO.COM');
    const instance = await instanceClient(lab, mi1);
    const err = await refusal(instance.getS4U2ProxyTicket(ctx.ticket, mi2.spn));
    expect(err.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(log.at(-1)).toMatch(/-> KRB-ERROR KDC_ERR_BADOPTION/);
    // A user of the trusted realm is delegated as a cloud user is, once the delegation is granted:
    // the evidence is the tenant's, with alice's PAC as it crossed the trust.
    const entry = lab.tenant.realm.lookup(mi1.spn)!;
    entry.allowedToDelegateTo = [lab.tenant.realm.lookup(mi2.spn)!.name];
    const hop = await instance.getS4U2ProxyTicket(ctx.ticket, mi2.spn);
    expect([hop.client.name.nameString, hop.client.realm]).toEqual([['alice'], 'CONTOSO.COM']);
    expect(hop.server.name.nameString.join('/')).toBe(mi2.spn);
  });
});
