/**
 * What the times of a KDC reply must keep to, as MIT's client checks them
 * (`verify_as_reply` for the AS exchange, `krb5int_process_tgs_reply` for
 * the TGS exchange; RFC 4120 section 3.3.4 has a TGS-REP processed as an
 * AS-REP is, section 3.1.5):
 *
 * - the ticket starts within the clock skew of this client's clock
 *   (KRB_AP_ERR_SKEW): a reply whose start time is far from it means the
 *   clocks disagree; unless the client syncs to the KDC's time
 *   (`kdcTimeSync`, MIT's `kdc_timesync`): an AS reply then sets the
 *   client's offset instead, as MIT's `verify_as_reply` does, and later
 *   replies are held to the skew of the synced time;
 * - it ends no later than the `till` asked for, and its renew-till passes
 *   neither the `rtime` asked for (RENEWABLE) nor, when RENEWABLE-OK made it
 *   renewable, the `till` (KRB_AP_ERR_MODIFIED): section 3.1.3 bounds a
 *   KDC's answer by both, so a ticket beyond them is not the one asked for.
 *
 * krbsim's client never asks for a postdated ticket, so every start time is
 * held to the skew.
 *
 * @module
 */

import { type EncKdcRepPart, KdcOptions, type KdcReqBody, TicketFlags } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import type { ClientContext } from './context';
import { replyMismatch } from './krb-error';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Throws as the module notes say when `enc`, the reply to `body`, breaks a
 * rule; else, for an AS reply to a client synced to the KDC's time, sets
 * the client's offset.
 */
export function checkReplyTimes(
  ctx: ClientContext,
  enc: EncKdcRepPart,
  body: KdcReqBody,
  realm: string,
  exchange: 'as' | 'tgs',
): void {
  // Synced, an AS reply's authtime is the KDC's time now.
  const kdcTime = exchange === 'as' ? ctx.kdcTime : undefined;
  checkTimes(ctx, enc, body, realm, kdcTime === undefined ? ctx.clock.now() : enc.authtime);
  // The reply is verified: it decrypted with the client's key and answers this request's nonce.
  if (kdcTime !== undefined) kdcTime.offsetMs = enc.authtime - kdcTime.local.now();
}

function checkTimes(
  ctx: ClientContext,
  enc: EncKdcRepPart,
  body: KdcReqBody,
  realm: string,
  now: number,
): void {
  const start = enc.starttime ?? enc.authtime;
  if (Math.abs(start - now) > ctx.clockSkewMs) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_SKEW,
      `the KDC for ${realm} issued the ticket at ${iso(start)}, and this client's clock says ${iso(now)}: the clocks differ by more than ${ctx.clockSkewMs / 1000}s; synchronize them (or raise clockSkewMs)`,
      { realm },
    );
  }
  // A till or rtime of 0 (19700101000000Z) asks for as long as the KDC allows.
  if (body.till !== 0 && enc.endtime > body.till) {
    throw replyMismatch(
      `the ticket ends at ${iso(enc.endtime)}, after the end asked for, ${iso(body.till)}`,
      realm,
    );
  }
  if (enc.renewTill === undefined) return;
  const options = body.kdcOptions;
  if ((options & KdcOptions.renewable) !== 0) {
    if (body.rtime !== undefined && body.rtime !== 0 && enc.renewTill > body.rtime) {
      throw replyMismatch(
        `the ticket renews until ${iso(enc.renewTill)}, after the renewable end asked for, ${iso(body.rtime)}`,
        realm,
      );
    }
  } else if (
    (options & KdcOptions['renewable-ok']) !== 0 &&
    (enc.flags & TicketFlags.renewable) !== 0 &&
    body.till !== 0 &&
    enc.renewTill > body.till
  ) {
    throw replyMismatch(
      `RENEWABLE-OK made the ticket renewable until ${iso(enc.renewTill)}, after the end asked for, ${iso(body.till)}`,
      realm,
    );
  }
}
