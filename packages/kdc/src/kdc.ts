/**
 * The KDC of one realm as a pure function from request bytes to reply bytes
 * (RFC 4120 sections 3.1 and 3.3; the message framing of section 7.2 is the
 * transport's job). Whatever arrives, `handle` returns a DER AS-REP, TGS-REP
 * or KRB-ERROR and never throws; it changes no account but through the
 * bookkeeping a logon does (failed-attempt counters and lockout, as a DC
 * keeps them), so a bad request cannot leave the realm broken.
 *
 * @module
 */

import type { KdcReq } from '@krbsim/asn1';
import { decodeAsReq, decodeTgsReq, formatPrincipal } from '@krbsim/asn1';
import { ErrorCode, errorCodeName, isKerberosError, KerberosError } from '@krbsim/core';
import { processAsReq } from './as-exchange';
import type { ExchangeResult, PadataRegistry } from './exchange';
import { describeError, type ErrorTarget, encodeErrorReply } from './krb-error';
import { AS_PADATA_HANDLERS, TGS_PADATA_HANDLERS } from './padata/registry';
import type { Realm } from './realm';
import { processTgsReq } from './tgs-exchange';

/** Requests larger than this are refused with KRB_ERR_FIELD_TOOLONG (MIT's TCP limit is similar). */
export const MAX_REQUEST_BYTES = 1 << 20;

/** The first octet of an AS-REQ ([APPLICATION 10], constructed) and a TGS-REQ ([APPLICATION 12]). */
const AS_REQ_TAG = 0x6a;
const TGS_REQ_TAG = 0x6c;

/**
 * One request a KDC answered, as {@link KdcOptionsInit.onRequest} receives
 * it: names, codes and the log line; never a key, ticket or password.
 */
export interface KdcRequestEvent {
  /** `AS-REQ`, `TGS-REQ`, or `REQ` when the request did not decode. */
  readonly msgType: 'AS-REQ' | 'TGS-REQ' | 'REQ';
  /**
   * The client: an AS-REQ's cname, a TGS-REQ's TGT client once the KDC has
   * read it (whether the reply is a TGS-REP or a KRB-ERROR).
   */
  readonly client?: string;
  /** The server the request asked for (`req-body.sname@realm`). */
  readonly server?: string;
  /** `AS-REP`, `TGS-REP` or `KRB-ERROR`. */
  readonly outcome: string;
  /** A KRB-ERROR's code and its name. */
  readonly errorCode?: number;
  readonly errorName?: string;
  /** Set when the error was a bug (see {@link KdcOptionsInit.onInternalError}). */
  readonly internalError?: true;
  /**
   * A TGS-REP issued from a cross-realm TGT with a PAC: the SIDs that SID
   * filtering at the trust removed (MS-PAC 4.1.2.2), empty when it removed
   * none. Absent for every other request.
   */
  readonly sidsFiltered?: readonly string[];
  /** The log line of the request (what {@link KdcOptionsInit.log} receives). */
  readonly line: string;
}

/** Options for `new Kdc()`. */
export interface KdcOptionsInit {
  /**
   * Receives one line per request, e.g.
   * `AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP`.
   * Lines never contain keys or passwords.
   */
  log?: (line: string) => void;
  /**
   * The PA-DATA handlers to run, in order. Default: the registries of
   * `padata/registry.ts` (`AS_PADATA_HANDLERS`, `TGS_PADATA_HANDLERS`). Pass
   * a longer list to plug in a padata type of your own.
   */
  padata?: Partial<PadataRegistry>;
  /**
   * Called with anything thrown while answering that is not a
   * KerberosError: a bug in krbsim or in a realm hook. The client gets
   * KRB_ERR_GENERIC "internal error" either way; this is how the bug surfaces.
   * Default: none (the log line still says `internal error`).
   */
  onInternalError?: (error: unknown) => void;
  /**
   * Receives each request's structured event, after `log` and before
   * `handle` returns (so a caller of `handle` may pair the two).
   */
  onRequest?: (event: KdcRequestEvent) => void;
}

/** A Key Distribution Center for one {@link Realm}. */
export class Kdc {
  readonly realm: Realm;
  readonly #log: ((line: string) => void) | undefined;
  readonly #onInternalError: ((error: unknown) => void) | undefined;
  readonly #onRequest: ((event: KdcRequestEvent) => void) | undefined;
  readonly #padata: PadataRegistry;

  constructor(realm: Realm, opts: KdcOptionsInit = {}) {
    this.realm = realm;
    this.#log = opts.log;
    this.#onInternalError = opts.onInternalError;
    this.#onRequest = opts.onRequest;
    this.#padata = {
      as: opts.padata?.as ?? AS_PADATA_HANDLERS,
      tgs: opts.padata?.tgs ?? TGS_PADATA_HANDLERS,
    };
  }

  /**
   * RFC 4120 request bytes in (AS-REQ or TGS-REQ DER), reply bytes out
   * (AS-REP, TGS-REP or KRB-ERROR DER). Never throws, whatever the input.
   * `from`: where the request came from, as a transport gives it to its
   * handler (`KdcRequestInfo`): a network peer's address is checked against
   * the addresses of a TGT that has some (the realm's `checkTicketAddresses`).
   */
  handle(request: Uint8Array, from?: { readonly peer?: string | undefined }): Uint8Array {
    const now = this.#now();
    // Performance: names are formatted for the log line and the event only,
    // so not at all when nothing listens.
    const listening = this.#log !== undefined || this.#onRequest !== undefined;
    let target: ErrorTarget = { realm: this.realm.name };
    let label: KdcRequestEvent['msgType'] = 'REQ';
    let client: string | undefined;
    let server: string | undefined;
    try {
      const req = this.#decode(request);
      label = req.msgType === 10 ? 'AS-REQ' : 'TGS-REQ';
      const body = req.reqBody;
      target = {
        realm: body.realm,
        ...(body.sname && { sname: body.sname }),
        ...(req.msgType === 10 && body.cname && { cname: body.cname, crealm: body.realm }),
      };
      if (listening) {
        if (body.sname) server = formatPrincipal(body.sname, body.realm);
        if (req.msgType === 10 && body.cname) client = formatPrincipal(body.cname, body.realm);
      }
      const result: ExchangeResult =
        req.msgType === 10
          ? processAsReq(this.realm, req, request, this.#padata.as)
          : processTgsReq(this.realm, req, this.#padata.tgs, from?.peer);
      if (listening) {
        if (result.client !== undefined) client = formatPrincipal(result.client.name, result.client.realm);
        if (result.server !== undefined) server = formatPrincipal(result.server.name, result.server.realm);
        this.#emit({
          msgType: label,
          client,
          server,
          outcome: result.outcome,
          sidsFiltered: result.sidsFiltered,
        });
      }
      return result.reply;
    } catch (e) {
      const reply = encodeErrorReply(e, target, this.realm.name, now, this.realm.policy.krbErrorStyle);
      const bug = !isKerberosError(e);
      if (listening) {
        const { code, details } = describeError(e);
        if (details.cname && details.crealm) client = formatPrincipal(details.cname, details.crealm);
        this.#emit({ msgType: label, client, server, outcome: 'KRB-ERROR', errorCode: code, bug });
      }
      if (bug) this.#reportBug(e);
      return reply;
    }
  }

  #decode(request: Uint8Array): KdcReq {
    if (!(request instanceof Uint8Array) || request.length === 0) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, 'empty request');
    }
    if (request.length > MAX_REQUEST_BYTES) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_FIELD_TOOLONG,
        `request larger than ${MAX_REQUEST_BYTES} bytes`,
      );
    }
    const tag = request[0];
    if (tag !== AS_REQ_TAG && tag !== TGS_REQ_TAG) {
      // Another Kerberos message ([APPLICATION n]) is the wrong type; anything else is garbage.
      const isApplication = tag !== undefined && (tag & 0xe0) === 0x60;
      throw new KerberosError(
        isApplication ? ErrorCode.KRB_AP_ERR_MSG_TYPE : ErrorCode.KRB_ERR_GENERIC,
        isApplication
          ? 'a KDC accepts only AS-REQ and TGS-REQ messages'
          : 'the request is not a Kerberos message',
      );
    }
    let req: KdcReq;
    try {
      req = tag === AS_REQ_TAG ? decodeAsReq(request) : decodeTgsReq(request);
    } catch (e) {
      // The codec reports a bad pvno as KRB_AP_ERR_BADVERSION; a KDC says KDC_ERR_BAD_PVNO (MIT).
      if (isKerberosError(e, ErrorCode.KRB_AP_ERR_BADVERSION)) {
        throw new KerberosError(ErrorCode.KDC_ERR_BAD_PVNO, 'protocol version not supported', { cause: e });
      }
      throw e;
    }
    if (req.pvno !== 5) {
      throw new KerberosError(ErrorCode.KDC_ERR_BAD_PVNO, `protocol version ${req.pvno} is not supported`);
    }
    return req;
  }

  #now(): number {
    try {
      const t = this.realm.clock.now();
      return Number.isFinite(t) ? t : 0;
    } catch {
      return 0;
    }
  }

  #reportBug(e: unknown): void {
    try {
      this.#onInternalError?.(e);
    } catch {
      // A failing reporter must not change the reply.
    }
  }

  #emit(e: {
    msgType: KdcRequestEvent['msgType'];
    client: string | undefined;
    server: string | undefined;
    outcome: string;
    errorCode?: number;
    bug?: boolean;
    sidsFiltered?: readonly string[] | undefined;
  }): void {
    if (this.#log === undefined && this.#onRequest === undefined) return;
    const error = e.errorCode === undefined ? '' : ` ${errorCodeName(e.errorCode)} (${e.errorCode})`;
    const line = `${e.msgType} ${e.client ?? '?'} for ${e.server ?? '?'} -> ${e.outcome}${error}${e.bug ? ' internal error' : ''}`;
    try {
      this.#log?.(line);
      this.#onRequest?.({
        msgType: e.msgType,
        ...(e.client !== undefined && { client: e.client }),
        ...(e.server !== undefined && { server: e.server }),
        outcome: e.outcome,
        ...(e.errorCode !== undefined && { errorCode: e.errorCode, errorName: errorCodeName(e.errorCode) }),
        ...(e.bug === true && { internalError: true as const }),
        ...(e.sidsFiltered !== undefined && { sidsFiltered: e.sidsFiltered }),
        line,
      });
    } catch {
      // A failing logger must not change the reply.
    }
  }
}
