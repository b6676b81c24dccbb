/**
 * The MIT libkrb5 baseline: builds `bench/harness/mitbench.c` into
 * `bench/.bench-build/mitbench` (cached by a hash of the source, the compiler
 * flags and the compiler version) and runs its calibrated loops.
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

/** One measurement printed by the harness (all times in nanoseconds). */
export interface MitResult {
  op: string;
  ns_per_op: number;
  min_ns: number;
  max_ns: number;
  iterations: number;
  samples: number[];
  roundtrip?: boolean;
  [extra: string]: unknown;
}

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: !r.error && r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim(), missing };
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
    return { flags: kc.out.split(/\s+/), version: v.ok ? v.out.replace(/^Kerberos 5 release /, 'MIT krb5 ') : 'MIT krb5' };
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

/** Default per-call timing: ~200 ms samples, 5 of them, median reported. */
export interface MitTiming {
  targetMs?: number;
  samples?: number;
  warmupMs?: number;
}

let timing: Required<MitTiming> = { targetMs: 200, samples: 5, warmupMs: 100 };

/** Used by `--quick` runs. */
export function setMitTiming(t: MitTiming): void {
  timing = { ...timing, ...t };
}

// MIT's figures do not depend on Node's flags, so one `pnpm bench` measures
// each MIT case once and the second flag set reuses it (same run id).
const RUN_ID = process.env.KRBSIM_BENCH_RUN_ID;
const CACHE_FILE = join(BUILD_DIR, 'mit-cache.json');
let memo: { runId: string; results: Record<string, MitResult> } | undefined;

function loadMemo(): { runId: string; results: Record<string, MitResult> } {
  if (memo) return memo;
  memo = { runId: RUN_ID ?? '', results: {} };
  if (RUN_ID && existsSync(CACHE_FILE)) {
    try {
      const disk = JSON.parse(readFileSync(CACHE_FILE, 'utf8'));
      if (disk.runId === RUN_ID) memo = disk;
    } catch {
      // a stale or torn cache is simply remeasured
    }
  }
  return memo!;
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
 * Measure one operation with the harness. Results are memoized for the
 * current `pnpm bench` run; `reused` tells whether this one was.
 */
export function mitMeasure(harness: MitReady, args: string[]): { result: MitResult; reused: boolean } {
  const key = JSON.stringify(args);
  const m = loadMemo();
  const hit = m.results[key];
  if (hit) return { result: hit, reused: true };
  const out = mitExec(harness, [
    ...args,
    '--target-ms',
    String(timing.targetMs),
    '--samples',
    String(timing.samples),
    '--warmup-ms',
    String(timing.warmupMs),
  ]);
  const line = out.trim().split('\n').pop() ?? '';
  const result = JSON.parse(line) as MitResult;
  m.results[key] = result;
  if (RUN_ID) {
    mkdirSync(BUILD_DIR, { recursive: true });
    writeFileSync(CACHE_FILE, JSON.stringify(m));
  }
  return { result, reused: false };
}
