/**
 * Extended Protection on a listener (`mi.listen({ extendedProtection })`): a
 * login over TLS is held to the TLS channel's bindings, RFC 5929's
 * tls-server-end-point of the listener's certificate, which a Windows client
 * puts in its token (`initSecurityContext(spn, { channelBindings })`, with
 * KERB_AP_OPTIONS_CBT). `allowed` refuses a token bound to another channel (a
 * relay) and takes one bound to none; `required` refuses both; `off` checks
 * nothing. A refusal is 18452, as SQL Server answers a failed SSPI handshake.
 */

import {
  createAzureSqlMiLab,
  type ListenTdsOptions,
  SqlErrorNumber,
  type TdsLoginEvent,
} from '@krbsim/azure';
import { ManualClock } from '@krbsim/core';
import { createSelfSignedCa, issueServerCertificate, tlsServerEndPoint } from '@krbsim/pki';
import { connectTds, type TdsClientEncryption } from '@krbsim/tds';
import { afterEach, describe, expect, it } from 'vitest';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(options: ListenTdsOptions) {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 41,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  const logins: TdsLoginEvent[] = [];
  const listener = await mi.listen({ ...options, onLogin: (e) => logins.push(e) });
  closers.push(() => listener.close());
  const ca = (await lab.certificateAuthority()).certPem;
  const onPremPc = lab.adJoinedClient(alice);
  const cloudPc = lab.azureAdJoinedClient(alice);
  /**
   * Log alice in over `encryption`, her token bound as `bind` says: the channel's, none, or another's; from
   * her AD-joined PC (the incoming trust-based flow) or her Azure AD-joined one (the modern flow).
   */
  const login = async (
    bind: 'channel' | 'none' | Uint8Array,
    encryption: TdsClientEncryption = 'on',
    flow: 'trust' | 'modern' = 'trust',
  ) => {
    if (flow === 'modern' && cloudPc.cloudTgt === undefined) await cloudPc.signIn();
    const pc = flow === 'modern' ? cloudPc : onPremPc;
    const c = await connectTds({ port: listener.port, encryption, tls: { ca, servername: mi.fqdn } });
    closers.push(() => c.close());
    const channelBindings =
      bind === 'channel' ? tlsServerEndPoint(c.peerCertificate!) : bind === 'none' ? undefined : bind;
    const ctx = await pc.initSecurityContext(
      mi.spn,
      channelBindings === undefined ? {} : { channelBindings },
    );
    const r = await c.login({ sspi: ctx.token, hostName: 'WS1' });
    if (r.ok) ctx.complete(r.responseToken!);
    return r.ok ? 'accepted' : r.error.number;
  };
  return { login, logins };
}

/** The bindings of a channel to another server (what a relayed token carries). */
async function elsewhere(): Promise<Uint8Array> {
  const ca = await createSelfSignedCa({ commonName: 'another server' });
  return tlsServerEndPoint((await issueServerCertificate(ca, { dnsNames: ['evil.test'] })).certPem);
}

describe('Extended Protection', () => {
  it('required: a token bound to the channel logs in, over TDS 7.4 and TDS 8.0, by either flow; one bound to none is refused with 18452', async () => {
    const { login, logins } = await setup({ extendedProtection: 'required' });
    expect(await login('channel')).toBe('accepted');
    expect(await login('channel', 'strict')).toBe('accepted');
    expect(await login('channel', 'strict', 'modern')).toBe('accepted');
    expect(await login('none', 'on', 'modern')).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
    expect(await login('none')).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
    expect(await login(await elsewhere())).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
    expect(logins.filter((e) => e.outcome === 'refused').map((e) => e.reason)).toEqual([
      expect.stringMatching(/channel bindings/),
      expect.stringMatching(/channel bindings/),
      expect.stringMatching(/channel bindings/),
    ]);
  });

  it('allowed: a token bound to none logs in (FreeTDS sends none); one bound to another channel is refused', async () => {
    const { login } = await setup({ extendedProtection: 'allowed' });
    expect(await login('none')).toBe('accepted');
    expect(await login('channel')).toBe('accepted');
    expect(await login(await elsewhere())).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
  });

  it('is refused where no login can travel in TLS (encryption not-supported), before anything listens', async () => {
    for (const extendedProtection of ['required', 'allowed'] as const) {
      await expect(setup({ extendedProtection, encryption: 'not-supported' })).rejects.toThrow(
        `listenTds: extendedProtection '${extendedProtection}' needs TLS, and encryption 'not-supported' starts none`,
      );
    }
    // Without Extended Protection a listener in the clear is fine; allowed takes a clear login as it takes a token bound to none.
    const clear = await setup({ encryption: 'not-supported' });
    expect(await clear.login('none', 'not-supported')).toBe('accepted');
    const allowed = await setup({ extendedProtection: 'allowed', encryption: 'login-only' });
    expect(await allowed.login('none', 'not-supported')).toBe('accepted');
  });

  it('off (the default): the bindings are not looked at', async () => {
    const { login } = await setup({});
    expect(await login(await elsewhere())).toBe('accepted');
    expect(await login('none')).toBe('accepted');
  });

  it('login-only encryption binds the LOGIN7 that travelled in TLS; an unknown setting is refused', async () => {
    const { login, logins } = await setup({ extendedProtection: 'required', encryption: 'login-only' });
    expect(await login('channel', 'off')).toBe('accepted');
    expect(await login('none', 'off')).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
    // A client that offers no encryption sends its LOGIN7 in the clear: no channel, so required refuses it.
    expect(await login('none', 'not-supported')).toBe(SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN);
    expect(logins.at(-1)).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/came in the clear .*no channel bindings to check/),
    });
    await expect(setup({ extendedProtection: 'on' as never })).rejects.toThrow(
      "listenTds: extendedProtection 'on' is not off, allowed or required",
    );
  });
});
