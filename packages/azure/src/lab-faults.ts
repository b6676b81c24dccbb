/**
 * Fault injection for the lab: a KDC (the on-prem domain controller, the
 * Azure AD KDC) or the KDC proxy that is down, slow or answers garbage, and
 * rules that drop, delay, duplicate or corrupt the messages the lab's
 * clients send to them. Every client KDC exchange of the lab passes through
 * {@link LabFaults.exchange}, so a fault shows in the trace and as the error
 * the product gives.
 *
 * Time is the lab's: a slow KDC or a delayed message moves the lab's shared
 * clock (a `ManualClock`, the default) by the delay, never sleeps. A client
 * waits at most {@link LabFaultsOptions.kdcTimeoutMs} for an answer; a KDC
 * slower than that, or a dropped message, costs that long and then fails
 * as Windows does when no KDC answers: "no logon servers" (0x51f).
 *
 * @module
 */

import { decodeKdcProxyMessage } from '@krbsim/asn1';
import { type Clock, ErrorCode, type RandomSource } from '@krbsim/core';
import { kpasswdMessageType, messageType, unframeKerbMessage } from '@krbsim/transport';
import { LabError, WindowsStatus } from './lab-error';

/** The KDCs of the lab a fault can hit: the on-prem DC, the Azure AD KDC, the KDC proxy in front of it. */
export type LabKdc = 'on-prem' | 'azure-ad' | 'kdc-proxy';

/**
 * What is wrong with a KDC: `down` (nothing answers), `garbage` (it answers
 * bytes that are no Kerberos message), or `{ slowMs }` (it answers that
 * late).
 */
export type KdcFault = 'down' | 'garbage' | { readonly slowMs: number };

/** What a {@link MessageRule} does to a message it matches. */
export type MessageFault =
  | 'drop'
  | 'duplicate'
  | 'corrupt-request'
  | 'corrupt-reply'
  | { readonly delayMs: number };

/** A rule for the messages clients send to the lab's KDCs. */
export interface MessageRule {
  /** Which KDC the request goes to. Default: any. */
  readonly to?: LabKdc;
  /**
   * The request's message type (`AS-REQ`, `TGS-REQ`; to the KDC proxy, the message its
   * KDC-PROXY-MESSAGE carries, or `KPASSWD-REQ`). Default: any.
   */
  readonly messageType?: string;
  readonly fault: MessageFault;
  /** How many matching messages it applies to, the first ones. Default: all. */
  readonly times?: number;
}

/** Options for {@link LabFaults}. */
export interface LabFaultsOptions {
  /** The shared clock a delay moves: it needs an `advance(ms)` (a `ManualClock`). */
  readonly clock: Clock;
  /** Chooses the garbage and the corrupted byte. */
  readonly random: RandomSource;
  /**
   * How long a client waits for a KDC before it gives up. Default 30 s
   * (krbsim's choice; Windows' own wait is not documented in the facts).
   */
  readonly kdcTimeoutMs?: number;
}

/** The lab's fault switches; see the module documentation. */
export class LabFaults {
  /** How long a client waits for a KDC before "no logon servers". */
  readonly kdcTimeoutMs: number;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #kdcs = new Map<LabKdc, KdcFault>();
  readonly #rules: { rule: MessageRule; left: number }[] = [];

  constructor(opts: LabFaultsOptions) {
    this.#clock = opts.clock;
    this.#random = opts.random;
    this.kdcTimeoutMs = opts.kdcTimeoutMs ?? 30_000;
  }

  /** Makes `kdc` down, slow or a source of garbage; `undefined` repairs it. */
  kdc(kdc: LabKdc, fault: KdcFault | undefined): this {
    if (fault === undefined) {
      this.#kdcs.delete(kdc);
      return this;
    }
    if (typeof fault === 'object') this.#checkDelay(fault.slowMs);
    this.#kdcs.set(kdc, fault);
    return this;
  }

  /** Adds a message rule; rules apply in the order added. */
  rule(rule: MessageRule): this {
    if (typeof rule.fault === 'object') this.#checkDelay(rule.fault.delayMs);
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1)) {
      throw new RangeError(`MessageRule.times must be an integer >= 1, got ${rule.times}`);
    }
    this.#rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** Repairs every KDC and removes every rule. */
  clear(): void {
    this.#kdcs.clear();
    this.#rules.length = 0;
  }

  /**
   * One client request to `kdc`, through the faults: `handle` is the KDC
   * itself. Throws the `LabError` a client sees (`no-logon-servers`, 0x51f)
   * when nothing answers in time.
   */
  async exchange(
    kdc: LabKdc,
    request: Uint8Array,
    handle: (request: Uint8Array) => Promise<Uint8Array> | Uint8Array,
  ): Promise<Uint8Array> {
    const fault = this.#kdcs.get(kdc);
    if (fault === 'down') throw noLogonServers(`the ${nameOf(kdc)} is down (lab.faults)`);
    if (typeof fault === 'object') this.#wait(kdc, fault.slowMs, 'is slow');
    let req = request;
    let duplicate = false;
    let corruptReply = false;
    const type = requestType(kdc, request);
    for (const r of this.#rules) {
      const { to, messageType: only, fault: f } = r.rule;
      if (r.left <= 0 || (only !== undefined && only !== type)) continue;
      // A rule without `to` hits the KDC a request is for, not also the proxy that carries it.
      if (to === undefined ? kdc === 'kdc-proxy' : to !== kdc) continue;
      r.left--;
      if (f === 'drop') {
        this.#advance(this.kdcTimeoutMs);
        throw noLogonServers(
          `the ${type} to the ${nameOf(kdc)} was dropped, and no answer came within ${this.kdcTimeoutMs} ms (lab.faults)`,
        );
      }
      if (f === 'duplicate') duplicate = true;
      else if (f === 'corrupt-request') req = this.#corrupt(req);
      else if (f === 'corrupt-reply') corruptReply = true;
      else this.#wait(kdc, f.delayMs, `got the ${type} late`);
    }
    if (fault === 'garbage') {
      // No Kerberos message starts with 0x00 (RFC 4120 section 5.10: APPLICATION tags 0x6a and up).
      const junk = this.#random.fill(new Uint8Array(32));
      junk[0] = 0x00;
      return junk;
    }
    const reply = await handle(req);
    if (duplicate) {
      // A duplicated request reaches the KDC twice; the client takes the first answer, and never
      // hears how the second one went.
      try {
        await handle(req);
      } catch {
        // the first answer stands
      }
    }
    return corruptReply ? this.#corrupt(reply) : reply;
  }

  /** Time passes for a late answer; past the client's wait, no answer at all. */
  #wait(kdc: LabKdc, ms: number, what: string): void {
    if (ms >= this.kdcTimeoutMs) {
      this.#advance(this.kdcTimeoutMs);
      throw noLogonServers(
        `the ${nameOf(kdc)} ${what}: no answer within ${this.kdcTimeoutMs} ms (${ms} ms needed; lab.faults)`,
      );
    }
    this.#advance(ms);
  }

  #advance(ms: number): void {
    if (canAdvance(this.#clock)) this.#clock.advance(ms);
  }

  #checkDelay(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`a delay must be a number >= 0, got ${ms}`);
    if (!canAdvance(this.#clock)) {
      throw new TypeError(
        "a delay moves the lab's clock, which needs an advance(ms) method: create the lab on a ManualClock (the default)",
      );
    }
  }

  /** A copy of `bytes` with one byte past the outer tag flipped (chosen by the seeded random source). */
  #corrupt(bytes: Uint8Array): Uint8Array {
    const out = bytes.slice();
    if (out.length < 2) return out;
    const at = 1 + (this.#random.fill(new Uint8Array(4)).reduce((a, b) => a * 256 + b, 0) % (out.length - 1));
    out[at] = out[at]! ^ 0xff;
    return out;
  }
}

/**
 * What a rule's `messageType` is matched against: the message type, and for the KDC proxy the
 * message its KDC-PROXY-MESSAGE carries (MS-KKDCP 2.2.2: its kerb-message, framed as over TCP), so
 * `{ to: 'kdc-proxy', messageType: 'TGS-REQ' }` matches what the proxy relays; `KPASSWD-REQ` for a
 * password change; `unknown` for what does not decode.
 */
function requestType(kdc: LabKdc, request: Uint8Array): string {
  if (kdc !== 'kdc-proxy') return messageType(request);
  let inner: Uint8Array;
  try {
    inner = unframeKerbMessage(decodeKdcProxyMessage(request).kerbMessage);
  } catch {
    return 'unknown';
  }
  const type = messageType(inner);
  return type === 'unknown' ? kpasswdMessageType(inner).replace(/ .*/, '') : type;
}

/** A clock a delay can move (a `ManualClock`). */
function canAdvance(clock: Clock): clock is Clock & { advance(ms: number): void } {
  return typeof (clock as Partial<{ advance: unknown }>).advance === 'function';
}

function nameOf(kdc: LabKdc): string {
  return kdc === 'on-prem' ? 'on-prem domain controller' : kdc === 'azure-ad' ? 'Azure AD KDC' : 'KDC proxy';
}

function noLogonServers(why: string): LabError {
  return new LabError(ErrorCode.KDC_ERR_SVC_UNAVAILABLE, `no logon servers (0x51f): ${why}`, {
    reason: 'no-logon-servers',
    windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
  });
}
