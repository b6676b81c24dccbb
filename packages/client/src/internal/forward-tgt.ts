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
 * service the realms trust for delegation: its ticket is ok-as-delegate, and
 * so is every cross-realm TGT that led to it, as MIT's and Heimdal's
 * libraries require (the KDC side is MS-KILE 3.3.5.7.5: a trust that does
 * not allow TGT delegation passes no ok-as-delegate on).
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
import { type Credential, describeCredential, keyToWire } from '../credential';
import type { ClientContext } from './context';
import { replyMismatch } from './krb-error';
import { homeRealm, localTgt, optionsFor } from './referrals';
import { tgsExchange } from './tgs-exchange';

const OK_AS_DELEGATE = TicketFlags['ok-as-delegate'];

/**
 * Whether the realms trust `service` for delegation: its ticket and each
 * cross-realm TGT from `home` to its realm, as the cache holds them, carry
 * ok-as-delegate. A path the cache no longer holds counts as untrusted.
 */
function trustedForDelegation(ctx: ClientContext, service: Credential, home: string): boolean {
  if ((service.flags & OK_AS_DELEGATE) === 0) return false;
  let realm = service.server.realm;
  const seen = new Set<string>();
  while (realm !== home) {
    if (seen.has(realm)) return false;
    seen.add(realm);
    const tgt = ctx.cache.tgtFor(realm, service.client);
    if (tgt === undefined || tgt.server.realm === realm) return false;
    if ((tgt.flags & OK_AS_DELEGATE) === 0) return false;
    realm = tgt.server.realm;
  }
  return true;
}

/** The KRB-CRED that delegates the client's TGT to `service`, or undefined by policy (see the module documentation). */
export async function forwardTgt(
  ctx: ClientContext,
  service: Credential,
  policy: boolean,
): Promise<Uint8Array | undefined> {
  const client = service.client;
  const home = homeRealm(ctx, client);
  if (policy && !trustedForDelegation(ctx, service, home)) {
    if (ctx.logging) ctx.log(`not delegating to ${describeCredential(service)}: not trusted for delegation`);
    return undefined;
  }
  const tgt = localTgt(ctx, client);
  if ((tgt.flags & TicketFlags.forwardable) === 0) {
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
  if (tgsRealmOf(forwarded.server.name) !== home || (forwarded.flags & TicketFlags.forwarded) === 0) {
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
