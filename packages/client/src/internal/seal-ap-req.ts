/**
 * The AP-REQ (RFC 4120 section 5.5.1) of every client message that presents
 * a ticket: an application's, FAST's armor and PA-TGS-REQ's. They differ in
 * the authenticator, its key usage (11, or 7 in a TGS-REQ) and the options.
 *
 * @module
 */

import { type ApReq, type Authenticator, encodeAuthenticator } from '@krbsim/asn1';
import type { RandomSource } from '@krbsim/core';
import { encrypt } from '@krbsim/crypto';
import type { Credential } from '../credential';

/** `cred`'s ticket with `authenticator` sealed in its session key under `usage`. */
export function sealApReq(
  cred: Credential,
  authenticator: Authenticator,
  usage: number,
  random: RandomSource,
  apOptions = 0,
): ApReq {
  const key = cred.sessionKey;
  return {
    pvno: 5,
    msgType: 14,
    apOptions,
    ticket: cred.ticket,
    authenticator: {
      etype: key.etype,
      cipher: encrypt(key, usage, encodeAuthenticator(authenticator), { random }),
    },
  };
}
