/**
 * gokrb5 (github.com/jcmturner/gokrb5/v8, Debian's
 * golang-github-jcmturner-gokrb5.v8-dev), the pure Go Kerberos behind Go's
 * Kerberos clients and SPNEGO services, on the reference scenario
 * (examples/azure-trust.yaml), through gokrb5/peer.go:
 *
 * - its client logs alice in (PREAUTH_REQUIRED, then the AS-REP too big for
 *   UDP asked again over TCP), follows CONTOSO's referral for the managed
 *   instance's SPN to Azure AD Kerberos, and its SPNEGO token is accepted
 *   with the instance's keytab;
 * - its SPNEGO service accepts krbsim's client's token with the keytab
 *   krbsim wrote, checks the PAC's server signature and reads the PAC
 *   CONTOSO's KDC wrote as krbsim's acceptor reads it: an independent PAC
 *   decoder on what krbsim issues;
 * - its raw krb5 token, as Go's SQL Server driver (go-mssqldb) sends it,
 *   logs alice in to the Azure lab's instance over TDS (`directKdc`);
 * - its password change (RFC 3244) against krbsim's kpasswd with AD's rules:
 *   a change, a login with the new password, and a refusal (SOFTERROR).
 *
 * gokrb5 has no MS-KKDCP client: its krb5.conf names the cloud KDC's own
 * port. Skipped with a printed reason when Go or gokrb5's sources are
 * missing; failing instead under KRBSIM_REQUIRE_MIT=1 (scripts/setup.sh
 * installs golang-go and golang-github-jcmturner-gokrb5.v8-dev).
 */

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readKeytabFile } from '@krbsim/files';
import { fileTimeToMillis, formatSid } from '@krbsim/pac';
import { KerberosService } from '@krbsim/service';
import { connectTds } from '@krbsim/tds';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopologyFile, parseTopology } from '../../packages/cli/src/index';
import { findTool, runCommand } from './helpers/processes';
import { servedAzureLab } from './helpers/served-azure-lab';
import { krb5ConfWithoutProxy, requestLines, servedClient, servedTopology } from './helpers/served-topology';
import { describeUnavailable } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
const SOURCE = join(import.meta.dirname, 'gokrb5', 'peer.go');
/** Where Debian installs Go libraries' sources (GOPATH mode). */
const GOPATH = '/usr/share/gocode';
const GOKRB5 = join(GOPATH, 'src/github.com/jcmturner/gokrb5/v8');
const CLOUD = 'KERBEROS.MICROSOFTONLINE.COM';
const SPN = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
const MI = `${SPN}@${CLOUD}`;
const PASSWORD = 'Al1ce-Passw0rd';

/** What peer.go prints of an accepted token: gokrb5's credentials and its reading of the PAC. */
interface GokrbAccepted {
  readonly user: string;
  readonly realm: string;
  readonly pac: {
    readonly EffectiveName: string;
    readonly UserID: number;
    readonly PrimaryGroupID: number;
    readonly LogOnTime: string;
    readonly GroupMembershipSIDs: readonly string[];
    readonly LogonDomainName: string;
    readonly LogonDomainID: string;
    readonly LogonServer: string;
  };
}

/** One AD realm whose passwords may change at once (no minimum age). */
const KPASSWD_TOPOLOGY = `
realms:
  - name: CONTOSO.COM
    kind: active-directory
    domains: [contoso.com]
    policy: { minPasswordAge: 0 }
    users: [{ name: alice, password: Al1ce-Passw0rd }, { name: bob, password: B0b-Passw0rd }]
`;

/** Builds peer.go to `out`, in GOPATH mode against the sources Debian installed, the build cache kept between runs. */
async function buildPeer(out: string): Promise<string> {
  const r = await runCommand(go!, ['build', '-o', out, SOURCE], {
    env: { GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: join(tmpdir(), 'krbsim-go-build') },
    timeoutMs: 170_000,
  });
  if (r.code !== 0) throw new Error(`go build failed (${r.code}): ${r.stderr}`);
  return out;
}

const TITLE = 'gokrb5 (pure Go Kerberos) on the Azure AD Kerberos trust';
const go = findTool('go');
if (go === undefined || !existsSync(GOKRB5)) {
  describeUnavailable(
    TITLE,
    go === undefined ? 'go not found on PATH' : `gokrb5's sources are not in ${GOKRB5}`,
    'install golang-go and golang-github-jcmturner-gokrb5.v8-dev (scripts/setup.sh does)',
  );
} else {
  describe(TITLE, () => {
    const served = servedTopology('gokrb5', () => loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')));
    let peer: string;
    let krb5conf: string;
    let keytab: string;
    const diagnostics = () => requestLines(served.log, 0).join('\n');

    beforeAll(async () => {
      krb5conf = served.dir.file('krb5-gokrb5.conf');
      await writeFile(krb5conf, krb5ConfWithoutProxy(served.topo, CLOUD));
      keytab = served.topo.files!.keytabs[MI]!;
      peer = await buildPeer(served.dir.file('gokrb5-peer'));
    }, 180_000);

    it("gokrb5's client follows CONTOSO's referral for the instance's SPN, and the instance's keytab accepts its SPNEGO token", async () => {
      const from = served.log.length;
      const r = await runCommand(peer, ['init', krb5conf, 'alice', 'CONTOSO.COM', SPN], {
        env: { GOKRB5_PASSWORD: PASSWORD },
      });
      expect(r.stdout, `${r.stderr}\n${diagnostics()}`).toMatch(/^TOKEN [0-9a-f]+\n$/);
      expect(requestLines(served.log, from)).toEqual([
        'CONTOSO.COM udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
        // RFC 4120 section 7.2.1: too big for UDP, asked again over TCP.
        'CONTOSO.COM udp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG',
        'CONTOSO.COM tcp AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
        `CONTOSO.COM TGS-REQ alice@CONTOSO.COM for ${SPN}@CONTOSO.COM -> TGS-REP (referral to ${CLOUD})`,
        `${CLOUD} TGS-REQ alice@CONTOSO.COM for ${MI} -> TGS-REP`,
      ]);
      const service = new KerberosService({ keytab: await readKeytabFile(keytab), principal: MI });
      const accepted = service.accept(new Uint8Array(Buffer.from(r.stdout.slice(6).trim(), 'hex')));
      expect(accepted.clientPrincipal).toBe('alice@CONTOSO.COM');
      expect(accepted.framing).toBe('spnego');
      expect(accepted.pac?.logonInfo?.effectiveName).toBe('alice');
    });

    it("gokrb5's SPNEGO service accepts krbsim's token and reads the PAC as krbsim's acceptor does", async () => {
      const topo = served.topo;
      const client = servedClient(topo, 'CONTOSO.COM');
      await client.getInitialCredentials('alice', { password: PASSWORD });
      const { token } = client.buildApReq(await client.getServiceTicket(SPN), { gss: 'spnego' });
      const r = await runCommand(peer, ['accept', keytab], {
        input: `TOKEN ${Buffer.from(token).toString('hex')}\n`,
      });
      expect(r.stdout, r.stderr).toMatch(/^OK /);
      const theirs = JSON.parse(r.stdout.slice(3)) as GokrbAccepted;
      const ours = new KerberosService({ keytab: await readKeytabFile(keytab), principal: MI }).accept(token);
      const info = ours.pac!.logonInfo!;
      expect(theirs.user).toBe('alice');
      expect(theirs.realm).toBe('CONTOSO.COM');
      expect(theirs.pac).toMatchObject({
        EffectiveName: info.effectiveName,
        UserID: info.userId,
        PrimaryGroupID: info.primaryGroupId,
        LogonDomainName: info.logonDomainName,
        LogonDomainID: formatSid(info.logonDomainId!),
        LogonServer: info.logonServer,
      });
      expect(Date.parse(theirs.pac.LogOnTime)).toBe(fileTimeToMillis(info.logonTime));
      // gokrb5 lists the GroupIds and the ExtraSids; krbsim's acceptor reads the same SIDs.
      expect([...theirs.pac.GroupMembershipSIDs].sort()).toEqual([...ours.pac!.sids!.groups].sort());
      // alice is in CONTOSO\SqlAdmins (azure-trust.yaml), which both read from the PAC.
      const directory = topo.realms.get('CONTOSO.COM')!.directory;
      const sqlAdmins = directory.sidOf(directory.group('SqlAdmins')!.rid);
      expect(theirs.pac.GroupMembershipSIDs).toContain(sqlAdmins);
    });
  });

  // RFC 3244 with gokrb5's ChangePasswd: an AS exchange for kadmin/changepw, then KRB-PRIV to kpasswd.
  describe("gokrb5's password change against krbsim's kpasswd (AD's rules)", () => {
    const served = servedTopology('gokrb5-kpasswd', () => parseTopology(KPASSWD_TOPOLOGY));
    let peer: string;
    beforeAll(async () => {
      peer = await buildPeer(served.dir.file('gokrb5-peer'));
    }, 180_000);
    const change = (user: string, from: string, to: string) =>
      runCommand(peer, ['passwd', served.topo.files!.krb5conf, user, 'CONTOSO.COM'], {
        env: { GOKRB5_PASSWORD: from, GOKRB5_NEW_PASSWORD: to },
      });

    it('alice changes her password and logs in with the new one', async () => {
      const r = await change('alice', 'Al1ce-Passw0rd', 'N3w-Al1ce-Passw0rd!');
      expect(r.stdout, `${r.stderr}\n${requestLines(served.log, 0).join('\n')}`).toBe('OK\n');
      // The ticket for kadmin/changepw came from the AS exchange, as RFC 3244 has it (UDP, or TCP when too big).
      expect(requestLines(served.log, 0)).toContainEqual(
        expect.stringMatching(
          /^CONTOSO\.COM (udp|tcp) AS-REQ alice@CONTOSO\.COM for kadmin\/changepw@CONTOSO\.COM -> AS-REP$/,
        ),
      );
    });

    it("a password AD's complexity rule refuses: result code 4 (KRB5_KPASSWD_SOFTERROR), the password unchanged", async () => {
      const r = await change('bob', 'B0b-Passw0rd', 'short');
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/^ERR ChangePasswd: error response from kadmin: code: 4;/);
      // The refusal left bob's password as it was: the old one still changes it to a strong one.
      expect((await change('bob', 'B0b-Passw0rd', 'An0ther-B0b-Passw0rd!')).stdout).toBe('OK\n');
    });
  });

  // Go's SQL Server driver (go-mssqldb) logs in with gokrb5: its raw krb5 token in LOGIN7.
  describe("gokrb5's token, as Go's SQL Server driver sends it, logs in to the Azure lab's instance", () => {
    // gokrb5 has no MS-KKDCP client: Azure AD's KDC on a port of its own (--direct-kdc).
    const lab = servedAzureLab('gokrb5-azure-lab', { directKdc: true });
    let peer: string;
    beforeAll(async () => {
      peer = await buildPeer(lab.dir.file('gokrb5-peer'));
    }, 180_000);

    it('alice over TLS, as CONTOSO\\alice; bob, without a login, gets 18456', async () => {
      const { running } = lab;
      const tds = running.ports.tds.mi1!;
      const ca = await readFile(running.ports.ca, 'utf8');
      const login = async (user: string, password: string) => {
        const t = await runCommand(
          peer,
          ['krb5', running.ports.krb5confDirect!, user, 'CONTOSO.COM', tds.spn],
          {
            env: { GOKRB5_PASSWORD: password },
          },
        );
        expect(t.stdout, t.stderr).toMatch(/^TOKEN [0-9a-f]+\n$/);
        const c = await connectTds({
          host: tds.host,
          port: tds.port,
          encryption: 'on',
          tls: { ca, servername: running.lab.managedInstances[0]!.fqdn },
        });
        try {
          const r = await c.login({
            sspi: new Uint8Array(Buffer.from(t.stdout.slice(6).trim(), 'hex')),
            hostName: 'GO1',
          });
          if (!r.ok) return r.error.number;
          return (await c.batch('SELECT SUSER_SNAME()')).results[0]!.rows[0]![0];
        } finally {
          c.close();
        }
      };
      expect(await login('alice', PASSWORD)).toBe('CONTOSO\\alice');
      expect(await login('bob', 'B0b-Passw0rd')).toBe(18456);
    });
  });
}
