/**
 * Seeds every property test of a run when `KRBSIM_FC_SEED` is set (`.ci/run`
 * sets it from the commit, as it seeds `pnpm fuzz`): a rerun of a commit's CI
 * then feeds the same inputs, and a counterexample it finds reproduces with
 * the same variable. Unset (a developer's `pnpm test`), fast-check picks a
 * fresh seed each run, and prints it with any counterexample.
 */

import { createHash } from 'node:crypto';
import fc from 'fast-check';

const text = process.env.KRBSIM_FC_SEED;
if (text !== undefined && text !== '') {
  // fast-check takes a 32-bit integer seed.
  const seed = createHash('sha256').update(text).digest().readInt32BE(0);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
