/** What the TDS tests share: reason-and-path (and message) readers for TdsErrors, manual timers, and waiting on I/O. */

import { isTdsError, type SessionFacts, type TdsTimers } from '@krbsim/tds';

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

/**
 * Resolves once `f` holds, checked once per event-loop turn (as transport's test helper does):
 * between turns Node runs the sockets' I/O, so what is awaited is I/O, never a timer or the
 * clock. On loopback every wait here holds within a dozen turns; after `turns` (default
 * 100,000) it fails, naming `what`: a wait that never ends, not a slow one.
 */
export async function until(f: () => boolean, what = f.toString(), turns = 100_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (f()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened in ${turns} event-loop turns: ${what}`);
}

/** A logged-in session's facts, as the SQL surface tests answer from them. */
export const SESSION_FACTS: SessionFacts = {
  login: 'CONTOSO\\alice',
  authScheme: 'KERBEROS',
  version: 'Microsoft SQL Azure (RTM) - 12.0.2000.8',
  serverName: 'mi1',
  spid: 51,
  database: 'master',
  encrypted: true,
  clientAddress: '127.0.0.1',
  isMember: (n) => (n === 'CONTOSO\\SqlAdmins' ? 1 : n === 'CONTOSO\\Auditors' ? 0 : null),
  isSrvRoleMember: (r) => (r === 'sysadmin' ? 0 : null),
};
