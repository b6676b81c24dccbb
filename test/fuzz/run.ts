/**
 * `pnpm fuzz`: a repeatable, time-bounded, loopback-only fuzz run of krbsim's
 * parsers and servers, with figures for docs/robustness.md.
 *
 *   pnpm fuzz [--seed <s>] [--seconds <n>] [--inputs <n>] [--only <t,...>] [--out <dir>]
 *
 * - `--seed`: everything the run feeds is derived from it (default: random,
 *   printed first). The same seed gives the same inputs in the same order.
 * - `--seconds` (or `KRBSIM_FUZZ_SECONDS`; default 60): the time for all
 *   targets together, shared by weight. The lab's setup is not counted.
 * - `--inputs`: stop each target after this many inputs instead (with a long
 *   enough `--seconds`, a run that is the same on every machine).
 * - `--only`: some targets (see targets.ts and network.ts for the names).
 * - `--out`: where failing inputs are saved (default a new temp dir).
 *
 * Targets: the DER decoders; `Kdc.handle` with AS and TGS requests damaged on
 * the wire; TGS-REQs around a valid TGT with the authenticator, the body or
 * the ticket damaged behind the crypto; AS-REQs with a damaged
 * PA-ENC-TIMESTAMP; the managed instance's AP-REQ acceptance the same ways;
 * the MS-KKDCP proxy; PACs, raw and signed again; FAST-armored TGS-REQs;
 * GSS Wrap and MIC tokens; PKINIT's CMS and AuthPack at a PKINIT realm; a
 * real `serveKdc` over UDP and TCP, and a real `serveTds` (PRELOGIN,
 * LOGIN7, SQL batches, transaction manager requests, TLS), on 127.0.0.1.
 * Invariants (checks.ts): nothing but a KerberosError out of a parser or the
 * acceptor, nothing out of `Kdc.handle` and no internal error inside it,
 * every reply a well-formed KRB-ERROR or a reply of the request's kind, no
 * UDP answer to what is not a request, a good client served throughout, no
 * TCP connection or byte held at the end, memory back to where it started.
 *
 * Prints the inputs tried and the outcomes per target, the failures, and a
 * summary; exits 1 on any failure, with each failing input saved (the input,
 * the message built from it, and what went wrong).
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hex, InvariantError } from './checks';
import type { FuzzInput } from './inputs';
import { buildLab, CONTOSO } from './lab';
import { tcpTarget, udpTarget } from './network';
import { pkinitTargets } from './pkinit';
import { inProcessTargets, type Target } from './targets';
import { tdsTargets } from './tds';

const MAX_SAVED = 20;
/** The heap and array buffers may end this much above where they started (after a GC). */
const MEMORY_SLACK_BYTES = 64 << 20;

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seconds: { type: 'string' },
    inputs: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const seed = values.seed ?? randomBytes(6).toString('hex');
const seconds = Number(values.seconds ?? process.env.KRBSIM_FUZZ_SECONDS ?? 60);
const maxInputs = values.inputs === undefined ? Number.POSITIVE_INFINITY : Number(values.inputs);
if (!(seconds > 0) || !(maxInputs > 0)) {
  console.error('fuzz: --seconds and --inputs take a positive number');
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
/** The heap and array buffers after a full GC (twice, around a pause: backing stores are freed off-thread). */
async function memory(): Promise<{ heap: number; rss: number }> {
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

interface Failure {
  readonly target: string;
  readonly input?: FuzzInput;
  readonly crash: boolean;
  readonly message: string;
}
const failures: Failure[] = [];
let outDir: string | undefined;

/** Records a failure and saves its input (the first MAX_SAVED). */
function fail(target: Target, input: FuzzInput | undefined, error: unknown): void {
  const crash = !(error instanceof InvariantError);
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  failures.push({ target: target.name, ...(input && { input }), crash, message });
  console.log(
    `  ${crash ? 'CRASH' : 'INVARIANT'} ${target.name}${input ? ` input #${input.index} (${input.kind})` : ''}: ${message.split('\n')[0]}`,
  );
  if (failures.length > MAX_SAVED) return;
  outDir ??= values.out ?? mkdtempSync(join(tmpdir(), `krbsim-fuzz-${seed}-`));
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `${target.name}-${input?.index ?? 'finish'}`);
  const lines = [`seed ${seed}`, `target ${target.name}`, `kind ${crash ? 'crash' : 'invariant'}`];
  if (input) {
    writeFileSync(`${base}.bin`, input.bytes);
    lines.push(`input #${input.index}: ${input.kind}`, `input hex: ${hex(input.bytes)}`);
  }
  if (input && target.lastBuilt) {
    writeFileSync(`${base}.built.bin`, target.lastBuilt);
    lines.push(`built message hex: ${hex(target.lastBuilt)}`);
  }
  writeFileSync(`${base}.txt`, `${[...lines, '', message].join('\n')}\n`);
  console.log(`    saved ${base}.{txt,bin}`);
}

// A closed stdout (`pnpm fuzz | head`) ends the run: reporting into it would only raise more errors.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(failures.length === 0 ? 0 : 1);
  });
}
let asyncErrors = 0;
const current: { target?: Target } = {};
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e) => {
    asyncErrors++;
    if (current.target) fail(current.target, undefined, e);
    else console.error(`fuzz: ${event}`, e);
  });
}

console.log(
  `fuzz: seed ${seed}, ${seconds} s${Number.isFinite(maxInputs) ? `, at most ${maxInputs} inputs per target` : ''}` +
    `${gc ? '' : ' (no --expose-gc: memory figures include garbage)'}; repeat with: pnpm fuzz --seed ${seed} --seconds ${seconds}`,
);
const setupStart = performance.now();
const lab = await buildLab(seed);
const networkBases = [
  ...lab.exchanges.filter((e) => e.realm === CONTOSO).flatMap((e) => [e.request, e.reply]),
  ...lab.apReqs,
];
let targets: Target[] = [
  ...inProcessTargets(seed, lab),
  ...(await pkinitTargets(seed, lab.clock.now())),
  udpTarget(seed, lab, networkBases),
  tcpTarget(seed, lab, networkBases),
  ...tdsTargets(seed),
];
if (values.only !== undefined) {
  const only = new Set(values.only.split(','));
  const unknown = [...only].filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length > 0) {
    console.error(`fuzz: no target ${unknown.join(', ')}; targets: ${targets.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
  targets = targets.filter((t) => only.has(t.name));
}
console.log(
  `fuzz: lab ready in ${((performance.now() - setupStart) / 1000).toFixed(1)} s: ${lab.exchanges.length} real exchanges captured; targets ${targets.map((t) => t.name).join(', ')}`,
);

const before = await memory();
const totalWeight = targets.reduce((s, t) => s + t.weight, 0);
const rows: {
  name: string;
  inputs: number;
  ms: number;
  outcomes: Map<string, number>;
  failures: number;
  slowest: number;
}[] = [];
// Each target is dropped once done, so that what its inputs held does not count in the next one's memory.
const queue = targets.splice(0);
for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
  current.target = target;
  const budget = (seconds * 1000 * target.weight) / totalWeight;
  const outcomes = new Map<string, number>();
  const start = performance.now();
  const failed = failures.length;
  let inputs = 0;
  let slowest = 0;
  let slowestInput = '';
  while (inputs < maxInputs && performance.now() - start < budget) {
    const input = target.inputs.next();
    target.lastBuilt = undefined;
    const t0 = performance.now();
    inputs++;
    try {
      const label = await target.run(input.bytes);
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    } catch (e) {
      fail(target, input, e);
      outcomes.set('FAILED', (outcomes.get('FAILED') ?? 0) + 1);
    }
    const took = performance.now() - t0;
    if (took > slowest) {
      slowest = took;
      slowestInput = `#${input.index} ${input.kind.slice(0, 60)}`;
    }
  }
  try {
    await target.finish?.();
  } catch (e) {
    fail(target, undefined, e);
  }
  const ms = performance.now() - start;
  const heapAfter = (await memory()).heap;
  rows.push({ name: target.name, inputs, ms, outcomes, failures: failures.length - failed, slowest });
  const top = [...outcomes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${((100 * v) / inputs).toFixed(0)}%`)
    .join(', ');
  console.log(
    `${target.name}: ${inputs} inputs in ${(ms / 1000).toFixed(1)} s (${Math.round((inputs * 1000) / ms)}/s; slowest ${slowest.toFixed(0)} ms, ${slowestInput}; heap ${mib(heapAfter)}); ${top}${outcomes.size > 4 ? `, ... (${outcomes.size} outcomes)` : ''}`,
  );
  if (target.summary) console.log(`  ${target.summary}`);
}
current.target = undefined;

const after = await memory();
const growth = after.heap - before.heap;
const memoryOk = growth < MEMORY_SLACK_BYTES;
const total = rows.reduce((s, r) => s + r.inputs, 0);
const crashes = failures.filter((f) => f.crash).length;
console.log('');
console.log('| target | inputs | failures |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${r.inputs} | ${r.failures} |`);
console.log(`| total | ${total} | ${failures.length} |`);
console.log('');
console.log(
  `fuzz: seed ${seed}: ${total} inputs, crashes ${crashes}, invariant failures ${failures.length - crashes}` +
    `${asyncErrors > 0 ? ` (${asyncErrors} asynchronous)` : ''}; heap + array buffers ${mib(before.heap)} before, ${mib(after.heap)} after` +
    ` (${memoryOk ? 'bounded' : `grew ${mib(growth)}: FAILED`}), rss ${mib(before.rss)} / ${mib(after.rss)}`,
);
if (outDir) console.log(`fuzz: failing inputs in ${outDir}`);
process.exit(failures.length === 0 && memoryOk ? 0 : 1);
