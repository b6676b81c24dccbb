/**
 * The kpasswd message framing of RFC 3244 section 2 (port 464), around the
 * Kerberos messages it carries: a 6-byte header (the whole message's length,
 * the protocol version, the AP-REQ or AP-REP length, each 2 bytes
 * big-endian), then the AP-REQ or AP-REP, then a KRB-PRIV, or a KRB-ERROR
 * when the AP part is empty. The KRB-PRIV of a reply carries a result: a
 * 2-byte code and a UTF-8 text.
 *
 * @module
 */

import { Asn1Error } from '../der/errors';
import { badValue, expectBytes } from '../der/writer';
import {
  type AdPolicyInfo,
  adPolicyInfoMessage,
  decodeAdPolicyInfo,
  encodeAdPolicyInfo,
} from './ad-policy-info';

/** The protocol versions (RFC 3244 section 2): change one's own password, or set one (ChangePasswdData). */
export const KpasswdVersion = { CHANGE_PASSWORD: 0x0001, SET_PASSWORD: 0xff80 } as const;

/** The result codes (RFC 3244 section 2; MIT's KRB5_KPASSWD_*). */
export const KpasswdResult = {
  SUCCESS: 0,
  MALFORMED: 1,
  HARDERROR: 2,
  AUTHERROR: 3,
  SOFTERROR: 4,
  ACCESSDENIED: 5,
  BAD_VERSION: 6,
  INITIAL_FLAG_NEEDED: 7,
} as const;

/** The name of a result code (`SOFTERROR`), or `result N` for one RFC 3244 does not name. */
export function kpasswdResultName(code: number): string {
  for (const [name, value] of Object.entries(KpasswdResult)) if (value === code) return name;
  return `result ${code}`;
}

/** A kpasswd request or reply, split at its header. */
export interface KpasswdMessage {
  /** The protocol version ({@link KpasswdVersion}); replies say 1. */
  readonly version: number;
  /** The AP-REQ (request) or AP-REP (reply); empty in a reply that carries a KRB-ERROR. */
  readonly ap: Uint8Array;
  /** The KRB-PRIV, or the KRB-ERROR of a reply without AP-REP. */
  readonly rest: Uint8Array;
}

const HEADER = 6;

/** Frames a kpasswd message: the header, `ap`, then `rest`. */
export function encodeKpasswdMessage(m: KpasswdMessage): Uint8Array {
  if (m === null || typeof m !== 'object') badValue('a KpasswdMessage (object)', m, 'KpasswdMessage');
  const { version } = m;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 0xffff) {
    badValue('a 2-byte version (0..65535)', version, 'KpasswdMessage.version');
  }
  expectBytes(m.ap, 'KpasswdMessage.ap');
  expectBytes(m.rest, 'KpasswdMessage.rest');
  const length = HEADER + m.ap.length + m.rest.length;
  if (length > 0xffff)
    throw new Asn1Error(`a kpasswd message of ${length} bytes does not fit its 2-byte length`, {
      path: 'KpasswdMessage',
    });
  const out = new Uint8Array(length);
  out.set([
    length >> 8,
    length & 0xff,
    m.version >> 8,
    m.version & 0xff,
    m.ap.length >> 8,
    m.ap.length & 0xff,
  ]);
  out.set(m.ap, HEADER);
  out.set(m.rest, HEADER + m.ap.length);
  return out;
}

/**
 * Splits a kpasswd message at its header (views into `bytes`). Throws
 * Asn1Error when the header does not hold: shorter than 6 bytes, a length
 * that is not the message's, or an AP part that runs past the end. The
 * version is returned as sent; whether it is known is the reader's to say.
 */
export function decodeKpasswdMessage(bytes: Uint8Array): KpasswdMessage {
  if (bytes.length < HEADER) throw new Asn1Error(`a kpasswd message of ${bytes.length} bytes has no header`);
  const length = (bytes[0]! << 8) | bytes[1]!;
  const version = (bytes[2]! << 8) | bytes[3]!;
  const apLength = (bytes[4]! << 8) | bytes[5]!;
  if (length !== bytes.length) {
    throw new Asn1Error(`the kpasswd header says ${length} bytes, the message has ${bytes.length}`);
  }
  if (HEADER + apLength > bytes.length) {
    throw new Asn1Error(`the kpasswd AP part of ${apLength} bytes runs past the message's end`);
  }
  return {
    version,
    ap: bytes.subarray(HEADER, HEADER + apLength),
    rest: bytes.subarray(HEADER + apLength),
  };
}

/**
 * A result's bytes: the code, big-endian, then the UTF-8 text, or the
 * domain's password policy as a Windows DC sends it for a change its policy
 * refused (AD_POLICY_INFO).
 */
export function encodeKpasswdResult(code: number, text: string | AdPolicyInfo): Uint8Array {
  const t = typeof text === 'string' ? new TextEncoder().encode(text) : encodeAdPolicyInfo(text);
  const out = new Uint8Array(2 + t.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(t, 2);
  return out;
}

/** A result read from a reply. */
export interface KpasswdResultData {
  readonly code: number;
  /** The server's words (decoded leniently: they are shown to a person), or, for a policy, MIT's words for it. */
  readonly text: string;
  /** The domain's policy, when the server sent AD_POLICY_INFO instead of words. */
  readonly policy?: AdPolicyInfo;
}

/** Reads a result: its code and its text, or the AD_POLICY_INFO that takes the text's place. */
export function decodeKpasswdResult(bytes: Uint8Array): KpasswdResultData {
  if (bytes.length < 2) throw new Asn1Error(`a kpasswd result of ${bytes.length} bytes has no code`);
  const code = (bytes[0]! << 8) | bytes[1]!;
  const rest = bytes.subarray(2);
  const policy = decodeAdPolicyInfo(rest);
  if (policy !== undefined) return { code, text: adPolicyInfoMessage(policy), policy };
  return { code, text: new TextDecoder().decode(rest) };
}
