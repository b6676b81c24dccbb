/**
 * How the exchange suites measure, and what bench/lib/measure.ts does not do
 * for operations of this size (tens to hundreds of µs):
 *
 * - Batching. mitata batches calls (4096 per sample, a sample's time divided
 *   by 4096) only when one warm-up call took at most 65.5 µs; otherwise
 *   every sample is a single call and the figure is the median call. An
 *   exchange costs 30-300 µs, and whether a warm-up call lands on a GC pause
 *   decides which of the two is measured: the median single call leaves the
 *   garbage collector's work out and read half the batched figure for
 *   `accept` (29 µs against 60 µs in the same process). {@link measureCases}
 *   always batches, with a batch sized to ~20 ms, so every figure is
 *   throughput: the GC's cost included, amortized over the calls that cause it.
 * - Async operations. runSuite passes mitata `() => do_not_optimize(fn())`,
 *   whose result is undefined, so a returned Promise is never awaited; a
 *   client's AS or TGS exchange is async (its transport is). Here an async
 *   case is awaited on every call.
 * - Warm-up. krbsim's exchanges take seconds of CPU before V8 has optimized
 *   them (a client AS exchange: ~2.9 ms per call at first, ~0.23 ms after
 *   ~4 s); runSuite warms a case for 50 ms. {@link measureCases} warms each
 *   case for `warmMs` first.
 *
 * Figures are the fastest of `rounds` interleaved rounds (every case once
 * per round), each round the median of its batches, timed with the run's
 * clock (process CPU time when run.ts pins the run): the same rules as
 * runSuite, so figures compare with the other suites'.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { do_not_optimize, measure } from 'mitata';
import { fmtOps, fmtRatio, fmtTime } from './measure';
import { BUILD_DIR } from './mit';

export interface RunOptions {
  readonly quick: boolean;
  readonly clock: 'wall' | 'cpu';
  /** Interleaved rounds: 4 (1 with --quick). */
  readonly rounds: number;
  /** Minimum measured time per case per round, ms. */
  readonly minTimeMs: number;
  /** The flag set run.ts runs this child under (`default`, `single-threaded-gc`). */
  readonly flagSet: string;
  /** run.ts's id for the whole `pnpm bench` (both flag sets), if run by it. */
  readonly runId: string | undefined;
}

function argAfter(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The options run.ts gave this child process (argv, env), or standalone defaults. */
export function runOptions(quick: boolean): RunOptions {
  const c = argAfter('--clock');
  return {
    quick,
    clock: c === 'cpu' || c === 'wall' ? c : 'wall',
    rounds: quick ? 1 : 4,
    minTimeMs: quick ? 100 : 250,
    flagSet:
      argAfter('--flags') ??
      (process.execArgv.includes('--single-threaded-gc') ? 'single-threaded-gc' : 'default'),
    runId: process.env.KRBSIM_BENCH_RUN_ID,
  };
}

/** Warm-up per case: `full` ms in a full run, at most 400 ms with --quick. */
export function warmMs(opts: RunOptions, full = 2500): number {
  return opts.quick ? Math.min(400, full) : full;
}

/** Process CPU time in ns. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

export interface CaseSpec {
  readonly name: string;
  /** One operation; may return a Promise (then awaited). */
  readonly fn: () => unknown;
  /** Warm-up before measuring, ms (default {@link warmMs}). */
  readonly warmMs?: number;
}

export interface Figure {
  readonly name: string;
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  /** The round's 25th and 75th percentile of batch means, ns. */
  readonly p25: number;
  readonly p75: number;
  /** Calls per batch. */
  readonly batch: number;
}

async function callFor(fn: () => unknown, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    for (let k = 0; k < 4; k++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
    n += 4;
  }
  return n;
}

/**
 * Measure every case (see the module doc): warm each, size its batch to
 * ~20 ms, then `opts.rounds` interleaved rounds, calling `afterRound` after
 * each (the suites measure MIT there, so that both sides of a ratio see the
 * same moments of a shared machine). Throws if a case throws.
 */
export async function measureCases(
  cases: readonly CaseSpec[],
  opts: RunOptions,
  afterRound?: (round: number) => void,
): Promise<Figure[]> {
  const prepared: { spec: CaseSpec; run: () => unknown; batch: number; best?: Figure }[] = [];
  for (const spec of cases) {
    const first = spec.fn();
    const isAsync = first instanceof Promise;
    if (isAsync) await first; // errors surface here, plainly
    await callFor(spec.fn, spec.warmMs ?? warmMs(opts));
    const t0 = performance.now();
    const n = await callFor(spec.fn, opts.quick ? 50 : 150);
    const estNs = ((performance.now() - t0) * 1e6) / n;
    const batch = Math.max(8, Math.min(4096, Math.round(20e6 / estNs / 4) * 4));
    const fn = spec.fn;
    const run = isAsync
      ? async () => {
          do_not_optimize(await fn());
        }
      : () => do_not_optimize(fn());
    prepared.push({ spec, run, batch });
  }
  for (let r = 0; r < opts.rounds; r++) {
    for (const p of prepared) {
      const stats = await measure(p.run, {
        min_cpu_time: opts.minTimeMs * 1e6,
        min_samples: opts.quick ? 5 : 8,
        batch_threshold: Number.POSITIVE_INFINITY,
        warmup_threshold: Number.POSITIVE_INFINITY,
        batch_samples: p.batch,
        ...(opts.clock === 'cpu' ? { now: cpuNow } : {}),
      });
      if (!p.best || stats.p50 < p.best.nsPerOp) {
        p.best = {
          name: p.spec.name,
          nsPerOp: stats.p50,
          opsPerSec: 1e9 / stats.p50,
          p25: stats.p25,
          p75: stats.p75,
          batch: p.batch,
        };
      }
    }
    afterRound?.(r);
  }
  return prepared.map((p) => p.best!);
}

const NAME_W = 58;

/** A line shaped like runSuite's: `name   ops/s   time/op   (tail)`. */
export function figureText(label: string, nsPerOp: number | null, tail = '', indent = ''): string {
  const body =
    nsPerOp == null
      ? 'not measured'
      : `${fmtOps(1e9 / nsPerOp).padStart(11)} ops/s ${fmtTime(nsPerOp).padStart(9)}/op`;
  return `${indent}${label.padEnd(NAME_W - indent.length)} ${body}${tail}`;
}

/** "12,300 ops/s (81.3 µs/op)" for a note. */
export function opsText(nsPerOp: number): string {
  return `${fmtOps(1e9 / nsPerOp)} ops/s (${fmtTime(nsPerOp)}/op)`;
}

// --- results across the flag sets of one run ----------------------------------

/** One row of a suite's results: a krbsim figure, a baseline, or a remark. */
export interface Row {
  readonly name: string;
  /** ns/op, or null when not measured (see `text`). */
  readonly nsPerOp: number | null;
  /** Extra text for the row (e.g. latency and CPU figures of the UDP suite). */
  readonly text?: string;
  /** baseline row name -> baseline ns ÷ this row's ns (above 1: krbsim faster). */
  readonly ratios?: Readonly<Record<string, number>>;
}

interface FlagSetRecord {
  readonly flagSet: string;
  readonly nodeFlags: string[];
  readonly loadAvg: [number, number];
  readonly clock: string;
  readonly rows: Row[];
  readonly notes: string[];
}

interface SuiteRecord {
  readonly runId: string;
  readonly date: string;
  readonly flagSets: FlagSetRecord[];
}

/**
 * Keep this flag set's rows in bench/.bench-build/<suite>-last.json (merged
 * with the other flag set of the same `pnpm bench` run), write
 * <suite>-last.md from them, and return the markdown.
 */
export function recordFlagSet(
  suiteName: string,
  opts: RunOptions,
  rows: Row[],
  notes: string[],
  loadBefore: number,
  clockText?: string,
): string {
  const file = join(BUILD_DIR, `${suiteName}-last.json`);
  const runId = opts.runId ?? `standalone-${process.pid}`;
  let rec: SuiteRecord = { runId, date: new Date().toISOString(), flagSets: [] };
  if (existsSync(file)) {
    try {
      const old = JSON.parse(readFileSync(file, 'utf8')) as SuiteRecord;
      if (old.runId === runId) rec = old;
    } catch {
      // unreadable: start over
    }
  }
  const nodeFlags = process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--import'));
  const entry: FlagSetRecord = {
    flagSet: opts.flagSet,
    nodeFlags,
    loadAvg: [Number(loadBefore.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
    clock: clockText ?? (opts.clock === 'cpu' ? 'process CPU time (pinned)' : 'wall time'),
    rows,
    notes,
  };
  rec = { ...rec, flagSets: [...rec.flagSets.filter((f) => f.flagSet !== opts.flagSet), entry] };
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
  const md = renderRecord(suiteName, rec);
  writeFileSync(join(BUILD_DIR, `${suiteName}-last.md`), md);
  return md;
}

function renderRecord(suiteName: string, rec: SuiteRecord): string {
  const sets = rec.flagSets;
  const head = sets.map((f) => `\`${f.nodeFlags.join(' ') || '(default flags)'}\``).join(' / ');
  const lines = [
    `### ${suiteName}`,
    '',
    `Each cell: ${head}. Load average (1 min) before/after: ${sets.map((f) => `${f.loadAvg[0]}/${f.loadAvg[1]}`).join(', ')}. Clock: ${sets[0]?.clock ?? '?'}.`,
    '',
  ];
  const names: string[] = [];
  for (const f of sets) for (const r of f.rows) if (!names.includes(r.name)) names.push(r.name);
  const ratioNames: string[] = [];
  for (const f of sets)
    for (const r of f.rows)
      for (const k of Object.keys(r.ratios ?? {})) if (!ratioNames.includes(k)) ratioNames.push(k);
  const withText = sets.some((f) => f.rows.some((r) => r.text !== undefined));
  lines.push(
    `| operation | ops/s | µs/op |${ratioNames.map((n) => ` vs ${n} |`).join('')}${withText ? ' |' : ''}`,
  );
  lines.push(`| --- | ---: | ---: |${ratioNames.map(() => ' ---: |').join('')}${withText ? ' --- |' : ''}`);
  for (const name of names) {
    const rows = sets.map((f) => f.rows.find((r) => r.name === name));
    const cell = (g: (r: Row) => string) => rows.map((r) => (r ? g(r) : '—')).join(' / ');
    const ops = cell((r) => (r.nsPerOp == null ? '—' : fmtOps(1e9 / r.nsPerOp)));
    const us = cell((r) => (r.nsPerOp == null ? '—' : fmtTime(r.nsPerOp)));
    const ratios = ratioNames.map((k) => {
      const vals = rows.map((r) => r?.ratios?.[k]);
      return vals.some((v) => v !== undefined) ? vals.map((v) => fmtRatio(v)).join(' / ') : '';
    });
    const text = withText ? ` ${rows.some((r) => r?.text) ? cell((r) => r.text ?? '') : ''} |` : '';
    lines.push(`| ${name} | ${ops} | ${us} |${ratios.map((x) => ` ${x} |`).join('')}${text}`);
  }
  const notes: string[] = [];
  for (const f of sets) for (const n of f.notes) notes.push(`- [${f.flagSet}] ${n}`);
  if (notes.length) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

export { fmtOps, fmtRatio, fmtTime };
