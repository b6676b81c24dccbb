/**
 * `@krbsim/cli`: the `krbsim` command (`serve`, `decode`, `demo`) and the
 * pieces it is made of, for tests that want them in process: topology files
 * ({@link parseTopology}), serving them ({@link startTopology}) and the files
 * real tools need ({@link writeTopologyFiles}); Azure lab files
 * ({@link validateAzureLab}, `kind: azure-sql-mi`) and serving them
 * ({@link startAzureLab}); any file `krbsim serve` takes, or a built-in
 * name ({@link loadServeFile}).
 *
 * @packageDocumentation
 */

export {
  type AzureLabPorts,
  type RunningAzureLab,
  type StartAzureLabOptions,
  startAzureLab,
} from './azure-lab';
export {
  type AzureLabClientSpec,
  type AzureLabFile,
  type AzureLabGroupSpec,
  type AzureLabInstanceSpec,
  type AzureLabLoginSpec,
  type AzureLabUserSpec,
  validateAzureLab,
} from './azure-lab-file';
export { runCli, USAGE } from './cli';
export {
  type DecodeInputOptions,
  type DecodeJsonOptions,
  decodeCommand,
  decodeToJson,
  parseDecodeInput,
} from './decode';
export type { InputEncoding } from './decode-input';
export { builtInNames } from './examples';
export { type CliIo, ExitCode } from './io';
export type { ReplicaKdcs } from './replica';
export type { LoginLogEntry, LogLevel } from './request-log';
export { loadTopologyFile, serveCommand } from './serve';
export { loadServeFile, parseServeFile, type ServeFile } from './serve-file';
export {
  buildRealms,
  type KdcServerInfo,
  type PasswordChange,
  type RequestLogEntry,
  type RunningTopology,
  type StartTopologyOptions,
  startTopology,
} from './start-topology';
export {
  type ComputerSpec,
  type DelegationSpec,
  type GroupSpec,
  type PkinitSpec,
  type PolicySpec,
  parseTopology,
  type RealmFileSpec,
  type ServiceSpec,
  TopologyError,
  type TopologyFile,
  type TrustFileSpec,
  type UserSpec,
  validateTopology,
} from './topology';
export {
  capathsFor,
  kdcKeytabEntries,
  type PortsJson,
  type PortsJsonRealm,
  realmKeytabEntries,
  type ServedRealm,
  serviceKeytabEntries,
  spnFileName,
  type TopologyFilesInput,
  type TopologyWriteResult,
  topologyKrb5Conf,
  writeTopologyFiles,
} from './topology-files';
export type { TopologyCertificates } from './topology-pkinit';
