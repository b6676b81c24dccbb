/**
 * What the lab's clients and instances need from the lab: time, randomness,
 * the trace, the two realms, and the KDC proxy.
 *
 * @module
 */

import type { Clock, RandomSource } from '@krbsim/core';
import type { KdcTransport, Trace } from '@krbsim/transport';
import type { OnPremDomain } from './on-prem-domain';
import type { AzureAdTenant } from './tenant';

/** The lab, as its clients see it. */
export interface LabHost {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly trace: Trace;
  readonly onPrem: OnPremDomain;
  readonly tenant: AzureAdTenant;
  /** A transport to the KDC proxy at `url` (MS-KKDCP), traced as `from`. */
  kdcProxyTransport(url: string, from: string): KdcTransport;
}
