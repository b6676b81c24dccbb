/**
 * KRBSIM_FC_SEED seeds every property test (test/setup/fast-check-seed.ts,
 * run before each test file): with it set, as in CI, fast-check draws the
 * same values each time it starts a run; without it, fresh ones.
 */

import fc from 'fast-check';
import { expect, it } from 'vitest';

it('KRBSIM_FC_SEED, when set, seeds every fast-check run; unset, fast-check picks its own', () => {
  const draw = () => fc.sample(fc.bigInt(), 5);
  if ((process.env.KRBSIM_FC_SEED ?? '') !== '') {
    expect(fc.readConfigureGlobal().seed).toEqual(expect.any(Number));
    expect(draw()).toEqual(draw());
  } else {
    expect(fc.readConfigureGlobal().seed).toBeUndefined();
    expect(draw()).not.toEqual(draw());
  }
});
