/**
 * The KRB-ERROR messages a KDC transport must produce on its own (RFC 4120
 * section 7.2: KRB_ERR_RESPONSE_TOO_BIG over UDP, KRB_ERR_FIELD_TOOLONG for
 * an oversized TCP length, KRB_ERR_GENERIC for a failed handler), and the
 * peeks a client transport needs (is this reply a KRB-ERROR, with which code;
 * which realm and service a request names). KRB-ERROR is RFC 4120 section
 * 5.9.1, KDC-REQ section 5.4.1; the DER codec is `@krbsim/asn1`'s.
 *
 * @module
 */

import { decodeKdcReq, decodeKrbError, encodeKrbError, krbError, type PrincipalName } from '@krbsim/asn1';

/**
 * The error-code of a KRB-ERROR, or `undefined` when `reply` is not a
 * well-formed KRB-ERROR. Used to spot KRB_ERR_RESPONSE_TOO_BIG (52).
 */
export function peekKrbErrorCode(reply: Uint8Array): number | undefined {
  if (reply[0] !== 0x7e) return undefined;
  try {
    return decodeKrbError(reply).errorCode;
  } catch {
    return undefined;
  }
}

/** What a KDC-REQ says about its target. */
export interface RequestTarget {
  /** AS-REQ (10) or TGS-REQ (12). */
  readonly msgType: 10 | 12;
  /** `req-body.realm`: the server's realm. */
  readonly realm: string;
  /** `req-body.sname`, when present. */
  readonly sname?: PrincipalName;
  /** `req-body.cname`, when present (AS-REQ). */
  readonly cname?: PrincipalName;
}

/**
 * The realm, sname and cname of an AS-REQ or TGS-REQ (RFC 4120 section 5.4.1
 * `KDC-REQ-BODY`), or `undefined` if `request` is not a well-formed one.
 */
export function peekRequestTarget(request: Uint8Array): RequestTarget | undefined {
  if (request[0] !== 0x6a && request[0] !== 0x6c) return undefined;
  try {
    const { msgType, reqBody } = decodeKdcReq(request);
    return {
      msgType,
      realm: reqBody.realm,
      ...(reqBody.sname ? { sname: reqBody.sname } : {}),
      ...(reqBody.cname ? { cname: reqBody.cname } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Inputs to {@link transportKrbError}. */
export interface TransportErrorContext {
  /** An RFC 4120 section 7.5.9 code (`ErrorCode` in `@krbsim/core`). */
  readonly errorCode: number;
  /** Server time, milliseconds since the epoch (from an injected clock). */
  readonly now: number;
  /** The request that provoked the error, if any bytes of it are known. */
  readonly request?: Uint8Array;
  /** The realm to name when the request does not say. */
  readonly fallbackRealm?: string;
  readonly eText?: string;
}

/**
 * DER of a KRB-ERROR for an error the transport itself raises. `realm` and
 * `sname` come from the request when it can be read (else the fallback realm,
 * or empty, and `krbtgt/<realm>`); an AS-REQ's client name is echoed in
 * `crealm`/`cname`. `stime`/`susec` split `now` into whole seconds and
 * microseconds.
 */
export function transportKrbError(ctx: TransportErrorContext): Uint8Array {
  const target = ctx.request === undefined ? undefined : peekRequestTarget(ctx.request);
  const realm = target?.realm ?? ctx.fallbackRealm ?? '';
  const cname = target?.msgType === 10 ? target.cname : undefined;
  return encodeKrbError(
    krbError({
      errorCode: ctx.errorCode,
      now: ctx.now,
      realm,
      ...(target?.sname !== undefined && { sname: target.sname }),
      ...(cname !== undefined && { crealm: realm, cname }),
      ...(ctx.eText !== undefined && { eText: ctx.eText }),
    }),
  );
}
