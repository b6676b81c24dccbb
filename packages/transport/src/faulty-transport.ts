/**
 * A {@link KdcTransport} that misbehaves by rule, for tests: it drops,
 * delays, duplicates or corrupts the messages it carries to the transport
 * it wraps. Delays move an injected clock (a `ManualClock`), never sleep.
 *
 * ```ts
 * const flaky = new FaultyTransport(transport, {
 *   clock,
 *   rules: [{ messageType: 'AS-REQ', fault: 'drop', times: 1 }],
 * });
 * ```
 *
 * @module
 */

import { ownedCopy } from '@krbsim/asn1';
import { type Clock, ErrorCode, KerberosError, type RandomSource, SeededRandom } from '@krbsim/core';
import { messageType } from './message-type';
import type { KdcTransport, SendOptions } from './types';

/** What a {@link TransportRule} does to a message it matches. */
export type TransportFault =
  | 'drop'
  | 'duplicate'
  | 'corrupt-request'
  | 'corrupt-reply'
  | { readonly delayMs: number };

/** A rule of a {@link FaultyTransport}. */
export interface TransportRule {
  /** The realm the request goes to. Default: any. */
  readonly realm?: string;
  /** The request's message type (`AS-REQ`, `TGS-REQ`). Default: any. */
  readonly messageType?: string;
  readonly fault: TransportFault;
  /** How many matching messages it applies to, the first ones. Default: all. */
  readonly times?: number;
}

/** Options for {@link FaultyTransport}. */
export interface FaultyTransportOptions {
  readonly rules: readonly TransportRule[];
  /** The clock a delay moves; required when a rule delays. */
  readonly clock?: Clock & { advance(ms: number): void };
  /** Chooses the corrupted byte. Default: a `SeededRandom` seeded with `faults`. */
  readonly random?: RandomSource;
}

/** See the module documentation. */
export class FaultyTransport implements KdcTransport {
  readonly #inner: KdcTransport;
  readonly #clock: FaultyTransportOptions['clock'];
  readonly #random: RandomSource;
  readonly #rules: { rule: TransportRule; left: number }[];

  constructor(inner: KdcTransport, opts: FaultyTransportOptions) {
    this.#inner = inner;
    this.#clock = opts.clock;
    this.#random = opts.random ?? new SeededRandom('faults');
    this.#rules = opts.rules.map((rule) => {
      if (typeof rule.fault === 'object') {
        if (!(Number.isFinite(rule.fault.delayMs) && rule.fault.delayMs >= 0)) {
          throw new RangeError(`FaultyTransport: delayMs must be a number >= 0, got ${rule.fault.delayMs}`);
        }
        if (this.#clock === undefined) {
          throw new TypeError('FaultyTransport: a delay moves the clock: give it a clock with advance(ms)');
        }
      }
      if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1)) {
        throw new RangeError(`FaultyTransport: times must be an integer >= 1, got ${rule.times}`);
      }
      return { rule, left: rule.times ?? Number.POSITIVE_INFINITY };
    });
  }

  /**
   * Sends through the wrapped transport after applying the matching rules,
   * in order. A dropped request fails as an unreachable KDC does
   * (KDC_ERR_SVC_UNAVAILABLE).
   */
  async send(realm: string, request: Uint8Array, options?: SendOptions): Promise<Uint8Array> {
    const type = messageType(request);
    let req = request;
    let duplicate = false;
    let corruptReply = false;
    for (const r of this.#rules) {
      const { realm: to, messageType: only, fault } = r.rule;
      if (r.left <= 0 || (to !== undefined && to !== realm) || (only !== undefined && only !== type))
        continue;
      r.left--;
      if (fault === 'drop') {
        throw new KerberosError(
          ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
          `no KDC of ${realm} answered: the ${type} was dropped (FaultyTransport)`,
          { realm },
        );
      }
      if (fault === 'duplicate') duplicate = true;
      else if (fault === 'corrupt-request') req = this.#corrupt(req);
      else if (fault === 'corrupt-reply') corruptReply = true;
      else this.#clock!.advance(fault.delayMs);
    }
    const reply = await this.#inner.send(realm, req, options);
    if (duplicate) {
      // A duplicated request reaches the KDC twice; the sender takes the first answer, and never
      // hears how the second one went.
      try {
        await this.#inner.send(realm, req, options);
      } catch {
        // the first answer stands
      }
    }
    return corruptReply ? this.#corrupt(reply) : reply;
  }

  /** A copy of `bytes` with one byte past the first flipped. */
  #corrupt(bytes: Uint8Array): Uint8Array {
    const out = ownedCopy(bytes);
    if (out.length < 2) return out;
    const r = this.#random.fill(new Uint8Array(4)).reduce((a, b) => a * 256 + b, 0);
    const at = 1 + (r % (out.length - 1));
    out[at] = out[at]! ^ 0xff;
    return out;
  }
}
