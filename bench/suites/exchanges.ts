/**
 * Kerberos exchanges in process, on one core: the AS exchange, the TGS
 * exchange and AP-REQ acceptance, beside MIT krb5 where MIT can do the same
 * work in process.
 *
 * krbsim cases (paired batches, bench/lib/paired.ts, with the long warm-ups
 * of bench/lib/exchanges-measure.ts), in three phases so that no case pays
 * for another's live data at GC time (the phase-1 cases have no baseline of
 * the same work: each is paired with one SHA-256 of 4 KiB, the kdc-units
 * suite's unit, and its rows are informational, with no target):
 *  1. the KDC alone (`Kdc.handle`) answering the AS-REQ with
 *     PA-ENC-TIMESTAMP and the TGS-REQ a krbsim client sent, replayed (the
 *     KDC checks their times against its skew and keeps no replay state;
 *     the realm's clock moves 0.5 ms per call, wrapping after 100 s); the
 *     client's AS exchange, `getInitialCredentials(alice, { key })`, both
 *     round trips (AS-REQ, KDC_ERR_PREAUTH_REQUIRED, AS-REQ with
 *     PA-ENC-TIMESTAMP, AS-REP decrypted and checked; no string-to-key); and
 *     its TGS exchange, `getServiceTicket(host/bench.example)` (TGS-REQ
 *     built, TGS-REP decrypted and checked; the ticket is dropped from the
 *     cache after each call so that the next one asks the KDC);
 *  2. AP-REQ acceptance, `KerberosService.accept` of a raw etype-18 AP-REQ
 *     (decode, decrypt the ticket with the service key, decrypt the
 *     authenticator with the session key, the checks), without a replay cache;
 *  3. the same with the replay cache on, in steady state. Every call needs an
 *     authenticator the cache has not seen, so a ring of 160 000 distinct
 *     AP-REQs (strictly increasing ctime/cusec) is built before timing; the
 *     first 100 000 fill the cache to its default bound, untimed, and the
 *     measured calls each add an entry and evict the oldest, as on a busy
 *     service (at most the first 60 000 evictions, the ring's spare AP-REQs;
 *     `exchanges-profile.ts rcache-sustained` measures a longer flood).
 *     When the ring wraps, the service is replaced by one whose cache was
 *     filled before timing with other authenticators (up to 6 times; after
 *     that with an empty cache, which the closing note would show).
 *
 * MIT (bench/harness/mit-exchanges.c, built by bench/lib/exchanges-mit.ts):
 * `krb5_rd_req` over the first 20 000 AP-REQs of the same ring, with a
 * MEMORY: keytab, without a replay cache (the baseline of both accept rows)
 * and with MIT's own file2 replay cache opened once. Each runs in `--serve`
 * mode and alternates batches of ~40 ms with krbsim's accept (the paired
 * method), so both sides of a ratio see the same moments of a shared machine.
 * Beside each MIT ratio: this process's CPU time while MIT's batches ran
 * (V8's background GC threads, deferred tasks: work no side's CPU clock
 * counts), per accept, and the ratio with it charged to krbsim.
 * MIT has no in-process KDC, so AS and TGS have
 * no MIT figure here; they are compared over loopback UDP in the kdc-udp
 * suite.
 *
 * The figures are printed, kept as this suite's notes, and written with the
 * other flag set's to bench/.bench-build/exchanges-last.{json,md}.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, SeededRandom } from '@krbsim/core';
import { KerberosService, ReplayCache } from '@krbsim/service';
import {
  ETYPE,
  exchangeFixture,
  REALM,
  SERVICE_PRINCIPAL,
  SERVICE_SPN,
  serviceKeytab,
  USER,
} from '../lib/exchanges-fixtures';
import {
  figureText,
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
import { buildExchangesHarness, rdReqArgs, writeApReqRing } from '../lib/exchanges-mit';
import { type SuiteContext, suite } from '../lib/measure';
import {
  goalVerdict,
  harnessSide,
  jsSide,
  measurePaired,
  nodeCpuText,
  type PairedCase,
  type PairedResult,
  type Side,
  type Spread,
  spreadRatio,
} from '../lib/paired';

/**
 * AP-REQs per ring: the default replay cache's bound (100 000) to fill it,
 * and RING_SPARE more to measure with it full (evicting on every call).
 */
const RING_SPARE = 60_000;
const RING = 100_000 + RING_SPARE;
const RING_QUICK = 20_000;
/** AP-REQs given to the MIT harness (it wraps the ring, starting a fresh rcache). */
const MIT_RING = 20_000;

/**
 * Replay caches filled ahead of time, one for each time the ring may wrap
 * while measuring (3 runs of 25 pairs of 40 ms at ~10 µs a call: ~300 000
 * calls, five wraps of the 60 000 spare AP-REQs).
 */
const SPARE_CACHES = 6;

/**
 * A replay cache holding `n` authenticators (random tags) from a minute
 * before the ring's (built at `ringTime`): live for the whole run, and older
 * than every ring entry, so evicting them never refuses one of the ring's.
 */
function filledCache(clock: Clock, ringTime: number, n: number): ReplayCache {
  const cache = new ReplayCache({ clock, windowMs: 5 * 60_000 });
  const random = new SeededRandom(n);
  const ctime = Math.floor(ringTime / 1000) * 1000 - 60_000;
  for (let i = 0; i < n; i++) {
    cache.check({
      client: 'filler@BENCH.TEST',
      server: 'host/bench.example@BENCH.TEST',
      ctime,
      cusec: i % 1_000_000,
      tag: random.fill(new Uint8Array(16)),
    });
  }
  return cache;
}

/**
 * A message size for a row name, to the nearest 10 bytes: exact sizes vary
 * by a byte or two from run to run (the DER length of a nonce or cusec),
 * and both flag sets' rows must carry the same name to pair up. The notes
 * give the exact sizes.
 */
function about(bytes: number): string {
  return `~${Math.round(bytes / 10) * 10} B`;
}

const MIT_NO_RCACHE = 'MIT rd_req, no rcache';
const MIT_FILE2 = 'MIT rd_req, file2 rcache';

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('exchanges');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): building the realm and the AP-REQ ring, warming up, measuring`,
  );

  const fx = await exchangeFixture();
  const { client, kdc, clock } = fx;

  // --- the AP-REQ ring: one buffer, a view made per call (so the ring adds
  // no live objects for the GC to trace, only one large backing store) ---
  const ringSize = ctx.quick ? RING_QUICK : RING;
  const ringTime = clock.now(); // the AP-REQs' ctime; the KDC phase moves the clock on later
  const ring = new ApReqRing(ringSize, () => client.buildApReq(fx.serviceCred, {}).token);
  const sizes = ring.sizeRange();
  const apReqText = sizes[0] === sizes[1] ? `${sizes[0]} B` : `${sizes[0]}-${sizes[1]} B`;
  const apReqRow = about(sizes[1]);
  const keytab = serviceKeytab();

  // --- MIT rd_req over the same AP-REQs: harness processes in --serve mode,
  // each paired with a krbsim accept case (one process per case and mode,
  // each in its own work directory) ---
  const notes: string[] = [];
  let cacheNote = '';
  const harness = buildExchangesHarness();
  const workDir = mkdtempSync(join(tmpdir(), 'krbsim-bench-rdreq-'));
  const ringFile = join(workDir, 'apreqs.bin');
  writeApReqRing(
    ringFile,
    Array.from({ length: Math.min(MIT_RING, ringSize) }, (_, i) => ring.at(i)),
  );
  let harnesses = 0;
  const mitSides = async (modes: readonly (readonly [string, 'none' | 'file2'])[]): Promise<Side[]> => {
    if (!harness.ok) return [];
    const sides: Side[] = [];
    for (const [name, rcache] of modes) {
      const dir = join(workDir, `h${harnesses++}`);
      mkdirSync(dir);
      try {
        const args = rdReqArgs({
          ringFile,
          key: fx.keys.service.bytes,
          principal: SERVICE_PRINCIPAL,
          etype: ETYPE,
          kvno: 1,
          rcache,
          workDir: dir,
        });
        sides.push(await harnessSide(name, harness.binary, args, opts.clock));
      } catch (e) {
        notes.push(`${name} failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
      }
    }
    return sides;
  };
  if (!harness.ok) notes.push(`MIT krb5_rd_req not measured: ${harness.reason}`);

  // --- phase 1: the KDC and the client (no replay cache alive yet) ---
  const base = clock.now();
  let tick = 0;
  const step = () => {
    tick = tick === 200_000 ? 0 : tick + 1;
    clock.set(base + tick * 0.5);
  };
  const asReq = fx.asReqPreauth;
  const tgsReq = fx.tgsReq;
  checkReply(kdc.handle(asReq), 0x6b, 'AS-REP');
  checkReply(kdc.handle(tgsReq), 0x6d, 'TGS-REP');
  // No baseline does this work in the same run (MIT has no in-process KDC): each case is paired with
  // the SHA-256 unit, as the unit's "baseline", so that its ratio is its cost in units.
  const alone = (name: string, fn: () => unknown, warm: number, async = false): PairedCase => ({
    name,
    krbsim: shaUnitSide(opts.clock),
    baselines: [jsSide(name, fn, opts.clock, async)],
    warmMs: warmMs(opts, warm),
  });
  const exchangeCases: PairedCase[] = [
    alone(
      `KDC alone: AS-REQ ${about(asReq.length)} + PA-ENC-TIMESTAMP -> AS-REP`,
      () => {
        step();
        return kdc.handle(asReq);
      },
      1500,
    ),
    alone(
      `KDC alone: TGS-REQ ${about(tgsReq.length)} -> TGS-REP`,
      () => {
        step();
        return kdc.handle(tgsReq);
      },
      2000,
    ),
    alone(
      'client AS exchange, in process (2 round trips)',
      () => client.getInitialCredentials(USER, { key: fx.keys.user }),
      3000,
      true,
    ),
    alone(
      'client TGS exchange, in process',
      async () => {
        const cred = await client.getServiceTicket(SERVICE_SPN);
        client.cache.remove(cred);
      },
      3000,
      true,
    ),
  ];
  const ACCEPT_RC = `AP-REQ accept ${apReqRow}, replay cache on`;
  const ACCEPT_NO = `AP-REQ accept ${apReqRow}, no replay cache`;
  const results: PairedResult[] = [];
  let inUnits: PairedResult[] = [];
  try {
    inUnits = await measurePaired(exchangeCases, opts.paired);

    // --- phase 2: accept without a replay cache, paired with MIT rd_req without one ---
    const svcNoCache = new KerberosService({ keytab, clock, replayCache: false });
    let nextNc = 0;
    const acceptUncached = () => {
      if (nextNc === ringSize) nextNc = 0;
      return svcNoCache.accept(ring.at(nextNc++));
    };
    results.unshift(
      ...(await measurePaired(
        [
          {
            name: ACCEPT_NO,
            krbsim: jsSide(ACCEPT_NO, acceptUncached, opts.clock),
            baselines: await mitSides([[MIT_NO_RCACHE, 'none']]),
            warmMs: warmMs(opts, 1500),
          },
        ],
        opts.paired,
      )),
    );

    // --- phase 3: accept with the replay cache on, in steady state: the
    // cache is first filled to its bound (100 000 entries), so every
    // measured call also evicts the oldest entry, as on a busy service;
    // paired with MIT rd_req without a replay cache (the target's baseline)
    // and with its file2 replay cache ---
    let svc = new KerberosService({ keytab, clock });
    const bound = svc.replayCache?.maxEntries ?? 0;
    // When the ring repeats, the service is replaced by one whose cache was
    // filled beforehand (untimed) with other authenticators of a minute ago,
    // so every measured call still evicts; a ring that wraps more often than
    // there are spares falls back to an empty cache, and the closing note
    // shows the size.
    const spares = opts.quick
      ? []
      : Array.from({ length: SPARE_CACHES }, () => filledCache(clock, ringTime, bound));
    let next = 0;
    let wraps = 0;
    const acceptCached = () => {
      if (next === ringSize) {
        next = 0;
        wraps++;
        const replayCache = spares.pop();
        svc = new KerberosService({ keytab, clock, ...(replayCache === undefined ? {} : { replayCache }) });
      }
      return svc.accept(ring.at(next++));
    };
    const fill = Math.min(bound, ringSize - (opts.quick ? ringSize : RING_SPARE));
    while (next < fill) acceptCached();
    results.unshift(
      ...(await measurePaired(
        [
          {
            name: ACCEPT_RC,
            krbsim: jsSide(ACCEPT_RC, acceptCached, opts.clock),
            baselines: await mitSides([
              [MIT_NO_RCACHE, 'none'],
              [MIT_FILE2, 'file2'],
            ]),
            warmMs: warmMs(opts, 300),
          },
        ],
        opts.paired,
      )),
    );
    cacheNote =
      `replay cache held ${svc.replayCache?.size.toLocaleString('en-US')} entries (bound ${bound.toLocaleString('en-US')}) at the end; ` +
      `the ring wrapped ${wraps} time(s), ${SPARE_CACHES - spares.length} pre-filled cache(s) used`;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  // --- output: figure lines as suite notes (runSuite prints them), and a table ---
  const figureNotes: string[] = [];
  const rows: Row[] = [];
  const mitRows = new Map<string, Spread>();
  for (const r of results) {
    const ratios: Record<string, Spread> = {};
    const uncounted: string[] = [];
    for (const b of r.baselines) {
      if (b.ratio) ratios[b.name] = b.ratio;
      if (b.chargedRatio) ratios[`${b.name}, Node CPU in its batches charged to krbsim`] = b.chargedRatio;
      if (b.nodeCpu) uncounted.push(`${b.name}: ${nodeCpuText(b.nodeCpu, b.chargedRatio)}`);
      if (!mitRows.has(b.name) || b.name === MIT_NO_RCACHE) mitRows.set(b.name, b.ns);
    }
    rows.push(
      rowOf(r.name, r.krbsim!, {
        ...(Object.keys(ratios).length > 0 && { ratios }),
        ...(uncounted.length > 0 && { text: uncounted.join('; ') }),
      }),
    );
    const tail = r.baselines
      .filter((b) => b.ratio)
      .map((b) => `vs ${b.name}: ${spreadRatio(b.ratio)}`)
      .join(', ');
    figureNotes.push(figureText(r.name, r.krbsim!, tail ? `   (ratio ${tail})` : ''));
    for (const u of uncounted) figureNotes.push(`    ${u}`);
  }
  for (const r of inUnits) {
    const c = r.baselines[0]!;
    rows.push(rowOf(c.name, c.ns, { ratios: { [UNITS]: c.ratio! }, text: NO_TARGET }));
    figureNotes.push(figureText(c.name, c.ns, `   (${spreadRatio(c.ratio)} units; ${NO_TARGET})`));
  }
  // The unit's own time, as paired with the first of those cases.
  const unit = inUnits[0]?.krbsim;
  if (unit) {
    rows.push(rowOf(SHA_UNIT, unit));
    figureNotes.push(figureText(SHA_UNIT, unit, '', '    '));
  }
  for (const [name, ns] of mitRows) {
    const label = `${harness.ok ? harness.version : 'MIT'} ${name.slice(4)}`;
    rows.push(rowOf(label, ns));
    figureNotes.push(figureText(label, ns, '', '    '));
  }
  const rc = results.find((r) => r.name === ACCEPT_RC);
  const vsMit = rc?.baselines.find((b) => b.name === MIT_NO_RCACHE);
  const target = vsMit?.ratio;
  if (target) {
    const charged = vsMit?.chargedRatio;
    notes.push(
      'target: accept with the replay cache on at 1.0x MIT rd_req without one at least, aim 1.2x; ' +
        `measured ${spreadRatio(target)}: 1.0x ${goalVerdict(target, 1.0)}; aim 1.2x ${goalVerdict(target, 1.2)}` +
        (charged
          ? `; with this process's CPU during MIT's batches charged to krbsim ${spreadRatio(charged)}: ` +
            `1.0x ${goalVerdict(charged, 1.0)}; aim 1.2x ${goalVerdict(charged, 1.2)}`
          : ''),
    );
  }
  notes.unshift(
    `realm ${REALM}, etype ${ETYPE} keys only; AP-REQs for ${SERVICE_PRINCIPAL}, ${apReqText} (raw: no subkey, checksum or PAC); ` +
      `the KDC's AS-REQ ${fx.asReqPreauth.length} B and TGS-REQ ${fx.tgsReq.length} B; ` +
      `ring of ${ringSize.toLocaleString('en-US')} distinct AP-REQs (MIT: the first ${Math.min(MIT_RING, ringSize).toLocaleString('en-US')}); ` +
      'MIT has no in-process KDC, so AS and TGS are compared with MIT in the kdc-udp suite; here the KDC-alone and ' +
      `client rows are ${NO_TARGET}, each paired with one SHA-256 of 4 KiB (node:crypto) and given in those units; ` +
      "beside each MIT ratio, this process's CPU time while MIT's batches ran (no side's CPU clock counts it), " +
      'per accept, and the ratio with it charged to krbsim; ' +
      'both flag sets side by side: bench/.bench-build/exchanges-last.md',
  );
  if (cacheNote) notes.push(cacheNote);
  for (const n of [notes[0]!, ...figureNotes, ...notes.slice(1)]) s.note(n);
  const md = recordFlagSet('exchanges', opts, rows, notes, loadBefore);
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}

function checkReply(reply: Uint8Array, tag: number, what: string): void {
  if (reply[0] !== tag) {
    throw new Error(`the KDC did not answer with an ${what} (first octet 0x${reply[0]?.toString(16)})`);
  }
}

/** `size` AP-REQs from `make`, stored back to back in one buffer. */
class ApReqRing {
  readonly #buf: Uint8Array;
  readonly #offsets: Int32Array;

  constructor(size: number, make: () => Uint8Array) {
    const parts: Uint8Array[] = new Array(size);
    let total = 0;
    for (let i = 0; i < size; i++) {
      parts[i] = make();
      total += parts[i]!.length;
    }
    this.#buf = new Uint8Array(total);
    this.#offsets = new Int32Array(size + 1);
    let off = 0;
    for (let i = 0; i < size; i++) {
      this.#buf.set(parts[i]!, off);
      off += parts[i]!.length;
      this.#offsets[i + 1] = off;
    }
  }

  /** AP-REQ `i`, a view into the ring's buffer. */
  at(i: number): Uint8Array {
    return this.#buf.subarray(this.#offsets[i]!, this.#offsets[i + 1]!);
  }

  /** The smallest and largest AP-REQ, bytes (cusec's DER length varies). */
  sizeRange(): [number, number] {
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    for (let i = 0; i + 1 < this.#offsets.length; i++) {
      const n = this.#offsets[i + 1]! - this.#offsets[i]!;
      if (n < lo) lo = n;
      if (n > hi) hi = n;
    }
    return [lo, hi];
  }
}
