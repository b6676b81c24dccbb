/**
 * `loginOverTds`, the driver-like login `krbsim demo --tds` uses, and the
 * listener's `onSession`: the session the instance mapped reaches the
 * caller, the AP-REP comes back for mutual authentication, and a refused
 * login rejects with a LabError carrying SQL Server's error.
 */

import {
  createAzureSqlMiLab,
  LabError,
  loginOverTds,
  SqlErrorNumber,
  type SqlSession,
  type TdsLoginEvent,
} from '@krbsim/azure';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { tlsServerEndPoint } from '@krbsim/pki';
import { connectTds } from '@krbsim/tds';
import { describe, expect, it } from 'vitest';

function setup() {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 33,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const bob = lab.onPrem.addUser('bob', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  return { lab, alice, bob, mi };
}

describe('loginOverTds', () => {
  it('logs in as a driver does; onSession hears the session; the AP-REP completes the context', async () => {
    const { lab, alice, mi } = setup();
    const sessions: SqlSession[] = [];
    const logins: TdsLoginEvent[] = [];
    const listener = await mi.listen({ onSession: (s) => sessions.push(s), onLogin: (e) => logins.push(e) });
    try {
      const ca = (await lab.certificateAuthority()).certPem;
      const ctx = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      const r = await loginOverTds(listener, { token: ctx.token, ca, servername: mi.fqdn, hostName: 'WS1' });
      expect(logins).toEqual([
        {
          instance: 'mi1',
          peer: '127.0.0.1',
          hostName: 'WS1',
          outcome: 'accepted',
          client: 'alice@CONTOSO.COM',
          login: 'CONTOSO\\alice',
        },
      ]);
      expect(r.responseToken).toBeDefined();
      ctx.complete(r.responseToken!); // throws unless the AP-REP is the instance's answer to this token
      expect(sessions.map((s) => [s.login, s.loginSource])).toEqual([['CONTOSO\\alice', 'WINDOWS']]);
      const tds = lab.trace.entries.filter((e) => e.protocol === 'tds').map((e) => e.requestType);
      expect(tds).toEqual(['PRELOGIN', 'LOGIN7', 'SQL batch']);
    } finally {
      await listener.close();
    }
  });

  it('a token function is called once TLS is up, with the channel the listener presented, as a Windows driver binds its token', async () => {
    const { lab, alice, mi } = setup();
    const listener = await mi.listen({ extendedProtection: 'required' });
    try {
      const ca = (await lab.certificateAuthority()).certPem;
      const pc = lab.adJoinedClient(alice);
      const channels: Uint8Array[] = [];
      const r = await loginOverTds(listener, {
        token: async (channel) => {
          channels.push(channel.channelBindings);
          // The connection is open by now: its PRELOGIN is in the trace, its LOGIN7 not yet.
          const tds = lab.trace.entries.filter((e) => e.protocol === 'tds').map((e) => e.requestType);
          expect(tds).toEqual(['PRELOGIN']);
          const ctx = await pc.initSecurityContext(mi.spn, channel);
          return ctx.token;
        },
        ca,
        servername: mi.fqdn,
      });
      expect(r.responseToken).toBeDefined();
      // The bindings of the certificate the listener presents, as another connection sees it.
      const other = await connectTds({
        port: listener.port,
        encryption: 'on',
        tls: { ca, servername: mi.fqdn },
      });
      other.close();
      expect(channels).toEqual([tlsServerEndPoint(other.peerCertificate!)]);
      // The same login with a token made beforehand, bound to nothing: refused under `required`.
      const { token } = await pc.initSecurityContext(mi.spn);
      const e = await loginOverTds(listener, { token, ca, servername: mi.fqdn }).catch((x: unknown) => x);
      expect(e).toMatchObject({
        reason: 'sql-login-refused',
        sqlError: SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN,
      });
    } finally {
      await listener.close();
    }
  });

  it('rejects with the SQL error of a refused login; onSession hears nothing', async () => {
    const { lab, bob, mi } = setup();
    const sessions: SqlSession[] = [];
    const logins: TdsLoginEvent[] = [];
    const listener = await mi.listen({ onSession: (s) => sessions.push(s), onLogin: (e) => logins.push(e) });
    try {
      const ca = (await lab.certificateAuthority()).certPem;
      const { token } = await lab.adJoinedClient(bob).initSecurityContext(mi.spn);
      const e = await loginOverTds(listener, { token, ca, servername: mi.fqdn }).catch((x: unknown) => x);
      // The cause reaches the instance's log, never the client.
      expect(logins).toEqual([
        {
          instance: 'mi1',
          peer: '127.0.0.1',
          hostName: 'PC1',
          outcome: 'refused',
          sqlError: SqlErrorNumber.LOGIN_FAILED,
          reason: expect.stringContaining('CONTOSO\\bob'),
        },
      ]);
      expect(e).toBeInstanceOf(LabError);
      expect(e).toMatchObject({
        message: "the instance refused the login: 18456 Login failed for user 'CONTOSO\\bob'.",
        code: ErrorCode.KRB_ERR_GENERIC,
        reason: 'sql-login-refused',
        sqlError: SqlErrorNumber.LOGIN_FAILED,
        login: 'CONTOSO\\bob',
      });
      expect(sessions).toEqual([]);
    } finally {
      await listener.close();
    }
  });

  it('a login CONNECT SQL is denied to gets 18456 over TDS, the cause in the log only', async () => {
    const { lab, alice, mi } = setup();
    mi.denyConnectSql('CONTOSO\\alice');
    const logins: TdsLoginEvent[] = [];
    const listener = await mi.listen({ onLogin: (e) => logins.push(e) });
    try {
      const ca = (await lab.certificateAuthority()).certPem;
      const { token } = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      const e = await loginOverTds(listener, { token, ca, servername: mi.fqdn }).catch((x: unknown) => x);
      expect(e).toMatchObject({
        message: "the instance refused the login: 18456 Login failed for user 'CONTOSO\\alice'.",
        reason: 'sql-login-refused',
        sqlError: SqlErrorNumber.LOGIN_FAILED,
      });
      expect(logins).toEqual([
        expect.objectContaining({
          outcome: 'refused',
          reason: expect.stringContaining('CONNECT SQL is denied'),
        }),
      ]);
    } finally {
      await listener.close();
    }
  });

  it('rejects a token the instance cannot accept with 18452, the login name unknown to the client', async () => {
    const { lab, alice, mi } = setup();
    const listener = await mi.listen();
    try {
      const ca = (await lab.certificateAuthority()).certPem;
      const { token } = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
      await loginOverTds(listener, { token, ca, servername: mi.fqdn });
      // The same token again: a replay, refused by the instance's replay cache.
      const e = await loginOverTds(listener, { token, ca, servername: mi.fqdn }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LabError);
      expect(e).toMatchObject({
        reason: 'sql-login-refused',
        sqlError: SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN,
        login: undefined,
      });
      expect((e as LabError).message).toMatch(
        /^the instance refused the login: 18452 Login failed\. The login is from an untrusted domain/,
      );
    } finally {
      await listener.close();
    }
  });
});
