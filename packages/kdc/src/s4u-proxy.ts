/**
 * S4U2Proxy (MS-SFU section 3.2.5.2): a service (Service 1), with its TGT,
 * presents a user's service ticket to itself (the evidence, in
 * additional-tickets, with the cname-in-addl-tkt option) and gets a ticket
 * for that user to another service (Service 2).
 *
 * Allowed when either:
 * - classic constrained delegation: Service 2 is in Service 1's
 *   msDS-AllowedToDelegateTo and the evidence is forwardable;
 * - resource-based constrained delegation: Service 1 is in Service 2's
 *   msDS-AllowedToActOnBehalfOfOtherIdentity; the evidence may be
 *   non-forwardable (an S4U2Self ticket of a service not trusted to
 *   authenticate), unless the user is sensitive and cannot be delegated.
 * Otherwise KDC_ERR_BADOPTION, as Windows answers. Both services and the
 * user must be of this realm: the cross-realm form is refused with
 * KDC_ERR_POLICY, never ignored.
 *
 * @module
 */

import type { EncTicketPart, KdcReqBody, PrincipalName } from '@krbsim/asn1';
import { formatPrincipal, sameName, TicketFlags } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { ApReqError, checkTicket, SERVICE_AP_REQ } from '@krbsim/service';
import { findKey } from './keys';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import type { TgsHeader } from './tgs-header';

/** A verified S4U2Proxy request: the user's evidence ticket and the requesting service. */
export interface S4uProxy {
  /** The evidence ticket (the user's ticket to Service 1), decrypted. */
  readonly evidence: EncTicketPart;
  /** Service 1, the requester. */
  readonly requester: PrincipalEntry;
  /** The user, when an account of this realm. */
  readonly user: PrincipalEntry | undefined;
  /** The requester's key that decrypted the evidence (its PAC's server signature). */
  readonly evidenceKey: Key;
}

/** Decrypt and check the evidence ticket of a cname-in-addl-tkt request. */
export function s4uProxyEvidence(realm: Realm, body: KdcReqBody, h: TgsHeader, now: number): S4uProxy {
  const second = body.additionalTickets?.[0];
  if (second === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      "S4U2Proxy (cname-in-addl-tkt) needs the user's service ticket in additional-tickets",
    );
  }
  const requester = h.tgt.crealm === realm.name ? realm.db.get(h.tgt.cname, realm.name) : undefined;
  if (requester === undefined || second.realm !== realm.name) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `S4U2Proxy across realms (${formatPrincipal(h.tgt.cname, h.tgt.crealm)}, evidence from ${second.realm}) is not supported by this KDC`,
    );
  }
  // The evidence must be a ticket to the requester itself, under one of its keys.
  const named = realm.db.get(second.sname, realm.name);
  if (named !== requester) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the evidence ticket is for ${formatPrincipal(second.sname, second.realm)}, not for ${formatPrincipal(requester.name, realm.name)}`,
    );
  }
  let evidence: EncTicketPart;
  let evidenceKey: Key;
  try {
    ({
      ticket: evidence,
      serverKey: { key: evidenceKey },
    } = checkTicket(second, {
      rules: { ...SERVICE_AP_REQ, ticketDecryptFailure: realm.policy.ticketDecryptFailureCode },
      keyLookup: (t) => {
        const k = findKey(requester.keys, t.encPart.etype, t.encPart.kvno);
        if (k === undefined) {
          throw new KdcError(
            ErrorCode.KRB_AP_ERR_BADKEYVER,
            `no key of etype ${t.encPart.etype}, kvno ${t.encPart.kvno} for the evidence ticket`,
          );
        }
        return k;
      },
      clock: { now: () => now },
      clockSkewMs: realm.policy.clockSkewMs,
      allowWeakCrypto: true,
      describeServer: () => 'the evidence ticket',
    }));
  } catch (e) {
    if (e instanceof ApReqError) throw new KdcError(e.code, e.message, { cause: e });
    throw e;
  }
  if (evidence.crealm !== realm.name) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `S4U2Proxy for ${formatPrincipal(evidence.cname, evidence.crealm)}: users of other realms are not supported by this KDC`,
    );
  }
  return { evidence, requester, user: realm.db.get(evidence.cname, realm.name), evidenceKey };
}

function nameIn(list: readonly PrincipalName[], entry: PrincipalEntry): boolean {
  return list.some((n) => [entry.name, ...entry.aliases].some((m) => sameName(n, m)));
}

/**
 * Whether Service 1 may reach `target` on the user's behalf, and how
 * (see the module comment), asked for as `sname`. Throws KDC_ERR_BADOPTION
 * when it may not.
 */
export function checkS4uProxy(
  p: S4uProxy,
  target: PrincipalEntry,
  sname: PrincipalName,
): 'constrained' | 'resource-based' {
  const forwardable = (p.evidence.flags & TicketFlags.forwardable) !== 0;
  const who = formatPrincipal(p.requester.name, p.requester.realm);
  const to = formatPrincipal(target.name, target.realm);
  if (p.user?.notDelegated === true) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: ${formatPrincipal(p.evidence.cname, p.evidence.crealm)} is sensitive and cannot be delegated`,
    );
  }
  // Classic delegation lists SPNs: the one asked for must be there, not merely another name of
  // the same account. Resource-based delegation lists accounts.
  if (p.requester.allowedToDelegateTo.some((n) => sameName(n, sname))) {
    if (!forwardable) {
      throw new KdcError(
        ErrorCode.KDC_ERR_BADOPTION,
        `S4U2Proxy: the evidence ticket is not forwardable, which constrained delegation from ${who} requires`,
      );
    }
    return 'constrained';
  }
  if (nameIn(target.allowedToActOnBehalfOf, p.requester)) return 'resource-based';
  throw new KdcError(
    ErrorCode.KDC_ERR_BADOPTION,
    `S4U2Proxy: ${who} may not delegate to ${to} (neither its allowed-to-delegate-to list nor the target's resource-based list names it)`,
  );
}
