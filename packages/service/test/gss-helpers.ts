/**
 * Both sides of a GSS-API context set up the way applications do it: the
 * krbsim client's AP-REQ, the service's acceptance and, with mutual
 * authentication, the client's check of the AP-REP.
 */

import type { ApReqOptions } from '@krbsim/client';
import type { AcceptOptions, AcceptResult, GssSecurityContext, ServiceOptions } from '@krbsim/service';
import { Lab } from './helpers';

/** How to set up a context pair. */
export interface PairOptions extends ApReqOptions {
  /** The session key's enctype (default the service key's, 18). */
  readonly etype?: number;
  readonly accept?: AcceptOptions;
  readonly service?: Partial<ServiceOptions>;
}

/** The initiator's and the acceptor's contexts, and the lab they share. */
export interface ContextPair {
  readonly lab: Lab;
  readonly initiator: GssSecurityContext;
  readonly acceptor: GssSecurityContext;
  /** The service's acceptance (its keys: sessionKey, subkey, acceptorSubkey). */
  readonly accepted: AcceptResult;
}

/** Establishes a context between the lab's client and service (GSS krb5 framing unless told). */
export function contextPair(opts: PairOptions = {}, lab = new Lab()): ContextPair {
  const { etype, accept, service, ...apReq } = opts;
  const cred = lab.credential(etype === undefined ? {} : { sessionKeyEtype: etype });
  const built = lab.client.buildApReq(cred, { gss: 'krb5', ...apReq });
  const svc = lab.service(service);
  const r = svc.accept(built.token, accept);
  const verified =
    built.securityContext === undefined ? lab.client.verifyApRep(built.context, r.responseToken!) : undefined;
  const initiator = built.securityContext ?? verified!.securityContext!;
  // DCE style: the acceptor's context comes with the initiator's AP-REP, the third leg.
  const dceReply = verified?.dceReply;
  const acceptor =
    dceReply === undefined
      ? r.securityContext!
      : svc.acceptDceReply(r, dceReply, {
          ...(accept?.wrapStyle === undefined ? {} : { wrapStyle: accept.wrapStyle }),
        });
  return { lab, initiator, acceptor, accepted: r };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
