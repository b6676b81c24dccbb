/**
 * MS-KKDCP, the Kerberos KDC proxy protocol: Kerberos messages wrapped in a
 * `KDC-PROXY-MESSAGE` (MS-KKDCP section 2.2.2) and POSTed over HTTPS.
 *
 * Section 2.2.2: `kerb-message` carries the Kerberos message *with* its
 * 4-octet TCP length prefix (RFC 4120 section 7.2.2); `target-domain` names
 * the realm the request is for, and a proxy forwards only requests that name
 * one (section 3.2.5.1). The reply comes back in the same structure, without
 * a target domain.
 *
 * This module is the message path, with the HTTP exchange injected: the
 * Azure lab runs it in process (the proxy behind
 * `https://login.microsoftonline.com:443:<tenantId>/kerberos`), and an HTTPS
 * server can wrap {@link KdcProxy.handle} unchanged.
 *
 * @module
 */

import { decodeKdcProxyMessage, encodeKdcProxyMessage } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { frameTcp } from './framing';
import { labels } from './in-process';
import { kdcParticipant, type Trace } from './trace';
import type { KdcHandler, KdcTransport, SendOptions } from './types';

/** The largest Kerberos message a proxy accepts (the length prefix may not claim more). */
export const KDC_PROXY_MAX_MESSAGE = 1 << 20;

/** Strips and checks the 4-octet length prefix of a `kerb-message` (MS-KKDCP section 2.2.2). */
export function unframeKerbMessage(kerbMessage: Uint8Array): Uint8Array {
  if (kerbMessage.length < 4) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      'KDC-PROXY-MESSAGE: kerb-message is shorter than its length prefix',
    );
  }
  const view = new DataView(kerbMessage.buffer, kerbMessage.byteOffset, kerbMessage.byteLength);
  const claimed = view.getUint32(0);
  if (claimed !== kerbMessage.length - 4 || claimed > KDC_PROXY_MAX_MESSAGE) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      `KDC-PROXY-MESSAGE: kerb-message length prefix says ${claimed} bytes but ${kerbMessage.length - 4} follow`,
    );
  }
  return kerbMessage.subarray(4);
}

/** Chooses the KDC for a realm named in `target-domain`. */
export type KdcProxyRoute = (realm: string) => KdcHandler | undefined;

/**
 * The proxy side: a `KDC-PROXY-MESSAGE` body in, a `KDC-PROXY-MESSAGE` body
 * out. A malformed body, a missing target domain or a realm the proxy does
 * not serve is a {@link KerberosError} (an HTTP front end answers it with a
 * 400-class status, as MS-KKDCP section 3.2.5.1 has the proxy discard such
 * requests).
 */
export class KdcProxy {
  readonly #route: KdcProxyRoute;

  constructor(route: KdcProxyRoute) {
    this.#route = route;
  }

  /** Handles one POSTed body. */
  async handle(body: Uint8Array): Promise<Uint8Array> {
    const msg = decodeKdcProxyMessage(body);
    if (msg.targetDomain === undefined || msg.targetDomain.length === 0) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, 'KDC-PROXY-MESSAGE: target-domain is required');
    }
    const handler = this.#route(msg.targetDomain);
    if (handler === undefined) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
        `the KDC proxy does not serve realm ${msg.targetDomain}`,
        { realm: msg.targetDomain },
      );
    }
    const reply = await handler(unframeKerbMessage(msg.kerbMessage), { transport: 'kkdcp' });
    return encodeKdcProxyMessage({ kerbMessage: frameTcp(reply) });
  }
}

/** Options for {@link KdcProxyTransport}. */
export interface KdcProxyTransportOptions {
  /** The proxy URL, e.g. `https://login.microsoftonline.com:443:<tenantId>/kerberos`. */
  readonly url: string;
  /** The HTTP POST: body in, response body out (in process, or a real HTTPS client). */
  readonly post: (url: string, body: Uint8Array) => Promise<Uint8Array>;
  readonly trace?: Trace;
  /** The sender's name in traces. */
  readonly from?: string;
}

/** The client side of MS-KKDCP: every request goes to the proxy, wrapped. */
export class KdcProxyTransport implements KdcTransport {
  readonly url: string;
  readonly #opts: KdcProxyTransportOptions;

  constructor(opts: KdcProxyTransportOptions) {
    this.url = opts.url;
    this.#opts = opts;
  }

  async send(realm: string, request: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    const from = options.from ?? this.#opts.from ?? 'client';
    const base = {
      from,
      to: `${kdcParticipant(realm)} (via KDC proxy)`,
      transport: 'kkdcp' as const,
      request,
      ...labels(options),
    };
    let reply: Uint8Array;
    try {
      const body = encodeKdcProxyMessage({ kerbMessage: frameTcp(request), targetDomain: realm });
      const response = await this.#opts.post(this.url, body);
      reply = unframeKerbMessage(decodeKdcProxyMessage(response).kerbMessage).slice();
    } catch (e) {
      this.#opts.trace?.record({ ...base, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    this.#opts.trace?.record({ ...base, reply });
    return reply;
  }
}
