/**
 * Impacket 0.10.0 (Debian's python3-impacket), the Windows-minded Kerberos
 * and MS-TDS client, against krbsim: `getTGT`, `getST` (also with
 * `-impersonate` and `-force-forwardable`), `GetNPUsers`, `GetUserSPNs`,
 * `getPac` and `ticketer` against `startTopology` KDCs in process, and
 * `mssqlclient -k` against `krbsim serve` of an Azure SQL MI lab. The tools
 * run through `helpers/impacket-run.py`, which sends Impacket's port-88
 * connections to the ports the OS gave the KDCs.
 *
 * Impacket is written against Windows domain controllers and SQL Server,
 * which forgive what RFC 4120, RFC 4121 and MS-TDS ask for and Impacket does
 * not do. Where krbsim's AD realms answer as a DC does, Impacket's flows
 * run; where krbsim holds to the spec, the tests pin what Impacket does,
 * with the spec's section:
 * - it reads starttime unconditionally when it writes a ccache: an AD realm
 *   sends it as a DC does (`starttimeAlways`); an MIT realm leaves it out
 *   when it is the authtime (RFC 4120 5.3: OPTIONAL), and the driver's
 *   `--absent-times-as-zero` then writes the ccache's 0, "not set";
 * - its TGS-REQ authenticator carries no checksum of the request body,
 *   which RFC 4120 3.3.2 has the KDC verify: refused with
 *   KRB_AP_ERR_INAPP_CKSUM by default, as MIT's and Samba's KDCs refuse it,
 *   and served where the realm says so (`requireTgsReqChecksum: false`), as
 *   Windows DCs serve it: CONTOSO.COM and Azure AD's realm here;
 * - it knows no RFC 8009 etype, so an MIT realm's TGT (under its etype-20
 *   krbtgt key) is of no use to it;
 * - its PRELOGIN answer is read at fixed positions, not by the option
 *   offsets of MS-TDS 2.2.6.5: it finds the four options it asked for, as
 *   SQL Server answers MARS only to a client that sent it;
 * - its LOGIN7 token is SPNEGO whose mechToken is a bare AP-REQ without the
 *   GSS checksum (RFC 4121 4.1 and 4.1.1 ask for the framed token and the
 *   0x8003 checksum), under a ticket it renamed: the instance takes all
 *   three as SQL Server's Windows acceptor does (no checksum: no flags,
 *   MS-KILE 3.4.5; the renamed ticket opened with the account's key), and
 *   alice logs in; MIT's acceptor would take the missing checksum and the
 *   renamed ticket but not the bare AP-REQ, which it refuses unless it is
 *   DCE style (GSS_S_DEFECTIVE_TOKEN). With the whole session in TLS,
 *   Impacket's own TLS reader then fails on Python 3.
 *
 * - its NDR (ticketer's PACs) writes 0xcccccccc in the private header's
 *   Filler and pads with 0xab and 0xee, which MS-RPCE 2.2.6 and C706 have a
 *   receiver ignore: krbsim's service takes its silver tickets; given
 *   `-extra-sid`, it leaves the logon information unpadded, against
 *   MS-RPCE 2.2.6.2's MUST, and that is refused, as Samba refuses it.
 *
 * Skipped with a printed reason without Impacket (or MIT krb5's kvno, for
 * the TDS login); failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeTicket,
  formatPrincipal,
  TicketFlags,
} from '@krbsim/asn1';
import { credentialFromCcache, KerberosClient } from '@krbsim/client';
import { decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { type Ccache, readCcacheFile } from '@krbsim/files';
import {
  decodePac,
  encodePac,
  getPacBuffer,
  PacAttributesFlags,
  PacBufferType,
  parsePac,
  unwrapPac,
} from '@krbsim/pac';
import { KerberosService } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureLabPorts } from '../../packages/cli/src/azure-lab';
import { type RequestLogEntry, validateTopology } from '../../packages/cli/src/index';
import { findImpacket, runImpacket } from './helpers/impacket';
import { startKrbsimServe } from './helpers/krbsim-serve';
import {
  findTool,
  makeTempDir,
  type RunningProcess,
  runCommand,
  stopAllProcesses,
  type TempDir,
} from './helpers/processes';
import { servedTopology } from './helpers/served-topology';
import { describeUnavailable, itNeeds } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const TITLE = 'Impacket (getTGT, getST, ticketer, mssqlclient) against krbsim';
const ALICE = 'Al1ce-Passw0rd';
const WEBSVC = 'W3bsvc-Passw0rd';
const ROASTABLE = 'R0astable-Passw0rd';
const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';
const MI1_SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';

/** CONTOSO.COM with alice and websvc (constrained delegation to SQL01's SQL Server), and the Azure AD realm it refers *.windows.net to. */
const topology = () =>
  validateTopology({
    realms: [
      {
        name: 'CONTOSO.COM',
        kind: 'active-directory',
        domains: ['contoso.com'],
        domainSid: DOMAIN_SID,
        users: [
          { name: 'alice', password: ALICE },
          {
            name: 'websvc',
            password: WEBSVC,
            spns: ['HTTP/web.contoso.com'],
            delegation: { trustedToAuthenticate: true, allowedTo: ['MSSQLSvc/sql01.contoso.com:1433'] },
          },
          // Constrained delegation to SQL01 without protocol transition: its S4U2Self tickets are not forwardable.
          {
            name: 'websvc2',
            password: WEBSVC,
            spns: ['HTTP/web2.contoso.com'],
            delegation: { allowedTo: ['MSSQLSvc/sql01.contoso.com:1433'] },
          },
          { name: 'websvc3', password: WEBSVC, spns: ['HTTP/web3.contoso.com'] },
          // "Do not require Kerberos preauthentication": what AS-REP roasting looks for.
          { name: 'roastable', password: ROASTABLE, requiresPreauth: false },
        ],
        computers: [
          { name: 'SQL01', spns: ['MSSQLSvc/sql01.contoso.com:1433'] },
          // Resource-based constrained delegation: SQL02 lets websvc3 delegate to it.
          {
            name: 'SQL02',
            spns: ['MSSQLSvc/sql02.contoso.com:1433'],
            delegation: { allowedFrom: ['websvc3'] },
          },
        ],
        // As a Windows DC: Impacket's TGS-REQs carry no checksum of their body.
        policy: { requireTgsReqChecksum: false },
      },
      {
        name: 'KERBEROS.MICROSOFTONLINE.COM',
        kind: 'active-directory',
        policy: { renewableTgt: false, requireTgsReqChecksum: false },
        services: [{ spn: MI1_SPN }],
      },
      {
        // An AD realm with the default policy: a TGS-REQ without a body checksum refused, as MIT's
        // and Samba's KDCs refuse it (RFC 4120 3.3.2).
        name: 'FABRIKAM.COM',
        kind: 'active-directory',
        users: [{ name: 'alice', password: ALICE }],
        services: [{ spn: 'HTTP/web.fabrikam.com' }],
      },
      {
        // An MIT realm, as MIT's KDC answers: starttime left out when it is the authtime.
        name: 'EXAMPLE.ORG',
        users: [{ name: 'alice', password: ALICE }],
        services: [{ spn: 'HTTP/web.example.org' }],
      },
    ],
    trusts: [
      {
        trusting: 'KERBEROS.MICROSOFTONLINE.COM',
        trusted: 'CONTOSO.COM',
        direction: 'one-way',
        kind: 'forest',
        topLevelNames: ['windows.net'],
      },
    ],
  });

const impacket = findImpacket();

if (impacket.reason !== undefined) {
  describeUnavailable(TITLE, impacket.reason, 'install python3-impacket (scripts/setup.sh)');
} else {
  suite(impacket.python!);
}

function suite(python: string): void {
  describe(TITLE, () => {
    const internalErrors: string[] = [];
    const served = servedTopology('impacket', topology, {
      onInternalError: (realm, e) => internalErrors.push(`${realm}: ${String(e)}`),
    });
    const kdcs = () =>
      Object.fromEntries(
        [...served.topo.servers].map(([realm, s]) => [`${realm}:88`, `127.0.0.1:${s.tcpPort}`]),
      );
    const requests = (from: number) =>
      served.log.slice(from).map((e: RequestLogEntry) => `${e.realm} ${e.line}`);
    const explain = (r: { out: string; code: number | null }) =>
      `exit ${r.code}\n${r.out}\n--- krbsim\n${served.log.map((e) => `${e.realm} ${e.line}`).join('\n')}`;
    /** krbtgt/CONTOSO.COM's aes256 key of version `kvno` (default: the current one). */
    const krbtgtKey = (kvno?: number): Key =>
      served.topo.realms
        .get('CONTOSO.COM')!
        .keysFor('krbtgt/CONTOSO.COM', kvno)
        .find((k) => k.etype === 18)!;
    /** A fresh working directory for one test's files (Impacket writes `<name>.ccache` where it runs). */
    const workDir = async (name: string) => {
      const d = served.dir.file(name);
      await mkdir(d);
      return d;
    };
    /** getTGT for `user` of CONTOSO.COM, its ccache written in `cwd`. */
    const getTgt = async (cwd: string, user: string, password: string) => {
      // The served topology's ports.json (the driver's --ports) maps each realm's port 88.
      const r = await runImpacket(python, 'getTGT', [`CONTOSO.COM/${user}:${password}`], {
        map: {},
        ports: served.dir.file('ports.json'),
        cwd,
      });
      expect(r.code, explain(r)).toBe(0);
      return join(cwd, `${user}.ccache`);
    };
    /** The EncTicketPart of a ccache credential's ticket, opened with `principal`'s key in `realm`. */
    const openedTicket = (realm: string, principal: string, der: Uint8Array) => {
      const ticket = decodeTicket(der);
      const key = served.topo.realms
        .get(realm)!
        .keysFor(principal, ticket.encPart.kvno)
        .find((k) => k.etype === ticket.encPart.etype)!;
      return decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher));
    };

    afterAll(() => {
      // Whatever Impacket sent, no KDC met an error that was not a Kerberos refusal.
      expect(internalErrors).toEqual([]);
    });

    it("getTGT: the ccache holds alice's TGT, forwardable, proxiable, renewable, initial, pre-authenticated, with the PAC Impacket asked for", async () => {
      const cwd = await workDir('tgt');
      const before = served.log.length;
      const ccache: Ccache = await readCcacheFile(await getTgt(cwd, 'alice', ALICE));
      // Impacket sends PA-PAC-REQUEST alone, learns the salt from the refusal, then PA-ENC-TIMESTAMP.
      expect(requests(before)).toEqual([
        'CONTOSO.COM AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
        'CONTOSO.COM AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
      ]);
      expect(formatPrincipal(ccache.defaultPrincipal)).toBe('alice@CONTOSO.COM');
      expect(ccache.credentials).toHaveLength(1);
      const tgt = ccache.credentials[0]!;
      expect([formatPrincipal(tgt.client), formatPrincipal(tgt.server)]).toEqual([
        'alice@CONTOSO.COM',
        'krbtgt/CONTOSO.COM@CONTOSO.COM',
      ]);
      expect(tgt.ticketFlags).toBe(
        (TicketFlags.forwardable |
          TicketFlags.proxiable |
          TicketFlags.renewable |
          TicketFlags.initial |
          TicketFlags['pre-authent']) >>>
          0,
      );
      // Impacket asks for aes256-cts-hmac-sha1-96 alone. An AD realm sends starttime also when it is
      // the authtime, as a Windows DC does, which Impacket reads unconditionally.
      expect(tgt.key.etype).toBe(18);
      expect(tgt.starttime).toBe(tgt.authtime);
      expect(tgt.renewTill).toBeGreaterThan(tgt.endtime);
      const etp = openedTicket('CONTOSO.COM', 'krbtgt/CONTOSO.COM', tgt.ticket);
      const pac = decodePac(unwrapPac(etp.authorizationData)!);
      expect(getPacBuffer(pac, PacBufferType.LOGON_INFO)!.effectiveName).toBe('alice');
      expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)!.name).toBe('alice');
      // PA-PAC-REQUEST include-pac TRUE: the PAC says it was asked for (MS-PAC 2.14).
      expect(getPacBuffer(pac, PacBufferType.ATTRIBUTES_INFO)!.flags[0]).toBe(
        PacAttributesFlags.PAC_WAS_REQUESTED,
      );
    });

    it('getTGT from an MIT realm: no ccache for want of a starttime, unless the driver writes the absent one as 0', async () => {
      const cwd = await workDir('tgt-mit');
      const args = [`EXAMPLE.ORG/alice:${ALICE}`];
      const shipped = await runImpacket(python, 'getTGT', args, { map: kdcs(), cwd });
      // RFC 4120 5.3: starttime is OPTIONAL, authtime standing in; an MIT realm leaves it out then, as
      // MIT's KDC does, and Impacket 0.10.0 reads it unconditionally when it writes the ccache.
      expect(shipped.out, explain(shipped)).toContain('Attempted "__str__" operation on ASN.1 schema object');
      expect(existsSync(join(cwd, 'alice.ccache'))).toBe(false);
      const r = await runImpacket(python, 'getTGT', args, { map: kdcs(), cwd, absentTimesAsZero: true });
      expect(r.code, explain(r)).toBe(0);
      const tgt = (await readCcacheFile(join(cwd, 'alice.ccache'))).credentials[0]!;
      expect(formatPrincipal(tgt.server)).toBe('krbtgt/EXAMPLE.ORG@EXAMPLE.ORG');
      expect(tgt.starttime).toBe(0); // a ccache's "not set"
      // The TGT is under the MIT realm's strongest krbtgt key, aes256-cts-hmac-sha384-192 (RFC 8009),
      // an etype Impacket 0.10.0 does not know: it cannot use the ticket, whatever the KDC would say.
      expect(decodeTicket(tgt.ticket).encPart.etype).toBe(20);
      const st = await runImpacket(
        python,
        'getST',
        ['-k', '-no-pass', '-spn', 'HTTP/web.example.org', 'EXAMPLE.ORG/alice'],
        { map: kdcs(), cwd, ccache: join(cwd, 'alice.ccache'), absentTimesAsZero: true },
      );
      expect(st.out).toContain('20 is not a valid EncryptionTypes');
    });

    it("getST from a realm that requires the body checksum (the default) is refused with KRB_AP_ERR_INAPP_CKSUM: Impacket's authenticator has none", async () => {
      const cwd = await workDir('st-checksum');
      const tgt = await runImpacket(python, 'getTGT', [`FABRIKAM.COM/alice:${ALICE}`], { map: kdcs(), cwd });
      expect(tgt.code, explain(tgt)).toBe(0);
      const before = served.log.length;
      const r = await runImpacket(
        python,
        'getST',
        ['-k', '-no-pass', '-spn', 'HTTP/web.fabrikam.com', 'FABRIKAM.COM/alice'],
        { map: kdcs(), cwd, ccache: join(cwd, 'alice.ccache') },
      );
      // RFC 4120 3.3.2: the KDC verifies the authenticator's checksum of the request body; Impacket
      // sends none. MIT's and Samba's KDCs refuse it so; Windows DCs serve it (policy
      // requireTgsReqChecksum: false, as CONTOSO.COM here).
      expect(requests(before)).toEqual([
        'FABRIKAM.COM TGS-REQ alice@FABRIKAM.COM for HTTP/web.fabrikam.com@FABRIKAM.COM -> KRB-ERROR KRB_AP_ERR_INAPP_CKSUM (50)',
      ]);
      expect(r.out, explain(r)).toContain('KRB_AP_ERR_INAPP_CKSUM');
    });

    it("getST for the managed instance's SPN: Impacket follows CONTOSO.COM's referral to Azure AD's realm and gets the instance's ticket, with alice's PAC", async () => {
      const cwd = await workDir('st');
      const ccache = await getTgt(cwd, 'alice', ALICE);
      const before = served.log.length;
      const r = await runImpacket(python, 'getST', ['-k', '-no-pass', '-spn', MI1_SPN, 'CONTOSO.COM/alice'], {
        map: kdcs(),
        cwd,
        ccache,
      });
      expect(r.code, explain(r)).toBe(0);
      expect(requests(before)).toEqual([
        `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${MI1_SPN}@CONTOSO.COM -> TGS-REP (referral to KERBEROS.MICROSOFTONLINE.COM)`,
        `KERBEROS.MICROSOFTONLINE.COM TGS-REQ alice@CONTOSO.COM for ${MI1_SPN}@KERBEROS.MICROSOFTONLINE.COM -> TGS-REP`,
      ]);
      const written = await readCcacheFile(
        join(cwd, `alice@${MI1_SPN.replaceAll('/', '_')}@KERBEROS.MICROSOFTONLINE.COM.ccache`),
      ).catch(() => readCcacheFile(join(cwd, 'alice.ccache')));
      const st = written.credentials.find((c) => formatPrincipal(c.server).startsWith('MSSQLSvc/'))!;
      expect(formatPrincipal(st.server)).toBe(`${MI1_SPN}@KERBEROS.MICROSOFTONLINE.COM`);
      const etp = openedTicket('KERBEROS.MICROSOFTONLINE.COM', MI1_SPN, st.ticket);
      expect(formatPrincipal(etp.cname, etp.crealm)).toBe('alice@CONTOSO.COM');
      // The referral crossed the trust: the transited field names CONTOSO.COM, and the PAC is alice's.
      const pac = decodePac(unwrapPac(etp.authorizationData)!);
      expect(getPacBuffer(pac, PacBufferType.LOGON_INFO)!.effectiveName).toBe('alice');
    });

    it('getST -impersonate alice (S4U2Self, then S4U2Proxy to SQL01): websvc gets a ticket to SQL01 naming alice', async () => {
      const cwd = await workDir('s4u');
      const before = served.log.length;
      const r = await runImpacket(
        python,
        'getST',
        ['-spn', 'MSSQLSvc/sql01.contoso.com:1433', '-impersonate', 'alice', `CONTOSO.COM/websvc:${WEBSVC}`],
        { map: kdcs(), cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      // websvc is trusted to authenticate for delegation to SQL01's SQL Server (MS-SFU 3.2.5.1.2).
      expect(requests(before)).toEqual([
        'CONTOSO.COM AS-REQ websvc@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
        'CONTOSO.COM AS-REQ websvc@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
        'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for websvc@CONTOSO.COM -> TGS-REP (S4U2Self for alice@CONTOSO.COM)',
        'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for MSSQLSvc/sql01.contoso.com:1433@CONTOSO.COM -> TGS-REP (S4U2Proxy for alice@CONTOSO.COM)',
      ]);
      const written = await readCcacheFile(join(cwd, 'alice.ccache'));
      const st = written.credentials[0]!;
      expect(formatPrincipal(st.server)).toBe('MSSQLSvc/sql01.contoso.com:1433@CONTOSO.COM');
      const etp = openedTicket('CONTOSO.COM', 'SQL01$', st.ticket);
      expect(formatPrincipal(etp.cname, etp.crealm)).toBe('alice@CONTOSO.COM');
      const pac = decodePac(unwrapPac(etp.authorizationData)!);
      expect(getPacBuffer(pac, PacBufferType.LOGON_INFO)!.effectiveName).toBe('alice');
      // S4U_DELEGATION_INFO (MS-PAC 2.9): websvc delegated.
      const delegation = getPacBuffer(pac, PacBufferType.DELEGATION_INFO)!;
      expect(delegation.s4u2proxyTarget).toBe('MSSQLSvc/sql01.contoso.com:1433');
      expect(delegation.s4uTransitedServices).toEqual(['websvc@CONTOSO.COM']);
    });

    it('GetNPUsers (AS-REP roasting): only the account without pre-authentication gets an AS-REP, whose enc-part is the hash it prints', async () => {
      const cwd = await workDir('asrep');
      await writeFile(join(cwd, 'users.txt'), 'alice\nroastable\nnobody\n');
      const before = served.log.length;
      const r = await runImpacket(
        python,
        'GetNPUsers',
        [
          'CONTOSO.COM/',
          '-no-pass',
          '-usersfile',
          'users.txt',
          '-format',
          'hashcat',
          '-outputfile',
          'hashes.txt',
        ],
        { map: kdcs(), cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      // It asks for rc4-hmac first, which an AD realm without weak crypto does not serve, then for AES.
      const AS = (user: string, answer: string) =>
        `CONTOSO.COM AS-REQ ${user}@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> ${answer}`;
      expect(requests(before)).toEqual([
        AS('alice', 'KRB-ERROR KDC_ERR_ETYPE_NOSUPP (14)'),
        AS('alice', 'KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)'),
        AS('roastable', 'KRB-ERROR KDC_ERR_ETYPE_NOSUPP (14)'),
        AS('roastable', 'AS-REP'),
        AS('nobody', 'KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN (6)'),
      ]);
      expect(r.out).toContain("User alice doesn't have UF_DONT_REQUIRE_PREAUTH set");
      const lines = (await readFile(join(cwd, 'hashes.txt'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(1);
      // $krb5asrep$<etype>$<user>@<realm>:<first 16 octets of the enc-part>$<the rest>, hex.
      const m = /^\$krb5asrep\$18\$roastable@CONTOSO\.COM:([0-9a-f]{32})\$([0-9a-f]+)$/.exec(lines[0]!);
      expect(m, lines[0]).not.toBeNull();
      const cipher = Buffer.from(m![1]! + m![2]!, 'hex');
      const key = served.topo.realms
        .get('CONTOSO.COM')!
        .keysFor('roastable')
        .find((k) => k.etype === 18)!;
      // What a cracker would test each guess against: the EncASRepPart under the user's key (usage 3).
      const part = decodeEncKdcRepPart(decrypt(key, KeyUsage.AS_REP_ENCPART, cipher));
      expect(formatPrincipal(part.sname, part.srealm)).toBe('krbtgt/CONTOSO.COM@CONTOSO.COM');
    });

    it('GetUserSPNs -usersfile (Kerberoasting): a ticket for the account with SPNs, under its key, as the hash it prints', async () => {
      const cwd = await workDir('kerberoast');
      await writeFile(join(cwd, 'users.txt'), 'websvc\nalice\nnobody\n');
      const before = served.log.length;
      const r = await runImpacket(
        python,
        'GetUserSPNs',
        [`CONTOSO.COM/alice:${ALICE}`, '-usersfile', 'users.txt', '-outputfile', 'hashes.txt'],
        { map: kdcs(), cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      // Each name asked for as an enterprise name (RFC 6806): websvc's account gets a ticket; a user
      // without SPNs is refused as a DC refuses it (user-to-user required); an unknown name is unknown.
      expect(requests(before).filter((l) => l.includes('TGS-REQ'))).toEqual([
        'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for websvc@CONTOSO.COM -> TGS-REP',
        'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for alice@CONTOSO.COM -> KRB-ERROR KDC_ERR_MUST_USE_USER2USER (27)',
        'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for nobody@CONTOSO.COM -> KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN (7)',
      ]);
      const lines = (await readFile(join(cwd, 'hashes.txt'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(1);
      // $krb5tgs$18$<user>$<realm>$*<spn>*$<the last 12 octets, the MAC>$<the rest>, hex.
      const m = /^\$krb5tgs\$18\$websvc\$CONTOSO\.COM\$\*websvc\*\$([0-9a-f]{24})\$([0-9a-f]+)$/.exec(
        lines[0]!,
      );
      expect(m, lines[0]).not.toBeNull();
      const cipher = Buffer.from(m![2]! + m![1]!, 'hex');
      const key = served.topo.realms
        .get('CONTOSO.COM')!
        .keysFor('websvc')
        .find((k) => k.etype === 18)!;
      // What a cracker tests guesses against: the EncTicketPart under the service account's key.
      const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, cipher));
      expect(formatPrincipal(etp.cname, etp.crealm)).toBe('alice@CONTOSO.COM');
    });

    it("getPac (S4U2Self with user-to-user): a plain user reads another user's PAC in a ticket under her own TGT's session key", async () => {
      const cwd = await workDir('getpac');
      const before = served.log.length;
      const r = await runImpacket(python, 'getPac', [`CONTOSO.COM/alice:${ALICE}`, '-targetUser', 'websvc'], {
        map: kdcs(),
        cwd,
      });
      expect(r.code, explain(r)).toBe(0);
      // One TGS-REQ: PA-FOR-USER websvc (its checksum HMAC-MD5, as MS-SFU 2.2.1 has it), enc-tkt-in-skey
      // with alice's TGT as the additional ticket: the ticket comes under that TGT's session key, which
      // alice holds, so she decrypts it and reads the PAC (MS-SFU 3.2.5.1.2 and RFC 4120 3.7 together,
      // as a DC serves them).
      expect(requests(before)).toEqual([
        'CONTOSO.COM AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
        'CONTOSO.COM AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
        'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for alice@CONTOSO.COM -> TGS-REP (S4U2Self for websvc@CONTOSO.COM)',
      ]);
      // Impacket prints the KERB_VALIDATION_INFO it decoded: websvc's, in CONTOSO's domain, with the
      // S4U2Self mark S-1-18-2 ("service asserted identity", MS-PAC 2.2.1) in ExtraSids.
      const out = r.out.replace(/\s+/g, ' ');
      expect(out).toContain("EffectiveName: 'websvc'");
      expect(out).toContain("LogonDomainName: 'CONTOSO'");
      expect(out).toContain(`SubAuthority: [ ${DOMAIN_SID.split('-').slice(3).join(', ')}, ]`);
      expect(out).toContain('PrimaryGroupId: 513');
      expect(out).toMatch(
        /ExtraSids: \[ Sid: Revision: 1 SubAuthorityCount: 1 IdentifierAuthority: b'\\x00\\x00\\x00\\x00\\x00\\x12' SubAuthority: \[ 2, \]/,
      );
    });

    it('getST -impersonate through resource-based delegation: SQL02 lets websvc3 act for alice', async () => {
      const cwd = await workDir('rbcd');
      const before = served.log.length;
      const r = await runImpacket(
        python,
        'getST',
        ['-spn', 'MSSQLSvc/sql02.contoso.com:1433', '-impersonate', 'alice', `CONTOSO.COM/websvc3:${WEBSVC}`],
        { map: kdcs(), cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      // websvc3 is not trusted to authenticate for delegation and has no classic targets: its S4U2Self
      // ticket is forwardable as asked (MS-SFU 3.2.5.1.2); resource-based delegation would take it either
      // way (MS-SFU 3.2.5.2.3: with msDS-AllowedToActOnBehalfOfOtherIdentity it need not be).
      expect(requests(before).slice(2)).toEqual([
        'CONTOSO.COM TGS-REQ websvc3@CONTOSO.COM for websvc3@CONTOSO.COM -> TGS-REP (S4U2Self for alice@CONTOSO.COM)',
        'CONTOSO.COM TGS-REQ websvc3@CONTOSO.COM for MSSQLSvc/sql02.contoso.com:1433@CONTOSO.COM -> TGS-REP (S4U2Proxy for alice@CONTOSO.COM)',
      ]);
      const st = (await readCcacheFile(join(cwd, 'alice.ccache'))).credentials[0]!;
      const etp = openedTicket('CONTOSO.COM', 'SQL02$', st.ticket);
      expect(formatPrincipal(etp.cname, etp.crealm)).toBe('alice@CONTOSO.COM');
      const pac = decodePac(unwrapPac(etp.authorizationData)!);
      expect(getPacBuffer(pac, PacBufferType.DELEGATION_INFO)!.s4uTransitedServices).toEqual([
        'websvc3@CONTOSO.COM',
      ]);
    });

    it('getST -force-forwardable (Bronze Bit, CVE-2020-17049): the flipped forwardable bit is caught by the PAC ticket signature', async () => {
      const cwd = await workDir('bronze');
      const args = [
        '-spn',
        'MSSQLSvc/sql01.contoso.com:1433',
        '-impersonate',
        'alice',
        `CONTOSO.COM/websvc2:${WEBSVC}`,
      ];
      const S4U = [
        'CONTOSO.COM AS-REQ websvc2@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
        'CONTOSO.COM AS-REQ websvc2@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
        'CONTOSO.COM TGS-REQ websvc2@CONTOSO.COM for websvc2@CONTOSO.COM -> TGS-REP (S4U2Self for alice@CONTOSO.COM)',
      ];
      // websvc2 may delegate to SQL01 but is not trusted to authenticate for delegation: its S4U2Self
      // ticket is not forwardable, so S4U2Proxy is refused (MS-SFU 3.2.5.2.2).
      const b0 = served.log.length;
      const plain = await runImpacket(python, 'getST', args, { map: kdcs(), cwd });
      expect(requests(b0)).toEqual([
        ...S4U,
        'CONTOSO.COM TGS-REQ websvc2@CONTOSO.COM for MSSQLSvc/sql01.contoso.com:1433@CONTOSO.COM -> KRB-ERROR KDC_ERR_BADOPTION (13)',
      ]);
      expect(plain.out).toContain('KDC_ERR_BADOPTION');
      // Impacket decrypts the S4U2Self ticket with websvc2's key, sets forwardable and encrypts it again;
      // the PAC's ticket signature (MS-PAC 2.8.3) no longer matches: KRB_AP_ERR_MODIFIED, as a patched DC.
      const b1 = served.log.length;
      const forced = await runImpacket(python, 'getST', [...args, '-force-forwardable'], {
        map: kdcs(),
        cwd,
      });
      expect(forced.out).toContain('Forcing the service ticket to be forwardable');
      expect(requests(b1)).toEqual([
        ...S4U,
        'CONTOSO.COM TGS-REQ websvc2@CONTOSO.COM for MSSQLSvc/sql01.contoso.com:1433@CONTOSO.COM -> KRB-ERROR KRB_AP_ERR_MODIFIED (41)',
      ]);
      expect(existsSync(join(cwd, 'alice.ccache'))).toBe(false);
    });

    it("ticketer: a golden ticket under a key that is not the realm's is refused with KRB_AP_ERR_MODIFIED; under the realm's, for its PAC", async () => {
      const cwd = await workDir('ticketer');
      const r = await runImpacket(
        python,
        'ticketer',
        ['-aesKey', '11'.repeat(32), '-domain-sid', DOMAIN_SID, '-domain', 'CONTOSO.COM', 'mallory'],
        { map: {}, cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      // ticketer writes key version 2, as an AD domain's krbtgt has once the domain is set up; this
      // realm's starts at 1, and a ticket of a version the KDC does not hold would be refused for
      // that alone (KRB_AP_ERR_BADKEYVER, RFC 4120 3.2.3). Version 2 it is, the old one still served.
      expect(served.topo.realms.get('CONTOSO.COM')!.rotateKrbtgt()).toBe(2);
      const before = served.log.length;
      const st = await runImpacket(
        python,
        'getST',
        ['-k', '-no-pass', '-spn', 'HTTP/web.contoso.com', 'CONTOSO.COM/mallory'],
        { map: kdcs(), cwd, ccache: join(cwd, 'mallory.ccache') },
      );
      // The ticket does not decrypt under krbtgt/CONTOSO.COM: KRB_AP_ERR_MODIFIED, as a Windows DC
      // answers (the realm's ticketDecryptFailureCode); MIT says KRB_AP_ERR_BAD_INTEGRITY.
      // (The KDC's log has no client name for a ticket it could not open.)
      expect(requests(before)).toEqual([
        'CONTOSO.COM TGS-REQ ? for HTTP/web.contoso.com@CONTOSO.COM -> KRB-ERROR KRB_AP_ERR_MODIFIED (41)',
      ]);
      expect(st.out).toContain('KRB_AP_ERR_MODIFIED');
      // The control: the same forgery under the realm's aes256 krbtgt key gets past the ticket's
      // decryption, so the refusal above is the key's.
      const control = await workDir('ticketer-control');
      const realKey = Buffer.from(krbtgtKey().bytes).toString('hex');
      await runImpacket(
        python,
        'ticketer',
        ['-aesKey', realKey, '-domain-sid', DOMAIN_SID, '-domain', 'CONTOSO.COM', 'mallory'],
        { map: {}, cwd: control },
      );
      const from = served.log.length;
      await runImpacket(
        python,
        'getST',
        ['-k', '-no-pass', '-spn', 'HTTP/web.contoso.com', 'CONTOSO.COM/mallory'],
        { map: kdcs(), cwd: control, ccache: join(control, 'mallory.ccache') },
      );
      // It decrypts, and is refused for its PAC: Impacket 0.10.0's ticketer writes no PAC_REQUESTOR,
      // which a DC has required of its TGTs since the November 2021 updates (MS-PAC 2.14).
      expect(requests(from)).toEqual([
        'CONTOSO.COM TGS-REQ mallory@CONTOSO.COM for HTTP/web.contoso.com@CONTOSO.COM -> KRB-ERROR KDC_ERR_TGT_REVOKED (20)',
      ]);
      const forged = (await readCcacheFile(join(control, 'mallory.ccache'))).credentials[0]!;
      const forgedPac = unwrapPac(
        openedTicket('CONTOSO.COM', 'krbtgt/CONTOSO.COM', forged.ticket).authorizationData,
      )!;
      const types = parsePac(forgedPac).buffers.map((b) => b.type);
      expect(types).toContain(PacBufferType.LOGON_INFO);
      expect(types).not.toContain(PacBufferType.REQUESTOR);
    });

    /**
     * A silver ticket: ticketer's ticket for HTTP/web.contoso.com under websvc's aes256 key, for
     * alice (user 1105 in groups 513 and 512, and `extra` more SIDs), written in a new directory
     * `name`. Returns the credential, the ticket's PAC and an AP-REQ for it (SPNEGO).
     */
    const silverTicket = async (name: string, extra: string[]) => {
      const cwd = await workDir(name);
      const key = served.topo.realms
        .get('CONTOSO.COM')!
        .keysFor('HTTP/web.contoso.com')
        .find((k) => k.etype === 18)!;
      const r = await runImpacket(
        python,
        'ticketer',
        [
          ...['-aesKey', Buffer.from(key.bytes).toString('hex'), '-spn', 'HTTP/web.contoso.com'],
          ...['-domain-sid', DOMAIN_SID, '-domain', 'CONTOSO.COM', '-user-id', '1105', '-groups', '513,512'],
          ...(extra.length > 0 ? ['-extra-sid', extra.join(',')] : []),
          'alice',
        ],
        { map: {}, cwd },
      );
      expect(r.code, explain(r)).toBe(0);
      const forged = (await readCcacheFile(join(cwd, 'alice.ccache'))).credentials[0]!;
      const sealed = decodeTicket(forged.ticket).encPart;
      const pac = unwrapPac(
        decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, sealed.cipher)).authorizationData,
      )!;
      // ticketer names kvno 2; the service's keytab holds websvc's key under that version.
      const service = new KerberosService({
        keytab: [{ principal: forged.server, kvno: sealed.kvno!, key }],
        principal: 'HTTP/web.contoso.com@CONTOSO.COM',
      });
      const client = new KerberosClient({ realm: 'CONTOSO.COM', transport: new InProcessTransport() });
      const { token } = client.buildApReq(credentialFromCcache(forged), { gss: 'spnego' });
      return { pac, service, token };
    };

    it("ticketer -spn (a silver ticket): krbsim's service accepts it and reads Impacket's PAC, with its fillers and padding", async () => {
      const { pac, service, token } = await silverTicket('ticketer-silver', []);
      // Impacket's NDR: the private header's Filler is 0xcccccccc (MS-RPCE 2.2.6.2: write 0, ignore
      // on receipt) and it pads with 0xab and 0xee (alignment padding is ignored on receipt);
      // decoding records both, and the PAC re-encodes to its own bytes.
      const info = getPacBuffer(decodePac(pac), PacBufferType.LOGON_INFO)!;
      expect(info.ndrForm?.headerFillers).toEqual([0xcccccccc, 0xcccccccc]);
      expect(new Set(info.ndrForm?.padding?.flatMap((p) => [...p.bytes]))).toEqual(new Set([0xab, 0xee]));
      expect(Buffer.from(encodePac(decodePac(pac))).equals(pac)).toBe(true);
      const session = service.accept(token);
      expect(session.clientPrincipal).toBe('alice@CONTOSO.COM');
      expect(session.pac?.sids).toEqual({
        user: `${DOMAIN_SID}-1105`,
        groups: [`${DOMAIN_SID}-513`, `${DOMAIN_SID}-512`],
      });
      expect(session.pac?.verifiedSignatures).toEqual(['server']);
    });

    it('ticketer -spn -extra-sid: the logon information is not padded to 8 bytes (MS-RPCE 2.2.6.2 MUST), and is refused as Samba refuses it', async () => {
      const { pac, service, token } = await silverTicket('ticketer-silver-extra', [`${DOMAIN_SID}-1111`]);
      // The directory's first entry (type, size, offset) is the logon information's; its
      // ObjectBufferLength is 8 bytes into the buffer.
      const b = Buffer.from(pac);
      expect(b.readUInt32LE(8)).toBe(PacBufferType.LOGON_INFO);
      expect(b.readUInt32LE(b.readUInt32LE(16) + 8) % 8).not.toBe(0);
      expect(() => decodePac(pac)).toThrow(
        /KERB_VALIDATION_INFO\.PrivateHeader\.ObjectBufferLength: ObjectBufferLength \d+ is not a multiple of 8/,
      );
      expect(() => service.accept(token)).toThrow(
        expect.objectContaining({ codeName: 'KRB_AP_ERR_MODIFIED' }),
      );
    });

    describe('mssqlclient -k against krbsim serve (an Azure SQL MI lab)', () => {
      const kvno = findTool('kvno');
      let dir: TempDir;
      let serve: RunningProcess;
      let ports: AzureLabPorts;
      beforeAll(async () => {
        dir = await makeTempDir('impacket-mi');
        // The shipped lab (mi1: encryption required) with a second instance, mi2, whose encryption is login-only.
        const lab = (await readFile(join(ROOT, 'packages/cli/examples/azure-sql-mi.yaml'), 'utf8')).replace(
          /^client:/m,
          [
            '  - name: mi2',
            '    dnsZone: abc123',
            '    subnet: 10.0.1.0/24',
            '    encryption: login-only',
            '    logins: [CONTOSO\\alice]',
            'client:',
          ].join('\n'),
        );
        await writeFile(dir.file('lab.yaml'), lab);
        // The TDS connections' own lines (PRELOGIN, LOGIN7) are the listeners': --log-level debug.
        serve = startKrbsimServe([dir.file('lab.yaml'), '--dir', dir.file('lab'), '--log-level', 'debug']);
        await serve.waitForOutput((out) => out.includes('ready; Ctrl-C to stop'), 90_000);
        ports = JSON.parse(await readFile(dir.file('lab', 'ports.json'), 'utf8')) as AzureLabPorts;
      });
      afterAll(async () => {
        await stopAllProcesses();
        await dir?.remove();
      });

      /**
       * In a new directory `cwd`: alice's TGT from Impacket's getTGT, then the instance's ticket for
       * `host` added to that ccache by MIT's kvno. Impacket cannot reach Azure AD's KDC (HTTPS KDC proxy
       * only), and the lab's realms require the body checksum its TGS-REQs lack: kvno gets the ticket,
       * through the proxy. Returns the ccache's path.
       */
      async function aliceWithTicketFor(host: string, cwd: string): Promise<string> {
        await mkdir(cwd);
        const r0 = await runImpacket(python, 'getTGT', [`CONTOSO.COM/alice:${ALICE}`], {
          map: {},
          ports: dir.file('lab', 'ports.json'),
          cwd,
        });
        expect(r0.code, r0.out).toBe(0);
        const ccache = join(cwd, 'alice.ccache');
        const v = await runCommand(kvno!, [`MSSQLSvc/${host}:1433`], {
          env: { KRB5_CONFIG: ports.krb5conf, KRB5CCNAME: `FILE:${ccache}` },
        });
        expect(v.code, v.stderr + serve.stdout()).toBe(0);
        return ccache;
      }

      it("PRELOGIN: Impacket reads mi1's ENCRYPT_REQ from the four options it asked for, at fixed positions", async () => {
        // MS-TDS 2.2.6.5 has each option found by its offset; Impacket's TDS_PRELOGIN reads its own four
        // (VERSION, ENCRYPTION, INSTOPT, THREADID) at fixed positions, which works because SQL Server,
        // and the instance, answer MARS only to a client that sent it.
        const script = [
          'import sys',
          'from impacket.tds import MSSQL',
          'ms = MSSQL("127.0.0.1", int(sys.argv[1]))',
          'ms.connect()',
          'print("Encryption", ms.preLogin()["Encryption"])',
          'ms.disconnect()',
        ].join('\n');
        const r = await runCommand(python, ['-c', script, String(ports.tds.mi1!.port)], {
          timeoutMs: 30_000,
        });
        expect(r.stdout.trim(), r.stderr).toBe('Encryption 3'); // ENCRYPT_REQ
        await serve.waitForOutput((out) =>
          /mi1 spid \d+: PRELOGIN: client ENCRYPTION 0x0, answered 0x3 \(full\)/.test(out),
        );
      });

      for (const [mi, answered, tls] of [
        ['mi1', '0x3 \\(full\\)', 'whole session'],
        ['mi2', '0x0 \\(login-only\\)', 'login only'],
      ] as const) {
        itNeeds(
          kvno === undefined ? 'kvno not found on PATH (install krb5-user)' : undefined,
          `mssqlclient -k -no-pass with the instance's ticket in the ccache: alice logs in to ${mi} (TLS: ${tls})${mi === 'mi2' ? ' and SELECT SUSER_SNAME() says CONTOSO\\alice' : ', where Impacket reads no TLS answer'}`,
          async () => {
            const host = `${mi}.abc123.database.windows.net`;
            // The served lab's ports.json maps CONTOSO.COM:88 and each instance's host:1433 (--ports).
            const map = {};
            const portsFile = dir.file('lab', 'ports.json');
            const cwd = dir.file(mi);
            const ccache = await aliceWithTicketFor(host, cwd);
            await writeFile(join(cwd, 'query.sql'), 'SELECT SUSER_SNAME()\n');
            const r = await runImpacket(
              python,
              'mssqlclient',
              ['-k', '-no-pass', '-debug', '-file', join(cwd, 'query.sql'), host],
              { map, ports: portsFile, cwd, ccache },
            );
            // Impacket asks its ccache for MSSQLSvc/<target>:<port>, the instance's real SPN, and finds it.
            const spn = `MSSQLSVC/${host.toUpperCase()}:1433`;
            expect(r.out).toContain(`Returning cached credential for ${spn}@CONTOSO.COM`);
            expect(r.out).toContain('Using TGS from cache');
            // It renames the ticket to that SPN in the user's realm (the sname is not encrypted, and
            // Windows' SSPI does not look at it): the AP-REQ names a server no KDC issued it for.
            expect(r.out).toContain(
              `Changing sname from MSSQLSvc/${host}:1433@KERBEROS.MICROSOFTONLINE.COM to ${spn}@CONTOSO.COM`,
            );
            // LOGIN7 as Impacket writes it (TDS 7.1, bytes 00 00 00 71) is read. Its SSPI token is SPNEGO
            // whose mechToken is a bare AP-REQ (0x6e), without RFC 4121 4.1's InitialContextToken and
            // with no authenticator checksum: taken as Windows' SSPI takes it (no checksum: MS-KILE 3.4.5;
            // MIT's acceptor would refuse the bare AP-REQ), and the renamed ticket is opened with the
            // instance's key.
            const log = await serve.waitForOutput((out) =>
              new RegExp(`${mi} spid \\d+: logged in as `).test(out),
            );
            expect(log).toMatch(
              new RegExp(`${mi} spid \\d+: PRELOGIN: client ENCRYPTION 0x0, answered ${answered}`),
            );
            expect(log).toMatch(new RegExp(`${mi} spid \\d+: LOGIN7: TDS 0x71000000, `));
            expect(log).toMatch(
              new RegExp(`${mi} spid \\d+: logged in as CONTOSO\\\\alice \\(TDS 0x71000000, `),
            );
            if (mi === 'mi1') {
              // The whole session in TLS: the instance answered the login, and Impacket 0.10.0's own
              // TLS reader fails on Python 3 (it joins the bytes it reads to a str): its bug, pinned.
              expect(r.out).toContain('can only concatenate str (not "bytes") to str');
              return;
            }
            // SELECT SUSER_SNAME(), answered in the session Impacket opened.
            expect(r.out, r.out).toContain('CONTOSO\\alice');
            expect(r.out).not.toContain('Login failed');
          },
        );
      }

      itNeeds(
        kvno === undefined ? 'kvno not found on PATH (install krb5-user)' : undefined,
        "TDS 8.0: Impacket's MSSQL over a TLS-first socket (ALPN tds/8.0): PRELOGIN, a Kerberos LOGIN7 and SELECT SUSER_SNAME() inside it",
        async () => {
          // Impacket knows no TDS 8.0; it speaks TDS over whatever socket it is given, so this script
          // opens the TLS first, as a driver's Encrypt=Strict does, and lends it the socket. The instance
          // answers its PRELOGIN with ENCRYPT_ON (the session is encrypted): Impacket then starts no TLS of
          // its own and sends LOGIN7, as a TDS 8.0 client does.
          const host = 'mi1.abc123.database.windows.net';
          const ccache = await aliceWithTicketFor(host, dir.file('tds8'));
          const script = [
            'import socket, ssl, sys',
            'from impacket.tds import MSSQL',
            'port, host, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]',
            'class Tds8(MSSQL):',
            '    def connect(self):',
            '        ctx = ssl.create_default_context(cafile=ca)',
            "        ctx.set_alpn_protocols(['tds/8.0'])",
            "        raw = socket.create_connection(('127.0.0.1', port))",
            '        self.socket = ctx.wrap_socket(raw, server_hostname=host)',
            "        print('TLS', self.socket.version(), self.socket.selected_alpn_protocol(), flush=True)",
            "# The SPN Impacket asks its ccache for names port 1433, the instance's.",
            'ms = Tds8(host, 1433)',
            'ms.connect()',
            "ok = ms.kerberosLogin(None, 'alice', domain='CONTOSO.COM', useCache=True)",
            "print('login', ok, flush=True)",
            "ms.sql_query('SELECT SUSER_SNAME()')",
            "print('rows', ms.rows, flush=True)",
            'ms.disconnect()',
          ].join('\n');
          const r = await runCommand(python, ['-c', script, String(ports.tds.mi1!.port), host, ports.ca], {
            timeoutMs: 60_000,
            env: { KRB5CCNAME: ccache }, // Impacket reads a path, not a ccache type
          });
          expect(r.stdout, r.stderr).toContain('TLS TLSv1.3 tds/8.0');
          expect(
            r.stdout,
            `${r.stdout}${r.stderr}${serve
              .stdout()
              .split('\n')
              .filter((l) => l.includes('mi1 spid'))
              .slice(-12)
              .join('\n')}`,
          ).toContain('login True');
          expect(r.stdout, r.stderr).toMatch(/rows \[\{'': 'CONTOSO\\\\alice'\}\]/);
          const log = await serve.waitForOutput((out) =>
            /mi1 spid \d+: logged in as CONTOSO\\alice \(TDS 0x71000000/.test(out),
          );
          expect(log).toMatch(/mi1 spid \d+: TLS TLSv1\.3 \S+ first \(TDS 8\.0, ALPN tds\/8\.0\)/);
          expect(log).toMatch(/mi1 spid \d+: PRELOGIN in TLS \(TDS 8\.0\): answered ENCRYPT_ON/);
        },
      );
    });
  });
}
