/**
 * What was thrown, as text for a log line, a trace entry or an error's
 * message. Code that catches what a caller's function threw (a KDC
 * handler, a route, a decoder) must not throw again while describing it:
 * in a server's catch that would escape as an unhandled rejection and end
 * the process.
 *
 * @module
 */

/**
 * `e`'s message when it is an Error, else what `String(e)` makes of it. Never
 * throws: a value with no string form (`Object.create(null)`, an object
 * whose `toString` or `message` throws, a revoked Proxy) is named by its
 * type instead.
 */
export function errorText(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return `${typeof e} with no string form`;
  }
}
