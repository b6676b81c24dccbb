/**
 * The domain's password policy as a Windows domain controller puts it in
 * the result string of a password change it refuses by policy (kpasswd,
 * RFC 3244 section 2: the string is "nominally UTF-8", AD sends 30 bytes of
 * structure instead), and as MIT's `krb5_chpw_message` reads it:
 *
 *     0x0000            2 bytes, marks the structure
 *     MinPasswordLength 4 bytes  \
 *     PasswordHistory   4 bytes   | big-endian, the fields of
 *     PasswordProperties 4 bytes  | DOMAIN_PASSWORD_INFORMATION
 *     MaxPasswordAge    8 bytes   | (MS-SAMR 2.2.3.5), ages in
 *     MinPasswordAge    8 bytes  /  100-nanosecond units
 *
 * The structure says what the policy is, not which rule the password broke,
 * so a client shows the whole policy (MIT's words, {@link adPolicyInfoMessage}).
 *
 * @module
 */

import { Asn1Error } from '../der/errors';

/** PasswordProperties bits (MS-SAMR 2.2.3.5's DOMAIN_PASSWORD_COMPLEX and the rest). */
export const DomainPasswordProperties = {
  /** "Password must meet complexity requirements". */
  COMPLEX: 0x01,
  NO_ANON_CHANGE: 0x02,
  NO_CLEAR_CHANGE: 0x04,
  LOCKOUT_ADMINS: 0x08,
  STORE_CLEARTEXT: 0x10,
  REFUSE_CHANGE: 0x20,
} as const;

/** A domain's password policy, as AD_POLICY_INFO carries it. */
export interface AdPolicyInfo {
  /** The shortest password accepted, in characters (0: no minimum). */
  readonly minLength: number;
  /** How many passwords, the current one included, a new one must differ from (0: none). */
  readonly historyLength: number;
  /** {@link DomainPasswordProperties} bits. */
  readonly properties: number;
  /** How long a password lasts, ms (0: for ever). */
  readonly maxAgeMs: number;
  /** How long a password must be kept before the user may change it, ms (0: no minimum). */
  readonly minAgeMs: number;
}

const LENGTH = 30;
/** 100-nanosecond units in a millisecond. */
const TICKS_PER_MS = 10_000n;
/** A day in milliseconds (MIT's AD_POLICY_TIME_TO_DAYS is the same day in 100-nanosecond units). */
const DAY_MS = 86_400_000;

/** The 30 bytes of `info`. Throws Asn1Error for a field that does not fit. */
export function encodeAdPolicyInfo(info: AdPolicyInfo): Uint8Array {
  const out = new Uint8Array(LENGTH);
  const view = new DataView(out.buffer);
  const u32 = (offset: number, value: number, field: string): void => {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Asn1Error(`AD_POLICY_INFO.${field}: ${value} does not fit 4 bytes`);
    }
    view.setUint32(offset, value);
  };
  const age = (offset: number, ms: number, field: string): void => {
    const ticks = Number.isSafeInteger(ms) && ms >= 0 ? BigInt(ms) * TICKS_PER_MS : -1n;
    if (ticks < 0n || ticks > 0xffffffffffffffffn) {
      throw new Asn1Error(`AD_POLICY_INFO.${field}: ${ms} ms is not an age of 8 bytes of 100 ns`);
    }
    view.setBigUint64(offset, ticks);
  };
  u32(2, info.minLength, 'minLength');
  u32(6, info.historyLength, 'historyLength');
  u32(10, info.properties, 'properties');
  age(14, info.maxAgeMs, 'maxAgeMs');
  age(22, info.minAgeMs, 'minAgeMs');
  return out;
}

/**
 * Reads AD_POLICY_INFO; undefined when `bytes` is not one (not 30 bytes, or
 * not starting with 0x0000), as MIT decides it. Ages are whole milliseconds.
 */
export function decodeAdPolicyInfo(bytes: Uint8Array): AdPolicyInfo | undefined {
  if (bytes.length !== LENGTH || bytes[0] !== 0 || bytes[1] !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  // 2^64 ticks of 100 ns are 1.8e15 ms: a safe integer.
  const age = (offset: number): number => Number(view.getBigUint64(offset) / TICKS_PER_MS);
  return {
    minLength: view.getUint32(2),
    historyLength: view.getUint32(6),
    properties: view.getUint32(10),
    maxAgeMs: age(14),
    minAgeMs: age(22),
  };
}

/**
 * The policy in words, sentence for sentence as MIT's `krb5_chpw_message`
 * writes it (what `kpasswd` and `kinit` print after "Password change
 * rejected: "); empty when the policy has no rule to name.
 */
export function adPolicyInfoMessage(info: AdPolicyInfo): string {
  const sentences: string[] = [];
  if ((info.properties & DomainPasswordProperties.COMPLEX) !== 0) {
    sentences.push(
      "The password must include numbers or symbols.  Don't include any part of your name in the password.",
    );
  }
  if (info.minLength > 0) {
    sentences.push(
      `The password must contain at least ${info.minLength} character${info.minLength === 1 ? '' : 's'}.`,
    );
  }
  if (info.historyLength > 0) {
    sentences.push(
      info.historyLength === 1
        ? 'The password must be different from the previous password.'
        : `The password must be different from the previous ${info.historyLength} passwords.`,
    );
  }
  if (info.minAgeMs > 0) {
    // MIT counts whole days, and at least one.
    const days = Math.max(1, Math.floor(info.minAgeMs / DAY_MS));
    sentences.push(
      days === 1
        ? 'The password can only be changed once a day.'
        : `The password can only be changed every ${days} days.`,
    );
  }
  return sentences.join('  ');
}
