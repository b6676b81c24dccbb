/**
 * A small TDS client: PRELOGIN with the encryption negotiation, TLS inside
 * PRELOGIN, LOGIN7 with an SSPI token (and SSPI continuation legs), SQL
 * batches, and transactions begun, committed and rolled back by transaction
 * manager requests. For tests and tools that log in to an emulated instance
 * the way a driver does, with krbsim's own Kerberos client making the token.
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
 * The certificate is checked against the host connected to (an IP address
 * as an IP address), or `tls.servername` when given (a driver's
 * HostNameInCertificate), as SQL Server drivers check it.
 *
 * Failures follow MS-TDS 3.2.5 and 3.2.6. The connection timer (the TCP
 * connect, PRELOGIN, TLS, each leg of the login: `timeoutMs` each) closes
 * the connection when it fires. A batch whose answer does not come in
 * `timeoutMs` is cancelled as a driver cancels it on a command timeout: the
 * client sends ATTENTION, discards what comes until the DONE with DONE_ATTN
 * that acknowledges it, and only then rejects the batch with the timeout;
 * the connection stays usable, and the late answer reaches no later
 * request. No acknowledgment within another `timeoutMs` (the cancel timer)
 * closes the connection. A message that is not structurally valid where it
 * comes (another packet type, tokens that do not decode, an ENVCHANGE the
 * client cannot follow) closes the connection, and every later request is
 * refused with that error. Requests run one at a time: a `batch()` (or a
 * transaction request) called while another runs waits for it. A server
 * answers each request with one message; one message that comes before the
 * request it answers is kept for it, a second is a protocol error that
 * closes the connection.
 *
 * @module
 */

import { isIP, connect as netConnect, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { errorText } from '@krbsim/core';
import { isTdsError, TdsError } from './errors';
import { TdsVersion } from './iana/login7';
import { TdsPacketType } from './iana/packet';
import { Encryption, TDS8_ALPN } from './iana/prelogin';
import { DoneStatus, EnvChangeType } from './iana/tokens';
import { ByteReader } from './internal/bytes';
import { encodeLogin7, type Login7Init } from './login7';
import { negotiateTdsVersion } from './negotiate';
import {
  DEFAULT_PACKET_SIZE,
  encodePackets,
  MAX_PACKET_SIZE,
  MIN_PACKET_SIZE,
  PacketReader,
  type TdsMessage,
} from './packet';
import { decodePrelogin, encodePrelogin, type Prelogin } from './prelogin';
import { encodeSqlBatch } from './sql-batch';
import { systemTdsTimers, type TdsTimers } from './timers';
import { PreloginTlsTransport } from './tls-in-prelogin';
import { decodeTokens } from './tokens/decode';
import type { Cell, Column, ErrorToken, LoginAckToken, TdsTokenValue } from './tokens/types';
import { encodeTransactionManagerRequest, type TransactionManagerRequest } from './transaction-manager';

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
  /** Default `127.0.0.1`; also the name the server's certificate is checked against (see `tls.servername`). */
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
    /**
     * The name the server's certificate must be issued for (a driver's HostNameInCertificate), sent in SNI
     * unless it is an IP address; default `host` (an IP address is checked against the certificate's IP
     * addresses).
     */
    readonly servername?: string;
    /** Default true. */
    readonly rejectUnauthorized?: boolean;
  };
  /**
   * How long to wait for the TCP connection and for each answer (default 15 000 ms); a batch's answer
   * that does not come in time is cancelled (ATTENTION), and its acknowledgment waited for as long again.
   */
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
  /**
   * Log in; a refused login (an ERROR instead of LOGINACK) closes the connection, and so does a login that
   * fails (a timeout, an answer that is not valid, a PACKET_SIZE outside 512 to 32767, a ROUTING ENVCHANGE:
   * this client does not follow Azure SQL's redirection, and the TdsError names the server it routes to).
   */
  login(init: TdsClientLogin): Promise<TdsLoginResult>;
  /**
   * Run a SQL batch. An answer that does not come in `timeoutMs` is cancelled (ATTENTION, then its
   * acknowledgment) and the batch rejects with a `timeout` TdsError, the connection still usable; an answer
   * that is not valid closes the connection.
   */
  batch(sqlText: string): Promise<TdsBatchResult>;
  /**
   * Begin a transaction with a transaction manager request (TM_BEGIN_XACT, MS-TDS 2.2.6.9), as
   * SqlClient's BeginTransaction does: `name` (default none) and `isolationLevel` (`IsolationLevel`,
   * default 0, no change). The answer's ENVCHANGE BEGIN_TRANSACTION hands out the descriptor the
   * requests after it carry, as a BEGIN TRANSACTION batch's does; a refusal is in `errors`. Timeouts and
   * failures as for {@link batch}.
   */
  beginTransaction(options?: {
    readonly name?: string;
    readonly isolationLevel?: number;
  }): Promise<TdsBatchResult>;
  /** Commit the session's transaction with TM_COMMIT_XACT, naming its descriptor; otherwise as {@link beginTransaction}. */
  commit(): Promise<TdsBatchResult>;
  /** Roll back the session's transaction with TM_ROLLBACK_XACT, naming its descriptor; otherwise as {@link beginTransaction}. */
  rollback(): Promise<TdsBatchResult>;
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

/** What {@link ClientConnection}'s `#receive` gives when no message came in time. */
const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The packet size a login's answer sets: the last PACKET_SIZE ENVCHANGE's, which must be the decimal
 * digits of 512 to 32767 (MS-TDS 2.2.7.9); `current` when there is none.
 */
function negotiatedPacketSize(tokens: readonly TdsTokenValue[], current: number): number {
  let size = current;
  for (const t of tokens) {
    if (t.type !== 'ENVCHANGE' || t.envType !== EnvChangeType.PACKET_SIZE) continue;
    const path = 'ENVCHANGE.PACKET_SIZE.NewValue';
    const v = t.newValue;
    if (typeof v !== 'string') throw new TdsError('malformed', path, 'bytes where a packet size is');
    const shown = v.length > 16 ? `${v.slice(0, 16)}...` : v;
    if (!/^[0-9]+$/.test(v)) {
      throw new TdsError('malformed', path, `'${shown}' is not a packet size in decimal digits`);
    }
    const n = v.length <= 5 ? Number(v) : Number.POSITIVE_INFINITY;
    if (n < MIN_PACKET_SIZE || n > MAX_PACKET_SIZE) {
      throw new TdsError(
        'unexpected',
        path,
        `${shown} bytes is not ${MIN_PACKET_SIZE} to ${MAX_PACKET_SIZE}`,
      );
    }
    size = n;
  }
  return size;
}

/**
 * The refusal of a ROUTING ENVCHANGE (MS-TDS 2.2.7.9: Protocol, 0 for TCP; ProtocolProperty, the port;
 * AlternateServer, a US_VARCHAR), naming where the server routes the login. This client does not follow
 * a route: the login's token was made for this server's SPN, and the routed server needs its own.
 */
function refuseRouting(value: string | Uint8Array): never {
  const p = 'ENVCHANGE.ROUTING';
  if (typeof value === 'string')
    throw new TdsError('malformed', `${p}.NewValue`, 'text where RoutingData is');
  const r = new ByteReader(value);
  const protocol = r.u8(`${p}.Protocol`);
  const port = r.u16le(`${p}.ProtocolProperty`);
  const server = r.usVarchar(`${p}.AlternateServer`);
  r.end(`${p}.NewValue`);
  if (protocol !== 0)
    throw new TdsError('unsupported', `${p}.Protocol`, `${protocol} (0, TCP, is the only one)`);
  if (port === 0 || server === '') {
    throw new TdsError('malformed', `${p}.NewValue`, `no ${port === 0 ? 'port' : 'server'} to route to`);
  }
  throw new TdsError(
    'unsupported',
    p,
    `the server routes this login to ${server}:${port} (Azure SQL's redirection); this client does not follow a route: connect to ${server}:${port} and log in there, with a token for that server`,
  );
}

/** `e` if it is a TdsError, else a `closed` TdsError with `e` as its cause. */
function asTdsError(e: unknown): TdsError {
  if (isTdsError(e)) return e;
  return new TdsError('closed', 'connection', `closed: ${errorText(e)}`, {
    cause: e,
  });
}

/** The ENVCHANGE types whose NewValue is the descriptor of the transaction the session is now in (2.2.7.9). */
const STARTS_TRANSACTION: ReadonlySet<number> = new Set([
  EnvChangeType.BEGIN_TRANSACTION,
  EnvChangeType.ENLIST_DTC_TRANSACTION,
]);
/** The ENVCHANGE types that leave the session in no transaction, as drivers read them (2.2.7.9). */
const ENDS_TRANSACTION: ReadonlySet<number> = new Set([
  EnvChangeType.COMMIT_TRANSACTION,
  EnvChangeType.ROLLBACK_TRANSACTION,
  EnvChangeType.DEFECT_TRANSACTION,
  EnvChangeType.TRANSACTION_ENDED,
]);

class ClientConnection implements TdsClient {
  readonly #o: ConnectTdsOptions;
  readonly #timers: TdsTimers;
  readonly #host: string;
  readonly #timeoutMs: number;
  #socket!: Socket;
  readonly #reader = new PacketReader({ maxPacket: MAX_PACKET_SIZE, maxMessage: 4 * 1024 * 1024 });
  /** A message that came before a request asked for it: kept for the next one, and at most one. */
  #early: TdsMessage | undefined;
  /** The request waiting for its answer (requests run one at a time). */
  #waiter: { resolve(m: TdsMessage): void; reject(e: Error): void } | undefined;
  /** Settles when the request before has: the next one starts then. */
  #turn: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  /** The socket closed: `#failure` is then set when a request first needs it. */
  #socketClosed = false;
  #transport: PreloginTlsTransport | undefined;
  #tls: TLSSocket | undefined;
  #inViaTls = false;
  #outViaTls = false;
  #packetSize = DEFAULT_PACKET_SIZE;
  #tdsVersion: number = TdsVersion.V7_4;
  /**
   * The transaction descriptor each batch carries in ALL_HEADERS (MS-TDS 2.2.5.3.2): the last ENVCHANGE
   * BEGIN_TRANSACTION's (or ENLIST_DTC_TRANSACTION's), until an ENVCHANGE ends it; all zeros with none open.
   */
  #transactionDescriptor = new Uint8Array(8);
  prelogin: Prelogin = {};
  encryption: 'none' | 'login-only' | 'full' = 'none';
  tlsProtocol: string | undefined;
  alpnProtocol: string | undefined;
  peerCertificate: Uint8Array | undefined;
  closed!: Promise<void>;

  constructor(o: ConnectTdsOptions) {
    this.#o = o;
    this.#timers = o.timers ?? systemTdsTimers;
    this.#host = o.host ?? '127.0.0.1';
    this.#timeoutMs = o.timeoutMs ?? 15_000;
  }

  async open(): Promise<void> {
    // noDelay: a login is a few small request/response packets; with Nagle's
    // algorithm each waits out the peer's delayed ACK (about 40 ms a leg).
    // A port out of range throws node:net's RangeError here: the caller's mistake, not the peer's.
    const socket = netConnect({ host: this.#host, port: this.#o.port, noDelay: true });
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
      if (this.#waiter !== undefined) this.#fail(closedByServer());
    });
    // The connection timer (MS-TDS 3.2.2) runs from the TCP connect: a host that never answers the SYN
    // fails at the deadline, a refused connection or an unknown name at once, each a TdsError.
    const where = `${this.#host}:${this.#o.port}`;
    await new Promise<void>((resolve, reject) => {
      const timer = this.#timers.setTimeout(
        () =>
          reject(
            new TdsError('timeout', 'connection', `could not connect to ${where} in ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
      socket.once('connect', () => {
        this.#timers.clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        this.#timers.clearTimeout(timer);
        reject(
          new TdsError('closed', 'connection', `could not connect to ${where}: ${e.message}`, { cause: e }),
        );
      });
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
    // The name the certificate must be issued for: the host connected to, as a driver checks it, unless the
    // caller names another (HostNameInCertificate). With a socket given, Node uses `host` only for this
    // check; SNI carries a name, never an IP address (RFC 6066 section 3).
    const name = t.servername ?? this.#host;
    const tls = tlsConnect({
      socket: transport as unknown as Socket,
      host: name,
      ...(isIP(name) === 0 && { servername: name }),
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
        this.#timeoutMs,
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

  login(init: TdsClientLogin): Promise<TdsLoginResult> {
    return this.#exclusive(async () => {
      // The answer comes in the version the server can answer, at most the client's (0x08000000, a TDS 8.0
      // client's, is answered in 7.4's forms). A LOGIN7 that cannot be made is the caller's: nothing is sent.
      const tdsVersion = negotiateTdsVersion(init.tdsVersion ?? TdsVersion.V7_4);
      const login7 = encodeLogin7({ packetSize: DEFAULT_PACKET_SIZE, ...init });
      // The login is part of the connection's establishment: whatever fails it (a timeout included, the
      // connection timer's) closes the connection (MS-TDS 3.2.5, 3.2.6).
      return this.#guard(async () => {
        this.#tdsVersion = tdsVersion;
        this.#ensureOpen();
        this.#write(TdsPacketType.LOGIN7, login7);
        if (this.encryption === 'login-only') {
          // Only LOGIN7 is encrypted: the answer and the rest of the session are in the clear.
          this.#outViaTls = false;
          this.#inViaTls = false;
        }
        const tokens: TdsTokenValue[] = [];
        for (;;) {
          const got = this.#tokensOf(await this.#next('login response'), 'LOGIN7');
          // Not push(...got): a spread passes each token as an argument, and a long answer overflows the stack.
          for (const t of got) tokens.push(t);
          const ack = got.find((t): t is LoginAckToken => t.type === 'LOGINACK');
          const error = got.find((t): t is ErrorToken => t.type === 'ERROR');
          const sspi = [...got].reverse().find((t) => t.type === 'SSPI');
          if (ack !== undefined) {
            // Azure SQL's redirection (MS-TDS 2.2.7.9): the session is on another server, not this one.
            const route = tokens.find((t) => t.type === 'ENVCHANGE' && t.envType === EnvChangeType.ROUTING);
            if (route?.type === 'ENVCHANGE') refuseRouting(route.newValue);
            this.#packetSize = negotiatedPacketSize(tokens, this.#packetSize);
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
            throw new TdsError(
              'unsupported',
              'SSPI',
              'the server asks for another leg and no `next` was given',
            );
          }
          this.#write(TdsPacketType.SSPI, await init.next(sspi.token));
        }
      });
    });
  }

  batch(sqlText: string): Promise<TdsBatchResult> {
    return this.#request(TdsPacketType.SQL_BATCH, 'batch', () =>
      encodeSqlBatch(sqlText, this.#tdsVersion, { descriptor: this.#transactionDescriptor }),
    );
  }

  beginTransaction(
    options: { readonly name?: string; readonly isolationLevel?: number } = {},
  ): Promise<TdsBatchResult> {
    return this.#transactionRequest({
      type: 'begin',
      name: options.name ?? '',
      isolationLevel: options.isolationLevel ?? 0,
    });
  }

  commit(): Promise<TdsBatchResult> {
    return this.#transactionRequest({ type: 'commit', name: '' });
  }

  rollback(): Promise<TdsBatchResult> {
    return this.#transactionRequest({ type: 'rollback', name: '' });
  }

  #transactionRequest(request: TransactionManagerRequest): Promise<TdsBatchResult> {
    return this.#request(TdsPacketType.TRANSACTION_MANAGER, 'transaction manager request', () =>
      encodeTransactionManagerRequest(request, this.#tdsVersion, { descriptor: this.#transactionDescriptor }),
    );
  }

  /**
   * Send a request (`encode` runs when its turn comes, so that it names the transaction the requests
   * before it left) and read its answer, following the transaction it tells of; cancelled on a timeout.
   */
  #request(type: number, what: string, encode: () => Uint8Array): Promise<TdsBatchResult> {
    return this.#exclusive(async () => {
      const request = encode();
      const answer = await this.#guard(async () => {
        this.#ensureOpen();
        this.#write(type, request);
        const m = await this.#receive(`${what} response`, true);
        if (m === TIMED_OUT) {
          await this.#cancel();
          return undefined;
        }
        const tokens = this.#tokensOf(m, `a ${what}`);
        this.#followTransaction(tokens);
        const results: Array<{ columns: readonly Column[]; rows: Cell[][] }> = [];
        const errors: ErrorToken[] = [];
        for (const t of tokens) {
          if (t.type === 'COLMETADATA') results.push({ columns: t.columns, rows: [] });
          else if (t.type === 'ROW') results[results.length - 1]!.rows.push([...t.values]);
          else if (t.type === 'ERROR') errors.push(t);
        }
        return { tokens, results, errors };
      });
      if (answer === undefined) {
        throw new TdsError(
          'timeout',
          `${what} response`,
          `no answer in ${this.#timeoutMs} ms: the ${what} was cancelled (ATTENTION acknowledged), the connection stays open`,
        );
      }
      return answer;
    });
  }

  close(): void {
    this.#tls?.destroy();
    this.#socket?.destroy(); // undefined when connecting threw (a bad port)
  }

  /** Run `request` once the request before has settled: one request at a time, as TDS has it (3.2.5.7). */
  #exclusive<T>(request: () => Promise<T>): Promise<T> {
    const result = this.#turn.then(request);
    this.#turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Run `exchange`; if it fails, the connection is closed and every later request refused with that
   * failure: MS-TDS 3.2.5, a message that is not structurally valid ends the connection (Final State).
   * What it throws is a TdsError: another error (a bug, or the caller's `next` failing) is wrapped in
   * one, as its `cause`.
   */
  async #guard<T>(exchange: () => Promise<T>): Promise<T> {
    try {
      return await exchange();
    } catch (e) {
      const failure = asTdsError(e);
      this.#abort(failure);
      throw failure;
    }
  }

  /**
   * Cancel the request whose answer did not come (MS-TDS 3.2.6: the client request timer): send
   * ATTENTION, then discard what comes until the DONE with DONE_ATTN that acknowledges it (3.2.5.9,
   * 2.2.1.7). The cancel timer is one deadline for the whole wait, however many messages come.
   */
  async #cancel(): Promise<void> {
    this.#write(TdsPacketType.ATTENTION, new Uint8Array(0));
    const timer = this.#timers.setTimeout(
      () =>
        this.#abort(
          new TdsError(
            'timeout',
            'ATTENTION',
            `the batch's answer did not come in ${this.#timeoutMs} ms, nor the acknowledgment of the ATTENTION that cancelled it in ${this.#timeoutMs} ms more`,
          ),
        ),
      this.#timeoutMs,
    );
    try {
      for (;;) {
        const m = await this.#receive('attention acknowledgment', false);
        const tokens = this.#tokensOf(m, 'an ATTENTION');
        this.#followTransaction(tokens);
        if (tokens.some((t) => t.type === 'DONE' && (t.status & DoneStatus.ATTN) !== 0)) return;
      }
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  /**
   * Keep the descriptor of the session's transaction as the server tells it (MS-TDS 2.2.7.9): ENVCHANGE
   * BEGIN_TRANSACTION's or ENLIST_DTC_TRANSACTION's new value (8 bytes), none after COMMIT_TRANSACTION,
   * ROLLBACK_TRANSACTION (a reset's rollback included), DEFECT_TRANSACTION or TRANSACTION_ENDED, as SqlClient
   * reads them, so that the next batch names it (2.2.5.3.2).
   */
  #followTransaction(tokens: readonly TdsTokenValue[]): void {
    for (const t of tokens) {
      if (t.type !== 'ENVCHANGE') continue;
      if (STARTS_TRANSACTION.has(t.envType) && t.newValue instanceof Uint8Array) {
        if (t.newValue.length !== 8) {
          throw new TdsError(
            'malformed',
            `ENVCHANGE.${t.envType === EnvChangeType.BEGIN_TRANSACTION ? 'BEGIN_TRANSACTION' : 'ENLIST_DTC_TRANSACTION'}.NewValue`,
            `${t.newValue.length} bytes, not an 8-byte transaction descriptor`,
          );
        }
        this.#transactionDescriptor = t.newValue.slice();
      } else if (ENDS_TRANSACTION.has(t.envType)) {
        this.#transactionDescriptor = new Uint8Array(8);
      }
    }
  }

  /** A message's tokens, if it is a table response whose token stream decodes (section 3.2.5). */
  #tokensOf(m: TdsMessage, answering: string): TdsTokenValue[] {
    if (m.type !== TdsPacketType.TABULAR_RESULT) {
      throw new TdsError('unexpected', 'packet.Type', `0x${m.type.toString(16)} in answer to ${answering}`);
    }
    return decodeTokens(m.payload, { tdsVersion: this.#tdsVersion });
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
        this.#abort(e);
      }
      return;
    }
    this.#onTds(bytes);
  }

  #onTds(bytes: Uint8Array): void {
    if (this.#failure !== undefined) return; // closed: what was still in flight is read by no one
    let messages: TdsMessage[];
    try {
      messages = this.#reader.push(bytes);
    } catch (e) {
      this.#abort(e);
      return;
    }
    for (const m of messages) {
      const w = this.#waiter;
      if (w !== undefined) {
        this.#waiter = undefined;
        w.resolve(m);
      } else if (this.#early === undefined) {
        this.#early = m;
      } else {
        this.#abort(
          new TdsError(
            'unexpected',
            'connection',
            'a second message that no request asked for (a server sends one answer per request)',
          ),
        );
        return;
      }
    }
  }

  /** The transport failed (a socket or TLS error, the server closed): the request waiting gets `e`. */
  #fail(e: Error): void {
    this.#failure ??= e;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#failure);
  }

  /** Close for a protocol failure (section 3.2.5's Final State): nothing read after it is delivered. */
  #abort(e: unknown): void {
    this.#fail(asTdsError(e));
    this.#early = undefined;
    this.close();
  }

  /** Throw what ended the connection, unless a message that came early is still to be read. */
  #ensureOpen(): void {
    if (this.#early !== undefined) return;
    if (this.#failure === undefined && this.#socketClosed) this.#failure = closedByServer();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** The next message; a `timeout` TdsError when none came in time. */
  async #next(what: string): Promise<TdsMessage> {
    const m = await this.#receive(what, true);
    if (m === TIMED_OUT) throw new TdsError('timeout', what, `no answer in ${this.#timeoutMs} ms`);
    return m;
  }

  /** The next message, or {@link TIMED_OUT} when `deadline` is set and none came in `timeoutMs`. */
  #receive(what: string, deadline: true): Promise<TdsMessage | typeof TIMED_OUT>;
  #receive(what: string, deadline: false): Promise<TdsMessage>;
  #receive(what: string, deadline: boolean): Promise<TdsMessage | typeof TIMED_OUT> {
    const early = this.#early;
    if (early !== undefined) {
      this.#early = undefined;
      return Promise.resolve(early);
    }
    if (this.#failure === undefined && this.#socketClosed) this.#failure = closedByServer();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#waiter !== undefined) throw new Error(`${what}: a request is already waiting (a bug)`);
    return new Promise((resolve, reject) => {
      const timer = deadline
        ? this.#timers.setTimeout(() => {
            if (this.#waiter === entry) this.#waiter = undefined;
            resolve(TIMED_OUT);
          }, this.#timeoutMs)
        : undefined;
      const entry = {
        resolve: (m: TdsMessage) => {
          if (timer !== undefined) this.#timers.clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          if (timer !== undefined) this.#timers.clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiter = entry;
    });
  }
}
