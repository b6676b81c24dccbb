/** Test-side timers for servers: time moves only in {@link ManualTimers.advance}. */

import type { ServerTimers } from '@krbsim/transport';

export class ManualTimers implements ServerTimers {
  #now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** Timers scheduled and not yet run or cleared. */
  get scheduled(): number {
    return this.#due.size;
  }

  /** Move time forward by `ms`, running each callback that falls due, earliest first, at its time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#due)
        if (entry[1].at <= end && (!first || entry[1].at < first[1].at)) first = entry;
      if (first === undefined) break;
      this.#due.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].at);
      first[1].callback();
    }
    this.#now = end;
  }
}

/**
 * Resolve once `condition()` holds, checking once per event-loop turn (socket
 * events are handled between turns). No timer is involved; after `turns`
 * turns it fails, naming `what`.
 */
export async function until(condition: () => boolean, what: string, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

/** Let `n` event-loop turns pass: room for socket events that must not happen. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
