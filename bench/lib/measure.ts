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
  /** MIT figure measured earlier in this run (other flag set) and reused. */
  reused?: boolean;
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
  /** mitata's minimum measured time per case, in ms. */
  minCpuTimeMs: number;
  mit: MitHarness;
  print?: (line: string) => void;
}

async function measureJs(impl: string, fn: () => unknown, minCpuTimeMs: number): Promise<Figure> {
  try {
    fn(); // fail fast, outside mitata, with the real error
    const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: minCpuTimeMs * 1e6 });
    return {
      impl,
      source: 'mitata',
      nsPerOp: stats.p50,
      opsPerSec: 1e9 / stats.p50,
      p25: stats.p25,
      p75: stats.p75,
    };
  } catch (e) {
    return { impl, source: 'mitata', nsPerOp: null, opsPerSec: null, error: errText(e) };
  }
}

function measureMit(impl: string, args: string[], mit: MitHarness): Figure {
  if (!mit.ok) return { impl, source: 'mitbench', nsPerOp: null, opsPerSec: null, error: 'MIT harness unavailable' };
  try {
    const { result, reused } = mitMeasure(mit, args);
    const fig: Figure = {
      impl,
      source: 'mitbench',
      nsPerOp: result.ns_per_op,
      opsPerSec: 1e9 / result.ns_per_op,
      p25: result.min_ns,
      p75: result.max_ns,
    };
    if (reused) fig.reused = true;
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

const NAME_W = 46;

function figureLine(indent: string, label: string, f: Figure, tail = ''): string {
  const body = f.nsPerOp == null ? `error: ${f.error}` : `${fmtOps(f.opsPerSec).padStart(11)} ops/s ${fmtTime(f.nsPerOp).padStart(9)}/op`;
  return `${indent}${label.padEnd(NAME_W - indent.length)} ${body}${tail}`;
}

/** Measure every case of a suite, printing one line per case as it goes. */
export async function runSuite(s: Suite, opts: MeasureOptions): Promise<SuiteResult> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  print(`\n## ${s.name}`);
  for (const n of s.notes) print(`  note: ${n}`);
  const cases: CaseResult[] = [];
  for (const c of s.cases) {
    const krbsim = c.run ? await measureJs('krbsim', c.run, opts.minCpuTimeMs) : null;
    const baselines: Figure[] = [];
    for (const b of c.baselines ?? []) {
      baselines.push('mit' in b ? measureMit(b.name, b.mit, opts.mit) : await measureJs(b.name, b.run, opts.minCpuTimeMs));
    }
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
    for (const b of baselines) print(figureLine('    ', b.impl, b, b.reused ? '   (MIT: measured once per run)' : ''));
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
  machine: { node: string; cpu: string; cores: number; pinned: string | null; mit: string | null };
  command: string;
  flagSets: FlagSetRun[];
}

interface Row {
  name: string;
  pending?: string;
  krbsim: (Figure | null)[];
  baselines: Map<string, (Figure | null)[]>;
  ratios: Map<string, (number | null)[]>;
}

function collect(results: RunResults): Map<string, { notes: string[]; rows: Row[]; baselineNames: string[] }> {
  const out = new Map<string, { notes: string[]; rows: Row[]; baselineNames: string[] }>();
  const nSets = results.flagSets.length;
  results.flagSets.forEach((fs, i) => {
    for (const s of fs.suites) {
      let entry = out.get(s.suite);
      if (!entry) {
        entry = { notes: s.notes, rows: [], baselineNames: [] };
        out.set(s.suite, entry);
      }
      for (const c of s.cases) {
        let row = entry.rows.find((r) => r.name === c.name);
        if (!row) {
          row = { name: c.name, krbsim: new Array(nSets).fill(null), baselines: new Map(), ratios: new Map() };
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
  if (figs.length > 1 && figs.every((x) => x?.source === 'mitbench') && new Set(parts).size === 1) return parts[0]!;
  return parts.join(' / ');
}

/** Markdown tables (one per suite) for RESULTS.md; each cell is "default / single-threaded-gc". */
export function renderMarkdown(results: RunResults): string {
  const sets = results.flagSets.map((f) => `\`${f.nodeFlags.join(' ') || '(default flags)'}\``).join(' / ');
  const lines: string[] = [];
  lines.push(`Each cell: ${sets}. ops/s is the median of mitata's batched samples (MIT: median of 5 × ~200 ms samples).`);
  lines.push('A ratio is baseline time ÷ krbsim time: above 1.00x krbsim is faster.');
  for (const [suiteName, { notes, rows, baselineNames }] of collect(results)) {
    lines.push('', `### ${suiteName}`, '');
    for (const n of notes) lines.push(`> ${n}`, '');
    const head = ['operation', 'krbsim ops/s'];
    for (const b of baselineNames) head.push(`${b} ops/s`, `vs ${b}`);
    lines.push(`| ${head.join(' | ')} |`);
    lines.push(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of rows) {
      const cells = [r.name, r.pending && r.krbsim.every((k) => !k) ? 'pending' : perSet(r.krbsim, (x) => fmtOps(x?.opsPerSec))];
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
      const k = r.pending && r.krbsim.every((x) => !x) ? 'pending' : perSet(r.krbsim, (x) => fmtOps(x?.opsPerSec));
      lines.push(`${r.name.padEnd(NAME_W)} krbsim ${k}`);
      for (const b of baselineNames) {
        const figs = r.baselines.get(b);
        if (!figs) continue;
        const ratios = r.ratios.get(b) ?? [];
        const ratioText = ratios.some((x) => x != null) ? `   krbsim ratio ${ratios.map((x) => fmtRatio(x)).join(' / ')}` : '';
        lines.push(`    ${b.padEnd(NAME_W - 4)} ${perSet(figs, (x) => fmtOps(x?.opsPerSec))}${ratioText}`);
      }
    }
  }
  return lines.join('\n');
}
