/**
 * Authorization data types: RFC 4120 section 7.5.4, RFC 6113, MS-KILE and
 * MS-PAC. A leaf module.
 *
 * @module
 */

export const AdType = {
  AD_IF_RELEVANT: 1,
  AD_INTENDED_FOR_SERVER: 2,
  AD_INTENDED_FOR_APPLICATION_CLASS: 3,
  AD_KDC_ISSUED: 4,
  AD_AND_OR: 5,
  AD_MANDATORY_TICKET_EXTENSIONS: 6,
  AD_IN_TICKET_EXTENSIONS: 7,
  AD_MANDATORY_FOR_KDC: 8,
  AD_INITIAL_VERIFIED_CAS: 9,
  AD_OSF_DCE: 64,
  AD_SESAME: 65,
  AD_OSF_DCE_PKI_CERTID: 66,
  AD_AUTHENTICATION_STRENGTH: 70,
  AD_FX_FAST_ARMOR: 71,
  AD_FX_FAST_USED: 72,
  // MIT's KDC-issued types (krb5.h): the CAMMAC, authentication indicators, and AD-SIGNTICKET.
  AD_CAMMAC: 96,
  AD_AUTHENTICATION_INDICATOR: 97,
  AD_WIN2K_PAC: 128,
  AD_ETYPE_NEGOTIATION: 129,
  AD_SIGNTICKET: 512,
  // MS-KILE 2.2.4 to 2.2.8 (142, KERB-LOCAL, is KERB_AUTH_DATA_LOOPBACK in its later revisions)
  KERB_AUTH_DATA_TOKEN_RESTRICTIONS: 141,
  KERB_LOCAL: 142,
  AD_AUTH_DATA_AP_OPTIONS: 143,
  KERB_AUTH_DATA_CLIENT_TARGET: 144,
} as const;

/**
 * KERB-AP-OPTIONS (MS-KILE 2.2.8): the little-endian 32-bit value of an
 * AD-AUTH-DATA-AP-OPTIONS element in an authenticator.
 */
export const KerbApOptions = {
  /** The client is aware of channel bindings: bindings it leaves empty mean none, to be refused where the acceptor has a channel. */
  CBT: 0x4000,
  /** The target name was not verified (from an unauthenticated source such as DNS). */
  UNVERIFIED_TARGET_NAME: 0x8000,
} as const;
