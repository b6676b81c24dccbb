/**
 * When the JavaScript AES and SHA primitives take over from OpenSSL.
 *
 * The JavaScript paths (a key's first message and its derivations on the
 * table-driven AES, short HMAC-SHA1/SHA-256 inputs on the JavaScript
 * compressions: see the README's performance notes) win only once V8 has
 * compiled them. In a fresh process they run in V8's interpreter, where one
 * SHA-1 compression or AES block costs tens of microseconds, and their first
 * call pays for compiling them; OpenSSL's native code costs the same from
 * the first call. Measured on one Azure lab flow in a fresh process (about
 * 260 AES blocks, 230 SHA-1 compressions, 60 key schedules): 20-40 ms in
 * JavaScript against 2-5 ms through OpenSSL.
 *
 * So the first {@link COLD_OPERATIONS} operations that could run in
 * JavaScript go to OpenSSL instead; every one after runs in JavaScript as
 * before. A process that authenticates a few users never pays for the
 * interpreter; a busy one switches after a fraction of a second and pays
 * V8's compilation once, as it always did. The choice is made by count, not
 * by time, so it is deterministic; both paths give the same bytes (tests
 * check each against the other).
 *
 * @module
 */

import { stats } from './stats';

/**
 * JavaScript-eligible operations sent to OpenSSL first: about six lab flows
 * (one flow makes about 150 such choices), a few milliseconds of work.
 */
export const COLD_OPERATIONS = 1000;

let remaining = COLD_OPERATIONS;
let forced: boolean | undefined;

/**
 * True when an operation that may run in JavaScript should: after the
 * first {@link COLD_OPERATIONS} such operations of the process. Each call
 * before that counts one.
 */
export function jsCryptoReady(): boolean {
  if (forced !== undefined) return forced;
  if (remaining === 0) return true;
  remaining--;
  stats.coldNative++;
  return false;
}

/**
 * Tests only: `true` or `false` forces every choice, `undefined` restores the
 * count, restarted at `cold` (default {@link COLD_OPERATIONS}).
 */
export function forceJsCrypto(js: boolean | undefined, cold = COLD_OPERATIONS): void {
  forced = js;
  remaining = cold;
}
