/**
 * Running Heimdal's client tools (kinit, klist, kgetcred, kdestroy) against
 * a private profile, as `mit.ts` runs MIT's: KRB5_CONFIG is a generated
 * krb5.conf, KRB5CCNAME a file in the test's temp dir, and every run logs
 * Heimdal's library trace (`[logging] krb5 = 0-/FILE:...`, Heimdal has no
 * KRB5_TRACE) to its own file, shown with the KDC's log when a check fails.
 *
 * Where Heimdal comes from: its Debian packages conflict with MIT's, so
 * `scripts/setup.sh` unpacks them (`apt-get download`, `dpkg -x`) into
 * `.tools/heimdal` at the repository root and the tools run with
 * LD_LIBRARY_PATH at its library directory. `KRBSIM_HEIMDAL_DIR` names
 * another such tree; a Heimdal installed system-wide (Debian's
 * `kinit.heimdal`) is used when neither exists.
 *
 * Missing Heimdal follows the rule of `mit-tools.ts`: the suite is skipped
 * with a printed reason, or fails when `KRBSIM_REQUIRE_MIT=1` (as in CI), the
 * same switch as for MIT, since scripts/setup.sh installs both.
 */

import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';
import { describeUnavailable } from '../mit-tools';
import { type CommandResult, runCommand } from './processes';

const ROOT = resolve(__dirname, '../../..');

/** A Heimdal installation the tests can run. */
export interface Heimdal {
  /** The tree the tools were found in (`/` for a system-wide install). */
  readonly root: string;
  /** The directory holding libkrb5.so.26, for LD_LIBRARY_PATH (none for a system install). */
  readonly libDir?: string;
  /** Executable and leading arguments of each tool. */
  readonly tools: Readonly<Record<HeimdalTool, readonly string[]>>;
  /** `kinit --version`'s first line, e.g. `kinit.heimdal (Heimdal 7.8.0)`. */
  readonly version: string;
}

/** The tools {@link HeimdalClient} runs. */
export type HeimdalTool = 'kinit' | 'klist' | 'kgetcred' | 'kdestroy';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directory under `root` holding Heimdal's libkrb5.so.26 (usr/lib/<multiarch> on Debian). */
function libDirOf(root: string): string | undefined {
  const lib = join(root, 'usr/lib');
  let dirs: string[];
  try {
    dirs = [lib, ...readdirSync(lib).map((d) => join(lib, d))];
  } catch {
    return undefined;
  }
  return dirs.find((d) => exists(join(d, 'libkrb5.so.26')));
}

function exists(path: string): boolean {
  try {
    accessSync(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Heimdal's tools under `root` (an unpacked Debian tree or `/`). klist and
 * kdestroy are `heimtools` subcommands; Debian names the others `*.heimdal`.
 */
function toolsIn(root: string): Record<HeimdalTool, readonly string[]> | undefined {
  const bin = join(root, 'usr/bin');
  const kinit = join(bin, 'kinit.heimdal');
  const heimtools = join(bin, 'heimtools');
  const kgetcred = join(bin, 'kgetcred');
  const kdestroy = join(bin, 'kdestroy.heimdal');
  if (![kinit, heimtools, kgetcred, kdestroy].every(executable)) return undefined;
  return { kinit: [kinit], klist: [heimtools, 'klist'], kgetcred: [kgetcred], kdestroy: [kdestroy] };
}

let found: Heimdal | string | undefined;

/**
 * The Heimdal to test with, or why there is none. Checked once per process:
 * the tools must be there and `kinit --version` must run (every library
 * resolved).
 */
function findHeimdal(): Heimdal | string {
  if (found !== undefined) return found;
  const env = process.env.KRBSIM_HEIMDAL_DIR;
  const roots = env !== undefined && env !== '' ? [env] : [join(ROOT, '.tools/heimdal'), '/'];
  for (const root of roots) {
    const tools = toolsIn(root);
    if (tools === undefined) continue;
    const libDir = root === '/' ? undefined : libDirOf(root);
    const r = spawnSync(tools.kinit[0]!, ['--version'], {
      env: { ...process.env, ...(libDir !== undefined && { LD_LIBRARY_PATH: libDir }) },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    if (r.status !== 0 || !/Heimdal/.test(out)) {
      found = `${tools.kinit[0]} --version failed (exit ${r.status}): ${out.split('\n')[0]}`;
      return found;
    }
    found = { root, ...(libDir !== undefined && { libDir }), tools, version: out.split('\n')[0]! };
    return found;
  }
  found = `Heimdal not found in ${roots.join(' or ')}`;
  return found;
}

/**
 * `describe(title, ...)` with a working Heimdal; otherwise skipped with a
 * reason, or failing under `KRBSIM_REQUIRE_MIT=1` (see `describeUnavailable`).
 */
export function describeWithHeimdal(title: string, body: (heimdal: Heimdal) => void): void {
  const h = findHeimdal();
  if (typeof h === 'string') {
    describeUnavailable(title, h, 'run scripts/setup.sh (it unpacks Heimdal into .tools/heimdal)');
    return;
  }
  describe(title, () => body(h));
}

/** One tool run: the command's result plus Heimdal's library trace. */
export interface HeimdalResult extends CommandResult {
  readonly command: string;
  readonly trace: string;
}

/** Options for {@link HeimdalClient.run}. */
export interface HeimdalRunOptions {
  /** Standard input (`kinit --password-file=STDIN` reads the password from it). */
  readonly input?: string;
  /** The ccache file (without FILE:); default the client's `ccache`. */
  readonly ccache?: string;
  /** A different krb5.conf for this run. */
  readonly krb5conf?: string;
  readonly timeoutMs?: number;
}

let runCounter = 0;

/**
 * Heimdal's tools pointed at one krb5.conf and ccache. `diagnostics` is
 * appended to every failure message (e.g. the krbsim KDC log).
 */
export class HeimdalClient {
  constructor(
    readonly heimdal: Heimdal,
    readonly dir: string,
    readonly krb5conf: string,
    readonly ccache: string,
    readonly diagnostics: () => string = () => '',
  ) {}

  /** Run `tool` with `args`; never throws for a non-zero exit (see {@link HeimdalClient.ok}). */
  async run(
    tool: HeimdalTool,
    args: readonly string[],
    options: HeimdalRunOptions = {},
  ): Promise<HeimdalResult> {
    const n = ++runCounter;
    const trace = join(this.dir, `heimdal-trace-${tool}-${process.pid}-${n}.log`);
    // The krb5.conf of this run: the given one plus a [logging] section for the trace.
    const conf = join(this.dir, `heimdal-krb5-${process.pid}-${n}.conf`);
    const base = await readFile(options.krb5conf ?? this.krb5conf, 'utf8');
    await writeFile(conf, `${base}\n[logging]\n    krb5 = 0-/FILE:${trace}\n`);
    const [cmd, ...pre] = this.heimdal.tools[tool];
    const r = await runCommand(cmd!, [...pre, ...args], {
      env: {
        KRB5_CONFIG: conf,
        KRB5CCNAME: `FILE:${options.ccache ?? this.ccache}`,
        // Keep Heimdal away from the host's keytab.
        KRB5_KTNAME: `FILE:${this.dir}/no-such-keytab`,
        ...(this.heimdal.libDir !== undefined && { LD_LIBRARY_PATH: this.heimdal.libDir }),
      },
      ...(options.input !== undefined && { input: options.input }),
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const traceText = await readFile(trace, 'utf8').catch(() => '');
    return { ...r, command: `${tool} ${args.join(' ')}`, trace: traceText };
  }

  /** Describe a run for an assertion message: exit, output, trace and the diagnostics. */
  explain(r: HeimdalResult): string {
    return [
      `\`${r.command}\` (${this.heimdal.version}) exited ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' (timed out)' : ''}`,
      `--- stdout\n${r.stdout}`,
      `--- stderr\n${r.stderr}`,
      `--- Heimdal trace\n${r.trace}`,
      `--- krbsim\n${this.diagnostics()}`,
    ].join('\n');
  }

  /** Run and require exit 0; the thrown error carries {@link HeimdalClient.explain}. */
  async ok(
    tool: HeimdalTool,
    args: readonly string[],
    options: HeimdalRunOptions = {},
  ): Promise<HeimdalResult> {
    const r = await this.run(tool, args, options);
    if (r.code !== 0) throw new Error(this.explain(r));
    return r;
  }
}

/** One credential of Heimdal's `klist -v`. */
export interface HeimdalTicket {
  readonly server: string;
  readonly client: string;
  /** `Ticket etype: aes256-cts-hmac-sha384-192, kvno 1`: the etype name. */
  readonly etype?: string;
  /** `Ticket flags: enc-pa-rep, pre-authent, initial, forwardable`. */
  readonly flags: readonly string[];
}

/** Parse Heimdal's `klist -v`: the cache's principal and each credential, in order. */
export function parseHeimdalKlist(stdout: string): { principal?: string; tickets: HeimdalTicket[] } {
  const principal = /^\s*Principal: (\S+)/m.exec(stdout)?.[1];
  const tickets: HeimdalTicket[] = [];
  for (const block of stdout.split(/^Server: /m).slice(1)) {
    const server = block.split('\n')[0]!.trim();
    const client = /^Client: (\S+)/m.exec(block)?.[1] ?? '';
    const etype = /^Ticket etype: ([^,\s]+)/m.exec(block)?.[1];
    const flags = /^Ticket flags: (.*)$/m.exec(block)?.[1]?.split(/,\s*/) ?? [];
    tickets.push({ server, client, ...(etype !== undefined && { etype }), flags });
  }
  return { ...(principal !== undefined && { principal }), tickets };
}

/** The Heimdal packages unpacked by scripts/setup.sh (`package version` lines), for fixture notes. */
export function heimdalPackages(h: Heimdal): string[] {
  try {
    return readFileSync(join(h.root, 'packages.txt'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}
