/**
 * The SIDs a certificate names for KB5014754's strong certificate mapping:
 * szOID_NTDS_CA_SECURITY_EXT (MS-WCCE 2.2.2.7.7.4) and the subjectAltName URL
 * `tag:microsoft.com,2022-09-14:sid:<SID>`, as `issuePkinitClientCertificate`
 * writes them and `certificateSids` reads them, strictly, naming the field of
 * anything else.
 */

import { PkinitOid } from '@krbsim/asn1';
import { ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import {
  certificateFrom,
  certificateSids,
  createSelfSignedCa,
  issuePkinitClientCertificate,
  MicrosoftOid,
  type PemCertificate,
  SID_URL_PREFIX,
} from '@krbsim/pki';
import { certificateExtension, derOid, derSeq, handMadeCertificate, tlv } from '@krbsim/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { refused } from './refused';

const T0 = Date.UTC(2026, 0, 5);
const SID = 'S-1-5-21-1004336348-1177238915-682003330-1105';
const ascii = (s: string) => new TextEncoder().encode(s);
let ca: PemCertificate;

beforeAll(async () => {
  ca = await createSelfSignedCa({
    commonName: 'krbsim SID CA',
    clock: new ManualClock(T0),
    random: new SeededRandom('sid-ca'),
  });
});

/** A certificate with `extensions` (DER Extension values), signed by the CA. */
const made = (...extensions: Uint8Array[]) =>
  certificateFrom(
    handMadeCertificate({
      subject: 'alice',
      issuer: ca,
      extensions,
      notBefore: T0 - 86_400_000,
      notAfter: T0 + 86_400_000,
    }).certPem,
  );

/** szOID_NTDS_CA_SECURITY_EXT around `generalNames`, the SEQUENCE's contents. */
const sidExtension = (...generalNames: Uint8Array[]) =>
  certificateExtension(MicrosoftOid.szOID_NTDS_CA_SECURITY_EXT, false, derSeq(...generalNames));
/** The otherName AD CS writes: szOID_NTDS_OBJECTSID, [0] EXPLICIT OCTET STRING of the SID's text. */
const objectSid = (sid: string, type: string = MicrosoftOid.szOID_NTDS_OBJECTSID, valueTag = 0x04) =>
  tlv(0xa0, derOid(type), tlv(0xa0, tlv(valueTag, ascii(sid))));
const uriSan = (...uris: string[]) =>
  certificateExtension(PkinitOid.subjectAltName, false, derSeq(...uris.map((u) => tlv(0x86, ascii(u)))));

describe('certificateSids (KB5014754)', () => {
  it('reads what issuePkinitClientCertificate writes: the extension as AD CS encodes it, and the SAN URL', async () => {
    const pem = await issuePkinitClientCertificate(ca, {
      principal: 'alice',
      realm: 'PKI.TEST',
      upn: 'alice@pki.test',
      sid: SID,
      sidUrl: SID,
      clock: new ManualClock(T0),
      random: new SeededRandom('sid-alice'),
      keyType: 'ecdsa-p256',
    });
    const cert = certificateFrom(pem.certPem);
    // SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET STRING "S-1-5-21-..." } } }, as Samba's
    // pkinit_tests.py and AD CS write it.
    const text = Buffer.from(SID).toString('hex');
    const octets = `04${(SID.length).toString(16)}${text}`;
    const value = `a0${(octets.length / 2).toString(16)}${octets}`;
    const otherName = `060a2b060104018237190201${value}`;
    const expected = `30${(otherName.length / 2 + 2).toString(16)}a0${(otherName.length / 2).toString(16)}${otherName}`;
    expect(Buffer.from(cert.ntdsCaSecurityExtension!).toString('hex')).toBe(expected);
    expect(cert.uriSans).toEqual([`${SID_URL_PREFIX}${SID}`]);
    expect(cert.upnSans).toEqual(['alice@pki.test']);
    expect(certificateSids(cert)).toEqual({ extension: SID, urls: [SID] });
  });

  it('a certificate naming no SID: none; a URL of another form is not a SID', () => {
    expect(certificateSids(made())).toEqual({ extension: undefined, urls: [] });
    const cert = made(uriSan('https://example.test/alice', `${SID_URL_PREFIX}${SID}`));
    expect(cert.uriSans).toEqual(['https://example.test/alice', `${SID_URL_PREFIX}${SID}`]);
    expect(certificateSids(cert)).toEqual({ extension: undefined, urls: [SID] });
  });

  const invalid = (cert: ReturnType<typeof made>, message: RegExp) =>
    refused(() => certificateSids(cert), ErrorCode.KDC_ERR_INVALID_CERTIFICATE, message);

  it('refuses an extension of another shape, naming the field', async () => {
    await invalid(
      made(sidExtension(objectSid(SID), objectSid(SID))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT: expected one GeneralName, got 2$/,
    );
    await invalid(
      made(sidExtension(tlv(0x86, ascii(SID)))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT\[0\] \(otherName\): expected tag 0xa0, got 0x86$/,
    );
    await invalid(
      made(sidExtension(objectSid(SID, PkinitOid.id_ms_san_upn))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT\[0\]\.type-id: expected szOID_NTDS_OBJECTSID \(1\.3\.6\.1\.4\.1\.311\.25\.2\.1\), got 1\.3\.6\.1\.4\.1\.311\.20\.2\.3$/,
    );
    await invalid(
      made(sidExtension(objectSid(SID, undefined, 0x0c))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT\[0\]\.value: expected tag 0x04, got 0x0c$/,
    );
    await invalid(
      made(sidExtension(tlv(0xa0, derOid(MicrosoftOid.szOID_NTDS_OBJECTSID)))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT\[0\]: expected type-id and value, got 1 elements$/,
    );
  });

  it('refuses a SID that is not one, in the extension or a SID URL', async () => {
    await invalid(
      made(sidExtension(objectSid('S-1-5-21-x'))),
      /^invalid certificate: szOID_NTDS_CA_SECURITY_EXT\[0\]\.value: "S-1-5-21-x" is not a SID/,
    );
    await invalid(
      made(sidExtension(objectSid('S-1-5-21-4294967296'))),
      /: the sub-authority 4294967296 is not below 2\^32$/,
    );
    await invalid(
      made(uriSan(`${SID_URL_PREFIX}alice`)),
      /^invalid certificate: subjectAltName uniformResourceIdentifier "tag:microsoft\.com,2022-09-14:sid:alice": "alice" is not a SID/,
    );
  });
});
