/**
 * The client (`connectTds`): its side of TLS (the server's certificate is
 * checked against the CAs and the name the caller gives, connection by
 * connection, although connections that trust the same CAs share one TLS
 * context), what it answers once the server has closed, and its refusals
 * of a server that breaks the protocol (scripted servers, and a proxy that
 * tampers with TLS records in transit): each fails the request that waits
 * with a TdsError naming what was wrong, and closes the connection.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import {
  connectTds,
  DoneStatus,
  Encryption,
  encodePackets,
  encodePrelogin,
  encodeTokens,
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
beforeAll(async () => {
  ca = await createSelfSignedCa({ commonName: 'tds client test CA' });
  otherCa = await createSelfSignedCa({ commonName: 'another CA' });
  cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'], ipAddresses: ['127.0.0.1'] });
});

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const authenticate: TdsAuthenticate = ({ sspi }) =>
  sspi[0] === 0x60
    ? { kind: 'accepted', responseToken: undefined, session: { login: 'CONTOSO\\alice' } }
    : { kind: 'refused', error: loginFailed('CONTOSO\\bob') };

async function listen(): Promise<number> {
  const server = await serveTds({ serverName: 'mi1', cert: cert.certPem, key: cert.keyPem, authenticate });
  closers.push(() => server.close());
  return server.port;
}

type Tls = NonNullable<Parameters<typeof connectTds>[0]['tls']>;

/** Connects with `tls` and logs in; resolves with 'ok' or the TdsError's reason and message. */
async function attempt(port: number, tls: Tls): Promise<string> {
  try {
    const c = await connectTds({ port, encryption: 'on', tls });
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
    const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
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
    }
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
