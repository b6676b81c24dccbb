/**
 * The Azure AD tenant as a Kerberos realm.
 *
 * Facts modelled: one realm name for every tenant, `KERBEROS.MICROSOFTONLINE.COM`,
 * the tenant chosen by the id in the KDC proxy URL; service tickets always
 * encrypted with aes256-cts-hmac-sha1-96 (etype 18); TGTs of about 10 hours
 * that Azure AD does not renew; service tickets of 1 hour; a managed
 * instance's SPN registered only once Azure AD authentication is configured,
 * its system-assigned service principal enabled and admin consent granted;
 * a conditional access policy on the instance's principal refusing tickets
 * (Windows reports `0x52f`).
 *
 * Inferred (configurable through {@link TenantOptions.policy}): the permitted
 * etypes are the two AES-SHA1 ones, and a refused conditional access check is
 * KDC_ERR_POLICY on the wire.
 *
 * @module
 */

import { type Clock, Duration, ErrorCode, KerberosError, type RandomSource } from '@krbsim/core';
import { EncType, generateKey, type Key } from '@krbsim/crypto';
import { Kdc, KdcError, type Realm as KdcRealm, Realm, type RealmPolicy } from '@krbsim/kdc';
import { AZURE_AD_REALM, type AzureCloud, kdcProxyUrl } from './cloud';
import type { CloudUser } from './directory';

/** Options for {@link AzureAdTenant}. */
export interface TenantOptions {
  readonly tenantId: string;
  readonly cloud: AzureCloud;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy?: Partial<RealmPolicy>;
  readonly log?: (line: string) => void;
}

/** The Azure AD realm's defaults: the facts sheet's lifetimes and etypes. */
export const azureAdRealmPolicy: Partial<RealmPolicy> = {
  maxTicketLifeMs: 10 * Duration.hour,
  serviceTicketLifeMs: Duration.hour,
  renewableTgt: false,
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

  constructor(opts: TenantOptions) {
    this.tenantId = opts.tenantId;
    this.cloud = opts.cloud;
    this.realm = new Realm({
      name: AZURE_AD_REALM,
      clock: opts.clock,
      random: opts.random,
      kind: 'active-directory',
      policy: { ...azureAdRealmPolicy, ...opts.policy },
    });
    this.kdc = new Kdc(this.realm, { log: opts.log });
    // Conditional access lives in the tenant, not in the Kerberos database:
    // the KDC asks before it issues a service ticket.
    this.realm.issuancePolicy = ({ server }) => {
      const spn = server.name.nameString.join('/');
      if (this.hasConditionalAccessPolicy(spn)) {
        throw new KdcError(
          ErrorCode.KDC_ERR_POLICY,
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
   * encrypted with, handed to the device in the PRT response.
   */
  upsertUser(user: CloudUser): void {
    this.#users.set(user.upn.toLowerCase(), user);
    if (this.realm.db.getByUpn(user.upn) === undefined) {
      this.realm.addUser(cloudPrincipalName(user.upn), {
        keys: [generateKey(EncType.AES256_CTS_HMAC_SHA1_96, { random: this.realm.random })],
        upn: user.upn,
      });
    }
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
    return this.kdc.handle(request);
  }
}

/** The tenant realm's principal name for a UPN: one component, the `@` escaped as MIT writes it. */
export function cloudPrincipalName(upn: string): string {
  return upn.replace(/[\\/@]/g, (c) => `\\${c}`);
}
