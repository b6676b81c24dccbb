/**
 * What the suites of whole exchanges share (exchanges, routing, kdc-udp,
 * kdc-workers, lab): their options, and a per-suite record of both flag sets'
 * rows in bench/.bench-build/<suite>-last.{json,md}.
 *
 * They measure with the paired method of ./paired.ts, as the codec and
 * crypto suites do, with three differences that their operations (tens to
 * hundreds of µs, some async) need:
 *
 * - Async cases are awaited on every call (`jsSide(..., async)`).
 * - Long warm-ups. krbsim's exchanges take seconds of CPU before V8 has
 *   optimized them (a client AS exchange: ~2.9 ms per call at first, ~0.2 ms
 *   after 4-5 s), so each case warms for 1.5-3 s before calibration
 *   ({@link warmMs}).
 * - A case with no baseline of the same work (the KDC alone, the client,
 *   `Kdc.handle` beside the UDP servers) is paired with {@link shaUnitSide},
 *   one SHA-256 of 4 KiB through node:crypto, as the kdc-units suite is: its
 *   ratio is the case's time in those units, comparable across runs and
 *   hosts. Such rows have no target and say so ({@link NO_TARGET}).
 *
 * Every batch includes the garbage collector's work: a figure is throughput.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fmtOps, fmtRatio, fmtTime } from './measure';
import { BUILD_DIR } from './mit';
import {
  type Clock,
  cpuModel,
  jsSide,
  type PairedOptions,
  pairedOptions,
  type Side,
  type Spread,
  spreadRatio,
  spreadTime,
} from './paired';

export interface RunOptions {
  readonly quick: boolean;
  readonly clock: 'wall' | 'cpu';
  /** The paired method's batch size, pairs and runs (./paired.ts). */
  readonly paired: PairedOptions;
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
  const clock = c === 'cpu' || c === 'wall' ? c : 'wall';
  return {
    quick,
    clock,
    paired: pairedOptions(quick, clock),
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

/** The text of a row that has no target: a figure for information, with a ratio in units only. */
export const NO_TARGET = 'informational (no target)';

/** The ratio name of a case paired with {@link shaUnitSide}: the case's time ÷ the unit's, per pair. */
export const UNITS = 'units (cost)';

export const SHA_UNIT = 'node:crypto SHA-256 of 4 KiB (the unit)';

/**
 * One SHA-256 of 4 KiB through node:crypto: the unit a case with no
 * baseline of the same work is paired with (the case as the unit's
 * "baseline", so the ratio reads as the case's cost in units). It does not
 * change from commit to commit, and moves with the host's speed as the case
 * does.
 */
export function shaUnitSide(clock: Clock): Side {
  const data = new Uint8Array(4096);
  return jsSide(SHA_UNIT, () => createHash('sha256').update(data).digest(), clock);
}

const NAME_W = 58;

/** A line shaped like runSuite's: `name   ops/s   time/op (range over runs)   (tail)`. */
export function figureText(label: string, ns: Spread | number | null, tail = '', indent = ''): string {
  const median = typeof ns === 'number' ? ns : ns?.median;
  const time = typeof ns === 'number' ? fmtTime(ns) : spreadTime(ns ?? undefined);
  const body =
    median == null ? 'not measured' : `${fmtOps(1e9 / median).padStart(11)} ops/s ${time.padStart(24)}/op`;
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
  /** ns/op (the median over runs), or null when not measured (see `text`). */
  readonly nsPerOp: number | null;
  /** The range of ns/op over runs, when measured in runs. */
  readonly range?: readonly [number, number];
  /** Extra text for the row (e.g. latency and CPU figures of the UDP suite). */
  readonly text?: string;
  /**
   * `cpu`: the figure is CPU time per reply (the UDP suites' server CPU),
   * printed as such, with no ops/s (its inverse would be replies per
   * CPU-second, not a rate anyone saw). Default: a time per operation.
   */
  readonly measure?: 'cpu';
  /**
   * Name -> a paired ratio and its range over runs. Unless the suite says
   * otherwise: the other side's time ÷ this row's (above 1: this row faster).
   */
  readonly ratios?: Readonly<Record<string, Spread>>;
}

/** A row from a paired figure. */
export function rowOf(name: string, ns: Spread, extra: Omit<Row, 'name' | 'nsPerOp' | 'range'> = {}): Row {
  return { name, nsPerOp: ns.median, range: [ns.min, ns.max], ...extra };
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
  /** The CPU model (./paired.ts `cpuModel`). */
  readonly cpu: string;
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
  let rec: SuiteRecord = { runId, date: new Date().toISOString(), cpu: '', flagSets: [] };
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
  rec = {
    ...rec,
    cpu: cpuModel(),
    flagSets: [...rec.flagSets.filter((f) => f.flagSet !== opts.flagSet), entry],
  };
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
    `CPU: ${rec.cpu || 'unknown'}.`,
    '',
    `Each cell: ${head}. Load average (1 min) before/after: ${sets.map((f) => `${f.loadAvg[0]}/${f.loadAvg[1]}`).join(', ')}. Clock: ${sets[0]?.clock ?? '?'}. ` +
      'Times: median over runs (range in brackets); ratios: median over runs of the median per-pair ratio (range).',
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
    `| operation | ops/s | time/op |${ratioNames.map((n) => ` vs ${n} |`).join('')}${withText ? ' |' : ''}`,
  );
  lines.push(`| --- | ---: | ---: |${ratioNames.map(() => ' ---: |').join('')}${withText ? ' --- |' : ''}`);
  for (const name of names) {
    const rows = sets.map((f) => f.rows.find((r) => r.name === name));
    const cell = (g: (r: Row) => string) => rows.map((r) => (r ? g(r) : '—')).join(' / ');
    const ops = cell((r) => (r.nsPerOp == null || r.measure === 'cpu' ? '—' : fmtOps(1e9 / r.nsPerOp)));
    const us = cell((r) => {
      if (r.nsPerOp == null) return '—';
      const time = r.range
        ? spreadTime({ median: r.nsPerOp, min: r.range[0], max: r.range[1], runs: [] })
        : fmtTime(r.nsPerOp);
      return r.measure === 'cpu' ? `${time} CPU` : time;
    });
    const ratios = ratioNames.map((k) => {
      const vals = rows.map((r) => r?.ratios?.[k]);
      return vals.some((v) => v !== undefined) ? vals.map((v) => spreadRatio(v)).join(' / ') : '';
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
