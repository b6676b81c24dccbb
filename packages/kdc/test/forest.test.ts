/**
 * A forest of several domains (`RealmOptions.forest`) and SID filtering by
 * trust boundary (MS-PAC 4.1.2.2): nothing filtered between domains of one
 * forest (WithinForest), the whole trusted forest's SIDs admitted across a
 * forest trust (CrossForest), the trusted domain's alone across an external
 * trust; claims pass within a forest only.
 */

import { KdcOptions, KpasswdResult, NameType } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { createTrust, Kdc, type KdcRequestEvent, KpasswdService, Realm } from '@krbsim/kdc';
import {
  decodePac,
  findPac,
  formatSid,
  getPacBuffer,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  updatePacBuffer,
  validationInfoSids,
  WellKnownRid,
  WellKnownSid,
} from '@krbsim/pac';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { buildPac } from '../src/pac-builder';
import { filterAtTrust } from '../src/pac-issuance';
import { asReq, errorOf, openTicket, T0 } from './helpers';

const CONTOSO_SID = 'S-1-5-21-100-200-300';
const EMEA_SID = 'S-1-5-21-101-201-301';
const FABRIKAM_SID = 'S-1-5-21-400-500-600';
const ELSEWHERE = 'S-1-5-21-9-9-9-1104';

/** The PAC `realm`'s KDC issues a new user `name` at logon, as its TGT would carry it. */
function pacOf(realm: Realm, name: string) {
  const entry = realm.addUser(name, { password: 'pw' });
  return buildPac(realm, entry, { authtime: T0, assertedBy: 'authentication-authority' })!;
}

/**
 * The forest CONTOSO.COM (root) with its child EMEA.CONTOSO.COM, joined by a
 * two-way realm trust (AD's parent-child trust), and FABRIKAM.COM, its own
 * forest, trusting CONTOSO.COM by a forest trust (or EMEA directly by an
 * external one). erin of EMEA is a member of CONTOSO's universal group
 * Forest Staff (and, nested, of Forest Leads), which the global catalog adds
 * to her logon, and carries SIDs of her domain, of FABRIKAM and of a third
 * forest in her sIDHistory: all in her ExtraSids.
 */
function lab(
  trust: 'forest' | 'external' = 'forest',
  knobs: { quarantineChild?: boolean; quarantine?: boolean; enableSidHistory?: boolean } = {},
) {
  const clock = new ManualClock(T0);
  const realm = (name: string, domainSid: string, forest: string) =>
    new Realm({
      name,
      kind: 'active-directory',
      forest,
      domainSid,
      clock,
      random: new SeededRandom(name),
      policy: { krbErrorStyle: 'mit' },
    });
  const contoso = realm('CONTOSO.COM', CONTOSO_SID, 'CONTOSO.COM');
  const emea = realm('EMEA.CONTOSO.COM', EMEA_SID, 'CONTOSO.COM');
  const fabrikam = realm('FABRIKAM.COM', FABRIKAM_SID, 'FABRIKAM.COM');
  createTrust({
    trusting: contoso,
    trusted: emea,
    direction: 'two-way',
    kind: 'realm',
    ...(knobs.quarantineChild !== undefined && { quarantine: knobs.quarantineChild }),
  });
  if (trust === 'forest') {
    createTrust({
      trusting: fabrikam,
      trusted: contoso,
      direction: 'one-way',
      kind: 'forest',
      ...(knobs.enableSidHistory !== undefined && { enableSidHistory: knobs.enableSidHistory }),
    });
  } else {
    createTrust({
      trusting: fabrikam,
      trusted: emea,
      direction: 'one-way',
      kind: 'external',
      ...(knobs.quarantine !== undefined && { quarantine: knobs.quarantine }),
    });
  }
  emea.addUser('erin', { password: 'Er1n-Passw0rd' });
  const erinSid = `${EMEA_SID}-${emea.directory.account('erin')!.rid}`;
  for (const sid of [`${EMEA_SID}-1300`, `${FABRIKAM_SID}-512`, ELSEWHERE]) {
    emea.directory.addSidHistory('erin', sid);
  }
  contoso.directory.addGroup('Forest Staff', { rid: 1200, scope: 'universal' });
  contoso.directory.addGroup('Forest Leads', { rid: 1201, scope: 'universal' });
  contoso.directory.addForeignMember('Forest Staff', erinSid);
  contoso.directory.addMember('Forest Leads', 'Forest Staff');
  contoso.addService('HTTP/intranet.contoso.com', { password: 'intranet' });
  fabrikam.addService('HTTP/portal.fabrikam.com', { password: 'portal' });
  const events: KdcRequestEvent[] = [];
  const transport = new InProcessTransport();
  for (const r of [contoso, emea, fabrikam]) {
    const kdc = new Kdc(r, { onRequest: (e) => events.push(e) });
    transport.register(r.name, (req) => kdc.handle(req));
  }
  /** erin's (or `who`'s of EMEA) ticket for `spn` of `realm`, opened with the service's key: the SIDs of its PAC. */
  const sidsAt = async (realmOf: Realm, spn: string, who = 'erin', password = 'Er1n-Passw0rd') => {
    const client = new KerberosClient({
      realm: emea.name,
      transport,
      clock,
      random: new SeededRandom(who),
    });
    await client.getInitialCredentials(who, { password });
    const cred = await client.getServiceTicket(`${spn}@${realmOf.name}`);
    const key = realmOf.keysFor(spn).find((k) => k.etype === cred.ticket.encPart.etype)!;
    const etp = openTicket(cred.ticket, key);
    const info = getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.LOGON_INFO)!;
    return validationInfoSids(info).map((s) => formatSid(s.sid));
  };
  /** The PAC of erin's TGT, as EMEA's KDC issued it. */
  const erinTgtPac = async () => {
    const client = new KerberosClient({
      realm: emea.name,
      transport,
      clock,
      random: new SeededRandom('tgt'),
    });
    const tgt = await client.getInitialCredentials('erin', { password: 'Er1n-Passw0rd' });
    const key = emea.krbtgt.keys.find((k) => k.key.etype === tgt.ticket.encPart.etype)!.key;
    return decodePac(findPac(openTicket(tgt.ticket, key).authorizationData)!.pac);
  };
  return { contoso, emea, fabrikam, erinSid, events, sidsAt, erinTgtPac, transport, clock };
}

describe('a forest of several domains (MS-PAC 4.1.2.2 trust boundaries)', () => {
  it('filters nothing between domains of one forest (WithinForest)', async () => {
    const t = lab();
    const sids = await t.sidsAt(t.contoso, 'HTTP/intranet.contoso.com');
    expect(sids[0]).toBe(t.erinSid);
    for (const sid of [
      `${EMEA_SID}-1300`,
      `${CONTOSO_SID}-1200`,
      `${CONTOSO_SID}-1201`,
      `${FABRIKAM_SID}-512`,
      ELSEWHERE,
    ]) {
      expect(sids).toContain(sid);
    }
    expect(t.events.every((e) => (e.sidsFiltered ?? []).length === 0)).toBe(true);
  });

  it('admits the SIDs of every domain of the trusted forest across a forest trust, and none of its own forest or a third (CrossForest)', async () => {
    const t = lab();
    const sids = await t.sidsAt(t.fabrikam, 'HTTP/portal.fabrikam.com');
    expect(sids[0]).toBe(t.erinSid);
    expect(sids).toContain(`${EMEA_SID}-1300`); // the user's own domain
    expect(sids).toContain(`${CONTOSO_SID}-1200`); // another domain of the trusted forest
    expect(sids).toContain(`${CONTOSO_SID}-1201`); // nested in it
    expect(sids).not.toContain(`${FABRIKAM_SID}-512`); // local to the trusting forest
    expect(sids).not.toContain(ELSEWHERE); // a third forest
    expect(t.events.flatMap((e) => e.sidsFiltered ?? []).sort()).toEqual(
      [`${FABRIKAM_SID}-512`, ELSEWHERE].sort(),
    );
  });

  it("admits the trusted domain's SIDs alone across an external trust (quarantine)", async () => {
    const t = lab('external');
    const sids = await t.sidsAt(t.fabrikam, 'HTTP/portal.fabrikam.com');
    expect(sids).toContain(`${EMEA_SID}-1300`);
    expect(sids).not.toContain(`${CONTOSO_SID}-1200`); // the forest root: another domain
    expect(sids).not.toContain(ELSEWHERE);
  });

  it('quarantines against the domain across the trust: a quarantined child speaks for no domain behind it', () => {
    const t = lab('forest', { quarantineChild: true });
    const paris = new Realm({
      name: 'PARIS.EMEA.CONTOSO.COM',
      kind: 'active-directory',
      forest: 'CONTOSO.COM',
      domainSid: 'S-1-5-21-102-202-302',
      clock: t.clock,
      random: new SeededRandom('paris'),
    });
    createTrust({ trusting: t.emea, trusted: paris, direction: 'two-way', kind: 'realm' });
    const pac = pacOf(paris, 'pat');
    // At EMEA, from PARIS itself (WithinForest), the PAC passes whole.
    expect(filterAtTrust(t.emea, pac, paris.name, paris.name).report.removed).toEqual([]);
    // At the root, through the quarantined EMEA (MS-PAC 4.1.2.2: the SIDs its TDO describes, EMEA's).
    expect(() => filterAtTrust(t.contoso, pac, paris.name, t.emea.name)).toThrow(
      expect.objectContaining({
        code: ErrorCode.KDC_ERR_POLICY,
        message: expect.stringContaining(
          'whose SIDs do not cross from EMEA.CONTOSO.COM (quarantined-within-forest trust boundary)',
        ),
      }),
    );
  });

  it("passes a cross-realm PAC on as it came in a realm that does not filter SIDs (MIT's KDC)", () => {
    const clock = new ManualClock(T0);
    const mk = (name: string, filterSidsAtTrusts: boolean) =>
      new Realm({
        name,
        clock,
        random: new SeededRandom(name),
        policy: { issuePac: true, filterSidsAtTrusts },
      });
    for (const filterSidsAtTrusts of [false, true]) {
      const a = mk('A.TEST', filterSidsAtTrusts);
      const b = mk('B.TEST', filterSidsAtTrusts);
      createTrust({ trusting: b, trusted: a, direction: 'one-way', kind: 'realm' }); // quarantined
      a.directory.addSidHistory(a.addUser('ann', { password: 'pw' }).name.nameString[0]!, ELSEWHERE);
      const pac = buildPac(a, a.lookup('ann')!, { authtime: T0, assertedBy: 'authentication-authority' })!;
      const { pac: out, report } = filterAtTrust(b, pac, a.name, a.name);
      expect(report.removed).toEqual(filterSidsAtTrusts ? [ELSEWHERE] : []);
      if (!filterSidsAtTrusts) expect(out).toBe(pac);
    }
  });

  it('refuses, across a forest trust, a user of another domain of the receiving forest (CrossForest)', () => {
    const t = lab();
    const sales = new Realm({
      name: 'SALES.FABRIKAM.COM',
      kind: 'active-directory',
      forest: 'FABRIKAM.COM',
      domainSid: 'S-1-5-21-401-501-601',
      clock: t.clock,
      random: new SeededRandom('sales'),
    });
    createTrust({ trusting: t.fabrikam, trusted: sales, direction: 'two-way', kind: 'realm' });
    // CONTOSO also trusts SALES directly, so a path SALES -> CONTOSO -> FABRIKAM exists.
    createTrust({
      trusting: t.contoso,
      trusted: sales,
      direction: 'one-way',
      kind: 'realm',
      quarantine: false,
    });
    expect(() => filterAtTrust(t.fabrikam, pacOf(sales, 'sam'), sales.name, t.contoso.name)).toThrow(
      expect.objectContaining({
        code: ErrorCode.KDC_ERR_POLICY,
        message: expect.stringContaining('(cross-forest trust boundary)'),
      }),
    );
  });

  it('lets claims and device information pass within a forest, and drops them across forests', async () => {
    const t = lab();
    const pac = await t.erinTgtPac();
    const withClaims = {
      buffers: [
        ...pac.buffers,
        { type: PacBufferType.CLIENT_CLAIMS_INFO, data: Uint8Array.of(1, 2, 3) },
        { type: PacBufferType.DEVICE_INFO, data: Uint8Array.of(4, 5, 6) },
      ],
    };
    const types = (p: { buffers: readonly { type: number }[] }) => p.buffers.map((b) => b.type);
    const within = filterAtTrust(t.contoso, withClaims, t.emea.name, t.emea.name);
    expect(types(within.pac)).toContain(PacBufferType.CLIENT_CLAIMS_INFO);
    expect(types(within.pac)).toContain(PacBufferType.DEVICE_INFO);
    expect(within.report.removed).toEqual([]);
    const across = filterAtTrust(t.fabrikam, withClaims, t.emea.name, t.contoso.name);
    expect(types(across.pac)).not.toContain(PacBufferType.CLIENT_CLAIMS_INFO);
    expect(types(across.pac)).not.toContain(PacBufferType.DEVICE_INFO);
    // Within a forest the logon domain must still be the client realm's: a PAC is no one else's.
    expect(() => filterAtTrust(t.contoso, withClaims, t.contoso.name, t.emea.name)).toThrow(
      expect.objectContaining({ code: ErrorCode.KDC_ERR_POLICY }),
    );
  });

  it('checks selective authentication in every domain of the trusting forest: the mark crosses its realm trusts', async () => {
    const clock = new ManualClock(T0);
    const realm = (name: string, domainSid: string, forest: string) =>
      new Realm({ name, kind: 'active-directory', forest, domainSid, clock, random: new SeededRandom(name) });
    const contoso = realm('CONTOSO.COM', CONTOSO_SID, 'CONTOSO.COM');
    const fabrikam = realm('FABRIKAM.COM', FABRIKAM_SID, 'FABRIKAM.COM');
    const sales = realm('SALES.FABRIKAM.COM', 'S-1-5-21-401-501-601', 'FABRIKAM.COM');
    createTrust({ trusting: fabrikam, trusted: sales, direction: 'two-way', kind: 'realm' });
    createTrust({
      trusting: fabrikam,
      trusted: contoso,
      direction: 'one-way',
      kind: 'forest',
      selectiveAuthentication: true,
    });
    contoso.addUser('carl', { password: 'C4rl-Passw0rd' });
    const crm = 'HTTP/crm.sales.fabrikam.com';
    sales.addService(crm, { password: 'crm' });
    const transport = new InProcessTransport();
    for (const r of [contoso, fabrikam, sales]) {
      const kdc = new Kdc(r);
      transport.register(r.name, (req) => kdc.handle(req));
    }
    const carl = new KerberosClient({
      realm: contoso.name,
      transport,
      clock,
      random: new SeededRandom('carl'),
    });
    await carl.getInitialCredentials('carl', { password: 'C4rl-Passw0rd' });
    const refused = await carl.getServiceTicket(`${crm}@${sales.name}`).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.KDC_ERR_POLICY });
    sales.allowToAuthenticate(crm, `${CONTOSO_SID}-${contoso.directory.account('carl')!.rid}`);
    const cred = await carl.getServiceTicket(`${crm}@${sales.name}`);
    const etp = openTicket(
      cred.ticket,
      sales.keysFor(crm).find((k) => k.etype === cred.ticket.encPart.etype)!,
    );
    const info = getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.LOGON_INFO)!;
    const sids = validationInfoSids(info).map((x) => formatSid(x.sid));
    expect(sids.filter((x) => x === 'S-1-5-1000')).toHaveLength(1); // added once, at the forest trust
  });

  it("AD's SID filtering switches: a quarantined child domain, an external trust without quarantine, a forest trust with SID history", async () => {
    // QuarantinedWithinForest: only the child's own SIDs reach the root.
    const quarantined = lab('forest', { quarantineChild: true });
    const q = await quarantined.sidsAt(quarantined.contoso, 'HTTP/intranet.contoso.com');
    expect(q).toContain(`${EMEA_SID}-1300`);
    for (const gone of [`${CONTOSO_SID}-1200`, `${FABRIKAM_SID}-512`, ELSEWHERE])
      expect(q).not.toContain(gone);
    // netdom /quarantine:no on the external trust, and /enablesidhistory:yes on the forest trust
    // (TREAT_AS_EXTERNAL): the trusted forest's SIDs, and any other domain's with a RID of 1000 or
    // more, the trusting forest's and a third forest's sIDHistory included; below 1000 (Domain
    // Admins, Enterprise Admins) a SID is its own forest's alone.
    for (const t of [lab('external', { quarantine: false }), lab('forest', { enableSidHistory: true })]) {
      for (const sid of [`${FABRIKAM_SID}-3101`, 'S-1-5-21-9-9-9-512', 'S-1-5-21-9-9-9-519']) {
        t.emea.directory.addSidHistory('erin', sid);
      }
      const sids = await t.sidsAt(t.fabrikam, 'HTTP/portal.fabrikam.com');
      expect(sids).toContain(`${CONTOSO_SID}-1200`);
      expect(sids).toContain(ELSEWHERE);
      expect(sids).toContain(`${FABRIKAM_SID}-3101`);
      for (const gone of [`${FABRIKAM_SID}-512`, 'S-1-5-21-9-9-9-512', 'S-1-5-21-9-9-9-519']) {
        expect(sids).not.toContain(gone);
      }
    }
    // The defaults, as the trusts report them.
    const d = lab();
    expect(d.contoso.trusts.map((t) => [t.kind, t.quarantine, t.enableSidHistory])).toEqual([
      ['realm', false, false],
      ['forest', false, false],
    ]);
    expect(lab('external').fabrikam.trusts[0]!.quarantine).toBe(true);
    // Each switch belongs to its kind of trust.
    const x = new Realm({ name: 'X.TEST', kind: 'active-directory' });
    const y = new Realm({ name: 'Y.TEST', kind: 'active-directory' });
    expect(() =>
      createTrust({ trusting: x, trusted: y, direction: 'one-way', kind: 'forest', quarantine: true }),
    ).toThrow(/a forest trust is not quarantined/);
    expect(() =>
      createTrust({
        trusting: x,
        trusted: y,
        direction: 'one-way',
        kind: 'external',
        enableSidHistory: true,
      }),
    ).toThrow(/enableSidHistory is a forest trust's setting/);
  });

  it('admits through a forest trust with SID history only domain SIDs (S-1-5-21-...) of RID 1000 or more: no integrity label, BUILTIN or NT AUTHORITY SID', async () => {
    // MS-PAC 4.1.2.2: TREAT_AS_EXTERNAL relaxes the filter to other domains' SIDs, not to every SID
    // whose last sub-authority is 1000 or more.
    const t = lab('forest', { enableSidHistory: true });
    const kept = 'S-1-5-21-9-9-9-1105';
    const removed = ['S-1-16-12288', 'S-1-5-32-1000', 'S-1-5-1000'];
    const forged = updatePacBuffer(await t.erinTgtPac(), PacBufferType.LOGON_INFO, (v) => ({
      ...v,
      extraSids: [
        ...v.extraSids,
        ...[kept, ...removed].map((s) => ({ sid: parseSid(s), attributes: SE_GROUP_DEFAULT })),
      ],
    }));
    const { pac, report } = filterAtTrust(t.fabrikam, forged, t.emea.name, t.contoso.name);
    const sids = validationInfoSids(getPacBuffer(pac, PacBufferType.LOGON_INFO)!).map((s) =>
      formatSid(s.sid),
    );
    expect(sids).toContain(kept);
    for (const gone of removed) expect(sids).not.toContain(gone);
    expect(report.removed).toEqual(expect.arrayContaining(removed));
    expect(report.removed).not.toContain(kept);
  });

  it("passes a child domain's DC's Enterprise Domain Controllers SID within the forest, quarantined or not, and never across forests", async () => {
    const EDC = WellKnownSid.ENTERPRISE_DOMAIN_CONTROLLERS;
    for (const quarantineChild of [false, true]) {
      const t = lab('forest', { quarantineChild });
      t.emea.addComputer('EDC1', { password: 'Edc1-Passw0rd', domainController: 'writable' });
      t.emea.addComputer('ERODC1', { password: 'Erodc1-Passw0rd', domainController: 'read-only' });
      const dc = (r: Realm, spn: string) => t.sidsAt(r, spn, 'EDC1$', 'Edc1-Passw0rd');
      const rodc = (r: Realm, spn: string) => t.sidsAt(r, spn, 'ERODC1$', 'Erodc1-Passw0rd');
      // MS-PAC 4.1.2.2: QuarantinedWithinForest lets S-1-5-9 through with the child's own SIDs.
      const atRoot = await dc(t.contoso, 'HTTP/intranet.contoso.com');
      expect(atRoot).toContain(`${EMEA_SID}-516`);
      expect(atRoot).toContain(EDC);
      expect(await dc(t.fabrikam, 'HTTP/portal.fabrikam.com')).not.toContain(EDC);
      // The RODC's enterprise group is the forest root's (498): an ExtraSid of CONTOSO's domain,
      // which a quarantined child may not pass.
      const rodcAtRoot = await rodc(t.contoso, 'HTTP/intranet.contoso.com');
      expect(rodcAtRoot).toContain(`${EMEA_SID}-521`);
      expect(rodcAtRoot.includes(`${CONTOSO_SID}-498`)).toBe(!quarantineChild);
      expect(rodcAtRoot).not.toContain(EDC);
    }
    // A quarantined trust between forests passes none (QuarantinedWithinForest is a forest's own).
    const x = lab('external', { quarantine: true });
    x.emea.addComputer('EDC1', { password: 'Edc1-Passw0rd', domainController: 'writable' });
    const across = await x.sidsAt(x.fabrikam, 'HTTP/portal.fabrikam.com', 'EDC1$', 'Edc1-Passw0rd');
    expect(across).toContain(`${EMEA_SID}-516`);
    expect(across).not.toContain(EDC);
  });

  it("gives a domain's own user the domain-local groups she reaches through another domain's universal group (MS-KILE 3.3.5.7.3)", async () => {
    const t = lab();
    // EMEA's domain-local group holds CONTOSO's universal Forest Leads (erin is in it through Forest Staff).
    t.emea.directory.addGroup('EMEA Readers', { rid: 1400, scope: 'domain-local' });
    t.emea.directory.addForeignMember('EMEA Readers', `${CONTOSO_SID}-1201`);
    t.emea.addService('HTTP/app.emea.contoso.com', { password: 'emea-app' });
    const sids = await t.sidsAt(t.emea, 'HTTP/app.emea.contoso.com');
    expect(sids).toContain(`${CONTOSO_SID}-1201`);
    expect(sids).toContain(`${EMEA_SID}-1400`);
    // Not in her TGT (resource groups are for the domain's services), nor at the root's service.
    expect(await t.sidsAt(t.contoso, 'HTTP/intranet.contoso.com')).not.toContain(`${EMEA_SID}-1400`);
  });

  it("has the forest root's Enterprise Admins alone: a child's member of it is an administrator there and in the child's Denied RODC group", async () => {
    const t = lab();
    expect(t.emea.directory.group('Enterprise Admins')).toBeUndefined();
    t.contoso.directory.addForeignMember('Enterprise Admins', t.erinSid);
    t.emea.addService('HTTP/app.emea.contoso.com', { password: 'emea-app' });
    const denied = WellKnownRid.DENIED_RODC_PASSWORD_REPLICATION_GROUP;
    const atChild = await t.sidsAt(t.emea, 'HTTP/app.emea.contoso.com');
    expect(atChild).toContain(`${CONTOSO_SID}-519`); // the global catalog's ExtraSid
    expect(atChild).toContain(`${EMEA_SID}-${denied}`); // the child's 572 holds the root's 519
    expect(await t.sidsAt(t.contoso, 'HTTP/intranet.contoso.com')).toContain(`${CONTOSO_SID}-${denied}`);
    // Without it, neither.
    const u = lab();
    u.emea.addService('HTTP/app.emea.contoso.com', { password: 'emea-app' });
    expect(await u.sidsAt(u.emea, 'HTTP/app.emea.contoso.com')).not.toContain(`${EMEA_SID}-${denied}`);
    // kpasswd: an Enterprise Admin resets a password in every domain of the forest.
    t.emea.addPasswordChangeService();
    t.emea.addUser('gina', { password: 'G1na-Old-Passw0rd' });
    const kpasswd = new KpasswdService(t.emea);
    const transport = new InProcessTransport().register(t.emea.name, (r) => kpasswd.handle(r));
    const reset = (admin: string, pw: string) =>
      new KerberosClient({
        realm: t.emea.name,
        transport: t.transport,
        clock: t.clock,
        random: new SeededRandom(admin),
      }).changePassword(admin, pw, 'G1na-New-Passw0rd', { transport, target: 'gina' });
    await reset('erin', 'Er1n-Passw0rd');
    t.emea.addUser('hal', { password: 'H4l-Passw0rd-1' });
    await expect(reset('hal', 'H4l-Passw0rd-1')).rejects.toMatchObject({
      result: KpasswdResult.ACCESSDENIED,
    });
  });

  it('sends an enterprise name of the trusted forest to its realm from a child domain too (RFC 6806 section 7, WRONG_REALM)', () => {
    const clock = new ManualClock(T0);
    const realm = (name: string, forest = name) =>
      new Realm({
        name,
        kind: 'active-directory',
        forest,
        clock,
        random: new SeededRandom(name),
        policy: { krbErrorStyle: 'mit' },
      });
    const contoso = realm('CONTOSO.COM');
    const eu = realm('EU.CONTOSO.COM', 'CONTOSO.COM');
    const fabrikam = realm('FABRIKAM.COM');
    createTrust({ trusting: contoso, trusted: eu, direction: 'two-way', kind: 'realm' });
    createTrust({
      trusting: fabrikam,
      trusted: contoso,
      direction: 'two-way',
      kind: 'forest',
      topLevelNames: ['fabrikam.com'],
    });
    fabrikam.addUser('bob', { password: 'B0b-Passw0rd', upn: 'bob@fabrikam.com' });
    for (const at of [contoso, eu]) {
      const e = errorOf(
        new Kdc(at).handle(
          asReq({
            realm: at.name,
            cname: { nameType: NameType.NT_ENTERPRISE, nameString: ['bob@fabrikam.com'] },
            options: KdcOptions.canonicalize,
          }),
        ),
      );
      expect([at.name, e.errorCode, e.crealm]).toEqual([
        at.name,
        ErrorCode.KDC_ERR_WRONG_REALM,
        'FABRIKAM.COM',
      ]);
    }
  });

  it('refuses a forest or external trust between two domains of one forest', () => {
    const t = lab();
    const a = new Realm({ name: 'APAC.CONTOSO.COM', kind: 'active-directory', forest: 'CONTOSO.COM' });
    for (const kind of ['forest', 'external'] as const) {
      expect(() => createTrust({ trusting: t.contoso, trusted: a, direction: 'one-way', kind })).toThrow(
        /are domains of one forest \(CONTOSO\.COM\): a trust between them is a realm trust/,
      );
    }
    expect(() => new Realm({ name: 'X.TEST', forest: 'a@b' })).toThrow(KerberosError);
    expect(new Realm({ name: 'X.TEST' }).forest).toBe('X.TEST');
  });
});
