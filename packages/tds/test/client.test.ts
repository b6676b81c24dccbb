/**
 * The client (`connectTds`): its side of TLS (the server's certificate is
 * checked against the CAs and the host connected to, or the name the
 * caller gives, connection by connection, although connections that trust
 * the same CAs share one TLS context), what it answers once the server has
 * closed or cannot be reached, its deadlines (a batch's cancelled with
 * ATTENTION), and its refusals of a server that breaks the protocol
 * (scripted servers, and a proxy that tampers with TLS records in transit):
 * each fails the request that waits with a TdsError naming what was wrong,
 * and closes the connection, so no later request gets an earlier answer.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import {
  connectTds,
  DoneStatus,
  decodePacketHeader,
  decodeSqlBatch,
  decodeTransactionManagerRequest,
  Encryption,
  EnvChangeType,
  encodePackets,
  encodePrelogin,
  encodeTokens,
  IsolationLevel,
  isTdsError,
  loginFailed,
  PacketReader,
  serveTds,
  type TdsAuthenticate,
  type TdsMessage,
  TdsPacketType,
  type TdsTokenValue,
  TdsVersion,
} from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate, type PemCertificate } from '@krbsim/transport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualTimers, until } from './helpers';

let ca: PemCertificate;
let otherCa: PemCertificate;
let cert: PemCertificate;
let localhostCert: PemCertificate;
beforeAll(async () => {
  ca = await createSelfSignedCa({ commonName: 'tds client test CA' });
  otherCa = await createSelfSignedCa({ commonName: 'another CA' });
  cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'], ipAddresses: ['127.0.0.1'] });
  localhostCert = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: [] });
});

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const authenticate: TdsAuthenticate = ({ sspi }) =>
  sspi[0] === 0x60
    ? { kind: 'accepted', responseToken: undefined, session: { login: 'CONTOSO\\alice' } }
    : { kind: 'refused', error: loginFailed('CONTOSO\\bob') };

async function listen(certificate = cert): Promise<number> {
  const server = await serveTds({
    serverName: 'mi1',
    cert: certificate.certPem,
    key: certificate.keyPem,
    authenticate,
  });
  closers.push(() => server.close());
  return server.port;
}

type Tls = NonNullable<Parameters<typeof connectTds>[0]['tls']>;

/** Connects with `tls` (to `host`, default 127.0.0.1) and logs in; resolves with 'ok' or the TdsError's reason and message. */
async function attempt(port: number, tls: Tls, host?: string): Promise<string> {
  try {
    const c = await connectTds({ port, encryption: 'on', tls, ...(host !== undefined && { host }) });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    return r.ok ? 'ok' : `refused ${r.error.number}`;
  } catch (e) {
    if (!isTdsError(e)) throw e;
    return `${e.reason}: ${e.message}`;
  }
}

/** A login refusal as SQL Server sends it: ERROR 18456 for bob, then DONE with DONE_ERROR. */
function loginRefusal(): Uint8Array {
  return tokensAnswer([
    {
      type: 'ERROR',
      ...loginFailed('CONTOSO\\bob'),
      serverName: 'mi1',
      procName: '',
      lineNumber: 1,
    },
    { type: 'DONE', status: DoneStatus.ERROR, curCmd: 0, rowCount: 0 },
  ]);
}

describe('connectTds TLS', () => {
  it('checks the certificate against the CAs given, on every connection, whichever came before', async () => {
    const port = await listen();
    const right = { ca: ca.certPem, servername: 'mi1.test' };
    expect(await attempt(port, right)).toBe('ok');
    // Another CA after the right one: refused, not served from the first's context.
    expect(await attempt(port, { ca: otherCa.certPem, servername: 'mi1.test' })).toMatch(
      /^tls: TLS: .*(self[- ]signed|unable to verify|unable to get)/i,
    );
    // The right CA in a list with another, and alone again.
    expect(await attempt(port, { ca: [otherCa.certPem, ca.certPem], servername: 'mi1.test' })).toBe('ok');
    expect(await attempt(port, right)).toBe('ok');
  });

  it('checks the name on every connection that shares a context', async () => {
    const port = await listen();
    expect(await attempt(port, { ca: ca.certPem, servername: 'mi1.test' })).toBe('ok');
    expect(await attempt(port, { ca: ca.certPem, servername: 'mi2.test' })).toMatch(
      /^tls: TLS: .*(mi2\.test|altnames|does not match)/i,
    );
    expect(await attempt(port, { ca: otherCa.certPem, rejectUnauthorized: false })).toBe('ok');
    expect(await attempt(port, { ca: otherCa.certPem, servername: 'mi1.test' })).toMatch(/^tls: /);
  });

  it('keeps the 8 contexts last made; a connection whose context was dropped is checked as before', async () => {
    const port = await listen();
    for (let n = 1; n <= 9; n++) {
      expect(await attempt(port, { ca: Array(n).fill(ca.certPem), servername: 'mi1.test' })).toBe('ok');
    }
    // The one-CA list's context, the oldest of these, was dropped: made again, it checks the same.
    expect(await attempt(port, { ca: [ca.certPem], servername: 'mi1.test' })).toBe('ok');
    expect(await attempt(port, { ca: [ca.certPem], servername: 'mi2.test' })).toMatch(/^tls: /);
    expect(await attempt(port, { ca: [otherCa.certPem], servername: 'mi1.test' })).toMatch(/^tls: /);
  });

  it('checks the certificate against the host connected to unless told another name; an IP address as an IP address', async () => {
    // Issued for mi1.test and 127.0.0.1: connecting to 127.0.0.1 with no name given is checked against that address.
    const port = await listen();
    expect(await attempt(port, { ca: ca.certPem })).toBe('ok');
    expect(await attempt(port, { ca: ca.certPem, servername: '127.0.0.1' })).toBe('ok');
    expect(await attempt(port, { ca: ca.certPem, servername: '127.0.0.2' })).toMatch(
      /^tls: TLS: .*IP: 127\.0\.0\.2 is not in the cert's list/,
    );
    // Issued for localhost only: not a certificate for 127.0.0.1, whatever Node's default name would be.
    const onlyLocalhost = await listen(localhostCert);
    expect(await attempt(onlyLocalhost, { ca: ca.certPem })).toMatch(
      /^tls: TLS: .*IP: 127\.0\.0\.1 is not in the cert's list/,
    );
    expect(await attempt(onlyLocalhost, { ca: ca.certPem, servername: 'localhost' })).toBe('ok');
    // A host name is checked as a name: the mi1.test certificate is not one for localhost.
    expect(await attempt(port, { ca: ca.certPem }, 'localhost')).toMatch(/^tls: TLS: .*localhost/);
    expect(await attempt(onlyLocalhost, { ca: ca.certPem }, 'localhost')).toBe('ok');
  });

  it('trusts only the CAs given: with none, the server must chain to a root CA Node knows', async () => {
    const port = await listen();
    expect(await attempt(port, { servername: 'mi1.test' })).toMatch(/^tls: /);
  });
});

describe('connectTds after the server closes', () => {
  it('rejects every later request with a closed TdsError, whether or not one was waiting', async () => {
    const port = await listen();
    const c = await connectTds({ port, encryption: 'on', tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    // A refused login: the server sends its ERROR and DONE, then closes.
    const r = await c.login({ sspi: Uint8Array.of(0x01) });
    expect(r.ok).toBe(false);
    await c.closed;
    for (let i = 0; i < 2; i++) {
      const e = await c.batch('SELECT 1').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isTdsError(e) && [e.reason, e.message]).toEqual([
        'closed',
        'connection: the server closed the connection',
      ]);
    }
  });
});

describe('connectTds batches', () => {
  it("collects a batch's ERROR tokens apart from its results", async () => {
    const port = await listen();
    const c = await connectTds({ port, encryption: 'on', tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    const b = await c.batch('DROP TABLE x; SELECT 1');
    expect(b.errors.map((e) => [e.number, e.class])).toEqual([[50000, 16]]);
    expect(b.results.map((r) => r.rows)).toEqual([[[1]]]);
  });

  it("names in each batch's ALL_HEADERS the transaction the server opened, and none once it ended (MS-TDS 2.2.5.3.2)", async () => {
    const port = await listen();
    const c = await connectTds({ port, encryption: 'on', tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    // The listener refuses a batch that names no transaction while one is open (3989), or another (3971).
    const envTypes = (b: { tokens: readonly TdsTokenValue[] }) =>
      b.tokens.flatMap((t) => (t.type === 'ENVCHANGE' ? [t.envType] : []));
    expect(envTypes(await c.batch('BEGIN TRAN'))).toEqual([EnvChangeType.BEGIN_TRANSACTION]);
    expect((await c.batch('SELECT 1')).errors).toEqual([]);
    expect(envTypes(await c.batch('COMMIT'))).toEqual([EnvChangeType.COMMIT_TRANSACTION]);
    expect((await c.batch('SELECT 1')).errors).toEqual([]);
    await c.batch('BEGIN TRAN');
    expect(envTypes(await c.batch('ROLLBACK'))).toEqual([EnvChangeType.ROLLBACK_TRANSACTION]);
    expect((await c.batch('SELECT 1')).errors).toEqual([]);
    // What it writes: the descriptor of ENVCHANGE BEGIN_TRANSACTION, as it came, and OutstandingRequestCount 1.
    const { s, d } = await answeringTransactions((m) => {
      const sql = decodeSqlBatch(m.payload).sqlText;
      return {
        BEGIN: EnvChangeType.BEGIN_TRANSACTION,
        END: EnvChangeType.ROLLBACK_TRANSACTION,
        ENLIST: EnvChangeType.ENLIST_DTC_TRANSACTION,
        DEFECT: EnvChangeType.DEFECT_TRANSACTION,
        ENDED: EnvChangeType.TRANSACTION_ENDED,
      }[sql];
    });
    // As SqlClient reads them: a DTC enlistment (11) names a transaction too, a defection (12) or a
    // transaction ended elsewhere (17) ends it.
    const script = ['a', 'BEGIN', 'b', 'END', 'c', 'BEGIN', 'ENDED', 'd', 'ENLIST', 'e', 'DEFECT', 'f'];
    for (const sql of script) await d.batch(sql);
    const none = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    const named = [0x21, 0, 0, 0, 0x35, 0, 0, 0, 1, 0, 0, 0];
    expect(s.seen.slice(2).map((m) => [...decodeSqlBatch(m.payload).headers[0]!.data])).toEqual([
      none, // a
      none, // BEGIN
      named, // b
      named, // END
      none, // c
      none, // BEGIN
      named, // ENDED
      none, // d
      none, // ENLIST
      named, // e
      named, // DEFECT
      none, // f
    ]);
  });
});

/** The descriptor {@link answeringTransactions}' server hands out. */
const SCRIPTED_DESCRIPTOR = Uint8Array.of(0x21, 0, 0, 0, 0x35, 0, 0, 0);

/**
 * A scripted server, and a client logged in to it, that answers each request after the login with the
 * ENVCHANGE `envTypeOf` names (none: a bare DONE): a type that begins a transaction (8, 11) with
 * {@link SCRIPTED_DESCRIPTOR} as its new value, any other with it as the old value.
 */
async function answeringTransactions(envTypeOf: (m: TdsMessage) => number | undefined) {
  const s = await scripted((m, n) => {
    if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
    if (n === 1) return LOGGED_IN;
    const envType = envTypeOf(m);
    if (envType === undefined) return tokensAnswer([DONE]);
    const began =
      envType === EnvChangeType.BEGIN_TRANSACTION || envType === EnvChangeType.ENLIST_DTC_TRANSACTION;
    const none = new Uint8Array(0);
    return tokensAnswer([
      {
        type: 'ENVCHANGE',
        envType,
        newValue: began ? SCRIPTED_DESCRIPTOR : none,
        oldValue: began ? none : SCRIPTED_DESCRIPTOR,
      },
      DONE,
    ]);
  });
  const d = await connectTds({ port: s.port, encryption: 'not-supported' });
  closers.push(() => d.close());
  await d.login({ sspi: Uint8Array.of(0x60, 0x00) });
  return { s, d };
}

describe('connectTds transactions by transaction manager requests', () => {
  it('begins, commits and rolls back with TM requests, naming the transaction in each request as for batches (MS-TDS 2.2.6.9)', async () => {
    const port = await listen();
    const c = await connectTds({ port, encryption: 'on', tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    const envTypes = (b: { tokens: readonly TdsTokenValue[] }) =>
      b.tokens.flatMap((t) => (t.type === 'ENVCHANGE' ? [t.envType] : []));
    const tranCount = async () => (await c.batch('SELECT @@TRANCOUNT')).results[0]!.rows;
    // The listener refuses a request naming no transaction while one is open (3989), or another (3971).
    expect(
      envTypes(await c.beginTransaction({ name: 'tx', isolationLevel: IsolationLevel.SNAPSHOT })),
    ).toEqual([EnvChangeType.BEGIN_TRANSACTION]);
    expect(await tranCount()).toEqual([[1]]);
    expect(envTypes(await c.commit())).toEqual([EnvChangeType.COMMIT_TRANSACTION]);
    expect(await tranCount()).toEqual([[0]]);
    expect((await c.rollback()).errors.map((e) => e.number)).toEqual([3903]);
    // A transaction a batch began is the one a TM request ends, and the other way round.
    await c.batch('BEGIN TRAN');
    expect(envTypes(await c.rollback())).toEqual([EnvChangeType.ROLLBACK_TRANSACTION]);
    await c.beginTransaction();
    expect(envTypes(await c.batch('COMMIT'))).toEqual([EnvChangeType.COMMIT_TRANSACTION]);
    expect((await c.commit()).errors.map((e) => e.number)).toEqual([3902]);
    // What it writes: the request, and the descriptor the server handed out, as it came.
    const { s, d } = await answeringTransactions((m) =>
      decodeTransactionManagerRequest(m.payload).request.type === 'begin'
        ? EnvChangeType.BEGIN_TRANSACTION
        : EnvChangeType.COMMIT_TRANSACTION,
    );
    await d.beginTransaction({ name: 'a', isolationLevel: IsolationLevel.READ_COMMITTED });
    await d.commit();
    await d.rollback();
    expect(s.seen.slice(2).map((m) => m.type)).toEqual(Array(3).fill(TdsPacketType.TRANSACTION_MANAGER));
    expect(s.seen.slice(2).map((m) => decodeTransactionManagerRequest(m.payload))).toEqual([
      {
        headers: [{ type: 2, data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0) }],
        request: { type: 'begin', isolationLevel: 2, name: 'a' },
      },
      {
        headers: [{ type: 2, data: Uint8Array.of(0x21, 0, 0, 0, 0x35, 0, 0, 0, 1, 0, 0, 0) }],
        request: { type: 'commit', name: '' },
      },
      {
        headers: [{ type: 2, data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0) }],
        request: { type: 'rollback', name: '' },
      },
    ]);
  });
});

/** A server that answers each client message (the TLS handshake's PRELOGIN packets too) as `answer` says. */
async function scripted(answer: (m: TdsMessage, n: number, socket: Socket) => Uint8Array | undefined) {
  const seen: TdsMessage[] = [];
  const sockets = new Set<Socket>();
  let closes = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      closes++;
      sockets.delete(socket);
    });
    const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 }, { keepPackets: true });
    socket.on('data', (d: Buffer) => {
      for (const m of reader.push(new Uint8Array(d))) {
        seen.push(m);
        const out = answer(m, seen.length - 1, socket);
        if (out !== undefined && !socket.destroyed) socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen, closes: () => closes };
}

const preloginAnswer = (encryption: number) =>
  encodePackets(
    TdsPacketType.TABULAR_RESULT,
    encodePrelogin({ version: { major: 16, minor: 0, build: 4100, subBuild: 1 }, encryption }),
  );
const tokensAnswer = (tokens: readonly TdsTokenValue[]) =>
  encodePackets(TdsPacketType.TABULAR_RESULT, encodeTokens(tokens));
const DONE: TdsTokenValue = { type: 'DONE', status: DoneStatus.FINAL, curCmd: 0, rowCount: 0 };
const LOGGED_IN = tokensAnswer([
  {
    type: 'LOGINACK',
    interface: 1,
    tdsVersion: TdsVersion.V7_4,
    progName: 'Microsoft SQL Server',
    progVersion: { major: 16, minor: 0, build: 4100 },
  },
  DONE,
]);

/** `reason message` of the TdsError `p` rejects with. */
async function why(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTdsError(e)) return `${e.reason} ${e.message}`;
    throw e;
  }
  return 'resolved';
}

describe('connectTds refuses a server that breaks the protocol', () => {
  it('refuses an ENCRYPTION answer its offer does not allow, or that is no encryption value, and closes', async () => {
    for (const [answer, offer, text] of [
      [Encryption.OFF, 'on', 'the server answered ENCRYPT_OFF to ENCRYPT_ON'],
      [Encryption.ON, 'not-supported', 'the server requires encryption, which this client cannot do'],
      [Encryption.REQ, 'not-supported', 'the server requires encryption, which this client cannot do'],
      [0x05, 'off', '0x5 is not an encryption value'],
    ] as const) {
      const s = await scripted(() => preloginAnswer(answer));
      expect(await why(connectTds({ port: s.port, encryption: offer }))).toBe(
        `unexpected PRELOGIN.ENCRYPTION: ${text}`,
      );
      await until(() => s.closes() === 1);
    }
  });

  it('refuses a real server that requires encryption when it cannot encrypt', async () => {
    const port = await listen();
    expect(await why(connectTds({ port, encryption: 'not-supported' }))).toBe(
      'unexpected PRELOGIN.ENCRYPTION: the server requires encryption, which this client cannot do',
    );
  });

  it('gives up, and closes, when the PRELOGIN answer does not come or does not decode', async () => {
    const timers = new ManualTimers();
    const silent = await scripted(() => undefined);
    const pending = why(connectTds({ port: silent.port, encryption: 'on', timers, timeoutMs: 1000 }));
    await until(() => silent.seen.length === 1);
    expect(timers.pending()).toEqual([1000]);
    expect(timers.fire()).toBe(1);
    expect(await pending).toBe('timeout PRELOGIN response: no answer in 1000 ms');
    await until(() => silent.closes() === 1); // the connection is not left open

    const garbled = await scripted(() =>
      encodePackets(TdsPacketType.TABULAR_RESULT, Uint8Array.of(0x01, 0xff)),
    );
    expect(await why(connectTds({ port: garbled.port, encryption: 'on' }))).toBe(
      'malformed PRELOGIN.option[0]: truncated',
    );
    await until(() => garbled.closes() === 1);
  });

  it('refuses a PRELOGIN answer in a packet other than TABULAR_RESULT, and closes', async () => {
    // Section 3.2.5.1: the answer is a table response (0x04), however well its payload decodes.
    for (const [type, text] of [
      [TdsPacketType.PRELOGIN, '0x12'],
      [TdsPacketType.SQL_BATCH, '0x1'],
    ] as const) {
      const s = await scripted(() =>
        encodePackets(
          type,
          encodePrelogin({
            version: { major: 16, minor: 0, build: 4100, subBuild: 1 },
            encryption: Encryption.NOT_SUP,
          }),
        ),
      );
      expect(await why(connectTds({ port: s.port, encryption: 'not-supported' }))).toBe(
        `unexpected packet.Type: ${text} in answer to PRELOGIN`,
      );
      await until(() => s.closes() === 1);
    }
  });

  it('rejects a port out of range with the RangeError of node:net, nothing else', async () => {
    await expect(connectTds({ port: 70_000 })).rejects.toThrow(RangeError);
  });

  it('refuses a packet longer than it reads, failing the request that waits, and closes', async () => {
    // A header whose Length says 40 000 bytes: more than the 32 767 a packet may have.
    const s = await scripted(() => Uint8Array.of(TdsPacketType.TABULAR_RESULT, 0x01, 0x9c, 0x40, 0, 0, 0, 0));
    expect(await why(connectTds({ port: s.port, encryption: 'on' }))).toBe(
      'too-large packet.Length: 40000 bytes is more than 32767',
    );
    await until(() => s.closes() === 1);
  });

  it('fails a TLS handshake the server answers with a packet other than PRELOGIN at once, naming it', async () => {
    const s = await scripted((_, n) =>
      n === 0 ? preloginAnswer(Encryption.ON) : encodePackets(TdsPacketType.TABULAR_RESULT, Uint8Array.of(1)),
    );
    // Not the deadline: the refusal itself, as soon as the packet comes.
    expect(await why(connectTds({ port: s.port, encryption: 'on', timeoutMs: 10_000 }))).toBe(
      'unexpected packet.Type: 0x04 during the TLS handshake (PRELOGIN, 0x12, carries it)',
    );
    await until(() => s.closes() === 1);
  });

  it('gives up a TLS handshake the server never answers when its deadline fires, and closes', async () => {
    const timers = new ManualTimers();
    const s = await scripted((_, n) => (n === 0 ? preloginAnswer(Encryption.ON) : undefined));
    const pending = why(connectTds({ port: s.port, encryption: 'on', timers, timeoutMs: 1000 }));
    await until(() => s.seen.length === 2); // the ClientHello, which gets no answer
    expect(timers.pending()).toEqual([1000]);
    expect(timers.fire()).toBe(1);
    expect(await pending).toBe('timeout TLS: the TLS handshake did not complete');
    await until(() => s.closes() === 1);
  });

  it('refuses an answer to LOGIN7 of another packet type, or with neither LOGINACK, ERROR nor SSPI', async () => {
    for (const [reply, text] of [
      [
        encodePackets(TdsPacketType.SQL_BATCH, Uint8Array.of(0)),
        'unexpected packet.Type: 0x1 in answer to LOGIN7',
      ],
      [tokensAnswer([DONE]), 'unexpected login response: neither LOGINACK, ERROR nor SSPI'],
      [
        tokensAnswer([{ type: 'SSPI', token: Uint8Array.of(0xa1, 0x00) }]),
        'unsupported SSPI: the server asks for another leg and no `next` was given',
      ],
    ] as const) {
      const s = await scripted((_, n) => (n === 0 ? preloginAnswer(Encryption.NOT_SUP) : reply));
      const c = await connectTds({ port: s.port, encryption: 'not-supported' });
      closers.push(() => c.close());
      expect(await why(c.login({ sspi: Uint8Array.of(0x60, 0x00) }))).toBe(text);
      // A login that failed leaves no connection to use (MS-TDS 3.2.5: Final State).
      await until(() => s.closes() === 1);
      expect(await why(c.batch('SELECT 1'))).toBe(text);
    }
  });

  it('refuses an answer of more than 65536 tokens with a too-large TdsError, at login and to a batch, and closes', async () => {
    // 4 MiB of empty ENVCHANGEs (6 bytes each): some 700 000 tokens, were they all read.
    const empty = encodeTokens([
      {
        type: 'ENVCHANGE',
        envType: EnvChangeType.RESET_CONNECTION_ACK,
        newValue: new Uint8Array(0),
        oldValue: new Uint8Array(0),
      },
    ]);
    const flood = new Uint8Array(6 * Math.floor((4 * 1024 * 1024 - 8 * 1024) / 6));
    for (let at = 0; at < flood.length; at += 6) flood.set(empty, at);
    const text = 'too-large token: more than 65536 tokens in one message (at offset 393216)';
    const atLogin = await scripted((_, n) =>
      n === 0 ? preloginAnswer(Encryption.NOT_SUP) : encodePackets(TdsPacketType.TABULAR_RESULT, flood),
    );
    const c = await connectTds({ port: atLogin.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    expect(await why(c.login({ sspi: Uint8Array.of(0x60, 0x00) }))).toBe(text);
    const toBatch = await scripted((_, n) =>
      n === 0
        ? preloginAnswer(Encryption.NOT_SUP)
        : n === 1
          ? LOGGED_IN
          : encodePackets(TdsPacketType.TABULAR_RESULT, flood),
    );
    const b = await connectTds({ port: toBatch.port, encryption: 'not-supported' });
    closers.push(() => b.close());
    expect((await b.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    expect(await why(b.batch('SELECT 1'))).toBe(text);
    await until(() => toBatch.closes() === 1);
  });

  it('fails a login whose `next` throws with a TdsError whose cause is what it threw, and closes', async () => {
    const s = await scripted((_, n) =>
      n === 0
        ? preloginAnswer(Encryption.NOT_SUP)
        : tokensAnswer([{ type: 'SSPI', token: Uint8Array.of(0xa1, 0x00) }]),
    );
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    const bug = new Error('no ticket for the second leg');
    const failed = await c
      .login({
        sspi: Uint8Array.of(0x60, 0x00),
        next: () => {
          throw bug;
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTdsError(failed) && [failed.reason, failed.message, failed.cause]).toEqual([
      'closed',
      'connection: closed: no ticket for the second leg',
      bug,
    ]);
    await until(() => s.closes() === 1);
  });

  it('refuses an answer to a batch of another packet type', async () => {
    const s = await scripted((_, n) =>
      n === 0
        ? preloginAnswer(Encryption.NOT_SUP)
        : n === 1
          ? LOGGED_IN
          : encodePackets(TdsPacketType.PRELOGIN, Uint8Array.of(0)),
    );
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    expect(await why(c.batch('SELECT 1'))).toBe('unexpected packet.Type: 0x12 in answer to a batch');
    await until(() => s.closes() === 1);
    expect(await why(c.batch('SELECT 2'))).toBe('unexpected packet.Type: 0x12 in answer to a batch');
    expect(s.seen.length).toBe(3); // the second batch was never sent
  });

  it('closes on an answer whose tokens do not decode: the next request gets no answer meant for another', async () => {
    // A truncated DONE, then an answer that a connection left open would hand to the next batch.
    const s = await scripted((_, n) =>
      n === 0
        ? preloginAnswer(Encryption.NOT_SUP)
        : n === 1
          ? LOGGED_IN
          : n === 2
            ? encodePackets(TdsPacketType.TABULAR_RESULT, Uint8Array.of(0xfd, 0x00))
            : tokensAnswer([{ ...DONE, rowCount: 7 } as TdsTokenValue]),
    );
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    const text = 'malformed DONE@0.Status: truncated: 2 bytes needed at offset 1, 1 left';
    expect(await why(c.batch('SELECT 1'))).toBe(text);
    await until(() => s.closes() === 1);
    await c.closed;
    expect(await why(c.batch('SELECT 2'))).toBe(text);
  });

  it('keeps one message that comes before the request it answers; a second closes the connection', async () => {
    const extra = tokensAnswer([DONE]);
    // Two messages no request asked for, after the LOGINACK: the first would answer the next batch, the second cannot.
    const s = await scripted((_, n) =>
      n === 0
        ? preloginAnswer(Encryption.NOT_SUP)
        : Uint8Array.from([...LOGGED_IN, ...Array.from({ length: 1000 }, () => [...extra]).flat()]),
    );
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    await until(() => s.closes() === 1);
    expect(await why(c.batch('SELECT 1'))).toBe(
      'unexpected connection: a second message that no request asked for (a server sends one answer per request)',
    );
  });

  it('reads a message the server sent before the request it answers', async () => {
    // The PRELOGIN answer and, ahead of LOGIN7, a login refusal: LOGIN7 gets the one already there.
    const refusal = loginRefusal();
    const s = await scripted((_, n) =>
      n === 0 ? Uint8Array.from([...preloginAnswer(Encryption.NOT_SUP), ...refusal]) : undefined,
    );
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    expect(!r.ok && r.error.number).toBe(18456);
  });

  it('closes its connection after a refused login, without waiting for the server to', async () => {
    // Section 3.2.5.5: this server sends the ERROR and DONE, then holds the connection open.
    const refusal = loginRefusal();
    const s = await scripted((_, n) => (n === 0 ? preloginAnswer(Encryption.NOT_SUP) : refusal));
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    expect(!r.ok && [r.error.number, r.error.class, r.error.state]).toEqual([18456, 14, 1]);
    await until(() => s.closes() === 1);
    await c.closed;
    expect(s.seen.map((m) => m.type)).toEqual([TdsPacketType.PRELOGIN, TdsPacketType.LOGIN7]);
  });

  it('fails the request that waits with a closed TdsError when the server resets the connection', async () => {
    const s = await scripted((_, n, socket) => {
      if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
      socket.resetAndDestroy();
      return undefined;
    });
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    expect(await why(c.login({ sspi: Uint8Array.of(0x60, 0x00) }))).toMatch(
      /^closed connection: .*ECONNRESET/,
    );
  });

  it('refuses an answer whose TLS record was tampered with in transit', async () => {
    const target = await listen();
    let tamper = false;
    const proxy = createServer((inbound) => {
      const outbound = connect({ host: '127.0.0.1', port: target });
      inbound.on('error', () => {});
      outbound.on('error', () => {});
      inbound.on('data', (d) => outbound.write(d));
      outbound.on('data', (d: Buffer) => {
        const b = Buffer.from(d);
        if (tamper) b.writeUInt8(b[b.length - 1]! ^ 0x01, b.length - 1); // the record's last byte: its tag
        tamper = false;
        inbound.write(b);
      });
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const c = await connectTds({
      port: (proxy.address() as AddressInfo).port,
      encryption: 'on',
      tls: { ca: ca.certPem, servername: 'mi1.test' },
    });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    expect((await c.batch('SELECT 1')).results[0]!.rows).toEqual([[1]]);
    tamper = true;
    expect(await why(c.batch('SELECT 2'))).toMatch(
      /^tls TLS: .*(bad record mac|decrypt|cipher operation failed)/i,
    );
  });
});

const LOGINACK: TdsTokenValue = {
  type: 'LOGINACK',
  interface: 1,
  tdsVersion: TdsVersion.V7_4,
  progName: 'Microsoft SQL Server',
  progVersion: { major: 16, minor: 0, build: 4100 },
};

/** A server that logs in with `answer` to LOGIN7, then answers each batch with one row of `SELECT n`. */
async function loginAnswering(answer: Uint8Array) {
  return scripted((m, n) => {
    if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
    if (n === 1) return answer;
    const n2 = Number(/\d+$/.exec(Buffer.from(m.payload).toString('utf16le'))?.[0]);
    return tokensAnswer([
      { type: 'COLMETADATA', columns: [{ name: '', type: 'int' }] },
      { type: 'ROW', values: [n2] },
      DONE,
    ]);
  });
}

describe('connectTds: what a login answer may set', () => {
  it('takes a PACKET_SIZE of 512 to 32767 and writes its packets so; refuses any other at login, and closes', async () => {
    const packetSize = (v: string) =>
      tokensAnswer([
        LOGINACK,
        { type: 'ENVCHANGE', envType: EnvChangeType.PACKET_SIZE, newValue: v, oldValue: '4096' },
        DONE,
      ]);
    for (const v of ['512', '32767']) {
      const s = await loginAnswering(packetSize(v));
      const c = await connectTds({ port: s.port, encryption: 'not-supported' });
      closers.push(() => c.close());
      const r = await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
      expect(r.ok && r.packetSize).toBe(Number(v));
      // A batch of 20 000 bytes goes in packets of that size (the last one shorter), and reads back whole.
      const text = `SELECT /*${'x'.repeat(9970)}*/ 7`;
      expect((await c.batch(text)).results[0]!.rows).toEqual([[7]]);
      const batch = s.seen[2]!;
      expect(Buffer.from(batch.payload).toString('utf16le').endsWith(text)).toBe(true);
      const lengths: number[] = [];
      for (let at = 0; at < batch.packets!.length; at += lengths[lengths.length - 1]!) {
        lengths.push(decodePacketHeader(batch.packets!.subarray(at)).length);
      }
      const size = Number(v);
      expect(lengths.slice(0, -1).every((l) => l === size) && lengths[lengths.length - 1]! <= size).toBe(
        true,
      );
      expect(lengths.length).toBe(Math.ceil(batch.payload.length / (size - 8)));
    }
    for (const [v, text] of [
      ['abc', "malformed ENVCHANGE.PACKET_SIZE.NewValue: 'abc' is not a packet size in decimal digits"],
      ['', "malformed ENVCHANGE.PACKET_SIZE.NewValue: '' is not a packet size in decimal digits"],
      ['4096 ', "malformed ENVCHANGE.PACKET_SIZE.NewValue: '4096 ' is not a packet size in decimal digits"],
      ['100000', 'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 100000 bytes is not 512 to 32767'],
      [
        '9'.repeat(40),
        'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 9999999999999999... bytes is not 512 to 32767',
      ],
      ['1', 'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 1 bytes is not 512 to 32767'],
      ['9', 'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 9 bytes is not 512 to 32767'],
      ['511', 'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 511 bytes is not 512 to 32767'],
      ['32768', 'unexpected ENVCHANGE.PACKET_SIZE.NewValue: 32768 bytes is not 512 to 32767'],
    ] as const) {
      const s = await loginAnswering(packetSize(v));
      const c = await connectTds({ port: s.port, encryption: 'not-supported' });
      closers.push(() => c.close());
      expect(await why(c.login({ sspi: Uint8Array.of(0x60, 0x00) })), v).toBe(text);
      await until(() => s.closes() === 1);
      expect(await why(c.batch('SELECT 1'))).toBe(text);
    }
  });

  it("refuses a ROUTING ENVCHANGE (Azure SQL's redirection), naming the server it routes to, and closes", async () => {
    const routing = (protocol: number, port: number, server: string, extra: number[] = []) => {
      const name = Buffer.from(server, 'utf16le');
      const value = Uint8Array.from([protocol, port & 0xff, port >> 8, server.length, 0, ...name, ...extra]);
      return tokensAnswer([
        LOGINACK,
        { type: 'ENVCHANGE', envType: EnvChangeType.ROUTING, newValue: value, oldValue: new Uint8Array(0) },
        DONE,
      ]);
    };
    for (const [answer, text] of [
      [
        routing(0, 11000, 'mi1.tr1.westeurope1-a.worker.database.windows.net'),
        "unsupported ENVCHANGE.ROUTING: the server routes this login to mi1.tr1.westeurope1-a.worker.database.windows.net:11000 (Azure SQL's redirection); this client does not follow a route: connect to mi1.tr1.westeurope1-a.worker.database.windows.net:11000 and log in there, with a token for that server",
      ],
      [routing(1, 11000, 'x'), 'unsupported ENVCHANGE.ROUTING.Protocol: 1 (0, TCP, is the only one)'],
      [routing(0, 0, 'x'), 'malformed ENVCHANGE.ROUTING.NewValue: no port to route to'],
      [routing(0, 11000, ''), 'malformed ENVCHANGE.ROUTING.NewValue: no server to route to'],
      [routing(0, 11000, 'x', [0]), 'malformed ENVCHANGE.ROUTING.NewValue: 1 bytes after the end'],
    ] as const) {
      const s = await loginAnswering(answer);
      const c = await connectTds({ port: s.port, encryption: 'not-supported' });
      closers.push(() => c.close());
      expect(await why(c.login({ sspi: Uint8Array.of(0x60, 0x00) }))).toBe(text);
      await until(() => s.closes() === 1);
    }
  });
});

describe('connectTds deadlines and requests', () => {
  it('cancels a batch whose answer is late with ATTENTION; the late answer reaches no later batch', async () => {
    const timers = new ManualTimers();
    const late = tokensAnswer([
      { type: 'COLMETADATA', columns: [{ name: '', type: 'int' }] },
      { type: 'ROW', values: [111] },
      DONE,
    ]);
    const ack = tokensAnswer([{ ...DONE, status: DoneStatus.ATTN } as TdsTokenValue]);
    const s = await scripted((m, n) => {
      if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
      if (n === 1) return LOGGED_IN;
      if (n === 2) return undefined; // the batch: answered only once ATTENTION comes, as a slow server would
      if (m.type === TdsPacketType.ATTENTION) return Uint8Array.from([...late, ...ack]);
      return tokensAnswer([
        { type: 'COLMETADATA', columns: [{ name: '', type: 'int' }] },
        { type: 'ROW', values: [222] },
        DONE,
      ]);
    });
    const c = await connectTds({ port: s.port, encryption: 'not-supported', timers, timeoutMs: 1000 });
    closers.push(() => c.close());
    await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    const first = why(c.batch('SELECT 111'));
    await until(() => s.seen.length === 3);
    expect(timers.pending()).toEqual([1000]);
    expect(timers.fire()).toBe(1);
    expect(await first).toBe(
      'timeout batch response: no answer in 1000 ms: the batch was cancelled (ATTENTION acknowledged), the connection stays open',
    );
    expect(timers.pending()).toEqual([]); // the cancel timer stopped with the acknowledgment
    expect((await c.batch('SELECT 222')).results[0]!.rows).toEqual([[222]]);
    expect(s.seen.map((m) => m.type)).toEqual([
      TdsPacketType.PRELOGIN,
      TdsPacketType.LOGIN7,
      TdsPacketType.SQL_BATCH,
      TdsPacketType.ATTENTION,
      TdsPacketType.SQL_BATCH,
    ]);
    expect(s.seen[3]!.payload.length).toBe(0);
    expect(s.closes()).toBe(0);
  });

  it("reads the listener's answer of 4096 columns, SQL Server's most; the listener refuses 4097 with 1056", async () => {
    const port = await listen();
    const c = await connectTds({ port, tls: { ca: ca.certPem } });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    const list = (n: number) => `SELECT ${Array.from({ length: n }, (_, i) => `${i} AS c${i}`).join(', ')}`;
    const most = await c.batch(list(4096));
    expect(most.results[0]!.columns).toHaveLength(4096);
    expect(most.results[0]!.columns[4095]).toEqual({ name: 'c4095', type: 'int' });
    expect(most.results[0]!.rows[0]![4095]).toBe(4095);
    const over = await c.batch(list(4097));
    expect(over.results).toEqual([]);
    expect(over.errors.map((e) => [e.number, e.class, e.msgText])).toEqual([
      [
        1056,
        15,
        'The number of elements in the select list exceeds the maximum allowed number of 4096 elements.',
      ],
    ]);
  });

  it('cancels against the real listener: its DONE_ATTN acknowledgment keeps the session', async () => {
    const timers = new ManualTimers();
    const port = await listen();
    const c = await connectTds({ port, tls: { ca: ca.certPem }, timers, timeoutMs: 1000 });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    // The deadline fires before the answer is read: the answer, then DONE_ATTN, are discarded.
    const first = why(c.batch('SELECT 1'));
    await Promise.resolve(); // the batch is sent and its deadline set, a microtask on: before any answer is read
    expect(timers.pending()).toEqual([1000]);
    expect(timers.fire()).toBe(1);
    expect(await first).toMatch(/^timeout batch response: .*ATTENTION acknowledged/);
    expect((await c.batch('SELECT 2')).results[0]!.rows).toEqual([[2]]);
  });

  it('closes when ATTENTION is not acknowledged in time, however many other messages come', async () => {
    const timers = new ManualTimers();
    const other = tokensAnswer([
      { type: 'COLMETADATA', columns: [{ name: '', type: 'int' }] },
      { type: 'ROW', values: [222] },
      DONE,
    ]);
    const s = await scripted((m, n) => {
      if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
      if (n === 1) return LOGGED_IN;
      // ATTENTION answered with results, not DONE_ATTN: discarded, the wait goes on.
      return m.type === TdsPacketType.ATTENTION ? other : undefined;
    });
    const c = await connectTds({ port: s.port, encryption: 'not-supported', timers, timeoutMs: 1000 });
    closers.push(() => c.close());
    await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    const first = why(c.batch('SELECT 111'));
    await until(() => s.seen.length === 3);
    expect(timers.fire()).toBe(1);
    await until(() => s.seen.length === 4);
    expect(timers.pending()).toEqual([1000]); // the cancel timer
    expect(timers.fire()).toBe(1);
    const text =
      "timeout ATTENTION: the batch's answer did not come in 1000 ms, nor the acknowledgment of the ATTENTION that cancelled it in 1000 ms more";
    expect(await first).toBe(text);
    await until(() => s.closes() === 1);
    expect(await why(c.batch('SELECT 222'))).toBe(text);
  });

  it('closes when a login answer does not come in time (the connection timer)', async () => {
    const timers = new ManualTimers();
    const s = await scripted((_, n) => (n === 0 ? preloginAnswer(Encryption.NOT_SUP) : undefined));
    const c = await connectTds({ port: s.port, encryption: 'not-supported', timers, timeoutMs: 1000 });
    closers.push(() => c.close());
    const login = why(c.login({ sspi: Uint8Array.of(0x60, 0x00) }));
    await until(() => s.seen.length === 2);
    expect(timers.fire()).toBe(1);
    expect(await login).toBe('timeout login response: no answer in 1000 ms');
    await until(() => s.closes() === 1);
  });

  it('runs requests one at a time: a batch called while another runs is sent once that one is answered', async () => {
    let answered = 0;
    const sentAfter: number[] = [];
    const s = await scripted((_, n, socket) => {
      if (n === 0) return preloginAnswer(Encryption.NOT_SUP);
      if (n === 1) return LOGGED_IN;
      sentAfter.push(answered);
      // Answered on a later turn of the event loop: a pipelined second batch would come before.
      setImmediate(() => {
        answered++;
        socket.write(tokensAnswer([DONE]));
      });
      return undefined;
    });
    const c = await connectTds({ port: s.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    await c.login({ sspi: Uint8Array.of(0x60, 0x00) });
    await Promise.all([c.batch('SELECT 1'), c.batch('SELECT 2'), c.batch('SELECT 3')]);
    expect(sentAfter).toEqual([0, 1, 2]);
  });

  it('wraps a refused TCP connection in a TdsError with its cause; a connect that does not finish meets the deadline', async () => {
    // A port nothing listens on: one a server held, then closed.
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', () => resolve()));
    const port = (held.address() as AddressInfo).port;
    await new Promise<void>((resolve) => held.close(() => resolve()));
    const e = await connectTds({ port, encryption: 'not-supported' }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isTdsError(e) && [e.reason, e.path, e.message]).toEqual([
      'closed',
      'connection',
      `connection: could not connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(((e as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');

    // The deadline runs from the connect: fired before the connection is made, it gives up and closes.
    const timers = new ManualTimers();
    const s = await scripted(() => undefined);
    const pending = why(connectTds({ port: s.port, encryption: 'not-supported', timers, timeoutMs: 1000 }));
    expect(timers.pending()).toEqual([1000]);
    expect(timers.fire()).toBe(1);
    expect(await pending).toBe(`timeout connection: could not connect to 127.0.0.1:${s.port} in 1000 ms`);
    expect(s.seen).toEqual([]);
  });
});
