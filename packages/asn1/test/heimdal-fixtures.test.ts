/**
 * Real requests Heimdal 7.8 sent to a krbsim KDC (test/fixtures/heimdal, see
 * its README): each decodes with the decoder its kind names and through
 * decodeMessage, and re-encodes to the same bytes, as do the PA-DATA values
 * inside. Heimdal declares the KDC-REQ-BODY nonce Int32, so about half of
 * its TGS-REQs carry a negative one (`a7 06 02 04 9a 54 17 da`): these must
 * come back in that form, not as `02 05 00 ...` (the form MIT writes too,
 * and the encoder's default for nonces, so nothing is recorded beside them). Nothing here hard-codes a
 * fixture's bytes: a new capture changes them all.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, unhex } from './helpers';

interface Fixture {
  readonly name: string;
  readonly kind: 'AS-REQ' | 'TGS-REQ';
  readonly realm: string;
  readonly hex: string;
  readonly notes: string;
}

const file = fileURLToPath(new URL('../../../test/fixtures/heimdal/messages.json', import.meta.url));
const fixtures: Fixture[] = JSON.parse(readFileSync(file, 'utf8'));

/** The PA-DATA values Heimdal sends, by padata-type: [decode, encode]. */
const PA: Record<number, [(b: Uint8Array) => unknown, (v: never) => Uint8Array]> = {
  [K.PaDataType.PA_TGS_REQ]: [K.decodeApReq, K.encodeApReq],
  [K.PaDataType.PA_ENC_TIMESTAMP]: [K.decodePaEncTimestamp, K.encodePaEncTimestamp],
  [K.PaDataType.PA_REQ_ENC_PA_REP]: [K.decodePaReqEncPaRep, K.encodePaReqEncPaRep],
  [K.PaDataType.PA_FOR_USER]: [K.decodePaForUser, K.encodePaForUser],
};

const requests = fixtures.map((f) => ({ f, der: unhex(f.hex), req: K.decodeKdcReq(unhex(f.hex)) }));

describe('Heimdal wire fixtures', () => {
  it('hold AS-REQs, TGS-REQs, and TGS-REQs with nonces in both forms', () => {
    expect(new Set(fixtures.map((f) => f.kind))).toEqual(new Set(['AS-REQ', 'TGS-REQ']));
    const tgs = requests.filter((r) => r.f.kind === 'TGS-REQ').map((r) => r.req.reqBody);
    expect(tgs.filter((b) => b.nonce >= 2 ** 31).length).toBeGreaterThanOrEqual(3);
    expect(tgs.filter((b) => b.nonce < 2 ** 31).length).toBeGreaterThanOrEqual(1);
  });

  for (const { f, der, req } of requests) {
    it(`${f.name} (${f.kind}) decodes and re-encodes to the same bytes`, () => {
      const [decode, encode] =
        f.kind === 'AS-REQ' ? [K.decodeAsReq, K.encodeAsReq] : [K.decodeTgsReq, K.encodeTgsReq];
      const v = decode(der);
      expect(v.msgType).toBe(f.kind === 'AS-REQ' ? 10 : 12);
      expect(hex(encode(v as never))).toBe(f.hex);
      const m = K.decodeMessage(der);
      expect(m.type).toBe(f.kind);
      expect(hex(K.encodeMessage(m))).toBe(f.hex);
      expect(hex(K.encodeKdcReqBody(req.reqBody))).toBe(hex(req.reqBodyDer!));
      expectOracle(der);
      // PA-DATA values too (the PA-TGS-REQ's AP-REQ carries a krbsim Ticket and Heimdal's Authenticator).
      for (const p of req.padata ?? []) {
        // An empty value (the PA-REQ-ENC-PA-REP of an AS-REQ, RFC 6806 section 11) has nothing to decode.
        if (p.padataValue.length === 0) continue;
        const codec = PA[p.padataType];
        expect(codec, `padata ${p.padataType} has a codec here`).toBeDefined();
        expect(hex(codec![1](codec![0](p.padataValue) as never)), `padata ${p.padataType}`).toBe(
          hex(p.padataValue),
        );
      }
    });
  }

  it('a negative nonce reads as its unsigned value, and stays negative on the wire and in JSON', () => {
    for (const { der, req } of requests) {
      const { nonce, nonceForm } = req.reqBody;
      // Heimdal's form is the default: nothing is recorded, and the value alone re-encodes to it.
      expect(nonceForm).toBeUndefined();
      if (nonce < 2 ** 31) continue;
      // [7] { INTEGER of 4 octets: the 32-bit two's complement }
      const wire = `a7060204${nonce.toString(16).padStart(8, '0')}`;
      expect(hex(der)).toContain(wire);
      expect(hex(K.encodeKdcReq(req))).toContain(wire);
      expect(hex(K.encodeKdcReqBody({ ...req.reqBody, nonceForm: undefined }))).toContain(wire);
      const json = K.messageToJson(K.decodeMessage(der)) as unknown as { reqBody: Record<string, unknown> };
      expect(json.reqBody.nonce).toBe(nonce);
      expect(json.reqBody).not.toHaveProperty('nonceForm');
    }
  });

  it('an S4U2Self TGS-REQ carries PA-FOR-USER for alice (MS-SFU 2.2.1)', () => {
    const s4u = requests.find((r) => r.f.name === 'tgs-req-s4u2self')!;
    const pa = s4u.req.padata!.find((p) => p.padataType === K.PaDataType.PA_FOR_USER)!;
    const forUser = K.decodePaForUser(pa.padataValue);
    expect(forUser.userName.nameString).toEqual(['alice']);
    expect(forUser.userRealm).toBe('CONTOSO.COM');
    expect(forUser.authPackage).toBe('Kerberos');
    // Not MS-SFU's HMAC-MD5 (-138): Heimdal 7.8 uses the TGT session key's own checksum type.
    expect(forUser.cksum.cksumtype).not.toBe(-138);
  });
});
