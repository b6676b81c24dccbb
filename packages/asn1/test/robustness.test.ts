/**
 * Every truncation and many single-byte corruptions of valid messages: the
 * decoders either return a value or throw an Asn1Error, nothing else.
 */

import {
  Asn1Error,
  decodeApReq,
  decodeAsReq,
  decodeDerTree,
  decodeMessage,
  encodeApReq,
  encodeAsReq,
} from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { asReq, ticket } from './helpers';

describe('robustness: mutated inputs only ever throw Asn1Error', () => {
  it('every truncation and single-byte change of an AS-REQ and AP-REQ', () => {
    const inputs = [
      encodeAsReq(asReq),
      encodeApReq({ pvno: 5, msgType: 14, apOptions: 0x20000000, ticket, authenticator: ticket.encPart }),
    ];
    let n = 0;
    for (const base of inputs) {
      const variants: Uint8Array[] = [];
      for (let i = 0; i < base.length; i++) variants.push(base.subarray(0, i));
      for (let i = 0; i < base.length; i++) {
        for (const x of [0x00, 0x80, 0xff, base[i]! ^ 0x01, base[i]! ^ 0x20]) {
          const m = base.slice();
          m[i] = x;
          variants.push(m);
        }
      }
      for (const v of variants) {
        for (const dec of [decodeMessage, decodeAsReq, decodeApReq, decodeDerTree]) {
          try {
            dec(v);
          } catch (e) {
            n++;
            if (!(e instanceof Asn1Error)) throw e;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
  });
});
