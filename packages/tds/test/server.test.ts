/**
 * The TDS listener in process, spoken to over loopback in the clear
 * (ENCRYPT_NOT_SUP; the TLS paths are exercised by FreeTDS in
 * test/interop/tds-freetds.test.ts): a login, a batch, the product's
 * errors, and a peer that misbehaves while others are served.
 */
import { connect, type Socket } from 'node:net';
import {
  answerBatch,
  decodePrelogin,
  Encryption,
  encodeLogin7,
  encodePackets,
  encodePrelogin,
  PacketReader,
  PreloginOption,
  serveTds,
  type TdsMessage,
  TdsPacketType,
  TdsToken,
} from '@krbsim/tds';
import { afterEach, describe, expect, it } from 'vitest';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function listen(loginTimeoutMs?: number) {
  const server = await serveTds({
    serverName: 'mi1',
    encryption: 'login-only',
    ...(loginTimeoutMs !== undefined && { loginTimeoutMs }),
    authenticate: (login) =>
      login.sspi[0] === 0x60
        ? {
            ok: true,
            login: 'CONTOSO\\alice',
            responseToken: Uint8Array.of(0x6f, 0),
            query: (sql) =>
              answerBatch(sql, {
                login: 'CONTOSO\\alice',
                authScheme: 'KERBEROS',
                version: 'Microsoft SQL Azure (RTM)',
                spid: 51,
                isMember: (n) => (n === 'CONTOSO\\SqlAdmins' ? 1 : 0),
                isSrvRoleMember: () => 0,
              }),
          }
        : { ok: false, error: { number: 18456, state: 1, class: 14, text: "Login failed for user ''." } },
  });
  closers.push(() => server.close());
  return server;
}

/** A client that sends TDS messages and reads whole ones. */
async function client(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
  const queue: TdsMessage[] = [];
  const waiting: Array<(m: TdsMessage | undefined) => void> = [];
  socket.on('data', (d) => {
    for (const m of reader.push(new Uint8Array(d))) {
      const w = waiting.shift();
      if (w) w(m);
      else queue.push(m);
    }
  });
  socket.on('close', () => {
    for (const w of waiting.splice(0)) w(undefined);
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    send: (type: number, payload: Uint8Array) => socket.write(encodePackets(type, payload)),
    raw: (b: Uint8Array) => socket.write(b),
    next: () =>
      new Promise<TdsMessage | undefined>((r) => {
        const m = queue.shift();
        if (m !== undefined || socket.destroyed) r(m);
        else waiting.push(r);
      }),
    closed,
    end: () => socket.destroy(),
  };
}

const utf16 = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le'));
const batch = (sql: string) => {
  const headers = new Uint8Array(22);
  new DataView(headers.buffer).setUint32(0, 22, true);
  new DataView(headers.buffer).setUint32(4, 18, true);
  new DataView(headers.buffer).setUint16(8, 2, true);
  return Buffer.concat([headers, utf16(sql)]);
};
const prelogin = encodePrelogin([[PreloginOption.ENCRYPTION, Uint8Array.of(Encryption.NOT_SUP)]]);

async function login(port: number, sspi: Uint8Array) {
  const c = await client(port);
  c.send(TdsPacketType.PRELOGIN, prelogin);
  const answer = decodePrelogin((await c.next())!.payload);
  expect(answer.get(PreloginOption.ENCRYPTION)).toEqual(Uint8Array.of(Encryption.NOT_SUP));
  c.send(TdsPacketType.LOGIN7, encodeLogin7({ sspi }));
  return { c, reply: (await c.next())! };
}

describe('serveTds', () => {
  it('logs in, sends the SSPI token and LOGINACK, and answers the statements that show the login', async () => {
    const s = await listen();
    const { c, reply } = await login(s.port, Uint8Array.of(0x60, 0x00));
    const bytes = Buffer.from(reply.payload);
    expect(reply.payload[0]).toBe(TdsToken.SSPI);
    expect(bytes.includes(TdsToken.LOGINACK)).toBe(true);
    expect(bytes.includes(Buffer.from("Changed database context to 'master'.", 'utf16le'))).toBe(true);
    c.send(TdsPacketType.SQL_BATCH, batch('SELECT SUSER_SNAME()'));
    const rows = Buffer.from((await c.next())!.payload);
    expect(rows[0]).toBe(TdsToken.COLMETADATA);
    expect(rows.includes(Buffer.from('CONTOSO\\alice', 'utf16le'))).toBe(true);
    c.send(TdsPacketType.SQL_BATCH, batch('DROP TABLE x'));
    const err = Buffer.from((await c.next())!.payload);
    expect(err[0]).toBe(TdsToken.ERROR);
    expect(err.includes(Buffer.from('does not run', 'utf16le'))).toBe(true);
    c.end();
  });

  it('refuses a login with the error token the authenticator gives, then closes', async () => {
    const s = await listen();
    const { c, reply } = await login(s.port, Uint8Array.of(0x01));
    expect(reply.payload[0]).toBe(TdsToken.ERROR);
    expect(new DataView(reply.payload.buffer, reply.payload.byteOffset).getUint32(3, true)).toBe(18456);
    await c.closed;
  });

  it('closes a peer that sends garbage or waits too long, and keeps serving others', async () => {
    const s = await listen(100);
    const bad = await client(s.port);
    bad.raw(Uint8Array.of(0x12, 0x01, 0x00, 0x02, 0, 0, 0, 0)); // a length shorter than the header
    await bad.closed;
    const slow = await client(s.port);
    await slow.closed; // the login timeout
    const wrongFirst = await client(s.port);
    wrongFirst.send(TdsPacketType.SQL_BATCH, batch('SELECT 1'));
    await wrongFirst.closed;
    const { c, reply } = await login(s.port, Uint8Array.of(0x60));
    expect(Buffer.from(reply.payload).includes(TdsToken.LOGINACK)).toBe(true);
    c.end();
  });

  it("needs a certificate for encryption 'required'", async () => {
    await expect(
      serveTds({
        serverName: 'x',
        authenticate: () => ({ ok: false, error: { number: 1, state: 1, class: 14, text: '' } }),
      }),
    ).rejects.toThrow(TypeError);
  });
});
