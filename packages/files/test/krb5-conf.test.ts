import { ErrorCode, isKerberosError } from '@krbsim/core';
import { writeKrb5Conf } from '@krbsim/files';
import { describe, expect, it } from 'vitest';

describe('writeKrb5Conf', () => {
  it('writes the sections in MIT profile syntax', () => {
    const text = writeKrb5Conf({
      defaultRealm: 'CONTOSO.COM',
      realms: [
        {
          name: 'CONTOSO.COM',
          kdcs: ['127.0.0.1:50088', '127.0.0.2:50088'],
          adminServer: '127.0.0.1:749',
          kpasswd: '127.0.0.1:464',
        },
        {
          name: 'FABRIKAM.COM',
          kdcs: ['https://127.0.0.1:8443/KdcProxy'],
          httpAnchors: ['FILE:/tmp/ca.pem'],
          extra: { default_domain: 'fabrikam.com' },
        },
      ],
      domainRealm: { '.contoso.com': 'CONTOSO.COM', 'contoso.com': 'CONTOSO.COM' },
      capaths: { 'CONTOSO.COM': { 'FABRIKAM.COM': '.', 'TAILSPIN.COM': ['FABRIKAM.COM', 'WINGTIP.COM'] } },
      libdefaults: {
        udp_preference_limit: 1,
        permitted_enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'],
        allow_weak_crypto: true,
        rdns: null,
      },
    });
    expect(text).toBe(
      [
        '[libdefaults]',
        '    default_realm = CONTOSO.COM',
        '    dns_lookup_kdc = false',
        '    dns_lookup_realm = false',
        '    dns_canonicalize_hostname = false',
        '    udp_preference_limit = 1',
        '    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96',
        '    allow_weak_crypto = true',
        '',
        '[realms]',
        '    CONTOSO.COM = {',
        '        kdc = 127.0.0.1:50088',
        '        kdc = 127.0.0.2:50088',
        '        admin_server = 127.0.0.1:749',
        '        kpasswd_server = 127.0.0.1:464',
        '    }',
        '    FABRIKAM.COM = {',
        '        kdc = https://127.0.0.1:8443/KdcProxy',
        '        http_anchors = FILE:/tmp/ca.pem',
        '        default_domain = fabrikam.com',
        '    }',
        '',
        '[domain_realm]',
        '    .contoso.com = CONTOSO.COM',
        '    contoso.com = CONTOSO.COM',
        '',
        '[capaths]',
        '    CONTOSO.COM = {',
        '        FABRIKAM.COM = .',
        '        TAILSPIN.COM = FABRIKAM.COM',
        '        TAILSPIN.COM = WINGTIP.COM',
        '    }',
        '',
      ].join('\n'),
    );
  });

  it('keeps the defaults when nothing is overridden and omits empty sections', () => {
    const text = writeKrb5Conf({ defaultRealm: 'R', realms: [{ name: 'R', kdcs: ['127.0.0.1:88'] }] });
    expect(text).toContain('    rdns = false\n');
    expect(text).not.toContain('[domain_realm]');
    expect(text).not.toContain('[capaths]');
  });

  it('refuses names and values the syntax cannot carry', () => {
    const bad: Parameters<typeof writeKrb5Conf>[0][] = [
      { defaultRealm: 'R\nX', realms: [] },
      { defaultRealm: 'R', realms: [{ name: 'A B', kdcs: [] }] },
      { defaultRealm: 'R', realms: [{ name: 'R', kdcs: ['h:1 }'] }] },
      { defaultRealm: 'R', realms: [], libdefaults: { 'a=b': 1 } },
      { defaultRealm: 'R', realms: [], libdefaults: { x: '' } },
      { defaultRealm: 'R', realms: [], libdefaults: { x: ' padded' } },
      { defaultRealm: 'R', realms: [], libdefaults: { x: '"quoted"' } },
      { defaultRealm: 'R', realms: [], libdefaults: { x: Number.POSITIVE_INFINITY } },
      { defaultRealm: 'R', realms: [], domainRealm: { '': 'R' } },
      { defaultRealm: 'R', realms: [], capaths: { 'A[': { B: '.' } } },
      // MIT cuts a tag at '*' (and marks the relation final): the tag would read back changed.
      { defaultRealm: 'R', realms: [], domainRealm: { '*.fabrikam.com': 'FABRIKAM.COM' } },
      { defaultRealm: 'R', realms: [], libdefaults: { 'auth_to_local_names*x': 'y' } },
      { defaultRealm: 'R', realms: [], libdefaults: { x: 'a\0b' } },
      // MIT's profile reads integers; 1e21 would be written 1e+21, 300.5 is no duration.
      { defaultRealm: 'R', realms: [], libdefaults: { clockskew: 300.5 } },
      { defaultRealm: 'R', realms: [], libdefaults: { ticket_lifetime: 1e21 } },
    ];
    for (const options of bad) {
      let err: unknown;
      try {
        writeKrb5Conf(options);
      } catch (e) {
        err = e;
      }
      expect(isKerberosError(err, ErrorCode.KRB_ERR_GENERIC), JSON.stringify(options)).toBe(true);
      expect((err as Error).message).toMatch(/^krb5\.conf: /);
    }
  });

  it('writes [domain_realm] keys in lower case, as MIT looks host names up', () => {
    const conf = writeKrb5Conf({
      defaultRealm: 'CONTOSO.COM',
      realms: [],
      domainRealm: { '.CONTOSO.COM': 'CONTOSO.COM', 'Web.Fabrikam.com': 'FABRIKAM.COM' },
    });
    expect(conf).toContain('\n    .contoso.com = CONTOSO.COM\n');
    expect(conf).toContain('\n    web.fabrikam.com = FABRIKAM.COM\n');
  });
});
