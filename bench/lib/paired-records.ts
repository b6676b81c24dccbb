/**
 * Ratios between any two sides of one paired case, not only baseline ÷
 * krbsim: the pac suite pairs krbsim at 10, 100 and 1,000 groups with MIT at
 * the same sizes in one case, and needs MIT(N) ÷ krbsim(N) and krbsim(N) ÷
 * krbsim(10) per pair, as the paired method computes its own ratios.
 *
 * {@link recordingSide} keeps every batch's ns/op. After calibration,
 * `measurePaired` calls every side of a case exactly once per pair, runs ×
 * pairs times (bench/lib/paired.ts `oneRun`), so the last runs × pairs
 * batches of each side line up pair by pair; {@link pairedFigure} reads
 * them so, and gives the median per run and the spread over runs.
 */

import type { PairedOptions, Side, Spread } from './paired';
import { median, spread } from './paired';

/** A side that remembers each batch's ns per operation. */
export interface RecordingSide extends Side {
  readonly perOp: number[];
}

export function recordingSide(side: Side): RecordingSide {
  const perOp: number[] = [];
  return {
    name: side.name,
    perOp,
    async batch(n) {
      const ns = await side.batch(n);
      perOp.push(ns / n);
      return ns;
    },
    close: () => side.close?.(),
  };
}

/**
 * `f` of the sides' ns/op in each measured pair: the median per run, and
 * its spread over runs (the paired method's statistic).
 */
export function pairedFigure(
  sides: readonly RecordingSide[],
  opts: PairedOptions,
  f: (nsPerOp: readonly number[]) => number,
): Spread {
  const measured = opts.runs * opts.pairs;
  const tails = sides.map((s) => {
    if (s.perOp.length < measured)
      throw new Error(`${s.name}: ${s.perOp.length} batches, expected ${measured}+`);
    return s.perOp.slice(s.perOp.length - measured);
  });
  const runs: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    const values: number[] = [];
    for (let p = 0; p < opts.pairs; p++) values.push(f(tails.map((t) => t[r * opts.pairs + p]!)));
    runs.push(median(values));
  }
  return spread(runs);
}
