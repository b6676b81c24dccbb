import { ErrorCode, isKerberosError } from '@krbsim/core';
import { InProcessTransport, type KdcRequestInfo, Trace } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { asReq, hex } from './der';

const REPLY = Uint8Array.from([0x6b, 0x03, 0x30, 0x01, 0x00]);

describe('InProcessTransport', () => {
  it('delivers bytes to the realm handler and returns its reply', async () => {
    const seen: [Uint8Array, KdcRequestInfo][] = [];
    const t = new InProcessTransport().register('CONTOSO.COM', (req, info) => {
      seen.push([req, info]);
      return REPLY;
    });
    const request = asReq('alice', 'CONTOSO.COM');
    const reply = await t.send('CONTOSO.COM', request, { from: 'alice@CONTOSO.COM' });
    expect(hex(reply)).toBe(hex(REPLY));
    expect(hex(seen[0]![0])).toBe(hex(request));
    expect(seen[0]![1]).toEqual({ transport: 'inproc', peer: 'alice@CONTOSO.COM' });
  });

  it('passes copies both ways, never the caller objects', async () => {
    const shared = Uint8Array.from(REPLY);
    let received: Uint8Array | undefined;
    const t = new InProcessTransport().register('R', async (req) => {
      received = req;
      req[0] = 0; // a misbehaving KDC cannot touch the caller's buffer
      return shared;
    });
    const request = asReq('a', 'R');
    const reply = await t.send('R', request);
    expect(request[0]).toBe(0x6a);
    expect(received).not.toBe(request);
    expect(reply).not.toBe(shared);
    reply[0] = 0;
    expect(shared[0]).toBe(0x6b);
    // Node Buffers too, whose slice() is a view of the same memory, and the trace's copies as well.
    const trace = new Trace();
    const buffers = new InProcessTransport({ trace }).register('R', (req) => {
      req[1] = 0;
      return Buffer.from(REPLY);
    });
    const asBuffer = Buffer.from(asReq('a', 'R'));
    const out = await buffers.send('R', asBuffer);
    expect(asBuffer[1]).not.toBe(0);
    out[0] = 0;
    expect(trace.entries[0]!.reply![0]).toBe(0x6b);
    expect(trace.entries[0]!.request[1]).not.toBe(0);
  });

  it('reports an unknown realm as KDC_ERR_SVC_UNAVAILABLE naming the realm', async () => {
    const t = new InProcessTransport().register('A.COM', () => REPLY);
    const err = await t.send('B.COM', asReq('a', 'B.COM')).catch((e: unknown) => e);
    expect(isKerberosError(err, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)).toBe(true);
    expect((err as Error).message).toBe('cannot find KDC for realm B.COM (registered realms: A.COM)');
    expect((err as { realm: string }).realm).toBe('B.COM');
    expect(t.unregister('A.COM')).toBe(true);
    expect(t.realms).toEqual([]);
    const none = await t.send('A.COM', asReq('a', 'A.COM')).catch((e: unknown) => e);
    expect((none as Error).message).toBe('cannot find KDC for realm A.COM (registered realms: none)');
  });

  it('realm names are case-sensitive', async () => {
    const t = new InProcessTransport().register('CONTOSO.COM', () => REPLY);
    await expect(t.send('contoso.com', asReq('a', 'contoso.com'))).rejects.toThrow(
      /cannot find KDC for realm contoso.com/,
    );
  });

  it('propagates handler failures and traces every outcome', async () => {
    const trace = new Trace();
    const t = new InProcessTransport({ trace, from: 'svc' })
      .register('OK.COM', () => REPLY)
      .register('BAD.COM', () => {
        throw new Error('database locked');
      })
      .register('NULL.COM', () => undefined as unknown as Uint8Array);
    await t.send('OK.COM', asReq('a', 'OK.COM'), { label: 'cname=a', replyLabel: 'tgt' });
    await expect(t.send('BAD.COM', asReq('a', 'BAD.COM'))).rejects.toThrow('database locked');
    await expect(t.send('NULL.COM', asReq('a', 'NULL.COM'))).rejects.toThrow(
      'KDC handler for realm NULL.COM returned no bytes',
    );
    await expect(t.send('NONE.COM', asReq('a', 'NONE.COM'))).rejects.toThrow();
    expect(
      trace.entries.map((e) => [
        e.seq,
        e.from,
        e.to,
        e.requestType,
        e.replyType,
        e.label,
        e.replyLabel,
        e.error,
      ]),
    ).toEqual([
      [1, 'svc', 'KDC OK.COM', 'AS-REQ', 'AS-REP', 'cname=a', 'tgt', undefined],
      [2, 'svc', 'KDC BAD.COM', 'AS-REQ', undefined, undefined, undefined, 'database locked'],
      [
        3,
        'svc',
        'KDC NULL.COM',
        'AS-REQ',
        undefined,
        undefined,
        undefined,
        'KDC handler for realm NULL.COM returned no bytes',
      ],
      [
        4,
        'svc',
        'KDC NONE.COM',
        'AS-REQ',
        undefined,
        undefined,
        undefined,
        'cannot find KDC for realm NONE.COM (registered realms: OK.COM, BAD.COM, NULL.COM)',
      ],
    ]);
  });

  it('rethrows what the handler threw, and traces it, though it has no string form', async () => {
    // String() throws on it: tracing it once threw a TypeError in its place.
    const noText = Object.create(null) as object;
    const trace = new Trace();
    const t = new InProcessTransport({ trace }).register('R', () => {
      throw noText;
    });
    await expect(t.send('R', asReq('a', 'R'))).rejects.toBe(noText);
    expect(trace.entries.map((e) => e.error)).toEqual(['object with no string form']);
  });
});
