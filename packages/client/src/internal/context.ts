/**
 * The state one {@link KerberosClient} shares with its exchanges, and the
 * round trip to a KDC (RFC 4120 section 7.2: one request, one reply, which is
 * either the expected KDC-REP or a KRB-ERROR).
 *
 * @module
 */

import {
  type AsRep,
  decodeAsRep,
  decodeKrbError,
  decodeTgsRep,
  type KrbErrorMessage,
  type TgsRep,
} from '@krbsim/asn1';
import { type Clock, ErrorCode, isKerberosError, KerberosError, type RandomSource } from '@krbsim/core';
import type { KdcTransport, SendOptions } from '@krbsim/transport';
import type { CredentialCache } from '../credential-cache';
import type { AuthenticatorClock } from './authenticator-clock';
import type { KdcTimeClock } from './kdc-time';

/** Everything an exchange needs from its client. */
export interface ClientContext {
  readonly realm: string;
  readonly transport: KdcTransport;
  /** The client's time: with `kdcTime`, the local clock plus the KDC's offset. */
  readonly clock: Clock;
  /** Set when the client syncs to the KDC's time (`kdcTimeSync`, MIT's `kdc_timesync`); it is `clock`. */
  readonly kdcTime: KdcTimeClock | undefined;
  readonly random: RandomSource;
  readonly encTypes: readonly number[];
  readonly allowWeakCrypto: boolean;
  readonly clockSkewMs: number;
  readonly maxReferralHops: number;
  readonly domainRealm: Readonly<Record<string, string>> | undefined;
  /** Armor TGS-REQs with FAST (implicit armor, RFC 6113 section 5.4.1.1). */
  readonly fastTgs: boolean;
  readonly log: (line: string) => void;
  /**
   * Whether a log was given. Performance: the exchanges build their log
   * lines, and format the principal names in them, only when it is true.
   */
  readonly logging: boolean;
  readonly authClock: AuthenticatorClock;
  readonly cache: CredentialCache;
}

/** A KDC's answer: the reply it was asked for, or a KRB-ERROR. */
export type KdcAnswer<R> =
  | { readonly kind: 'reply'; readonly reply: R }
  | { readonly kind: 'error'; readonly error: KrbErrorMessage };

// First octets of the DER encodings: [APPLICATION n] constructed is 0x60 | n.
const TAG_AS_REP = 0x6b;
const TAG_TGS_REP = 0x6d;
/** A KRB-ERROR's first octet: [APPLICATION 30], constructed. */
export const TAG_KRB_ERROR = 0x7e;

async function roundTrip(
  ctx: ClientContext,
  realm: string,
  request: Uint8Array,
  options: SendOptions,
): Promise<Uint8Array> {
  return sendOrUnavailable(ctx.transport, realm, request, options, 'a KDC');
}

/**
 * `transport.send`, its failure a KerberosError: the transport's own, or
 * KDC_ERR_SVC_UNAVAILABLE for one that is not (a socket's, a fetch's), naming
 * what could not be reached (`a KDC`, `the password-change service`).
 */
export async function sendOrUnavailable(
  transport: KdcTransport,
  realm: string,
  request: Uint8Array,
  options: SendOptions,
  what: string,
): Promise<Uint8Array> {
  try {
    return await transport.send(realm, request, options);
  } catch (e) {
    if (isKerberosError(e)) throw e;
    throw new KerberosError(
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
      `could not reach ${what} for ${realm} (${e instanceof Error ? e.message : String(e)}); check the transport's realm-to-KDC mapping`,
      { realm, cause: e },
    );
  }
}

function unexpected(realm: string, first: number | undefined, wanted: string): KerberosError {
  const got =
    first === undefined ? 'an empty reply' : `a message starting 0x${first.toString(16).padStart(2, '0')}`;
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MSG_TYPE,
    `the KDC for ${realm} answered with ${got} where ${wanted} or KRB-ERROR was expected`,
    { realm },
  );
}

/** Sends an AS-REQ to `realm`'s KDC; returns the AS-REP or the KRB-ERROR. */
export async function sendAsReq(
  ctx: ClientContext,
  realm: string,
  request: Uint8Array,
  options: SendOptions = {},
): Promise<KdcAnswer<AsRep>> {
  const bytes = await roundTrip(ctx, realm, request, options);
  if (bytes[0] === TAG_AS_REP) return { kind: 'reply', reply: decodeAsRep(bytes) };
  if (bytes[0] === TAG_KRB_ERROR) return { kind: 'error', error: decodeKrbError(bytes) };
  throw unexpected(realm, bytes[0], 'AS-REP');
}

/** Sends a TGS-REQ to `realm`'s KDC; returns the TGS-REP or the KRB-ERROR. */
export async function sendTgsReq(
  ctx: ClientContext,
  realm: string,
  request: Uint8Array,
  options: SendOptions = {},
): Promise<KdcAnswer<TgsRep>> {
  const bytes = await roundTrip(ctx, realm, request, options);
  if (bytes[0] === TAG_TGS_REP) return { kind: 'reply', reply: decodeTgsRep(bytes) };
  if (bytes[0] === TAG_KRB_ERROR) return { kind: 'error', error: decodeKrbError(bytes) };
  throw unexpected(realm, bytes[0], 'TGS-REP');
}

/** The KerberosTime for a clock reading: whole seconds, as RFC 4120 section 5.2.3 requires. */
export function kerberosTime(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
