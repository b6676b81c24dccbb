/**
 * Differential: the datagrams of udp-probes.ts sent to MIT's krb5kdc and to
 * krbsim's serveKdc (a real Kdc behind it), each followed by a sentinel
 * AS-REQ from the same socket. Replies to one socket arrive in order, so
 * whatever comes before the sentinel's AS-REP is the probe's answer, and a
 * missing answer needs no timeout to be seen.
 */

import { ManualClock } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { type KdcServer, serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MitRealm, startMitRealm } from '../../../test/interop/helpers/mit-realm';
import { describeWithTools } from '../../../test/interop/mit-tools';
import { asReq } from './der';
import { UdpPeer } from './net-helpers';
import { udpProbes } from './udp-probes';

const REALM = 'PROBE.TEST';
const SENTINEL = 'sentinel';

/** What each probe brought back before the sentinel's AS-REP: the first octet of each reply. */
async function answers(port: number, probes: readonly Uint8Array[]): Promise<number[][]> {
  const peer = await UdpPeer.open();
  try {
    const out: number[][] = [];
    const sentinel = asReq(SENTINEL, REALM);
    const isSentinelReply = (b: Uint8Array) => b[0] === 0x6b && Buffer.from(b).includes(SENTINEL);
    for (const probe of probes) {
      const before = peer.received.length;
      await peer.send(port, probe);
      await peer.send(port, sentinel);
      const hit = await peer.waitFor((d) => peer.received.indexOf(d) >= before && isSentinelReply(d.bytes));
      out.push(peer.received.slice(before, peer.received.indexOf(hit)).map((d) => d.bytes[0]!));
    }
    return out;
  } finally {
    await peer.close();
  }
}

describeWithTools(
  'UDP: krbsim answers what MIT krb5kdc answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc'],
  (tools) => {
    let mit: MitRealm;
    let krbsim: KdcServer;
    beforeAll(async () => {
      mit = await startMitRealm(
        REALM,
        [
          { name: 'alice', password: 'alice-Passw0rd' },
          { name: SENTINEL, password: 'sentinel-Passw0rd' },
        ],
        tools,
      );
      const clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
      const realm = new Realm({ name: REALM, clock });
      realm.addUser('alice', { password: 'alice-Passw0rd', requiresPreauth: false });
      realm.addUser(SENTINEL, { password: 'sentinel-Passw0rd', requiresPreauth: false });
      const kdc = new Kdc(realm);
      krbsim = await serveKdc((req) => kdc.handle(req), { clock, tcpPort: false });
    }, 120_000);
    afterAll(async () => {
      await krbsim?.close();
      await mit?.stop();
    });

    it('answers and drops the same datagrams', async () => {
      const probes = udpProbes(REALM);
      const fromMit = await answers(
        mit.port,
        probes.map((p) => p.bytes),
      );
      const fromKrbsim = await answers(
        krbsim.udpPort!,
        probes.map((p) => p.bytes),
      );
      const table = (got: number[][]) =>
        probes.map((p, i) => `${p.name}: ${got[i]!.length > 0 ? 'answered' : 'dropped'}`);
      const expected = probes.map((p) => `${p.name}: ${p.answered ? 'answered' : 'dropped'}`);
      expect(table(fromMit)).toEqual(expected);
      expect(table(fromKrbsim)).toEqual(expected);
      // One reply at most, and of the same kind (an AS-REP or a KRB-ERROR).
      expect(fromKrbsim).toEqual(fromMit);
    });

    it('differs in one place: MIT ignores bytes after a request, krbsim drops it as malformed', async () => {
      const trailing = Uint8Array.from([...asReq('alice', REALM), 0, 0]);
      expect(await answers(mit.port, [trailing])).toEqual([[0x6b]]);
      expect(await answers(krbsim.udpPort!, [trailing])).toEqual([[]]);
    });
  },
);
