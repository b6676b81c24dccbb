/**
 * Wireshark agrees with what krbsim encodes: every message type krbsim
 * writes goes into one pcap, and tshark must dissect each as Kerberos with the
 * right msg-type, no malformed packet and no expert warning or error.
 *
 * The messages: a full incoming trust-based flow from the Azure lab (AS-REQ,
 * KRB-ERROR, AS-REP, TGS-REQ, TGS-REP across the trust), krbsim re-encodings
 * of every captured MIT message kind (AP-REQ, AP-REP, KRB-CRED among them),
 * and KRB-SAFE and KRB-PRIV built with krbsim's encoders.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeKrbPriv, encodeKrbSafe, encodeMessage } from '@krbsim/asn1';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { Trace, type TraceRecord } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTools } from './mit-tools';
import { expectTsharkDissects } from './tshark';

const KRB_KINDS = new Set([
  'AS-REQ',
  'AS-REP',
  'TGS-REQ',
  'TGS-REP',
  'AP-REQ',
  'AP-REP',
  'KRB-ERROR',
  'KRB-CRED',
]);
const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mit', 'messages.json'), 'utf8'),
) as { kind: string; hex: string; container?: string }[];

async function krbsimMessages(): Promise<Uint8Array[]> {
  // A whole flow through the lab's KDCs: every byte here was encoded by krbsim.
  const lab = createAzureSqlMiLab({ seed: 5 });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  lab.setupCloudTrust();
  await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
  const flow = lab.trace.entries.flatMap((e) => [e.request, ...(e.reply ? [e.reply] : [])]);

  // Every captured kind, decoded and encoded again by krbsim.
  const reencoded = fixtures
    .filter((m) => KRB_KINDS.has(m.kind) && m.container === undefined)
    .map((m) => encodeMessage(decodeMessage(Uint8Array.from(Buffer.from(m.hex, 'hex')))));

  const address = { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) };
  const safe = encodeKrbSafe({
    pvno: 5,
    msgType: 20,
    safeBody: {
      userData: new TextEncoder().encode('hello'),
      timestamp: Date.UTC(2026, 0, 1),
      usec: 7,
      sAddress: address,
    },
    cksum: { cksumtype: 16, checksum: new Uint8Array(12).fill(0xab) },
  });
  const priv = encodeKrbPriv({
    pvno: 5,
    msgType: 21,
    encPart: { etype: 18, cipher: new Uint8Array(64).fill(0x5a) },
  });
  return [...flow, ...reencoded, safe, priv];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-pcap-own-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeWithTools('tshark dissects what krbsim encodes', ['tshark'], (tools) => {
  it('finds every message type, each well formed', async () => {
    const messages = await krbsimMessages();
    const types = new Set(messages.map((m) => m[0]! & 0x1f));
    // AS-REQ/REP, TGS-REQ/REP, AP-REQ/REP, KRB-SAFE, KRB-PRIV, KRB-CRED, KRB-ERROR.
    expect([...types].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 20, 21, 22, 30]);
    const trace = new Trace();
    // One message per record, over TCP, so each frame carries exactly one Kerberos message.
    for (const m of messages)
      trace.record({
        from: 'client',
        to: 'KDC KRBSIM.TEST',
        transport: 'tcp',
        request: m,
      } satisfies TraceRecord);
    const path = join(dir, 'krbsim.pcap');
    await writeFile(path, trace.toPcap());

    await expectTsharkDissects(
      tools.tshark!,
      path,
      messages.map((m) => m[0]! & 0x1f),
    );
  });
});
