/**
 * What the KDC does with PACs (MS-KILE 3.3.5.6.4 and 3.3.5.7; MS-PAC 4.1):
 *
 * - AS: a realm that issues PACs puts one in the TGT unless the client sent
 *   PA-PAC-REQUEST false (`pac-builder.ts`);
 * - TGS: the TGT's PAC is verified before anything is issued from it: its
 *   server signature with the key that decrypted the TGT, its KDC signature
 *   with this realm's krbtgt key when this realm issued it; an unkeyed or
 *   wrong-keyed checksum is refused (MS14-068); its PAC_REQUESTOR must name
 *   the TGT's client (CVE-2021-42287); a local TGT without a PAC is refused
 *   when the realm requires one. The PAC is then copied into the new ticket:
 *   - to a service of this realm: with the user's domain-local groups of this
 *     domain as resource groups, a user's from across a trust too (through
 *     the directory's foreign members);
 *   - from a cross-realm TGT: SID-filtered by the trust boundary crossed (none
 *     within a forest; across a forest trust ExtraSids outside the trusted
 *     forest's domains, across any other those outside the client's domain,
 *     and every resource group, are removed; a user of this realm's own
 *     domain is refused), and marked with the
 *     OTHER_ORGANIZATION SID across a selective-authentication trust
 *     (`selective-authentication.ts`), whose services then check it;
 *   - S4U2Self: the user's own PAC, built afresh (S-1-18-2);
 *   - S4U2Proxy: the evidence ticket's PAC, its ticket signature checked
 *     first (the Bronze Bit fix, CVE-2020-17049), with S4U_DELEGATION_INFO.
 * - Every PAC the KDC issues is signed when the ticket is sealed: server
 *   signature with the ticket's key, KDC signature with this realm's krbtgt
 *   key, and for service tickets the ticket and extended KDC signatures.
 *
 * @module
 */

import type { AuthorizationData, EncTicketPart, PrincipalName, QualifiedName } from '@krbsim/asn1';
import { formatPrincipal } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import {
  encodePac,
  findPac,
  formatSid,
  type GroupMembership,
  getPacBuffer,
  isPacError,
  type KerbValidationInfo,
  type Pac,
  PacAttributesFlags,
  type PacAttributesInfo,
  PacBufferType,
  parsePac,
  parseSid,
  type S4uDelegationInfo,
  type Sid,
  sidEquals,
  sidWithRid,
  signTicketPac,
  splitSid,
  UserFlags,
  updatePacBuffer,
  verifyPac,
  WellKnownSid,
  withPac,
} from '@krbsim/pac';
import type { TicketDraft } from './issue';
import { kdcSignatureKey, kdcVerificationKeys } from './keys';
import { KdcError } from './krb-error';
import { accountOf, accountSid, forestRootOf } from './pac-builder';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { routingView } from './routing-view';
import { markOtherOrganization } from './selective-authentication';
import { trustBetween } from './trust-graph';

/** What filtering at a trust removed from a PAC: shown by the lab's trace and demo. */
export interface SidFilterReport {
  readonly removed: readonly string[];
}

function refuse(code: number, message: string, cause?: unknown): never {
  throw new KdcError(code, message, { ...(cause !== undefined && { cause }) });
}

/** Map a PAC verification failure to the KDC's refusal, keeping its code (MODIFIED, INAPP_CKSUM). */
function pacFailure(e: unknown, what: string): never {
  if (isPacError(e)) {
    const code = e.code === ErrorCode.KRB_ERR_GENERIC ? ErrorCode.KRB_AP_ERR_MODIFIED : e.code;
    return refuse(code, `${what}: ${e.message}`, e);
  }
  throw e;
}

/**
 * The PAC of an evidence ticket (a TGT, or S4U2Proxy's evidence), verified,
 * or undefined when it carries none and the realm does not require one.
 *
 * @param ticketKey the key that decrypted the ticket (server signature)
 * @param issuedHere whether this realm's KDC issued it (KDC signature, requestor)
 * @param localTgt whether it is a TGT of this realm, whose PAC must then hold a PAC_REQUESTOR where
 *   the realm requires PACs
 * @param ticket the decrypted ticket: with `signedTicket`, its ticket signature is checked too
 */
export function verifiedEvidencePac(
  realm: Realm,
  evidence: EncTicketPart,
  ticketKey: Key,
  opts: { issuedHere: boolean; localTgt?: boolean; signedTicket?: boolean; what: string },
): Pac | undefined {
  let loc: ReturnType<typeof findPac>;
  try {
    loc = findPac(evidence.authorizationData);
  } catch (e) {
    pacFailure(e, opts.what);
  }
  if (loc === undefined) {
    if (
      opts.issuedHere &&
      hasPacToLose(realm, evidence) &&
      realm.policy.issuePac &&
      realm.policy.requirePac
    ) {
      refuse(ErrorCode.KDC_ERR_TGT_REVOKED, `${opts.what} carries no PAC, which this realm requires`);
    }
    return undefined;
  }
  // The KDC signature was made with the krbtgt key current then: each kept key is tried, likeliest
  // first, and a failure is reported as the likeliest key's.
  const kdcKeys = opts.issuedHere
    ? kdcVerificationKeys(realm.krbtgt.keys, realm.policy.permittedEncTypes)
    : [undefined];
  let pac: Pac | undefined;
  let failure: unknown;
  for (const kdcKey of kdcKeys) {
    try {
      pac = verifyPac(
        loc!.pac,
        { serverKey: ticketKey, ...(kdcKey !== undefined && { kdcKey }) },
        // Tickets this KDC issued with a ticket signature carry the extended KDC signature too
        // (it adds both), so it is required, as Windows requires it in enforcement mode.
        opts.signedTicket === true ? { ticket: evidence, requireExtendedKdcSignature: true } : {},
      );
      break;
    } catch (e) {
      failure ??= e;
    }
  }
  if (pac === undefined) return pacFailure(failure, opts.what);
  try {
    // The buffers decode as they are read (a malformed one is refused here, as MODIFIED);
    // those this KDC never reads are copied into the new ticket as they are, as MIT's KDC copies them.
    if (opts.issuedHere) checkRequestor(realm, pac, evidence, opts.localTgt === true);
  } catch (e) {
    return pacFailure(e, opts.what);
  }
  return pac;
}

/**
 * Whether this realm's tickets for `ticket`'s client carry a PAC when it
 * issues PACs: only an account of its directory has one to lose; a bare
 * service principal never had one.
 */
export function hasPacToLose(realm: Realm, ticket: EncTicketPart): boolean {
  const client = ticket.crealm === realm.name ? realm.db.get(ticket.cname, realm.name) : undefined;
  return client !== undefined && accountOf(realm, client) !== undefined;
}

/**
 * The PAC a service ticket gets from its evidence's `pac` (MS-KILE 3.3.5.3,
 * 3.3.5.6.4.7-8): none when the TGT's PAC_ATTRIBUTES_INFO says the client
 * neither asked for it nor was given it implicitly (PA-PAC-REQUEST false);
 * else the PAC without PAC_ATTRIBUTES_INFO and PAC_REQUESTOR, which only
 * TGTs carry.
 */
export function serviceTicketPac(pac: Pac, what: string): Pac | undefined {
  let attributes: PacAttributesInfo | undefined;
  try {
    attributes = getPacBuffer(pac, PacBufferType.ATTRIBUTES_INFO);
  } catch (e) {
    return pacFailure(e, what);
  }
  const given = PacAttributesFlags.PAC_WAS_REQUESTED | PacAttributesFlags.PAC_WAS_GIVEN_IMPLICITLY;
  if (attributes !== undefined && ((attributes.flags[0] ?? 0) & given) === 0) return undefined;
  const tgtOnly = (t: number) => t === PacBufferType.ATTRIBUTES_INFO || t === PacBufferType.REQUESTOR;
  return { buffers: pac.buffers.filter((b) => !tgtOnly(b.type)) };
}

/**
 * CVE-2021-42287: the PAC_REQUESTOR of a local TGT names the account the TGT
 * is for; and in a realm that requires PACs (AD since the enforcement phase of
 * the November 2021 updates) a TGT of its own users without one is refused as
 * a DC refuses it (KDC_ERR_TGT_REVOKED, as a Samba AD DC does): a forgery made
 * without the buffer (a golden ticket of an older tool) goes no further.
 */
function checkRequestor(realm: Realm, pac: Pac, evidence: EncTicketPart, localTgt: boolean): void {
  const requestor = getPacBuffer(pac, PacBufferType.REQUESTOR);
  if (evidence.crealm !== realm.name) return;
  if (requestor === undefined) {
    if (localTgt && realm.policy.requirePac) {
      refuse(ErrorCode.KDC_ERR_TGT_REVOKED, `the TGT's PAC has no PAC_REQUESTOR, which this realm requires`);
    }
    return;
  }
  const entry = realm.db.get(evidence.cname, realm.name);
  const account = entry === undefined ? undefined : accountOf(realm, entry);
  if (account === undefined || !sidEquals(requestor.sid, accountSid(realm, account))) {
    refuse(
      ErrorCode.KDC_ERR_TGT_REVOKED,
      `the PAC's requestor ${formatSid(requestor.sid)} is not ${formatPrincipal(evidence.cname, evidence.crealm)}, whom the TGT names`,
    );
  }
}

function replaceLogonInfo(pac: Pac, f: (v: KerbValidationInfo) => KerbValidationInfo): Pac {
  return updatePacBuffer(pac, PacBufferType.LOGON_INFO, f);
}

/**
 * The domain-local groups of this realm for the user of a service ticket, as
 * resource groups (MS-KILE 3.3.5.7.3): for this realm's own user, those its
 * account reaches in the directory; for a user of `clientRealm` across a
 * trust, those the SIDs of its PAC reach through foreign members
 * (GetResourceDomainInfo's InputSids: the user, its GroupIds and its
 * ExtraSids, as SID filtering left them).
 */
export function withResourceGroups(
  realm: Realm,
  pac: Pac,
  user: PrincipalEntry | undefined,
  clientRealm: string,
): Pac {
  let local: readonly GroupMembership[];
  if (clientRealm === realm.name) {
    const account = user === undefined ? undefined : accountOf(realm, user);
    if (account === undefined || account.external !== undefined) return pac;
    local = realm.directory.tokenGroups(account.name).domainLocal;
    // The ExtraSids (another domain's universal groups, from the global catalog; sIDHistory) may be
    // foreign members of this domain's domain-local groups too: InputSids holds them all.
    const extraSids = realm.directory.hasForeignMembers
      ? getPacBuffer(pac, PacBufferType.LOGON_INFO)?.extraSids
      : undefined;
    if (extraSids !== undefined && extraSids.length > 0) {
      const sids = extraSids.map((e) => formatSid(e.sid));
      local = unionByRid(
        local,
        realm.directory.resourceGroups(sids, forestRootOf(realm)?.directory.domainSid),
      );
    }
  } else {
    // The SIDs of a user from across a trust are all of other domains: only foreign members match.
    if (!realm.directory.hasForeignMembers) return pac;
    const info = getPacBuffer(pac, PacBufferType.LOGON_INFO);
    const domain = info?.logonDomainId;
    if (info === undefined || domain === undefined) return pac;
    local = realm.directory.resourceGroups(
      [
        formatSid(sidWithRid(domain, info.userId)),
        ...info.groupIds.map((g) => formatSid(sidWithRid(domain, g.relativeId))),
        ...info.extraSids.map((e) => formatSid(e.sid)),
      ],
      forestRootOf(realm)?.directory.domainSid,
    );
  }
  if (local.length === 0) return pac;
  return replaceLogonInfo(pac, (v) => ({
    ...v,
    resourceGroupDomainSid: parseSid(realm.directory.domainSid),
    resourceGroupIds: local,
    userFlags: v.userFlags | UserFlags.LOGON_RESOURCE_GROUPS,
  }));
}

/** The groups of `a` and `b`, each once, sorted by RID. */
function unionByRid(
  a: readonly GroupMembership[],
  b: readonly GroupMembership[],
): readonly GroupMembership[] {
  if (b.length === 0) return a;
  const byRid = new Map<number, GroupMembership>();
  for (const g of [...a, ...b]) if (!byRid.has(g.relativeId)) byRid.set(g.relativeId, g);
  return [...byRid.values()].sort((x, y) => x.relativeId - y.relativeId);
}

/** An identity assertion SID (S-1-18-1, S-1-18-2, ...), which SID filtering at a trust lets pass. */
const IDENTITY_ASSERTION_SID = /^S-1-18-\d+$/;

/** PAC buffers a trusting realm drops from a PAC that crossed a trust (see {@link filterAtTrust}). */
const FOREIGN_ASSERTIONS: ReadonlySet<number> = new Set([
  PacBufferType.CLIENT_CLAIMS_INFO,
  PacBufferType.DEVICE_INFO,
  PacBufferType.DEVICE_CLAIMS_INFO,
]);

/**
 * SID filtering at a trust (MS-PAC 4.1.2.2), by the boundary the PAC crossed
 * into this realm from `issuingRealm`, the realm whose referral TGT it came in:
 *
 * - WithinForest (a `realm` trust between domains of one forest,
 *   `RealmOptions.forest`, not quarantined): the domains trust each other,
 *   and nothing is filtered; claims and device information pass.
 * - Quarantined (an external trust, a `realm` trust between forests, or one
 *   within a forest with `quarantine`): the SIDs of the domain across the
 *   trust alone, the one its trusted domain object describes (`issuingRealm`,
 *   not the realm the ticket names as the client's: a quarantined domain
 *   speaks for no domain behind it), and within a forest
 *   (QuarantinedWithinForest) the Enterprise Domain Controllers SID (S-1-5-9)
 *   of its domain controllers too.
 * - CrossForest (a `forest` trust): the SIDs of every domain of the trusted
 *   forest, and none local to this forest.
 * - Relaxed (a forest trust with `enableSidHistory`, TREAT_AS_EXTERNAL, or a
 *   trust between forests without `quarantine`): the SIDs of the trusted
 *   forest's domains, and of any other domain (this forest's too, as SID
 *   history reaches them) an account or group with a RID of 1000 or more: a
 *   SID below 1000 (Domain Admins, Enterprise Admins, the S-1-5-21-0-0-0
 *   assertions) is the forest's own, and crosses from no other forest (as a
 *   DC filters with SID history enabled).
 *
 * Across all but WithinForest:
 * - The PAC's logon domain must be the domain of `clientRealm`, the realm
 *   whose user the PAC describes (a ticket's crealm, whose path the
 *   transited check has accepted): a realm across a trust cannot speak for
 *   another domain this realm trusts, and no realm across a trust speaks for
 *   this realm's own domain. The logon domain must also pass the boundary's
 *   filter (a quarantined domain's, or for CrossForest one of the trusted
 *   forest's). Each is refused with KDC_ERR_POLICY, since filtering the
 *   user's SID leaves no user.
 * - ExtraSids the boundary does not admit are removed (S-1-18-x, the
 *   identity assertions, stay; a SID below S-1-18 with more sub-authorities
 *   is none), and so are resource groups, which only the
 *   resource domain may add.
 * - Claims and device information (CLIENT_CLAIMS_INFO, DEVICE_INFO,
 *   DEVICE_CLAIMS_INFO) are dropped, as a DC drops incoming claims without
 *   an ingress transformation policy: the device's SIDs would otherwise
 *   pass unfiltered.
 *
 * Then, across a selective-authentication trust, the PAC is marked with
 * OTHER_ORGANIZATION (selective-authentication.ts).
 *
 * A realm whose policy does not `filterSidsAtTrusts` (the `mit` kind, as
 * MIT's KDC) passes the PAC on as it came, marked across a
 * selective-authentication trust.
 */
export function filterAtTrust(
  realm: Realm,
  pac: Pac,
  clientRealm: string,
  issuingRealm: string,
): { pac: Pac; report: SidFilterReport } {
  // MIT's KDC passes a cross-realm PAC on as it came (it reads no KERB_VALIDATION_INFO); a
  // selective-authentication trust still marks it.
  if (!realm.policy.filterSidsAtTrusts) {
    return { pac: markOtherOrganization(realm, pac, issuingRealm), report: { removed: [] } };
  }
  const removed: string[] = [];
  const known = routingView(realm).realms;
  const issuer = known.get(issuingRealm);
  const client = known.get(clientRealm);
  const boundary = trustBoundary(realm, issuer);
  const withinForest = boundary === 'within-forest';
  const own = parseSid(realm.directory.domainSid);
  const domainsOf = (forest: string) =>
    [...known.values()].filter((r) => r.forest === forest).map((r) => parseSid(r.directory.domainSid));
  // Whether a SID of `domain` with `rid` may come over.
  let admits: (domain: Sid, rid: number) => boolean;
  if (boundary === 'cross-forest' || boundary === 'relaxed') {
    const trusted = domainsOf(issuer!.forest);
    const relaxed = boundary === 'relaxed';
    admits = (d, rid) => trusted.some((t) => sidEquals(d, t)) || (relaxed && isDomainSid(d) && rid >= 1000);
  } else {
    // The TDO describes the domain across the trust: none behind it.
    const only = issuer === undefined ? undefined : parseSid(issuer.directory.domainSid);
    admits = (d) => only !== undefined && sidEquals(d, only);
  }
  const filtered = replaceLogonInfo(pac, (v) => {
    const domain = v.logonDomainId;
    if (domain !== undefined && sidEquals(domain, own)) {
      refuse(
        ErrorCode.KDC_ERR_POLICY,
        `SID filtering: the PAC from across the trust claims a user of this realm's own domain (${realm.directory.domainSid}), which no trusted domain may speak for`,
      );
    }
    if (
      domain === undefined ||
      client === undefined ||
      !sidEquals(domain, parseSid(client.directory.domainSid))
    ) {
      refuse(
        ErrorCode.KDC_ERR_POLICY,
        `SID filtering: the PAC from across the trust claims a user of domain ${domain === undefined ? '(none)' : formatSid(domain)}, which is not the domain of ${clientRealm}${client === undefined ? '' : ` (${client.directory.domainSid})`}, the client's realm`,
      );
    }
    if (withinForest) return v;
    if (!admits(domain, v.userId)) {
      refuse(
        ErrorCode.KDC_ERR_POLICY,
        `SID filtering: the PAC from across the trust claims a user of domain ${formatSid(domain)}, whose SIDs do not cross from ${issuingRealm} (${boundary} trust boundary)`,
      );
    }
    const extraSids = v.extraSids.filter((e) => {
      const split = splitSid(e.sid);
      const text = formatSid(e.sid);
      const ok =
        // MS-DTYP 2.4.2.4's identity assertion SIDs are S-1-18 and one sub-authority: no other passes.
        IDENTITY_ASSERTION_SID.test(text) ||
        // QuarantinedWithinForest also lets the Enterprise Domain Controllers SID pass.
        (boundary === 'quarantined-within-forest' && text === WellKnownSid.ENTERPRISE_DOMAIN_CONTROLLERS) ||
        (split !== undefined && admits(split.domain, split.rid));
      if (!ok) removed.push(formatSid(e.sid));
      return ok;
    });
    const resources = v.resourceGroupIds;
    if (v.resourceGroupDomainSid !== undefined) {
      for (const g of resources) removed.push(`${formatSid(v.resourceGroupDomainSid)}-${g.relativeId}`);
    }
    const { resourceGroupDomainSid: _dropped, ...rest } = v;
    return {
      ...rest,
      extraSids,
      resourceGroupIds: [],
      userFlags:
        (v.userFlags & ~UserFlags.LOGON_RESOURCE_GROUPS & ~UserFlags.LOGON_EXTRA_SIDS) |
        (extraSids.length > 0 ? UserFlags.LOGON_EXTRA_SIDS : 0),
    };
  });
  const kept = withinForest
    ? filtered
    : { buffers: filtered.buffers.filter((b) => !FOREIGN_ASSERTIONS.has(b.type)) };
  return { pac: markOtherOrganization(realm, kept, issuingRealm), report: { removed } };
}

/** The MS-PAC 4.1.2.2 trust boundary a PAC crosses from `issuer` into `realm` (see {@link filterAtTrust}). */
function trustBoundary(
  realm: Realm,
  issuer: Realm | undefined,
): 'within-forest' | 'quarantined-within-forest' | 'quarantined' | 'cross-forest' | 'relaxed' {
  const trust = issuer === undefined ? undefined : trustBetween(realm, issuer.name);
  if (issuer === undefined || trust === undefined) return 'quarantined';
  if (trust.kind === 'forest') return trust.enableSidHistory ? 'relaxed' : 'cross-forest';
  const sameForest = issuer.forest === realm.forest;
  if (trust.quarantine) return sameForest ? 'quarantined-within-forest' : 'quarantined';
  return sameForest ? 'within-forest' : 'relaxed';
}

/** `S-1-5-21-a-b-c`: the SID of a domain (the prefix of its accounts' and groups' SIDs). */
function isDomainSid(sid: Sid): boolean {
  return sid.identifierAuthority === 5 && sid.subAuthority.length === 4 && sid.subAuthority[0] === 21;
}

/** MS-SFU 3.2.5.2.4: S4U_DELEGATION_INFO names the target and adds the requesting service. */
export function withDelegationInfo(pac: Pac, target: PrincipalName, requester: QualifiedName): Pac {
  const previous = getPacBuffer(pac, PacBufferType.DELEGATION_INFO);
  const info: S4uDelegationInfo = {
    s4u2proxyTarget: target.nameString.join('/'),
    s4uTransitedServices: [
      ...(previous?.s4uTransitedServices ?? []),
      formatPrincipal(requester.name, requester.realm),
    ],
  };
  const others = pac.buffers.filter((b) => b.type !== PacBufferType.DELEGATION_INFO);
  return { buffers: [...others, { type: PacBufferType.DELEGATION_INFO, value: info }] };
}

/** `authorizationData` with its PAC replaced by `pac` (unsigned: the seal signs it). */
export function withUnsignedPac(
  authorizationData: AuthorizationData | undefined,
  pac: Pac,
): AuthorizationData {
  return withPac(authorizationData, encodePac(pac));
}

/**
 * Sign the PAC of `etp`, the ticket about to be sealed for `draft`, when the
 * realm issues PACs and the ticket carries one that decodes (see the module
 * comment). Anything else is left as it is.
 */
export function signIssuedPac(realm: Realm, draft: TicketDraft, etp: EncTicketPart): EncTicketPart {
  if (!realm.policy.issuePac) return etp;
  const loc = findPac(etp.authorizationData);
  if (loc === undefined) return etp;
  let pac: Pac;
  try {
    // Parsed, not decoded: its buffers are signed as they are, as MIT's KDC signs them.
    pac = parsePac(loc.pac);
  } catch (e) {
    if (isPacError(e)) return etp; // not a PAC this KDC wrote: a hook's business
    throw e;
  }
  const serverKey = draft.serverKey.key;
  return signTicketPac(
    etp,
    pac,
    {
      serverKey,
      kdcKey: kdcSignatureKey(realm.krbtgt.keys, realm.policy.permittedEncTypes),
    },
    // A read-only DC's KDC signature names its branch (MS-PAC 2.8), whose krbtgt signed it; a
    // writable KDC's names none, whoever signed the PAC before.
    { server: draft.sname, rodcIdentifier: realm.rodcBranchId !== 0 ? realm.rodcBranchId : null },
  ).encTicketPart;
}
