/**
 * The C load client (bench/harness/udp-load.c): built into
 * `bench/.bench-build/udp-load` on first use (cached by a hash of the source
 * and the gcc version, as ./exchanges-mit.ts builds its harness), and
 * {@link runLoadC}, which drives a server with it and measures like
 * ./exchanges-load.ts's `runLoad`, same options, same result. On a 2-core
 * machine the load client's own CPU is taken from the servers it measures;
 * this one spends about 10 µs per request where the Node client spends
 * 20-25. It runs unpinned, like the servers: pinned to the CPU run.ts gives
 * the suite, it waited for that CPU whenever a server worker ran there, and
 * starved a server of two workers (measured: 18 000 AS-REP/s pinned, 33 000
 * unpinned, against one worker's 22 000).
 */

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadOptions, type LoadResult, processCpuSeconds } from './exchanges-load';
import { unpinned } from './exchanges-servers';
import { BENCH_DIR, BUILD_DIR } from './mit';

const SOURCE = join(BENCH_DIR, 'harness', 'udp-load.c');
const BINARY = join(BUILD_DIR, 'udp-load');
const HASH_FILE = join(BUILD_DIR, 'udp-load.hash');

/** The built client, or why there is none. */
export type UdpLoadBuild = { ok: true; binary: string } | { ok: false; reason: string };

let cached: UdpLoadBuild | undefined;

/** Build (or reuse) the C load client. Never throws. */
export function buildUdpLoad(): UdpLoadBuild {
  cached ??= build();
  return cached;
}

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

function build(): UdpLoadBuild {
  const gcc = run('gcc', ['--version']);
  if (!gcc.ok) return { ok: false, reason: 'gcc not found (Debian: apt-get install gcc)' };
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update('\0')
    .update(gcc.out.split('\n')[0] ?? '')
    .digest('hex');
  if (existsSync(BINARY) && existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8').trim() === hash) {
    return { ok: true, binary: BINARY };
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${BINARY}.tmp-${process.pid}`;
  const cc = run('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE]);
  if (!cc.ok) {
    rmSync(tmp, { force: true });
    return { ok: false, reason: `gcc could not build bench/harness/udp-load.c: ${cc.err}` };
  }
  renameSync(tmp, BINARY);
  writeFileSync(HASH_FILE, `${hash}\n`);
  return { ok: true, binary: BINARY };
}

/** Requests in the client's ring format: a 4-byte big-endian length, then the bytes, each. */
function writeRing(path: string, ring: readonly Uint8Array[]): void {
  let total = 0;
  for (const r of ring) total += 4 + r.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const r of ring) {
    off = out.writeUInt32BE(r.length, off);
    out.set(r, off);
    off += r.length;
  }
  writeFileSync(path, out);
}

/**
 * `runLoad` with the C client: the same load (a closed loop of `window`
 * sockets, a fresh nonce per AS-REQ or the `ring` in turn), the server's CPU
 * time (process and descendants) read when the client starts and ends its
 * measured interval.
 */
export async function runLoadC(binary: string, opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-udp-load-'));
  try {
    const source =
      opts.ring === undefined
        ? [
            '--template',
            Buffer.from(opts.template).toString('hex'),
            '--nonce-offset',
            String(opts.nonceOffset),
            '--nonce-start',
            String(opts.nonceStart >>> 0),
          ]
        : (() => {
            const file = join(dir, 'ring.bin');
            writeRing(file, opts.ring);
            return ['--ring', file];
          })();
    const args = [
      '--port',
      String(opts.port),
      '--window',
      String(opts.window),
      '--warmup-ms',
      String(opts.warmupMs),
      '--duration-ms',
      String(opts.durationMs),
      '--timeout-ms',
      String(opts.timeoutMs ?? 1000),
      '--reply-tag',
      String(opts.replyTag ?? 0x6b),
      ...source,
    ];
    const [cmd, argv] = unpinned(binary, args);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let srv0: number | undefined;
    let srv1: number | undefined;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (srv0 === undefined && out.includes('measuring\n') && opts.serverPid !== undefined) {
          srv0 = processCpuSeconds(opts.serverPid);
        }
        if (srv1 === undefined && out.includes('{"replies"') && opts.serverPid !== undefined) {
          srv1 = processCpuSeconds(opts.serverPid);
        }
      });
      child.once('close', (c) => resolve(c));
    });
    const json = out.split('\n').find((l) => l.startsWith('{'));
    if (code !== 0 || json === undefined) throw new Error(`udp-load exited ${code}: ${err.trim()}`);
    const r = JSON.parse(json) as {
      replies: number;
      errors: number;
      lost: number;
      seconds: number;
      p50Us: number;
      p99Us: number;
      cpuSeconds: number;
    };
    const serverCpu = srv0 !== undefined && srv1 !== undefined ? srv1 - srv0 : undefined;
    return {
      repliesPerSec: r.replies / r.seconds,
      replies: r.replies,
      errors: r.errors,
      lost: r.lost,
      seconds: r.seconds,
      p50Us: r.p50Us,
      p99Us: r.p99Us,
      ...(serverCpu === undefined
        ? {}
        : {
            serverCores: serverCpu / r.seconds,
            ...(r.replies > 0 ? { serverCpuUsPerReply: (serverCpu * 1e6) / r.replies } : {}),
          }),
      clientCores: r.cpuSeconds / r.seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
