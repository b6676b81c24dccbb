/**
 * The timer seam of the TDS listener and client: deadlines (the time to
 * log in, the time to answer) are scheduled through {@link TdsTimers}, so a
 * test can hold time still and fire a deadline when it chooses. The shape
 * is `@krbsim/transport`'s `ServerTimers` without `now`, so one fake serves
 * both.
 *
 * @module
 */

/** What the TDS listener and client need of a timer facility. */
export interface TdsTimers {
  /** Call `callback` once, `ms` from now; returns a handle for {@link TdsTimers.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a callback that has not run. */
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unreferenced so a pending deadline never keeps a process alive. */
export const systemTdsTimers: TdsTimers = Object.freeze({
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
