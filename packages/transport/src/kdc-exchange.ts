/**
 * One request/reply exchange with one KDC address, over UDP (RFC 4120 section
 * 7.2.1: a datagram each way) or TCP (section 7.2.2: a length-prefixed record
 * each way on a fresh connection). The network is the one place krbsim waits
 * on a timer: each exchange has a deadline, and every socket is closed
 * whichever way the exchange ends.
 *
 * Failures are {@link KerberosError}s, as everywhere in krbsim:
 * KDC_ERR_SVC_UNAVAILABLE when no reply came (a refused or reset connection,
 * a socket error, the deadline, a connection closed before a whole reply),
 * KRB_ERR_FIELD_TOOLONG for a TCP reply whose length prefix has the reserved
 * bit set or exceeds the limit (RFC 4120 section 7.2.2, the code a KDC gives
 * a request framed so). The socket's own error is kept as `cause`.
 *
 * @module
 */

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { checkInteger, MAX_TIMER_MS } from './check-integer';
import { frameTcp, TcpRecordReader } from './framing';

/** Checks an exchange's port and limits before a socket or a timer is made. */
function checkExchange(kind: string, port: number, o: ExchangeOptions): void {
  checkInteger(port, `${kind}: port`, 1, 65535);
  checkInteger(o.timeoutMs, `${kind}: timeoutMs`, 1, MAX_TIMER_MS);
  checkInteger(o.maxReplyBytes, `${kind}: maxReplyBytes`, 1);
}

/** No reply from one KDC address: KDC_ERR_SVC_UNAVAILABLE, the socket's error as `cause`. */
function unavailable(message: string, cause?: unknown): KerberosError {
  return new KerberosError(ErrorCode.KDC_ERR_SVC_UNAVAILABLE, message, cause === undefined ? {} : { cause });
}

/** Limits for one exchange. */
export interface ExchangeOptions {
  /** Give up after this long (milliseconds). */
  readonly timeoutMs: number;
  /** Largest TCP reply accepted (bytes). */
  readonly maxReplyBytes: number;
}

/**
 * Send `request` in one UDP datagram to `host:port`; resolve with the first datagram back from there.
 *
 * @throws KerberosError KDC_ERR_SVC_UNAVAILABLE when no reply comes (see the module comment); the
 *   promise rejects with it.
 * @throws RangeError at once (not as a rejection) for a port, timeout or reply limit out of its range.
 */
export function udpExchange(
  host: string,
  port: number,
  request: Uint8Array,
  o: ExchangeOptions,
): Promise<Uint8Array> {
  checkExchange('udpExchange', port, o);
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: KerberosError | undefined, reply?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(unavailable(`no UDP reply from ${host}:${port} within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    socket.on('error', (err) => finish(unavailable(`UDP ${host}:${port}: ${err.message}`, err)));
    // Node binds the socket before connect() (a name to look up may come between): a datagram from
    // anywhere can arrive first. Only one from the KDC's address, after the request went, is its answer.
    let connected = false;
    socket.on('message', (msg, from) => {
      if (!connected) return;
      const kdc = socket.remoteAddress();
      if (from.address !== kdc.address || from.port !== kdc.port) return;
      finish(undefined, new Uint8Array(msg));
    });
    // connect() filters replies to the KDC's address and surfaces ICMP
    // port-unreachable as an error instead of a silent timeout.
    // A host that does not resolve (or only to the other address family) fails here, in the callback:
    // a send on the unconnected socket would throw where nothing catches it.
    socket.connect(port, host, (connectError?: Error) => {
      if (connectError) {
        finish(unavailable(`UDP ${host}:${port}: ${connectError.message}`, connectError));
        return;
      }
      if (done) return;
      connected = true;
      socket.send(request, (err) => {
        if (err) finish(unavailable(`UDP ${host}:${port}: ${err.message}`, err));
      });
    });
  });
}

/**
 * Send `request` as one length-prefixed record over a new TCP connection; resolve with the first record back.
 *
 * @throws KerberosError KDC_ERR_SVC_UNAVAILABLE when no reply comes, KRB_ERR_FIELD_TOOLONG for a
 *   reply whose length prefix is refused (see the module comment).
 * @throws RangeError at once (not as a rejection) for a port, timeout or reply limit out of its range.
 */
export function tcpExchange(
  host: string,
  port: number,
  request: Uint8Array,
  o: ExchangeOptions,
): Promise<Uint8Array> {
  checkExchange('tcpExchange', port, o);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const reader = new TcpRecordReader(o.maxReplyBytes);
    let done = false;
    const finish = (err: KerberosError | undefined, reply?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(unavailable(`no TCP reply from ${host}:${port} within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    socket.on('error', (err) => finish(unavailable(`TCP ${host}:${port}: ${err.message}`, err)));
    socket.on('connect', () => socket.write(frameTcp(request)));
    socket.on('data', (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.kind === 'record') return finish(undefined, event.message);
        return finish(
          new KerberosError(
            ErrorCode.KRB_ERR_FIELD_TOOLONG,
            event.reason === 'too-long'
              ? `TCP ${host}:${port}: reply of ${event.prefix} bytes exceeds the ${o.maxReplyBytes}-byte limit`
              : `TCP ${host}:${port}: reply length has the reserved high bit set`,
          ),
        );
      }
    });
    socket.on('end', () => finish(unavailable(`TCP ${host}:${port} closed the connection before replying`)));
  });
}
