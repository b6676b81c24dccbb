/**
 * `krbsim serve --workers 2`, as a process, with MIT's kinit and kvno: two
 * cluster workers serve the realms on the sockets the primary shares, each
 * built from the same topology and seed; a worker killed with SIGKILL is
 * replaced and the clients never notice; SIGTERM to the primary stops
 * everything with exit 0. The password-change service runs in the primary:
 * MIT's kpasswd changes a password, and every worker, and a replacement
 * started after the change, takes the new one at once. So does the HTTPS KDC
 * proxy of a `kdcProxy` realm, which forwards to the workers.
 *
 * The workers share sockets because serveKdc binds with `exclusive: false`
 * when asked; without it `serve --workers` exits 1 with "did not share their
 * sockets", and this test fails.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PortsJson } from '../../packages/cli/src/index';
import { killServe, startKrbsimServe } from './helpers/krbsim-serve';
import { MIT_CLIENT_TOOLS, MitClient } from './helpers/mit';
import { makeTempDir, type RunningProcess, stopAllProcesses, type TempDir } from './helpers/processes';
import { describeWithTools } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const TOPOLOGY = join(ROOT, 'packages/cli/examples/contoso-fabrikam.yaml');
const ALICE = 'correct horse battery staple';

interface Event {
  readonly event: string;
  readonly worker?: number;
  readonly pid?: number;
  readonly workers?: number[];
  readonly outcome?: string;
}

const events = (p: RunningProcess): Event[] =>
  p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describeWithTools('krbsim serve --workers', MIT_CLIENT_TOOLS, (tools) => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('cli-workers');
  });
  afterAll(async () => {
    await stopAllProcesses();
    await dir?.remove();
  });

  it('two workers answer MIT clients, a killed worker is replaced, SIGTERM stops all with exit 0', async () => {
    const serve = startKrbsimServe([TOPOLOGY, '--dir', dir.path, '--workers', '2', '--json-log']);
    await serve.waitForOutput((out) => out.includes('"event":"ready"'), 90_000);
    const ready = events(serve).find((e) => e.event === 'ready')!;
    const ports = JSON.parse(await readFile(dir.file('ports.json'), 'utf8')) as PortsJson;
    expect(ready.workers).toHaveLength(2);
    expect(ports.workers).toEqual(ready.workers);
    expect(alive(ports.pid)).toBe(true); // the primary
    expect(ready.workers).not.toContain(ports.pid);
    for (const pid of ready.workers!) expect(alive(pid)).toBe(true);

    const mit = new MitClient(
      tools,
      dir.path,
      ports.krb5conf,
      dir.file('cc'),
      () => serve.stdout() + serve.stderr(),
    );
    const round = async () => {
      await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
      await mit.ok('kvno', ['HTTP/web.contoso.com']);
    };
    for (let i = 0; i < 4; i++) await round();
    const answered = events(serve).filter((e) => e.event === 'request');
    expect(answered.length).toBeGreaterThanOrEqual(12); // per round: PREAUTH_REQUIRED, AS-REP, TGS-REP
    for (const e of answered) expect([1, 2]).toContain(e.worker);

    // A worker dies: the primary says so and starts another; the clients carry on.
    const [victim] = ready.workers!;
    process.kill(victim!, 'SIGKILL');
    await serve.waitForOutput((out) => out.includes('"event":"worker-started"'), 60_000);
    const exit = events(serve).find((e) => e.event === 'worker-exit')!;
    expect(exit).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    const started = events(serve).find((e) => e.event === 'worker-started')!;
    expect(started.worker).toBe(3);
    for (let i = 0; i < 3; i++) await round();

    serve.signal('SIGTERM');
    expect(await serve.exited(), serve.stderr()).toEqual({ code: 0, signal: null });
    expect(events(serve).at(-1)).toEqual({ event: 'stopped' });
    for (const pid of [...ready.workers!, started.pid!]) expect(alive(pid)).toBe(false);
  });

  it("the primary serves kpasswd: a change reaches every worker before it is answered, and a worker's replacement", async () => {
    const topology = dir.file('kpasswd-workers.yaml');
    await writeFile(
      topology,
      [
        'realms:',
        '  - name: WORKERS.TEST',
        '    users:',
        '      - { name: bob, password: B0b-Passw0rd }',
        '  - name: PROXIED.TEST',
        '    kdcProxy: true',
        '    users:',
        '      - { name: carol, password: C4rol-Passw0rd }',
        '',
      ].join('\n'),
    );
    const out = dir.file('kpasswd-workers');
    const serve = startKrbsimServe([topology, '--dir', out, '--workers', '2', '--json-log']);
    await serve.waitForOutput((o) => o.includes('"event":"ready"'), 90_000);
    const ports = JSON.parse(await readFile(join(out, 'ports.json'), 'utf8')) as PortsJson;
    const kpasswd = ports.realms['WORKERS.TEST']!.kpasswd!;
    expect(kpasswd).toBeGreaterThan(0);
    expect(await readFile(ports.krb5conf, 'utf8')).toContain(`kpasswd_server = 127.0.0.1:${kpasswd}`);
    const mit = new MitClient(
      tools,
      out,
      ports.krb5conf,
      join(out, 'cc'),
      () => serve.stdout() + serve.stderr(),
    );
    let n = 0;
    // A ccache each: the logons run side by side.
    const logsOn = async (password: string) => {
      const r = await mit.run('kinit', ['bob@WORKERS.TEST'], {
        input: `${password}\n`,
        ccache: join(out, `cc-${++n}`),
      });
      return r.code === 0 ? true : `${r.stderr.trim()} ${serve.stdout().slice(-2000)}`;
    };

    const changed = await mit.run('kpasswd', ['bob@WORKERS.TEST'], {
      input: 'B0b-Passw0rd\nB0b-N3w-Passw0rd\nB0b-N3w-Passw0rd\n',
    });
    expect(changed.stdout + changed.stderr, serve.stdout()).toMatch(/Password changed/);
    // Whichever worker answers (the kernel spreads the datagrams), it holds the new keys already.
    // Which one reads each datagram is the kernel's choice: logons go on, 8 at a time, until both have.
    const afterChange = events(serve).length;
    const answered = () =>
      new Set(
        events(serve)
          .slice(afterChange)
          .filter((e) => e.event === 'request')
          .map((e) => e.worker),
      );
    for (let batch = 0; batch < 5 && answered().size < 2; batch++) {
      const attempts = Array.from({ length: 8 }, () => logsOn('B0b-N3w-Passw0rd'));
      expect(await Promise.all(attempts)).toEqual(Array(8).fill(true));
    }
    expect([...answered()].sort()).toEqual([1, 2]);
    expect(await logsOn('B0b-Passw0rd')).toMatch(/Password incorrect/);

    // A worker replaced after the change starts with it.
    const [first, second] = events(serve).find((e) => e.event === 'ready')!.workers!;
    process.kill(first!, 'SIGKILL');
    await serve.waitForOutput((o) => o.includes('"event":"worker-started"'), 60_000);
    process.kill(second!, 'SIGKILL'); // the replacement serves alone now, until its own peer comes
    await serve.waitForOutput((o) => o.split('"event":"worker-started"').length === 3, 60_000);
    expect(await Promise.all(Array.from({ length: 4 }, () => logsOn('B0b-N3w-Passw0rd')))).toEqual(
      Array(4).fill(true),
    );

    // A kdcProxy realm: the primary serves the HTTPS proxy and forwards to the workers' shared socket;
    // its kpasswd goes to the primary's password-change service, and the change reaches the workers.
    const proxyUrl = ports.realms['PROXIED.TEST']!.kdcProxy!;
    expect(proxyUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/KdcProxy$/);
    const viaProxy = await mit.run('kpasswd', ['carol@PROXIED.TEST'], {
      input: 'C4rol-Passw0rd\nC4rol-N3w-Passw0rd\nC4rol-N3w-Passw0rd\n',
    });
    expect(viaProxy.stdout + viaProxy.stderr, serve.stdout()).toMatch(/Password changed/);
    expect(viaProxy.trace).toMatch(/Sending HTTPS request/);
    expect(viaProxy.trace).not.toMatch(/Sending (UDP|TCP) request/);
    const before = events(serve).filter((e) => e.event === 'request').length;
    for (let i = 0; i < 4; i++) {
      const r = await mit.run('kinit', ['carol@PROXIED.TEST'], {
        input: 'C4rol-N3w-Passw0rd\n',
        ccache: join(out, `cc-carol-${i}`),
      });
      expect(r.code, r.stderr + serve.stdout().slice(-2000)).toBe(0);
      expect(r.trace).not.toMatch(/Sending (UDP|TCP) request/);
    }
    // The workers answered what the proxy forwarded.
    const proxiedAnswers = events(serve)
      .filter((e) => e.event === 'request')
      .slice(before);
    expect(proxiedAnswers.length).toBeGreaterThanOrEqual(8);
    for (const e of proxiedAnswers) expect([3, 4]).toContain(e.worker);

    serve.signal('SIGTERM');
    expect(await serve.exited(), serve.stderr()).toEqual({ code: 0, signal: null });
  });

  it("a replica served by workers follows the other process's password changes and hands them to its workers", async () => {
    const topology = dir.file('feed-workers.yaml');
    await writeFile(
      topology,
      'realms:\n  - name: FEED.TEST\n    users: [{ name: dan, password: D4n-Passw0rd }]\n',
    );
    const start = (name: string, extra: string[]) =>
      startKrbsimServe([topology, '--dir', dir.file(name), '--seed', 'fw', '--json-log', ...extra]);
    const primary = start('fw-a', []);
    await primary.waitForOutput((o) => o.includes('"event":"ready"'), 90_000);
    const replica = start('fw-b', [
      '--replica-of',
      dir.file('fw-a/ports.json'),
      '--workers',
      '2',
      '--log-level',
      'debug',
    ]);
    await replica.waitForOutput((o) => o.includes('"event":"ready"'), 90_000);
    const ports = JSON.parse(await readFile(dir.file('fw-b/ports.json'), 'utf8')) as PortsJson;
    const mit = new MitClient(tools, dir.path, ports.krb5conf, dir.file('cc-fw'), () => replica.stdout());
    const changed = await mit.run('kpasswd', ['dan@FEED.TEST'], {
      input: 'D4n-Passw0rd\nD4n-N3w-Passw0rd\nD4n-N3w-Passw0rd\n',
    });
    expect(changed.stdout + changed.stderr, primary.stdout()).toMatch(/Password changed/);
    await replica.waitForOutput(
      (o) => o.includes('password of dan@FEED.TEST changed at the primary: applied'),
      30_000,
    );
    const primaryPorts = JSON.parse(await readFile(dir.file('fw-a/ports.json'), 'utf8')) as PortsJson;
    await killServe(primary, primaryPorts, 'FEED.TEST'); // the replica's workers answer alone now
    for (let i = 0; i < 4; i++) {
      const r = await mit.run('kinit', ['dan@FEED.TEST'], {
        input: 'D4n-N3w-Passw0rd\n',
        ccache: dir.file(`cc-fw-${i}`),
      });
      expect(r.code, mit.explain(r)).toBe(0);
    }
    replica.signal('SIGTERM');
    expect(await replica.exited(), replica.stderr()).toEqual({ code: 0, signal: null });
  });
});
