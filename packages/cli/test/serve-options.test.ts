/**
 * `krbsim serve`'s --port, --host and temporary directory, run in process
 * until aborted: what krb5.conf says, where the KDC listens, what is left
 * on disk.
 */

import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli';
import { applyPortOptions } from '../src/port-option';
import { seedNumber } from '../src/serve';
import { serveDir, UnsafeServeDirError, unsafeServeDir } from '../src/serve-dir';
import { startTopology } from '../src/start-topology';
import { parseTopology } from '../src/topology';
import { type ReadyServe, serveExit, serveUntilReady } from './run-serve';

let dir: string;
let single: string;
let two: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-serve-opts-'));
  single = join(dir, 'single.yaml');
  await writeFile(
    single,
    'realms:\n  - name: A.TEST\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
  );
  two = join(dir, 'two.yaml');
  await writeFile(two, 'realms: [{ name: A.TEST }, { name: B.TEST }]\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port on 127.0.0.1 that is free for TCP and for UDP right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const s = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => s.close(() => resolve()));
    if (udpFree) return port;
  }
}

/**
 * `serveUntilReady(argvFor(port))` on a {@link freePort}. The test files run
 * side by side, so another one's socket can take the port between the check
 * and serve's bind: a start that fails with EADDRINUSE is tried again on
 * another port (at most 5 times).
 */
async function serveOnFreePort(
  argvFor: (port: number) => string[],
): Promise<{ run: ReadyServe; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { run: await serveUntilReady(argvFor(port)), port };
    } catch (e) {
      if (attempt === 5 || !String(e).includes('EADDRINUSE')) throw e;
    }
  }
}

describe('krbsim serve without --dir', () => {
  it('names its temporary directory when ready and removes it at exit', async () => {
    const run = await serveUntilReady([single]);
    expect(run.ready.temporary).toBe('remove');
    expect(run.ready.dir.startsWith(join(tmpdir(), 'krbsim-serve-'))).toBe(true);
    expect(existsSync(run.ready.dir)).toBe(true);
    const { code, out } = await run.stop();
    expect(code).toBe(0);
    expect(existsSync(run.ready.dir)).toBe(false);
    expect(out).toContain(`{"event":"removed","dir":${JSON.stringify(run.ready.dir)}}`);
  });

  it('says so in text, and --keep keeps it', async () => {
    const controller = new AbortController();
    let out = '';
    const done = runCli(['serve', single, '--keep', '--quiet'], {
      stdout: (t) => {
        out += t;
        if (t.includes('ready;')) controller.abort();
      },
      stderr: (t) => {
        out += t;
      },
      signal: controller.signal,
    });
    expect(await done).toBe(0);
    const kept = /files in (\S+) \(a temporary directory, kept at exit: --keep\)/.exec(out)?.[1];
    expect(kept).toBeDefined();
    expect(out).toContain(`kept ${kept}`);
    expect(existsSync(join(kept!, 'krb5.conf'))).toBe(true);
    await rm(kept!, { recursive: true, force: true });
  });

  it('--dir given relative is printed absolute, so the exports it prints work from anywhere', async () => {
    // A topology and the Azure lab, which print the directory by different paths.
    for (const [what, file] of [
      ['topology', single],
      ['azure lab', 'azure-sql-mi'],
    ] as const) {
      const abs = join(dir, `relative-${what.replace(' ', '-')}`);
      const rel = relative(process.cwd(), abs);
      expect(isAbsolute(rel)).toBe(false);
      const run = await serveUntilReady([file, '--dir', rel]);
      expect(run.ready.dir, what).toBe(abs);
      const { code, out } = await run.stop();
      expect(code, what).toBe(0);
      expect(out, what).not.toContain(`"${rel}`);
      expect(existsSync(join(abs, 'krb5.conf')), what).toBe(true);
    }
  });

  it('--keep with --dir is a usage error: --dir is kept anyway', async () => {
    let err = '';
    const code = await runCli(['serve', single, '--dir', join(dir, 'k'), '--keep'], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
    });
    expect(code).toBe(2);
    expect(err).toContain('krbsim serve: --keep is for the temporary directory: --dir is kept');
  });
});

it('startTopology: await using closes every KDC socket', async () => {
  let port: number;
  {
    await using topo = await startTopology(parseTopology('realms: [{ name: A.TEST }]'));
    port = topo.servers.get('A.TEST')!.udpPort;
  }
  const probe = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind(port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

describe('krbsim serve --host 0.0.0.0', () => {
  it('listens on every interface and writes a loopback address clients can connect to', async () => {
    const run = await serveUntilReady([single, '--dir', join(dir, 'wild'), '--host', '0.0.0.0']);
    try {
      const port = run.ports.realms['A.TEST']!.udp;
      expect(run.ports.realms['A.TEST']!.host).toBe('0.0.0.0');
      expect(run.krb5conf).toContain(`kdc = 127.0.0.1:${port}\n`);
      expect(run.krb5conf).not.toContain('0.0.0.0');
      expect(run.ports.realms['A.TEST']!.kdcs).toEqual([`127.0.0.1:${port}`]);
      // The address krb5.conf names answers.
      const client = new KerberosClient({
        realm: 'A.TEST',
        transport: new UdpTcpTransport({ kdcs: { 'A.TEST': [{ host: '127.0.0.1', port }] } }),
      });
      const tgt = await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
      expect(tgt.server.realm).toBe('A.TEST');
    } finally {
      expect((await run.stop()).code).toBe(0);
    }
  });
});

describe('krbsim serve --port', () => {
  it('puts a single realm on the port given', async () => {
    const { run, port } = await serveOnFreePort((p) => [
      single,
      '--dir',
      join(dir, 'port'),
      '--port',
      String(p),
    ]);
    try {
      expect(run.ports.realms['A.TEST']).toMatchObject({ udp: port, tcp: port });
      expect(run.krb5conf).toContain(`kdc = 127.0.0.1:${port}\n`);
    } finally {
      expect((await run.stop()).code).toBe(0);
    }
  });

  it('takes REALM=port pairs', async () => {
    const { run, port } = await serveOnFreePort((p) => [
      two,
      '--dir',
      join(dir, 'pairs'),
      '--port',
      `B.TEST=${p}`,
    ]);
    try {
      expect(run.ports.realms['B.TEST']).toMatchObject({ udp: port, tcp: port });
      expect(run.ports.realms['A.TEST']!.udp).not.toBe(port);
    } finally {
      expect((await run.stop()).code).toBe(0);
    }
  });

  it.each([
    [['88'], '--port 88: the topology has 2 realms (A.TEST, B.TEST); say which, e.g. --port A.TEST=88'],
    [['C.TEST=88'], '--port C.TEST=88: no realm C.TEST in the topology (A.TEST, B.TEST)'],
    [['A.TEST=0'], "--port A.TEST=0: expected a port number 1..65535, got '0'"],
    [['A.TEST=70000'], "--port A.TEST=70000: expected a port number 1..65535, got '70000'"],
    [['A.TEST=x'], "--port A.TEST=x: expected a port number 1..65535, got 'x'"],
    [['A.TEST=88', 'B.TEST=88'], '--port: B.TEST and A.TEST would both listen on port 88'],
    [
      ['A.TEST=88', 'A.TEST=89'],
      '--port A.TEST=89: the port of A.TEST is already given (--port A.TEST=88); give it once',
    ],
  ])('rejects --port %j before opening a socket', async (ports, message) => {
    let err = '';
    const argv = ['serve', two, '--dir', join(dir, 'never'), ...ports.flatMap((p) => ['--port', p])];
    const code = await runCli(argv, {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
    });
    expect(code).toBe(2);
    expect(err).toBe(`krbsim serve: ${message}\nTry 'krbsim serve --help'.\n`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('refuses a bare port given twice for a single realm, as a port given twice by name', () => {
    const t = parseTopology('realms: [{ name: A.TEST }]');
    expect(applyPortOptions(t, ['88', '89'])).toBe(
      '--port 89: the port of A.TEST is already given (--port 88); give it once',
    );
    expect(applyPortOptions(t, ['88', 'A.TEST=88'])).toBe(
      '--port A.TEST=88: the port of A.TEST is already given (--port 88); give it once',
    );
  });

  it('overrides the port of the file, and a clash with another realm of the file is refused', () => {
    const t = parseTopology('realms: [{ name: A.TEST, port: 18088 }, { name: B.TEST, port: 18089 }]');
    const moved = applyPortOptions(t, ['A.TEST=18090']);
    expect(typeof moved === 'string' ? moved : moved.realms.map((r) => r.port)).toEqual([18090, 18089]);
    expect(applyPortOptions(t, ['A.TEST=18089'])).toBe(
      '--port: B.TEST and A.TEST would both listen on port 18089',
    );
    expect(t.realms[0]!.port).toBe(18088); // the file's topology is not changed
  });
});

describe("the Azure lab's --seed", () => {
  it('is a safe integer as given; past 2^53 it is hashed as text, so two seeds are two labs', () => {
    expect(seedNumber('42')).toBe(42);
    expect(seedNumber('-7')).toBe(-7);
    // Number() rounds both to 2^53: as numbers they would be one lab.
    expect(seedNumber('9007199254740993')).not.toBe(seedNumber('9007199254740992'));
    expect(seedNumber('9007199254740993')).not.toBe(2 ** 53);
    expect(seedNumber('lab-a')).toBe(seedNumber('lab-a'));
    expect(seedNumber('lab-a')).not.toBe(seedNumber('lab-b'));
  });

  it('as text is the first 53 bits of its SHA-256: Aa and BB, which a 32-bit hash made one lab, are two', () => {
    // sha256("krbsim-lab-seed:Aa") and ("...:BB"), their first 8 bytes shifted right by 11.
    expect(seedNumber('Aa')).toBe(1466440248788642);
    expect(seedNumber('BB')).toBe(7186366561916923);
    for (const s of ['Aa', 'BB', 'lab-a', '9007199254740993']) {
      expect(Number.isSafeInteger(seedNumber(s)) && seedNumber(s) >= 0).toBe(true);
    }
  });
});

describe("a topology's --seed", () => {
  it('past 2^53 is taken as text: two seeds Number() would round into one are two sets of keys', async () => {
    const checks: string[] = [];
    for (const seed of ['9007199254740993', '9007199254740992']) {
      const run = await serveUntilReady([single, '--seed', seed]);
      checks.push(run.ports.realms['A.TEST']!.check!);
      expect((await run.stop()).code).toBe(0);
    }
    expect(checks[0]).not.toBe(checks[1]);
    // A safe integer is the number it says, as before: 42 and 042 are one seed.
    const small: string[] = [];
    for (const seed of ['42', '042']) {
      const run = await serveUntilReady([single, '--seed', seed]);
      small.push(run.ports.realms['A.TEST']!.check!);
      expect((await run.stop()).code).toBe(0);
    }
    expect(small[0]).toBe(small[1]);
  });

  it('may come from KRBSIM_SEED, out of ps; --seed wins over it', async () => {
    const checkOf = async (argv: string[]) => {
      const run = await serveUntilReady([single, ...argv]);
      const check = run.ports.realms['A.TEST']!.check!;
      expect((await run.stop()).code).toBe(0);
      return check;
    };
    const flag = await checkOf(['--seed', 'env-lab-7']);
    vi.stubEnv('KRBSIM_SEED', 'env-lab-7');
    try {
      expect(await checkOf([])).toBe(flag);
      expect(await checkOf(['--seed', 'other-lab'])).toBe(await checkOf(['--seed', 'other-lab']));
      expect(await checkOf(['--seed', 'other-lab'])).not.toBe(flag);
      // Set but empty is unset: a random seed, not a refusal.
      vi.stubEnv('KRBSIM_SEED', '');
      expect(await checkOf([])).not.toBe(flag);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('krbsim serve --dir that is not safe to write into', () => {
  it('refuses a world-writable directory, or a file, before anything listens (exit 2)', async () => {
    const open = join(dir, 'world-writable');
    await mkdir(open);
    await chmod(open, 0o777);
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    for (const [what, target, message] of [
      ['topology', open, `--dir ${open}: is world-writable (mode 777): any user could replace the files`],
      ['azure lab', open, `--dir ${open}: is world-writable (mode 777)`],
      ['topology', file, `--dir ${file}: exists and is not a directory`],
    ] as const) {
      let err = '';
      const code = await runCli(['serve', what === 'topology' ? single : 'azure-sql-mi', '--dir', target], {
        stdout: () => {},
        stderr: (t) => {
          err += t;
        },
      });
      expect(code, `${what} ${target}`).toBe(2);
      expect(err).toContain(`krbsim serve: ${message}`);
      expect(existsSync(join(open, 'krb5.conf'))).toBe(false);
    }
    // The sticky bit does not make it safe: others still create files there.
    await chmod(open, 0o1777);
    const sticky = await serveExit([single, '--dir', open]);
    expect(sticky.code).toBe(2);
    expect(sticky.out).toContain('is world-writable (mode 1777)');
  });

  it("refuses one its group may write to, or one in a directory others may write to (OpenSSH's StrictModes)", async () => {
    const group = join(dir, 'group-writable');
    await mkdir(group);
    await chmod(group, 0o770);
    const shared = join(dir, 'shared');
    await mkdir(join(shared, 'mine'), { recursive: true });
    await chmod(shared, 0o777);
    await chmod(join(shared, 'mine'), 0o700);
    for (const [target, message] of [
      [group, `--dir ${group}: is group-writable (mode 770): the group's members could replace the files`],
      [
        join(shared, 'mine'),
        `--dir ${join(shared, 'mine')}: ${shared}, a directory above it, is world-writable (mode 777)`,
      ],
      // Not there yet: it would be made where others may rename it away and put their own in its place.
      [
        join(shared, 'new'),
        `--dir ${join(shared, 'new')}: ${shared}, a directory above it, is world-writable (mode 777)`,
      ],
    ] as const) {
      const r = await serveExit([single, '--dir', target]);
      expect(r.code, target).toBe(2);
      expect(r.out).toContain(`krbsim serve: ${message}`);
    }
    expect(existsSync(join(shared, 'new'))).toBe(false);
    // A directory of one's own in /tmp (sticky, root's) is fine, as every test here shows.
    expect(unsafeServeDir(dir)).toBeUndefined();
  });

  it("refuses one another user owns (that user could swap krb5.conf), unless it is root's", async () => {
    const theirs = join(dir, 'theirs');
    await mkdir(theirs, { mode: 0o755 });
    const uid = process.getuid!();
    // As root, the directory becomes nobody's; otherwise it is ours, checked as if we were someone else.
    const me = uid === 0 ? 0 : uid + 1;
    if (uid === 0) await chown(theirs, 65534, 65534);
    const owner = uid === 0 ? 65534 : uid;
    expect(unsafeServeDir(theirs, me)).toBe(
      `is owned by uid ${owner}, neither you (uid ${me}) nor root: that user could replace the files written there (krb5.conf, ports.json) or plant links in their place; give a directory of your own, writable by you alone (one that does not exist is made 0700)`,
    );
    expect(unsafeServeDir(join(theirs, 'sub'), me)).toMatch(
      new RegExp(`^${theirs}, a directory above it, is owned by uid ${owner},`),
    );
    if (uid === 0) {
      const r = await serveExit([single, '--dir', theirs]);
      expect(r.code).toBe(2);
      expect(r.out).toContain(
        `krbsim serve: --dir ${theirs}: is owned by uid 65534, neither you (uid 0) nor root`,
      );
      expect(existsSync(join(theirs, 'krb5.conf'))).toBe(false);
    }
  });

  it('checks the directory again once made, as it is about to be written into (--workers makes it late)', async () => {
    // Checked missing while the arguments were read; someone made it, group-writable, since.
    const late = join(dir, 'made-since');
    await mkdir(late);
    await chmod(late, 0o775);
    const e = await serveDir(late, 'krbsim-serve-', false).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsafeServeDirError);
    expect((e as Error).message).toMatch(new RegExp(`^--dir ${late}: is group-writable \\(mode 775\\)`));
    // One that is not there is made 0700, and passes.
    const fresh = join(dir, 'fresh', 'lab');
    const made = await serveDir(fresh, 'krbsim-serve-', false);
    expect(made.path).toBe(fresh);
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
  });
});
