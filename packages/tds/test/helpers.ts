/** What the TDS tests share: reason-and-path (and message) readers for TdsErrors, and manual timers. */

import { isTdsError, type TdsTimers } from '@krbsim/tds';

/** `reason path` of the TdsError `f` throws (a different error is rethrown); undefined if none. */
export function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTdsError(e)) return `${e.reason} ${e.path}`;
    throw e;
  }
  return undefined;
}

/** `reason path: message` of the TdsError `f` throws, its `name` checked (a different error is rethrown); undefined if none. */
export function refusalMessage(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTdsError(e) && e.name === 'TdsError') return `${e.reason} ${e.message}`;
    throw e;
  }
  return undefined;
}

/** Timers that fire only when told: a deadline runs when the test calls {@link ManualTimers.fireAll}. */
export class ManualTimers implements TdsTimers {
  readonly #pending = new Map<number, { callback: () => void; ms: number }>();
  #next = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#pending.set(id, { callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Deadlines not yet fired or cleared, by their delay. */
  pending(): number[] {
    return [...this.#pending.values()].map((p) => p.ms);
  }

  /** Fire every pending callback with a delay of `ms` (all when omitted). */
  fire(ms?: number): number {
    let n = 0;
    for (const [id, p] of [...this.#pending]) {
      if (ms !== undefined && p.ms !== ms) continue;
      this.#pending.delete(id);
      p.callback();
      n++;
    }
    return n;
  }
}

/** Waits for `f` to hold, polling while the event loop runs the sockets (I/O, not time, is awaited); gives up after 500 polls. */
export async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!f()) throw new Error('timed out waiting');
}
