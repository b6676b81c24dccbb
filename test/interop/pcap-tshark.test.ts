/**
 * @krbsim/transport's pcap export against Wireshark: tshark must dissect every
 * message of a trace as Kerberos, with the right msg-type, no malformed
 * packets and no expert warnings or errors, over UDP and reassembled TCP.
 *
 * Uses the real MIT messages in test/fixtures/mit/messages.json (committed:
 * read unconditionally, so a renamed fixture fails the suite) and hand-made DER.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeKrbError, krbError } from '@krbsim/asn1';
import { type PcapOptions, Trace, type TraceRecord } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asReqDer } from './der';
import { describeWithTools } from './mit-tools';
import { expectTsharkDissects } from './tshark';

interface FixtureMessage {
  name: string;
  kind: string;
  realm: string;
  transport: string;
  direction?: string;
  container?: string;
  hex: string;
}

const KERBEROS_KINDS = new Set([
  'AS-REQ',
  'AS-REP',
  'TGS-REQ',
  'TGS-REP',
  'AP-REQ',
  'AP-REP',
  'KRB-ERROR',
  'KRB-CRED',
]);
const fixturePath = join(import.meta.dirname, '..', 'fixtures', 'mit', 'messages.json');
const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Pair the captured messages into exchanges: each request with the reply that follows it. */
function fixtureExchanges(): TraceRecord[] {
  const messages = JSON.parse(readFileSync(fixturePath, 'utf8')) as FixtureMessage[];
  const out: TraceRecord[] = [];
  let pending: TraceRecord | undefined;
  const flush = () => {
    if (pending) out.push(pending);
    pending = undefined;
  };
  for (const m of messages) {
    // Skip non-Kerberos GSS tokens and messages nested inside another one.
    if (!KERBEROS_KINDS.has(m.kind) || m.container !== undefined) continue;
    const bytes = bytesOf(m.hex);
    const isReply = m.direction === 'reply' || m.direction === 'server-to-client';
    if (isReply && pending && pending.reply === undefined) {
      pending = { ...pending, reply: bytes };
      flush();
      continue;
    }
    flush();
    const toKdc = m.transport === 'udp' || m.transport === 'tcp';
    pending = {
      from: 'client',
      to: toKdc ? `KDC ${m.realm}` : `service ${m.realm}`,
      transport: m.transport === 'tcp' ? 'tcp' : toKdc ? 'udp' : 'inproc',
      request: bytes,
    };
  }
  flush();
  return out;
}

/** Hand-made messages: AS-REQs answered by KRB-ERRORs, one large enough to need several TCP segments. */
function handMadeExchanges(): TraceRecord[] {
  const err = (code: number, eText: string) =>
    encodeKrbError(krbError({ errorCode: code, now: Date.UTC(2026, 0, 1), realm: 'CONTOSO.COM', eText }));
  const kdc = 'KDC CONTOSO.COM';
  return [
    {
      from: 'alice',
      to: kdc,
      transport: 'udp',
      request: asReqDer('alice', 'CONTOSO.COM'),
      reply: err(25, 'preauth'),
    },
    {
      from: 'alice',
      to: kdc,
      transport: 'udp',
      request: asReqDer('alice', 'CONTOSO.COM', 7),
      reply: err(52, 'too big'),
    },
    {
      from: 'bob',
      to: kdc,
      transport: 'tcp',
      request: asReqDer('bob', 'CONTOSO.COM', 8),
      reply: err(6, 'x'.repeat(3000)),
    },
  ];
}

/** The msg-type tshark should report for a message: its APPLICATION tag number. */
const msgType = (b: Uint8Array) => b[0]! & 0x1f;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-pcap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeWithTools('tshark dissects krbsim pcaps', ['tshark'], (tools) => {
  async function check(name: string, exchanges: TraceRecord[], options: PcapOptions): Promise<void> {
    const trace = new Trace();
    for (const x of exchanges) trace.record(x);
    const path = join(dir, `${name}.pcap`);
    await writeFile(path, trace.toPcap(options));
    const expected = exchanges.flatMap((x) => [x.request, ...(x.reply ? [x.reply] : [])]).map(msgType);

    await expectTsharkDissects(tools.tshark!, path, expected);
  }

  it('dissects every captured MIT message, UDP and single-segment TCP', async () => {
    const exchanges = fixtureExchanges();
    // The capture's 36 Kerberos messages less the 5 nested in another (GSS tokens, e-data), in 16
    // exchanges: a recapture that changes them changes these numbers.
    expect(exchanges).toHaveLength(16);
    expect(exchanges.flatMap((x) => [x.request, ...(x.reply ? [x.reply] : [])])).toHaveLength(31);
    await check('fixtures', exchanges, {});
  });

  it('dissects hand-made AS-REQ and KRB-ERROR messages, UDP and TCP', async () => {
    await check('hand-made', handMadeExchanges(), {});
  });

  it('reassembles TCP messages split over many segments (MIT fixture messages), with raw IP framing', async () => {
    const exchanges = fixtureExchanges().map((x) => ({
      ...x,
      transport: 'tcp' as const,
    }));
    await check('segmented', exchanges, { mss: 200, linkType: 'raw' });
  });
});
