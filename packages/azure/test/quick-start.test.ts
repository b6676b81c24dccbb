/**
 * The test double in a test: the one-call lab, its default clock and what a
 * client on another clock is told, and `await using` for labs and servers.
 */

import { createServer } from 'node:net';
import { AZURE_LAB_DEFAULT_TIME, createAzureSqlMiLab, LabError, SqlErrorNumber } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, isKerberosError, type KerberosError, ManualClock, systemClock } from '@krbsim/core';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

describe('createAzureSqlMiLab.quickStart', () => {
  it('gives a user, an instance with its login, the trust and a client: one call to a session', async () => {
    await using qs = createAzureSqlMiLab.quickStart();
    expect(qs.user.upn).toBe('alice@contoso.com');
    expect(qs.instance.spn).toBe('MSSQLSvc/mi1.abc123.database.windows.net:1433');
    expect(qs.instance.windowsAuthenticationEnabled).toBe(true);
    expect(qs.lab.cloudTrust).toBeDefined();
    const session = await qs.connect();
    expect(session.login).toBe('CONTOSO\\alice');
    expect(session.loginSource).toBe('WINDOWS');
    // getToken: a token the instance accepts, for tests that drive accept themselves.
    const token = await qs.getToken();
    expect(qs.instance.accept(token, qs.client.participant).clientPrincipal).toBe('alice@CONTOSO.COM');
    expect(qs.lab.trace.toText()).toContain('KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)');
  });

  it('takes the lab options and what to set up: the modern flow, an Azure AD login, other names', async () => {
    const qs = createAzureSqlMiLab.quickStart({
      seed: 9,
      onPremRealm: 'FABRIKAM.COM',
      user: 'bob',
      password: 'B0b-Passw0rd!',
      instance: { name: 'sql2', dnsZone: 'zz9', subnet: '10.1.0.0/24' },
      flow: 'modern',
      authenticationMetadata: 'AzureAD',
    });
    const session = await qs.connect();
    expect(session.login).toBe('bob@fabrikam.com');
    expect(session.loginSource).toBe('EXTERNAL PROVIDER');
    expect(session.clientPrincipal).toBe('bob\\@fabrikam.com@KERBEROS.MICROSOFTONLINE.COM');
    expect(qs.instance.fqdn).toBe('sql2.zz9.database.windows.net');
  });

  it('is an ordinary lab underneath: a test can break one step and read what is missing', async () => {
    const qs = createAzureSqlMiLab.quickStart({ authenticationMetadata: 'Windows' });
    qs.instance.authenticationMetadata = 'AzureAD';
    const err = await qs.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ reason: 'login-mode-mismatch', sqlError: SqlErrorNumber.LOGIN_FAILED });
  });
});

describe("the lab's default clock", () => {
  it('is a ManualClock at 2026-01-01T08:00:00Z that moves only when told', () => {
    const lab = createAzureSqlMiLab();
    expect(AZURE_LAB_DEFAULT_TIME).toBe(Date.UTC(2026, 0, 1, 8));
    expect(lab.clockIsDefault).toBe(true);
    expect(lab.clock.now()).toBe(AZURE_LAB_DEFAULT_TIME);
    expect(lab.clock).toBeInstanceOf(ManualClock);
    expect(createAzureSqlMiLab({ clock: systemClock }).clockIsDefault).toBe(false);
  });

  /** A client of the lab's on-prem KDC on its own clock, a day after the lab's (a client on the system clock is further off). */
  function clientOnItsOwnClock(
    lab: ReturnType<typeof createAzureSqlMiLab>,
    clock = new ManualClock(AZURE_LAB_DEFAULT_TIME + 86_400_000),
  ) {
    const realm = lab.onPrem.realm.name;
    return new KerberosClient({
      realm,
      transport: new InProcessTransport().register(realm, (r) => lab.onPrem.handle(r)),
      clock,
    });
  }

  it('a client on another clock gets KRB_AP_ERR_SKEW that names the lab clock, and how to share it', async () => {
    const lab = createAzureSqlMiLab();
    lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const err = (await clientOnItsOwnClock(lab)
      .getInitialCredentials('alice', { password: 'correct horse battery staple' })
      .catch((e: unknown) => e)) as KerberosError;
    expect(isKerberosError(err, ErrorCode.KRB_AP_ERR_SKEW)).toBe(true);
    expect(err.message).toContain(
      'the lab runs on its default clock, a ManualClock that started at 2026-01-01T08:00:00.000Z',
    );
    expect(err.message).toContain('give the client lab.clock, or create the lab with { clock: systemClock }');
    // On the lab's clock, the same client gets its TGT.
    const tgt = await clientOnItsOwnClock(lab, lab.clock as ManualClock).getInitialCredentials('alice', {
      password: 'correct horse battery staple',
    });
    expect(tgt.client.realm).toBe('CONTOSO.COM');
  });

  it("with a clock of its own, the lab adds nothing to the KDC's skew error", async () => {
    const lab = createAzureSqlMiLab({ clock: new ManualClock(AZURE_LAB_DEFAULT_TIME) });
    lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const err = (await clientOnItsOwnClock(lab)
      .getInitialCredentials('alice', { password: 'correct horse battery staple' })
      .catch((e: unknown) => e)) as KerberosError;
    expect(err.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(err.message).not.toContain('default clock');
  });

  it('the instance says the same when an authenticator is off the default clock', async () => {
    const qs = createAzureSqlMiLab.quickStart();
    const token = await qs.getToken();
    (qs.lab.clock as ManualClock).advance(10 * 60_000); // the ticket is still good; the authenticator is 10 minutes old
    let err: unknown;
    try {
      qs.instance.accept(token);
    } catch (e) {
      err = e;
    }
    expect(isKerberosError(err, ErrorCode.KRB_AP_ERR_SKEW)).toBe(true);
    expect((err as Error).message).toContain('the lab runs on its default clock');
  });
});

describe('await using', () => {
  it('a lab closes the TDS listeners its instances opened', async () => {
    let port: number;
    {
      await using qs = createAzureSqlMiLab.quickStart();
      const listener = await qs.instance.listen();
      port = listener.port;
      expect(listener.connections()).toBe(0);
    }
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  it('a TDS listener closes itself too', async () => {
    const qs = createAzureSqlMiLab.quickStart();
    let port: number;
    {
      await using listener = await qs.instance.listen();
      port = listener.port;
    }
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  it('a lab with nothing open disposes at once, and twice', async () => {
    const lab = createAzureSqlMiLab();
    await lab[Symbol.asyncDispose]();
    await lab[Symbol.asyncDispose]();
  });
});
