/**
 * `kdcTimeSync` against MIT krb5 1.20 as the oracle of `kdc_timesync` (on by
 * default in MIT): a krbsim KDC an hour behind this machine's clock.
 *
 * - MIT's kinit logs in anyway, on the KDC's time (the PREAUTH_REQUIRED
 *   error's stime), and records the offset in its ccache header (tag 1);
 *   krbsim's client with `kdcTimeSync` finds the same offset.
 * - A ccache krbsim's client writes with that offset is one MIT's kvno uses
 *   on the KDC's time; without the offset, kvno's TGS-REQ is an hour late.
 */

import { readFile } from 'node:fs/promises';
import { KerberosClient, kdcTimeOffsetOf, toCcache } from '@krbsim/client';
import { Duration, systemRandom } from '@krbsim/core';
import { parseCcache, writeCcacheFile } from '@krbsim/files';
import { UdpTcpTransport } from '@krbsim/transport';
import { expect, it } from 'vitest';
import { parseTopology } from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient } from './helpers/mit';
import { servedTopology } from './helpers/served-topology';
import { describeWithTools } from './mit-tools';

const TOPOLOGY = `
realms:
  - name: TIME.TEST
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    services:
      - { spn: host/server.time.test, password: Serv1ce-Passw0rd }
`;
const SKEW_MS = -Duration.hour;

describeWithTools(
  'kdc_timesync: MIT and krbsim clients against a KDC an hour behind',
  MIT_CLIENT_TOOLS,
  (tools) => {
    const served = servedTopology('timesync-mit', () => parseTopology(TOPOLOGY), {
      clock: { now: () => Date.now() + SKEW_MS },
    });
    const { log } = served;
    const mit = (name: string): MitClient =>
      new MitClient(tools, served.dir.path, served.topo.files!.krb5conf, served.dir.file(`cc-${name}`), () =>
        log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
      );
    const krbsimClient = (kdcTimeSync: boolean) => {
      const s = served.topo.servers.get('TIME.TEST')!;
      return new KerberosClient({
        realm: 'TIME.TEST',
        transport: new UdpTcpTransport({ kdcs: { 'TIME.TEST': [{ host: s.host, port: s.udpPort }] } }),
        random: systemRandom,
        kdcTimeSync,
      });
    };

    it("kinit and krbsim's client both log in on the KDC's time and record the same offset", async () => {
      const alice = mit('kinit');
      const r = await alice.ok('kinit', ['alice@TIME.TEST'], { input: 'Al1ce-Passw0rd\n' });
      const header = parseCcache(new Uint8Array(await readFile(alice.ccache))).timeOffset;
      expect(header, alice.explain(r)).toBeDefined();
      const mitOffsetMs = header!.seconds * 1000 + header!.microseconds / 1000;
      expect(Math.abs(mitOffsetMs - SKEW_MS)).toBeLessThan(2000);
      await alice.ok('kvno', ['host/server.time.test@TIME.TEST']);

      const c = krbsimClient(true);
      await c.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
      expect(Math.abs(c.kdcTimeOffsetMs! - mitOffsetMs)).toBeLessThan(2000);
      // Without it, krbsim's client is told its clock is off, as MIT's is with kdc_timesync = false.
      await expect(
        krbsimClient(false).getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' }),
      ).rejects.toMatchObject({ codeName: 'KRB_AP_ERR_SKEW' });
    });

    it("MIT's kvno uses the offset krbsim's ccache records, and is an hour late without it", async () => {
      const c = krbsimClient(true);
      await c.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
      const withOffset = mit('from-krbsim');
      const cc = toCcache(c.cache, { kdcTimeOffsetMs: c.kdcTimeOffsetMs! });
      expect(kdcTimeOffsetOf(cc)).toBeCloseTo(c.kdcTimeOffsetMs!, 3);
      await writeCcacheFile(withOffset.ccache, cc);
      await withOffset.ok('kvno', ['host/server.time.test@TIME.TEST']);

      const without = mit('from-krbsim-no-offset');
      await writeCcacheFile(without.ccache, toCcache(c.cache));
      const r = await without.run('kvno', ['host/server.time.test@TIME.TEST']);
      expect(r.code, without.explain(r)).not.toBe(0);
      expect(r.stderr, without.explain(r)).toMatch(/Clock skew too great/);
    });
  },
);
