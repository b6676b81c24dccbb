/**
 * The tests' HTTPS client for the KDC proxies `krbsim serve` runs: one POST,
 * and a krbsim client whose every request goes through a proxy.
 */

import { request } from 'node:https';
import { encodeAsReq } from '@krbsim/asn1';
import { AZURE_AD_REALM } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { systemClock, systemRandom } from '@krbsim/core';
import { KDC_PROXY_CONTENT_TYPE, KdcProxyTransport } from '@krbsim/transport';

/** One POST over HTTPS trusting only `ca` (undefined: Node's default roots): the status and the body. */
export function httpsPost(
  url: string,
  body: Uint8Array,
  ca: string | undefined,
): Promise<{ status: number; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ...(ca !== undefined && { ca }),
      agent: false,
      headers: { 'content-type': KDC_PROXY_CONTENT_TYPE, 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: new Uint8Array(Buffer.concat(chunks)) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A krbsim client whose every request goes through the proxy at `url`, over HTTPS trusting `ca`. */
export function proxiedClient(realm: string, url: string, ca: string | undefined): KerberosClient {
  return new KerberosClient({
    realm,
    transport: new KdcProxyTransport({
      url,
      post: async (u, body) => {
        const r = await httpsPost(u, body, ca);
        if (r.status === 200) return r.body;
        throw new Error(`HTTP ${r.status}: ${Buffer.from(r.body).toString('utf8').trim()}`);
      },
    }),
    clock: systemClock,
    random: systemRandom,
  });
}

/**
 * An AS-REQ of the cloud user alice@contoso.com to Azure AD's KDC, without pre-authentication (so
 * PREAUTH_REQUIRED), asking for a ticket until an hour after `now`.
 */
export function cloudAsReq(now: number): Uint8Array {
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    reqBody: {
      kdcOptions: 0,
      cname: { nameType: 10, nameString: ['alice@contoso.com'] },
      realm: AZURE_AD_REALM,
      sname: { nameType: 2, nameString: ['krbtgt', AZURE_AD_REALM] },
      till: now + 3_600_000,
      nonce: 7,
      etype: [18],
    },
  });
}
