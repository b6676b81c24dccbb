/**
 * Running MIT krb5 client tools (kinit, kvno, klist, kdestroy) against a
 * private profile: KRB5_CONFIG is always a generated krb5.conf, KRB5CCNAME a
 * file in the test's temp dir, and every run writes its own KRB5_TRACE file,
 * shown (with the KDC's request log) when a check fails. /etc/krb5.conf is
 * never read.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findTool } from '../mit-tools';
import { type CommandResult, runCommand, runOrThrow } from './processes';

export { findTool };

/** The MIT client tools the interop suites use. */
export const MIT_CLIENT_TOOLS = ['kinit', 'kvno', 'klist', 'kdestroy'] as const;

/** One tool run: the command's result plus its KRB5_TRACE text. */
export interface MitResult extends CommandResult {
  readonly command: string;
  readonly trace: string;
}

/** Options for {@link MitClient.run}. */
export interface MitRunOptions {
  /** Standard input (kinit reads the password from it). */
  readonly input?: string;
  /** The ccache file (without FILE:); default the client's `ccache`. */
  readonly ccache?: string;
  /** A different krb5.conf for this run. */
  readonly krb5conf?: string;
  readonly timeoutMs?: number;
}

let traceCounter = 0;

/**
 * MIT tools pointed at one krb5.conf and ccache. `diagnostics` is appended
 * to every failure message (e.g. the krbsim KDC log).
 */
export class MitClient {
  constructor(
    readonly tools: Readonly<Record<string, string>>,
    readonly dir: string,
    readonly krb5conf: string,
    readonly ccache: string,
    readonly diagnostics: () => string = () => '',
  ) {}

  /** Run `tool` with `args`; never throws for a non-zero exit (see {@link MitClient.ok}). */
  async run(tool: string, args: readonly string[], options: MitRunOptions = {}): Promise<MitResult> {
    const path = this.tools[tool] ?? findTool(tool);
    if (path === undefined) throw new Error(`${tool} not found`);
    const trace = `${this.dir}/trace-${tool}-${process.pid}-${++traceCounter}.log`;
    const r = await runCommand(path, args, {
      env: {
        KRB5_CONFIG: options.krb5conf ?? this.krb5conf,
        KRB5CCNAME: `FILE:${options.ccache ?? this.ccache}`,
        KRB5_TRACE: trace,
        KRB5RCACHETYPE: 'none',
        // Keep MIT away from the host's keytab and the user's own ccache collection.
        KRB5_KTNAME: `FILE:${this.dir}/no-such-keytab`,
        KRB5_CLIENT_KTNAME: `FILE:${this.dir}/no-such-client-keytab`,
      },
      ...(options.input !== undefined && { input: options.input }),
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    const traceText = await readFile(trace, 'utf8').catch(() => '');
    return { ...r, command: `${tool} ${args.join(' ')}`, trace: traceText };
  }

  /** Describe a run for an assertion message: exit, output, KRB5_TRACE and the diagnostics. */
  explain(r: MitResult): string {
    return [
      `\`${r.command}\` exited ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' (timed out)' : ''}`,
      `--- stdout\n${r.stdout}`,
      `--- stderr\n${r.stderr}`,
      `--- KRB5_TRACE\n${r.trace}`,
      `--- krbsim\n${this.diagnostics()}`,
    ].join('\n');
  }

  /** Run and require exit 0; the thrown error carries {@link MitClient.explain}. */
  async ok(tool: string, args: readonly string[], options: MitRunOptions = {}): Promise<MitResult> {
    const r = await this.run(tool, args, options);
    if (r.code !== 0) throw new Error(this.explain(r));
    return r;
  }
}

/** A `klist` (or `klist -e`) ticket line: `<start> <end> <principal>` and, with -e, its etypes. */
export interface KlistTicket {
  readonly server: string;
  /** `Etype (skey, tkt)` from `klist -e`, e.g. ['aes256-cts-hmac-sha1-96', 'aes256-cts-hmac-sha1-96']. */
  readonly sessionEtype?: string;
  readonly ticketEtype?: string;
}

/** Parse `klist [-e]` output: the default principal and the tickets in order. */
export function parseKlist(stdout: string): { principal?: string; tickets: KlistTicket[] } {
  const lines = stdout.split('\n');
  const principal = /^Default principal: (\S+)/m.exec(stdout)?.[1];
  const tickets: { server: string; sessionEtype?: string; ticketEtype?: string }[] = [];
  for (const line of lines) {
    const t = /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\s+\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\s+(\S+)/.exec(line);
    if (t) {
      tickets.push({ server: t[1]! });
      continue;
    }
    const e = /Etype \(skey, tkt\): ([^,\s]+), (\S+)/.exec(line);
    const last = tickets[tickets.length - 1];
    if (e && last) {
      last.sessionEtype = e[1]!;
      last.ticketEtype = e[2]!;
    }
  }
  return { ...(principal !== undefined && { principal }), tickets };
}

/**
 * Compiles `service-mit-helper.c` (MIT's acceptor and `krb5_rd_req`, driven
 * over stdin) with `gcc` against libkrb5 and libgssapi_krb5, into `dir`;
 * returns the binary's path.
 */
export async function buildServiceMitHelper(gcc: string, dir: string): Promise<string> {
  const helper = join(dir, 'service-mit-helper');
  const source = join(import.meta.dirname, '..', 'service-mit-helper.c');
  await runOrThrow(gcc, ['-o', helper, source, '-lgssapi_krb5', '-lkrb5']);
  return helper;
}
