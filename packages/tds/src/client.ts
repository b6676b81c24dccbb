/**
 * A small TDS client: PRELOGIN with the encryption negotiation, TLS inside
 * PRELOGIN, LOGIN7 with an SSPI token (and SSPI continuation legs), SQL
 * batches. For tests and tools that log in to an emulated instance the way
 * a driver does, with krbsim's own Kerberos client making the token.
 *
 * What the client does with the server's ENCRYPTION answer (section 2.2.6.5):
 *
 * | client sends \ server answers | OFF        | ON, REQ       | NOT_SUP  |
 * | ----------------------------- | ---------- | ------------- | -------- |
 * | `off` (ENCRYPT_OFF)           | login only | whole session | no TLS   |
 * | `on` (ENCRYPT_ON)             | refused    | whole session | refused  |
 * | `not-supported`               | no TLS     | refused       | no TLS   |
 *
 * `strict` is TDS 8.0 (MS-TDS 1.7, 3.2.5.1), a driver's `Encrypt=Strict`: TLS
 * 1.2 or 1.3 first, on the connection itself, offering ALPN `tds/8.0`, and
 * PRELOGIN (ENCRYPT_STRICT, 0x04, as go-mssqldb sends it) and everything
 * after inside it; the server's ENCRYPTION answer is not read (2.2.6.5).
 *
 * @module
 */

import { connect as netConnect, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { TdsError } from './errors';
import { TdsVersion } from './iana/login7';
import { TdsPacketType } from './iana/packet';
import { Encryption, TDS8_ALPN } from './iana/prelogin';
import { EnvChangeType } from './iana/tokens';
import { encodeLogin7, type Login7Init } from './login7';
import { negotiateTdsVersion } from './negotiate';
import { DEFAULT_PACKET_SIZE, encodePackets, MAX_PACKET_SIZE, PacketReader, type TdsMessage } from './packet';
import { decodePrelogin, encodePrelogin, type Prelogin } from './prelogin';
import { encodeSqlBatch } from './sql-batch';
import { systemTdsTimers, type TdsTimers } from './timers';
import { PreloginTlsTransport } from './tls-in-prelogin';
import { decodeTokens } from './tokens/decode';
import type { Cell, Column, ErrorToken, LoginAckToken, TdsTokenValue } from './tokens/types';

/** What the client offers in PRELOGIN's ENCRYPTION, or `strict` (TDS 8.0); see the module comment. */
export type TdsClientEncryption = 'off' | 'on' | 'not-supported' | 'strict';

/** What a read gets once the server has closed the connection. */
const closedByServer = () => new TdsError('closed', 'connection', 'the server closed the connection');

/** How many client TLS contexts {@link clientContext} keeps. */
const CLIENT_CONTEXTS = 8;
const clientContexts = new Map<string, SecureContext>();

/**
 * The client's TLS context for a set of trusted CAs (PEM; none: Node's
 * root CAs), TLS 1.2 at most, as SQL Server speaks it with TDS 7.x (1.2 or
 * 1.3 for TDS 8.0, `strict`).
 * Performance: making a context parses the CAs and builds an OpenSSL
 * SSL_CTX; sharing it took an encrypted login on loopback from 2.78 to 2.24
 * ms of CPU (bench/RESULTS.md, runs 38 and 45), so connections that trust
 * the same CAs share one, as Node's `https.Agent` shares its contexts. A
 * context holds only what every such connection trusts; the name checked
 * and `rejectUnauthorized` stay per connection. The
 * {@link CLIENT_CONTEXTS} most recently made are kept.
 */
function clientContext(ca: string | readonly string[] | undefined, strict = false): SecureContext {
  // NUL cannot appear in PEM: it separates the CAs of a list unambiguously.
  const cas = ca === undefined ? '' : typeof ca === 'string' ? `1\0${ca}` : `${ca.length}\0${ca.join('\0')}`;
  const key = `${strict ? 'strict' : 'prelogin'}\0${cas}`;
  let context = clientContexts.get(key);
  if (context === undefined) {
    context = createSecureContext({
      ...(ca !== undefined && { ca: typeof ca === 'string' ? ca : [...ca] }),
      // TDS 8.0's TLS may be 1.3 (MS-TDS 2.1); inside TDS 7.x PRELOGIN, SQL Server speaks 1.2.
      ...(strict ? { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } : { maxVersion: 'TLSv1.2' }),
    });
    if (clientContexts.size >= CLIENT_CONTEXTS) clientContexts.delete(clientContexts.keys().next().value!);
    clientContexts.set(key, context);
  }
  return context;
}

/** Options for {@link connectTds}. */
export interface ConnectTdsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  readonly port: number;
  /** Default `on`. */
  readonly encryption?: TdsClientEncryption;
  /**
   * The instance to reach (PRELOGIN's INSTOPT, MS-TDS 2.2.6.5); default none (a default instance).
   * A server that answers it is another instance (0x01) is closed, as the spec has a client do.
   */
  readonly instance?: string;
  /** TLS: the CA to trust (PEM), the name to check the certificate against, or no check at all. */
  readonly tls?: {
    readonly ca?: string | readonly string[];
    readonly servername?: string;
    /** Default true. */
    readonly rejectUnauthorized?: boolean;
  };
  /** How long to wait for each answer (default 15 000 ms). */
  readonly timeoutMs?: number;
  readonly timers?: TdsTimers;
}

/** What {@link TdsClient.login} sends: LOGIN7's fields, and how to answer a continuation. */
export interface TdsClientLogin extends Login7Init {
  /** The first security token (LOGIN7's SSPI field). */
  readonly sspi: Uint8Array;
  /** The next token, given the server's (SSPI continuation); without it a continuation fails. */
  next?(serverToken: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** The outcome of a login. */
export type TdsLoginResult =
  | {
      readonly ok: true;
      readonly tokens: readonly TdsTokenValue[];
      readonly loginAck: LoginAckToken;
      /** The server's last SSPI token (the AP-REP), for mutual authentication. */
      readonly responseToken: Uint8Array | undefined;
      readonly packetSize: number;
    }
  | { readonly ok: false; readonly tokens: readonly TdsTokenValue[]; readonly error: ErrorToken };

/** One result set of a batch. */
export interface TdsResultSet {
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly Cell[])[];
}

/** The answer to a batch. */
export interface TdsBatchResult {
  readonly tokens: readonly TdsTokenValue[];
  readonly results: readonly TdsResultSet[];
  readonly errors: readonly ErrorToken[];
}

/** A connection after PRELOGIN (and TLS, when negotiated). */
export interface TdsClient {
  /** The server's PRELOGIN answer. */
  readonly prelogin: Prelogin;
  /** What was negotiated. */
  readonly encryption: 'none' | 'login-only' | 'full';
  /** The TLS protocol in use (`TLSv1.2`), when there is TLS. */
  readonly tlsProtocol: string | undefined;
  /** The ALPN protocol the server chose (`tds/8.0` for TDS 8.0), if any. */
  readonly alpnProtocol: string | undefined;
  /**
   * The server's certificate (DER), when there is TLS: what the channel's bindings are made from
   * (`@krbsim/pki`'s `tlsServerEndPoint`), for a login token bound to this connection.
   */
  readonly peerCertificate: Uint8Array | undefined;
  /** Log in; a refused login (an ERROR instead of LOGINACK) closes the connection. */
  login(init: TdsClientLogin): Promise<TdsLoginResult>;
  batch(sqlText: string): Promise<TdsBatchResult>;
  /** Resolves when the server has closed the connection (or {@link close} was called). */
  readonly closed: Promise<void>;
  close(): void;
}

/** Connect, and run PRELOGIN and TLS as negotiated. */
export async function connectTds(options: ConnectTdsOptions): Promise<TdsClient> {
  const c = new ClientConnection(options);
  try {
    await c.open();
  } catch (e) {
    // The caller gets no client to close: a failed open (a timeout, a malformed answer) closes here.
    c.close();
    throw e;
  }
  return c;
}

const CLIENT_VERSION = { major: 1, minor: 0, build: 0, subBuild: 0 };

class ClientConnection implements TdsClient {
  readonly #o: ConnectTdsOptions;
  readonly #timers: TdsTimers;
  #socket!: Socket;
  readonly #reader = new PacketReader({ maxPacket: MAX_PACKET_SIZE, maxMessage: 4 * 1024 * 1024 });
  readonly #queue: TdsMessage[] = [];
  readonly #waiting: Array<{ resolve(m: TdsMessage): void; reject(e: Error): void }> = [];
  #failure: Error | undefined;
  /** The socket closed: `#failure` is then set when a request first needs it. */
  #socketClosed = false;
  #transport: PreloginTlsTransport | undefined;
  #tls: TLSSocket | undefined;
  #inViaTls = false;
  #outViaTls = false;
  #packetSize = DEFAULT_PACKET_SIZE;
  #tdsVersion: number = TdsVersion.V7_4;
  prelogin: Prelogin = {};
  encryption: 'none' | 'login-only' | 'full' = 'none';
  tlsProtocol: string | undefined;
  alpnProtocol: string | undefined;
  peerCertificate: Uint8Array | undefined;
  closed!: Promise<void>;

  constructor(o: ConnectTdsOptions) {
    this.#o = o;
    this.#timers = o.timers ?? systemTdsTimers;
  }

  async open(): Promise<void> {
    // noDelay: a login is a few small request/response packets; with Nagle's
    // algorithm each waits out the peer's delayed ACK (about 40 ms a leg).
    const socket = netConnect({ host: this.#o.host ?? '127.0.0.1', port: this.#o.port, noDelay: true });
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) =>
      this.#onSocketData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)),
    );
    socket.on('error', (e) => this.#fail(new TdsError('closed', 'connection', e.message, { cause: e })));
    socket.on('close', () => {
      // Performance: every connection ends here, most after close() with nothing
      // waiting; the error (and its stack) is made when a read would get it.
      this.#socketClosed = true;
      if (this.#waiting.length > 0) this.#fail(closedByServer());
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });

    const offer = this.#o.encryption ?? 'on';
    if (offer === 'strict') {
      await this.#startTls('strict');
      this.encryption = 'full';
    }
    const sent =
      offer === 'off'
        ? Encryption.OFF
        : offer === 'on'
          ? Encryption.ON
          : offer === 'strict'
            ? Encryption.STRICT
            : Encryption.NOT_SUP;
    this.#write(
      TdsPacketType.PRELOGIN,
      encodePrelogin({
        version: CLIENT_VERSION,
        encryption: sent,
        instance: Uint8Array.from([...Buffer.from(this.#o.instance ?? '', 'latin1'), 0]),
        threadId: process.pid,
        mars: 0,
      }),
    );
    const reply = await this.#next('PRELOGIN response');
    // Section 3.2.5.1: the answer to PRELOGIN is a table response. (connectTds closes on the throw.)
    if (reply.type !== TdsPacketType.TABULAR_RESULT) {
      throw new TdsError('unexpected', 'packet.Type', `0x${reply.type.toString(16)} in answer to PRELOGIN`);
    }
    this.prelogin = decodePrelogin(reply.payload);
    if (this.prelogin.instance?.[0] === 1) {
      throw new TdsError(
        'unexpected',
        'PRELOGIN.INSTOPT',
        `the server is not the instance '${this.#o.instance ?? ''}' (INSTOPT 0x01)`,
      );
    }
    // TDS 8.0: TLS is set up already, the ENCRYPTION answer means nothing (section 2.2.6.5).
    if (offer === 'strict') return;
    const answer = this.prelogin.encryption ?? Encryption.NOT_SUP;
    const refuse = (why: string) => {
      this.close();
      throw new TdsError('unexpected', 'PRELOGIN.ENCRYPTION', why);
    };
    if (answer === Encryption.NOT_SUP) {
      if (offer === 'on') refuse('the server does not support encryption, which this client requires');
      this.encryption = 'none';
      return;
    }
    if (answer === Encryption.OFF) {
      if (offer === 'on') refuse('the server answered ENCRYPT_OFF to ENCRYPT_ON');
      this.encryption = offer === 'off' ? 'login-only' : 'none';
    } else if (answer === Encryption.ON || answer === Encryption.REQ) {
      if (offer === 'not-supported') refuse('the server requires encryption, which this client cannot do');
      this.encryption = 'full';
    } else {
      refuse(`0x${answer.toString(16)} is not an encryption value`);
    }
    if (this.encryption !== 'none') await this.#startTls('prelogin');
  }

  /** TLS inside PRELOGIN (TDS 7.x, section 3.2.5.2), or on the connection before any TDS (TDS 8.0). */
  async #startTls(how: 'prelogin' | 'strict'): Promise<void> {
    const strict = how === 'strict';
    const transport = new PreloginTlsTransport((b) => this.#socket.write(b), {
      server: false,
      maxPacket: MAX_PACKET_SIZE,
      bare: strict,
    });
    this.#transport = transport;
    this.#inViaTls = true;
    const t = this.#o.tls ?? {};
    const tls = tlsConnect({
      socket: transport as unknown as Socket,
      ...(t.servername !== undefined && { servername: t.servername }),
      secureContext: clientContext(t.ca, strict),
      rejectUnauthorized: t.rejectUnauthorized ?? true,
      ...(strict && { ALPNProtocols: [TDS8_ALPN] }),
    });
    this.#tls = tls;
    tls.on('data', (d: Buffer) => {
      if (this.#inViaTls) this.#onTds(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    });
    this.#socket.on('end', () => transport.closeInbound());
    await new Promise<void>((resolve, reject) => {
      const timer = this.#timers.setTimeout(
        () => reject(new TdsError('timeout', 'TLS', 'the TLS handshake did not complete')),
        this.#o.timeoutMs ?? 15_000,
      );
      tls.once('secureConnect', () => {
        this.#timers.clearTimeout(timer);
        resolve();
      });
      tls.once('error', (e) => {
        this.#timers.clearTimeout(timer);
        reject(new TdsError('tls', 'TLS', e.message, { cause: e }));
      });
      // Closed mid-handshake (the transport refused a packet): that refusal now, not a timeout later.
      tls.once('close', () => {
        this.#timers.clearTimeout(timer);
        reject(this.#failure ?? closedByServer());
      });
    }).catch((e: unknown) => {
      this.close();
      throw e;
    });
    tls.on('error', (e) => this.#fail(new TdsError('tls', 'TLS', e.message, { cause: e })));
    // The handshake is over: from here TLS records go bare (section 3.2.5.2).
    transport.unwrap();
    this.#outViaTls = true;
    this.tlsProtocol = tls.getProtocol() ?? undefined;
    this.alpnProtocol = tls.alpnProtocol || undefined;
    const raw = tls.getPeerCertificate(true)?.raw;
    this.peerCertificate = raw === undefined ? undefined : new Uint8Array(raw);
  }

  async login(init: TdsClientLogin): Promise<TdsLoginResult> {
    // The answer comes in the version the server can answer, at most the client's (0x08000000, a TDS 8.0
    // client's, is answered in 7.4's forms).
    this.#tdsVersion = negotiateTdsVersion(init.tdsVersion ?? TdsVersion.V7_4);
    this.#write(TdsPacketType.LOGIN7, encodeLogin7({ packetSize: DEFAULT_PACKET_SIZE, ...init }));
    if (this.encryption === 'login-only') {
      // Only LOGIN7 is encrypted: the answer and the rest of the session are in the clear.
      this.#outViaTls = false;
      this.#inViaTls = false;
    }
    const tokens: TdsTokenValue[] = [];
    for (;;) {
      const m = await this.#next('login response');
      if (m.type !== TdsPacketType.TABULAR_RESULT) {
        throw new TdsError('unexpected', 'packet.Type', `0x${m.type.toString(16)} in answer to LOGIN7`);
      }
      const got = decodeTokens(m.payload, { tdsVersion: this.#tdsVersion });
      tokens.push(...got);
      const ack = got.find((t): t is LoginAckToken => t.type === 'LOGINACK');
      const error = got.find((t): t is ErrorToken => t.type === 'ERROR');
      const sspi = [...got].reverse().find((t) => t.type === 'SSPI');
      if (ack !== undefined) {
        const size = got.find((t) => t.type === 'ENVCHANGE' && t.envType === EnvChangeType.PACKET_SIZE);
        if (size?.type === 'ENVCHANGE' && typeof size.newValue === 'string')
          this.#packetSize = Number(size.newValue);
        this.#tdsVersion = ack.tdsVersion;
        return {
          ok: true,
          tokens,
          loginAck: ack,
          responseToken: sspi?.type === 'SSPI' ? sspi.token : undefined,
          packetSize: this.#packetSize,
        };
      }
      if (error !== undefined) {
        // Section 3.2.5.5: a failed login ends the connection; the client closes it, not waiting for the server.
        this.close();
        return { ok: false, tokens, error };
      }
      if (sspi?.type !== 'SSPI') {
        throw new TdsError('unexpected', 'login response', 'neither LOGINACK, ERROR nor SSPI');
      }
      if (init.next === undefined) {
        throw new TdsError('unsupported', 'SSPI', 'the server asks for another leg and no `next` was given');
      }
      this.#write(TdsPacketType.SSPI, await init.next(sspi.token));
    }
  }

  async batch(sqlText: string): Promise<TdsBatchResult> {
    this.#write(TdsPacketType.SQL_BATCH, encodeSqlBatch(sqlText, this.#tdsVersion));
    const m = await this.#next('batch response');
    if (m.type !== TdsPacketType.TABULAR_RESULT) {
      throw new TdsError('unexpected', 'packet.Type', `0x${m.type.toString(16)} in answer to a batch`);
    }
    const tokens = decodeTokens(m.payload, { tdsVersion: this.#tdsVersion });
    const results: Array<{ columns: readonly Column[]; rows: Cell[][] }> = [];
    const errors: ErrorToken[] = [];
    for (const t of tokens) {
      if (t.type === 'COLMETADATA') results.push({ columns: t.columns, rows: [] });
      else if (t.type === 'ROW') results[results.length - 1]!.rows.push([...t.values]);
      else if (t.type === 'ERROR') errors.push(t);
    }
    return { tokens, results, errors };
  }

  close(): void {
    this.#tls?.destroy();
    this.#socket?.destroy(); // undefined when connecting threw (a bad port)
  }

  #write(type: number, payload: Uint8Array): void {
    const bytes = encodePackets(type, payload, { packetSize: this.#packetSize });
    if (this.#outViaTls) this.#tls!.write(bytes);
    else this.#socket.write(bytes);
  }

  #onSocketData(bytes: Uint8Array): void {
    if (this.#inViaTls) {
      try {
        this.#transport!.feed(bytes);
      } catch (e) {
        this.#fail(e as Error);
        this.close();
      }
      return;
    }
    this.#onTds(bytes);
  }

  #onTds(bytes: Uint8Array): void {
    let messages: TdsMessage[];
    try {
      messages = this.#reader.push(bytes);
    } catch (e) {
      this.#fail(e as Error);
      this.close();
      return;
    }
    for (const m of messages) {
      const w = this.#waiting.shift();
      if (w) w.resolve(m);
      else this.#queue.push(m);
    }
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
  }

  #next(what: string): Promise<TdsMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#failure === undefined && this.#socketClosed) this.#failure = closedByServer();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new TdsError('timeout', what, `no answer in ${this.#o.timeoutMs ?? 15_000} ms`));
      }, this.#o.timeoutMs ?? 15_000);
      const entry = {
        resolve: (m: TdsMessage) => {
          this.#timers.clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          this.#timers.clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiting.push(entry);
    });
  }
}
