/**
 * The fuzz run's world: the Azure SQL Managed Instance scenario's two Active
 * Directory realms (CONTOSO.COM, KERBEROS.MICROSOFTONLINE.COM, one-way forest
 * trust, as packages/cli/examples/azure-trust.yaml) and an MIT-kind realm,
 * their KDCs, and the real messages the krbsim client exchanges with them:
 * AS-REQs (with and without PA-ENC-TIMESTAMP), TGS-REQs (own realm, referral,
 * cross-realm, unknown service), the replies, and AP-REQs in the three
 * framings for the managed instance. The fuzz targets mutate these.
 *
 * Everything is seeded: the clock is fixed, the realms, the client and the
 * service draw from `SeededRandom`s named after the run's seed, so the same
 * seed gives the same messages and the same inputs.
 *
 * Every KDC reports bugs (anything thrown that is not a KerberosError, which
 * the KDC turns into KRB_ERR_GENERIC) to `bugs`, which the targets check
 * after each input: a reported bug is a crash even though `handle` returned.
 */

import { decodeTgsReq, NameType, type PrincipalName, type Ticket } from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport, type KdcHandler } from '@krbsim/transport';

export const CONTOSO = 'CONTOSO.COM';
export const AZURE = 'KERBEROS.MICROSOFTONLINE.COM';
const MITREALM = 'MIT.TEST';
const SQL_SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
export const ALICE_PASSWORD = 'Al1ce-Passw0rd';

/** A captured request and the realm it went to. */
interface Captured {
  readonly realm: string;
  readonly request: Uint8Array;
  readonly reply: Uint8Array;
}

/** Credentials with what a deep mutation needs to re-encrypt their parts. */
export interface Session {
  readonly cred: Credential;
  /** The key that encrypts the ticket (the krbtgt's or the service's), for the ticket's etype and kvno. */
  readonly ticketKey: Key;
}

export interface FuzzLab {
  readonly clock: ManualClock;
  readonly realms: ReadonlyMap<string, Realm>;
  readonly kdcs: ReadonlyMap<string, Kdc>;
  /** Bugs the KDCs reported since the last `takeBugs()`. */
  takeBugs(): unknown[];
  /** The KDC handler of a realm (what serveKdc and the KDC proxy call). */
  route(realm: string): KdcHandler | undefined;
  /** Every request the client sent, with its reply. */
  readonly exchanges: readonly Captured[];
  /** alice's TGT at CONTOSO.COM, and the krbtgt key that encrypts it. */
  readonly tgt: Session;
  /** alice's ticket for the managed instance (from KERBEROS.MICROSOFTONLINE.COM), with its service key. */
  readonly sqlTicket: Session;
  /** alice's keys at CONTOSO.COM (for PA-ENC-TIMESTAMP). */
  readonly aliceKeys: readonly Key[];
  /** A preauthenticated AS-REQ of alice, as the client sent it. */
  readonly asReqPreauth: Uint8Array;
  /** AP-REQs for the managed instance: raw DER, GSS krb5 and SPNEGO framings. */
  readonly apReqs: readonly Uint8Array[];
  /** A managed-instance acceptor (no replay cache, so every input reaches the checks after it). */
  readonly service: KerberosService;
}

/** A key of `keys` with `etype`, or throws. */
const keyOf = (keys: readonly Key[], etype: number, what: string): Key => {
  const k = keys.find((x) => x.etype === etype);
  if (k === undefined) throw new Error(`fuzz lab: no etype ${etype} key for ${what}`);
  return k;
};

const spn = (text: string): PrincipalName => ({
  nameType: NameType.NT_SRV_INST,
  nameString: text.split('/'),
});

/** Builds the realms, runs the client through them, and keeps what it sent. */
export async function buildLab(seed: string): Promise<FuzzLab> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
  const realmOf = (name: string, kind: 'active-directory' | 'mit') =>
    new Realm({ name, kind, clock, random: new SeededRandom(`${seed}:realm:${name}`) });
  const contoso = realmOf(CONTOSO, 'active-directory');
  const azure = realmOf(AZURE, 'active-directory');
  const mit = realmOf(MITREALM, 'mit');
  createTrust({
    trusting: azure,
    trusted: contoso,
    direction: 'one-way',
    kind: 'forest',
    topLevelNames: ['windows.net'],
    // Every cross-realm TGS-REQ at the cloud KDC then goes through the OTHER_ORGANIZATION mark, the
    // foreign domain-local expansion and the Allowed-to-Authenticate check.
    selectiveAuthentication: true,
  });
  contoso.addUser('alice', { password: ALICE_PASSWORD });
  contoso.addUser('bob', { password: 'B0b-Passw0rd', requiresPreauth: false });
  contoso.addComputer('PC1');
  azure.addUser('cloudonly', { password: 'Cl0ud-Passw0rd' });
  azure.addService(SQL_SPN, { aliases: ['MSSQLSvc/mi1.abc123.database.windows.net'] });
  const aliceSid = contoso.directory.sidOf(contoso.directory.account('alice')!.rid);
  const miUsers = azure.directory.addGroup('MI Users', { scope: 'domain-local' });
  azure.directory.addForeignMember('MI Users', aliceSid);
  azure.allowToAuthenticate(SQL_SPN, azure.directory.sidOf(miUsers.rid));
  mit.addUser('alice', { password: ALICE_PASSWORD });
  mit.addService('host/svc.mit.test');

  let bugs: unknown[] = [];
  const realms = new Map([contoso, azure, mit].map((r) => [r.name, r]));
  const kdcs = new Map(
    [...realms].map(([name, r]) => [name, new Kdc(r, { onInternalError: (e) => bugs.push(e) })]),
  );
  const route = (realm: string): KdcHandler | undefined => {
    const kdc = kdcs.get(realm);
    return kdc && ((request: Uint8Array) => kdc.handle(request));
  };

  const exchanges: Captured[] = [];
  const transport = new InProcessTransport();
  for (const name of realms.keys()) {
    transport.register(name, (request) => {
      const reply = kdcs.get(name)!.handle(request);
      exchanges.push({ realm: name, request, reply });
      return reply;
    });
  }
  const client = (realm: string, tag: string) =>
    new KerberosClient({ realm, transport, clock, random: new SeededRandom(`${seed}:client:${tag}`) });

  // The scenario: alice logs on at CONTOSO and reaches the managed instance by referral.
  const alice = client(CONTOSO, 'alice');
  await alice.getInitialCredentials('alice', { password: ALICE_PASSWORD });
  const sql = await alice.getServiceTicket(SQL_SPN);
  await alice.getServiceTicket('host/pc1.contoso.com');
  await alice.getServiceTicket('HTTP/nowhere.contoso.com').catch(() => undefined); // KDC_ERR_S_PRINCIPAL_UNKNOWN
  // Errors worth mutating: a wrong password, an unknown client, a no-preauth user.
  await client(CONTOSO, 'wrong')
    .getInitialCredentials('alice', { password: 'wrong' })
    .catch(() => undefined);
  await client(CONTOSO, 'nobody')
    .getInitialCredentials('nobody', { password: 'x' })
    .catch(() => undefined);
  await client(CONTOSO, 'bob').getInitialCredentials('bob', { password: 'B0b-Passw0rd' });
  // The MIT-kind realm: other etypes (aes-sha2), other error shapes, no PAC.
  const mitAlice = client(MITREALM, 'mit');
  await mitAlice.getInitialCredentials('alice', { password: ALICE_PASSWORD });
  await mitAlice.getServiceTicket('host/svc.mit.test');

  const tgt = alice.cache.all().find((c) => c.server.name.nameString[0] === 'krbtgt')!;
  const krbtgtKeys = contoso.keysFor(`krbtgt/${CONTOSO}`);
  const sqlKeys = azure.keysFor(spn(SQL_SPN));
  const firstTgs = exchanges.find((e) => e.realm === CONTOSO && e.request[0] === 0x6c)!;
  decodeTgsReq(firstTgs.request); // the client's TGS-REQ decodes (sanity)
  const asReqPreauth = exchanges.filter(
    (e) => e.realm === CONTOSO && e.request[0] === 0x6a && e.reply[0] === 0x6b,
  )[0]!.request;

  const apReqs = [
    alice.buildApReq(sql, {}).token,
    alice.buildApReq(sql, { gss: 'krb5', mutual: true }).token,
    alice.buildApReq(sql, { gss: 'spnego', mutual: true }).token,
  ];
  const keytab = sqlKeys.map((key) => ({ principal: { realm: AZURE, name: spn(SQL_SPN) }, kvno: 1, key }));
  const service = new KerberosService({
    keytab,
    principal: `${SQL_SPN}@${AZURE}`,
    clock,
    random: new SeededRandom(`${seed}:service`),
    replayCache: false,
    kdcKeys: azure.keysFor(`krbtgt/${AZURE}`),
  });

  const ticketEtype = (t: Ticket) => t.encPart.etype;
  return {
    clock,
    realms,
    kdcs,
    takeBugs() {
      const b = bugs;
      bugs = [];
      return b;
    },
    route,
    exchanges,
    tgt: { cred: tgt, ticketKey: keyOf(krbtgtKeys, ticketEtype(tgt.ticket), 'the TGT') },
    sqlTicket: { cred: sql, ticketKey: keyOf(sqlKeys, ticketEtype(sql.ticket), SQL_SPN) },
    aliceKeys: contoso.keysFor('alice'),
    asReqPreauth,
    apReqs,
    service,
  };
}
