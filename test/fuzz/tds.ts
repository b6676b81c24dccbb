/**
 * Fuzzing a real `serveTds` (@krbsim/tds) on loopback (127.0.0.1 only),
 * encryption `not-supported` so that every byte reaches the message
 * parsers (`tds-tls` has one of its own with encryption `required`), with
 * the built-in SQL surface behind an `authenticate` that accepts one fixed
 * SSPI token and refuses every other with 18452.
 *
 * - `tds-prelogin`: a damaged PRELOGIN as the first message of a fresh
 *   connection. The answer must be a PRELOGIN answer that decodes (then, if
 *   the client asked for TLS or for client certificate authentication, a
 *   close), or the connection closes; a PRELOGIN
 *   that decodes with a valid ENCRYPTION must be answered, one that does not
 *   must not be.
 * - `tds-login7`: a good PRELOGIN, then a damaged LOGIN7. The answer must
 *   decode as a token stream ending in DONE, and be LOGINACK exactly when
 *   the LOGIN7 decodes with integrated security and the accepted token, or
 *   else an ERROR 4014 (it does not decode), 18456 (SQL authentication),
 *   18452 (no token, or another token) or 4060 (the accepted token, but a
 *   Database other than master with fDatabase set), after which the server
 *   closes.
 * - `tds-batch`: a damaged SQL_BATCH on a kept, logged-in session (a new one
 *   when the server closed it). A batch that decodes gets a token stream
 *   (results or the surface's errors) and the session stays open; one that
 *   does not gets ERROR 4014 and the connection closes.
 * - `tds-transaction`: a damaged TRANSACTION_MANAGER request (MS-TDS
 *   2.2.6.9) on a kept, logged-in session (a new one when the server closed
 *   it). The bases are the requests drivers send (begin with and without a
 *   name and isolation level, commit and rollback with and without
 *   fBeginXact, save, the distributed types 0, 1 and 6, a name too long);
 *   where an input's ALL_HEADERS still starts with the transaction
 *   descriptor header, the descriptor is set to the session's (3 in 4) or a
 *   wrong one (0, the last one that ended, one never handed out). Each input
 *   follows 0 to 2 good requests (`BEGIN TRAN`, `COMMIT TRAN`, `SELECT
 *   @@TRANCOUNT`... batches, and the undamaged bases), all with the session's
 *   descriptor, so that inputs meet the session with a transaction open,
 *   nested or not. A model of the transaction, as a driver keeps it, says
 *   what each request must get: ENVCHANGE 8 opens one (@@TRANCOUNT 1, its
 *   descriptor the new value, its name the begin's), 9 and 10 end it (0,
 *   descriptor 0), a begin or commit answered without one counts a nested
 *   transaction up or down. A request that decodes (the package's decoder)
 *   gets one final DONE and the session stays open: with the one ERROR due
 *   (3989 for descriptor 0 while a transaction is open, 3971 for another
 *   wrong descriptor, 50000 for save, the distributed types and a name past
 *   32 characters, 3981 for an OutstandingRequestCount above 1, 3902 and 3903
 *   for a commit and a rollback with none open, 6401 for a rollback naming
 *   another than the outermost), in that order, or none and exactly the
 *   ENVCHANGEs due, each with the model's descriptor as its old value (a
 *   begun one's new descriptor never handed out before on the session). One
 *   that does not decode gets ERROR 4014 and the connection closes. After
 *   each input the session survives (and now and then after the good
 *   requests), `SELECT @@TRANCOUNT` with the model's descriptor must answer
 *   the model's count.
 * - `tds-tls`: on a fresh connection, a PRELOGIN offering ENCRYPT_ON, then
 *   the client's TLS handshake bytes, damaged, in PRELOGIN packets as a
 *   client sends them (MS-TDS 3.2.5.2): a TLS 1.2 client's ClientHello
 *   (node:tls's, with a client random from the seed), or its second flight
 *   (ClientKeyExchange, ChangeCipherSpec, Finished, captured from a real
 *   handshake with this server) after a good ClientHello and the server's
 *   flight (the second flight holds that handshake's ephemeral key, so the
 *   inputs made from it differ from run to run; a failure saves what was
 *   sent). Every 16th input goes out with a damaged packet header, or bare;
 *   and every 8th first flight goes out as a TDS 8.0 client opens (MS-TDS
 *   3.3.5.1): as the connection's first bytes, bare, with no PRELOGIN.
 *   What the server sends must be PRELOGIN packets carrying TLS records
 *   (once the client's bytes went bare, anything: the server answers bare),
 *   and every connection must be closed by the login deadline: a handshake
 *   with such a client never completes.
 *
 * Every 32nd input of the first four targets also goes out as raw packets with a
 * damaged header (a lying length, EOM cleared, another type, cut short...),
 * or the input's bytes themselves read as packets, on a connection of its
 * own brought to the target's state; a reader with the server's bounds says
 * whether that makes a complete message (then the server must answer or
 * close) or not (it may wait; its deadline, the login's or the half-sent
 * message's, must close it).
 *
 * Everywhere: nothing reaches `onInternalError`, an answer comes within a
 * few seconds or the connection closes, a good client (`connectTds`, login,
 * `SELECT SUSER_SNAME()`) is served every half second and at the end, and
 * after the server's own deadlines (2 s here) no connection is left open.
 */

import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { concatBytes, ManualClock, SeededRandom } from '@krbsim/core';
import { createSelfSignedCa, issueServerCertificate } from '@krbsim/pki';
import {
  connectTds,
  DEFAULT_PACKET_SIZE,
  DoneStatus,
  decodeLogin7,
  decodePrelogin,
  decodeSqlBatch,
  decodeTokens,
  decodeTransactionManagerRequest,
  Encryption,
  EnvChangeType,
  encodeLogin7,
  encodePackets,
  encodePrelogin,
  encodeSqlBatch,
  encodeTransactionManagerRequest,
  FeatureId,
  IsolationLevel,
  isTdsError,
  MAX_PACKET_SIZE,
  negotiateTdsVersion,
  OptionFlags1,
  OptionFlags2,
  PACKET_HEADER_BYTES,
  PacketReader,
  serveTds,
  TdsPacketStatus,
  TdsPacketType,
  type TdsServer,
  type TdsTokenValue,
  TdsVersion,
  type TransactionManagerRequest,
  type TransMgrReq,
  transactionDescriptorOf,
  untrustedDomain,
} from '@krbsim/tds';
import { hex, InvariantError } from './checks';
import { InputStream } from './inputs';
import { connectLoopback, HOST, Inbox } from './sockets';
import type { Target } from './targets';

/** How long an answer may take before the server counts as not answering. */
const ANSWER_MS = 5_000;
const GOOD_CLIENT_EVERY_MS = 500;
/** The server's login and half-sent message deadlines (serveTds's defaults: 15 s, 30 s), short so that a bounded run sees them. */
const LOGIN_TIMEOUT_MS = 2_000;
/** How long a closing server connection waits for the client (connection.ts's CLOSE_GRACE_MS). */
const SERVER_CLOSE_GRACE_MS = 2_000;
/** serveTds's defaults, which the oracles below mirror. */
const MAX_LOGIN_BYTES = 256 * 1024;
const MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_SSPI_BYTES = 64 * 1024;
/** The packet size the session's LOGIN7 asks for (and gets). */
const SESSION_PACKET_SIZE = 4096;
/** Every RAW_EVERY-th input also goes out as raw, header-damaged packets. */
const RAW_EVERY = 32;
/** How long a raw probe that need not be answered is watched. */
const RAW_LOOK_MS = 50;
/** The most raw connections left open for the server's login deadline to close (the oldest are closed first). */
const MAX_LEFT_OPEN = 32;
/** Every TLS_RAW_EVERY-th `tds-tls` input goes out with a damaged packet header, or bare. */
const TLS_RAW_EVERY = 16;
/** Every TLS_FIRST_EVERY-th `tds-tls` first flight goes out as TDS 8.0's first bytes (no PRELOGIN). */
const TLS_FIRST_EVERY = 8;
/** How long the server's reaction to a handshake flight is watched before the connection is left to the login deadline. */
const TLS_LOOK_MS = 50;
/** A `tds-tls` connection the server has not closed this long after it opened broke the login deadline. */
const TLS_CLOSE_BY_MS = LOGIN_TIMEOUT_MS + ANSWER_MS;
/** The most `tds-tls` connections left for the login deadline at once (the server takes 256): the next input waits. */
const MAX_WAITING = 64;
/** The name in the server's certificate, which the good client checks. */
const TLS_SERVERNAME = 'localhost';
/** When the certificates are made (a fixed time, as the lab's), and for how long they are valid (till 2045). */
const CERT_TIME = Date.UTC(2026, 0, 1);
const CERT_DAYS = 20 * 365;
/** TLS record content types (alert, handshake) and handshake message types (RFC 5246). */
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_HELLO_DONE = 0x0e;
const CLIENT_KEY_EXCHANGE = 0x10;
/** The largest TLS 1.2 record body, encrypted (RFC 5246 section 6.2.3). */
const MAX_TLS_RECORD = (1 << 14) + 2048;
/** The type of a "message" of bytes as they came, on a connection taken bare (see `tdsConnection`). */
const BARE = -1;

const SERVER_NAME = 'mi1';
const LOGIN = 'CONTOSO\\alice';
/** The one SSPI token `authenticate` accepts (it looks like a GSS token; nothing checks it). */
const GOOD_SSPI = Uint8Array.from(Buffer.from('600e06092a864886f71201020201006e00', 'hex'));
/** Another GSS-looking token: refused with 18452. */
const OTHER_SSPI = Uint8Array.from(Buffer.from('600e06092a864886f71201020201006e01', 'hex'));

const CLIENT_VERSION = { major: 1, minor: 0, build: 0, subBuild: 0 };
/** The PRELOGIN a client without TLS sends (as connectTds does). */
const GOOD_PRELOGIN = encodePrelogin({
  version: CLIENT_VERSION,
  encryption: Encryption.NOT_SUP,
  instance: Uint8Array.of(0),
  threadId: 4242,
  mars: 0,
});
const GOOD_PRELOGIN_WIRE = encodePackets(TdsPacketType.PRELOGIN, GOOD_PRELOGIN);
/** The PRELOGIN a client asking for TLS sends (as connectTds does with encryption 'on'). */
const GOOD_TLS_PRELOGIN_WIRE = encodePackets(
  TdsPacketType.PRELOGIN,
  encodePrelogin({
    version: CLIENT_VERSION,
    encryption: Encryption.ON,
    instance: Uint8Array.of(0),
    threadId: 4242,
    mars: 0,
  }),
);
const GOOD_LOGIN7 = encodeLogin7({
  sspi: GOOD_SSPI,
  hostName: 'fuzz-pc',
  appName: 'krbsim fuzz',
  serverName: SERVER_NAME,
  clientInterfaceName: 'ODBC',
  database: 'master',
  packetSize: SESSION_PACKET_SIZE,
});
const GOOD_LOGIN7_WIRE = encodePackets(TdsPacketType.LOGIN7, GOOD_LOGIN7);

const preloginBases = (): Uint8Array[] => [
  GOOD_PRELOGIN,
  encodePrelogin({ version: CLIENT_VERSION, encryption: Encryption.OFF, instance: Uint8Array.of(0) }),
  // Asks for TLS: answered NOT_SUP, then closed (so is the next, asking for client certificate authentication).
  encodePrelogin({ version: CLIENT_VERSION, encryption: Encryption.ON, threadId: 1, mars: 0 }),
  encodePrelogin({
    version: { major: 17, minor: 10, build: 1, subBuild: 0 },
    encryption: Encryption.NOT_SUP | Encryption.CLIENT_CERT,
    instance: Uint8Array.from(Buffer.from('MSSQLServer\0', 'latin1')),
    threadId: 0x01020304,
    mars: 1,
    traceId: new Uint8Array(36).fill(0x5a),
    fedAuthRequired: 1,
    nonce: new Uint8Array(32).fill(0xa5),
  }),
  encodePrelogin({ version: CLIENT_VERSION }),
  encodePrelogin({
    version: CLIENT_VERSION,
    encryption: Encryption.NOT_SUP,
    other: new Map([[0x42, Uint8Array.of(1, 2, 3)]]),
  }),
];

const login7Bases = (): Uint8Array[] => [
  GOOD_LOGIN7,
  encodeLogin7({
    sspi: GOOD_SSPI,
    hostName: 'fuzz-pc',
    userName: '',
    appName: 'Microsoft SqlClient Data Provider',
    clientInterfaceName: 'Core Microsoft SqlClient Data Provider',
    language: 'us_english',
    database: 'master',
    packetSize: 8000,
    clientId: Uint8Array.of(0, 0x15, 0x5d, 1, 2, 3),
    features: [
      { id: FeatureId.UTF8_SUPPORT, data: new Uint8Array(0) },
      { id: FeatureId.AZURESQLSUPPORT, data: Uint8Array.of(1) },
      { id: FeatureId.SESSIONRECOVERY, data: new Uint8Array(0) },
    ],
  }),
  encodeLogin7({ sspi: GOOD_SSPI, tdsVersion: TdsVersion.V7_1, hostName: 'old', packetSize: 512 }),
  // Refused: another token (18452), SQL authentication (18456), integrated security without a token (18452).
  encodeLogin7({ sspi: OTHER_SSPI, hostName: 'fuzz-pc', attachDbFile: 'C:\\db.mdf', packetSize: 32767 }),
  encodeLogin7({ sspi: new Uint8Array(0), userName: 'sa', password: 'Passw0rd!', changePassword: 'n3w!' }),
  encodeLogin7({
    sspi: new Uint8Array(0),
    optionFlags2: OptionFlags2.INTEGRATED_SECURITY_ON | OptionFlags2.ODBC_ON,
  }),
];

/** The statements a SQL client sends, and what the built-in surface answers (see sql-surface.ts). */
const BATCHES = [
  'SELECT SUSER_SNAME()',
  'SELECT @@VERSION',
  "SELECT IS_MEMBER('CONTOSO\\SqlAdmins') AS admins, IS_SRVROLEMEMBER('sysadmin'), IS_SRVROLEMEMBER('public')",
  'USE master',
  'USE tempdb',
  'SELECT auth_scheme, encrypt_option, net_transport, protocol_type, session_id, client_net_address ' +
    'FROM sys.dm_exec_connections WHERE session_id = @@SPID',
  "SELECT 'it''s' AS s, N'x' y, n = 42, -1, [quoted id] = 'q'",
  'SET ANSI_NULLS ON SET TEXTSIZE 2147483647 SET QUOTED_IDENTIFIER ON SET ARITHABORT ON',
  'SELECT SUSER_SNAME(), SYSTEM_USER, ORIGINAL_LOGIN(), DB_NAME(), @@SPID, @@SERVERNAME; ' +
    'BEGIN TRAN; IF @@TRANCOUNT > 0 COMMIT TRAN',
  "/* a /* nested */ comment */ SELECT 1 -- the rest\nSELECT 'unclosed",
  'DROP TABLE dbo.t',
];

/** A TCP connection that reassembles the server's messages and notes when it closed. */
async function tdsConnection(port: number) {
  const socket = await connectLoopback(port, { noDelay: true });
  // What the server sends must always be well-formed packets; a client's bounds (connectTds's).
  const reader = new PacketReader({ maxPacket: MAX_PACKET_SIZE, maxMessage: 4 << 20 });
  const messages = new Inbox<{ type: number; payload: Uint8Array }>();
  let bare = false;
  socket.on('data', (chunk: Buffer) => {
    if (bare) {
      messages.push({ type: BARE, payload: new Uint8Array(chunk) });
      return;
    }
    try {
      messages.push(...reader.push(new Uint8Array(chunk)));
    } catch (e) {
      messages.break(`the server's packets do not read: ${(e as Error).message}`);
    }
  });
  socket.on('close', () => messages.close());
  const opened = performance.now();
  return {
    socket,
    opened,
    get closed() {
      return messages.closed;
    },
    write: (b: Uint8Array) => socket.write(b),
    /** The next message, or 'closed', or 'timeout'. */
    next: (ms: number) => messages.next(ms),
    /** From now on what the server sends is not read as packets: it comes as it is, as "messages" of type BARE. */
    bare: () => {
      bare = true;
    },
  };
}
type TdsConnection = Awaited<ReturnType<typeof tdsConnection>>;

/** Where a connection is brought before an input is sent. */
type Stage = 'prelogin' | 'login' | 'session';

/** The token stream of a TABULAR_RESULT, strictly; `versions` are the TDS versions it may be written for. */
function tokensOf(
  m: { type: number; payload: Uint8Array },
  versions: readonly number[],
  what: string,
): TdsTokenValue[] {
  if (m.type !== TdsPacketType.TABULAR_RESULT)
    throw new InvariantError(`${what} is a message of type 0x${m.type.toString(16)}, not TABULAR_RESULT`);
  let last: unknown;
  for (const tdsVersion of versions) {
    try {
      const tokens = decodeTokens(m.payload, { tdsVersion });
      const end = tokens.at(-1);
      if (end?.type !== 'DONE')
        throw new InvariantError(`${what} ends in ${end?.type ?? 'nothing'}, not DONE`);
      return tokens;
    } catch (e) {
      if (e instanceof InvariantError) throw e;
      last = e;
    }
  }
  throw new InvariantError(`${what} does not decode: ${(last as Error)?.message}; ${hex(m.payload, 64)}`);
}

const errorNumbers = (tokens: readonly TdsTokenValue[]) =>
  tokens.flatMap((t) => (t.type === 'ERROR' ? [t.number] : []));

/** The certificate and key a server with encryption `required` serves, and the CA a good client trusts. */
interface ServerTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

/**
 * A serveTds as the brief sets it (encryption `not-supported`, or `required` with `tls`), what it
 * reported, and a good client that must keep being served.
 */
async function startServer(tls?: ServerTls) {
  const bugs: unknown[] = [];
  const lastLog: string[] = [];
  const server: TdsServer = await serveTds({
    host: HOST,
    port: 0,
    serverName: SERVER_NAME,
    ...(tls === undefined
      ? { encryption: 'not-supported' }
      : { encryption: 'required', cert: tls.certPem, key: tls.keyPem }),
    loginTimeoutMs: LOGIN_TIMEOUT_MS,
    messageTimeoutMs: LOGIN_TIMEOUT_MS,
    authenticate: ({ sspi }) =>
      Buffer.from(sspi).equals(GOOD_SSPI)
        ? {
            kind: 'accepted',
            responseToken: Uint8Array.of(0x6f, 0x02, 0x01, 0x00),
            session: { login: LOGIN, isMember: (n) => (n === 'CONTOSO\\SqlAdmins' ? 1 : null) },
          }
        : { kind: 'refused', error: untrustedDomain(), reason: 'fuzz: not the accepted token' },
    onInternalError: (e) => bugs.push(e),
    // Discarded, but for the last few lines, which go with a failure's message.
    log: (line) => {
      if (lastLog.push(line) > 8) lastLog.shift();
    },
  });
  let lastGood = 0;
  let goodRuns = 0;
  return {
    server,
    port: server.port,
    tls,
    /** Throws if the server reported an internal error since the last call. */
    checkBugs() {
      const found = bugs.splice(0);
      if (found.length > 0) {
        const e = found[0];
        throw new Error(
          `serveTds reported an internal error: ${(e as Error)?.stack ?? e}\n  server log: ${lastLog.join('\n    ')}`,
          { cause: e },
        );
      }
    },
    log: () => lastLog.join(' | '),
    /** Every GOOD_CLIENT_EVERY_MS: connect (in TLS with `tls`), log in with the accepted token, SELECT SUSER_SNAME(). */
    async goodClient(force = false) {
      if (!force && performance.now() - lastGood < GOOD_CLIENT_EVERY_MS) return;
      lastGood = performance.now();
      let client: Awaited<ReturnType<typeof connectTds>> | undefined;
      try {
        client = await connectTds({
          host: HOST,
          port: server.port,
          ...(tls === undefined
            ? { encryption: 'not-supported' }
            : { encryption: 'on', tls: { ca: tls.caPem, servername: TLS_SERVERNAME } }),
          timeoutMs: ANSWER_MS,
        });
        const r = await client.login({ sspi: GOOD_SSPI, hostName: 'fuzz-good', appName: 'krbsim fuzz' });
        if (!r.ok) throw new Error(`login refused: ${r.error.number} ${r.error.msgText}`);
        const b = await client.batch('SELECT SUSER_SNAME()');
        const who = b.results[0]?.rows[0]?.[0];
        if (who !== LOGIN) throw new Error(`SUSER_SNAME() gave ${JSON.stringify(who)}`);
        goodRuns++;
      } catch (e) {
        throw new InvariantError(`a good client was not served: ${e}`);
      } finally {
        client?.close();
      }
    },
    goodRuns: () => goodRuns,
  };
}
type Context = Awaited<ReturnType<typeof startServer>>;

/**
 * A logged-in session kept across a target's inputs: a new one when the server closed the last,
 * which it may do only after answering 4014 (MS-TDS 2.2.1.7 closes on a malformed message).
 */
class KeptSession {
  conn: TdsConnection | undefined;
  /** The server was to close the session (after a 4014). */
  closing = false;
  /** Sessions opened. */
  opened = 0;

  /** @param what the kind of message the target sends (`a batch`), for failures */
  constructor(private readonly what: string) {}

  /** The open session; `fresh` is told when it is a new one. */
  async open(ctx: Context, fresh?: () => void): Promise<TdsConnection> {
    if (this.conn?.closed && !this.closing)
      throw new InvariantError(
        `the server closed a session after answering ${this.what} without 4014; server log: ${ctx.log()}`,
      );
    if (this.conn === undefined || this.conn.closed) {
      this.conn?.socket.destroy();
      this.conn = await openAt(ctx, 'session');
      this.closing = false;
      this.opened++;
      fresh?.();
    }
    return this.conn;
  }

  /** After a 4014: the server must close the session, with nothing more sent. */
  async expectClose(): Promise<void> {
    this.closing = true;
    const after = await this.conn!.next(ANSWER_MS);
    if (after !== 'closed')
      throw new InvariantError(
        `after 4014 the server sent ${typeof after === 'string' ? after : 'another message'}, and did not close`,
      );
  }

  /** Closes the session from this side: the next input starts a new one. */
  drop(): void {
    this.conn?.socket.destroy();
    this.conn = undefined;
  }
}

/** A connection brought to `stage` with the good PRELOGIN and LOGIN7; a failure there is the server's. */
async function openAt(ctx: Context, stage: Stage): Promise<TdsConnection> {
  const c = await tdsConnection(ctx.port);
  if (stage === 'prelogin') return c;
  c.write(GOOD_PRELOGIN_WIRE);
  const p = await c.next(ANSWER_MS);
  if (typeof p === 'string' || p.type !== TdsPacketType.TABULAR_RESULT)
    throw new InvariantError(
      `a good PRELOGIN got ${typeof p === 'string' ? p : `type 0x${p.type.toString(16)}`}`,
    );
  if (stage === 'login') return c;
  c.write(GOOD_LOGIN7_WIRE);
  const l = await c.next(ANSWER_MS);
  if (typeof l === 'string') throw new InvariantError(`a good LOGIN7 got ${l}; server log: ${ctx.log()}`);
  const tokens = tokensOf(l, [TdsVersion.V7_4], 'the answer to a good LOGIN7');
  if (!tokens.some((t) => t.type === 'LOGINACK'))
    throw new InvariantError(`a good LOGIN7 was not logged in: errors ${errorNumbers(tokens)}`);
  return c;
}

/** The bytes the client has sent before a message at `stage` (they count toward maxLoginBytes). */
const sentBefore = (stage: Stage) =>
  stage === 'prelogin' ? 0 : stage === 'login' ? GOOD_PRELOGIN_WIRE.length : Number.NaN;

/** What a reader with the server's bounds makes of `wire` at `stage`. */
function readAsServer(stage: Stage, type: number, wire: Uint8Array): 'complete' | 'refused' | 'incomplete' {
  if (stage !== 'session' && sentBefore(stage) + wire.length > MAX_LOGIN_BYTES) return 'refused';
  const reader = new PacketReader(
    stage === 'session'
      ? { maxPacket: SESSION_PACKET_SIZE, maxMessage: MAX_MESSAGE_BYTES }
      : { maxPacket: MAX_PACKET_SIZE, maxMessage: MAX_LOGIN_BYTES },
  );
  reader.expect(
    stage === 'session'
      ? [
          TdsPacketType.SQL_BATCH,
          TdsPacketType.ATTENTION,
          TdsPacketType.RPC,
          TdsPacketType.TRANSACTION_MANAGER,
          TdsPacketType.BULK_LOAD,
        ]
      : [type],
  );
  let messages: { status: number }[];
  try {
    messages = reader.push(wire);
  } catch (e) {
    if (!isTdsError(e)) throw e;
    return 'refused';
  }
  // Sections 2.2.1.7 and 2.2.3.1.2: in a session, a message with IGNORE set is discarded, but answered
  // (a DONE with DONE_ERROR), as any other complete message is.
  return messages.length === 0 ? 'incomplete' : 'complete';
}

/** `wire` (packets of `type` around `bytes`) with one header damaged, or `bytes` read as packets. */
function damagePackets(
  rnd: SeededRandom,
  wire: Uint8Array,
  bytes: Uint8Array,
): { wire: Uint8Array; how: string } {
  const [k, a, b] = rnd.fill(new Uint8Array(3));
  // The header of the first packet, or of the last when there are several.
  const lastAt = (() => {
    let at = 0;
    while (at + PACKET_HEADER_BYTES <= wire.length) {
      const len = (wire[at + 2]! << 8) | wire[at + 3]!;
      if (at + len >= wire.length) break;
      at += len;
    }
    return at;
  })();
  const at = a! & 1 ? lastAt : 0;
  const out = wire.slice();
  const setLength = (n: number) => {
    out[at + 2] = (n >> 8) & 0xff;
    out[at + 3] = n & 0xff;
  };
  const length = (out[at + 2]! << 8) | out[at + 3]!;
  switch (k! % 9) {
    case 0:
      setLength((a! << 8) | b!);
      return { wire: out, how: `Length ${(a! << 8) | b!} at ${at}` };
    case 1: {
      const d = (b! % 8) + 1;
      setLength(a! & 2 ? length + d : Math.max(0, length - d));
      return { wire: out, how: `Length ${a! & 2 ? '+' : '-'}${d} at ${at}` };
    }
    case 2:
      out[at + 1] = b!;
      return { wire: out, how: `Status 0x${hex(Uint8Array.of(b!))} at ${at}` };
    case 3:
      out[at + 1] = out[at + 1]! & ~TdsPacketStatus.EOM;
      return { wire: out, how: `EOM cleared at ${at}` };
    case 4:
      out[at] = b!;
      return { wire: out, how: `Type 0x${hex(Uint8Array.of(b!))} at ${at}` };
    case 5:
      out[at + 4] = a!;
      out[at + 5] = b!;
      out[at + 6] = a! ^ b!;
      out[at + 7] = b! ^ 0xff;
      return { wire: out, how: `SPID, PacketID, Window at ${at}` };
    case 6: {
      const cut = ((a! << 8) | b!) % Math.max(1, wire.length);
      return { wire: wire.slice(0, cut), how: `cut at ${cut} of ${wire.length}` };
    }
    case 7:
      return {
        wire: Uint8Array.from([...wire.subarray(0, 4096), ...bytes.subarray(0, 4096)]),
        how: 'input bytes after the packets',
      };
    default:
      return { wire: bytes.slice(), how: 'the input bytes as packets' };
  }
}

/** One target's server, its kept connections and its tallies. */
class TdsFuzz {
  ctx: Context | undefined;
  /** Raw connections before login, left for the server's login deadline to close. */
  readonly leftOpen: TdsConnection[] = [];
  readonly raw = new Map<string, number>();
  readonly #rnd: SeededRandom;
  readonly #tls: (() => Promise<ServerTls>) | undefined;
  #n = 0;

  /** @param tls makes the certificate of a server with encryption `required` (at the first input) */
  constructor(seed: string, name: string, tls?: () => Promise<ServerTls>) {
    this.#rnd = new SeededRandom(`${seed}:${name}-raw`);
    this.#tls = tls;
  }

  async begin(): Promise<Context> {
    this.ctx ??= await startServer(await this.#tls?.());
    await this.ctx.goodClient();
    return this.ctx;
  }

  /** Every RAW_EVERY-th input: its packets, header-damaged, on a connection of their own at `stage`. */
  async maybeRaw(
    target: Target,
    stage: Stage,
    type: number,
    bytes: Uint8Array,
    packetSize: number,
  ): Promise<void> {
    if (this.#n++ % RAW_EVERY !== RAW_EVERY - 1) return;
    const ctx = this.ctx!;
    const { wire, how } = damagePackets(this.#rnd, encodePackets(type, bytes, { packetSize }), bytes);
    target.lastBuilt = wire;
    const expected = readAsServer(stage, type, wire);
    const c = await openAt(ctx, stage);
    c.write(wire);
    const mustAnswer = expected === 'complete' || expected === 'refused';
    const r = await c.next(mustAnswer ? ANSWER_MS : RAW_LOOK_MS);
    if (r === 'timeout' && mustAnswer)
      throw new InvariantError(
        `raw packets (${how}) make a ${expected === 'complete' ? 'complete message' : 'stream the server refuses'} at ${stage}, ` +
          `and got no answer with the connection open; server log: ${ctx.log()}`,
      );
    let got = r === 'timeout' ? 'waiting' : typeof r === 'string' ? r : 'answered';
    let loggedIn = stage === 'session';
    if (typeof r !== 'string') {
      if (stage === 'prelogin') {
        if (r.type !== TdsPacketType.TABULAR_RESULT)
          throw new InvariantError(`raw PRELOGIN answered with type 0x${r.type.toString(16)}`);
        try {
          decodePrelogin(r.payload);
        } catch (e) {
          throw new InvariantError(
            `the answer to raw PRELOGIN packets does not decode: ${(e as Error).message}`,
          );
        }
      } else {
        const tokens = tokensOf(
          r,
          [TdsVersion.V7_4, TdsVersion.V7_1, TdsVersion.V7_2],
          `the answer to raw packets (${how})`,
        );
        const errors = errorNumbers(tokens);
        if (errors.length > 0) got = `error ${errors[0]}`;
        if (tokens.some((t) => t.type === 'LOGINACK')) {
          loggedIn = true;
          got = 'logged in';
        }
      }
    }
    const label = `${expected}: ${got}`;
    this.raw.set(label, (this.raw.get(label) ?? 0) + 1);
    // A session has no deadline (an idle session is kept, as SQL Server keeps it): closed here.
    if (loggedIn) c.socket.destroy();
    else {
      // Not logged in: the server's login deadline must close it, whatever state it is in.
      this.leftOpen.push(c);
      if (this.leftOpen.length > MAX_LEFT_OPEN) this.leftOpen.shift()!.socket.destroy();
    }
    ctx.checkBugs();
    target.lastBuilt = undefined;
  }

  rawSummary(): string {
    return [...this.raw]
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  }

  /** The good client once more, then no connection left once the server's deadlines have passed; the server closed. */
  async finish(target: Target, extra: string): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    try {
      await ctx.goodClient(true);
      // The raw connections stay open on this side: the server's login deadline must close them.
      const deadline = performance.now() + LOGIN_TIMEOUT_MS + SERVER_CLOSE_GRACE_MS + ANSWER_MS;
      while (ctx.server.connections() > 0 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const left = ctx.server.connections();
      const heldByClient = this.leftOpen.filter((c) => !c.closed).length;
      target.summary =
        `${extra}raw probes: ${this.rawSummary() || 'none'}; good clients served ${ctx.goodRuns()}` +
        `; connections open at the end ${left}`;
      ctx.checkBugs();
      if (left > 0)
        throw new InvariantError(
          `after the login deadline (${LOGIN_TIMEOUT_MS} ms) and the close grace the server still has ${left} connection(s) open ` +
            `(${heldByClient} raw connections still open on this side); server log: ${ctx.log()}`,
        );
    } finally {
      for (const c of this.leftOpen.splice(0)) c.socket.destroy();
      await ctx.server.close();
      this.ctx = undefined;
    }
  }
}

/** What a PRELOGIN payload must get: an answer, a close, or either (too many bytes to log in). */
function preloginExpectation(
  bytes: Uint8Array,
  wireLength: number,
): { must: 'answer' | 'close' | 'either'; wantsTls: boolean } {
  if (wireLength > MAX_LOGIN_BYTES) return { must: 'either', wantsTls: false };
  try {
    const p = decodePrelogin(bytes);
    const offered = p.encryption ?? Encryption.NOT_SUP;
    const o = offered & ~Encryption.CLIENT_CERT;
    if (o > Encryption.REQ) return { must: 'close', wantsTls: false };
    // ENCRYPT_CLIENT_CERT needs TLS whatever the value it is set on: closed after the answer too.
    const clientCert = (offered & Encryption.CLIENT_CERT) !== 0;
    return { must: 'answer', wantsTls: o === Encryption.ON || o === Encryption.REQ || clientCert };
  } catch (e) {
    if (!isTdsError(e)) throw new Error(`decodePrelogin threw ${(e as Error)?.stack ?? e}`, { cause: e });
    return { must: 'close', wantsTls: false };
  }
}

function preloginTarget(seed: string): Target {
  const f = new TdsFuzz(seed, 'tds-prelogin');
  const target: Target = {
    name: 'tds-prelogin',
    weight: 1,
    inputs: new InputStream(seed, 'tds-prelogin', preloginBases(), [0x00, 0x01, 0xff]),
    async run(bytes) {
      const ctx = await f.begin();
      await f.maybeRaw(target, 'prelogin', TdsPacketType.PRELOGIN, bytes, 4096);
      const wire = encodePackets(TdsPacketType.PRELOGIN, bytes);
      target.lastBuilt = wire;
      const expected = preloginExpectation(bytes, wire.length);
      const c = await tdsConnection(ctx.port);
      try {
        c.write(wire);
        const r = await c.next(ANSWER_MS);
        ctx.checkBugs();
        if (r === 'timeout')
          throw new InvariantError(
            `no answer to a complete PRELOGIN, and the connection is open; server log: ${ctx.log()}`,
          );
        if (r === 'closed') {
          if (expected.must === 'answer' && performance.now() - c.opened < LOGIN_TIMEOUT_MS)
            throw new InvariantError(`a PRELOGIN that decodes was not answered; server log: ${ctx.log()}`);
          return 'closed';
        }
        if (r.type !== TdsPacketType.TABULAR_RESULT)
          throw new InvariantError(`PRELOGIN answered with a message of type 0x${r.type.toString(16)}`);
        let answer: ReturnType<typeof decodePrelogin>;
        try {
          answer = decodePrelogin(r.payload);
        } catch (e) {
          throw new InvariantError(
            `the PRELOGIN answer does not decode: ${(e as Error).message}; ${hex(r.payload, 64)}`,
          );
        }
        if (answer.encryption !== Encryption.NOT_SUP)
          throw new InvariantError(
            `the PRELOGIN answer's ENCRYPTION is 0x${answer.encryption?.toString(16)}, not NOT_SUP`,
          );
        if (expected.must === 'close')
          throw new InvariantError('a PRELOGIN that does not decode was answered');
        if (expected.wantsTls) {
          // Encryption refused: the server closes after its answer.
          const after = await c.next(ANSWER_MS);
          if (after !== 'closed')
            throw new InvariantError(
              `a client that asked for TLS was answered NOT_SUP and then got ${typeof after === 'string' ? after : 'a message'}, not a close`,
            );
          return 'answered, closed (TLS asked)';
        }
        return 'answered';
      } finally {
        c.socket.destroy();
      }
    },
    finish: () => f.finish(target, ''),
  };
  return target;
}

/** What a LOGIN7 payload must get, by decoding it as the server does. */
function login7Expectation(
  bytes: Uint8Array,
  wireLength: number,
): { answer: 'LOGINACK' | number; tdsVersion: number } {
  if (GOOD_PRELOGIN_WIRE.length + wireLength > MAX_LOGIN_BYTES)
    return { answer: 4014, tdsVersion: TdsVersion.V7_4 };
  let login: ReturnType<typeof decodeLogin7>;
  try {
    login = decodeLogin7(bytes, { maxSspi: MAX_SSPI_BYTES });
  } catch (e) {
    if (!isTdsError(e)) throw new Error(`decodeLogin7 threw ${(e as Error)?.stack ?? e}`, { cause: e });
    return { answer: 4014, tdsVersion: TdsVersion.V7_4 };
  }
  const tdsVersion = negotiateTdsVersion(login.tdsVersion);
  if ((login.optionFlags2 & OptionFlags2.INTEGRATED_SECURITY_ON) === 0) return { answer: 18456, tdsVersion };
  if (login.sspi.length === 0) return { answer: 18452, tdsVersion };
  // What the instance does not give is refused with 50000 before any authentication: a user instance
  // (OptionFlags3 0x04), a file to attach, a password change (OptionFlags3 0x01), FEDAUTH (feature 0x02),
  // or under INIT_LANG_FATAL (OptionFlags2 0x01) a language other than us_english.
  const language = login.language.toLowerCase();
  if (
    (login.optionFlags3 & 0x05) !== 0 ||
    login.attachDbFile !== '' ||
    login.features.some((f) => f.id === 0x02) ||
    ((login.optionFlags2 & 0x01) !== 0 &&
      language !== '' &&
      language !== 'us_english' &&
      language !== 'english')
  )
    return { answer: 50000, tdsVersion };
  if (!Buffer.from(login.sspi).equals(GOOD_SSPI)) return { answer: 18452, tdsVersion };
  // Section 2.2.6.4: once authenticated, a Database other than master (any case) fails the login under
  // fDatabase, with 4060 before 18456; without it the login goes on in master.
  const database = login.database.toLowerCase();
  if (database !== '' && database !== 'master' && (login.optionFlags1 & OptionFlags1.INIT_DB_FATAL) !== 0)
    return { answer: 4060, tdsVersion };
  return { answer: 'LOGINACK', tdsVersion };
}

function login7Target(seed: string): Target {
  const f = new TdsFuzz(seed, 'tds-login7');
  const target: Target = {
    name: 'tds-login7',
    weight: 1,
    inputs: new InputStream(seed, 'tds-login7', login7Bases()),
    async run(bytes) {
      const ctx = await f.begin();
      await f.maybeRaw(target, 'login', TdsPacketType.LOGIN7, bytes, 4096);
      const wire = encodePackets(TdsPacketType.LOGIN7, bytes);
      const expected = login7Expectation(bytes, wire.length);
      const c = await openAt(ctx, 'login');
      target.lastBuilt = wire;
      try {
        c.write(wire);
        const r = await c.next(ANSWER_MS);
        ctx.checkBugs();
        if (r === 'timeout')
          throw new InvariantError(
            `no answer to a complete LOGIN7, and the connection is open; server log: ${ctx.log()}`,
          );
        if (r === 'closed') {
          if (performance.now() - c.opened >= LOGIN_TIMEOUT_MS) return 'closed (login deadline)';
          // After PRELOGIN every refusal is a token stream (4014 at worst): a bare close is not one.
          throw new InvariantError(
            `a LOGIN7 was answered with a bare close, no ERROR; server log: ${ctx.log()}`,
          );
        }
        const tokens = tokensOf(r, [expected.tdsVersion], 'the answer to a LOGIN7');
        const errors = errorNumbers(tokens);
        if (tokens.some((t) => t.type === 'LOGINACK')) {
          if (errors.length > 0) throw new InvariantError(`a LOGINACK came with ERROR ${errors}`);
          if (expected.answer !== 'LOGINACK')
            throw new InvariantError(`a LOGIN7 that should get ${expected.answer} was logged in`);
          return 'logged in';
        }
        const [number] = errors;
        if (number === undefined)
          throw new InvariantError(
            `the answer to a LOGIN7 is neither LOGINACK nor ERROR: ${tokens.map((t) => t.type)}`,
          );
        if (![18456, 18452, 4014, 4060, 50000].includes(number))
          throw new InvariantError(`a LOGIN7 was refused with ${number}`);
        if (number !== expected.answer)
          throw new InvariantError(`a LOGIN7 was refused with ${number} where ${expected.answer} was due`);
        const done = tokens.at(-1);
        if (done?.type === 'DONE' && (done.status & DoneStatus.ERROR) === 0)
          throw new InvariantError('a refused login ends in a DONE without its ERROR bit');
        const after = await c.next(ANSWER_MS);
        if (after !== 'closed')
          throw new InvariantError(
            `after refusing a login with ${number} the server sent ${typeof after === 'string' ? after : 'another message'}, and did not close`,
          );
        return `error-token ${number}`;
      } finally {
        c.socket.destroy();
      }
    },
    finish: () => f.finish(target, ''),
  };
  return target;
}

function batchTarget(seed: string): Target {
  const f = new TdsFuzz(seed, 'tds-batch');
  const kept = new KeptSession('a batch');
  const target: Target = {
    name: 'tds-batch',
    weight: 1,
    inputs: new InputStream(
      seed,
      'tds-batch',
      BATCHES.map((s) => encodeSqlBatch(s)),
      [0x16],
    ),
    async run(bytes) {
      const ctx = await f.begin();
      await f.maybeRaw(target, 'session', TdsPacketType.SQL_BATCH, bytes, SESSION_PACKET_SIZE);
      const session = await kept.open(ctx);
      const wire = encodePackets(TdsPacketType.SQL_BATCH, bytes, { packetSize: SESSION_PACKET_SIZE });
      target.lastBuilt = wire;
      let decodes = wire.length <= MAX_MESSAGE_BYTES;
      if (decodes) {
        try {
          decodeSqlBatch(bytes, TdsVersion.V7_4);
        } catch (e) {
          if (!isTdsError(e))
            throw new Error(`decodeSqlBatch threw ${(e as Error)?.stack ?? e}`, { cause: e });
          decodes = false;
        }
      }
      session.write(wire);
      const r = await session.next(ANSWER_MS);
      ctx.checkBugs();
      if (r === 'timeout')
        throw new InvariantError(
          `no answer to a complete SQL_BATCH, and the session is open; server log: ${ctx.log()}`,
        );
      if (r === 'closed')
        throw new InvariantError(
          `a SQL_BATCH was answered with a bare close, no ERROR; server log: ${ctx.log()}`,
        );
      const tokens = tokensOf(r, [TdsVersion.V7_4], 'the answer to a SQL_BATCH');
      const errors = errorNumbers(tokens);
      if (errors.includes(4014)) {
        if (decodes) throw new InvariantError(`a SQL_BATCH that decodes got 4014: ${errors}`);
        await kept.expectClose();
        return 'error-token 4014, closed';
      }
      if (!decodes)
        throw new InvariantError(`a SQL_BATCH that does not decode was answered: errors ${errors}`);
      if (errors.length === 0)
        return tokens.some((t) => t.type === 'ROW') ? 'answered: rows' : 'answered: done';
      return `error-token ${[...new Set(errors)].sort().join('+')}`;
    },
    async finish() {
      kept.drop();
      await f.finish(target, `sessions opened ${kept.opened}; `);
    },
  };
  return target;
}

/** The transaction manager requests drivers send (MS-TDS 2.2.6.9), encoded below with a descriptor the target puts in at run time. */
const TM_REQUESTS: readonly TransactionManagerRequest[] = [
  // tedious's beginTransaction, python-tds's first transaction: no name, the isolation level kept.
  { type: 'begin', isolationLevel: IsolationLevel.NO_CHANGE, name: '' },
  // SqlClient's BeginTransaction(IsolationLevel.ReadCommitted, "fuzzTx"), and another level.
  { type: 'begin', isolationLevel: IsolationLevel.READ_COMMITTED, name: 'fuzzTx' },
  { type: 'begin', isolationLevel: IsolationLevel.SERIALIZABLE, name: '' },
  // SqlClient's Commit() and Rollback(), Rollback("fuzzTx").
  { type: 'commit', name: '' },
  { type: 'rollback', name: '' },
  { type: 'rollback', name: 'fuzzTx' },
  // python-tds with autocommit off: commit or roll back, and begin the next at once (fBeginXact).
  { type: 'commit', name: '', begin: { isolationLevel: IsolationLevel.NO_CHANGE, name: '' } },
  { type: 'rollback', name: '', begin: { isolationLevel: IsolationLevel.NO_CHANGE, name: '' } },
  { type: 'commit', name: 'fuzzTx', begin: { isolationLevel: IsolationLevel.REPEATABLE_READ, name: 'next' } },
  // SqlClient's Save("sp1"); the distributed requests (types 0, 1 and 6): all refused with 50000.
  { type: 'save', name: 'sp1' },
  { type: 'get-dtc-address', data: new Uint8Array(0) },
  { type: 'propagate', data: Uint8Array.from(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')) },
  { type: 'promote' },
  // A name longer than BEGIN TRANSACTION takes (32 characters): refused with 50000.
  {
    type: 'begin',
    isolationLevel: IsolationLevel.SNAPSHOT,
    name: 'a-transaction-name-of-forty-chars-long!!',
  },
];

/** A good batch sent on the `tds-transaction` session now and then, with the step it runs. */
const TX_BATCHES: readonly { sql: string; step?: TxStep }[] = [
  { sql: 'BEGIN TRAN', step: { op: 'begin', name: '' } },
  { sql: 'BEGIN TRAN fuzzTx', step: { op: 'begin', name: 'fuzzTx' } },
  { sql: 'COMMIT TRAN', step: { op: 'commit', name: '' } },
  { sql: 'ROLLBACK TRAN', step: { op: 'rollback', name: '' } },
  { sql: 'SELECT @@TRANCOUNT' },
];
/** The longest transaction name (sql-surface.ts's MAX_TRANSACTION_NAME): a longer one is 50000. */
const MAX_TRANSACTION_NAME = 32;
/** Each `tds-transaction` input follows 0 to TX_GOOD_MAX good requests (as a draw of 0 to 255 says). */
const TX_GOOD_MAX = 2;
/** A good request is one of TX_BATCHES when a draw of 0 to 255 is below this (1 in 3), else a base TM request. */
const TX_BATCH_BELOW = 85;
/** An input carries the session's descriptor when a draw of 0 to 255 is below this (3 in 4), else a wrong one. */
const TX_RIGHT_BELOW = 192;
/** `SELECT @@TRANCOUNT` is asked before every TX_CHECK_EVERY-th input that follows good requests (and after every input the session survives). */
const TX_CHECK_EVERY = 2;
/** How many of the requests last sent a failure names. */
const TX_HISTORY = 8;
/** The descriptor of no transaction (MS-TDS 2.2.5.3.2). */
const NO_TRANSACTION = new Uint8Array(8);
/** Where ALL_HEADERS's first header (a transaction descriptor, as encoders write it) keeps its descriptor. */
const DESCRIPTOR_AT = 10;

/** BEGIN, COMMIT or ROLLBACK TRANSACTION, as a request runs it (a commit or rollback with fBeginXact is two). */
interface TxStep {
  readonly op: 'begin' | 'commit' | 'rollback';
  readonly name: string;
}

/**
 * The session's transaction as the client knows it, from what it sent and the ENVCHANGEs it got
 * (MS-TDS 2.2.7.9), as a driver keeps it: ENVCHANGE 8 opens a transaction (@@TRANCOUNT 1, its descriptor
 * the new value, its name the begin's), 9 and 10 end it (0, descriptor all zeros); a begin or commit
 * answered without one counts nested transactions (a begin one more, a commit one less).
 */
interface TxModel {
  count: number;
  descriptor: Uint8Array;
  /** The outermost begin's name: the one a rollback may give. */
  name: string;
  /** The descriptors handed out on this session (hex): a new one must be new. */
  readonly handedOut: Set<string>;
  /** The last descriptor that ended: a wrong one to send. */
  ended: Uint8Array | undefined;
}

const newTxModel = (): TxModel => ({
  count: 0,
  descriptor: NO_TRANSACTION,
  name: '',
  handedOut: new Set(),
  ended: undefined,
});

const envName: Record<number, string> = {
  [EnvChangeType.BEGIN_TRANSACTION]: 'began',
  [EnvChangeType.COMMIT_TRANSACTION]: 'committed',
  [EnvChangeType.ROLLBACK_TRANSACTION]: 'rolled back',
};

/**
 * What `steps` do to the model when they run (MS-TDS 2.2.6.9, responses.ts's transactionStep): the
 * ENVCHANGE types due, or SQL Server's error (3902, 3903 with none open; 6401 for a rollback naming
 * another transaction than the outermost), nothing changed.
 */
function runSteps(
  model: TxModel,
  steps: readonly TxStep[],
): { error: number } | { envs: number[]; count: number; name: string } {
  let { count, name } = model;
  const envs: number[] = [];
  for (const s of steps) {
    if (s.op === 'begin') {
      if (count === 0) {
        envs.push(EnvChangeType.BEGIN_TRANSACTION);
        name = s.name;
      }
      count++;
    } else if (count === 0) return { error: s.op === 'commit' ? 3902 : 3903 };
    else if (s.op === 'commit') {
      count--;
      if (count === 0) envs.push(EnvChangeType.COMMIT_TRANSACTION);
    } else {
      if (s.name !== '' && s.name !== name) return { error: 6401 };
      count = 0;
      envs.push(EnvChangeType.ROLLBACK_TRANSACTION);
    }
  }
  return { envs, count, name };
}

/** What a decoded transaction manager request must get on a session the model describes: an error, or steps run. */
function tmExpectation(
  tm: TransMgrReq,
  model: TxModel,
): { error: number } | { envs: number[]; count: number; name: string } {
  const header = transactionDescriptorOf(tm);
  if (header !== undefined && !Buffer.from(header.descriptor).equals(model.descriptor))
    return { error: header.descriptor.every((b) => b === 0) ? 3989 : 3971 };
  const r = tm.request;
  if (r.type !== 'begin' && r.type !== 'commit' && r.type !== 'rollback') return { error: 50000 };
  const steps: TxStep[] =
    r.type === 'begin'
      ? [{ op: 'begin', name: r.name }]
      : [{ op: r.type, name: r.name }, ...(r.begin ? [{ op: 'begin' as const, name: r.begin.name }] : [])];
  if (steps.some((s) => s.name.length > MAX_TRANSACTION_NAME)) return { error: 50000 };
  if ((header?.outstandingRequestCount ?? 1) > 1) return { error: 3981 };
  return runSteps(model, steps);
}

/**
 * Checks an answer against what was due, and brings the model along: one DONE, the last, without
 * DONE_MORE (DONE_ERROR exactly with an ERROR); the one ERROR due, or none and the ENVCHANGEs due, each
 * with the descriptors the model knows (a new one never handed out on the session); besides, only the
 * tokens in `others`. Returns what happened, for the outcome label.
 */
function takeAnswer(
  tokens: readonly TdsTokenValue[],
  due: { error: number } | { envs: number[]; count: number; name: string },
  model: TxModel,
  others: readonly string[],
  what: string,
): string {
  const dones = tokens.filter((t) => t.type === 'DONE');
  const done = tokens.at(-1);
  if (dones.length !== 1 || done?.type !== 'DONE')
    throw new InvariantError(
      `${what}: ${dones.length} DONE tokens (${tokens.map((t) => t.type)}), not one final`,
    );
  if ((done.status & DoneStatus.MORE) !== 0) throw new InvariantError(`${what}: its DONE has DONE_MORE`);
  const errors = errorNumbers(tokens);
  const stray = tokens.find((t) => !['DONE', 'ERROR', 'ENVCHANGE', ...others].includes(t.type));
  if (stray) throw new InvariantError(`${what}: a ${stray.type} token`);
  const envs = tokens.flatMap((t) => (t.type === 'ENVCHANGE' ? [t] : []));
  if ('error' in due) {
    if (errors.length !== 1 || errors[0] !== due.error)
      throw new InvariantError(`${what}: errors [${errors}] where ${due.error} was due`);
    if (envs.length > 0)
      throw new InvariantError(
        `${what}: refused with ${due.error}, and ENVCHANGE ${envs.map((e) => e.envType)}`,
      );
    if ((done.status & DoneStatus.ERROR) === 0)
      throw new InvariantError(`${what}: refused with ${due.error}, its DONE without DONE_ERROR`);
    return `error-token ${due.error}`;
  }
  if (errors.length > 0) throw new InvariantError(`${what}: errors [${errors}] where none was due`);
  if ((done.status & DoneStatus.ERROR) !== 0) throw new InvariantError(`${what}: DONE_ERROR and no ERROR`);
  const got = envs.map((e) => e.envType);
  if (got.join() !== due.envs.join())
    throw new InvariantError(
      `${what}: ENVCHANGE [${got}] where [${due.envs}] was due (the model: @@TRANCOUNT ${model.count})`,
    );
  for (const e of envs) {
    const newValue = e.newValue as Uint8Array;
    const oldValue = e.oldValue as Uint8Array;
    if (e.envType === EnvChangeType.BEGIN_TRANSACTION) {
      const key = hex(newValue);
      if (newValue.length !== 8 || oldValue.length !== 0 || model.handedOut.has(key))
        throw new InvariantError(
          `${what}: ENVCHANGE 8 new ${key} old ${hex(oldValue)} (a new 8-byte descriptor, old empty, was due)`,
        );
      model.handedOut.add(key);
      model.descriptor = Uint8Array.from(newValue);
    } else {
      if (newValue.length !== 0 || !Buffer.from(oldValue).equals(model.descriptor))
        throw new InvariantError(
          `${what}: ENVCHANGE ${e.envType} new ${hex(newValue)} old ${hex(oldValue)}, where the open transaction's descriptor is ${hex(model.descriptor)}`,
        );
      model.ended = model.descriptor;
      model.descriptor = NO_TRANSACTION;
    }
  }
  model.count = due.count;
  model.name = due.name;
  return got.length === 0 ? 'counted' : got.map((t) => envName[t]).join(', ');
}

/** `bytes` with the descriptor of its ALL_HEADERS's first header set to `descriptor`, when that header is there as encoders write it. */
function withDescriptor(bytes: Uint8Array, descriptor: Uint8Array): Uint8Array {
  const v = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < DESCRIPTOR_AT + 8 || v.readUInt32LE(4) !== 18 || v.readUInt16LE(8) !== 2) return bytes;
  const out = bytes.slice();
  out.set(descriptor, DESCRIPTOR_AT);
  return out;
}

function transactionTarget(seed: string): Target {
  const f = new TdsFuzz(seed, 'tds-transaction');
  const rnd = new SeededRandom(`${seed}:tds-transaction-session`);
  const bases = TM_REQUESTS.map((r) => encodeTransactionManagerRequest(r, TdsVersion.V7_4));
  const kept = new KeptSession('a request');
  let model = newTxModel();
  let n = 0;
  const counts = {
    batches: 0,
    requests: 0,
    decoded: 0,
    checks: 0,
    wrong: 0,
    inTransaction: 0,
    deepest: 0,
  };
  /** What the session was sent since the last check, named in a failure. */
  const history: string[] = [];
  const note = (line: string) => {
    if (history.push(line) > TX_HISTORY) history.shift();
  };
  const state = () => `the model: @@TRANCOUNT ${model.count}, descriptor ${hex(model.descriptor)}`;

  /** The descriptor a draw of 0 to 255 picks: the session's (3 in 4), or a wrong one. */
  function descriptorFor(x: number): Uint8Array {
    if (x < TX_RIGHT_BELOW) return model.descriptor;
    const wrong = [
      NO_TRANSACTION,
      model.ended ?? Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0),
      Uint8Array.of(x, n & 0xff, 1, 0, 0, 0, 0, 0),
    ][x % 3]!;
    if (!Buffer.from(wrong).equals(model.descriptor)) counts.wrong++;
    return wrong;
  }

  /** A good batch with the model's descriptor; its answer checked and taken into the model. */
  async function goodBatch(ctx: Context, sql: string, step: TxStep | undefined): Promise<TdsTokenValue[]> {
    const c = kept.conn!;
    const batch = encodeSqlBatch(sql, TdsVersion.V7_4, { descriptor: model.descriptor });
    c.write(encodePackets(TdsPacketType.SQL_BATCH, batch, { packetSize: SESSION_PACKET_SIZE }));
    const r = await c.next(ANSWER_MS);
    ctx.checkBugs();
    const what = `the answer to the good batch '${sql}' (${state()}; sent before: ${history.join('; ') || 'nothing'})`;
    if (typeof r === 'string') throw new InvariantError(`${what}: ${r}; server log: ${ctx.log()}`);
    const tokens = tokensOf(r, [TdsVersion.V7_4], what);
    const due = step ? runSteps(model, [step]) : { envs: [], count: model.count, name: model.name };
    const outcome = takeAnswer(tokens, due, model, ['COLMETADATA', 'ROW'], what);
    note(`'${sql}': ${step ? outcome : 'rows'}`);
    return tokens;
  }

  /**
   * A transaction manager request (`bytes` with `descriptor` put in): its answer checked against what the
   * decoder and the model make due, and taken into the model. Returns its outcome.
   */
  async function request(
    ctx: Context,
    bytes: Uint8Array,
    descriptor: Uint8Array,
    input: string,
  ): Promise<string> {
    const c = kept.conn!;
    if (model.count > 0) counts.inTransaction++;
    const payload = withDescriptor(bytes, descriptor);
    const wire = encodePackets(TdsPacketType.TRANSACTION_MANAGER, payload, {
      packetSize: SESSION_PACKET_SIZE,
    });
    target.lastBuilt = wire;
    // The package's decoder is the oracle, as the session reads the request (TDS 7.4).
    let tm: TransMgrReq | undefined;
    if (wire.length <= MAX_MESSAGE_BYTES) {
      try {
        tm = decodeTransactionManagerRequest(payload, TdsVersion.V7_4);
      } catch (e) {
        if (!isTdsError(e))
          throw new Error(`decodeTransactionManagerRequest threw ${(e as Error)?.stack ?? e}`, { cause: e });
      }
    }
    const what = `the answer to ${input}, a TRANSACTION_MANAGER request (${state()}; sent before: ${history.join('; ') || 'nothing'})`;
    c.write(wire);
    const r = await c.next(ANSWER_MS);
    ctx.checkBugs();
    if (r === 'timeout')
      throw new InvariantError(
        `${what}: none in ${ANSWER_MS} ms, and the session is open; server log: ${ctx.log()}`,
      );
    if (r === 'closed') throw new InvariantError(`${what}: a bare close, no ERROR; server log: ${ctx.log()}`);
    const tokens = tokensOf(r, [TdsVersion.V7_4], what);
    if (wire.length > MAX_MESSAGE_BYTES) {
      // Not read (MAX_MESSAGE_BYTES): refused with 50000, the session kept.
      const label = `too large: ${takeAnswer(tokens, { error: 50000 }, model, [], what)}`;
      note(`${input} ${label}`);
      return label;
    }
    if (tm === undefined) {
      takeAnswer(tokens, { error: 4014 }, model, [], what);
      await kept.expectClose();
      return 'error-token 4014, closed';
    }
    counts.decoded++;
    const req = tm.request;
    const kind = 'begin' in req && req.begin !== undefined ? `${req.type}+begin` : req.type;
    const outcome = takeAnswer(tokens, tmExpectation(tm, model), model, [], what);
    const label = outcome.startsWith('error-token') ? outcome : `${kind}: ${outcome}`;
    counts.deepest = Math.max(counts.deepest, model.count);
    note(`${input} ${label}: ${hex(payload, 40)}`);
    return label;
  }

  /** SELECT @@TRANCOUNT with the model's descriptor: the server's count must be the model's. */
  async function checkCount(ctx: Context): Promise<void> {
    counts.checks++;
    const tokens = await goodBatch(ctx, 'SELECT @@TRANCOUNT', undefined);
    const row = tokens.find((t) => t.type === 'ROW');
    const got = row?.type === 'ROW' ? row.values[0] : undefined;
    if (got !== model.count)
      throw new InvariantError(
        `SELECT @@TRANCOUNT gave ${got} where the ENVCHANGEs and answers seen make ${model.count}; sent before: ${history.join('; ')}`,
      );
  }

  const target: Target = {
    name: 'tds-transaction',
    weight: 1,
    inputs: new InputStream(seed, 'tds-transaction', bases, [0x16]),
    async run(bytes) {
      const ctx = await f.begin();
      await f.maybeRaw(target, 'session', TdsPacketType.TRANSACTION_MANAGER, bytes, SESSION_PACKET_SIZE);
      await kept.open(ctx, () => {
        model = newTxModel();
        history.length = 0;
      });
      const input = n++;
      const draws = rnd.fill(new Uint8Array(2 + 2 * TX_GOOD_MAX));
      try {
        // First up to TX_GOOD_MAX good requests, so that inputs meet the session in many states.
        const good = draws[0]! % (TX_GOOD_MAX + 1);
        for (let i = 0; i < good; i++) {
          const [kind, which] = [draws[2 + 2 * i]!, draws[3 + 2 * i]!];
          if (kind < TX_BATCH_BELOW) {
            counts.batches++;
            const { sql, step } = TX_BATCHES[which % TX_BATCHES.length]!;
            await goodBatch(ctx, sql, step);
          } else {
            counts.requests++;
            await request(
              ctx,
              bases[which % bases.length]!,
              model.descriptor,
              `base#${which % bases.length}`,
            );
          }
        }
        // The count is checked where the session stays open: after the input, and before it every
        // TX_CHECK_EVERY-th time good requests came first (most inputs do not decode, and close it).
        if (good > 0 && input % TX_CHECK_EVERY === 0) await checkCount(ctx);
        const label = await request(ctx, bytes, descriptorFor(draws[1]!), `input #${input}`);
        if (!kept.closing) await checkCount(ctx);
        return label;
      } catch (e) {
        // The session's state is no longer known: the next input starts a new one.
        kept.drop();
        throw e;
      }
    },
    async finish() {
      kept.drop();
      const c = counts;
      await f.finish(
        target,
        `sessions opened ${kept.opened}; good batches ${c.batches}, good requests ${c.requests} before the inputs; ` +
          `requests that decode ${c.decoded} (good ones included); @@TRANCOUNT checks ${c.checks}; ` +
          `inputs with a wrong descriptor ${c.wrong}; requests sent in a transaction ${c.inTransaction}; deepest @@TRANCOUNT ${c.deepest}; `,
      );
    },
  };
  return target;
}

/** A CA and a server certificate for 127.0.0.1 and localhost (ECDSA P-256, at a fixed time, serials from the seed). */
async function makeServerTls(seed: string): Promise<ServerTls> {
  const certs = {
    clock: new ManualClock(CERT_TIME),
    random: new SeededRandom(`${seed}:tds-tls-certs`),
    keyType: 'ecdsa-p256',
    validityDays: CERT_DAYS,
  } as const;
  const ca = await createSelfSignedCa({ ...certs, commonName: 'krbsim fuzz TDS CA' });
  const server = await issueServerCertificate(ca, {
    ...certs,
    dnsNames: [TLS_SERVERNAME],
    ipAddresses: [HOST],
  });
  return { certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem };
}

/**
 * The first flight of a TLS 1.2 client (node:tls, set up as connectTds sets it up): its ClientHello,
 * with a client random from the seed, so that the inputs made from it are the seed's. node:tls writes
 * it as soon as it starts on a connected duplex, so it is there before the target's first input.
 */
function clientHello(seed: string): Uint8Array {
  const written: Buffer[] = [];
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(Buffer.from(chunk));
      cb();
    },
  });
  const tls = tlsConnect({ socket: wire, servername: TLS_SERVERNAME, maxVersion: 'TLSv1.2' });
  tls.on('error', () => {});
  tls.destroy();
  const hello = Uint8Array.from(Buffer.concat(written));
  if (hello[0] !== TLS_HANDSHAKE || hello[5] !== CLIENT_HELLO)
    throw new Error(`fuzz: tds-tls: node:tls wrote no ClientHello at once: ${hex(hello, 16)}`);
  // After the record header (5 bytes), the handshake header (4) and client_version (2): the 32-byte random.
  hello.set(new SeededRandom(`${seed}:tds-tls-hello`).fill(new Uint8Array(32)), 11);
  return hello;
}

/** Whether bytes start with a TLS record holding a ClientKeyExchange: sent as a second flight. */
const isSecondFlight = (bytes: Uint8Array) => bytes[0] === TLS_HANDSHAKE && bytes[5] === CLIENT_KEY_EXCHANGE;

/** The TLS records of one direction of a connection, read as they come; throws when the framing is not TLS's. */
class TlsRecords {
  /** Each whole record: its content type and body. */
  readonly seen: { type: number; body: Uint8Array }[] = [];
  #buf: Uint8Array = new Uint8Array(0);

  push(bytes: Uint8Array, what: string): void {
    let buf = this.#buf.length === 0 ? bytes : concatBytes([this.#buf, bytes]);
    while (buf.length >= 5) {
      const length = (buf[3]! << 8) | buf[4]!;
      if (buf[0]! < 0x14 || buf[0]! > 0x17 || buf[1] !== 3 || length > MAX_TLS_RECORD)
        throw new InvariantError(`${what} carry no TLS record: ${hex(buf, 16)}`);
      if (buf.length < 5 + length) break;
      this.seen.push({ type: buf[0]!, body: buf.subarray(5, 5 + length) });
      buf = buf.subarray(5 + length);
    }
    this.#buf = buf.slice();
  }

  /** Nothing buffered, and the last record ends a server's first flight (ServerHelloDone). */
  get flightDone(): boolean {
    const last = this.seen.at(-1);
    return (
      this.#buf.length === 0 &&
      last?.type === TLS_HANDSHAKE &&
      Buffer.from(last.body.subarray(-4)).equals(Buffer.from([SERVER_HELLO_DONE, 0, 0, 0]))
    );
  }
}

/** A connection in the TLS handshake, and the server's records on it so far. */
interface Handshake {
  readonly c: TdsConnection;
  readonly records: TlsRecords;
}

/** What the server sends in the handshake, read and checked: PRELOGIN messages carrying TLS records. */
async function nextRecords(
  h: Handshake,
  ms: number,
  what: string,
): Promise<'closed' | 'timeout' | 'records'> {
  const m = await h.c.next(ms);
  if (typeof m === 'string') return m;
  if (m.type === BARE) return 'records';
  if (m.type !== TdsPacketType.PRELOGIN)
    throw new InvariantError(`${what}: a message of type 0x${m.type.toString(16)}, not PRELOGIN`);
  h.records.push(m.payload, `${what}: PRELOGIN packets`);
  return 'records';
}

/**
 * A connection that has sent a PRELOGIN with ENCRYPT_ON and been answered ON; with `hello`, also a
 * ClientHello and been answered with the server's first flight. A failure there is the server's.
 */
async function openHandshake(ctx: Context, hello?: Uint8Array): Promise<Handshake> {
  const c = await tdsConnection(ctx.port);
  const h = { c, records: new TlsRecords() };
  c.write(GOOD_TLS_PRELOGIN_WIRE);
  const p = await c.next(ANSWER_MS);
  if (typeof p === 'string' || p.type !== TdsPacketType.TABULAR_RESULT)
    throw new InvariantError(
      `a PRELOGIN with ENCRYPT_ON got ${typeof p === 'string' ? p : `type 0x${p.type.toString(16)}`}; server log: ${ctx.log()}`,
    );
  let encryption: number | undefined;
  try {
    encryption = decodePrelogin(p.payload).encryption;
  } catch (e) {
    throw new InvariantError(
      `the answer to a PRELOGIN with ENCRYPT_ON does not decode: ${(e as Error).message}`,
    );
  }
  if (encryption !== Encryption.ON)
    throw new InvariantError(`a PRELOGIN with ENCRYPT_ON was answered 0x${encryption?.toString(16)}, not ON`);
  if (hello === undefined) return h;
  c.write(encodePackets(TdsPacketType.PRELOGIN, hello, { packetSize: DEFAULT_PACKET_SIZE }));
  while (!h.records.flightDone) {
    const r = await nextRecords(h, ANSWER_MS, "the server's answer to a good ClientHello");
    if (r !== 'records')
      throw new InvariantError(
        `a good ClientHello got ${r}, not the server's flight; server log: ${ctx.log()}`,
      );
  }
  return h;
}

/**
 * A real TLS 1.2 handshake with the server in PRELOGIN packets, as connectTds does it, through a relay
 * that keeps what the client writes once the server has answered: its second flight
 * (ClientKeyExchange, ChangeCipherSpec, Finished).
 */
async function secondFlight(ctx: Context): Promise<Uint8Array> {
  const { c } = await openHandshake(ctx);
  const flights: Buffer[][] = [[], []];
  let answered = false;
  const relay = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      flights[answered ? 1 : 0]!.push(Buffer.from(chunk));
      c.write(encodePackets(TdsPacketType.PRELOGIN, chunk, { packetSize: DEFAULT_PACKET_SIZE }));
      cb();
    },
  });
  const client = tlsConnect({
    socket: relay,
    servername: TLS_SERVERNAME,
    ca: ctx.tls!.caPem,
    maxVersion: 'TLSv1.2',
  });
  const secure = new Promise<'secure'>((resolve, reject) => {
    client.once('secureConnect', () => resolve('secure'));
    client.once('error', reject);
  });
  secure.catch(() => {}); // a failure is the race's below; one after it gave up is no news
  try {
    for (;;) {
      const m = await Promise.race([secure, c.next(ANSWER_MS)]);
      if (m === 'secure') break;
      if (typeof m === 'string') throw new Error(`the server's handshake: ${m}`);
      answered = true;
      relay.push(Buffer.from(m.payload));
    }
  } catch (e) {
    throw new InvariantError(
      `a good TLS handshake failed: ${(e as Error).message}; server log: ${ctx.log()}`,
    );
  } finally {
    client.destroy();
    c.socket.destroy();
  }
  const second = Uint8Array.from(Buffer.concat(flights[1]!));
  if (!isSecondFlight(second))
    throw new Error(
      `fuzz: tds-tls: the client's second flight is not a ClientKeyExchange: ${hex(second, 16)}`,
    );
  return second;
}

/** Whether the server's transport (tls-in-prelogin.ts) reads `wire` up to a bare TLS record: it then answers bare. */
function reachesBareRecord(wire: Uint8Array): boolean {
  let at = 0;
  while (at < wire.length) {
    if (wire[at]! >= 0x14 && wire[at]! <= 0x17) return true;
    if (wire.length - at < PACKET_HEADER_BYTES) return false;
    const length = (wire[at + 2]! << 8) | wire[at + 3]!;
    if (wire[at] !== TdsPacketType.PRELOGIN || length < PACKET_HEADER_BYTES || length > MAX_PACKET_SIZE)
      return false; // refused: the connection closes
    at += length;
  }
  return false;
}

/** A connection left for the login deadline, and the input that left it: its number, how it went out, its wire. */
interface Waiting extends Handshake {
  readonly input: number;
  readonly how: string;
  readonly wire: Uint8Array;
}

function tlsTarget(seed: string): Target {
  let made: Promise<ServerTls> | undefined;
  const f = new TdsFuzz(seed, 'tds-tls', () => (made ??= makeServerTls(seed)));
  const rnd = new SeededRandom(`${seed}:tds-tls-raw`);
  const hello = clientHello(seed);
  // The second flight joins the bases at the first input (it needs the server): from the second
  // batch on, every other batch is made from it. It holds that handshake's ephemeral key, so the
  // inputs made from it are the same within a run, not across runs; a failure saves what was sent.
  let secondFlightAdded = false;
  const waiting: Waiting[] = [];
  const alerts = new Map<string, number>();
  let n = 0;
  let seconds = 0;
  let tds8 = 0;
  let leftWaiting = 0;

  /** Read what came on `w` since (checked); whether the server has closed it. */
  async function drain(w: Waiting): Promise<boolean> {
    for (;;) {
      const r = await nextRecords(w, 0, `input #${w.input} (${w.how}), later`);
      if (r !== 'records') return r === 'closed';
    }
  }

  /**
   * The connections left for the login deadline: closed ones dropped, the oldest must be closed by
   * TLS_CLOSE_BY_MS; with MAX_WAITING left, this waits for the oldest to close.
   */
  async function sweep(ctx: Context): Promise<void> {
    for (;;) {
      for (let i = 0; i < waiting.length; ) {
        if (await drain(waiting[i]!)) waiting.splice(i, 1);
        else i++;
      }
      const oldest = waiting[0];
      if (oldest === undefined) return;
      const age = performance.now() - oldest.c.opened;
      if (age > TLS_CLOSE_BY_MS) {
        waiting.shift();
        oldest.c.socket.destroy();
        // Saved as this input's built message: the bytes that left it.
        target.lastBuilt = oldest.wire;
        throw new InvariantError(
          `input #${oldest.input} (${oldest.how}; its wire is saved as the built message) left a handshake that cannot complete, ` +
            `and the server has not closed it ${age.toFixed(0)} ms after it opened (login deadline ${LOGIN_TIMEOUT_MS} ms); ` +
            `server log: ${ctx.log()}`,
        );
      }
      if (waiting.length < MAX_WAITING) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What the server does with a flight just sent: answers (then closes or waits), closes, or waits. */
  async function watch(h: Handshake, bare: boolean, what: string): Promise<string> {
    const from = h.records.seen.length;
    let answered = false;
    for (;;) {
      const r = await nextRecords(h, TLS_LOOK_MS, what);
      if (r === 'records') {
        answered = true;
        continue;
      }
      const got = h.records.seen.slice(from);
      const alert = got.find((x) => x.type === TLS_ALERT);
      if (alert !== undefined) {
        const key = `${alert.body[0] === 2 ? 'fatal' : `level ${alert.body[0]}`} ${alert.body[1]}`;
        alerts.set(key, (alerts.get(key) ?? 0) + 1);
      }
      const answer = !answered
        ? ''
        : bare
          ? 'answered bare, '
          : alert !== undefined
            ? 'alert, '
            : h.records.flightDone && got.length > 0
              ? 'server flight, '
              : 'answered, ';
      return `${answer}${r === 'closed' ? 'closed' : 'waiting'}`;
    }
  }

  const target: Target = {
    name: 'tds-tls',
    weight: 1,
    inputs: new InputStream(seed, 'tds-tls', [hello], [TLS_HANDSHAKE, TLS_ALERT]),
    async run(bytes) {
      const input = n++;
      const ctx = await f.begin();
      if (!secondFlightAdded) {
        secondFlightAdded = true;
        target.inputs.addBase(await secondFlight(ctx));
      }
      await sweep(ctx);
      const second = isSecondFlight(bytes);
      if (second) seconds++;
      if (!second && input % TLS_FIRST_EVERY === 3) {
        // TDS 8.0: a (damaged) ClientHello as the connection's first bytes; the server answers in bare TLS.
        const h: Handshake = { c: await tdsConnection(ctx.port), records: new TlsRecords() };
        target.lastBuilt = bytes;
        h.c.bare();
        h.c.write(bytes);
        const outcome = await watch(h, true, "the server's answer to a damaged TDS 8.0 ClientHello");
        ctx.checkBugs();
        if (outcome.endsWith('waiting')) {
          waiting.push({ ...h, input, how: 'TDS 8.0 first flight', wire: bytes });
          leftWaiting++;
        } else h.c.socket.destroy();
        target.lastBuilt = undefined;
        tds8++;
        return `TDS 8.0 first flight: ${outcome}`;
      }
      const packets = encodePackets(TdsPacketType.PRELOGIN, bytes, { packetSize: DEFAULT_PACKET_SIZE });
      const raw =
        input % TLS_RAW_EVERY === TLS_RAW_EVERY - 1 ? damagePackets(rnd, packets, bytes) : undefined;
      const wire = raw?.wire ?? packets;
      const bare = reachesBareRecord(wire);
      const how = `${second ? 'second flight' : 'first flight'}${raw ? `, ${raw.how}` : ''}${bare ? ', bare' : ''}`;
      const h = await openHandshake(ctx, second ? hello : undefined);
      target.lastBuilt = wire;
      if (bare) h.c.bare();
      h.c.write(wire);
      const outcome = await watch(h, bare, `the server's answer to a damaged ${how}`);
      ctx.checkBugs();
      if (outcome.endsWith('waiting')) {
        waiting.push({ ...h, input, how, wire });
        leftWaiting++;
      } else h.c.socket.destroy();
      target.lastBuilt = undefined;
      if (raw === undefined) return second ? `second flight: ${outcome}` : outcome;
      const label = `${bare ? 'bare' : 'header'}: ${outcome}`;
      f.raw.set(label, (f.raw.get(label) ?? 0) + 1);
      return `raw, ${label}`;
    },
    async finish() {
      // The server's deadlines must close what is still waiting: f.finish waits for them, then checks.
      f.leftOpen.push(...waiting.splice(0).map((w) => w.c));
      const alertList = [...alerts]
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      await f.finish(
        target,
        `second flights ${seconds}; TDS 8.0 first flights ${tds8}; left for the login deadline ${leftWaiting}; alerts (level description): ${alertList || 'none'}; `,
      );
    },
  };
  return target;
}

/** The TDS targets, each against its own serveTds on 127.0.0.1 (started at its first input, closed by its finish). */
export function tdsTargets(seed: string): Target[] {
  return [
    preloginTarget(seed),
    login7Target(seed),
    batchTarget(seed),
    transactionTarget(seed),
    tlsTarget(seed),
  ];
}
