/**
 * `krbsim serve` as a process of its own (bin.ts through tsx), for what only
 * a real process shows: its stdout's reader going away (`serve | head -n 2`)
 * leaves it serving, writing no more log lines, and a SIGTERM then still
 * stops it with exit 0 and its temporary directory (keytabs) removed. With
 * `--workers`: a replaced worker's pid leaves ports.json, and a password
 * change whose feed cannot be written still reaches every worker.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeAsReq } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { messageType, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortsJson } from '../src/topology-files';

const ROOT = resolve(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let dir: string;
let topology: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-serve-process-'));
  topology = join(dir, 'p.yaml');
  await writeFile(
    topology,
    'realms:\n  - name: P.TEST\n    policy: { minPasswordAge: 0 }\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
  );
});
afterAll(async () => {
  // SIGTERM: a serve still running removes its temporary directory.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** An AS-REQ of alice without pre-authentication: PREAUTH_REQUIRED, and one request line logged. */
function asReq(): Uint8Array {
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    reqBody: {
      kdcOptions: 0,
      cname: { nameType: 1, nameString: ['alice'] },
      realm: 'P.TEST',
      sname: { nameType: 2, nameString: ['krbtgt', 'P.TEST'] },
      till: Math.floor(Date.now() / 1000) * 1000 + 3_600_000,
      nonce: 1,
      etype: [18],
    },
  });
}

/** `krbsim serve <topology> --json-log ...extra` started, until its ready line. */
async function startServe(extra: readonly string[]) {
  const child = spawn(TSX, ['packages/cli/src/bin.ts', 'serve', topology, '--json-log', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  // 'close': exited, and everything it wrote to stderr read.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );
  const ready = await new Promise<{ dir: string; workers?: number[] } | undefined>((done) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line !== undefined) done(JSON.parse(line) as { dir: string; workers?: number[] });
    });
    void closed.then(() => done(undefined));
  });
  expect(ready, out + err).toBeDefined();
  const port = Number(/"udp":(\d+)/.exec(out)![1]);
  return {
    child,
    dir: ready!.dir,
    ready: ready!,
    out: () => out,
    /** Resolves once stdout holds a line with `text` (or the process is gone). */
    stdoutLine: (text: string) =>
      Promise.race([
        closed,
        new Promise<void>((done) => {
          const check = () => {
            if (out.split('\n').some((l) => l.includes(text))) done();
          };
          child.stdout!.on('data', check);
          check();
        }),
      ]),
    kdc: new UdpTcpTransport({ kdcs: { 'P.TEST': [{ host: '127.0.0.1', port }] } }),
    closed,
    err: () => err,
    /** Resolves once stderr holds a whole line (or the process is gone). */
    stderrLine: () =>
      Promise.race([
        closed,
        new Promise<void>((done) => {
          const check = () => {
            if (err.includes('\n')) done();
          };
          child.stderr!.on('data', check);
          check();
        }),
      ]),
  };
}

const NOTE = 'krbsim: standard output failed (EPIPE): writing no more to it, carrying on\n';

describe('krbsim serve whose stdout reader goes away', () => {
  it('serves on without logging, and SIGTERM still stops it with exit 0 and its temporary directory removed', async () => {
    const serve = await startServe([]);
    expect(existsSync(serve.dir)).toBe(true);
    // The reader goes away, as `head -n 2` does once it has its lines: the next log line fails with EPIPE.
    serve.child.stdout!.destroy();
    expect(messageType(await serve.kdc.send('P.TEST', asReq()))).toBe('KRB-ERROR');
    await serve.stderrLine();
    expect(serve.err()).toBe(NOTE);
    // Still serving, its log unwritten.
    expect(messageType(await serve.kdc.send('P.TEST', asReq()))).toBe('KRB-ERROR');
    serve.child.kill('SIGTERM');
    expect(await serve.closed).toEqual({ code: 0, signal: null });
    expect(existsSync(serve.dir)).toBe(false);
    expect(serve.err()).toBe(NOTE);
  });

  it('--workers 2: the workers, which share that stdout, serve on too (none dies and is replaced)', async () => {
    const serve = await startServe(['--workers', '2']);
    serve.child.stdout!.destroy();
    // The workers log these (the kernel gives each datagram to one of them): EPIPE there.
    for (let i = 0; i < 6; i++)
      expect(messageType(await serve.kdc.send('P.TEST', asReq()))).toBe('KRB-ERROR');
    serve.child.kill('SIGTERM');
    expect(await serve.closed).toEqual({ code: 0, signal: null });
    expect(existsSync(serve.dir)).toBe(false);
    // The primary's own last lines (removed, stopped) found stdout gone: its note, and no worker's death.
    expect(serve.err()).toBe(NOTE);
  });
});

describe('krbsim serve --workers 2, as a process', () => {
  it("rewrites ports.json's workers when a worker is replaced: the dead one's pid leaves it", async () => {
    const out = join(dir, 'replaced');
    const serve = await startServe(['--workers', '2', '--dir', out]);
    const [victim, survivor] = serve.ready.workers!;
    const ports = () => readFile(join(out, 'ports.json'), 'utf8').then((t) => JSON.parse(t) as PortsJson);
    expect((await ports()).workers).toEqual([victim, survivor]);
    process.kill(victim!, 'SIGKILL');
    // worker-started is written once ports.json names the replacement.
    await serve.stdoutLine('"event":"worker-started"');
    const started = JSON.parse(
      serve
        .out()
        .split('\n')
        .find((l) => l.includes('"event":"worker-started"'))!,
    ) as {
      pid: number;
    };
    expect((await ports()).workers).toEqual([survivor, started.pid]);
    serve.child.kill('SIGTERM');
    expect(await serve.closed).toEqual({ code: 0, signal: null });
  });

  it('a password change whose feed cannot be written still reaches every worker, and its kpasswd line says so', async () => {
    const out = join(dir, 'feed-gone');
    const serve = await startServe(['--workers', '2', '--dir', out]);
    const ports = JSON.parse(await readFile(join(out, 'ports.json'), 'utf8')) as PortsJson;
    const feed = ports.passwordChanges!;
    // The feed cannot be appended to any more (a full disk, a removed file): here a directory.
    await rm(feed);
    await mkdir(feed);
    const at = (port: number) => new UdpTcpTransport({ kdcs: { 'P.TEST': [{ host: '127.0.0.1', port }] } });
    await new KerberosClient({ realm: 'P.TEST', transport: serve.kdc }).changePassword(
      'alice',
      'Al1ce-Passw0rd',
      'N3w-Passw0rd-1',
      { transport: at(ports.realms['P.TEST']!.kpasswd!) },
    );
    // Whichever worker the kernel hands each logon, it holds the new password.
    const logons = await Promise.all(
      Array.from({ length: 8 }, () =>
        new KerberosClient({ realm: 'P.TEST', transport: serve.kdc }).getInitialCredentials('alice', {
          password: 'N3w-Passw0rd-1',
        }),
      ),
    );
    expect(logons).toHaveLength(8);
    const kpasswd = serve
      .out()
      .split('\n')
      .filter((l) => l.includes('"event":"kpasswd"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(kpasswd).toEqual([
      {
        event: 'kpasswd',
        realm: 'P.TEST',
        line: `kpasswd alice@P.TEST -> SUCCESS: onChange failed: not written to ${feed}, so no replica gets it: EISDIR: illegal operation on a directory, open '${feed}'`,
      },
    ]);
    serve.child.kill('SIGTERM');
    expect(await serve.closed).toEqual({ code: 0, signal: null });
  });
});
