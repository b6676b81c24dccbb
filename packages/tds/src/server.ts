/**
 * A TDS 7.4 endpoint (MS-TDS) for an emulated SQL Server: PRELOGIN with the
 * encryption negotiation, TLS carried inside PRELOGIN packets during its
 * handshake (section 3.2.5.2), LOGIN7 with integrated security (the SSPI
 * field: a Kerberos GSS or SPNEGO token, answered with the SSPI token and
 * LOGINACK), and SQL batches answered by the session.
 *
 * Encryption, as the server's PRELOGIN answer sets it:
 * - `required` (Azure SQL): ENCRYPT_REQ; the whole session in TLS;
 * - `login-only`: a client that offers ENCRYPT_OFF gets OFF and only its
 *   LOGIN7 travels in TLS; one that asks for ON gets the whole session in TLS.
 *
 * Bounds: connections, bytes per message, and the time from connect to a
 * completed login; a peer that breaks the protocol gets an error (when it
 * can be told) and a closed connection, and the listener serves others.
 *
 * @module
 */

import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { concatBytes } from '@krbsim/core';
import { TdsError } from './errors';
import { Encryption, EnvChangeType, PreloginOption, TdsPacketType } from './iana/packet-type';
import { decodeLogin7, type Login7 } from './login7';
import { DEFAULT_PACKET_SIZE, encodePackets, PacketReader, type TdsMessage } from './packet';
import { decodePrelogin, encodePrelogin } from './prelogin';
import type { QueryResult } from './sql-surface';
import {
  collationChange,
  colMetadata,
  done,
  envChange,
  error,
  info,
  loginAck,
  row,
  type ServerMessage,
  sspi,
} from './tokens';

/** A login the server accepts: who, the token for the client, and the session that answers batches. */
export interface TdsLoginAccepted {
  readonly ok: true;
  /** The login name (`CONTOSO\alice`), for messages. */
  readonly login: string;
  /** The SSPI token for the client (the AP-REP that gives mutual authentication). */
  readonly responseToken?: Uint8Array;
  /** Answers the session's batches. */
  query(sql: string): QueryResult;
}

/** A login the server refuses, with the error the product sends (18456, 18452, ...). */
export interface TdsLoginRefused {
  readonly ok: false;
  readonly error: Omit<ServerMessage, 'serverName'>;
}

/** Checks a LOGIN7's SSPI token; may be asynchronous. */
export type TdsAuthenticate = (
  login: Login7,
) => TdsLoginAccepted | TdsLoginRefused | Promise<TdsLoginAccepted | TdsLoginRefused>;

/** Options for {@link serveTds}. */
export interface ServeTdsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: the OS chooses. */
  readonly port?: number;
  /** The server name in messages (`mi1`). */
  readonly serverName: string;
  /** See the module comment. Default `required`. */
  readonly encryption?: 'required' | 'login-only';
  /** The TLS certificate and key (PEM) for the instance's host name. Required for any encryption. */
  readonly cert?: string;
  readonly key?: string;
  readonly authenticate: TdsAuthenticate;
  /** Most connections at once (default 256). */
  readonly maxConnections?: number;
  /** Most bytes in one message (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** Close a connection that has not logged in after this long (default 15 000 ms, SQL Server's login timeout). */
  readonly loginTimeoutMs?: number;
  /** The LOGINACK program name and version (default `Microsoft SQL Server`, 16.0.4100). */
  readonly programName?: string;
  readonly programVersion?: number;
  /** One line per connection event, for tracing; never key material. */
  readonly log?: (line: string) => void;
}

/** A running TDS listener. */
export interface TdsServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now. */
  connections(): number;
  /** Stop listening and close every connection. Idempotent. */
  close(): Promise<void>;
}

/** TDS 7.4: what LOGINACK answers. */
const TDS_7_4 = 0x74000004;
/** The most bytes a packet may be: the largest packet size LOGIN7 may negotiate. */
const MAX_PACKET = 32767;

/** Listen for TDS connections (see the module comment). */
export async function serveTds(options: ServeTdsOptions): Promise<TdsServer> {
  const encryption = options.encryption ?? 'required';
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError('serveTds: give both cert and key, or neither');
  }
  if (encryption === 'required' && options.cert === undefined) {
    throw new TypeError("serveTds: encryption 'required' needs a certificate (cert and key)");
  }
  const secureContext =
    options.cert === undefined
      ? undefined
      : createSecureContext({ cert: options.cert, key: options.key!, maxVersion: 'TLSv1.2' });
  const open = new Set<Connection>();
  const maxConnections = options.maxConnections ?? 256;
  let nextSpid = 51;
  const server: Server = createServer((socket) => {
    if (open.size >= maxConnections) {
      options.log?.(`refused ${socket.remoteAddress}: ${maxConnections} connections open`);
      socket.destroy();
      return;
    }
    const c = new Connection(socket, { ...options, encryption, secureContext, spid: nextSpid++ }, () =>
      open.delete(c),
    );
    open.add(c);
  });
  server.on('error', (e) => options.log?.(`listener: ${e.message}`));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    connections: () => open.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const c of open) c.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

type ConnectionOptions = ServeTdsOptions & {
  readonly encryption: 'required' | 'login-only';
  readonly secureContext: ReturnType<typeof createSecureContext> | undefined;
  readonly spid: number;
};

/**
 * The duplex a server TLSSocket runs over: during the handshake its bytes
 * travel in PRELOGIN packets, afterwards as they are (section 3.2.5.2).
 */
class TdsTlsShim extends Duplex {
  inPrelogin = true;
  readonly #socket: Socket;
  constructor(socket: Socket) {
    super();
    this.#socket = socket;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#socket.write(this.inPrelogin ? encodePackets(TdsPacketType.PRELOGIN, bytes) : bytes, cb);
  }
  override _destroy(_e: Error | null, cb: (e?: Error | null) => void): void {
    cb();
  }
}

class Connection {
  readonly #socket: Socket;
  readonly #o: ConnectionOptions;
  readonly #onClose: () => void;
  #reader: PacketReader;
  /** Where cleartext TDS is written: the socket, or the TLS socket. */
  #out: { write(b: Uint8Array): unknown };
  #tls: TLSSocket | undefined;
  #shim: TdsTlsShim | undefined;
  #tlsReader: PacketReader | undefined;
  #state: 'prelogin' | 'handshake' | 'login' | 'authenticating' | 'session' | 'closed' = 'prelogin';
  #loginOnly = false;
  #handshakeDone = false;
  #packetSize = DEFAULT_PACKET_SIZE;
  #session: TdsLoginAccepted | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(socket: Socket, o: ConnectionOptions, onClose: () => void) {
    this.#socket = socket;
    this.#o = o;
    this.#onClose = onClose;
    this.#out = socket;
    const limits = { maxPacket: MAX_PACKET, maxMessage: o.maxMessageBytes ?? 1 << 20 };
    this.#reader = new PacketReader(limits);
    this.#timer = setTimeout(() => {
      if (this.#state !== 'session') this.#fail('login timeout');
    }, o.loginTimeoutMs ?? 15_000);
    this.#timer.unref();
    socket.on('data', (d: Buffer) =>
      this.#onSocketData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)),
    );
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  destroy(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#tls?.destroy();
    this.#socket.destroy();
    this.#onClose();
  }

  #log(line: string): void {
    this.#o.log?.(`${this.#o.serverName} spid ${this.#o.spid} ${line}`);
  }

  #fail(why: string, tell?: Omit<ServerMessage, 'serverName'>): void {
    this.#log(`closed: ${why}`);
    if (tell !== undefined && this.#state !== 'closed') {
      this.#send(
        TdsPacketType.TABULAR_RESULT,
        concatBytes([error({ ...tell, serverName: this.#o.serverName }), done({ error: true })]),
      );
    }
    // Let the last write drain before the socket goes.
    setImmediate(() => this.destroy());
  }

  #send(type: number, payload: Uint8Array): void {
    this.#out.write(encodePackets(type, payload, this.#packetSize));
  }

  #onSocketData(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'handshake' || (this.#tls !== undefined && !this.#loginOnlyDone())) {
      this.#feedTls(bytes);
      return;
    }
    this.#handleMessages(this.#reader, bytes);
  }

  /** Login-only encryption: after LOGIN7, TDS goes back to the socket in the clear. */
  #loginOnlyDone(): boolean {
    return this.#loginOnly && this.#state !== 'handshake' && this.#state !== 'login';
  }

  #feedTls(bytes: Uint8Array): void {
    const shim = this.#shim!;
    // After the handshake the client sends bare TLS records (a content type, 20 to 23), no longer
    // PRELOGIN packets: from then on both directions carry them bare (MS-TDS 3.2.5.2).
    if (shim.inPrelogin && this.#handshakeDone && bytes[0] !== TdsPacketType.PRELOGIN) {
      shim.inPrelogin = false;
    }
    if (!shim.inPrelogin) {
      shim.push(Buffer.from(bytes));
      return;
    }
    let messages: TdsMessage[];
    try {
      messages = this.#reader.push(bytes);
    } catch (e) {
      this.#fail(e instanceof TdsError ? e.message : String(e));
      return;
    }
    for (const m of messages) {
      if (m.type !== TdsPacketType.PRELOGIN) {
        this.#fail(`packet type 0x${m.type.toString(16)} during the TLS handshake`);
        return;
      }
      shim.push(Buffer.from(m.payload));
    }
  }

  #handleMessages(reader: PacketReader, bytes: Uint8Array): void {
    let messages: TdsMessage[];
    try {
      messages = reader.push(bytes);
    } catch (e) {
      if (!(e instanceof TdsError)) throw e;
      this.#fail(e.message);
      return;
    }
    for (const m of messages) {
      if (this.#state === 'closed') return;
      try {
        this.#onMessage(m);
      } catch (e) {
        if (!(e instanceof TdsError)) throw e;
        this.#fail(e.message, {
          number: 4014,
          state: 1,
          class: 20,
          text: `A fatal error occurred while reading the input stream from the network: ${e.message}`,
        });
        return;
      }
    }
  }

  #onMessage(m: TdsMessage): void {
    switch (this.#state) {
      case 'prelogin':
        if (m.type !== TdsPacketType.PRELOGIN)
          throw new TdsError('unexpected', 'message', 'PRELOGIN expected first');
        this.#prelogin(m.payload);
        return;
      case 'login':
        if (m.type !== TdsPacketType.LOGIN7) throw new TdsError('unexpected', 'message', 'LOGIN7 expected');
        this.#login(m.payload);
        return;
      case 'session':
        this.#sessionMessage(m);
        return;
      default:
        throw new TdsError('unexpected', 'message', `type 0x${m.type.toString(16)} while ${this.#state}`);
    }
  }

  #prelogin(payload: Uint8Array): void {
    const options = decodePrelogin(payload);
    const offered = options.get(PreloginOption.ENCRYPTION)?.[0] ?? Encryption.NOT_SUP;
    const haveCert = this.#o.secureContext !== undefined;
    let answer: number;
    if (this.#o.encryption === 'required') answer = Encryption.REQ;
    else if (!haveCert) answer = Encryption.NOT_SUP;
    else if (offered === Encryption.OFF) answer = Encryption.OFF;
    else if (offered === Encryption.NOT_SUP) answer = Encryption.NOT_SUP;
    else answer = Encryption.ON;
    const version = Uint8Array.of(16, 0, 0x10, 0x04, 0, 0); // 16.0.4100, sub-build 0
    const reply = encodePrelogin([
      [PreloginOption.VERSION, version],
      [PreloginOption.ENCRYPTION, Uint8Array.of(answer)],
      [PreloginOption.INSTOPT, Uint8Array.of(0)],
      [PreloginOption.THREADID, new Uint8Array(0)],
      [PreloginOption.MARS, Uint8Array.of(0)],
    ]);
    this.#send(TdsPacketType.TABULAR_RESULT, reply);
    if (answer === Encryption.REQ && offered === Encryption.NOT_SUP) {
      this.#fail('the client cannot encrypt and this server requires it');
      return;
    }
    if (answer === Encryption.NOT_SUP) {
      this.#state = 'login';
      return;
    }
    this.#loginOnly = answer === Encryption.OFF;
    this.#startTls();
  }

  #startTls(): void {
    this.#state = 'handshake';
    const shim = new TdsTlsShim(this.#socket);
    this.#shim = shim;
    // TLSSocket runs over any duplex at run time; its type names net.Socket only.
    const tls = new TLSSocket(shim as unknown as Socket, {
      isServer: true,
      secureContext: this.#o.secureContext!,
    });
    this.#tls = tls;
    this.#tlsReader = new PacketReader({
      maxPacket: MAX_PACKET,
      maxMessage: this.#o.maxMessageBytes ?? 1 << 20,
    });
    tls.on('secure', () => {
      // The server's last handshake records may still be on their way through the shim, wrapped;
      // the switch to bare TLS records comes with the client's first one (see #feedTls).
      this.#handshakeDone = true;
      this.#out = tls;
      this.#state = 'login';
      this.#log(`TLS ${tls.getProtocol()} (${this.#loginOnly ? 'login only' : 'whole session'})`);
    });
    tls.on('data', (d: Buffer) => {
      if (this.#state === 'closed') return;
      this.#handleMessages(this.#tlsReader!, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    });
    tls.on('error', (e) => this.#fail(`TLS: ${e.message}`));
  }

  #login(payload: Uint8Array): void {
    const login = decodeLogin7(payload);
    this.#state = 'authenticating';
    if (this.#loginOnly) {
      // Section 2.2.6.5: with ENCRYPT_OFF only the login packet is encrypted; the rest is clear.
      this.#out = this.#socket;
      this.#tls?.removeAllListeners('data');
    }
    if (!login.integratedSecurity || login.sspi.length === 0) {
      this.#fail('not integrated security', {
        number: 18456,
        state: 1,
        class: 14,
        text: `Login failed for user '${login.userName}'.`,
      });
      return;
    }
    Promise.resolve()
      .then(() => this.#o.authenticate(login))
      .then(
        (r) => this.#loggedIn(login, r),
        (e: unknown) =>
          this.#fail(`authentication: ${e instanceof Error ? e.message : String(e)}`, {
            number: 18456,
            state: 1,
            class: 14,
            text: "Login failed for user ''.",
          }),
      );
  }

  #loggedIn(login: Login7, r: TdsLoginAccepted | TdsLoginRefused): void {
    if (this.#state === 'closed') return;
    if (!r.ok) {
      this.#fail(`login refused (${r.error.number})`, r.error);
      return;
    }
    this.#session = r;
    this.#state = 'session';
    clearTimeout(this.#timer);
    const requested =
      login.packetSize >= 512 && login.packetSize <= MAX_PACKET ? login.packetSize : DEFAULT_PACKET_SIZE;
    const serverName = this.#o.serverName;
    const tokens = [
      ...(r.responseToken !== undefined ? [sspi(r.responseToken)] : []),
      envChange(EnvChangeType.DATABASE, 'master', 'master'),
      info({ number: 5701, state: 2, class: 0, text: "Changed database context to 'master'.", serverName }),
      collationChange(),
      envChange(EnvChangeType.LANGUAGE, 'us_english'),
      info({ number: 5703, state: 1, class: 0, text: 'Changed language setting to us_english.', serverName }),
      loginAck(TDS_7_4, this.#o.programName ?? 'Microsoft SQL Server', this.#o.programVersion ?? 0x10001004),
      envChange(EnvChangeType.PACKET_SIZE, String(requested), String(this.#packetSize)),
      done(),
    ];
    this.#send(TdsPacketType.TABULAR_RESULT, concatBytes(tokens));
    this.#packetSize = requested;
    this.#log(`logged in as ${r.login}`);
  }

  #sessionMessage(m: TdsMessage): void {
    if (m.type === TdsPacketType.ATTENTION) {
      this.#send(
        TdsPacketType.TABULAR_RESULT,
        concatBytes([Uint8Array.of(0xfd, 0x20, 0, 0, 0), new Uint8Array(8)]),
      );
      return;
    }
    if (m.type !== TdsPacketType.SQL_BATCH) {
      throw new TdsError(
        'unsupported',
        'message',
        `packet type 0x${m.type.toString(16)} is not served by this emulator`,
      );
    }
    const sql = batchText(m.payload);
    const result = this.#session!.query(sql);
    const serverName = this.#o.serverName;
    let tokens: Uint8Array[];
    if (result.kind === 'rows') {
      tokens = [
        colMetadata(result.columns),
        ...result.rows.map((r) => row(result.columns, r)),
        done({ rows: result.rows.length }),
      ];
    } else if (result.kind === 'done') {
      tokens = [done()];
    } else {
      tokens = [error({ ...result.error, serverName }), done({ error: true })];
    }
    this.#send(TdsPacketType.TABULAR_RESULT, concatBytes(tokens));
  }
}

/** The SQL text of a SQL_BATCH payload: ALL_HEADERS (TDS 7.2+, section 2.2.5.3) then UTF-16LE. */
function batchText(payload: Uint8Array): string {
  if (payload.length < 4) throw new TdsError('malformed', 'SQLBatch', 'too short');
  const total = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
  const start = total >= 4 && total <= payload.length && total < 1024 ? total : 0;
  const text = payload.subarray(start);
  if (text.length % 2 !== 0)
    throw new TdsError('malformed', 'SQLBatch.SQLText', 'an odd number of bytes is not UTF-16');
  return Buffer.from(text).toString('utf16le');
}
