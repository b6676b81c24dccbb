/**
 * The servers' log lines go to a caller's sink, from socket and timer events.
 * A sink that throws must not end the process (and every other client's
 * exchange with it): its failure is swallowed, and serving goes on.
 *
 * @module
 */

/** `sink` wrapped so that a line it fails to take is dropped, never thrown; a no-op without one. */
export function safeLogSink(sink: ((line: string) => void) | undefined): (line: string) => void {
  if (sink === undefined) return () => {};
  return (line) => {
    try {
      sink(line);
    } catch {
      // The line is lost; serving goes on.
    }
  };
}
