/**
 * The MIT side of the exchange benchmarks: builds
 * `bench/harness/mit-exchanges.c` into `bench/.bench-build/mit-exchanges`
 * (cached by a hash of the source, the compiler flags and the gcc version,
 * as ./mit.ts does for mitbench), and gives the argv of its `rd-req`
 * command, which ./paired.ts runs in `--serve` mode beside krbsim.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, BUILD_DIR, type MitHarness } from './mit';

const SOURCE = join(BENCH_DIR, 'harness', 'mit-exchanges.c');
const BINARY = join(BUILD_DIR, 'mit-exchanges');
const HASH_FILE = join(BUILD_DIR, 'mit-exchanges.hash');

function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

function krb5Flags(): { flags: string[]; version: string } | undefined {
  for (const tool of ['pkg-config', 'krb5-config']) {
    const r = run(tool, ['--cflags', '--libs', 'krb5']);
    if (!r.ok || !r.out) continue;
    const v = run(tool, tool === 'pkg-config' ? ['--modversion', 'krb5'] : ['--version']);
    const version = v.ok ? `MIT krb5 ${v.out.replace(/^Kerberos 5 release /, '')}` : 'MIT krb5';
    return { flags: r.out.split(/\s+/), version };
  }
  return undefined;
}

let cached: MitHarness | undefined;

/** Build (or reuse) the harness. Never throws: a failure says why in `reason`. */
export function buildExchangesHarness(): MitHarness {
  cached ??= build();
  return cached;
}

function build(): MitHarness {
  const gcc = run('gcc', ['--version']);
  if (!gcc.ok) return { ok: false, reason: 'gcc not found (Debian: apt-get install gcc)' };
  const k = krb5Flags();
  if (!k)
    return { ok: false, reason: 'libkrb5-dev not found (Debian: apt-get install libkrb5-dev pkg-config)' };
  const hash = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update('\0')
    .update(k.flags.join(' '))
    .update('\0')
    .update(gcc.out.split('\n')[0] ?? '')
    .digest('hex');
  if (existsSync(BINARY) && existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8').trim() === hash) {
    return { ok: true, binary: BINARY, version: k.version, built: false };
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${BINARY}.tmp-${process.pid}`;
  const cc = run('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE, ...k.flags]);
  if (!cc.ok) {
    rmSync(tmp, { force: true });
    const detail = cc.err.split('\n').slice(0, 6).join('\n    ');
    return { ok: false, reason: `gcc could not build bench/harness/mit-exchanges.c:\n    ${detail}` };
  }
  renameSync(tmp, BINARY);
  writeFileSync(HASH_FILE, `${hash}\n`);
  return { ok: true, binary: BINARY, version: k.version, built: true };
}

/** Write AP-REQs in the harness's ring format: a 4-byte big-endian length, then the bytes, each. */
export function writeApReqRing(path: string, apReqs: readonly Uint8Array[]): void {
  let total = 0;
  for (const a of apReqs) total += 4 + a.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const a of apReqs) {
    off = out.writeUInt32BE(a.length, off);
    out.set(a, off);
    off += a.length;
  }
  writeFileSync(path, out);
}

export interface RdReqParams {
  /** A ring file written by {@link writeApReqRing}. */
  readonly ringFile: string;
  readonly key: Uint8Array;
  readonly principal: string;
  readonly etype: number;
  readonly kvno: number;
  /** `none`: no replay cache (flags 0); `file2`: MIT's replay cache, opened once. */
  readonly rcache: 'none' | 'file2';
  /** Private directory for the harness's krb5.conf and rcache file (one per harness process). */
  readonly workDir: string;
}

/**
 * The harness's argv for krb5_rd_req over `p`'s ring (see the header of
 * mit-exchanges.c), for {@link harnessSide} in ./paired.ts, which adds
 * `--serve 1` and the clock.
 */
export function rdReqArgs(p: RdReqParams): string[] {
  return [
    'rd-req',
    '--apreqs',
    p.ringFile,
    '--key',
    Buffer.from(p.key).toString('hex'),
    '--principal',
    p.principal,
    '--etype',
    String(p.etype),
    '--kvno',
    String(p.kvno),
    '--rcache',
    p.rcache,
    '--work-dir',
    p.workDir,
  ];
}
