/**
 * PRELOGIN (MS-TDS section 2.2.6.5): option tokens, each with a big-endian
 * offset and length into the data that follows the terminator (0xFF).
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { TdsError } from './errors';
import { PreloginOption } from './iana/packet-type';

/** The options of a PRELOGIN message, by option token. */
export type PreloginOptions = ReadonlyMap<number, Uint8Array>;

/** Decode a PRELOGIN payload. */
export function decodePrelogin(b: Uint8Array): PreloginOptions {
  const out = new Map<number, Uint8Array>();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 0; ; at += 5) {
    if (at >= b.length) throw new TdsError('malformed', 'PRELOGIN', 'no terminator');
    const token = b[at]!;
    if (token === PreloginOption.TERMINATOR) break;
    if (at + 5 > b.length) throw new TdsError('malformed', `PRELOGIN.option[${at / 5}]`, 'truncated');
    const offset = view.getUint16(at + 1);
    const length = view.getUint16(at + 3);
    if (offset + length > b.length) {
      throw new TdsError('malformed', `PRELOGIN.option[0x${token.toString(16)}]`, 'points past the message');
    }
    if (out.has(token))
      throw new TdsError('malformed', `PRELOGIN.option[0x${token.toString(16)}]`, 'given twice');
    out.set(token, b.slice(offset, offset + length));
  }
  return out;
}

/** Encode PRELOGIN options in the order given. */
export function encodePrelogin(options: ReadonlyArray<readonly [number, Uint8Array]>): Uint8Array {
  const headerBytes = options.length * 5 + 1;
  const head = new Uint8Array(headerBytes);
  const view = new DataView(head.buffer);
  let offset = headerBytes;
  options.forEach(([token, data], i) => {
    head[i * 5] = token;
    view.setUint16(i * 5 + 1, offset);
    view.setUint16(i * 5 + 3, data.length);
    offset += data.length;
  });
  head[headerBytes - 1] = PreloginOption.TERMINATOR;
  return concatBytes([head, ...options.map(([, d]) => d)]);
}
