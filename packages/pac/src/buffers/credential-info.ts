/**
 * PAC credentials: MS-PAC 2.6, the PAC buffer type 2 a KDC adds to the PAC
 * of a PKINIT logon (MS-PKCA 3.1.5.2) so that the client, which typed no
 * password, still gets its NTLM credential.
 *
 * ```
 * typedef struct _PAC_CREDENTIAL_INFO {           // 2.6.1, the buffer itself
 *   ULONG Version;                                 // 0
 *   ULONG EncryptionType;                          // the AS reply key's etype
 *   UCHAR SerializedData[1];                       // PAC_CREDENTIAL_DATA, encrypted
 * } PAC_CREDENTIAL_INFO;
 *
 * typedef struct _PAC_CREDENTIAL_DATA {           // 2.6.2, NDR, type serialization version 1
 *   ULONG CredentialCount;
 *   [size_is(CredentialCount)] SECPKG_SUPPLEMENTAL_CRED Credentials[*];
 * } PAC_CREDENTIAL_DATA;
 *
 * typedef struct _SECPKG_SUPPLEMENTAL_CRED {      // 2.6.3
 *   RPC_UNICODE_STRING PackageName;                // "NTLM"
 *   ULONG CredentialSize;
 *   [size_is(CredentialSize)] PUCHAR Credentials;
 * } SECPKG_SUPPLEMENTAL_CRED;
 *
 * typedef struct _NTLM_SUPPLEMENTAL_CREDENTIAL {  // 2.6.4, NTLM's Credentials, 40 bytes
 *   ULONG Version;                                 // 0
 *   ULONG Flags;                                   // 1: LmPassword valid, 2: NtPassword valid
 *   BYTE LmPassword[16];
 *   BYTE NtPassword[16];
 * } NTLM_SUPPLEMENTAL_CREDENTIAL;
 * ```
 *
 * SerializedData is the type-serialized PAC_CREDENTIAL_DATA encrypted with
 * the AS reply key, key usage KERB_NON_KERB_SALT (16) (2.6.1). In the NDR
 * stream a unique pointer to PAC_CREDENTIAL_DATA comes first, as for
 * KERB_VALIDATION_INFO; the structure is conformant, so its MaxCount leads
 * it; each element's PackageName characters and Credentials bytes follow
 * the array, element by element.
 *
 * The buffer stays bytes in a decoded {@link Pac} (its contents are
 * encrypted); these functions read and write it.
 *
 * @module
 */

import type { RandomSource } from '@krbsim/core';
import { decrypt, encrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { PacError, withPath } from '../errors';
import { NdrReader } from '../ndr/reader';
import {
  readStringBody,
  readStringHeader,
  type StringSlot,
  stringPointers,
  writeStringBody,
  writeStringHeader,
} from '../ndr/rpc';
import {
  type FormCollector,
  type NdrForm,
  type ReferentReader,
  ReferentWriter,
  readTypeSerialization,
  writeTypeSerialization,
} from '../ndr/serialization';
import { checkUInt, NdrWriter } from '../ndr/writer';

/** NTLM_SUPPLEMENTAL_CREDENTIAL's Flags (MS-PAC 2.6.4). */
export const NtlmCredentialFlags = {
  /** LmPassword holds the LM OWF. */
  LM_OWF: 0x1,
  /** NtPassword holds the NT OWF (the NT hash). */
  NT_OWF: 0x2,
} as const;

/** NTLM_SUPPLEMENTAL_CREDENTIAL (MS-PAC 2.6.4). */
export interface NtlmSupplementalCredential {
  /** Must be 0. */
  readonly version: number;
  /** {@link NtlmCredentialFlags}: at least one. */
  readonly flags: number;
  /** 16 bytes: the LM OWF, zeros when LM_OWF is clear. */
  readonly lmPassword: Uint8Array;
  /** 16 bytes: the NT OWF (MD4 of the UTF-16LE password), zeros when NT_OWF is clear. */
  readonly ntPassword: Uint8Array;
}

/** SECPKG_SUPPLEMENTAL_CRED (MS-PAC 2.6.3): one security package's credentials. */
export interface SecPkgSupplementalCred {
  /** The package (`NTLM`, the only one Windows KDCs send). */
  readonly packageName: string;
  /** The package's credentials (for NTLM, an encoded {@link NtlmSupplementalCredential}). */
  readonly credentials: Uint8Array;
}

/** PAC_CREDENTIAL_DATA (MS-PAC 2.6.2). */
export interface PacCredentialData {
  readonly credentials: readonly SecPkgSupplementalCred[];
  /** How the decoded bytes differ from krbsim's encoding; see {@link NdrForm}. */
  readonly ndrForm?: NdrForm;
}

/** PAC_CREDENTIAL_INFO (MS-PAC 2.6.1): the buffer as it stands in the PAC. */
export interface PacCredentialInfo {
  /** Must be 0. */
  readonly version: number;
  /** The etype of the key SerializedData is encrypted with (the AS reply key's). */
  readonly encryptionType: number;
  /** The encrypted, type-serialized {@link PacCredentialData}. */
  readonly serializedData: Uint8Array;
}

const NTLM_CREDENTIAL_SIZE = 40;

function sixteen(b: unknown, path: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== 16) {
    throw new PacError(`expected 16 bytes, got ${b instanceof Uint8Array ? `${b.length}` : typeof b}`, {
      path,
    });
  }
  return b;
}

/** Encodes an NTLM_SUPPLEMENTAL_CREDENTIAL: 40 bytes, little-endian. @throws PacError */
export function encodeNtlmSupplementalCredential(v: NtlmSupplementalCredential): Uint8Array {
  const path = 'NTLM_SUPPLEMENTAL_CREDENTIAL';
  if (v === null || typeof v !== 'object')
    throw new PacError('expected an NtlmSupplementalCredential', { path });
  if (v.version !== 0) throw new PacError(`must be 0, got ${String(v.version)}`, { path: `${path}.Version` });
  const flags = checkUInt(v.flags, 32, `${path}.Flags`);
  if (flags === 0 || (flags & ~0x3) !== 0) {
    throw new PacError(`must be 1, 2 or 3 (LM_OWF, NT_OWF), got ${flags}`, { path: `${path}.Flags` });
  }
  const w = new NdrWriter(NTLM_CREDENTIAL_SIZE);
  w.u32(0);
  w.u32(flags);
  w.bytes(sixteen(v.lmPassword, `${path}.LmPassword`));
  w.bytes(sixteen(v.ntPassword, `${path}.NtPassword`));
  return w.finish();
}

/** Decodes an NTLM_SUPPLEMENTAL_CREDENTIAL (exactly 40 bytes). @throws PacError */
export function decodeNtlmSupplementalCredential(bytes: Uint8Array): NtlmSupplementalCredential {
  const path = 'NTLM_SUPPLEMENTAL_CREDENTIAL';
  if (!(bytes instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path });
  if (bytes.length !== NTLM_CREDENTIAL_SIZE) {
    throw new PacError(`expected ${NTLM_CREDENTIAL_SIZE} bytes, got ${bytes.length}`, { path });
  }
  const r = new NdrReader(bytes, 0, bytes.length, 0);
  let at = '.Version';
  try {
    const version = r.u32();
    if (version !== 0) throw r.error(`must be 0, got ${version}`);
    at = '.Flags';
    const flags = r.u32();
    if (flags === 0 || (flags & ~0x3) !== 0)
      throw r.error(`must be 1, 2 or 3 (LM_OWF, NT_OWF), got ${flags}`);
    at = '';
    return { version, flags, lmPassword: r.bytes(16), ntPassword: r.bytes(16) };
  } catch (e) {
    throw withPath(withPath(e, at), path);
  }
}

/** The NTLM supplemental credential of an account whose NT hash is `ntHash` (no LM hash, as AD keeps none). */
export function ntlmSupplementalCred(ntHash: Uint8Array): SecPkgSupplementalCred {
  return {
    packageName: 'NTLM',
    credentials: encodeNtlmSupplementalCredential({
      version: 0,
      flags: NtlmCredentialFlags.NT_OWF,
      lmPassword: new Uint8Array(16),
      ntPassword: ntHash,
    }),
  };
}

/** The largest count read: every element takes at least 12 bytes of the stream, which bounds it anyway. */
const MAX_CREDENTIALS = 0xffff;

function readBody(r: NdrReader, refs: ReferentReader, form: FormCollector): PacCredentialData {
  let at = '';
  try {
    const top = r.u32();
    if (top === 0) throw r.error('the pointer to PAC_CREDENTIAL_DATA is NULL');
    refs.take(top);
    at = '.MaxCount';
    const maxCount = r.u32();
    at = '.CredentialCount';
    const count = r.u32();
    if (count !== maxCount) throw r.error(`CredentialCount ${count} does not match MaxCount ${maxCount}`);
    if (count > MAX_CREDENTIALS) throw r.error(`CredentialCount ${count} is more than ${MAX_CREDENTIALS}`);
    const heads: { name: ReturnType<typeof readStringHeader>; size: number; ptr: number }[] = [];
    for (let i = 0; i < count; i++) {
      const field = `Credentials[${i}]`;
      at = '';
      const name = readStringHeader(r, `${field}.PackageName`);
      at = `.${field}.CredentialSize`;
      const size = r.u32();
      at = `.${field}.Credentials`;
      const ptr = r.u32();
      if ((size === 0) !== (ptr === 0)) {
        throw r.error(
          size === 0
            ? 'a non-NULL pointer with CredentialSize 0'
            : `a NULL pointer with CredentialSize ${size}`,
        );
      }
      heads.push({ name, size, ptr });
    }
    const credentials: SecPkgSupplementalCred[] = [];
    for (let i = 0; i < count; i++) {
      const h = heads[i]!;
      at = '';
      const packageName = readStringBody(r, h.name, refs, form, 0);
      let bytes: Uint8Array = new Uint8Array(0);
      if (h.ptr !== 0) {
        at = `.Credentials[${i}].Credentials.MaxCount`;
        refs.take(h.ptr);
        const n = r.u32();
        if (n !== h.size) throw r.error(`MaxCount ${n} does not match CredentialSize ${h.size}`);
        at = `.Credentials[${i}].Credentials`;
        bytes = r.bytes(n);
      }
      credentials.push({ packageName, credentials: bytes });
    }
    return { credentials };
  } catch (e) {
    throw withPath(e, at);
  }
}

/** Decodes a type-serialized PAC_CREDENTIAL_DATA (the plaintext of SerializedData). @throws PacError */
export function decodePacCredentialData(bytes: Uint8Array): PacCredentialData {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'PAC_CREDENTIAL_DATA' });
  return readTypeSerialization(bytes, 0, bytes.length, 'PAC_CREDENTIAL_DATA', readBody);
}

function writeBody(w: NdrWriter, v: PacCredentialData): void {
  const list = v.credentials;
  if (!Array.isArray(list)) throw new PacError('expected an array', { path: 'Credentials' });
  const form = v.ndrForm;
  let pointers = 1;
  list.forEach((c, i) => {
    if (c === null || typeof c !== 'object')
      throw new PacError('expected a SecPkgSupplementalCred', { path: `Credentials[${i}]` });
    if (!(c.credentials instanceof Uint8Array)) {
      throw new PacError('expected a Uint8Array', { path: `Credentials[${i}].Credentials` });
    }
    pointers += stringPointers(c.packageName, `Credentials[${i}].PackageName`, form);
    if (c.credentials.length > 0) pointers++;
  });
  const refs = new ReferentWriter(form?.referentIds, pointers);
  w.u32(refs.next());
  w.u32(list.length); // MaxCount: the conformance of the structure's array
  w.u32(list.length);
  const slots: { name: StringSlot; ptrAt: number }[] = list.map((c, i) => {
    const name = writeStringHeader(w, c.packageName, `Credentials[${i}].PackageName`, 0, form);
    w.u32(c.credentials.length);
    const ptrAt = w.pos;
    w.u32(0);
    return { name, ptrAt };
  });
  list.forEach((c, i) => {
    writeStringBody(w, slots[i]!.name, refs);
    if (c.credentials.length === 0) return;
    w.put32(slots[i]!.ptrAt, refs.next());
    w.u32(c.credentials.length);
    w.bytes(c.credentials);
  });
}

/** Encodes a PAC_CREDENTIAL_DATA, type-serialized (MS-RPCE 2.2.6). @throws PacError */
export function encodePacCredentialData(v: PacCredentialData): Uint8Array {
  const w = new NdrWriter(128);
  try {
    if (v === null || typeof v !== 'object') throw new PacError('expected a PacCredentialData object');
    writeTypeSerialization(w, v.ndrForm, (w) => writeBody(w, v));
  } catch (e) {
    throw withPath(e, 'PAC_CREDENTIAL_DATA');
  }
  return w.finish();
}

/** Decodes the PAC_CREDENTIAL_INFO buffer (MS-PAC 2.6.1). @throws PacError */
export function decodePacCredentialInfo(bytes: Uint8Array): PacCredentialInfo {
  const path = 'PAC_CREDENTIAL_INFO';
  if (!(bytes instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path });
  const r = new NdrReader(bytes, 0, bytes.length, 0);
  let at = '.Version';
  try {
    const version = r.u32();
    if (version !== 0) throw r.error(`must be 0, got ${version}`);
    at = '.EncryptionType';
    const encryptionType = r.u32();
    at = '.SerializedData';
    if (r.pos === bytes.length) throw r.error('empty');
    return { version, encryptionType, serializedData: r.bytes(bytes.length - r.pos) };
  } catch (e) {
    throw withPath(withPath(e, at), path);
  }
}

/** Encodes the PAC_CREDENTIAL_INFO buffer. @throws PacError */
export function encodePacCredentialInfo(v: PacCredentialInfo): Uint8Array {
  const path = 'PAC_CREDENTIAL_INFO';
  if (v === null || typeof v !== 'object') throw new PacError('expected a PacCredentialInfo', { path });
  if (v.version !== 0) throw new PacError(`must be 0, got ${String(v.version)}`, { path: `${path}.Version` });
  const etype = checkUInt(v.encryptionType, 32, `${path}.EncryptionType`);
  if (!(v.serializedData instanceof Uint8Array) || v.serializedData.length === 0) {
    throw new PacError('expected a non-empty Uint8Array', { path: `${path}.SerializedData` });
  }
  const w = new NdrWriter(8 + v.serializedData.length);
  w.u32(0);
  w.u32(etype);
  w.bytes(v.serializedData);
  return w.finish();
}

/**
 * PAC_CREDENTIAL_INFO for `data`, encrypted with `replyKey` (the AS reply
 * key) and key usage KERB_NON_KERB_SALT (16), as MS-PAC 2.6.1 asks.
 */
export function sealPacCredentials(
  replyKey: Key,
  data: PacCredentialData,
  random: RandomSource,
): PacCredentialInfo {
  return {
    version: 0,
    encryptionType: replyKey.etype,
    serializedData: encrypt(replyKey, KeyUsage.KERB_NON_KERB_SALT, encodePacCredentialData(data), { random }),
  };
}

/**
 * The PAC_CREDENTIAL_DATA of `info`, decrypted with `replyKey`.
 *
 * @throws PacError for an EncryptionType other than the key's, or
 *   plaintext that does not decode; the crypto's KerberosError
 *   (KRB_AP_ERR_BAD_INTEGRITY) for a key that does not open it.
 */
export function openPacCredentials(replyKey: Key, info: PacCredentialInfo): PacCredentialData {
  if (info.encryptionType !== replyKey.etype) {
    throw new PacError(`encrypted with etype ${info.encryptionType}, not the key's ${replyKey.etype}`, {
      path: 'PAC_CREDENTIAL_INFO.EncryptionType',
    });
  }
  return decodePacCredentialData(decrypt(replyKey, KeyUsage.KERB_NON_KERB_SALT, info.serializedData));
}
