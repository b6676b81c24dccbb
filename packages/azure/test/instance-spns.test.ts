/**
 * The SPNs of a managed instance's account over its life: `mi.addSpn` and
 * the listeners of `mi.listen()` register theirs (`setspn -S`), a closed
 * listener's SPN is unregistered (`setspn -D`), and the instance's
 * acceptor, made again for each change, keeps its replay cache.
 */

import { createAzureSqlMiLab, LabError } from '@krbsim/azure';
import { ErrorCode } from '@krbsim/core';
import { Realm } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';

const tcpServers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe("a managed instance's SPNs", () => {
  it('a replayed login token stays refused after an SPN is added or removed (the acceptor is made again)', async () => {
    const qs = createAzureSqlMiLab.quickStart({ seed: 7 });
    const ctx = await qs.client.initSecurityContext(qs.instance.spn);
    qs.instance.accept(ctx.token);
    const replay = () => qs.instance.accept(ctx.token);
    expect(replay).toThrow(expect.objectContaining({ code: ErrorCode.KRB_AP_ERR_REPEAT }));
    qs.instance.addSpn('MSSQLSvc/127.0.0.1:14330');
    expect(replay).toThrow(expect.objectContaining({ code: ErrorCode.KRB_AP_ERR_REPEAT }));
    expect(qs.instance.removeSpn('MSSQLSvc/127.0.0.1:14330')).toBe(true);
    expect(replay).toThrow(expect.objectContaining({ code: ErrorCode.KRB_AP_ERR_REPEAT }));
  });

  it('mi.listen() on an instance not enabled yet is refused before a socket is opened', async () => {
    await using lab = createAzureSqlMiLab({ seed: 7 });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    const before = tcpServers();
    await expect(mi.listen()).rejects.toMatchObject({ reason: 'windows-authentication-not-enabled' });
    expect(tcpServers()).toBe(before);
  });

  it("a closed listener's SPN is unregistered: another instance can listen on that port", async () => {
    const qs = createAzureSqlMiLab.quickStart({ seed: 7 });
    await using lab = qs.lab;
    const first = await qs.instance.listen();
    const realm = lab.tenant.realm;
    expect(realm.lookup(first.spn)?.name.nameString).toEqual(qs.instance.spn.split('/'));
    await first.close();
    expect(realm.lookup(first.spn)).toBeUndefined();
    // The instance's own SPN stays.
    expect(qs.instance.removeSpn(qs.instance.spn)).toBe(false);
    expect(realm.lookup(qs.instance.spn)).toBeDefined();
    const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.1.0/24' });
    mi2.enableWindowsAuthenticationPrerequisites();
    const second = await mi2.listen({ port: first.port });
    expect(second.spn).toBe(first.spn);
    expect(realm.lookup(second.spn)?.name.nameString).toEqual(mi2.spn.split('/'));
  });

  it('an SPN another account holds: LabError duplicate-spn, and a listener that cannot register closes', async () => {
    const qs = createAzureSqlMiLab.quickStart({ seed: 7 });
    await using lab = qs.lab;
    const mi2 = lab.addManagedInstance({ name: 'mi2', dnsZone: 'abc123', subnet: '10.0.1.0/24' });
    mi2.enableWindowsAuthenticationPrerequisites();
    const taken = (() => {
      try {
        mi2.addSpn(qs.instance.spn);
      } catch (e) {
        return e;
      }
      throw new Error('added');
    })();
    expect(taken).toBeInstanceOf(LabError);
    expect(taken).toMatchObject({ reason: 'duplicate-spn', code: ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE });
    // A listener whose SPN is taken (registered by hand on the first instance) does not stay open.
    const listening = await qs.instance.listen();
    const port = listening.port;
    await listening.close();
    qs.instance.addSpn(`MSSQLSvc/127.0.0.1:${port}`);
    const before = tcpServers();
    await expect(mi2.listen({ port })).rejects.toMatchObject({ reason: 'duplicate-spn' });
    expect(tcpServers()).toBe(before);
  });
});

describe('Realm.removeSpn (setspn -D)', () => {
  it('unregisters an added SPN, and never the principal itself or another account', () => {
    const realm = new Realm({ name: 'A.TEST' });
    realm.addService('HTTP/web.a.test', { password: 'service password 1' });
    realm.addService('HTTP/other.a.test', { password: 'service password 2' });
    realm.addSpn('HTTP/web.a.test', 'HTTP/web');
    expect(realm.lookup('HTTP/web')?.name.nameString).toEqual(['HTTP', 'web.a.test']);
    expect(realm.removeSpn('HTTP/other.a.test', 'HTTP/web')).toBe(false);
    expect(realm.removeSpn('HTTP/web.a.test', 'HTTP/web.a.test')).toBe(false);
    expect(realm.removeSpn('HTTP/web.a.test', 'HTTP/web')).toBe(true);
    expect(realm.lookup('HTTP/web')).toBeUndefined();
    expect(realm.lookup('HTTP/web.a.test')).toBeDefined();
    expect(realm.removeSpn('HTTP/web.a.test', 'HTTP/web')).toBe(false);
    expect(realm.removeSpn('nobody', 'HTTP/web')).toBe(false);
  });
});
