/**
 * A krbsim KDC and a krbsim service in process, for the client's AP-REQ and
 * AP-REP tests: alice holds a ticket for `HTTP/web.contoso.com`, and the
 * service has that principal's keys.
 */

import { NameType } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';

export const REALM = 'CONTOSO.COM';
const SPN = 'HTTP/web.contoso.com';
export const SNAME = { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] };

/** The realm, alice's client and her service ticket, and the service; `seed` names the realm's random source. */
export async function serviceLab(seed: string) {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom(seed) });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addService(SPN, { password: 'web-Passw0rd' });
  const transport = new InProcessTransport().register(REALM, (req) => new Kdc(realm).handle(req));
  const client = new KerberosClient({ realm: REALM, transport, clock, random: new SeededRandom('client') });
  await client.getInitialCredentials('alice', { password: 'correct horse' });
  const cred = await client.getServiceTicket(SPN);
  const keytab = realm.keysFor(SPN).map((key) => ({
    principal: { realm: REALM, name: SNAME },
    kvno: cred.ticket.encPart.kvno ?? 1,
    key,
  }));
  const service = new KerberosService({ keytab, clock });
  return { client, cred, service, clock };
}
