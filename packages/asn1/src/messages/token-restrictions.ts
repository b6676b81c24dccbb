/**
 * What a Windows client says of its token to a service (MS-KILE 3.2.5.8), in the first
 * AD-IF-RELEVANT of its AP-REQ's authenticator as KERB_AUTH_DATA_TOKEN_RESTRICTIONS (141):
 * KERB-AD-RESTRICTION-ENTRY (2.2.6) holding an LSAP_TOKEN_INFO_INTEGRITY (2.2.5).
 *
 * The element's data is a SEQUENCE OF KERB-AD-RESTRICTION-ENTRY holding one entry: MS-KILE prints
 * the entry alone, but Windows wraps it, as Microsoft's own protocol test suite encodes it and as
 * Samba's, Impacket's and Wireshark's decoders read it.
 *
 *     LSAP_TOKEN_INFO_INTEGRITY (little-endian, no padding)
 *     Flags               4 bytes   0 full token, 1 UAC-restricted
 *     TokenIL             4 bytes   integrity level: 0x1000 low, 0x2000 medium, ...
 *     PerBootMachineID   32 bytes
 *     CrossBootMachineID 32 bytes   newer Windows only (72 bytes in all, else 40)
 *
 * @module
 */

import { Asn1Error } from '../der/errors';
import { Codec, type DecodeOptions } from '../schema/codec';
import { field, int32, octetString, seq, seqOf } from '../schema/nodes';
import type { KerbAdRestrictionEntry, LsapTokenInfoIntegrity } from '../types/authz';

/** LSAP_TOKEN_INFO_INTEGRITY's Flags (MS-KILE section 2.2.5). */
export const TokenIntegrityFlags = {
  /** The token is the UAC-filtered half of a split token (an administrator's, not elevated). */
  UAC_RESTRICTED: 0x1,
} as const;

/** LSAP_TOKEN_INFO_INTEGRITY's TokenIL: the token's mandatory integrity level (MS-KILE section 2.2.5). */
export const TokenIntegrityLevel = {
  UNTRUSTED: 0x0000,
  LOW: 0x1000,
  MEDIUM: 0x2000,
  HIGH: 0x3000,
  SYSTEM: 0x4000,
  PROTECTED_PROCESS: 0x5000,
} as const;

/** The restriction-type of an entry holding an LSAP_TOKEN_INFO_INTEGRITY: the only one defined. */
export const RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY = 0;

/** The length of a machine ID, per-boot or cross-boot (MS-KILE 3.1.1.4, 3.1.1.5). */
const MACHINE_ID_BYTES = 32;
const WITHOUT_CROSS_BOOT = 8 + MACHINE_ID_BYTES;
const WITH_CROSS_BOOT = WITHOUT_CROSS_BOOT + MACHINE_ID_BYTES;

/**
 * KERB-AD-RESTRICTION-ENTRY ::= SEQUENCE {
 *   restriction-type [0] Int32,
 *   restriction      [1] OCTET STRING
 * }
 */
const KerbAdRestrictionEntryDef = seq('KERB-AD-RESTRICTION-ENTRY', [
  field(0, 'restriction-type', int32),
  field(1, 'restriction', octetString),
]);

/** What KERB_AUTH_DATA_TOKEN_RESTRICTIONS carries: SEQUENCE OF KERB-AD-RESTRICTION-ENTRY (see the module comment). */
export const KerbAdRestrictionsDef = seqOf(
  'SEQUENCE OF KERB-AD-RESTRICTION-ENTRY',
  KerbAdRestrictionEntryDef,
  {
    min: 1,
  },
);

const kerbAdRestrictions = new Codec<readonly KerbAdRestrictionEntry[]>(
  'KERB_AUTH_DATA_TOKEN_RESTRICTIONS',
  KerbAdRestrictionsDef,
);

/**
 * Encodes KERB_AUTH_DATA_TOKEN_RESTRICTIONS' data: the entries in a SEQUENCE OF, as Windows sends
 * one (MS-KILE section 2.2.6).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeKerbAdRestrictions = (v: readonly KerbAdRestrictionEntry[]): Uint8Array =>
  kerbAdRestrictions.encode(v);
/** Decodes KERB_AUTH_DATA_TOKEN_RESTRICTIONS' data: at least one KERB-AD-RESTRICTION-ENTRY (MS-KILE section 2.2.6). */
export const decodeKerbAdRestrictions = (
  b: Uint8Array,
  o?: DecodeOptions,
): readonly KerbAdRestrictionEntry[] => kerbAdRestrictions.decode(b, o);

function checkMachineId(id: Uint8Array, what: string): void {
  if (!(id instanceof Uint8Array) || id.length !== MACHINE_ID_BYTES) {
    throw new Asn1Error(`LSAP_TOKEN_INFO_INTEGRITY.${what}: must be ${MACHINE_ID_BYTES} bytes`);
  }
}

/** The 40 bytes of `v` (72 with a CrossBootMachineID). Throws Asn1Error for a field that does not fit. */
export function encodeLsapTokenInfoIntegrity(v: LsapTokenInfoIntegrity): Uint8Array {
  for (const [name, value] of [
    ['Flags', v.flags],
    ['TokenIL', v.tokenIL],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Asn1Error(`LSAP_TOKEN_INFO_INTEGRITY.${name}: ${value} does not fit 4 bytes`);
    }
  }
  checkMachineId(v.machineId, 'PerBootMachineID');
  if (v.crossBootMachineId !== undefined) checkMachineId(v.crossBootMachineId, 'CrossBootMachineID');
  const out = new Uint8Array(v.crossBootMachineId === undefined ? WITHOUT_CROSS_BOOT : WITH_CROSS_BOOT);
  const view = new DataView(out.buffer);
  view.setUint32(0, v.flags, true);
  view.setUint32(4, v.tokenIL, true);
  out.set(v.machineId, 8);
  if (v.crossBootMachineId !== undefined) out.set(v.crossBootMachineId, WITHOUT_CROSS_BOOT);
  return out;
}

/**
 * Reads an LSAP_TOKEN_INFO_INTEGRITY: 40 bytes, or 72 with a CrossBootMachineID. Throws Asn1Error
 * for any other length.
 */
export function decodeLsapTokenInfoIntegrity(b: Uint8Array): LsapTokenInfoIntegrity {
  if (b.length !== WITHOUT_CROSS_BOOT && b.length !== WITH_CROSS_BOOT) {
    throw new Asn1Error(
      `LSAP_TOKEN_INFO_INTEGRITY: ${b.length} bytes, not ${WITHOUT_CROSS_BOOT} (or ${WITH_CROSS_BOOT} with a CrossBootMachineID)`,
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  return {
    flags: view.getUint32(0, true),
    tokenIL: view.getUint32(4, true),
    machineId: b.slice(8, WITHOUT_CROSS_BOOT),
    ...(b.length === WITH_CROSS_BOOT && { crossBootMachineId: b.slice(WITHOUT_CROSS_BOOT) }),
  };
}
