/**
 * `onExchange`: what a traced listener reports of each connection, checked
 * against what the client sent and got: the packets decrypted (in every
 * encryption mode), the requests and answers named, the security tokens
 * both ways, a refusal, and a request the connection closed on.
 */
import {
  connectTds,
  decodeLogin7,
  decodePacketHeader,
  encodeLogin7,
  encodePackets,
  loginFailed,
  PacketReader,
  type ServeTdsOptions,
  serveTds,
  type TdsAuthenticate,
  type TdsExchange,
  TdsPacketType,
  tdsMessageName,
} from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate, type PemCertificate } from '@krbsim/transport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

let ca: PemCertificate;
let cert: PemCertificate;
beforeAll(async () => {
  ca = await createSelfSignedCa({ commonName: 'tds exchange CA' });
  cert = await issueServerCertificate(ca, { dnsNames: ['mi1.test'], ipAddresses: ['127.0.0.1'] });
});

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const AP_REP = Uint8Array.of(0x6f, 0x02, 0x01, 0x00);
const authenticate: TdsAuthenticate = ({ sspi }) =>
  sspi[0] === 0x60
    ? { kind: 'accepted', responseToken: AP_REP, session: { login: 'CONTOSO\\alice' } }
    : { kind: 'refused', error: loginFailed('CONTOSO\\bob') };

async function traced(options: Partial<ServeTdsOptions> = {}) {
  const exchanges: TdsExchange[] = [];
  const server = await serveTds({
    serverName: 'mi1',
    cert: cert.certPem,
    key: cert.keyPem,
    authenticate,
    onExchange: (e) => exchanges.push(e),
    ...options,
  });
  closers.push(() => server.close());
  return { server, exchanges };
}

/** The messages in a run of packets, checking every packet header is whole. */
function messagesOf(packets: Uint8Array) {
  const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
  const out = reader.push(packets);
  expect(reader.buffered).toBe(0);
  return out;
}

describe('serveTds onExchange', () => {
  for (const [encryption, offer, inTls] of [
    ['required', 'on', [false, true, true]],
    ['login-only', 'off', [false, true, false]],
    ['not-supported', 'not-supported', [false, false, false]],
  ] as const) {
    it(`${encryption}: PRELOGIN, LOGIN7 and a batch, each with its answer, in the clear; TLS only flagged`, async () => {
      const { server, exchanges } = await traced({ encryption });
      const c = await connectTds({
        port: server.port,
        encryption: offer,
        tls: { ca: ca.certPem, servername: 'mi1.test' },
      });
      closers.push(() => c.close());
      const sspi = Uint8Array.of(0x60, 0x01, 0x00);
      const r = await c.login({ sspi, hostName: 'pc1' });
      expect(r.ok).toBe(true);
      await c.batch('SELECT SUSER_SNAME()');
      expect(exchanges.map((e) => [e.requestType, e.replyType])).toEqual([
        ['PRELOGIN', 'PRELOGIN'],
        ['LOGIN7', 'LOGINACK'],
        ['SQL batch', 'result'],
      ]);
      expect(exchanges.map((e) => e.requestInTls)).toEqual(inTls);
      expect(exchanges.map((e) => e.replyInTls)).toEqual([false, inTls[2], inTls[2]]);
      expect(new Set(exchanges.map((e) => e.connection)).size).toBe(1);
      expect(exchanges[0]!.client).toMatch(/^127\.0\.0\.1:\d+$/);
      const [prelogin, login, batch] = exchanges;
      expect(messagesOf(prelogin!.request).map((m) => m.type)).toEqual([TdsPacketType.PRELOGIN]);
      expect(messagesOf(login!.request).map((m) => m.type)).toEqual([TdsPacketType.LOGIN7]);
      expect(login!.sspi).toEqual(sspi);
      expect(login!.responseToken).toEqual(AP_REP);
      // The answer is the token stream the client decoded, as packets.
      const answer = messagesOf(login!.reply!);
      expect(answer.map((m) => m.type)).toEqual([TdsPacketType.TABULAR_RESULT]);
      expect(decodePacketHeader(batch!.request).type).toBe(TdsPacketType.SQL_BATCH);
      expect(decodePacketHeader(batch!.reply!).spid).toBeGreaterThan(50);
    });
  }

  it('a refused login is reported with its ERROR; a request the client left is reported with why', async () => {
    const { server, exchanges } = await traced({ encryption: 'not-supported' });
    const c = await connectTds({ port: server.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x01) });
    expect(r.ok).toBe(false);
    await c.closed;
    expect(exchanges.map((e) => [e.requestType, e.replyType, e.responseToken])).toEqual([
      ['PRELOGIN', 'PRELOGIN', undefined],
      ['LOGIN7', 'ERROR 18456', undefined],
    ]);

    // LOGIN7 to an authenticator that never answers: the client leaves first.
    let asked!: () => void;
    const askedP = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const never = await traced({
      encryption: 'not-supported',
      authenticate: () => {
        asked();
        return new Promise(() => {});
      },
    });
    const c2 = await connectTds({ port: never.server.port, encryption: 'not-supported' });
    void c2.login({ sspi: Uint8Array.of(0x60, 0x00) }).catch(() => {});
    await askedP;
    c2.close();
    await c2.closed;
    await new Promise<void>((resolve) => {
      const poll = () => (never.server.connections() === 0 ? resolve() : setImmediate(poll));
      poll();
    });
    expect(never.exchanges[1]).toMatchObject({ requestType: 'LOGIN7', error: 'closed by the client' });
    expect(never.exchanges[1]!.reply).toBeUndefined();
  });

  it('reports each SSPI leg with its token both ways, and a reply of DONE alone by name', async () => {
    const { server, exchanges } = await traced({
      encryption: 'not-supported',
      authenticate: ({ leg }) =>
        leg === 1
          ? { kind: 'continue', responseToken: Uint8Array.of(0xa1, 0x01) }
          : { kind: 'accepted', responseToken: AP_REP, session: { login: 'CONTOSO\\alice' } },
    });
    const c = await connectTds({ port: server.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    const r = await c.login({ sspi: Uint8Array.of(0x60, 0x01), next: () => Uint8Array.of(0x60, 0x02) });
    expect(r.ok).toBe(true);
    await c.batch('-- nothing to run');
    expect(exchanges.slice(1).map((e) => [e.requestType, e.replyType, e.sspi, e.responseToken])).toEqual([
      ['LOGIN7', 'SSPI', Uint8Array.of(0x60, 0x01), Uint8Array.of(0xa1, 0x01)],
      ['SSPI', 'LOGINACK', Uint8Array.of(0x60, 0x02), AP_REP],
      ['SQL batch', 'DONE', undefined, undefined],
    ]);
  });

  it('a SQL authentication LOGIN7 is reported with its Password and ChangePassword blanked, the rest as sent', async () => {
    const { server, exchanges } = await traced();
    const c = await connectTds({ port: server.port, tls: { ca: ca.certPem, servername: 'mi1.test' } });
    closers.push(() => c.close());
    const password = 'Sql-Passw0rd!';
    const changePassword = 'N3w-Sql-Passw0rd!';
    const r = await c.login({
      sspi: new Uint8Array(0),
      userName: 'sa',
      password,
      changePassword,
      optionFlags2: 0,
    });
    expect(r.ok).toBe(false); // the emulator serves integrated security only
    const login = exchanges.find((e) => e.requestType === 'LOGIN7')!;
    const [message] = messagesOf(login.request);
    const decoded = decodeLogin7(message!.payload);
    expect(decoded.userName).toBe('sa');
    expect(decoded.password).toBe('*'.repeat(password.length));
    expect(decoded.changePassword).toBe('*'.repeat(changePassword.length));
    const sent = encodeLogin7({ userName: 'sa', password, changePassword });
    const obfuscated = (ib: number, cch: number) => Buffer.from(sent.subarray(ib, ib + cch * 2));
    const v = new DataView(sent.buffer);
    const bytes = Buffer.from(login.request);
    expect(bytes.includes(obfuscated(v.getUint16(44, true), password.length))).toBe(false);
    expect(bytes.includes(obfuscated(v.getUint16(86, true), changePassword.length))).toBe(false);
    expect(bytes.includes(Buffer.from(password, 'utf16le'))).toBe(false);
  });

  it('an exception in onExchange is reported, and the login goes on', async () => {
    const errors: unknown[] = [];
    const { server } = await traced({
      encryption: 'not-supported',
      onExchange: () => {
        throw new Error('tracer bug');
      },
      onInternalError: (e) => errors.push(e),
    });
    const c = await connectTds({ port: server.port, encryption: 'not-supported' });
    closers.push(() => c.close());
    expect((await c.login({ sspi: Uint8Array.of(0x60, 0x00) })).ok).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['tracer bug', 'tracer bug']);
  });

  it('names messages by their packet type', () => {
    expect(tdsMessageName(TdsPacketType.LOGIN7)).toBe('LOGIN7');
    expect(tdsMessageName(TdsPacketType.SQL_BATCH)).toBe('SQL batch');
    expect(tdsMessageName(0x2a)).toBe('type 0x2a');
    expect(encodePackets(TdsPacketType.SSPI, Uint8Array.of(1))[0]).toBe(TdsPacketType.SSPI);
  });
});
