/**
 * Real messages MIT krb5 1.20.1 sent on loopback (test/fixtures/mit, see its
 * README): every Kerberos message decodes with the decoder its kind names and
 * through decodeMessage, and re-encodes to the same bytes; the GSS context
 * tokens unwrap to their inner message and wrap back to the same bytes; the
 * PA-DATA and e-data values inside decode and re-encode too. Nothing here
 * hard-codes a byte: the fixtures change on every capture. Only their counts
 * are pinned, so that a fixture lost or renamed fails the suite.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { expectOracle, hex, unhex } from './helpers';

interface Fixture {
  readonly name: string;
  readonly kind: string;
  readonly hex: string;
  readonly inner?: string;
  readonly container?: string;
}

const file = fileURLToPath(new URL('../../../test/fixtures/mit/messages.json', import.meta.url));
// Committed: read unconditionally, so a renamed or missing file fails the suite, never empties it.
const fixtures: Fixture[] = JSON.parse(readFileSync(file, 'utf8'));

/** How many messages of each kind the capture holds: a recapture that changes them changes this. */
const KINDS: Record<string, number> = {
  'AS-REQ': 6,
  'AS-REP': 3,
  'TGS-REQ': 8,
  'TGS-REP': 6,
  'AP-REQ': 2,
  'AP-REP': 2,
  'KRB-ERROR': 7,
  'KRB-CRED': 2,
  'GSS-INIT-TOKEN': 1,
  'GSS-ACCEPT-TOKEN': 1,
  'GSS-WRAP-TOKEN': 1,
  'GSS-MIC-TOKEN': 1,
};

const DECODERS: Record<string, [(b: Uint8Array) => unknown, (v: never) => Uint8Array]> = {
  'AS-REQ': [K.decodeAsReq, K.encodeAsReq],
  'AS-REP': [K.decodeAsRep, K.encodeAsRep],
  'TGS-REQ': [K.decodeTgsReq, K.encodeTgsReq],
  'TGS-REP': [K.decodeTgsRep, K.encodeTgsRep],
  'AP-REQ': [K.decodeApReq, K.encodeApReq],
  'AP-REP': [K.decodeApRep, K.encodeApRep],
  'KRB-ERROR': [K.decodeKrbError, K.encodeKrbError],
  'KRB-CRED': [K.decodeKrbCred, K.encodeKrbCred],
};

/** PA-DATA values whose layout we know, by padata-type: [decode, encode] pairs to try in order. */
const PA: Record<number, [(b: Uint8Array) => unknown, (v: never) => Uint8Array][]> = {
  [K.PaDataType.PA_TGS_REQ]: [[K.decodeApReq, K.encodeApReq]],
  [K.PaDataType.PA_ENC_TIMESTAMP]: [[K.decodePaEncTimestamp, K.encodePaEncTimestamp]],
  [K.PaDataType.PA_ETYPE_INFO2]: [[K.decodeEtypeInfo2, K.encodeEtypeInfo2]],
  [K.PaDataType.PA_REQ_ENC_PA_REP]: [[K.decodePaReqEncPaRep, K.encodePaReqEncPaRep]],
  [K.PaDataType.PA_FX_FAST]: [
    [K.decodePaFxFastRequest, K.encodePaFxFastRequest],
    [K.decodePaFxFastReply, K.encodePaFxFastReply],
  ],
  [K.PaDataType.PA_FX_ERROR]: [[K.decodePaFxError, K.encodePaFxError]],
  [K.PaDataType.PA_PAC_REQUEST]: [[K.decodePaPacRequest, K.encodePaPacRequest]],
};

function roundTripPaData(padata: readonly K.PaData[] | undefined): number {
  let n = 0;
  for (const p of padata ?? []) {
    const pairs = PA[p.padataType];
    if (pairs === undefined || p.padataValue.length === 0) continue;
    let ok = false;
    for (const [dec, enc] of pairs) {
      let v: unknown;
      try {
        v = dec(p.padataValue);
      } catch {
        continue;
      }
      expect(hex(enc(v as never))).toBe(hex(p.padataValue));
      ok = true;
      n++;
      break;
    }
    expect(ok, `padata ${p.padataType} decodes`).toBe(true);
  }
  return n;
}

describe('MIT krb5 wire fixtures', () => {
  const kerberos = fixtures.filter((f) => DECODERS[f.kind] !== undefined);

  it('has the captured messages, by kind', () => {
    const counts: Record<string, number> = {};
    for (const f of fixtures) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    expect(counts).toEqual(KINDS);
    expect(kerberos).toHaveLength(36);
  });

  for (const f of kerberos) {
    it(`${f.name} (${f.kind}): decodes and re-encodes byte-identically`, () => {
      const bytes = unhex(f.hex);
      const [dec, enc] = DECODERS[f.kind]!;
      const v = dec(bytes);
      expect(hex(enc(v as never))).toBe(f.hex);
      const m = K.decodeMessage(bytes);
      expect(m.type).toBe(f.kind);
      expect(hex(K.encodeMessage(m))).toBe(f.hex);
      expectOracle(bytes);
      const json = JSON.stringify(K.messageToJson(m));
      expect(json).not.toMatch(/DecodedError/);
    });
  }

  it('PA-DATA values and KRB-ERROR e-data decode and re-encode', () => {
    let n = 0;
    for (const f of kerberos) {
      const m = K.decodeMessage(unhex(f.hex));
      if (m.type === 'AS-REQ' || m.type === 'TGS-REQ' || m.type === 'AS-REP' || m.type === 'TGS-REP') {
        n += roundTripPaData(m.value.padata);
      }
      if (m.type === 'TGS-REQ' || m.type === 'AS-REQ') {
        expect(hex(K.encodeKdcReqBody(m.value.reqBody))).toBe(hex(m.value.reqBodyDer!));
      }
      if (m.type === 'KRB-ERROR' && m.value.eData !== undefined) {
        let md: K.MethodData | undefined;
        try {
          md = K.decodeMethodData(m.value.eData);
        } catch {
          // e-data may be a bare PA-FX-FAST reply; it must then be one of the known shapes
          const asPa = { padataType: K.PaDataType.PA_FX_FAST, padataValue: m.value.eData };
          n += roundTripPaData([asPa]);
          continue;
        }
        expect(hex(K.encodeMethodData(md))).toBe(hex(m.value.eData));
        n += roundTripPaData(md);
      }
    }
    expect(n).toBe(31); // the PA-DATA values and e-data of known layout the capture holds
  });

  it('the TGS-REQ authenticator ticket is the AS-REP ticket (cross-message consistency)', () => {
    const asRep = fixtures.find((f) => f.name === 'as-rep');
    const tgsReq = fixtures.find((f) => f.name === 'tgs-req-no-fast');
    expect(asRep, 'the as-rep fixture').toBeDefined();
    expect(tgsReq, 'the tgs-req-no-fast fixture').toBeDefined();
    const rep = K.decodeAsRep(unhex(asRep!.hex));
    const req = K.decodeTgsReq(unhex(tgsReq!.hex));
    const pa = req.padata!.find((p) => p.padataType === K.PaDataType.PA_TGS_REQ)!;
    const ap = K.decodeApReq(pa.padataValue);
    expect(hex(K.encodeTicket(ap.ticket))).toBe(hex(K.encodeTicket(rep.ticket)));
  });

  for (const f of fixtures.filter((x) => x.kind === 'GSS-INIT-TOKEN' || x.kind === 'GSS-ACCEPT-TOKEN')) {
    it(`${f.name}: unwraps to its inner message and wraps back`, () => {
      const bytes = unhex(f.hex);
      const t = K.unwrapKrb5Token(bytes);
      expect(t.mech).toBe(K.GssOid.KRB5);
      expect(t.tokId).toBe(f.kind === 'GSS-INIT-TOKEN' ? 0x0100 : 0x0200);
      const inner = fixtures.find((x) => x.name === f.inner);
      expect(inner, `${f.name}'s inner message ${f.inner}`).toBeDefined();
      expect(hex(t.message)).toBe(inner!.hex);
      const m = K.decodeMessage(t.message);
      expect(m.type).toBe(f.kind === 'GSS-INIT-TOKEN' ? 'AP-REQ' : 'AP-REP');
      expect(hex(K.wrapKrb5Token(t.tokId, K.encodeMessage(m)))).toBe(f.hex);
      expect(K.unwrapGssToken(bytes).thisMech).toBe('1.2.840.113554.1.2.2');
    });
  }
});
