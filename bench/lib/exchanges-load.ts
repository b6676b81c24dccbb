/**
 * The kdc-udp load client: `window` UDP sockets on 127.0.0.1, each with one
 * request outstanding at a time (a closed loop of `window` clients), each
 * request the prepared AS-REQ with a nonce of its own (see
 * exchanges-fixtures.ts `loadAsReq`). A reply is counted when its first
 * octet is an AS-REP's (0x6b, or `replyTag`); its latency is the time from
 * send to receipt. Any other reply (a KRB-ERROR, 0x7e, or anything else) is
 * counted as an error, as the C client (udp-load.c) counts it. A request
 * unanswered after `timeoutMs` is counted as lost and replaced by a new one.
 * Neither is checked here: bench/lib/paired-load.ts sums them per server and
 * the suites print them, loudly above a small share.
 *
 * The same function drives both servers, so they get identical load. It
 * also reads the server's CPU time from /proc around the measured interval,
 * the process and every descendant (the workers of `krbsim serve --workers`
 * and `krb5kdc -w`): CPU per reply does not depend on whether the load
 * client or the server was the bottleneck, and barely on other work.
 *
 * `rotate` gives AS-REQs of many users to send in turn, each with a fresh
 * nonce too. Instead of one AS-REQ with a fresh nonce per request, `ring` gives the
 * requests themselves (TGS-REQs, whose nonce the authenticator's checksum
 * covers), sent in turn; `replyTag` is the first octet of a good reply.
 */

import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { setNonce } from './exchanges-fixtures';

export interface LoadOptions {
  readonly port: number;
  /** The AS-REQ; copied per socket. */
  readonly template: Uint8Array;
  readonly nonceOffset: number;
  /** Requests outstanding at once (one per socket). */
  readonly window: number;
  /** Load before measuring (a JIT warm-up for krbsim's server). */
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly timeoutMs?: number;
  /** The server's pid, for its CPU time (Linux /proc). */
  readonly serverPid?: number;
  /** First nonce; give every run its own range. */
  readonly nonceStart: number;
  /** Send these requests in turn, as they are (template and nonce unused). */
  readonly ring?: readonly Uint8Array[];
  /**
   * Send these AS-REQs in turn instead of `template` (one user's after
   * another's), each with a fresh nonce: they must all be `template`'s length
   * with the nonce at `nonceOffset`.
   */
  readonly rotate?: readonly Uint8Array[];
  /** The first octet of a reply counted as answered (default 0x6b, an AS-REP). */
  readonly replyTag?: number;
}

export interface LoadResult {
  /** Replies per second (AS-REPs, or `replyTag` replies) over the measured interval. */
  readonly repliesPerSec: number;
  readonly replies: number;
  /** Replies other than the expected one (KRB-ERRORs and anything else). */
  readonly errors: number;
  /** Requests unanswered within the timeout (each replaced by a new one). */
  readonly lost: number;
  readonly seconds: number;
  /** Latency percentiles in µs (AS-REPs of the measured interval). */
  readonly p50Us: number;
  readonly p99Us: number;
  /** The server's CPU time per reply, µs (undefined without /proc). */
  readonly serverCpuUsPerReply?: number;
  /** The server's CPU use, in cores (1 = one core busy all the time). */
  readonly serverCores?: number;
  /** This process's CPU use, in cores. */
  readonly clientCores: number;
}

const AS_REP = 0x6b;

let clkTck: number | undefined;
/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * User + system CPU seconds of a process and all its living descendants
 * (found through the ppid field of every /proc/<pid>/stat); undefined if the
 * process itself is unreadable.
 */
export function processCpuSeconds(pid: number): number | undefined {
  const cpu = (fields: string[]) => Number(fields[11]) + Number(fields[12]);
  let root: string[];
  try {
    root = statFields(pid);
  } catch {
    return undefined;
  }
  const children = new Map<number, { ticks: number; pid: number }[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(entry);
      const ppid = Number(f[1]);
      const list = children.get(ppid) ?? [];
      list.push({ ticks: cpu(f), pid: Number(entry) });
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  let ticks = cpu(root);
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      ticks += c.ticks;
      queue.push(c.pid);
    }
  }
  clkTck ??= 100; // USER_HZ: 100 on every Linux ABI Node runs on
  return ticks / clkTck;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Drive the server at `opts.port` and measure it. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const sockets: Socket[] = [];
  const sentAt = new Float64Array(opts.window);
  const bufs: Uint8Array[] = [];
  let nonce = opts.nonceStart;
  let measuring = false;
  let stopped = false;
  let replies = 0;
  let errors = 0;
  let lost = 0;
  let lat = new Float64Array(1 << 16);
  let nLat = 0;

  const ring = opts.ring;
  const rotate = opts.rotate;
  if (rotate?.some((r) => r.length !== opts.template.length)) {
    throw new Error("runLoad: every rotated request must have the template's length");
  }
  const replyTag = opts.replyTag ?? AS_REP;
  const send = (i: number): void => {
    let buf: Uint8Array;
    if (ring === undefined) {
      buf = bufs[i]!;
      if (rotate !== undefined) buf.set(rotate[nonce % rotate.length]!);
      setNonce(buf, opts.nonceOffset, nonce++);
    } else {
      buf = ring[nonce++ % ring.length]!;
    }
    sentAt[i] = performance.now();
    sockets[i]!.send(buf, opts.port, '127.0.0.1');
  };

  await Promise.all(
    Array.from({ length: opts.window }, async () => {
      const s = createSocket('udp4');
      sockets.push(s);
      bufs.push(new Uint8Array(opts.template));
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    }),
  );
  sockets.forEach((s, i) => {
    s.on('message', (msg) => {
      const t = performance.now();
      if (measuring) {
        if (msg[0] === replyTag) {
          replies++;
          if (nLat === lat.length) {
            const bigger = new Float64Array(lat.length * 2);
            bigger.set(lat);
            lat = bigger;
          }
          lat[nLat++] = (t - sentAt[i]!) * 1000;
        } else {
          errors++; // a KRB-ERROR (0x7e) or any other reply
        }
      }
      if (!stopped) send(i);
    });
    s.on('error', () => {});
  });

  // Lost requests: one sweep every 100 ms rather than a timer per request.
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < opts.window; i++) {
      if (!stopped && now - sentAt[i]! > timeoutMs) {
        if (measuring) lost++;
        send(i);
      }
    }
  }, 100);

  for (let i = 0; i < opts.window; i++) send(i);
  await new Promise((r) => setTimeout(r, opts.warmupMs));
  measuring = true;
  const cpu0 = process.cpuUsage();
  const srv0 = opts.serverPid === undefined ? undefined : processCpuSeconds(opts.serverPid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, opts.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const srv1 = opts.serverPid === undefined ? undefined : processCpuSeconds(opts.serverPid);
  const cpu = process.cpuUsage(cpu0);
  stopped = true;
  clearInterval(sweeper);
  // Let the replies in flight arrive (and be ignored) before closing.
  await new Promise((r) => setTimeout(r, 50));
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));

  const sorted = lat.subarray(0, nLat).sort();
  const serverCpu = srv0 !== undefined && srv1 !== undefined ? srv1 - srv0 : undefined;
  return {
    repliesPerSec: replies / seconds,
    replies,
    errors,
    lost,
    seconds,
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    ...(serverCpu === undefined
      ? {}
      : {
          serverCores: serverCpu / seconds,
          ...(replies > 0 ? { serverCpuUsPerReply: (serverCpu * 1e6) / replies } : {}),
        }),
    clientCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

/** Send one request and resolve with the reply (for readiness probes and sanity checks). */
export function oneExchange(port: number, request: Uint8Array, timeoutMs = 1000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(new Uint8Array(msg));
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(request, port, '127.0.0.1');
  });
}
