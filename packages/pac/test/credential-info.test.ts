/**
 * PAC credentials (MS-PAC 2.6): PAC_CREDENTIAL_INFO, its encrypted
 * PAC_CREDENTIAL_DATA (NDR, type serialization version 1) and the NTLM
 * NTLM_SUPPLEMENTAL_CREDENTIAL, against their layout written out byte by byte
 * from MS-PAC and MS-RPCE, through a round trip, sealed and opened with the AS
 * reply key (key usage 16), and refused, with a field path, where malformed.
 */

import { ErrorCode, SeededRandom } from '@krbsim/core';
import { generateKey, type Key, stringToKey } from '@krbsim/crypto';
import {
  decodeNtlmSupplementalCredential,
  decodePacCredentialData,
  decodePacCredentialInfo,
  encodeNtlmSupplementalCredential,
  encodePacCredentialData,
  encodePacCredentialInfo,
  isPacError,
  NtlmCredentialFlags,
  ntlmSupplementalCred,
  openPacCredentials,
  type PacCredentialData,
  type PacError,
  sealPacCredentials,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from './helpers';

/** The NT hash of 'Password1' (MD4 of its UTF-16LE form): RC4-HMAC's string-to-key (RFC 4757 section 4). */
const NT_HASH = stringToKey(23, 'Password1', '').bytes;

/** NTLM_SUPPLEMENTAL_CREDENTIAL (2.6.4): Version 0, Flags NT_OWF (2), LmPassword zeros, NtPassword. */
const NTLM_CRED = `00000000 02000000 ${'00'.repeat(16)} ${hex(NT_HASH)}`;

/**
 * PAC_CREDENTIAL_DATA of one NTLM credential, as MS-RPCE type serialization and NDR lay it out:
 * the headers, the top-level unique pointer, the conformant structure (MaxCount first), the array
 * element (PackageName header, CredentialSize, Credentials pointer), then the deferred referents in
 * order: PackageName's characters (MaxCount, Offset, ActualCount, UTF-16LE), the Credentials bytes
 * (MaxCount, 40 bytes), padding to a multiple of 8.
 */
const CREDENTIAL_DATA = [
  '01100800 cccccccc', // common type header (MS-RPCE 2.2.6.1)
  '60000000 00000000', // private header: ObjectBufferLength 96, Filler
  '00000200', // referent of the PAC_CREDENTIAL_DATA pointer
  '01000000', // MaxCount of Credentials[*]
  '01000000', // CredentialCount
  '0800 0800 04000200', // Credentials[0].PackageName: Length 8, MaximumLength 8, Buffer
  '28000000', // Credentials[0].CredentialSize 40
  '08000200', // Credentials[0].Credentials
  '04000000 00000000 04000000 4e0054004c004d00', // "NTLM"
  '28000000', // Credentials MaxCount 40
  NTLM_CRED,
  '00000000', // padding to 8
].join('');

describe('PAC_CREDENTIAL_DATA and NTLM_SUPPLEMENTAL_CREDENTIAL (MS-PAC 2.6.2 to 2.6.4)', () => {
  it('encodes one NTLM credential byte for byte as MS-PAC and MS-RPCE lay it out', () => {
    const cred = ntlmSupplementalCred(NT_HASH);
    expect(cred.packageName).toBe('NTLM');
    expect(hex(cred.credentials)).toBe(NTLM_CRED.replace(/ /g, ''));
    expect(hex(encodePacCredentialData({ credentials: [cred] }))).toBe(CREDENTIAL_DATA.replace(/ /g, ''));
  });

  it('decodes those bytes and re-encodes them exactly', () => {
    const bytes = unhex(CREDENTIAL_DATA.replace(/ /g, ''));
    const data = decodePacCredentialData(bytes);
    expect(data.ndrForm).toBeUndefined();
    expect(data.credentials.map((c) => c.packageName)).toEqual(['NTLM']);
    const ntlm = decodeNtlmSupplementalCredential(data.credentials[0]!.credentials);
    expect(ntlm).toEqual({
      version: 0,
      flags: NtlmCredentialFlags.NT_OWF,
      lmPassword: new Uint8Array(16),
      ntPassword: NT_HASH,
    });
    expect(hex(encodePacCredentialData(data))).toBe(hex(bytes));
    expect(hex(encodeNtlmSupplementalCredential(ntlm))).toBe(NTLM_CRED.replace(/ /g, ''));
  });

  it('round-trips several packages, an empty one, and Samba-style referent IDs', () => {
    const data: PacCredentialData = {
      credentials: [
        ntlmSupplementalCred(NT_HASH),
        { packageName: 'Kerberos', credentials: Uint8Array.of(1, 2, 3) },
        { packageName: 'Empty', credentials: new Uint8Array(0) },
      ],
    };
    const bytes = encodePacCredentialData(data);
    expect(decodePacCredentialData(bytes)).toEqual(data);
    // Another numbering of the pointers is kept, so the bytes come back as they were.
    const renumbered = bytes.slice();
    renumbered[16] = 0x10; // the top-level referent 0x00020000 -> 0x00020010
    const decoded = decodePacCredentialData(renumbered);
    expect(decoded.ndrForm?.referentIds?.[0]).toBe(0x00020010);
    expect(hex(encodePacCredentialData(decoded))).toBe(hex(renumbered));
  });

  it('refuses malformed data, naming the field', () => {
    const good = unhex(CREDENTIAL_DATA.replace(/ /g, ''));
    const at = (offset: number, value: number) => {
      const b = good.slice();
      b[offset] = value;
      return b;
    };
    expect(refused(() => decodePacCredentialData(at(20, 2))).path).toBe(
      'PAC_CREDENTIAL_DATA.CredentialCount',
    );
    expect(refused(() => decodePacCredentialData(at(36, 0))).path).toBe(
      'PAC_CREDENTIAL_DATA.Credentials[0].Credentials',
    );
    expect(refused(() => decodePacCredentialData(at(52, 5))).path).toBe(
      'PAC_CREDENTIAL_DATA.Credentials[0].PackageName.Buffer.ActualCount',
    );
    expect(refused(() => decodePacCredentialData(at(64, 0x29))).path).toBe(
      'PAC_CREDENTIAL_DATA.Credentials[0].Credentials.MaxCount',
    );
    expect(refused(() => decodeNtlmSupplementalCredential(new Uint8Array(39))).path).toBe(
      'NTLM_SUPPLEMENTAL_CREDENTIAL',
    );
    const noFlags = unhex(NTLM_CRED.replace(/ /g, ''));
    noFlags[4] = 0;
    expect(refused(() => decodeNtlmSupplementalCredential(noFlags)).path).toBe(
      'NTLM_SUPPLEMENTAL_CREDENTIAL.Flags',
    );
    expect(
      refused(() =>
        encodeNtlmSupplementalCredential({
          version: 0,
          flags: 2,
          lmPassword: new Uint8Array(16),
          ntPassword: new Uint8Array(15),
        }),
      ).path,
    ).toBe('NTLM_SUPPLEMENTAL_CREDENTIAL.NtPassword');
  });
});

describe('PAC_CREDENTIAL_INFO (MS-PAC 2.6.1)', () => {
  const replyKey: Key = generateKey(18, { random: new SeededRandom('pac-credentials') });
  const random = new SeededRandom('pac-credentials-iv');

  it('is Version 0, EncryptionType the reply key etype, then the data encrypted with key usage 16', () => {
    const info = sealPacCredentials(replyKey, { credentials: [ntlmSupplementalCred(NT_HASH)] }, random);
    const bytes = encodePacCredentialInfo(info);
    expect(hex(bytes.subarray(0, 8))).toBe('0000000012000000');
    expect(hex(bytes.subarray(8))).toBe(hex(info.serializedData));
    const decoded = decodePacCredentialInfo(bytes);
    expect(decoded).toEqual({ version: 0, encryptionType: 18, serializedData: info.serializedData });
    const opened = openPacCredentials(replyKey, decoded);
    expect(hex(encodePacCredentialData(opened))).toBe(CREDENTIAL_DATA.replace(/ /g, ''));
  });

  it('does not open with another key, or as another etype', () => {
    const info = sealPacCredentials(replyKey, { credentials: [ntlmSupplementalCred(NT_HASH)] }, random);
    const other = generateKey(18, { random: new SeededRandom('other') });
    let code: number | undefined;
    try {
      openPacCredentials(other, info);
    } catch (e) {
      code = (e as { code?: number }).code;
    }
    expect(code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(refused(() => openPacCredentials(generateKey(17, { random }), info)).path).toBe(
      'PAC_CREDENTIAL_INFO.EncryptionType',
    );
  });

  it('refuses a Version other than 0 and an empty SerializedData, naming the field', () => {
    expect(refused(() => decodePacCredentialInfo(unhex('010000001200000001'))).path).toBe(
      'PAC_CREDENTIAL_INFO.Version',
    );
    expect(refused(() => decodePacCredentialInfo(unhex('0000000012000000'))).path).toBe(
      'PAC_CREDENTIAL_INFO.SerializedData',
    );
  });
});

function refused(f: () => unknown): PacError {
  try {
    f();
  } catch (e) {
    if (isPacError(e)) return e;
    throw e;
  }
  throw new Error('expected a PacError');
}
