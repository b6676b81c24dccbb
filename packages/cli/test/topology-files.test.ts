import { describe, expect, it } from 'vitest';
import { parseTopology } from '../src/topology';
import { capathsFor, spnFileName, topologyKrb5Conf } from '../src/topology-files';

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
