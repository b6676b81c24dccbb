/**
 * The request log's fields come from the bytes of real exchanges (a krbsim
 * client against the topology's KDCs, in process): message types, client
 * and server principals, error codes and names.
 */

import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { describeExchange, isFailureReply, requestJson, requestText } from '../src/request-log';
import { loadTopologyFile } from '../src/serve';
import { startTopology } from '../src/start-topology';

const EXAMPLES = new URL('../examples/', import.meta.url).pathname;

/** alice's AS (with pre-authentication) and TGS exchanges, and one for an unknown service. */
async function exchanges(): Promise<{ request: Uint8Array; reply: Uint8Array }[]> {
  const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')), {
    listen: false,
    seed: 3,
  });
  const kdc = topo.kdcs.get('CONTOSO.COM')!;
  const seen: { request: Uint8Array; reply: Uint8Array }[] = [];
  const transport = new InProcessTransport().register('CONTOSO.COM', (request) => {
    const reply = kdc.handle(request);
    seen.push({ request: request.slice(), reply });
    return reply;
  });
  const client = new KerberosClient({ realm: 'CONTOSO.COM', transport });
  await client.getInitialCredentials('alice', { password: 'correct horse battery staple' });
  await client.getServiceTicket('host/server.contoso.com');
  await client.getServiceTicket('nope/nowhere.contoso.com').catch(() => undefined);
  await topo.close();
  return seen;
}

describe('describeExchange', () => {
  it('names the messages, the client, the server and the error of each exchange', async () => {
    const described = (await exchanges()).map((e) => describeExchange(e.request, e.reply));
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
      // A TGS-REQ names its client only inside the ticket: the TGS-REP's cname says it.
      {
        msgType: 'TGS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'host/server.contoso.com@CONTOSO.COM',
        outcome: 'TGS-REP',
      },
      // A failed TGS-REQ: the KRB-ERROR's cname says who asked.
      {
        msgType: 'TGS-REQ',
        client: 'alice@CONTOSO.COM',
        server: 'nope/nowhere.contoso.com@CONTOSO.COM',
        outcome: 'KRB-ERROR',
        errorCode: 7,
        errorName: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
      },
    ]);
  });

  it('never throws: garbage in, garbage out, as unknown', () => {
    expect(describeExchange(new Uint8Array([1, 2, 3]), new Uint8Array(0))).toEqual({
      msgType: 'unknown',
      outcome: 'unknown',
    });
    // A KRB-ERROR tag with a body that does not decode keeps the message names only.
    expect(describeExchange(new Uint8Array([0x6a, 0]), new Uint8Array([0x7e, 0x01, 0x00]))).toEqual({
      msgType: 'AS-REQ',
      outcome: 'KRB-ERROR',
    });
  });
});

describe('isFailureReply', () => {
  it('is true for a KRB-ERROR other than PREAUTH_REQUIRED, false for replies and PREAUTH_REQUIRED', async () => {
    const replies = (await exchanges()).map((e) => isFailureReply(e.reply));
    expect(replies).toEqual([false, false, false, true]);
    expect(isFailureReply(new Uint8Array([0x7e, 0x00]))).toBe(true); // an undecodable KRB-ERROR
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
