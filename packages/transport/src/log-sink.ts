/**
 * The servers' log lines go to a caller's sink, from socket and timer events.
 * A sink that throws must not end the process (and every other client's
 * exchange with it): its failure is swallowed, and serving goes on.
 *
 * A line is one line: text a peer chose (a KDC proxy request's
 * `target-domain`, an error message that quotes it) has its control
 * characters escaped ({@link escapeControls}) before it goes into a message,
 * and every line is escaped again at the sink, so that nothing a peer sends
 * can end a line early and forge the next one in a text log, or reach a
 * terminal as an escape sequence.
 *
 * @module
 */

import { escapeControls } from '@krbsim/core';

/**
 * `sink` wrapped so that each line reaches it as one line ({@link escapeControls}),
 * and a line it fails to take is dropped, never thrown; a no-op without one.
 */
export function safeLogSink(sink: ((line: string) => void) | undefined): (line: string) => void {
  if (sink === undefined) return () => {};
  return (line) => {
    try {
      sink(escapeControls(line));
    } catch {
      // The line is lost; serving goes on.
    }
  };
}
