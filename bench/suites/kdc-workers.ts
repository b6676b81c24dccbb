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
 * Rounds alternate the servers; each server's best round is reported with
 * its latency and its CPU time per reply (process and workers, from /proc).
 */

import { loadavg } from 'node:os';
import { KerberosClient } from '@krbsim/client';
import { UdpTcpTransport } from '@krbsim/transport';
import { loadAsReq, REALM, SERVICE_SPN, setNonce, USER } from '../lib/exchanges-fixtures';
import { type LoadOptions, type LoadResult, oneExchange, runLoad } from '../lib/exchanges-load';
import { fmtOps, fmtRatio, type Row, recordFlagSet, runOptions } from '../lib/exchanges-measure';
import {
  BENCH_PASSWORDS,
  mitKdcMissing,
  type RunningServer,
  startKrbsimServe,
  startMitKdc,
} from '../lib/exchanges-servers';
import { type SuiteContext, suite } from '../lib/measure';
import { buildUdpLoad, runLoadC } from '../lib/udp-load';

const WINDOW = 64;
const AS_REP = 0x6b;
const TGS_REP = 0x6d;

interface Plan {
  rounds: number;
  firstWarmupMs: number;
  warmupMs: number;
  durationMs: number;
  ring: number;
}

const FULL: Plan = { rounds: 3, firstWarmupMs: 3000, warmupMs: 500, durationMs: 3000, ring: 50_000 };
const QUICK: Plan = { rounds: 1, firstWarmupMs: 1000, warmupMs: 300, durationMs: 1500, ring: 20_000 };

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

function line(name: string, kind: Kind, r: LoadResult): string {
  const cpu =
    r.serverCpuUsPerReply === undefined
      ? ''
      : `, server CPU ${r.serverCpuUsPerReply.toFixed(1)} µs/reply (${r.serverCores!.toFixed(2)} cores)`;
  const extra = [r.errors ? `${r.errors} KRB-ERRORs` : '', r.lost ? `${r.lost} lost` : '']
    .filter(Boolean)
    .join(', ');
  return (
    `${name}: ${fmtOps(r.repliesPerSec)} ${kind}-REP/s, p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs` +
    `${cpu}, load client ${r.clientCores.toFixed(2)} cores${extra ? `, ${extra}` : ''}`
  );
}

export default async function build(ctx: SuiteContext) {
  const plan = ctx.quick ? QUICK : FULL;
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('kdc-workers');
  const print = (text: string) => process.stdout.write(`${text}\n`);
  print(
    `\n## kdc-workers (${opts.flagSet}; load average ${loadBefore.toFixed(2)}): loopback UDP, window ${WINDOW}, ` +
      `${plan.rounds} round(s) of ${plan.durationMs / 1000} s per server and exchange`,
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
  const results = new Map<string, LoadResult[]>();
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
      const warmed = new Set<string>();
      for (let round = 0; round < plan.rounds; round++) {
        for (const server of servers) {
          const warm = warmed.has(server.name) ? plan.warmupMs : plan.firstWarmupMs;
          warmed.add(server.name);
          const r = await load({
            port: server.port,
            template,
            nonceOffset,
            window: WINDOW,
            warmupMs: warm,
            durationMs: plan.durationMs,
            serverPid: server.pid,
            nonceStart: nonce,
            ...(kind === 'TGS' && { ring: rings.get(server.name)!, replyTag: TGS_REP }),
          });
          nonce += 10_000_000;
          print(`  ${kind} round ${round + 1}: ${line(server.name, kind, r)}`);
          const key = `${server.name}|${kind}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key)!.push(r);
        }
      }
    }
  } finally {
    for (const srv of servers) await srv.stop();
  }

  const best = (name: string, kind: Kind) =>
    results.get(`${name}|${kind}`)?.reduce((a, b) => (b.repliesPerSec > a.repliesPerSec ? b : a));
  const notes: string[] = [
    `${client}, ${WINDOW} requests outstanding (one per UDP socket); AS: AS-REQ ${template.length} B (alice, no pre-auth, etype 18, ` +
      `a fresh nonce each); TGS: a ring of ${plan.ring} distinct TGS-REQs per realm database; ${plan.rounds} round(s) of ` +
      `${plan.durationMs / 1000} s per server and exchange, best round shown; servers unpinned, each a process tree ` +
      '(CPU summed over its workers), the C load client unpinned too; krbsim serve --quiet; MIT with the four AES etypes, disable_pac, logging to /dev/null; ' +
      'both flag sets side by side: bench/.bench-build/kdc-workers-last.md',
  ];
  const rows: Row[] = [];
  for (const kind of ['AS', 'TGS'] as const) {
    const one = best('krbsim serve --workers 1', kind);
    const two = best('krbsim serve --workers 2', kind);
    const mit = best('MIT krb5kdc', kind);
    const mit2 = best('MIT krb5kdc -w 2', kind);
    for (const server of servers) {
      const r = best(server.name, kind);
      if (r === undefined) continue;
      notes.push(line(server.name, kind, r));
      const ratios: Record<string, number> = {};
      if (server.name === 'krbsim serve --workers 2') {
        if (one) ratios['krbsim serve --workers 1'] = r.repliesPerSec / one.repliesPerSec;
        if (mit2) ratios['MIT krb5kdc -w 2'] = r.repliesPerSec / mit2.repliesPerSec;
      }
      if (server.name === 'MIT krb5kdc -w 2' && mit)
        ratios['MIT krb5kdc'] = r.repliesPerSec / mit.repliesPerSec;
      rows.push({
        name: `${server.name} over UDP: ${kind}-REP/s`,
        nsPerOp: 1e9 / r.repliesPerSec,
        text:
          `p50 ${r.p50Us.toFixed(0)} µs, p99 ${r.p99Us.toFixed(0)} µs` +
          (r.serverCpuUsPerReply === undefined ? '' : `, CPU ${r.serverCpuUsPerReply.toFixed(1)} µs/reply`),
        ...(Object.keys(ratios).length > 0 && { ratios }),
      });
    }
    const parts: string[] = [];
    if (one && two) {
      const x = two.repliesPerSec / one.repliesPerSec;
      parts.push(`krbsim 2 workers / 1: ${fmtRatio(x)} (${x > 1 ? 'more' : 'not more'} with two)`);
    }
    if (mit && mit2) parts.push(`MIT -w 2 / MIT: ${fmtRatio(mit2.repliesPerSec / mit.repliesPerSec)}`);
    if (two && mit2)
      parts.push(`krbsim 2 workers / MIT -w 2: ${fmtRatio(two.repliesPerSec / mit2.repliesPerSec)}`);
    if (parts.length > 0) {
      const text = `${kind}: ${parts.join('; ')}`;
      notes.push(text);
      print(`  ${text}`);
    }
  }
  for (const n of notes) s.note(n);
  const md = recordFlagSet(
    'kdc-workers',
    opts,
    rows,
    [notes[0]!],
    loadBefore,
    'wall time (server CPU from /proc)',
  );
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
