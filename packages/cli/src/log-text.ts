/**
 * What a client sent, made safe for `krbsim serve`'s text log: a name in a
 * request (an AS-REQ's cname, a LOGIN7 host name) is the client's choice,
 * and a carriage return, an escape sequence or a line separator in it would
 * rewrite what a terminal or a log reader shows (a forged line, a cleared
 * one). The JSON log escapes them already (`JSON.stringify`).
 *
 * - {@link escapeLogText}: every C0 control (U+0000-U+001F), DEL, every C1
 *   control (U+0080-U+009F), the line and paragraph separators U+2028 and
 *   U+2029 and the bidirectional controls (U+200E, U+200F, U+202A-U+202E,
 *   U+2066-U+2069) become `\xHH` or `\uHHHH`.
 * - {@link logField}: that, capped at {@link LOG_FIELD_MAX} characters.
 * - {@link capLogLine}: a whole line under {@link LOG_LINE_MAX_BYTES} bytes,
 *   so that one `write` of it to a pipe stays atomic (POSIX PIPE_BUF, 4096
 *   bytes on Linux) and the lines of `--workers` processes never interleave.
 *
 * @module
 */

/** The characters a client's field must not put raw into a text log line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The most characters of one client field a text line holds (escapes counted), then the ellipsis marker. */
export const LOG_FIELD_MAX = 256;

/** A text line with its newline stays below this many bytes (PIPE_BUF: one write, never interleaved). */
const LOG_LINE_MAX_BYTES = 4096;

/**
 * `text` with the characters of the module documentation escaped. With
 * `backslash`, a backslash becomes `\\` too, so that a field nobody escaped
 * before (a LOGIN7 host name) cannot spell an escape itself; a principal
 * name is escaped already (`\\`, `\/`, `\@`), so its backslashes stay.
 */
export function escapeLogText(text: string, options: { backslash?: boolean } = {}): string {
  const raw = options.backslash === true ? text.replaceAll('\\', '\\\\') : text;
  return raw.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A client's field for a text line: escaped ({@link escapeLogText}) and, past
 * `max` characters, cut there (never inside an escape or a surrogate pair)
 * with `...[+N chars]` saying how many characters of the escaped field were left out.
 */
export function logField(text: string, options: { backslash?: boolean; max?: number } = {}): string {
  const escaped = escapeLogText(text, options);
  const max = options.max ?? LOG_FIELD_MAX;
  if (escaped.length <= max) return escaped;
  let end = 0;
  // One escape (\\, \xHH, \uHHHH) or one code point at a time.
  for (const piece of escaped.matchAll(/\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|\\)|[\s\S]/gu)) {
    if (end + piece[0].length > max) break;
    end += piece[0].length;
  }
  return `${escaped.slice(0, end)}...[+${escaped.length - end} chars]`;
}

/**
 * `line` (no newline) cut so that it and its newline stay below
 * {@link LOG_LINE_MAX_BYTES} bytes of UTF-8, with `...[cut]` at the cut.
 */
export function capLogLine(line: string): string {
  const limit = LOG_LINE_MAX_BYTES - 1;
  if (Buffer.byteLength(line) < limit) return line;
  const marker = '...[cut]';
  let end = limit - marker.length - 1;
  const bytes = Buffer.from(line);
  // Back to the start of a UTF-8 character (not a continuation byte 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${marker}`;
}
