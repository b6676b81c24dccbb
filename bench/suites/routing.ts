/**
 * Referral routing against the number of trusts: one referral TGS-REQ
 * through `Kdc.handle` at a realm with 1, 100 and 1,000 trusts. The cost
 * should not grow with the trusts (docs/architecture.md, "Routing"): the
 * 1-trust case is the baseline, the three hubs alternate in paired batches
 * (bench/lib/paired.ts), and each row gives its cost as a multiple of the
 * 1-trust cost, the median of the per-pair ratios with its range over runs.
 *
 * Each topology is a hub, BENCH.TEST (etype 18 keys only, as in the
 * exchange suites), trusted one-way by N realms over forest trusts, each
 * trust claiming its trusting realm's DNS domain as a top-level name:
 * `S0001.TEST` .. claims `s0001.test`, and the last created, TARGET.TEST,
 * claims `target.test` (it sorts after every `S` realm, so a search in name
 * order meets it last). alice of BENCH.TEST, holding a TGT, asks the hub
 * for `host/svc.target.test`: the hub has no such service, maps the host to
 * TARGET.TEST by the top-level name, checks the path and answers with a
 * referral TGT `krbtgt/TARGET.TEST@BENCH.TEST`.
 *
 * The request is the TGS-REQ the real client sent while chasing that
 * referral to the end (TARGET.TEST's KDC issued the service ticket), replayed.
 * Everything is seeded and the clock is manual, so the three hubs receive
 * byte-identical requests (checked) and do identical work apart from the
 * routing. The KDC keeps no replay state; the hub's clock moves 0.5 ms per
 * call and wraps after 100 s, as in the exchanges suite.
 *
 * Figures are printed, kept as this suite's notes, and written with the
 * other flag set's to bench/.bench-build/routing-last.{json,md}.
 */

import { loadavg } from 'node:os';
import { decodeTgsRep } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { benchKeys, ETYPE, REALM, USER } from '../lib/exchanges-fixtures';
import { figureText, type Row, recordFlagSet, rowOf, runOptions, warmMs } from '../lib/exchanges-measure';
import { type SuiteContext, suite } from '../lib/measure';
import { jsSide, measurePaired, spreadRatio } from '../lib/paired';

/** Trusts at the hub, one case each; the first is the baseline. */
const SIZES = [1, 100, 1000] as const;
const TARGET = 'TARGET.TEST';
const TARGET_SPN = 'host/svc.target.test';
/** 2026-03-01T00:00:00Z: every hub, client and service starts here. */
const START = Date.UTC(2026, 2, 1);

interface Topology {
  readonly trusts: number;
  readonly clock: ManualClock;
  readonly kdc: Kdc;
  /** The referral TGS-REQ the client sent to the hub. */
  readonly tgsReq: Uint8Array;
}

/** The hub and its `n` trusting realms, and the referral TGS-REQ recorded from a full client chase. */
async function topology(n: number): Promise<Topology> {
  const clock = new ManualClock(START);
  const keys = benchKeys();
  const hub = new Realm({
    name: REALM,
    clock,
    random: new SeededRandom('routing-bench:hub'),
    policy: { permittedEncTypes: [ETYPE] },
    krbtgtKeys: [keys.krbtgt],
  });
  hub.addUser(USER, { keys: [keys.user] });
  let target: Realm | undefined;
  for (let i = 1; i <= n; i++) {
    const name = i === n ? TARGET : `S${String(i).padStart(4, '0')}.TEST`;
    const spoke = new Realm({
      name,
      clock,
      random: new SeededRandom(`routing-bench:${name}`),
      policy: { permittedEncTypes: [ETYPE] },
    });
    createTrust({
      trusting: spoke,
      trusted: hub,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: [name.toLowerCase()],
    });
    target = spoke;
  }
  target!.addService(TARGET_SPN, {
    keys: [generateKey(ETYPE, { random: new SeededRandom('routing-bench:service') })],
  });

  const kdc = new Kdc(hub);
  const targetKdc = new Kdc(target!);
  const toHub: Uint8Array[] = [];
  const transport = new InProcessTransport()
    .register(REALM, (request) => {
      toHub.push(request.slice());
      return kdc.handle(request);
    })
    .register(TARGET, (request) => targetKdc.handle(request));
  const client = new KerberosClient({
    realm: REALM,
    transport,
    clock,
    random: new SeededRandom('routing-bench:client'),
    encTypes: [ETYPE],
  });
  await client.getInitialCredentials(USER, { key: keys.user });
  const cred = await client.getServiceTicket(TARGET_SPN);
  if (cred.server.realm !== TARGET) throw new Error(`the service ticket is from ${cred.server.realm}`);
  const tgsReqs = toHub.filter((r) => r[0] === 0x6c);
  if (tgsReqs.length !== 1) throw new Error(`expected one TGS-REQ at the hub, saw ${tgsReqs.length}`);
  const tgsReq = tgsReqs[0]!;
  checkReferral(kdc.handle(tgsReq));
  return { trusts: n, clock, kdc, tgsReq };
}

/** The hub's reply must be a TGS-REP carrying krbtgt/TARGET.TEST@BENCH.TEST. */
function checkReferral(reply: Uint8Array): void {
  if (reply[0] !== 0x6d) {
    throw new Error(`the hub did not answer with a TGS-REP (first octet 0x${reply[0]?.toString(16)})`);
  }
  const sname = decodeTgsRep(reply).ticket.sname.nameString.join('/');
  if (sname !== `krbtgt/${TARGET}`) throw new Error(`the hub referred to ${sname}, not krbtgt/${TARGET}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const label = (n: number): string =>
  `referral TGS-REQ at a realm with ${n.toLocaleString('en-US')} trust${n === 1 ? '' : 's'}`;

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('routing');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): building ${SIZES.join(', ')}-trust topologies, warming up, measuring`,
  );
  const t0 = performance.now();
  const topologies: Topology[] = [];
  for (const n of SIZES) topologies.push(await topology(n));
  const setupMs = performance.now() - t0;
  const first = topologies[0]!.tgsReq;
  const identical = topologies.every((t) => sameBytes(t.tgsReq, first));

  const sides = topologies.map((t) => {
    const base = t.clock.now();
    let tick = 0;
    return jsSide(
      label(t.trusts),
      () => {
        tick = tick === 200_000 ? 0 : tick + 1;
        t.clock.set(base + tick * 0.5);
        return t.kdc.handle(t.tgsReq);
      },
      opts.clock,
    );
  });
  // Paired: the 1-trust hub is "krbsim" of the case, the others its baselines,
  // so each ratio is (N-trust time) / (1-trust time) per pair of batches.
  const [result] = await measurePaired(
    [{ name: label(1), krbsim: sides[0]!, baselines: sides.slice(1), warmMs: warmMs(opts, 2000) }],
    opts.paired,
  );
  // The replies are still referrals after all the calls.
  for (const t of topologies) checkReferral(t.kdc.handle(t.tgsReq));

  const r = result!;
  const one = { median: 1, min: 1, max: 1, runs: [] };
  const figures = [
    { name: r.name, ns: r.krbsim!, cost: one },
    ...r.baselines.map((b) => ({ name: b.name, ns: b.ns, cost: b.ratio! })),
  ];
  const rows: Row[] = [];
  const figureNotes: string[] = [];
  for (const f of figures) {
    rows.push(rowOf(f.name, f.ns, { ratios: { '1 trust (cost)': f.cost } }));
    figureNotes.push(figureText(f.name, f.ns, `   (${spreadRatio(f.cost)} the 1-trust cost)`));
  }
  const last = figures[figures.length - 1]!;
  const notes = [
    `hub ${REALM} trusted one-way (forest trusts) by ${SIZES.join(' / ')} realms, each claiming its own DNS domain as a top-level name; ` +
      `alice asks for ${TARGET_SPN} and gets a referral to ${TARGET}; TGS-REQ ${first.length} B, ` +
      `${identical ? 'byte-identical at every hub' : 'NOT identical across hubs'}; topologies built in ${setupMs.toFixed(0)} ms; ` +
      'the three hubs alternate in paired batches; a cost is (N-trust time) / (1-trust time) per pair: 1.00x means flat',
    `cost ratio ${SIZES[SIZES.length - 1]} trusts / 1 trust: ${spreadRatio(last.cost)}`,
  ];
  for (const n of [notes[0]!, ...figureNotes, ...notes.slice(1)]) s.note(n);
  const md = recordFlagSet('routing', opts, rows, notes, loadBefore);
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
