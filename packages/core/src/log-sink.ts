/**
 * Log lines and text a peer chose, made safe: each control character written
 * as an escape, so that nothing a peer sends can end a line early and forge
 * the next one in a text log, or reach a terminal as an escape sequence; and a
 * caller's log sink that throws must not end the process or change an answer
 * (every server and service of krbsim logs through {@link safeLogSink}).
 *
 * @module
 */

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators some viewers break lines at. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const CONTROLS = /[\p{Cc}\u2028\u2029]/gu;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with each control character written as an escape: `\n`, `\r`, `\t`,
 * else `\xHH` (or `\uHHHH` past U+00FF). Text without one comes back as it is.
 */
export function escapeControls(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

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
