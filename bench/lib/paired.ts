/**
 * The paired method every suite measures with: krbsim and its baselines run
 * on the same inputs in short alternating batches, and the figure is the
 * median of the per-pair ratios.
 *
 * Why: these hosts switch between two speeds about 1.8x apart every few
 * seconds to minutes, whatever the load average says. Two figures taken a
 * minute apart can differ by 40%, and "fastest of three rounds" for one side
 * against "median of a later run" for the other (the method before) inflates
 * ratios. Two batches of ~40 ms taken back to back almost always see the same
 * machine speed, so their ratio is honest even when their absolute times are
 * not; the median of 25 such ratios drops the pairs a speed change split.
 *
 * - A *side* runs `n` iterations of one operation and returns the elapsed ns
 *   on the run's clock: krbsim and JS baselines in this process
 *   ({@link jsSide}), MIT in a harness process that stays up and answers
 *   batches over a pipe ({@link harnessSide}; `--serve` in the C harnesses).
 * - Each side's batch size is calibrated once to take ~`batchMs`.
 * - A *pair* is one batch of every side of a case, in the order
 *   {@link pairOrder} gives: every pair the mirror of the one before (as
 *   k, b / b, k with two sides), the arrangement rotated over the pairs so
 *   that, with any number of sides, each side takes each position and
 *   follows each other side equally often. A steady drift, or the work one
 *   batch leaves to the next, then favours no side. Its ratio for baseline b
 *   is (b's ns/op) / (krbsim's ns/op): above 1 krbsim is faster.
 * - A *run* is `pairs` pairs of one case; its figure is the median of its
 *   per-pair ratios (and the median batch ns/op of each side). The runs of a
 *   case are spread over the whole measurement: run 1 of every case, then
 *   run 2 of every case, and so on, so they sample different moments.
 * - A case reports the median of its run figures and their range (min-max).
 *
 * Both sides are timed with the same clock and the same statistic. With
 * `cpu` (run.ts's default when pinned), each side is timed by its own
 * process's CPU time; the harness inherits the pinning, so the two never run
 * at once and never on different cores.
 *
 * What that clock leaves out: while this process waits for a harness's
 * reply, V8's background threads (concurrent marking and sweeping) and
 * deferred tasks still run here, on work krbsim's batches left behind, and
 * no side's clock counts them. So this process's CPU time across every
 * harness batch is measured too ({@link PairedResult}'s `nodeCpu`), and a
 * second ratio charges all of it to krbsim (`chargedRatio`): a bound, since
 * some of it may be a JS baseline's leftovers, that tells whether a ratio
 * near 1.0x survives. A JS baseline in this process needs neither: its own
 * batch already carries whatever leftover work runs while it is timed.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { do_not_optimize } from 'mitata';

export type Clock = 'wall' | 'cpu';

/** One implementation of a case's operation. */
export interface Side {
  readonly name: string;
  /** Run `n` iterations and return the elapsed ns on the run's clock. */
  batch(n: number): number | Promise<number>;
  /** Release what the side holds (the harness process). */
  close?(): void;
  /**
   * True when the batches run in another process (the MIT harness): this
   * process's CPU time across each of them is then measured apart (see the
   * module doc). In-process sides leave it unset.
   */
  readonly otherProcess?: boolean;
}

/** Process CPU time in ns (µs resolution: batches are tens of ms). */
export function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

function wallNs(): number {
  return performance.now() * 1e6;
}

/** The clock function for `clock`: ns on that clock. */
export function clockFn(clock: Clock): () => number {
  return clock === 'cpu' ? cpuNs : wallNs;
}

/**
 * A side run in this process. `fn` may return a Promise, which is awaited
 * (the client's exchanges are async); a sync `fn` runs in a tight loop.
 */
export function jsSide(name: string, fn: () => unknown, clock: Clock, async = false): Side {
  const now = clockFn(clock);
  if (async) {
    return {
      name,
      async batch(n) {
        const t0 = now();
        for (let i = 0; i < n; i++) do_not_optimize(await fn());
        return now() - t0;
      },
    };
  }
  return {
    name,
    batch(n) {
      const t0 = now();
      for (let i = 0; i < n; i++) do_not_optimize(fn());
      return now() - t0;
    },
  };
}

/** A harness process in `--serve` mode (see mitbench.c and mit-exchanges.c). */
export interface HarnessSide extends Side {
  /** The JSON object the harness printed after its checked first call. */
  readonly header: Record<string, unknown>;
}

/**
 * Start `binary args... --serve 1 --clock <clock>` and wait for its header
 * line. The process inherits this one's CPU affinity (run.ts pins the suite),
 * so its batches run on the same core as krbsim's, never at the same time.
 */
export async function harnessSide(
  name: string,
  binary: string,
  args: readonly string[],
  clock: Clock,
): Promise<HarnessSide> {
  const child: ChildProcess = spawn(binary, [...args, '--serve', '1', '--clock', clock], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const queued: string[] = [];
  let exited: Error | undefined;
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else queued.push(l);
  });
  child.once('exit', (code, signal) => {
    exited = new Error(
      `${name}: the harness exited (${code ?? signal}): ${stderr.trim().split('\n')[0] ?? ''}`,
    );
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = (): Promise<string> => {
    const l = queued.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (exited) return Promise.reject(exited);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const header = JSON.parse(await next()) as Record<string, unknown>;
  if (header.serve !== true) throw new Error(`${name}: the harness did not enter --serve mode`);
  return {
    name,
    header,
    otherProcess: true,
    async batch(n) {
      child.stdin!.write(`${Math.max(1, Math.round(n))}\n`);
      const ns = Number(await next());
      if (!Number.isFinite(ns)) throw new Error(`${name}: bad batch reply`);
      return ns;
    },
    close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end('q\n');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }
    },
  };
}

export interface PairedCase {
  readonly name: string;
  /** krbsim's side, or undefined when it is pending (the baselines are still measured, unpaired). */
  readonly krbsim: Side | undefined;
  readonly baselines: readonly Side[];
  /** Warm-up per side before calibration, ms (default {@link PairedOptions.warmMs}). */
  readonly warmMs?: number;
}

export interface PairedOptions {
  /** Target duration of one batch, ms (~40). */
  readonly batchMs: number;
  /** Pairs per run (25). */
  readonly pairs: number;
  /** Runs per case, spread over the measurement (3). */
  readonly runs: number;
  /** Warm-up per side, ms. */
  readonly warmMs: number;
  readonly clock: Clock;
}

/** One run of one case. */
interface RunFigure {
  /** Median ns/op of krbsim's batches (undefined when pending). */
  readonly krbsimNs: number | undefined;
  /**
   * Per baseline: median ns/op of its batches, the median per-pair ratio, and
   * the ratio of the run's total times per operation (which keeps the rare
   * expensive batch, a major GC, that the median leaves out).
   */
  readonly baselines: readonly {
    readonly ns: number;
    readonly ratio: number | undefined;
    readonly totalRatio: number | undefined;
    /** Other-process baselines: this process's CPU ns during their batches, per krbsim call (median over pairs). */
    readonly nodeCpu: number | undefined;
    /** Other-process baselines, CPU clock: the median per-pair ratio with that CPU (every harness's) charged to krbsim. */
    readonly chargedRatio: number | undefined;
  }[];
}

/** A figure with its range over runs. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Each run's figure, in run order. */
  readonly runs: readonly number[];
}

export interface PairedResult {
  readonly name: string;
  /** krbsim's ns/op: the median (and range) of the runs' medians. */
  readonly krbsim: Spread | undefined;
  readonly baselines: readonly {
    readonly name: string;
    readonly ns: Spread;
    /** Baseline ns ÷ krbsim ns per pair: median of each run's median, and the range. */
    readonly ratio: Spread | undefined;
    /** Baseline ÷ krbsim of each run's total time per operation: median and range over runs. */
    readonly totalRatio: Spread | undefined;
    /**
     * Baselines in another process (the MIT harness) only: this process's
     * CPU time while the baseline's batches ran, in ns per krbsim call
     * (per run the median over pairs; median and range over runs). Work of
     * this process that no side's CPU clock counted.
     */
    readonly nodeCpu?: Spread;
    /**
     * Baselines in another process, CPU clock only: the per-pair ratio with
     * this process's CPU time during every harness batch of the pair added
     * to krbsim's batch (all of it charged to krbsim: a lower bound on the
     * ratio). Under the wall clock on one pinned core that time is already
     * inside the harness's own batch time, so there is no second ratio.
     */
    readonly chargedRatio?: Spread;
  }[];
  /** Calls per batch, per side (krbsim first). */
  readonly batchSizes: readonly number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function spread(runs: readonly number[]): Spread {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}

/**
 * Warm `side` for `warmMs` (wall time), then size a batch to `batchMs`: the
 * batch doubles until one takes 5 ms, and the fastest of that batch and two
 * more of its size gives the estimate. One batch may hold a GC pause (right
 * after a case fills a replay cache, a major GC): sized from it alone, the
 * batches came out a hundred times too small and measured mostly what
 * happens between batches.
 */
async function calibrate(side: Side, warmMs: number, batchMs: number): Promise<number> {
  const until = performance.now() + warmMs;
  let n = 1;
  for (;;) {
    const ns = await side.batch(n);
    if (ns < 5e6) {
      n *= 2;
      continue;
    }
    if (performance.now() < until) continue;
    const best = Math.min(ns, await side.batch(n), await side.batch(n));
    return Math.max(1, Math.round((n * batchMs * 1e6) / best));
  }
}

/**
 * Measure every case with the paired method (see the module doc). Sides are
 * warmed and calibrated case by case first; then run r of every case, for
 * r = 1..runs. Harness sides are closed at the end.
 */
export async function measurePaired(
  cases: readonly PairedCase[],
  opts: PairedOptions,
): Promise<PairedResult[]> {
  const sizes: number[][] = [];
  try {
    for (const c of cases) {
      const sides = [...(c.krbsim ? [c.krbsim] : []), ...c.baselines];
      const n: number[] = [];
      for (const s of sides) n.push(await calibrate(s, c.warmMs ?? opts.warmMs, opts.batchMs));
      sizes.push(n);
    }
    const runs: RunFigure[][] = cases.map(() => []);
    for (let r = 0; r < opts.runs; r++) {
      for (const [ci, c] of cases.entries()) {
        const fig = await oneRun(c, sizes[ci]!, opts.pairs, opts.clock);
        runs[ci]!.push(fig);
      }
    }
    return cases.map((c, ci) => {
      const rs = runs[ci]!;
      return {
        name: c.name,
        krbsim: c.krbsim ? spread(rs.map((x) => x.krbsimNs!)) : undefined,
        baselines: c.baselines.map((b, bi) => {
          const ofRuns = (get: (x: RunFigure['baselines'][number]) => number | undefined) => {
            const xs = rs.map((x) => get(x.baselines[bi]!));
            return xs.every((x) => x !== undefined) ? spread(xs as number[]) : undefined;
          };
          const nodeCpu = ofRuns((x) => x.nodeCpu);
          const chargedRatio = ofRuns((x) => x.chargedRatio);
          return {
            name: b.name,
            ns: spread(rs.map((x) => x.baselines[bi]!.ns)),
            ratio: ofRuns((x) => x.ratio),
            totalRatio: ofRuns((x) => x.totalRatio),
            ...(nodeCpu && { nodeCpu }),
            ...(chargedRatio && { chargedRatio }),
          };
        }),
        batchSizes: sizes[ci]!,
      };
    });
  } finally {
    for (const c of cases) for (const s of [c.krbsim, ...c.baselines]) s?.close?.();
  }
}

/**
 * The order of the sides in pair `p` (0-based) of a case with `n` sides.
 * Even pairs take a row of a Williams design (a Latin square whose first
 * row is 0, 1, n-1, 2, n-2, ..., each further row that row plus a shift,
 * mod n); each odd pair is the mirror of the pair before it; the shift moves
 * on every two pairs. Over n pairs (2n for an odd n) every side takes every
 * position equally often and follows every other side equally often within
 * a pair, and any two adjacent pairs put every two sides once each way
 * round. With two sides: 0, 1 / 1, 0, alternating.
 */
export function pairOrder(p: number, n: number): number[] {
  const first = [0];
  for (let j = 1; j < n; j++) first.push(j % 2 === 1 ? (j + 1) / 2 : n - j / 2);
  // For an even n the mirror of row r is row r + n/2: n/2 rows and their mirrors make the n rows.
  const shift = Math.floor(p / 2) % (n % 2 === 0 ? n / 2 : n);
  const row = first.map((s) => (s + shift) % n);
  return p % 2 === 0 ? row : row.reverse();
}

async function oneRun(c: PairedCase, n: readonly number[], pairs: number, clock: Clock): Promise<RunFigure> {
  const sides = [...(c.krbsim ? [c.krbsim] : []), ...c.baselines];
  // Per side, per pair: ns per call, and this process's CPU ns during the batch (other-process sides only).
  const perOp: number[][] = sides.map(() => new Array<number>(pairs));
  const nodeCpuNs: number[][] = sides.map(() => new Array<number>(pairs).fill(0));
  for (let p = 0; p < pairs; p++) {
    for (const i of pairOrder(p, sides.length)) {
      const side = sides[i]!;
      const cpu0 = side.otherProcess ? cpuNs() : 0;
      const ns = await side.batch(n[i]!);
      if (side.otherProcess) nodeCpuNs[i]![p] = cpuNs() - cpu0;
      perOp[i]![p] = ns / n[i]!;
    }
  }
  const off = c.krbsim ? 1 : 0;
  const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);
  const pairIndexes = Array.from({ length: pairs }, (_, p) => p);
  // Per pair, krbsim's ns per call with this process's CPU during every harness batch of the pair added.
  const krbsimCharged = c.krbsim
    ? pairIndexes.map((p) => perOp[0]![p]! + sum(nodeCpuNs.map((x) => x[p]!)) / n[0]!)
    : [];
  return {
    krbsimNs: c.krbsim ? median(perOp[0]!) : undefined,
    baselines: c.baselines.map((b, bi) => {
      const i = bi + off;
      const ratioTo = (krbsimNs: readonly number[]) =>
        median(pairIndexes.map((p) => perOp[i]![p]! / krbsimNs[p]!));
      const measuredApart = c.krbsim !== undefined && b.otherProcess === true;
      return {
        ns: median(perOp[i]!),
        ratio: c.krbsim ? ratioTo(perOp[0]!) : undefined,
        totalRatio: c.krbsim ? sum(perOp[i]!) / sum(perOp[0]!) : undefined,
        nodeCpu: measuredApart ? median(nodeCpuNs[i]!.map((x) => x / n[0]!)) : undefined,
        chargedRatio: measuredApart && clock === 'cpu' ? ratioTo(krbsimCharged) : undefined,
      };
    }),
  };
}

/** The paired options of a full run and of `--quick` (a smoke run: not figures to quote). */
export function pairedOptions(quick: boolean, clock: Clock): PairedOptions {
  return quick
    ? { batchMs: 20, pairs: 5, runs: 3, warmMs: 100, clock }
    : { batchMs: 40, pairs: 25, runs: 3, warmMs: 300, clock };
}

// --- the machine ------------------------------------------------------------

/**
 * The CPU model: /proc/cpuinfo's first `model name`, else what Node reports
 * (`os.cpus()`), else `unknown (<arch>)`. Every suite's console header and
 * result file carries it ({@link cpuLine}).
 */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    const model = m?.[1]?.trim();
    if (model) return model;
  } catch {
    // no /proc: fall back to Node's view
  }
  const fromNode = cpus()[0]?.model.trim();
  return fromNode ? fromNode : `unknown (${arch()})`;
}

/** `CPU: <model>`: the line every suite prints under its heading and writes into its result file. */
export function cpuLine(): string {
  return `CPU: ${cpuModel()}`;
}

/** `1.23 0.98 0.75`: the 1, 5 and 15-minute load averages. */
export function loadText(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

// --- formatting --------------------------------------------------------------

const sig3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

function ratioText(r: number): string {
  return r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/** `1.23x (1.18-1.30)`: the median ratio and its range over runs. */
export function spreadRatio(s: Spread | undefined): string {
  if (s === undefined) return '—';
  return `${ratioText(s.median)}x (${ratioText(s.min)}-${ratioText(s.max)})`;
}

/**
 * A goal's verdict from a figure's median and range over runs: `met` when
 * the whole range meets it, `met at the median; the range crosses the goal`
 * when only the median does, else `NOT met`. `better` says which side of the
 * goal meets it (`above`: at least the goal; `below`: at most).
 */
export function goalVerdict(s: Spread, goal: number, better: 'above' | 'below' = 'above'): string {
  const meets = (x: number) => (better === 'above' ? x >= goal : x <= goal);
  const worst = better === 'above' ? s.min : s.max;
  if (meets(worst)) return 'met';
  return meets(s.median) ? 'met at the median; the range crosses the goal' : 'NOT met';
}

/**
 * `this process's CPU during its batches: 85 ns (80-90) per krbsim call; charged
 * to krbsim: 1.02x (1.00-1.03)`: what a baseline in another process leaves
 * uncounted (see the module doc), for the line or note beside its ratio.
 */
export function nodeCpuText(nodeCpu: Spread, charged: Spread | undefined): string {
  const tail = charged ? `; ratio with it charged to krbsim: ${spreadRatio(charged)}` : '';
  return `Node's CPU during its batches: ${spreadTime(nodeCpu)} per krbsim call${tail}`;
}

/** `4.20 µs (4.10-4.35)`: a time per operation and its range over runs. */
export function spreadTime(s: Spread | undefined): string {
  if (s === undefined) return '—';
  const unit = s.median < 1e3 ? [1, 'ns'] : s.median < 1e6 ? [1e3, 'µs'] : [1e6, 'ms'];
  const f = (x: number) => sig3.format(x / (unit[0] as number));
  return `${f(s.median)} ${unit[1]} (${f(s.min)}-${f(s.max)})`;
}
