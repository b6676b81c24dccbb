/**
 * Delegating the client's TGT to a service (RFC 4121 section 4.1.1, the GSS
 * deleg flag; Windows' unconstrained delegation): a forwarded TGT of the
 * client's realm, asked of its KDC with FORWARDED and FORWARDABLE as MIT's
 * `krb5_fwd_tgt_creds` asks it (RFC 4120 section 2.6), in a KRB-CRED (section
 * 5.8) for the GSS checksum. Its EncKrbCredPart goes unencrypted (etype 0),
 * as MIT's and Windows' initiators send it inside GSS: the checksum it rides
 * in is in the authenticator, sealed in the session key.
 *
 * By policy (GSS_C_DELEG_POLICY_FLAG, RFC 5896), the TGT goes only to a
 * service the realms trust for delegation: its ticket is ok-as-delegate, a
 * flag the client keeps only when every cross-realm TGT that led to the
 * ticket carried it too (tgs-exchange.ts, reply by reply), as MIT's and
 * Heimdal's libraries do
 * (the KDC side is MS-KILE 3.3.5.7.5: a trust that does not allow TGT
 * delegation passes no ok-as-delegate on).
 *
 * @module
 */

import {
  encodeEncKrbCredPart,
  encodeKrbCred,
  formatPrincipal,
  KdcOptions,
  type KrbCredInfo,
  krbtgtName,
  TicketFlags,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { type Credential, describeCredential, hasFlag, keyToWire } from '../credential';
import type { ClientContext } from './context';
import { replyMismatch } from './krb-error';
import { homeRealm, localTgt, optionsFor } from './referrals';
import { tgsExchange } from './tgs-exchange';

/** The KRB-CRED that delegates the client's TGT to `service`, or undefined by policy (see the module documentation). */
export async function forwardTgt(
  ctx: ClientContext,
  service: Credential,
  policy: boolean,
): Promise<Uint8Array | undefined> {
  const client = service.client;
  const home = homeRealm(ctx, client);
  // tgsExchange cleared the flag of a ticket got with a cross-realm TGT without it.
  if (policy && !hasFlag(service, TicketFlags['ok-as-delegate'])) {
    if (ctx.logging) ctx.log(`not delegating to ${describeCredential(service)}: not trusted for delegation`);
    return undefined;
  }
  const tgt = localTgt(ctx, client);
  if (!hasFlag(tgt, TicketFlags.forwardable)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_BADOPTION,
      `cannot delegate to ${describeCredential(service)}: the TGT of ${formatPrincipal(client.name, client.realm)} is not forwardable (get it with forwardable: true)`,
      { realm: home },
    );
  }
  const { cred: forwarded } = await tgsExchange(ctx, {
    tgt,
    kdcRealm: home,
    server: krbtgtName(home),
    serverRealm: home,
    kdcOptions: optionsFor(tgt, KdcOptions.forwarded | KdcOptions.forwardable),
  });
  if (tgsRealmOf(forwarded.server.name) !== home || !hasFlag(forwarded, TicketFlags.forwarded)) {
    throw replyMismatch(
      `asked for a forwarded TGT, got ${describeCredential(forwarded)} (flags ${forwarded.flags.toString(16)})`,
      home,
    );
  }
  const info: KrbCredInfo = {
    key: keyToWire(forwarded.sessionKey),
    prealm: forwarded.client.realm,
    pname: forwarded.client.name,
    flags: forwarded.flags,
    authtime: forwarded.authtime,
    ...(forwarded.starttime === undefined ? {} : { starttime: forwarded.starttime }),
    endtime: forwarded.endtime,
    ...(forwarded.renewTill === undefined ? {} : { renewTill: forwarded.renewTill }),
    srealm: forwarded.server.realm,
    sname: forwarded.server.name,
  };
  return encodeKrbCred({
    pvno: 5,
    msgType: 22,
    tickets: [forwarded.ticket],
    encPart: { etype: 0, cipher: encodeEncKrbCredPart({ ticketInfo: [info] }) },
  });
}
