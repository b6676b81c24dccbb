/**
 * A small layer over mitata shared by every suite.
 *
 * A suite is a list of cases. Each case has the krbsim operation (`run`) and
 * its baselines, measured in the same run: a JS function (node:crypto raw
 * primitives, asn1js, ...) measured with mitata like krbsim, or a command
 * for the MIT C harness (see ./mit.ts). One line is printed per case:
 *
 *   name   ops/s   µs/op   (ratio vs <baseline>: 1.23x, ...)
 *
 * A ratio is baseline ns/op divided by krbsim ns/op: above 1 krbsim is faster.
 */

import { do_not_optimize, measure } from 'mitata';
import { type MitHarness, mitMeasure } from './mit';

/** A baseline measured with mitata in this process. */
export interface JsBaseline {
  name: string;
  run: () => unknown;
}

/** A baseline measured by the MIT harness: `args` are mitbench's argv. */
export interface MitBaseline {
  name: string;
  mit: string[];
}

export type Baseline = JsBaseline | MitBaseline;

export interface CaseDef {
  name: string;
  /** The krbsim operation; absent when the package it needs is not ready. */
  run?: () => unknown;
  /** Why `run` is absent (printed instead of a krbsim figure). */
  pending?: string;
  baselines?: Baseline[];
}

export class Suite {
  readonly cases: CaseDef[] = [];
  readonly notes: string[] = [];
  constructor(readonly name: string) {}

  add(c: CaseDef): this {
    this.cases.push(c);
    return this;
  }

  /** A line printed before the suite's figures (and kept in the JSON/markdown). */
  note(text: string): this {
    this.notes.push(text);
    return this;
  }
}

export function suite(name: string): Suite {
  return new Suite(name);
}

/** What a suite module's default export receives. */
export interface SuiteContext {
  mit: MitHarness;
  quick: boolean;
}

/** A suite module: `export default async function (ctx) { ...; return s; }`. */
export type SuiteBuilder = (ctx: SuiteContext) => Suite | Promise<Suite>;

/** One measured figure. */
export interface Figure {
  impl: string;
  source: 'mitata' | 'mitbench';
  nsPerOp: number | null;
  opsPerSec: number | null;
  p25?: number;
  p75?: number;
  /** Something the harness reported about the work (e.g. a re-encoding that differs). */
  remark?: string;
  error?: string;
}

export interface CaseResult {
  name: string;
  krbsim: Figure | null;
  pending?: string;
  baselines: Figure[];
  /** baseline name -> baseline ns/op ÷ krbsim ns/op. */
  ratios: Record<string, number>;
}

export interface SuiteResult {
  suite: string;
  notes: string[];
  cases: CaseResult[];
}

export interface MeasureOptions {
  /** mitata's minimum measured time per round, in ms. */
  minCpuTimeMs: number;
  /**
   * Rounds per JS implementation, interleaved (krbsim, baseline, krbsim, ...);
   * the figure is the fastest round's median. Contention from other work on
   * the machine only ever adds time, so this is robust to bursts of it.
   */
  rounds: number;
  /**
   * `wall`: elapsed time. `cpu`: this process's CPU time (all its threads,
   * GC helpers included), which other work on the machine cannot inflate by
   * preempting us; equal to wall time on a quiet core we are pinned to.
   */
  clock: 'wall' | 'cpu';
  mit: MitHarness;
  print?: (line: string) => void;
}

interface JsSlot {
  impl: string;
  fn: () => unknown;
  best?: { p50: number; p25: number; p75: number };
  error?: string;
}

/** Run each slot's function once (errors surface plainly) and let the JIT tier up. */
function warm(slot: JsSlot, ms: number): void {
  try {
    slot.fn();
    const until = performance.now() + ms;
    while (performance.now() < until) slot.fn();
  } catch (e) {
    slot.error = errText(e);
  }
}

/** Process CPU time in ns (µs resolution: fine for mitata's batched samples). */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

async function measureRound(slot: JsSlot, minCpuTimeMs: number, clock: 'wall' | 'cpu'): Promise<void> {
  if (slot.error) return;
  const fn = slot.fn;
  try {
    const stats = await measure(() => do_not_optimize(fn()), {
      min_cpu_time: minCpuTimeMs * 1e6,
      ...(clock === 'cpu' ? { now: cpuNow } : {}),
    });
    if (!slot.best || stats.p50 < slot.best.p50)
      slot.best = { p50: stats.p50, p25: stats.p25, p75: stats.p75 };
  } catch (e) {
    slot.error = errText(e);
  }
}

function slotFigure(slot: JsSlot): Figure {
  if (slot.error || !slot.best) {
    return {
      impl: slot.impl,
      source: 'mitata',
      nsPerOp: null,
      opsPerSec: null,
      error: slot.error ?? 'not measured',
    };
  }
  const { p50, p25, p75 } = slot.best;
  return { impl: slot.impl, source: 'mitata', nsPerOp: p50, opsPerSec: 1e9 / p50, p25, p75 };
}

function measureMit(impl: string, args: string[], mit: MitHarness): Figure {
  if (!mit.ok)
    return { impl, source: 'mitbench', nsPerOp: null, opsPerSec: null, error: 'MIT harness unavailable' };
  try {
    const result = mitMeasure(mit, args);
    const fig: Figure = {
      impl,
      source: 'mitbench',
      nsPerOp: result.ns_per_op,
      opsPerSec: 1e9 / result.ns_per_op,
      p25: result.min_ns,
      p75: result.max_ns,
    };
    if (result.roundtrip === false) {
      fig.remark = result.op.startsWith('decrypt')
        ? 'MIT decrypt did not return the plaintext'
        : "MIT's re-encoding differs from the input bytes";
    }
    return fig;
  } catch (e) {
    return { impl, source: 'mitbench', nsPerOp: null, opsPerSec: null, error: errText(e) };
  }
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}

// --- formatting -----------------------------------------------------------

const sig3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

export function fmtOps(ops: number | null | undefined): string {
  if (ops == null || !Number.isFinite(ops)) return '—';
  return sig3.format(ops);
}

export function fmtTime(ns: number | null | undefined): string {
  if (ns == null || !Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${sig3.format(ns)} ns`;
  if (ns < 1e6) return `${sig3.format(ns / 1e3)} µs`;
  if (ns < 1e9) return `${sig3.format(ns / 1e6)} ms`;
  return `${sig3.format(ns / 1e9)} s`;
}

export function fmtRatio(r: number | null | undefined): string {
  if (r == null || !Number.isFinite(r)) return '—';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

const NAME_W = 54;

function figureLine(indent: string, label: string, f: Figure, tail = ''): string {
  const body =
    f.nsPerOp == null
      ? `error: ${f.error}`
      : `${fmtOps(f.opsPerSec).padStart(11)} ops/s ${fmtTime(f.nsPerOp).padStart(9)}/op`;
  return `${indent}${label.padEnd(NAME_W - indent.length)} ${body}${tail}`;
}

/** Measure every case of a suite, printing one line per case as it goes. */
export async function runSuite(s: Suite, opts: MeasureOptions): Promise<SuiteResult> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  print(`\n## ${s.name}`);
  for (const n of s.notes) print(`  note: ${n}`);
  const cases: CaseResult[] = [];
  for (const c of s.cases) {
    const krbsimSlot: JsSlot | undefined = c.run ? { impl: 'krbsim', fn: c.run } : undefined;
    const jsSlots = new Map<Baseline, JsSlot>();
    for (const b of c.baselines ?? []) if (!('mit' in b)) jsSlots.set(b, { impl: b.name, fn: b.run });
    const all = [...(krbsimSlot ? [krbsimSlot] : []), ...jsSlots.values()];
    for (const slot of all) warm(slot, Math.min(50, opts.minCpuTimeMs / 4));
    for (let r = 0; r < opts.rounds; r++)
      for (const slot of all) await measureRound(slot, opts.minCpuTimeMs, opts.clock);

    const krbsim = krbsimSlot ? slotFigure(krbsimSlot) : null;
    const baselines = (c.baselines ?? []).map((b) =>
      'mit' in b ? measureMit(b.name, b.mit, opts.mit) : slotFigure(jsSlots.get(b)!),
    );
    const ratios: Record<string, number> = {};
    if (krbsim?.nsPerOp) {
      for (const b of baselines) if (b.nsPerOp) ratios[b.impl] = b.nsPerOp / krbsim.nsPerOp;
    }
    const ratioText = Object.entries(ratios)
      .map(([n, r]) => `vs ${n}: ${fmtRatio(r)}`)
      .join(', ');
    if (krbsim) {
      print(figureLine('', c.name, krbsim, ratioText ? `   (ratio ${ratioText})` : ''));
    } else {
      print(`${c.name.padEnd(NAME_W)} krbsim: pending — ${c.pending ?? 'not implemented'}`);
    }
    for (const b of baselines) {
      print(figureLine('    ', b.impl, b, b.remark ? `   (${b.remark})` : ''));
    }
    const r: CaseResult = { name: c.name, krbsim, baselines, ratios };
    if (!krbsim && c.pending) r.pending = c.pending;
    cases.push(r);
  }
  return { suite: s.name, notes: s.notes, cases };
}

// --- combining the flag sets ----------------------------------------------

export interface FlagSetRun {
  /** Short label, e.g. "default" or "single-threaded-gc". */
  name: string;
  nodeFlags: string[];
  suites: SuiteResult[];
}

export interface RunResults {
  date: string;
  machine: {
    node: string;
    cpu: string;
    cores: number;
    pinned: string | null;
    /** 1-minute load average before and after: above ~1 the figures are noisy. */
    loadAvgBefore: number;
    loadAvgAfter: number;
    mit: string | null;
  };
  command: string;
  /** mitata rounds per JS implementation (see MeasureOptions.rounds). */
  rounds: number;
  /** What was timed: elapsed time or process CPU time (see MeasureOptions.clock). */
  clock: 'wall' | 'cpu';
  flagSets: FlagSetRun[];
}

interface Row {
  name: string;
  pending?: string;
  krbsim: (Figure | null)[];
  baselines: Map<string, (Figure | null)[]>;
  ratios: Map<string, (number | null)[]>;
}

function collect(
  results: RunResults,
): Map<string, { notes: string[]; rows: Row[]; baselineNames: string[] }> {
  const out = new Map<string, { notes: string[]; rows: Row[]; baselineNames: string[] }>();
  const nSets = results.flagSets.length;
  results.flagSets.forEach((fs, i) => {
    for (const s of fs.suites) {
      let entry = out.get(s.suite);
      if (!entry) {
        entry = { notes: [...s.notes], rows: [], baselineNames: [] };
        out.set(s.suite, entry);
      } else {
        // A note only one flag set printed (e.g. a package failed to load there) is kept, tagged.
        for (const n of s.notes) if (!entry.notes.includes(n)) entry.notes.push(`[${fs.name}] ${n}`);
      }
      for (const c of s.cases) {
        let row = entry.rows.find((r) => r.name === c.name);
        if (!row) {
          row = {
            name: c.name,
            krbsim: new Array(nSets).fill(null),
            baselines: new Map(),
            ratios: new Map(),
          };
          if (c.pending) row.pending = c.pending;
          entry.rows.push(row);
        }
        row.krbsim[i] = c.krbsim;
        for (const b of c.baselines) {
          if (!entry.baselineNames.includes(b.impl)) entry.baselineNames.push(b.impl);
          if (!row.baselines.has(b.impl)) row.baselines.set(b.impl, new Array(nSets).fill(null));
          row.baselines.get(b.impl)![i] = b;
          if (!row.ratios.has(b.impl)) row.ratios.set(b.impl, new Array(nSets).fill(null));
          row.ratios.get(b.impl)![i] = c.ratios[b.impl] ?? null;
        }
      }
    }
  });
  return out;
}

/** "a / b" for the flag sets, or one value when MIT's figure was shared. */
function perSet(figs: (Figure | null)[], f: (x: Figure | null) => string): string {
  const parts = figs.map(f);
  if (figs.length > 1 && figs.every((x) => x?.source === 'mitbench') && new Set(parts).size === 1)
    return parts[0]!;
  return parts.join(' / ');
}

/** Markdown tables (one per suite) for RESULTS.md; each cell is "default / single-threaded-gc". */
export function renderMarkdown(results: RunResults): string {
  const sets = results.flagSets.map((f) => `\`${f.nodeFlags.join(' ') || '(default flags)'}\``).join(' / ');
  const lines: string[] = [];
  lines.push(
    `Each cell: ${sets}. JS ops/s: the fastest of ${results.rounds} interleaved rounds, each the median of ` +
      "mitata's batched samples; MIT ops/s: the median of 5 samples of ~200 ms, measured in each flag set right after krbsim " +
      "(MIT does not depend on Node's flags: its two figures show how much the machine drifted). " +
      `Clock: ${results.clock === 'cpu' ? 'process CPU time (pinned to one core)' : 'wall time'}.`,
  );
  lines.push('A ratio is baseline time ÷ krbsim time: above 1.00x krbsim is faster.');
  for (const [suiteName, { notes, rows, baselineNames }] of collect(results)) {
    lines.push('', `### ${suiteName}`, '');
    for (const n of notes) lines.push(`- ${n}`);
    if (notes.length) lines.push('');
    const head = ['operation', 'krbsim ops/s'];
    for (const b of baselineNames) head.push(`${b} ops/s`, `vs ${b}`);
    lines.push(`| ${head.join(' | ')} |`);
    lines.push(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of rows) {
      const cells = [
        r.name,
        r.pending && r.krbsim.every((k) => !k) ? 'pending' : perSet(r.krbsim, (x) => fmtOps(x?.opsPerSec)),
      ];
      for (const b of baselineNames) {
        const figs = r.baselines.get(b) ?? [];
        cells.push(figs.length ? perSet(figs, (x) => fmtOps(x?.opsPerSec)) : '—');
        const ratios = r.ratios.get(b) ?? [];
        cells.push(ratios.some((x) => x != null) ? ratios.map((x) => fmtRatio(x)).join(' / ') : '—');
      }
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The closing console summary: every figure once per flag set, side by side. */
export function renderSummary(results: RunResults): string {
  const lines: string[] = [];
  const labels = results.flagSets.map((f) => f.name);
  lines.push('', `=== summary: ops/s and ratios, each as ${labels.join(' / ')} ===`);
  for (const [suiteName, { rows, baselineNames }] of collect(results)) {
    lines.push('', `## ${suiteName}`);
    for (const r of rows) {
      const k =
        r.pending && r.krbsim.every((x) => !x) ? 'pending' : perSet(r.krbsim, (x) => fmtOps(x?.opsPerSec));
      lines.push(`${r.name.padEnd(NAME_W)} krbsim ${k}`);
      for (const b of baselineNames) {
        const figs = r.baselines.get(b);
        if (!figs) continue;
        const ratios = r.ratios.get(b) ?? [];
        const ratioText = ratios.some((x) => x != null)
          ? `   krbsim ratio ${ratios.map((x) => fmtRatio(x)).join(' / ')}`
          : '';
        lines.push(`    ${b.padEnd(NAME_W - 4)} ${perSet(figs, (x) => fmtOps(x?.opsPerSec))}${ratioText}`);
      }
    }
  }
  return lines.join('\n');
}
