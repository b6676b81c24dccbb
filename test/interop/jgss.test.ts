/**
 * Java's own Kerberos (JGSS and sun.security.krb5 of OpenJDK 17), the third
 * implementation beside MIT's and Heimdal's and the one behind Java's JDBC
 * drivers (`authenticationScheme=JavaKerberos`), on the reference scenario
 * (examples/azure-trust.yaml), through jgss/JgssPeer.java:
 *
 * - a JDBC driver's way to the managed instance: Java's Krb5LoginModule logs
 *   alice in (its AS-REQ without pre-authentication, then PA-ENC-TIMESTAMP,
 *   the AS-REP too big for UDP and asked again over TCP), then imports
 *   `MSSQLSvc/<host>:1433` without a name type, as the driver does, which
 *   Java sends as NT-UNKNOWN in the default realm with canonicalize; CONTOSO's
 *   KDC refers it to Azure AD Kerberos as it refers an SPN of any other name
 *   type (before, it answered KDC_ERR_S_PRINCIPAL_UNKNOWN, and a JDBC client
 *   could not reach the instance); the instance's keytab accepts the token,
 *   with the TGT Java delegates when asked, and per-message tokens pass both
 *   ways;
 * - Java's SPNEGO initiator, answered by krbsim's accept-completed;
 * - Java's acceptor, from the keytab krbsim wrote, taking krbsim's client's
 *   AP-REQ, raw GSS and in SPNEGO;
 * - the one-way trust: a cloud user gets no ticket for an on-prem service;
 * - in an MIT realm with aes256-cts-hmac-sha384-192 only (RFC 8009): Java's
 *   exchanges and context keys of etype 20, Wrap and MIC both ways;
 * - a Java service with constrained delegation (ExtendedGSSCredential's
 *   impersonate): S4U2Self for its user, S4U2Proxy to the SQL service it may
 *   delegate to, whose acceptor sees the user and the PAC's
 *   S4U_DELEGATION_INFO; KDC_ERR_BADOPTION for a service it may not.
 *
 * Java has no MS-KKDCP client: its krb5.conf names the cloud KDC's own port.
 * Skipped with a printed reason when java or javac is missing; failing
 * instead under KRBSIM_REQUIRE_MIT=1 (scripts/setup.sh installs
 * openjdk-17-jdk-headless).
 */

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GssFlags } from '@krbsim/asn1';
import { readKeytabFile } from '@krbsim/files';
import { getPacBuffer, PacBufferType } from '@krbsim/pac';
import { type AcceptResult, KerberosService } from '@krbsim/service';
import { connectTds } from '@krbsim/tds';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopologyFile, parseTopology } from '../../packages/cli/src/index';
import { dec, enc, exchangeTokens } from './gss-exchange';
import type { GssPeer } from './gss-peer';
import { servedAzureLab } from './helpers/served-azure-lab';
import { krb5ConfWithoutProxy, requestLines, servedClient, servedTopology } from './helpers/served-topology';
import {
  buildJgssPeer,
  describeWithJava,
  forwardableKrb5Conf,
  type Jgss,
  JTDS_JAR,
  runJtdsLogin,
  startJgssPeer,
  withLibdefaults,
} from './jgss-peer';
import { itNeeds } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
const CLOUD = 'KERBEROS.MICROSOFTONLINE.COM';
/** The instance's SPN as a JDBC driver builds it: no realm, no name type. */
const SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
const MI = `${SPN}@${CLOUD}`;
const ALICE = { JGSS_USER: 'alice@CONTOSO.COM', JGSS_PASSWORD: 'Al1ce-Passw0rd' };
/** What a JDBC driver asks of its context: delegation, mutual authentication, integrity. */
const JDBC_FLAGS = GssFlags.deleg | GssFlags.mutual | GssFlags.integ;
/** Mutual authentication and every per-message service, for the token exchanges. */
const ALL_FLAGS = GssFlags.mutual | GssFlags.replay | GssFlags.sequence | GssFlags.conf | GssFlags.integ;

/** An MIT realm (etypes 20, 19, 18, 17) with a user and a web service. */
const SHA2_TOPOLOGY = `
realms:
  - name: HOME.TEST
    domains: [home.test]
    users: [{ name: erin, password: Er1n-Passw0rd }]
    services: [{ spn: HTTP/web.home.test }]
`;

/**
 * websvc of CONTOSO may impersonate users to its SQL service only (classic constrained delegation),
 * its own realm's and, across a two-way forest trust, FABRIKAM's.
 */
const S4U_TOPOLOGY = `
realms:
  - name: CONTOSO.COM
    kind: active-directory
    domains: [contoso.com]
    users:
      - { name: alice, password: Al1ce-Passw0rd }
      - name: websvc
        password: W3b-Passw0rd
        spns: [HTTP/web.contoso.com]
        delegation: { trustedToAuthenticate: true, allowedTo: ['MSSQLSvc/sql.contoso.com:1433'] }
    services:
      - { spn: 'MSSQLSvc/sql.contoso.com:1433' }
      - { spn: cifs/files.contoso.com }
  - name: FABRIKAM.COM
    kind: active-directory
    domains: [fabrikam.com]
    users: [{ name: dave, password: D4ve-Passw0rd }]
trusts:
  - { trusting: CONTOSO.COM, trusted: FABRIKAM.COM, direction: two-way, kind: forest, trustedTopLevelNames: [fabrikam.com] }
`;

describeWithJava("Java's Kerberos (JGSS)", ({ java, javac }) => {
  describe('on the Azure AD Kerberos trust', () => {
    const served = servedTopology('jgss', () => loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')));
    let jgss: Jgss;
    let service: KerberosService;
    const diagnostics = () => requestLines(served.log, 0).join('\n');

    beforeAll(async () => {
      const krb5conf = served.dir.file('krb5-java.conf');
      // Tickets forwardable, as a JDBC deployment's krb5.conf has them, so that Java can delegate.
      await writeFile(krb5conf, forwardableKrb5Conf(krb5ConfWithoutProxy(served.topo, CLOUD)));
      jgss = { java: java, classes: served.dir.file('jgss-classes'), krb5conf };
      await buildJgssPeer(javac, jgss.classes);
      service = new KerberosService({
        keytab: await readKeytabFile(served.topo.files!.keytabs[MI]!),
        principal: MI,
      });
    }, 180_000);

    /**
     * alice's Java initiates to the instance's SPN with `flags` over `mech`, krbsim accepts with the
     * instance's keytab, and Java takes the AP-REP; `check` gets both sides and Java's ready flags.
     */
    async function fromJava(
      flags: number,
      mech: 'krb5' | 'spnego',
      check: (init: GssPeer, r: AcceptResult, ready: number) => Promise<void>,
    ): Promise<void> {
      const init = startJgssPeer(jgss, ['init', SPN, flags.toString(16), mech], ALICE);
      try {
        const r = service.accept(await init.token());
        init.sendToken(r.responseToken!);
        await check(init, r, await init.ready());
      } finally {
        await init.close();
      }
    }

    it("a JDBC driver's way in: Java follows CONTOSO's referral for the instance's SPN, and the instance's keytab accepts its token", async () => {
      const from = served.log.length;
      await fromJava(JDBC_FLAGS, 'krb5', async (init, r, ready) => {
        expect(ready).toBe(JDBC_FLAGS);
        expect(requestLines(served.log, from), diagnostics()).toEqual([
          'CONTOSO.COM udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
          // RFC 4120 section 7.2.1: too big for UDP, asked again over TCP.
          'CONTOSO.COM udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG',
          'CONTOSO.COM tcp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
          // Java sends the name as NT-UNKNOWN in its default realm, with canonicalize.
          `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${SPN}@CONTOSO.COM -> TGS-REP (referral to ${CLOUD})`,
          `${CLOUD} TGS-REQ alice@CONTOSO.COM for ${MI} -> TGS-REP`,
          // The forwarded TGT it delegates, asked of its home KDC as MIT's library asks for one.
          'CONTOSO.COM TGS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> TGS-REP',
        ]);
        expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
        expect(r.framing).toBe('krb5');
        expect(r.gssFlags).toBe(JDBC_FLAGS);
        // The PAC CONTOSO's KDC wrote, carried across the trust.
        expect(r.pac?.sids?.user).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
        // Asked to delegate, Java forwards its TGT whatever the ticket's ok-as-delegate says.
        const [tgt] = r.delegatedCredential!.tickets;
        expect(`${tgt!.sname.nameString.join('/')}@${tgt!.realm}`).toBe('krbtgt/CONTOSO.COM@CONTOSO.COM');
        // Per-message tokens both ways, as the driver's context would carry them.
        const sealed = await init.unwrap(r.securityContext!.wrap(enc('from the instance'), { conf: true }));
        expect([sealed.major, sealed.conf, dec(sealed.message)]).toEqual([0, true, 'from the instance']);
        expect(dec(r.securityContext!.unwrap(await init.wrap(enc('from Java'), true)).message)).toBe(
          'from Java',
        );
      });
    });

    it('per-message tokens both ways with Java as the initiator: Wrap sealed and signed, MIC, sequence checks', async () => {
      await fromJava(ALL_FLAGS, 'krb5', async (init, r, ready) => {
        expect(ready).toBe(ALL_FLAGS);
        expect(r.delegatedCredential).toBeUndefined();
        await exchangeTokens(init, r.securityContext!, 'Java initiator');
      });
    });

    it("Java's SPNEGO initiator: krbsim's NegTokenResp accept-completed completes its context", async () => {
      await fromJava(ALL_FLAGS, 'spnego', async (init, r, ready) => {
        expect(r.framing).toBe('spnego');
        expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
        expect(ready).toBe(ALL_FLAGS);
        await exchangeTokens(init, r.securityContext!, 'Java SPNEGO initiator');
      });
    });

    for (const gss of ['krb5', 'spnego'] as const) {
      it(`Java's acceptor takes krbsim's AP-REQ (${gss}) with the keytab krbsim wrote`, async () => {
        const topo = served.topo;
        const client = servedClient(topo, 'CONTOSO.COM');
        await client.getInitialCredentials('alice', { password: ALICE.JGSS_PASSWORD });
        const cred = await client.getServiceTicket(SPN);
        expect(cred.server.realm).toBe(CLOUD);
        const accept = startJgssPeer(jgss, ['accept', MI, topo.files!.keytabs[MI]!, gss]);
        try {
          const built = client.buildApReq(cred, {
            gss,
            mutual: true,
            gssFlags: GssFlags.replay | GssFlags.sequence,
          });
          accept.sendToken(built.token);
          const ctx = client.verifyApRep(built.context, await accept.token()).securityContext!;
          expect((await accept.ready()) & GssFlags.mutual).toBe(GssFlags.mutual);
          expect(await accept.ask('NAMES')).toEqual(['alice@CONTOSO.COM', MI]);
          expect(await accept.ask('DELEG')).toEqual(['-']);
          await exchangeTokens(accept, ctx, `Java ${gss} acceptor`);
        } finally {
          await accept.close();
        }
      });
    }

    it('the trust is one-way for Java too: a cloud user gets no ticket for an on-prem service', async () => {
      const from = served.log.length;
      const init = startJgssPeer(jgss, ['init', 'host/pc1.contoso.com@CONTOSO.COM', '2', 'krb5'], {
        JGSS_USER: `cloudonly@${CLOUD}`,
        JGSS_PASSWORD: 'Cl0ud-Passw0rd',
      });
      try {
        // Java names no KDC error here: it found no way to CONTOSO.COM.
        await expect(init.token()).rejects.toThrow(/ERR 70000 .*No service creds/);
      } finally {
        await init.close();
      }
      const asked = served.log.slice(from);
      // Asked of the cloud KDC only, which has no way to CONTOSO.COM.
      expect(
        asked.every((e) => e.realm === CLOUD),
        diagnostics(),
      ).toBe(true);
      expect(asked.at(-1)!.line).toMatch(
        /^TGS-REQ cloudonly@.* -> KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN \(7\)/,
      );
    });
  });

  // The whole login, as a JDBC driver makes it: Java's token in LOGIN7 to the Azure lab's instance.
  describe("Java's Kerberos logs in to the Azure lab's managed instance over TDS", () => {
    // Azure AD Kerberos answers on its KDC proxy; Java, without an MS-KKDCP client, needs its port
    // (`krbsim serve azure-sql-mi --direct-kdc`), and forwardable tickets to delegate.
    // The TDS listeners' lines: each batch a client sends is one.
    const tdsLog: string[] = [];
    const lab = servedAzureLab('jgss-azure-lab', {
      directKdc: true,
      transportLog: (line) => tdsLog.push(line),
    });
    let jgss: Jgss;
    beforeAll(async () => {
      const krb5conf = lab.dir.file('krb5-java.conf');
      await writeFile(
        krb5conf,
        forwardableKrb5Conf(await readFile(lab.running.ports.krb5confDirect!, 'utf8')),
      );
      jgss = { java: java, classes: lab.dir.file('jgss-classes'), krb5conf };
      await buildJgssPeer(javac, jgss.classes);
    }, 180_000);

    it('alice logs in to mi1 with the token Java made, and the instance knows her as CONTOSO\\alice', async () => {
      const { running } = lab;
      const tds = running.ports.tds.mi1!;
      const c = await connectTds({
        host: tds.host,
        port: tds.port,
        encryption: 'on',
        tls: {
          ca: await readFile(running.ports.ca, 'utf8'),
          servername: running.lab.managedInstances[0]!.fqdn,
        },
      });
      const init = startJgssPeer(jgss, ['init', tds.spn, JDBC_FLAGS.toString(16), 'krb5'], ALICE);
      try {
        const r = await c.login({ sspi: await init.token(), hostName: 'JAVA1', appName: 'jgss' });
        if (!r.ok) throw new Error(`login refused: ${r.error.number} ${r.error.msgText}`);
        init.sendToken(r.responseToken!);
        expect((await init.ready()) & GssFlags.mutual).toBe(GssFlags.mutual);
        const b = await c.batch(
          'SELECT SUSER_SNAME(); SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID',
        );
        expect(b.errors).toEqual([]);
        expect(b.results.map((x) => x.rows)).toEqual([[['CONTOSO\\alice']], [['KERBEROS']]]);
      } finally {
        c.close();
        await init.close();
      }
    });

    itNeeds(
      existsSync(JTDS_JAR) ? undefined : `${JTDS_JAR} not found (install libjtds-java)`,
      "jTDS, a JDBC driver speaking TDS itself, logs alice in over TLS with Java's Kerberos as CONTOSO\\alice, and commits out of autocommit",
      async () => {
        const { running } = lab;
        const mi = running.lab.managedInstances[0]!;
        const tds = running.ports.tds.mi1!;
        // jTDS asks for MSSQLSvc/<the host's canonical name>:<port>: the name the hosts file gives
        // 127.0.0.1, and this listener's port, which the instance answers to as it does to :1433.
        mi.addSpn(`MSSQLSvc/${mi.fqdn}:${tds.port}`);
        const hostsFile = lab.dir.file('hosts');
        await writeFile(hostsFile, `${tds.host} ${mi.fqdn}\n`);
        const url = `jdbc:jtds:sqlserver://${mi.fqdn}:${tds.port}/master;useKerberos=true;ssl=require`;
        const r = await runJtdsLogin(jgss, {
          url,
          sql: 'SELECT SUSER_SNAME()',
          hostsFile,
          user: ALICE.JGSS_USER,
          password: ALICE.JGSS_PASSWORD,
        });
        // Its session opens with SELECT @@MAX_PRECISION and a run of SETs, which the instance answers.
        expect(r).toEqual({ rows: ['CONTOSO\\alice'] });
        // The driver reports each column in the type the instance gives it, as SQL Server's (ResultSetMetaData).
        const typed = await runJtdsLogin(jgss, {
          url,
          sql: "SELECT @@SPID, @@MAX_PRECISION, 'abc', N'abc', SYSTEM_USER",
          hostsFile,
          user: ALICE.JGSS_USER,
          password: ALICE.JGSS_PASSWORD,
          types: true,
        });
        // java.sql.Types: SMALLINT 5, TINYINT -6; jTDS 1.3.1 (JDBC 3) gives nvarchar VARCHAR's 12 too.
        expect(typed).toEqual({
          rows: [expect.stringMatching(/^\d+$/)],
          types: [['smallint(5):5', 'tinyint(3):-6', 'varchar(3):12', 'nvarchar(3):12', 'nvarchar(128):12']],
        });
        // Out of autocommit: setAutoCommit(false) is SET IMPLICIT_TRANSACTIONS ON, under which the SELECT
        // of a view begins a transaction (ENVCHANGE 8), which commit() ends; the second SELECT begins
        // the next, which a COMMIT TRAN of the program's own ends (without one open, it would get 3902).
        const before = tdsLog.length;
        const manual = await runJtdsLogin(jgss, {
          url,
          sql: 'SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID',
          hostsFile,
          user: ALICE.JGSS_USER,
          password: ALICE.JGSS_PASSWORD,
          manual: true,
        });
        expect(manual, tdsLog.slice(before).join('\n')).toEqual({
          rows: ['KERBEROS', 'KERBEROS'],
          commits: ['COMMIT', 'COMMIT TRAN'],
        });
        // What jTDS 1.3.1 sends after its opening batch; setAutoCommit(true) commits first.
        const dmv = 'SELECT auth_scheme FROM sys.dm_exec_connections WHERE session_id = @@SPID';
        const batches = tdsLog
          .slice(before)
          .filter((l) => l.includes(' batch: '))
          .map((l) => l.slice(l.indexOf(' batch: ') + 8));
        expect(batches.slice(1)).toEqual([
          'SET IMPLICIT_TRANSACTIONS ON',
          dmv,
          'IF @@TRANCOUNT > 0 COMMIT TRAN',
          dmv,
          'COMMIT TRAN',
          'IF @@TRANCOUNT > 0 COMMIT TRAN SET IMPLICIT_TRANSACTIONS OFF',
        ]);
        // bob has no login on mi1: jTDS reports SQL Server's 18456 as the instance sends it.
        const bob = await runJtdsLogin(jgss, {
          url,
          sql: 'SELECT SUSER_SNAME()',
          hostsFile,
          user: 'bob@CONTOSO.COM',
          password: 'B0b-Passw0rd',
        });
        expect(bob).toEqual({
          error: expect.stringMatching(/ERR 18456 .*Login failed for user 'CONTOSO\\bob'\./),
        });
      },
    );
  });

  // A Java service with constrained delegation, as a Java web application reaches SQL Server for its user.
  describe("Java's Kerberos as a service delegating for its user (MS-SFU)", () => {
    const served = servedTopology('jgss-s4u', () => parseTopology(S4U_TOPOLOGY));
    let jgss: Jgss;
    beforeAll(async () => {
      const krb5conf = served.dir.file('krb5-java.conf');
      // Java asks S4U2Self only with a forwardable TGT (its own check, before any request).
      await writeFile(krb5conf, forwardableKrb5Conf(await readFile(served.topo.files!.krb5conf, 'utf8')));
      jgss = { java: java, classes: served.dir.file('jgss-classes'), krb5conf };
      await buildJgssPeer(javac, jgss.classes);
    }, 180_000);
    const websvc = {
      JGSS_USER: 'websvc@CONTOSO.COM',
      JGSS_PASSWORD: 'W3b-Passw0rd',
      JGSS_IMPERSONATE: 'alice@CONTOSO.COM',
    };
    const SQL = 'MSSQLSvc/sql.contoso.com:1433';

    /**
     * websvc, impersonating `user`, initiates a context to SQL, which krbsim accepts with SQL's keytab;
     * the acceptor's result once Java has taken the AP-REP.
     */
    async function delegatedToSql(user: string): Promise<AcceptResult> {
      const service = new KerberosService({
        keytab: await readKeytabFile(served.topo.files!.keytabs[`${SQL}@CONTOSO.COM`]!),
        principal: `${SQL}@CONTOSO.COM`,
      });
      const init = startJgssPeer(jgss, ['init', SQL, GssFlags.mutual.toString(16)], {
        ...websvc,
        JGSS_IMPERSONATE: user,
      });
      try {
        const r = service.accept(await init.token());
        init.sendToken(r.responseToken!);
        expect((await init.ready()) & GssFlags.mutual).toBe(GssFlags.mutual);
        return r;
      } finally {
        await init.close();
      }
    }

    it('websvc impersonates alice (S4U2Self) and delegates to the SQL service it may (S4U2Proxy), which sees alice', async () => {
      const from = served.log.length;
      const r = await delegatedToSql('alice@CONTOSO.COM');
      expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
      // The KDC wrote who delegated, as MS-PAC's S4U_DELEGATION_INFO says.
      expect(getPacBuffer(r.pac!, PacBufferType.DELEGATION_INFO)).toMatchObject({
        s4u2proxyTarget: SQL,
        s4uTransitedServices: ['websvc@CONTOSO.COM'],
      });
      const tgs = requestLines(served.log, from).filter((l) => l.includes('TGS-REQ'));
      expect(tgs, requestLines(served.log, 0).join('\n')).toEqual([
        'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for websvc@CONTOSO.COM -> TGS-REP (S4U2Self for alice@CONTOSO.COM)',
        `CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for ${SQL}@CONTOSO.COM -> TGS-REP (S4U2Proxy for alice@CONTOSO.COM)`,
      ]);
    });

    it('across the two-way trust: websvc impersonates dave@FABRIKAM.COM (cross-realm S4U2Self) and delegates to SQL for him', async () => {
      const from = served.log.length;
      const r = await delegatedToSql('dave@FABRIKAM.COM');
      expect(r.clientPrincipal).toBe('dave@FABRIKAM.COM');
      // dave's SIDs, as FABRIKAM's KDC wrote them, and who delegated.
      const fabrikam = served.topo.realms.get('FABRIKAM.COM')!.directory;
      expect(r.pac?.sids?.user).toBe(fabrikam.sidOf(fabrikam.account('dave')!.rid));
      expect(getPacBuffer(r.pac!, PacBufferType.DELEGATION_INFO)).toMatchObject({
        s4uTransitedServices: ['websvc@CONTOSO.COM'],
      });
      // The S4U2Self steps of MS-SFU 3.1.5.1.2, to FABRIKAM and back, then S4U2Proxy at CONTOSO.
      expect(requestLines(served.log, from).filter((l) => l.includes('TGS-REQ'))).toEqual([
        'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for krbtgt/FABRIKAM.COM@CONTOSO.COM -> TGS-REP',
        'FABRIKAM.COM TGS-REQ websvc@CONTOSO.COM for websvc@FABRIKAM.COM -> TGS-REP (referral to CONTOSO.COM) (S4U2Self for dave@FABRIKAM.COM)',
        'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for websvc@CONTOSO.COM -> TGS-REP (S4U2Self for dave@FABRIKAM.COM)',
        `CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for ${SQL}@CONTOSO.COM -> TGS-REP (S4U2Proxy for dave@FABRIKAM.COM)`,
      ]);
    });

    it('to a service websvc may not delegate to, the KDC refuses S4U2Proxy and Java gets no context', async () => {
      const from = served.log.length;
      const init = startJgssPeer(
        jgss,
        ['init', 'cifs/files.contoso.com', GssFlags.mutual.toString(16)],
        websvc,
      );
      try {
        await expect(init.token()).rejects.toThrow(
          /ERR 70000 .*KDC cannot accommodate requested option \(13\)/,
        );
      } finally {
        await init.close();
      }
      expect(served.log.at(-1)!.line, requestLines(served.log, from).join('\n')).toMatch(
        /^TGS-REQ websvc@CONTOSO\.COM for cifs\/files\.contoso\.com@CONTOSO\.COM -> KRB-ERROR KDC_ERR_BADOPTION \(13\)/,
      );
    });
  });

  // RFC 8009 with a third implementation: Java's aes256-cts-hmac-sha384-192, an MIT realm's first etype.
  describe('with aes256-cts-hmac-sha384-192 (RFC 8009) in an MIT realm', () => {
    const served = servedTopology('jgss-sha2', () => parseTopology(SHA2_TOPOLOGY));
    let jgss: Jgss;
    beforeAll(async () => {
      const krb5conf = served.dir.file('krb5-java.conf');
      const only20 = 'aes256-cts-hmac-sha384-192';
      await writeFile(
        krb5conf,
        withLibdefaults(await readFile(served.topo.files!.krb5conf, 'utf8'), [
          `default_tkt_enctypes = ${only20}`,
          `default_tgs_enctypes = ${only20}`,
          `permitted_enctypes = ${only20}`,
        ]),
      );
      jgss = { java, classes: served.dir.file('jgss-classes'), krb5conf };
      await buildJgssPeer(javac, jgss.classes);
    }, 180_000);

    it("Java's AS and TGS exchanges and its context keys are etype 20; Wrap and MIC pass both ways", async () => {
      const spn = 'HTTP/web.home.test@HOME.TEST';
      const service = new KerberosService({
        keytab: await readKeytabFile(served.topo.files!.keytabs[spn]!),
        principal: spn,
      });
      const init = startJgssPeer(
        jgss,
        ['init', 'HTTP@web.home.test', ALL_FLAGS.toString(16), 'krb5', 'hostbased'],
        {
          JGSS_USER: 'erin@HOME.TEST',
          JGSS_PASSWORD: 'Er1n-Passw0rd',
        },
      );
      try {
        const r = service.accept(await init.token());
        init.sendToken(r.responseToken!);
        expect(await init.ready()).toBe(ALL_FLAGS);
        expect(r.sessionKey.etype).toBe(20);
        expect(r.securityContext!.etype).toBe(20);
        await exchangeTokens(init, r.securityContext!, 'Java aes256-sha2');
      } finally {
        await init.close();
      }
    });
  });
});
