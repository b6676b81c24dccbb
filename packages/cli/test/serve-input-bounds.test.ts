/**
 * What `krbsim serve` refuses of its input before anything listens, and how
 * it says so: a file that is not UTF-8, an empty --host, a duration past
 * what a KerberosTime holds, a file nested without bound, a YAML error that
 * would quote a password, a bad --replica-of. Each as a usage error (exit 2)
 * naming the field or the place, never the text.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { readReplicaOf } from '../src/replica';
import { loadTopologyFile } from '../src/serve';
import { parseTopology, TopologyError, validateTopology } from '../src/topology';
import { runCaptured } from './run-cli';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-serve-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The message `f` throws. */
const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return (e as Error).message;
  }
  throw new Error('expected a TopologyError');
};

describe('a serve file that is not UTF-8', () => {
  const latin1 = Buffer.concat([
    Buffer.from('realms:\n  - name: A.TEST\n    users:\n      - { name: alice, password: "caf'),
    Buffer.from([0xe9]),
    Buffer.from('-Secret" }\n'),
  ]);

  it('is refused (exit 2) by line and byte offset, never its bytes, not served with U+FFFD', async () => {
    const file = join(dir, 'latin1.yaml');
    await writeFile(file, latin1);
    const r = await runCaptured(['serve', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `krbsim serve: ${file}: topology: not UTF-8 text: an invalid byte at line 4 (byte offset 73); save the file as UTF-8\n`,
    );
    expect(r.stderr).not.toMatch(/caf|Secret/);
    expect(r.stdout).toBe('');
    await expect(loadTopologyFile(file)).rejects.toThrow(/^topology: not UTF-8 text: .*byte offset 73/);
  });

  it('takes UTF-8 as before, a byte order mark too', async () => {
    const file = join(dir, 'utf8.yaml');
    await writeFile(
      file,
      `\ufeffrealms:\n  - name: A.TEST\n    users: [{ name: alice, password: "café-Secret" }]\n`,
    );
    const t = await loadTopologyFile(file);
    expect(t.realms[0]!.users[0]!.password).toBe('café-Secret');
  });
});

describe('--host', () => {
  for (const host of ['', ' ', 'a b', '999.1.1.1', 'host:88']) {
    it(`refuses ${JSON.stringify(host)} as a usage error (exit 2), for a topology and for the Azure lab`, async () => {
      const file = join(dir, 'host.yaml');
      await writeFile(file, 'realms: [{ name: A.TEST }]\n');
      for (const served of [file, 'azure-sql-mi']) {
        const r = await runCaptured(['serve', served, '--host', host]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`krbsim serve: --host must be an IP address or a host name`);
        expect(r.stderr).toContain(`got '${host}'`);
        expect(r.stdout).toBe('');
      }
    });
  }
});

describe('durations', () => {
  it('are bounded at 36500d (100 years), naming the field: past year 9999 no kinit could succeed', () => {
    expect(
      thrown(() => parseTopology('realms: [{ name: A.TEST, policy: { maxPasswordAge: 3000000d } }]')),
    ).toBe(
      'realms[0].policy.maxPasswordAge: a duration must be at most 36500d (100 years): Kerberos times end in year 9999',
    );
    expect(
      thrown(() => parseTopology('realms: [{ name: A.TEST, policy: { maxTicketLife: 3153600001 } }]')),
    ).toMatch(/^realms\[0\]\.policy\.maxTicketLife: a duration must be at most 36500d/);
    expect(
      thrown(() => parseTopology(`realms: [{ name: A.TEST, policy: { clockSkew: ${'9'.repeat(400)}s } }]`)),
    ).toMatch(/^realms\[0\]\.policy\.clockSkew: a duration must be at most 36500d/);
    expect(
      parseTopology(
        'realms: [{ name: A.TEST, policy: { maxPasswordAge: 36500d, maxRenewLife: 3153600000 } }]',
      ).realms[0]!.policy,
    ).toMatchObject({ maxPasswordAgeMs: 36_500 * 86_400_000, maxRenewLifeMs: 3_153_600_000_000 });
  });
});

describe('nesting depth', () => {
  it('refuses JSON nested deeper than 64 before parsing it, with where (4 MB took 2.3 GB)', () => {
    expect(thrown(() => parseTopology('['.repeat(2_000_000), 'json'))).toBe(
      'topology: nested deeper than 64 levels at line 1, column 65 (a serve file needs a few)',
    );
    expect(thrown(() => parseTopology(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`, 'json'))).toMatch(
      /^topology: nested deeper than 64 levels at line 1, column 321/,
    );
    // Brackets inside strings are no nesting; 64 levels are taken.
    const deep64 = `{"realms": [{"name": "A.TEST", "users": [{"name": "a", "password": "${'['.repeat(100)}"}]}], "trusts": ${'['.repeat(60)}${']'.repeat(60)}}`;
    expect(() => parseTopology(deep64, 'json')).toThrow(/^trusts\[0\]: expected an object, got a list$/);
  });

  it('refuses YAML nested deeper than 64, flow or block, before parsing it', () => {
    expect(thrown(() => parseTopology('['.repeat(2_000_000)))).toMatch(
      /^topology: nested deeper than 64 levels at line 1, column \d+ \(a serve file needs a few\)$/,
    );
    const block = Array.from({ length: 200 }, (_, k) => `${' '.repeat(k)}a:`).join('\n');
    expect(thrown(() => parseTopology(block))).toMatch(
      /^topology: nested deeper than 64 levels at line 65, /,
    );
    expect(thrown(() => parseTopology(`${'- '.repeat(100_000)}x\n`))).toMatch(
      /^topology: nested deeper than 64/,
    );
    // Brackets in values, quoted strings, comments and block scalars are no nesting.
    const t = parseTopology(
      `realms:\n  - name: A.TEST # ${'['.repeat(100)}\n    users:\n      - { name: a, password: "${'{'.repeat(100)}" }\n      - name: b\n        password: x${'['.repeat(100)}\n      - name: c\n        password: |\n${Array.from({ length: 100 }, (_, k) => `${' '.repeat(10 + k)}[`).join('\n')}\n`,
    );
    expect(t.realms[0]!.users).toHaveLength(3);
  });

  it('counts YAML nesting as the parser builds it: any value 40 deep or less is taken, any past 64 refused', () => {
    // Values nested `depth` deep (lists and maps, their strings full of YAML's punctuation), written by
    // the yaml package in block and flow styles, under a key the topology does not have: a file the
    // nesting check lets through fails on that key instead.
    const text = fc.string({
      unit: fc.constantFrom('a', ' ', '[', ']', '{', '}', '-', '#', ':', '|', '"', "'", '\n'),
    });
    // One level per step, innermost first: a list of what is inside, or a map with it under a key.
    const level = fc.oneof(
      fc.constant(undefined),
      fc.tuple(text, text).map(([key, other]) => ({ key, other })),
    );
    const nested = (depth: number): fc.Arbitrary<unknown> =>
      fc
        .tuple(text, fc.array(level, { minLength: depth, maxLength: depth }))
        .map(([leaf, levels]) =>
          levels.reduce<unknown>(
            (inner, l) => (l === undefined ? [inner] : { [`k${l.key}`]: inner, x: l.other }),
            leaf,
          ),
        );
    fc.assert(
      fc.property(
        fc
          .oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 65, max: 90 }))
          .chain((d) => fc.tuple(fc.constant(d), nested(d), fc.constantFrom('block', 'flow', 'compact'))),
        ([depth, value, style]) => {
          const yaml = stringifyYaml(
            { unknown: value },
            style === 'flow' ? { collectionStyle: 'flow' } : { indentSeq: style === 'block' },
          );
          const message = thrown(() => parseTopology(yaml));
          if (depth <= 40) expect(message, yaml).toMatch(/^topology\.unknown: unknown field/);
          else
            expect(message, yaml).toMatch(/^topology: nested deeper than 64 levels at line \d+, column \d+/);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('still finds a duplicate JSON key, as JSON.parse reads keys, without a second parse', () => {
    expect(
      thrown(() => parseTopology('{"realms": [{"name": "A.TEST", "n\\u0061me": "B.TEST"}]}', 'json')),
    ).toBe('topology: not valid JSON: Map keys must be unique at line 1, column 32');
  });
});

describe('YAML errors', () => {
  it('say what and where, never the text: an escape error does not quote the password', () => {
    const m = thrown(() =>
      parseTopology(
        'realms:\n  - name: A.TEST\n    users:\n      - { name: alice, password: "pa\\U5ecretHunter2" }\n',
      ),
    );
    expect(m).toBe(
      'topology: not valid YAML: an escape (\\) a double-quoted string does not have at line 4, column 37',
    );
    expect(m).not.toMatch(/5ecret|Hunter/);
  });

  it('name a billion-laughs file for what it is, not as an alias to no anchor', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [k, prev] of [...'bcdefgh'].map((c, i) => [c, 'abcdefg'[i]] as const)) {
      lines.push(`${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    lines.push('realms: *h');
    expect(thrown(() => parseTopology(`${lines.join('\n')}\n`))).toBe(
      'topology: not valid YAML: too many aliases (*name): the file would expand to far more than it holds (a "billion laughs" file)',
    );
  });
});

describe('what a value is, when it is wrong', () => {
  it('a number too large for a number is said so, not as null', () => {
    expect(thrown(() => parseTopology('realms: [{ name: A.TEST, port: 1e400 }]'))).toBe(
      'realms[0].port: expected a port number 1..65535, got a number too large (Infinity)',
    );
    expect(thrown(() => parseTopology('{"realms": [{"name": "A.TEST", "port": -1e400}]}', 'json'))).toBe(
      'realms[0].port: expected a port number 1..65535, got a number too large (-Infinity)',
    );
  });

  it('a string where an object or a list should be is said by its length, never echoed', () => {
    expect(thrown(() => parseTopology('"MySecretPassw0rd"'))).toBe(
      'topology: expected an object, got a string of 16 characters (not shown)',
    );
    expect(thrown(() => validateTopology({ realms: [{ name: 'A.TEST', users: ['alice:Hunter2'] }] }))).toBe(
      'realms[0].users[0]: expected an object, got a string of 13 characters (not shown)',
    );
    expect(thrown(() => validateTopology({ realms: 'Hunter2' }))).toBe(
      'realms: expected a list, got a string of 7 characters (not shown)',
    );
  });
});

describe('--replica-of', () => {
  const topology = parseTopology('realms: [{ name: CONTOSO.COM }]');
  for (const [what, text, message] of [
    ['null', 'null', 'the file: expected an object'],
    ['a list', '[]', 'the file: expected an object'],
    ['a realm that is null', '{"realms":{"CONTOSO.COM":null}}', 'realms.CONTOSO.COM: expected an object'],
    ['realms that are a string', '{"realms":"x"}', 'realms: expected an object'],
    [
      'kdcs that are no list',
      '{"realms":{"CONTOSO.COM":{"kdcs":7}}}',
      'realms.CONTOSO.COM.kdcs: expected a list',
    ],
  ] as const) {
    it(`refuses a ports.json that is ${what} by field, as a TopologyError (exit 2), not a TypeError`, async () => {
      const file = join(dir, 'ports.json');
      await writeFile(file, text);
      const e = await readReplicaOf(file, topology, new Map()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TopologyError);
      expect((e as Error).message).toContain(`--replica-of: ${file}: ${message}`);
    });
  }

  it('exits 2 from krbsim serve', async () => {
    const topo = join(dir, 'replica.yaml');
    const ports = join(dir, 'null-ports.json');
    await writeFile(topo, 'realms: [{ name: CONTOSO.COM }]\n');
    await writeFile(ports, 'null');
    const r = await runCaptured(['serve', topo, '--replica-of', ports, '--dir', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--replica-of: ${ports}: the file: expected an object`);
    expect(r.stderr).not.toContain('TypeError');
  });
});
