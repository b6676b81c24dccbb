import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPrincipal } from '@krbsim/asn1';
import { readKeytabFile } from '@krbsim/files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRealms } from '../src/start-topology';
import { parseTopology } from '../src/topology';
import { capathsFor, spnFileName, topologyKrb5Conf, writeTopologyFiles } from '../src/topology-files';

const trust = (trusting: string, trusted: string, extra: object = {}) => ({
  trusting,
  trusted,
  direction: 'one-way' as const,
  kind: 'forest' as const,
  topLevelNames: [],
  ...extra,
});

describe('capathsFor', () => {
  it('gives direct trusts a "." path, users of trusted reaching trusting', () => {
    expect(capathsFor(['A', 'B'], [trust('B', 'A')])).toEqual({ A: { B: '.' } });
    expect(capathsFor(['A', 'B'], [trust('B', 'A', { direction: 'two-way' })])).toEqual({
      A: { B: '.' },
      B: { A: '.' },
    });
  });

  it('lists intermediates of transitive paths, and stops at external trusts', () => {
    // A users -> B -> C (forest, forest); C -> D is external: not transitive.
    const t = [trust('B', 'A'), trust('C', 'B'), trust('D', 'C', { kind: 'external' })];
    expect(capathsFor(['A', 'B', 'C', 'D'], t)).toEqual({
      A: { B: '.', C: ['B'] },
      B: { C: '.' },
      C: { D: '.' },
    });
  });
});

describe('topologyKrb5Conf', () => {
  const topology = parseTopology(`
realms:
  - { name: CONTOSO.COM, domains: [contoso.com] }
  - { name: FABRIKAM.COM, domains: [fabrikam.com], policy: { allowWeakCrypto: true } }
trusts:
  - { trusting: FABRIKAM.COM, trusted: CONTOSO.COM, kind: forest }
`);
  const servers = new Map([
    ['CONTOSO.COM', { host: '127.0.0.1', udpPort: 40001, tcpPort: 40001 }],
    ['FABRIKAM.COM', { host: '127.0.0.1', udpPort: 40002, tcpPort: 40002 }],
  ]);

  it('names the first realm default, each KDC by host:port, the domains and the trust path', () => {
    const conf = topologyKrb5Conf({ topology, realms: new Map(), servers });
    expect(conf).toBe(
      [
        '[libdefaults]',
        '    default_realm = CONTOSO.COM',
        '    dns_lookup_kdc = false',
        '    dns_lookup_realm = false',
        '    rdns = false',
        '    dns_canonicalize_hostname = false',
        '    allow_weak_crypto = true',
        '',
        '[realms]',
        '    CONTOSO.COM = {',
        '        kdc = 127.0.0.1:40001',
        '    }',
        '    FABRIKAM.COM = {',
        '        kdc = 127.0.0.1:40002',
        '    }',
        '',
        '[domain_realm]',
        '    .contoso.com = CONTOSO.COM',
        '    contoso.com = CONTOSO.COM',
        '    .fabrikam.com = FABRIKAM.COM',
        '    fabrikam.com = FABRIKAM.COM',
        '',
        '[capaths]',
        '    CONTOSO.COM = {',
        '        FABRIKAM.COM = .',
        '    }',
        '',
      ].join('\n'),
    );
  });

  it('lists a KDC bound to a wildcard address by a loopback address a client can connect to', () => {
    const wild = new Map([
      ['CONTOSO.COM', { host: '0.0.0.0', udpPort: 40001, tcpPort: 40001 }],
      ['FABRIKAM.COM', { host: '::', udpPort: 40002, tcpPort: 40002 }],
    ]);
    const conf = topologyKrb5Conf({ topology, realms: new Map(), servers: wild });
    expect(conf).toContain('        kdc = 127.0.0.1:40001\n');
    expect(conf).toContain('        kdc = [::1]:40002\n');
    expect(conf).not.toContain('0.0.0.0');
    const v6 = new Map([['CONTOSO.COM', { host: 'fe80::1', udpPort: 88, tcpPort: 88 }]]);
    expect(topologyKrb5Conf({ topology, realms: new Map(), servers: v6 })).toContain('kdc = [fe80::1]:88\n');
  });

  it('takes extra libdefaults', () => {
    const conf = topologyKrb5Conf({
      topology,
      realms: new Map(),
      servers,
      libdefaults: { udp_preference_limit: 1 },
    });
    expect(conf).toContain('    udp_preference_limit = 1\n');
  });
});

it('spnFileName replaces / and :', () => {
  expect(spnFileName('MSSQLSvc/mi1.abc123.database.windows.net:1433')).toBe(
    'MSSQLSvc_mi1.abc123.database.windows.net_1433',
  );
});

describe('writeTopologyFiles: file modes', () => {
  const topology = parseTopology(`
realms:
  - name: CONTOSO.COM
    users: [{ name: alice, password: a }]
    services: [{ spn: host/server.contoso.com }]
`);
  const servers = new Map([['CONTOSO.COM', { host: '127.0.0.1', udpPort: 40001, tcpPort: 40001 }]]);
  const mode = async (path: string) => (await stat(path)).mode & 0o777;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'krbsim-modes-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes keytabs 0600 into a directory it creates 0700, as MIT ktadd does', async () => {
    const dir = join(root, 'new', 'lab');
    const w = await writeTopologyFiles(dir, {
      topology,
      realms: buildRealms(topology, { seed: 1 }),
      servers,
    });
    expect(await mode(dir)).toBe(0o700);
    expect(Object.keys(w.keytabs)).toHaveLength(2);
    for (const keytab of Object.values(w.keytabs)) expect(await mode(keytab)).toBe(0o600);
    // krb5.conf holds no secret: readable by others, as /etc/krb5.conf is.
    expect(await mode(w.krb5conf)).toBe(0o644 & ~process.umask());
    // ports.json's check values hash the krbtgt keys a seed derives: they would confirm a guessed seed.
    expect(await mode(w.portsJson)).toBe(0o600);
  });

  it('rewrites an existing world-readable keytab 0600, and leaves a directory it did not create alone', async () => {
    const dir = join(root, 'existing');
    await mkdir(dir);
    await chmod(dir, 0o755);
    const stale = join(dir, 'CONTOSO.COM.keytab');
    await writeFile(stale, 'old', { mode: 0o644 });
    await chmod(stale, 0o644);
    const ports = join(dir, 'ports.json');
    await writeFile(ports, '{}', { mode: 0o644 });
    await chmod(ports, 0o644);
    await writeTopologyFiles(dir, { topology, realms: buildRealms(topology, { seed: 1 }), servers });
    expect(await mode(stale)).toBe(0o600);
    // So is a ports.json an earlier run left readable by others (an existing directory is not 0700).
    expect(await mode(ports)).toBe(0o600);
    expect(JSON.parse(await readFile(ports, 'utf8')).realms['CONTOSO.COM'].udp).toBe(40001);
    expect(await mode(dir)).toBe(0o755);
  });
});

describe('writeTopologyFiles: the KDC keytab (--kdc-keytab)', () => {
  const topology = parseTopology(`
realms:
  - { name: CONTOSO.COM, kind: active-directory, users: [{ name: alice, password: a }] }
  - { name: FABRIKAM.COM, services: [{ spn: host/server.fabrikam.com }] }
trusts:
  - { trusting: FABRIKAM.COM, trusted: CONTOSO.COM, kind: forest, direction: two-way }
`);
  const servers = new Map([
    ['CONTOSO.COM', { host: '127.0.0.1', udpPort: 40001, tcpPort: 40001 }],
    ['FABRIKAM.COM', { host: '127.0.0.1', udpPort: 40002, tcpPort: 40002 }],
  ]);
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'krbsim-kdc-keytab-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is written only when asked for, 0600, with every krbtgt and inter-realm key once', async () => {
    const realms = buildRealms(topology, { seed: 1 });
    const without = await writeTopologyFiles(join(root, 'a'), { topology, realms, servers });
    expect(without.kdcKeytab).toBeUndefined();
    expect(without.ports.kdcKeytab).toBeUndefined();

    const w = await writeTopologyFiles(join(root, 'b'), { topology, realms, servers, kdcKeytab: true });
    expect(w.kdcKeytab).toBe(join(root, 'b', 'kdc.keytab'));
    expect(w.ports.kdcKeytab).toBe(w.kdcKeytab);
    expect((await stat(w.kdcKeytab!)).mode & 0o777).toBe(0o600);
    const keytab = await readKeytabFile(w.kdcKeytab!);
    const names = [
      ...new Set(keytab.entries.map((e) => formatPrincipal(e.principal.name, e.principal.realm))),
    ];
    expect(names.sort()).toEqual([
      'krbtgt/CONTOSO.COM@CONTOSO.COM',
      'krbtgt/CONTOSO.COM@FABRIKAM.COM',
      'krbtgt/FABRIKAM.COM@CONTOSO.COM',
      'krbtgt/FABRIKAM.COM@FABRIKAM.COM',
    ]);
    // The realm's own key, as the KDC holds it; every key once although both sides hold the trust's.
    const contoso = realms.get('CONTOSO.COM')!.krbtgt.keys;
    for (const k of contoso) {
      const e = keytab.entries.find(
        (x) =>
          formatPrincipal(x.principal.name, x.principal.realm) === 'krbtgt/CONTOSO.COM@CONTOSO.COM' &&
          x.key.etype === k.key.etype,
      )!;
      expect(e.kvno).toBe(k.kvno);
      expect(Buffer.from(e.key.bytes).equals(Buffer.from(k.key.bytes))).toBe(true);
    }
    const ids = keytab.entries.map(
      (e) => `${formatPrincipal(e.principal.name, e.principal.realm)}:${e.kvno}:${e.key.etype}`,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is removed from a reused directory when not asked for: an earlier run may have left live keys', async () => {
    const realms = buildRealms(topology, { seed: 1 });
    const reused = join(root, 'reused');
    const first = await writeTopologyFiles(reused, { topology, realms, servers, kdcKeytab: true });
    expect(existsSync(first.kdcKeytab!)).toBe(true);
    const again = await writeTopologyFiles(reused, { topology, realms, servers });
    expect(again.kdcKeytab).toBeUndefined();
    expect(existsSync(join(reused, 'kdc.keytab'))).toBe(false);
    expect(existsSync(join(reused, 'CONTOSO.COM.keytab'))).toBe(true);
  });
});
