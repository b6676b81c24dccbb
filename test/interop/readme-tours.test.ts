/**
 * The documentation's shell tours, run for real, so that a documented command
 * cannot fail unnoticed: every ```sh/```bash/```shell block of README.md,
 * packages/<name>/README.md and docs/*.md, and the commented commands at the
 * top of packages/cli/examples/*.yaml (helpers/doc-tours.ts extracts them).
 *
 * How a tour runs:
 * - Each block is one bash script, its commands in order, so that `export`,
 *   shell variables and background jobs (`&`, `kill %1`) carry from one
 *   command to the next as in the reader's terminal, and nothing carries
 *   from one block to the next.
 * - `/tmp/<name>` becomes `<private temp dir>/<name>` (one temp dir per
 *   documentation file), so tours never meet each other or the host's /tmp.
 * - `pnpm krbsim ...` and `pnpm demo ...` run the CLI through tsx, as the
 *   workspace scripts do, without pnpm in between. The working directory is a
 *   copy of the workspace root made of symlinks: the tours' relative paths
 *   work, and files a tour writes there (`flows.pcap`) stay in the temp dir.
 * - A foreground `pnpm krbsim serve ... --dir <dir>` (a reader would leave it
 *   running in another terminal) is started in the background; the script
 *   goes on once `<dir>/ports.json` exists. It keeps serving the later blocks
 *   of the same file (the CLI README's MIT block uses the `/tmp/lab` of its
 *   first block) and stops when the file's tours are done.
 * - The environment isolates MIT from the host: KRB5CCNAME is a file in the
 *   temp dir (tours that set none use it as "the default ccache"),
 *   KRB5_CONFIG a file that does not exist (a command that forgets
 *   `KRB5_CONFIG` fails here as it would for a reader), no keytab or replay
 *   cache of the host, and every command gets its own KRB5_TRACE, shown when
 *   it fails. Documented `export`s override all of this.
 *
 * A command that exits non-zero fails its block's test, naming the file, the
 * block, the command and its line, with its output, its KRB5_TRACE and the
 * krbsim servers' logs. Commands that cannot run in a test are in SKIP, with
 * the reason; commands that prompt get their answer from INPUT; where a
 * comment in the docs promises an output, EXPECT checks it. Every entry of
 * these tables must match a documented command, so a stale one fails too. A
 * whole block can opt out with `<!-- readme-tours: skip <reason> -->` before
 * its fence (the reason is required and printed); no block does today.
 *
 * The CLI README also shows the example topologies the tours serve; a test
 * here keeps those copies equal to the files.
 */

import { existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTours, splitCommands, stripComment, type Tour, tourFiles } from './helpers/doc-tours';
import { makeTempDir, startProcess, stopAllProcesses, type TempDir } from './helpers/processes';
import { describeWithTools, findTool } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** A block's whole script (servers starting, MIT, FreeTDS) must end within this. */
const BLOCK_TIMEOUT_MS = 150_000;

/** A documented command, by file and exact text (trailing comment removed). */
interface CommandRef {
  readonly files: readonly string[];
  readonly command: string;
}

/** Commands that are not run, and why. Reviewed: add an entry only with a reason a reader would accept. */
const SKIP: readonly (CommandRef & { readonly reason: string })[] = [
  {
    files: ['README.md'],
    command: 'bash scripts/setup.sh && pnpm demo',
    reason: 'installs system packages with apt-get; .ci/run runs setup.sh, and demo.test.ts runs the demo',
  },
  {
    files: ['README.md'],
    command: 'bash scripts/setup.sh && pnpm test',
    reason: 'installs system packages, then the whole test suite, which runs this test: .ci/run does both',
  },
  {
    files: ['README.md', 'packages/cli/README.md'],
    command: 'pnpm demo',
    reason: 'the demo is run and its output checked by packages/cli/test/demo.test.ts',
  },
  {
    files: ['README.md'],
    command: 'pnpm krbsim decode <hex|base64|@file>',
    reason:
      'a synopsis (placeholder argument), not a command; decode is tested in packages/cli/test/decode*.test.ts',
  },
  {
    files: ['packages/cli/README.md'],
    command: 'pnpm krbsim decode 6a81a73081a4a103020105...',
    reason:
      'the message is elided (...), so it is not a whole message; decode is tested in packages/cli/test',
  },
  ...['pnpm build', 'pnpm lint', 'pnpm typecheck', 'pnpm test'].map((command) => ({
    files: ['README.md'],
    command,
    reason: "the workspace's own CI steps: .ci/run runs each of them (pnpm test runs this test)",
  })),
  ...[
    'pnpm fuzz',
    'pnpm fuzz --seed robust-120b --seconds 120',
    'pnpm fuzz --seed S --only tgs-ticket,udp',
  ].map((command) => ({
    files: ['docs/robustness.md'],
    command,
    reason: 'a fuzz run of 60 s or more; .ci/run runs pnpm fuzz (20 s) after pnpm test',
  })),
  ...[
    ['asn1', 'npm i @krbsim/asn1'],
    ['azure', 'npm i -D @krbsim/azure'],
    ['cli', 'npm i -g @krbsim/cli'],
    ['client', 'npm i @krbsim/client'],
    ['core', 'npm i @krbsim/core'],
    ['crypto', 'npm i @krbsim/crypto'],
    ['files', 'npm i @krbsim/files'],
    ['kdc', 'npm i @krbsim/kdc'],
    ['pac', 'npm i @krbsim/pac'],
    ['pki', 'npm i @krbsim/pki'],
    ['service', 'npm i @krbsim/service'],
    ['tds', 'npm i @krbsim/tds'],
    ['testing', 'npm i -D @krbsim/testing fast-check'],
    ['transport', 'npm i @krbsim/transport'],
  ].map(([pkg, command]) => ({
    files: [`packages/${pkg}/README.md`],
    command: command!,
    reason:
      'installs from the npm registry, where a release puts the packages (RELEASING.md); pnpm test:packed installs the same packages from their packed tarballs with npm',
  })),
  ...[
    ['pki', 'npm i pkijs asn1js'],
    ['azure', 'npm i -D pkijs asn1js'],
    ['transport', 'npm i pkijs asn1js'],
  ].map(([pkg, command]) => ({
    files: [`packages/${pkg}/README.md`],
    command: command!,
    reason:
      "installs from the npm registry: pkijs and asn1js, @krbsim/pki's optional peers, which the workspace has as devDependencies",
  })),
  ...['pnpm test:packed', 'pnpm docs:api', 'pnpm changeset'].map((command) => ({
    files: ['README.md'],
    command,
    reason: "the workspace's own CI and release steps: .ci/run runs pnpm test:packed and pnpm docs:api",
  })),
  {
    files: ['README.md'],
    command: 'pnpm bench',
    reason: 'every benchmark suite, about 30 minutes; bench/README.md describes the smoke runs',
  },
];

/** Commands that prompt (kinit asks for a password on the terminal): what the test types. */
const INPUT: readonly (CommandRef & { readonly input: string })[] = [
  {
    files: ['README.md'],
    command: 'KRB5_CONFIG=/tmp/lab/krb5.conf kinit alice@CONTOSO.COM',
    input: 'Al1ce-Passw0rd\n', // alice's password in examples/azure-trust.yaml
  },
];

/** What a command printed, for EXPECT. */
interface Outcome {
  readonly stdout: string;
  readonly stderr: string;
  /** The working directory of the tour. */
  readonly cwd: string;
}

/** Outputs the docs promise in a comment beside the command: the check returns what is wrong, if anything. */
const EXPECT: readonly (CommandRef & { readonly check: (o: Outcome) => string | undefined })[] = [
  {
    files: ['packages/cli/README.md'],
    command: 'pnpm krbsim --help',
    check: (o) =>
      ['serve', 'decode', 'demo'].every((c) => o.stdout.includes(c))
        ? undefined
        : 'no usage of serve/decode/demo',
  },
  {
    files: ['README.md'],
    command: 'pnpm demo --pcap flows.pcap --keytab flows.keytab',
    check: (o) => {
      // "the same messages for Wireshark": a pcap file (either byte order's magic).
      const f = join(o.cwd, 'flows.pcap');
      if (!existsSync(f)) return 'no flows.pcap written';
      const magic = readFileSync(f).subarray(0, 4).toString('hex');
      if (!['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d'].includes(magic)) return `not a pcap: ${magic}`;
      // "and the keys that open them": an MIT keytab (0x0502), readable by its owner only.
      const k = join(o.cwd, 'flows.keytab');
      if (!existsSync(k)) return 'no flows.keytab written';
      if (readFileSync(k).subarray(0, 2).toString('hex') !== '0502') return 'flows.keytab is no MIT keytab';
      return (statSync(k).mode & 0o777) === 0o600 ? undefined : 'flows.keytab is not mode 0600';
    },
  },
  {
    files: ['packages/cli/README.md', 'packages/cli/examples/azure-trust.yaml'],
    command: 'klist',
    // "the MSSQLSvc ticket, stored under the name asked for (realm from the referral)"
    check: (o) =>
      o.stdout.includes('MSSQLSvc/mi1.abc123.database.windows.net:1433@\n') &&
      o.stdout.includes(
        'Ticket server: MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM',
      )
        ? undefined
        : 'no MSSQLSvc ticket from KERBEROS.MICROSOFTONLINE.COM',
  },
  {
    files: ['README.md', 'packages/cli/README.md'],
    command: "printf 'SELECT SUSER_SNAME()\\ngo\\nexit\\n' | tsql -S mi1",
    check: (o) => (o.stdout.includes('CONTOSO\\alice') ? undefined : 'the login is not CONTOSO\\alice'),
  },
  {
    files: ['packages/cli/examples/pkinit.yaml'],
    command: 'klist',
    // "krbtgt/CONTOSO.COM@CONTOSO.COM, no password asked": kinit -X got it with PKINIT.
    check: (o) =>
      o.stdout.includes('Default principal: alice@CONTOSO.COM') &&
      o.stdout.includes('krbtgt/CONTOSO.COM@CONTOSO.COM')
        ? undefined
        : 'no TGT for alice from kinit -X',
  },
  {
    files: ['packages/cli/README.md'],
    command: 'klist -c /tmp/pkinit-lab/cc',
    // "krbtgt/CONTOSO.COM@CONTOSO.COM, no password asked": kinit -X got it with PKINIT.
    check: (o) =>
      o.stdout.includes('Default principal: alice@CONTOSO.COM') &&
      o.stdout.includes('krbtgt/CONTOSO.COM@CONTOSO.COM')
        ? undefined
        : 'no TGT for alice from kinit -X',
  },
  {
    files: ['packages/cli/examples/azure-sql-mi.yaml'],
    command: "printf 'SELECT SUSER_SNAME()\\ngo\\nexit\\n' | tsql -S mi1",
    // "CONTOSO\carol, through CONTOSO\SqlAdmins": the group login admits her.
    check: (o) => (o.stdout.includes('CONTOSO\\carol') ? undefined : 'the login is not CONTOSO\\carol'),
  },
  {
    files: ['packages/cli/examples/forest.yaml'],
    command: 'klist -f',
    // "O (ok-as-delegate) on intranet's ticket, not on apps'".
    check: (o) => {
      const flags = (spn: string) =>
        new RegExp(`${spn.replace(/[./]/g, '\\$&')}@\\S*\\n\\s+(?:renew until [^,]*, )?Flags: (\\w*)`).exec(
          o.stdout,
        )?.[1];
      const intranet = flags('HTTP/intranet.contoso.com');
      const apps = flags('HTTP/apps.fabrikam.com');
      if (intranet === undefined || apps === undefined) return 'no ticket for intranet or apps';
      return intranet.includes('O') && !apps.includes('O') ? undefined : `flags ${intranet} and ${apps}`;
    },
  },
];

const matches = (ref: CommandRef, tour: Tour, command: string) =>
  ref.files.includes(tour.file) && ref.command === command;

/** Every tour of the documentation. */
const TOURS = tourFiles(ROOT).flatMap((f) => extractTours(ROOT, f));

describe('documentation shell tours: extraction', () => {
  it('finds the tours of the READMEs and the example topologies', () => {
    const files = new Set(TOURS.map((t) => t.file));
    for (const f of [
      'README.md',
      'packages/cli/README.md',
      'packages/cli/examples/azure-trust.yaml',
      'packages/cli/examples/contoso-fabrikam.yaml',
    ])
      expect(files, f).toContain(f);
    for (const t of TOURS) expect(t.commands.length, `${t.file}:${t.line}`).toBeGreaterThan(0);
    // The MIT tour of the CLI README, as a reader types it.
    const mit = TOURS.find(
      (t) => t.file === 'packages/cli/README.md' && t.commands[1]?.text.endsWith('kinit alice'),
    );
    expect(mit?.commands.map((c) => c.text).slice(0, 3)).toEqual([
      'export KRB5_CONFIG=/tmp/lab/krb5.conf KRB5CCNAME=FILE:/tmp/lab/cc',
      "echo 'correct horse battery staple' | kinit alice",
      'kvno host/server.contoso.com',
    ]);
  });

  it('reads commands as the shell does: comments, quotes, continuations', () => {
    expect(stripComment("echo 'a # b' # c")).toBe("echo 'a # b' ");
    expect(stripComment('echo a#b')).toBe('echo a#b');
    expect(stripComment('echo "x \\" # y" # z')).toBe('echo "x \\" # y" ');
    const lines = ['# only a comment', 'a \\', '  b  # tail', '', '   # indented comment', 'c'];
    expect(splitCommands(lines.map((text, i) => ({ text, line: i + 1 })))).toEqual([
      { text: 'a b', line: 2 },
      { text: 'c', line: 6 },
    ]);
  });

  it('the CLI README shows the example topologies as they are (the tours serve the files)', () => {
    const readme = readFileSync(join(ROOT, 'packages/cli/README.md'), 'utf8');
    for (const name of ['contoso-fabrikam', 'azure-trust']) {
      const file = readFileSync(join(ROOT, `packages/cli/examples/${name}.yaml`), 'utf8');
      const body = file.replace(/^(#.*\n)+/, '');
      const at = readme.indexOf(`(\`examples/${name}.yaml\`)`);
      const shown = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
      expect(shown, `packages/cli/README.md's copy of examples/${name}.yaml`).toBe(body);
    }
  });

  it('every SKIP, INPUT and EXPECT entry names a documented command (none is stale)', () => {
    const documented = TOURS.flatMap((t) => t.commands.map((c) => ({ tour: t, command: c.text })));
    for (const ref of [...SKIP, ...INPUT, ...EXPECT])
      for (const file of ref.files)
        expect(
          documented.some((d) => d.tour.file === file && d.command === ref.command),
          `${file}: \`${ref.command}\` is not documented there any more`,
        ).toBe(true);
    for (const s of SKIP) expect(s.reason.length, s.command).toBeGreaterThan(20);
  });
});

/** The files of one command's run, in the block's state directory. */
const stateFile = (state: string, kind: string, k: number) => join(state, `${kind}.${k}`);

/** `pnpm krbsim serve ...` typed in the foreground: the reader leaves it running. */
const FOREGROUND_SERVE = /^pnpm krbsim serve\s(?!.*&\s*$)/;

/**
 * The shell functions every tour script starts with: `pnpm` for the CLI's
 * workspace scripts (through tsx), and `__serve`, which starts a foreground
 * serve in the background in its own session and waits for its ports.json.
 */
function prelude(t: { servers: string }): string {
  return `
pnpm() {
  case "$1" in
    --silent|-s) shift; pnpm "$@" ;;
    krbsim) shift; ${JSON.stringify(TSX)} packages/cli/src/bin.ts "$@" ;;
    demo) shift; ${JSON.stringify(TSX)} packages/cli/src/bin.ts demo "$@" ;;
    *) echo "readme-tours: pnpm $1 is not run by the tours (add it to SKIP or teach the prelude)" >&2; return 127 ;;
  esac
}
__serve() {
  local dir="" prev="" a
  for a in "$@"; do [ "$prev" = --dir ] && dir=$a; prev=$a; done
  [ -n "$dir" ] || { echo "readme-tours: a served tour needs --dir" >&2; return 2; }
  local key; key=$(printf %s "$dir" | tr -c 'A-Za-z0-9._-' _)
  local pidf=${JSON.stringify(t.servers)}/$key.pid log=${JSON.stringify(t.servers)}/$key.log
  if [ -f "$pidf" ]; then kill -TERM -- "-$(cat "$pidf")" 2>/dev/null; sleep 1; fi
  rm -f "$dir/ports.json"
  ( setsid ${JSON.stringify(TSX)} packages/cli/src/bin.ts serve "$@" >"$log" 2>&1 </dev/null & echo $! >"$pidf" )
  local i=0
  until [ -f "$dir/ports.json" ]; do
    kill -0 "$(cat "$pidf")" 2>/dev/null || { echo "krbsim serve exited before it was ready:"; cat "$log"; return 1; } >&2
    i=$((i + 1)); [ $i -lt 900 ] || { echo "krbsim serve not ready after 90 s" >&2; return 1; }
    sleep 0.1
  done
}
`;
}

interface FileRun {
  readonly tmp: TempDir;
  /** The symlinked copy of the workspace root the tours run in. */
  readonly cwd: string;
  /** Where __serve keeps each foreground server's pid and log. */
  readonly servers: string;
}

/** Stop every server a file's tours left running: SIGTERM to its session, SIGKILL after 5 s. */
async function stopServers(servers: string): Promise<void> {
  const pids = (await readdir(servers).catch(() => []))
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(servers, f), 'utf8').trim()));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (pid: number, s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // gone
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

/** The last `n` lines of every server log of a file's tours. */
async function serverLogs(servers: string, n = 40): Promise<string> {
  const logs = (await readdir(servers).catch(() => [])).filter((f) => f.endsWith('.log'));
  const parts = await Promise.all(
    logs.map(async (f) => {
      const lines = (await readFile(join(servers, f), 'utf8')).trimEnd().split('\n');
      return `--- krbsim serve ${f} (last ${Math.min(n, lines.length)} lines)\n${lines.slice(-n).join('\n')}`;
    }),
  );
  return parts.join('\n');
}

/** Run one tour; resolves with a failure description, or undefined when every command passed. */
async function runTour(run: FileRun, tour: Tour, skipped: string[]): Promise<string | undefined> {
  const state = join(run.tmp.path, '.readme-tours', `block-${tour.block}`);
  await mkdir(state, { recursive: true });
  const mitDir = dirname(findTool('kinit')!);
  const tmp = run.tmp.path;
  const lines = [
    'set +e',
    `export KRB5CCNAME=FILE:${tmp}/default-ccache KRB5_CONFIG=${tmp}/no-krb5.conf KRB5RCACHETYPE=none`,
    `export KRB5_KTNAME=FILE:${tmp}/no-such-keytab KRB5_CLIENT_KTNAME=FILE:${tmp}/no-such-client-keytab`,
    `export PATH=${JSON.stringify(mitDir)}:"$PATH"`,
    prelude({ servers: run.servers }),
  ];
  const ran: { k: number; text: string; shell: string; line: number }[] = [];
  const inputs: Promise<void>[] = [];
  tour.commands.forEach((c, k) => {
    const skip = SKIP.find((s) => matches(s, tour, c.text));
    if (skip) {
      skipped.push(`${tour.file}:${c.line} \`${c.text}\`: ${skip.reason}`);
      return;
    }
    let shell = c.text.replace(/(^|[^\w./-])\/tmp\//g, `$1${tmp}/`);
    if (FOREGROUND_SERVE.test(shell)) shell = shell.replace(/^pnpm krbsim serve/, '__serve');
    inputs.push(
      writeFile(stateFile(state, 'in', k), INPUT.find((i) => matches(i, tour, c.text))?.input ?? ''),
    );
    lines.push(
      `# ${tour.file}:${c.line}`,
      `export KRB5_TRACE=${stateFile(state, 'trace', k)}`,
      `{ ${shell}`,
      `} > ${stateFile(state, 'out', k)} 2> ${stateFile(state, 'err', k)} < ${stateFile(state, 'in', k)}`,
      `__rc=$?; echo $__rc > ${stateFile(state, 'rc', k)}; [ $__rc -eq 0 ] || exit 100`,
    );
    ran.push({ k, text: c.text, shell, line: c.line });
  });
  await Promise.all(inputs);
  const script = join(state, 'tour.sh');
  await writeFile(script, `${lines.join('\n')}\n`);
  const proc = startProcess('bash', ['--noprofile', '--norc', script], {
    cwd: run.cwd,
    timeoutMs: BLOCK_TIMEOUT_MS,
  });
  const exit = await proc.exited();
  await proc.stop();

  const read = (kind: string, k: number) =>
    readFile(stateFile(state, kind, k), 'utf8').catch(() => undefined);
  const where = `${tour.file}, shell block ${tour.block} (line ${tour.line})`;
  for (const c of ran) {
    const rc = await read('rc', c.k);
    const stdout = (await read('out', c.k)) ?? '';
    const stderr = (await read('err', c.k)) ?? '';
    const failure =
      rc === undefined
        ? exit.code === 100 || exit.code === 0
          ? undefined
          : `did not finish (the block ${exit.signal ? `was killed by ${exit.signal} after ${BLOCK_TIMEOUT_MS} ms` : `exited ${exit.code}`})`
        : rc.trim() !== '0'
          ? `exited ${rc.trim()}`
          : EXPECT.find((e) => matches(e, tour, c.text))?.check({ stdout, stderr, cwd: run.cwd });
    if (rc === undefined && failure === undefined) break; // an earlier command failed
    if (failure === undefined) continue;
    return [
      `${where}, command at line ${c.line}:`,
      `  ${c.text}`,
      ...(c.shell !== c.text ? [`  (run as: ${c.shell})`] : []),
      `${failure}`,
      `--- stdout\n${stdout}`,
      `--- stderr\n${stderr}`,
      `--- KRB5_TRACE\n${(await read('trace', c.k)) ?? '(none)'}`,
      await serverLogs(run.servers),
      `--- the tour's script: ${script}`,
    ].join('\n');
  }
  return undefined;
}

/** A temp dir whose entries are symlinks to the workspace root's. */
async function shadowRoot(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(ROOT)) {
    if (entry === '.git') continue;
    symlinkSync(join(ROOT, entry), join(dir, entry));
  }
}

describeWithTools(
  'documentation shell tours, run for real',
  ['kinit', 'kvno', 'klist', 'kdestroy', 'tsql', 'bash', 'setsid'],
  () => {
    const skipped: string[] = [];
    afterAll(async () => {
      await stopAllProcesses();
      if (skipped.length > 0)
        console.info(
          `readme-tours: ${skipped.length} documented commands not run:\n  ${skipped.join('\n  ')}`,
        );
    });

    for (const file of [...new Set(TOURS.map((t) => t.file))]) {
      describe(file, () => {
        let run: FileRun;
        beforeAll(async () => {
          const tmp = await makeTempDir('readme-tours');
          run = {
            tmp,
            cwd: tmp.file('.readme-tours', 'workspace'),
            servers: tmp.file('.readme-tours', 'servers'),
          };
          await shadowRoot(run.cwd);
          await mkdir(run.servers, { recursive: true });
        });
        afterAll(async () => {
          if (!run) return;
          await stopServers(run.servers);
          await run.tmp.remove();
        });

        for (const tour of TOURS.filter((t) => t.file === file)) {
          const title = `shell block ${tour.block} (line ${tour.line}): ${tour.commands.length} commands`;
          if (tour.optOut !== undefined) {
            it.skip(`${title} (opted out: ${tour.optOut})`, () => {});
            continue;
          }
          it(
            title,
            async () => {
              const failure = await runTour(run, tour, skipped);
              if (failure !== undefined) throw new Error(failure);
            },
            BLOCK_TIMEOUT_MS + 30_000,
          );
        }
      });
    }
  },
);
