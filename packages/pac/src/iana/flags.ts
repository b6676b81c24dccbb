/**
 * The bit fields the PAC carries, as the specs name them. A leaf module.
 *
 * - SID attributes: MS-PAC 2.2.1 (KERB_SID_AND_ATTRIBUTES.Attributes) and
 *   2.2.2 (GROUP_MEMBERSHIP.Attributes), the SE_GROUP_* token attributes;
 * - KERB_VALIDATION_INFO.UserFlags: MS-PAC 2.5, named as MS-NRPC 2.2.1.4.11
 *   names them (LOGON_*);
 * - KERB_VALIDATION_INFO.UserAccountControl: MS-SAMR 2.2.1.12 (USER_*);
 * - UPN_DNS_INFO.Flags: MS-PAC 2.10;
 * - PAC_ATTRIBUTES_INFO.Flags: MS-PAC 2.14.
 *
 * Values are unsigned 32-bit numbers.
 *
 * @module
 */

/** SID attribute bits (SE_GROUP_*), MS-PAC 2.2.1. */
export const SeGroupAttributes = {
  /** A: the group is mandatory and cannot be disabled. */
  MANDATORY: 0x00000001,
  /** B: enabled by default. */
  ENABLED_BY_DEFAULT: 0x00000002,
  /** C: enabled. */
  ENABLED: 0x00000004,
  /** D: can be assigned as an owner. */
  OWNER: 0x00000008,
  /** Deny-only SID (not used in PACs). */
  USE_FOR_DENY_ONLY: 0x00000010,
  /** Mandatory integrity SID (tokens; not used in PACs). */
  INTEGRITY: 0x00000020,
  INTEGRITY_ENABLED: 0x00000040,
  /** E: a domain-local or resource group. */
  RESOURCE: 0x20000000,
  /** A logon session SID (tokens; not used in PACs). */
  LOGON_ID: 0xc0000000,
} as const;

/**
 * The attributes a Windows DC gives an ordinary group in a PAC:
 * MANDATORY | ENABLED_BY_DEFAULT | ENABLED (7).
 */
export const SE_GROUP_DEFAULT = 0x00000007;

/** KERB_VALIDATION_INFO.UserFlags, MS-PAC 2.5 (MS-NRPC 2.2.1.4.11 names). */
export const UserFlags = {
  /** A: authenticated as the guest account. */
  LOGON_GUEST: 0x00000001,
  /** B: no encryption available (no session key). */
  LOGON_NOENCRYPTION: 0x00000002,
  LOGON_CACHED_ACCOUNT: 0x00000004,
  /** C: the LAN Manager key was used. */
  LOGON_USED_LM_PASSWORD: 0x00000008,
  /** D: ExtraSids is populated. */
  LOGON_EXTRA_SIDS: 0x00000020,
  /** E: the session key came from a sub-authentication package. */
  LOGON_SUBAUTH_SESSION_KEY: 0x00000040,
  /** F: a machine (server trust) account. */
  LOGON_SERVER_TRUST_ACCOUNT: 0x00000080,
  /** G: the DC understands NTLMv2. */
  LOGON_NTLMV2_ENABLED: 0x00000100,
  /** H: ResourceGroupIds is populated. */
  LOGON_RESOURCE_GROUPS: 0x00000200,
  /** I: ProfilePath is populated. */
  LOGON_PROFILE_PATH_RETURNED: 0x00000400,
  LOGON_NT_V2: 0x00000800,
  LOGON_LM_V2: 0x00001000,
  LOGON_NTLM_V2: 0x00002000,
} as const;

/** KERB_VALIDATION_INFO.UserAccountControl: the USER_* bits of MS-SAMR 2.2.1.12. */
export const UserAccountControl = {
  USER_ACCOUNT_DISABLED: 0x00000001,
  USER_HOME_DIRECTORY_REQUIRED: 0x00000002,
  USER_PASSWORD_NOT_REQUIRED: 0x00000004,
  USER_TEMP_DUPLICATE_ACCOUNT: 0x00000008,
  USER_NORMAL_ACCOUNT: 0x00000010,
  USER_MNS_LOGON_ACCOUNT: 0x00000020,
  USER_INTERDOMAIN_TRUST_ACCOUNT: 0x00000040,
  USER_WORKSTATION_TRUST_ACCOUNT: 0x00000080,
  USER_SERVER_TRUST_ACCOUNT: 0x00000100,
  USER_DONT_EXPIRE_PASSWORD: 0x00000200,
  USER_ACCOUNT_AUTO_LOCKED: 0x00000400,
  USER_ENCRYPTED_TEXT_PASSWORD_ALLOWED: 0x00000800,
  USER_SMARTCARD_REQUIRED: 0x00001000,
  USER_TRUSTED_FOR_DELEGATION: 0x00002000,
  USER_NOT_DELEGATED: 0x00004000,
  USER_USE_DES_KEY_ONLY: 0x00008000,
  USER_DONT_REQUIRE_PREAUTH: 0x00010000,
  USER_PASSWORD_EXPIRED: 0x00020000,
  USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: 0x00040000,
  USER_NO_AUTH_DATA_REQUIRED: 0x00080000,
  USER_PARTIAL_SECRETS_ACCOUNT: 0x00100000,
  USER_USE_AES_KEYS: 0x00200000,
} as const;

/** UPN_DNS_INFO.Flags, MS-PAC 2.10. */
export const UpnDnsFlags = {
  /** U: the account has no userPrincipalName; the UPN was constructed (name@dnsdomain). */
  UPN_CONSTRUCTED: 0x00000001,
  /** S: the extended form, with SamName and Sid. */
  HAS_SAM_NAME_AND_SID: 0x00000002,
} as const;

/** PAC_ATTRIBUTES_INFO.Flags, MS-PAC 2.14. */
export const PacAttributesFlags = {
  /** The client asked for the PAC (PA-PAC-REQUEST / PA-PAC-OPTIONS). */
  PAC_WAS_REQUESTED: 0x00000001,
  /** The client neither asked for nor declined a PAC and got one anyway. */
  PAC_WAS_GIVEN_IMPLICITLY: 0x00000002,
} as const;
