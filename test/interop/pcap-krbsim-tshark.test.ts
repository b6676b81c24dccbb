/**
 * Wireshark agrees with what krbsim encodes: every message type krbsim
 * writes goes into one pcap, and tshark must dissect each as Kerberos with the
 * right msg-type, no malformed packet and no expert warning or error.
 *
 * The messages: a full incoming trust-based flow from the Azure lab (AS-REQ,
 * KRB-ERROR, AS-REP, TGS-REQ, TGS-REP across the trust), krbsim re-encodings
 * of every captured MIT message kind (AP-REQ, AP-REP, KRB-CRED among them),
 * KRB-SAFE and KRB-PRIV built with krbsim's encoders, and the client's S4U2Self,
 * S4U2Proxy and user-to-user exchanges (PA-S4U-X509-USER, PA-FOR-USER, their
 * echo, PA-PAC-OPTIONS, additional tickets, ENC-TKT-IN-SKEY). PKINIT, with
 * Diffie-Hellman and with public-key encryption, has a pcap of its own:
 * Wireshark's PKINIT grammar is a pre-RFC 4556 draft's, so it warns where
 * the RFC added or changed fields.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeKrbPriv, encodeKrbSafe, encodeMessage } from '@krbsim/asn1';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { createSelfSignedCa, issuePkinitClientCertificate, issuePkinitKdcCertificate } from '@krbsim/pki';
import { InProcessTransport, Trace, type TraceRecord } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTools, runTool } from './mit-tools';
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
  return [...flow, ...reencoded, safe, priv, ...(await delegationMessages())];
}

/** PKINIT with an RSA client certificate: once by Diffie-Hellman, once by public-key encryption. */
async function pkinitMessages(): Promise<Uint8Array[]> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const random = new SeededRandom('pcap-pkinit');
  const o = { clock, random, realm: 'PKI.TEST' };
  const ca = await createSelfSignedCa({ commonName: 'krbsim pcap CA', clock, random, keyType: 'rsa-2048' });
  const kdcCert = await issuePkinitKdcCertificate(ca, o);
  const alice = await issuePkinitClientCertificate(ca, { ...o, principal: 'alice', keyType: 'rsa-2048' });
  const realm = new Realm({
    name: 'PKI.TEST',
    clock,
    random,
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem },
  });
  realm.addUser('alice', { password: 'unused-Passw0rd' });
  const kdc = new Kdc(realm);
  const trace = new Trace();
  const transport = new InProcessTransport({ trace }).register('PKI.TEST', (r) => kdc.handle(r));
  for (const keyDelivery of ['diffie-hellman', 'public-key-encryption'] as const) {
    const client = new KerberosClient({ realm: 'PKI.TEST', transport, clock, random });
    await client.getInitialCredentials('alice', {
      certificate: alice.certPem,
      privateKey: alice.keyPem,
      anchors: ca.certPem,
      keyDelivery,
    });
  }
  return trace.entries.flatMap((e) => [e.request, ...(e.reply ? [e.reply] : [])]);
}

/** The client's S4U2Self, S4U2Proxy and user-to-user exchanges with an AD realm, as sent and answered. */
async function delegationMessages(): Promise<Uint8Array[]> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({
    name: 'CONTOSO.COM',
    clock,
    random: new SeededRandom('pcap'),
    kind: 'active-directory',
  });
  const sql = 'MSSQLSvc/sql.contoso.com:1433';
  realm.addUser('websvc', {
    password: 'svc-pw',
    spns: ['HTTP/web.contoso.com'],
    delegation: { trustedToAuthenticate: true, allowedTo: [sql] },
  });
  realm.addUser('alice', { password: 'alice-pw' });
  realm.addUser('bob', { password: 'bob-pw' });
  realm.addComputer('SQL', { password: 'sql-pw', spns: [sql] });
  const kdc = new Kdc(realm);
  const trace = new Trace();
  const transport = new InProcessTransport({ trace }).register('CONTOSO.COM', (r) => kdc.handle(r));
  const client = (seed: string) =>
    new KerberosClient({ realm: 'CONTOSO.COM', transport, clock, random: new SeededRandom(seed) });
  const websvc = client('websvc');
  await websvc.getInitialCredentials('websvc', { password: 'svc-pw' }, { forwardable: true });
  await websvc.getS4U2ProxyTicket(await websvc.getS4U2SelfTicket('alice'), sql);
  const alice = client('alice');
  await alice.getInitialCredentials('alice', { password: 'alice-pw' });
  const bob = client('bob');
  const bobTgt = await bob.getInitialCredentials('bob', { password: 'bob-pw' });
  await alice.getUserToUserTicket('bob', bobTgt.ticket);
  return trace.entries.flatMap((e) => [e.request, ...(e.reply ? [e.reply] : [])]);
}

let dir: string;

/** `messages` as a pcap in the test directory, one per record over TCP, so each frame carries one message. */
async function pcapOf(messages: readonly Uint8Array[], name: string): Promise<string> {
  const trace = new Trace();
  for (const m of messages)
    trace.record({ from: 'client', to: 'KDC', transport: 'tcp', request: m } satisfies TraceRecord);
  const path = join(dir, name);
  await writeFile(path, trace.toPcap());
  return path;
}
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
    const path = await pcapOf(messages, 'krbsim.pcap');

    await expectTsharkDissects(
      tools.tshark!,
      path,
      messages.map((m) => m[0]! & 0x1f),
    );
    // tshark reads the delegation padata and options as such, not as opaque bytes.
    const verbose = (await runTool(tools.tshark!, ['-r', path, '-V'])).stdout;
    for (const seen of [
      'padata-type: pA-FOR-USER (129)',
      'padata-type: pA-FOR-X509-USER (130)', // the request, and the KDC's echo
      'padata-type: pA-PAC-OPTIONS (167)',
      '= resource-based-constrained-delegation: True',
      '= constrained-delegation: True', // cname-in-addl-tkt
      '= enc-tkt-in-skey: True',
      'additional-tickets: 1 item',
    ])
      expect(verbose, seen).toContain(seen);
    expect(verbose.match(/padata-type: pA-FOR-X509-USER \(130\)/g)).toHaveLength(2);
  });

  it('dissects PKINIT by Diffie-Hellman and by public-key encryption, the EnvelopedData of encKeyPack whole', async () => {
    const messages = await pkinitMessages();
    // Each delivery: AS-REQ, PREAUTH_REQUIRED, AS-REQ with PA-PK-AS-REQ, AS-REP with PA-PK-AS-REP.
    expect(messages.map((m) => m[0]! & 0x1f)).toEqual([10, 30, 10, 11, 10, 30, 10, 11]);
    const path = await pcapOf(messages, 'pkinit.pcap');
    const verbose = (await runTool(tools.tshark!, ['-r', path, '-V', '-Y', 'kerberos'])).stdout;
    const frames = verbose.split(/^Frame \d+:/m).slice(1);
    expect(frames).toHaveLength(8);
    for (const [i, f] of frames.entries()) expect(f, `frame ${i + 1}`).toContain('Kerberos');
    for (const i of [2, 6]) expect(frames[i]).toContain('padata-type: pA-PK-AS-REQ (16)');
    for (const i of [3, 7]) expect(frames[i]).toContain('padata-type: pA-PK-AS-REP (17)');
    expect(frames[3]).toContain('dhSignedData');
    for (const seen of ['encKeyPack (id-envelopedData)', 'EnvelopedData', 'recipientInfos: 1 item'])
      expect(frames[7], seen).toContain(seen);
    // Wireshark's warnings are its draft grammar's: fields RFC 4556 and 8636 added (AuthPack's
    // supportedKDFs, DHRepInfo's kdf) and dhSignedData, which the RFC made a ContentInfo in an OCTET
    // STRING. MIT's kinit and krb5kdc read these messages (pkinit-mit tests); the reply by
    // public-key encryption draws no warning at all.
    const warnings = verbose.match(/\[Expert Info \((Error|Warning)[^\]]*\]/g) ?? [];
    for (const w of warnings)
      expect(w).toMatch(/lies beyond the end of the known sequence definition|Wrong field in SEQUENCE/);
    expect(frames[7]).not.toMatch(/\[Expert Info \((Error|Warning)/);
  });
});
