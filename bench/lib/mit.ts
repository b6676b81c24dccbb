/**
 * The MIT libkrb5 baseline: builds `bench/harness/mitbench.c` into
 * `bench/.bench-build/mitbench` (cached by a hash of the source, the compiler
 * flags and the compiler version). The suites run it in `--serve` mode
 * (./paired.ts), or once for a check or a sample (`mitExec`).
 *
 * When gcc or libkrb5-dev is missing, {@link buildMitHarness} says so plainly
 * and the suites print their node:crypto ratios only.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const BUILD_DIR = join(BENCH_DIR, '.bench-build');
const SOURCE = join(BENCH_DIR, 'harness', 'mitbench.c');
const BINARY = join(BUILD_DIR, 'mitbench');
const HASH_FILE = join(BUILD_DIR, 'mitbench.hash');

/** The harness is usable. */
export interface MitReady {
  ok: true;
  binary: string;
  /** e.g. "MIT krb5 1.20.1". */
  version: string;
  /** Whether this call compiled it (false: the cached build matched). */
  built: boolean;
}

/** The harness cannot be built here; `reason` says why, for the reader. */
export interface MitMissing {
  ok: false;
  reason: string;
}

export type MitHarness = MitReady | MitMissing;

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return {
    ok: !r.error && r.status === 0,
    out: (r.stdout ?? '').trim(),
    err: (r.stderr ?? '').trim(),
    missing,
  };
}

function krb5Flags(): { flags: string[]; version: string } | { reason: string } {
  const pc = run('pkg-config', ['--cflags', '--libs', 'krb5']);
  if (pc.ok && pc.out) {
    const v = run('pkg-config', ['--modversion', 'krb5']);
    return { flags: pc.out.split(/\s+/), version: `MIT krb5 ${v.ok ? v.out : '?'}` };
  }
  const kc = run('krb5-config', ['--cflags', '--libs', 'krb5']);
  if (kc.ok && kc.out) {
    const v = run('krb5-config', ['--version']);
    return {
      flags: kc.out.split(/\s+/),
      version: v.ok ? v.out.replace(/^Kerberos 5 release /, 'MIT krb5 ') : 'MIT krb5',
    };
  }
  return {
    reason:
      'libkrb5-dev not found: neither `pkg-config --libs krb5` nor `krb5-config --libs krb5` works ' +
      '(Debian: apt-get install libkrb5-dev pkg-config)',
  };
}

let cached: MitHarness | undefined;

/** Build (or reuse) the harness. Never throws: a failure is a {@link MitMissing}. */
export function buildMitHarness(): MitHarness {
  if (cached) return cached;
  cached = build();
  return cached;
}

function build(): MitHarness {
  const gcc = run('gcc', ['--version']);
  if (gcc.missing || !gcc.ok) return { ok: false, reason: 'gcc not found (Debian: apt-get install gcc)' };
  const k = krb5Flags();
  if ('reason' in k) return { ok: false, reason: k.reason };

  const source = readFileSync(SOURCE);
  const hash = createHash('sha256')
    .update(source)
    .update('\0')
    .update(k.flags.join(' '))
    .update('\0')
    .update(gcc.out.split('\n')[0] ?? '')
    .digest('hex');
  if (existsSync(BINARY) && existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8').trim() === hash) {
    return { ok: true, binary: BINARY, version: k.version, built: false };
  }

  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${BINARY}.tmp-${process.pid}`;
  const cc = run('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE, ...k.flags]);
  if (!cc.ok) {
    const detail = cc.err.split('\n').slice(0, 6).join('\n    ');
    const hint = /krb5\.h/.test(cc.err) ? ' (krb5.h not found: apt-get install libkrb5-dev)' : '';
    return { ok: false, reason: `gcc could not build bench/harness/mitbench.c${hint}:\n    ${detail}` };
  }
  renameSync(tmp, BINARY);
  writeFileSync(HASH_FILE, `${hash}\n`);
  return { ok: true, binary: BINARY, version: k.version, built: true };
}

// What must be identical in both flag sets of one `pnpm bench` run (e.g. the
// `make-samples` messages, which carry fresh keys and times) is produced once
// and shared through a per-run file. Figures are not shared: each flag set
// measures MIT again right beside krbsim, so a ratio never compares figures
// taken minutes apart on a machine whose load drifts.
const RUN_ID = process.env.KRBSIM_BENCH_RUN_ID;
/** Per run, so two `pnpm bench` at once cannot mix; run.ts removes it. */
export const mitCacheFile = (runId: string): string => join(BUILD_DIR, `mit-cache-${runId}.json`);
const CACHE_FILE = RUN_ID ? mitCacheFile(RUN_ID) : '';

let outputs: Record<string, string> | undefined;

function loadOutputs(): Record<string, string> {
  if (outputs) return outputs;
  outputs = {};
  if (RUN_ID && existsSync(CACHE_FILE)) {
    try {
      const disk = JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as {
        runId?: string;
        outputs?: Record<string, string>;
      };
      if (disk.runId === RUN_ID && disk.outputs) outputs = disk.outputs;
    } catch {
      // a torn file is simply redone
    }
  }
  return outputs;
}

/** Run one harness command without timing options (e.g. `make-samples`). */
export function mitExec(harness: MitReady, args: string[]): string {
  const r = spawnSync(harness.binary, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    throw new Error(`mitbench ${args[0]} failed: ${(r.stderr || String(r.error)).trim()}`);
  }
  return r.stdout;
}

/**
 * {@link mitExec}, but run once per `pnpm bench` run, so that both flag sets
 * get the same output (e.g. `make-samples`: the same message bytes).
 */
export function mitExecOncePerRun(harness: MitReady, args: string[]): string {
  const key = JSON.stringify(args);
  const o = loadOutputs();
  const hit = o[key];
  if (hit !== undefined) return hit;
  const out = mitExec(harness, args);
  o[key] = out;
  if (RUN_ID) {
    mkdirSync(BUILD_DIR, { recursive: true });
    writeFileSync(CACHE_FILE, JSON.stringify({ runId: RUN_ID, outputs: o }));
  }
  return out;
}
