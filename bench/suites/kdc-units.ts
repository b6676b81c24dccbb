/**
 * The KDC in process in fixed units, so that two commits can be compared
 * although they never run side by side: `Kdc.handle` of an AS-REQ without
 * pre-authentication, an AS-REQ with PA-ENC-TIMESTAMP and a TGS-REQ (the
 * requests of the exchanges and kdc-udp suites), each paired with one
 * SHA-256 of 4 KiB through node:crypto, which does not change from commit
 * to commit. A figure is (KDC time) / (SHA-256 time) per pair: it moves when
 * the KDC's code does, not when the machine changes speed.
 *
 * To compare commits, run this suite file in a clean export of each (with
 * this bench/ directory): `pnpm bench kdc-units --flags default`.
 */

import { loadavg } from 'node:os';
import { ManualClock } from '@krbsim/core';
import { Kdc } from '@krbsim/kdc';
import { benchRealm, exchangeFixture, loadAsReq, setNonce } from '../lib/exchanges-fixtures';
import {
  figureText,
  type Row,
  recordFlagSet,
  rowOf,
  runOptions,
  SHA_UNIT,
  shaUnitSide,
  UNITS,
  warmMs,
} from '../lib/exchanges-measure';
import { type SuiteContext, suite } from '../lib/measure';
import { jsSide, measurePaired, spreadRatio } from '../lib/paired';

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('kdc-units');
  s.announce(`(${opts.flagSet}; load average ${loadBefore.toFixed(2)})`);

  const clock = new ManualClock(Date.now());
  const kdc = new Kdc(benchRealm({ clock, requiresPreauth: false }));
  const { bytes: template, nonceOffset } = loadAsReq();
  const asReq = new Uint8Array(template);
  let nonce = 0;
  const fx = await exchangeFixture();
  const base = fx.clock.now();
  let tick = 0;
  const step = () => {
    tick = tick === 200_000 ? 0 : tick + 1;
    fx.clock.set(base + tick * 0.5);
  };
  const AS = `Kdc.handle: AS-REQ ${template.length} B, no pre-authentication`;
  const AS_PA = `Kdc.handle: AS-REQ ${fx.asReqPreauth.length} B + PA-ENC-TIMESTAMP`;
  const TGS = `Kdc.handle: TGS-REQ ${fx.tgsReq.length} B`;
  const [r] = await measurePaired(
    [
      {
        name: SHA_UNIT,
        krbsim: shaUnitSide(opts.clock),
        baselines: [
          jsSide(
            AS,
            () => {
              setNonce(asReq, nonceOffset, nonce++);
              return kdc.handle(asReq);
            },
            opts.clock,
          ),
          jsSide(
            AS_PA,
            () => {
              step();
              return fx.kdc.handle(fx.asReqPreauth);
            },
            opts.clock,
          ),
          jsSide(
            TGS,
            () => {
              step();
              return fx.kdc.handle(fx.tgsReq);
            },
            opts.clock,
          ),
        ],
        warmMs: warmMs(opts, 2000),
      },
    ],
    opts.paired,
  );
  const rows: Row[] = [rowOf(SHA_UNIT, r!.krbsim!)];
  const notes = [
    'each KDC case paired with one SHA-256 of 4 KiB (node:crypto); a figure is the KDC time in those units, ' +
      'comparable across commits; both flag sets side by side: bench/.bench-build/kdc-units-last.md',
  ];
  s.note(notes[0]!);
  for (const b of r!.baselines) {
    rows.push(rowOf(b.name, b.ns, { ratios: { [UNITS]: b.ratio! } }));
    s.note(figureText(b.name, b.ns, `   (${spreadRatio(b.ratio)} units)`));
  }
  const md = recordFlagSet('kdc-units', opts, rows, notes, loadBefore);
  if (opts.flagSet !== 'default' || opts.quick) process.stdout.write(`\n${md}`);
  return s;
}
