/**
 * PA-DATA handlers: the KDC's plug-in points for pre-authentication and the
 * other padata of RFC 4120 section 5.2.7 (and of RFC 6113, RFC 4556, MS-SFU
 * and MS-KILE as they arrive). Each padata type is one handler, in one file;
 * the registries in `registry.ts` list them in the order the KDC runs them.
 *
 * A handler reads its PA-DATA and records what it decided in the exchange's
 * request state: the AS side which key authenticated the client and
 * encrypts the reply, the TGS side which ticket authenticated the request.
 * It refuses with a thrown `KdcError` (or any KerberosError) carrying the wire
 * code; anything else it throws is a bug and surfaces as one.
 *
 * @module
 */

import type { KdcReq, PaData, PrincipalName, S4uUserId } from '@krbsim/asn1';
import type { Key } from '@krbsim/crypto';
import type { FastRequest } from '../fast-armor';
import type { StoredKey } from '../keys';
import type { PrincipalEntry } from '../principal-db';
import type { Realm } from '../realm';
import type { TgsHeader } from '../tgs-header';

/** The state of an AS exchange while its PA-DATA is processed (RFC 4120 section 3.1.2). */
export interface AsRequestState {
  readonly realm: Realm;
  /** The request answered: for an armored AS-REQ, the inner one (RFC 6113 section 5.4.2). */
  readonly req: KdcReq;
  /** The armor of an armored request (RFC 6113): its key, options and outer form. */
  readonly fast: FastRequest | undefined;
  /** The AS-REQ exactly as received (what RFC 6806 section 11 checksums). */
  readonly requestDer: Uint8Array;
  /** The KDC's time for this request. */
  readonly now: number;
  /** The client as the request named it, and its realm (this realm). */
  readonly cname: PrincipalName;
  readonly crealm: string;
  readonly client: PrincipalEntry;
  readonly server: PrincipalEntry;
  /**
   * The client's current keys usable for this request, in the client's order
   * of preference: none for a principal without keys (MIT's `addprinc
   * -nokey`) or without one of a requested etype, who can still come in by a
   * method that makes its own reply key (PKINIT).
   */
  readonly clientKeys: readonly StoredKey[];
  /**
   * The key the reply's encrypted part is sealed with: the first of
   * `clientKeys` until a pre-authentication method chooses or makes one;
   * undefined while there is none.
   */
  replyKey: StoredKey | undefined;
  /** Set by the handler that authenticated the client; the ticket then carries PRE-AUTHENT. */
  preauthenticated: boolean;
  /**
   * Set by a password-based method whose proof did not open with the client's
   * keys (a wrong password): an account lockout counts it (`lockout.ts`).
   */
  wrongKey: boolean;
  /** The include-pac of the request's PA-PAC-REQUEST (MS-KILE section 2.2.3); undefined without one. */
  pacRequest: boolean | undefined;
  /** The reply carries PA-REQ-ENC-PA-REP in its encrypted-pa-data (RFC 6806 section 11). */
  encPaRep: boolean;
  /** PA-DATA a handler adds to the reply (the KDC's PA-ENCRYPTED-CHALLENGE); ETYPE-INFO2 comes first. */
  replyPadata: PaData[];
}

/** A handler of one padata type in AS-REQs. */
export interface AsPadataHandler {
  /** The padata-type it handles (`PaDataType`). */
  readonly padataType: number;
  /**
   * For pre-authentication methods: the METHOD-DATA entry that
   * KDC_ERR_PREAUTH_REQUIRED offers for this method (RFC 4120 section 3.1.1),
   * or undefined to offer nothing for this client.
   */
  offer?(state: AsRequestState): PaData | undefined;
  /** Process the request's first PA-DATA of this type. */
  process(state: AsRequestState, pa: PaData): void;
}

/** The state of a TGS exchange while its PA-DATA is processed (RFC 4120 section 3.3.2). */
export interface TgsRequestState {
  readonly realm: Realm;
  /**
   * The request answered. PA-FX-FAST replaces it with the inner request of an
   * armored TGS-REQ (RFC 6113 section 5.4.2); the handlers after it read that.
   */
  req: KdcReq;
  /** The armor of an armored request, set by the PA-FX-FAST handler. */
  fast?: FastRequest;
  readonly now: number;
  /** The verified authentication header; set by the PA-TGS-REQ handler. */
  header: TgsHeader | undefined;
  /** The user an S4U2Self request names, once verified (`s4u.ts`). */
  s4uSelf?: S4uSelf;
  /** The PA-PAC-OPTIONS bits asked for that this KDC serves (`pac-options.ts`). */
  pacOptions?: number;
}

/** The user a verified S4U2Self request names. */
export interface S4uSelf {
  /** The user as the ticket names it. */
  readonly cname: PrincipalName;
  readonly crealm: string;
  /** The user's account: undefined for a user of another realm (`s4u-cross-realm.ts`). */
  readonly user: PrincipalEntry | undefined;
  /** The S4UUserID to echo in the reply's PA-S4U-X509-USER, when the request carried one. */
  readonly x509UserId?: S4uUserId;
  /** The key its checksum verified with, which checksums the echo too (MS-SFU 2.2.2). */
  readonly x509Key?: Key;
}

/** A handler of one padata type in TGS-REQs. */
export interface TgsPadataHandler {
  /** The padata-type it handles (`PaDataType`). */
  readonly padataType: number;
  /** Process the request's first PA-DATA of this type. */
  process(state: TgsRequestState, pa: PaData): void;
}

/**
 * Run `handlers` in registry order, each on the request's first PA-DATA of
 * its type. PA-DATA of a type no handler knows is ignored, as MIT's and AD's
 * KDCs ignore it: clients send hints and options a KDC may not implement.
 * The padata is read from `state.req` before each handler, so a handler
 * that opens an inner request (FAST) hands its padata to the ones after it.
 */
export function runPadata<
  S extends { readonly req: KdcReq },
  H extends { readonly padataType: number; process(s: S, pa: PaData): void },
>(handlers: readonly H[], state: S): void {
  for (const h of handlers) {
    const pa = state.req.padata?.find((p) => p.padataType === h.padataType);
    if (pa !== undefined) h.process(state, pa);
  }
}
