/**
 * Choosing the server of a TGS reply: the requested service when this realm
 * has it, else a cross-realm TGT toward the realm that does (RFC 4120
 * section 3.3.1; RFC 6806 sections 8 and 9; MS-KILE sections 3.3.5.1.2 and
 * 3.3.5.4):
 * 1. `krbtgt/OTHER`: a TGT for OTHER if this realm trusts it directly, else
 *    for the next realm on an allowed path (MIT's "alternate TGT");
 * 2. a host-based name (in an AD realm, any SPN-shaped name, whatever its
 *    name type: MS-KILE 3.3.5.1.1) whose host maps to another realm (the realm's
 *    `[domain_realm]` table first, then the top-level names in the realm's
 *    routing view, longest match) that is reachable: a referral TGT
 *    `krbtgt/NEXT@THIS`;
 * 3. otherwise KDC_ERR_S_PRINCIPAL_UNKNOWN (the "SQL SPN not found" 0x6fb of
 *    the Azure SQL scenario).
 *
 * A referral needs both the policy (an allowed trust path from the client's
 * realm) and the key (`krbtgt/NEXT@THIS` in the database).
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import { formatPrincipal, KdcOptions, krbtgtName, NameType, serviceHostOf, tgsRealmOf } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { findClient } from './find-client';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { realmOfSuffix } from './routing-view';
import { checkPath, forestTrustsOn, nextHop } from './trust-graph';

/** The server a TGS reply is for. */
export interface ResolvedServer {
  readonly entry: PrincipalEntry;
  /** The name to put in the ticket and reply. */
  readonly sname: PrincipalName;
  /** Set when the ticket is a referral (a TGT for another realm than the one asked for, or for a service). */
  readonly referralTo?: string;
}

/**
 * The realm a host belongs to by this realm's `[domain_realm]` table, or by
 * the longest top-level name claimed by a trust in the realm's routing view
 * (ties: realm name). One lookup per DNS label of the host either way.
 */
export function realmOfHost(realm: Realm, host: string): string | undefined {
  return realm.domainRealm.lookup(host) ?? realmOfSuffix(realm, host);
}

/**
 * The name types an AD realm resolves as SPNs: MS-KILE 3.3.5.1.1's three, and
 * NT-UNKNOWN, which Java's Kerberos sends for a name imported without a type
 * (a JDBC driver's `MSSQLSvc/host:1433`) and which Samba's DC refers as well.
 */
const SPN_NAME_TYPES: ReadonlySet<number> = new Set([
  NameType.NT_UNKNOWN,
  NameType.NT_PRINCIPAL,
  NameType.NT_SRV_INST,
  NameType.NT_SRV_HST,
]);

/**
 * The name a referral is routed by: under `referAnyServiceNameType` (AD), a
 * two-part NT-PRINCIPAL or NT-UNKNOWN name is the SPN it spells, as MS-KILE 3.3.5.1.1 looks
 * it up; otherwise the name as sent (MIT routes host-based names only).
 */
function asSpn(realm: Realm, sname: PrincipalName): PrincipalName {
  if (!realm.policy.referAnyServiceNameType || !SPN_NAME_TYPES.has(sname.nameType)) return sname;
  return { nameType: NameType.NT_SRV_INST, nameString: sname.nameString };
}

/**
 * MS-KILE 3.3.5.1.1 (`accountNameFallbacks`): a one-part server name that
 * names no account is looked up as `name$`, a computer's sAMAccountName; an
 * NT-ENTERPRISE name as AD finds an enterprise client, by UPN or as an
 * account of this domain (`find-client.ts`): how a user-to-user server is
 * named by its UPN; the ticket then names the account. A realm without
 * `accountNameFallbacks` (MIT's KDC) finds no server by an enterprise name.
 */
function accountByFallback(realm: Realm, sname: PrincipalName): PrincipalEntry | undefined {
  const name = sname.nameString[0];
  if (!realm.policy.accountNameFallbacks || sname.nameString.length !== 1 || !name) return undefined;
  if (sname.nameType === NameType.NT_ENTERPRISE) return findClient(realm, sname);
  if (name.endsWith('$')) return undefined;
  return realm.db.get({ nameType: NameType.NT_PRINCIPAL, nameString: [`${name}$`] }, realm.name);
}

function notFound(realm: Realm, sname: PrincipalName, why = ''): never {
  throw new KdcError(
    ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
    `server ${formatPrincipal(sname, realm.name)} not found in Kerberos database${why}`,
  );
}

/**
 * A TGT toward `target` for a client that came along `travelled` (its own
 * realm first, this realm last), or undefined when no allowed path exists:
 * the whole path, travelled and still to go, must pass {@link checkPath}.
 */
function tgtToward(realm: Realm, travelled: readonly string[], target: string): ResolvedServer | undefined {
  const hop = nextHop(realm, travelled[0]!, target, forestTrustsOn(realm, travelled));
  if (!hop || checkPath(realm, [...travelled, ...hop.path.slice(1)]) !== undefined) return undefined;
  const next = hop.next.name;
  const entry = realm.db.get(krbtgtName(next), realm.name);
  if (!entry) return undefined;
  return { entry, sname: krbtgtName(next), ...(next !== target && { referralTo: next }) };
}

/**
 * Resolve the requested server for a TGS-REQ from a client that came along
 * `travelled` (the client's realm first, this realm last).
 * Throws KDC_ERR_S_PRINCIPAL_UNKNOWN when there is neither the service nor a
 * permitted referral.
 */
export function resolveServer(
  realm: Realm,
  sname: PrincipalName,
  travelled: readonly string[],
  kdcOptions: number,
): ResolvedServer {
  const clientRealm = travelled[0]!;
  const canonicalize = (kdcOptions & KdcOptions.canonicalize) !== 0;
  const tgsOf = tgsRealmOf(sname);
  if (tgsOf !== undefined) {
    if (realm.isNamed(tgsOf)) return { entry: realm.krbtgt, sname: krbtgtName(realm.name) };
    const r = tgtToward(realm, travelled, tgsOf);
    if (r) return r;
    return notFound(realm, sname, `: no trust path from ${clientRealm} to ${tgsOf}`);
  }
  const local = realm.db.get(sname, realm.name) ?? accountByFallback(realm, sname);
  if (local && local.kind !== 'krbtgt') {
    // Canonicalize names a service principal by its canonical name (MIT); an account reached by
    // one of its SPNs keeps the SPN asked for, as AD answers (its canonical name is `NAME$`), and so
    // does a service of a realm without `canonicalServiceAliases` (AD: every SPN is an account's).
    const canonical = canonicalize && local.kind === 'service' && realm.policy.canonicalServiceAliases;
    // An account found by an enterprise name is named by its own name in the ticket: whoever checks the
    // ticket's server later (a user-to-user acceptor, a renewal, S4U2Proxy's evidence) looks it up so.
    const enterprise = sname.nameType === NameType.NT_ENTERPRISE;
    return { entry: local, sname: canonical || enterprise ? local.name : sname };
  }

  // RFC 6806 section 8 makes a host referral depend on `canonicalize`; AD refers regardless.
  if (realm.policy.referralsRequireCanonicalize && !canonicalize) return notFound(realm, sname);
  // A referral cannot serve user-to-user or ticket-modifying requests (MIT's NO_REFERRAL_OPTION).
  if ((kdcOptions & (KdcOptions['enc-tkt-in-skey'] | KdcOptions.renew | KdcOptions.validate)) !== 0) {
    return notFound(realm, sname);
  }
  const host = serviceHostOf(asSpn(realm, sname));
  const target = host === undefined ? undefined : realmOfHost(realm, host);
  if (target === undefined || target === realm.name) return notFound(realm, sname);
  const r = tgtToward(realm, travelled, target);
  if (!r)
    return notFound(
      realm,
      sname,
      ` (its host maps to ${target}, which ${clientRealm} may not reach from here)`,
    );
  return { ...r, referralTo: r.sname.nameString[1]! };
}
