import { createSocket } from 'node:dgram';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { TicketFlags } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, type KerberosError } from '@krbsim/core';
import { parseKeytab } from '@krbsim/files';
import { InProcessTransport, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';
import { loadTopologyFile } from '../src/serve';
import { type KdcServerInfo, type RequestLogEntry, startTopology } from '../src/start-topology';
import {
  parseTopology,
  TopologyError,
  type TopologyFile,
  validateTopology,
  withPlainPasswords,
} from '../src/topology';
import type { PortsJson } from '../src/topology-files';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * azure-trust.yaml without its Azure AD realm's `kdcProxy`, which replicas refuse (one process serves a
 * KDC proxy; see topology-kdc-proxy.test.ts): the same realms, keys and trust for the replica tests.
 */
async function replicableAzureTrust(): Promise<TopologyFile> {
  const file = await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml'));
  return { ...file, realms: file.realms.map(({ kdcProxy: _proxied, ...r }) => r) };
}

describe('startTopology', () => {
  it('builds realms, services and trusts from the examples without sockets', async () => {
    for (const example of ['contoso-fabrikam.yaml', 'azure-trust.yaml']) {
      const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, example)), { listen: false });
      expect(topo.servers.size).toBe(0);
      expect([...topo.kdcs.keys()]).toEqual([...topo.realms.keys()]);
      await topo.close();
    }
  });

  it("builds each realm's directory: domain SID, groups with scopes, nested members", async () => {
    const file = validateTopology({
      realms: [
        {
          name: 'CONTOSO.COM',
          kind: 'active-directory',
          domainSid: 'S-1-5-21-1-2-3',
          users: [{ name: 'alice', password: 'pw' }],
          computers: [{ name: 'SQL01' }],
          groups: [
            { name: 'SqlAdmins', members: ['DBAs'] }, // a group defined later
            { name: 'DBAs', members: ['alice'] },
            { name: 'SqlAccess', scope: 'domain-local', members: ['SqlAdmins', 'SQL01$'] },
          ],
        },
      ],
    });
    const t = await startTopology(file, { listen: false, seed: 1 });
    const d = t.realms.get('CONTOSO.COM')!.directory;
    expect(d.domainSid).toBe('S-1-5-21-1-2-3');
    const g = d.tokenGroups('alice');
    expect(g.groups.map((x) => x.relativeId)).toEqual([513, d.group('SqlAdmins')!.rid, d.group('DBAs')!.rid]);
    expect(g.domainLocal.map((x) => x.relativeId)).toEqual([d.group('SqlAccess')!.rid]);
    await t.close();
    // A member that does not exist, or a scope that cannot hold it, names its field.
    // The PAC policy: an MIT realm can issue PACs, an AD realm can stop.
    const policies = await startTopology(
      validateTopology({
        realms: [
          { name: 'MIT.TEST', pkinit: true, policy: { issuePac: true, allowAnonymous: true } },
          { name: 'AD.TEST', kind: 'active-directory', policy: { issuePac: false, requirePac: false } },
        ],
      }),
      { listen: false },
    );
    expect(policies.realms.get('MIT.TEST')!.policy).toMatchObject({ issuePac: true, allowAnonymous: true });
    expect(policies.realms.get('AD.TEST')!.policy.allowAnonymous).toBe(false);
    expect(policies.realms.get('AD.TEST')!.policy).toMatchObject({ issuePac: false, requirePac: false });
    await policies.close();
    const bad = validateTopology({
      realms: [{ name: 'X.TEST', groups: [{ name: 'G', members: ['nobody'] }] }],
    });
    await expect(startTopology(bad, { listen: false })).rejects.toThrow(
      /realms\[0\]\.groups\[0\]\.members\[0\]: no account or group nobody/,
    );
    expect(() => validateTopology({ realms: [{ name: 'X.TEST', domainSid: 'S-1-5-32-544' }] })).toThrow(
      TopologyError,
    );
  });

  it('builds selective trusts, foreign members of domain-local groups and Allowed-to-Authenticate grants (examples/selective-trust.yaml)', async () => {
    const t = await startTopology(await loadTopologyFile(join(EXAMPLES, 'selective-trust.yaml')), {
      listen: false,
      seed: 1,
    });
    const contoso = t.realms.get('CONTOSO.COM')!;
    const fabrikam = t.realms.get('FABRIKAM.COM')!;
    expect(fabrikam.trusts[0]!.selectiveAuthentication).toBe(true);
    const sidIn = (r: typeof contoso, name: string) =>
      r.directory.sidOf((r.directory.account(name) ?? r.directory.group(name))!.rid);
    const portalUsers = fabrikam.directory.group('PortalUsers')!;
    expect(fabrikam.directory.resourceGroups([sidIn(contoso, 'Engineering')])).toEqual([
      expect.objectContaining({ relativeId: portalUsers.rid }),
    ]);
    expect(fabrikam.lookup('PORTAL$')!.allowedToAuthenticate).toEqual([sidIn(fabrikam, 'PortalUsers')]);
    expect(fabrikam.lookup('svc_sql')!.allowedToAuthenticate).toEqual([sidIn(contoso, 'bob')]);
    // Through the KDCs: alice reaches the portal (through PortalUsers), not the SQL server.
    const transport = new InProcessTransport();
    for (const [name, kdc] of t.kdcs) transport.register(name, (req) => kdc.handle(req));
    const alice = new KerberosClient({ realm: 'CONTOSO.COM', transport });
    await alice.getInitialCredentials('alice', { password: 'correct horse battery staple' });
    expect((await alice.getServiceTicket('HTTP/portal.fabrikam.com')).server.realm).toBe('FABRIKAM.COM');
    await expect(alice.getServiceTicket('MSSQLSvc/sql.fabrikam.com:1433')).rejects.toThrow(
      /the realm policy forbids this request \(STATUS_AUTHENTICATION_FIREWALL_FAILED\)/,
    );
    await t.close();
    // What cannot be resolved names its field.
    const bad = (groups: object[], services: object[] = []) =>
      startTopology(
        validateTopology({
          realms: [
            { name: 'A.TEST', kind: 'active-directory', users: [{ name: 'alice', password: 'pw' }] },
            { name: 'B.TEST', kind: 'active-directory', groups, services },
          ],
        }),
        { listen: false },
      );
    await expect(bad([{ name: 'L', scope: 'domain-local', members: ['nobody@A.TEST'] }])).rejects.toThrow(
      /realms\[1\]\.groups\[0\]\.members\[0\]: no account or group nobody in A\.TEST's directory/,
    );
    await expect(bad([{ name: 'G', members: ['alice@A.TEST'] }])).rejects.toThrow(
      /realms\[1\]\.groups\[0\]\.members\[0\]: a global group cannot hold a principal of another domain/,
    );
    await expect(
      bad([], [{ spn: 'HTTP/b.test', allowedToAuthenticate: ['alice@NOWHERE.TEST'] }]),
    ).rejects.toThrow(/realms\[1\]\.services\[0\]\.allowedToAuthenticate\[0\]: no realm named NOWHERE\.TEST/);
    expect(() =>
      validateTopology({
        realms: [{ name: 'A.TEST' }, { name: 'B.TEST' }],
        trusts: [{ trusting: 'A.TEST', trusted: 'B.TEST', selectiveAuthentication: 'yes' }],
      }),
    ).toThrow(/trusts\[0\]\.selectiveAuthentication/);
  });

  it('builds the domains of one forest, joined by realm trusts, and refuses a forest trust between them', async () => {
    const realms = [
      { name: 'CONTOSO.COM', kind: 'active-directory' },
      { name: 'EMEA.CONTOSO.COM', kind: 'active-directory', forest: 'CONTOSO.COM' },
    ];
    const t = await startTopology(
      validateTopology({
        realms,
        trusts: [
          {
            trusting: 'CONTOSO.COM',
            trusted: 'EMEA.CONTOSO.COM',
            direction: 'two-way',
            kind: 'realm',
            quarantine: true,
          },
        ],
      }),
      { listen: false },
    );
    expect(t.realms.get('EMEA.CONTOSO.COM')!.forest).toBe('CONTOSO.COM');
    expect(t.realms.get('CONTOSO.COM')!.forest).toBe('CONTOSO.COM');
    expect(t.realms.get('CONTOSO.COM')!.trusts[0]).toMatchObject({
      quarantine: true,
      enableSidHistory: false,
      tgtDelegation: false, // a quarantined trust never delegates
    });
    await t.close();
    const delegating = await startTopology(
      validateTopology({
        realms: [...realms, { name: 'FABRIKAM.COM', kind: 'active-directory' }],
        trusts: [
          { trusting: 'CONTOSO.COM', trusted: 'EMEA.CONTOSO.COM', direction: 'two-way' },
          { trusting: 'FABRIKAM.COM', trusted: 'CONTOSO.COM', kind: 'forest', tgtDelegation: true },
        ],
      }),
      { listen: false },
    );
    expect(delegating.realms.get('CONTOSO.COM')!.trusts.map((x) => x.tgtDelegation)).toEqual([true, true]);
    await delegating.close();
    // A two-way forest trust names each forest's DNS names on the other's side.
    const forests = (direction: string) =>
      validateTopology({
        realms: [
          { name: 'CONTOSO.COM', kind: 'active-directory' },
          { name: 'FABRIKAM.COM', kind: 'active-directory' },
        ],
        trusts: [
          {
            trusting: 'FABRIKAM.COM',
            trusted: 'CONTOSO.COM',
            direction,
            kind: 'forest',
            topLevelNames: ['fabrikam.com'],
            trustedTopLevelNames: ['Contoso.com'],
          },
        ],
      });
    const twoWay = await startTopology(forests('two-way'), { listen: false });
    expect(twoWay.realms.get('FABRIKAM.COM')!.trusts[0]!.trustedTopLevelNames).toEqual(['contoso.com']);
    await twoWay.close();
    await expect(startTopology(forests('one-way'), { listen: false })).rejects.toThrow(
      /^trusts\[0\]: trustedTopLevelNames route FABRIKAM\.COM's requests to CONTOSO\.COM/,
    );
    const accounts = await startTopology(
      validateTopology({
        realms: [
          {
            name: 'A.TEST',
            users: [{ name: 'svc', password: 's', spns: ['HTTP/app.a.test'], okAsDelegate: true }],
            computers: [
              { name: 'WEB01', okAsDelegate: true },
              { name: 'PC1' },
              { name: 'DC2', domainController: 'writable' },
              { name: 'DC3', domainController: 'writable', okAsDelegate: false },
            ],
            services: [{ spn: 'HTTP/portal.a.test', okAsDelegate: true }],
          },
        ],
      }),
      { listen: false },
    );
    const a = accounts.realms.get('A.TEST')!;
    expect(
      ['svc', 'WEB01$', 'PC1$', 'HTTP/portal.a.test', 'DC2$', 'DC3$'].map((n) => a.lookup(n)?.okAsDelegate),
    ).toEqual([true, true, false, true, true, false]);
    expect(a.directory.account('DC2$')).toMatchObject({ domainController: 'writable', primaryGroupRid: 516 });
    await accounts.close();
    expect(() =>
      validateTopology({
        realms: [{ name: 'A.TEST', computers: [{ name: 'PC1', domainController: 'rodc' }] }],
      }),
    ).toThrow(/realms\[0\]\.computers\[0\]\.domainController: expected one of writable, read-only/);
    expect(() =>
      validateTopology({ realms: [{ name: 'A.TEST', computers: [{ name: 'PC1', okAsDelegate: 1 }] }] }),
    ).toThrow(/realms\[0\]\.computers\[0\]\.okAsDelegate/);
    await delegating.close();
    await expect(
      startTopology(
        validateTopology({
          realms,
          trusts: [
            { trusting: 'CONTOSO.COM', trusted: 'EMEA.CONTOSO.COM', quarantine: true, tgtDelegation: true },
          ],
        }),
        { listen: false },
      ),
    ).rejects.toThrow(/^trusts\[0\]: TGT delegation does not cross a quarantined trust/);
    expect(() =>
      validateTopology({
        realms,
        trusts: [{ trusting: 'CONTOSO.COM', trusted: 'EMEA.CONTOSO.COM', tgtDelegation: 'yes' }],
      }),
    ).toThrow(/trusts\[0\]\.tgtDelegation/);
    const forestTrust = validateTopology({
      realms,
      trusts: [{ trusting: 'CONTOSO.COM', trusted: 'EMEA.CONTOSO.COM', kind: 'forest' }],
    });
    await expect(startTopology(forestTrust, { listen: false })).rejects.toThrow(
      /^trusts\[0\]: CONTOSO\.COM and EMEA\.CONTOSO\.COM are domains of one forest/,
    );
    expect(() => validateTopology({ realms: [{ name: 'A.TEST', forest: 'lower.case' }] })).toThrow(
      /realms\[0\]\.forest: realm names are upper-case/,
    );
  });

  it('names the field of whatever the realms refuse while being built, as validation does', async () => {
    const cases: [object, RegExp][] = [
      [
        {
          realms: [
            {
              name: 'X.TEST',
              users: [
                { name: 'alice', password: 'a' },
                { name: 'alice', password: 'b' },
              ],
            },
          ],
        },
        /^realms\[0\]\.users\[1\]: /,
      ],
      [
        {
          realms: [
            {
              name: 'X.TEST',
              users: [{ name: 'svc', password: 'a', spns: ['HTTP/web.x.test'] }],
              services: [{ spn: 'HTTP/web.x.test' }],
            },
          ],
        },
        /^realms\[0\]\.services\[0\]: /,
      ],
      [
        { realms: [{ name: 'X.TEST', kind: 'active-directory', domainSid: 'S-1-5-21-9999999999-1-1' }] },
        /^realms\[0\]/,
      ],
    ];
    for (const [raw, pattern] of cases) {
      let err: unknown;
      try {
        await startTopology(validateTopology(raw), { listen: false });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(raw)).toBeInstanceOf(TopologyError);
      expect((err as Error).message).toMatch(pattern);
    }
  });

  it('resolves delegation.allowedFrom as allowedToAuthenticate: a name of no account is refused at its field', async () => {
    const file = (allowedFrom: string[]) =>
      validateTopology({
        realms: [
          {
            name: 'X.TEST',
            kind: 'active-directory',
            users: [{ name: 'websvc', password: 'W3b-Passw0rd', spns: ['HTTP/web.x.test'] }],
            computers: [{ name: 'SQL01', spns: ['MSSQLSvc/sql01.x.test:1433'] }],
            services: [{ spn: 'cifs/files.x.test', delegation: { allowedFrom } }],
          },
          { name: 'Y.TEST', kind: 'active-directory', users: [{ name: 'app', password: 'App-Passw0rd' }] },
        ],
        trusts: [{ trusting: 'X.TEST', trusted: 'Y.TEST', kind: 'forest' }],
      });
    // Accounts by name, in any case (AD's), by an SPN they hold, and of a trusted realm.
    const ok = await startTopology(file(['SQL01$', 'WEBSVC', 'MSSQLSvc/sql01.x.test:1433', 'app@Y.TEST']), {
      listen: false,
    });
    await ok.close();
    const refused: [string[], string][] = [
      [
        ['SQL01'],
        'realms[0].services[0].delegation.allowedFrom[0]: no account SQL01 in X.TEST (the computer account is SQL01$)',
      ],
      [['websvc', 'webscv'], 'realms[0].services[0].delegation.allowedFrom[1]: no account webscv in X.TEST'],
      [['app@Z.TEST'], 'realms[0].services[0].delegation.allowedFrom[0]: no realm named Z.TEST in this file'],
      [['nobody@Y.TEST'], 'realms[0].services[0].delegation.allowedFrom[0]: no account nobody in Y.TEST'],
    ];
    for (const [names, message] of refused) {
      const e = await startTopology(file(names), { listen: false }).catch((x: unknown) => x);
      expect(e, names.join()).toBeInstanceOf(TopologyError);
      expect((e as Error).message).toBe(message);
    }
  });

  it("azure-trust's cloud TGT is renewable, as klist shows Azure AD's, and its RENEW is refused", async () => {
    const t = await startTopology(await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')), {
      listen: false,
      seed: 1,
    });
    try {
      const az = 'KERBEROS.MICROSOFTONLINE.COM';
      expect(t.realms.get(az)!.policy).toMatchObject({ renewableTgt: true, renewsTickets: false });
      const client = new KerberosClient({
        realm: az,
        transport: new InProcessTransport().register(az, (req) => t.kdcs.get(az)!.handle(req)),
      });
      const tgt = await client.getInitialCredentials(
        'cloudonly',
        { password: 'Cl0ud-Passw0rd' },
        { renewable: true },
      );
      expect(tgt.flags & TicketFlags.renewable).not.toBe(0);
      const e = await client.renew(tgt).catch((x: unknown) => x);
      expect((e as KerberosError).code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    } finally {
      await t.close();
    }
  });

  it('is reproducible with a seed', async () => {
    const file = await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml'));
    const spn = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
    const keys = async (seed: number) => {
      const t = await startTopology(file, { listen: false, seed });
      const k = t.realms.get('KERBEROS.MICROSOFTONLINE.COM')!.keysFor(spn);
      await t.close();
      return k.map((x) => Buffer.from(x.bytes).toString('hex'));
    };
    expect(await keys(7)).toEqual(await keys(7));
    expect(await keys(7)).not.toEqual(await keys(8));
  });

  it('serves each realm on one port for UDP and TCP; krbsim client gets tickets across the trust', async () => {
    const log: RequestLogEntry[] = [];
    const out = join(dir, 'served');
    const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')), {
      dir: out,
      log: (e) => log.push(e),
    });
    try {
      for (const s of topo.servers.values()) expect(s.udpPort).toBe(s.tcpPort);
      const ports = JSON.parse(await readFile(join(out, 'ports.json'), 'utf8')) as PortsJson;
      const kdcs = Object.fromEntries(
        Object.entries(ports.realms).map(([realm, p]) => [realm, [{ host: p.host, port: p.udp }]]),
      );
      for (const preferTcp of [false, true]) {
        const client = new KerberosClient({
          realm: 'CONTOSO.COM',
          transport: new UdpTcpTransport({ kdcs, preferTcp }),
        });
        await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
        const svc = await client.getServiceTicket('MSSQLSvc/mi1.abc123.database.windows.net:1433');
        expect(svc.server.realm).toBe('KERBEROS.MICROSOFTONLINE.COM');
      }
      expect(new Set(log.map((e) => e.transport))).toEqual(new Set(['udp', 'tcp']));
      expect(log.some((e) => /referral to KERBEROS\.MICROSOFTONLINE\.COM/.test(e.line))).toBe(true);
      // The service keytab holds the SPN, its alias, and every etype.
      const kt = parseKeytab(
        new Uint8Array(
          await readFile(
            ports.keytabs['MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM']!,
          ),
        ),
      );
      expect(new Set(kt.entries.map((e) => e.principal.name.nameString.join('/')))).toEqual(
        new Set([
          'MSSQLSvc/mi1.abc123.database.windows.net:1433',
          'MSSQLSvc/mi1.abc123.database.windows.net',
        ]),
      );
      // An AD realm's keys: aes256 and aes128-cts-hmac-sha1-96 only.
      expect(kt.entries.map((e) => e.key.etype).sort()).toEqual([17, 17, 18, 18]);
    } finally {
      await topo.close();
    }
  });

  it('fails cleanly when a fixed port is taken', async () => {
    const blocker = createSocket('udp4');
    const port = await new Promise<number>((resolve) =>
      blocker.bind(0, '127.0.0.1', () => resolve(blocker.address().port)),
    );
    try {
      const file = await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml'));
      const busy = { ...file, realms: [file.realms[0]!, { ...file.realms[1]!, port }] };
      await expect(startTopology(busy, { listen: true })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('krbsim serve in process', () => {
  it('serves until aborted, then closes its sockets and exits 0 (--kdc-keytab writes kdc.keytab)', async () => {
    const controller = new AbortController();
    let out = '';
    let onOut: () => void = () => {};
    const io = {
      stdout: (t: string) => {
        out += t;
        onOut();
      },
      stderr: (t: string) => {
        out += t;
      },
      signal: controller.signal,
    };
    const ready = new Promise<void>((resolve) => {
      onOut = () => {
        if (out.includes('"event":"ready"')) resolve();
      };
    });
    const target = join(dir, 'inproc');
    const done = runCli(
      ['serve', join(EXAMPLES, 'contoso-fabrikam.yaml'), '--dir', target, '--json-log', '--kdc-keytab'],
      io,
    );
    await ready;
    const ports = JSON.parse(await readFile(join(target, 'ports.json'), 'utf8')) as PortsJson;
    expect(ports.kdcKeytab).toBe(join(target, 'kdc.keytab'));
    expect(out).toContain(`"kdcKeytab":${JSON.stringify(ports.kdcKeytab)}`);
    controller.abort();
    expect(await done).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('{"event":"stopped"}');
    // The port is free again: bind it.
    const port = ports.realms['CONTOSO.COM']!.udp;
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});

describe('replicas: the same topology and seed', () => {
  it('follow the password changes of the process they replicate: at start, and as they come', async () => {
    const file = parseTopology(
      'realms:\n  - name: FEED.TEST\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
    );
    const primary = await startTopology(file, { seed: 'feed', dir: join(dir, 'feed-a') });
    // No polling: the test pulls, so that what each pull applies is known.
    const said: string[] = [];
    const replicas = [
      await startTopology(file, {
        seed: 'feed',
        replicaOf: primary.files!.portsJson,
        replicaPollMs: 0,
        transportLog: (line) => said.push(line),
      }),
    ];
    try {
      const p = primary.servers.get('FEED.TEST')!;
      // The feed is the primary's, 0600 (it holds passwords), named in its ports.json.
      const feed = primary.files!.ports.passwordChanges!;
      expect(feed).toBe(join(dir, 'feed-a', 'password-changes.jsonl'));
      expect((await stat(feed)).mode & 0o777).toBe(0o600);
      const at = (port: number) =>
        new UdpTcpTransport({ kdcs: { 'FEED.TEST': [{ host: '127.0.0.1', port }] } });
      const logsOn = (server: KdcServerInfo, password: string) =>
        new KerberosClient({ realm: 'FEED.TEST', transport: at(server.udpPort) })
          .getInitialCredentials('alice', { password })
          .then(
            () => 'ok',
            (e: Error) => e.message,
          );
      await new KerberosClient({ realm: 'FEED.TEST', transport: at(p.udpPort) }).changePassword(
        'alice',
        'Al1ce-Passw0rd',
        'Sec0nd-Passw0rd',
        { transport: at(p.kpasswdPort!) },
      );
      const [first] = replicas;
      expect(first!.pullPasswordChanges()).toBe(1);
      expect(await logsOn(first!.servers.get('FEED.TEST')!, 'Sec0nd-Passw0rd')).toBe('ok');
      expect(await logsOn(first!.servers.get('FEED.TEST')!, 'Al1ce-Passw0rd')).not.toBe('ok');
      // A replica started after the change holds it before it listens.
      replicas.push(
        await startTopology(file, {
          seed: 'feed',
          dir: join(dir, 'feed-c'),
          replicaOf: primary.files!.portsJson,
        }),
      );
      const late = replicas[1]!;
      expect(late.pullPasswordChanges()).toBe(0);
      expect(await logsOn(late.servers.get('FEED.TEST')!, 'Sec0nd-Passw0rd')).toBe('ok');
      // Its krb5.conf sends password changes to the primary's service, as MIT's replicas' name the primary.
      expect(await readFile(late.files!.krb5conf, 'utf8')).toContain(
        `kpasswd_server = 127.0.0.1:${p.kpasswdPort}`,
      );
      // A replica of that replica follows the primary's feed and names the primary's service, which the
      // middle one's ports.json passes on.
      const middle = late.files!.ports;
      expect(middle.passwordChanges).toBe(feed);
      expect(middle.realms['FEED.TEST']!.kpasswdServer).toBe(`127.0.0.1:${p.kpasswdPort}`);
      expect(primary.files!.ports.realms['FEED.TEST']!.kpasswdServer).toBe(`127.0.0.1:${p.kpasswdPort}`);
      replicas.push(
        await startTopology(file, {
          seed: 'feed',
          dir: join(dir, 'feed-d'),
          replicaOf: late.files!.portsJson,
          replicaPollMs: 0,
        }),
      );
      const third = replicas[2]!;
      expect(await logsOn(third.servers.get('FEED.TEST')!, 'Sec0nd-Passw0rd')).toBe('ok');
      expect(await readFile(third.files!.krb5conf, 'utf8')).toContain(
        `kpasswd_server = 127.0.0.1:${p.kpasswdPort}`,
      );
      // A line still being written waits; a line that is no change is skipped.
      await appendFile(feed, '{"realm":"FEED.TEST","principal":"alice@FEED.TEST",');
      expect(first!.pullPasswordChanges()).toBe(0);
      await appendFile(feed, '"password":"Th1rd-Passw0rd"}\nnot a change\n');
      expect(first!.pullPasswordChanges()).toBe(1);
      expect(said).toContain('password-change feed: 1 line(s) that are no change, skipped');
      expect(await logsOn(first!.servers.get('FEED.TEST')!, 'Th1rd-Passw0rd')).toBe('ok');
      expect(third.pullPasswordChanges()).toBe(1);
      expect(await logsOn(third.servers.get('FEED.TEST')!, 'Th1rd-Passw0rd')).toBe('ok');
      expect(primary.pullPasswordChanges()).toBe(0); // it replicates nothing
    } finally {
      await Promise.all([primary, ...replicas].map((t) => t.close()));
    }
  });

  it('follow them on their own while they serve, and say so in the transport log (never the password)', async () => {
    const file = parseTopology(
      'realms:\n  - name: POLL.TEST\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
    );
    const primary = await startTopology(file, { seed: 'poll', dir: join(dir, 'poll-a') });
    let applied!: (line: string) => void;
    const heard = new Promise<string>((resolve) => {
      applied = resolve;
    });
    const replica = await startTopology(file, {
      seed: 'poll',
      replicaOf: primary.files!.portsJson,
      replicaPollMs: 10,
      transportLog: (line) => {
        if (line.includes('changed at the primary')) applied(line);
      },
    });
    try {
      const p = primary.servers.get('POLL.TEST')!;
      const at = (port: number) =>
        new UdpTcpTransport({ kdcs: { 'POLL.TEST': [{ host: '127.0.0.1', port }] } });
      await new KerberosClient({ realm: 'POLL.TEST', transport: at(p.udpPort) }).changePassword(
        'alice',
        'Al1ce-Passw0rd',
        'P0lled-Passw0rd',
        { transport: at(p.kpasswdPort!) },
      );
      const line = await heard;
      expect(line).toBe('POLL.TEST password of alice@POLL.TEST changed at the primary: applied');
      expect(line).not.toContain('P0lled-Passw0rd');
      await new KerberosClient({
        realm: 'POLL.TEST',
        transport: at(replica.servers.get('POLL.TEST')!.udpPort),
      }).getInitialCredentials('alice', { password: 'P0lled-Passw0rd' });
    } finally {
      await Promise.all([primary.close(), replica.close()]);
    }
  });

  it('apply the password changes made since, in order, as the realm that made them holds them', async () => {
    const file = await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml'));
    const changed = await startTopology(file, { listen: false, seed: 'c1' });
    const contoso = changed.realms.get('CONTOSO.COM')!;
    contoso.setPassword('alice', 'Sec0nd-Passw0rd');
    contoso.setPassword('alice', 'Th1rd-Passw0rd');
    const replayed = await startTopology(file, {
      listen: false,
      seed: 'c1',
      passwordChanges: [
        { realm: 'CONTOSO.COM', principal: 'alice@CONTOSO.COM', password: 'Sec0nd-Passw0rd' },
        { realm: 'CONTOSO.COM', principal: 'alice@CONTOSO.COM', password: 'Th1rd-Passw0rd' },
      ],
    });
    const held = (t: typeof changed) =>
      t.realms
        .get('CONTOSO.COM')!
        .lookup('alice')!
        .keys.map((k) => `${k.kvno}:${hex(k.key.bytes)}`);
    expect(held(replayed)).toEqual(held(changed));
    expect(held(replayed)[0]).toMatch(/^3:/);
    await Promise.all([changed.close(), replayed.close()]);
  });

  it('build their realms again when the feed begins anew (its process restarted), then hold exactly its passwords', async () => {
    const file = parseTopology(
      [
        'realms:',
        '  - name: RESTART.TEST',
        '    users:',
        '      - { name: alice, password: Al1ce-Passw0rd }',
        '      - { name: bob, password: B0b-Passw0rd }',
        '',
      ].join('\n'),
    );
    const primaryDir = join(dir, 'restart-a');
    let primary = await startTopology(file, { seed: 'restart', dir: primaryDir });
    const said: string[] = [];
    const replica = await startTopology(file, {
      seed: 'restart',
      replicaOf: primary.files!.portsJson,
      replicaPollMs: 0,
      transportLog: (line) => said.push(line),
    });
    try {
      const at = (port: number) =>
        new UdpTcpTransport({ kdcs: { 'RESTART.TEST': [{ host: '127.0.0.1', port }] } });
      const change = (user: string, from: string, to: string) => {
        const p = primary.servers.get('RESTART.TEST')!;
        return new KerberosClient({ realm: 'RESTART.TEST', transport: at(p.udpPort) }).changePassword(
          user,
          from,
          to,
          { transport: at(p.kpasswdPort!) },
        );
      };
      /** Which of the passwords alice and bob ever had log them on at `server`. */
      const passwords = (server: KdcServerInfo) =>
        Promise.all(
          [
            ['alice', 'Al1ce-Passw0rd'],
            ['alice', 'Sec0nd-Passw0rd'],
            ['bob', 'B0b-Passw0rd'],
            ['bob', 'B0b-N3w-Passw0rd'],
          ].map(([user, password]) =>
            new KerberosClient({ realm: 'RESTART.TEST', transport: at(server.udpPort) })
              .getInitialCredentials(user!, { password: password! })
              .then(
                () => `${user} ${password}`,
                () => '-',
              ),
          ),
        );
      await change('alice', 'Al1ce-Passw0rd', 'Sec0nd-Passw0rd');
      expect(replica.pullPasswordChanges()).toBe(1);
      // The primary starts again in its directory, from the topology: a new feed, alice's first
      // password again; there bob changes his.
      await primary.close();
      primary = await startTopology(file, { seed: 'restart', dir: primaryDir });
      await change('bob', 'B0b-Passw0rd', 'B0b-N3w-Passw0rd');
      expect(replica.pullPasswordChanges()).toBe(1);
      expect(said).toContain(
        'password-change feed begun again (its process restarted): realms rebuilt from the topology and seed',
      );
      const now = ['alice Al1ce-Passw0rd', '-', '-', 'bob B0b-N3w-Passw0rd'];
      expect(await passwords(primary.servers.get('RESTART.TEST')!)).toEqual(now);
      expect(await passwords(replica.servers.get('RESTART.TEST')!)).toEqual(now);
    } finally {
      await Promise.all([primary.close(), replica.close()]);
    }
  });

  it('remove the feed a former primary left in their directory (its passwords, in plain text)', async () => {
    const file = parseTopology('realms:\n  - name: FORMER.TEST\n');
    const former = await startTopology(file, { seed: 'former', dir: join(dir, 'former-a') });
    const stale = former.files!.ports.passwordChanges!;
    await former.close();
    const primary = await startTopology(file, { seed: 'former', dir: join(dir, 'former-b') });
    const replica = await startTopology(file, {
      seed: 'former',
      dir: join(dir, 'former-a'),
      replicaOf: primary.files!.portsJson,
      replicaPollMs: 0,
    });
    try {
      expect(stale).toBe(join(dir, 'former-a', 'password-changes.jsonl'));
      expect(await stat(stale).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
      expect(replica.files!.ports.passwordChanges).toBe(join(dir, 'former-b', 'password-changes.jsonl'));
    } finally {
      await Promise.all([primary.close(), replica.close()]);
    }
  });

  it("a primary's kpasswd log says a change it could not write to the feed: the change stands", async () => {
    const file = parseTopology(
      'realms:\n  - name: LOGGED.TEST\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
    );
    const lines: string[] = [];
    const primary = await startTopology(file, {
      seed: 'logged',
      dir: join(dir, 'logged-a'),
      kpasswdLog: (realm, line) => lines.push(`${realm}: ${line}`),
    });
    try {
      const feed = primary.files!.ports.passwordChanges!;
      // The feed cannot be written any more (a full disk, a removed directory): here a directory.
      await rm(feed);
      await mkdir(feed);
      const p = primary.servers.get('LOGGED.TEST')!;
      const at = (port: number) =>
        new UdpTcpTransport({ kdcs: { 'LOGGED.TEST': [{ host: '127.0.0.1', port }] } });
      const client = new KerberosClient({ realm: 'LOGGED.TEST', transport: at(p.udpPort) });
      await client.changePassword('alice', 'Al1ce-Passw0rd', 'Sec0nd-Passw0rd', {
        transport: at(p.kpasswdPort!),
      });
      expect(lines).toEqual([
        `LOGGED.TEST: kpasswd alice@LOGGED.TEST -> SUCCESS: onChange failed: not written to ${feed}, so no replica gets it: EISDIR: illegal operation on a directory, open '${feed}'`,
      ]);
      await client.getInitialCredentials('alice', { password: 'Sec0nd-Passw0rd' });
    } finally {
      await primary.close();
    }
  });

  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

  it('hold the same long-term keys and check values, but draw session keys at random', async () => {
    const file = await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml'));
    const [a, b, other] = await Promise.all(
      ['r1', 'r1', 'r2'].map((seed) => startTopology(file, { listen: false, seed })),
    );
    const keys = (t: typeof a, realm: string, name: string) =>
      t!.realms
        .get(realm)!
        .keysFor(name)
        .map((k) => hex(k.bytes));
    for (const [realm, name, fromSeed] of [
      ['CONTOSO.COM', 'krbtgt/CONTOSO.COM', true],
      ['CONTOSO.COM', 'HTTP/web.contoso.com', true], // no password: a random key
      ['CONTOSO.COM', 'host/server.contoso.com', false], // from its password
      ['CONTOSO.COM', 'krbtgt/FABRIKAM.COM', false], // the trust key, from the trust's password
      ['FABRIKAM.COM', 'krbtgt/FABRIKAM.COM', true],
      ['CONTOSO.COM', 'kadmin/changepw', true], // the password-change service's: any replica opens its tickets
    ] as const) {
      expect(keys(a, realm, name)).toEqual(keys(b, realm, name));
      if (fromSeed) expect(keys(a, realm, name)).not.toEqual(keys(other, realm, name));
      else expect(keys(a, realm, name)).toEqual(keys(other, realm, name));
    }
    expect(a!.checks).toEqual(b!.checks);
    expect(a!.checks.get('CONTOSO.COM')).toMatch(/^[0-9a-f]{16}$/);
    expect(a!.checks.get('CONTOSO.COM')).not.toBe(other!.checks.get('CONTOSO.COM'));

    // A TGT from replica a buys a service ticket at replica b: the krbtgt keys are one.
    const transport = (t: typeof a) =>
      new InProcessTransport().register('CONTOSO.COM', (req) => t!.kdcs.get('CONTOSO.COM')!.handle(req));
    const atA = new KerberosClient({ realm: 'CONTOSO.COM', transport: transport(a) });
    const tgtA = await atA.getInitialCredentials('alice', { password: 'correct horse battery staple' });
    const atB = new KerberosClient({ realm: 'CONTOSO.COM', transport: transport(b), cache: atA.cache });
    const svc = await atB.getServiceTicket('host/server.contoso.com');
    expect(svc.server.realm).toBe('CONTOSO.COM');
    // Session keys never come from the seed: a fresh replica answering the same requests
    // (alice's AS exchange, as a first request) issues another session key.
    const fresh = await startTopology(file, { listen: false, seed: 'r1' });
    const tgtFresh = await new KerberosClient({
      realm: 'CONTOSO.COM',
      transport: transport(fresh),
    }).getInitialCredentials('alice', { password: 'correct horse battery staple' });
    expect(hex(tgtA.sessionKey.bytes)).not.toBe(hex(tgtFresh.sessionKey.bytes));
    await fresh.close();
    await Promise.all([a, b, other].map((t) => t!.close()));
  });

  it('--replica-of: krb5.conf lists the other replica first, ports.json every KDC of the realm', async () => {
    const file = await replicableAzureTrust();
    const first = await startTopology(file, { seed: 'lab', dir: join(dir, 'replica-a') });
    const second = await startTopology(file, {
      seed: 'lab',
      dir: join(dir, 'replica-b'),
      replicaOf: first.files!.portsJson,
    });
    try {
      const a = first.servers.get('CONTOSO.COM')!;
      const b = second.servers.get('CONTOSO.COM')!;
      const conf = await readFile(second.files!.krb5conf, 'utf8');
      expect(conf).toContain(`        kdc = 127.0.0.1:${a.udpPort}\n        kdc = 127.0.0.1:${b.udpPort}\n`);
      const ports = JSON.parse(await readFile(second.files!.portsJson, 'utf8')) as PortsJson;
      expect(ports.realms['CONTOSO.COM']).toEqual({
        host: '127.0.0.1',
        udp: b.udpPort,
        tcp: b.tcpPort,
        kdcs: [`127.0.0.1:${a.udpPort}`, `127.0.0.1:${b.udpPort}`],
        check: first.checks.get('CONTOSO.COM'),
        // The second serves no kpasswd: password changes go to the first's service.
        kpasswdServer: `127.0.0.1:${a.kpasswdPort}`,
      });
      // A third replica of the second one lists all three.
      const third = await startTopology(file, {
        seed: 'lab',
        listen: false,
        replicaOf: second.files!.portsJson,
      });
      await third.close();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('--replica-of refuses a realm built from another seed or topology, before listening', async () => {
    const file = await replicableAzureTrust();
    const first = await startTopology(file, { seed: 'one', dir: join(dir, 'replica-c') });
    try {
      const e = await startTopology(file, { seed: 'two', replicaOf: first.files!.portsJson }).catch((x) => x);
      expect(e).toBeInstanceOf(TopologyError);
      expect(e.message).toMatch(/^--replica-of: CONTOSO\.COM in .* has other keys .*same --seed$/);
      const missing = await startTopology(file, { seed: 'one', replicaOf: join(dir, 'nowhere.json') }).catch(
        (x) => x,
      );
      expect(missing.message).toMatch(/^--replica-of: cannot read/);
    } finally {
      await first.close();
    }
  });
});

describe("a topology's passwords print as <redacted>", () => {
  const secrets = ['Us3r-S3cret', 'C0mputer-S3cret', 'S3rvice-S3cret', 'Tru5t-S3cret'];
  const yaml = `
realms:
  - name: A.TEST
    kind: active-directory
    users: [{ name: alice, password: ${secrets[0]} }]
    computers: [{ name: PC1, password: ${secrets[1]} }]
    services: [{ spn: HTTP/web.a.test, password: ${secrets[2]} }, { spn: HTTP/random.a.test }]
  - name: B.TEST
trusts:
  - { trusting: B.TEST, trusted: A.TEST, password: ${secrets[3]} }
`;

  it('parseTopology and startTopology: util.inspect and JSON.stringify show no password, code still reads them', async () => {
    const parsed = parseTopology(yaml);
    const running = await startTopology(parsed, { listen: false, seed: 1 });
    try {
      // A plain topology (passwords enumerable, as a worker receives it) is kept redacted too.
      const plain = withPlainPasswords(parsed);
      expect(JSON.stringify(plain)).toContain(secrets[0]);
      const fromPlain = await startTopology(plain, { listen: false });
      await fromPlain.close();
      for (const t of [parsed, running.topology, fromPlain.topology]) {
        const printed = [
          inspect(t, { depth: Number.POSITIVE_INFINITY }),
          JSON.stringify(t),
          JSON.stringify({ ...t.realms[0]!.users[0]! }),
          String(Object.keys(t.trusts[0]!)),
        ].join('\n');
        for (const s of secrets) expect(printed).not.toContain(s);
        expect(inspect(t.realms[0]!.users[0])).toContain("password: '<redacted>'");
        expect(JSON.parse(JSON.stringify(t.trusts[0]))).toMatchObject({
          trusting: 'B.TEST',
          password: '<redacted>',
        });
        // A service without a password shows none.
        expect(JSON.parse(JSON.stringify(t.realms[0]!.services[1]))).not.toHaveProperty('password');
        expect(t.realms[0]!.users[0]!.password).toBe(secrets[0]);
        expect(t.realms[0]!.computers[0]!.password).toBe(secrets[1]);
        expect(t.realms[0]!.services[0]!.password).toBe(secrets[2]);
        expect(t.trusts[0]!.password).toBe(secrets[3]);
      }
      // The passwords made the keys: alice logs on with hers.
      const transport = new InProcessTransport().register('A.TEST', (req) =>
        running.kdcs.get('A.TEST')!.handle(req),
      );
      const client = new KerberosClient({ realm: 'A.TEST', transport });
      await client.getInitialCredentials('alice', { password: secrets[0]! });
      // What a --workers primary sends its workers (JSON over IPC) carries them, and builds the same keys.
      const sent = JSON.parse(JSON.stringify(plain)) as TopologyFile;
      expect(sent.realms[0]!.users[0]!.password).toBe(secrets[0]);
      expect(sent.trusts[0]!.password).toBe(secrets[3]);
      const worker = await startTopology(sent, { listen: false, seed: 1 });
      expect(worker.checks).toEqual(running.checks);
      await worker.close();
    } finally {
      await running.close();
    }
  });
});
