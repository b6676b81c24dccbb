/**
 * Fuzzing a real `serveTds` (@krbsim/tds) on loopback (127.0.0.1 only),
 * encryption `not-supported` so that every byte reaches the message
 * parsers, with the built-in SQL surface behind an `authenticate` that
 * accepts one fixed SSPI token and refuses every other with 18452.
 *
 * - `tds-prelogin`: a damaged PRELOGIN as the first message of a fresh
 *   connection. The answer must be a PRELOGIN answer that decodes (then, if
 *   the client asked for TLS, a close), or the connection closes; a PRELOGIN
 *   that decodes with a valid ENCRYPTION must be answered, one that does not
 *   must not be.
 * - `tds-login7`: a good PRELOGIN, then a damaged LOGIN7. The answer must
 *   decode as a token stream ending in DONE, and be LOGINACK exactly when
 *   the LOGIN7 decodes with integrated security and the accepted token, or
 *   else an ERROR 4014 (it does not decode), 18456 (SQL authentication) or
 *   18452 (no token, or another token), after which the server closes.
 * - `tds-batch`: a damaged SQL_BATCH on a kept, logged-in session (a new one
 *   when the server closed it). A batch that decodes gets a token stream
 *   (results or the surface's errors) and the session stays open; one that
 *   does not gets ERROR 4014 and the connection closes.
 *
 * Every 32nd input of each target also goes out as raw packets with a
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

import { SeededRandom } from '@krbsim/core';
import {
  connectTds,
  DoneStatus,
  decodeLogin7,
  decodePrelogin,
  decodeSqlBatch,
  decodeTokens,
  Encryption,
  encodeLogin7,
  encodePackets,
  encodePrelogin,
  encodeSqlBatch,
  FeatureId,
  isTdsError,
  MAX_PACKET_SIZE,
  negotiateTdsVersion,
  OptionFlags2,
  PACKET_HEADER_BYTES,
  PacketReader,
  serveTds,
  TdsPacketStatus,
  TdsPacketType,
  type TdsServer,
  type TdsTokenValue,
  TdsVersion,
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
  // Asks for TLS: answered NOT_SUP, then closed.
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
  socket.on('data', (chunk: Buffer) => {
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

/** A serveTds as the brief sets it, what it reported, and a good client that must keep being served. */
async function startServer() {
  const bugs: unknown[] = [];
  const lastLog: string[] = [];
  const server: TdsServer = await serveTds({
    host: HOST,
    port: 0,
    serverName: SERVER_NAME,
    encryption: 'not-supported',
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
    /** Every GOOD_CLIENT_EVERY_MS: connect, log in with the accepted token, SELECT SUSER_SNAME(). */
    async goodClient(force = false) {
      if (!force && performance.now() - lastGood < GOOD_CLIENT_EVERY_MS) return;
      lastGood = performance.now();
      let client: Awaited<ReturnType<typeof connectTds>> | undefined;
      try {
        client = await connectTds({
          host: HOST,
          port: server.port,
          encryption: 'not-supported',
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
function readAsServer(
  stage: Stage,
  type: number,
  wire: Uint8Array,
): 'complete' | 'refused' | 'incomplete' | 'ignored' {
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
  if (messages.length === 0) return 'incomplete';
  // Section 2.2.3.1.2: in a session, a message with IGNORE set is discarded, unanswered.
  if (stage === 'session' && messages.every((m) => (m.status & TdsPacketStatus.IGNORE) !== 0))
    return 'ignored';
  return 'complete';
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
  #n = 0;

  constructor(seed: string, name: string) {
    this.#rnd = new SeededRandom(`${seed}:${name}-raw`);
  }

  async begin(): Promise<Context> {
    this.ctx ??= await startServer();
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
    return { must: 'answer', wantsTls: o === Encryption.ON || o === Encryption.REQ };
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
  return { answer: Buffer.from(login.sspi).equals(GOOD_SSPI) ? 'LOGINACK' : 18452, tdsVersion };
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
        if (![18456, 18452, 4014].includes(number))
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
  let session: TdsConnection | undefined;
  /** The server was to close the session (after a 4014). */
  let closing = false;
  let sessions = 0;
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
      if (session?.closed && !closing)
        throw new InvariantError(
          `the server closed a session after answering a batch without 4014; server log: ${ctx.log()}`,
        );
      if (session === undefined || session.closed) {
        session?.socket.destroy();
        session = await openAt(ctx, 'session');
        closing = false;
        sessions++;
      }
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
        closing = true;
        const after = await session.next(ANSWER_MS);
        if (after !== 'closed')
          throw new InvariantError(
            `after 4014 the server sent ${typeof after === 'string' ? after : 'another message'}, and did not close`,
          );
        return 'error-token 4014, closed';
      }
      if (!decodes)
        throw new InvariantError(`a SQL_BATCH that does not decode was answered: errors ${errors}`);
      if (errors.length === 0)
        return tokens.some((t) => t.type === 'ROW') ? 'answered: rows' : 'answered: done';
      return `error-token ${[...new Set(errors)].sort().join('+')}`;
    },
    async finish() {
      session?.socket.destroy();
      session = undefined;
      await f.finish(target, `sessions opened ${sessions}; `);
    },
  };
  return target;
}

/** The TDS targets, each against its own serveTds on 127.0.0.1 (started at its first input, closed by its finish). */
export function tdsTargets(seed: string): Target[] {
  return [preloginTarget(seed), login7Target(seed), batchTarget(seed)];
}
