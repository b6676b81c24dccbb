/**
 * A TDS 7.4 listener (`node:net`) for an emulated SQL Server: PRELOGIN and
 * its encryption negotiation, TLS inside PRELOGIN, LOGIN7 with integrated
 * security answered by an `authenticate` callback, and SQL batches
 * answered by the session it returns. The protocol runs per connection in
 * `connection.ts`; this module holds the options, the callback's types and
 * the listener's bounds.
 *
 * Encryption (MS-TDS section 2.2.6.5), as SQL Server's settings give it:
 *
 * | server \ client sends | ENCRYPT_OFF        | ENCRYPT_ON or REQ | ENCRYPT_NOT_SUP        |
 * | --------------------- | ------------------ | ----------------- | ---------------------- |
 * | `required`            | REQ: whole session | ON: whole session | REQ: connection closed |
 * | `login-only`          | OFF: LOGIN7 only   | ON: whole session | NOT_SUP: no TLS        |
 * | `not-supported`       | NOT_SUP: no TLS    | NOT_SUP: closed   | NOT_SUP: no TLS        |
 *
 * With the ENCRYPT_CLIENT_CERT bit (0x80, client certificate authentication)
 * the table is the same but for TLS being a must: `not-supported` answers
 * NOT_SUP and closes, and ENCRYPT_NOT_SUP with the bit gets REQ and a close.
 * No certificate is authenticated: the LOGIN7 that follows is refused (50000).
 *
 * Azure SQL insists on `required`, this package's default.
 *
 * TDS 8.0 (MS-TDS 1.7, 3.3.5.1): a client that opens with a TLS ClientHello
 * instead of PRELOGIN gets TLS 1.2 or 1.3 on the connection itself, ALPN
 * `tds/8.0`, and sends every message, PRELOGIN first, inside it: what a
 * driver's `Encrypt=Strict` does. Any server with a certificate serves it, as
 * SQL Server 2022 does; `strict` serves nothing else (SQL Server's Force
 * Strict Encryption): a TDS 7.x PRELOGIN is closed.
 *
 * @module
 */

import { createServer, type Server } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Connection } from './connection';
import type { TdsExchange } from './exchange';
import { TdsVersion } from './iana/login7';
import { blankLogin7Passwords, type Login7 } from './login7';
import { messageBytePositions } from './packet';
import type { PreloginVersion } from './prelogin';
import { decodeSqlBatch, type SqlBatch } from './sql-batch';
import type { SqlError } from './sql-errors';
import type { SessionFacts, StatementResult } from './sql-surface';
import { systemTdsTimers, type TdsTimers } from './timers';

/** What {@link TdsAuthenticate} is asked: one leg of a login's security exchange. */
export interface TdsAuthRequest {
  /** The client's security token: LOGIN7's SSPI field on leg 1, an SSPI message's payload after. */
  readonly sspi: Uint8Array;
  /** 1 for LOGIN7, 2 and on for SSPI continuation messages. */
  readonly leg: number;
  /**
   * The LOGIN7 of this login. Its `password` and `changePassword` are readable but not enumerable,
   * and print and serialize as `'<redacted>'`.
   */
  readonly login: Login7;
  /** The client's address, as the listener saw it. */
  readonly remoteAddress: string | undefined;
  /** Whether this leg arrived over TLS. */
  readonly encrypted: boolean;
}

/** A logged-in session: who it is, and how it answers what the SQL surface asks. */
export interface TdsSession {
  /** The login name, as SUSER_SNAME() gives it (`CONTOSO\alice`). */
  readonly login: string;
  /** ORIGINAL_LOGIN(); default `login`. */
  readonly originalLogin?: string;
  /** sys.dm_exec_connections.auth_scheme; default `KERBEROS`. */
  readonly authScheme?: string;
  /** IS_MEMBER('...'): 1, 0, or null when the name does not resolve (the default for every name). */
  isMember?(name: string): number | null;
  /** IS_SRVROLEMEMBER('...'): 1, 0, or null for an unknown role (default: 0 for the fixed server roles). */
  isSrvRoleMember?(role: string): number | null;
  /** Answer a batch yourself; the default is `answerBatch` with the session's facts. */
  batch?(sqlText: string, facts: SessionFacts): readonly StatementResult[];
}

/** The answer to one leg of a login. */
export type TdsAuthResult =
  /** The login succeeded; `responseToken` (the AP-REP) goes back in an SSPI token before LOGINACK. */
  | { readonly kind: 'accepted'; readonly session: TdsSession; readonly responseToken?: Uint8Array }
  /** The security exchange needs another leg: the token goes back, the client answers with an SSPI message. */
  | { readonly kind: 'continue'; readonly responseToken: Uint8Array }
  /** The login is refused with the product's error (see `loginFailed`, `untrustedDomain`); `reason` is only logged. */
  | { readonly kind: 'refused'; readonly error: SqlError; readonly reason?: string };

/** Checks a login's security token; may be asynchronous. */
export type TdsAuthenticate = (request: TdsAuthRequest) => TdsAuthResult | Promise<TdsAuthResult>;

/** The encryption a server offers; see the module comment. */
export type TdsServerEncryption = 'required' | 'login-only' | 'not-supported' | 'strict';

/** Options for {@link serveTds}. */
export interface ServeTdsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: the OS chooses. */
  readonly port?: number;
  /** The server's name in INFO and ERROR tokens and @@SERVERNAME (`mi1`). */
  readonly serverName: string;
  /**
   * A named instance's name, for PRELOGIN's INSTOPT (MS-TDS 2.2.6.5): a client naming another
   * instance is answered 0x01, a mismatch (SqlClient then reports "Instance failure."). Default: a
   * default instance, which a client naming no instance, or MSSQLServer, matches.
   */
  readonly instanceName?: string;
  /** Default `required`; see the module comment. */
  readonly encryption?: TdsServerEncryption;
  /** The TLS certificate and key (PEM) for the server's host name: needed unless encryption is `not-supported`. */
  readonly cert?: string;
  readonly key?: string;
  /** Accepts or refuses each login. */
  readonly authenticate: TdsAuthenticate;
  /** The product version in PRELOGIN and LOGINACK (default 16.0.4100.1, SQL Server 2022). */
  readonly version?: PreloginVersion;
  /** LOGINACK's ProgName (default `Microsoft SQL Server`). */
  readonly progName?: string;
  /** @@VERSION. */
  readonly versionText?: string;
  /**
   * Most connections at once (default 256, at most 32717: each holds a session id). When full, a new
   * client replaces the least advanced connection not logged in (see `Connection.loginProgress`), or
   * is closed on accept when every connection is logged in.
   */
  readonly maxConnections?: number;
  /** Most bytes a client may send before its login completes: PRELOGIN, TLS handshake, LOGIN7, SSPI (default 256 KiB). */
  readonly maxLoginBytes?: number;
  /** Most bytes of one message after login, headers included (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** The largest SSPI token (default 64 KiB). */
  readonly maxSspiBytes?: number;
  /** Close a connection that has not logged in after this long (default 15 000 ms, drivers' login timeout). */
  readonly loginTimeoutMs?: number;
  /**
   * Close a logged-in connection that leaves a message half-sent this long,
   * from its first byte (default 30 000 ms): what it holds is bounded in
   * time as well as in bytes. An idle session, with nothing half-sent, is
   * kept, as SQL Server keeps it.
   */
  readonly messageTimeoutMs?: number;
  /** The timer seam for the login and message deadlines (default Node's). */
  readonly timers?: TdsTimers;
  /** One line per connection event; never key material or passwords. */
  readonly log?: (line: string) => void;
  /** An exception from `authenticate` or a session (a bug): the login fails with 18456 and this hears of it. */
  readonly onInternalError?: (error: unknown) => void;
  /**
   * Hears each client message and the server's answer, decrypted (see
   * {@link TdsExchange}): for traces. The messages' packets are kept only
   * when this is given. A LOGIN7's Password and ChangePassword come blanked
   * (`*` for each character, the lengths and offsets kept): a trace never
   * holds a SQL login's password.
   */
  readonly onExchange?: (exchange: TdsExchange) => void;
}

/** A running TDS listener. */
export interface TdsServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now. */
  connections(): number;
  /** Stop listening and close every connection. Idempotent. */
  close(): Promise<void>;
  /** {@link TdsServer.close}, so `await using server = await serveTds(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The defaults of {@link ServeTdsOptions}. */
export const TDS_SERVER_DEFAULTS = Object.freeze({
  maxConnections: 256,
  maxLoginBytes: 256 * 1024,
  maxMessageBytes: 1024 * 1024,
  maxSspiBytes: 64 * 1024,
  loginTimeoutMs: 15_000,
  messageTimeoutMs: 30_000,
  version: Object.freeze({ major: 16, minor: 0, build: 4100, subBuild: 1 }),
  progName: 'Microsoft SQL Server',
  versionText:
    'Microsoft SQL Server 2022 (RTM-CU1) (KB5022375) - 16.0.4100.1 (X64) \n\tkrbsim emulated instance\n',
});

/** The resolved options a connection runs with. */
export interface ConnectionConfig {
  readonly serverName: string;
  readonly instanceName: string | undefined;
  readonly encryption: TdsServerEncryption;
  /** TLS inside TDS 7.x PRELOGIN (1.2). */
  readonly secureContext: SecureContext | undefined;
  /** TLS before any TDS message (TDS 8.0: 1.2 or 1.3). */
  readonly strictSecureContext: SecureContext | undefined;
  readonly authenticate: TdsAuthenticate;
  readonly version: PreloginVersion;
  readonly progName: string;
  readonly versionText: string;
  readonly maxLoginBytes: number;
  readonly maxMessageBytes: number;
  readonly maxSspiBytes: number;
  readonly loginTimeoutMs: number;
  readonly messageTimeoutMs: number;
  readonly timers: TdsTimers;
  readonly log: ((line: string) => void) | undefined;
  readonly onInternalError: ((error: unknown) => void) | undefined;
  readonly onExchange: ((exchange: TdsExchange) => void) | undefined;
}

/** SQL Server's user sessions start above 50; a SPID is a 16-bit signed number. */
const FIRST_SPID = 51;
const LAST_SPID = 32767;

/**
 * The first session id from `from` on (wrapping from 32767 to 51) that no open
 * connection holds. The listener holds fewer connections than there are ids.
 */
export function nextSessionId(from: number, inUse: ReadonlySet<number>): number {
  let spid = from;
  for (let i = FIRST_SPID; i <= LAST_SPID && inUse.has(spid); i++)
    spid = spid >= LAST_SPID ? FIRST_SPID : spid + 1;
  return spid;
}

/** A string literal (N'...', its quotes doubled inside; unterminated, to the end) or a hex literal. */
const LITERAL = "(?:N?'(?:[^']|'')*'?|0x[0-9a-f]*)";

/** A password's or secret's literal, after the word that gives it: `PASSWORD = '...'`, `@rmtpassword = N'...'`. */
const SECRET_LITERAL = new RegExp(
  String.raw`((?:@\w*?PASSWORD|\b(?:OLD_)?PASSWORD|\bSECRET)\b\s*=\s*)${LITERAL}`,
  'gi',
);

/** Procedures that take passwords by position (`sp_password 'old', 'new'`): every literal of a batch that calls one is masked. */
const PASSWORD_PROCEDURES =
  /\bsp_(?:password|addlogin|setapprole|addapprole|approlepassword|addlinkedsrvlogin)\b/i;

/**
 * A SQL batch as the `log` shows it: the literal after `PASSWORD`, `OLD_PASSWORD`, `SECRET` (a
 * credential's `IDENTITY = '...', SECRET = '...'`) or a `@...password` parameter as `'***'`, and
 * every literal of a batch calling a procedure that takes a password by position; the rest as sent.
 * `ALTER LOGIN [app] WITH PASSWORD = 'N3w' OLD_PASSWORD = 'Old'` logs as
 * `ALTER LOGIN [app] WITH PASSWORD = '***' OLD_PASSWORD = '***'`.
 */
export function maskSqlSecrets(sqlText: string): string {
  if (PASSWORD_PROCEDURES.test(sqlText)) return sqlText.replace(new RegExp(LITERAL, 'gi'), "'***'");
  return sqlText.replace(SECRET_LITERAL, "$1'***'");
}

/** The characters (start, end) of `sqlText` that {@link maskSqlSecrets} masks: each secret literal's own, its quotes and prefix left. */
function secretSpans(sqlText: string): Array<readonly [number, number]> {
  const matches = PASSWORD_PROCEDURES.test(sqlText)
    ? [...sqlText.matchAll(new RegExp(LITERAL, 'gi'))].map((m) => ({ at: m.index, literal: m[0] }))
    : [...sqlText.matchAll(SECRET_LITERAL)].map((m) => ({
        at: m.index + m[1]!.length,
        literal: m[0].slice(m[1]!.length),
      }));
  return matches.map(({ at, literal }) => {
    const open = /^(?:N?'|0x)/i.exec(literal)![0].length;
    const close = literal.length > open && literal.endsWith("'") && !literal.startsWith('0') ? 1 : 0;
    return [at + open, at + literal.length - close] as const;
  });
}

/**
 * @internal A SQL batch's packets with the literals {@link maskSqlSecrets} masks overwritten by `*`
 * in place (the same number of characters, the quotes kept), so the message still decodes: what a
 * trace, its HTML and its pcap keep of `ALTER LOGIN ... WITH PASSWORD = '...'`. Bytes that do not
 * decode as a batch are returned as they are (a copy).
 */
export function blankSqlBatchSecrets(packets: Uint8Array): Uint8Array {
  const out = packets.slice();
  const where = messageBytePositions(out);
  const payload = Uint8Array.from(where, (i) => out[i]!);
  // The batch's TDS version is the session's; ALL_HEADERS (7.2 on) tells it apart from 7.1's bare text.
  let batch: SqlBatch | undefined;
  for (const version of [TdsVersion.V7_4, TdsVersion.V7_1]) {
    try {
      batch = decodeSqlBatch(payload, version);
      break;
    } catch {
      // Not this version's form.
    }
  }
  if (batch === undefined) return out;
  const textAt = payload.length - 2 * batch.sqlText.length;
  for (const [start, end] of secretSpans(batch.sqlText)) {
    for (let k = start; k < end; k++) {
      out[where[textAt + 2 * k]!] = 0x2a; // '*', UTF-16LE
      out[where[textAt + 2 * k + 1]!] = 0;
    }
  }
  return out;
}

/**
 * `onExchange` as the caller hears it: a LOGIN7's Password and ChangePassword blanked (`*` for
 * each character) before anyone keeps it, for a trace (its HTML, its pcap) must not hold a SQL
 * login's password, which LOGIN7's obfuscation only hides from the eye; a SQL batch's password and
 * secret literals likewise ({@link blankSqlBatchSecrets}).
 */
function traceable(
  onExchange: ((exchange: TdsExchange) => void) | undefined,
): ((exchange: TdsExchange) => void) | undefined {
  if (onExchange === undefined) return undefined;
  return (e) =>
    onExchange(
      e.requestType === 'LOGIN7'
        ? { ...e, request: blankLogin7Passwords(e.request) }
        : e.requestType === 'SQL batch'
          ? { ...e, request: blankSqlBatchSecrets(e.request) }
          : e,
    );
}

/** Listen for TDS connections (see the module comment). */
export async function serveTds(options: ServeTdsOptions): Promise<TdsServer> {
  const encryption = options.encryption ?? 'required';
  if (!['required', 'login-only', 'not-supported', 'strict'].includes(encryption)) {
    throw new TypeError(
      `serveTds: encryption '${encryption}' is not required, login-only, not-supported or strict`,
    );
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError('serveTds: give both cert and key, or neither');
  }
  if (encryption !== 'not-supported' && options.cert === undefined) {
    throw new TypeError(`serveTds: encryption '${encryption}' needs a certificate (cert and key)`);
  }
  const d = TDS_SERVER_DEFAULTS;
  const config: ConnectionConfig = {
    serverName: options.serverName,
    instanceName: options.instanceName,
    encryption,
    // SQL Server speaks TLS 1.2 inside TDS 7.x PRELOGIN; TLS 1.3 comes with TDS 8.0 only.
    secureContext:
      options.cert === undefined || encryption === 'not-supported' || encryption === 'strict'
        ? undefined
        : createSecureContext({ cert: options.cert, key: options.key!, maxVersion: 'TLSv1.2' }),
    strictSecureContext:
      options.cert === undefined || encryption === 'not-supported'
        ? undefined
        : createSecureContext({
            cert: options.cert,
            key: options.key!,
            minVersion: 'TLSv1.2',
            maxVersion: 'TLSv1.3',
          }),
    authenticate: options.authenticate,
    version: options.version ?? d.version,
    progName: options.progName ?? d.progName,
    versionText: options.versionText ?? d.versionText,
    maxLoginBytes: options.maxLoginBytes ?? d.maxLoginBytes,
    maxMessageBytes: options.maxMessageBytes ?? d.maxMessageBytes,
    maxSspiBytes: options.maxSspiBytes ?? d.maxSspiBytes,
    loginTimeoutMs: options.loginTimeoutMs ?? d.loginTimeoutMs,
    messageTimeoutMs: options.messageTimeoutMs ?? d.messageTimeoutMs,
    timers: options.timers ?? systemTdsTimers,
    log: options.log,
    onInternalError: options.onInternalError,
    onExchange: traceable(options.onExchange),
  };
  const open = new Set<Connection>();
  const maxConnections = options.maxConnections ?? d.maxConnections;
  if (
    !Number.isInteger(maxConnections) ||
    maxConnections < 1 ||
    maxConnections > LAST_SPID - FIRST_SPID + 1
  ) {
    // Each open connection holds its own session id, 51 to 32767.
    throw new RangeError(`maxConnections must be 1 to ${LAST_SPID - FIRST_SPID + 1}, got ${maxConnections}`);
  }
  let nextSpid = FIRST_SPID;
  /** The session ids of open connections: a new one never shares one (@@SPID, session_id). */
  const spids = new Set<number>();
  let nextId = 1;
  // noDelay: TDS is request/response in small packets; Nagle's algorithm would
  // hold each reply for the client's delayed ACK (SQL Server sets TCP_NODELAY).
  const server: Server = createServer({ noDelay: true }, (socket) => {
    if (open.size >= maxConnections) {
      // Full: a connection that has not logged in makes room (a client that connects and says nothing
      // must not lock good clients out for its login timeout); sessions are kept. The least advanced
      // goes first, the oldest of those (`open` keeps connection order), so that connects in a burst
      // evict each other before a login under way.
      let idle: Connection | undefined;
      for (const c of open) {
        if (!c.loggedIn && (idle === undefined || c.loginProgress < idle.loginProgress)) idle = c;
      }
      if (idle === undefined) {
        config.log?.(
          `${config.serverName}: refused ${socket.remoteAddress}: ${maxConnections} connections open, all logged in`,
        );
        socket.destroy();
        return;
      }
      idle.destroy(`evicted: ${maxConnections} connections open, and this the least advanced not logged in`);
    }
    const spid = nextSessionId(nextSpid, spids);
    nextSpid = spid >= LAST_SPID ? FIRST_SPID : spid + 1;
    spids.add(spid);
    const c = new Connection(socket, config, spid, nextId++, () => {
      open.delete(c);
      spids.delete(spid);
    });
    open.add(c);
  });
  server.on('error', (e) => config.log?.(`${config.serverName}: listener: ${e.message}`));
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
        server.close(() => resolve());
        for (const c of open) c.destroy('server closing');
      });
      return closing;
    },
    [Symbol.asyncDispose]() {
      return (this as TdsServer).close();
    },
  };
}
