/**
 * Ticket times and the flags that go with them: RFC 4120 section 3.1.3
 * (AS: starttime, endtime, renew-till, postdating) and sections 3.3.3,
 * 3.3.3.1 (TGS: the same, bounded by the TGT, plus RENEW and VALIDATE).
 *
 * All times are milliseconds since the epoch, truncated to whole seconds as
 * KerberosTime carries them. A `till` or `rtime` of 0 (19700101000000Z) asks
 * for the longest life policy allows.
 *
 * @module
 */

import type { EncTicketPart, KdcReqBody } from '@krbsim/asn1';
import { KdcOptions, TicketFlags } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { KdcError } from './krb-error';
import type { RealmKind, RealmPolicy } from './policy';

/** The times of a ticket to issue, with the time-related flags. */
export interface TicketTimes {
  readonly authtime: number;
  /** Omitted on the wire when equal to authtime (RFC 4120 section 5.3), unless {@link TicketTimes.starttimeAlways}. */
  readonly starttime: number;
  /** The realm puts starttime on the wire even when it is the authtime (policy `starttimeAlways`). */
  readonly starttimeAlways?: boolean;
  readonly endtime: number;
  readonly renewTill?: number;
  /** postdated, invalid, renewable, may-postdate as decided here. */
  readonly flags: number;
}

/** The starttime field of a ticket or KDC reply with times `t`: absent when RFC 4120's OPTIONAL lets it be. */
export function starttimeField(t: TicketTimes): { starttime?: number } {
  return t.starttimeAlways === true || t.starttime !== t.authtime ? { starttime: t.starttime } : {};
}

/** Times as the realm's policy puts them on the wire. */
function onTheWire(t: TicketTimes, policy: RealmPolicy): TicketTimes {
  return policy.starttimeAlways ? { ...t, starttimeAlways: true } : t;
}

/** `ms` truncated to a whole second. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

const has = (options: number, flag: number): boolean => (options & flag) !== 0;

/** A requested end time: 0 or absent means "as long as allowed". */
function requested(t: number | undefined): number {
  return t === undefined || t === 0 ? Number.POSITIVE_INFINITY : t;
}

function cannotPostdate(msg: string): never {
  throw new KdcError(ErrorCode.KDC_ERR_CANNOT_POSTDATE, msg);
}

/** Where the two exchanges differ in what bounds a ticket. */
interface Bounds {
  readonly now: number;
  readonly policy: RealmPolicy;
  /** Cap on life from the server's kind (serviceTicketLifeMs for services). */
  readonly serviceCap?: number;
  /** Whether policy lets this ticket be renewable at all. */
  readonly renewableAllowed: boolean;
  /** TGS: the TGT's end time and renew-till bound the new ticket. */
  readonly tgtEnd?: number;
  readonly tgtRenewTill?: number;
}

function startOf(body: KdcReqBody, b: Bounds, postdateFlagOk: boolean): { start: number; flags: number } {
  const from = body.from === undefined ? undefined : toSeconds(body.from);
  if (has(body.kdcOptions, KdcOptions.postdated)) {
    // MIT's order: a TGT without MAY-POSTDATE refuses the option whatever the start time.
    if (!postdateFlagOk) {
      throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'the ticket-granting ticket does not allow postdating');
    }
    // RFC 4120 section 5.4.1: `from` is there when the ticket is to be postdated; without it
    // there is no start time to postdate to.
    if (from === undefined) {
      throw new KdcError(
        ErrorCode.KDC_ERR_BADOPTION,
        'POSTDATED is set but the request has no start time (from)',
      );
    }
    if (!b.policy.allowPostdate) cannotPostdate('this realm does not issue postdated tickets');
    // Postdated to `from` whatever it is, as MIT does, a time already past included: the ticket is
    // invalid until the TGS validates it (section 3.3.3.1), never silently an ordinary one.
    return { start: from, flags: TicketFlags.postdated | TicketFlags.invalid };
  }
  if (from === undefined || from <= b.now + b.policy.clockSkewMs) return { start: b.now, flags: 0 };
  cannotPostdate('the requested start time is in the future but the POSTDATED option is not set');
}

function finish(body: KdcReqBody, b: Bounds, start: number, flags0: number, authtime: number): TicketTimes {
  let flags = flags0;
  const till = requested(body.till);
  let end = Math.min(till, start + b.policy.maxTicketLifeMs);
  if (b.serviceCap !== undefined) end = Math.min(end, start + b.serviceCap);
  if (b.tgtEnd !== undefined) end = Math.min(end, b.tgtEnd);
  end = toSeconds(end);
  if (end <= start) {
    throw new KdcError(ErrorCode.KDC_ERR_NEVER_VALID, 'the requested end time is not after the start time');
  }
  // RENEWABLE-OK: a request the KDC cannot satisfy in full becomes a renewable one (section 3.1.3).
  // A till of 0 asks for the longest life allowed (section 5.4.1), which the KDC grants in full: no
  // reason to make it renewable, and MIT does not.
  let wantRenew = has(body.kdcOptions, KdcOptions.renewable);
  let rtime = requested(body.rtime);
  if (!wantRenew && has(body.kdcOptions, KdcOptions['renewable-ok']) && body.till !== 0 && till > end) {
    wantRenew = true;
    rtime = till;
  }
  let renewTill: number | undefined;
  if (wantRenew && b.renewableAllowed) {
    let r = Math.min(rtime, start + b.policy.maxRenewLifeMs);
    if (b.tgtRenewTill !== undefined) r = Math.min(r, b.tgtRenewTill);
    r = toSeconds(r);
    if (r > end) {
      renewTill = r;
      flags |= TicketFlags.renewable;
    }
  }
  return { authtime, starttime: start, endtime: end, ...(renewTill !== undefined && { renewTill }), flags };
}

/** What bounds an issued ticket besides the request and the realm's policy. */
export interface TicketBounds {
  /** The server is a ticket-granting service (krbtgt/REALM, or cross-realm for a TGS-REQ). */
  readonly serverIsTgs: boolean;
  /** The longest life of a ticket for this server (its own `maxTicketLifeMs`), when it has one. */
  readonly serverMaxLifeMs?: number | undefined;
  /**
   * S4U2Proxy: the requesting service's own TGT, which caps the ticket's end and renew-till too (RFC 4120
   * section 3.3.3; MIT's compute_ticket_times caps by the header ticket, the evidence giving the authtime).
   */
  readonly headerTgt?: EncTicketPart;
}

/** The cap on a ticket's life from its server: the policy's for services, and the server's own. */
function serverCap(policy: RealmPolicy, t: TicketBounds): { serviceCap?: number } {
  const caps = [
    ...(!t.serverIsTgs && policy.serviceTicketLifeMs !== undefined ? [policy.serviceTicketLifeMs] : []),
    ...(t.serverMaxLifeMs !== undefined ? [t.serverMaxLifeMs] : []),
  ];
  return caps.length === 0 ? {} : { serviceCap: Math.min(...caps) };
}

/**
 * AS times (RFC 4120 section 3.1.3). `kind`: how a realm that issues no
 * postdated tickets (`allowPostdate` false) refuses POSTDATED and
 * ALLOW-POSTDATE: MIT with KDC_ERR_CANNOT_POSTDATE, a domain controller
 * (Samba's, checked) with KDC_ERR_POLICY.
 */
export function asTicketTimes(
  body: KdcReqBody,
  now: number,
  policy: RealmPolicy,
  t: TicketBounds,
  kind: RealmKind = 'mit',
): TicketTimes {
  return onTheWire(asTimes(body, now, policy, t, kind), policy);
}

function asTimes(
  body: KdcReqBody,
  now: number,
  policy: RealmPolicy,
  t: TicketBounds,
  kind: RealmKind,
): TicketTimes {
  const b: Bounds = {
    now: toSeconds(now),
    policy,
    ...serverCap(policy, t),
    renewableAllowed: t.serverIsTgs ? policy.renewableTgt : true,
  };
  let flags = 0;
  const postdating = KdcOptions.postdated | KdcOptions['allow-postdate'];
  if (!policy.allowPostdate && kind === 'active-directory' && has(body.kdcOptions, postdating)) {
    throw new KdcError(ErrorCode.KDC_ERR_POLICY, 'this domain issues no postdated or postdatable tickets');
  }
  if (has(body.kdcOptions, KdcOptions['allow-postdate'])) {
    if (!policy.allowPostdate) cannotPostdate('this realm does not issue postdatable tickets');
    flags |= TicketFlags['may-postdate'];
  }
  const { start, flags: f } = startOf(body, b, true);
  return finish(body, b, start, flags | f, b.now);
}

/**
 * TGS times (RFC 4120 sections 3.3.3 and 3.3.3.1) for a new ticket from
 * `tgt`. `t.serverIsTgs`: the new ticket is a TGT (local or cross-realm).
 */
export function tgsTicketTimes(
  body: KdcReqBody,
  tgt: EncTicketPart,
  now: number,
  policy: RealmPolicy,
  t: TicketBounds,
): TicketTimes {
  return onTheWire(tgsTimes(body, tgt, now, policy, t), policy);
}

function tgsTimes(
  body: KdcReqBody,
  tgt: EncTicketPart,
  now: number,
  policy: RealmPolicy,
  t: TicketBounds,
): TicketTimes {
  const serverIsTgs = t.serverIsTgs;
  const n = toSeconds(now);
  const tgtStart = tgt.starttime ?? tgt.authtime;
  if (has(body.kdcOptions, KdcOptions.validate)) {
    // VALIDATE: the same ticket, made valid (section 3.3.3.1).
    const flags = tgt.flags & (TicketFlags.renewable | TicketFlags.postdated | TicketFlags['may-postdate']);
    return {
      authtime: tgt.authtime,
      starttime: tgtStart,
      endtime: tgt.endtime,
      ...(tgt.renewTill !== undefined && { renewTill: tgt.renewTill }),
      flags,
    };
  }
  if (has(body.kdcOptions, KdcOptions.renew)) {
    // RENEW: same life as before, from now, never past renew-till (section 3.3.3.1).
    const renewTill = tgt.renewTill!;
    const end = toSeconds(Math.min(renewTill, n + (tgt.endtime - tgtStart)));
    return { authtime: tgt.authtime, starttime: n, endtime: end, renewTill, flags: TicketFlags.renewable };
  }
  const b: Bounds = {
    now: n,
    policy,
    ...serverCap(policy, t),
    renewableAllowed:
      (tgt.flags & TicketFlags.renewable) !== 0 &&
      (t.headerTgt === undefined || (t.headerTgt.flags & TicketFlags.renewable) !== 0) &&
      (serverIsTgs ? policy.renewableTgt : true),
    tgtEnd: Math.min(tgt.endtime, t.headerTgt?.endtime ?? Number.POSITIVE_INFINITY),
    ...(tgt.renewTill !== undefined && {
      tgtRenewTill: Math.min(tgt.renewTill, t.headerTgt?.renewTill ?? Number.POSITIVE_INFINITY),
    }),
  };
  let flags = 0;
  const mayPostdate = (tgt.flags & TicketFlags['may-postdate']) !== 0;
  if (has(body.kdcOptions, KdcOptions['allow-postdate'])) {
    if (!mayPostdate) throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'the TGT is not postdatable');
    flags |= TicketFlags['may-postdate'];
  }
  const { start, flags: f } = startOf(body, b, mayPostdate);
  if ((f & TicketFlags.postdated) === 0) return finish(body, b, start, flags | f, tgt.authtime);
  // RFC 4120 section 2.4 (MAY-POSTDATE): a postdated ticket lives what remained of the TGT's life (and
  // of the time asked for) when it was asked for, from its start time on. (MIT's KDC gives it that life
  // but starts it now: its do_tgs_req overwrites the start time.)
  const asked = finish(body, b, b.now, flags | f, tgt.authtime);
  const moved = { ...asked, starttime: start, endtime: start + (asked.endtime - asked.starttime) };
  // Renewable only with a renew-till after its (moved) end: never one that precedes the end.
  if (moved.renewTill === undefined || moved.renewTill > moved.endtime) return moved;
  const { renewTill: _dropped, ...notRenewable } = moved;
  return { ...notRenewable, flags: moved.flags & ~TicketFlags.renewable };
}
