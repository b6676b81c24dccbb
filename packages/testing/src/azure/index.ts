/**
 * Azure SQL Managed Instance labs for property tests.
 *
 * @module
 */

export { arbAzureLab, arbOnPremRealm, arbSamAccountName } from './arbitrary';
export { AZURE_LAB_PASSWORD, type AzureLabWorld, buildAzureLab } from './build';
export type { AzureInstanceSpec, AzureLabSpec } from './spec';
