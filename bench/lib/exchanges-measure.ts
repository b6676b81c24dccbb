/**
 * What bench/lib/measure.ts does not do, for the exchange suites:
 *
 * - measure an ASYNC operation. runSuite hands mitata
 *   `() => do_not_optimize(fn())`, which returns undefined, so a Promise
 *   returned by `fn` is never awaited: an async case would time only its
 *   synchronous start. A client's AS or TGS exchange is async (the transport
 *   is), so {@link measureAsync} runs mitata on an awaited function, with
 *   the same method as runSuite: a warm-up, then interleaved rounds (best
 *   median wins), timed by the run's clock.
 * - read the run's options in a suite. A suite builder gets `{ mit, quick }`
 *   only; the clock (`--clock cpu|wall`, passed by run.ts to its children)
 *   is read from argv by {@link runOptions}.
 *
 * Figures measured here reach the output as suite notes and printed lines,
 * not as table rows (runSuite has no way to take a figure measured
 * elsewhere). See bench/README.md, "exchanges".
 */

import { do_not_optimize, measure } from 'mitata';
import { fmtOps, fmtRatio, fmtTime } from './measure';

export interface RunOptions {
  readonly quick: boolean;
  readonly clock: 'wall' | 'cpu';
  /** mitata rounds per implementation (run.ts: 3, or 1 with --quick). */
  readonly rounds: number;
  /** mitata's minimum time per round, ms (run.ts: 200, or 100 with --quick). */
  readonly minCpuTimeMs: number;
}

/** The options run.ts gave this child process (argv), or a standalone default. */
export function runOptions(quick: boolean): RunOptions {
  const argv = process.argv;
  const i = argv.indexOf('--clock');
  const c = i >= 0 ? argv[i + 1] : undefined;
  const clock = c === 'cpu' || c === 'wall' ? c : 'wall';
  return { quick, clock, rounds: quick ? 1 : 3, minCpuTimeMs: quick ? 100 : 200 };
}

/** Process CPU time in ns, as measure.ts times a pinned run. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

export interface AsyncFigure {
  readonly name: string;
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  readonly p25: number;
  readonly p75: number;
}

/**
 * How long to run a case before measuring it. krbsim's exchanges take
 * seconds of CPU before V8 has optimized them (a client AS exchange: about
 * 2.9 ms on the first calls, 0.23 ms after ~4 s on this machine class),
 * while runSuite warms a case for 50 ms only; the suites call {@link warmUp}
 * first so that the figures are steady-state ones.
 */
export function warmMs(opts: RunOptions, full = 2500): number {
  return opts.quick ? Math.min(400, full) : full;
}

/** Call `fn` for `ms` milliseconds (a sync case). */
export function warmUp(fn: () => unknown, ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) for (let i = 0; i < 8; i++) fn();
}

/**
 * Measure `fn` (awaited each call) like runSuite measures a sync case:
 * warm up for `warm` ms, then `rounds` mitata runs of at least `minCpuTimeMs`;
 * the figure is the fastest round's median.
 */
export async function measureAsync(
  name: string,
  fn: () => Promise<unknown>,
  opts: RunOptions,
  warm = warmMs(opts),
): Promise<AsyncFigure> {
  await fn(); // errors surface here, plainly
  const until = performance.now() + warm;
  while (performance.now() < until) await fn();
  let best: { p50: number; p25: number; p75: number } | undefined;
  for (let r = 0; r < opts.rounds; r++) {
    const stats = await measure(
      async () => {
        do_not_optimize(await fn());
      },
      { min_cpu_time: opts.minCpuTimeMs * 1e6, ...(opts.clock === 'cpu' ? { now: cpuNow } : {}) },
    );
    if (!best || stats.p50 < best.p50) best = { p50: stats.p50, p25: stats.p25, p75: stats.p75 };
  }
  return { name, nsPerOp: best!.p50, opsPerSec: 1e9 / best!.p50, p25: best!.p25, p75: best!.p75 };
}

const NAME_W = 54;

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

export { fmtOps, fmtRatio, fmtTime };
