import { NameType } from '@krbsim/asn1';
import { ErrorCode, isKerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { stringToKey } from '@krbsim/crypto';
import {
  composeKvno,
  createTrust,
  DomainRealmMap,
  entryKvno,
  formatPrincipal,
  isDnsSuffix,
  parsePrincipal,
  Realm,
  realmOfHost,
  resolvePolicy,
  serviceHostOf,
  splitKvno,
} from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { pn, T0 } from './helpers';

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return isKerberosError(e) ? e.code : -1;
  }
  return undefined;
}

const mk = (name: string, policy = {}) =>
  new Realm({ name, clock: new ManualClock(T0), random: new SeededRandom(name), policy });

describe('policy', () => {
  it('has the documented defaults', () => {
    const p = resolvePolicy();
    expect(p.maxTicketLifeMs).toBe(10 * 3600_000);
    expect(p.maxRenewLifeMs).toBe(7 * 86_400_000);
    expect(p.clockSkewMs).toBe(300_000);
    expect(p.permittedEncTypes).toEqual([20, 19, 18, 17]);
    expect(p.allowWeakCrypto).toBe(false);
    expect(p.renewableTgt).toBe(true);
    expect(p.requirePreauthByDefault).toBe(true);
    expect(p.caseInsensitiveNames).toBe(false);
    expect(p.referralsRequireCanonicalize).toBe(false);
  });

  it('refuses rc4 unless weak crypto is allowed, and adds it last when it is', () => {
    expect(codeOf(() => resolvePolicy({ permittedEncTypes: [18, 23] }))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(resolvePolicy({ allowWeakCrypto: true }).permittedEncTypes).toEqual([20, 19, 18, 17, 23]);
    expect(codeOf(() => resolvePolicy({ permittedEncTypes: [] }))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(codeOf(() => resolvePolicy({ permittedEncTypes: [99] }))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(() => resolvePolicy({ permittedEncTypes: [99] })).toThrow(
      /etype 99 is not one krbsim supports \(it supports 20, 19, 18, 17, 23\)/,
    );
    expect(codeOf(() => resolvePolicy({ ticketEncType: 23 }))).toBe(ErrorCode.KRB_ERR_GENERIC);
  });
});

describe('policy validation', () => {
  it('refuses lifetimes, key history and FAST settings that make no sense, naming the field', () => {
    const refused = (p: Parameters<typeof resolvePolicy>[0]): string => {
      try {
        resolvePolicy(p);
      } catch (e) {
        expect(isKerberosError(e, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected the policy to be refused');
    };
    expect(refused({ maxTicketLifeMs: 0 })).toContain('maxTicketLifeMs must be positive');
    expect(refused({ clockSkewMs: Number.NaN })).toContain('clockSkewMs must be positive');
    expect(refused({ serviceTicketLifeMs: -1 })).toContain('serviceTicketLifeMs must be positive');
    expect(refused({ krbtgtKeyHistory: 0 })).toContain('krbtgtKeyHistory must be an integer >= 1');
    expect(refused({ krbtgtKeyHistory: 1.5 })).toContain('krbtgtKeyHistory must be an integer >= 1');
    expect(refused({ fast: 'always' as never })).toContain(
      "fast must be 'none', 'supported' or 'required', not 'always'",
    );
  });
});

describe('principal names', () => {
  it('parses and formats MIT-style names', () => {
    const q = parsePrincipal('MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM');
    expect(q.realm).toBe('KERBEROS.MICROSOFTONLINE.COM');
    expect(q.name).toEqual({
      nameType: NameType.NT_SRV_INST,
      nameString: ['MSSQLSvc', 'mi1.abc123.database.windows.net:1433'],
    });
    expect(parsePrincipal('alice', 'CONTOSO.COM').name.nameType).toBe(NameType.NT_PRINCIPAL);
    const esc = parsePrincipal('a\\/b\\@c@R');
    expect(esc.name.nameString).toEqual(['a/b@c']);
    expect(formatPrincipal(esc.name, esc.realm)).toBe('a\\/b\\@c@R');
    expect(codeOf(() => parsePrincipal('alice'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(codeOf(() => parsePrincipal('a//b@R'))).toBe(ErrorCode.KRB_ERR_GENERIC);
  });

  it('extracts the host of host-based names without the port', () => {
    expect(serviceHostOf(pn('MSSQLSvc/mi1.abc123.database.windows.net:1433'))).toBe(
      'mi1.abc123.database.windows.net',
    );
    expect(serviceHostOf(pn('host/Server.Contoso.COM.', NameType.NT_SRV_HST))).toBe('server.contoso.com');
    expect(serviceHostOf(pn('host/server'))).toBeUndefined(); // not a FQDN
    expect(serviceHostOf(pn('alice/admin', NameType.NT_PRINCIPAL))).toBeUndefined();
    expect(serviceHostOf(pn('krbtgt/EXAMPLE.COM'))).toBeUndefined();
  });
});

describe('principal database', () => {
  it('derives user keys from password and the default salt, for every permitted etype', () => {
    const r = mk('CONTOSO.COM');
    const alice = r.addUser('alice', { password: 'pw' });
    expect(alice.keys.map((k) => k.key.etype)).toEqual([20, 19, 18, 17]);
    expect(alice.keys.every((k) => k.salt === 'CONTOSO.COMalice' && k.kvno === 1)).toBe(true);
    expect(r.keysFor('alice').find((k) => k.etype === 18)!.bytes).toEqual(
      stringToKey(18, 'pw', 'CONTOSO.COMalice').bytes,
    );
    expect(alice.requiresPreauth).toBe(true);
  });

  it("setPassword gives a principal without keys keys of the realm's permitted etypes, as MIT's cpw its supported_enctypes", () => {
    const r = mk('CONTOSO.COM');
    const p = r.addUser('p', { keys: [] });
    expect(p.keys).toEqual([]);
    expect(r.setPassword('p', 'Secret-123')).toBe(1);
    expect(p.keys.map((k) => [k.key.etype, k.kvno, k.salt])).toEqual([
      [20, 1, 'CONTOSO.COMp'],
      [19, 1, 'CONTOSO.COMp'],
      [18, 1, 'CONTOSO.COMp'],
      [17, 1, 'CONTOSO.COMp'],
    ]);
    expect(r.keysFor('p').find((k) => k.etype === 18)!.bytes).toEqual(
      stringToKey(18, 'Secret-123', 'CONTOSO.COMp').bytes,
    );
    expect(p.encTypes).toEqual([20, 19, 18, 17]);
    // One that says which etypes it supports gets those; an AD computer its machine salt.
    const q = r.addUser('q', { keys: [], encTypes: [18] });
    r.setPassword('q', 'Secret-123');
    expect(q.keys.map((k) => k.key.etype)).toEqual([18]);
    const ad = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory', clock: new ManualClock(T0) });
    const sql = ad.addComputer('sql01', { keys: [] });
    ad.setPassword('SQL01$', 'machine-pw');
    expect(sql.keys.map((k) => [k.key.etype, k.salt])).toEqual([
      [18, 'CONTOSO.COMhostsql01.contoso.com'],
      [17, 'CONTOSO.COMhostsql01.contoso.com'],
    ]);
  });

  it('finds services by SPN and alias; names are case-sensitive by default', () => {
    const r = mk('CONTOSO.COM');
    const svc = r.addService('MSSQLSvc/sql.contoso.com:1433', { aliases: ['MSSQLSvc/sql.contoso.com'] });
    expect(r.lookup('MSSQLSvc/sql.contoso.com')).toBe(svc);
    expect(r.lookup('MSSQLSvc/sql.contoso.com:1433@CONTOSO.COM')).toBe(svc);
    expect(r.lookup('mssqlsvc/SQL.contoso.com:1433')).toBeUndefined();
    expect(codeOf(() => r.addService('MSSQLSvc/sql.contoso.com'))).toBe(
      ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
    );
    expect(r.keysFor('MSSQLSvc/sql.contoso.com:1433')).toHaveLength(4);
    expect(r.keysFor('nobody')).toEqual([]);
  });

  it('holds alice and Alice in an MIT realm, two principals with their own salts and RIDs', () => {
    const r = mk('CONTOSO.COM');
    const lower = r.addUser('alice', { password: 'a' });
    const upper = r.addUser('Alice', { password: 'b' });
    expect(r.lookup('alice')).toBe(lower);
    expect(r.lookup('Alice')).toBe(upper);
    expect([lower.keys[0]!.salt, upper.keys[0]!.salt]).toEqual(['CONTOSO.COMalice', 'CONTOSO.COMAlice']);
    expect(r.directory.account('alice')!.rid).not.toBe(r.directory.account('Alice')!.rid);
    // An AD realm's names are one whatever their case.
    const ad = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory', clock: new ManualClock(T0) });
    ad.addUser('alice', { password: 'a' });
    expect(codeOf(() => ad.addUser('Alice', { password: 'b' }))).toBe(ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE);
  });

  it('matches names case-insensitively when the policy says so (AD)', () => {
    const r = mk('CONTOSO.COM', { caseInsensitiveNames: true });
    const svc = r.addService('MSSQLSvc/sql.contoso.com:1433');
    expect(r.lookup('mssqlsvc/SQL.CONTOSO.COM:1433')).toBe(svc);
    // Realms are never folded.
    expect(r.lookup('MSSQLSvc/sql.contoso.com:1433@contoso.com')).toBeUndefined();
  });

  it('rotates krbtgt keeping a two-version window', () => {
    const r = mk('CONTOSO.COM');
    expect(entryKvno(r.krbtgt)).toBe(1);
    expect(r.rotateKrbtgt()).toBe(2);
    expect(r.keysFor('krbtgt/CONTOSO.COM', 1)).toHaveLength(4);
    expect(r.rotateKrbtgt()).toBe(3);
    expect(r.keysFor('krbtgt/CONTOSO.COM', 1)).toEqual([]);
    expect(r.keysFor('krbtgt/CONTOSO.COM', 2)).toHaveLength(4);
  });

  it('refuses bad realm names, krbtgt services, foreign names and unknown principals with typed errors', () => {
    const refusal = (fn: () => unknown): { code: number | undefined; message: string } => {
      try {
        fn();
      } catch (e) {
        return { code: isKerberosError(e) ? e.code : -1, message: (e as Error).message };
      }
      throw new Error('expected a refusal');
    };
    for (const name of ['', 'A@B', 'A/B']) {
      const e = refusal(() => mk(name));
      expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
      expect(e.message).toBe(`invalid realm name '${name}'`);
    }
    const r = mk('CONTOSO.COM');
    expect(refusal(() => r.addService('krbtgt/FABRIKAM.COM'))).toEqual({
      code: ErrorCode.KRB_ERR_GENERIC,
      message: 'krbtgt/FABRIKAM.COM: krbtgt principals are managed by trusts',
    });
    expect(refusal(() => r.addUser('alice@FABRIKAM.COM', { password: 'pw' }))).toEqual({
      code: ErrorCode.KRB_ERR_GENERIC,
      message: 'alice@FABRIKAM.COM is not in realm CONTOSO.COM',
    });
    const both = refusal(() => r.addUser('carol', { password: 'pw', keys: [stringToKey(18, 'pw', 'x')] }));
    expect(both).toEqual({
      code: ErrorCode.KRB_ERR_GENERIC,
      message: 'carol@CONTOSO.COM: give a password or keys, not both',
    });
    expect(refusal(() => r.addSpn('nobody', 'HTTP/x.contoso.com'))).toEqual({
      code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      message: 'no account or service nobody in CONTOSO.COM',
    });
    for (const name of ['nobody', 'krbtgt/CONTOSO.COM']) {
      expect(refusal(() => r.setPassword(name, 'pw'))).toEqual({
        code: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        message: `no user or service ${name} in CONTOSO.COM`,
      });
      expect(refusal(() => r.setKeys(name, [stringToKey(18, 'pw', 'x')]))).toEqual({
        code: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        message: `no user or service ${name} in CONTOSO.COM`,
      });
    }
    r.addUser('alice', { password: 'pw', upn: 'alice@contoso.com' });
    expect(refusal(() => r.setKeys('alice', []))).toEqual({
      code: ErrorCode.KRB_ERR_GENERIC,
      message: 'alice: no keys given',
    });
    // A PrincipalName is looked up in the realm given, this one by default.
    expect(r.lookup(pn('alice', NameType.NT_PRINCIPAL))?.name.nameString).toEqual(['alice']);
    expect(r.lookup(pn('alice', NameType.NT_PRINCIPAL), 'FABRIKAM.COM')).toBeUndefined();
  });

  it('keeps names and UPNs unique in the database, and forgets them on removal', () => {
    const r = mk('CONTOSO.COM');
    const alice = r.addUser('alice', { password: 'pw', upn: 'alice@contoso.com' });
    const bob = r.addUser('bob', { password: 'pw' });
    const dup = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(isKerberosError(e, ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE)).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected KDC_ERR_PRINCIPAL_NOT_UNIQUE');
    };
    expect(dup(() => r.addUser('alice2', { password: 'pw', upn: 'alice@contoso.com' }))).toBe(
      'UPN alice@contoso.com already exists',
    );
    // An alias already the entry's own is a no-op; another entry's name is refused.
    r.db.addAlias(alice, pn('alice', NameType.NT_PRINCIPAL));
    expect(alice.aliases).toEqual([]);
    expect(dup(() => r.db.addAlias(alice, bob.name))).toBe('principal bob@CONTOSO.COM already exists');
    expect(r.db.remove(alice.name, 'CONTOSO.COM')).toBe(true);
    expect(r.db.remove(alice.name, 'CONTOSO.COM')).toBe(false);
    // Its UPN is free again.
    r.addUser('alice2', { password: 'pw', upn: 'alice@contoso.com' });
  });

  it('refuses a branch id or key version outside 16 bits with RangeError', () => {
    expect(() => composeKvno(0x10000, 1)).toThrow(new RangeError('branch id must be 0..65535, got 65536'));
    expect(() => composeKvno(-1, 1)).toThrow(RangeError);
    expect(() => composeKvno(1, 0x10000)).toThrow(new RangeError('key version must be 0..65535, got 65536'));
    expect(() => composeKvno(1, 1.5)).toThrow(/key version must be 0\.\.65535, got 1\.5/);
  });

  it('composes RODC branch kvnos (MS-KILE: branch in the high 16 bits)', () => {
    expect(composeKvno(0x1234, 1)).toBe(0x12340001);
    expect(composeKvno(0xffff, 0xffff)).toBe(0xffffffff);
    expect(splitKvno(0x12340005)).toEqual({ branchId: 0x1234, version: 5 });
    const r = new Realm({ name: 'AZURE.TEST', clock: new ManualClock(T0), rodcBranchId: 0x2a });
    expect(entryKvno(r.krbtgt)).toBe((0x2a << 16) | 1);
    expect(r.rotateKrbtgt()).toBe((0x2a << 16) | 2);
    expect(r.keysFor('krbtgt/AZURE.TEST', (0x2a << 16) | 1)).toHaveLength(4);
    expect(r.keysFor('krbtgt/AZURE.TEST', 1)).toEqual([]);
  });
});

describe('host to realm mapping', () => {
  it('maps like MIT [domain_realm]: leading dot for subdomains, exact host otherwise, longest wins', () => {
    const m = new DomainRealmMap();
    m.set('.contoso.com', 'CONTOSO.COM');
    m.set('.eu.contoso.com', 'EU.CONTOSO.COM');
    m.set('special.eu.contoso.com', 'SPECIAL.COM');
    expect(m.lookup('server.contoso.com')).toBe('CONTOSO.COM');
    expect(m.lookup('a.b.eu.contoso.com')).toBe('EU.CONTOSO.COM');
    expect(m.lookup('Special.EU.contoso.com.')).toBe('SPECIAL.COM');
    expect(m.lookup('contoso.com')).toBeUndefined();
    expect(m.lookup('notcontoso.com')).toBeUndefined();
  });

  it('refuses empty mappings, deletes mappings and lists them', () => {
    const m = new DomainRealmMap();
    expect(() => m.set('..', 'X.COM')).toThrow(new RangeError("empty domain in mapping '..'"));
    expect(() => m.set('', 'X.COM')).toThrow(new RangeError('empty host name in mapping'));
    expect(() => m.set('.', 'X.COM')).toThrow(new RangeError('empty host name in mapping'));
    m.set('.contoso.com', 'CONTOSO.COM');
    m.set('Host.Contoso.com.', 'OTHER.COM');
    expect(m.entries()).toEqual([
      ['host.contoso.com', 'OTHER.COM'],
      ['.contoso.com', 'CONTOSO.COM'],
    ]);
    expect(m.delete('host.contoso.com')).toBe(true);
    expect(m.lookup('host.contoso.com')).toBe('CONTOSO.COM');
    expect(m.delete('.CONTOSO.COM')).toBe(true);
    expect(m.delete('.contoso.com')).toBe(false);
    expect(m.lookup('host.contoso.com')).toBeUndefined();
    expect(m.entries()).toEqual([]);
  });

  it('matches DNS suffixes on whole labels, never an empty suffix', () => {
    expect(isDnsSuffix('contoso.com', 'a.Contoso.COM.')).toBe(true);
    expect(isDnsSuffix('contoso.com', 'contoso.com')).toBe(true);
    expect(isDnsSuffix('contoso.com', 'notcontoso.com')).toBe(false);
    expect(isDnsSuffix('', 'contoso.com')).toBe(false);
    expect(isDnsSuffix('.', 'contoso.com')).toBe(false);
  });

  it('routes by a trust top-level name on whole labels', () => {
    const onprem = mk('CONTOSO.COM');
    const azure = mk('KERBEROS.MICROSOFTONLINE.COM');
    createTrust({
      trusting: azure,
      trusted: onprem,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['windows.net'],
    });
    expect(realmOfHost(onprem, 'mi1.abc123.database.windows.net')).toBe('KERBEROS.MICROSOFTONLINE.COM');
    expect(realmOfHost(onprem, 'windows.net')).toBe('KERBEROS.MICROSOFTONLINE.COM');
    expect(realmOfHost(onprem, 'notwindows.net')).toBeUndefined();
    onprem.mapDomain('.database.windows.net', 'ELSEWHERE.COM');
    expect(realmOfHost(onprem, 'mi1.abc123.database.windows.net')).toBe('ELSEWHERE.COM');
  });
});

describe('trust creation', () => {
  it('refuses a top-level name collision with the product text', () => {
    const onprem = mk('CONTOSO.COM');
    const azure = mk('KERBEROS.MICROSOFTONLINE.COM');
    const other = mk('OTHER.TEST');
    createTrust({
      trusting: other,
      trusted: onprem,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['windows.net'],
    });
    let err: unknown;
    try {
      createTrust({
        trusting: azure,
        trusted: onprem,
        direction: 'one-way',
        kind: 'forest',
        topLevelNames: ['windows.net'],
      });
    } catch (e) {
      err = e;
    }
    expect(isKerberosError(err, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
    expect((err as Error).message).toBe(
      'Collision setting top level names on trust KERBEROS.MICROSOFTONLINE.COM',
    );
    // Nothing was registered by the failed attempt.
    expect(azure.trusts).toHaveLength(0);
    expect(onprem.lookup('krbtgt/KERBEROS.MICROSOFTONLINE.COM')).toBeUndefined();
    // A subordinate name collides too.
    expect(
      codeOf(() =>
        createTrust({
          trusting: azure,
          trusted: onprem,
          direction: 'one-way',
          kind: 'forest',
          topLevelNames: ['database.windows.net'],
        }),
      ),
    ).toBe(ErrorCode.KRB_ERR_GENERIC);
  });

  it('refuses a trust between realms that permit no etype in common (KDC_ERR_ETYPE_NOSUPP)', () => {
    const a = mk('A.COM', { permittedEncTypes: [20, 19] });
    const b = mk('B.COM', { permittedEncTypes: [18, 17] });
    try {
      createTrust({ trusting: a, trusted: b, direction: 'two-way', kind: 'forest' });
      throw new Error('expected a refusal');
    } catch (e) {
      expect(isKerberosError(e, ErrorCode.KDC_ERR_ETYPE_NOSUPP)).toBe(true);
      expect((e as Error).message).toBe('A.COM and B.COM permit no encryption type in common');
    }
  });

  it('a removed trust lets no one cross, holds no keys, and removing it again changes nothing', () => {
    const a = mk('A.COM');
    const b = mk('B.COM');
    const t = createTrust({ trusting: a, trusted: b, direction: 'two-way', kind: 'forest' });
    expect(t.allows('B.COM', 'A.COM')).toBe(true);
    expect(t.other('C.COM')).toBeUndefined();
    t.remove();
    expect(t.allows('B.COM', 'A.COM')).toBe(false);
    expect(t.allows('A.COM', 'B.COM')).toBe(false);
    expect(a.lookup('krbtgt/A.COM@B.COM')).toBeUndefined();
    t.remove();
    expect(t.keyVersion('trusting')).toBe(0);
  });

  it('creates keys only for the allowed directions', () => {
    const onprem = mk('CONTOSO.COM');
    const azure = mk('KERBEROS.MICROSOFTONLINE.COM');
    createTrust({
      trusting: azure,
      trusted: onprem,
      direction: 'one-way',
      kind: 'forest',
      password: 'trust-pw',
    });
    // krbtgt/AZURE@CONTOSO in both databases, the same key.
    const issuer = onprem.lookup('krbtgt/KERBEROS.MICROSOFTONLINE.COM@CONTOSO.COM')!;
    const acceptor = azure.lookup('krbtgt/KERBEROS.MICROSOFTONLINE.COM@CONTOSO.COM')!;
    expect(issuer.keys.map((k) => k.key.bytes)).toEqual(acceptor.keys.map((k) => k.key.bytes));
    expect(issuer.keys[0]!.salt).toBe('CONTOSO.COMkrbtgtKERBEROS.MICROSOFTONLINE.COM');
    // No key for the reverse direction anywhere.
    expect(azure.lookup('krbtgt/CONTOSO.COM@KERBEROS.MICROSOFTONLINE.COM')).toBeUndefined();
    expect(onprem.lookup('krbtgt/CONTOSO.COM@KERBEROS.MICROSOFTONLINE.COM')).toBeUndefined();
    expect(
      codeOf(() => createTrust({ trusting: azure, trusted: onprem, direction: 'two-way', kind: 'forest' })),
    ).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(
      codeOf(() => createTrust({ trusting: azure, trusted: azure, direction: 'two-way', kind: 'forest' })),
    ).toBe(ErrorCode.KRB_ERR_GENERIC);
  });
});
