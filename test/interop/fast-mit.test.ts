/**
 * FAST (RFC 6113) with MIT krb5 1.20, both ways.
 *
 * - MIT `kinit -T <armor ccache>` against krbsim serve: the armor ccache
 *   holds a computer's TGT from a normal `kinit -k`; alice's AS exchange is
 *   armored and pre-authenticated by encrypted challenge (KRB5_TRACE and the
 *   KDC's log say so). A realm whose policy requires FAST refuses alice's
 *   unarmored kinit and lets the armored one in.
 * - krbsim's client against MIT's krb5kdc: an AS exchange armored with a
 *   host's TGT (encrypted challenge, strengthened reply key) and armored
 *   TGS-REQs (implicit armor), each answered with MIT's FAST reply.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, systemClock, systemRandom } from '@krbsim/core';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseTopology } from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient } from './helpers/mit';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { servedTopology } from './helpers/served-topology';
import { describeWithTools } from './mit-tools';

const TOPOLOGY = `
realms:
  - name: FAST.TEST
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    computers:
      - { name: PC1 }
  - name: STRICT.TEST
    policy: { fast: required }
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    computers:
      - { name: PC1 }
`;

describeWithTools('MIT kinit -T against krbsim (FAST)', MIT_CLIENT_TOOLS, (tools) => {
  const served = servedTopology('fast-mit', () => parseTopology(TOPOLOGY));
  const { log } = served;
  const mit = (name: string): MitClient =>
    new MitClient(tools, served.dir.path, served.topo.files!.krb5conf, served.dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );
  /** A computer's TGT in its own ccache, from its keytab: the armor. */
  const armor = async (realm: string): Promise<string> => {
    const host = mit(`armor-${realm}`);
    await host.ok('kinit', ['-k', '-t', served.topo.files!.keytabs[`PC1$@${realm}`]!, `PC1$@${realm}`]);
    return host.ccache;
  };

  it('kinit -T armors the AS exchange and pre-authenticates by encrypted challenge', async () => {
    const armorCc = await armor('FAST.TEST');
    const alice = mit('alice');
    const before = log.length;
    const r = await alice.ok('kinit', ['-T', armorCc, 'alice@FAST.TEST'], { input: 'Al1ce-Passw0rd\n' });
    const lines = log.slice(before).map((e) => e.line);
    expect(lines.at(-1), alice.explain(r)).toBe(
      'AS-REQ alice@FAST.TEST for krbtgt/FAST.TEST@FAST.TEST -> AS-REP (FAST)',
    );
    // The armor ccache says fast_avail (krbsim's AS-REP named PA-FX-FAST in its encrypted padata).
    expect(r.trace, alice.explain(r)).toMatch(/Using FAST due to armor ccache negotiation result/);
    expect(r.trace, alice.explain(r)).toMatch(/FAST armor key/);
    expect(r.trace, alice.explain(r)).toMatch(
      /Preauth module encrypted_challenge \(138\) \(real\) returned: 0\/Success/,
    );
    const k = await alice.ok('klist', []);
    expect(k.stdout).toContain('krbtgt/FAST.TEST@FAST.TEST');
  });

  it('a wrong password under FAST is an armored PREAUTH_FAILED that kinit reports', async () => {
    const armorCc = await armor('FAST.TEST');
    const alice = mit('alice-wrong');
    const r = await alice.run('kinit', ['-T', armorCc, 'alice@FAST.TEST'], { input: 'wrong\n' });
    expect(r.code, alice.explain(r)).not.toBe(0);
    expect(r.stderr, alice.explain(r)).toMatch(/Password incorrect|Preauthentication failed/);
    expect(log.at(-1)!.line).toContain('KDC_ERR_PREAUTH_FAILED');
  });

  it('a realm requiring FAST refuses plain kinit and admits kinit -T', async () => {
    const plain = mit('strict-plain');
    const refused = await plain.run('kinit', ['alice@STRICT.TEST'], { input: 'Al1ce-Passw0rd\n' });
    expect(refused.code, plain.explain(refused)).not.toBe(0);
    expect(log.at(-1)!.line).toContain('KDC_ERR_PREAUTH_REQUIRED');
    const armorCc = await armor('STRICT.TEST'); // the computer account is exempt
    const alice = mit('strict-armored');
    const r = await alice.ok('kinit', ['-T', armorCc, 'alice@STRICT.TEST'], { input: 'Al1ce-Passw0rd\n' });
    expect(log.at(-1)!.line, alice.explain(r)).toContain('AS-REP (FAST)');
  });
});

const KDC_TOOLS = ['kdb5_util', 'kadmin.local', 'krb5kdc'];

describeWithTools("krbsim's client does FAST against MIT's krb5kdc", KDC_TOOLS, (tools) => {
  const REALM = 'MIT.TEST';
  let kdc: MitRealm;
  const client = (opts: { fastTgs?: boolean; log?: string[] } = {}) =>
    new KerberosClient({
      realm: REALM,
      transport: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: kdc.port }] } }),
      clock: systemClock,
      random: systemRandom,
      ...(opts.fastTgs === undefined ? {} : { fastTgs: opts.fastTgs }),
      ...(opts.log === undefined ? {} : { log: (l: string) => opts.log!.push(l) }),
    });

  beforeAll(async () => {
    kdc = await startMitRealm(
      REALM,
      [
        { name: 'alice', password: 'alice-Passw0rd', flags: '+requires_preauth' },
        { name: 'host/pc1.mit.test', password: 'host-Passw0rd' },
        { name: 'HTTP/web.mit.test', password: 'web-Passw0rd' },
      ],
      tools,
    );
  });
  afterAll(async () => {
    await kdc?.stop();
  });

  it('armored AS with encrypted challenge, then armored TGS', async () => {
    const armor = await client().getInitialCredentials('host/pc1.mit.test', { password: 'host-Passw0rd' });
    const lines: string[] = [];
    const c = client({ fastTgs: true, log: lines });
    const tgt = await c.getInitialCredentials('alice', { password: 'alice-Passw0rd' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(lines.some((l) => l.includes('FAST, PA-ENCRYPTED-CHALLENGE'))).toBe(true);
    const st = await c.getServiceTicket('HTTP/web.mit.test');
    expect(st.server.name.nameString).toEqual(['HTTP', 'web.mit.test']);
    expect(lines.some((l) => l.startsWith('TGS-REQ') && l.includes(', FAST)'))).toBe(true);
    // MIT's KDC logs the armored exchanges like any other; it answered both with FAST replies,
    // which the client opened (finished checksum, strengthen key) or it would have thrown.
    expect(readFileSync(join(kdc.dir, 'kdc.log'), 'utf8')).toMatch(/AS_REQ .*alice@MIT\.TEST/);
  });

  it("MIT's armored PREAUTH_FAILED reaches the caller with its code", async () => {
    const armor = await client().getInitialCredentials('host/pc1.mit.test', { password: 'host-Passw0rd' });
    let err: unknown;
    try {
      await client().getInitialCredentials('alice', { password: 'wrong' }, { armor });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KerberosError);
    expect((err as KerberosError).code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
  });
});
