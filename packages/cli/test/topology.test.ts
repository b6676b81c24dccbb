import { describe, expect, it, vi } from 'vitest';
import { parseTopology, policyOf, TopologyError, validateTopology } from '../src/topology';

const good = `
realms:
  - name: CONTOSO.COM
    domains: [contoso.com]
    policy: { maxTicketLife: 10h, clockSkew: 5m }
    users:
      - { name: alice, password: correct horse }
    services:
      - { spn: host/server.contoso.com, password: s3rv1ce, aliases: [host/server] }
  - name: FABRIKAM.COM
    services:
      - { spn: HTTP/web.fabrikam.com }
trusts:
  - { trusting: FABRIKAM.COM, trusted: CONTOSO.COM, direction: one-way, kind: forest, topLevelNames: [Fabrikam.com] }
`;

describe('parseTopology', () => {
  it('reads a valid YAML file with durations, defaults and lower-cased DNS names', () => {
    const t = parseTopology(good);
    expect(t.realms.map((r) => r.name)).toEqual(['CONTOSO.COM', 'FABRIKAM.COM']);
    expect(t.realms[0]!.policy).toMatchObject({ maxTicketLifeMs: 36_000_000, clockSkewMs: 300_000 });
    expect(t.realms[0]!.services[0]!.aliases).toEqual(['host/server']);
    expect(t.realms[1]!.users).toEqual([]);
    expect(t.trusts[0]).toMatchObject({
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['fabrikam.com'],
    });
  });

  it("reads the password-change service's rules, a minimum age of 0 meaning none", () => {
    const t = parseTopology(
      'realms: [{ name: A.TEST, kind: active-directory, policy: { minPasswordLength: 12, passwordComplexity: false, passwordHistory: 5, minPasswordAge: 0 } }, { name: B.TEST, policy: { minPasswordAge: 2d, maxPasswordAge: 42d } }]',
    );
    expect(t.realms[0]!.policy).toEqual({
      minPasswordLength: 12,
      passwordComplexity: false,
      passwordHistoryLength: 5,
      minPasswordAgeMs: 0,
    });
    expect(policyOf(t.realms[0]!.policy)).toEqual({
      minPasswordLength: 12,
      passwordComplexity: false,
      passwordHistoryLength: 5,
      minPasswordAgeMs: 0,
    });
    expect(policyOf(t.realms[1]!.policy)).toEqual({
      minPasswordAgeMs: 2 * 86_400_000,
      maxPasswordAgeMs: 42 * 86_400_000,
    });
  });

  it('reads JSON', () => {
    const t = parseTopology(JSON.stringify({ realms: [{ name: 'A.TEST' }] }), 'json');
    expect(t.realms[0]!.name).toBe('A.TEST');
  });

  const bad: [string, string, string][] = [
    ['missing realms', 'trusts: []', 'realms: expected a list, got nothing'],
    [
      'bad password type',
      'realms: [{ name: A.TEST, users: [{ name: a, password: x }, { name: b, password: 3 }] }]',
      'realms[0].users[1].password: expected a non-empty string, got a number (not shown: a password)',
    ],
    ['unknown field', 'realms: [{ name: A.TEST, colour: red }]', 'realms[0].colour: unknown field'],
    ['lower-case realm', 'realms: [{ name: a.test }]', 'realms[0].name: realm names are upper-case'],
    [
      'bad duration',
      'realms: [{ name: A.TEST, policy: { clockSkew: soon } }]',
      'realms[0].policy.clockSkew: expected a duration',
    ],
    [
      'spn without host',
      'realms: [{ name: A.TEST, services: [{ spn: host }] }]',
      'realms[0].services[0].spn: expected service/host',
    ],
    [
      'duplicate realm',
      'realms: [{ name: A.TEST }, { name: A.TEST }]',
      'realms[1].name: realm A.TEST appears twice',
    ],
    [
      'trust to nowhere',
      'realms: [{ name: A.TEST }]\ntrusts: [{ trusting: A.TEST, trusted: B.TEST }]',
      'trusts[0].trusted: no realm named B.TEST',
    ],
    [
      'self trust',
      'realms: [{ name: A.TEST }]\ntrusts: [{ trusting: A.TEST, trusted: A.TEST }]',
      'trusts[0].trusted: a realm cannot trust itself',
    ],
    [
      'bad direction',
      'realms: [{ name: A.TEST }, { name: B.TEST }]\ntrusts: [{ trusting: A.TEST, trusted: B.TEST, direction: sideways }]',
      'trusts[0].direction: expected one of one-way, two-way',
    ],
    ['not yaml', 'realms: [', 'topology: not valid YAML'],
    ['no realm at all', 'realms: []', 'realms: at least one realm is needed'],
    [
      'a flag that is not true or false',
      'realms: [{ name: A.TEST, policy: { allowWeakCrypto: yes please } }]',
      'realms[0].policy.allowWeakCrypto: expected true or false, got',
    ],
    [
      'a password history that is not a count',
      'realms: [{ name: A.TEST, policy: { passwordHistory: -1 } }]',
      'realms[0].policy.passwordHistory: expected a whole number from 0 to 1024, got',
    ],
    [
      'a zero duration',
      'realms: [{ name: A.TEST, policy: { maxTicketLife: 0s } }]',
      'realms[0].policy.maxTicketLife: a duration must be positive',
    ],
    [
      'a DNS domain claimed by two realms',
      'realms: [{ name: A.TEST, domains: [a.test, shared.test] }, { name: B.TEST, domains: [Shared.Test] }]',
      'realms[1].domains[0]: shared.test is already claimed at realms[0].domains[1]',
    ],
    [
      'requirePac in a realm that issues no PAC',
      'realms: [{ name: A.TEST, kind: active-directory, policy: { issuePac: false, requirePac: true } }]',
      'realms[0].policy.requirePac: the realm issues no PAC (issuePac: false), so no TGT would be refused for lacking one',
    ],
    [
      'requirePac in an mit realm, which issues no PAC by default',
      'realms: [{ name: A.TEST, policy: { requirePac: true } }]',
      "realms[0].policy.requirePac: the realm issues no PAC (an mit realm's default)",
    ],
    [
      'allowAnonymous in a realm without pkinit',
      'realms: [{ name: A.TEST, policy: { allowAnonymous: true } }]',
      'realms[0].policy.allowAnonymous: anonymous tickets come by anonymous PKINIT (RFC 8062): the realm needs pkinit',
    ],
    [
      'a renewsTickets that is not true or false',
      'realms: [{ name: A.TEST, policy: { renewsTickets: never } }]',
      'realms[0].policy.renewsTickets: expected true or false',
    ],
    [
      'a computer name longer than NetBIOS allows',
      'realms: [{ name: A.TEST, kind: active-directory, computers: [{ name: WORKSTATION-0123456 }] }]',
      'realms[0].computers[0].name: expected a NetBIOS name (1 to 15 letters, digits or',
    ],
  ];
  it('takes the PAC and anonymous settings where the realm can honour them', () => {
    const t = parseTopology(`
realms:
  - { name: A.TEST, policy: { issuePac: true, requirePac: true, renewsTickets: false } }
  - { name: B.TEST, kind: active-directory, policy: { requirePac: true } }
  - { name: C.TEST, pkinit: true, policy: { allowAnonymous: true } }
  - { name: D.TEST, domains: [a.test] }
  - { name: E.TEST, domains: [sub.a.test] }
`);
    expect(t.realms.map((r) => r.policy)).toMatchObject([
      { issuePac: true, requirePac: true, renewsTickets: false },
      { requirePac: true },
      { allowAnonymous: true },
      {},
      {},
    ]);
  });

  for (const [what, text, message] of bad) {
    it(`rejects ${what} with the field's path`, () => {
      let err: unknown;
      try {
        parseTopology(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TopologyError);
      expect((err as TopologyError).message).toContain(message);
      expect((err as TopologyError).code).toBe(60);
    });
  }
});

describe('what a topology error quotes', () => {
  it('never quotes a password, and cuts a long value', () => {
    const error = (raw: unknown) => {
      try {
        validateTopology(raw);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected a TopologyError');
    };
    const pw = error({ realms: [{ name: 'A.TEST', users: [{ name: 'alice', password: 31337 }] }] });
    expect(pw).toContain('realms[0].users[0].password');
    expect(pw).toContain('not shown: a password');
    expect(pw).not.toContain('31337');
    // A YAML syntax error says where, without quoting the line (which may hold a password).
    let syntax = '';
    try {
      parseTopology(
        'realms:\n  - name: A.TEST\n    users:\n      - name: alice\n        password: "s3cret-pw\n',
      );
    } catch (e) {
      syntax = (e as Error).message;
    }
    expect(syntax).toMatch(/^topology: not valid YAML: .*line \d+, column \d+$/);
    expect(syntax).not.toContain('s3cret');
    const long = error({ realms: [{ name: 'A.TEST', kind: 'x'.repeat(500) }] });
    expect(long.length).toBeLessThan(300);
    expect(long).toContain('...');
  });
});

describe('DNS names in a topology', () => {
  it('refuses domains, top-level names and realm names that are no DNS names, by field', () => {
    const refused = (raw: unknown, pattern: RegExp) => expect(() => validateTopology(raw)).toThrow(pattern);
    refused(
      { realms: [{ name: 'A.TEST', domains: ['x]\n[realms]'] }] },
      /^realms\[0\]\.domains\[0\]: expected a DNS name/,
    );
    refused({ realms: [{ name: 'A.TEST', domains: ['a..test'] }] }, /^realms\[0\]\.domains\[0\]: /);
    refused({ realms: [{ name: 'A..TEST' }] }, /^realms\[0\]\.name: realm names are upper-case/);
    refused(
      {
        realms: [{ name: 'A.TEST' }, { name: 'B.TEST' }],
        trusts: [{ trusting: 'A.TEST', trusted: 'B.TEST', topLevelNames: ['-bad.test'] }],
      },
      /^trusts\[0\]\.topLevelNames\[0\]: expected a DNS name/,
    );
    // Upper case is taken and lowered, as before.
    expect(
      validateTopology({ realms: [{ name: 'A.TEST', domains: ['Contoso.COM'] }] }).realms[0]!.domains,
    ).toEqual(['contoso.com']);
  });
});

describe('a JSON file that does not parse', () => {
  /** parseTopology's message for `text` as JSON. */
  const jsonError = (text: string): string => {
    try {
      parseTopology(text, 'json');
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('parsed');
  };
  const file = (password: string) =>
    `{\n  "realms": [\n    {\n      "name": "A.TEST",\n      "users": [{ "name": "alice", "password": ${password} }]\n    }\n  ]\n}\n`;

  it('says where, never the text: a password written unquoted or single-quoted is not echoed', () => {
    const unquoted = jsonError(file('Hunter2Sec'));
    expect(unquoted).toBe(
      'topology: not valid JSON: a value should be here (a string in double quotes, a number, true, false, null, an object or an array) at line 5, column 48',
    );
    const single = jsonError(file("'Hunter2Sec'"));
    expect(single).toBe(
      "topology: not valid JSON: a single quote where a value should be (JSON's strings take double quotes) at line 5, column 48",
    );
    const unclosed = jsonError(file('"Hunter2Sec'));
    expect(unclosed).toMatch(/^topology: not valid JSON: a control character .* at line 5, column \d+$/);
    for (const m of [unquoted, single, unclosed]) expect(m).not.toMatch(/Hunter|2Sec|password/);
  });

  it('names the other syntax errors by line and column', () => {
    expect(jsonError('{"realms": [],}')).toBe(
      'topology: not valid JSON: a property name in double quotes should be here at line 1, column 15',
    );
    expect(jsonError("{'realms': []}")).toMatch(
      /single quote where a property name should be .* line 1, column 2$/,
    );
    expect(jsonError('{"realms" []}')).toBe(
      "topology: not valid JSON: expected ':' after a property name at line 1, column 11",
    );
    expect(jsonError('{"realms": [\n')).toBe(
      'topology: not valid JSON: the text ends where a value should be at line 2, column 1',
    );
    expect(jsonError('{"realms": [1 2]}')).toBe(
      "topology: not valid JSON: expected ',' or ']' after an array element at line 1, column 15",
    );
    expect(jsonError('{"realms": []} x')).toBe(
      'topology: not valid JSON: more text after the JSON value at line 1, column 16',
    );
    // Deeper than 64 is refused before parsing; up to it, the walker says where the text ends.
    expect(jsonError('[\n'.repeat(50_000))).toMatch(
      /^topology: nested deeper than 64 levels at line 65, column 1 /,
    );
    expect(jsonError('[\n'.repeat(64))).toMatch(
      /^topology: not valid JSON: the text ends where a value should be at line 65, column 1$/,
    );
  });

  it('a YAML alias to no anchor is refused without its name, and an unknown tag is not printed as a warning', () => {
    expect(() =>
      parseTopology('realms:\n  - name: A.TEST\n    users: [{ name: alice, password: *Hunter2Sec }]\n'),
    ).toThrow(/^topology: not valid YAML: an alias \(\*name\) refers to no anchor \(&name\) before it$/);
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      parseTopology(
        'realms:\n  - name: A.TEST\n    users: [{ name: alice, password: !Hunter2Sec Al1ce-Passw0rd }]\n',
      );
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('duplicate keys', () => {
  it('are refused in JSON as in YAML, with where, not silently the last one kept', () => {
    const json = '{"realms": [{"name": "A.TEST"}],\n "realms": [{"name": "B.TEST"}]}';
    expect(() => parseTopology(json, 'json')).toThrow(
      /^topology: not valid JSON: Map keys must be unique at line 2, column \d+$/,
    );
    expect(() => parseTopology('realms:\n  - name: A.TEST\nrealms: []\n')).toThrow(
      /^topology: not valid YAML: Map keys must be unique/,
    );
    // Equal keys in different objects are no duplicates.
    expect(parseTopology('{"realms": [{"name": "A.TEST"}, {"name": "B.TEST"}]}', 'json').realms).toHaveLength(
      2,
    );
  });
});
