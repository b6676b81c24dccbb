/**
 * The invariants every fuzz target checks, shared by the in-process and the
 * network targets. A broken invariant throws {@link InvariantError}; anything
 * else a target throws is a crash. Both are failures: the runner saves the
 * input and the run exits non-zero.
 */

import { decodeMessage } from '@krbsim/asn1';
import { isKerberosError } from '@krbsim/core';

/** A reply or an outcome that breaks an invariant (as opposed to a crash). */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

const AS_REQ = 0x6a;
const TGS_REQ = 0x6c;

/**
 * `reply`, the KDC's answer to `request`, must decode strictly as an AS-REP,
 * a TGS-REP or a KRB-ERROR, and a reply (not an error) must answer a request
 * of its kind. Returns the outcome's label (`AS-REP`, `KRB-ERROR 25`...).
 */
export function checkKdcReply(request: Uint8Array, reply: unknown): string {
  if (!(reply instanceof Uint8Array)) throw new InvariantError(`the reply is not bytes: ${typeof reply}`);
  let msg: ReturnType<typeof decodeMessage>;
  try {
    msg = decodeMessage(reply);
  } catch (e) {
    throw new InvariantError(`the reply does not decode: ${(e as Error).message}; reply ${hex(reply, 64)}`);
  }
  const asked = request[0];
  switch (msg.type) {
    case 'KRB-ERROR':
      return `KRB-ERROR ${msg.value.errorCode}`;
    case 'AS-REP':
    case 'TGS-REP':
      if ((msg.type === 'AS-REP' ? AS_REQ : TGS_REQ) !== asked)
        throw new InvariantError(
          `a ${msg.type} answers a request whose first octet is 0x${asked?.toString(16)}`,
        );
      return msg.type;
    default:
      throw new InvariantError(`the reply is a ${msg.type}`);
  }
}

/** Rethrows `e` unless it is a KerberosError (which includes Asn1Error, PacError, GssTokenError...). */
export function expectKerberosError(e: unknown, where: string): string {
  if (isKerberosError(e)) return `error ${e.code}`;
  const err = e instanceof Error ? e : new Error(String(e));
  throw new Error(`${where} threw ${err.name}, not a KerberosError: ${err.message}`, { cause: e });
}

/** `bytes` as hex, cut after `max` bytes. */
export function hex(bytes: Uint8Array, max = Number.POSITIVE_INFINITY): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, max)).toString('hex');
  return bytes.byteLength > max ? `${h}... (${bytes.byteLength} bytes)` : h;
}
