/**
 * The paired method (./paired.ts) for servers under UDP load (kdc-udp,
 * kdc-workers): the servers take turns under the same load client in short
 * windows, and each figure is the median of per-pair ratios with its range
 * over runs.
 *
 * A window is `rampMs` of load (untimed: the socket window fills, caches
 * warm) then `windowMs` measured. A pair is one window per server, in the
 * order ./paired.ts's `pairOrder` gives (each pair the mirror of the one
 * before, rotated so that every server takes every position equally often).
 * The windows are longer than the ~40 ms batches
 * of in-process cases: a window must hold thousands of replies, and the
 * server CPU time read from /proc counts in 10 ms ticks (at 500 ms, ±2%).
 *
 * Every window counts the requests that failed: KRB-ERRORs and other
 * replies that are not the expected one (`errors`), and requests unanswered
 * within the load client's timeout (`lost`). {@link loadFailures} sums them
 * per server; above {@link FAILED_SHARE} of the requests, the server's
 * figures are not figures, and the suites say so loudly.
 *
 * @module
 */

import type { LoadResult } from './exchanges-load';
import { median, pairOrder, type Spread, spread } from './paired';

/** One server under load: runs a window and returns its figures. */
export interface LoadSide {
  readonly name: string;
  run(warmupMs: number, durationMs: number): Promise<LoadResult>;
}

export interface LoadPlan {
  /** Load before a server's first window (krbsim's JIT warm-up). */
  readonly firstWarmupMs: number;
  /** Untimed load at the start of every window. */
  readonly rampMs: number;
  readonly windowMs: number;
  readonly pairs: number;
  readonly runs: number;
}

/** Every window: `windows.get(server)[run][pair]`. */
export type LoadWindows = Map<string, LoadResult[][]>;

/** Warm every side, then `runs` runs of `pairs` pairs of windows. */
export async function measureLoadPaired(
  sides: readonly LoadSide[],
  plan: LoadPlan,
  onWindow?: (side: string, run: number, r: LoadResult) => void,
): Promise<LoadWindows> {
  for (const s of sides) await s.run(plan.firstWarmupMs, Math.min(plan.windowMs, 200));
  const out: LoadWindows = new Map(sides.map((s) => [s.name, []]));
  for (let run = 0; run < plan.runs; run++) {
    for (const s of sides) out.get(s.name)!.push([]);
    for (let p = 0; p < plan.pairs; p++) {
      for (const i of pairOrder(p, sides.length)) {
        const s = sides[i]!;
        const r = await s.run(plan.rampMs, plan.windowMs);
        out.get(s.name)![run]!.push(r);
        onWindow?.(s.name, run, r);
      }
    }
  }
  return out;
}

/** A server's figure: per run the median over its windows, then the median and range over runs. */
export function loadSpread(windows: LoadWindows, side: string, metric: (r: LoadResult) => number): Spread {
  return spread(windows.get(side)!.map((run) => median(run.map(metric))));
}

/**
 * `metric(b) / metric(a)` per pair of windows: per run the median, then the
 * median and range over runs. For throughput pass ns per reply (1e9 / rate),
 * so that the ratio reads as everywhere else: above 1, `a` is faster.
 */
export function loadRatio(
  windows: LoadWindows,
  a: string,
  b: string,
  metric: (r: LoadResult) => number,
): Spread | undefined {
  const wa = windows.get(a);
  const wb = windows.get(b);
  if (!wa || !wb) return undefined;
  const perRun = wa.map((run, i) => median(run.map((x, p) => metric(wb[i]![p]!) / metric(x))));
  return spread(perRun);
}

/** ns per reply of a window (1e9 / replies per second). */
export const nsPerReply = (r: LoadResult): number => 1e9 / r.repliesPerSec;

/** Server CPU ns per reply of a window (NaN without /proc). */
export const cpuNsPerReply = (r: LoadResult): number => (r.serverCpuUsPerReply ?? Number.NaN) * 1e3;

/** Failed requests above this share of a server's requests (errors + lost) make its figures FAILED. */
export const FAILED_SHARE = 0.001;

/** A server's failed requests over all its measured windows. */
interface LoadFailures {
  readonly replies: number;
  readonly errors: number;
  readonly lost: number;
  /** (errors + lost) ÷ (replies + errors + lost). */
  readonly share: number;
  /** True when `share` is above {@link FAILED_SHARE}. */
  readonly failed: boolean;
}

export function loadFailures(windows: LoadWindows, side: string): LoadFailures {
  let replies = 0;
  let errors = 0;
  let lost = 0;
  for (const run of windows.get(side) ?? []) {
    for (const w of run) {
      replies += w.replies;
      errors += w.errors;
      lost += w.lost;
    }
  }
  const requests = replies + errors + lost;
  const share = requests === 0 ? 1 : (errors + lost) / requests;
  return { replies, errors, lost, share, failed: share > FAILED_SHARE };
}

/** `errors 0, lost 0 of 123,456 requests`, and a loud FAILED when above the threshold. */
export function failuresText(f: LoadFailures): string {
  const counts = `errors ${f.errors.toLocaleString('en-US')}, lost ${f.lost.toLocaleString('en-US')} of ${(f.replies + f.errors + f.lost).toLocaleString('en-US')} requests`;
  return f.failed
    ? `FAILED: ${counts} (${(100 * f.share).toFixed(2)}%, above ${100 * FAILED_SHARE}%): these figures are not figures`
    : counts;
}

/**
 * For each server whose failures are above the threshold, a loud line (the
 * suites print it and keep it as a note); none when every server answered.
 */
export function failureWarnings(windows: LoadWindows, label = ''): string[] {
  const out: string[] = [];
  for (const name of windows.keys()) {
    const f = loadFailures(windows, name);
    if (f.failed) out.push(`!!! ${label}${name}: ${failuresText(f)}`);
  }
  return out;
}
