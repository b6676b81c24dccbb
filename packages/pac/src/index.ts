/**
 * `@krbsim/pac`: the Windows Privilege Attribute Certificate (MS-PAC) as
 * typed values, with a strict, bounded, byte-exact codec (little-endian NDR,
 * MS-RPCE type serialization version 1) and the PAC's signatures.
 *
 * - {@link decodePac} / {@link encodePac}: PACTYPE and every buffer a
 *   Windows KDC writes (KERB_VALIDATION_INFO, PAC_CLIENT_INFO,
 *   UPN_DNS_INFO, PAC_ATTRIBUTES_INFO, PAC_REQUESTOR, S4U_DELEGATION_INFO,
 *   PAC_SIGNATURE_DATA); other buffers are kept as bytes. Every failure is a
 *   {@link PacError} with a field path. {@link parsePac} reads only the
 *   directory, as MIT's `krb5_pac_parse` does, and keeps every buffer as
 *   bytes, which {@link getPacBuffer} decodes when asked.
 * - PAC_CREDENTIAL_INFO (MS-PAC 2.6), which stays bytes in a decoded PAC:
 *   {@link sealPacCredentials} / {@link openPacCredentials} and the codecs of
 *   its PAC_CREDENTIAL_DATA and NTLM_SUPPLEMENTAL_CREDENTIAL.
 * - {@link signPac} / {@link verifyPac}, {@link signTicketPac} /
 *   {@link verifyTicketPac}: the server, KDC, ticket and extended KDC
 *   signatures (MS-PAC 2.8), with `@krbsim/crypto`'s checksums.
 * - {@link findPac}, {@link wrapPac}, {@link withPac}, {@link withoutPac}: the PAC in a ticket's
 *   authorization data (AD-IF-RELEVANT holding AD-WIN2K-PAC).
 * - SIDs ({@link parseSid}, {@link formatSid}), FILETIMEs, and the
 *   registries: buffer types, SID attributes, user flags, well-known SIDs
 *   and RIDs.
 *
 * @packageDocumentation
 */

export {
  createPacAttributesInfo,
  decodePacAttributesInfo,
  decodePacRequestor,
  encodePacAttributesInfo,
  encodePacRequestor,
  type PacAttributesInfo,
  type PacRequestor,
} from './buffers/attributes';
export {
  createPacClientInfo,
  decodePacClientInfo,
  encodePacClientInfo,
  type PacClientInfo,
} from './buffers/client-info';
export {
  decodeNtlmSupplementalCredential,
  decodePacCredentialData,
  decodePacCredentialInfo,
  encodeNtlmSupplementalCredential,
  encodePacCredentialData,
  encodePacCredentialInfo,
  NtlmCredentialFlags,
  type NtlmSupplementalCredential,
  ntlmSupplementalCred,
  openPacCredentials,
  type PacCredentialData,
  type PacCredentialInfo,
  type SecPkgSupplementalCred,
  sealPacCredentials,
} from './buffers/credential-info';
export {
  decodeS4uDelegationInfo,
  encodeS4uDelegationInfo,
  type S4uDelegationInfo,
} from './buffers/delegation-info';
export {
  createKerbValidationInfo,
  decodeKerbValidationInfo,
  encodeKerbValidationInfo,
  type GroupMembership,
  type KerbSidAndAttributes,
  type KerbValidationInfo,
  type KerbValidationInfoInit,
  type SidAndAttributes,
  validationInfoSids,
} from './buffers/logon-info';
export {
  decodePacSignatureData,
  encodePacSignatureData,
  type PacSignatureData,
} from './buffers/signature';
export {
  createUpnDnsInfo,
  decodeUpnDnsInfo,
  encodeUpnDnsInfo,
  type UpnDnsInfo,
  type UpnDnsLayout,
} from './buffers/upn-dns-info';
export { isPacError, PacError, type PacErrorOptions, type PacSignatureKind } from './errors';
export { FILETIME_NEVER, FILETIME_NOT_SET, fileTimeFromMillis, fileTimeToMillis } from './filetime';
export { PacBufferType } from './iana/buffer-type';
export {
  PacAttributesFlags,
  SE_GROUP_DEFAULT,
  SeGroupAttributes,
  UpnDnsFlags,
  UserAccountControl,
  UserFlags,
} from './iana/flags';
export { WellKnownRid, WellKnownSid } from './iana/well-known-sids';
export type { NdrForm, NdrPadding } from './ndr/serialization';
export {
  DEFAULT_MAX_PAC_BYTES,
  type DecodedPacBufferType,
  type DecodePacOptions,
  decodePac,
  encodePac,
  getPacBuffer,
  isDecodedPacBufferType,
  type KnownPacBuffer,
  type Pac,
  type PacBuffer,
  type PacBufferValues,
  parsePac,
  type RawPacBuffer,
  updatePacBuffer,
} from './pac';
export {
  decodeSid,
  encodeSid,
  formatSid,
  parseSid,
  type Sid,
  sidEquals,
  sidWithRid,
  splitSid,
} from './sid';
export {
  type PacSigningKeys,
  type PacVerificationKeys,
  type SignedPac,
  type SignedTicketPac,
  type SignPacOptions,
  type SignTicketPacOptions,
  signPac,
  signTicketPac,
  type VerifyPacOptions,
  type VerifyTicketPacOptions,
  verifyPac,
  verifyTicketPac,
} from './sign';
export {
  findPac,
  hasTicketSignature,
  type PacLocation,
  ticketSignatureData,
  unwrapPac,
  withoutPac,
  withPac,
  wrapPac,
} from './ticket';
