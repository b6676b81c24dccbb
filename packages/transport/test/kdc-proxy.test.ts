import { decodeKdcProxyMessage, encodeKdcProxyMessage, encodeKpasswdMessage } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import {
  frameTcp,
  KdcProxy,
  KdcProxyTransport,
  kdcProxyRoute,
  Trace,
  unframeKerbMessage,
} from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { asReq as asReqDer, tgsReq as tgsReqDer } from './der';
import { ManualTimers } from './manual-timers';
import { udpProbes } from './udp-probes';

// A real AS-REQ and TGS-REQ (the proxy forwards only requests that decode); a stand-in reply.
const asReq = asReqDer('alice', 'KERBEROS.MICROSOFTONLINE.COM');
const tgsReq = tgsReqDer('KERBEROS.MICROSOFTONLINE.COM', 'krbtgt', 'KERBEROS.MICROSOFTONLINE.COM');
const asRep = Uint8Array.from([0x6b, 0x03, 0x02, 0x01, 0x07]);

function proxyFor(realm: string, seen: Uint8Array[] = []) {
  return new KdcProxy((r) =>
    r === realm
      ? (req) => {
          seen.push(req.slice());
          return asRep;
        }
      : undefined,
  );
}

describe('MS-KKDCP', () => {
  it('wraps the request with its length prefix and target domain, and unwraps the reply', async () => {
    const seen: Uint8Array[] = [];
    const proxy = proxyFor('KERBEROS.MICROSOFTONLINE.COM', seen);
    const bodies: Uint8Array[] = [];
    const trace = new Trace();
    const t = new KdcProxyTransport({
      url: 'https://login.microsoftonline.com:443:00000000-0000-0000-0000-000000000001/kerberos',
      post: async (_url, body) => {
        bodies.push(body);
        return proxy.handle(body);
      },
      trace,
      from: 'alice',
    });
    const reply = await t.send('KERBEROS.MICROSOFTONLINE.COM', asReq);
    expect(reply).toEqual(asRep);
    expect(seen).toEqual([asReq]);
    const sent = decodeKdcProxyMessage(bodies[0]!);
    expect(sent.targetDomain).toBe('KERBEROS.MICROSOFTONLINE.COM');
    expect(sent.kerbMessage).toEqual(frameTcp(asReq));
    expect(trace.entries[0]).toMatchObject({
      transport: 'kkdcp',
      requestType: 'AS-REQ',
      replyType: 'AS-REP',
    });
  });

  it('gives the POST a deadline and a size limit: a silent proxy is KDC_ERR_SVC_UNAVAILABLE, a huge answer refused', async () => {
    let signal: AbortSignal | undefined;
    const timers = new ManualTimers();
    const silent = new KdcProxyTransport({
      url: 'https://proxy.test/kerberos',
      post: (_url, _body, options) => {
        signal = options.signal;
        return new Promise<Uint8Array>(() => {});
      },
      timeoutMs: 20,
      timers,
    });
    const pending = silent.send('A.TEST', asReq).catch((x: unknown) => x);
    await Promise.resolve();
    expect(timers.scheduled).toBe(1);
    timers.advance(20);
    const e = await pending;
    expect(e).toBeInstanceOf(KerberosError);
    expect((e as KerberosError).code).toBe(ErrorCode.KDC_ERR_SVC_UNAVAILABLE);
    expect((e as Error).message).toBe(
      'no answer from the KDC proxy https://proxy.test/kerberos within 20 ms',
    );
    expect(signal?.aborted).toBe(true);
    let maxBytes = 0;
    const huge = new KdcProxyTransport({
      url: 'https://proxy.test/kerberos',
      post: async (_url, _body, options) => {
        maxBytes = options.maxBytes;
        return new Uint8Array(2048);
      },
      maxReplyBytes: 1024,
    });
    await expect(huge.send('A.TEST', asReq)).rejects.toThrow(
      'the KDC proxy https://proxy.test/kerberos answered 2048 bytes, past the 1024-byte limit',
    );
    expect(maxBytes).toBe(1024);
    expect(timers.scheduled).toBe(0);
    // A post that throws at once: that error, and its deadline cleared (none left to fire unhandled).
    const throwing = new KdcProxyTransport({
      url: 'https://proxy.test/kerberos',
      post: () => {
        throw new TypeError('no network');
      },
      timers,
    });
    await expect(throwing.send('A.TEST', asReq)).rejects.toThrow('no network');
    expect(timers.scheduled).toBe(0);
    expect(() => new KdcProxyTransport({ url: 'x', post: async () => asRep, timeoutMs: 2 ** 31 })).toThrow(
      RangeError,
    );
  });

  it('refuses a body with no target domain, an unknown realm, or a lying length prefix', async () => {
    const proxy = proxyFor('A.TEST');
    const noTarget = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq) });
    await expect(proxy.handle(noTarget)).rejects.toThrow(/target-domain is required/);
    const elsewhere = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'B.TEST' });
    await expect(proxy.handle(elsewhere)).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE });
    const lying = frameTcp(asReq);
    lying[3] = 0xff;
    const bad = encodeKdcProxyMessage({ kerbMessage: lying, targetDomain: 'A.TEST' });
    await expect(proxy.handle(bad)).rejects.toThrow(/length prefix says 255 bytes but \d+ follow/);
    expect(() => unframeKerbMessage(Uint8Array.of(0, 0))).toThrow(KerberosError);
    await expect(proxy.handle(Uint8Array.of(0x30, 0x05))).rejects.toBeInstanceOf(KerberosError);
  });

  it("admit() refuses what the proxy discards, asking no KDC; forward() carries the KDC's failure", async () => {
    let asked = 0;
    const down = new KerberosError(
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
      'cannot contact any KDC for realm A.TEST',
    );
    const proxy = new KdcProxy((r) =>
      r === 'A.TEST'
        ? () => {
            asked++;
            throw down;
          }
        : undefined,
    );
    // A realm not served, named with a line break: refused at once, the name escaped in the message.
    const forged = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'B.TEST\nforged' });
    expect(() => proxy.admit(forged)).toThrow('the KDC proxy does not serve realm B.TEST\\nforged');
    const admitted = proxy.admit(
      encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'A.TEST' }),
    );
    expect(admitted).toMatchObject({ realm: 'A.TEST', kpasswd: false });
    expect(asked).toBe(0);
    await expect(admitted.forward()).rejects.toBe(down);
    expect(asked).toBe(1);
  });

  it('routes target-domain to the realm whose name matches without regard to case (MS-KKDCP 2.2.2)', async () => {
    const seen: [string, Uint8Array][] = [];
    const kdc = (name: string) => (req: Uint8Array) => {
      seen.push([name, req.slice()]);
      return asRep;
    };
    const proxy = new KdcProxy(
      kdcProxyRoute({ 'KERBEROS.MICROSOFTONLINE.COM': kdc('azure'), 'contoso.com': kdc('contoso') }),
    );
    for (const [target, request] of [
      ['kerberos.microsoftonline.com', asReq],
      ['Kerberos.MicrosoftOnline.Com', tgsReq],
      ['CONTOSO.COM', asReq],
    ] as const) {
      const out = await proxy.handle(
        encodeKdcProxyMessage({ kerbMessage: frameTcp(request), targetDomain: target }),
      );
      expect(unframeKerbMessage(decodeKdcProxyMessage(out).kerbMessage), target).toEqual(asRep);
    }
    // Each to the KDC of the realm named, the Kerberos message as sent: the proxy rewrites nothing.
    expect(seen).toEqual([
      ['azure', asReq],
      ['azure', tgsReq],
      ['contoso', asReq],
    ]);
    // A name that is not a realm's, in any case, is still refused.
    const elsewhere = encodeKdcProxyMessage({
      kerbMessage: frameTcp(asReq),
      targetDomain: 'kerberos.microsoftonline.co',
    });
    await expect(proxy.handle(elsewhere)).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE });
    expect(seen).toHaveLength(3);
    // A Map works as the table; two names that differ only in case are one realm, given twice.
    expect(kdcProxyRoute(new Map([['A.TEST', kdc('a')]]))('a.test')).toBeTypeOf('function');
    expect(() => kdcProxyRoute({ 'A.TEST': kdc('a'), 'a.test': kdc('b') })).toThrow(
      /realms A\.TEST and a\.test differ only in case/,
    );
  });

  it('refuses a kerb-message that is not an AS-REQ or TGS-REQ without asking the KDC (MS-KKDCP 3.2.5.1)', async () => {
    const seen: Uint8Array[] = [];
    const proxy = proxyFor('A.TEST', seen);
    const send = (message: Uint8Array) =>
      proxy.handle(encodeKdcProxyMessage({ kerbMessage: frameTcp(message), targetDomain: 'A.TEST' }));
    // What a UDP KDC drops, the proxy refuses: another Kerberos message (a reply, a KRB-ERROR, an
    // AP-REQ) with KRB_AP_ERR_MSG_TYPE, anything else or a request that does not decode with
    // KRB_ERR_GENERIC; what a UDP KDC answers, the proxy forwards as it is.
    for (const probe of udpProbes('A.TEST')) {
      if (probe.answered) {
        await send(probe.bytes);
        expect(seen.pop(), probe.name).toEqual(probe.bytes);
        continue;
      }
      const otherMessage = probe.dropReason === 'krb-error' || probe.dropReason === 'not-a-request';
      await expect(send(probe.bytes), probe.name).rejects.toMatchObject({
        code: otherMessage ? ErrorCode.KRB_AP_ERR_MSG_TYPE : ErrorCode.KRB_ERR_GENERIC,
        message: expect.stringMatching(/^KDC-PROXY-MESSAGE: kerb-message is not an AS-REQ or TGS-REQ \(/),
      });
    }
    expect(seen).toEqual([]);
    await expect(send(asRep)).rejects.toThrow(/\(not a request: AS-REP\)$/);
  });

  it("relays a kpasswd request to the realm's password-change service when it has one (MS-KKDCP 4.2)", async () => {
    const apReq = Uint8Array.of(0x6e, 0x00);
    const krbPriv = Uint8Array.of(0x75, 0x00);
    const change = encodeKpasswdMessage({ version: 1, ap: apReq, rest: krbPriv });
    const set = encodeKpasswdMessage({ version: 0xff80, ap: apReq, rest: krbPriv });
    const answer = encodeKpasswdMessage({ version: 1, ap: Uint8Array.of(0x6f, 0x00), rest: krbPriv });
    const toKdc: Uint8Array[] = [];
    const toKpasswd: Uint8Array[] = [];
    const kdc = (req: Uint8Array) => {
      toKdc.push(req);
      return asRep;
    };
    const service = (req: Uint8Array) => {
      toKpasswd.push(req);
      return answer;
    };
    const proxy = new KdcProxy(kdcProxyRoute({ 'A.TEST': kdc }), {
      kpasswd: kdcProxyRoute({ 'A.TEST': service }),
    });
    const send = (message: Uint8Array, targetDomain = 'a.test') =>
      proxy.handle(encodeKdcProxyMessage({ kerbMessage: frameTcp(message), targetDomain }));
    for (const request of [change, set]) {
      const reply = decodeKdcProxyMessage(await send(request));
      expect(unframeKerbMessage(reply.kerbMessage)).toEqual(answer);
    }
    expect(toKpasswd).toEqual([change, set]);
    // Kerberos requests still go to the KDC; a kpasswd reply is no request; a realm without the service is named.
    await send(asReq);
    expect(toKdc).toEqual([asReq]);
    await expect(send(answer)).rejects.toMatchObject({ code: ErrorCode.KRB_ERR_GENERIC });
    const kdcOnly = new KdcProxy(kdcProxyRoute({ 'A.TEST': kdc, 'B.TEST': kdc }), {
      kpasswd: kdcProxyRoute({ 'A.TEST': service }),
    });
    await expect(
      kdcOnly.handle(encodeKdcProxyMessage({ kerbMessage: frameTcp(change), targetDomain: 'B.TEST' })),
    ).rejects.toMatchObject({
      code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
      message: 'the KDC proxy does not serve password changes for realm B.TEST',
    });
    // Without a password-change route, kpasswd is refused as any non-request.
    await expect(
      proxyFor('A.TEST').handle(
        encodeKdcProxyMessage({ kerbMessage: frameTcp(change), targetDomain: 'A.TEST' }),
      ),
    ).rejects.toThrow(/not an AS-REQ or TGS-REQ/);
    expect(toKpasswd).toHaveLength(2);
  });
});

describe('messageType inside GSS-API framing', () => {
  it('names the Kerberos message inside a krb5 or SPNEGO token, and nothing inside garbage', async () => {
    const { encodeNegotiationToken, GssOid, wrapKrb5Token } = await import('@krbsim/asn1');
    const { messageType } = await import('@krbsim/transport');
    const apReq = Uint8Array.from([0x6e, 0x00]);
    const apRep = Uint8Array.from([0x6f, 0x00]);
    const gss = wrapKrb5Token(0x0100, apReq);
    expect(messageType(gss)).toBe('AP-REQ (GSS)');
    const init = encodeNegotiationToken({ negTokenInit: { mechTypes: [GssOid.KRB5], mechToken: gss } });
    expect(messageType(init)).toBe('AP-REQ (SPNEGO)');
    const resp = encodeNegotiationToken({
      negTokenResp: { negState: 0, supportedMech: GssOid.KRB5, responseToken: wrapKrb5Token(0x0200, apRep) },
    });
    expect(messageType(resp)).toBe('AP-REP (SPNEGO)');
    expect(messageType(Uint8Array.from([0x60, 0x05, 0x06]))).toBe('unknown');
    expect(messageType(Uint8Array.from([0xa1, 0x80]))).toBe('unknown');
  });
});
