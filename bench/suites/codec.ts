/**
 * The Kerberos DER codec: decode and encode of a Ticket (as captured, ~400 B; and ~1.1 KB
 * with a larger enc-part as a PAC makes), an AP-REQ, an AS-REP and a TGS-REQ.
 *
 * Samples are real MIT messages from test/fixtures/mit/messages.json (the
 * Ticket is cut out of an AS-REP's `ticket [5]`; the large one is that
 * Ticket with its enc-part cipher grown — codecs don't decrypt). Without the
 * fixtures, the MIT harness's `make-samples` messages are used instead.
 *
 * Baselines, on the same bytes:
 *  - asn1js 4: `fromBER` for decode (a generic BER tree, no Kerberos types),
 *    `toBER` of that tree for encode;
 *  - MIT krb5's decode_krb5_* / encode_krb5_* (the C harness), freeing each
 *    result as MIT callers do; encode re-encodes the value decoded once.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRandom } from '@krbsim/core';
import * as asn1js from 'asn1js';
import { apReqOfTgsReq, enlargeTicket, ticketOfKdcRep } from '../lib/der';
import { type Baseline, type Suite, type SuiteContext, suite } from '../lib/measure';
import { BENCH_DIR, mitExecOncePerRun } from '../lib/mit';

const FIXTURES = join(BENCH_DIR, '..', 'test', 'fixtures', 'mit', 'messages.json');
const LARGE_TICKET = 1100;

type Kind = 'Ticket' | 'AP-REQ' | 'AS-REP' | 'TGS-REQ';

/** Per kind: the MIT harness's command suffix and `@krbsim/asn1`'s function names. */
const KINDS: Record<Kind, { mit: string; decode: string; encode: string; tag: number }> = {
  Ticket: { mit: 'ticket', decode: 'decodeTicket', encode: 'encodeTicket', tag: 0x61 },
  'AP-REQ': { mit: 'ap-req', decode: 'decodeApReq', encode: 'encodeApReq', tag: 0x6e },
  'AS-REP': { mit: 'as-rep', decode: 'decodeAsRep', encode: 'encodeAsRep', tag: 0x6b },
  'TGS-REQ': { mit: 'tgs-req', decode: 'decodeTgsReq', encode: 'encodeTgsReq', tag: 0x6c },
};

interface Message {
  name: string;
  kind: string;
  hex: string;
}

interface Sample {
  kind: Kind;
  bytes: Uint8Array;
  origin: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** "as_rep", "AS-REP", "asrep" -> "ASREP"; unknown kinds fall back to the tag byte. */
function kindOf(m: Message, bytes: Uint8Array): Kind | undefined {
  const k = m.kind.toUpperCase().replace(/[^A-Z]/g, '');
  for (const [kind, info] of Object.entries(KINDS) as [Kind, (typeof KINDS)[Kind]][]) {
    if (kind.replace(/[^A-Z]/gi, '').toUpperCase() === k) return bytes[0] === info.tag ? kind : undefined;
  }
  return undefined;
}

function loadMessages(ctx: SuiteContext, s: Suite): { messages: Message[]; source: string } | undefined {
  if (existsSync(FIXTURES)) {
    try {
      const messages = JSON.parse(readFileSync(FIXTURES, 'utf8')) as Message[];
      if (Array.isArray(messages) && messages.length)
        return { messages, source: 'test/fixtures/mit/messages.json' };
    } catch (e) {
      s.note(`could not read test/fixtures/mit/messages.json: ${(e as Error).message}`);
    }
  }
  if (ctx.mit.ok) {
    s.note(
      'test/fixtures/mit/messages.json is not there yet: using messages built by MIT itself (mitbench make-samples)',
    );
    return {
      messages: JSON.parse(mitExecOncePerRun(ctx.mit, ['make-samples'])) as Message[],
      source: 'mitbench make-samples',
    };
  }
  s.note('no samples: test/fixtures/mit/messages.json is missing and the MIT harness is unavailable');
  return undefined;
}

function pickSamples(messages: Message[], source: string): Sample[] {
  const first = new Map<Kind, { m: Message; bytes: Uint8Array }>();
  for (const m of messages) {
    if (typeof m?.hex !== 'string' || typeof m.kind !== 'string') continue;
    const bytes = fromHex(m.hex);
    const kind = kindOf(m, bytes);
    if (kind && !first.has(kind)) first.set(kind, { m, bytes });
  }
  const out: Sample[] = [];
  const asRep = first.get('AS-REP');
  let ticket: Sample | undefined;
  if (asRep) {
    ticket = { kind: 'Ticket', bytes: ticketOfKdcRep(asRep.bytes), origin: `ticket [5] of ${asRep.m.name}` };
  } else if (first.has('Ticket')) {
    const t = first.get('Ticket')!;
    ticket = { kind: 'Ticket', bytes: t.bytes, origin: t.m.name };
  }
  if (ticket) {
    out.push(ticket);
    const rng = new SeededRandom('bench-codec-ticket');
    const big = enlargeTicket(ticket.bytes, LARGE_TICKET, (n) => rng.fill(new Uint8Array(n)));
    out.push({ kind: 'Ticket', bytes: big, origin: `${ticket.origin}, enc-part cipher grown` });
  }
  const apReq = first.get('AP-REQ');
  const tgsReq = first.get('TGS-REQ');
  if (apReq) out.push({ kind: 'AP-REQ', bytes: apReq.bytes, origin: apReq.m.name });
  else if (tgsReq) {
    const inner = apReqOfTgsReq(tgsReq.bytes);
    if (inner) out.push({ kind: 'AP-REQ', bytes: inner, origin: `PA-TGS-REQ of ${tgsReq.m.name}` });
  }
  if (asRep) out.push({ kind: 'AS-REP', bytes: asRep.bytes, origin: asRep.m.name });
  if (tgsReq) out.push({ kind: 'TGS-REQ', bytes: tgsReq.bytes, origin: tgsReq.m.name });
  return out.map((x) => ({ ...x, origin: `${x.origin} (${source})` }));
}

type Fn = (x: unknown) => unknown;

async function loadAsn1(): Promise<Record<string, unknown> | string> {
  const specifier = '@krbsim/asn1'; // variable: the suite still runs while the codec is not written
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    return `@krbsim/asn1 is not importable (${(e as Error).message.split('\n')[0]})`;
  }
}

export default async function build(ctx: SuiteContext): Promise<Suite> {
  const s = suite('codec');
  const loaded = loadMessages(ctx, s);
  if (!loaded) return s;
  const samples = pickSamples(loaded.messages, loaded.source);
  const asn1 = await loadAsn1();
  const mitName = ctx.mit.ok ? ctx.mit.version : 'MIT krb5';
  if (!ctx.mit.ok) s.note(`MIT baseline skipped: ${ctx.mit.reason}`);

  const pendingKinds: string[] = [];
  for (const sample of samples) {
    const info = KINDS[sample.kind];
    const label = `${sample.kind} ${sample.bytes.length} B`;
    s.note(`${label}: ${sample.origin}`);
    const bytes = sample.bytes;

    // krbsim, when @krbsim/asn1 exports this kind's pair.
    let decode: Fn | undefined;
    let encode: Fn | undefined;
    let pending: string | undefined;
    if (typeof asn1 === 'string') pending = asn1;
    else if (typeof asn1[info.decode] !== 'function' || typeof asn1[info.encode] !== 'function') {
      pending = `@krbsim/asn1 does not export ${info.decode}/${info.encode} yet`;
      if (!pendingKinds.includes(sample.kind)) pendingKinds.push(sample.kind);
    } else {
      decode = asn1[info.decode] as Fn;
      encode = asn1[info.encode] as Fn;
    }
    let value: unknown;
    if (decode && encode) {
      try {
        value = decode(bytes);
        const back = encode(value) as Uint8Array;
        if (!same(back, bytes)) s.note(`${label}: krbsim's re-encoding differs from the input bytes`);
      } catch (e) {
        s.note(`${label}: krbsim failed on this sample: ${(e as Error).message.split('\n')[0]}`);
        decode = encode = undefined;
        pending = 'krbsim codec failed on the sample (see note)';
      }
    }

    // asn1js: a generic tree.
    const tree = asn1js.fromBER(bytes);
    if (tree.offset === -1) throw new Error(`asn1js cannot parse ${label}: ${tree.result.error}`);
    const treeBack = new Uint8Array(tree.result.toBER());
    if (!same(treeBack, bytes)) s.note(`${label}: asn1js toBER differs from the input bytes`);
    const mitArg = `hex:${hex(bytes)}`;

    const decBaselines: Baseline[] = [{ name: 'asn1js 4', run: () => asn1js.fromBER(bytes) }];
    const encBaselines: Baseline[] = [{ name: 'asn1js 4', run: () => tree.result.toBER() }];
    if (ctx.mit.ok) {
      decBaselines.push({ name: mitName, mit: [`decode-${info.mit}`, mitArg] });
      encBaselines.push({ name: mitName, mit: [`encode-${info.mit}`, mitArg] });
    }
    s.add({
      name: `decode ${label}`,
      ...(decode ? { run: () => decode!(bytes) } : { pending: pending ?? '@krbsim/asn1' }),
      baselines: decBaselines,
    });
    s.add({
      name: `encode ${label}`,
      ...(encode ? { run: () => encode!(value) } : { pending: pending ?? '@krbsim/asn1' }),
      baselines: encBaselines,
    });
  }
  if (typeof asn1 === 'string' || pendingKinds.length) {
    s.note(
      `krbsim codec suite PENDING: ${typeof asn1 === 'string' ? asn1 : `@krbsim/asn1 has no codec yet for ${pendingKinds.join(', ')}`}` +
        ' — printing the asn1js and MIT baselines only',
    );
  }
  return s;
}
