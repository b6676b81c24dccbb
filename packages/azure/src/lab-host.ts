/**
 * What the lab's clients and instances need from the lab: time, randomness,
 * the trace, the two realms, and the KDC proxy.
 *
 * @module
 */

import type { Clock, RandomSource } from '@krbsim/core';
import type { KdcTransport, Trace } from '@krbsim/transport';
import type { CloudTrust } from './cloud-trust';
import type { OnPremDomain } from './on-prem-domain';
import type { SpnNotFoundCause } from './spn-not-found';
import type { AzureAdTenant } from './tenant';

/** The lab, as its clients see it. */
export interface LabHost {
  /** The lab's shared clock. */
  readonly clock: Clock;
  /** The clients' clock: the shared one shifted by the clients' skew (`lab.clockOf('client')`). */
  readonly clientClock: Clock;
  readonly random: RandomSource;
  readonly trace: Trace;
  readonly onPrem: OnPremDomain;
  readonly tenant: AzureAdTenant;
  /** The incoming trust, once `setupCloudTrust` made it: the top-level names it claims route hosts to Azure AD. */
  readonly cloudTrust?: CloudTrust | undefined;
  /** The on-prem domain controller's KDC, through the lab's faults (`lab.faults`). */
  onPremKdc(request: Uint8Array): Promise<Uint8Array>;
  /** A transport to the KDC proxy at `url` (MS-KKDCP), traced as `from`. */
  kdcProxyTransport(url: string, from: string): KdcTransport;
  /** The missing lab step behind a KDC_ERR_S_PRINCIPAL_UNKNOWN for `spn` from `realm`, if one explains it. */
  explainSpnNotFound(spn: string, realm: string | undefined): SpnNotFoundCause | undefined;
}
