/**
 * The replay cache against a model: random sequences of checks, clock moves
 * and prunes. The model remembers every accepted authenticator for its whole
 * window, unbounded, so it says exactly which checks are replays.
 *
 * - Safety, always: a replay inside its window is refused, and a refused
 *   check changes nothing (the size stays, and everything refused before is
 *   still refused).
 * - Until the cache has been full, it never had to evict early, so it must
 *   agree with the model on every check: nothing fresh is refused.
 * - The size never exceeds the bound.
 */

import { createHash } from 'node:crypto';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { ReplayCache, type ReplayEntry } from '@krbsim/service';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOW = 300_000;

type Op =
  | { kind: 'check'; auth: number; offsetS: number; tagged: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'prune' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('check' as const),
      auth: fc.nat(400),
      offsetS: fc.integer({ min: -400, max: 30 }),
      tagged: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(90_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const) }) },
);

/** Authenticator `auth`: fixed on first sight (its ctime, relative to the clock then). */
function authenticator(
  known: Map<number, ReplayEntry>,
  auth: number,
  tagged: boolean,
  ctime: number,
): ReplayEntry {
  let e = known.get(auth);
  if (e === undefined) {
    const base = { client: `u${auth % 7}@X`, server: 'HTTP/s@X', ctime, cusec: auth };
    e = tagged
      ? { ...base, tag: createHash('sha256').update(`auth ${auth}`).digest().subarray(0, 12) }
      : base;
    known.set(auth, e);
  }
  return e;
}

function run(ops: Op[], maxEntries: number): { evictedEarly: boolean } {
  const clock = new ManualClock(T0);
  const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries });
  const known = new Map<number, ReplayEntry>();
  const accepted = new Map<number, number>(); // auth -> expiry, in the model
  let evictedEarly = false;
  for (const o of ops) {
    if (o.kind === 'advance') {
      clock.advance(o.ms);
      continue;
    }
    if (o.kind === 'prune') {
      const before = rc.size;
      const went = rc.prune();
      expect(rc.size).toBe(before - went);
      continue;
    }
    const now = clock.now();
    const e = authenticator(known, o.auth, o.tagged, Math.floor(now / 1000) * 1000 + o.offsetS * 1000);
    // Remembered while the skew check passes it: until ctime (with cusec's milliseconds) + the window.
    const expiry = e.ctime + Math.floor(e.cusec / 1000) + WINDOW + 1;
    const replay = (accepted.get(o.auth) ?? Number.NEGATIVE_INFINITY) > now;
    // A full cache makes room by evicting, live entries included (see the module doc).
    if (!replay && expiry > now && rc.size >= maxEntries) evictedEarly = true;
    const before = rc.size;
    let code: number | undefined;
    try {
      rc.check(e);
    } catch (err) {
      code = (err as { code: number }).code;
    }
    if (replay) {
      expect(code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    } else if (code === undefined) {
      if (expiry > now) accepted.set(o.auth, expiry);
    } else {
      // Refusing a fresh authenticator is only allowed once the cache had to drop live entries.
      expect(code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
      expect(evictedEarly).toBe(true);
    }
    if (code !== undefined) expect(rc.size).toBeLessThanOrEqual(before); // a refusal stores nothing
    expect(rc.size).toBeLessThanOrEqual(maxEntries);
  }
  // Every authenticator still inside its window is refused, however the run went.
  for (const [auth, expiry] of accepted) {
    if (expiry <= clock.now()) continue;
    expect(() => rc.check(known.get(auth)!)).toThrow(/replay/);
  }
  return { evictedEarly };
}

describe('ReplayCache against a model', () => {
  it('never accepts a replay and never refuses a fresh authenticator while under its bound', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        expect(run(ops, 10_000).evictedEarly).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('stays bounded and safe under floods that force early eviction', () => {
    let flooded = 0;
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 50, maxLength: 400 }),
        fc.integer({ min: 1, max: 40 }),
        (ops, max) => {
          if (run(ops, max).evictedEarly) flooded++;
        },
      ),
      { numRuns: 300 },
    );
    expect(flooded).toBeGreaterThan(50); // the bound was really exercised
  });

  it('keeps every entry through table growth, probe-run deletions and queue compaction', () => {
    // 5000 live authenticators grow the table from 1024 slots to 16384; then half expire in an
    // interleaved order, so deletions shift entries inside long probe runs.
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 6000 });
    const entry = (i: number, ctime: number): ReplayEntry => ({
      client: 'c@X',
      server: 's@X',
      ctime,
      cusec: i,
      tag: createHash('sha256').update(`n${i}`).digest(),
    });
    const entries = Array.from({ length: 5000 }, (_, i) => entry(i, T0 - (i % 2 === 0 ? 200_000 : 0)));
    for (const e of entries) rc.check(e);
    expect(rc.size).toBe(5000);
    clock.advance(150_000); // the even ones (ctime T0 - 200 s) expire at T0 + 100 s
    expect(rc.prune()).toBe(2500);
    expect(rc.size).toBe(2500);
    for (const [i, e] of entries.entries()) {
      if (i % 2 === 1) expect(() => rc.check(e)).toThrow(/replay/);
    }
    // 20 000 more, in waves that expire, cycle the queue through compaction.
    for (let w = 0; w < 4; w++) {
      clock.advance(WINDOW);
      for (let i = 0; i < 5000; i++) rc.check(entry(10_000 * (w + 1) + i, clock.now()));
      expect(rc.size).toBeLessThanOrEqual(6000);
      expect(() => rc.check(entry(10_000 * (w + 1) + 4999, clock.now()))).toThrow(/replay/);
    }
  });
});
