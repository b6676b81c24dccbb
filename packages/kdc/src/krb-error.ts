/**
 * KRB-ERROR replies (RFC 4120 section 5.9.1) and the error the exchanges
 * throw to produce them.
 *
 * The exchanges throw {@link KdcError} (a KerberosError carrying the e-data
 * and client name the reply needs); the KDC turns any thrown value into a
 * KRB-ERROR with `stime`/`susec` from the realm's clock, the request's realm
 * and sname when it could be decoded, and an e-text that names the problem
 * without key material. A value that is not a KerberosError is a bug: it goes
 * out as KRB_ERR_GENERIC "internal error", with no details.
 *
 * @module
 */

import type { KrbErrorMessage, PrincipalName } from '@krbsim/asn1';
import {
  encodeKerbErrorData,
  encodeKerbExtError,
  encodeKrbError,
  KERB_ERR_TYPE_EXTENDED,
  krbError,
} from '@krbsim/asn1';
import { concatBytes, ERROR_BRAND, ErrorCode, KerberosError, type NtStatus } from '@krbsim/core';
import type { KrbErrorStyle } from './policy';

/** Extra fields a KDC error carries into its KRB-ERROR. */
export interface KdcErrorDetails {
  /** DER e-data: METHOD-DATA for KDC_ERR_PREAUTH_REQUIRED and friends. */
  readonly eData?: Uint8Array;
  /**
   * The NTSTATUS ({@link NtStatus}) a Windows KDC reports for this refusal:
   * in the `active-directory` style, when there is no other e-data, it goes
   * out as KERB-ERROR-DATA holding a KERB-EXT-ERROR (MS-KILE 2.2.1, 2.2.2).
   */
  readonly ntStatus?: number;
  readonly cname?: PrincipalName;
  readonly crealm?: string;
}

/** A failure of an AS or TGS exchange, with what its KRB-ERROR should say. */
export class KdcError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/kdc:KdcError';

  readonly details: KdcErrorDetails;

  constructor(
    code: number,
    message: string,
    details: KdcErrorDetails & { realm?: string; cause?: unknown } = {},
  ) {
    const { realm, cause, ...rest } = details;
    super(code, message, { ...(realm !== undefined && { realm }), ...(cause !== undefined && { cause }) });
    this.details = rest;
  }

  override get name(): string {
    return 'KdcError';
  }
}

/**
 * A {@link KdcError} for a refusal the KDC sends as a matter of course,
 * built without a stack trace: KDC_ERR_PREAUTH_REQUIRED, the first reply of
 * nearly every AS exchange. Performance: V8 captures a stack in the Error
 * constructor, and under an async client (the in-process transports) it
 * walks the async frames too: about 4 µs, against under 1 µs without,
 * measured with 20 awaiting frames. Such a refusal is an answer, not a
 * fault; nobody reads its stack. It is still a KdcError thrown and caught
 * like any other.
 */
export function routineKdcError(
  code: number,
  message: string,
  details: KdcErrorDetails & { realm?: string; cause?: unknown } = {},
): KdcError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new KdcError(code, message, details);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Where an error reply goes: taken from the request when it decoded. */
export interface ErrorTarget {
  /** The realm to name (the request's realm, or the KDC's). */
  readonly realm: string;
  /** The server named in the request, or krbtgt/REALM. */
  readonly sname?: PrincipalName;
  readonly cname?: PrincipalName;
  readonly crealm?: string;
}

/** The error code and e-text to send for a thrown value. */
export function describeError(err: unknown): { code: number; text: string; details: KdcErrorDetails } {
  if (err instanceof KdcError) return { code: err.code, text: err.message, details: err.details };
  if (err instanceof KerberosError) return { code: err.code, text: err.message, details: {} };
  return { code: ErrorCode.KRB_ERR_GENERIC, text: 'internal error', details: {} };
}

/**
 * The KRB-ERROR message for `err`, stamped with `now` (ms). In the `mit`
 * style the client name goes in when both it and its realm are known, and
 * the e-text names the problem; a Windows DC (`active-directory`) sends
 * neither. Both send the server name and the e-data.
 */
export function krbErrorMessage(
  err: unknown,
  target: ErrorTarget,
  now: number,
  style: KrbErrorStyle = 'mit',
): KrbErrorMessage {
  const { code, text, details } = describeError(err);
  const cname = details.cname ?? target.cname;
  const crealm = details.crealm ?? target.crealm;
  const mit = style === 'mit';
  // A client referral names the client's realm in crealm, whatever the style (RFC 6806 section 7).
  const naming = mit || code === ErrorCode.KDC_ERR_WRONG_REALM;
  return krbError({
    errorCode: code,
    now,
    realm: target.realm,
    ...(target.sname !== undefined && { sname: target.sname }),
    ...(naming && cname !== undefined && crealm !== undefined && { cname, crealm }),
    ...(mit && { eText: text }),
    ...(details.eData !== undefined
      ? { eData: details.eData }
      : !mit && details.ntStatus !== undefined && { eData: extendedError(details.ntStatus) }),
  });
}

/** A Windows KDC's e-data for an NTSTATUS: KERB-ERROR-DATA of KERB_ERR_TYPE_EXTENDED (MS-KILE 2.2.2). */
function extendedError(ntStatus: number): Uint8Array {
  return encodeKerbErrorData({
    dataType: KERB_ERR_TYPE_EXTENDED,
    dataValue: encodeKerbExtError(ntStatus),
  }).slice();
}

/**
 * Encode a KRB-ERROR for `err`. Never throws: if the request-derived fields
 * cannot be encoded, the reply names only the KDC's own realm; if even that
 * fails, a minimal hand-encoded KRB_ERR_GENERIC goes out.
 */
export function encodeErrorReply(
  err: unknown,
  target: ErrorTarget,
  kdcRealm: string,
  now: number,
  style: KrbErrorStyle = 'mit',
): Uint8Array {
  try {
    return encodeKrbError(krbErrorMessage(err, target, now, style));
  } catch {
    try {
      return encodeKrbError(krbErrorMessage(err, { realm: kdcRealm }, now, style));
    } catch {
      return minimalKrbError(kdcRealm, now);
    }
  }
}

// ---------------------------------------------------------------------------
// Last resort: a KRB-ERROR written by hand (RFC 4120 section 5.9.1), so that a
// failing encoder cannot make the KDC throw.

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

function derInt(v: number): Uint8Array {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
const ctx = (n: number, v: Uint8Array): Uint8Array => tlv(0xa0 + n, v);

/**
 * A KRB_ERR_GENERIC KRB-ERROR for `realm` (sname krbtgt/REALM), encoded by
 * hand without the codec: the answer of last resort for a KDC or transport
 * that must reply even when encoding fails.
 */
export function minimalKrbError(realm: string, now: number): Uint8Array {
  const d = new Date(Math.floor(now / 1000) * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const time = `${String(d.getUTCFullYear()).padStart(4, '0')}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  const sname = tlv(
    0x30,
    concatBytes([
      ctx(0, derInt(2)),
      ctx(1, tlv(0x30, concatBytes([tlv(0x1b, ascii('krbtgt')), tlv(0x1b, ascii(realm))]))),
    ]),
  );
  const body = concatBytes([
    ctx(0, derInt(5)),
    ctx(1, derInt(30)),
    ctx(4, tlv(0x18, ascii(time))),
    ctx(5, derInt(0)),
    ctx(6, derInt(ErrorCode.KRB_ERR_GENERIC)),
    ctx(9, tlv(0x1b, ascii(realm))),
    ctx(10, sname),
  ]);
  return tlv(0x7e, tlv(0x30, body));
}
