/**
 * MS-PAC (issue 11): encode, decode, sign and verify of the PAC a krbsim
 * AD-kind KDC issues, and the TGS exchange that verifies, copies and
 * re-signs it, with 10, 100 and 1,000 groups, beside MIT krb5's
 * `krb5_pac_parse` / `krb5_pac_verify` / `krb5_pac_sign` on the same bytes.
 * Goal: at least MIT's speed, and cost growing linearly in the groups.
 *
 * The PACs: for each N, an `active-directory` realm BENCH.TEST (etype 18
 * keys only, the exchange suites' keys) whose directory puts alice in N-1
 * global groups besides Domain Users, so her KERB_VALIDATION_INFO carries N
 * GroupIds. A krbsim client's AS exchange gets her TGT, and its PAC is
 * what the benchmarks use, as the KDC issued it: KERB_VALIDATION_INFO,
 * PAC_CLIENT_INFO, UPN_DNS_INFO (extended, with SAM name and SID),
 * PAC_ATTRIBUTES_INFO, PAC_REQUESTOR, server and KDC signatures (both with
 * the krbtgt key: a TGT carries no ticket or extended KDC signature).
 *
 * Cases (one per operation; in each, all sizes of both implementations
 * alternate in the same pairs, so every ratio is per pair):
 * - parse: krbsim `parsePac` (the directory, checked; each buffer's bytes
 *   a view made when read, decoded when asked for) | MIT `krb5_pac_parse` +
 *   `krb5_pac_free` (the same work);
 * - decode: krbsim `decodePac` (the directory and every buffer into typed
 *   values, NDR included; MIT has no NDR decoder; growth only);
 * - encode: krbsim `encodePac` of the decoded values, each buffer encoded
 *   from its value (MIT has no NDR encoder; growth only);
 * - sign: krbsim `signPac(parsed, { serverKey, kdcKey })` on a PAC parsed
 *   once (its buffers written from their bytes, then the server and KDC
 *   signatures) | MIT `krb5_pac_sign` on a handle parsed once, principal
 *   NULL (the PAC has PAC_CLIENT_INFO already) + free;
 * - verify: krbsim `verifyPac(bytes, { serverKey, kdcKey })` (parsePac and
 *   both signatures) | MIT `krb5_pac_parse` + `krb5_pac_verify` (both
 *   signatures; principal NULL, so PAC_CLIENT_INFO is not compared, as
 *   verifyPac does not) + free;
 * - TGS: `Kdc.handle` of the TGS-REQ the client sent for host/bench.example
 *   with that TGT, replayed (the KDC verifies the TGT's PAC and its
 *   requestor, copies it and signs it for the service: ticket, extended
 *   KDC, server and KDC signatures) | a node:crypto floor of the same sizes
 *   (see `tgsFloor`). MIT's KDC would need a KDB that issues PACs with
 *   these groups (its PACs come from a KDB plugin; the db2 KDB writes none
 *   with groups), so there is no MIT TGS figure.
 *
 * Beside each MIT ratio: this process's CPU time while MIT's batches ran
 * (work no side's CPU clock counts; bench/lib/paired.ts), and the ratio with
 * all of it charged to the krbsim side.
 *
 * Checked before timing: MIT parses and verifies krbsim's PAC with the same
 * keys, MIT's signature of it is byte for byte krbsim's, krbsim's sign
 * reproduces the KDC's bytes, and each service ticket carries N groups.
 */

import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { loadavg } from 'node:os';
import { decodeApReq, decodeEncTicketPart, decodeTgsRep, decodeTgsReq, PaDataType } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  decodePac,
  encodePac,
  findPac,
  getPacBuffer,
  type Pac,
  PacBufferType,
  parsePac,
  signPac,
  verifyPac,
} from '@krbsim/pac';
import { InProcessTransport } from '@krbsim/transport';
import { benchKeys, ETYPE, hex, REALM, SERVICE_SPN, USER } from '../lib/exchanges-fixtures';
import { figureText, type Row, recordFlagSet, rowOf, runOptions, warmMs } from '../lib/exchanges-measure';
import { type SuiteContext, suite } from '../lib/measure';
import { mitExec } from '../lib/mit';
import {
  goalVerdict,
  harnessSide,
  jsSide,
  measurePaired,
  type Side,
  type Spread,
  spreadRatio,
  spreadTime,
} from '../lib/paired';
import {
  chargedNs,
  type PairRecord,
  pairedFigure,
  type RecordingSide,
  recordingSide,
} from '../lib/paired-records';

/** GroupIds in the PAC, one fixture each; the first is the growth baseline. */
const SIZES = [10, 100, 1000] as const;
/** 2026-03-01T00:00:00Z: realms and clients start here (MIT's PAC checks read no clock). */
const START = Date.UTC(2026, 2, 1);

interface Fixture {
  readonly groups: number;
  readonly clock: ManualClock;
  readonly kdc: Kdc;
  /** The TGT's PAC as the KDC signed it. */
  readonly pacBytes: Uint8Array;
  /** Those bytes parsed once (each buffer still written from its bytes), as MIT's sign gets a parsed handle. */
  readonly parsed: Pac;
  /** Those bytes decoded, as plain values: encoding them runs the NDR encoder on every buffer. */
  readonly values: Pac;
  /** The TGS-REQ for host/bench.example with that TGT. */
  readonly tgsReq: Uint8Array;
  /** Sizes the TGS floor works on. */
  readonly sizes: TgsSizes;
}

interface TgsSizes {
  /** Ciphertext of the TGT's enc-part, of the authenticator, of the TGS-REP's enc-part. */
  readonly tgtCipher: number;
  readonly authCipher: number;
  readonly replyCipher: number;
  /** The service ticket's EncTicketPart (plaintext). */
  readonly ticketPlain: number;
  readonly reqBody: number;
  readonly pac: number;
}

const keys = benchKeys();

async function fixture(groups: number): Promise<Fixture> {
  const clock = new ManualClock(START);
  const realm = new Realm({
    name: REALM,
    kind: 'active-directory',
    clock,
    random: new SeededRandom(`pac-bench:${groups}`),
    policy: { permittedEncTypes: [ETYPE] },
    krbtgtKeys: [keys.krbtgt],
  });
  realm.addUser(USER, { keys: [keys.user] });
  realm.addService(SERVICE_SPN, { keys: [keys.service] });
  for (let i = 1; i < groups; i++) {
    const name = `Group ${String(i).padStart(4, '0')}`;
    realm.directory.addGroup(name, { scope: 'global' });
    realm.directory.addMember(name, USER);
  }
  const kdc = new Kdc(realm);
  const sent: Uint8Array[] = [];
  const client = new KerberosClient({
    realm: REALM,
    transport: new InProcessTransport().register(REALM, (request) => {
      sent.push(request.slice());
      return kdc.handle(request);
    }),
    clock,
    random: new SeededRandom(`pac-bench-client:${groups}`),
    encTypes: [ETYPE],
  });
  const tgt = await client.getInitialCredentials(USER, { key: keys.user });
  const tgtPart = decodeEncTicketPart(
    decrypt(keys.krbtgt, KeyUsage.KDC_REP_TICKET, tgt.ticket.encPart.cipher),
  );
  const loc = findPac(tgtPart.authorizationData);
  if (loc === undefined) throw new Error('the TGT carries no PAC');
  const pacBytes = loc.pac.slice();
  const values: Pac = { buffers: decodePac(pacBytes).buffers.map((b) => ({ ...b })) };
  const seen = getPacBuffer(values, PacBufferType.LOGON_INFO)!.groupIds.length;
  if (seen !== groups) throw new Error(`the PAC has ${seen} GroupIds, not ${groups}`);

  await client.getServiceTicket(SERVICE_SPN);
  const tgsReqs = sent.filter((r) => r[0] === 0x6c);
  if (tgsReqs.length !== 1) throw new Error(`expected one TGS-REQ, saw ${tgsReqs.length}`);
  const tgsReq = tgsReqs[0]!;
  const reply = checkTgsReply(kdc.handle(tgsReq), groups);
  const req = decodeTgsReq(tgsReq);
  const apReq = decodeApReq(req.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!.padataValue);
  return {
    groups,
    clock,
    kdc,
    pacBytes,
    parsed: parsePac(pacBytes),
    values,
    tgsReq,
    sizes: {
      tgtCipher: apReq.ticket.encPart.cipher.length,
      authCipher: apReq.authenticator.cipher.length,
      replyCipher: reply.replyCipher,
      ticketPlain: reply.ticketPlain,
      reqBody: req.reqBodyDer?.length ?? 0,
      pac: pacBytes.length,
    },
  };
}

/** The KDC's answer must be a TGS-REP whose service ticket carries the PAC with `groups` GroupIds. */
function checkTgsReply(reply: Uint8Array, groups: number): { replyCipher: number; ticketPlain: number } {
  if (reply[0] !== 0x6d)
    throw new Error(`the KDC did not answer with a TGS-REP (0x${reply[0]?.toString(16)})`);
  const rep = decodeTgsRep(reply);
  const plain = decrypt(keys.service, KeyUsage.KDC_REP_TICKET, rep.ticket.encPart.cipher);
  const loc = findPac(decodeEncTicketPart(plain).authorizationData);
  if (loc === undefined) throw new Error('the service ticket carries no PAC');
  const seen = getPacBuffer(decodePac(loc.pac), PacBufferType.LOGON_INFO)!.groupIds.length;
  if (seen !== groups) throw new Error(`the service ticket's PAC has ${seen} GroupIds, not ${groups}`);
  return { replyCipher: rep.encPart.cipher.length, ticketPlain: plain.length };
}

const ZERO_IV = new Uint8Array(16);
const roundUp16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * The node:crypto floor of one TGS exchange at these sizes, fresh objects
 * per call as naive code would: for each aes256-cts-hmac-sha1-96 decryption
 * (the TGT's enc-part, the authenticator) AES-256-CBC over the ciphertext
 * rounded up to whole blocks plus HMAC-SHA1 over it; HMAC-SHA1 over the
 * request body (the authenticator's checksum); the PAC's two signatures
 * checked (HMAC-SHA1 over the PAC, over the 12-byte server signature); four
 * written (over the service ticket's EncTicketPart, over the PAC twice, over
 * 12 bytes); and two encryptions (the service ticket, the reply). Not in it:
 * key derivation, DER, NDR, confounders, CTS's block swap, copies. A floor,
 * not a KDC.
 */
function tgsFloor(s: TgsSizes): () => unknown {
  const rng = new SeededRandom(`pac-bench-floor:${s.pac}`);
  const key = rng.fill(new Uint8Array(32));
  const buf = (n: number) => rng.fill(new Uint8Array(roundUp16(n)));
  const tgt = buf(s.tgtCipher);
  const auth = buf(s.authCipher);
  const body = buf(s.reqBody);
  const pac = buf(s.pac);
  const ticket = buf(s.ticketPlain + 16);
  const reply = buf(s.replyCipher);
  const small = buf(12);
  const hmac = (data: Uint8Array, n: number) => createHmac('sha1', key).update(data.subarray(0, n)).digest();
  const aes = (encrypt: boolean, data: Uint8Array) => {
    const c = encrypt
      ? createCipheriv('aes-256-cbc', key, ZERO_IV)
      : createDecipheriv('aes-256-cbc', key, ZERO_IV);
    c.setAutoPadding(false);
    const out = c.update(data);
    c.final();
    return out;
  };
  return () => {
    aes(false, tgt);
    hmac(tgt, s.tgtCipher - 12);
    aes(false, auth);
    hmac(auth, s.authCipher - 12);
    hmac(body, s.reqBody);
    hmac(pac, s.pac);
    hmac(small, 12);
    hmac(ticket, s.ticketPlain);
    hmac(pac, s.pac);
    hmac(pac, s.pac);
    hmac(small, 12);
    aes(true, ticket);
    hmac(ticket, s.ticketPlain + 16);
    aes(true, reply);
    return hmac(reply, s.replyCipher - 12);
  };
}

const groupsText = (n: number): string => `${n.toLocaleString('en-US')} groups`;

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('pac');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): building realms with ${SIZES.join(', ')} groups, checking MIT, measuring`,
  );
  const fixtures: Fixture[] = [];
  for (const n of SIZES) fixtures.push(await fixture(n));
  const signingKeys = { serverKey: keys.krbtgt, kdcKey: keys.krbtgt };
  for (const f of fixtures) {
    for (const [what, pac] of [
      ['parsed', f.parsed],
      ['decoded', f.values],
    ] as const) {
      if (hex(signPac(pac, signingKeys).bytes) !== hex(f.pacBytes))
        throw new Error(`${groupsText(f.groups)}: signPac of the ${what} PAC does not reproduce the KDC's`);
    }
    verifyPac(f.pacBytes, signingKeys);
    if (hex(encodePac(f.values)) !== hex(f.pacBytes))
      throw new Error(`${groupsText(f.groups)}: encodePac(decodePac(x)) != x`);
  }

  // --- MIT: checked untimed first, on krbsim's bytes ---
  const mitName = ctx.mit.ok ? ctx.mit.version : 'MIT krb5';
  const mitProblems: string[] = [];
  const mitArgs = (cmd: string, f: Fixture): string[] => [
    cmd,
    `hex:${hex(f.pacBytes)}`,
    ...(cmd === 'pac-parse'
      ? []
      : ['--key', hex(keys.krbtgt.bytes), '--kdc-key', hex(keys.krbtgt.bytes), '--etype', String(ETYPE)]),
  ];
  const mitOk = new Map<string, boolean>();
  if (ctx.mit.ok) {
    for (const cmd of ['pac-parse', 'pac-verify', 'pac-sign']) {
      let ok = true;
      for (const f of fixtures) {
        try {
          const out = mitExec(ctx.mit, [
            ...mitArgs(cmd, f),
            '--samples',
            '1',
            '--target-ms',
            '1',
            '--warmup-ms',
            '0',
          ]);
          const header = JSON.parse(out.trim()) as { signed?: string };
          if (cmd === 'pac-sign' && header.signed !== hex(f.pacBytes)) {
            mitProblems.push(`${cmd} ${groupsText(f.groups)}: MIT's signed PAC differs from krbsim's`);
          }
        } catch (e) {
          ok = false;
          mitProblems.push(`${cmd} ${groupsText(f.groups)}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      mitOk.set(cmd, ok);
    }
  }

  // --- the cases ---
  interface OpCase {
    readonly op: string;
    readonly krbsim: (f: Fixture) => () => unknown;
    readonly mit?: string;
    readonly floor?: (f: Fixture) => () => unknown;
    readonly what: string;
  }
  const ops: OpCase[] = [
    {
      op: 'parse',
      krbsim: (f) => () => parsePac(f.pacBytes),
      mit: 'pac-parse',
      what: 'parsePac | krb5_pac_parse + free',
    },
    {
      op: 'decode',
      krbsim: (f) => () => decodePac(f.pacBytes),
      what: 'decodePac, every NDR field (MIT has no NDR decoder)',
    },
    {
      op: 'encode',
      krbsim: (f) => () => encodePac(f.values),
      what: 'encodePac of decoded values, every NDR field (MIT has no NDR encoder)',
    },
    {
      op: 'sign',
      krbsim: (f) => () => signPac(f.parsed, signingKeys),
      mit: 'pac-sign',
      what: 'signPac of a parsed PAC (server + KDC) | krb5_pac_sign on a parsed handle + free',
    },
    {
      op: 'verify',
      krbsim: (f) => () => verifyPac(f.pacBytes, signingKeys),
      mit: 'pac-verify',
      what: 'verifyPac (parse + server + KDC) | krb5_pac_parse + krb5_pac_verify + free',
    },
    {
      op: 'TGS',
      krbsim: (f) => {
        const base = f.clock.now();
        let tick = 0;
        return () => {
          tick = tick === 200_000 ? 0 : tick + 1;
          f.clock.set(base + tick * 0.5);
          return f.kdc.handle(f.tgsReq);
        };
      },
      floor: (f) => tgsFloor(f.sizes),
      what: 'Kdc.handle of a TGS-REQ with that TGT | node:crypto floor',
    },
  ];

  const label = (op: string, n: number, who = 'krbsim') =>
    op === 'TGS'
      ? `${who === 'krbsim' ? 'Kdc.handle TGS-REQ' : who}, TGT PAC with ${groupsText(n)}`
      : `${who} PAC ${op}, ${groupsText(n)}`;
  const prepared: { op: OpCase; sides: RecordingSide[]; other: 'mit' | 'floor' | undefined }[] = [];
  for (const op of ops) {
    const sides: RecordingSide[] = fixtures.map((f) =>
      recordingSide(jsSide(label(op.op, f.groups), op.krbsim(f), opts.clock)),
    );
    let other: 'mit' | 'floor' | undefined;
    if (op.floor) {
      other = 'floor';
      for (const f of fixtures)
        sides.push(
          recordingSide(jsSide(label(op.op, f.groups, 'node:crypto floor'), op.floor(f), opts.clock)),
        );
    } else if (op.mit && ctx.mit.ok && mitOk.get(op.mit)) {
      other = 'mit';
      for (const f of fixtures) {
        const side: Side = await harnessSide(
          label(op.op, f.groups, mitName),
          ctx.mit.binary,
          mitArgs(op.mit, f),
          opts.clock,
        );
        sides.push(recordingSide(side));
      }
    }
    prepared.push({ op, sides, other });
  }
  await measurePaired(
    prepared.map((p) => ({
      name: p.op.op,
      krbsim: p.sides[0]!,
      baselines: p.sides.slice(1),
      warmMs: warmMs(opts, p.op.op === 'TGS' ? 2000 : 1000),
    })),
    opts.paired,
  );

  // --- figures, per pair ---
  const rows: Row[] = [];
  const figureNotes: string[] = [];
  const goalNotes: string[] = [];
  const fig = (sides: RecordingSide[], f: (x: readonly number[], pair: PairRecord) => number) =>
    pairedFigure(sides, opts.paired, f);
  const k = SIZES.length;
  const perGroup = (x: Spread) => `${spreadTime(x)} per group`;
  for (const { op, sides, other } of prepared) {
    const otherName = other === 'mit' ? mitName : 'node:crypto floor';
    const vsOther: Spread[] = [];
    const vsOtherCharged: Spread[] = [];
    for (let i = 0; i < k; i++) {
      const ns = fig(sides, (x) => x[i]!);
      const cost = fig(sides, (x) => x[i]! / x[0]!);
      const ratios: Record<string, Spread> = { [`${SIZES[0]} groups (cost)`]: cost };
      let tail = `   (${spreadRatio(cost)} the ${SIZES[0]}-group cost`;
      let text: string | undefined;
      if (other) {
        const r = fig(sides, (x) => x[k + i]! / x[i]!);
        vsOther.push(r);
        ratios[otherName] = r;
        tail += `; ratio vs ${otherName}: ${spreadRatio(r)}`;
      }
      if (other === 'mit') {
        // This process's CPU during the pair's MIT batches (all three sizes), charged to krbsim at this size: a bound.
        const nodeCpu = fig(sides, (_, pair) => pair.nodeCpuNs[k + i]! / pair.calls[i]!);
        const charged =
          opts.clock === 'cpu' ? fig(sides, (x, pair) => x[k + i]! / chargedNs(x, pair, i)) : undefined;
        if (charged) {
          vsOtherCharged.push(charged);
          ratios[`${otherName}, Node CPU in MIT's batches charged to krbsim`] = charged;
        }
        text = `Node's CPU during MIT's batches at this size: ${spreadTime(nodeCpu)} per krbsim call`;
        const chargedText = charged
          ? `; ratio with its CPU during all ${k} MIT batches of the pair charged to krbsim: ${spreadRatio(charged)}`
          : '';
        tail += `; ${text}${chargedText}`;
      }
      rows.push(rowOf(sides[i]!.name, ns, { ratios, ...(text && { text }) }));
      figureNotes.push(figureText(sides[i]!.name, ns, `${tail})`));
      if (other) {
        const o = fig(sides, (x) => x[k + i]!);
        const oc = fig(sides, (x) => x[k + i]! / x[k]!);
        rows.push(rowOf(sides[k + i]!.name, o, { ratios: { [`${SIZES[0]} groups (cost)`]: oc } }));
        figureNotes.push(
          figureText(sides[k + i]!.name, o, `   (${spreadRatio(oc)} its ${SIZES[0]}-group cost)`, '    '),
        );
      }
    }
    // Cost per group: the slope between sizes; equal slopes mean linear growth.
    const [a, b, c] = SIZES;
    const slopeLow = fig(sides, (x) => (x[1]! - x[0]!) / (b - a));
    const slopeHigh = fig(sides, (x) => (x[2]! - x[1]!) / (c - b));
    const linearity = fig(sides, (x) => (x[2]! - x[1]!) / (c - b) / ((x[1]! - x[0]!) / (b - a)));
    let line =
      `${op.op}: cost per group ${perGroup(slopeLow)} from ${a} to ${b}, ${perGroup(slopeHigh)} from ${b} to ${c}` +
      ` (slope ${b}-${c} ÷ slope ${a}-${b}: ${spreadRatio(linearity)}; 1.00x is linear, below it the cost per group falls)`;
    if (other === 'mit') {
      const mitSlope = fig(sides, (x) => (x[k + 2]! - x[k]!) / (c - a));
      line += `; MIT: ${perGroup(mitSlope)} from ${a} to ${c}`;
    }
    goalNotes.push(line);
    if (other === 'mit') {
      const each = (xs: Spread[]) =>
        xs.map((r, i) => `${groupsText(SIZES[i]!)} ${spreadRatio(r)} ${goalVerdict(r, 1.0)}`).join(', ');
      const overall = (xs: Spread[]) => {
        const verdicts = xs.map((r) => goalVerdict(r, 1.0));
        if (verdicts.every((v) => v === 'met')) return 'met';
        return verdicts.includes('NOT met') ? 'NOT met' : 'met at the median; the range crosses the goal';
      };
      goalNotes.push(
        `goal: ${op.op} at least MIT's speed at every size: ${overall(vsOther)} (${each(vsOther)})` +
          (vsOtherCharged.length === k
            ? `; with this process's CPU during MIT's batches charged to krbsim: ${overall(vsOtherCharged)} (${each(vsOtherCharged)})`
            : ''),
      );
    }
  }

  const notes = [
    `realm ${REALM} (active-directory, etype 18), alice in ${SIZES.map((n) => n - 1).join(' / ')} global groups besides Domain Users; ` +
      `the TGT's PAC as the KDC issued it: ${fixtures.map((f) => `${f.pacBytes.length} B`).join(' / ')}; ` +
      'signatures with the krbtgt key (a TGT: server and KDC only); all sizes and both implementations alternate in the same pairs; ' +
      'cases: ' +
      ops.map((o) => `${o.op}: ${o.what}`).join('; ') +
      '; both flag sets side by side: bench/.bench-build/pac-last.md',
    ctx.mit.ok
      ? mitProblems.length
        ? `MIT PROBLEMS (those operations have no MIT side): ${mitProblems.join('; ')}`
        : "checked: MIT parses and verifies (krb5_pac_verify, server and KDC checksums) krbsim's PAC at every size, and krb5_pac_sign writes krbsim's bytes exactly"
      : `MIT baseline skipped: ${ctx.mit.reason}`,
    "TGS: no MIT figure: MIT's KDC issues PACs from its KDB, and its db2 KDB writes none with groups; the baselines are the 10-group case and a node:crypto floor",
  ];
  for (const n of [notes[0]!, notes[1]!, ...figureNotes, ...goalNotes, notes[2]!]) s.note(n);
  const md = recordFlagSet('pac', opts, rows, [...notes, ...goalNotes], loadBefore);
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
