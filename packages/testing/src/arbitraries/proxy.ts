/**
 * Arbitrary for the MS-KKDCP KDC-PROXY-MESSAGE (section 2.2.2).
 *
 * @module
 */

import type { KdcProxyMessage } from '@krbsim/asn1';
import fc from 'fast-check';
import { arbRealm, arbUInt32, octets, recordOptions } from './basic';

/**
 * A Kerberos message framed as on TCP (RFC 4120 section 7.2.2): a 4-byte
 * big-endian length followed by that many bytes (opaque here).
 */
export const arbTcpFramedMessage: fc.Arbitrary<Uint8Array> = octets(96).map((body) => {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
});

/** KDC-PROXY-MESSAGE (MS-KKDCP section 2.2.2). */
export const arbKdcProxyMessage: fc.Arbitrary<KdcProxyMessage> = fc.record(
  { kerbMessage: arbTcpFramedMessage, targetDomain: arbRealm, dclocatorHint: arbUInt32 },
  { ...recordOptions, requiredKeys: ['kerbMessage'] },
);
