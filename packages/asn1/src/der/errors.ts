/**
 * The one error type of `@krbsim/asn1`: {@link Asn1Error}, a
 * {@link KerberosError} that carries the field path of the failure
 * (X.690 DER, RFC 4120 section 5 ASN.1 module names).
 *
 * Decoders build the path bottom-up: the innermost check throws with an empty
 * path and each enclosing SEQUENCE, SEQUENCE OF and top-level entry point
 * prepends its own segment as the error passes through. Nothing is allocated
 * for paths on the success path.
 *
 * @module
 */

import { ERROR_BRAND, ErrorCode, KerberosError } from '@krbsim/core';

/**
 * A malformed, truncated, oversized or out-of-range value, found while
 * decoding or encoding.
 *
 * `path` names where it happened, in ASN.1 field names:
 * `AS-REQ.req-body.sname.name-string[1]`. `reason` is the message without the
 * path. `code` is `KRB_ERR_GENERIC` (60) except for a wrong application tag or
 * msg-type (`KRB_AP_ERR_MSG_TYPE`, 40) and a wrong protocol version number
 * (`KRB_AP_ERR_BADVERSION`, 39). `offset` is the byte offset in the input where
 * the decoder stood, when known (-1 for encoding errors).
 */
export class Asn1Error extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/asn1:Asn1Error';

  /** Where the failure happened: `Ticket.enc-part.cipher`, `AS-REQ.padata[2]`, or `''` at the top. */
  path: string;
  /** The failure without its path: `expected GeneralString (0x1b), got 0x04`. */
  readonly reason: string;
  /** Byte offset in the input where decoding stopped, or -1. */
  readonly offset: number;

  constructor(
    reason: string,
    options: { code?: number; path?: string; offset?: number; cause?: unknown } = {},
  ) {
    const path = options.path ?? '';
    super(options.code ?? ErrorCode.KRB_ERR_GENERIC, path === '' ? reason : `${path}: ${reason}`, {
      cause: options.cause,
    });
    this.path = path;
    this.reason = reason;
    this.offset = options.offset ?? -1;
  }

  override get name(): string {
    return 'Asn1Error';
  }

  /**
   * Prepends a path segment (`.field`, `[3]`, or a type name) and refreshes
   * the message. Used by decoders as the error unwinds; returns `this`.
   */
  prepend(segment: string): this {
    const p = this.path;
    let next: string;
    if (p === '') next = segment;
    else if (p.charCodeAt(0) === 0x2e /* . */ || p.charCodeAt(0) === 0x5b /* [ */) next = segment + p;
    else next = `${segment}.${p}`;
    this.path = next;
    this.message = `${next}: ${this.reason}`;
    return this;
  }
}

/** True when `e` is an {@link Asn1Error}. */
export function isAsn1Error(e: unknown): e is Asn1Error {
  return e instanceof Asn1Error;
}

/**
 * Turns anything thrown below a decoder into an {@link Asn1Error}: an
 * `Asn1Error` passes through; anything else (which would be a codec bug) is
 * wrapped so callers only ever see one error type.
 */
export function asAsn1Error(e: unknown): Asn1Error {
  if (e instanceof Asn1Error) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new Asn1Error(`internal codec failure: ${msg}`, { cause: e });
}

/** Human names of the single-byte tags the Kerberos modules use, for messages. */
export function tagName(tag: number): string {
  switch (tag) {
    case 0x01:
      return 'BOOLEAN';
    case 0x02:
      return 'INTEGER';
    case 0x03:
      return 'BIT STRING';
    case 0x04:
      return 'OCTET STRING';
    case 0x05:
      return 'NULL';
    case 0x06:
      return 'OBJECT IDENTIFIER';
    case 0x0a:
      return 'ENUMERATED';
    case 0x0c:
      return 'UTF8String';
    case 0x16:
      return 'IA5String';
    case 0x18:
      return 'GeneralizedTime';
    case 0x1b:
      return 'GeneralString';
    case 0x30:
      return 'SEQUENCE';
    case 0x31:
      return 'SET';
  }
  const cls = tag & 0xc0;
  const n = tag & 0x1f;
  if (n === 0x1f) return `high-number tag`;
  if (cls === 0x80) return `[${n}]`;
  if (cls === 0x40) return `[APPLICATION ${n}]`;
  if (cls === 0xc0) return `[PRIVATE ${n}]`;
  return `UNIVERSAL ${n}`;
}

/** `0x1b` style hex of one byte. */
export function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** `GeneralString (0x1b)`. */
export function describeTag(tag: number): string {
  return `${tagName(tag)} (${hexByte(tag)})`;
}
