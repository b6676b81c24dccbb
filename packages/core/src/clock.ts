/**
 * The injected clock. Every realm, client and service reads time through a
 * {@link Clock}, so a test can hold time still or move it forward (ticket
 * expiry, clock skew, the PRT refresh window) without sleeping.
 *
 * @module
 */

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * A clock that only moves when told to. The default start,
 * 2026-01-01T00:00:00Z, keeps seeded runs reproducible.
 */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#ms;
  }

  /** Set the time (milliseconds since the epoch, or a Date). */
  set(to: number | Date): void {
    this.#ms = typeof to === 'number' ? to : to.getTime();
  }

  /** Move time forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Durations in milliseconds, for readable clock arithmetic. */
export const Duration = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const;
