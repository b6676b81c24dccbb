/**
 * The suites of single operations (codec, crypto): a suite is a list of
 * cases, each the krbsim operation (`run`) and its baselines on the same
 * inputs: a JS function (node:crypto raw primitives, asn1js, ...) or a
 * command for the MIT C harness (see ./mit.ts), which runs in `--serve` mode
 * for the whole suite. Every case is measured with the paired method of
 * ./paired.ts. One line is printed per case:
 *
 *   name   ops/s   time/op (range over runs)   (ratio vs <baseline>: 1.23x (1.18-1.30), ...)
 *
 * A ratio is baseline ns/op divided by krbsim ns/op, per pair of adjacent
 * batches: above 1 krbsim is faster. Under an MIT baseline's line: this
 * process's CPU time while MIT's batches ran, per krbsim call, and the ratio
 * with that time charged to krbsim (./paired.ts's module doc says why).
 */

import type { MitHarness } from './mit';
import {
  cpuLine,
  harnessSide,
  jsSide,
  measurePaired,
  nodeCpuText,
  type PairedCase,
  type PairedOptions,
  type Side,
  type Spread,
  spread,
  spreadRatio,
  spreadTime,
} from './paired';

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
  #announced = false;
  constructor(readonly name: string) {}

  /**
   * Print the suite's heading (`## name <detail>`) and the CPU line, once:
   * suites that measure before runSuite call it first; runSuite calls it
   * otherwise, and reprints only the heading above the notes.
   */
  announce(detail?: string, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
    if (this.#announced) return;
    this.#announced = true;
    print(`\n## ${this.name}${detail ? ` ${detail}` : ''}`);
    print(cpuLine());
  }

  get announced(): boolean {
    return this.#announced;
  }

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

/** One measured figure: the median of the runs' medians, with the range over runs. */
export interface Figure {
  impl: string;
  source: 'js' | 'mitbench';
  nsPerOp: number | null;
  opsPerSec: number | null;
  /** Each run's median ns/op. */
  runs?: number[];
  /** Something the harness reported about the work (e.g. a re-encoding that differs). */
  remark?: string;
  error?: string;
}

export interface CaseResult {
  name: string;
  krbsim: Figure | null;
  pending?: string;
  baselines: Figure[];
  /** baseline name -> baseline ns/op ÷ krbsim ns/op per pair: median and range over runs. */
  ratios: Record<string, Spread>;
  /** MIT baseline name -> this process's CPU ns during its batches, per krbsim call (see ./paired.ts). */
  nodeCpu?: Record<string, Spread>;
  /** MIT baseline name -> the ratio with that CPU charged to krbsim (CPU clock only). */
  chargedRatios?: Record<string, Spread>;
}

export interface SuiteResult {
  suite: string;
  notes: string[];
  cases: CaseResult[];
}

export interface MeasureOptions {
  paired: PairedOptions;
  mit: MitHarness;
  print?: (line: string) => void;
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}

function figureOf(impl: string, source: Figure['source'], s: Spread): Figure {
  return { impl, source, nsPerOp: s.median, opsPerSec: 1e9 / s.median, runs: [...s.runs] };
}

function failed(impl: string, source: Figure['source'], error: string): Figure {
  return { impl, source, nsPerOp: null, opsPerSec: null, error };
}

/**
 * Measure every case of a suite with the paired method (./paired.ts):
 * krbsim and each baseline alternate in batches of ~40 ms on the same
 * inputs; MIT's harness stays up for the whole suite and answers batches.
 * Prints one line per case when its last run is done.
 */
export async function runSuite(s: Suite, opts: MeasureOptions): Promise<SuiteResult> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const clock = opts.paired.clock;
  if (s.announced) print(`\n## ${s.name}`);
  else s.announce(undefined, print);
  for (const n of s.notes) print(`  note: ${n}`);
  const prepared: {
    c: CaseDef;
    pc: PairedCase;
    errors: Map<string, string>;
    remarks: Map<string, string>;
  }[] = [];
  for (const c of s.cases) {
    const errors = new Map<string, string>();
    const remarks = new Map<string, string>();
    const baselines: Side[] = [];
    for (const b of c.baselines ?? []) {
      if (!('mit' in b)) {
        baselines.push(jsSide(b.name, b.run, clock));
        continue;
      }
      if (!opts.mit.ok) {
        errors.set(b.name, 'MIT harness unavailable');
        continue;
      }
      try {
        const side = await harnessSide(b.name, opts.mit.binary, b.mit, clock);
        if (side.header.roundtrip === false) {
          remarks.set(
            b.name,
            String(side.header.op).startsWith('decrypt')
              ? 'MIT decrypt did not return the plaintext'
              : "MIT's re-encoding differs from the input bytes",
          );
        }
        baselines.push(side);
      } catch (e) {
        errors.set(b.name, errText(e));
      }
    }
    let krbsim: Side | undefined;
    if (c.run) {
      try {
        c.run(); // errors surface plainly, before any timing
        krbsim = jsSide('krbsim', c.run, clock);
      } catch (e) {
        errors.set('krbsim', errText(e));
      }
    }
    prepared.push({ c, pc: { name: c.name, krbsim, baselines }, errors, remarks });
  }
  const results = await measurePaired(
    prepared.map((p) => p.pc),
    opts.paired,
  );
  const cases: CaseResult[] = [];
  for (const [i, { c, errors, remarks }] of prepared.entries()) {
    const r = results[i]!;
    const krbsim = r.krbsim
      ? figureOf('krbsim', 'js', r.krbsim)
      : errors.has('krbsim')
        ? failed('krbsim', 'js', errors.get('krbsim')!)
        : null;
    const ratios: Record<string, Spread> = {};
    const nodeCpu: Record<string, Spread> = {};
    const chargedRatios: Record<string, Spread> = {};
    const uncounted = new Map<string, string>();
    const baselines: Figure[] = [];
    for (const b of c.baselines ?? []) {
      const source = 'mit' in b ? 'mitbench' : 'js';
      const m = r.baselines.find((x) => x.name === b.name);
      if (!m) {
        baselines.push(failed(b.name, source, errors.get(b.name) ?? 'not measured'));
        continue;
      }
      const f = figureOf(b.name, source, m.ns);
      const remark = remarks.get(b.name);
      if (remark) f.remark = remark;
      baselines.push(f);
      if (m.ratio) ratios[b.name] = m.ratio;
      if (m.nodeCpu) {
        nodeCpu[b.name] = m.nodeCpu;
        if (m.chargedRatio) chargedRatios[b.name] = m.chargedRatio;
        uncounted.set(b.name, nodeCpuText(m.nodeCpu, m.chargedRatio));
      }
    }
    const ratioText = Object.entries(ratios)
      .map(([n, x]) => `vs ${n}: ${spreadRatio(x)}`)
      .join(', ');
    if (krbsim) {
      print(figureLine('', c.name, krbsim, ratioText ? `   (ratio ${ratioText})` : ''));
    } else {
      print(`${c.name.padEnd(NAME_W)} krbsim: pending — ${c.pending ?? 'not implemented'}`);
    }
    for (const b of baselines) {
      const tail = [b.remark, uncounted.get(b.impl)].filter((x) => x !== undefined).join('; ');
      print(figureLine('    ', b.impl, b, tail ? `   (${tail})` : ''));
    }
    const out: CaseResult = { name: c.name, krbsim, baselines, ratios };
    if (Object.keys(nodeCpu).length) out.nodeCpu = nodeCpu;
    if (Object.keys(chargedRatios).length) out.chargedRatios = chargedRatios;
    if (!krbsim && c.pending) out.pending = c.pending;
    cases.push(out);
  }
  return { suite: s.name, notes: s.notes, cases };
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
      : `${fmtOps(f.opsPerSec).padStart(11)} ops/s ${spreadTime(f.runs ? spread(f.runs) : undefined).padStart(24)}/op`;
  return `${indent}${label.padEnd(NAME_W - indent.length)} ${body}${tail}`;
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
    /** From /proc/cpuinfo. */
    cpu: string;
    cores: number;
    pinned: string | null;
    /** Load averages (1, 5, 15 min) before and after: above ~2 the figures are noisy. */
    loadBefore: string;
    loadAfter: string;
    mit: string | null;
  };
  command: string;
  /** How each figure was measured (see ./paired.ts). */
  paired: PairedOptions;
  flagSets: FlagSetRun[];
}

interface Row {
  name: string;
  pending?: string;
  krbsim: (Figure | null)[];
  baselines: Map<string, (Figure | null)[]>;
  ratios: Map<string, (Spread | null)[]>;
  /** Per MIT baseline, per flag set: this process's CPU during its batches and the charged ratio. */
  uncounted: Map<string, ({ nodeCpu: Spread; charged: Spread | undefined } | null)[]>;
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
            uncounted: new Map(),
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
          const nodeCpu = c.nodeCpu?.[b.impl];
          if (nodeCpu) {
            if (!row.uncounted.has(b.impl)) row.uncounted.set(b.impl, new Array(nSets).fill(null));
            row.uncounted.get(b.impl)![i] = { nodeCpu, charged: c.chargedRatios?.[b.impl] };
          }
        }
      }
    }
  });
  return out;
}

const timeOf = (f: Figure | null): string => (f?.runs ? spreadTime(spread(f.runs)) : (f?.error ?? '—'));

/** `1.02x (1.00-1.03), +85 ns`: the charged ratio and the uncounted CPU per krbsim call. */
const uncountedOf = (u: { nodeCpu: Spread; charged: Spread | undefined } | null): string =>
  u ? `${u.charged ? `${spreadRatio(u.charged)}, ` : ''}+${spreadTime(u.nodeCpu)}` : '—';

/** Markdown tables (one per suite) for RESULTS.md; each cell is "default / single-threaded-gc". */
export function renderMarkdown(results: RunResults): string {
  const sets = results.flagSets.map((f) => `\`${f.nodeFlags.join(' ') || '(default flags)'}\``).join(' / ');
  const p = results.paired;
  const lines: string[] = [];
  lines.push(
    `\`${results.command}\`, ${results.date}; CPU ${results.machine.cpu}, ${results.machine.cores} core(s) used, ` +
      `load average ${results.machine.loadBefore} before, ${results.machine.loadAfter} after; ${results.machine.node}.`,
    '',
    `Each cell: ${sets}. Paired: krbsim and each baseline alternate in batches of ~${p.batchMs} ms on the same inputs; ` +
      `${p.runs} runs of ${p.pairs} pairs. A time is the median over runs of each run's median batch time per operation ` +
      '(range over runs in brackets); a ratio is the median over runs of the median per-pair ratio ' +
      '(baseline time ÷ krbsim time: above 1.00x krbsim is faster), with its range over runs. ' +
      `Clock: ${p.clock === 'cpu' ? "each process's CPU time (pinned to one core)" : 'wall time'}. ` +
      "Beside an MIT baseline: the ratio with this process's CPU time during MIT's batches charged to krbsim " +
      '(CPU clock only; work no side was timed for, V8 background threads and deferred tasks), and that time per krbsim call.',
  );
  for (const [suiteName, { notes, rows, baselineNames }] of collect(results)) {
    lines.push('', `### ${suiteName}`, '', `CPU: ${results.machine.cpu}.`, '');
    for (const n of notes) lines.push(`- ${n}`);
    if (notes.length) lines.push('');
    const measuredApart = (b: string) => rows.some((r) => r.uncounted.has(b));
    const head = ['operation', 'krbsim time/op'];
    for (const b of baselineNames) {
      head.push(`${b} time/op`, `vs ${b}`);
      if (measuredApart(b))
        head.push(`vs ${b}, Node CPU in its batches charged to krbsim (+ that CPU per call)`);
    }
    lines.push(`| ${head.join(' | ')} |`);
    lines.push(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of rows) {
      const cells = [
        r.name,
        r.pending && r.krbsim.every((k) => !k) ? 'pending' : r.krbsim.map(timeOf).join(' / '),
      ];
      for (const b of baselineNames) {
        const figs = r.baselines.get(b) ?? [];
        cells.push(figs.length ? figs.map(timeOf).join(' / ') : '—');
        const ratios = r.ratios.get(b) ?? [];
        cells.push(
          ratios.some((x) => x != null) ? ratios.map((x) => spreadRatio(x ?? undefined)).join(' / ') : '—',
        );
        if (measuredApart(b)) cells.push((r.uncounted.get(b) ?? [null]).map(uncountedOf).join(' / '));
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
  lines.push(
    '',
    `=== summary: time/op and ratios (median, range over runs), each as ${labels.join(' / ')} ===`,
  );
  for (const [suiteName, { rows, baselineNames }] of collect(results)) {
    lines.push('', `## ${suiteName}`);
    for (const r of rows) {
      const k = r.pending && r.krbsim.every((x) => !x) ? 'pending' : r.krbsim.map(timeOf).join(' / ');
      lines.push(`${r.name.padEnd(NAME_W)} krbsim ${k}`);
      for (const b of baselineNames) {
        const figs = r.baselines.get(b);
        if (!figs) continue;
        const ratios = r.ratios.get(b) ?? [];
        const ratioText = ratios.some((x) => x != null)
          ? `   krbsim ratio ${ratios.map((x) => spreadRatio(x ?? undefined)).join(' / ')}`
          : '';
        const u = r.uncounted.get(b);
        const uncountedText = u
          ? `; with Node's CPU in its batches charged to krbsim: ${u.map(uncountedOf).join(' / ')}`
          : '';
        lines.push(`    ${b.padEnd(NAME_W - 4)} ${figs.map(timeOf).join(' / ')}${ratioText}${uncountedText}`);
      }
    }
  }
  return lines.join('\n');
}
