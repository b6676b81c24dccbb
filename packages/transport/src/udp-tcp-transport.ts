/**
 * The network client transport, behaving like MIT krb5's `sendto_kdc`
 * (RFC 4120 section 7.2): UDP first for small requests, TCP first for
 * requests above `udp_preference_limit` (default 1465), a retry over TCP when
 * a KDC answers KRB_ERR_RESPONSE_TOO_BIG (section 7.2.1), and the next KDC of
 * the realm when one does not answer.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';
import { labels } from './in-process';
import { tcpExchange, udpExchange } from './kdc-exchange';
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
  /** Use TCP only (MIT: `udp_preference_limit = 1`). */
  readonly preferTcp?: boolean;
  /** Requests longer than this go over TCP first (default 1465, as MIT). */
  readonly udpPreferenceLimit?: number;
  /** Per-attempt deadline in milliseconds (default 3000). */
  readonly timeoutMs?: number;
  /** Largest TCP reply accepted (default 1 MiB). */
  readonly maxReplyBytes?: number;
  /** Record each completed exchange (with the transport actually used). */
  readonly trace?: Trace;
  /** The sender name for traces when a send gives none (default `'client'`). */
  readonly from?: string;
  /** One line per attempt: realm, address, transport, sizes, outcome. */
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

  constructor(options: UdpTcpTransportOptions) {
    this.#o = options;
  }

  /**
   * Try each KDC of `realm` in order until one answers.
   *
   * @throws KerberosError `KDC_ERR_SVC_UNAVAILABLE` when the realm has no KDCs
   *   configured ("cannot find KDC for realm X") or none answered.
   */
  async send(realm: string, request: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    const kdcs = this.#o.kdcs[realm];
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
    const log = this.#o.log ?? (() => {});
    const failures: string[] = [];
    for (const kdc of kdcs) {
      const udpPort = kdc.udpPort ?? kdc.port ?? 88;
      const tcpPort = kdc.tcpPort ?? kdc.port ?? 88;
      const viaTcp = async (why: string) => {
        const reply = await tcpExchange(kdc.host, tcpPort, request, limits);
        log(`${realm} tcp ${kdc.host}:${tcpPort} (${why}) ${request.length} bytes -> ${reply.length} bytes`);
        trace('tcp', { reply });
        return reply;
      };
      try {
        if (tcpFirst) return await viaTcp(this.#o.preferTcp ? 'TCP preferred' : 'request above UDP limit');
        const reply = await udpExchange(kdc.host, udpPort, request, limits);
        if (!isResponseTooBig(reply)) {
          log(`${realm} udp ${kdc.host}:${udpPort} ${request.length} bytes -> ${reply.length} bytes`);
          trace('udp', { reply });
          return reply;
        }
        log(`${realm} udp ${kdc.host}:${udpPort} answered KRB_ERR_RESPONSE_TOO_BIG; retrying over TCP`);
        trace('udp', { reply });
        return await viaTcp('RESPONSE_TOO_BIG');
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        log(`${realm} ${kdc.host}: ${reason}`);
        failures.push(reason);
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
