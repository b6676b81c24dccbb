/**
 * PAC signatures (MS-PAC 2.8): signing and verifying with every etype's
 * keys, which signature a failure names and with which code, the attacks
 * the signatures exist to stop (MS14-068's unkeyed checksums, a changed
 * PAC, a changed ticket), and where a PAC goes in a ticket.
 */

import { createHash } from 'node:crypto';
import { AdType, decodeAuthorizationData, encodeAuthorizationData } from '@krbsim/asn1';
import { ChecksumType, EncType, ErrorCode, SeededRandom } from '@krbsim/core';
import { checksumTypeFor, generateKey, type Key } from '@krbsim/crypto';
import {
  decodePac,
  encodePac,
  findPac,
  getPacBuffer,
  hasTicketSignature,
  type Pac,
  PacBufferType,
  parsePac,
  signPac,
  signTicketPac,
  ticketSignatureData,
  unwrapPac,
  updatePacBuffer,
  verifyPac,
  verifyTicketPac,
  withoutPac,
  withPac,
  wrapPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { aliceEncTicketPart, alicePac, hex, kerberosError, pacError, principal } from './helpers';

const random = new SeededRandom(7);
const key = (etype: number): Key => generateKey(etype, { random });

const HTTP = principal('HTTP/web.contoso.com@CONTOSO.COM');
const TGS = principal('krbtgt/CONTOSO.COM@CONTOSO.COM');

describe('signPac and verifyPac', () => {
  const pairs: [number, number][] = [
    [EncType.AES256_CTS_HMAC_SHA1_96, EncType.AES256_CTS_HMAC_SHA1_96],
    [EncType.AES128_CTS_HMAC_SHA1_96, EncType.AES256_CTS_HMAC_SHA1_96],
    [EncType.RC4_HMAC, EncType.RC4_HMAC],
    [EncType.RC4_HMAC, EncType.AES256_CTS_HMAC_SHA1_96],
    [EncType.AES256_CTS_HMAC_SHA1_96, EncType.RC4_HMAC],
    [EncType.AES256_CTS_HMAC_SHA384_192, EncType.AES128_CTS_HMAC_SHA256_128],
  ];
  for (const [se, ke] of pairs) {
    it(`server key ${se}, KDC key ${ke}: each signature is the key's mandatory checksum`, () => {
      const serverKey = key(se);
      const kdcKey = key(ke);
      const { pac, bytes } = signPac(alicePac(), { serverKey, kdcKey });
      expect(decodePac(bytes)).toEqual(pac);
      expect(getPacBuffer(pac, PacBufferType.SERVER_CHECKSUM)!.signatureType).toBe(checksumTypeFor(se));
      expect(getPacBuffer(pac, PacBufferType.PRIVSVR_CHECKSUM)!.signatureType).toBe(checksumTypeFor(ke));
      // verifyPac returns the PAC parsed (its buffers as bytes), which decodes to what was signed.
      const verified = verifyPac(bytes, { serverKey, kdcKey });
      const raw = (p: Pac) =>
        p.buffers.map((b) => ({ type: b.type, data: 'data' in b ? b.data : undefined }));
      expect(raw(verified)).toEqual(raw(parsePac(bytes)));
      expect(decodePac(encodePac(verified))).toEqual(pac);
      verifyPac(bytes, { serverKey });
      verifyPac(bytes, { kdcKey });
      // The other realm's key, of the same etype, does not verify.
      pacError(() => verifyPac(bytes, { serverKey: key(se) }), {
        code: ErrorCode.KRB_AP_ERR_MODIFIED,
        signature: 'server',
      });
      pacError(() => verifyPac(bytes, { kdcKey: key(ke) }), {
        code: ErrorCode.KRB_AP_ERR_MODIFIED,
        signature: 'kdc',
      });
    });
  }

  it('appends missing signature buffers and keeps the place of present ones', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const fresh = signPac(alicePac(), { serverKey, kdcKey });
    expect(fresh.pac.buffers.map((b) => b.type)).toEqual([1, 10, 12, 17, 18, 6, 7]);
    const [logon, ...rest] = alicePac().buffers;
    const placed: Pac = {
      buffers: [
        logon!,
        { type: 6, value: { signatureType: 16, signature: new Uint8Array(12) } },
        { type: 7, value: { signatureType: 16, signature: new Uint8Array(12) } },
        ...rest,
      ],
    };
    const resigned = signPac(placed, { serverKey, kdcKey });
    expect(resigned.pac.buffers.map((b) => b.type)).toEqual([1, 6, 7, 10, 12, 17, 18]);
    verifyPac(resigned.bytes, { serverKey, kdcKey });
  });

  it('signs a RODC PAC: the KDC signature keeps its RODCIdentifier, zeroed while signing as MIT does', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const pac: Pac = {
      buffers: [
        ...alicePac().buffers,
        { type: 6, value: { signatureType: 16, signature: new Uint8Array(12) } },
        { type: 7, value: { signatureType: 16, signature: new Uint8Array(12), rodcIdentifier: 0x7fff } },
      ],
    };
    const signed = signPac(pac, { serverKey, kdcKey });
    expect(getPacBuffer(signed.pac, 7)!.rodcIdentifier).toBe(0x7fff);
    verifyPac(signed.bytes, { serverKey, kdcKey });
    // Re-signed from its bytes (parsePac keeps buffers as bytes), as from its value: the same PAC.
    const again = signPac(parsePac(signed.bytes), { serverKey, kdcKey });
    expect(getPacBuffer(decodePac(again.bytes), 7)!.rodcIdentifier).toBe(0x7fff);
    expect(
      Buffer.from(again.bytes).equals(
        Buffer.from(signPac(decodePac(signed.bytes), { serverKey, kdcKey }).bytes),
      ),
    ).toBe(true);
  });

  it('re-signs with rodcIdentifier null: the new KDC signature names no read-only DC', () => {
    const serverKey = key(18);
    const rodcKey = key(18);
    const writableKey = key(18);
    const byRodc = signPac(alicePac(), { serverKey, kdcKey: rodcKey }, { rodcIdentifier: 0x1234 });
    expect(getPacBuffer(byRodc.pac, 7)!.rodcIdentifier).toBe(0x1234);
    const resigned = signPac(
      parsePac(byRodc.bytes),
      { serverKey, kdcKey: writableKey },
      { rodcIdentifier: null },
    );
    expect(getPacBuffer(decodePac(resigned.bytes), 7)!.rodcIdentifier).toBeUndefined();
    verifyPac(resigned.bytes, { serverKey, kdcKey: writableKey });
  });

  it('signs with hmac-md5 and AES keys, as Windows 2008 did for its KDC signature', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const { bytes, pac } = signPac(
      alicePac(),
      { serverKey, kdcKey },
      { kdcChecksumType: ChecksumType.HMAC_MD5 },
    );
    expect(getPacBuffer(pac, 7)!.signatureType).toBe(-138);
    verifyPac(bytes, { serverKey, kdcKey });
  });

  it('notices a changed PAC: the server signature', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const { pac } = signPac(alicePac(), { serverKey, kdcKey });
    // Domain Admins for someone else: same signatures, different logon info.
    const info = getPacBuffer(pac, 1)!;
    const forged: Pac = {
      buffers: pac.buffers.map((b) => (b.type === 1 ? { type: 1, value: { ...info, userId: 500 } } : b)),
    };
    pacError(() => verifyPac(encodePac(forged), { serverKey, kdcKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'server',
      message: /server signature \(PAC buffer 6\): does not match/,
    });
  });

  it('notices a changed server signature: the KDC signature', () => {
    const serverKey = key(23);
    const kdcKey = key(23);
    const { bytes, pac } = signPac(alicePac(), { serverKey, kdcKey });
    const forged = signPac(pac, { serverKey, kdcKey: key(23) }).bytes;
    verifyPac(forged, { serverKey });
    pacError(() => verifyPac(forged, { serverKey, kdcKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'kdc',
    });
    expect(bytes).not.toEqual(forged);
  });

  describe('MS14-068: unkeyed checksums are no signature', () => {
    const serverKey = key(18);
    const kdcKey = key(18);

    /** A PAC "signed" with a plain hash, as pykek forged them. */
    function forgeUnkeyed(cksumtype: number, hash: (d: Uint8Array) => Uint8Array, size: number): Uint8Array {
      const zeros = { signatureType: cksumtype, signature: new Uint8Array(size) };
      const pac: Pac = {
        buffers: [...alicePac().buffers, { type: 6, value: zeros }, { type: 7, value: zeros }],
      };
      const b = encodePac(pac);
      const sum = hash(b);
      const server = getPacBuffer(decodePac(b), 6)!;
      expect(server.signature.length).toBe(size);
      const withServer: Pac = {
        buffers: pac.buffers.map((x) =>
          x.type === 6 ? { type: 6, value: { ...zeros, signature: sum } } : x,
        ),
      };
      const kdcSum = hash(sum);
      return encodePac({
        buffers: withServer.buffers.map((x) =>
          x.type === 7 ? { type: 7, value: { ...zeros, signature: kdcSum } } : x,
        ),
      });
    }
    const md5 = (d: Uint8Array) => new Uint8Array(createHash('md5').update(d).digest());
    const sha1 = (d: Uint8Array) => new Uint8Array(createHash('sha1').update(d).digest());

    it('RSA-MD5 (7), the checksum MS14-068 exploits used', () => {
      const forged = forgeUnkeyed(ChecksumType.RSA_MD5, md5, 16);
      pacError(() => verifyPac(forged, { serverKey, kdcKey }), {
        code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
        signature: 'server',
        message: /unkeyed/,
      });
      pacError(() => verifyPac(forged, { kdcKey }), {
        code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
        signature: 'kdc',
      });
    });

    it('SHA-1 (14)', () => {
      const forged = forgeUnkeyed(ChecksumType.SHA1_UNKEYED, sha1, 20);
      pacError(() => verifyPac(forged, { serverKey }), {
        code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
        signature: 'server',
      });
    });

    it('and krbsim refuses to sign with one', () => {
      pacError(
        () => signPac(alicePac(), { serverKey, kdcKey }, { serverChecksumType: ChecksumType.SHA1_UNKEYED }),
        {
          code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
          signature: 'server',
        },
      );
    });
  });

  it('refuses a checksum type that does not fit the key, and an unknown one', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const { bytes } = signPac(alicePac(), { serverKey, kdcKey });
    pacError(() => verifyPac(bytes, { serverKey: key(17) }), {
      code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      signature: 'server',
    });
    const unknown = encodePac({
      buffers: [
        ...alicePac().buffers,
        { type: 6, value: { signatureType: 0x7777, signature: new Uint8Array(12) } },
      ],
    });
    pacError(() => verifyPac(unknown, { serverKey }), {
      code: ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
      signature: 'server',
    });
    expect(
      kerberosError(() => signPac(alicePac(), { serverKey, kdcKey }, { serverChecksumType: 15 })).code,
    ).toBe(ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
  });

  it('refuses a PAC without signatures, or with two of a kind', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    const unsigned = encodePac(alicePac());
    pacError(() => verifyPac(unsigned, { serverKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'server',
    });
    pacError(() => verifyPac(unsigned, { kdcKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'server',
    });
    const { pac } = signPac(alicePac(), { serverKey, kdcKey });
    const twice = encodePac({ buffers: [...pac.buffers, pac.buffers.find((b) => b.type === 6)!] });
    pacError(() => verifyPac(twice, { serverKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      message: /more than one/,
    });
    pacError(() => signPac(decodePac(twice), { serverKey, kdcKey }), { message: /more than one/ });
    // With no key nothing is checked: verifyPac is then only parsePac.
    expect(verifyPac(unsigned, {})).toEqual(parsePac(unsigned));
  });

  it('refuses a signature buffer too short to hold its SignatureType', () => {
    const serverKey = key(18);
    const kdcKey = key(18);
    // A server signature buffer of two bytes: not even a SignatureType.
    const shortServer = encodePac({
      buffers: [...alicePac().buffers, { type: PacBufferType.SERVER_CHECKSUM, data: Uint8Array.of(0x10, 0) }],
    });
    pacError(() => verifyPac(shortServer, { serverKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'server',
      message: /server signature \(PAC buffer 6\): the buffer has 2 bytes/,
    });
    // An empty KDC signature buffer after a well-formed server signature.
    const { pac } = signPac(alicePac(), { serverKey, kdcKey });
    const emptyKdc = encodePac({
      buffers: pac.buffers.map((b) =>
        b.type === PacBufferType.PRIVSVR_CHECKSUM ? { type: b.type, data: new Uint8Array(0) } : b,
      ),
    });
    pacError(() => verifyPac(emptyKdc, { kdcKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'kdc',
      message: /KDC signature \(PAC buffer 7\): the buffer has 0 bytes/,
    });
    // A server signature of type 16 (12 bytes of HMAC) in an 8-byte buffer: not read past its end.
    const short = encodePac({
      buffers: pac.buffers.map((b) =>
        b.type === PacBufferType.SERVER_CHECKSUM
          ? { type: b.type, data: Uint8Array.of(16, 0, 0, 0, 1, 2, 3, 4) }
          : b,
      ),
    });
    pacError(() => verifyPac(short, { serverKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'server',
      message: /checksum type 16 has a 12-byte signature; the buffer has 4 bytes after SignatureType/,
    });
  });
});

describe('tickets: the ticket signature and the extended KDC signature', () => {
  const serverKey = key(18);
  const kdcKey = key(18);
  const keys = { serverKey, kdcKey };

  it('a service ticket gets both, a TGT and kadmin/changepw neither', () => {
    expect(hasTicketSignature(HTTP)).toBe(true);
    expect(hasTicketSignature(TGS)).toBe(false);
    expect(hasTicketSignature(principal('krbtgt/FABRIKAM.COM@CONTOSO.COM'))).toBe(false);
    expect(hasTicketSignature(principal('kadmin/changepw@CONTOSO.COM'))).toBe(false);
    // A domain answers KADMIN/CHANGEPW under the name asked for: the same service, the same rule.
    expect(hasTicketSignature(principal('KADMIN/ChangePW@CONTOSO.COM'))).toBe(false);
    expect(hasTicketSignature(principal('kadmin/admin@CONTOSO.COM'))).toBe(true);
    expect(hasTicketSignature(principal('krbtgt@CONTOSO.COM'))).toBe(true);

    const service = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    expect(service.pac.buffers.map((b) => b.type)).toEqual([1, 10, 12, 17, 18, 6, 7, 16, 19]);
    expect(decodePac(encodePac(verifyTicketPac(service.encTicketPart, keys, { server: HTTP })!))).toEqual(
      service.pac,
    );
    const tgt = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: TGS });
    expect(tgt.pac.buffers.map((b) => b.type)).toEqual([1, 10, 12, 17, 18, 6, 7]);
    expect(decodePac(encodePac(verifyTicketPac(tgt.encTicketPart, keys, { server: TGS })!))).toEqual(tgt.pac);
  });

  it('the signed PAC goes first in the ticket, in AD-IF-RELEVANT', () => {
    const other = { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(1, 2, 3) };
    const etp = { ...aliceEncTicketPart(), authorizationData: [other] };
    const signed = signTicketPac(etp, alicePac(), keys, { server: HTTP });
    const ad = signed.encTicketPart.authorizationData!;
    expect(ad.length).toBe(2);
    expect(ad[1]).toEqual(other);
    expect(ad[0]!.adType).toBe(AdType.AD_IF_RELEVANT);
    expect(decodeAuthorizationData(ad[0]!.adData)).toEqual([
      { adType: AdType.AD_WIN2K_PAC, adData: signed.bytes },
    ]);
    expect(unwrapPac(ad)).toEqual(signed.bytes);
    verifyTicketPac(signed.encTicketPart, keys, { server: HTTP });
  });

  it('re-signing a ticket replaces its PAC in place', () => {
    const container = encodeAuthorizationData([
      { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(9) },
      { adType: AdType.AD_WIN2K_PAC, adData: Uint8Array.of(0) },
    ]);
    const ad = [
      { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(1) },
      { adType: AdType.AD_IF_RELEVANT, adData: container },
    ];
    const signed = signTicketPac({ ...aliceEncTicketPart(), authorizationData: ad }, alicePac(), keys, {
      server: HTTP,
    });
    const loc = findPac(signed.encTicketPart.authorizationData)!;
    expect([loc.index, loc.innerIndex]).toEqual([1, 1]);
    expect(loc.container[0]).toEqual({ adType: AdType.KERB_LOCAL, adData: Uint8Array.of(9) });
    verifyTicketPac(signed.encTicketPart, keys, { server: HTTP });
  });

  it('notices a changed ticket (the Bronze Bit, CVE-2020-17049) and a ticket without a ticket signature', () => {
    const signed = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    const etp = signed.encTicketPart;
    for (const changed of [
      { ...etp, flags: etp.flags | 0x40000000 },
      { ...etp, endtime: etp.endtime + 1000 },
      { ...etp, cname: { nameType: 1, nameString: ['administrator'] } },
    ]) {
      pacError(() => verifyTicketPac(changed, keys, { server: HTTP }), {
        code: ErrorCode.KRB_AP_ERR_MODIFIED,
        signature: 'ticket',
      });
      // The service, without the KDC key, cannot tell.
      verifyTicketPac(changed, { serverKey }, { server: HTTP });
    }
    // A PAC signed for a TGT, put in a service ticket: no ticket signature.
    const tgtPac = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: TGS });
    pacError(() => verifyTicketPac(tgtPac.encTicketPart, keys, { server: HTTP }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'ticket',
      message: /missing/,
    });
  });

  it('requires the extended KDC signature unless told not to, and checks one that is there', () => {
    const old = signTicketPac(aliceEncTicketPart(), alicePac(), keys, {
      server: HTTP,
      extendedKdcSignature: false,
    });
    expect(old.pac.buffers.map((b) => b.type)).not.toContain(19);
    pacError(() => verifyTicketPac(old.encTicketPart, keys, { server: HTTP }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'full',
    });
    verifyTicketPac(old.encTicketPart, keys, { server: HTTP, requireExtendedKdcSignature: false });
    // verifyPac itself, given the ticket: the extended KDC signature (MS-PAC 2.8, type 19) is
    // required by default there too, not only through verifyTicketPac.
    pacError(() => verifyPac(old.bytes, keys, { ticket: old.encTicketPart }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'full',
    });
    verifyPac(old.bytes, keys, { ticket: old.encTicketPart, requireExtendedKdcSignature: false });

    const signed = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    const fe = decodePac(signed.bytes).buffers.findIndex((b) => b.type === 19);
    const bad = decodePac(signed.bytes);
    const full = getPacBuffer(bad, 19)!;
    const tampered = encodePac({
      buffers: bad.buffers.map((b, i) =>
        i === fe
          ? { type: 19, value: { ...full, signature: full.signature.map((x, j) => (j === 0 ? x ^ 1 : x)) } }
          : b,
      ),
    });
    const etp = {
      ...signed.encTicketPart,
      authorizationData: withPac(signed.encTicketPart.authorizationData, tampered),
    };
    // The server signature covers the extended KDC signature, so the server notices too.
    pacError(() => verifyTicketPac(etp, { serverKey }, { server: HTTP }), { signature: 'server' });
    pacError(() => verifyPac(tampered, { kdcKey }, { requireExtendedKdcSignature: false }), {
      signature: 'full',
    });
  });

  it("refuses a ticket or extended KDC signature of another type than the KDC signature's (MS-PAC 2.8.2, 2.8.3)", () => {
    const signed = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    // HMAC-MD5 (-138) takes any key: a signature of that type beside an AES KDC signature is refused
    // for its type, before any checksum is computed.
    const retyped = (
      type: typeof PacBufferType.TICKET_CHECKSUM | typeof PacBufferType.FULL_CHECKSUM,
      signatureType: number = ChecksumType.HMAC_MD5,
    ) => {
      const pac = decodePac(signed.bytes);
      return encodePac(
        updatePacBuffer(pac, type, (sig) => ({ ...sig, signatureType, signature: new Uint8Array(16) })),
      );
    };
    pacError(
      () => verifyPac(retyped(PacBufferType.TICKET_CHECKSUM), { kdcKey }, { ticket: signed.encTicketPart }),
      {
        code: ErrorCode.KRB_AP_ERR_MODIFIED,
        signature: 'ticket',
        message: /signature type -138 is not the KDC signature's, 16/,
      },
    );
    pacError(() => verifyPac(retyped(PacBufferType.FULL_CHECKSUM), { kdcKey }), {
      code: ErrorCode.KRB_AP_ERR_MODIFIED,
      signature: 'full',
      message: /signature type -138 is not the KDC signature's, 16/,
    });
    // An unkeyed type is refused as unkeyed first (MS14-068's code), not as a mismatch.
    const unkeyed = retyped(PacBufferType.TICKET_CHECKSUM, ChecksumType.RSA_MD5);
    pacError(() => verifyPac(unkeyed, { kdcKey }, { ticket: signed.encTicketPart }), {
      code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      signature: 'ticket',
    });
  });

  it("a ticket without a PAC: verifyTicketPac returns undefined, requiring one is the caller's policy", () => {
    expect(verifyTicketPac(aliceEncTicketPart(), keys, { server: HTTP })).toBeUndefined();
    const other = { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(1) };
    expect(
      verifyTicketPac({ ...aliceEncTicketPart(), authorizationData: [other] }, keys, { server: HTTP }),
    ).toBeUndefined();
  });

  it('verifyTicketPac passes maxBytes on: a PAC larger than it is refused before any signature is checked', () => {
    const signed = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    pacError(() => verifyTicketPac(signed.encTicketPart, keys, { server: HTTP, maxBytes: 100 }), {
      code: ErrorCode.KRB_ERR_GENERIC,
      path: 'PACTYPE',
      message: new RegExp(`${signed.bytes.length} bytes is more than maxBytes 100`),
    });
    expect(
      verifyTicketPac(signed.encTicketPart, keys, { server: HTTP, maxBytes: signed.bytes.length }),
    ).toBeDefined();
  });

  it('drops ticket and extended KDC signatures a TGT cannot carry', () => {
    const service = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    const tgt = signPac(service.pac, keys);
    expect(tgt.pac.buffers.map((b) => b.type)).toEqual([1, 10, 12, 17, 18, 6, 7]);
  });

  it('the ticket signature covers the EncTicketPart with a zero byte for the PAC', () => {
    const signed = signTicketPac(aliceEncTicketPart(), alicePac(), keys, { server: HTTP });
    const data = ticketSignatureData(signed.encTicketPart);
    const zero = ticketSignatureData({
      ...signed.encTicketPart,
      authorizationData: [wrapPac(Uint8Array.of(0))],
    });
    expect(hex(data)).toBe(hex(zero));
    pacError(() => ticketSignatureData(aliceEncTicketPart()), { message: /holds no PAC/ });
  });

  it('finds the PAC only in AD-IF-RELEVANT, and refuses two', () => {
    const pac = Uint8Array.of(1, 2, 3);
    expect(findPac(undefined)).toBeUndefined();
    expect(findPac([{ adType: AdType.AD_WIN2K_PAC, adData: pac }])).toBeUndefined();
    expect(unwrapPac([wrapPac(pac)])).toEqual(pac);
    pacError(() => findPac([wrapPac(pac), wrapPac(pac)]), { message: /more than one AD-WIN2K-PAC/ });
    expect(withPac(undefined, pac)).toEqual([wrapPac(pac)]);
  });

  it('removes the PAC, its container too when nothing else is in it, and leaves the rest', () => {
    const pac = Uint8Array.of(1, 2, 3);
    const other = { adType: 141, adData: Uint8Array.of(9) };
    expect(withoutPac(undefined)).toBeUndefined();
    expect(withoutPac([other])).toEqual([other]);
    expect(withoutPac([wrapPac(pac)])).toBeUndefined();
    expect(withoutPac([other, wrapPac(pac)])).toEqual([other]);
    const shared = {
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([other, { adType: AdType.AD_WIN2K_PAC, adData: pac }]),
    };
    expect(withoutPac([shared])).toEqual([
      { adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData([other]) },
    ]);
  });
});
