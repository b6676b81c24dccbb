/**
 * Wireshark reads a SQL login from krbsim's trace: the Azure lab's incoming
 * trust-based flow (AS, the referral, the instance's ticket) and logins over
 * TDS to `mi.listen()` in both encryption modes (the trace holds the
 * decrypted TDS, as a capture decrypted with the TLS key log would) and a
 * refused one, in one pcap, the first with a transaction begun and committed
 * by transaction manager requests. tshark dissects PRELOGIN, the TDS7 login with
 * the Kerberos AP-REQ in its SSPI field, the AP-REP in the answer's SSPI
 * token, and every KDC exchange, with no malformed packet and no expert
 * warning or error.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { connectTds } from '@krbsim/tds';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../packages/cli/src/cli';
import { describeWithTools, runTool } from './mit-tools';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-pcap-tds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What each login asks: the login, and columns of each type the instance answers in. */
const QUERY = "SELECT SUSER_SNAME(), @@SPID, @@MAX_PRECISION, 'abc', 1";

/** The flows, logged in over TDS, and the lab's pcap. */
async function capture(): Promise<string> {
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 12 });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const bob = lab.onPrem.addUser('bob', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  const ca = (await lab.certificateAuthority()).certPem;
  const required = await mi.listen();
  const loginOnly = await mi.listen({ encryption: 'login-only' });
  try {
    const login = async (port: number, encryption: 'on' | 'off', token: Uint8Array, transaction = false) => {
      const c = await connectTds({ port, encryption, tls: { ca, servername: mi.fqdn } });
      const r = await c.login({ sspi: token, hostName: 'pc1', appName: 'krbsim' });
      if (r.ok) await c.batch(QUERY);
      if (r.ok && transaction) {
        // Transaction manager requests, as SqlClient's BeginTransaction and Commit send them.
        await c.beginTransaction({ name: 'tx1' });
        await c.commit();
      }
      c.close();
      await c.closed;
      return r.ok;
    };
    const pc = lab.adJoinedClient(alice);
    expect(await login(required.port, 'on', (await pc.initSecurityContext(mi.spn)).token, true)).toBe(true);
    const raw = pc.kerberos.buildApReq((await pc.initSecurityContext(mi.spn)).ticket, {
      mutual: true,
      gss: 'krb5',
    });
    expect(await login(loginOnly.port, 'off', raw.token)).toBe(true);
    expect(
      await login(required.port, 'on', (await lab.adJoinedClient(bob).initSecurityContext(mi.spn)).token),
    ).toBe(false);
  } finally {
    await required.close();
    await loginOnly.close();
  }
  const pcap = join(dir, 'tds.pcap');
  await writeFile(pcap, lab.trace.toPcap());
  return pcap;
}

/** tshark's fields for the packets `filter` selects, one row of columns per packet. */
async function fields(tshark: string, pcap: string, filter: string, names: readonly string[]) {
  const r = await runTool(tshark, [
    '-r',
    pcap,
    '-Y',
    filter,
    '-T',
    'fields',
    ...names.flatMap((n) => ['-e', n]),
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'));
}

describeWithTools(
  'tshark dissects a SQL login over TDS beside its Kerberos exchanges',
  ['tshark'],
  (tools) => {
    it('PRELOGIN, the TDS7 login with the AP-REQ inside, the answers, the KDC exchanges: nothing malformed', async () => {
      const pcap = await capture();
      const tshark = tools.tshark!;
      // TDS on port 1433: one TCP connection per login, PRELOGIN (18), LOGIN7 (16), batch (1), answers (4).
      const tds = await fields(tshark, pcap, 'tds', ['tcp.stream', 'tds.type', 'tcp.dstport']);
      const streams = new Map<string, string[]>();
      for (const [stream, type] of tds) streams.set(stream!, [...(streams.get(stream!) ?? []), type!]);
      expect([...streams.values()]).toEqual([
        ['18', '4', '16', '4', '1', '4', '14', '4', '14', '4'],
        ['18', '4', '16', '4', '1', '4'],
        ['18', '4', '16', '4'],
      ]);
      expect(tds.filter(([, type]) => type !== '4').every(([, , port]) => port === '1433')).toBe(true);
      // Each TDS7 login carries the client's AP-REQ (msg-type 14), SPNEGO-framed and raw krb5 GSS.
      const logins = await fields(tshark, pcap, 'tds.type == 16', ['kerberos.msg_type', 'tds.sspi']);
      expect(logins.map(([msgType]) => msgType)).toEqual(['14', '14', '14']);
      // bob's login is answered with the product's error.
      const errors = await fields(tshark, pcap, 'tds.error.number', [
        'tds.error.number',
        'tds.error.msgtext',
      ]);
      expect(errors).toEqual([['18456', "Login failed for user 'CONTOSO\\bob'."]]);
      const batches = await fields(tshark, pcap, 'tds.type == 1', ['tds.query']);
      expect(batches).toEqual([[QUERY], [QUERY]]);
      // The transaction manager requests (14): TM_BEGIN_XACT (5) naming no transaction, then
      // TM_COMMIT_XACT (7) naming the one the answer's ENVCHANGE 8 handed out, which ENVCHANGE 9 ends.
      const tm = await fields(tshark, pcap, 'tds.type == 14', [
        'tds.transmgr',
        'tds.all_headers.header.trans_descr',
      ]);
      const envs = await fields(tshark, pcap, 'tds.envchange.type == 8 || tds.envchange.type == 9', [
        'tds.envchange.type',
        'tds.envchange.newvalue',
        'tds.envchange.oldvalue',
      ]);
      expect(envs).toHaveLength(2);
      const [[begun, handedOut], [ended, , endedDescriptor]] = envs as [string[], string[]];
      expect([begun, ended]).toEqual(['8', '9']);
      expect(handedOut).toMatch(/^[0-9a-f]{16}$/);
      expect(endedDescriptor).toBe(handedOut);
      const little = BigInt(`0x${Buffer.from(handedOut!, 'hex').reverse().toString('hex')}`);
      expect(tm).toEqual([
        ['5', '0'],
        ['7', String(little)],
      ]);
      const types = await fields(tshark, pcap, 'tds.colmetadata', [
        'tds.colmetadata.results_token_type',
        'tds.colmetadata.type_size',
        'tds.colmetadata.large_type_size',
        'tds.colmetadata.collate_codepage',
        'tds.colmetadata.collate_charset_id',
      ]);
      // Each answer's columns in the types the instance gives them, as tshark reads their TYPE_INFO:
      // NVARCHAR (231) of 256 bytes, nvarchar(128); INTN (38) of 2 and 1 bytes, smallint and tinyint;
      // BIGVARCHR (167) of 3 bytes, varchar(3), in SQL_Latin1_General_CP1_CI_AS (LCID 1033, sort id
      // 52); INTN of 4, int.
      const typed = ['231,38,38,167,38', '2,1,4', '0x0100,0x0003', '1033,1033', '52,52'];
      expect(types).toEqual([typed, typed]);
      // The KDC exchanges of alice's flow and bob's: AS with pre-authentication, the referral, the instance's ticket.
      const kdc = await fields(tshark, pcap, 'kerberos && !tds', ['kerberos.msg_type']);
      const flow = ['10', '30', '10', '11', '12,14', '13', '12,14', '13'];
      expect(kdc.map(([t]) => t)).toEqual([...flow, ...flow]);

      const verbose = await runTool(tshark, ['-r', pcap, '-V', '-z', 'expert']);
      expect(verbose.code).toBe(0);
      expect(verbose.stdout).toContain('Tabular Data Stream');
      expect(verbose.stdout).toContain('Kerberos');
      expect(verbose.stdout).not.toMatch(/Malformed Packet/i);
      expect(verbose.stdout).not.toMatch(/\[Expert Info \((Error|Warning)/);
      expect(verbose.stdout).not.toMatch(/^Errors \(/m);
      expect(verbose.stdout).not.toMatch(/^Warnings \(/m);
    });

    it('krbsim demo --tds --pcap: both flows, each SQL login over TDS beside its KDC exchanges, nothing malformed', async () => {
      const pcap = join(dir, 'demo.pcap');
      const out: string[] = [];
      const code = await runCli(['demo', '--tds', '--no-mermaid', '--pcap', pcap], {
        stdout: (t) => {
          out.push(t);
        },
        stderr: (t) => {
          out.push(t);
        },
      });
      expect(code, out.join('')).toBe(0);
      const tshark = tools.tshark!;
      const logins = await fields(tshark, pcap, 'tds.type == 16', ['kerberos.msg_type', 'tcp.dstport']);
      expect(logins).toEqual([
        ['14', '1433'],
        ['14', '1433'],
      ]);
      const tds = await fields(tshark, pcap, 'tds', ['tds.type']);
      expect(tds.map(([t]) => t)).toEqual(['18', '4', '16', '4', '1', '4', '18', '4', '16', '4', '1', '4']);
      // The flows' KDC exchanges, the modern one's through the KDC proxy (written as TCP on port 88).
      const kdc = await fields(tshark, pcap, 'kerberos && !tds', ['kerberos.msg_type']);
      expect(kdc.length).toBeGreaterThanOrEqual(10);
      // The modern flow's PRT request (tgt=true) and its answer, HTTP on port 80 (the TLS key log's view).
      const prt = await fields(tshark, pcap, 'http.request', ['http.request.method', 'tcp.dstport']);
      expect(prt).toEqual([['POST', '80']]);
      const form = await fields(tshark, pcap, 'urlencoded-form', [
        'urlencoded-form.key',
        'urlencoded-form.value',
      ]);
      expect(form).toEqual([['grant_type,username,tgt', 'refresh_token,alice@contoso.com,true']]);
      const answer = await fields(tshark, pcap, 'http.response', ['http.response.code', 'http.content_type']);
      expect(answer).toEqual([['200', 'application/json']]);
      const verbose = await runTool(tshark, ['-r', pcap, '-V', '-z', 'expert']);
      expect(verbose.code).toBe(0);
      expect(verbose.stdout).not.toMatch(/Malformed Packet/i);
      expect(verbose.stdout).not.toMatch(/\[Expert Info \((Error|Warning)/);
      expect(verbose.stdout).not.toMatch(/^Errors \(/m);
      expect(verbose.stdout).not.toMatch(/^Warnings \(/m);
    });
  },
);
