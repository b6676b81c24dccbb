/**
 * krbsim's own Windows client logs in to the managed instance through the
 * TDS wire (`mi.listen()`): the incoming trust-based flow's ticket, framed
 * as SPNEGO (Windows drivers) or raw krb5 GSS (FreeTDS), in LOGIN7 over TLS
 * in both encryption modes, the certificate checked against the lab's CA,
 * the AP-REP checked for mutual authentication; then the failures a client
 * sees as SQL Server reports them (18456 naming the Windows user, 18452 for
 * a handshake that fails).
 */

import { createAzureSqlMiLab } from '@krbsim/azure';
import { ManualClock } from '@krbsim/core';
import { connectTds, type TdsClient } from '@krbsim/tds';
import { afterEach, describe, expect, it } from 'vitest';

const PASSWORD = 'correct horse battery staple';

function setup() {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 31,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: PASSWORD });
  const bob = lab.onPrem.addUser('bob', { password: PASSWORD });
  lab.onPrem.addGroup('SqlAdmins');
  lab.onPrem.addGroupMember('SqlAdmins', 'alice');
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, alice, bob, mi };
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function open(
  lab: ReturnType<typeof setup>['lab'],
  port: number,
  encryption: 'on' | 'off',
  fqdn: string,
) {
  const ca = await lab.certificateAuthority();
  const c: TdsClient = await connectTds({ port, encryption, tls: { ca: ca.certPem, servername: fqdn } });
  closers.push(() => c.close());
  return c;
}

describe('mi.listen(): krbsim logs in through the TDS wire', () => {
  for (const [encryption, expected] of [
    ['on', 'full'],
    ['off', 'login-only'],
  ] as const) {
    for (const framing of ['spnego', 'krb5'] as const) {
      it(`client ENCRYPT_${encryption.toUpperCase()} (${expected}), ${framing} token: LOGINACK, the AP-REP verifies, the session shows the login`, async () => {
        const { lab, alice, mi } = setup();
        const log: string[] = [];
        const listener = await mi.listen({ encryption: 'login-only', log: (l) => log.push(l) });
        closers.push(() => listener.close());
        expect(listener.spn).toBe(`MSSQLSvc/127.0.0.1:${listener.port}`);
        const pc = lab.adJoinedClient(alice);
        const ctx = await pc.initSecurityContext(mi.spn);
        const { token, context } =
          framing === 'spnego'
            ? { token: ctx.token, context: undefined }
            : pc.kerberos.buildApReq(ctx.ticket, { mutual: true, gss: 'krb5' });
        const c = await open(lab, listener.port, encryption, mi.fqdn);
        expect(c.encryption).toBe(expected);
        expect(c.prelogin.version).toEqual({ major: 12, minor: 0, build: 2000, subBuild: 8 });
        const r = await c.login({ sspi: token, hostName: 'pc1', appName: 'krbsim test' });
        if (!r.ok) throw new Error(r.error.msgText);
        expect(r.responseToken).toBeDefined();
        // Mutual authentication: the AP-REP in the SSPI token checks out against the client's context.
        if (framing === 'spnego') ctx.complete(r.responseToken!);
        else pc.kerberos.verifyApRep(context!, r.responseToken!);
        expect(r.responseToken![0]).toBe(framing === 'spnego' ? 0xa1 : 0x60);
        const b = await c.batch(
          "SELECT SUSER_SNAME(), ORIGINAL_LOGIN(), IS_MEMBER('CONTOSO\\SqlAdmins'), IS_MEMBER('db_owner'), IS_SRVROLEMEMBER('sysadmin'); " +
            'SELECT auth_scheme, encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID; SELECT @@VERSION',
        );
        expect(b.errors).toEqual([]);
        expect(b.results[0]!.rows).toEqual([['CONTOSO\\alice', 'CONTOSO\\alice', 1, 0, 0]]);
        expect(b.results[1]!.rows).toEqual([['KERBEROS', expected === 'full' ? 'TRUE' : 'FALSE']]);
        expect(b.results[2]!.rows[0]![0]).toMatch(/^Microsoft SQL Azure \(RTM\) - 12\.0\.2000\.8/);
        expect(log.some((l) => l.includes('logged in as CONTOSO\\alice'))).toBe(true);
        // The connection is in the lab's trace as TDS, in the clear, the token named inside LOGIN7.
        const tds = lab.trace.entries.filter((e) => e.protocol === 'tds');
        expect(tds.map((e) => [e.requestType, e.replyType])).toEqual([
          ['PRELOGIN', 'PRELOGIN'],
          ['LOGIN7', 'LOGINACK'],
          ['SQL batch', 'result'],
        ]);
        expect(new Set(tds.map((e) => e.stream)).size).toBe(1);
        const inner = framing === 'spnego' ? 'AP-REQ (SPNEGO)' : 'AP-REQ (GSS)';
        expect(tds[1]!.label).toBe(`sspi=${inner} (in TLS)`);
        expect(tds[1]!.replyLabel).toBe(
          `sspi=${framing === 'spnego' ? 'AP-REP (SPNEGO)' : 'AP-REP (GSS)'}${expected === 'full' ? ' (in TLS)' : ''}`,
        );
        expect(tds[1]!.request[0]).toBe(0x10); // a LOGIN7 packet, decrypted
        expect(tds[0]!.from).toMatch(/^SQL client 127\.0\.0\.1:\d+$/);
        // The acceptance is not recorded twice: the token is inside LOGIN7.
        expect(lab.trace.entries.filter((e) => e.to === 'mi1' && e.protocol === undefined)).toEqual([]);
        expect(lab.trace.toText()).toContain(`[tds] LOGIN7`);
      });
    }
  }
});

describe('mi.listen(): what a client sees when the login fails', () => {
  it('bob, without a login: 18456 naming him as Windows does, and the connection closes', async () => {
    const { lab, bob, mi } = setup();
    const listener = await mi.listen();
    closers.push(() => listener.close());
    const { token } = await lab.adJoinedClient(bob).initSecurityContext(mi.spn);
    const c = await open(lab, listener.port, 'on', mi.fqdn);
    const r = await c.login({ sspi: token });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ number: 18456, class: 14, state: 1, serverName: 'mi1' });
      expect(r.error.msgText).toBe("Login failed for user 'CONTOSO\\bob'.");
    }
    await c.closed;
  });

  it('a token that does not verify, a replay, or a Redirect instance: 18452, the reason only in the log', async () => {
    const { lab, alice, mi } = setup();
    const log: string[] = [];
    const listener = await mi.listen({ log: (l) => log.push(l) });
    closers.push(() => listener.close());
    const { token } = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    const tampered = token.slice();
    tampered[tampered.length - 20]! ^= 0xff;
    const untrusted = async (sspi: Uint8Array) => {
      const r = await (await open(lab, listener.port, 'on', mi.fqdn)).login({ sspi });
      expect(!r.ok && r.error.number).toBe(18452);
      if (!r.ok) expect(r.error.msgText).toContain('untrusted domain');
    };
    await untrusted(tampered);
    expect((await (await open(lab, listener.port, 'on', mi.fqdn)).login({ sspi: token })).ok).toBe(true);
    await untrusted(token); // the same authenticator again: the replay cache refuses it
    mi.connectionType = 'Redirect';
    const { token: fresh } = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    await untrusted(fresh);
    expect(log.filter((l) => l.includes('login refused with 18452'))).toHaveLength(3);
    expect(log.some((l) => /Redirect/.test(l))).toBe(true);
  });

  it('trace: false keeps the connections out of the trace; the acceptance is recorded as in process', async () => {
    const { lab, alice, mi } = setup();
    const listener = await mi.listen({ trace: false });
    closers.push(() => listener.close());
    const { token } = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
    const r = await (await open(lab, listener.port, 'on', mi.fqdn)).login({ sspi: token });
    expect(r.ok).toBe(true);
    expect(lab.trace.entries.filter((e) => e.protocol === 'tds')).toEqual([]);
    expect(lab.trace.entries.some((e) => e.to === 'mi1' && e.label === 'client=alice@CONTOSO.COM')).toBe(
      true,
    );
  });

  it('a refused login is traced with its ERROR', async () => {
    const { lab, bob, mi } = setup();
    const listener = await mi.listen();
    closers.push(() => listener.close());
    const { token } = await lab.adJoinedClient(bob).initSecurityContext(mi.spn);
    const c = await open(lab, listener.port, 'on', mi.fqdn);
    expect((await c.login({ sspi: token })).ok).toBe(false);
    const tds = lab.trace.entries.filter((e) => e.protocol === 'tds');
    expect(tds.map((e) => e.replyType)).toEqual(['PRELOGIN', 'ERROR 18456']);
  });

  it('listens on a host name: the certificate the lab CA issues names it, beside the FQDN, and the SPN is the name', async () => {
    const { lab, alice, mi } = setup();
    const listener = await mi.listen({ host: 'localhost' });
    closers.push(() => listener.close());
    expect(listener.spn).toBe(`MSSQLSvc/localhost:${listener.port}`);
    const ca = (await lab.certificateAuthority()).certPem;
    for (const servername of [mi.fqdn, 'localhost']) {
      const c = await connectTds({ host: 'localhost', port: listener.port, tls: { ca, servername } });
      closers.push(() => c.close());
      const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      const r = await c.login({ sspi: ctx.token, hostName: 'pc1' });
      expect(r.ok, servername).toBe(true);
    }
  });

  it('listen needs a certificate or a CA when called as listenTds; mi.listen uses the lab CA', async () => {
    const { mi } = setup();
    const { listenTds } = await import('@krbsim/azure');
    await expect(listenTds(mi)).rejects.toThrow(/cert and key, or a ca/);
  });
});
