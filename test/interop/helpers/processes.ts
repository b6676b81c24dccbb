/**
 * Process plumbing for interop tests that drive MIT krb5 (or the krbsim CLI)
 * as separate processes: temp dirs, commands with a hard timeout, long-running
 * processes in their own process group that a test always stops, and bounded
 * waits on a condition or on a process's output (never a bare sleep).
 *
 * Everything a test starts here is registered and stopped by
 * {@link stopAllProcesses}, which a suite calls from `afterAll`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { accessSync, constants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const EXTRA_DIRS = [
  '/usr/bin',
  '/usr/sbin',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/opt/homebrew/opt/krb5/bin',
];

/** The absolute path of `name` on PATH (or the usual sbin directories), if executable. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A temp directory and a way to remove it. */
export interface TempDir {
  readonly path: string;
  /** `path` joined with `parts`. */
  file(...parts: string[]): string;
  remove(): Promise<void>;
}

/** Make a fresh temp directory `krbsim-<prefix>-XXXXXX`. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `krbsim-${prefix}-`));
  return {
    path,
    file: (...parts) => join(path, ...parts),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** The outcome of {@link runCommand}. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was killed for running past its timeout. */
  readonly timedOut: boolean;
}

/** Options for {@link runCommand} and {@link startProcess}. */
export interface ProcessOptions {
  /** Variables added to (and overriding) the environment. Locale is C and TZ UTC unless set here. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Kill the process group after this long (runCommand: default 30 s; startProcess: no default). */
  readonly timeoutMs?: number;
}

function childEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC', ...extra };
}

/** Send `signal` to the process group led by `child` (started detached), falling back to the child. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Run `cmd` to completion in its own process group; after `timeoutMs` the
 * whole group is killed (SIGKILL) and `timedOut` is set. Resolves on the
 * child's `close` event, never on a timer alone.
 */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: childEnv(options.env),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin!.on('error', () => {}); // a tool that exits before reading its input
    child.stdin!.end(options.input ?? '');
  });
}

/**
 * {@link runCommand}, for a step that must succeed: its stdout, or an error
 * naming the command, its exit code and its output.
 */
export async function runOrThrow(
  cmd: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<string> {
  const r = await runCommand(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A long-running process started by {@link startProcess}. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once `predicate(stdout)` holds; rejects if the process exits first or after `timeoutMs`. */
  waitForOutput(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code and signal once the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send `signal` to the process only (not its group). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL the whole group, if still running, and wait for the exit. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<RunningProcess>();

/** Start `cmd` in its own process group. Stop it with `stop()` or {@link stopAllProcesses}. */
export function startProcess(
  cmd: string,
  args: readonly string[],
  options: ProcessOptions = {},
): RunningProcess {
  const child = spawn(cmd, args, {
    env: childEnv(options.env),
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
      notify();
    });
    child.on('error', (e) => {
      err += `\nspawn error: ${e.message}`;
      exit = { code: null, signal: null };
      resolve(exit);
      notify();
    });
  });
  child.stdin!.on('error', () => {});
  if (options.input !== undefined) child.stdin!.end(options.input);
  // A hard ceiling, so a hung process cannot outlive its test by much.
  const ceiling =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs);
  void exitedPromise.then(() => clearTimeout(ceiling));

  const handle: RunningProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(out)) {
            done();
            resolve(out);
          } else if (exit !== undefined) {
            done();
            reject(
              new Error(
                `${cmd} exited (code ${exit.code}, signal ${exit.signal}) before the expected output\n--- stdout\n${out}\n--- stderr\n${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${cmd}'s output\n--- stdout\n${out}\n--- stderr\n${err}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited: () => exitedPromise,
    signal(signal) {
      if (exit === undefined) child.kill(signal);
    },
    async stop() {
      if (exit === undefined) killGroup(child, 'SIGKILL');
      await exitedPromise;
      running.delete(handle);
    },
  };
  running.add(handle);
  void exitedPromise.then(() => {
    // Make sure nothing the process started outlives it.
    killGroup(child, 'SIGKILL');
  });
  return handle;
}

/** Stop every process {@link startProcess} started that is still registered, and free the ports {@link holdClosed} holds. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
  for (const release of held) release();
  held.clear();
}

const held = new Set<() => void>();

/**
 * Holds a UDP and a TCP port that a stopped server freed, refusing as a dead
 * host's would, until {@link stopAllProcesses}: otherwise a server another
 * test file starts meanwhile may be given the port and answer a client in the
 * dead one's place. The UDP socket is connected elsewhere, so it takes no
 * datagram and the kernel answers port unreachable; the TCP listener accepts
 * and at once resets every connection (Node cannot bind a TCP port without
 * listening), which clients take as a failed KDC as they do a refusal. Retries while the stopped process's sockets are still closing;
 * fails after `waitFor`'s timeout if another process took a port first.
 */
export async function holdClosed(host: string, udp: number, tcp: number): Promise<void> {
  const bound = <T>(what: string, bind: () => Promise<T>) =>
    waitFor(
      () =>
        bind().catch((e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? undefined : Promise.reject(e))),
      `${what} to be free`,
    );
  const socket = await bound(`udp ${host}:${udp}`, () => {
    const s = createSocket('udp4');
    return new Promise<Socket>((ok, fail) => {
      s.once('error', (e) => {
        s.close();
        fail(e);
      });
      s.bind(udp, host, () => s.connect(9, host, () => ok(s)));
    });
  });
  held.add(() => socket.close());
  const server = await bound(`tcp ${host}:${tcp}`, () => {
    const s = createServer((c) => c.resetAndDestroy());
    return new Promise<Server>((ok, fail) => {
      s.once('error', fail);
      s.listen(tcp, host, () => ok(s));
    });
  });
  held.add(() => server.close());
}

/**
 * Poll `condition` every `intervalMs` until it returns a value other than
 * `undefined`/`false`, or fail after `timeoutMs`. For conditions no event
 * announces (a file appearing); prefer awaiting an event when there is one.
 */
export async function waitFor<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  { timeoutMs = 10_000, intervalMs = 25 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await condition();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Whether a process of the process group `group` (a {@link startProcess}
 * child leads its own) listens on TCP `port`: the listening socket's inode,
 * from /proc/net/tcp and tcp6, among the group's open descriptors. A connect
 * that succeeds proves only that some process listens there (another test
 * file's server may have been given the port first). Linux only.
 */
export function groupListensOn(group: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch (e) {
      // Without IPv6 there is no tcp6; without /proc at all nothing can be told.
      if (table === '/proc/net/tcp') throw new Error(`groupListensOn needs Linux's ${table}: ${String(e)}`);
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... uid timeout inode; st 0A is LISTEN.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9] !== undefined)
        inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (inodes.size === 0) return false;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // The process group is the fifth field of stat, after the parenthesised command.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== group) continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`))
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return false;
}
