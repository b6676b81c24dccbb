/**
 * MIT krb5 1.20 clients against krbsim KDCs on loopback: `kinit` (password
 * over UDP and TCP, keytab), `kvno`, `klist` (tickets, enctypes, keytabs),
 * across the Azure-like one-way trust by referral, and the `krbsim serve`
 * command itself as a separate process.
 *
 * Every KDC here is started with `startTopology` from @krbsim/cli (in
 * process) except in the last suite, which spawns `krbsim serve`. Every MIT
 * run has its own KRB5_TRACE, shown with the KDC's request log on failure.
 */

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeEncTicketPart, decodeTicket, TicketFlags } from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { type CcacheCredential, parseCcache, parseKeytab, serializeCcache } from '@krbsim/files';
import { decodePac, findPac, formatSid, getPacBuffer, PacBufferType, validationInfoSids } from '@krbsim/pac';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadTopologyFile,
  type PortsJson,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
  topologyKrb5Conf,
} from '../../packages/cli/src/index';
import { startKrbsimServe } from './helpers/krbsim-serve';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { makeTempDir, stopAllProcesses, type TempDir } from './helpers/processes';
import { describeWithTools } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'packages/cli/examples');
const ALICE = 'correct horse battery staple';

/** A served topology, its temp dir, the KDC request log and an MIT client on its krb5.conf. */
interface Lab {
  readonly dir: TempDir;
  readonly topo: RunningTopology;
  readonly log: RequestLogEntry[];
  mit(name: string): MitClient;
  close(): Promise<void>;
}

async function startLab(
  tools: Readonly<Record<string, string>>,
  example: string,
  prefix: string,
): Promise<Lab> {
  const dir = await makeTempDir(prefix);
  const log: RequestLogEntry[] = [];
  const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, example)), {
    dir: dir.path,
    log: (e) => log.push(e),
  });
  const diagnostics = () => log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n');
  return {
    dir,
    topo,
    log,
    mit: (name) => new MitClient(tools, dir.path, topo.files!.krb5conf, dir.file(`cc-${name}`), diagnostics),
    async close() {
      await topo.close();
      await dir.remove();
    },
  };
}

describeWithTools('MIT krb5 clients against krbsim serve (contoso-fabrikam)', MIT_CLIENT_TOOLS, (tools) => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab(tools, 'contoso-fabrikam.yaml', 'cli-mit');
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('writes krb5.conf, keytabs and ports.json that name the listening KDCs', async () => {
    const files = lab.topo.files!;
    const ports = JSON.parse(await readFile(files.portsJson, 'utf8')) as PortsJson;
    const contoso = lab.topo.servers.get('CONTOSO.COM')!;
    expect(ports.realms['CONTOSO.COM']).toEqual({
      host: '127.0.0.1',
      udp: contoso.udpPort,
      tcp: contoso.tcpPort,
      kdcs: [`127.0.0.1:${contoso.udpPort}`],
      check: lab.topo.checks.get('CONTOSO.COM'),
      kpasswd: contoso.kpasswdPort,
      kpasswdServer: `127.0.0.1:${contoso.kpasswdPort}`,
    });
    expect(contoso.udpPort).toBe(contoso.tcpPort);
    expect(contoso.kpasswdPort).toBeGreaterThan(0);
    expect(ports.krb5conf).toBe(files.krb5conf);
    const conf = await readFile(files.krb5conf, 'utf8');
    expect(conf).toContain('default_realm = CONTOSO.COM');
    expect(conf).toContain(`kdc = 127.0.0.1:${contoso.udpPort}`);
    expect(conf).toContain(`kpasswd_server = 127.0.0.1:${contoso.kpasswdPort}`);
    expect(conf).toContain('.fabrikam.com = FABRIKAM.COM');
    expect(conf).toMatch(/CONTOSO\.COM = \{\s+FABRIKAM\.COM = \.\s+\}/);
    expect(Object.keys(ports.keytabs).sort()).toEqual(
      [
        'CONTOSO.COM',
        'FABRIKAM.COM',
        'host/server.contoso.com@CONTOSO.COM',
        'HTTP/web.contoso.com@CONTOSO.COM',
        // FABRIKAM's services run as accounts: a computer and a service user.
        'PORTAL$@FABRIKAM.COM',
        'svc_sql@FABRIKAM.COM',
      ].sort(),
    );
    expect(ports.keytabs['svc_sql@FABRIKAM.COM']).toBe(join(files.dir, 'svc_sql@FABRIKAM.COM.keytab'));
  });

  it('MIT klist -k -t -e reads the keytabs krbsim wrote', async () => {
    const mit = lab.mit('keytab');
    const r = await mit.ok('klist', ['-k', '-t', '-e', lab.topo.files!.keytabs['CONTOSO.COM']!]);
    const lines = r.stdout.split('\n').filter((l) => /^\s+\d+ /.test(l));
    // host/server and HTTP/web + alias HTTP/web, an AD realm's two etypes each, kvno 1.
    expect(lines).toHaveLength(6);
    expect(r.stdout).toContain('host/server.contoso.com@CONTOSO.COM (aes256-cts-hmac-sha1-96)');
    expect(r.stdout).toContain('HTTP/web@CONTOSO.COM (aes128-cts-hmac-sha1-96)');
    expect(r.stdout).not.toContain('sha384');
    // A computer account's keytab holds its account name and its SPNs, as adcli writes it.
    const portal = await mit.ok('klist', ['-k', lab.topo.files!.keytabs['PORTAL$@FABRIKAM.COM']!]);
    for (const p of ['PORTAL$', 'host/portal.fabrikam.com', 'host/PORTAL', 'HTTP/portal.fabrikam.com'])
      expect(portal.stdout).toContain(`${p}@FABRIKAM.COM`);
    for (const l of lines) expect(l).toMatch(/^\s+1 /);
  });

  it('kinit with a password (stdin) gets a TGT over UDP, then TCP for a reply too big for UDP', async () => {
    const mit = lab.mit('udp');
    const before = lab.log.length;
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    const requests = lab.log.slice(before);
    // An AD realm's TGT carries a PAC: the AS-REP passes UDP's 1465 bytes, the KDC answers
    // KRB_ERR_RESPONSE_TOO_BIG and MIT asks again over TCP, as against a Windows DC.
    expect(requests.map((e) => e.transport)).toEqual(['udp', 'udp', 'tcp']);
    // Pre-authentication: PREAUTH_REQUIRED first, then an AS-REP.
    expect(requests.some((e) => /KDC_ERR_PREAUTH_REQUIRED/.test(e.line))).toBe(true);
    expect(requests.at(-1)!.line).toMatch(/AS-REQ alice@CONTOSO\.COM .*-> AS-REP/);
    const k = parseKlist((await mit.ok('klist', ['-e'])).stdout);
    expect(k.principal).toBe('alice@CONTOSO.COM');
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
    expect(k.tickets[0]!.ticketEtype).toMatch(/^aes/);
  });

  it('kinit gets a TGT over TCP when udp_preference_limit = 1', async () => {
    const mit = lab.mit('tcp');
    const tcpConf = lab.dir.file('krb5-tcp.conf');
    await writeFile(
      tcpConf,
      topologyKrb5Conf({
        topology: lab.topo.topology,
        realms: lab.topo.realms,
        servers: lab.topo.servers,
        libdefaults: { udp_preference_limit: 1 },
      }),
    );
    const before = lab.log.length;
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n`, krb5conf: tcpConf });
    const requests = lab.log.slice(before);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests.every((e) => e.transport === 'tcp')).toBe(true);
    expect(requests.at(-1)!.line).toMatch(/-> AS-REP/);
    const k = parseKlist((await mit.ok('klist', [], { krb5conf: tcpConf })).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
  });

  it('kinit -k -t <keytab> <service> gets a TGT for the service principal', async () => {
    const mit = lab.mit('keytab-kinit');
    const keytab = lab.topo.files!.keytabs['host/server.contoso.com@CONTOSO.COM']!;
    await mit.ok('kinit', ['-k', '-t', keytab, 'host/server.contoso.com@CONTOSO.COM']);
    const k = parseKlist((await mit.ok('klist', [])).stdout);
    expect(k.principal).toBe('host/server.contoso.com@CONTOSO.COM');
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
  });

  it('kvno gets a service ticket, and klist -e shows it with the service key etype', async () => {
    const mit = lab.mit('kvno');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    const r = await mit.ok('kvno', ['host/server.contoso.com@CONTOSO.COM']);
    expect(r.stdout).toMatch(/host\/server\.contoso\.com@CONTOSO\.COM: kvno = 1/);
    const k = parseKlist((await mit.ok('klist', ['-e'])).stdout);
    const svc = k.tickets.find((t) => t.server === 'host/server.contoso.com@CONTOSO.COM');
    expect(svc, JSON.stringify(k)).toBeDefined();
    // The realm's strongest etype is aes256-cts-hmac-sha384-192 (20); MIT asks for 18 first.
    expect(svc!.ticketEtype).toMatch(/^aes(256|128)-cts-hmac-sha(1-96|256-128|384-192)$/);
    expect(lab.log.at(-1)!.line).toMatch(
      /TGS-REQ alice@CONTOSO\.COM for host\/server\.contoso\.com@CONTOSO\.COM -> TGS-REP/,
    );
  });

  it('kvno with the service keytab: the ticket decrypts with the keytab krbsim wrote', async () => {
    const mit = lab.mit('kvno-keytab');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    const keytab = lab.topo.files!.keytabs['HTTP/web.contoso.com@CONTOSO.COM']!;
    const r = await mit.ok('kvno', ['-k', keytab, 'HTTP/web.contoso.com@CONTOSO.COM']);
    expect(r.stdout).toMatch(/HTTP\/web\.contoso\.com@CONTOSO\.COM: kvno = 1, keytab entry valid/);
  });

  it('a wrong password fails with a pre-authentication error, not a crash', async () => {
    const mit = lab.mit('wrong');
    const r = await mit.run('kinit', ['alice@CONTOSO.COM'], { input: 'not the password\n' });
    expect(r.code, mit.explain(r)).not.toBe(0);
    expect(r.stderr).toMatch(/Password incorrect|Preauthentication failed/);
  });

  it('CONTOSO users reach a FABRIKAM service across the one-way forest trust', async () => {
    const mit = lab.mit('fabrikam');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    await mit.ok('kvno', ['HTTP/portal.fabrikam.com@FABRIKAM.COM']);
    const k = parseKlist((await mit.ok('klist', [])).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual(
      expect.arrayContaining(['krbtgt/FABRIKAM.COM@CONTOSO.COM', 'HTTP/portal.fabrikam.com@FABRIKAM.COM']),
    );
  });
});

describeWithTools('MIT krb5 from a child domain to another forest (forest)', MIT_CLIENT_TOOLS, (tools) => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab(tools, 'forest.yaml', 'cli-mit-forest');
  });
  afterAll(async () => {
    await lab?.close();
  });

  it("kvno follows two referrals, and the ticket's PAC keeps the forest root's universal group across the forest trust", async () => {
    const erin = lab.mit('forest-erin');
    await erin.ok('kinit', ['erin@EMEA.CONTOSO.COM'], { input: 'Er1n-Passw0rd\n' });
    await erin.ok('kvno', ['HTTP/portal.fabrikam.com']);
    // A TGS-REQ at each KDC of the path; MIT keeps its first referral TGT, and files the service ticket
    // under the name it asked for.
    const tgsAt = new Set(lab.log.filter((e) => e.line.includes('TGS-REQ')).map((e) => e.realm));
    expect([...tgsAt].sort()).toEqual(['CONTOSO.COM', 'EMEA.CONTOSO.COM', 'FABRIKAM.COM']);
    const servers = parseKlist((await erin.ok('klist', [])).stdout).tickets.map((t) => t.server);
    expect(servers).toContain('krbtgt/CONTOSO.COM@EMEA.CONTOSO.COM');
    // The ticket MIT holds, opened with the keytab krbsim wrote for PORTAL$.
    const ccache = parseCcache(await readFile(lab.dir.file('cc-forest-erin')));
    const cred = ccache.credentials.find((c) => c.server.name.nameString[0] === 'HTTP')!;
    const ticket = decodeTicket(cred.ticket);
    expect(ticket.realm).toBe('FABRIKAM.COM'); // issued by FABRIKAM, after CONTOSO's referral
    const keytab = parseKeytab(await readFile(lab.topo.files!.keytabs['PORTAL$@FABRIKAM.COM']!));
    const key = keytab.entries.find((e) => e.key.etype === ticket.encPart.etype)!.key;
    const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher));
    const info = getPacBuffer(decodePac(findPac(etp.authorizationData)!.pac), PacBufferType.LOGON_INFO)!;
    const sids = validationInfoSids(info).map((x) => formatSid(x.sid));
    const contoso = lab.topo.realms.get('CONTOSO.COM')!.directory;
    const emea = lab.topo.realms.get('EMEA.CONTOSO.COM')!.directory;
    expect(sids[0]).toBe(emea.sidOf(emea.account('erin')!.rid));
    expect(sids).toContain(contoso.sidOf(contoso.group('Forest Staff')!.rid));
  });

  it('TGT delegation stays in the forest: ok-as-delegate on the within-forest referral and on its ticket, not across the forest trust', async () => {
    const erin = lab.mit('forest-erin-delegation');
    await erin.ok('kinit', ['erin@EMEA.CONTOSO.COM'], { input: 'Er1n-Passw0rd\n' });
    await erin.ok('kvno', ['HTTP/intranet.contoso.com', 'HTTP/apps.fabrikam.com']);
    const ccache = parseCcache(await readFile(lab.dir.file('cc-forest-erin-delegation')));
    // MIT files a service ticket got through referrals under the name it asked for (no realm).
    const okAsDelegate = (server: string) => {
      const cred = ccache.credentials.find((c) => c.server.name.nameString.join('/') === server);
      expect(cred, `no ${server} in the ccache`).toBeDefined();
      return (cred!.ticketFlags & TicketFlags['ok-as-delegate']) !== 0;
    };
    expect(okAsDelegate('krbtgt/CONTOSO.COM')).toBe(true); // the referral from EMEA
    expect(okAsDelegate('HTTP/intranet.contoso.com')).toBe(true);
    expect(okAsDelegate('HTTP/apps.fabrikam.com')).toBe(false);
    // klist -f shows it as O, where a user reads it.
    const klist = (await erin.ok('klist', ['-f'])).stdout;
    const flagsOf = (server: string) =>
      new RegExp(`${server.replace(/[./]/g, '\\$&')}@\\S*\\n\\s+(?:renew until [^,]*, )?Flags: (\\w*)`).exec(
        klist,
      )?.[1];
    expect(flagsOf('HTTP/intranet.contoso.com'), klist).toContain('O');
    expect(flagsOf('HTTP/apps.fabrikam.com'), klist).toBeDefined();
    expect(flagsOf('HTTP/apps.fabrikam.com')).not.toContain('O');
  });
});

describeWithTools(
  'MIT krb5 across a selective-authentication trust (selective-trust)',
  MIT_CLIENT_TOOLS,
  (tools) => {
    let lab: Lab;
    beforeAll(async () => {
      lab = await startLab(tools, 'selective-trust.yaml', 'cli-mit-selective');
    });
    afterAll(async () => {
      await lab?.close();
    });

    it('kvno gets the services whose accounts allow the user, and reports the KDC policy refusal of the others', async () => {
      const alice = lab.mit('selective-alice');
      await alice.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
      // PORTAL$ allows FABRIKAM\PortalUsers, which holds CONTOSO\Engineering, alice's group.
      await alice.ok('kvno', ['HTTP/portal.fabrikam.com@FABRIKAM.COM']);
      const refused = await alice.run('kvno', ['MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM']);
      expect(refused.code, alice.explain(refused)).not.toBe(0);
      expect(refused.stderr).toContain('KDC policy rejects request');
      // MIT's trace shows the resource realm's KRB-ERROR: KDC_ERR_POLICY (12).
      expect(refused.trace).toMatch(/TGS request result: -1765328372\/KDC policy rejects request/);
      const bob = lab.mit('selective-bob');
      await bob.ok('kinit', ['bob@CONTOSO.COM'], { input: 'B0b-Passw0rd\n' });
      await bob.ok('kvno', ['MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM']);
      expect((await bob.run('kvno', ['HTTP/portal.fabrikam.com@FABRIKAM.COM'])).stderr).toContain(
        'KDC policy rejects request',
      );
    });
  },
);

describeWithTools('MIT krb5 across the Azure-like trust (azure-trust)', MIT_CLIENT_TOOLS, (tools) => {
  const SQL = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
  const AZ = 'KERBEROS.MICROSOFTONLINE.COM';
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab(tools, 'azure-trust.yaml', 'cli-azure');
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('kvno -S (no realm) follows the referral: CONTOSO refers windows.net to Azure AD', async () => {
    const mit = lab.mit('referral');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = lab.log.length;
    // -S makes a host-based (NT-SRV-HST) name in MIT's referral realm: the client does not
    // know the SPN's realm (no [domain_realm] entry for windows.net) and asks CONTOSO with canonicalize.
    const r = await mit.ok('kvno', ['-S', 'MSSQLSvc', 'mi1.abc123.database.windows.net:1433']);
    expect(r.stdout).toContain(`${SQL}@: kvno = 1`);
    const requests = lab.log.slice(before).map((e) => `${e.realm} ${e.line}`);
    expect(requests).toEqual([
      `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${SQL}@CONTOSO.COM -> TGS-REP (referral to ${AZ}) (FAST)`,
      `${AZ} TGS-REQ alice@CONTOSO.COM for ${SQL}@${AZ} -> TGS-REP (FAST)`,
    ]);
    expect(r.trace).toContain(`Following referral TGT krbtgt/${AZ}@CONTOSO.COM`);
    // MIT stores the service ticket under the name asked for, with the real server beside it;
    // it does not cache referral TGTs (klist shows them in the explicit-realm test below).
    const list = await mit.ok('klist', ['-e']);
    const k = parseKlist(list.stdout);
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM', `${SQL}@`]);
    expect(list.stdout).toContain(`Ticket server: ${SQL}@${AZ}`);
  });

  it(`kvno '${SQL}@' (NT-PRINCIPAL, as FreeTDS asks) is referred by the AD realm (MS-KILE 3.3.5.1.1)`, async () => {
    const mit = lab.mit('nt-principal');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = lab.log.length;
    const r = await mit.ok('kvno', [`${SQL}@`]);
    expect(r.stdout).toContain(`${SQL}@: kvno = 1`);
    expect(lab.log.slice(before).map((e) => `${e.realm} ${e.line}`)).toEqual([
      `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${SQL}@CONTOSO.COM -> TGS-REP (referral to ${AZ}) (FAST)`,
      `${AZ} TGS-REQ alice@CONTOSO.COM for ${SQL}@${AZ} -> TGS-REP (FAST)`,
    ]);
  });

  it(`kvno ${SQL}@${AZ} (explicit realm) gets the cross-realm TGT, then the ticket`, async () => {
    const mit = lab.mit('explicit');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = lab.log.length;
    await mit.ok('kvno', [`${SQL}@${AZ}`]);
    expect(lab.log.slice(before).map((e) => `${e.realm} ${e.line}`)).toEqual([
      `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for krbtgt/${AZ}@CONTOSO.COM -> TGS-REP (FAST)`,
      `${AZ} TGS-REQ alice@CONTOSO.COM for ${SQL}@${AZ} -> TGS-REP (FAST)`,
    ]);
    const k = parseKlist((await mit.ok('klist', ['-e'])).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual([
      'krbtgt/CONTOSO.COM@CONTOSO.COM',
      `krbtgt/${AZ}@CONTOSO.COM`,
      `${SQL}@${AZ}`,
    ]);
    expect(k.tickets[2]!.ticketEtype).toMatch(/^aes/);
  });

  it('the managed instance keytab validates the ticket', async () => {
    const mit = lab.mit('mi-keytab');
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const keytab = lab.topo.files!.keytabs[`${SQL}@${AZ}`]!;
    const r = await mit.ok('kvno', ['-k', keytab, `${SQL}@${AZ}`]);
    expect(r.stdout).toContain('keytab entry valid');
  });

  it('the reverse direction fails: an Azure AD user gets no CONTOSO service ticket', async () => {
    const mit = lab.mit('reverse');
    await mit.ok('kinit', [`cloudonly@${AZ}`], { input: 'Cl0ud-Passw0rd\n' });
    const explicit = await mit.run('kvno', ['host/pc1.contoso.com@CONTOSO.COM']);
    expect(explicit.code, mit.explain(explicit)).not.toBe(0);
    const referral = await mit.run('kvno', ['host/pc1.contoso.com@']);
    expect(referral.code, mit.explain(referral)).not.toBe(0);
    const k = parseKlist((await mit.ok('klist', [])).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual([`krbtgt/${AZ}@${AZ}`]);
    // Azure AD holds no key to issue a TGT toward CONTOSO.
    expect(lab.log.some((e) => e.realm === AZ && /KDC_ERR_S_PRINCIPAL_UNKNOWN/.test(e.line))).toBe(true);
  });
});

/** A krbsim client credential as an MIT ccache entry. */
function ccacheEntry(c: Credential): CcacheCredential {
  return {
    client: c.client,
    server: c.server,
    key: { etype: c.sessionKey.etype, bytes: c.sessionKey.bytes },
    authtime: c.authtime,
    starttime: c.starttime ?? 0,
    endtime: c.endtime,
    renewTill: c.renewTill ?? 0,
    isSkey: false,
    ticketFlags: c.flags,
    addresses: [],
    authdata: [],
    ticket: c.ticketDer,
    secondTicket: new Uint8Array(0),
  };
}

describeWithTools('krbsim client tickets from krbsim KDCs, read by MIT', MIT_CLIENT_TOOLS, (tools) => {
  const SQL = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
  const AZ = 'KERBEROS.MICROSOFTONLINE.COM';
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab(tools, 'azure-trust.yaml', 'cli-client');
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('MIT klist -c lists a ccache krbsim wrote, and kvno --cached-only validates its ticket with the keytab', async () => {
    const kdcs = Object.fromEntries(
      [...lab.topo.servers].map(([realm, s]) => [realm, [{ host: s.host, port: s.udpPort }]]),
    );
    const client = new KerberosClient({ realm: 'CONTOSO.COM', transport: new UdpTcpTransport({ kdcs }) });
    await client.getInitialCredentials('alice@CONTOSO.COM', { password: 'Al1ce-Passw0rd' });
    const svc = await client.getServiceTicket(SQL);
    expect(svc.server.realm).toBe(AZ);
    const creds = client.cache.all();
    const cc = lab.dir.file('cc-krbsim-client');
    await writeFile(
      cc,
      serializeCcache({ defaultPrincipal: creds[0]!.client, credentials: creds.map(ccacheEntry) }),
    );
    const mit = lab.mit('krbsim-client');
    const list = await mit.ok('klist', ['-e', '-c', `FILE:${cc}`]);
    const k = parseKlist(list.stdout);
    expect(k.principal).toBe('alice@CONTOSO.COM');
    expect(k.tickets.map((t) => t.server)).toEqual(
      expect.arrayContaining(['krbtgt/CONTOSO.COM@CONTOSO.COM', `krbtgt/${AZ}@CONTOSO.COM`, `${SQL}@${AZ}`]),
    );
    const sql = k.tickets.find((t) => t.server === `${SQL}@${AZ}`)!;
    expect(sql.ticketEtype).toMatch(/^aes/);
    // MIT takes the ticket from the ccache (no KDC contact) and decrypts it with the keytab krbsim wrote.
    const before = lab.log.length;
    const keytab = lab.topo.files!.keytabs[`${SQL}@${AZ}`]!;
    const r = await mit.ok('kvno', ['--cached-only', '-k', keytab, `${SQL}@${AZ}`], { ccache: cc });
    expect(r.stdout).toContain('keytab entry valid');
    expect(lab.log.length).toBe(before);
  });
});

describeWithTools('the krbsim serve command', ['kinit', 'klist'], (tools) => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('cli-serve');
  });
  afterAll(async () => {
    await stopAllProcesses();
    await dir?.remove();
  });

  it('serves a topology as a process: ports.json, kinit, one log line per request, exit 0 on SIGTERM', async () => {
    const serve = startKrbsimServe(
      [join(EXAMPLES, 'contoso-fabrikam.yaml'), '--dir', dir.path, '--json-log'],
      {
        timeoutMs: 60_000,
      },
    );
    try {
      await serve.waitForOutput((out) => out.includes('"event":"ready"'), 60_000);
      const ports = JSON.parse(await readFile(dir.file('ports.json'), 'utf8')) as PortsJson;
      expect(Object.keys(ports.realms)).toEqual(['CONTOSO.COM', 'FABRIKAM.COM']);
      const mit = new MitClient(
        tools,
        dir.path,
        ports.krb5conf,
        dir.file('cc'),
        () => serve.stdout() + serve.stderr(),
      );
      await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
      await serve.waitForOutput((out) => /"event":"request".*"outcome":"AS-REP"/.test(out));
      const requests = serve
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"event":"request"'))
        .map((l) => JSON.parse(l) as RequestLogEntry);
      expect(requests.length).toBeGreaterThanOrEqual(2);
      expect(requests[0]).toMatchObject({ realm: 'CONTOSO.COM', transport: 'udp' });
      expect(requests.at(-1)).toMatchObject({
        msgType: 'AS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'krbtgt/CONTOSO.COM@CONTOSO.COM',
        outcome: 'AS-REP',
      });
      // The keytabs only their owner reads, as MIT's ktadd writes them.
      for (const keytab of Object.values(ports.keytabs))
        expect((await stat(keytab)).mode & 0o777).toBe(0o600);
      serve.signal('SIGTERM');
      const exit = await serve.exited();
      expect(exit, serve.stderr()).toEqual({ code: 0, signal: null });
      expect(serve.stdout()).toContain('"event":"stopped"');
    } finally {
      await serve.stop();
    }
  });

  it('rejects a bad topology file with the field path and exit code 2', async () => {
    const bad = dir.file('bad.yaml');
    await writeFile(bad, 'realms:\n  - name: A.TEST\n    users:\n      - { name: a, password: 3 }\n');
    const p = startKrbsimServe([bad, '--dir', dir.file('bad')], {});
    const exit = await p.exited();
    await p.stop();
    expect(exit.code).toBe(2);
    // The value is a password: its type is said, never the value.
    expect(p.stderr()).toContain(
      'realms[0].users[0].password: expected a non-empty string, got a number (not shown: a password)',
    );
    expect(p.stderr()).not.toContain('number 3');
  });
});
