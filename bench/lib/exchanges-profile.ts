/**
 * Profile one exchange case at steady state and say where the time goes.
 *
 *   node --import tsx bench/lib/exchanges-profile.ts <case> [--warm-s 6] [--secs 5] [--top 30]
 *   node --import tsx bench/lib/exchanges-profile.ts --summarize FILE.cpuprofile [--top 30]
 *
 * cases: accept-rcache, accept-no-rcache, kdc-as, kdc-tgs, kdc-as-nopreauth,
 *        client-as, client-tgs, rcache-sustained
 *
 * rcache-sustained is `ReplayCache.check` alone under a sustained 30 000
 * authenticators/s (a ManualClock advanced 33 µs per call): the cache fills
 * in the first 100 000 calls and evicts on every call after; its cost per
 * call is printed for successive intervals before profiling (use --warm-s 20
 * to profile a long flood).
 *
 * The case runs for `--warm-s` seconds first (krbsim's exchanges need a few
 * seconds of CPU before V8 has optimized them: see bench/README.md), then
 * V8's CPU profiler (the one `node --cpu-prof` uses, started through
 * node:inspector so the warm-up is left out) records `--secs` seconds. The
 * profile is written to bench/.bench-build/profile-<case>.cpuprofile (open
 * it in Chrome DevTools or speedscope) and summarized: the functions with
 * the most self time, and the krbsim functions with the most inclusive time.
 * Pin it like the suites are: `taskset -c 0 node ...`.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { ManualClock } from '@krbsim/core';
import { KerberosService, ReplayCache } from '@krbsim/service';
import {
  benchRealm,
  exchangeFixture,
  loadAsReq,
  SERVICE_SPN,
  serviceKeytab,
  setNonce,
  USER,
} from './exchanges-fixtures';
import { BUILD_DIR } from './mit';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CASES = [
  'accept-rcache',
  'accept-no-rcache',
  'kdc-as',
  'kdc-tgs',
  'kdc-as-nopreauth',
  'client-as',
  'client-tgs',
  'rcache-sustained',
] as const;
type CaseName = (typeof CASES)[number];

/** One call of the case; sync cases return undefined, async ones a promise. */
async function makeCase(name: CaseName): Promise<() => unknown> {
  if (name === 'rcache-sustained') return replayCacheSustained();
  const fx = await exchangeFixture();
  const { client, clock, kdc } = fx;
  switch (name) {
    case 'accept-rcache':
    case 'accept-no-rcache': {
      const ring: Uint8Array[] = [];
      for (let i = 0; i < 120_000; i++) ring.push(client.buildApReq(fx.serviceCred, {}).token);
      const keytab = serviceKeytab();
      const cache = name === 'accept-rcache';
      let svc = new KerberosService({ keytab, clock, ...(cache ? {} : { replayCache: false as const }) });
      let i = 0;
      return () => {
        if (i === ring.length) {
          i = 0;
          if (cache) svc = new KerberosService({ keytab, clock });
        }
        return svc.accept(ring[i++]!);
      };
    }
    case 'kdc-as':
      return () => kdc.handle(fx.asReqPreauth);
    case 'kdc-tgs':
      return () => kdc.handle(fx.tgsReq);
    case 'kdc-as-nopreauth': {
      const realm = benchRealm({ clock, requiresPreauth: false });
      const { Kdc } = await import('@krbsim/kdc');
      const k = new Kdc(realm);
      const { bytes, nonceOffset } = loadAsReq(clock.now());
      let n = 0;
      return () => {
        setNonce(bytes, nonceOffset, n++);
        return k.handle(bytes);
      };
    }
    case 'client-as':
      return () => client.getInitialCredentials(USER, { key: fx.keys.user });
    case 'client-tgs':
      return async () => {
        const cred = await client.getServiceTicket(SERVICE_SPN);
        client.cache.remove(cred);
      };
  }
  throw new Error(`no case ${name}`);
}

/** ReplayCache.check at a sustained 30 000/s; prints the cost per call as the cache fills, then evicts. */
function replayCacheSustained(): () => unknown {
  const start = Date.UTC(2026, 0, 1);
  const clock = new ManualClock(start);
  const rc = new ReplayCache({ clock, windowMs: 300_000 });
  let us = 0;
  const tag = new Uint8Array(12);
  const view = new DataView(tag.buffer);
  const add = () => {
    clock.advance(0.033);
    us += 33;
    const t = start * 1000 + us;
    view.setFloat64(0, us);
    rc.check({
      client: 'alice@BENCH.TEST',
      server: 'host/bench.example@BENCH.TEST',
      ctime: Math.floor(t / 1e6) * 1000,
      cusec: t % 1e6,
      tag,
    });
  };
  const parts: string[] = [];
  let done = 0;
  for (const upto of [100_000, 150_000, 200_000, 300_000]) {
    const c0 = process.cpuUsage();
    for (let i = done; i < upto; i++) add();
    const c = process.cpuUsage(c0);
    parts.push(
      `${done / 1000}k-${upto / 1000}k calls: ${((c.user + c.system) / (upto - done)).toFixed(1)} µs`,
    );
    done = upto;
  }
  process.stdout.write(`ReplayCache.check CPU per call (bound ${rc.maxEntries}): ${parts.join(', ')}\n`);
  return add;
}

async function runFor(fn: () => unknown, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    for (let k = 0; k < 16; k++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
    n += 16;
  }
  return n;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/packages\//, '')
    .replace(/^.*\/node_modules\//, '');
}

/** Self and inclusive time per function (recursion counted once). */
export function summarize(p: CpuProfile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfById = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const s = p.samples[i]!;
    selfById.set(s, (selfById.get(s) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let total = 0;
  for (const t of selfById.values()) total += t;
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, t] of selfById) {
    const k = key(byId.get(id)!);
    self.set(k, (self.get(k) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const ck = key(byId.get(cur)!);
      if (seen.has(ck)) continue;
      seen.add(ck);
      incl.set(ck, (incl.get(ck) ?? 0) + t);
    }
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  const lines = [`total ${(total / 1e6).toFixed(2)} s sampled`, '', 'self time:'];
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(t)}  ${k}`);
  lines.push('', 'inclusive time (krbsim functions):');
  const ours = [...incl].filter(([k]) => /\b(asn1|core|crypto|kdc|client|service|transport)\/src\//.test(k));
  for (const [k, t] of ours.sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(t)}  ${k}`);
  return lines.join('\n');
}

function argValue(argv: string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const top = argValue(argv, '--top', 30);
  const s = argv.indexOf('--summarize');
  if (s >= 0) {
    const file = argv[s + 1];
    if (!file) throw new Error('--summarize needs a .cpuprofile file');
    process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
    return;
  }
  const name = argv[0] as CaseName | undefined;
  if (!name || !CASES.includes(name)) throw new Error(`usage: exchanges-profile.ts <${CASES.join('|')}>`);
  const warmS = argValue(argv, '--warm-s', 6);
  const secs = argValue(argv, '--secs', 5);
  const fn = await makeCase(name);
  await runFor(fn, warmS * 1000);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await runFor(fn, secs * 1000);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  const out = join(BUILD_DIR, `profile-${name}.cpuprofile`);
  writeFileSync(out, JSON.stringify(profile));
  process.stdout.write(
    `${name}: ${n} ops in ${(wall / 1000).toFixed(1)} s while profiling: ${((wall * 1000) / n).toFixed(1)} µs/op wall, ` +
      `${((cpu.user + cpu.system) / n).toFixed(1)} µs/op CPU (profiler overhead included)\nwrote ${out}\n\n`,
  );
  process.stdout.write(`${summarize(profile, top)}\n`);
}

await main();
