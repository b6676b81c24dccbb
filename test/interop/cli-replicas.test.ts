/**
 * Replicas of one realm: two `krbsim serve` processes started from the same
 * topology and `--seed`, the second with `--replica-of` the first's
 * ports.json, so its krb5.conf lists both KDCs (`kdc =` the first, then
 * itself), as a realm's replicas are listed for MIT's client. MIT's kinit
 * and kvno run in a loop in a shell; the first replica is killed in the
 * middle of the loop; every iteration still succeeds, answered by the other
 * (MIT moves to the next `kdc =` line when one does not answer). Then a TGT
 * the dead replica issued buys a service ticket at the live one, and that
 * ticket decrypts with the dead replica's keytab: one realm, one set of keys.
 * And a password MIT's kpasswd changes at the first replica (the second's
 * krb5.conf names its kpasswd_server) reaches the second, which logs the user
 * on with it once the first is gone.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PortsJson } from '../../packages/cli/src/index';
import { killServe, startKrbsimServe } from './helpers/krbsim-serve';
import { MIT_CLIENT_TOOLS, MitClient } from './helpers/mit';
import {
  makeTempDir,
  type RunningProcess,
  startProcess,
  stopAllProcesses,
  type TempDir,
} from './helpers/processes';
import { describeWithTools } from './mit-tools';

const ROOT = resolve(__dirname, '../..');
const TOPOLOGY = join(ROOT, 'packages/cli/examples/contoso-fabrikam.yaml');
const ALICE = 'correct horse battery staple';
/** A service with no password in the topology: its key comes from the seed. */
const SERVICE = 'HTTP/web.contoso.com';
const LOOPS = 12;
const KILL_AFTER = 4;

const requests = (p: RunningProcess) =>
  p
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"event":"request"'))
    .map((l) => JSON.parse(l) as { realm: string; msgType: string; outcome: string });

describeWithTools('krbsim serve replicas: MIT clients fail over', [...MIT_CLIENT_TOOLS, 'sh'], (tools) => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await makeTempDir('cli-replicas');
  });
  afterAll(async () => {
    await stopAllProcesses();
    await dir?.remove();
  });

  const serve = (name: string, extra: string[]) =>
    startKrbsimServe([
      TOPOLOGY,
      '--dir',
      dir.file(name),
      '--seed',
      'interop-replicas',
      '--json-log',
      ...extra,
    ]);

  it('kinit/kvno in a loop carry on with the second replica when the first is killed', async () => {
    const a = serve('a', []);
    await a.waitForOutput((out) => out.includes('"event":"ready"'), 60_000);
    const b = serve('b', ['--replica-of', dir.file('a', 'ports.json')]);
    await b.waitForOutput((out) => out.includes('"event":"ready"'), 60_000);
    const portsA = JSON.parse(await readFile(dir.file('a', 'ports.json'), 'utf8')) as PortsJson;
    const portsB = JSON.parse(await readFile(dir.file('b', 'ports.json'), 'utf8')) as PortsJson;
    const kdcA = `${portsA.realms['CONTOSO.COM']!.host}:${portsA.realms['CONTOSO.COM']!.udp}`;
    const kdcB = `${portsB.realms['CONTOSO.COM']!.host}:${portsB.realms['CONTOSO.COM']!.udp}`;
    expect(portsB.realms['CONTOSO.COM']!.kdcs).toEqual([kdcA, kdcB]);
    expect(portsB.realms['CONTOSO.COM']!.check).toBe(portsA.realms['CONTOSO.COM']!.check);
    expect(await readFile(portsB.krb5conf, 'utf8')).toContain(`kdc = ${kdcA}\n        kdc = ${kdcB}\n`);

    const diagnostics = () =>
      `--- replica a\n${a.stdout()}${a.stderr()}\n--- replica b\n${b.stdout()}${b.stderr()}`;
    const mit = new MitClient(tools, dir.path, portsB.krb5conf, dir.file('cc'), diagnostics);
    // Both alive: MIT asks the first kdc line, replica a.
    await mit.ok('kinit', ['alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    expect(requests(a).length).toBeGreaterThanOrEqual(2);
    expect(requests(b)).toHaveLength(0);

    // The loop: a fresh TGT (AS) and a service ticket (TGS) per iteration, from the KDCs in krb5.conf.
    const script = [
      'i=1',
      `while [ $i -le ${LOOPS} ]; do`,
      `  echo "$ALICE_PASSWORD" | "${tools.kinit}" alice@CONTOSO.COM >/dev/null || { echo "kinit failed $i"; exit 1; }`,
      `  "${tools.kvno}" ${SERVICE} >/dev/null || { echo "kvno failed $i"; exit 2; }`,
      '  echo "ok $i"',
      '  i=$((i + 1))',
      'done',
    ].join('\n');
    const loop = startProcess(tools.sh!, ['-c', script], {
      env: {
        ALICE_PASSWORD: ALICE,
        KRB5_CONFIG: portsB.krb5conf,
        KRB5CCNAME: `FILE:${dir.file('cc-loop')}`,
        KRB5RCACHETYPE: 'none',
        KRB5_KTNAME: `FILE:${dir.file('no-such-keytab')}`,
      },
      timeoutMs: 120_000,
    });
    await loop.waitForOutput((out) => out.includes(`ok ${KILL_AFTER}\n`), 60_000);
    await killServe(a, portsA, 'CONTOSO.COM'); // mid-loop
    const exit = await loop.exited();
    expect(exit, `${loop.stdout()}${loop.stderr()}\n${diagnostics()}`).toEqual({ code: 0, signal: null });
    expect(loop.stdout().trimEnd().split('\n').at(-1)).toBe(`ok ${LOOPS}`);
    // Replica b answered what a no longer could: AS-REQs and TGS-REQs, all answered.
    const atB = requests(b);
    expect(atB.some((r) => r.msgType === 'AS-REQ' && r.outcome === 'AS-REP')).toBe(true);
    // MIT's client armors its TGS-REQs (implicit FAST armor), so the outcome says so.
    expect(atB.some((r) => r.msgType === 'TGS-REQ' && r.outcome.startsWith('TGS-REP'))).toBe(true);

    // The TGT replica a issued before the loop buys a service ticket at replica b (one krbtgt key) ...
    await mit.ok('kvno', [SERVICE]);
    // ... and that ticket decrypts with the keytab replica a wrote (one service key, from the seed).
    const keytabA = portsA.keytabs[`${SERVICE}@CONTOSO.COM`]!;
    const r = await mit.ok('kvno', ['-k', keytabA, SERVICE]);
    expect(r.stdout).toContain('keytab entry valid');

    b.signal('SIGTERM');
    expect(await b.exited(), b.stderr()).toEqual({ code: 0, signal: null });
  });

  it('a password changed at the first replica reaches the second, which logs the user on when the first is gone', async () => {
    const topology = dir.file('feed.yaml');
    await writeFile(
      topology,
      'realms:\n  - name: FEED.TEST\n    users: [{ name: bob, password: B0b-Passw0rd }]\n',
    );
    const start = (name: string, extra: string[]) =>
      startKrbsimServe([topology, '--dir', dir.file(name), '--seed', 'feed', '--json-log', ...extra]);
    const a = start('feed-a', []);
    await a.waitForOutput((out) => out.includes('"event":"ready"'), 60_000);
    // debug: the transport lines, where b says it applied a change.
    const b = start('feed-b', ['--replica-of', dir.file('feed-a/ports.json'), '--log-level', 'debug']);
    await b.waitForOutput((out) => out.includes('"event":"ready"'), 60_000);
    const portsA = JSON.parse(await readFile(dir.file('feed-a/ports.json'), 'utf8')) as PortsJson;
    const portsB = JSON.parse(await readFile(dir.file('feed-b/ports.json'), 'utf8')) as PortsJson;
    const conf = await readFile(portsB.krb5conf, 'utf8');
    // b's krb5.conf: a's KDC, then b's; password changes to a's service.
    expect(conf).toContain(`kpasswd_server = 127.0.0.1:${portsA.realms['FEED.TEST']!.kpasswd}`);
    const mit = new MitClient(
      tools,
      dir.path,
      portsB.krb5conf,
      dir.file('cc-feed'),
      () => a.stdout() + b.stdout(),
    );
    const changed = await mit.run('kpasswd', ['bob@FEED.TEST'], {
      input: 'B0b-Passw0rd\nB0b-N3w-Passw0rd\nB0b-N3w-Passw0rd\n',
    });
    expect(changed.stdout + changed.stderr).toMatch(/Password changed/);
    await b.waitForOutput(
      (out) => out.includes('password of bob@FEED.TEST changed at the primary: applied'),
      30_000,
    );
    expect(b.stdout()).not.toContain('B0b-N3w-Passw0rd');
    // The first replica goes away: b answers alone, with the new password.
    await killServe(a, portsA, 'FEED.TEST');
    const r = await mit.run('kinit', ['bob@FEED.TEST'], { input: 'B0b-N3w-Passw0rd\n' });
    expect(r.code, mit.explain(r)).toBe(0);
    expect(requests(b).some((q) => q.msgType === 'AS-REQ' && q.outcome === 'AS-REP')).toBe(true);
    b.signal('SIGTERM');
    expect(await b.exited(), b.stderr()).toEqual({ code: 0, signal: null });
  });
});
