/**
 * Shared plumbing for interop tests that drive external tools (MIT krb5's
 * klist/ktutil/kinit, Wireshark's tshark): locating the binaries, the
 * skip-or-fail rule, and running a tool to completion.
 *
 * Rule: when a tool is missing the suite is skipped with a printed reason,
 * unless `KRBSIM_REQUIRE_MIT=1` (CI), where the suite fails instead.
 */

import { spawn } from 'node:child_process';
import { describe, it } from 'vitest';
import { findTool } from './helpers/processes';

export { findTool };

/**
 * `describe(title, ...)` when every tool is found; otherwise a skipped suite
 * and a printed reason, or, with `KRBSIM_REQUIRE_MIT=1`, a failing one that
 * says what to `install`.
 */
export function describeWithTools(
  title: string,
  tools: readonly string[],
  body: (paths: Readonly<Record<string, string>>) => void,
  install = 'install MIT krb5 and tshark',
): void {
  const paths: Record<string, string> = {};
  const missing: string[] = [];
  for (const t of tools) {
    const p = findTool(t);
    if (p === undefined) missing.push(t);
    else paths[t] = p;
  }
  if (missing.length === 0) {
    describe(title, () => body(paths));
    return;
  }
  describeUnavailable(title, `${missing.join(', ')} not found on PATH`, install);
}

/**
 * The suite `title` cannot run here, for `reason`: skipped with a printed
 * reason, or, with `KRBSIM_REQUIRE_MIT=1`, a failing test that says what to
 * `install`.
 */
export function describeUnavailable(title: string, reason: string, install: string): void {
  if (process.env.KRBSIM_REQUIRE_MIT === '1') {
    describe(title, () => {
      it('has what it needs (KRBSIM_REQUIRE_MIT=1)', () => {
        throw new Error(`${title}: ${reason}; ${install} or unset KRBSIM_REQUIRE_MIT`);
      });
    });
    return;
  }
  console.warn(`skipping interop suite: ${title}: ${reason}`);
  describe.skip(title, () => {
    it('needs external tools', () => {});
  });
}

/**
 * One test that needs something `reason` says is missing (undefined: nothing
 * is): the test, or a skip with the printed reason, or, with
 * `KRBSIM_REQUIRE_MIT=1`, a failing test that says what is missing.
 */
export function itNeeds(reason: string | undefined, title: string, body: () => Promise<void>): void {
  if (reason === undefined) {
    it(title, body);
  } else if (process.env.KRBSIM_REQUIRE_MIT === '1') {
    it(title, () => {
      throw new Error(`${title}: ${reason}; install it or unset KRBSIM_REQUIRE_MIT`);
    });
  } else {
    console.warn(`skipping: ${title}: ${reason}`);
    it.skip(title, body);
  }
}

/** The outcome of {@link runTool}. */
export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `cmd` to completion (awaiting its `close` event, never a timer), with
 * a C locale, UTC, and `input` on stdin.
 */
export function runTool(
  cmd: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A tool that exits without reading its input (klist) closes the pipe: EPIPE is not a failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
