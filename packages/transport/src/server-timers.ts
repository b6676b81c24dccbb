/**
 * The timer seam of the network servers. A server's deadlines (a TCP
 * connection's idle time, the time a request may take to arrive) read and
 * schedule through {@link ServerTimers}, so a test can hold time still and
 * fire a deadline when it chooses, with no sleeping. The Kerberos clock
 * (`Clock` in `@krbsim/core`, the time KRB-ERRORs carry) is a separate seam:
 * a realm may run at a fixed date while its sockets time out in real time.
 *
 * @module
 */

/** What a server needs of a timer facility. */
export interface ServerTimers {
  /** Milliseconds on a monotonic scale (any origin). */
  now(): number;
  /** Call `callback` once, `ms` from now; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a callback that has not run. */
  clearTimeout(handle: unknown): void;
}

/** Node's timers and `performance.now()`. */
export const systemTimers: ServerTimers = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
