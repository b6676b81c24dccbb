/**
 * One TDS connection on the server side, as a state machine (MS-TDS
 * section 3.3.5):
 *
 * ```
 * prelogin --PRELOGIN--> (handshake --TLS done-->) login --LOGIN7--> authenticating
 * (TDS 8.0: TLS first, then prelogin --PRELOGIN--> login, all inside TLS)
 *   authenticating --continue--> sspi --SSPI--> authenticating
 *   authenticating --accepted--> session (SQLBatch, transaction manager, ATTENTION)   --refused--> closing
 * ```
 *
 * Failures: before the client can read a token stream (PRELOGIN, TLS) the
 * connection just closes, as SQL Server does; after, a protocol error gets
 * ERROR 4014 naming the field, then the connection closes. A refused login
 * gets its ERROR (18456, 18452...; 4060 then 18456 for a database it cannot
 * open) and DONE, then closes. Every path that closes is logged with its
 * reason.
 *
 * Bounds: the bytes a client may send before its login completes, the
 * packet size (32767 before login, the negotiated size after), the bytes of
 * one message, the SSPI token, the number of SSPI legs, and the time to log
 * in (through the injected timers).
 *
 * @module
 */

import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { errorText } from '@krbsim/core';
import { isTdsError, TdsError } from './errors';
import type { TdsExchange } from './exchange';
import { tdsMessageName } from './exchange';
import { FeatureId, OptionFlags1, OptionFlags2, OptionFlags3, TdsVersion } from './iana/login7';
import { TdsPacketStatus, TdsPacketType } from './iana/packet';
import { Encryption, TDS8_ALPN } from './iana/prelogin';
import { DoneStatus } from './iana/tokens';
import { IsolationLevel } from './iana/transaction-manager';
import { decodeLogin7, type Login7 } from './login7';
import { clampPacketSize, type EncryptionMode, negotiateEncryption, negotiateTdsVersion } from './negotiate';
import { DEFAULT_PACKET_SIZE, encodePackets, MAX_PACKET_SIZE, PacketReader, type TdsMessage } from './packet';
import { decodePrelogin, encodePrelogin, instanceAnswer, preloginInstanceName } from './prelogin';
import {
  done,
  errorToken,
  fixedServerRole,
  loginResponse,
  NEW_SESSION,
  resetSession,
  type SessionState,
  statementTokens,
  transactionDescriptorRefusal,
  transactionManagerTokens,
} from './responses';
import { type ConnectionConfig, maskSqlSecrets, type TdsAuthResult, type TdsSession } from './server';
import {
  AllHeadersType,
  decodeSqlBatch,
  type StreamHeader,
  type TransactionDescriptorHeader,
  transactionDescriptorOf,
} from './sql-batch';
import {
  cannotOpenDatabase,
  inputStreamError,
  loginFailed,
  notRunByEmulator,
  notServedAtLogin,
  requestTooLarge,
  type SqlError,
  untrustedDomain,
} from './sql-errors';
import { answerBatch, type SessionFacts, type StatementResult } from './sql-surface';
import { PreloginTlsTransport } from './tls-in-prelogin';
import { encodeTokens } from './tokens/encode';
import type { TdsTokenValue } from './tokens/types';
import {
  decodeTransactionManagerRequest,
  type TransactionBegin,
  type TransactionManagerRequest,
} from './transaction-manager';

/** A TLS record's content type for the handshake: the first byte of a ClientHello (MS-TDS 3.3.5.1). */
const TLS_HANDSHAKE = 0x16;
/** The most legs of a login's security exchange (Kerberos needs one; SPNEGO renegotiation two). */
const MAX_SSPI_LEGS = 4;
/** How long a closing connection waits for the client to close its side. */
const CLOSE_GRACE_MS = 2_000;
/**
 * Answer bytes a connection may have waiting to be sent before it stops
 * reading requests (a client that pipelines without reading its answers).
 */
const MAX_UNSENT_BYTES = 1 << 20;
/** The packet types each state accepts (section 3.3.5); others are refused from their header. */
const EXPECTED = {
  prelogin: [TdsPacketType.PRELOGIN],
  handshake: [],
  login: [TdsPacketType.LOGIN7],
  authenticating: [],
  sspi: [TdsPacketType.SSPI],
  session: [
    TdsPacketType.SQL_BATCH,
    TdsPacketType.ATTENTION,
    TdsPacketType.RPC,
    TdsPacketType.TRANSACTION_MANAGER,
    TdsPacketType.BULK_LOAD,
  ],
} as const satisfies Record<string, readonly number[]>;

/** A client message waiting for its answer, for `onExchange`. */
interface PendingRequest {
  readonly message: TdsMessage;
  readonly inTls: boolean;
  sspi?: Uint8Array;
}

type State =
  | 'prelogin'
  | 'handshake'
  | 'login'
  | 'authenticating'
  | 'sspi'
  | 'session'
  | 'closing'
  | 'closed';

/** Languages the instance speaks (LOGIN7 Language): its one, us_english, by either name, or none named. */
const LANGUAGES: ReadonlySet<string> = new Set(['', 'us_english', 'english']);

/**
 * What a LOGIN7 asks that this instance cannot give, named for the refusal, or undefined: a user
 * instance (fUserInstance), a database file to attach (AttachDBFilename), a password change (for SQL
 * logins; fChangePassword), federated authentication (the FEDAUTH feature: MS-TDS 3.3.5.5 has the server
 * refuse it when its PRELOGIN asked for none, and this one cannot process the token either), or with
 * INIT_LANG_FATAL a language it does not speak. Answered as if served, each would have told the client
 * something untrue.
 */
function unservedLoginRequest(login: Login7): string | undefined {
  if ((login.optionFlags3 & OptionFlags3.USER_INSTANCE) !== 0) return 'a user instance (fUserInstance)';
  if (login.attachDbFile !== '')
    return `a database file to attach (AttachDBFilename '${login.attachDbFile}')`;
  if ((login.optionFlags3 & OptionFlags3.CHANGE_PASSWORD) !== 0) {
    return 'a password change (fChangePassword), which is for SQL logins';
  }
  if (login.features.some((f) => f.id === FeatureId.FEDAUTH)) return 'federated authentication (FEDAUTH)';
  if (
    (login.optionFlags2 & OptionFlags2.INIT_LANG_FATAL) !== 0 &&
    !LANGUAGES.has(login.language.toLowerCase())
  ) {
    return `the language '${login.language}' (with INIT_LANG_FATAL); this instance speaks us_english`;
  }
  return undefined;
}

export class Connection {
  readonly #socket: Socket;
  readonly #c: ConnectionConfig;
  readonly #spid: number;
  readonly #id: number;
  readonly #client: string;
  #pending: PendingRequest | undefined;
  readonly #onClose: () => void;
  readonly #reader: PacketReader;
  #state: State = 'prelogin';
  #mode: EncryptionMode = 'none';
  /** TDS 8.0: TLS began with the connection's first byte (MS-TDS 3.3.5.1), before any TDS message. */
  #tds8 = false;
  /** The PRELOGIN asked for client certificate authentication (ENCRYPT_CLIENT_CERT), which is not served. */
  #clientCertificate = false;
  /** Inbound bytes go through TLS (the handshake, then a whole-session or login-only LOGIN7). */
  #viaTls = false;
  /** Outbound TDS goes through TLS: with whole-session encryption only (login-only answers in the clear). */
  #outTls = false;
  #transport: PreloginTlsTransport | undefined;
  #tls: TLSSocket | undefined;
  #loginBytes = 0;
  #deadline: unknown;
  /** In a session: the deadline of the message half-sent now (none while nothing is buffered). */
  #messageDeadline: unknown;
  #grace: unknown;
  #login: Login7 | undefined;
  #leg = 0;
  #tdsVersion: number = TdsVersion.V7_4;
  #packetSize = DEFAULT_PACKET_SIZE;
  #session: TdsSession | undefined;
  #facts: SessionFacts | undefined;
  /** The session's database, SET NOCOUNT and transaction, as its batches leave them. */
  #sessionState: SessionState = NEW_SESSION;
  /** Requests read and not yet answered (see #answerQueued). */
  readonly #queued: TdsMessage[] = [];
  /** Reading is paused until the socket drains. */
  #draining = false;

  constructor(socket: Socket, config: ConnectionConfig, spid: number, id: number, onClose: () => void) {
    this.#socket = socket;
    this.#c = config;
    this.#spid = spid;
    this.#id = id;
    this.#client = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#onClose = onClose;
    // Before login a message is bounded by what a client may send to log in at all.
    this.#reader = new PacketReader(
      { maxPacket: MAX_PACKET_SIZE, maxMessage: config.maxLoginBytes },
      { keepPackets: config.onExchange !== undefined },
    );
    this.#reader.expect(EXPECTED.prelogin);
    this.#deadline = config.timers.setTimeout(() => {
      if (this.#state !== 'session' && this.#state !== 'closed') this.destroy('login timeout');
    }, config.loginTimeoutMs);
    socket.on('data', (d: Buffer) =>
      this.#guarded(() => this.#onSocketData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))),
    );
    socket.on('error', (e) => this.destroy(`socket: ${e.message}`));
    socket.on('close', () => this.destroy('closed by the client'));
    this.#log(`connected from ${socket.remoteAddress}:${socket.remotePort}`);
  }

  /** Move to `state`, telling the reader which packet types may come now. */
  #enter(state: 'handshake' | 'login' | 'authenticating' | 'sspi' | 'session'): void {
    this.#state = state;
    this.#reader.expect(EXPECTED[state]);
  }

  /** Whether the client has logged in (its session is open, or closing after it). */
  get loggedIn(): boolean {
    return this.#session !== undefined;
  }

  /**
   * How far a client that has not logged in has come: 0 nothing received, 1 before its LOGIN7
   * (PRELOGIN, TLS), 2 its LOGIN7 taken and authenticating (SSPI legs). A full server evicts the
   * least advanced first, so a burst of silent connects cannot close a login under way.
   */
  get loginProgress(): 0 | 1 | 2 {
    if (this.#state === 'authenticating' || this.#state === 'sspi') return 2;
    return this.#loginBytes === 0 ? 0 : 1;
  }

  /** Close now, with `reason` logged. Idempotent. */
  destroy(reason: string): void {
    if (this.#state === 'closed') return;
    const was = this.#state;
    this.#state = 'closed';
    this.#c.timers.clearTimeout(this.#deadline);
    if (this.#messageDeadline !== undefined) this.#c.timers.clearTimeout(this.#messageDeadline);
    if (this.#grace !== undefined) this.#c.timers.clearTimeout(this.#grace);
    this.#tls?.destroy();
    this.#socket.destroy();
    this.#unanswered(reason);
    if (was !== 'closing' || reason !== 'closed by the client') this.#log(`closed (${was}): ${reason}`);
    this.#onClose();
  }

  #log(line: string): void {
    this.#c.log?.(`${this.#c.serverName} spid ${this.#spid}: ${line}`);
  }

  // --- bytes in ---

  #onSocketData(bytes: Uint8Array): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    if (this.#state !== 'session') {
      this.#loginBytes += bytes.length;
      if (this.#loginBytes > this.#c.maxLoginBytes) {
        this.#protocolError(
          tdsError(
            'too-large',
            'login',
            `more than ${this.#c.maxLoginBytes} bytes before the login completed`,
          ),
        );
        return;
      }
    }
    if (this.#state === 'prelogin' && !this.#viaTls && this.#loginBytes === bytes.length) {
      // The connection's first bytes (section 3.3.5.1): a TLS ClientHello (0x16) starts TDS 8.0.
      if (bytes[0] === TLS_HANDSHAKE) {
        if (!this.#startStrictTls()) return;
      } else if (this.#c.encryption === 'strict') {
        this.destroy('a TDS 7.x PRELOGIN, and this server serves TDS 8.0 only (encryption: strict)');
        return;
      }
    }
    if (this.#viaTls) {
      try {
        this.#transport!.feed(bytes);
      } catch (e) {
        if (!isTdsError(e)) throw e;
        this.#protocolError(e);
      }
      return;
    }
    this.#onTds(bytes);
  }

  /**
   * Runs an event handler's work: what it throws ends this connection alone.
   * A TdsError is the peer's fault (answered as a protocol error); anything
   * else is a bug, reported to `onInternalError`. Thrown out of a socket's
   * event handler it would be an uncaught exception, ending the process and
   * every other client's connection with it.
   */
  #guarded(work: () => void): void {
    try {
      work();
    } catch (e) {
      if (this.#state === 'closed') return;
      if (isTdsError(e)) {
        this.#protocolError(e);
        return;
      }
      this.#c.onInternalError?.(e);
      this.destroy(`internal error: ${errorText(e)}`);
    }
  }

  /** Cleartext TDS, from the socket or out of TLS. */
  #onTds(bytes: Uint8Array): void {
    let messages: TdsMessage[];
    try {
      messages = this.#reader.push(bytes);
    } catch (e) {
      if (!isTdsError(e)) throw e;
      this.#protocolError(e);
      return;
    }
    for (const m of messages) this.#queued.push(m);
    this.#answerQueued();
    this.#watchHalfSent(messages.length > 0);
  }

  /**
   * Answers the requests read, in order, while the client reads the answers.
   * Once more than {@link MAX_UNSENT_BYTES} of answers wait to be sent (a
   * client pipelining requests without reading), the rest wait too and the
   * socket is not read until they drain (MS-TDS 3.3.5.9: a request that
   * comes while another runs is queued, not answered ahead). What the server
   * holds for a connection stays bounded: the answers past the bound come
   * from requests already read, at most one read's worth.
   */
  #answerQueued(): void {
    while (this.#queued.length > 0) {
      if (this.#state === 'closed' || this.#state === 'closing') return;
      if (this.#unsentBytes() > MAX_UNSENT_BYTES) {
        this.#waitForDrain();
        return;
      }
      const m = this.#queued.shift()!;
      if (this.#c.onExchange !== undefined) {
        this.#unanswered('no answer');
        this.#pending = { message: m, inTls: this.#viaTls };
      }
      try {
        this.#onMessage(m);
      } catch (e) {
        if (!isTdsError(e)) throw e; // a bug: #guarded reports it and ends this connection
        this.#protocolError(e);
        return;
      }
    }
  }

  /** Answer bytes written and not yet taken by the kernel (TLS's buffer, then the socket's). */
  #unsentBytes(): number {
    return this.#socket.writableLength + (this.#tls?.writableLength ?? 0);
  }

  /** Stops reading the socket until what was written has drained, then answers what waits. */
  #waitForDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#log(
      `${this.#unsentBytes()} bytes of answers unsent: not reading until the client reads them (${this.#queued.length} requests wait)`,
    );
    this.#socket.pause();
    // TLS hands what it encrypts to the socket at once: the socket's buffer is the one that drains.
    this.#socket.once('drain', () => {
      this.#draining = false;
      if (this.#state === 'closed') return;
      this.#socket.resume();
      this.#guarded(() => this.#answerQueued());
    });
  }

  /**
   * In a session, a message half-sent must be complete within
   * messageTimeoutMs of its first byte (a peer dripping bytes does not
   * move the deadline); with nothing buffered there is no deadline.
   * `completed`: messages completed in this read, so what is buffered now
   * began after the deadline running, if any, was set.
   */
  #watchHalfSent(completed: boolean): void {
    if (this.#state !== 'session') return;
    if (completed || this.#reader.buffered === 0) {
      if (this.#messageDeadline !== undefined) this.#c.timers.clearTimeout(this.#messageDeadline);
      this.#messageDeadline = undefined;
      if (this.#reader.buffered === 0) return;
    }
    this.#messageDeadline ??= this.#c.timers.setTimeout(() => {
      this.#messageDeadline = undefined;
      if (this.#state === 'session' && this.#reader.buffered > 0) {
        this.destroy(`a message not complete within ${this.#c.messageTimeoutMs} ms`);
      }
    }, this.#c.messageTimeoutMs);
  }

  #onMessage(m: TdsMessage): void {
    const type = `0x${m.type.toString(16).padStart(2, '0')}`;
    // Section 2.2.3.1.2: IGNORE discards a request the client cancelled while sending it; a login has no
    // such request, and its messages are not to be skipped (the exchange would be out of step).
    if (this.#state !== 'session' && (m.status & TdsPacketStatus.IGNORE) !== 0) {
      throw tdsError('unexpected', 'packet.Status', `IGNORE set on a message of type ${type} before login`);
    }
    switch (this.#state) {
      case 'prelogin':
        if (m.type !== TdsPacketType.PRELOGIN) throw unexpected(`a message of type ${type} before PRELOGIN`);
        this.#prelogin(m.payload);
        return;
      case 'login':
        if (m.type !== TdsPacketType.LOGIN7)
          throw unexpected(`a message of type ${type} where LOGIN7 was due`);
        this.#loginMessage(m.payload);
        return;
      case 'sspi':
        if (m.type !== TdsPacketType.SSPI) throw unexpected(`a message of type ${type} where SSPI was due`);
        if (m.payload.length > this.#c.maxSspiBytes) {
          throw tdsError(
            'too-large',
            'SSPI',
            `${m.payload.length} bytes is more than ${this.#c.maxSspiBytes}`,
          );
        }
        if (this.#pending !== undefined) this.#pending.sspi = m.payload;
        this.#runLeg(m.payload, this.#viaTls);
        return;
      case 'session':
        this.#sessionMessage(m);
        return;
      default:
        throw unexpected(`a message of type ${type} while ${this.#state}`);
    }
  }

  /**
   * A client that broke the protocol. Before it can read tokens, it is
   * closed; after, it gets ERROR 4014 with what was wrong, then is closed.
   */
  #protocolError(e: TdsError): void {
    const detail = `${e.reason}: ${e.message}`;
    if (this.#state === 'prelogin' || this.#state === 'handshake') {
      this.destroy(detail);
      return;
    }
    this.#log(`protocol error: ${detail}`);
    this.#sendTokens([this.#error(inputStreamError(detail)), done(DoneStatus.ERROR)]);
    this.#closeAfterFlush(detail);
  }

  // --- PRELOGIN and TLS ---

  #prelogin(payload: Uint8Array): void {
    const p = decodePrelogin(payload);
    const clientInstance = preloginInstanceName(p.instance);
    const instance = instanceAnswer(clientInstance, this.#c.instanceName);
    if (instance !== 0) this.#log(`PRELOGIN: instance '${clientInstance}' is not this one: INSTOPT 0x01`);
    if (this.#tds8) {
      this.#strictPrelogin(p.mars !== undefined, instance);
      return;
    }
    const offered = p.encryption ?? Encryption.NOT_SUP;
    if ((offered & ~Encryption.CLIENT_CERT) > Encryption.REQ) {
      throw tdsError(
        'malformed',
        'PRELOGIN.ENCRYPTION',
        `0x${offered.toString(16)} is not an encryption value`,
      );
    }
    this.#clientCertificate = (offered & Encryption.CLIENT_CERT) !== 0;
    const { answer, mode } = negotiateEncryption(this.#c.encryption, offered);
    this.#answerPrelogin(answer, instance, p.mars !== undefined);
    this.#log(
      `PRELOGIN: client ENCRYPTION 0x${offered.toString(16)}, answered 0x${answer.toString(16)} (${mode})`,
    );
    if (mode === 'refuse') {
      this.#closeAfterFlush('the client and the server cannot agree on encryption');
      return;
    }
    this.#mode = mode;
    if (mode === 'none') this.#enter('login');
    else this.#startTls();
  }

  /**
   * The PRELOGIN answer (section 2.2.6.5): VERSION, ENCRYPTION, INSTOPT, THREADID empty, and MARS
   * (not served: 0) only to a client that sent it, as SQL Server answers (Impacket reads a four-option
   * answer at fixed positions).
   */
  #answerPrelogin(encryption: number, instance: 0 | 1, mars: boolean): void {
    this.#send(
      TdsPacketType.TABULAR_RESULT,
      encodePrelogin({
        version: this.#c.version,
        encryption,
        instance: Uint8Array.of(instance),
        threadId: null,
        ...(mars && { mars: 0 }),
      }),
    );
  }

  /**
   * TDS 8.0's PRELOGIN, inside TLS (section 3.3.5.4): the client's ENCRYPTION is ignored (2.2.6.5:
   * the TLS session is established already), so any value is taken, ENCRYPT_STRICT (0x04) too; the
   * answer says ENCRYPT_ON (the spec names none), and LOGIN7 comes next, in the same TLS session.
   */
  #strictPrelogin(mars: boolean, instance: 0 | 1): void {
    this.#answerPrelogin(Encryption.ON, instance, mars);
    this.#log('PRELOGIN in TLS (TDS 8.0): answered ENCRYPT_ON (whole session)');
    this.#enter('login');
  }

  /**
   * TDS 8.0 (sections 3.3.5.1 and 3.3.5.3): the client opened with a TLS ClientHello, so TLS runs on
   * the connection itself, offering ALPN `tds/8.0` (section 1.9; a client that sends no ALPN is
   * taken for TDS 8.0 too, section 1.7), and every TDS message, PRELOGIN first, travels inside it.
   * False when the server cannot (no certificate), the connection then closed.
   */
  #startStrictTls(): boolean {
    const context = this.#c.strictSecureContext;
    if (context === undefined) {
      this.destroy('a TLS ClientHello (TDS 8.0), and this server has no certificate');
      return false;
    }
    const transport = new PreloginTlsTransport((b) => this.#socket.write(b), {
      server: true,
      bare: true,
      onFinish: () => this.#socket.end(),
    });
    this.#transport = transport;
    this.#viaTls = true;
    this.#tds8 = true;
    // TLSSocket runs over any duplex; its constructor's type names net.Socket only.
    const tls = new TLSSocket(transport as unknown as Socket, {
      isServer: true,
      secureContext: context,
      ALPNProtocols: [TDS8_ALPN],
    });
    this.#tls = tls;
    tls.on('secure', () => {
      if (this.#state !== 'prelogin') return;
      this.#mode = 'full';
      this.#outTls = true;
      this.#log(
        `TLS ${tls.getProtocol()} ${tls.getCipher()?.name ?? ''} first (TDS 8.0, ALPN ${tls.alpnProtocol || 'none'})`,
      );
    });
    this.#readTls(tls, transport);
    return true;
  }

  #startTls(): void {
    this.#enter('handshake');
    const transport = new PreloginTlsTransport((b) => this.#socket.write(b), {
      server: true,
      maxPacket: MAX_PACKET_SIZE,
      onFinish: () => this.#socket.end(),
    });
    this.#transport = transport;
    this.#viaTls = true;
    // TLSSocket runs over any duplex; its constructor's type names net.Socket only.
    const tls = new TLSSocket(transport as unknown as Socket, {
      isServer: true,
      secureContext: this.#c.secureContext!,
    });
    this.#tls = tls;
    tls.on('secure', () => {
      if (this.#state !== 'handshake') return;
      this.#enter('login');
      // Section 2.2.6.5, ENCRYPT_OFF (login-only): only the LOGIN7 is encrypted. The client reads
      // cleartext once it has sent it, so every answer goes in the clear, also a refusal of a LOGIN7
      // that does not decode or passes a bound before it is whole.
      this.#outTls = this.#mode === 'full';
      this.#log(
        `TLS ${tls.getProtocol()} ${tls.getCipher()?.name ?? ''} (${this.#mode === 'full' ? 'whole session' : 'login only'})`,
      );
    });
    this.#readTls(tls, transport);
  }

  /** TDS out of `tls`, whose records come from the connection through `transport`. */
  #readTls(tls: TLSSocket, transport: PreloginTlsTransport): void {
    tls.on('data', (d: Buffer) => {
      if (this.#state === 'closed' || !this.#viaTls) return;
      this.#guarded(() => this.#onTds(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    });
    tls.on('error', (e) => {
      if (this.#state === 'closed') return;
      this.destroy(`TLS: ${e.message}`);
    });
    this.#socket.on('end', () => transport.closeInbound());
  }

  // --- LOGIN7 and the security exchange ---

  #loginMessage(payload: Uint8Array): void {
    // Section 2.2.6.5, ENCRYPT_OFF: only the LOGIN7 is encrypted; what the client sends after it is clear
    // (the answers are clear from the start: see #startTls). Switched as it arrives, before decoding.
    const inTls = this.#viaTls;
    if (this.#mode === 'login-only') this.#viaTls = false;
    const login = decodeLogin7(payload, { maxSspi: this.#c.maxSspiBytes });
    this.#login = login;
    if (this.#pending !== undefined && login.sspi.length > 0) this.#pending.sspi = login.sspi;
    // In TDS 8.0 too the tokens take the forms of the version negotiated here: a client that says 7.1
    // inside TDS 8.0's TLS reads 7.1's. A TDS 8.0 client's 0x08000000 gets 7.4's (section 1.7).
    this.#tdsVersion = negotiateTdsVersion(login.tdsVersion);
    this.#log(
      `LOGIN7: TDS 0x${login.tdsVersion.toString(16)}, host '${login.hostName}', app '${login.appName}', ` +
        `library '${login.clientInterfaceName}', packet size ${login.packetSize}, SSPI ${login.sspi.length} bytes` +
        (login.features.length > 0 ? `, features ${login.features.map((f) => f.id).join(',')}` : ''),
    );
    // MS-TDS 2.2.6.5: the client asked to authenticate with its certificate. No certificate is
    // authenticated here, and answering the LOGIN7 as another kind of login would answer another question.
    if (this.#clientCertificate) {
      this.#refuse(
        [
          notServedAtLogin(
            'client certificate authentication (PRELOGIN ENCRYPTION with ENCRYPT_CLIENT_CERT)',
          ),
        ],
        'PRELOGIN asked for client certificate authentication (ENCRYPT_CLIENT_CERT)',
      );
      return;
    }
    if ((login.optionFlags2 & OptionFlags2.INTEGRATED_SECURITY_ON) === 0) {
      this.#refuse(
        [loginFailed(login.userName)],
        'SQL authentication: only Windows (integrated) logins are served',
      );
      return;
    }
    if (login.sspi.length === 0) {
      this.#refuse([untrustedDomain()], 'integrated security without an SSPI token');
      return;
    }
    const unserved = unservedLoginRequest(login);
    if (unserved !== undefined) {
      this.#refuse([notServedAtLogin(unserved)], `LOGIN7 asks for ${unserved}`);
      return;
    }
    this.#runLeg(login.sspi, inTls);
  }

  /** One leg of the security exchange; `inTls`: its message arrived over TLS. */
  #runLeg(token: Uint8Array, inTls: boolean): void {
    this.#leg++;
    this.#enter('authenticating');
    const login = this.#login!;
    Promise.resolve()
      .then(() =>
        this.#c.authenticate({
          sspi: token,
          leg: this.#leg,
          login,
          remoteAddress: this.#socket.remoteAddress,
          encrypted: inTls,
        }),
      )
      .then(
        (r) => this.#onAuthResult(r),
        (e: unknown) => {
          if (this.#state !== 'authenticating') return; // closed, or closing on a protocol error, meanwhile
          this.#c.onInternalError?.(e);
          this.#refuse([loginFailed(login.userName)], `internal error in authenticate: ${errorText(e)}`);
        },
      )
      .catch((e: unknown) => {
        // A bug of this package: reported, and the connection closed, so the listener serves on.
        this.#c.onInternalError?.(e);
        this.destroy(`internal error: ${errorText(e)}`);
      });
  }

  #onAuthResult(r: TdsAuthResult): void {
    if (this.#state !== 'authenticating') return; // closed meanwhile
    switch (r?.kind) {
      case 'continue':
        if (this.#leg >= MAX_SSPI_LEGS) {
          this.#refuse([untrustedDomain()], `more than ${MAX_SSPI_LEGS} SSPI legs`);
          return;
        }
        this.#enter('sspi');
        this.#sendTokens([{ type: 'SSPI', token: r.responseToken }]);
        this.#log(`SSPI leg ${this.#leg}: continue (${r.responseToken.length} bytes)`);
        return;
      case 'refused':
        this.#refuse([r.error], r.reason ?? 'refused');
        return;
      case 'accepted':
        if (this.#openDatabase(r.session)) this.#loggedIn(r.session, r.responseToken);
        return;
      default:
        this.#c.onInternalError?.(new TypeError(`authenticate returned ${JSON.stringify(r)}`));
        this.#refuse([loginFailed(this.#login!.userName)], 'internal error: authenticate returned no result');
    }
  }

  /** Refuse the login: `errors` (SQL Server sends some refusals as two), a DONE with DONE_ERROR, then close. */
  #refuse(errors: readonly SqlError[], reason: string): void {
    const numbers = errors.map((e) => e.number).join(', ');
    this.#log(`login refused with ${numbers}: ${reason}`);
    this.#sendTokens([...errors.map((e) => this.#error(e)), done(DoneStatus.ERROR)]);
    this.#closeAfterFlush(`login refused (${numbers})`);
  }

  /**
   * The login's initial database (section 2.2.6.4, Database), opened once
   * authentication succeeded, as SQL Server does: a client that does not
   * authenticate learns nothing about databases. Empty, or master (names
   * compare case-insensitively): master, the instance's one database.
   * Another: with fDatabase (INIT_DB_FATAL) set the login is refused as SQL
   * Server refuses it, 4060 then 18456; without it (INIT_DB_WARN) the login
   * goes on in master. False when the login was refused.
   */
  #openDatabase(session: TdsSession): boolean {
    const login = this.#login!;
    const name = login.database;
    if (name === '' || name.toLowerCase() === 'master') return true;
    if ((login.optionFlags1 & OptionFlags1.INIT_DB_FATAL) !== 0) {
      this.#refuse(
        [cannotOpenDatabase(name), loginFailed(session.login)],
        `LOGIN7 database '${name}' does not exist (fDatabase: the login fails)`,
      );
      return false;
    }
    this.#log(`LOGIN7 database '${name}' does not exist; without fDatabase the login goes on in master`);
    return true;
  }

  #loggedIn(session: TdsSession, responseToken: Uint8Array | undefined): void {
    const login = this.#login!;
    const packetSize = clampPacketSize(login.packetSize, this.#mode === 'full');
    const tokens = loginResponse({
      serverName: this.#c.serverName,
      database: this.#sessionState.database,
      tdsVersion: this.#tdsVersion,
      progName: this.#c.progName,
      version: this.#c.version,
      packetSize,
      responseToken,
      // Section 2.2.6.4: without fUseDB or fSetLang the server does not tell of the change.
      notifyDatabase: (login.optionFlags1 & OptionFlags1.USE_DB_ON) !== 0,
      notifyLanguage: (login.optionFlags1 & OptionFlags1.SET_LANG_ON) !== 0,
    });
    this.#enter('session');
    this.#c.timers.clearTimeout(this.#deadline);
    this.#session = session;
    this.#sendTokens(tokens);
    this.#packetSize = packetSize;
    // A request past the bound is read to its end, kept nowhere, and answered with an error: the
    // session goes on (SQL Server's bound is far larger; this one keeps a connection's memory small).
    this.#reader.setLimits({ maxPacket: packetSize, maxMessage: this.#c.maxMessageBytes, oversized: 'skip' });
    this.#facts = {
      login: session.login,
      ...(session.originalLogin !== undefined && { originalLogin: session.originalLogin }),
      authScheme: session.authScheme ?? 'KERBEROS',
      version: this.#c.versionText,
      serverName: this.#c.serverName,
      spid: this.#spid,
      database: this.#sessionState.database,
      encrypted: this.#mode === 'full',
      ...(this.#socket.remoteAddress !== undefined && { clientAddress: this.#socket.remoteAddress }),
      isMember: (name) => session.isMember?.(name) ?? null,
      isSrvRoleMember: (role) => session.isSrvRoleMember?.(role) ?? fixedServerRole(role),
    };
    this.#log(
      `logged in as ${session.login} (TDS 0x${this.#tdsVersion.toString(16)}, packet size ${packetSize})`,
    );
  }

  // --- the session ---

  #sessionMessage(m: TdsMessage): void {
    const resetting =
      m.status & (TdsPacketStatus.RESET_CONNECTION | TdsPacketStatus.RESET_CONNECTION_SKIP_TRAN);
    // Section 2.2.3.1.2: a client MUST NOT set both.
    if (resetting === (TdsPacketStatus.RESET_CONNECTION | TdsPacketStatus.RESET_CONNECTION_SKIP_TRAN)) {
      throw tdsError('malformed', 'packet.Status', 'RESETCONNECTION and RESETCONNECTIONSKIPTRAN both set');
    }
    // Section 2.2.3.1.2: only a batch, an RPC or a transaction manager request asks for a reset; on
    // another message (an attention, a bulk load) it would reset the session with no acknowledgment.
    const resets = [
      TdsPacketType.SQL_BATCH,
      TdsPacketType.RPC,
      TdsPacketType.TRANSACTION_MANAGER,
    ] as number[];
    if (resetting !== 0 && !resets.includes(m.type)) {
      throw tdsError(
        'malformed',
        'packet.Status',
        `a reset asked on a message of type 0x${m.type.toString(16)}, not a batch, RPC or transaction manager request`,
      );
    }
    // Sections 2.2.1.7 and 2.2.3.1.2: a message whose last packet has IGNORE set (a request the client
    // cancelled while sending it) is discarded; the answer is a single DONE with DONE_ERROR, no attention
    // acknowledgment.
    if ((m.status & TdsPacketStatus.IGNORE) !== 0) {
      this.#log(`ignored: a message of type 0x${m.type.toString(16)} with IGNORE set`);
      this.#sendTokens([done(DoneStatus.ERROR)]);
      return;
    }
    // The reset comes before the request is read: what it rolls back and its acknowledgement open the
    // answer, and the request is then checked against the session as the reset left it.
    let reset: readonly TdsTokenValue[] = [];
    if (resetting !== 0) {
      const r = resetSession(this.#sessionState, resetting === TdsPacketStatus.RESET_CONNECTION_SKIP_TRAN);
      this.#sessionState = r.state;
      reset = r.tokens;
    }
    if (m.skippedBytes !== undefined) {
      this.#log(
        `not read: a message of type 0x${m.type.toString(16)} of ${m.skippedBytes} bytes (at most ${this.#c.maxMessageBytes})`,
      );
      this.#sendTokens([
        ...reset,
        this.#error(requestTooLarge(m.skippedBytes, this.#c.maxMessageBytes)),
        done(DoneStatus.ERROR),
      ]);
      return;
    }
    switch (m.type) {
      case TdsPacketType.SQL_BATCH: {
        const batch = decodeSqlBatch(m.payload, this.#tdsVersion);
        const { sqlText, headers } = batch;
        this.#log(`batch: ${oneLine(maskSqlSecrets(sqlText))}`); // no password or secret's literal
        const transaction = this.#transactionNamed(batch, reset);
        if (transaction === 'refused') return;
        // MS-TDS 2.2.5.3.1: a query notification subscription (SqlDependency) the emulator cannot keep;
        // answering the batch would tell the client it was registered.
        if (headers.some((h) => h.type === AllHeadersType.QUERY_NOTIFICATIONS)) {
          this.#sendTokens([
            ...reset,
            this.#error(notRunByEmulator('a batch asking for query notifications (ALL_HEADERS type 1)')),
            done(DoneStatus.ERROR),
          ]);
          return;
        }
        const answer = this.#answer(sqlText, reset, transaction?.outstandingRequestCount ?? 1);
        this.#send(TdsPacketType.TABULAR_RESULT, answer.payload, answer.tokens);
        return;
      }
      case TdsPacketType.TRANSACTION_MANAGER: {
        // MS-TDS 2.2.6.9: BEGIN, COMMIT and ROLLBACK without SQL text, on the batches' transaction.
        const tm = decodeTransactionManagerRequest(m.payload, this.#tdsVersion);
        this.#log(`transaction manager: ${transactionRequestText(tm.request)}`);
        const transaction = this.#transactionNamed(tm, reset);
        if (transaction === 'refused') return;
        const answer = transactionManagerTokens(tm.request, {
          serverName: this.#c.serverName,
          state: this.#sessionState,
          outstandingRequests: transaction?.outstandingRequestCount ?? 1,
        });
        const refused = answer.tokens.find((t) => t.type === 'ERROR');
        if (refused?.type === 'ERROR') this.#log(`not run: ${refused.number} ${refused.msgText}`);
        this.#sessionState = answer.state;
        this.#sendTokens([...reset, ...answer.tokens]);
        return;
      }
      case TdsPacketType.ATTENTION:
        // Section 2.2.1.7: an attention is acknowledged by a DONE with DONE_ATTN.
        this.#sendTokens([done(DoneStatus.ATTN)]);
        return;
      case TdsPacketType.RPC:
      case TdsPacketType.BULK_LOAD:
        this.#log(`not served: message type 0x${m.type.toString(16)}`);
        this.#sendTokens([
          ...reset,
          this.#error(
            notRunByEmulator(
              m.type === TdsPacketType.RPC ? 'an RPC request' : `a message of type 0x${m.type.toString(16)}`,
            ),
          ),
          done(DoneStatus.ERROR),
        ]);
        return;
      default:
        throw unexpected(`a message of type 0x${m.type.toString(16)} in a logged-in session`);
    }
  }

  /**
   * The transaction a request names in ALL_HEADERS (MS-TDS 2.2.5.3.2; none under TDS 7.1), checked
   * against the session as `reset` left it: the descriptor header, or 'refused' when the request may not
   * run (3989, 3971), its refusal sent after `reset`.
   */
  #transactionNamed(
    request: { readonly headers: readonly StreamHeader[] },
    reset: readonly TdsTokenValue[],
  ): TransactionDescriptorHeader | undefined | 'refused' {
    const transaction = transactionDescriptorOf(request);
    const refused = transaction && transactionDescriptorRefusal(transaction.descriptor, this.#sessionState);
    if (!refused) return transaction;
    this.#log(`not run: ${refused.number} ${refused.msgText}`);
    this.#sendTokens([...reset, this.#error(refused), done(DoneStatus.ERROR)]);
    return 'refused';
  }

  /**
   * The answer to a batch, encoded: `reset`, then the results, or an error when there are none to give;
   * `outstandingRequests`: its ALL_HEADERS OutstandingRequestCount.
   */
  #answer(
    sqlText: string,
    reset: readonly TdsTokenValue[],
    outstandingRequests: number,
  ): { tokens: readonly TdsTokenValue[]; payload: Uint8Array } {
    const session = this.#session!;
    const facts = { ...this.#facts!, database: this.#sessionState.database };
    const notRun = () => {
      const tokens = [
        ...reset,
        errorToken(notRunByEmulator(sqlText), this.#c.serverName),
        done(DoneStatus.ERROR),
      ];
      return { tokens, payload: encodeTokens(tokens, { tdsVersion: this.#tdsVersion }) };
    };
    let results: readonly StatementResult[];
    try {
      results = session.batch ? session.batch(sqlText, facts) : answerBatch(sqlText, facts);
    } catch (e) {
      this.#c.onInternalError?.(e);
      this.#log(`internal error in the session: ${errorText(e)}`);
      return notRun();
    }
    const flags = this.#login?.optionFlags1 ?? 0;
    const answer = statementTokens(results, {
      serverName: this.#c.serverName,
      state: this.#sessionState,
      notifyDatabase: (flags & OptionFlags1.USE_DB_ON) !== 0,
      notifyLanguage: (flags & OptionFlags1.SET_LANG_ON) !== 0,
      outstandingRequests,
    });
    const tokens = [...reset, ...answer.tokens];
    let payload: Uint8Array;
    try {
      payload = encodeTokens(tokens, { tdsVersion: this.#tdsVersion });
    } catch (e) {
      // Results the token encoder refuses (a value longer than its column type): the batch is
      // answered as not run and the session goes on. A session's own batch answer is a bug of its
      // author's, so it is reported; the built-in surface's is a limit of the emulator, logged.
      if (session.batch) this.#c.onInternalError?.(e);
      this.#log(`not served: the answer does not fit its encoding: ${errorText(e)}`);
      return notRun();
    }
    this.#sessionState = answer.state;
    return { tokens, payload };
  }

  // --- bytes out ---

  #error(e: SqlError): TdsTokenValue {
    return errorToken(e, this.#c.serverName);
  }

  #sendTokens(tokens: readonly TdsTokenValue[]): void {
    this.#send(TdsPacketType.TABULAR_RESULT, encodeTokens(tokens, { tdsVersion: this.#tdsVersion }), tokens);
  }

  /** Send a message; `tokens` are what its payload encodes (none for a PRELOGIN answer). */
  #send(type: number, payload: Uint8Array, tokens?: readonly TdsTokenValue[]): void {
    const bytes = encodePackets(type, payload, {
      packetSize: this.#packetSize,
      spid: this.#state === 'session' ? this.#spid : 0,
    });
    if (this.#outTls) this.#tls!.write(bytes);
    else this.#socket.write(bytes);
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    const sspi = tokens?.find((t) => t.type === 'SSPI');
    this.#report(pending, {
      reply: bytes,
      replyType: tokens === undefined ? 'PRELOGIN' : replyName(tokens),
      replyInTls: this.#outTls,
      ...(sspi?.type === 'SSPI' && { responseToken: sspi.token }),
    });
  }

  /** Report the request still waiting, with no answer (the connection closed, or another came). */
  #unanswered(error: string): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    this.#report(pending, { error });
  }

  #report(
    pending: PendingRequest,
    answer: Pick<TdsExchange, 'reply' | 'replyType' | 'replyInTls' | 'responseToken' | 'error'>,
  ): void {
    const exchange: TdsExchange = {
      connection: this.#id,
      client: this.#client,
      request: pending.message.packets!,
      requestType: tdsMessageName(pending.message.type),
      requestInTls: pending.inTls,
      ...(pending.sspi !== undefined && { sspi: pending.sspi }),
      ...answer,
    };
    try {
      this.#c.onExchange!(exchange);
    } catch (e) {
      // The caller's bug: reported, never a reason to drop the connection.
      this.#c.onInternalError?.(e);
    }
  }

  /** Close once what was written has gone: TLS's close_notify first when the session is in TLS. */
  #closeAfterFlush(reason: string): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    this.#state = 'closing';
    this.#log(`closing: ${reason}`);
    this.#c.timers.clearTimeout(this.#deadline);
    if (this.#outTls) this.#tls!.end();
    else this.#socket.end();
    this.#grace = this.#c.timers.setTimeout(() => this.destroy(reason), CLOSE_GRACE_MS);
  }
}

function tdsError(reason: TdsError['reason'], path: string, message: string): TdsError {
  return new TdsError(reason, path, message);
}

function unexpected(what: string): TdsError {
  return tdsError('unexpected', 'message', what);
}

const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
};

/** ISOLATION_LEVEL's names (MS-TDS 2.2.6.9), for the log: the registry's, `READ_COMMITTED` as `read committed`. */
const ISOLATION_LEVELS = new Map<number, string>(
  Object.entries(IsolationLevel).map(([name, level]) => [level, name.toLowerCase().replace(/_/g, ' ')]),
);

/** `begin 'name'` (the name on one line, as a batch's text), with a level that changes the isolation level. */
const beginText = (b: TransactionBegin) =>
  `begin '${oneLine(b.name)}'${b.isolationLevel !== 0 ? ` (isolation level ${ISOLATION_LEVELS.get(b.isolationLevel)})` : ''}`;

/**
 * A transaction manager request, as the log shows it: `begin 'name'`, `commit ''`, `rollback '' and
 * begin ''`, `save 'sp'`, or the distributed request's name (a propagation's bytes are not shown).
 */
function transactionRequestText(r: TransactionManagerRequest): string {
  switch (r.type) {
    case 'begin':
      return beginText(r);
    case 'commit':
    case 'rollback':
      return `${r.type} '${oneLine(r.name)}'${r.begin !== undefined ? ` and ${beginText(r.begin)}` : ''}`;
    case 'save':
      return `save '${oneLine(r.name)}'`;
    case 'get-dtc-address':
      return 'TM_GET_DTC_ADDRESS';
    case 'propagate':
      return `TM_PROPAGATE_XACT (${r.data.length} bytes)`;
    case 'promote':
      return 'TM_PROMOTE_XACT';
  }
}

/** What a token stream answers: `ERROR 18456`, `LOGINACK`, `SSPI`, `DONE` or `result`. */
function replyName(tokens: readonly TdsTokenValue[]): string {
  const error = tokens.find((t) => t.type === 'ERROR');
  if (error?.type === 'ERROR') return `ERROR ${error.number}`;
  if (tokens.some((t) => t.type === 'LOGINACK')) return 'LOGINACK';
  if (tokens.every((t) => t.type === 'SSPI')) return 'SSPI';
  if (tokens.every((t) => t.type === 'DONE')) return 'DONE';
  return 'result';
}
