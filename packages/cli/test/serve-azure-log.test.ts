/**
 * `krbsim serve azure-sql-mi` logs as a topology's serve does: one line per
 * KDC request (the on-prem KDC's over UDP, Azure AD's through the KDC proxy,
 * `kkdcp`) and one per TDS login, filtered by `--log-level`, as text or as
 * `--json-log` objects; the listeners' own lines at `debug` only.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AZURE_AD_REALM, LabError, loginOverTds } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { systemClock, systemRandom } from '@krbsim/core';
import { UdpTcpTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { startAzureLab } from '../src/azure-lab';
import type { LogLevel } from '../src/request-log';
import { loadServeFile } from '../src/serve-file';
import { serveLog } from '../src/serve-log';
import { proxiedClient } from './https-post';

/** Serve the built-in lab logging at `level`; alice and bob log in over the wire; the lines written. */
async function servedLog(level: LogLevel, json: boolean): Promise<string[]> {
  const file = await loadServeFile('azure-sql-mi');
  if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
  const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-log-'));
  const lines: string[] = [];
  const log = serveLog((line) => lines.push(line), { json, level });
  const running = await startAzureLab({ lab: file.lab, dir, ...log.labOptions });
  try {
    const kdc = running.ports.kdcs['CONTOSO.COM']!;
    const onPrem = new KerberosClient({
      realm: 'CONTOSO.COM',
      transport: new UdpTcpTransport({ kdcs: { 'CONTOSO.COM': [{ host: kdc.host, port: kdc.udp }] } }),
      clock: systemClock,
      random: systemRandom,
    });
    await onPrem.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' });
    const ca = await readFile(running.ports.ca, 'utf8');
    // Whatever Azure AD answers a password (its users sign in with a PRT): the request is logged.
    await proxiedClient(AZURE_AD_REALM, running.ports.kdcProxy[AZURE_AD_REALM]!, ca)
      .getInitialCredentials('alice@contoso.com', { password: 'Al1ce-Passw0rd' })
      .catch(() => undefined);
    const { lab } = running;
    const mi = lab.managedInstances[0]!;
    for (const name of ['alice', 'bob']) {
      const { token } = await lab.adJoinedClient(lab.onPrem.user(name)!).initSecurityContext(mi.spn);
      const r = await loginOverTds(running.ports.tds.mi1!, {
        token,
        ca,
        servername: mi.fqdn,
        hostName: 'WS1',
      })
        .then(() => 'accepted')
        .catch((e: unknown) => (e instanceof LabError ? e.sqlError : e));
      expect(r).toBe(name === 'alice' ? 'accepted' : 18456);
    }
  } finally {
    await running.close();
    await rm(dir, { recursive: true, force: true });
  }
  return lines.map((l) => {
    expect(l.endsWith('\n')).toBe(true);
    return l.slice(0, -1);
  });
}

const events = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

/** The requests and logins, one short string each, in order. */
function summary(lines: string[]): string[] {
  return events(lines).flatMap((e) => {
    if (e.event === 'request')
      return [`${e.realm} ${e.transport} ${e.msgType} -> ${e.errorName ?? e.outcome}`];
    if (e.event === 'login') return [`login ${e.instance} ${e.outcome}`];
    return [];
  });
}

describe('krbsim serve azure-sql-mi: the log', () => {
  it('info: every KDC request, the on-prem KDC and Azure AD through its proxy, and every TDS login', async () => {
    const lines = await servedLog('info', true);
    expect(summary(lines)).toEqual([
      'CONTOSO.COM udp AS-REQ -> KDC_ERR_PREAUTH_REQUIRED',
      // The AS-REP with alice's PAC is too long for UDP: the client asks again over TCP.
      'CONTOSO.COM udp AS-REQ -> KRB_ERR_RESPONSE_TOO_BIG',
      'CONTOSO.COM tcp AS-REQ -> AS-REP',
      // Azure AD holds no password key for its users (they sign in with a PRT): the timestamp fails.
      'KERBEROS.MICROSOFTONLINE.COM kkdcp AS-REQ -> KDC_ERR_PREAUTH_REQUIRED',
      'KERBEROS.MICROSOFTONLINE.COM kkdcp AS-REQ -> KDC_ERR_PREAUTH_FAILED',
      'login mi1 accepted',
      'login mi1 refused',
    ]);
    const all = events(lines);
    const request = all.find((e) => e.event === 'request' && e.outcome === 'AS-REP')!;
    expect(request).toMatchObject({
      realm: 'CONTOSO.COM',
      transport: 'tcp',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      client: 'alice@CONTOSO.COM',
      server: 'krbtgt/CONTOSO.COM@CONTOSO.COM',
      requestBytes: expect.any(Number),
      replyBytes: expect.any(Number),
    });
    const logins = all.filter((e) => e.event === 'login');
    expect(logins).toEqual([
      {
        event: 'login',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        instance: 'mi1',
        peer: '127.0.0.1',
        hostName: 'WS1',
        outcome: 'accepted',
        client: 'alice@CONTOSO.COM',
        login: 'CONTOSO\\alice',
      },
      {
        event: 'login',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        instance: 'mi1',
        peer: '127.0.0.1',
        hostName: 'WS1',
        outcome: 'refused',
        sqlError: 18456,
        reason: expect.stringContaining('CONTOSO\\bob'),
      },
    ]);
    // The TDS connections' own lines are the listeners': debug only.
    expect(all.filter((e) => e.event === 'transport')).toEqual([]);
    // Never a password, even with every request logged.
    for (const l of lines) expect(l).not.toMatch(/Passw0rd/);
  });

  it('error: the failures only (PREAUTH_REQUIRED is no failure), and the refused login', async () => {
    const lines = await servedLog('error', true);
    const s = summary(lines);
    expect(s).toEqual([
      'KERBEROS.MICROSOFTONLINE.COM kkdcp AS-REQ -> KDC_ERR_PREAUTH_FAILED',
      'login mi1 refused',
    ]);
  });

  it('none: no request or login lines; debug adds the listeners own lines, TDS connections included', async () => {
    expect(summary(await servedLog('none', true))).toEqual([]);
    const debug = events(await servedLog('debug', true));
    const transport = debug.filter((e) => e.event === 'transport').map((e) => String(e.line));
    expect(transport).toContainEqual(expect.stringMatching(/^mi1 spid \d+: connected from 127\.0\.0\.1:/));
    expect(transport).toContainEqual(expect.stringMatching(/^mi1 spid \d+: logged in as CONTOSO\\alice /));
    expect(debug.filter((e) => e.event === 'login')).toHaveLength(2);
  });

  it('text: a request line and a login line as people read them', async () => {
    const lines = await servedLog('info', false);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\d{4}-\S+ CONTOSO\.COM tcp 127\.0\.0\.1:\d+ AS-REQ alice@CONTOSO\.COM .*-> AS-REP \(\d+ B, [\d.]+ ms\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\d{4}-\S+ CONTOSO\.COM udp 127\.0\.0\.1:\d+ AS-REQ alice@CONTOSO\.COM .*-> AS-REP, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG \(\d+ B, [\d.]+ ms\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\d{4}-\S+ mi1 tds 127\.0\.0\.1 LOGIN7 from 'WS1' -> logged in as CONTOSO\\alice \(alice@CONTOSO\.COM\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^\d{4}-\S+ mi1 tds 127\.0\.0\.1 LOGIN7 from 'WS1' -> refused with 18456: /),
    );
  });
});
