/**
 * krbsim's KDC served over loopback UDP (`serveKdc`) against MIT's
 * `krb5kdc`, under the same load client.
 *
 * Both servers hold BENCH.TEST with the same principals and etype 18 keys
 * only (bench/lib/exchanges-servers.ts), each in a process of its own,
 * unpinned. The load client (bench/lib/exchanges-load.ts, in this process)
 * keeps WINDOW requests outstanding, one per UDP socket, each the same
 * AS-REQ for alice (who does not require pre-authentication on either KDC:
 * one round trip to an AS-REP) with a nonce of its own, so MIT's lookaside
 * cache of replies to identical requests never answers for the KDC. The
 * servers take turns in paired windows (bench/lib/paired-load.ts): each
 * figure is the median over runs of the median over a run's windows, and
 * krbsim/MIT is the median of per-pair ratios with its range over runs:
 * AS-REPs per second, latency p50/p99, and the server's CPU time per reply
 * (from /proc), which does not depend on which side was the bottleneck.
 *
 * Every server's failed requests (KRB-ERRORs, other replies, lost requests)
 * are printed with its figures; above 0.1% of its requests the output says
 * FAILED (bench/lib/paired-load.ts).
 *
 * For scale, the same AS-REQ handled by `Kdc.handle` in this process (the
 * KDC's own work without sockets): informational, with no target, paired
 * with one SHA-256 of 4 KiB (the kdc-units suite's unit) and given in those
 * units.
 *
 * The figures are printed, kept as this suite's notes, and written with the
 * other flag set's to bench/.bench-build/kdc-udp-last.{json,md}.
 */

import { loadavg } from 'node:os';
import { decodeKrbError } from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { Kdc } from '@krbsim/kdc';
import { benchRealm, loadAsReq, MANY_USERS, manyUserName, setNonce } from '../lib/exchanges-fixtures';
import { oneExchange, runLoad } from '../lib/exchanges-load';
import {
  figureText,
  fmtOps,
  NO_TARGET,
  type Row,
  recordFlagSet,
  rowOf,
  runOptions,
  SHA_UNIT,
  shaUnitSide,
  UNITS,
  warmMs,
} from '../lib/exchanges-measure';
import { mitKdcMissing, type RunningServer, startKrbsimServer, startMitKdc } from '../lib/exchanges-servers';
import { type SuiteContext, suite } from '../lib/measure';
import { goalVerdict, jsSide, measurePaired, spreadRatio, spreadTime } from '../lib/paired';
import {
  cpuNsPerReply,
  FAILED_SHARE,
  failuresText,
  failureWarnings,
  type LoadPlan,
  type LoadSide,
  type LoadWindows,
  loadFailures,
  loadRatio,
  loadSpread,
  measureLoadPaired,
  nsPerReply,
} from '../lib/paired-load';

const WINDOW = 32;
/** The name suffix of a server's side whose load rotates over the many users. */
const MANY = `, ${MANY_USERS.toLocaleString('en-US')} users in turn`;

const FULL: LoadPlan = { firstWarmupMs: 3000, rampMs: 150, windowMs: 500, pairs: 6, runs: 3 };
const QUICK: LoadPlan = { firstWarmupMs: 1000, rampMs: 100, windowMs: 300, pairs: 2, runs: 3 };

function describeReply(reply: Uint8Array): string {
  if (reply[0] === 0x6b) return 'AS-REP';
  if (reply[0] === 0x7e) {
    try {
      const e = decodeKrbError(reply);
      return `KRB-ERROR ${e.errorCode}${e.eText ? ` (${e.eText})` : ''}`;
    } catch {
      return 'an undecodable KRB-ERROR';
    }
  }
  return `a message starting 0x${reply[0]?.toString(16)}`;
}

export default async function build(ctx: SuiteContext) {
  const plan = ctx.quick ? QUICK : FULL;
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('kdc-udp');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): loopback UDP, window ${WINDOW}, ` +
      `paired windows of ${plan.windowMs} ms, ${plan.pairs} pairs x ${plan.runs} runs`,
  );
  const { bytes: template, nonceOffset } = loadAsReq();
  // The same AS-REQ for each of the many users, in turn (issue 14: 1,000 distinct users against one).
  const many = Array.from({ length: MANY_USERS }, (_, i) => loadAsReq(Date.now(), manyUserName(i)));
  if (many.some((m) => m.nonceOffset !== many[0]!.nonceOffset)) throw new Error('the users’ nonces move');
  const rotate = many.map((m) => m.bytes);
  const probe = async (port: number): Promise<void> => {
    const req = new Uint8Array(template);
    setNonce(req, nonceOffset, 0x3fff0000);
    const reply = await oneExchange(port, req, 500);
    if (reply[0] !== 0x6b) throw new Error(`the probe AS-REQ got ${describeReply(reply)}, not an AS-REP`);
  };

  const servers: RunningServer[] = [];
  let windows: LoadWindows = new Map();
  try {
    const krbsim = await startKrbsimServer();
    servers.push(krbsim);
    await probe(krbsim.port);
    const mitMissing = mitKdcMissing();
    if (mitMissing) {
      s.note(`MIT krb5kdc not measured: ${mitMissing}`);
      print(`MIT krb5kdc not measured: ${mitMissing}`);
    } else {
      servers.push(await startMitKdc(probe, { manyUsers: true }));
    }
    let nonce = 0;
    const side = (server: RunningServer, users: 'one' | 'many'): LoadSide => ({
      name: users === 'one' ? server.name : `${server.name}${MANY}`,
      run: async (warmupMs, durationMs) => {
        const r = await runLoad({
          port: server.port,
          template: users === 'one' ? template : rotate[0]!,
          nonceOffset: users === 'one' ? nonceOffset : many[0]!.nonceOffset,
          ...(users === 'many' && { rotate }),
          window: WINDOW,
          warmupMs,
          durationMs,
          serverPid: server.pid,
          nonceStart: nonce,
        });
        nonce += 1_000_000;
        return r;
      },
    });
    const sides = servers.flatMap((server) => [side(server, 'one'), side(server, 'many')]);
    windows = await measureLoadPaired(sides, plan);
  } finally {
    for (const srv of servers) await srv.stop();
  }

  const K = 'krbsim serveKdc';
  const M = 'MIT krb5kdc';
  const notes: string[] = [
    `AS-REQ ${template.length} B (alice, no pre-auth, etype 18, no PAC asked; a fresh nonce per request), and the same ` +
      `for each of ${MANY_USERS.toLocaleString('en-US')} more users in turn (both servers hold them all), ` +
      `${WINDOW} requests outstanding (one per UDP socket); paired windows: the servers take turns under the same load, ` +
      `${plan.rampMs} ms of ramp then ${plan.windowMs} ms measured each, ${plan.pairs} pairs per run, ${plan.runs} runs; ` +
      'servers unpinned, each in its own process; MIT with disable_pac and logging to /dev/null; ' +
      `a server whose errors and lost requests pass ${100 * FAILED_SHARE}% of its requests is marked FAILED; ` +
      `Kdc.handle in process: ${NO_TARGET}, paired with one SHA-256 of 4 KiB and given in those units; ` +
      'both flag sets side by side: bench/.bench-build/kdc-udp-last.md',
  ];
  const rows: Row[] = [];
  const warnings = failureWarnings(windows);
  for (const w of warnings) print(w);
  for (const name of windows.keys()) {
    const thr = loadSpread(windows, name, nsPerReply);
    const cpu = loadSpread(windows, name, cpuNsPerReply);
    const p50 = loadSpread(windows, name, (r) => r.p50Us);
    const p99 = loadSpread(windows, name, (r) => r.p99Us);
    const failures = failuresText(loadFailures(windows, name));
    const lat = `p50 ${p50.median.toFixed(0)} µs, p99 ${p99.median.toFixed(0)} µs; ${failures}`;
    const vsMit = (name === K && windows.has(M)) || (name === K + MANY && windows.has(M + MANY));
    const mitName = name === K ? M : M + MANY;
    rows.push(
      rowOf(`${name} over UDP: AS-REP/s`, thr, {
        text: lat,
        ...(vsMit && { ratios: { [M]: loadRatio(windows, name, mitName, nsPerReply)! } }),
      }),
    );
    if (Number.isFinite(cpu.median)) {
      rows.push(
        rowOf(`${name}: server CPU per AS-REP`, cpu, {
          measure: 'cpu',
          ...(vsMit && { ratios: { [M]: loadRatio(windows, name, mitName, cpuNsPerReply)! } }),
        }),
      );
    }
    notes.push(
      `${name}: ${fmtOps(1e9 / thr.median)} AS-REP/s (${spreadTime(thr)} per reply), ${lat}, server CPU ${spreadTime(cpu)} per reply`,
    );
  }
  if (windows.has(K) && windows.has(M)) {
    const thr = loadRatio(windows, K, M, nsPerReply)!;
    const cpu = loadRatio(windows, K, M, cpuNsPerReply)!;
    const failed = loadFailures(windows, K).failed || loadFailures(windows, M).failed;
    const text =
      `krbsim/MIT, paired: throughput ${spreadRatio(thr)}, server CPU per reply ${spreadRatio(cpu)} ` +
      `(MIT ÷ krbsim: above 1 krbsim is cheaper) -> target (krbsim ahead of krb5kdc, above 1.00x) ` +
      (failed ? 'NOT JUDGED: a server FAILED (above)' : goalVerdict(thr, 1.0));
    notes.push(text);
    print(`  ${text}`);
  }
  // What 1,000 users cost each server against one (the AS-REQ's user alone differs).
  for (const name of [K, M]) {
    if (!windows.has(name) || !windows.has(name + MANY)) continue;
    const thr = loadRatio(windows, name, name + MANY, nsPerReply)!;
    const cpu = loadRatio(windows, name, name + MANY, cpuNsPerReply)!;
    const text =
      `${name}, ${MANY_USERS.toLocaleString('en-US')} users in turn against alice alone, paired: time per reply ${spreadRatio(thr)}, ` +
      `server CPU per reply ${spreadRatio(cpu)} (above 1, the many users cost more)`;
    notes.push(text);
    print(`  ${text}`);
  }

  notes.push(...warnings);

  // The same request handled in process, for scale (informational: paired with the SHA-256 unit).
  const clock = new ManualClock(Date.now());
  const kdc = new Kdc(benchRealm({ clock, requiresPreauth: false }));
  const req = new Uint8Array(template);
  let n = 0;
  const handle = () => {
    setNonce(req, nonceOffset, n++);
    return kdc.handle(req);
  };
  const first = handle();
  if (first[0] !== 0x6b) throw new Error(`Kdc.handle answered ${describeReply(first)}`);
  const inProcName = `Kdc.handle in process: the same AS-REQ ${template.length} B`;
  const [inProc] = await measurePaired(
    [
      {
        name: inProcName,
        krbsim: shaUnitSide(opts.clock),
        baselines: [jsSide(inProcName, handle, opts.clock)],
        warmMs: warmMs(opts, 1500),
      },
    ],
    opts.paired,
  );
  const inProcFigure = inProc!.baselines[0]!;
  rows.push(
    rowOf(inProcName, inProcFigure.ns, { ratios: { [UNITS]: inProcFigure.ratio! }, text: NO_TARGET }),
    rowOf(SHA_UNIT, inProc!.krbsim!),
  );
  s.note(notes[0]!);
  for (const n of notes.slice(1)) s.note(n);
  s.note(
    figureText(inProcName, inProcFigure.ns, `   (${spreadRatio(inProcFigure.ratio)} units; ${NO_TARGET})`),
  );
  const md = recordFlagSet(
    'kdc-udp',
    opts,
    rows,
    [notes[0]!, ...warnings],
    loadBefore,
    `wall time for the UDP load (server CPU from /proc), ${opts.clock === 'cpu' ? 'process CPU time' : 'wall time'} for Kdc.handle`,
  );
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
