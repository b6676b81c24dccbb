/**
 * MS-KKDCP, the Kerberos KDC proxy protocol: Kerberos messages wrapped in a
 * `KDC-PROXY-MESSAGE` (MS-KKDCP section 2.2.2) and POSTed over HTTPS.
 *
 * Section 2.2.2: `kerb-message` carries the Kerberos message *with* its
 * 4-octet TCP length prefix (RFC 4120 section 7.2.2); `target-domain` names
 * the realm the request is for, without regard to case, and a proxy forwards
 * only requests that name one (section 3.2.5.1). The reply comes back in the
 * same structure, without a target domain.
 *
 * Section 3.2.5.1 has the proxy check that `kerb-message` is a Kerberos
 * message before it looks for a KDC. {@link KdcProxy} forwards AS-REQs and
 * TGS-REQs that decode, as a UDP KDC answers only those, and, when given a
 * route to password-change services, kpasswd requests (RFC 3244, which
 * MS-KKDCP's "Kerberos messages" include: section 1, and section 4.2's
 * password change before logon), told apart by their header.
 *
 * This module is the message path, with the HTTP exchange injected: the
 * Azure lab runs it in process (the proxy behind
 * `https://login.microsoftonline.com:443:<tenantId>/kerberos`), and an HTTPS
 * server can wrap {@link KdcProxy.handle} unchanged.
 *
 * @module
 */

import { decodeKdcProxyMessage, encodeKdcProxyMessage } from '@krbsim/asn1';
import { ErrorCode, errorText, escapeControls, KerberosError } from '@krbsim/core';
import { checkInteger, MAX_TIMER_MS } from './check-integer';
import { frameTcp } from './framing';
import { labels } from './in-process';
import { MESSAGE_TYPES } from './message-type';
import { type ServerTimers, systemTimers } from './server-timers';
import { kdcParticipant, type Trace } from './trace';
import type { KdcHandler, KdcTransport, SendOptions } from './types';
import { kpasswdVerdict, UDP_DROP_TEXT, udpVerdict } from './udp-admission';

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

/**
 * Checks that a `kerb-message`, its length prefix stripped, is an AS-REQ or a
 * TGS-REQ (MS-KKDCP section 3.2.5.1 step 1: the proxy validates the message
 * before it forwards anything), by the rule a UDP KDC answers datagrams by
 * ({@link udpVerdict}): another Kerberos message is KRB_AP_ERR_MSG_TYPE,
 * anything else, or a request that does not decode, KRB_ERR_GENERIC.
 */
function checkKerbRequest(message: Uint8Array): void {
  const verdict = udpVerdict(message);
  if (verdict.answer) return;
  const name = MESSAGE_TYPES[message[0] ?? -1];
  const code =
    verdict.reason === 'krb-error' || verdict.reason === 'not-a-request'
      ? ErrorCode.KRB_AP_ERR_MSG_TYPE
      : ErrorCode.KRB_ERR_GENERIC;
  throw new KerberosError(
    code,
    `KDC-PROXY-MESSAGE: kerb-message is not an AS-REQ or TGS-REQ (${UDP_DROP_TEXT[verdict.reason]}${name === undefined ? '' : `: ${name}`})`,
  );
}

/**
 * Chooses the KDC for a realm named in `target-domain`. It gets the name as
 * the client spelt it: MS-KKDCP section 2.2.2 has it compared without regard
 * to case, which {@link kdcProxyRoute} does.
 */
export type KdcProxyRoute = (realm: string) => KdcHandler | undefined;

/**
 * `name` with its ASCII letters in upper case: realm names compare without
 * regard to case as DNS names do (RFC 4343), letters a-z only.
 */
function foldRealm(name: string): string {
  return name.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/**
 * A {@link KdcProxyRoute} over a table of realms: `target-domain` finds the
 * realm whose name matches without regard to case (MS-KKDCP section 2.2.2),
 * so `kerberos.microsoftonline.com` reaches `KERBEROS.MICROSOFTONLINE.COM`'s
 * KDC. The request goes to that KDC unchanged. The table is read once: realms
 * added to a Map later are not served. Two realm names that differ only in
 * case are a `RangeError`, as they name one realm.
 *
 * @example
 * ```ts
 * const proxy = new KdcProxy(kdcProxyRoute({ 'CONTOSO.COM': (req) => kdc.handle(req) }));
 * ```
 */
export function kdcProxyRoute(
  realms: Readonly<Record<string, KdcHandler>> | ReadonlyMap<string, KdcHandler>,
): KdcProxyRoute {
  const byName = new Map<string, KdcHandler>();
  const names = new Map<string, string>();
  const entries: Iterable<readonly [string, KdcHandler]> =
    realms instanceof Map ? realms : Object.entries(realms as Readonly<Record<string, KdcHandler>>);
  for (const [name, handler] of entries) {
    const key = foldRealm(name);
    const other = names.get(key);
    if (other !== undefined) {
      throw new RangeError(
        `kdcProxyRoute: realms ${other} and ${name} differ only in case: they are one realm`,
      );
    }
    names.set(key, name);
    byName.set(key, handler);
  }
  return (realm) => byName.get(foldRealm(realm));
}

/**
 * A request {@link KdcProxy.admit} found fit to forward (MS-KKDCP section
 * 3.2.5.1): the realm's KDC chosen, nothing sent to it yet.
 */
export interface KdcProxyRequest {
  /** `target-domain`, as the client sent it. */
  readonly realm: string;
  /** Whether it is a kpasswd request (RFC 3244), for the password-change service route. */
  readonly kpasswd: boolean;
  /**
   * Hand the message to the KDC and wrap its reply in a `KDC-PROXY-MESSAGE`.
   * What it throws is the route's: the KDC could not be reached or did not
   * answer (a `UdpTcpTransport` route's `KDC_ERR_SVC_UNAVAILABLE` "cannot
   * contact any KDC"), never a verdict on the request.
   */
  forward(): Promise<Uint8Array>;
}

/**
 * The proxy side: a `KDC-PROXY-MESSAGE` body in, a `KDC-PROXY-MESSAGE` body
 * out; a kpasswd request goes to the password-change service route, when
 * there is one. A malformed body, a `kerb-message` that is not an AS-REQ or TGS-REQ
 * (`KRB_AP_ERR_MSG_TYPE` for another Kerberos message, `KRB_ERR_GENERIC` for
 * anything else or a request that does not decode), a
 * missing target domain or a realm the proxy does not serve
 * (`KDC_ERR_SVC_UNAVAILABLE`) is a {@link KerberosError}, thrown by
 * {@link KdcProxy.admit} before any KDC is asked (an HTTP front end answers
 * it with a 400-class status, as MS-KKDCP section 3.2.5.1 has the proxy
 * discard such requests). A failure once the request is at its KDC comes
 * from {@link KdcProxyRequest.forward}: the KDC, not the request, failed
 * (`serveKdcProxy` answers 503, as the Python `kdcproxy` answers a KDC it
 * cannot reach). The route gets `target-domain` as sent; the KDC gets the
 * request's bytes unchanged. Messages quote `target-domain` with its control
 * characters escaped.
 */
export class KdcProxy {
  readonly #route: KdcProxyRoute;
  readonly #kpasswd: KdcProxyRoute | undefined;

  /**
   * `route` finds a realm's KDC; `options.kpasswd`, a realm's password-change
   * service (without it, kpasswd requests are refused as any message that is
   * not an AS-REQ or TGS-REQ).
   */
  constructor(route: KdcProxyRoute, options: { readonly kpasswd?: KdcProxyRoute } = {}) {
    this.#route = route;
    this.#kpasswd = options.kpasswd;
  }

  /** Handles one POSTed body: {@link KdcProxy.admit}, then {@link KdcProxyRequest.forward}. */
  async handle(body: Uint8Array): Promise<Uint8Array> {
    return this.admit(body).forward();
  }

  /**
   * Checks one POSTed body as MS-KKDCP section 3.2.5.1 has the proxy check it
   * and finds its KDC, without asking it anything.
   *
   * @throws KerberosError for a request the proxy discards (see {@link KdcProxy}).
   */
  admit(body: Uint8Array): KdcProxyRequest {
    const msg = decodeKdcProxyMessage(body);
    // MS-KKDCP section 3.2.5.1, in its order: a Kerberos message, then a target domain, then its KDC.
    const request = unframeKerbMessage(msg.kerbMessage);
    // A kpasswd request begins with its own length and version (RFC 3244 section 2), never an APPLICATION tag.
    const kpasswd = this.#kpasswd !== undefined && kpasswdVerdict(request).answer;
    if (!kpasswd) checkKerbRequest(request);
    if (msg.targetDomain === undefined || msg.targetDomain.length === 0) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, 'KDC-PROXY-MESSAGE: target-domain is required');
    }
    const realm = msg.targetDomain;
    const handler = kpasswd ? this.#kpasswd!(realm) : this.#route(realm);
    if (handler === undefined) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
        `the KDC proxy does not serve ${kpasswd ? 'password changes for ' : ''}realm ${escapeControls(realm)}`,
        { realm },
      );
    }
    return {
      realm,
      kpasswd,
      async forward() {
        const reply = await handler(request, { transport: 'kkdcp' });
        return encodeKdcProxyMessage({ kerbMessage: frameTcp(reply) });
      },
    };
  }
}

/** What {@link KdcProxyTransportOptions.post} is given besides the URL and the body. */
export interface KdcProxyPostOptions {
  /** Aborted when the exchange's deadline passes: stop the request and free what it holds. */
  readonly signal: AbortSignal;
  /** The largest response body the transport takes: stop reading past it. */
  readonly maxBytes: number;
}

/** Options for {@link KdcProxyTransport}. */
export interface KdcProxyTransportOptions {
  /** The proxy URL, e.g. `https://login.microsoftonline.com:443:<tenantId>/kerberos`. */
  readonly url: string;
  /**
   * The HTTP POST: body in, response body out (in process, or a real HTTPS client). A client over a
   * network should honour `options`: abort on `signal`, and stop reading past `maxBytes`.
   */
  readonly post: (url: string, body: Uint8Array, options: KdcProxyPostOptions) => Promise<Uint8Array>;
  readonly trace?: Trace;
  /** The sender's name in traces. */
  readonly from?: string;
  /**
   * How long one exchange may take, in milliseconds (default 30000: MIT's client gives a proxy about
   * as long); past it the POST is aborted and the send fails with KDC_ERR_SVC_UNAVAILABLE.
   */
  readonly timeoutMs?: number;
  /** The largest response body taken (default {@link KDC_PROXY_MAX_MESSAGE}); a larger one is KRB_ERR_FIELD_TOOLONG. */
  readonly maxReplyBytes?: number;
  /** The timers the deadline runs on (default {@link systemTimers}; tests give their own). */
  readonly timers?: ServerTimers;
}

/** The client side of MS-KKDCP: every request goes to the proxy, wrapped. */
export class KdcProxyTransport implements KdcTransport {
  readonly url: string;
  readonly #opts: KdcProxyTransportOptions;

  /** @throws RangeError for a timeout or a reply limit out of its range. */
  constructor(opts: KdcProxyTransportOptions) {
    if (opts.timeoutMs !== undefined)
      checkInteger(opts.timeoutMs, 'KdcProxyTransport: timeoutMs', 1, MAX_TIMER_MS);
    if (opts.maxReplyBytes !== undefined)
      checkInteger(opts.maxReplyBytes, 'KdcProxyTransport: maxReplyBytes', 1);
    this.url = opts.url;
    this.#opts = opts;
  }

  async send(realm: string, request: Uint8Array, options: SendOptions = {}): Promise<Uint8Array> {
    const from = options.from ?? this.#opts.from ?? 'client';
    const base = {
      from,
      to: `${kdcParticipant(realm)} (via KDC proxy)`,
      transport: 'kkdcp' as const,
      // A password change through the proxy is traced as one: named from its header, on port 464.
      ...(kpasswdVerdict(request).answer && { protocol: 'kpasswd' as const }),
      request,
      ...labels(options),
    };
    let reply: Uint8Array;
    try {
      const body = encodeKdcProxyMessage({ kerbMessage: frameTcp(request), targetDomain: realm });
      const response = await this.#post(realm, body);
      reply = unframeKerbMessage(decodeKdcProxyMessage(response).kerbMessage).slice();
    } catch (e) {
      this.#opts.trace?.record({ ...base, error: errorText(e) });
      throw e;
    }
    this.#opts.trace?.record({ ...base, reply });
    return reply;
  }

  /** The POST, within the deadline and the size limit. */
  async #post(realm: string, body: Uint8Array): Promise<Uint8Array> {
    const timeoutMs = this.#opts.timeoutMs ?? 30_000;
    const maxBytes = this.#opts.maxReplyBytes ?? KDC_PROXY_MAX_MESSAGE;
    const controller = new AbortController();
    const timers = this.#opts.timers ?? systemTimers;
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(() => {
        controller.abort();
        reject(
          new KerberosError(
            ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
            `no answer from the KDC proxy ${this.url} within ${timeoutMs} ms`,
            { realm },
          ),
        );
      }, timeoutMs);
    });
    // Neither a POST that fails after the deadline nor a deadline after the POST is anyone's error.
    deadline.catch(() => {});
    let response: Uint8Array;
    try {
      // A post that throws at once (or returns no promise) goes through the finally too.
      const posted = Promise.resolve().then(() =>
        this.#opts.post(this.url, body, { signal: controller.signal, maxBytes }),
      );
      posted.catch(() => {});
      response = await Promise.race([posted, deadline]);
    } finally {
      timers.clearTimeout(timer);
    }
    if (!(response instanceof Uint8Array)) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `the KDC proxy post for ${realm} returned no bytes`,
        {
          realm,
        },
      );
    }
    if (response.length > maxBytes) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_FIELD_TOOLONG,
        `the KDC proxy ${this.url} answered ${response.length} bytes, past the ${maxBytes}-byte limit`,
        { realm },
      );
    }
    return response;
  }
}
