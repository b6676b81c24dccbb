/**
 * Kerberos exchanges in process, on one core: the AS exchange, the TGS
 * exchange and AP-REQ acceptance, each set beside MIT krb5 where MIT can do
 * the same work in process.
 *
 * Table rows (measured by runSuite, so they get ratios):
 *  - AP-REQ acceptance, `KerberosService.accept` of an etype-18 AP-REQ
 *    (decode, decrypt the ticket with the service key, decrypt the
 *    authenticator with the session key, the checks), with the replay cache
 *    on and off. With it on, every call needs an authenticator the cache has
 *    not seen: a ring of distinct AP-REQs (strictly increasing ctime/cusec)
 *    is built before timing, and each time the ring wraps the service is
 *    replaced by a new one with an empty cache (one allocation per ring).
 *    Baseline: MIT `krb5_rd_req` of an AP-REQ from the same ring, with a
 *    MEMORY: keytab and no replay cache (mitbench `rd-req --apreq`).
 *  - The KDC alone (`Kdc.handle`) answering the AS-REQ with PA-ENC-TIMESTAMP
 *    and the TGS-REQ a krbsim client sent, replayed (the KDC checks their
 *    times against its skew, and keeps no replay state). The realm clock
 *    moves 0.5 ms per call, wrapping after 100 s.
 *
 * Notes (measured while the suite is built, printed above the table):
 *  - the client's full exchanges, which are async and so cannot be a
 *    runSuite case (see bench/lib/exchanges-measure.ts): AS with
 *    pre-authentication by key (two round trips, PREAUTH_REQUIRED first, no
 *    string-to-key) and TGS (request built, reply decrypted and checked; the
 *    ticket is dropped from the cache after each call so the next one asks
 *    the KDC);
 *  - MIT `krb5_rd_req` from this suite's own harness
 *    (bench/harness/mit-exchanges.c) over the whole ring of krbsim AP-REQs,
 *    without and with MIT's replay cache (file2, opened once).
 *
 * MIT has no in-process KDC, so the AS and TGS figures have no MIT row here;
 * the KDC comparison is over loopback UDP in the kdc-udp suite.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KerberosService } from '@krbsim/service';
import {
  ETYPE,
  exchangeFixture,
  hex,
  REALM,
  SERVICE_PRINCIPAL,
  SERVICE_SPN,
  serviceKeytab,
  USER,
} from '../lib/exchanges-fixtures';
import { figureText, measureAsync, opsText, runOptions, warmMs, warmUp } from '../lib/exchanges-measure';
import { buildExchangesHarness, mitRdReq, writeApReqRing } from '../lib/exchanges-mit';
import { type Baseline, type SuiteContext, suite } from '../lib/measure';
import type { MitResult } from '../lib/mit';

/** AP-REQs per ring: enough that the default replay cache (100 000 entries) fills and evicts. */
const RING = 120_000;
const RING_QUICK = 20_000;
/** AP-REQs given to the MIT harness (it wraps the ring, starting a fresh rcache). */
const MIT_RING = 20_000;

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const s = suite('exchanges');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(
    '\n## exchanges: preparing (realm, client, AP-REQ ring), then the async client exchanges and MIT rd_req',
  );

  const fx = await exchangeFixture();
  const { client, kdc, clock } = fx;

  // --- the client's full exchanges (async: measured here, reported as notes) ---
  const asFull = await measureAsync(
    'client AS exchange',
    () => client.getInitialCredentials(USER, { key: fx.keys.user }),
    opts,
  );
  print(figureText('client AS exchange in process (2 round trips)', asFull.nsPerOp));
  const tgsFull = await measureAsync(
    'client TGS exchange',
    async () => {
      const cred = await client.getServiceTicket(SERVICE_SPN);
      client.cache.remove(cred);
      return cred;
    },
    opts,
  );
  print(figureText('client TGS exchange in process', tgsFull.nsPerOp));

  // --- the AP-REQ ring: one buffer, a view made per call (so the ring adds
  // no live objects for the GC to trace, only one large backing store) ---
  const ringSize = ctx.quick ? RING_QUICK : RING;
  const ring = new ApReqRing(ringSize, () => client.buildApReq(fx.serviceCred, {}).token);
  const apReqBytes = ring.at(0).length;
  const keytab = serviceKeytab();

  // --- MIT rd_req over the same AP-REQs (this suite's harness) ---
  const mitNotes: string[] = [];
  let mitVersion = 'MIT krb5';
  const harness = buildExchangesHarness();
  if (!harness.ok) {
    mitNotes.push(`MIT krb5_rd_req (bench/harness/mit-exchanges.c) not measured: ${harness.reason}`);
  } else {
    mitVersion = harness.version;
    const workDir = mkdtempSync(join(tmpdir(), 'krbsim-bench-rdreq-'));
    try {
      const ringFile = join(workDir, 'apreqs.bin');
      writeApReqRing(
        ringFile,
        Array.from({ length: Math.min(MIT_RING, ringSize) }, (_, i) => ring.at(i)),
      );
      const params = {
        ringFile,
        key: fx.keys.service.bytes,
        principal: SERVICE_PRINCIPAL,
        etype: ETYPE,
        kvno: 1,
        workDir,
      };
      const results: Record<'none' | 'file2', MitResult | string> = { none: '', file2: '' };
      for (const rcache of ['none', 'file2'] as const) {
        try {
          results[rcache] = mitRdReq(harness, { ...params, rcache }, opts);
        } catch (e) {
          results[rcache] = e instanceof Error ? e.message : String(e);
        }
      }
      for (const [rcache, r] of Object.entries(results)) {
        const what =
          rcache === 'none'
            ? `${mitVersion} rd_req, no rcache (mit-exchanges)`
            : `${mitVersion} rd_req, file2 rcache (mit-exchanges)`;
        if (typeof r === 'string') {
          mitNotes.push(`${what}: failed: ${r.split('\n')[0]}`);
          print(`${what}: failed: ${r}`);
        } else {
          mitNotes.push(`${what}: ${opsText(r.ns_per_op)}`);
          print(figureText(what, r.ns_per_op));
        }
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  s.note(
    `realm ${REALM}, etype ${ETYPE} keys only; AP-REQ ${apReqBytes} B for ${SERVICE_PRINCIPAL} (raw, no subkey, no checksum, no PAC); ` +
      `ring of ${ringSize.toLocaleString('en-US')} distinct AP-REQs for the replay-cache case`,
  );
  s.note(
    `client AS exchange in process (AS-REQ, PREAUTH_REQUIRED, AS-REQ with PA-ENC-TIMESTAMP by key, AS-REP decrypted): ${opsText(asFull.nsPerOp)} [async: measured by exchanges-measure.ts]`,
  );
  s.note(
    `client TGS exchange in process (TGS-REQ with the TGT, TGS-REP decrypted and checked): ${opsText(tgsFull.nsPerOp)} [async]`,
  );
  for (const n of mitNotes) s.note(n);
  s.note(
    'MIT has no in-process KDC: AS and TGS are compared with MIT over loopback UDP (pnpm bench kdc-udp), not here',
  );

  // --- table rows ---
  const mitBaseline: Baseline[] = ctx.mit.ok
    ? [
        {
          name: `${ctx.mit.version} rd_req, no rcache`,
          mit: [
            'rd-req',
            '--apreq',
            `hex:${hex(ring.at(ringSize - 1))}`,
            '--key',
            hex(fx.keys.service.bytes),
            '--principal',
            SERVICE_PRINCIPAL,
            '--etype',
            String(ETYPE),
            '--kvno',
            '1',
          ],
        },
      ]
    : [];

  // With the cache on, a new service (new, empty cache) each time the ring wraps.
  let svc = new KerberosService({ keytab, clock });
  let next = 0;
  const acceptCached = () => {
    if (next === ringSize) {
      next = 0;
      svc = new KerberosService({ keytab, clock });
    }
    return svc.accept(ring.at(next++));
  };
  const svcNoCache = new KerberosService({ keytab, clock, replayCache: false });
  let nextNc = 0;
  const acceptUncached = () => {
    if (nextNc === ringSize) nextNc = 0;
    return svcNoCache.accept(ring.at(nextNc++));
  };
  warmUp(acceptCached, warmMs(opts, 1500));
  warmUp(acceptUncached, warmMs(opts, 1000));
  s.add({
    name: `AP-REQ accept ${apReqBytes} B, replay cache on`,
    run: acceptCached,
    baselines: mitBaseline,
  });
  s.add({
    name: `AP-REQ accept ${apReqBytes} B, no replay cache`,
    run: acceptUncached,
    baselines: mitBaseline,
  });

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
  const kdcAs = () => {
    step();
    return kdc.handle(asReq);
  };
  const kdcTgs = () => {
    step();
    return kdc.handle(tgsReq);
  };
  warmUp(kdcAs, warmMs(opts, 1000));
  warmUp(kdcTgs, warmMs(opts, 1500));
  s.add({ name: `KDC alone: AS-REQ ${asReq.length} B with PA-ENC-TIMESTAMP -> AS-REP`, run: kdcAs });
  s.add({ name: `KDC alone: TGS-REQ ${tgsReq.length} B -> TGS-REP`, run: kdcTgs });
  return s;
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
    const start = this.#offsets[i]!;
    return this.#buf.subarray(start, this.#offsets[i + 1]!);
  }
}

function checkReply(reply: Uint8Array, tag: number, what: string): void {
  if (reply[0] !== tag) {
    throw new Error(`the KDC did not answer with an ${what} (first octet 0x${reply[0]?.toString(16)})`);
  }
}
