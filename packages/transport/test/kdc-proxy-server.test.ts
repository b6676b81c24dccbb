import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { decodeKdcProxyMessage, encodeKdcProxyMessage } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  CERTIFICATE_BACKDATE_MS,
  createSelfSignedCa,
  frameTcp,
  issueServerCertificate,
  KDC_PROXY_CONTENT_TYPE,
  KdcProxy,
  type KdcProxyServer,
  KdcProxyTransport,
  kdcProxyRoute,
  type PemCertificate,
  type ServeKdcProxyOptions,
  serveKdcProxy,
  UdpTcpTransport,
} from '@krbsim/transport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTool, itNeeds } from '../../../test/interop/mit-tools';
import { asReq } from './der';
import { closedTcpPort } from './net-helpers';

const OPENSSL = findTool('openssl');

const REALM = 'CONTOSO.COM';
const ALICE = 'correct horse battery staple';
const TENANT = '00000000-0000-0000-0000-000000000001';

let ca: PemCertificate;
let server: PemCertificate;
beforeAll(async () => {
  // TLS peers check validity against the real time, so these use the system clock.
  ca = await createSelfSignedCa({ commonName: 'krbsim test CA' });
  server = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
});

const running: KdcProxyServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A krbsim realm's KDC (alice, HTTP/web). */
function contosoKdc(): Kdc {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('kkdcp-realm') });
  realm.addUser('alice', { password: ALICE });
  realm.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
  return new Kdc(realm);
}

/** A krbsim realm (alice, HTTP/web) behind a KdcProxy. */
function contosoProxy(): KdcProxy {
  const kdc = contosoKdc();
  return new KdcProxy((r) => (r === REALM ? (req) => kdc.handle(req) : undefined));
}

async function start(
  proxy: KdcProxy,
  options: Partial<ServeKdcProxyOptions> = {},
): Promise<{ server: KdcProxyServer; log: string[] }> {
  const log: string[] = [];
  const s = await serveKdcProxy(proxy, {
    cert: server.certPem,
    key: server.keyPem,
    log: (l) => log.push(l),
    ...options,
  });
  running.push(s);
  return { server: s, log };
}

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** One HTTPS request on its own connection (no agent), trusting the test CA. */
function https(
  url: string,
  body: Uint8Array | undefined,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    trust?: string;
    localAddress?: string;
    /** The request target as sent, when not `url`'s path (an absolute-form `https://host/path`). */
    path?: string;
  } = {},
): Promise<HttpResult> {
  // A header given as '' is left out.
  const headers = Object.fromEntries(
    Object.entries({
      'content-type': KDC_PROXY_CONTENT_TYPE,
      ...(body === undefined ? {} : { 'content-length': String(body.length) }),
      ...opts.headers,
    }).filter(([, v]) => v !== ''),
  );
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: opts.method ?? 'POST',
        headers,
        ca: opts.trust ?? ca.certPem,
        agent: false,
        ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
        ...(opts.path === undefined ? {} : { path: opts.path }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The `post` a KdcProxyTransport needs, over node's HTTPS client. */
async function post(url: string, body: Uint8Array): Promise<Uint8Array> {
  const r = await https(url, body);
  if (r.status !== 200) throw new Error(`KDC proxy answered HTTP ${r.status}`);
  expect(r.headers['content-type']).toBe(KDC_PROXY_CONTENT_TYPE);
  return r.body;
}

const wrap = (req: Uint8Array, targetDomain?: string) =>
  encodeKdcProxyMessage({
    kerbMessage: frameTcp(req),
    ...(targetDomain === undefined ? {} : { targetDomain }),
  });

describe('serveKdcProxy (MS-KKDCP over HTTPS)', () => {
  it('carries a krbsim client AS and TGS exchange to a krbsim KDC', async () => {
    const { server: proxy, log } = await start(contosoProxy());
    expect(proxy.url).toBe(`https://127.0.0.1:${proxy.port}/kerberos`);
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
    const client = new KerberosClient({
      realm: REALM,
      transport: new KdcProxyTransport({ url: proxy.url, post }),
      clock,
      random: new SeededRandom('kkdcp-client'),
    });
    const tgt = await client.getInitialCredentials('alice', { password: ALICE });
    expect(tgt.server.name.nameString).toEqual(['krbtgt', REALM]);
    const st = await client.getServiceTicket('HTTP/web.contoso.com');
    expect(st.server.name.nameString).toEqual(['HTTP', 'web.contoso.com']);
    expect(log).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM AS-REQ \d+ bytes -> 200 KRB-ERROR KDC_ERR_PREAUTH_REQUIRED \d+ bytes$/,
      ),
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM AS-REQ \d+ bytes -> 200 AS-REP \d+ bytes$/,
      ),
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos CONTOSO\.COM TGS-REQ \d+ bytes -> 200 TGS-REP \d+ bytes$/,
      ),
    ]);
    expect(log.join('\n')).not.toContain(ALICE);
  });

  it('answers on an Azure-style tenant path given as a RegExp or a predicate', async () => {
    const tenantPath = /^\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/kerberos$/;
    const { server: byRegExp } = await start(contosoProxy(), { path: tenantPath });
    expect(byRegExp.origin).toBe(`https://127.0.0.1:${byRegExp.port}`);
    const ok = await https(`${byRegExp.origin}/${TENANT}/kerberos`, wrap(asReq('alice', REALM), REALM));
    expect(ok.status).toBe(200);
    expect(decodeKdcProxyMessage(ok.body).targetDomain).toBeUndefined();
    expect((await https(`${byRegExp.origin}/kerberos`, wrap(asReq('alice', REALM), REALM))).status).toBe(404);

    const { server: byPredicate } = await start(contosoProxy(), { path: (p) => p.endsWith('/kerberos') });
    const viaTransport = new KdcProxyTransport({ url: `${byPredicate.origin}/${TENANT}/kerberos`, post });
    const reply = await viaTransport.send(REALM, asReq('alice', REALM));
    expect(reply[0]).toBe(0x7e); // KRB-ERROR PREAUTH_REQUIRED: the KDC answered
  });

  it('answers 404, 405, 415 and 400 (malformed, no target-domain, unknown realm) with one log line each', async () => {
    const { server: proxy, log } = await start(contosoProxy());
    const good = wrap(asReq('alice', REALM), REALM);
    const cases: [string, Promise<HttpResult>, number][] = [
      ['wrong path', https(`${proxy.origin}/kdcproxy`, good), 404],
      ['GET', https(proxy.url, undefined, { method: 'GET' }), 405],
      ['text/plain', https(proxy.url, good, { headers: { 'content-type': 'text/plain' } }), 415],
      ['garbage', https(proxy.url, Uint8Array.of(0x30, 0x05, 0x01)), 400],
      ['no target-domain', https(proxy.url, wrap(asReq('alice', REALM))), 400],
      ['unknown realm', https(proxy.url, wrap(asReq('alice', 'FABRIKAM.COM'), 'FABRIKAM.COM')), 400],
    ];
    for (const [what, result, status] of cases) {
      const r = await result;
      expect(r.status, what).toBe(status);
      expect(r.headers.connection, what).toBe('close');
    }
    const get = await https(proxy.url, undefined, { method: 'GET' });
    expect(get.headers.allow).toBe('POST');
    // No Content-Type at all is accepted (MS-KKDCP names none; MIT sends application/kerberos).
    const bare = await https(proxy.url, good, { headers: { 'content-type': '' } });
    expect(bare.status).toBe(200);
    // A request target in absolute-form is its path (RFC 9112 section 3.2.2: a server MUST accept it).
    const absolute = await https(proxy.url, good, {
      path: `https://localhost${new URL(proxy.url).pathname}`,
    });
    expect(absolute.status).toBe(200);
    const elsewhere = await https(proxy.url, good, { path: 'https://localhost/kdcproxy?x=1' });
    expect(elsewhere.status).toBe(404);

    const errors = log.filter((l) => / -> [45]\d\d /.test(l));
    expect(errors).toHaveLength(8);
    expect(errors.join('\n')).toMatch(/POST \/kdcproxy -> 404 \(not a KDC proxy path\)/);
    expect(errors.join('\n')).toMatch(/GET \/kerberos -> 405/);
    expect(errors.join('\n')).toMatch(/-> 415 \(Content-Type must be application\/kerberos\)/);
    expect(errors.join('\n')).toMatch(/-> 400 \(discarded: .*target-domain is required\)/);
    expect(errors.join('\n')).toMatch(
      /-> 400 \(discarded: the KDC proxy does not serve realm FABRIKAM\.COM\)/,
    );
  });

  it('answers 400 to a well-framed kerb-message that is not an AS-REQ or TGS-REQ, without asking the KDC', async () => {
    // MS-KKDCP 3.2.5.1 step 1: the proxy checks for a Kerberos message first. Before, garbage went
    // on to the KDC and came back 200 with a KRB-ERROR.
    let asked = 0;
    const kdc = contosoKdc();
    const { server: proxy, log } = await start(
      new KdcProxy((r) =>
        r === REALM
          ? (req) => {
              asked++;
              return kdc.handle(req);
            }
          : undefined,
      ),
    );
    const garbage = await https(proxy.url, wrap(Uint8Array.of(1, 2, 3), REALM));
    expect(garbage.status).toBe(400);
    expect(garbage.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(garbage.body).toString()).toBe(
      'discarded: KDC-PROXY-MESSAGE: kerb-message is not an AS-REQ or TGS-REQ (not a Kerberos message)\n',
    );
    const cut = asReq('alice', REALM).subarray(0, 40); // an AS-REQ's first 40 bytes: its length says more
    expect((await https(proxy.url, wrap(cut, REALM))).status).toBe(400);
    expect(asked).toBe(0);
    expect(log).toEqual([
      expect.stringMatching(/-> 400 \(discarded: .*not an AS-REQ or TGS-REQ \(not a Kerberos message\)\)$/),
      expect.stringMatching(
        /-> 400 \(discarded: .*not an AS-REQ or TGS-REQ \(does not decode as an AS-REQ or TGS-REQ: AS-REQ\)\)$/,
      ),
    ]);
    // A request is still served.
    expect((await https(proxy.url, wrap(asReq('alice', REALM), REALM))).status).toBe(200);
    expect(asked).toBe(1);
  });

  it('answers unparsable HTTP with a bare 400 and one log line', async () => {
    const { server: s, log } = await start(contosoProxy());
    const conn = await stalled(s.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(await conn.reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(log).toEqual([expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ client error: HPE_\w+ -> 400$/)]);
  });

  it('answers 417 to an expectation other than 100-continue, counted and logged, and closes the connection', async () => {
    const { server: s, log } = await start(contosoProxy());
    // node:http's own 417 kept the connection open for another request (one every few seconds held it
    // past every deadline), and was neither counted nor logged.
    const conn = await stalled(
      s.port,
      'POST /kerberos HTTP/1.1\r\nHost: localhost\r\nExpect: something-else\r\nContent-Length: 0\r\n\r\n',
    );
    expect(await conn.reply).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n[\s\S]*connection: close\r\n/);
    await until(() => s.stats().open === 0);
    expect(s.stats().requests).toBe(1);
    expect(log).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos -> 417 \(Expect: only 100-continue is supported\)$/,
      ),
    ]);
  });

  it('sends 100 Continue only to a request fit to have its body read', async () => {
    const { server: s, log } = await start(contosoProxy());
    const expecting = (length: number) =>
      `POST /kerberos HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/kerberos\r\nExpect: 100-continue\r\nContent-Length: ${length}\r\n\r\n`;
    // Refused from its headers: 413 at once, no 100 inviting a body that would be thrown away.
    const big = await stalled(s.port, expecting(2 << 20));
    expect(await big.reply).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    const body = wrap(asReq('alice', REALM), REALM);
    const good = await stalled(s.port, expecting(body.length));
    good.write(body);
    expect(await good.reply).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(s.stats()).toMatchObject({ requests: 2, tooLarge: 1 });
    expect(log).toEqual([
      expect.stringMatching(/ -> 413 \(Content-Length 2097152 exceeds the 1048576-byte limit\)$/),
      expect.stringMatching(/ -> 200 AS-REP \d+ bytes$|-> 200 KRB-ERROR/),
    ]);
  });

  it('logs one line for a client error, not another for what the parser reports after the answer', async () => {
    const { server: s, log } = await start(contosoProxy());
    // More bytes after the unparsable request: the parser fails on them again.
    const conn = await stalled(s.port, 'NOT HTTP AT ALL\r\n\r\n');
    conn.write('MORE BYTES\r\n\r\n');
    expect(await conn.reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    await until(() => s.stats().open === 0);
    expect(log).toEqual([expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ client error: HPE_\w+ -> 400$/)]);
  });

  it("answers 431 to headers past node:http's maxHeaderSize (RFC 6585 section 5), 413 to chunk extensions past its limit, as node:http does", async () => {
    const { server: s, log } = await start(contosoProxy());
    // 20 000 bytes of one header: past node's 16 KiB default.
    const conn = await stalled(
      s.port,
      `POST /kerberos HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(await conn.reply).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(log).toEqual([
      expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ client error: HPE_HEADER_OVERFLOW -> 431$/),
    ]);
    // Chunk extensions past node's limit (16 KiB) while the body is read: 413, as node:http answers.
    const chunked = await stalled(
      s.port,
      `POST /kerberos HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;${'a'.repeat(20_000)}\r\n`,
    );
    expect(await chunked.reply).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    await until(() => s.stats().open === 0);
    expect(log.slice(1)).toEqual([
      expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ client error: HPE_CHUNK_EXTENSIONS_OVERFLOW -> 413$/),
    ]);
    expect(s.stats()).toMatchObject({ requests: 1, tooLarge: 1 });
    // And it goes on serving.
    expect((await https(s.url, wrap(asReq('alice', REALM), REALM))).status).toBe(200);
  });

  it('answers 503, not 400, when the route cannot reach its KDC; what the proxy discards stays 400', async () => {
    // A route through UdpTcpTransport (as `krbsim serve --workers` forwards a kdcProxy realm) to a KDC that is down.
    const dead = await closedTcpPort();
    const transport = new UdpTcpTransport({
      kdcs: { [REALM]: [{ host: '127.0.0.1', port: dead }] },
      preferTcp: true,
    });
    const proxy = new KdcProxy(kdcProxyRoute({ [REALM]: (req) => transport.send(REALM, req) }));
    const { server: s, log } = await start(proxy);
    const down = await https(s.url, wrap(asReq('alice', REALM), REALM));
    expect(down.status).toBe(503);
    expect(new TextDecoder().decode(down.body)).toMatch(
      /^the KDC could not answer: cannot contact any KDC for realm CONTOSO\.COM: TCP 127\.0\.0\.1:\d+: /,
    );
    expect((await https(s.url, wrap(asReq('alice', 'FABRIKAM.COM'), 'FABRIKAM.COM'))).status).toBe(400);
    expect(s.stats()).toMatchObject({ kdcUnavailable: 1, kdcTimedOut: 0 });
    expect(log).toEqual([
      expect.stringMatching(
        /-> 503 \(the KDC could not answer: cannot contact any KDC for realm CONTOSO\.COM: .*ECONNREFUSED/,
      ),
      expect.stringMatching(/-> 400 \(discarded: the KDC proxy does not serve realm FABRIKAM\.COM\)$/),
    ]);
  });

  it('escapes control characters of what the client sent in its answer and log lines: no line is forged', async () => {
    const kdc = contosoKdc();
    // A route that takes any target-domain, and one that serves none.
    const any = await start(new KdcProxy(() => (req) => kdc.handle(req)));
    const none = await start(contosoProxy());
    const forged =
      'CONTOSO.COM\nkkdcp 192.0.2.1:4242 POST /kerberos FAKE.COM AS-REQ 1 bytes -> 200\u001b[2K\r';
    const escaped =
      'CONTOSO.COM\\nkkdcp 192.0.2.1:4242 POST /kerberos FAKE.COM AS-REQ 1 bytes -> 200\\x1b[2K\\r';
    expect((await https(any.server.url, wrap(asReq('alice', REALM), forged))).status).toBe(200);
    const refused = await https(none.server.url, wrap(asReq('alice', REALM), forged));
    expect(refused.status).toBe(400);
    expect(new TextDecoder().decode(refused.body)).toBe(
      `discarded: the KDC proxy does not serve realm ${escaped}\n`,
    );
    expect(any.log).toEqual([expect.stringContaining(`POST /kerberos ${escaped} AS-REQ `)]);
    expect(none.log).toEqual([
      expect.stringContaining(`-> 400 (discarded: the KDC proxy does not serve realm ${escaped})`),
    ]);
    // Whatever else quotes a client (a route's own error message), the sink gets one line.
    const quoting = await start(
      new KdcProxy(() => () => {
        throw new Error(`no account for ${forged}`);
      }),
    );
    expect((await https(quoting.server.url, wrap(asReq('alice', REALM), REALM))).status).toBe(500);
    expect(quoting.log).toEqual([
      expect.stringMatching(/-> 500 \(KDC failed: no account for CONTOSO\.COM\\nkkdcp .*\\x1b\[2K\\r\)$/),
    ]);
  });

  it('answers 413 to a declared Content-Length over the limit without reading the body', async () => {
    const { server: proxy, log } = await start(contosoProxy(), { maxBodyBytes: 1000 });
    const r = await new Promise<HttpResult>((resolve, reject) => {
      const req = httpsRequest(proxy.url, {
        method: 'POST',
        headers: { 'content-type': KDC_PROXY_CONTENT_TYPE, 'content-length': '5000000' },
        ca: ca.certPem,
        agent: false,
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          resolve({ status: res.statusCode!, headers: res.headers, body: new Uint8Array() });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders(); // headers only: not one byte of the 5 MB follows
    });
    expect(r.status).toBe(413);
    expect(log).toEqual([
      expect.stringMatching(/-> 413 \(Content-Length 5000000 exceeds the 1000-byte limit\)$/),
    ]);
  });

  it('answers 413 to a streamed body once it passes the limit, before the body ends, and closes the connection', async () => {
    const { server: proxy, log } = await start(contosoProxy(), { maxBodyBytes: 1000 });
    const { status, unfinished, closed } = await new Promise<{
      status: number;
      unfinished: boolean;
      closed: Promise<void>;
    }>((resolve, reject) => {
      const req = httpsRequest(proxy.url, {
        method: 'POST',
        headers: { 'content-type': KDC_PROXY_CONTENT_TYPE }, // chunked: no Content-Length
        ca: ca.certPem,
        agent: false,
      });
      const closed = new Promise<void>((done) => req.on('close', () => done()));
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, unfinished: !req.writableEnded, closed });
      });
      // Before the 413 an error fails the test; after it, the dropped connection is expected.
      req.on('error', (e) => reject(e));
      req.write(new Uint8Array(600));
      req.write(new Uint8Array(600)); // 1200 > 1000; the request is never ended
    });
    expect(status).toBe(413);
    expect(unfinished).toBe(true);
    await closed; // the server closed the connection on an unfinished request
    expect(log).toEqual([expect.stringMatching(/-> 413 \(body exceeds the 1000-byte limit\)$/)]);
  });

  it('answers 500 when the KDC throws, and keeps serving', async () => {
    let calls = 0;
    const proxy = new KdcProxy(() => () => {
      calls++;
      if (calls === 1) throw new Error('kdb unavailable');
      return Uint8Array.of(0x6b, 0x00);
    });
    const { server: s, log } = await start(proxy);
    const body = wrap(asReq('alice', REALM), REALM);
    expect((await https(s.url, body)).status).toBe(500);
    const second = await https(s.url, body);
    expect(second.status).toBe(200);
    expect(decodeKdcProxyMessage(second.body).kerbMessage).toEqual(frameTcp(Uint8Array.of(0x6b, 0x00)));
    expect(log[0]).toMatch(/-> 500 \(KDC failed: kdb unavailable\)$/);
  });

  it('answers 500 with one log line when the KDC throws a value with no string form', async () => {
    // String() throws on it: describing it once threw in turn, and the 500 said the describer's error.
    const proxy = new KdcProxy(() => () => {
      throw Object.create(null);
    });
    const { server: s, log } = await start(proxy);
    expect((await https(s.url, wrap(asReq('alice', REALM), REALM))).status).toBe(500);
    expect(log).toEqual([expect.stringMatching(/-> 500 \(KDC failed: object with no string form\)$/)]);
  });

  it('keeps answering when its log sink throws: the line is lost, never the request or the process', async () => {
    const proxy = new KdcProxy(() => () => Uint8Array.of(0x6b, 0x00));
    const lines: string[] = [];
    let throwing = true;
    const { server: s } = await start(proxy, {
      log: (l) => {
        if (throwing) throw new Error('log sink down');
        lines.push(l);
      },
    });
    const body = wrap(asReq('alice', REALM), REALM);
    // A throwing sink once ended the process (an unhandled rejection), then cost the request a 500.
    expect((await https(s.url, body)).status).toBe(200);
    throwing = false;
    expect((await https(s.url, body)).status).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/-> 200 /);
  });

  it('is refused by a client that does not trust its CA, and logs the failed handshake', async () => {
    let sawFailure!: () => void;
    const failureLogged = new Promise<void>((resolve) => {
      sawFailure = resolve;
    });
    const log: string[] = [];
    const s = await serveKdcProxy(contosoProxy(), {
      cert: server.certPem,
      key: server.keyPem,
      log: (l) => {
        log.push(l);
        if (/TLS handshake failed/.test(l)) sawFailure();
      },
    });
    running.push(s);
    const stranger = await createSelfSignedCa({ commonName: 'someone else' });
    await expect(
      https(s.url, wrap(asReq('alice', REALM), REALM), { trust: stranger.certPem }),
    ).rejects.toThrow(/self-signed|unable to verify|unable to get local issuer/i);
    await failureLogged;
    expect(log).toEqual([expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ TLS handshake failed: /)]);
    // And it goes on serving clients that do trust it.
    expect((await https(s.url, wrap(asReq('alice', REALM), REALM))).status).toBe(200);
  });

  it('close() drops idle connections, is idempotent, and leaves no open handles', async () => {
    const { server: s } = await start(contosoProxy());
    const conn = await stalled(s.port, '');
    // The listener, the client's socket and the server's side of it.
    expect(handlesOn(s.port)).toBeGreaterThanOrEqual(3);
    await Promise.all([s.close(), s.close()]);
    await conn.reply;
    expect(handlesOn(s.port)).toBe(0);
    await expect(https(s.url, wrap(asReq('alice', REALM), REALM))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('serveKdcProxy deadlines (node:http and node:tls timeouts; real time, small values)', () => {
  it('answers 408 and closes when a body stops arriving; a good client is served meanwhile', async () => {
    // Deadlines long enough that the good client, served under the same ones, meets them on a busy machine.
    const { server: s, log } = await start(contosoProxy(), {
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    });
    const body = wrap(asReq('alice', REALM), REALM);
    const stuck = await stalled(
      s.port,
      `POST /kerberos HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/kerberos\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    expect((await https(s.url, body)).status).toBe(200);
    expect(await stuck.reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(s.stats()).toMatchObject({ requests: 2, timedOut: 1 });
    expect(log.filter((l) => !/-> 200 /.test(l))).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos -> 408 \(request not complete within 2000 ms\)$/,
      ),
    ]);
  });

  it('answers 503 when the KDC does not answer within kdcTimeoutMs; the late answer is dropped and other realms are served', async () => {
    const kdc = contosoKdc();
    let release: (() => void) | undefined;
    // FABRIKAM.COM's route stalls until released; CONTOSO.COM's answers.
    const proxy = new KdcProxy((r) =>
      r === REALM
        ? (req) => kdc.handle(req)
        : r === 'FABRIKAM.COM'
          ? (req) =>
              new Promise<Uint8Array>((resolve) => {
                release = () => resolve(req);
              })
          : undefined,
    );
    const { server: s, log } = await start(proxy, { kdcTimeoutMs: 500 });
    const stalled = https(s.url, wrap(asReq('alice', 'FABRIKAM.COM'), 'FABRIKAM.COM'));
    expect((await https(s.url, wrap(asReq('alice', REALM), REALM))).status).toBe(200);
    expect((await stalled).status).toBe(503);
    release?.();
    expect(s.stats()).toMatchObject({ kdcTimedOut: 1, timedOut: 0 });
    expect(log.filter((l) => !/-> 200 /.test(l))).toEqual([
      expect.stringMatching(/-> 503 \(the KDC did not answer within 500 ms\)$/),
    ]);
    await expect(
      serveKdcProxy(proxy, { cert: server.certPem, key: server.keyPem, kdcTimeoutMs: 0 }),
    ).rejects.toThrow(/^serveKdcProxy: kdcTimeoutMs must be an integer from 1 to 2147483647, got 0$/);
  });

  it('answers 408 and closes when headers stop arriving', async () => {
    const { server: s, log } = await start(contosoProxy(), { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const stuck = await stalled(s.port, 'POST /kerberos HTTP/1.1\r\nHost: localhost\r\n');
    expect(await stuck.reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(s.stats()).toMatchObject({ requests: 0, timedOut: 1 });
    expect(log).toEqual([
      expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ -> 408 \(headers not complete within 300 ms\)$/),
    ]);
  });

  it("logs one line for a 408, not another for the peer's FIN that follows it (HPE_INVALID_EOF_STATE)", async () => {
    const { server: s, log } = await start(contosoProxy(), { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const stuck = await stalled(s.port, 'POST /kerberos HTTP/1.1\r\nHost: localhost\r\n');
    expect(await stuck.reply).toMatch(/^HTTP\/1\.1 408 /);
    // The client ends its side on the server's FIN; the server has seen it once the connection is gone.
    await until(() => s.stats().open === 0);
    expect(log).toEqual([
      expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ -> 408 \(headers not complete within 300 ms\)$/),
    ]);
  });

  it('close() ends a request at the KDC at once: its timer cleared, one line before close resolves, none after', async () => {
    let asked = 0;
    let release: (() => void) | undefined;
    const proxy = new KdcProxy(() => () => {
      asked++;
      return new Promise<Uint8Array>((resolve) => {
        release = () => resolve(Uint8Array.of(0x6b, 0));
      });
    });
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    // A KDC timeout far past the test's: its timer, left running, once held the process for it.
    const { server: s, log } = await start(proxy, { kdcTimeoutMs: 600_000 });
    const answer = https(s.url, wrap(asReq('alice', REALM), REALM)).then(
      (r) => `HTTP ${r.status}`,
      (e: Error) => e.message,
    );
    await until(() => asked === 1);
    await s.close();
    expect(await answer).toMatch(/socket hang up|ECONNRESET/);
    expect(timeouts()).toBe(before);
    const said = [...log];
    expect(said).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ POST \/kerberos -> not answered \(the server closed while the KDC had the request\)$/,
      ),
    ]);
    // The KDC answers after all: nothing is sent, counted or logged.
    release?.();
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(log).toEqual(said);
    expect(s.stats()).toMatchObject({ kdcTimedOut: 0, open: 0 });
  });

  it('closes a connection whose TLS handshake never starts', async () => {
    const { server: s, log } = await start(contosoProxy(), { handshakeTimeoutMs: 300 });
    const raw = new Socket();
    raw.on('error', () => {});
    const closed = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    raw.connect(s.port, '127.0.0.1');
    await closed;
    expect(s.stats().handshakeTimedOut).toBe(1);
    expect(log).toEqual([
      expect.stringMatching(/^kkdcp 127\.0\.0\.1:\d+ TLS handshake failed: TLS handshake timeout$/),
    ]);
  });

  it('rejects timeouts that are not positive integers, and headers allowed longer than the request', async () => {
    const base = { cert: server.certPem, key: server.keyPem };
    await expect(serveKdcProxy(contosoProxy(), { ...base, requestTimeoutMs: 0 })).rejects.toThrow(
      /^serveKdcProxy: requestTimeoutMs must be an integer from 1 to 2147483647, got 0$/,
    );
    // Past 2^31-1 ms a timer fires at once.
    await expect(serveKdcProxy(contosoProxy(), { ...base, kdcTimeoutMs: 2 ** 31 })).rejects.toThrow(
      /^serveKdcProxy: kdcTimeoutMs must be an integer from 1 to 2147483647, got 2147483648$/,
    );
    await expect(
      serveKdcProxy(contosoProxy(), { ...base, headersTimeoutMs: 2000, requestTimeoutMs: 1000 }),
    ).rejects.toThrow(/headersTimeoutMs \(2000\) must not exceed requestTimeoutMs \(1000\)/);
  });
});

/** A TLS connection to the proxy, trusting the test CA, errors ignored (the tests watch for its close). */
function tlsTo(port: number): ReturnType<typeof tlsConnect> {
  const conn = tlsConnect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost' });
  conn.on('error', () => {});
  return conn;
}

/**
 * A TLS connection, handshake done, that sends `text` and collects what
 * comes back until the server closes it.
 */
async function stalled(
  port: number,
  text: string,
): Promise<{ reply: Promise<string>; write(data: string | Uint8Array): void }> {
  const conn = tlsTo(port);
  let got = '';
  conn.setEncoding('utf8').on('data', (d: string) => {
    got += d;
  });
  const reply = new Promise<string>((resolve) => conn.on('close', () => resolve(got)));
  await new Promise<void>((resolve) => conn.once('secureConnect', () => resolve()));
  conn.write(text);
  return { reply, write: (data) => conn.write(data) };
}

/** A connection the server closes: resolves once closed, with whether its TLS handshake got through. */
function refusedConnection(port: number): Promise<boolean> {
  const conn = tlsTo(port);
  let secured = false;
  conn.once('secureConnect', () => {
    secured = true;
  });
  return new Promise((resolve) => conn.on('close', () => resolve(secured)));
}

/** Yield to the event loop until `ready()` holds: a wait on the server's events, not on time. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Live handles (listeners and sockets) bound to or connected to `port`. */
function handlesOn(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => {
    if (h instanceof NetServer) {
      const a = h.address();
      return typeof a === 'object' && a !== null && a.port === port;
    }
    return h instanceof Socket && (h.localPort === port || h.remotePort === port);
  }).length;
}

describe('serveKdcProxy bounds on connections and request bodies', () => {
  const head = (length: number) =>
    `POST /kerberos HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/kerberos\r\nContent-Length: ${length}\r\n\r\n`;

  it('runs one request a connection: those pipelined after it reach no KDC and get no answer', async () => {
    let kdcCalls = 0;
    const kdc = contosoKdc();
    const proxy = new KdcProxy((r) =>
      r === REALM
        ? (req) => {
            kdcCalls++;
            return kdc.handle(req);
          }
        : undefined,
    );
    const { server: s, log } = await start(proxy);
    const body = wrap(asReq('alice', REALM), REALM);
    const one = Buffer.concat([Buffer.from(head(body.length)), Buffer.from(body)]);
    // 200 requests in one write: each was run at the KDC (64 of them, a TLS record's worth), one answered.
    const conn = await stalled(s.port, '');
    conn.write(Buffer.concat(Array.from({ length: 200 }, () => one)));
    const reply = await conn.reply;
    expect(reply.match(/HTTP\/1\.1 200/g)).toHaveLength(1);
    expect(kdcCalls).toBe(1);
    expect(s.stats()).toMatchObject({ requests: 1, pipelinedIgnored: 1 });
    expect(log.filter((l) => l.includes('-> ignored (a second request on one connection)'))).toHaveLength(1);
  });

  it('closes connections past maxConnectionsPerSource at once, and serves another address', async () => {
    const { server: s, log } = await start(contosoProxy(), { maxConnectionsPerSource: 2 });
    const held = [await stalled(s.port, ''), await stalled(s.port, '')];
    expect(await refusedConnection(s.port)).toBe(false);
    const body = wrap(asReq('alice', REALM), REALM);
    expect((await https(s.url, body, { localAddress: '127.0.0.2' })).status).toBe(200);
    expect(s.stats()).toMatchObject({ refusedPerSource: 1, evicted: 0, requests: 1 });
    expect(log.filter((l) => !/-> 200 /.test(l))).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ refused: 2 connections from 127\.0\.0\.1 already \(maxConnectionsPerSource\)$/,
      ),
    ]);
    // Their places are given back when they close.
    await s.close();
    await Promise.all(held.map((h) => h.reply));
    expect(s.stats().open).toBe(0);
  });

  it('at maxConnections, a newcomer replaces the oldest connection whose request is not at the KDC', async () => {
    const { server: s, log } = await start(contosoProxy(), { maxConnections: 2 });
    const oldest = await stalled(s.port, head(200)); // headers in, body never comes
    const younger = await stalled(s.port, '');
    await until(() => s.stats().requests === 1);
    expect((await https(s.url, wrap(asReq('alice', REALM), REALM))).status).toBe(200);
    expect(await oldest.reply).toBe('');
    expect(s.stats()).toMatchObject({ evicted: 1, refusedFull: 0, peakOpen: 2 });
    expect(log.filter((l) => !/-> 200 /.test(l) && !/aborted/.test(l))).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ closed: the oldest connection without a request at the KDC, making room at 2 connections \(maxConnections\)$/,
      ),
    ]);
    // The younger one was left alone, and is served.
    const body = wrap(asReq('alice', REALM), REALM);
    younger.write(head(body.length));
    younger.write(body);
    expect(await younger.reply).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('at maxConnections with every request at the KDC, a newcomer is closed and the others are answered', async () => {
    const kdc = contosoKdc();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let atKdc = 0;
    const proxy = new KdcProxy((r) =>
      r === REALM
        ? async (req) => {
            atKdc++;
            await gate;
            return kdc.handle(req);
          }
        : undefined,
    );
    const { server: s, log } = await start(proxy, { maxConnections: 2 });
    const body = wrap(asReq('alice', REALM), REALM);
    const answers = [https(s.url, body), https(s.url, body)];
    await until(() => atKdc === 2);
    expect(await refusedConnection(s.port)).toBe(false);
    expect(s.stats()).toMatchObject({ refusedFull: 1, evicted: 0 });
    release();
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200]);
    expect(log.filter((l) => !/-> 200 /.test(l))).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ refused: all 2 connections have a request at the KDC \(maxConnections\)$/,
      ),
    ]);
  });

  it('past maxBufferedBytes, the request holding the most body gets 503; the others go on', async () => {
    const { server: s, log } = await start(contosoProxy(), { maxBodyBytes: 1400, maxBufferedBytes: 1400 });
    const big = await stalled(s.port, head(1400) + 'x'.repeat(1300));
    await until(() => s.stats().bytesHeld === 1300);
    const body = wrap(asReq('alice', REALM), REALM);
    expect(body.length).toBeGreaterThan(100);
    expect((await https(s.url, body)).status).toBe(200);
    expect(await big.reply).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*\r\n\r\nserver busy\n$/);
    expect(s.stats()).toMatchObject({ overBudget: 1, bytesHeld: 0, peakBytesHeld: 1300 });
    expect(log.filter((l) => !/-> 200 /.test(l))).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ -> 503 \(holding 1300 bytes of request body, the most while all connections together passed maxBufferedBytes \(1400\)\)$/,
      ),
    ]);
  });

  it('past maxBufferedBytes, a sender holding the most is the one refused', async () => {
    const { server: s, log } = await start(contosoProxy(), { maxBodyBytes: 1400, maxBufferedBytes: 1400 });
    const small = await stalled(s.port, head(400) + 'x'.repeat(300));
    await until(() => s.stats().bytesHeld === 300);
    const big = await stalled(s.port, head(1400) + 'x'.repeat(1200));
    expect(await big.reply).toMatch(/^HTTP\/1\.1 503 /);
    expect(s.stats()).toMatchObject({ overBudget: 1, bytesHeld: 300 });
    expect(log).toEqual([
      expect.stringMatching(
        /^kkdcp 127\.0\.0\.1:\d+ -> 503 \(holding 0 \+ 1200 bytes of request body, the most while all connections together passed maxBufferedBytes \(1400\)\)$/,
      ),
    ]);
    // The smaller body, finished, reaches the KDC (which cannot decode it: 400) and releases its bytes.
    small.write('x'.repeat(100));
    expect(await small.reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(s.stats().bytesHeld).toBe(0);
  });

  it('rejects bounds that are not positive integers, and a budget smaller than one body', async () => {
    const base = { cert: server.certPem, key: server.keyPem };
    await expect(serveKdcProxy(contosoProxy(), { ...base, maxConnections: 0 })).rejects.toThrow(
      /^serveKdcProxy: maxConnections must be an integer >= 1, got 0$/,
    );
    await expect(serveKdcProxy(contosoProxy(), { ...base, maxConnectionsPerSource: 1.5 })).rejects.toThrow(
      /maxConnectionsPerSource must be an integer >= 1, got 1\.5/,
    );
    await expect(
      serveKdcProxy(contosoProxy(), { ...base, maxBodyBytes: 2048, maxBufferedBytes: 1024 }),
    ).rejects.toThrow(/^serveKdcProxy: maxBufferedBytes \(1024\) must be at least maxBodyBytes \(2048\)$/);
    // NaN and a string once turned the per-request limit off; -1, 0 and 1.5 made every request a 413.
    for (const maxBodyBytes of [Number.NaN, 'abc' as unknown as number, -1, 0, 1.5]) {
      await expect(serveKdcProxy(contosoProxy(), { ...base, maxBodyBytes })).rejects.toThrow(
        new RangeError(`serveKdcProxy: maxBodyBytes must be an integer >= 1, got ${maxBodyBytes}`),
      );
    }
  });
});

describe('createSelfSignedCa / issueServerCertificate', () => {
  it('takes validity from the clock and serials from the random source', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const a = await createSelfSignedCa({
      commonName: 'CA',
      clock,
      random: new SeededRandom(7),
      validityDays: 10,
    });
    const b = await createSelfSignedCa({
      commonName: 'CA',
      clock,
      random: new SeededRandom(7),
      validityDays: 10,
    });
    const { X509Certificate } = await import('node:crypto');
    const ca1 = new X509Certificate(a.certPem);
    const ca2 = new X509Certificate(b.certPem);
    expect(ca1.serialNumber).toBe(ca2.serialNumber);
    expect(ca1.publicKey.equals(ca2.publicKey)).toBe(false); // WebCrypto keys are fresh
    expect(new Date(ca1.validFrom).getTime()).toBe(clock.now() - CERTIFICATE_BACKDATE_MS);
    expect(new Date(ca1.validTo).getTime()).toBe(clock.now() + 10 * 86_400_000);
    expect(ca1.ca).toBe(true);

    const leaf = new X509Certificate(
      (
        await issueServerCertificate(a, {
          clock,
          random: new SeededRandom(8),
          ipAddresses: ['127.0.0.1', '::1'],
        })
      ).certPem,
    );
    expect(leaf.ca).toBe(false);
    expect(leaf.issuer).toBe('CN=CA');
    expect(leaf.subject).toBe('CN=localhost');
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(leaf.verify(ca1.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca1)).toBe(true);
    // Never valid past its CA.
    expect(new Date(leaf.validTo).getTime()).toBe(clock.now() + 10 * 86_400_000);
  });

  it('rejects a bad IP address, a bad CA and a bad validity', async () => {
    await expect(issueServerCertificate(ca, { ipAddresses: ['127.0.0.256'] })).rejects.toThrow(
      /not an IP address/,
    );
    await expect(issueServerCertificate({ certPem: 'x', keyPem: ca.keyPem })).rejects.toThrow(
      /no PEM CERTIFICATE/,
    );
    await expect(createSelfSignedCa({ commonName: 'CA', validityDays: 0 })).rejects.toThrow(/validityDays/);
    await expect(issueServerCertificate(ca, { dnsNames: [], ipAddresses: [] })).rejects.toThrow(
      /needs a DNS name/,
    );
  });

  // Skipped with a printed reason when openssl is missing; failing instead under KRBSIM_REQUIRE_MIT=1 (CI).
  itNeeds(
    OPENSSL === undefined ? 'openssl not found on PATH (scripts/setup.sh installs it)' : undefined,
    'openssl parses them and verifies the chain for TLS server use (ECDSA and RSA)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'krbsim-certs-'));
      try {
        for (const keyType of ['ecdsa-p256', 'rsa-2048'] as const) {
          const root = await createSelfSignedCa({ commonName: `krbsim ${keyType} CA`, keyType });
          const leaf = await issueServerCertificate(root, { keyType, ipAddresses: ['127.0.0.1', '::1'] });
          const caFile = join(dir, `${keyType}-ca.pem`);
          const leafFile = join(dir, `${keyType}-server.pem`);
          const keyFile = join(dir, `${keyType}-server.key`);
          await writeFile(caFile, root.certPem);
          await writeFile(leafFile, leaf.certPem);
          await writeFile(keyFile, leaf.keyPem);
          const text = run(['x509', '-noout', '-text', '-in', leafFile]);
          expect(text).toContain('CA:FALSE');
          expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
          expect(text).toContain('TLS Web Server Authentication');
          expect(text).toContain('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
          expect(text).toContain(keyType === 'rsa-2048' ? 'Public-Key: (2048 bit)' : 'NIST CURVE: P-256');
          expect(run(['x509', '-noout', '-text', '-in', caFile])).toMatch(/CA:TRUE/);
          expect(run(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, leafFile])).toBe(
            `${leafFile}: OK\n`,
          );
          expect(run(['x509', '-noout', '-in', leafFile, '-checkip', '127.0.0.1'])).toContain('does match');
          expect(run(['x509', '-noout', '-in', leafFile, '-checkhost', 'localhost'])).toContain('does match');
          // The key is the certificate's.
          const fromKey = run(['pkey', '-in', keyFile, '-pubout']);
          const fromCert = run(['x509', '-noout', '-pubkey', '-in', leafFile]);
          expect(fromKey).toBe(fromCert);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

function run(args: string[]): string {
  const r = spawnSync(OPENSSL!, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

afterAll(() => {
  expect(running).toHaveLength(0);
});
