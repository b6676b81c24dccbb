/**
 * A generated {@link AzureLabSpec} turned into a running in-process lab of
 * `@krbsim/azure`: the users (password `Pa55w0rd!`), the instances with
 * every Windows-authentication prerequisite met, metadata mode `Windows` and
 * a Windows login per user, and the cloud trust when the spec asks for it.
 *
 * @module
 */

import {
  type AzureSqlMiLab,
  type AzureSqlMiLabOptions,
  createAzureSqlMiLab,
  downLevelLogonName,
  type ManagedInstance,
  type OnPremUser,
} from '@krbsim/azure';
import type { AzureLabSpec } from './spec';

/** The password of every generated user. */
export const AZURE_LAB_PASSWORD = 'Pa55w0rd!';

/** The running lab of a spec, index for index. */
export interface AzureLabWorld {
  readonly lab: AzureSqlMiLab;
  readonly users: readonly OnPremUser[];
  readonly instances: readonly ManagedInstance[];
}

/** Builds the lab a spec describes; `options` go to `createAzureSqlMiLab` (the spec's realm and seed win). */
export function buildAzureLab(spec: AzureLabSpec, options: AzureSqlMiLabOptions = {}): AzureLabWorld {
  const lab = createAzureSqlMiLab({ ...options, onPremRealm: spec.onPremRealm, seed: spec.seed });
  const users = spec.users.map((name) => lab.onPrem.addUser(name, { password: AZURE_LAB_PASSWORD }));
  const instances = spec.instances.map((m) => {
    const mi = lab.addManagedInstance(m);
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    for (const u of users) mi.createLogin(downLevelLogonName(u), 'WINDOWS');
    return mi;
  });
  if (spec.cloudTrust) lab.setupCloudTrust();
  return { lab, users, instances };
}
