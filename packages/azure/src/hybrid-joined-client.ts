/**
 * A hybrid-joined Windows client: joined to the on-prem AD domain and to
 * Azure AD, so the signed-in user holds both an on-prem TGT (from the
 * domain controller, at logon) and a cloud TGT (with the PRT, when the
 * policy `CloudKerberosTicketRetrievalEnabled=1` is on).
 *
 * Fact: the modern interactive flow serves Azure AD-joined and hybrid-joined
 * clients alike. Fact: users of the Azure AD realm cannot reach resources in
 * the customer domain, so the cloud TGT serves only Azure AD's own services.
 * Inferred: with both TGTs in hand, the client asks Azure AD for a managed
 * instance's ticket with the cloud TGT (no referral through the domain
 * controller), and falls back to the incoming trust-based flow when it holds
 * no cloud TGT; any other service (an on-prem one) is reached with the
 * on-prem TGT. `initSecurityContext(spn, { via })` chooses.
 *
 * @module
 */

import type { Credential } from '@krbsim/client';
import { AdJoinedClient } from './ad-joined-client';
import { AzureAdJoinedClient } from './azure-ad-joined-client';
import type { CloudUser, OnPremUser } from './directory';
import type { DsregcmdStatus } from './dsregcmd';
import type { LabHost } from './lab-host';
import {
  newWindowsMachine,
  type SecurityContext,
  type SecurityContextOptions,
  type WindowsMachine,
} from './windows-client';
import { parseWindowsVersion } from './windows-version';

/** Options for a hybrid-joined client. */
export interface HybridJoinedClientOptions {
  /**
   * The Windows version, as `parseWindowsVersion` reads it (see `AdJoinedClientOptions.os`); another
   * is a RangeError when the client is made. Default `Windows 11`.
   */
  readonly os?: string;
  /** Can the client reach a domain controller? Default true. */
  readonly lineOfSightToDc?: boolean;
  /** Is the KDC proxy mapping for `KERBEROS.MICROSOFTONLINE.COM` configured? Default true. */
  readonly kdcProxyPolicy?: boolean;
  /** The `CloudKerberosTicketRetrievalEnabled` policy. Default true. */
  readonly cloudKerberosTicketRetrievalEnabled?: boolean;
  /** An interactive user session (true) or an application running as a service (false). Default true. */
  readonly interactive?: boolean;
  /** The machine's IDs both sides' authenticators carry (MS-KILE 3.2.5.8). Default: new ones from the lab's random source. */
  readonly machine?: WindowsMachine;
}

/** Which TGT {@link HybridJoinedClient.initSecurityContext} starts from. */
export type HybridFlow = 'cloud' | 'on-prem';

/** A hybrid-joined Windows machine with a synced user signed in. */
export class HybridJoinedClient {
  /** The domain side: the on-prem TGT and the incoming trust-based flow. */
  readonly onPrem: AdJoinedClient;

  /** The signed-in user, as the domain knows it now (after `onPrem.changePassword`, the new password). */
  get user(): OnPremUser {
    return this.onPrem.user;
  }
  /** The Azure AD side: the PRT, the cloud TGT and the modern interactive flow. */
  readonly cloud: AzureAdJoinedClient;
  readonly #host: LabHost;

  /** @throws RangeError when `opts.os` is not a Windows version the lab reads (see {@link HybridJoinedClientOptions.os}). */
  constructor(host: LabHost, user: OnPremUser, cloudUser: CloudUser, opts: HybridJoinedClientOptions = {}) {
    this.#host = host;
    const os = opts.os ?? 'Windows 11';
    // Read before the machine's IDs are drawn: a refused version leaves the lab's random source as it was.
    parseWindowsVersion(os);
    // One machine: both sides' authenticators carry its IDs.
    const machine = opts.machine ?? newWindowsMachine(host.random);
    this.onPrem = new AdJoinedClient(host, user, {
      os,
      machine,
      ...(opts.lineOfSightToDc !== undefined && { lineOfSightToDc: opts.lineOfSightToDc }),
      ...(opts.kdcProxyPolicy !== undefined && { kdcProxyPolicy: opts.kdcProxyPolicy }),
    });
    this.cloud = new AzureAdJoinedClient(host, cloudUser, {
      os,
      machine,
      ...(opts.cloudKerberosTicketRetrievalEnabled !== undefined && {
        cloudKerberosTicketRetrievalEnabled: opts.cloudKerberosTicketRetrievalEnabled,
      }),
      ...(opts.interactive !== undefined && { interactive: opts.interactive }),
    });
  }

  /** The name this client has in traces for its domain traffic, e.g. `CONTOSO\alice`. */
  get participant(): string {
    return this.onPrem.participant;
  }

  /** The machine, as both sides' authenticators describe it to services. */
  get machine(): WindowsMachine {
    return this.onPrem.machine;
  }

  /** The on-prem TGT, if the logon got one and it has not expired. */
  get onPremTgt(): Credential | undefined {
    return this.onPrem.kerberos.cache.tgtFor(this.onPrem.kerberos.realm);
  }

  /** The cloud TGT, if the last PRT refresh brought one and it has not expired. */
  get cloudTgt(): Credential | undefined {
    return this.cloud.cloudTgt;
  }

  /**
   * Interactive sign-in: the AS exchange with the domain controller (when one
   * is in sight) for the on-prem TGT, and the PRT refresh with the cloud TGT.
   */
  async signIn(): Promise<void> {
    if (this.onPrem.canReachDomainController) await this.onPrem.logon();
    await this.cloud.signIn();
  }

  /**
   * `InitializeSecurityContext` for an SPN: for a service of Azure AD's (a
   * managed instance) from the cloud TGT when the client holds one, else
   * from the on-prem TGT (see the module documentation); `via` forces one.
   */
  initSecurityContext(
    spn: string,
    opts: SecurityContextOptions & { via?: HybridFlow } = {},
  ): Promise<SecurityContext> {
    const { via: forced, ...rest } = opts;
    const via = forced ?? (this.cloudTgt !== undefined && this.#servedByAzureAd(spn) ? 'cloud' : 'on-prem');
    return via === 'cloud'
      ? this.cloud.initSecurityContext(spn, rest)
      : this.onPrem.initSecurityContext(spn, rest);
  }

  /**
   * Whether `spn` names a service of the Azure AD realm: one it holds (an
   * instance, a listener's loopback SPN), or one on a host under the names
   * the cloud trust claims (`windows.net`), which the domain refers to Azure AD.
   */
  #servedByAzureAd(spn: string): boolean {
    const tenant = this.#host.tenant;
    if (tenant.realm.lookup(spn) !== undefined) return true;
    const host = (spn.split('@')[0]!.split('/')[1] ?? '').split(':')[0]!.toLowerCase();
    // The names the trust claims (setupCloudTrust's topLevelNames), as the domain routes by them.
    const claimed = this.#host.cloudTrust?.trust.topLevelNames ?? tenant.cloud.topLevelNames;
    const names = [...claimed, tenant.cloud.sqlSuffix];
    return names.some((n) => host === n || host.endsWith(`.${n}`));
  }

  /** `dsregcmd /status`: joined to both, with the PRT and whichever TGTs the user holds. */
  dsregcmdStatus(): DsregcmdStatus {
    const cloud = this.cloud.dsregcmdStatus();
    return {
      AzureAdJoined: true,
      DomainJoined: true,
      AzureAdPrt: cloud.AzureAdPrt,
      CloudTgt: cloud.CloudTgt,
      OnPremTgt: this.onPremTgt !== undefined,
    };
  }
}
