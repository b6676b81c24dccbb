/**
 * Cross-package check on MIT krb5's real messages (test/fixtures/mit):
 * `@krbsim/asn1` finds each encrypted part, `@krbsim/crypto` decrypts it with
 * the key the fixture names, and the plaintext decodes with the type its key
 * usage implies and re-encodes to the same bytes. Everything comes from the
 * fixture files; nothing is hard-coded.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as K from '@krbsim/asn1';
import { decrypt, type Key } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';

interface DecryptNote {
  readonly part: string;
  readonly etype: number;
  readonly usage: number;
  readonly key: string;
  readonly keyKvno?: number;
}
interface Fixture {
  readonly name: string;
  readonly kind: string;
  readonly hex: string;
  readonly decrypt?: readonly DecryptNote[];
}
interface KeyEntry {
  readonly kvno?: number;
  readonly etype: number;
  readonly hex: string;
}

// Committed fixtures: read unconditionally, so a renamed or missing file fails the suite, never empties it.
const dir = fileURLToPath(new URL('./fixtures/mit/', import.meta.url));
const fixtures: Fixture[] = JSON.parse(readFileSync(`${dir}messages.json`, 'utf8'));
const keys: Record<string, unknown> = JSON.parse(readFileSync(`${dir}keys.json`, 'utf8'));

/**
 * The encrypted parts the fixtures name that this test decrypts (checksums and key usages
 * without a plaintext type excepted): a recapture that changes it changes this number.
 */
const DECRYPT_CASES = 61;

const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function keyFor(n: DecryptNote): Key {
  const sessions = keys.sessionKeys as Record<string, KeyEntry>;
  const e: KeyEntry | undefined = n.key.includes('@')
    ? (keys[n.key] as KeyEntry[]).find(
        (k) => k.etype === n.etype && (n.keyKvno === undefined || k.kvno === n.keyKvno),
      )
    : sessions[n.key];
  if (e === undefined) throw new Error(`no key ${n.key}/${n.etype}`);
  return { etype: e.etype, bytes: unhex(e.hex) };
}

function pa(padata: readonly K.PaData[] | undefined, type: number): Uint8Array {
  const p = padata?.find((x) => x.padataType === type);
  if (p === undefined) throw new Error(`no padata ${type}`);
  return p.padataValue;
}

/** The EncryptedData a fixture note names; throws for a part this test does not know. */
function locate(m: K.KrbMessage, part: string): K.EncryptedData {
  const v = m.value as unknown as Record<string, unknown>;
  const padata = v.padata as readonly K.PaData[] | undefined;
  switch (part) {
    case 'enc-part':
      return v.encPart as K.EncryptedData;
    case 'ticket.enc-part':
      return (v.ticket as K.Ticket).encPart;
    case 'authenticator':
      return v.authenticator as K.EncryptedData;
    case 'tickets[0].enc-part':
      return (v.tickets as K.Ticket[])[0]!.encPart;
    case 'padata[PA-ENC-TIMESTAMP]':
      return K.decodePaEncTimestamp(pa(padata, K.PaDataType.PA_ENC_TIMESTAMP));
    case 'padata[PA-TGS-REQ].ap-req.authenticator':
      return K.decodeApReq(pa(padata, K.PaDataType.PA_TGS_REQ)).authenticator;
    case 'padata[PA-TGS-REQ].ap-req.ticket.enc-part':
      return K.decodeApReq(pa(padata, K.PaDataType.PA_TGS_REQ)).ticket.encPart;
    case 'padata[PA-FX-FAST].armored-data.enc-fast-req':
      return K.decodePaFxFastRequest(pa(padata, K.PaDataType.PA_FX_FAST)).armoredData.encFastReq;
    case 'padata[PA-FX-FAST].armored-data.enc-fast-rep':
      return K.decodePaFxFastReply(pa(padata, K.PaDataType.PA_FX_FAST)).armoredData.encFastRep;
    case 'e-data[PA-FX-FAST].armored-data.enc-fast-rep': {
      const eData = v.eData as Uint8Array;
      const md = K.decodeMethodData(eData);
      return K.decodePaFxFastReply(pa(md, K.PaDataType.PA_FX_FAST)).armoredData.encFastRep;
    }
    default:
      throw new Error(`no way to find ${part} in a ${m.type}`);
  }
}

/** The plaintext type of each key usage (RFC 4120 section 7.5.1, RFC 6113). */
const BY_USAGE: Record<number, [(b: Uint8Array) => unknown, (v: never) => Uint8Array]> = {
  1: [K.decodePaEncTsEnc, K.encodePaEncTsEnc],
  2: [K.decodeEncTicketPart, K.encodeEncTicketPart],
  3: [K.decodeEncKdcRepPart, K.encodeEncKdcRepPart],
  7: [K.decodeAuthenticator, K.encodeAuthenticator],
  8: [K.decodeEncKdcRepPart, K.encodeEncKdcRepPart],
  9: [K.decodeEncKdcRepPart, K.encodeEncKdcRepPart],
  11: [K.decodeAuthenticator, K.encodeAuthenticator],
  12: [K.decodeEncApRepPart, K.encodeEncApRepPart],
  14: [K.decodeEncKrbCredPart, K.encodeEncKrbCredPart],
  51: [K.decodeKrbFastReq, K.encodeKrbFastReq],
  52: [K.decodeKrbFastResponse, K.encodeKrbFastResponse],
};

describe('MIT fixtures: decrypt with @krbsim/crypto, decode with @krbsim/asn1', () => {
  let registered = 0;
  let decrypted = 0;
  for (const f of fixtures) {
    for (const n of f.decrypt ?? []) {
      if (n.part.includes('checksum') || BY_USAGE[n.usage] === undefined) continue;
      registered++;
      it(`${f.name}: ${n.part} (usage ${n.usage}, etype ${n.etype})`, () => {
        const m = K.decodeMessage(unhex(f.hex));
        const ed = locate(m, n.part);
        expect(ed, `${f.name}: ${n.part}`).toBeDefined();
        expect(ed.etype).toBe(n.etype);
        const plain = decrypt(keyFor(n), n.usage, ed.cipher);
        const [dec, enc] = BY_USAGE[n.usage]!;
        const value = dec(plain);
        expect(hex(enc(value as never))).toBe(hex(plain));
        decrypted++;
      });
    }
  }

  it('decrypted the session key chain: the AS-REP key is the one the fixtures name', () => {
    const asRep = fixtures.find((f) => f.name === 'as-rep');
    expect(asRep, 'the as-rep fixture').toBeDefined();
    const note = asRep!.decrypt!.find((d) => d.part === 'enc-part')!;
    const rep = K.decodeAsRep(unhex(asRep!.hex));
    const part = K.decodeEncKdcRepPart(decrypt(keyFor(note), 3, rep.encPart.cipher));
    const session = (keys.sessionKeys as Record<string, KeyEntry>)['as-rep.session']!;
    expect(hex(part.key.keyvalue)).toBe(session.hex);
    expect(part.appTag).toBe(26);
  });

  // Runs after the tests above (a file's tests run in order): every case was registered and passed.
  it(`found and decrypted all ${DECRYPT_CASES} encrypted parts`, () => {
    expect(registered).toBe(DECRYPT_CASES);
    expect(decrypted).toBe(DECRYPT_CASES);
  });
});
