/**
 * The Azure AD tenant as a Kerberos realm.
 *
 * Facts modelled: one realm name for every tenant, `KERBEROS.MICROSOFTONLINE.COM`,
 * the tenant chosen by the id in the KDC proxy URL; service tickets always
 * encrypted with aes256-cts-hmac-sha1-96 (etype 18); TGTs of about 10 hours
 * flagged forwardable, renewable and name-canonicalize (as `klist` shows
 * them) that Azure AD nevertheless does not renew; service tickets of 1 hour; a managed
 * instance's SPN registered only once Azure AD authentication is configured,
 * its system-assigned service principal enabled and admin consent granted;
 * a conditional access policy on the instance's principal refusing tickets
 * (Windows reports `0x52f`).
 *
 * Inferred (configurable through {@link TenantOptions.policy}): the permitted
 * etypes are the two AES-SHA1 ones; a refused conditional access check is
 * KDC_ERR_POLICY on the wire; a refused RENEW is KDC_ERR_BADOPTION; the cloud
 * TGT's renew-till is the realm's default renewable life (7 days).
 *
 * @module
 */

import type { AuthorizationData } from '@krbsim/asn1';
import { type Clock, Duration, ErrorCode, KerberosError, type RandomSource } from '@krbsim/core';
import { EncType, generateKey, type Key } from '@krbsim/crypto';
import {
  type AuthorizationDataContext,
  buildPac,
  formatPrincipal,
  Kdc,
  KdcError,
  type Realm as KdcRealm,
  type KdcRequestEvent,
  Realm,
  type RealmPolicy,
} from '@krbsim/kdc';
import { encodePac, withPac } from '@krbsim/pac';
import { AZURE_AD_REALM, type AzureCloud, kdcProxyUrl } from './cloud';
import { type CloudUser, cloudSid } from './directory';
import { withSkewNote } from './lab-clock';

/** Options for {@link AzureAdTenant}. */
export interface TenantOptions {
  readonly tenantId: string;
  readonly cloud: AzureCloud;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy?: Partial<RealmPolicy>;
  /**
   * The KRB-ERROR code of a ticket refused by a conditional access policy: Windows reports
   * `0x52f` whatever it is; the wire code is inferred. Default KDC_ERR_POLICY.
   */
  readonly conditionalAccessErrorCode?: number;
  readonly log?: (line: string) => void;
  /** The KDC's structured event for each request, after the tenant's own use of it. */
  readonly onRequest?: (event: KdcRequestEvent) => void;
  /** A bug in the KDC (see `KdcOptionsInit.onInternalError`). */
  readonly onInternalError?: (error: unknown) => void;
  /** What the tenant's KDC does with the PAC of a referral TGT from the trusted domain; see {@link ReferredPac}. */
  readonly referredPac?: ReferredPac;
  /** Appended to the e-text of a KRB_AP_ERR_SKEW reply (the lab's default-clock note; see `lab-clock.ts`). */
  readonly skewNote?: () => string;
}

/**
 * What the Azure AD KDC does with the PAC of a referral TGT from the
 * on-prem domain (inferred; see `docs/azure.md`):
 * - `filter` (default): keeps it, SID-filtered as a forest trust filters
 *   (MS-PAC 4.1.2.2), and re-signs it for the instance;
 * - `rebuild`: builds a new PAC from the tenant's own directory for the
 *   synced user (its on-prem SID and synced groups), as for a cloud TGT.
 */
export type ReferredPac = 'filter' | 'rebuild';

/** What SID filtering at the trust removed from one referred PAC (see {@link AzureAdTenant.lastSidFilter}). */
export interface SidFilterEvent {
  /** `alice@CONTOSO.COM`. */
  readonly client: string;
  /** The service ticket's server, `MSSQLSvc/...@KERBEROS.MICROSOFTONLINE.COM`. */
  readonly server: string;
  /** The SIDs removed, empty when none were. */
  readonly removed: readonly string[];
}

/** The Azure AD realm's defaults: the facts sheet's lifetimes and etypes. */
export const azureAdRealmPolicy: Partial<RealmPolicy> = {
  maxTicketLifeMs: 10 * Duration.hour,
  serviceTicketLifeMs: Duration.hour,
  // klist shows the cloud TGT renewable, yet Azure AD renews none: after its 10 hours the user signs in again.
  renewableTgt: true,
  renewsTickets: false,
  ticketEncType: EncType.AES256_CTS_HMAC_SHA1_96,
  permittedEncTypes: [EncType.AES256_CTS_HMAC_SHA1_96, EncType.AES128_CTS_HMAC_SHA1_96],
  caseInsensitiveNames: true,
};

/** An Azure AD tenant: its Kerberos realm, its KDC front end and its directory. */
export class AzureAdTenant {
  readonly tenantId: string;
  readonly cloud: AzureCloud;
  /** The tenant's Kerberos realm, `KERBEROS.MICROSOFTONLINE.COM`. */
  readonly realm: KdcRealm;
  readonly kdc: Kdc;
  readonly #users = new Map<string, CloudUser>();
  readonly #conditionalAccess = new Set<string>();
  /** The KRB-ERROR code a conditional access refusal goes out with (see {@link TenantOptions.conditionalAccessErrorCode}). */
  readonly conditionalAccessErrorCode: number;
  #lastSidFilter: SidFilterEvent | undefined;

  readonly #skewNote: (() => string) | undefined;

  constructor(opts: TenantOptions) {
    this.#skewNote = opts.skewNote;
    // A GUID, which has no case: kept in lower case, as the KDC proxy URL is read back (cloud.ts).
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.tenantId)) {
      throw new RangeError(
        `tenantId must be a GUID like 6f1c2a9e-0b7d-4c35-9a4e-2d5b8c7f1e30, got ${JSON.stringify(opts.tenantId)}`,
      );
    }
    this.tenantId = opts.tenantId.toLowerCase();
    this.cloud = opts.cloud;
    this.realm = new Realm({
      name: AZURE_AD_REALM,
      clock: opts.clock,
      random: opts.random,
      kind: 'active-directory',
      policy: { ...azureAdRealmPolicy, ...opts.policy },
    });
    this.kdc = new Kdc(this.realm, {
      log: opts.log,
      ...(opts.onInternalError !== undefined && { onInternalError: opts.onInternalError }),
      onRequest: (e) => {
        if (e.sidsFiltered !== undefined) {
          this.#lastSidFilter = { client: e.client ?? '?', server: e.server ?? '?', removed: e.sidsFiltered };
        }
        opts.onRequest?.(e);
      },
    });
    if (opts.referredPac === 'rebuild') {
      this.realm.authorizationData = (ctx) => this.#rebuiltReferredPac(ctx);
    }
    // Conditional access lives in the tenant, not in the Kerberos database:
    // the KDC asks before it issues a service ticket.
    this.conditionalAccessErrorCode = opts.conditionalAccessErrorCode ?? ErrorCode.KDC_ERR_POLICY;
    this.realm.issuancePolicy = ({ server }) => {
      const spn = server.name.nameString.join('/');
      if (this.hasConditionalAccessPolicy(spn)) {
        throw new KdcError(
          this.conditionalAccessErrorCode,
          `a conditional access policy applies to ${spn}; Azure AD does not issue Kerberos tickets for it`,
        );
      }
    };
  }

  /** The KDC proxy URL that selects this tenant. */
  get kdcProxyUrl(): string {
    return kdcProxyUrl(this.cloud, this.tenantId);
  }

  /** Users known to the tenant (synced or cloud-only), by lower-case UPN. */
  get users(): ReadonlyMap<string, CloudUser> {
    return this.#users;
  }

  /**
   * Adds or updates a user, as Azure AD Connect does on each sync. The user
   * also gets a principal in the tenant's realm, named by its UPN (one
   * component), with a random AES-256 key: the key the cloud TGT's AS-REP is
   * encrypted with, handed to the device in the PRT response. The PACs the
   * tenant issues for it carry its SID ({@link sidOf}) and, for a synced
   * user, its synced groups' SIDs.
   */
  upsertUser(user: CloudUser): void {
    this.#users.set(user.upn.toLowerCase(), user);
    if (this.realm.db.getByUpn(user.upn) === undefined) {
      this.realm.addUser(cloudPrincipalName(user.upn), {
        keys: [generateKey(EncType.AES256_CTS_HMAC_SHA1_96, { random: this.realm.random })],
        upn: user.upn,
      });
    }
    // The principal's one name component is the UPN: its account in the realm's directory.
    if (this.realm.directory.account(user.upn) !== undefined) {
      this.realm.directory.setExternalIdentity(user.upn, {
        sid: this.sidOf(user),
        groupSids: user.onPremises?.groupSids ?? [],
      });
    }
  }

  /**
   * The SID the tenant's tickets carry for `user`: the on-prem SID Azure AD
   * Connect synced, else the cloud SID of its object id (`S-1-12-1-...`).
   */
  sidOf(user: CloudUser): string {
    return user.onPremises?.securityIdentifier ?? cloudSid(user.objectId);
  }

  /**
   * The last referred PAC the tenant's KDC SID-filtered (incoming trust
   * flow): whose, for which service, and which SIDs it removed.
   */
  get lastSidFilter(): SidFilterEvent | undefined {
    return this.#lastSidFilter;
  }

  /**
   * `referredPac: 'rebuild'`: a service ticket issued from a referral TGT
   * carries the PAC of the synced user's account in the tenant, built from
   * the tenant's directory, in place of the referred one.
   */
  #rebuiltReferredPac(ctx: AuthorizationDataContext): AuthorizationData {
    const t = ctx.ticket;
    if (t.exchange !== 'TGS' || t.crealm === this.realm.name || t.server.kind === 'krbtgt') {
      return ctx.proposed;
    }
    const sam = t.cname.nameString.join('/').toLowerCase();
    const user = [...this.#users.values()].find(
      (u) => u.onPremises?.realm === t.crealm && u.onPremises.samAccountName.toLowerCase() === sam,
    );
    const entry = user === undefined ? undefined : this.realm.db.getByUpn(user.upn);
    const pac =
      entry === undefined
        ? undefined
        : buildPac(this.realm, entry, {
            authtime: t.times.authtime,
            clientName: t.cname.nameString.join('/'),
            assertedBy: 'authentication-authority',
          });
    if (pac === undefined) {
      throw new KdcError(
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        `${formatPrincipal(t.cname, t.crealm)} has no synced account in the tenant to build a PAC for`,
      );
    }
    return withPac(ctx.proposed, encodePac(pac));
  }

  /** The key of a user's cloud principal (what the PRT response hands the device). */
  cloudKey(upn: string): Key {
    const entry = this.realm.db.getByUpn(upn);
    const key = entry?.keys.find((k) => k.key.etype === EncType.AES256_CTS_HMAC_SHA1_96)?.key;
    if (key === undefined) {
      throw new KerberosError(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, `the tenant has no user ${upn}`, {
        realm: this.realm.name,
      });
    }
    return key;
  }

  /** The user with this UPN, if the tenant has it. */
  user(upn: string): CloudUser | undefined {
    return this.#users.get(upn.toLowerCase());
  }

  /** Requires a conditional access policy (e.g. MFA) for tickets to this SPN: tickets are then refused. */
  addConditionalAccessPolicy(spn: string): void {
    this.#conditionalAccess.add(spn.toLowerCase());
  }

  /** Removes the conditional access policy on this SPN. */
  removeConditionalAccessPolicy(spn: string): void {
    this.#conditionalAccess.delete(spn.toLowerCase());
  }

  /** True when a conditional access policy applies to this SPN. */
  hasConditionalAccessPolicy(spn: string): boolean {
    return this.#conditionalAccess.has(spn.toLowerCase());
  }

  /** The tenant's KDC: request bytes in, reply bytes out. Never throws. */
  handle(request: Uint8Array): Uint8Array {
    const reply = this.kdc.handle(request);
    return this.#skewNote === undefined ? reply : withSkewNote(reply, this.#skewNote);
  }
}

/** The tenant realm's principal name for a UPN: one component, the `@` escaped as MIT writes it. */
export function cloudPrincipalName(upn: string): string {
  return upn.replace(/[\\/@]/g, (c) => `\\${c}`);
}
