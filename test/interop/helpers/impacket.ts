/**
 * Impacket's example tools (Debian's python3-impacket: getTGT, getST,
 * mssqlclient, ticketer, ...) run against krbsim's KDCs and TDS listeners on
 * loopback, through `impacket-run.py`, which points Impacket's connections to
 * port 88 (and to a SQL Server's name and port) at the ports the OS chose.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandResult, findTool, runCommand } from './processes';

const DRIVER = join(__dirname, 'impacket-run.py');
/** Where Debian installs the example tools (only a few of them get an `impacket-*` command). */
const DEBIAN_EXAMPLES = '/usr/share/doc/python3-impacket/examples';

/** A python3 that imports impacket, with the example tools found, or why there is none. */
export function findImpacket(): { python?: string; reason?: string } {
  for (const p of ['/usr/bin/python3', findTool('python3')]) {
    if (p === undefined) continue;
    if (spawnSync(p, ['-c', 'import impacket'], { stdio: 'ignore' }).status !== 0) continue;
    if (!existsSync(join(DEBIAN_EXAMPLES, 'getTGT.py')) && findTool('getTGT.py') === undefined) {
      return {
        reason: `impacket imports, but its example tools are neither in ${DEBIAN_EXAMPLES} nor on PATH`,
      };
    }
    return { python: p };
  }
  return { reason: 'no python3 here imports impacket (install python3-impacket)' };
}

/** Options for {@link runImpacket}. */
export interface ImpacketRunOptions {
  /** `host:port` -> `127.0.0.1:port`: where Impacket's connections to `host:port` go (host without regard to case). */
  readonly map: Readonly<Record<string, string>>;
  /** A `krbsim serve` ports.json whose KDCs and instances are mapped too (the driver's `--ports`). */
  readonly ports?: string;
  /** The working directory: getTGT, getST and ticketer write `<name>.ccache` there. */
  readonly cwd: string;
  /** KRB5CCNAME, for `-k`. */
  readonly ccache?: string;
  /**
   * Read an absent starttime or renew-till as a ccache's 0 ("not set") when Impacket writes a
   * ccache; without it Impacket 0.10.0 fails on a reply that leaves either out (see the driver).
   */
  readonly absentTimesAsZero?: boolean;
  readonly timeoutMs?: number;
}

/** Runs Impacket's `tool` (`getTGT`, `getST`, ...) with `args`; never throws for a non-zero exit. */
export function runImpacket(
  python: string,
  tool: string,
  args: readonly string[],
  options: ImpacketRunOptions,
): Promise<CommandResult & { readonly out: string }> {
  const driverArgs = [
    ...(options.absentTimesAsZero === true ? ['--absent-times-as-zero'] : []),
    ...(options.ports === undefined ? [] : ['--ports', options.ports]),
    ...Object.entries(options.map).flatMap(([from, to]) => ['--map', `${from}=${to}`]),
  ];
  return runCommand(python, [DRIVER, ...driverArgs, tool, ...args], {
    cwd: options.cwd,
    // Impacket reads KRB5CCNAME only, never the user's default ccache; the driver drops an empty one.
    env: { KRB5CCNAME: options.ccache ?? '', PYTHONUNBUFFERED: '1' },
    timeoutMs: options.timeoutMs ?? 60_000,
  }).then((r) => ({ ...r, out: r.stdout + r.stderr }));
}
