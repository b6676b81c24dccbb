import { Duration, ErrorCode, KerberosError, ManualClock } from '@krbsim/core';
import { FaultyTransport, InProcessTransport, Trace } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { asReq, tgsReq } from './der';

/** A KDC that echoes each request back, and counts them. */
function echo(): { transport: InProcessTransport; seen: Uint8Array[]; trace: Trace } {
  const seen: Uint8Array[] = [];
  const trace = new Trace();
  const transport = new InProcessTransport({ trace }).register('R', (req) => {
    seen.push(req);
    return req;
  });
  return { transport, seen, trace };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('FaultyTransport', () => {
  it('drops the first matching request as an unreachable KDC, then lets the next through', async () => {
    const { transport, seen } = echo();
    const t = new FaultyTransport(transport, { rules: [{ messageType: 'AS-REQ', fault: 'drop', times: 1 }] });
    const err = await t.send('R', asReq('a', 'R')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KerberosError);
    expect(err).toMatchObject({ code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE, realm: 'R' });
    expect((err as Error).message).toBe('no KDC of R answered: the AS-REQ was dropped (FaultyTransport)');
    expect(seen).toHaveLength(0);
    await t.send('R', asReq('a', 'R'));
    await t.send('R', tgsReq('R', 'krbtgt', 'R'));
    expect(seen).toHaveLength(2);
  });

  it('delays by moving the clock, duplicates, and corrupts one byte of the request or the reply', async () => {
    const clock = new ManualClock(0);
    const { transport, seen } = echo();
    const req = tgsReq('R', 'krbtgt', 'R');
    const delayed = new FaultyTransport(transport, {
      clock,
      rules: [{ fault: { delayMs: Duration.second } }],
    });
    await delayed.send('R', req);
    expect(clock.now()).toBe(Duration.second);

    seen.length = 0;
    const dup = new FaultyTransport(transport, { rules: [{ realm: 'R', fault: 'duplicate' }] });
    expect(hex(await dup.send('R', req))).toBe(hex(req));
    expect(seen.map(hex)).toEqual([hex(req), hex(req)]);

    seen.length = 0;
    const bad = new FaultyTransport(transport, { rules: [{ fault: 'corrupt-request' }] });
    const reply = await bad.send('R', req);
    const diff = [...req].filter((b, i) => b !== seen[0]![i]).length;
    expect(diff).toBe(1);
    expect(seen[0]![0]).toBe(req[0]); // the outer tag survives
    expect(hex(reply)).toBe(hex(seen[0]!));

    const badReply = new FaultyTransport(transport, { rules: [{ fault: 'corrupt-reply' }] });
    const r2 = await badReply.send('R', req);
    expect([...req].filter((b, i) => b !== r2[i]).length).toBe(1);
  });

  it("a duplicate's own failure is not the send's: the sender has the first answer", async () => {
    const req = asReq('a', 'R');
    let sends = 0;
    const flaky = new InProcessTransport().register('R', (r) => {
      sends++;
      if (sends === 2) throw new KerberosError(ErrorCode.KDC_ERR_SVC_UNAVAILABLE, 'the KDC went away');
      return r;
    });
    const dup = new FaultyTransport(flaky, { rules: [{ fault: 'duplicate' }] });
    expect(hex(await dup.send('R', req))).toBe(hex(req));
    expect(sends).toBe(2);
  });

  it('leaves other realms and types alone, and checks its rules', async () => {
    const { transport, seen } = echo();
    const t = new FaultyTransport(transport, { rules: [{ realm: 'OTHER', fault: 'drop' }] });
    await t.send('R', asReq('a', 'R'));
    expect(seen).toHaveLength(1);
    expect(() => new FaultyTransport(transport, { rules: [{ fault: { delayMs: 5 } }] })).toThrow(/clock/);
    expect(
      () =>
        new FaultyTransport(transport, { clock: new ManualClock(0), rules: [{ fault: { delayMs: -1 } }] }),
    ).toThrow(RangeError);
    expect(() => new FaultyTransport(transport, { rules: [{ fault: 'drop', times: 0 }] })).toThrow(
      RangeError,
    );
  });
});
