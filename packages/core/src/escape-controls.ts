/**
 * Text a peer chose, made safe for one line of a log or a message: each
 * control character written as an escape, so that nothing a peer sends can
 * end a line early and forge the next one in a text log, or reach a terminal
 * as an escape sequence.
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
