/**
 * Ratios between any two sides of one paired case, not only baseline ÷
 * krbsim: the pac suite pairs krbsim at 10, 100 and 1,000 groups with MIT at
 * the same sizes in one case, and needs MIT(N) ÷ krbsim(N) and krbsim(N) ÷
 * krbsim(10) per pair, as the paired method computes its own ratios.
 *
 * {@link recordingSide} keeps every batch's ns/op, its number of calls and,
 * for a side in another process (the MIT harness), this process's CPU time
 * during the batch (./paired.ts's module doc says why). After calibration,
 * `measurePaired` calls every side of a case exactly once per pair, runs ×
 * pairs times (bench/lib/paired.ts `oneRun`), so the last runs × pairs
 * batches of each side line up pair by pair; {@link pairedFigure} reads
 * them so, and gives the median per run and the spread over runs.
 */

import type { PairedOptions, Side, Spread } from './paired';
import { cpuNs, median, spread } from './paired';

/** A side that remembers each batch's ns per operation, calls, and this process's CPU during it. */
export interface RecordingSide extends Side {
  readonly perOp: number[];
  readonly calls: number[];
  /** Other-process sides: this process's CPU ns during each batch; 0 for in-process sides. */
  readonly nodeCpuNs: number[];
}

export function recordingSide(side: Side): RecordingSide {
  const perOp: number[] = [];
  const calls: number[] = [];
  const nodeCpuNs: number[] = [];
  return {
    name: side.name,
    perOp,
    calls,
    nodeCpuNs,
    ...(side.otherProcess && { otherProcess: true }),
    async batch(n) {
      const cpu0 = side.otherProcess ? cpuNs() : 0;
      const ns = await side.batch(n);
      nodeCpuNs.push(side.otherProcess ? cpuNs() - cpu0 : 0);
      perOp.push(ns / n);
      calls.push(n);
      return ns;
    },
    close: () => side.close?.(),
  };
}

/** One measured pair, as {@link pairedFigure} hands it to its function besides the ns/op. */
export interface PairRecord {
  /** Calls in each side's batch. */
  readonly calls: readonly number[];
  /** This process's CPU ns during each side's batch (0 for in-process sides). */
  readonly nodeCpuNs: readonly number[];
}

/**
 * Side `i`'s ns per call in `pair` with all of this process's CPU time
 * during the pair's other-process batches added: what no side's CPU clock
 * counted, charged to side `i` (a bound; see ./paired.ts).
 */
export function chargedNs(nsPerOp: readonly number[], pair: PairRecord, i: number): number {
  const uncounted = pair.nodeCpuNs.reduce((a, x) => a + x, 0);
  return nsPerOp[i]! + uncounted / pair.calls[i]!;
}

/**
 * `f` of the sides' ns/op in each measured pair: the median per run, and
 * its spread over runs (the paired method's statistic).
 */
export function pairedFigure(
  sides: readonly RecordingSide[],
  opts: PairedOptions,
  f: (nsPerOp: readonly number[], pair: PairRecord) => number,
): Spread {
  const measured = opts.runs * opts.pairs;
  const tail = <T>(s: RecordingSide, xs: readonly T[]): readonly T[] => {
    if (xs.length < measured) throw new Error(`${s.name}: ${xs.length} batches, expected ${measured}+`);
    return xs.slice(xs.length - measured);
  };
  const perOp = sides.map((s) => tail(s, s.perOp));
  const calls = sides.map((s) => tail(s, s.calls));
  const nodeCpu = sides.map((s) => tail(s, s.nodeCpuNs));
  const runs: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    const values: number[] = [];
    for (let p = 0; p < opts.pairs; p++) {
      const at = r * opts.pairs + p;
      const pair: PairRecord = { calls: calls.map((t) => t[at]!), nodeCpuNs: nodeCpu.map((t) => t[at]!) };
      values.push(
        f(
          perOp.map((t) => t[at]!),
          pair,
        ),
      );
    }
    runs.push(median(values));
  }
  return spread(runs);
}
