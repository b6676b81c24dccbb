import { decodeKdcProxyMessage, encodeKdcProxyMessage } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { frameTcp, KdcProxy, KdcProxyTransport, Trace, unframeKerbMessage } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

// Stand-ins for KDC messages: the proxy never looks inside them.
const asReq = Uint8Array.from([0x6a, 0x03, 0x02, 0x01, 0x05]);
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

  it('refuses a body with no target domain, an unknown realm, or a lying length prefix', async () => {
    const proxy = proxyFor('A.TEST');
    const noTarget = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq) });
    await expect(proxy.handle(noTarget)).rejects.toThrow(/target-domain is required/);
    const elsewhere = encodeKdcProxyMessage({ kerbMessage: frameTcp(asReq), targetDomain: 'B.TEST' });
    await expect(proxy.handle(elsewhere)).rejects.toMatchObject({ code: ErrorCode.KDC_ERR_SVC_UNAVAILABLE });
    const lying = frameTcp(asReq);
    lying[3] = 0xff;
    const bad = encodeKdcProxyMessage({ kerbMessage: lying, targetDomain: 'A.TEST' });
    await expect(proxy.handle(bad)).rejects.toThrow(/length prefix says 255 bytes but 5 follow/);
    expect(() => unframeKerbMessage(Uint8Array.of(0, 0))).toThrow(KerberosError);
    await expect(proxy.handle(Uint8Array.of(0x30, 0x05))).rejects.toBeInstanceOf(KerberosError);
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
