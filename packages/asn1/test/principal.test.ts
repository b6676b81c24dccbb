/**
 * Principal names as text (MIT krb5's krb5_parse_name / krb5_unparse_name
 * rules), comparison, the TGS name and the host of a service name; the
 * KRB-ERROR builder; the keytab shape.
 */

import {
  decodeKrbError,
  encodeKrbError,
  formatName,
  formatPrincipal,
  keytabEntries,
  krbError,
  krbtgtName,
  NameType,
  nameKey,
  type PrincipalName,
  parsePrincipal,
  type QualifiedName,
  sameName,
  samePrincipal,
  serviceHostOf,
  TGS_NAME,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const pn = (text: string, nameType: number = NameType.NT_SRV_INST): PrincipalName => ({
  nameType,
  nameString: text.split('/'),
});

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(isKerberosError(e, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('parsePrincipal', () => {
  it('infers name types as krb5_parse_name does', () => {
    const type = (text: string) => parsePrincipal(text).name.nameType;
    expect(type('alice@R')).toBe(NameType.NT_PRINCIPAL);
    expect(type('alice/admin@R')).toBe(NameType.NT_PRINCIPAL);
    expect(type('HTTP/web.contoso.com@CONTOSO.COM')).toBe(NameType.NT_PRINCIPAL);
    expect(type('krbtgt/CONTOSO.COM@CONTOSO.COM')).toBe(NameType.NT_SRV_INST);
    expect(type('krbtgt/A/B@R')).toBe(NameType.NT_PRINCIPAL);
    expect(type('WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS')).toBe(NameType.NT_WELLKNOWN);
  });

  it('gives service names the type asked for, and a fixed type to every name', () => {
    const srv = { serviceNameType: NameType.NT_SRV_HST };
    expect(parsePrincipal('host/x.test@R', srv).name.nameType).toBe(NameType.NT_SRV_HST);
    expect(parsePrincipal('ldap/dc.test/test@R', srv).name.nameType).toBe(NameType.NT_SRV_HST);
    expect(parsePrincipal('alice@R', srv).name.nameType).toBe(NameType.NT_PRINCIPAL);
    expect(parsePrincipal('krbtgt/R@R', srv).name.nameType).toBe(NameType.NT_SRV_INST);
    expect(parsePrincipal('krbtgt/R@R', { nameType: NameType.NT_UNKNOWN }).name.nameType).toBe(
      NameType.NT_UNKNOWN,
    );
  });

  it('uses the default realm only when the text names none', () => {
    expect(parsePrincipal('alice', { defaultRealm: 'CONTOSO.COM' })).toEqual({
      realm: 'CONTOSO.COM',
      name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    });
    expect(parsePrincipal('alice@FABRIKAM.COM', { defaultRealm: 'CONTOSO.COM' }).realm).toBe('FABRIKAM.COM');
    expect(parsePrincipal('alice', { defaultRealm: '' }).realm).toBe('');
    expect(failure(() => parsePrincipal('alice')).message).toMatch(/no @REALM/);
  });

  it("reads MIT's escapes in components and realm", () => {
    expect(parsePrincipal('a\\/b\\@c\\\\d@R').name.nameString).toEqual(['a/b@c\\d']);
    expect(parsePrincipal('\\n\\t\\b\\0\\x@R').name.nameString).toEqual(['\n\t\b\0x']);
    expect(parsePrincipal('a@R\\@S').realm).toBe('R@S');
    expect(parsePrincipal('a@REALM/WITH/SLASH').realm).toBe('REALM/WITH/SLASH');
    expect(parsePrincipal('a@R\\/S', { strict: true }).realm).toBe('R/S');
  });

  it('refuses what krb5_parse_name refuses, and more when strict', () => {
    expect(failure(() => parsePrincipal('')).message).toMatch(/empty name/);
    expect(failure(() => parsePrincipal('@R')).message).toMatch(/empty name/);
    expect(failure(() => parsePrincipal('a@R@S')).message).toMatch(/second unquoted @/);
    expect(failure(() => parsePrincipal('a\\')).message).toMatch(/lone backslash/);
    // MIT accepts these; a strict caller does not.
    expect(parsePrincipal('a//b@R').name.nameString).toEqual(['a', '', 'b']);
    expect(parsePrincipal('a@').realm).toBe('');
    expect(failure(() => parsePrincipal('a//b@R', { strict: true })).message).toMatch(/empty component/);
    expect(failure(() => parsePrincipal('a@', { strict: true })).message).toMatch(/empty realm/);
    expect(failure(() => parsePrincipal('a@R/S', { strict: true })).message).toMatch(
      /unquoted \/ in the realm/,
    );
    expect(failure(() => parsePrincipal('a@b@R/S', { enterprise: true, strict: true })).message).toMatch(
      /unquoted \//,
    );
  });

  it('reads RFC 6806 enterprise names when asked, or by guess', () => {
    const d = { defaultRealm: 'CONTOSO.COM' };
    const ent = (nameString: string[], realm = 'CONTOSO.COM'): QualifiedName => ({
      realm,
      name: { nameType: NameType.NT_ENTERPRISE, nameString },
    });
    expect(parsePrincipal('alice@contoso.com', { ...d, enterprise: true })).toEqual(
      ent(['alice@contoso.com']),
    );
    expect(parsePrincipal('alice@CONTOSO.COM', { ...d, enterprise: true })).toEqual(
      ent(['alice@CONTOSO.COM']),
    );
    expect(parsePrincipal('a/b@contoso.com@FABRIKAM.COM', { enterprise: true })).toEqual(
      ent(['a/b@contoso.com'], 'FABRIKAM.COM'),
    );
    expect(parsePrincipal('alice@contoso.com', { ...d, enterprise: 'auto' })).toEqual(
      ent(['alice@contoso.com']),
    );
    expect(parsePrincipal('alice@contoso.com@X.COM', { enterprise: 'auto' }).realm).toBe('X.COM');
    expect(parsePrincipal('alice@CONTOSO.COM', { ...d, enterprise: 'auto' }).name.nameType).toBe(1);
    expect(parsePrincipal('alice@contoso.com', d).realm).toBe('contoso.com');
    expect(failure(() => parsePrincipal('alice@contoso.com', { enterprise: true })).message).toMatch(
      /no @REALM/,
    );
    expect(failure(() => parsePrincipal('a@b@', { enterprise: true, strict: true })).message).toMatch(
      /empty realm/,
    );
    // Escapes: a quoted @ neither splits the realm nor counts toward the two that make one.
    expect(parsePrincipal('alice\\@x\\\\y@contoso.com@FABRIKAM.COM', { enterprise: true })).toEqual(
      ent(['alice@x\\y@contoso.com'], 'FABRIKAM.COM'),
    );
    expect(parsePrincipal('alice\\@contoso.com', { ...d, enterprise: 'auto' }).name.nameType).toBe(
      NameType.NT_PRINCIPAL,
    );
    expect(failure(() => parsePrincipal('alice@contoso.com\\', { ...d, enterprise: true })).message).toMatch(
      /ends with a lone backslash/,
    );
    expect(failure(() => parsePrincipal('', { ...d, enterprise: true })).message).toMatch(
      /has an empty name/,
    );
  });
});

describe('formatPrincipal and formatName', () => {
  it('escapes as krb5_unparse_name does: / @ \\ and controls, in components and realm alike', () => {
    const name = { nameType: 1, nameString: ['a/b', 't\tb\b0\0n\n', 'x@y\\z'] };
    expect(formatName(name)).toBe('a\\/b/t\\tb\\b0\\0n\\n/x\\@y\\\\z');
    expect(formatPrincipal(name, 'R@X/Y\\')).toBe('a\\/b/t\\tb\\b0\\0n\\n/x\\@y\\\\z@R\\@X\\/Y\\\\');
    expect(formatPrincipal({ realm: 'R', name })).toBe(formatPrincipal(name, 'R'));
    expect(formatPrincipal(pn('HTTP/web.contoso.com'), 'CONTOSO.COM')).toBe(
      'HTTP/web.contoso.com@CONTOSO.COM',
    );
  });

  it('writes an enterprise name without a realm as people write it', () => {
    const alice = { nameType: NameType.NT_ENTERPRISE, nameString: ['alice@contoso.com'] };
    expect(formatPrincipal(alice)).toBe('alice@contoso.com');
    expect(formatPrincipal(alice, 'CONTOSO.COM')).toBe('alice\\@contoso.com@CONTOSO.COM');
    expect(formatName(alice)).toBe('alice\\@contoso.com');
    expect(formatPrincipal({ ...alice, nameType: 1 })).toBe('alice\\@contoso.com');
  });

  it('reads back what it writes, for any components and realm', () => {
    const part = fc.string({
      maxLength: 8,
      unit: fc.constantFrom('a', '/', '@', '\\', '\n', '\t', '\b', '\0', 'é'),
    });
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 4 }).filter((c) => c.length > 1 || c[0] !== ''),
        fc.string({ maxLength: 8 }),
        (nameString, realm) => {
          const p: QualifiedName = { realm, name: { nameType: 7, nameString } };
          expect(parsePrincipal(formatPrincipal(p), { nameType: 7 })).toEqual(p);
        },
      ),
    );
  });
});

describe('comparison', () => {
  it('ignores name types, and case when asked', () => {
    const a = pn('HTTP/web.contoso.com');
    expect(sameName(a, { ...a, nameType: NameType.NT_SRV_HST })).toBe(true);
    expect(sameName(a, pn('HTTP/WEB.contoso.com'))).toBe(false);
    expect(sameName(a, pn('HTTP/WEB.contoso.com'), true)).toBe(true);
    expect(sameName(a, pn('HTTP/web.contoso.com/x'), true)).toBe(false);
    expect(nameKey(pn('A/B'))).toBe('A/B');
    expect(nameKey(pn('A/B'), true)).toBe('a/b');
    expect(nameKey({ nameType: 1, nameString: ['a/b'] })).not.toBe(nameKey(pn('a/b')));
  });

  it('compares realms exactly', () => {
    const p = { realm: 'CONTOSO.COM', name: pn('alice') };
    expect(samePrincipal(p, { realm: 'CONTOSO.COM', name: pn('alice', 1) })).toBe(true);
    expect(samePrincipal(p, { realm: 'contoso.com', name: pn('alice') }, true)).toBe(false);
    expect(samePrincipal(p, { realm: 'CONTOSO.COM', name: pn('ALICE') }, true)).toBe(true);
  });
});

describe('TGS names and service hosts', () => {
  it('names the TGS of a realm and reads the realm back', () => {
    expect(krbtgtName('CONTOSO.COM')).toEqual({ nameType: 2, nameString: [TGS_NAME, 'CONTOSO.COM'] });
    expect(tgsRealmOf(krbtgtName('X'))).toBe('X');
    expect(tgsRealmOf(pn('HTTP/x'))).toBeUndefined();
    expect(tgsRealmOf(pn('krbtgt/A/B'))).toBeUndefined();
  });

  it("takes the host of a host-based name by the KDC's rule", () => {
    expect(serviceHostOf(pn('MSSQLSvc/mi1.abc.database.windows.net:1433'))).toBe(
      'mi1.abc.database.windows.net',
    );
    expect(serviceHostOf(pn('host/Server.Contoso.COM.', NameType.NT_SRV_HST))).toBe('server.contoso.com');
    expect(serviceHostOf(pn('host/server'))).toBeUndefined();
    expect(serviceHostOf(pn('HTTP/web.test', NameType.NT_PRINCIPAL))).toBeUndefined();
    expect(serviceHostOf(pn('ldap/dc.test/test'))).toBeUndefined();
    expect(serviceHostOf(pn('krbtgt/EXAMPLE.COM'))).toBeUndefined();
  });

  it("takes it from any service-shaped name by the client's lenient rule", () => {
    const lenient = { lenient: true };
    expect(serviceHostOf(pn('HTTP/Web.Z.Test:8080', NameType.NT_PRINCIPAL), lenient)).toBe('web.z.test');
    expect(serviceHostOf(pn('host/server'), lenient)).toBe('server');
    expect(serviceHostOf(pn('ldap/dc.test/test'), lenient)).toBe('dc.test');
    expect(serviceHostOf(pn('krbtgt/EXAMPLE.COM'), lenient)).toBeUndefined();
    expect(serviceHostOf(pn('alice'), lenient)).toBeUndefined();
    expect(serviceHostOf(pn('host/:88'), lenient)).toBeUndefined();
  });
});

describe('krbError', () => {
  it('fills pvno, msg-type and the server time, and leaves out what is not given', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 5, 250);
    const m = krbError({ errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED, now, realm: 'R' });
    expect(m).toEqual({
      pvno: 5,
      msgType: 30,
      stime: Date.UTC(2026, 0, 1, 12, 0, 5),
      susec: 250_000,
      errorCode: 25,
      realm: 'R',
      sname: krbtgtName('R'),
    });
    expect(decodeKrbError(encodeKrbError(m))).toEqual(m);
  });

  it('keeps a fraction of a millisecond in susec, and handles times before 1970', () => {
    expect(krbError({ errorCode: 60, now: 1_500.5, realm: 'R' })).toMatchObject({
      stime: 1_000,
      susec: 500_500,
    });
    expect(krbError({ errorCode: 60, now: -1, realm: 'R' })).toMatchObject({ stime: -1_000, susec: 999_000 });
  });

  it('carries the optional fields given', () => {
    const eData = Uint8Array.of(0x30, 0);
    const m = krbError({
      errorCode: 6,
      now: 0,
      realm: 'R',
      sname: pn('HTTP/x'),
      crealm: 'C',
      cname: pn('alice', 1),
      ctime: 1000,
      cusec: 5,
      eText: 'no such client',
      eData,
    });
    expect(m).toMatchObject({
      sname: pn('HTTP/x'),
      crealm: 'C',
      cname: pn('alice', 1),
      ctime: 1000,
      cusec: 5,
    });
    expect(m.eText).toBe('no such client');
    expect(m.eData).toBe(eData);
  });
});

describe('keytabEntries', () => {
  it('reads either shape', () => {
    const entry = {
      principal: { realm: 'R', name: pn('a', 1) },
      kvno: 1,
      key: { etype: 18, bytes: new Uint8Array(32) },
    };
    expect(keytabEntries([entry])).toEqual([entry]);
    expect(keytabEntries({ entries: [entry] })).toEqual([entry]);
  });
});
