/**
 * `@krbsim/core`: the seams every krbsim package shares. The error base and
 * the RFC 4120 error codes, the NTSTATUS values of Windows KDCs, the IANA
 * etype and checksum-type registries, the
 * injected clock, the injected random source, and `concatBytes`.
 * It imports no other krbsim package.
 *
 * @packageDocumentation
 */

export { concatBytes, equalBytes } from './bytes';
export { type Clock, Duration, ManualClock, systemClock } from './clock';
export { DNS_LABEL_RULE, isDnsLabel, isDnsName } from './dns-name';
export { ERROR_BRAND, hasErrorBrand } from './error-brand';
export { errorText } from './error-text';
export { AddressType, ChecksumType, EncType } from './iana/enc-type';
export { ErrorCode, type ErrorCodeName, errorCodeName } from './iana/error-codes';
export { NtStatus, ntStatusName } from './iana/nt-status';
export { ipAddressBytes } from './ip-address';
export { isKerberosError, KerberosError, type KerberosErrorOptions } from './kerberos-error';
export { escapeControls, safeLogSink } from './log-sink';
export { type RandomSource, randomBytes, randomUInt31, SeededRandom, systemRandom } from './random';
export { withPlainFields, withSecretFields } from './secret-fields';
