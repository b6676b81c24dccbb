/**
 * A clock of one party of the lab (the clients, a KDC, an instance): the
 * lab's shared clock plus an offset of the party's own. Every offset is 0
 * until a test sets one, so the lab runs on one time by default; skew
 * between any two parties is the difference of their offsets
 * (`lab.clockOf('client').skewMs = 10 * Duration.minute`), and advancing a
 * party's clock expires what that party holds (its PRT, its cloud TGT, its
 * tickets) without moving anyone else.
 *
 * @module
 */

import type { Clock } from '@krbsim/core';

/** One party's clock: the shared clock, shifted by {@link skewMs}. */
export class PartyClock implements Clock {
  /** The party, e.g. `client`, `CONTOSO.COM`, `mi1`. */
  readonly party: string;
  readonly #base: Clock;
  #skewMs = 0;

  constructor(party: string, base: Clock) {
    this.party = party;
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#skewMs;
  }

  /** How far ahead of the shared clock this party is (negative: behind). Default 0. */
  get skewMs(): number {
    return this.#skewMs;
  }

  set skewMs(ms: number) {
    if (!Number.isFinite(ms))
      throw new RangeError(`PartyClock ${this.party}: skewMs must be finite, got ${ms}`);
    this.#skewMs = ms;
  }

  /** Moves this party's time forward by `ms` (back, if negative), and no one else's. */
  advance(ms: number): void {
    this.skewMs = this.#skewMs + ms;
  }
}
