/**
 * Heimdal 7.8 clients (Debian's, unpacked privately by scripts/setup.sh; see
 * helpers/heimdal.ts) against krbsim KDCs on loopback, the second real
 * implementation beside MIT's (cli-mit.test.ts): `kinit` with a password
 * over UDP and TCP, with `--canonicalize` and `--enterprise` (RFC 6806),
 * and with a keytab, `klist`, `kgetcred` across the one-way forest trust,
 * and S4U2Self (`kgetcred --impersonate`); ok-as-delegate along a forest's
 * referrals (forest.yaml); the reference scenario's referral through the
 * Azure AD Kerberos trust's top-level name (azure-trust.yaml); and Heimdal's
 * GSS-API token logging alice in to the Azure lab's managed instance over TDS.
 *
 * Heimdal writes the TGS-REQ nonce as a signed 32-bit INTEGER, negative
 * half of the time (`02 04 94 70 9c 33`): every request is recorded at the
 * KDC, and each must decode and re-encode to the same bytes, and each
 * kgetcred must succeed (Heimdal compares the reply's nonce with its own).
 *
 * `KRBSIM_WRITE_HEIMDAL_FIXTURES=1` also writes a selection of the recorded
 * requests to test/fixtures/heimdal (see its README).
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeKdcReq, decodeMessage, encodeMessage, GssFlags, PaDataType } from '@krbsim/asn1';
import { connectTds } from '@krbsim/tds';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadTopologyFile,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
} from '../../packages/cli/src/index';
import { buildGssPeer, GssPeer } from './gss-peer';
import { describeWithHeimdal, HeimdalClient, heimdalPackages, parseHeimdalKlist } from './helpers/heimdal';
import { findTool, makeTempDir, type TempDir } from './helpers/processes';
import { servedAzureLab } from './helpers/served-azure-lab';
import { krb5ConfWithoutProxy } from './helpers/served-topology';
import { describeUnavailable } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'packages/cli/examples');
const FIXTURES = join(ROOT, 'test/fixtures/heimdal');
const ALICE = 'correct horse battery staple';
const SERVER = 'host/server.contoso.com@CONTOSO.COM';

/** One request a KDC answered, as received, and the test step that caused it. */
interface Recorded {
  readonly step: string;
  readonly realm: string;
  readonly request: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describeWithHeimdal('Heimdal clients against krbsim serve (contoso-fabrikam)', (heimdal) => {
  let dir: TempDir;
  let topo: RunningTopology;
  const log: RequestLogEntry[] = [];
  const recorded: Recorded[] = [];
  let step = '';
  const diagnostics = () => log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n');
  const client = (name: string): HeimdalClient =>
    new HeimdalClient(heimdal, dir.path, topo.files!.krb5conf, dir.file(`cc-${name}`), diagnostics);
  /** The requests of `name`'s step, in order. */
  const stepRequests = (name: string) => recorded.filter((r) => r.step === name);

  beforeAll(async () => {
    dir = await makeTempDir('heimdal');
    topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')), {
      dir: dir.path,
      log: (e) => log.push(e),
    });
    // Record every request as it reached the KDC (a copy: the transport may reuse its buffer).
    for (const [realm, kdc] of topo.kdcs) {
      const handle = kdc.handle.bind(kdc);
      kdc.handle = (request: Uint8Array): Uint8Array => {
        recorded.push({ step, realm, request: request.slice() });
        return handle(request);
      };
    }
  });
  afterAll(async () => {
    if (process.env.KRBSIM_WRITE_HEIMDAL_FIXTURES === '1' && recorded.length > 0) writeFixtures();
    await topo?.close();
    await dir?.remove();
  });

  it('kinit --password-file=STDIN gets a TGT over UDP after PREAUTH_REQUIRED (TCP for the big reply)', async () => {
    step = 'kinit';
    const c = client('kinit');
    const before = log.length;
    await c.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    const lines = log.slice(before);
    // The TGT carries a PAC: the AS-REP is too big for UDP, and Heimdal asks again over TCP.
    expect(lines.map((e) => `${e.transport} ${e.line}`)).toEqual([
      'udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
      'udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG',
      'tcp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
    ]);
    const k = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout);
    expect(k.principal).toBe('alice@CONTOSO.COM');
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
    expect(k.tickets[0]!.etype).toMatch(/^aes/);
    expect(k.tickets[0]!.flags).toEqual(expect.arrayContaining(['initial', 'pre-authent']));
    // Plain klist: the one line per ticket a user reads.
    const plain = await c.ok('klist', []);
    expect(plain.stdout).toMatch(/Principal: alice@CONTOSO\.COM/);
    expect(plain.stdout).toMatch(/\s krbtgt\/CONTOSO\.COM@CONTOSO\.COM\n/);
  });

  it('kinit over TCP (kdc = tcp/host:port)', async () => {
    step = 'kinit-tcp';
    const c = client('tcp');
    const tcpConf = dir.file('krb5-tcp.conf');
    const conf = readFileSync(topo.files!.krb5conf, 'utf8');
    writeFileSync(tcpConf, conf.replace(/kdc = 127\.0\.0\.1:/g, 'kdc = tcp/127.0.0.1:'));
    const before = log.length;
    await c.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], {
      input: `${ALICE}\n`,
      krb5conf: tcpConf,
    });
    const lines = log.slice(before);
    expect(lines.length).toBe(2);
    expect(lines.every((e) => e.transport === 'tcp')).toBe(true);
    expect(lines.at(-1)!.line).toMatch(/-> AS-REP$/);
  });

  it('a wrong password fails with "Password incorrect", not a crash', async () => {
    step = 'wrong-password';
    const c = client('wrong');
    const r = await c.run('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: 'not it\n' });
    expect(r.code, c.explain(r)).not.toBe(0);
    expect(r.stderr).toMatch(/Password incorrect|Preauthentication failed/);
    expect(log.at(-1)!.line).toMatch(/KRB-ERROR KDC_ERR_PREAUTH_FAILED \(24\)/);
  });

  // Heimdal's kinit sends both as an NT-ENTERPRISE name with the canonicalize option, and
  // trusts the reply's names only through PA-REQ-ENC-PA-REP (RFC 6806 section 11). Before the
  // KDC honoured section 11, both failed with "Password incorrect".
  for (const flag of ['--canonicalize', '--enterprise']) {
    it(`kinit ${flag} gets a TGT for the canonical name (RFC 6806, enc-pa-rep)`, async () => {
      step = `kinit${flag}`;
      const c = client(flag.slice(2));
      const before = recorded.length;
      await c.ok('kinit', [flag, '--password-file=STDIN', 'alice@CONTOSO.COM'], { input: `${ALICE}\n` });
      const asReq = decodeKdcReq(recorded.at(-1)!.request);
      expect(recorded.length - before).toBe(3); // PREAUTH_REQUIRED, then the AS-REP over UDP and TCP
      expect(asReq.reqBody.cname).toEqual({ nameType: 10, nameString: ['alice@CONTOSO.COM'] });
      expect(asReq.padata?.map((p) => p.padataType)).toContain(PaDataType.PA_REQ_ENC_PA_REP);
      const k = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout);
      expect(k.principal).toBe('alice@CONTOSO.COM');
      expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
      expect(k.tickets[0]!.flags).toContain('enc-pa-rep');
    });
  }

  it('kgetcred HTTP/portal.fabrikam.com@FABRIKAM.COM crosses the one-way forest trust', async () => {
    step = 'kgetcred-trust';
    const c = client('trust');
    await c.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    const before = log.length;
    await c.ok('kgetcred', ['HTTP/portal.fabrikam.com@FABRIKAM.COM']);
    expect(log.slice(before).map((e) => `${e.realm} ${e.line}`)).toEqual([
      'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for krbtgt/FABRIKAM.COM@CONTOSO.COM -> TGS-REP',
      'FABRIKAM.COM TGS-REQ alice@CONTOSO.COM for HTTP/portal.fabrikam.com@FABRIKAM.COM -> TGS-REP',
    ]);
    const k = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual([
      'krbtgt/CONTOSO.COM@CONTOSO.COM',
      'krbtgt/FABRIKAM.COM@CONTOSO.COM',
      'HTTP/portal.fabrikam.com@FABRIKAM.COM',
    ]);
    const portal = k.tickets[2]!;
    expect(portal.client).toBe('alice@CONTOSO.COM');
    expect(portal.flags).toContain('transited-policy-checked');
  });

  it("TGS-REQs with Heimdal's negative nonces: every one re-encodes to its own bytes and succeeds", async () => {
    step = 'nonces';
    const c = client('nonces');
    await c.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    // At least 20 requests and 3 negative nonces (each nonce is negative with probability 1/2).
    const outcomes: { nonce: number; signed: boolean; line: string }[] = [];
    while (outcomes.length < 20 || (outcomes.filter((o) => o.signed).length < 3 && outcomes.length < 80)) {
      const before = recorded.length;
      // --no-store: the next run asks the KDC again instead of finding the ticket in the cache.
      await c.ok('kgetcred', ['--no-store', SERVER]);
      const sent = recorded.slice(before);
      expect(sent.length).toBe(1);
      const der = sent[0]!.request;
      expect(hex(encodeMessage(decodeMessage(der))), 'decodeMessage/encodeMessage').toBe(hex(der));
      const body = decodeKdcReq(der).reqBody;
      outcomes.push({
        nonce: body.nonce,
        signed: body.nonce >= 2 ** 31 && body.nonceForm === undefined,
        line: log.at(-1)!.line,
      });
    }
    const signed = outcomes.filter((o) => o.signed);
    expect(signed.length).toBeGreaterThanOrEqual(3);
    // A negative nonce reads as its unsigned value, and only a value of 2^31 or more is negative.
    for (const o of outcomes) expect(o.signed).toBe(o.nonce >= 2 ** 31);
    // Heimdal checks the reply's nonce against its own: each exit 0 above means the KDC echoed it.
    for (const o of outcomes) expect(o.line).toBe(`TGS-REQ alice@CONTOSO.COM for ${SERVER} -> TGS-REP`);
  });

  it('every request Heimdal sent decodes and re-encodes to the same bytes', () => {
    expect(recorded.length).toBeGreaterThan(20);
    for (const r of recorded) {
      expect(hex(encodeMessage(decodeMessage(r.request))), `${r.step} ${r.realm}`).toBe(hex(r.request));
    }
  });

  it('kinit -k -t <keytab> gets the service a TGT (the S4U2Self caller below)', async () => {
    step = 'kinit-keytab';
    const c = client('s4u');
    const keytab = topo.files!.keytabs[SERVER]!;
    await c.ok('kinit', ['-k', '-t', `FILE:${keytab}`, SERVER]);
    const k = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout);
    expect(k.principal).toBe(SERVER);
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
  });

  // S4U2Self (MS-SFU): the service, holding its own TGT, gets a ticket to itself in alice's name.
  // (Before S4U2Self was implemented the KDC ignored PA-FOR-USER and kgetcred stored a ticket for
  // the service itself.)
  it("kgetcred --impersonate=alice (S4U2Self) gets the service a ticket in alice's name", async () => {
    step = 'impersonate';
    const c = client('s4u');
    const out = dir.file('cc-s4u-out');
    const before = recorded.length;
    await c.ok('kgetcred', [`--out-cache=FILE:${out}`, '--impersonate=alice@CONTOSO.COM', SERVER]);
    const sent = recorded.slice(before).map((x) => decodeKdcReq(x.request));
    // Heimdal asked for S4U2Self: a TGS-REQ for the service itself with PA-FOR-USER.
    expect(sent.some((q) => q.padata?.some((p) => p.padataType === PaDataType.PA_FOR_USER))).toBe(true);
    expect(log.at(-1)!.line).toBe(
      `TGS-REQ ${SERVER} for ${SERVER} -> TGS-REP (S4U2Self for alice@CONTOSO.COM)`,
    );
    const k = parseHeimdalKlist((await c.ok('klist', ['-v', '-c', `FILE:${out}`])).stdout);
    expect(k.principal).toBe('alice@CONTOSO.COM');
    expect(k.tickets.map((t) => t.server)).toContain(SERVER);
  });

  /** Writes a selection of the recorded requests to test/fixtures/heimdal (KRBSIM_WRITE_HEIMDAL_FIXTURES=1). */
  function writeFixtures(): void {
    const pick: { name: string; step: string; index: number; notes: string }[] = [
      {
        name: 'as-req-no-preauth',
        step: 'kinit',
        index: 0,
        notes: '`kinit --password-file=STDIN alice@CONTOSO.COM`, first AS-REQ (PA-REQ-ENC-PA-REP only)',
      },
      {
        name: 'as-req-preauth',
        step: 'kinit',
        index: 1,
        notes: 'the same kinit after PREAUTH_REQUIRED: PA-ENC-TIMESTAMP',
      },
      {
        name: 'as-req-enterprise',
        step: 'kinit--enterprise',
        index: 1,
        notes: '`kinit --enterprise alice@CONTOSO.COM`: NT-ENTERPRISE cname, canonicalize',
      },
      { name: 'as-req-keytab', step: 'kinit-keytab', index: 0, notes: `\`kinit -k -t <keytab> ${SERVER}\`` },
      {
        name: 'tgs-req-cross-realm-tgt',
        step: 'kgetcred-trust',
        index: 0,
        notes: '`kgetcred HTTP/portal.fabrikam.com@FABRIKAM.COM` at CONTOSO.COM: krbtgt/FABRIKAM.COM',
      },
      {
        name: 'tgs-req-fabrikam',
        step: 'kgetcred-trust',
        index: 1,
        notes: 'the same kgetcred at FABRIKAM.COM with the cross-realm TGT',
      },
      {
        name: 'tgs-req-s4u2self',
        step: 'impersonate',
        index: 0,
        notes: `\`kgetcred --impersonate=alice@CONTOSO.COM ${SERVER}\`: PA-FOR-USER`,
      },
    ];
    const out: object[] = [];
    for (const p of pick) {
      // `index` counts the step's requests of the fixture's kind (AS-REQ 0x6a, TGS-REQ 0x6c).
      const tag = p.name.startsWith('as-req') ? 0x6a : 0x6c;
      const r = stepRequests(p.step).filter((x) => x.request[0] === tag)[p.index];
      if (r === undefined) throw new Error(`no request for fixture ${p.name}`);
      out.push(fixture(p.name, r, p.notes));
    }
    const nonces = stepRequests('nonces').filter((r) => r.request[0] === 0x6c);
    if (nonces.length === 0) throw new Error('no TGS-REQ recorded in the nonce step');
    // A nonce of 2^31 or more written in four bytes is negative on the wire (the codec's default form).
    const body = (r: (typeof nonces)[number]) => decodeKdcReq(r.request).reqBody;
    const negative = nonces.filter((r) => body(r).nonce >= 2 ** 31 && body(r).nonceForm === undefined);
    const positive = nonces.filter((r) => body(r).nonce < 2 ** 31);
    const kg = `\`kgetcred --no-store ${SERVER}\``;
    for (const [i, r] of negative.slice(0, 4).entries()) {
      out.push(fixture(`tgs-req-negative-nonce-${i + 1}`, r, `${kg}: nonce written as a negative INTEGER`));
    }
    for (const [i, r] of positive.slice(0, 2).entries()) {
      out.push(fixture(`tgs-req-positive-nonce-${i + 1}`, r, `${kg}: nonce below 2^31`));
    }
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(join(FIXTURES, 'messages.json'), `${JSON.stringify(out, null, 2)}\n`);
    const info = {
      heimdal: heimdal.version,
      packages: heimdalPackages(heimdal),
      capturedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      node: process.version,
      how: 'KRBSIM_WRITE_HEIMDAL_FIXTURES=1 pnpm vitest run test/interop/heimdal-clients.test.ts',
    };
    writeFileSync(join(FIXTURES, 'capture-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  }

  function fixture(name: string, r: Recorded, notes: string): object {
    const kind = decodeMessage(r.request).type;
    return { name, kind, realm: r.realm, hex: hex(r.request), notes };
  }
});

// Heimdal's client keeps ok-as-delegate on a service ticket got through a referral only when the
// referral TGT carries it too (get_cred.c: "only allow implicit ok_as_delegate if the realm is the
// client's realm"): the client side of MS-KILE 3.3.5.7.5's rule (MIT's library does the same, see
// gss-delegation.test.ts). Before krbsim's KDC set the flag on referral TGTs within a forest, Heimdal
// cleared it on every ticket from another domain.
describeWithHeimdal('Heimdal clients and TGT delegation across trusts (forest)', (heimdal) => {
  let dir: TempDir;
  let topo: RunningTopology;
  const log: RequestLogEntry[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('heimdal-forest');
    topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'forest.yaml')), {
      dir: dir.path,
      log: (e) => log.push(e),
    });
  });
  afterAll(async () => {
    await topo?.close();
    await dir?.remove();
  });

  it('keeps ok-as-delegate on a ticket from the forest root, and has none from the other forest', async () => {
    const c = new HeimdalClient(heimdal, dir.path, topo.files!.krb5conf, dir.file('cc-erin'), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );
    await c.ok('kinit', ['--password-file=STDIN', 'erin@EMEA.CONTOSO.COM'], { input: 'Er1n-Passw0rd\n' });
    await c.ok('kgetcred', ['HTTP/intranet.contoso.com@CONTOSO.COM']);
    await c.ok('kgetcred', ['HTTP/apps.fabrikam.com@FABRIKAM.COM']);
    const tickets = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout).tickets;
    const flagsOf = (server: string) => {
      const t = tickets.find((x) => x.server === server);
      expect(t, `${server} not in ${tickets.map((x) => x.server).join(', ')}`).toBeDefined();
      return t!.flags;
    };
    expect(flagsOf('krbtgt/CONTOSO.COM@EMEA.CONTOSO.COM')).toContain('ok-as-delegate');
    expect(flagsOf('HTTP/intranet.contoso.com@CONTOSO.COM')).toContain('ok-as-delegate');
    expect(flagsOf('krbtgt/FABRIKAM.COM@CONTOSO.COM')).not.toContain('ok-as-delegate');
    expect(flagsOf('HTTP/apps.fabrikam.com@FABRIKAM.COM')).not.toContain('ok-as-delegate');
  });
});

// The reference scenario with Heimdal's client: the on-prem realm refers a name under the trust's
// top-level name (windows.net) to Azure AD Kerberos, and the one-way trust lets no cloud user back.
// Heimdal 7.8 has no MS-KKDCP client, so its krb5.conf names the cloud KDC's own UDP port (the
// served KDC listens there too, behind its HTTPS proxy).
describeWithHeimdal('Heimdal clients across the Azure AD Kerberos trust (azure-trust)', (heimdal) => {
  const MI = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
  const CLOUD = 'KERBEROS.MICROSOFTONLINE.COM';
  let dir: TempDir;
  let topo: RunningTopology;
  let krb5conf: string;
  const log: RequestLogEntry[] = [];
  const client = (name: string) =>
    new HeimdalClient(heimdal, dir.path, krb5conf, dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  beforeAll(async () => {
    dir = await makeTempDir('heimdal-azure');
    topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')), {
      dir: dir.path,
      log: (e) => log.push(e),
    });
    krb5conf = dir.file('krb5-heimdal.conf');
    writeFileSync(krb5conf, krb5ConfWithoutProxy(topo, CLOUD));
  });
  afterAll(async () => {
    await topo?.close();
    await dir?.remove();
  });

  it("kgetcred --canonicalize follows CONTOSO's referral to the managed instance's realm", async () => {
    const c = client('alice');
    await c.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = log.length;
    await c.ok('kgetcred', ['--canonicalize', MI]);
    // CONTOSO's KDC answers the name with a referral to the cloud realm (Heimdal 7.8 asks it twice:
    // its capath attempt, then its referral loop), and the cloud KDC issues the ticket.
    const lines = log.slice(before).map((e) => `${e.realm} ${e.line}`);
    const referral = `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${MI}@CONTOSO.COM -> TGS-REP (referral to ${CLOUD})`;
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.slice(0, -1).every((l) => l === referral)).toBe(true);
    expect(lines.at(-1)).toBe(`${CLOUD} TGS-REQ alice@CONTOSO.COM for ${MI}@${CLOUD} -> TGS-REP`);
    const tickets = parseHeimdalKlist((await c.ok('klist', ['-v'])).stdout).tickets;
    // Heimdal files the ticket under the name asked for and under the realm that issued it.
    const issued = tickets.find((t) => t.server === `${MI}@${CLOUD}`);
    expect(issued, tickets.map((t) => t.server).join(', ')).toBeDefined();
    expect(issued!.client).toBe('alice@CONTOSO.COM');
    expect(issued!.etype).toBe('aes256-cts-hmac-sha1-96'); // Azure AD Kerberos: always etype 18
    expect(issued!.flags).toContain('transited-policy-checked');
  });

  it('a cloud user gets no ticket for an on-prem service: the trust is one-way', async () => {
    const c = client('cloudonly');
    await c.ok('kinit', ['--password-file=STDIN', `cloudonly@${CLOUD}`], { input: 'Cl0ud-Passw0rd\n' });
    const before = log.length;
    const r = await c.run('kgetcred', ['host/pc1.contoso.com@CONTOSO.COM']);
    expect(r.code, c.explain(r)).not.toBe(0);
    expect(r.stderr).toMatch(/unknown/);
    const lines = log.slice(before).map((e) => e.line);
    expect(lines.length).toBeGreaterThan(0);
    // Asked of the cloud KDC only, which has no way to CONTOSO.COM.
    expect(log.slice(before).every((e) => e.realm === CLOUD)).toBe(true);
    expect(lines.every((l) => l.endsWith('KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN (7)'))).toBe(true);
  });
});

// Heimdal's GSS-API initiator (gss-peer.c on its libgssapi) logs alice in to the Azure lab's instance:
// the host-based name MSSQLSvc@<fqdn>, CONTOSO's referral, the token in LOGIN7 (krbsim's TDS client),
// the AP-REP back to Heimdal. Heimdal has no MS-KKDCP client: krb5-direct.conf (--direct-kdc).
const HEIMDAL_TDS = "Heimdal's GSS token logs in to the Azure lab's managed instance over TDS";
describeWithHeimdal(HEIMDAL_TDS, (heimdal) => {
  const gcc = findTool('gcc');
  if (gcc === undefined) {
    describeUnavailable(HEIMDAL_TDS, 'gcc not found on PATH', 'install gcc');
    return;
  }
  const lab = servedAzureLab('heimdal-azure-lab', { directKdc: true });
  let peer: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    const { running } = lab;
    const ccache = lab.dir.file('cc-alice');
    const h = new HeimdalClient(heimdal, lab.dir.path, running.ports.krb5confDirect!, ccache, () => '');
    await h.ok('kinit', ['--password-file=STDIN', 'alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    peer = lab.dir.file('gss-peer-heimdal');
    await buildGssPeer(gcc, peer, heimdal.libDir);
    env = {
      KRB5_CONFIG: running.ports.krb5confDirect!,
      KRB5CCNAME: `FILE:${ccache}`,
      ...(heimdal.libDir === undefined ? {} : { LD_LIBRARY_PATH: heimdal.libDir }),
    };
  }, 180_000);

  it('alice, as CONTOSO\\alice, with mutual authentication', async () => {
    const { running } = lab;
    const mi = running.lab.managedInstances[0]!;
    const tds = running.ports.tds.mi1!;
    const c = await connectTds({
      host: tds.host,
      port: tds.port,
      encryption: 'on',
      tls: { ca: readFileSync(running.ports.ca, 'utf8'), servername: mi.fqdn },
    });
    const init = GssPeer.start(peer, ['init', `MSSQLSvc@${mi.fqdn}`, GssFlags.mutual.toString(16)], env);
    try {
      const r = await c.login({ sspi: await init.token(), hostName: 'HEIMDAL1' });
      if (!r.ok) throw new Error(`login refused: ${r.error.number} ${r.error.msgText}`);
      init.sendToken(r.responseToken!);
      expect((await init.ready()) & GssFlags.mutual).toBe(GssFlags.mutual);
      expect((await c.batch('SELECT SUSER_SNAME()')).results[0]!.rows).toEqual([['CONTOSO\\alice']]);
    } finally {
      c.close();
      await init.close();
    }
  });
});
