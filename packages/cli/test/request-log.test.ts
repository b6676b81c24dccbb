/**
 * The request log's fields come from the KDC's request events for real
 * exchanges (a krbsim client against the topology's realms, in process):
 * message types, client and server principals, error codes and names.
 */

import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { Kdc, type KdcRequestEvent } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { capLogLine, escapeLogText, logField } from '../src/log-text';
import { isFailure, loginText, requestJson, requestText } from '../src/request-log';
import { loadTopologyFile } from '../src/serve';
import { startTopology } from '../src/start-topology';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;

/** alice's AS (with pre-authentication) and TGS exchanges, and one for an unknown service, as the KDC saw them. */
async function exchanges(): Promise<KdcRequestEvent[]> {
  const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')), {
    listen: false,
    seed: 3,
  });
  const events: KdcRequestEvent[] = [];
  const kdc = new Kdc(topo.realms.get('CONTOSO.COM')!, { onRequest: (e) => events.push(e) });
  const transport = new InProcessTransport().register('CONTOSO.COM', (request) => kdc.handle(request));
  const client = new KerberosClient({ realm: 'CONTOSO.COM', transport });
  await client.getInitialCredentials('alice', { password: 'correct horse battery staple' });
  await client.getServiceTicket('host/server.contoso.com');
  await client.getServiceTicket('nope/nowhere.contoso.com').catch(() => undefined);
  kdc.handle(new Uint8Array([1, 2, 3]));
  await topo.close();
  return events;
}

describe("the KDC's request events", () => {
  it('name the messages, the client, the server and the error of each exchange', async () => {
    const described = (await exchanges()).map(({ line: _line, ...fields }) => fields);
    expect(described).toEqual([
      {
        msgType: 'AS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'krbtgt/CONTOSO.COM@CONTOSO.COM',
        outcome: 'KRB-ERROR',
        errorCode: 25,
        errorName: 'KDC_ERR_PREAUTH_REQUIRED',
      },
      {
        msgType: 'AS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'krbtgt/CONTOSO.COM@CONTOSO.COM',
        outcome: 'AS-REP',
      },
      // A TGS-REQ names its client only inside the ticket, which the KDC reads.
      {
        msgType: 'TGS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'host/server.contoso.com@CONTOSO.COM',
        outcome: 'TGS-REP',
      },
      // A failed TGS-REQ too, though an AD realm's KRB-ERROR does not name the client.
      {
        msgType: 'TGS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'nope/nowhere.contoso.com@CONTOSO.COM',
        outcome: 'KRB-ERROR',
        errorCode: 7,
        errorName: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
      },
      // Garbage: no names.
      { msgType: 'REQ', outcome: 'KRB-ERROR', errorCode: 0x3c, errorName: 'KRB_ERR_GENERIC' },
    ]);
  });
});

describe('isFailure', () => {
  it('is true for a KRB-ERROR other than PREAUTH_REQUIRED, false for replies and PREAUTH_REQUIRED', async () => {
    expect((await exchanges()).map(isFailure)).toEqual([false, false, false, true, true]);
  });
});

describe('requestJson and requestText', () => {
  const entry = {
    time: '2026-01-01T00:00:00.000Z',
    realm: 'CONTOSO.COM',
    transport: 'udp' as const,
    peer: '127.0.0.1:5000',
    msgType: 'AS-REQ',
    client: 'alice@CONTOSO.COM',
    server: 'krbtgt/CONTOSO.COM@CONTOSO.COM',
    outcome: 'AS-REP',
    requestBytes: 200,
    replyBytes: 700,
    durationMs: 0.25,
    line: 'AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
  };

  it('JSON: the structured fields and the worker, not the text line', () => {
    const { line: _line, ...fields } = entry;
    expect(requestJson(entry, { worker: 2 })).toEqual({ event: 'request', ...fields, worker: 2 });
  });

  it('text: time, realm, transport, peer, the KDC line, sizes and duration', () => {
    expect(requestText(entry)).toBe(
      '2026-01-01T00:00:00.000Z CONTOSO.COM udp 127.0.0.1:5000 AS-REQ alice@CONTOSO.COM for ' +
        'krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP (700 B, 0.25 ms)',
    );
    expect(requestText(entry, { worker: 1 })).toMatch(/ \[worker 1\]$/);
  });
});

describe('the text log of what a client chose', () => {
  const login = {
    time: '2026-01-01T00:00:00.000Z',
    instance: 'mi1',
    peer: '127.0.0.1:5000',
    outcome: 'refused' as const,
    sqlError: 18456,
    reason: 'no login',
  };

  it("escapes LOGIN7's host name, its backslashes too, and caps it", () => {
    // A forged line after a carriage return, an escape sequence, a line separator, and a backslash
    // that spells an escape itself.
    const hostName =
      "WS1\r2026-01-01T00:00:01.000Z mi1 tds 10.0.0.9:1 LOGIN7 from 'DC' -> logged in\x1b[2K\u2028\\x0d";
    expect(loginText({ ...login, hostName })).toBe(
      "2026-01-01T00:00:00.000Z mi1 tds 127.0.0.1:5000 LOGIN7 from 'WS1\\x0d2026-01-01T00:00:01.000Z mi1 tds 10.0.0.9:1 " +
        "LOGIN7 from 'DC' -> logged in\\x1b[2K\\u2028\\\\x0d' -> refused with 18456: no login",
    );
    expect(loginText({ ...login, hostName: 'h'.repeat(300) })).toBe(
      `2026-01-01T00:00:00.000Z mi1 tds 127.0.0.1:5000 LOGIN7 from '${'h'.repeat(256)}...[+44 chars]' -> refused with 18456: no login`,
    );
  });

  it('cuts a field between escapes and code points, never inside one', () => {
    expect(escapeLogText('a\u0000b\u007f\u0085\u200e\u202e\u2066c')).toBe(
      'a\\x00b\\x7f\\x85\\u200e\\u202e\\u2066c',
    );
    expect(logField('ab\x1bcd', { max: 4 })).toBe('ab...[+6 chars]');
    expect(logField('ab\x1bcd', { max: 6 })).toBe('ab\\x1b...[+2 chars]');
    expect(logField('a\u{1f600}b', { max: 2 })).toBe('a...[+3 chars]');
  });

  it('keeps a whole line below 4096 bytes, cut at a character', () => {
    const line = `${'é'.repeat(3000)}`;
    const cut = capLogLine(line);
    expect(Buffer.byteLength(`${cut}\n`)).toBeLessThan(4096);
    expect(cut.endsWith('é...[cut]')).toBe(true);
    expect(capLogLine('short')).toBe('short');
  });
});
