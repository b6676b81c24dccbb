import { ErrorCode, isKerberosError } from '@krbsim/core';
import { formatPrincipal, type KrbPrincipal, parsePrincipal, samePrincipal } from '@krbsim/files';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('principal text', () => {
  it('parses name/instance@REALM', () => {
    expect(parsePrincipal('MSSQLSvc/sql.contoso.com:1433@CONTOSO.COM')).toEqual({
      realm: 'CONTOSO.COM',
      name: { nameType: 1, nameString: ['MSSQLSvc', 'sql.contoso.com:1433'] },
    });
    expect(parsePrincipal('alice', { defaultRealm: 'R', nameType: 10 })).toEqual({
      realm: 'R',
      name: { nameType: 10, nameString: ['alice'] },
    });
  });

  it('handles quoting both ways', () => {
    const p = parsePrincipal('alice\\@contoso.com@CONTOSO.COM');
    expect(p.name.nameString).toEqual(['alice@contoso.com']);
    expect(formatPrincipal(p)).toBe('alice\\@contoso.com@CONTOSO.COM');
    expect(parsePrincipal('a\\/b\\\\c\\n@R').name.nameString).toEqual(['a/b\\c\n']);
    expect(formatPrincipal({ realm: 'R@X', name: { nameType: 1, nameString: ['a/b', 't\tb\b0\0'] } })).toBe(
      'a\\/b/t\\tb\\b0\\0@R\\@X',
    );
    expect(parsePrincipal('a@REALM/WITH/SLASH').realm).toBe('REALM/WITH/SLASH');
  });

  it('round trips any components', () => {
    const part = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 2, maxLength: 4 }),
        fc.string({ maxLength: 8 }),
        (nameString, realm) => {
          const p: KrbPrincipal = { realm, name: { nameType: 1, nameString } };
          expect(parsePrincipal(formatPrincipal(p))).toEqual(p);
        },
      ),
    );
  });

  it('rejects malformed text', () => {
    for (const [text, why] of [
      ['alice', /no @REALM/],
      ['@R', /empty name/],
      ['a@R@S', /second unquoted @/],
      ['a\\', /lone backslash/],
    ] as const) {
      let err: unknown;
      try {
        parsePrincipal(text);
      } catch (e) {
        err = e;
      }
      expect(isKerberosError(err, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('compares ignoring name type', () => {
    const a = parsePrincipal('host/x@R');
    expect(samePrincipal(a, { ...a, name: { nameType: 3, nameString: ['host', 'x'] } })).toBe(true);
    expect(samePrincipal(a, parsePrincipal('host/x@S'))).toBe(false);
    expect(samePrincipal(a, parsePrincipal('host/x/y@R'))).toBe(false);
    expect(samePrincipal(a, parsePrincipal('host/y@R'))).toBe(false);
  });
});
