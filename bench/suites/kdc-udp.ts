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
 * cache of replies to identical requests never answers for the KDC. Rounds
 * alternate krbsim, MIT, krbsim, MIT; each server's best round is reported:
 * AS-REPs per second, latency p50/p99, and the server's CPU time per reply
 * (from /proc), which does not depend on which side was the bottleneck.
 *
 * For scale, the same AS-REQ handled by `Kdc.handle` in this process (the
 * KDC's own work without sockets; measured like the exchanges suite's cases).
 *
 * The figures are printed, kept as this suite's notes, and written with the
 * other flag set's to bench/.bench-build/kdc-udp-last.{json,md}.
 */

import { loadavg } from 'node:os';
import { decodeKrbError } from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { Kdc } from '@krbsim/kdc';
import { benchRealm, loadAsReq, setNonce } from '../lib/exchanges-fixtures';
import { type LoadResult, oneExchange, runLoad } from '../lib/exchanges-load';
import {
  figureText,
  fmtOps,
  fmtRatio,
  measureCases,
  type Row,
  recordFlagSet,
  runOptions,
  warmMs,
} from '../lib/exchanges-measure';
import { mitKdcMissing, type RunningServer, startKrbsimServer, startMitKdc } from '../lib/exchanges-servers';
import { type SuiteContext, suite } from '../lib/measure';

const WINDOW = 32;

interface Plan {
  rounds: number;
  /** Load before the first measured interval of each server (krbsim's JIT warm-up). */
  firstWarmupMs: number;
  warmupMs: number;
  durationMs: number;
}

const FULL: Plan = { rounds: 3, firstWarmupMs: 3000, warmupMs: 500, durationMs: 3000 };
const QUICK: Plan = { rounds: 1, firstWarmupMs: 1000, warmupMs: 300, durationMs: 1500 };

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

function resultLine(name: string, r: LoadResult): string {
  const cpu =
    r.serverCpuUsPerReply === undefined
      ? ''
      : `, server CPU ${r.serverCpuUsPerReply.toFixed(1)} µs/reply (${r.serverCores!.toFixed(2)} cores)`;
  const extra = [r.errors ? `${r.errors} KRB-ERRORs` : '', r.lost ? `${r.lost} lost` : '']
    .filter(Boolean)
    .join(', ');
  return (
    `${name}: ${fmtOps(r.repliesPerSec)} AS-REP/s, p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs` +
    `${cpu}, load client ${r.clientCores.toFixed(2)} cores${extra ? `, ${extra}` : ''}`
  );
}

export default async function build(ctx: SuiteContext) {
  const plan = ctx.quick ? QUICK : FULL;
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('kdc-udp');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(
    `\n## kdc-udp (${opts.flagSet}; load average ${loadBefore.toFixed(2)}): loopback UDP, window ${WINDOW}, ` +
      `${plan.rounds} round(s) of ${plan.durationMs / 1000} s per server`,
  );
  const { bytes: template, nonceOffset } = loadAsReq();
  const probe = async (port: number): Promise<void> => {
    const req = new Uint8Array(template);
    setNonce(req, nonceOffset, 0x3fff0000);
    const reply = await oneExchange(port, req, 500);
    if (reply[0] !== 0x6b) throw new Error(`the probe AS-REQ got ${describeReply(reply)}, not an AS-REP`);
  };

  const servers: RunningServer[] = [];
  const results = new Map<string, LoadResult[]>();
  try {
    const krbsim = await startKrbsimServer();
    servers.push(krbsim);
    await probe(krbsim.port);
    const mitMissing = mitKdcMissing();
    if (mitMissing) {
      s.note(`MIT krb5kdc not measured: ${mitMissing}`);
      print(`MIT krb5kdc not measured: ${mitMissing}`);
    } else {
      servers.push(await startMitKdc(probe));
    }
    let nonce = 0;
    const warmed = new Set<string>();
    for (let round = 0; round < plan.rounds; round++) {
      for (const server of servers) {
        const warm = warmed.has(server.name) ? plan.warmupMs : plan.firstWarmupMs;
        warmed.add(server.name);
        const r = await runLoad({
          port: server.port,
          template,
          nonceOffset,
          window: WINDOW,
          warmupMs: warm,
          durationMs: plan.durationMs,
          serverPid: server.pid,
          nonceStart: nonce,
        });
        nonce += 10_000_000;
        print(`  round ${round + 1}: ${resultLine(server.name, r)}`);
        if (!results.has(server.name)) results.set(server.name, []);
        results.get(server.name)!.push(r);
      }
    }
  } finally {
    for (const srv of servers) await srv.stop();
  }

  const best = new Map<string, LoadResult>();
  for (const [name, rs] of results) {
    best.set(
      name,
      rs.reduce((a, b) => (b.repliesPerSec > a.repliesPerSec ? b : a)),
    );
  }
  const notes: string[] = [
    `AS-REQ ${template.length} B (alice, no pre-auth, etype 18, no PAC asked; a fresh nonce per request), ` +
      `${WINDOW} requests outstanding (one per UDP socket), ${plan.rounds} round(s) of ${plan.durationMs / 1000} s per server, best round shown; ` +
      'servers unpinned, each in its own process; MIT with disable_pac and logging to /dev/null; ' +
      'both flag sets side by side: bench/.bench-build/kdc-udp-last.md',
  ];
  const rows: Row[] = [];
  for (const [name, r] of best) {
    notes.push(resultLine(name, r));
    rows.push({
      name: `${name} over UDP: AS-REP/s`,
      nsPerOp: 1e9 / r.repliesPerSec,
      text: `p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs`,
    });
    if (r.serverCpuUsPerReply !== undefined) {
      rows.push({ name: `${name}: server CPU per AS-REP`, nsPerOp: r.serverCpuUsPerReply * 1000 });
    }
  }
  const k = best.get('krbsim serveKdc');
  const m = best.get('MIT krb5kdc');
  if (k && m) {
    const thr = k.repliesPerSec / m.repliesPerSec;
    const cpu =
      k.serverCpuUsPerReply !== undefined && m.serverCpuUsPerReply !== undefined
        ? m.serverCpuUsPerReply / k.serverCpuUsPerReply
        : undefined;
    const text =
      `krbsim/MIT: throughput ${fmtRatio(thr)}` +
      (cpu === undefined
        ? ''
        : `, server CPU per reply ${fmtRatio(cpu)} (MIT µs ÷ krbsim µs: above 1 krbsim is cheaper)`) +
      ` -> target (krbsim ahead of krb5kdc) ${thr > 1 ? 'met' : 'missed'}`;
    notes.push(text);
    print(`  ${text}`);
    const kIdx = rows.findIndex((r) => r.name.startsWith('krbsim serveKdc over UDP'));
    rows[kIdx] = { ...rows[kIdx]!, ratios: { 'MIT krb5kdc': thr } };
    const kCpu = rows.findIndex((r) => r.name.startsWith('krbsim serveKdc: server CPU'));
    if (kCpu >= 0 && cpu !== undefined) rows[kCpu] = { ...rows[kCpu]!, ratios: { 'MIT krb5kdc': cpu } };
  }

  // The same request handled in process, for scale.
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
  const [inProc] = await measureCases(
    [
      {
        name: `Kdc.handle in process: the same AS-REQ ${template.length} B`,
        fn: handle,
        warmMs: warmMs(opts, 1500),
      },
    ],
    opts,
  );
  rows.push({ name: inProc!.name, nsPerOp: inProc!.nsPerOp });
  s.note(notes[0]!);
  for (const n of notes.slice(1)) s.note(n);
  s.note(figureText(inProc!.name, inProc!.nsPerOp));
  const md = recordFlagSet(
    'kdc-udp',
    opts,
    rows,
    [notes[0]!],
    loadBefore,
    `wall time for the UDP load (server CPU from /proc), ${opts.clock === 'cpu' ? 'process CPU time' : 'wall time'} for Kdc.handle`,
  );
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
