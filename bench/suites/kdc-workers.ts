/**
 * `krbsim serve --workers N` against MIT's `krb5kdc -w N`: AS and TGS
 * exchanges per second over loopback UDP from one and from two worker
 * processes, under the same load client. The question: does a second worker
 * make a 2-core machine answer more, as `krb5kdc -w 2` does for MIT?
 *
 * Servers (each a process tree of its own, unpinned; bench/lib/exchanges-servers.ts):
 * - `krbsim serve --workers 1` and `--workers 2` of BENCH.TEST, the CLI as a
 *   user runs it (`--quiet`), both from one `--seed`, so they hold the same
 *   keys and one TGT serves both;
 * - MIT `krb5kdc -n` and `krb5kdc -n -w 2`, each over a database of its own
 *   with the same principals, passwords and the four AES etypes (krbsim's
 *   defaults), `disable_pac`, logging nowhere.
 *
 * Load: the C client bench/harness/udp-load.c (bench/lib/udp-load.ts), a
 * few µs of CPU per request, so that on 2 cores the load takes little from
 * the servers (without gcc, the Node client of bench/lib/exchanges-load.ts,
 * 20-25 µs per request, and a note says so), unpinned like the servers:
 * WINDOW requests outstanding, one per UDP socket.
 * - AS: alice's AS-REQ without pre-authentication (etype 18), a fresh nonce per request;
 * - TGS: a ring of distinct TGS-REQs for host/bench.example, built before
 *   timing with the krbsim client from a TGT of that server's realm (an
 *   authenticator checksums the request body, nonce included, so each
 *   request is built whole). The ring is larger than MIT's lookaside cache
 *   (10 MB of request+reply pairs), so no reply comes from it.
 * The servers take turns in paired windows (bench/lib/paired-load.ts); each
 * figure is the median over runs with its range, each ratio the median of
 * per-pair ratios, with the latency and the CPU time per reply (process and
 * workers, from /proc), and the failed requests (KRB-ERRORs, other replies,
 * lost requests): above 0.1% of a server's requests the output says FAILED
 * (bench/lib/paired-load.ts).
 */

import { loadavg } from 'node:os';
import { KerberosClient } from '@krbsim/client';
import { UdpTcpTransport } from '@krbsim/transport';
import { loadAsReq, REALM, SERVICE_SPN, setNonce, USER } from '../lib/exchanges-fixtures';
import { type LoadOptions, oneExchange, runLoad } from '../lib/exchanges-load';
import { fmtOps, type Row, recordFlagSet, rowOf, runOptions } from '../lib/exchanges-measure';
import {
  BENCH_PASSWORDS,
  mitKdcMissing,
  type RunningServer,
  startKrbsimServe,
  startMitKdc,
} from '../lib/exchanges-servers';
import { type SuiteContext, suite } from '../lib/measure';
import { type Spread, spreadRatio, spreadTime } from '../lib/paired';
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
import { buildUdpLoad, runLoadC } from '../lib/udp-load';

const WINDOW = 64;
const AS_REP = 0x6b;
const TGS_REP = 0x6d;

interface Plan extends LoadPlan {
  /** TGS-REQs per ring. */
  ring: number;
}

const FULL: Plan = { firstWarmupMs: 3000, rampMs: 200, windowMs: 600, pairs: 4, runs: 3, ring: 50_000 };
const QUICK: Plan = { firstWarmupMs: 1000, rampMs: 150, windowMs: 300, pairs: 2, runs: 3, ring: 20_000 };

type Kind = 'AS' | 'TGS';

/** `n` distinct TGS-REQs for host/bench.example from a TGT of the KDC at `port`. */
async function tgsRing(port: number, n: number): Promise<Uint8Array[]> {
  const kdcs = { [REALM]: [{ host: '127.0.0.1', port }] };
  const client = new KerberosClient({
    realm: REALM,
    transport: new UdpTcpTransport({ kdcs }),
    encTypes: [18],
  });
  await client.getInitialCredentials(USER, { password: BENCH_PASSWORDS.user });
  const ring: Uint8Array[] = [];
  const captured = new Error('captured');
  const capturing = new KerberosClient({
    realm: REALM,
    encTypes: [18],
    cache: client.cache,
    transport: {
      send: (_realm, request) => {
        ring.push(request.slice());
        return Promise.reject(captured);
      },
    },
  });
  while (ring.length < n) {
    await capturing.getServiceTicket(SERVICE_SPN).catch((e: Error) => {
      if (e.cause !== captured) throw e;
    });
  }
  const reply = await oneExchange(port, ring[0]!, 1000);
  if (reply[0] !== TGS_REP) throw new Error(`a ring TGS-REQ got 0x${reply[0]?.toString(16)}, not a TGS-REP`);
  return ring;
}

export default async function build(ctx: SuiteContext) {
  const plan = ctx.quick ? QUICK : FULL;
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('kdc-workers');
  const print = (text: string) => process.stdout.write(`${text}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): loopback UDP, window ${WINDOW}, ` +
      `paired windows of ${plan.windowMs} ms, ${plan.pairs} pairs x ${plan.runs} runs per exchange`,
  );
  const { bytes: template, nonceOffset } = loadAsReq();
  const probe = async (port: number): Promise<void> => {
    const req = new Uint8Array(template);
    setNonce(req, nonceOffset, 0x3fff0000);
    const reply = await oneExchange(port, req, 2000);
    if (reply[0] !== AS_REP)
      throw new Error(`the probe AS-REQ got 0x${reply[0]?.toString(16)}, not an AS-REP`);
  };

  const udpLoad = buildUdpLoad();
  const load = (o: LoadOptions) => (udpLoad.ok ? runLoadC(udpLoad.binary, o) : runLoad(o));
  const client = udpLoad.ok
    ? 'load client bench/harness/udp-load.c'
    : `load client in Node (the C client is unavailable: ${udpLoad.reason})`;
  print(`  ${client}`);

  const servers: RunningServer[] = [];
  const windows = new Map<Kind, LoadWindows>();
  const seed = `kdc-workers-${process.pid}`;
  try {
    for (const workers of [1, 2]) {
      try {
        const server = await startKrbsimServe(workers, seed);
        servers.push(server);
        await probe(server.port);
      } catch (e) {
        // e.g. a transport whose listeners cannot share their sockets: say so, measure the rest.
        if (workers === 1) throw e;
        const why = `krbsim serve --workers ${workers} not measured: ${(e as Error).message.split('\n').join(' ')}`;
        s.note(why);
        print(`  ${why}`);
      }
    }
    const mitMissing = mitKdcMissing();
    if (mitMissing) {
      s.note(`MIT krb5kdc not measured: ${mitMissing}`);
      print(`MIT krb5kdc not measured: ${mitMissing}`);
    } else {
      servers.push(await startMitKdc(probe, { enctypes: 'aes' }));
      servers.push(await startMitKdc(probe, { enctypes: 'aes', workers: 2 }));
    }
    let nonce = 0;
    for (const kind of ['AS', 'TGS'] as const) {
      // One ring per realm database: the krbsim servers share one (same seed), each MIT KDC has its own.
      const rings = new Map<string, Uint8Array[]>();
      if (kind === 'TGS') {
        const started = performance.now();
        const krbsimRing = await tgsRing(servers[0]!.port, plan.ring);
        for (const server of servers) {
          rings.set(
            server.name,
            server.name.startsWith('krbsim') ? krbsimRing : await tgsRing(server.port, plan.ring),
          );
        }
        print(
          `  TGS rings of ${plan.ring} requests built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      const sides: LoadSide[] = servers.map((server) => ({
        name: server.name,
        run: async (warmupMs, durationMs) => {
          const r = await load({
            port: server.port,
            template,
            nonceOffset,
            window: WINDOW,
            warmupMs,
            durationMs,
            serverPid: server.pid,
            nonceStart: nonce,
            ...(kind === 'TGS' && { ring: rings.get(server.name)!, replyTag: TGS_REP }),
          });
          nonce += 1_000_000;
          return r;
        },
      }));
      windows.set(kind, await measureLoadPaired(sides, plan));
    }
  } finally {
    for (const srv of servers) await srv.stop();
  }

  const K1 = 'krbsim serve --workers 1';
  const K2 = 'krbsim serve --workers 2';
  const M1 = 'MIT krb5kdc';
  const M2 = 'MIT krb5kdc -w 2';
  const notes: string[] = [
    `${client}, ${WINDOW} requests outstanding (one per UDP socket); AS: AS-REQ ${template.length} B (alice, no pre-auth, etype 18, ` +
      `a fresh nonce each); TGS: a ring of ${plan.ring} distinct TGS-REQs per realm database; paired windows: the four servers ` +
      `take turns under the same load, ${plan.rampMs} ms of ramp then ${plan.windowMs} ms measured each, ${plan.pairs} rounds per run, ` +
      `${plan.runs} runs per exchange; servers unpinned, each a process tree ` +
      '(CPU summed over its workers), the C load client unpinned too; krbsim serve --quiet; MIT with the four AES etypes, disable_pac, logging to /dev/null; ' +
      `a server whose errors and lost requests pass ${100 * FAILED_SHARE}% of its requests is marked FAILED; ` +
      'both flag sets side by side: bench/.bench-build/kdc-workers-last.md',
  ];
  const rows: Row[] = [];
  const failureNotes: string[] = [];
  for (const kind of ['AS', 'TGS'] as const) {
    const w = windows.get(kind);
    if (w === undefined) continue;
    const warnings = failureWarnings(w, `${kind}: `);
    for (const x of warnings) print(x);
    notes.push(...warnings);
    failureNotes.push(...warnings);
    // Ratios as everywhere: the other server's time per reply ÷ this one's (above 1: this one answers more).
    const pairsOf: Record<string, string[]> = { [K2]: [K1, M2], [M2]: [M1] };
    for (const name of w.keys()) {
      const thr = loadSpread(w, name, nsPerReply);
      const cpu = loadSpread(w, name, cpuNsPerReply);
      const p50 = loadSpread(w, name, (r) => r.p50Us);
      const p99 = loadSpread(w, name, (r) => r.p99Us);
      const ratios: Record<string, Spread> = {};
      for (const other of pairsOf[name] ?? []) {
        const r = loadRatio(w, name, other, nsPerReply);
        if (r) ratios[other] = r;
      }
      const text =
        `p50 ${p50.median.toFixed(0)} µs, p99 ${p99.median.toFixed(0)} µs` +
        (Number.isFinite(cpu.median) ? `, CPU ${(cpu.median / 1e3).toFixed(1)} µs/reply` : '') +
        `; ${failuresText(loadFailures(w, name))}`;
      rows.push(
        rowOf(`${name} over UDP: ${kind}-REP/s`, thr, {
          text,
          ...(Object.keys(ratios).length > 0 && { ratios }),
        }),
      );
      notes.push(
        `${kind} ${name}: ${fmtOps(1e9 / thr.median)} ${kind}-REP/s (${spreadTime(thr)} per reply), ${text}`,
      );
    }
    const parts: string[] = [];
    const two1 = loadRatio(w, K2, K1, nsPerReply);
    if (two1)
      parts.push(
        `krbsim 2 workers / 1: ${spreadRatio(two1)} (${two1.median > 1 ? 'more' : 'not more'} with two)`,
      );
    const mit21 = loadRatio(w, M2, M1, nsPerReply);
    if (mit21) parts.push(`MIT -w 2 / MIT: ${spreadRatio(mit21)}`);
    const km = loadRatio(w, K2, M2, nsPerReply);
    if (km) parts.push(`krbsim 2 workers / MIT -w 2: ${spreadRatio(km)}`);
    if (parts.length > 0) {
      const text = `${kind}, paired: ${parts.join('; ')}`;
      notes.push(text);
      print(`  ${text}`);
    }
  }
  for (const n of notes) s.note(n);
  const md = recordFlagSet(
    'kdc-workers',
    opts,
    rows,
    [notes[0]!, ...failureNotes],
    loadBefore,
    'wall time (server CPU from /proc)',
  );
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
