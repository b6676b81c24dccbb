/**
 * `pnpm bench [suite ...] [--quick] [--flags default|single-threaded-gc]
 *             [--cpu N | --no-pin] [--clock cpu|wall]`
 *
 * Runs every suite in bench/suites/ (or the named ones) once per Node flag
 * set: with default flags, then with V8's `--single-threaded-gc` (on these
 * 2-core machines V8's GC helper threads dominate small allocations). Each
 * flag set is a child process of this one (`node --import tsx bench/run.ts
 * --child ...`), pinned to CPU 0 with `taskset` when it exists (and then
 * timed by process CPU time, which other work cannot inflate). Every suite
 * measures with the paired method (bench/lib/paired.ts). The parent prints
 * the CPU model and the load average, builds the MIT harness once, then
 * prints every figure side by side and writes bench/.bench-build/last-run.json
 * and last-run.md.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type FlagSetRun,
  type RunResults,
  renderMarkdown,
  renderSummary,
  runSuite,
  type SuiteBuilder,
  type SuiteResult,
} from './lib/measure';
import { BENCH_DIR, BUILD_DIR, buildMitHarness, mitCacheFile } from './lib/mit';
import { cpuModel, loadText, pairedOptions } from './lib/paired';

const SUITES_DIR = join(BENCH_DIR, 'suites');
const REPO_ROOT = join(BENCH_DIR, '..');

const FLAG_SETS: { name: string; nodeFlags: string[] }[] = [
  { name: 'default', nodeFlags: [] },
  { name: 'single-threaded-gc', nodeFlags: ['--single-threaded-gc'] },
];

interface Args {
  child: boolean;
  quick: boolean;
  /** CPU to pin the flag sets to, or null for no pinning. */
  cpu: number | null;
  /** Clock to time with; default `cpu` when pinned, else `wall`. */
  clock?: 'wall' | 'cpu';
  flagSet?: string;
  out?: string;
  suites: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { child: false, quick: false, cpu: 0, suites: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--') continue;
    else if (x === '--child') a.child = true;
    else if (x === '--quick') a.quick = true;
    else if (x === '--flags' || x === '--flag-set') a.flagSet = argv[++i];
    else if (x.startsWith('--flags=')) a.flagSet = x.slice('--flags='.length);
    else if (x === '--out') a.out = argv[++i];
    else if (x === '--cpu') a.cpu = Number(argv[++i]);
    else if (x === '--no-pin') a.cpu = null;
    else if (x === '--clock') {
      const c = argv[++i];
      if (c !== 'wall' && c !== 'cpu') throw new Error('--clock must be wall or cpu');
      a.clock = c;
    } else if (x === '--help' || x === '-h') {
      process.stdout.write(
        'usage: pnpm bench [suite ...] [--quick] [--flags default|single-threaded-gc] [--cpu N | --no-pin] [--clock cpu|wall]\n' +
          `suites: ${availableSuites().join(', ')}\n`,
      );
      process.exit(0);
    } else if (x.startsWith('-')) throw new Error(`unknown option ${x}`);
    else a.suites.push(x);
  }
  return a;
}

function availableSuites(): string[] {
  return readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function chooseSuites(names: string[]): string[] {
  const all = availableSuites();
  if (names.length === 0) return all;
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`unknown suite(s) ${unknown.join(', ')}; available: ${all.join(', ')}`);
  return names;
}

// --- child: one flag set ---------------------------------------------------

async function child(args: Args): Promise<void> {
  const mit = buildMitHarness();
  const clock = args.clock ?? 'wall';
  const results: SuiteResult[] = [];
  for (const name of chooseSuites(args.suites)) {
    const mod = (await import(pathToFileURL(join(SUITES_DIR, `${name}.ts`)).href)) as {
      default: SuiteBuilder;
    };
    const s = await mod.default({ mit, quick: args.quick });
    results.push(await runSuite(s, { mit, paired: pairedOptions(args.quick, clock) }));
  }
  const set = FLAG_SETS.find((f) => f.name === args.flagSet) ?? {
    name: args.flagSet ?? 'default',
    nodeFlags: [],
  };
  const run: FlagSetRun = { name: set.name, nodeFlags: set.nodeFlags, suites: results };
  if (args.out) writeFileSync(args.out, JSON.stringify(run, null, 2));
}

// --- parent ------------------------------------------------------------------

function tasksetWorks(cpu: number): boolean {
  const r = spawnSync('taskset', ['-c', String(cpu), 'true']);
  return !r.error && r.status === 0;
}

function parent(args: Args): void {
  const suites = chooseSuites(args.suites);
  const sets = args.flagSet ? FLAG_SETS.filter((f) => f.name === args.flagSet) : FLAG_SETS;
  if (sets.length === 0)
    throw new Error(`unknown flag set ${args.flagSet}; use ${FLAG_SETS.map((f) => f.name).join(' or ')}`);

  const started = Date.now();
  mkdirSync(BUILD_DIR, { recursive: true });
  const mit = buildMitHarness();
  if (mit.ok) {
    const bin = relative(REPO_ROOT, mit.binary);
    process.stdout.write(`MIT harness: ${mit.built ? 'built' : 'cached'} ${bin} against ${mit.version}\n`);
  } else {
    process.stdout.write(
      `MIT harness UNAVAILABLE: ${mit.reason}\n` +
        '  -> the MIT baselines are skipped; only the node:crypto / asn1js ratios are printed.\n',
    );
  }
  const load = loadavg()[0]!;
  const loadBefore = loadText();
  process.stdout.write(`CPU: ${cpuModel()}; load average ${loadBefore}\n`);
  if (load > 2.5) {
    process.stdout.write(
      `Load average ${load.toFixed(2)} before starting: the machine is busy; paired ratios tolerate noise, not a saturated machine.\n`,
    );
  }
  const pinned = args.cpu !== null && Number.isInteger(args.cpu) && tasksetWorks(args.cpu);
  process.stdout.write(
    pinned
      ? `Pinning each flag set to CPU ${args.cpu} (taskset -c ${args.cpu}).\n`
      : args.cpu === null
        ? 'Not pinned (--no-pin).\n'
        : `taskset -c ${args.cpu} does not work here: running unpinned (figures are noisier).\n`,
  );
  // CPU time is immune to other work preempting us, but only equals the
  // elapsed time when every thread of ours shares the one pinned core.
  const clock = args.clock ?? (pinned ? 'cpu' : 'wall');
  process.stdout.write(
    clock === 'cpu'
      ? 'Timing with process CPU time (the pinned core: equal to elapsed time when the machine is quiet).\n'
      : 'Timing with elapsed (wall) time.\n',
  );

  const runId = `${started}-${process.pid}`;
  const runs: FlagSetRun[] = [];
  try {
    for (const [i, set] of sets.entries()) {
      const out = join(BUILD_DIR, `run-${runId}-${set.name}.json`);
      const nodeArgs = [
        ...set.nodeFlags,
        '--expose-gc',
        '--import',
        'tsx',
        join(BENCH_DIR, 'run.ts'),
        '--child',
      ];
      nodeArgs.push(
        '--flags',
        set.name,
        '--out',
        out,
        '--clock',
        clock,
        ...(args.quick ? ['--quick'] : []),
        ...suites,
      );
      const [cmd, cmdArgs] = pinned
        ? ['taskset', ['-c', String(args.cpu), process.execPath, ...nodeArgs]]
        : [process.execPath, nodeArgs];
      process.stdout.write(
        `\n# flag set ${i + 1}/${sets.length}: ${set.name} (node ${[...set.nodeFlags, '--expose-gc'].join(' ')})\n`,
      );
      const r = spawnSync(cmd, cmdArgs as string[], {
        cwd: REPO_ROOT,
        stdio: 'inherit',
        env: { ...process.env, KRBSIM_BENCH_RUN_ID: runId },
      });
      if (r.status !== 0) throw new Error(`flag set ${set.name} failed (exit ${r.status ?? r.signal})`);
      runs.push(JSON.parse(readFileSync(out, 'utf8')) as FlagSetRun);
      rmSync(out, { force: true });
    }
  } finally {
    rmSync(mitCacheFile(runId), { force: true });
  }

  const results: RunResults = {
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpu: cpuModel(),
      cores: pinned ? 1 : availableParallelism(),
      pinned: pinned ? `taskset -c ${args.cpu}` : null,
      loadBefore,
      loadAfter: loadText(),
      mit: mit.ok ? mit.version : null,
    },
    command: `pnpm bench${args.suites.length ? ` ${args.suites.join(' ')}` : ''}${args.quick ? ' --quick' : ''}${args.flagSet ? ` --flags ${args.flagSet}` : ''}`,
    paired: pairedOptions(args.quick, clock),
    flagSets: runs,
  };
  process.stdout.write(`${renderSummary(results)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(join(BUILD_DIR, 'last-run.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(BUILD_DIR, 'last-run.md'), md);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    `\nWrote bench/.bench-build/last-run.json and last-run.md (markdown for RESULTS.md). Total ${secs} s.\n`,
  );
}

const args = parseArgs(process.argv.slice(2));
try {
  if (args.child) await child(args);
  else parent(args);
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
