/**
 * The protocol of MIT krb5's GSS sample programs (`gss-client`,
 * `gss-server`; Debian `krb5-gss-samples`), spoken by krbsim: each token
 * goes as a flags octet, a 4-octet big-endian length and the token (a zero
 * flags octet means the v1 format: the length's first octet was the flag).
 *
 * The client sends NOOP|CONTEXT_NEXT, then its context tokens (CONTEXT) and
 * reads the server's; then for each message a DATA token, WRAPPED when it
 * is a GSS Wrap token, ENCRYPTED when sealed, SEND_MIC to ask for the
 * server's MIC of the plaintext, which comes back as a MIC token (else a
 * NOOP); a final NOOP ends the session.
 */

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { AcceptResult } from '@krbsim/service';

/** gss-misc.h: token types and flags. */
export const SampleFlag = {
  NOOP: 1 << 0,
  CONTEXT: 1 << 1,
  DATA: 1 << 2,
  MIC: 1 << 3,
  CONTEXT_NEXT: 1 << 4,
  WRAPPED: 1 << 5,
  ENCRYPTED: 1 << 6,
  SEND_MIC: 1 << 7,
} as const;

/** One token as the sample programs frame it. */
export interface SampleToken {
  readonly flags: number;
  readonly token: Uint8Array;
}

/** A socket read token by token. */
export class SampleConnection {
  readonly #socket: Socket;
  #buf = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #ended = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async #take(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.#ended) throw new Error(`the peer closed the connection (wanted ${n} octets)`);
      await new Promise<void>((r) => {
        this.#waiter = r;
      });
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Reads one token (recv_token in gss-misc.c). */
  async read(): Promise<SampleToken> {
    const flags = (await this.#take(1))[0]!;
    const len = flags === 0 ? (await this.#take(3)).readUIntBE(0, 3) : (await this.#take(4)).readUInt32BE(0);
    return { flags, token: new Uint8Array(await this.#take(len)) };
  }

  /** Sends one token (send_token in gss-misc.c). */
  send(flags: number, token: Uint8Array = new Uint8Array(0)): void {
    const head = Buffer.alloc(5);
    head[0] = flags;
    head.writeUInt32BE(token.length, 1);
    this.#socket.write(Buffer.concat([head, token]));
  }

  end(): void {
    this.#socket.end();
  }
}

/** What one connection to {@link serveGssSample} did. */
interface SampleSession {
  /** The initiator's context token, as received. */
  contextToken?: Uint8Array;
  /** The service's acceptance of it. */
  accepted?: AcceptResult;
  /** The messages the client sent, unwrapped. */
  readonly messages: { readonly token: SampleToken; readonly message: Uint8Array; readonly conf?: boolean }[];
  /** The MIC tokens sent back. */
  readonly mics: Uint8Array[];
  /** Set when the session failed. */
  error?: unknown;
}

/** A running {@link serveGssSample}. */
export interface SampleServer {
  readonly server: Server;
  readonly port: number;
  readonly sessions: SampleSession[];
  /** The next connection's session, once it ends (connections in order). */
  done(): Promise<SampleSession>;
}

/**
 * A gss-server: accepts one context per connection with `accept` (the
 * krbsim service), unwraps each message with the context and answers
 * SEND_MIC with its MIC, as gss-server's sign_server does.
 */
export async function serveGssSample(accept: (token: Uint8Array) => AcceptResult): Promise<SampleServer> {
  const sessions: SampleSession[] = [];
  // One settled promise per connection, in order, whether or not a test waits for it yet.
  const slots: { promise: Promise<SampleSession>; resolve: (s: SampleSession) => void }[] = [];
  const slot = (i: number) => {
    if (slots[i] === undefined) {
      let resolve!: (s: SampleSession) => void;
      const promise = new Promise<SampleSession>((r) => {
        resolve = r;
      });
      slots[i] = { promise, resolve };
    }
    return slots[i]!;
  };
  let waited = 0;
  const server = createServer((socket) => {
    const conn = new SampleConnection(socket);
    const session: SampleSession = { messages: [], mics: [] };
    const index = sessions.length;
    sessions.push(session);
    void (async () => {
      try {
        const hello = await conn.read();
        if ((hello.flags & SampleFlag.CONTEXT_NEXT) === 0)
          throw new Error('expected NOOP|CONTEXT_NEXT first');
        const first = await conn.read();
        session.contextToken = first.token;
        const r = accept(first.token);
        session.accepted = r;
        if (r.responseToken !== undefined) conn.send(SampleFlag.CONTEXT, r.responseToken);
        const ctx = r.securityContext;
        if (ctx === undefined) throw new Error('no security context');
        for (;;) {
          const t = await conn.read();
          if ((t.flags & SampleFlag.NOOP) !== 0) break;
          const u = (t.flags & SampleFlag.WRAPPED) !== 0 ? ctx.unwrap(t.token) : undefined;
          const message = u?.message ?? t.token;
          session.messages.push({ token: t, message, ...(u === undefined ? {} : { conf: u.conf }) });
          if ((t.flags & SampleFlag.SEND_MIC) !== 0) {
            const mic = ctx.getMic(message);
            session.mics.push(mic);
            conn.send(SampleFlag.MIC, mic);
          } else {
            conn.send(SampleFlag.NOOP);
          }
        }
      } catch (e) {
        session.error = e;
      } finally {
        conn.end();
        slot(index).resolve(session);
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    server,
    port,
    sessions,
    done: () => slot(waited++).promise,
  };
}
