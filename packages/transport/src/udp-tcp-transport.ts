/**
 * The network client transport, behaving like MIT krb5's `sendto_kdc`
 * (RFC 4120 section 7.2): UDP first for small requests, TCP first for
 * requests above `udp_preference_limit` (default 1465), the other transport
 * of the same KDC when the first gets no answer (a KDC that serves only TCP,
 * a lost datagram), a retry over TCP when a KDC answers
 * KRB_ERR_RESPONSE_TOO_BIG (section 7.2.1), and the next KDC of the realm
 * when one cannot be reached or answers KDC_ERR_SVC_UNAVAILABLE. Unlike
 * MIT's, the attempts are one after another, each with its own deadline,
 * and a datagram is not sent again: the TCP attempt stands for the
 * retransmission.
 *
 * @module
 */

import { ErrorCode, errorText, KerberosError, safeLogSink } from '@krbsim/core';
import { checkInteger, MAX_TIMER_MS } from './check-integer';
import { labels } from './in-process';
import { tcpExchange, udpExchange } from './kdc-exchange';
import { peekKrbErrorCode } from './krb-error';
import { isResponseTooBig } from './message-type';
import { kdcParticipant, type Trace } from './trace';
import type { KdcTransport, SendOptions, TransportKind } from './types';

/** One KDC of a realm. */
export interface KdcAddress {
  readonly host: string;
  /** Port for both UDP and TCP (default 88). */
  readonly port?: number;
  /** UDP port, when it differs from `port`. */
  readonly udpPort?: number;
  /** TCP port, when it differs from `port`. */
  readonly tcpPort?: number;
}

/** Options for {@link UdpTcpTransport}. */
export interface UdpTcpTransportOptions {
  /** Realm → its KDCs, tried in order. */
  readonly kdcs: Readonly<Record<string, readonly KdcAddress[]>>;
  /**
   * Use TCP only: no UDP attempt at all. (MIT's `udp_preference_limit = 1` puts TCP first but still
   * falls back to UDP; that is `udpPreferenceLimit: 1` here.)
   */
  readonly preferTcp?: boolean;
  /** Requests longer than this go over TCP first (default 1465, as MIT). */
  readonly udpPreferenceLimit?: number;
  /** Per-attempt deadline in milliseconds (default 3000; an integer from 1 to 2^31-1, as a timer takes). */
  readonly timeoutMs?: number;
  /** Largest TCP reply accepted (default 1 MiB; a positive integer). */
  readonly maxReplyBytes?: number;
  /** Record each completed exchange (with the transport actually used). */
  readonly trace?: Trace;
  /** The sender name for traces when a send gives none (default `'client'`). */
  readonly from?: string;
  /**
   * One line per attempt: realm, address, transport, sizes, outcome. A sink that throws loses its
   * line, never an answer; control characters in the line are escaped.
   */
  readonly log?: (line: string) => void;
}

/**
 * Sends to real sockets: a `serveKdc` server, MIT's krb5kdc, a Windows DC.
 *
 * @example
 * ```ts
 * const t = new UdpTcpTransport({ kdcs: { 'CONTOSO.COM': [{ host: '127.0.0.1', port: server.udpPort }] } });
 * const reply = await t.send('CONTOSO.COM', asReq);
 * ```
 */
export class UdpTcpTransport implements KdcTransport {
  readonly #o: UdpTcpTransportOptions;
  readonly #log: (line: string) => void;

  /** @throws RangeError for a timeout, reply limit, UDP preference limit or port out of its range. */
  constructor(options: UdpTcpTransportOptions) {
    const optional = (v: number | undefined, name: string, min: number, max?: number) => {
      if (v !== undefined) checkInteger(v, `UdpTcpTransport: ${name}`, min, max);
    };
    optional(options.timeoutMs, 'timeoutMs', 1, MAX_TIMER_MS);
    optional(options.maxReplyBytes, 'maxReplyBytes', 1);
    optional(options.udpPreferenceLimit, 'udpPreferenceLimit', 0);
    for (const [realm, list] of Object.entries(options.kdcs ?? {})) {
      for (const k of list ?? []) {
        for (const key of ['port', 'udpPort', 'tcpPort'] as const) {
          optional(k?.[key], `kdcs[${JSON.stringify(realm)}].${key}`, 1, 65535);
        }
      }
    }
    this.#o = options;
    this.#log = safeLogSink(options.log);
  }

  /**
   * Try each KDC of `realm` in order until one answers.
   *
   * @throws KerberosError `KDC_ERR_SVC_UNAVAILABLE` when the realm has no KDCs
   *   configured ("cannot find KDC for realm X") or none answered.
   */
  async send(realm: string, request: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    // The realm's own entry only: `constructor` or `__proto__` is no realm with KDCs.
    const kdcs = Object.hasOwn(this.#o.kdcs, realm) ? this.#o.kdcs[realm] : undefined;
    const from = options.from ?? this.#o.from ?? 'client';
    const trace = (transport: TransportKind, outcome: { reply: Uint8Array } | { error: string }) =>
      this.#o.trace?.record({
        from,
        to: kdcParticipant(realm),
        transport,
        request,
        ...outcome,
        ...labels(options),
      });
    if (kdcs === undefined || kdcs.length === 0) {
      const err = new KerberosError(ErrorCode.KDC_ERR_SVC_UNAVAILABLE, `cannot find KDC for realm ${realm}`, {
        realm,
      });
      trace(this.#o.preferTcp ? 'tcp' : 'udp', { error: err.message });
      throw err;
    }
    const limits = { timeoutMs: this.#o.timeoutMs ?? 3000, maxReplyBytes: this.#o.maxReplyBytes ?? 1 << 20 };
    const tcpFirst = this.#o.preferTcp === true || request.length > (this.#o.udpPreferenceLimit ?? 1465);
    const log = this.#log;
    const failures: string[] = [];
    for (const kdc of kdcs) {
      const udpPort = kdc.udpPort ?? kdc.port ?? 88;
      const tcpPort = kdc.tcpPort ?? kdc.port ?? 88;
      // One TCP attempt a KDC (RFC 4120 section 7.2.1): a RESPONSE_TOO_BIG retry that failed is not
      // made again as the "no answer over UDP" attempt.
      let tcpTried = false;
      const viaTcp = async (why: string) => {
        tcpTried = true;
        const reply = await tcpExchange(kdc.host, tcpPort, request, limits);
        log(`${realm} tcp ${kdc.host}:${tcpPort} (${why}) ${request.length} bytes -> ${reply.length} bytes`);
        trace('tcp', { reply });
        return reply;
      };
      const viaUdp = async () => {
        const reply = await udpExchange(kdc.host, udpPort, request, limits);
        if (!isResponseTooBig(reply)) {
          log(`${realm} udp ${kdc.host}:${udpPort} ${request.length} bytes -> ${reply.length} bytes`);
          trace('udp', { reply });
          return reply;
        }
        trace('udp', { reply });
        if (tcpTried) {
          throw new KerberosError(
            ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
            `udp ${kdc.host}:${udpPort} answered KRB_ERR_RESPONSE_TOO_BIG, and TCP was tried already`,
          );
        }
        log(`${realm} udp ${kdc.host}:${udpPort} answered KRB_ERR_RESPONSE_TOO_BIG; retrying over TCP`);
        return await viaTcp('RESPONSE_TOO_BIG');
      };
      // Both transports of each KDC, as MIT's sendto_kdc tries a `host:port` KDC's UDP and TCP: a KDC
      // that serves TCP only (a firewalled DC), or a lost datagram, is reached over the other one.
      const attempts: (readonly [TransportKind, () => Promise<Uint8Array>])[] = this.#o.preferTcp
        ? [['tcp', () => viaTcp('TCP preferred')]]
        : tcpFirst
          ? [
              ['tcp', () => viaTcp('request above UDP limit')],
              ['udp', viaUdp],
            ]
          : [
              ['udp', viaUdp],
              ['tcp', () => viaTcp('no answer over UDP')],
            ];
      for (const [kind, attempt] of attempts) {
        if (kind === 'tcp' && tcpTried) continue;
        try {
          const reply = await attempt();
          if (peekKrbErrorCode(reply) === ErrorCode.KDC_ERR_SVC_UNAVAILABLE) {
            // MIT's check_for_svc_unavailable: this KDC cannot serve now; another of the realm may.
            const why = `${kdc.host} answered KDC_ERR_SVC_UNAVAILABLE`;
            log(`${realm} ${why}; trying the next KDC`);
            failures.push(why);
            break;
          }
          return reply;
        } catch (e) {
          const reason = errorText(e);
          log(`${realm} ${kind} ${kdc.host}: ${reason}`);
          failures.push(reason);
        }
      }
    }
    const err = new KerberosError(
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
      `cannot contact any KDC for realm ${realm}: ${failures.join('; ')}`,
      { realm },
    );
    trace(tcpFirst ? 'tcp' : 'udp', { error: err.message });
    throw err;
  }
}
