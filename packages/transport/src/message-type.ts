/**
 * Naming a Kerberos message from its first byte: the APPLICATION tag of the
 * top-level messages of RFC 4120 section 5 (`[APPLICATION n]` is the byte
 * `0x60 | n` for n < 31), which equals the `msg-type` of section 7.5.7. A
 * lookup table, no decoding.
 *
 * @module
 */

import {
  AppTag,
  decodeKpasswdMessage,
  decodeNegotiationToken,
  GssOid,
  KpasswdVersion,
  MsgType,
  unwrapGssToken,
  unwrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, errorCodeName } from '@krbsim/core';
import { peekKrbErrorCode } from './krb-error';

const MSG_TYPES: ReadonlySet<number> = new Set(Object.values(MsgType));

/**
 * The name of each top-level message's first byte (`106: 'AS-REQ'` ...
 * `126: 'KRB-ERROR'`), from `@krbsim/asn1`'s registries: the APPLICATION
 * tags that are also a msg-type, named as the RFC's ASN.1 module names them
 * (`KRB_SAFE` is `KRB-SAFE`).
 */
export const MESSAGE_TYPES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(
    Object.entries(AppTag)
      .filter(([, tag]) => MSG_TYPES.has(tag))
      .map(([name, tag]) => [0x60 | tag, name.replaceAll('_', '-')]),
  ),
);

/**
 * The Kerberos message inside a GSS-API token: an RFC 4121 krb5 token
 * (`0x60`, krb5 OID, token id, message) or an RFC 4178 SPNEGO token whose
 * mechToken/responseToken is one. Undefined for anything else.
 */
function innerKerberosMessage(
  token: Uint8Array,
): { framing: 'GSS' | 'SPNEGO'; inner: Uint8Array } | undefined {
  try {
    if (token[0] === 0x60) {
      const { thisMech } = unwrapGssToken(token);
      if (thisMech !== GssOid.SPNEGO) return { framing: 'GSS', inner: unwrapKrb5Token(token).message };
    } else if (token[0] !== 0xa1) {
      return undefined;
    }
    const neg = decodeNegotiationToken(token);
    const mechToken = 'negTokenInit' in neg ? neg.negTokenInit.mechToken : neg.negTokenResp.responseToken;
    if (mechToken === undefined) return undefined;
    return {
      framing: 'SPNEGO',
      inner: mechToken[0] === 0x60 ? unwrapKrb5Token(mechToken).message : mechToken,
    };
  } catch {
    return undefined; // not a well-formed token: reported as unknown
  }
}

/**
 * `'AS-REQ'`, `'TGS-REP'`, `'KRB-ERROR'`... from the first byte of `message`;
 * a message inside GSS-API or SPNEGO framing is named with its framing
 * (`'AP-REQ (SPNEGO)'`); `'unknown'` for anything else (including an empty
 * message).
 */
export function messageType(message: Uint8Array): string {
  const direct = message.length > 0 ? MESSAGE_TYPES[message[0]!] : undefined;
  if (direct !== undefined) return direct;
  const wrapped = innerKerberosMessage(message);
  const inner = wrapped && wrapped.inner.length > 0 ? MESSAGE_TYPES[wrapped.inner[0]!] : undefined;
  return inner === undefined ? 'unknown' : `${inner} (${wrapped!.framing})`;
}

/**
 * {@link messageType}, with the error name for a KRB-ERROR whose code can be
 * read: `'KRB-ERROR KDC_ERR_PREAUTH_REQUIRED'`.
 */
export function describeMessage(message: Uint8Array): string {
  const type = messageType(message);
  if (type !== 'KRB-ERROR') return type;
  const code = peekKrbErrorCode(message);
  return code === undefined ? type : `${type} ${errorCodeName(code)}`;
}

/** True when `reply` is a KRB-ERROR with code KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 section 7.2.1). */
export function isResponseTooBig(reply: Uint8Array): boolean {
  return reply[0] === 0x7e && peekKrbErrorCode(reply) === ErrorCode.KRB_ERR_RESPONSE_TOO_BIG;
}

/**
 * A kpasswd message (RFC 3244 section 2) named from its header, as a trace
 * shows it: `KPASSWD-REQ` (protocol version 1, change one's password) or
 * `KPASSWD-REQ set` (0xff80, ChangePasswdData), `KPASSWD-REP` (an AP-REP and
 * a KRB-PRIV: the result is sealed inside), `KPASSWD-REP KRB-ERROR
 * KRB_AP_ERR_REPEAT` (no AP-REP: the request's AP-REQ did not check), or
 * `unknown` when the header does not hold.
 */
export function kpasswdMessageType(message: Uint8Array): string {
  let m: ReturnType<typeof decodeKpasswdMessage>;
  try {
    m = decodeKpasswdMessage(message);
  } catch {
    return 'unknown';
  }
  const inner = m.ap.length > 0 ? messageType(m.ap) : describeMessage(m.rest);
  if (inner === 'AP-REQ')
    return m.version === KpasswdVersion.SET_PASSWORD ? 'KPASSWD-REQ set' : 'KPASSWD-REQ';
  if (inner === 'AP-REP') return 'KPASSWD-REP';
  if (inner.startsWith('KRB-ERROR')) return `KPASSWD-REP ${inner}`;
  return 'unknown';
}
