/**
 * krbsim's client and service against a Samba AD domain controller (see
 * helpers/samba-dc.ts), the nearest thing to a Windows DC on this machine:
 *
 * 1. `KerberosClient` logs on over UDP/TCP (pre-authentication with the salt
 *    the DC's ETYPE-INFO2 names), gets a service ticket for a SQL Server SPN
 *    held by a service account, and builds a SPNEGO token; `KerberosService`,
 *    keyed from `samba-tool domain exportkeytab`, accepts it and verifies the
 *    PAC's server, KDC, ticket and extended KDC signatures, then reads the
 *    user's SID and groups from it.
 * 2. A password change through the DC's kpasswd service (RFC 3244): refused by its policy (SOFTERROR,
 *    Samba's own words), then done, and the user logs on with the new password.
 *    The DC is also an oracle for krbsim's password rules: the same user and
 *    the same candidate passwords on both, and the same verdicts. And the
 *    domain's Administrator sets another user's password (set password naming
 *    the target), which a user who is no administrator may not (ACCESSDENIED),
 *    as krbsim's service answers.
 * 3. A DC's refusals come back as `KdcRefusedError` with the NTSTATUS Samba
 *    puts in its e-data (a PA-PW-SALT in METHOD-DATA): a disabled account, a
 *    password to change, an account outside its logon hours.
 *
 * Skipped with a printed reason when Samba's DC is missing or the test does
 * not run as root; failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { KpasswdResult } from '@krbsim/asn1';
import { KdcRefusedError, KerberosClient, PasswordChangeError } from '@krbsim/client';
import { ErrorCode, NtStatus, systemClock, systemRandom } from '@krbsim/core';
import { Kdc, KpasswdService, Realm } from '@krbsim/kdc';
import { KerberosService, type KeytabEntryLike } from '@krbsim/service';
import { InProcessTransport, type KdcTransport, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithSambaDc, type SambaAccount, type SambaDc, startSambaDc } from './helpers/samba-dc';

const REALM = 'SAMBA.CONTOSO.COM';
const DNS_DOMAIN = REALM.toLowerCase();
const SQL_SPN = `MSSQLSvc/sql01.${DNS_DOMAIN}:1433`;
const WEB_SPN = `HTTP/web.${DNS_DOMAIN}`;
const AES = 0x18;

const ACCOUNTS: readonly SambaAccount[] = [
  { name: 'alice', kind: 'user', password: 'Al1ce-Passw0rd!', groups: ['DBAs'] },
  { name: 'sqlsvc', kind: 'user', password: 'Sq1svc-Passw0rd!', spns: [SQL_SPN], enctypes: AES },
  { name: 'dave', kind: 'user', password: 'D4ve-Passw0rd!', disabled: true },
  { name: 'frank', kind: 'user', password: 'Fr4nk-Passw0rd!', mustChangePassword: true },
  { name: 'grace', kind: 'user', password: 'Gr4ce-Passw0rd!', noLogonHours: true },
  { name: 'ivy', kind: 'user', password: 'Ivy-0ld-Passw0rd!', mustChangePassword: true },
  // Her display name leaves out her account name, so that each of AD's name rules has its own case.
  { name: 'kim', kind: 'user', password: 'St4rt-Passw0rd!', displayName: 'Li Park-Moon' },
  // lena's password the Administrator sets; dave2, no administrator, tries to.
  { name: 'lena', kind: 'user', password: 'L3na-0ld-Passw0rd!' },
  { name: 'dave2', kind: 'user', password: 'D4ve2-Passw0rd!' },
  {
    name: 'websvc',
    kind: 'user',
    password: 'W3bsvc-Passw0rd!',
    spns: [WEB_SPN],
    enctypes: AES,
    trustedToAuthenticate: true,
    allowedToDelegateTo: [SQL_SPN],
  },
];
const password = (name: string) => ACCOUNTS.find((a) => a.name === name)!.password;

const TITLE = "krbsim's client and service against a Samba AD DC";
describeWithSambaDc(TITLE, () => {
  let samba: SambaDc | undefined;
  let transport: UdpTcpTransport;
  const client = () =>
    new KerberosClient({ realm: REALM, transport, clock: systemClock, random: systemRandom });
  /** The service of `account`'s keys, checking PACs with the DC's krbtgt keys. */
  const service = (account: string, spn: string) => {
    // kvno 2: samba-dc-setup.py sets each password once after creating the account.
    const keytab: KeytabEntryLike[] = samba!.keys(account).map((key) => ({
      principal: { realm: REALM, name: { nameType: spn.includes('/') ? 2 : 1, nameString: spn.split('/') } },
      kvno: 2,
      key,
    }));
    return new KerberosService({ keytab, kdcKeys: samba!.keys('krbtgt'), clock: systemClock });
  };

  beforeAll(async () => {
    samba = await startSambaDc({
      realm: REALM,
      netbiosDomain: 'SAMBA',
      hostName: 'dc1',
      groups: [{ name: 'DBAs', scope: 'global' }],
      accounts: ACCOUNTS,
      // No minimum age (Samba's default is a day): kim changes her password over and over.
      minPasswordAgeDays: 0,
    });
    transport = new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: samba.port }] } });
  }, 120_000);
  afterAll(async () => samba?.stop());

  it('logs on, gets a SQL Server ticket, and the service verifies every PAC signature and reads the groups', async () => {
    const c = client();
    await c.getInitialCredentials('alice', { password: password('alice') });
    const ticket = await c.getServiceTicket(SQL_SPN);
    const { token, context } = c.buildApReq(ticket, { gss: 'spnego', mutual: true });
    const session = service('sqlsvc', SQL_SPN).accept(token);
    c.verifyApRep(context, session.responseToken!);
    expect(session.clientPrincipal).toBe(`alice@${REALM}`);
    expect(session.pac!.verifiedSignatures).toEqual(['server', 'kdc', 'ticket', 'full']);
    const sids = session.pac!.sids!;
    expect(sids.user).toBe(`${samba!.domainSid}-${samba!.rids.alice}`);
    expect(sids.groups).toEqual(
      expect.arrayContaining([`${samba!.domainSid}-513`, `${samba!.domainSid}-${samba!.rids.DBAs}`]),
    );
  });

  it("S4U: websvc gets a ticket to itself in alice's name, then one to the SQL service it may delegate to", async () => {
    const c = client();
    await c.getInitialCredentials('websvc', { password: password('websvc') }, { forwardable: true });
    // Samba 4.17 reads PA-FOR-USER and does not echo PA-S4U-X509-USER: accepted, as MIT's client does.
    const self = await c.getS4U2SelfTicket('alice');
    expect(self.client.name.nameString).toEqual(['alice']);
    const mine = service('websvc', 'websvc').accept(c.buildApReq(self).token);
    expect(mine.clientPrincipal).toBe(`alice@${REALM}`);
    expect(mine.pac!.sids!.user).toBe(`${samba!.domainSid}-${samba!.rids.alice}`);
    // Classic constrained delegation: websvc's msDS-AllowedToDelegateTo names the SQL SPN.
    const sql = await c.getS4U2ProxyTicket(self, SQL_SPN);
    expect(sql.client.name.nameString).toEqual(['alice']);
    const session = service('sqlsvc', SQL_SPN).accept(c.buildApReq(sql, { gss: 'spnego' }).token);
    expect(session.clientPrincipal).toBe(`alice@${REALM}`);
    expect(session.pac!.verifiedSignatures).toEqual(['server', 'kdc', 'ticket', 'full']);
    // A service websvc may not delegate to: the DC's refusal.
    const e = await c.getS4U2ProxyTicket(self, `cifs/dc1.${DNS_DOMAIN}`).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(KdcRefusedError);
    expect((e as KdcRefusedError).code).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it("changes a password through the DC's kpasswd service (RFC 3244), and reads its refusal", async () => {
    const kpasswd = new UdpTcpTransport({
      kdcs: { [REALM]: [{ host: '127.0.0.1', port: samba!.kpasswdPort }] },
    });
    // ivy must change her password: the DC refuses her logon, and serves kadmin/changepw.
    const refused = await client()
      .getInitialCredentials('ivy', { password: password('ivy') })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((refused as KdcRefusedError).code).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    // A password the domain's complexity policy refuses: Samba's SOFTERROR, its words passed on.
    const weak = await client()
      .changePassword('ivy', password('ivy'), 'short', { transport: kpasswd })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(weak).toBeInstanceOf(PasswordChangeError);
    expect((weak as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    expect((weak as PasswordChangeError).resultText).not.toBe('');
    // A good one: changed, and ivy logs on with it.
    await client().changePassword('ivy', password('ivy'), 'Ivy-N3w-Passw0rd!', { transport: kpasswd });
    const tgt = await client().getInitialCredentials('ivy', { password: 'Ivy-N3w-Passw0rd!' });
    expect(tgt.client.name.nameString).toEqual(['ivy']);
  });

  it("sets another user's password as the domain's Administrator (set password naming the target), as krbsim's service lets a Domain Admin", async () => {
    const kpasswd = new UdpTcpTransport({
      kdcs: { [REALM]: [{ host: '127.0.0.1', port: samba!.kpasswdPort }] },
    });
    await client().changePassword('Administrator', 'krbsim-Adm1n-Passw0rd', 'L3na-By-Adm1n!', {
      transport: kpasswd,
      target: `lena@${REALM}`,
    });
    const tgt = await client().getInitialCredentials('lena', { password: 'L3na-By-Adm1n!' });
    expect(tgt.client.name.nameString).toEqual(['lena']);
    // A user who is no administrator may not: the DC refuses, and lena's password stays.
    const denied = await client()
      .changePassword('dave2', password('dave2'), 'L3na-By-Dav3!', {
        transport: kpasswd,
        target: `lena@${REALM}`,
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(denied).toBeInstanceOf(PasswordChangeError);
    expect([KpasswdResult.ACCESSDENIED, KpasswdResult.HARDERROR]).toContain(
      (denied as PasswordChangeError).result,
    );
    await client().getInitialCredentials('lena', { password: 'L3na-By-Adm1n!' });
  });

  it("agrees with the DC's kpasswd on which new passwords AD's Default Domain Policy refuses", async () => {
    // The same kim in a krbsim AD realm: the same display name and password, no minimum age.
    const kim = ACCOUNTS.find((a) => a.name === 'kim')!;
    const realm = new Realm({
      name: REALM,
      kind: 'active-directory',
      clock: systemClock,
      random: systemRandom,
      policy: { minPasswordAgeMs: 0 },
    });
    realm.addPasswordChangeService();
    realm.addUser('kim', { password: kim.password, displayName: kim.displayName! });
    const kdc = new Kdc(realm);
    const changepw = new KpasswdService(realm);
    const krbsim = {
      kdc: new InProcessTransport().register(REALM, (r) => kdc.handle(r)),
      kpasswd: new InProcessTransport().register(REALM, (r) => changepw.handle(r)),
    };
    const dc = {
      kdc: transport,
      kpasswd: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: samba!.kpasswdPort }] } }),
    };
    // Passwords holding a name of kim's, which AD refuses (and Samba does not: below).
    const withNames = [
      'Pass-KIM-2026', // the account name, in upper case
      'x9kIm!Q', // the account name again, in mixed case
      'Blue-MOON-77', // a part of the display name ("Moon")
      'park#Ranger1', // another part ("Park")
    ];
    // Each candidate is tried from the current password; an accepted one becomes the current one.
    const candidates = [
      'Sh0rt!', // 6 characters
      'abcdefghij', // one kind: lower-case
      'abcdefgh12', // two kinds: lower-case, digits
      'ABCDEFG!?', // two kinds: upper-case, symbols
      'pass word 12', // a space is of no kind: lower-case, digits
      'Abcdefg1', // three kinds
      'Ab1!xyz', // four kinds in 7 characters
      ...withNames,
      'Li-passw0rd', // "Li" is a part of two characters: it does not count
      'Li-passw0rd', // the current password
      'Ab1!xyz', // a previous one
      'St4rt-Passw0rd!', // the first one
      'N3w-Passw0rd!',
      'An0ther_Passw0rd',
    ];
    const walk = async (side: { kdc: KdcTransport; kpasswd: KdcTransport }) => {
      let current = kim.password;
      const verdicts: ('accepted' | 'refused')[] = [];
      for (const next of candidates) {
        const c = new KerberosClient({
          realm: REALM,
          transport: side.kdc,
          clock: systemClock,
          random: systemRandom,
        });
        const e = await c.changePassword('kim', current, next, { transport: side.kpasswd }).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (e === undefined) current = next;
        else if (!(e instanceof PasswordChangeError && e.result === KpasswdResult.SOFTERROR)) throw e;
        verdicts.push(e === undefined ? 'accepted' : 'refused');
      }
      return verdicts;
    };
    const byDc = await walk(dc);
    const byKrbsim = await walk(krbsim);
    const table = candidates
      .map((p, i) => `${p.padEnd(18)} samba ${byDc[i]}, krbsim ${byKrbsim[i]}`)
      .join('\n');
    const agreed = (verdicts: readonly string[]) =>
      verdicts.filter((_, i) => !withNames.includes(candidates[i]!));
    expect(agreed(byKrbsim), `verdicts differ:\n${table}`).toEqual(agreed(byDc));
    // Where Samba is not AD: a password with the account name or a part of the display name in it.
    // AD refuses it (its complexity rule), krbsim too; Samba's DC takes it, its samdb_check_password
    // (source4/dsdb/common/util.c) handing sAMAccountName and displayName only to a "check password
    // script", and its own check_password_quality (lib/util/genrand_util.c) counting kinds of
    // character alone.
    const pinned = candidates.flatMap((p, i) => (withNames.includes(p) ? [[p, byDc[i], byKrbsim[i]]] : []));
    expect(pinned, `verdicts:\n${table}`).toEqual(withNames.map((p) => [p, 'accepted', 'refused']));
  });

  it("reads the NTSTATUS of a DC's refusal: disabled, a password to change, outside the logon hours", async () => {
    const cases: [string, number, number, RegExp][] = [
      ['dave', ErrorCode.KDC_ERR_CLIENT_REVOKED, NtStatus.STATUS_ACCOUNT_DISABLED, /is disabled/],
      [
        'frank',
        ErrorCode.KDC_ERR_KEY_EXPIRED,
        NtStatus.STATUS_PASSWORD_MUST_CHANGE,
        /must change its password/,
      ],
      [
        'grace',
        ErrorCode.KDC_ERR_CLIENT_REVOKED,
        NtStatus.STATUS_INVALID_LOGON_HOURS,
        /may not log on at this hour/,
      ],
    ];
    for (const [user, code, status, text] of cases) {
      const e = await client()
        .getInitialCredentials(user, { password: password(user) })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(e, user).toBeInstanceOf(KdcRefusedError);
      expect((e as KdcRefusedError).code).toBe(code);
      expect((e as KdcRefusedError).ntStatus).toBe(status);
      expect((e as KdcRefusedError).message).toMatch(text);
    }
  });
});
