/**
 * The in-process transport: a registry of realm → {@link KdcHandler}, so a
 * whole multi-realm scenario runs in one process with no sockets. Requests
 * and replies are copied at the boundary, exactly as if they had crossed a
 * network (RFC 4120 section 7.2 carries bytes; so does this).
 *
 * @module
 */

import { ownedCopy } from '@krbsim/asn1';
import { ErrorCode, errorText, KerberosError } from '@krbsim/core';
import { kdcParticipant, type Trace } from './trace';
import type { KdcHandler, KdcTransport, SendOptions } from './types';

/** Options for {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /** Record every exchange here. */
  readonly trace?: Trace;
  /** The sender name used when a send gives none (default `'client'`). */
  readonly from?: string;
  /**
   * What the handlers speak, for the trace: Kerberos (the default) or the
   * password-change protocol of RFC 3244 (`'kpasswd'`: the trace names its
   * messages from their header, the pcap puts them on port 464).
   */
  readonly protocol?: 'kerberos' | 'kpasswd';
}

/**
 * Delivers requests to handlers registered per realm.
 *
 * @example
 * ```ts
 * const transport = new InProcessTransport({ trace }).register('CONTOSO.COM', kdc.handle);
 * const reply = await transport.send('CONTOSO.COM', asReqBytes, { from: 'alice@CONTOSO.COM' });
 * ```
 */
export class InProcessTransport implements KdcTransport {
  readonly #handlers = new Map<string, KdcHandler>();
  readonly #trace: Trace | undefined;
  readonly #from: string;
  readonly #kpasswd: boolean;

  constructor(options: InProcessTransportOptions = {}) {
    this.#trace = options.trace;
    this.#from = options.from ?? 'client';
    this.#kpasswd = options.protocol === 'kpasswd';
  }

  /** Route `realm` (case-sensitive, as realm names are) to `handler`, replacing any earlier one. */
  register(realm: string, handler: KdcHandler): this {
    this.#handlers.set(realm, handler);
    return this;
  }

  /** Stop routing `realm`; true if it was registered. */
  unregister(realm: string): boolean {
    return this.#handlers.delete(realm);
  }

  /** The realms currently routed. */
  get realms(): string[] {
    return [...this.#handlers.keys()];
  }

  /**
   * Hand a copy of `request` to `realm`'s handler and return a copy of its
   * reply. A handler's exception propagates to the caller (and is traced).
   *
   * @throws KerberosError `KDC_ERR_SVC_UNAVAILABLE`: "cannot find KDC for realm X".
   */
  async send(realm: string, request: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    const from = options.from ?? this.#from;
    const to = kdcParticipant(realm);
    const handler = this.#handlers.get(realm);
    const base = {
      from,
      to,
      transport: 'inproc' as const,
      ...(this.#kpasswd && { protocol: 'kpasswd' as const }),
      request,
      ...labels(options),
    };
    if (handler === undefined) {
      const known = this.realms.length === 0 ? 'none' : this.realms.join(', ');
      const err = new KerberosError(
        ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
        `cannot find KDC for realm ${realm} (registered realms: ${known})`,
        { realm },
      );
      this.#trace?.record({ ...base, error: err.message });
      throw err;
    }
    let reply: Uint8Array;
    try {
      const out: unknown = await handler(ownedCopy(request), { transport: 'inproc', peer: from });
      if (!(out instanceof Uint8Array)) {
        throw new KerberosError(
          ErrorCode.KRB_ERR_GENERIC,
          `KDC handler for realm ${realm} returned no bytes`,
          {
            realm,
          },
        );
      }
      reply = ownedCopy(out);
    } catch (e) {
      this.#trace?.record({ ...base, error: errorText(e) });
      throw e;
    }
    this.#trace?.record({ ...base, reply });
    return ownedCopy(reply);
  }
}

/** The trace labels of `options`, without undefined properties. */
export function labels(options: SendOptions): { label?: string; replyLabel?: string } {
  return {
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.replyLabel === undefined ? {} : { replyLabel: options.replyLabel }),
  };
}
