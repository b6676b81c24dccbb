/**
 * `krbsim serve`'s log, in process: `--json-log` request events with their
 * structured fields, `--log-level` (and `--quiet`, `--verbose`) deciding
 * which lines appear, and no password or key ever in it.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAsReq } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { parseKeytab } from '@krbsim/files';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';
import { serveLog } from '../src/serve-log';
import type { PortsJson } from '../src/topology-files';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;
const ALICE = 'correct horse battery staple';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'krbsim-serve-log-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Served {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** Every hex rendering of every key in the keytabs serve wrote. */
  readonly keyHex: string[];
}

let runs = 0;

/**
 * Serve contoso-fabrikam.yaml with `args`; once ready, alice logs in (AS with
 * pre-authentication over UDP), gets a ticket for host/server.contoso.com and
 * asks for an unknown service; then stop.
 */
async function serve(args: string[]): Promise<Served> {
  const dir = join(root, `run-${runs++}`);
  const controller = new AbortController();
  let out = '';
  let err = '';
  let onOut = () => {};
  const ready = new Promise<void>((resolve) => {
    onOut = () => {
      if (/"event":"ready"|\nready; Ctrl-C/.test(out)) resolve();
    };
  });
  const done = runCli(['serve', join(EXAMPLES, 'contoso-fabrikam.yaml'), '--dir', dir, ...args], {
    stdout: (t) => {
      out += t;
      onOut();
    },
    stderr: (t) => {
      err += t;
    },
    signal: controller.signal,
  });
  await Promise.race([ready, done]);
  const ports = JSON.parse(await readFile(join(dir, 'ports.json'), 'utf8')) as PortsJson;
  const kdcs = Object.fromEntries(
    Object.entries(ports.realms).map(([realm, p]) => [realm, [{ host: p.host, port: p.udp }]]),
  );
  const client = new KerberosClient({ realm: 'CONTOSO.COM', transport: new UdpTcpTransport({ kdcs }) });
  await client.getInitialCredentials('alice', { password: ALICE });
  await client.getServiceTicket('host/server.contoso.com');
  await expect(client.getServiceTicket('nope/nowhere.contoso.com')).rejects.toThrow();
  const keytab = parseKeytab(new Uint8Array(await readFile(ports.keytabs['CONTOSO.COM']!)));
  controller.abort();
  const code = await done;
  return { code, out, err, keyHex: keytab.entries.map((e) => Buffer.from(e.key.bytes).toString('hex')) };
}

const requestEvents = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.includes('"event":"request"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('krbsim serve --json-log', () => {
  it('writes one JSON request event per request, with structured fields and no secret', async () => {
    const r = await serve(['--json-log', '--seed', '5']);
    expect(r.code).toBe(0);
    const events = requestEvents(r.out);
    // The AS-REP carries a TGT with a PAC: too big for UDP (1465 bytes), so the client asks again
    // over TCP, as Windows clients do with AD's TGTs. The log says what the client got.
    expect(events.map((e) => [e.transport, e.msgType, e.outcome, e.errorName])).toEqual([
      ['udp', 'AS-REQ', 'KRB-ERROR', 'KDC_ERR_PREAUTH_REQUIRED'],
      ['udp', 'AS-REQ', 'KRB-ERROR', 'KRB_ERR_RESPONSE_TOO_BIG'],
      ['tcp', 'AS-REQ', 'AS-REP', undefined],
      ['tcp', 'TGS-REQ', 'TGS-REP', undefined],
      ['tcp', 'TGS-REQ', 'KRB-ERROR', 'KDC_ERR_S_PRINCIPAL_UNKNOWN'],
    ]);
    for (const e of events) {
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining(['time', 'realm', 'transport', 'peer', 'msgType', 'client', 'server']),
      );
      expect(e).toMatchObject({ event: 'request', realm: 'CONTOSO.COM', client: 'alice@CONTOSO.COM' });
      expect(e.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
      expect(e.requestBytes).toBeGreaterThan(100);
      expect(e.replyBytes).toBeGreaterThan(60); // an AD-shaped KRB-ERROR is short
      expect(typeof e.durationMs).toBe('number');
      expect(e).not.toHaveProperty('line');
    }
    expect(events[4]).toMatchObject({ errorCode: 7, server: 'nope/nowhere.contoso.com@CONTOSO.COM' });
    // Security: neither the password nor any key the realm holds appears.
    expect(r.out).not.toContain(ALICE);
    for (const hex of r.keyHex) expect(r.out.toLowerCase()).not.toContain(hex);
  });

  it('--log-level error: only requests answered with an error other than PREAUTH_REQUIRED', async () => {
    const r = await serve(['--json-log', '--log-level', 'error']);
    expect(requestEvents(r.out).map((e) => e.errorName)).toEqual(['KDC_ERR_S_PRINCIPAL_UNKNOWN']);
    expect(r.out).toContain('"event":"ready"');
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('{"event":"stopped"}');
  });

  it('--quiet (--log-level none): the lifecycle lines only', async () => {
    for (const flag of [['--quiet'], ['--log-level', 'none']]) {
      const r = await serve(['--json-log', ...flag]);
      expect(r.code).toBe(0);
      const events = r.out
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event: string }).event);
      expect(events).toEqual(['listening', 'listening', 'ready', 'stopped']);
    }
  });

  it('--verbose (--log-level debug): the listeners own lines too', async () => {
    const r = await serve(['--json-log', '--verbose']);
    expect(r.out).toMatch(/"event":"transport","line":"CONTOSO.COM udp 127.0.0.1:\d+ AS-REQ/);
    expect(requestEvents(r.out)).toHaveLength(5);
  });
});

describe('krbsim serve text log', () => {
  it('one line per request: the KDC line, the reply size and the duration', async () => {
    const r = await serve(['--log-level', 'info']);
    const lines = r.out.split('\n').filter((l) => / CONTOSO\.COM (udp|tcp) /.test(l));
    // The AS-REP, with its PAC, is too big for UDP: the client asks again over TCP and stays there.
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(
      /^\S+Z CONTOSO\.COM udp 127\.0\.0\.1:\d+ AS-REQ alice@CONTOSO\.COM for krbtgt\/CONTOSO\.COM@CONTOSO\.COM -> AS-REP, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG \(\d+ B, [\d.]+ ms\)$/,
    );
    expect(lines[2]).toMatch(
      /^\S+Z CONTOSO\.COM tcp 127\.0\.0\.1:\d+ AS-REQ alice@CONTOSO\.COM .* -> AS-REP \(\d+ B/,
    );
  });
});

describe('krbsim serve text log, of names a client chose', () => {
  it('escapes their control characters, caps each, and keeps every line one atomic write', async () => {
    const dir = join(root, `run-${runs++}`);
    const controller = new AbortController();
    let out = '';
    let onOut = () => {};
    const ready = new Promise<void>((resolve) => {
      onOut = () => {
        if (out.includes('\nready; Ctrl-C')) resolve();
      };
    });
    const done = runCli(['serve', join(EXAMPLES, 'contoso-fabrikam.yaml'), '--dir', dir], {
      stdout: (t) => {
        out += t;
        onOut();
      },
      stderr: () => {},
      signal: controller.signal,
    });
    await Promise.race([ready, done]);
    const ports = JSON.parse(await readFile(join(dir, 'ports.json'), 'utf8')) as PortsJson;
    const kdc = new UdpTcpTransport({
      kdcs: { 'CONTOSO.COM': [{ host: '127.0.0.1', port: ports.realms['CONTOSO.COM']!.udp }] },
    });
    const asReq = (name: string) =>
      encodeAsReq({
        pvno: 5,
        msgType: 10,
        reqBody: {
          kdcOptions: 0,
          cname: { nameType: 1, nameString: [name] },
          realm: 'CONTOSO.COM',
          sname: { nameType: 2, nameString: ['krbtgt', 'CONTOSO.COM'] },
          till: Math.floor(Date.now() / 1000) * 1000 + 3_600_000,
          nonce: 1,
          etype: [18],
        },
      });
    // A carriage return and a forged line after it, an escape sequence (erase the line), DEL, a C1
    // control, a line separator: each would rewrite what a terminal or a log reader shows.
    const forged =
      'alice\r2026-01-01T00:00:00.000Z CONTOSO.COM udp 10.0.0.1:1 AS-REQ admin@CONTOSO.COM -> AS-REP\x1b[K\x7f\x9b\u2028';
    await kdc.send('CONTOSO.COM', asReq(forged));
    // And a name of 40 000 characters (too long a request for UDP: over TCP), which a line of the
    // log must not carry whole.
    await kdc.send('CONTOSO.COM', asReq('x'.repeat(40_000)));
    controller.abort();
    expect(await done).toBe(0);
    const lines = out.split('\n').filter((l) => / CONTOSO\.COM (udp|tcp) /.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\S+Z CONTOSO\.COM udp 127\.0\.0\.1:\d+ AS-REQ alice\\x0d2026-01-01T00:00:00\.000Z CONTOSO\.COM udp 10\.0\.0\.1:1 AS-REQ admin\\@CONTOSO\.COM -> AS-REP\\x1b\[K\\x7f\\x9b\\u2028@CONTOSO\.COM for krbtgt\/CONTOSO\.COM@CONTOSO\.COM -> KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \(6\) \(\d+ B, [\d.]+ ms\)$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^\\S+Z CONTOSO\\.COM tcp 127\\.0\\.0\\.1:\\d+ AS-REQ ${'x'.repeat(256)}\\.\\.\\.\\[\\+39756 chars\\] for krbtgt/CONTOSO\\.COM@CONTOSO\\.COM -> KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \\(6\\) \\(\\d+ B, [\\d.]+ ms\\)$`,
      ),
    );
    // No raw control character anywhere in the text log; every line well under PIPE_BUF.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not be there
    expect(out.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    for (const l of out.split('\n')) expect(Buffer.byteLength(l)).toBeLessThan(4096);
  });
});

describe("the password-change service's lines", () => {
  const lines = [
    'kpasswd alice@A.TEST -> SUCCESS',
    'kpasswd admin@A.TEST -> SUCCESS: set the password of bob@A.TEST',
    'kpasswd alice@A.TEST -> SOFTERROR: the password is too short',
    'kpasswd alice@A.TEST -> SUCCESS: onChange failed: not written to /x, so no replica gets it: EISDIR',
    'kpasswd alice@A.TEST: worker 2 did not acknowledge it in time; answered without it',
  ];
  const written = (level: 'info' | 'error' | 'none', json = false) => {
    const out: string[] = [];
    const log = serveLog((l) => out.push(l), { json, level });
    for (const l of lines) log.topologyOptions.kpasswdLog?.('A.TEST', l);
    return out;
  };

  it('are written at info and debug; at error the refusals and the changes not handed on; never at none', () => {
    expect(written('info')).toEqual(lines.map((l) => `A.TEST: ${l}\n`));
    expect(written('error')).toEqual([lines[2], lines[3], lines[4]].map((l) => `A.TEST: ${l}\n`));
    expect(written('none')).toEqual([]);
    expect(written('info', true)[0]).toBe(
      `${JSON.stringify({ event: 'kpasswd', realm: 'A.TEST', line: lines[0] })}\n`,
    );
  });
});

describe('krbsim serve argument checks', () => {
  const usage = async (args: string[]) => {
    let err = '';
    const code = await runCli(['serve', join(EXAMPLES, 'azure-trust.yaml'), ...args], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
    });
    return { code, err };
  };

  it('rejects a bad --log-level, two level flags, and --workers outside 1..64', async () => {
    expect(await usage(['--log-level', 'loud'])).toEqual({
      code: 2,
      err: "krbsim serve: --log-level must be one of debug, info, error, none, got 'loud'\nTry 'krbsim serve --help'.\n",
    });
    expect((await usage(['--quiet', '--verbose'])).err).toMatch(
      /give one of --log-level, --quiet and --verbose/,
    );
    expect((await usage(['--quiet', '--log-level', 'info'])).code).toBe(2);
    for (const n of ['0', '65', '1.5', 'two']) {
      expect((await usage(['--workers', n])).err).toMatch(/--workers must be a whole number from 1 to 64/);
    }
  });
});
