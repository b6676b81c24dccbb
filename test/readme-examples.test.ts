/**
 * Every package README opens with a runnable TypeScript example. This runs
 * the first ```ts block of each, as written (imports resolve to the
 * packages' sources), with console.log captured as console.log formats it
 * (objects through util.inspect, on one line), and checks what it printed
 * against what the README says it prints, so a README cannot drift from the
 * code.
 *
 * Later blocks in a README are fragments that build on the first.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatWithOptions } from 'node:util';
import { describe, expect, it } from 'vitest';

const PACKAGES = new URL('../packages/', import.meta.url);

/** What an example logged, and the bindings {@link EXPORTS} names for `pkg`. */
interface ExampleRun {
  /** Each console.log call as console.log formats it (util.format; objects through util.inspect), on one line. */
  readonly lines: string[];
  readonly bindings: Record<string, unknown>;
}

/** Runs the first ```ts block of `pkg`'s README, exporting the bindings {@link EXPORTS} names. */
async function runFirstExample(pkg: string): Promise<ExampleRun> {
  const readme = readFileSync(new URL(`${pkg}/README.md`, PACKAGES), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error(`packages/${pkg}/README.md has no \`\`\`ts example`);
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-readme-'));
  const file = join(dir, `${pkg}-example.ts`);
  const lines: string[] = [];
  const log = console.log;
  const names = EXPORTS[pkg] ?? [];
  try {
    // The example's `/tmp/<name>` files go to the private directory: runs side by side never share them.
    const source = code.replace(/(['`])\/tmp\//g, `$1${dir}/`);
    writeFileSync(file, names.length === 0 ? source : `${source}\nexport { ${names.join(', ')} };\n`);
    console.log = (...a: unknown[]) =>
      lines.push(formatWithOptions({ breakLength: Number.POSITIVE_INFINITY }, ...a));
    const bindings = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    return { lines, bindings };
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bindings of an example whose README states their values in comments rather than logging them. */
const EXPORTS: Record<string, readonly string[]> = {
  asn1: ['ticket', 'der', 'back', 'msg'],
};

/** What each package's example must print (and what its README says of the bindings it exports). */
const EXPECTED: Record<string, (lines: string[], bindings: Record<string, unknown>) => void> = {
  asn1: (l, { ticket, der, back, msg }) => {
    // console.log(messageToJson(msg).sname); // { nameType: 2, nameTypeName: 'NT_SRV_INST', nameString: [...] }
    expect(l).toEqual([
      "{ nameType: 2, nameTypeName: 'NT_SRV_INST', nameString: [ 'krbtgt', 'EXAMPLE.COM' ] }",
    ]);
    // const der = encodeTicket(ticket); // 61 81 8b 30 81 88 a0 03 02 01 05 ...
    expect(Buffer.from((der as Uint8Array).subarray(0, 11)).toString('hex')).toBe('61818b308188a003020105');
    // const back = decodeTicket(der); // deep-equals `ticket` (kvno etc. as given)
    expect(back).toEqual(ticket);
    // const msg = decodeMessage(der); // { type: 'Ticket', value: back }
    expect(msg).toEqual({ type: 'Ticket', value: back });
  },
  azure: (l) => {
    expect(l.slice(0, 2)).toEqual(['CONTOSO\\alice', 'CONTOSO\\alice']);
    expect(l[2]).toContain('KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)');
    expect(l[3]).toMatch(/^sequenceDiagram/);
  },
  cli: (l) => {
    expect(l[0]).toMatch(
      /^\{"realm":"CONTOSO\.COM","host":"127\.0\.0\.1","udpPort":\d+,"tcpPort":\d+,"kpasswdPort":\d+\}$/,
    );
    expect(l[1]).toMatch(/krb5\.conf$/);
  },
  client: (l) => expect(l).toEqual(['alice@CONTOSO.COM']),
  core: (l) => {
    expect(l).toHaveLength(1);
    expect(l[0]).toContain('KRB_AP_ERR_SKEW (37)');
    // 16 confounder bytes; the manual clock at 2026-01-01T00:00Z advanced ten minutes.
    expect(l[0]).toMatch(/ 16 1767226200000$/);
  },
  crypto: (l) => expect(l).toEqual(['hello, realm', 'true']),
  files: (l) => {
    expect(l[0]).toBe('2');
    expect(l[1]).toContain('default_realm = CONTOSO.COM');
  },
  kdc: (l) => {
    expect(l[0]).toBe('krbtgt/KERBEROS.MICROSOFTONLINE.COM');
    expect(l[1]).toBe('CONTOSO.COM KERBEROS.MICROSOFTONLINE.COM 18');
    expect(l[2]!.split('\n')).toEqual([
      'AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
      'TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@CONTOSO.COM -> TGS-REP (referral to KERBEROS.MICROSOFTONLINE.COM)',
      'TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM -> TGS-REP',
    ]);
  },
  pac: (l) =>
    expect(l).toEqual([
      '1104 513 1105',
      'PacError: KRB_AP_ERR_MODIFIED (41): server signature (PAC buffer 6): does not match',
    ]),
  pki: (l) => expect(l).toEqual(['1.3.6.1.5.2.3.5', '2']),
  service: (l) => expect(l).toEqual(['alice@CONTOSO.COM spnego true', 'KRB_AP_ERR_REPEAT']),
  tds: (l) => expect(l).toEqual(['CONTOSO\\alice', 'true']),
  testing: (l) => expect(l).toEqual([]),
  transport: (l) => expect(l).toEqual([]),
};

describe('package README examples', () => {
  it('every package has an entry here', () => {
    const pkgs = readdirSync(PACKAGES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(pkgs).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [pkg, check] of Object.entries(EXPECTED)) {
    it(`packages/${pkg}/README.md: the first example runs and prints what it says`, async () => {
      const { lines, bindings } = await runFirstExample(pkg);
      check(lines, bindings);
    }, 60_000);
  }
});
