import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { type KdcServer, peekKrbErrorCode, serveKdc, transportKrbError, udpVerdict } from '@krbsim/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { findTool, itNeeds } from '../../../test/interop/mit-tools';
import { asReq } from './der';
import { UdpPeer } from './net-helpers';
import { udpProbes } from './udp-probes';

const REALM = 'CONTOSO.COM';
const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));

/** A real KDC whose alice needs no pre-authentication: an AS-REQ for her gets an AS-REP (0x6b). */
function kdcOf(realm: string): { kdc: Kdc } {
  const r = new Realm({ name: realm, clock });
  r.addUser('alice', { password: 'pw', requiresPreauth: false });
  const kdc = new Kdc(r);
  return { kdc };
}

const servers: KdcServer[] = [];
const peers: UdpPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('udpVerdict: which datagrams a KDC answers over UDP', () => {
  for (const probe of udpProbes(REALM)) {
    it(`${probe.answered ? 'answers' : 'drops'} ${probe.name}`, () => {
      const v = udpVerdict(probe.bytes);
      if (probe.answered) expect(v).toEqual({ answer: true, msgType: probe.bytes[0] === 0x6a ? 10 : 12 });
      else expect(v).toEqual({ answer: false, reason: probe.dropReason });
    });
  }

  it('treats trailing bytes after a request as malformed (krbsim decodes strictly; MIT ignores them)', () => {
    expect(udpVerdict(Uint8Array.from([...asReq('alice', REALM), 0, 0]))).toEqual({
      answer: false,
      reason: 'malformed',
    });
  });
});

describe('serveKdc over UDP answers only requests', () => {
  it('sends nothing for errors, replies, empty datagrams and garbage; the next request is answered first', async () => {
    const { kdc } = kdcOf(REALM);
    let handled = 0;
    const lines: string[] = [];
    const server = await serveKdc(
      (req) => {
        handled++;
        return kdc.handle(req);
      },
      { clock, log: (l) => lines.push(l) },
    );
    servers.push(server);
    const peer = await UdpPeer.open();
    peers.push(peer);
    const dropped = udpProbes(REALM).filter((p) => !p.answered);
    for (const probe of dropped) await peer.send(server.udpPort!, probe.bytes);
    await peer.send(server.udpPort!, asReq('alice', REALM));
    // Datagrams from one socket arrive in order: anything sent for a probe would come before the AS-REP.
    await peer.waitFor((d) => d.bytes[0] === 0x6b);
    expect(peer.received.map((d) => d.bytes[0])).toEqual([0x6b]);
    expect(handled).toBe(1);

    const udp = server.stats().udp!;
    expect(udp.received).toBe(dropped.length + 1);
    expect(udp.replied).toBe(1);
    const byReason = (r: string) => dropped.filter((p) => p.dropReason === r).length;
    expect(udp.dropped).toEqual({
      empty: byReason('empty'),
      'krb-error': byReason('krb-error'),
      'not-a-request': byReason('not-a-request'),
      'not-kerberos': byReason('not-kerberos'),
      malformed: byReason('malformed'),
      handler: 0,
      'port-0': 0,
      busy: 0,
      timeout: 0,
    });
    expect(lines.filter((l) => l.includes('dropped'))).toHaveLength(dropped.length);
    expect(lines[0]).toMatch(/^udp 127\.0\.0\.1:\d+ unknown 0 bytes -> dropped \(empty datagram\)$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^udp 127\.0\.0\.1:\d+ KRB-ERROR KRB_AP_ERR_MSG_TYPE \d+ bytes -> dropped \(a KRB-ERROR is never answered\)$/,
      ),
    );
  });

  it('still answers a request that decodes but cannot be granted with its KRB-ERROR', async () => {
    const { kdc } = kdcOf(REALM);
    const server = await serveKdc((req) => kdc.handle(req), { clock });
    servers.push(server);
    const peer = await UdpPeer.open();
    peers.push(peer);
    await peer.send(server.udpPort!, asReq('nobody', REALM));
    const { bytes } = await peer.waitFor(() => true);
    expect(peekKrbErrorCode(bytes)).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });

  it('does not start a loop between two KDCs when a KRB-ERROR arrives with the other KDC as its source', async () => {
    // A relay stands in for the spoofed source: whatever one KDC sends to it goes on to the other,
    // as if each KDC were answering the other. Only the sentinel AS-REPs stay with the relay.
    const a = kdcOf('A.TEST');
    const b = kdcOf('B.TEST');
    const serverA = await serveKdc((req) => a.kdc.handle(req), { clock, tcpPort: false });
    const serverB = await serveKdc((req) => b.kdc.handle(req), { clock, tcpPort: false });
    servers.push(serverA, serverB);
    const relay = createSocket('udp4');
    let forwarded = 0;
    const asReps: number[] = [];
    let sawBoth!: () => void;
    const both = new Promise<void>((resolve) => {
      sawBoth = resolve;
    });
    relay.on('message', (msg, rinfo) => {
      if (msg[0] === 0x6b) {
        asReps.push(rinfo.port);
        if (asReps.length === 2) sawBoth();
        return;
      }
      forwarded++;
      relay.send(msg, rinfo.port === serverA.udpPort ? serverB.udpPort! : serverA.udpPort!, '127.0.0.1');
    });
    await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', () => resolve()));
    const send = (port: number, bytes: Uint8Array) =>
      new Promise<void>((resolve) => relay.send(bytes, port, '127.0.0.1', () => resolve()));
    try {
      const error = transportKrbError({
        errorCode: ErrorCode.KRB_ERR_GENERIC,
        now: clock.now(),
        fallbackRealm: 'B.TEST',
      });
      await send(serverA.udpPort!, error);
      await send(serverA.udpPort!, asReq('alice', 'A.TEST'));
      await send(serverB.udpPort!, asReq('alice', 'B.TEST'));
      await both;
      expect(forwarded).toBe(0);
      expect(serverA.stats().udp!.dropped['krb-error']).toBe(1);
      expect(serverB.stats().udp!.dropped['krb-error']).toBe(0);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});

/**
 * Sends `payload` to 127.0.0.1:`port` in a hand-made IPv4/UDP packet from source port 0, which no
 * socket API can bind: a raw socket (root only). Returns false when that is not possible here.
 */
function sendFromPort0(port: number, payload: Uint8Array): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const script = [
    'import socket, struct, sys',
    'port, data = int(sys.argv[1]), bytes.fromhex(sys.argv[2])',
    'udp = struct.pack("!HHHH", 0, port, 8 + len(data), 0) + data',
    'ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))',
    's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)',
    's.sendto(ip + udp, ("127.0.0.1", 0))',
  ].join('\n');
  const r = spawnSync(findTool('python3')!, [
    '-c',
    script,
    String(port),
    Buffer.from(payload).toString('hex'),
  ]);
  return r.status === 0;
}

/**
 * Why a datagram from source port 0 cannot be sent here, or undefined when it can: it takes a
 * raw socket (root) and python3 to open one.
 */
function port0Missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'sending from UDP source port 0 needs a raw socket: run as root';
  if (findTool('python3') === undefined) return 'python3 not found on PATH';
  return undefined;
}

/**
 * `it(title, body)` when a datagram from port 0 can be sent. On Linux, otherwise, a skip with the
 * reason printed, or a failing test under KRBSIM_REQUIRE_MIT=1 (CI runs as root). Elsewhere always
 * a printed skip: the hand-made IPv4 header through an IPPROTO_RAW socket is how Linux sends it,
 * and other systems' raw sockets differ.
 */
function itSendsFromPort0(title: string, body: () => Promise<void>): void {
  if (process.platform !== 'linux') {
    console.warn(`skipping: ${title}: a raw IPv4 packet from port 0 is sent the Linux way only`);
    it.skip(title, body);
  } else {
    itNeeds(port0Missing(), title, body);
  }
}

describe('serveKdc over UDP, a datagram from source port 0', () => {
  itSendsFromPort0(
    'is dropped and counted; the server keeps serving (sending a reply there would throw)',
    async () => {
      const { kdc } = kdcOf(REALM);
      const lines: string[] = [];
      const server = await serveKdc((req) => kdc.handle(req), { clock, log: (l) => lines.push(l) });
      servers.push(server);
      expect(sendFromPort0(server.udpPort!, asReq('alice', REALM))).toBe(true);
      const peer = await UdpPeer.open();
      peers.push(peer);
      // The kernel delivers the raw packet before the peer's datagram, which is answered.
      await peer.send(server.udpPort!, asReq('alice', REALM));
      await peer.waitFor((d) => d.bytes[0] === 0x6b);
      const udp = server.stats().udp!;
      expect(udp.dropped['port-0']).toBe(1);
      expect(udp.replied).toBe(1);
      expect(lines.some((l) => /:0 AS-REQ .* -> dropped \(from port 0\)/.test(l))).toBe(true);
    },
  );
});
