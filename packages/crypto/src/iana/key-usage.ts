/**
 * Key usage numbers: RFC 4120 section 7.5.1, plus the usages later
 * specifications assigned (RFC 4121 GSS-API, RFC 6113 FAST, MS-KILE).
 *
 * The usage is folded into every derived key (RFC 3961 section 5.3), so a
 * ciphertext made for one purpose never decrypts for another.
 *
 * A leaf module: it imports nothing.
 *
 * @module
 */

/** Key usage numbers by their RFC names. */
export const KeyUsage = {
  // RFC 4120 section 7.5.1
  /** AS-REQ PA-ENC-TIMESTAMP padata timestamp, encrypted with the client key. */
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  /** AS-REP and TGS-REP Ticket, encrypted with the service key. */
  KDC_REP_TICKET: 2,
  /** AS-REP encrypted part, encrypted with the client key. */
  AS_REP_ENCPART: 3,
  /** TGS-REQ KDC-REQ-BODY AuthorizationData, encrypted with the TGS session key. */
  TGS_REQ_AD_SESSKEY: 4,
  /** TGS-REQ KDC-REQ-BODY AuthorizationData, encrypted with the TGS authenticator subkey. */
  TGS_REQ_AD_SUBKEY: 5,
  /** TGS-REQ PA-TGS-REQ AP-REQ Authenticator cksum, keyed with the TGS session key. */
  TGS_REQ_AUTH_CKSUM: 6,
  /** TGS-REQ PA-TGS-REQ AP-REQ Authenticator, encrypted with the TGS session key. */
  TGS_REQ_AUTH: 7,
  /** TGS-REP encrypted part, encrypted with the TGS session key. */
  TGS_REP_ENCPART_SESSKEY: 8,
  /** TGS-REP encrypted part, encrypted with the TGS authenticator subkey. */
  TGS_REP_ENCPART_SUBKEY: 9,
  /** AP-REQ Authenticator cksum, keyed with the application session key. */
  AP_REQ_AUTH_CKSUM: 10,
  /** AP-REQ Authenticator, encrypted with the application session key. */
  AP_REQ_AUTH: 11,
  /** AP-REP encrypted part, encrypted with the application session key. */
  AP_REP_ENCPART: 12,
  /** KRB-PRIV encrypted part. */
  KRB_PRIV_ENCPART: 13,
  /** KRB-CRED encrypted part. */
  KRB_CRED_ENCPART: 14,
  /** KRB-SAFE cksum. */
  KRB_SAFE_CKSUM: 15,
  /** MS-KILE: encryption of non-Kerberos data with a Kerberos key (RFC 4757 section 3). */
  KERB_NON_KERB_SALT: 16,
  /** MS-KILE: checksum of non-Kerberos data with a Kerberos key (PAC signatures, RFC 4757). */
  KERB_NON_KERB_CKSUM_SALT: 17,
  /** KRB-ERROR checksum (RFC 4120 section 5.9.1, as MIT numbers it). */
  KRB_ERROR_CKSUM: 18,
  /** AD-KDC-ISSUED checksum (RFC 4120 section 5.2.6.4). */
  AD_KDC_ISSUED_CKSUM: 19,

  // MS-SFU section 2.2.2 (S4U2Self by PA-S4U-X509-USER; MIT's numbering)
  /** PA-S4U-X509-USER checksum over the S4UUserID, keyed with the TGS subkey (else session key). */
  PA_S4U_X509_USER_REQUEST: 26,
  /** The KDC's echo of PA-S4U-X509-USER, keyed with the reply key, when the client set use-reply-key-usage. */
  PA_S4U_X509_USER_REPLY: 27,

  // RFC 4121 section 2 (Kerberos GSS-API mechanism)
  /** GSS Wrap tokens sealed by the acceptor. */
  KG_USAGE_ACCEPTOR_SEAL: 22,
  /** GSS MIC and Wrap tokens signed by the acceptor. */
  KG_USAGE_ACCEPTOR_SIGN: 23,
  /** GSS Wrap tokens sealed by the initiator. */
  KG_USAGE_INITIATOR_SEAL: 24,
  /** GSS MIC and Wrap tokens signed by the initiator. */
  KG_USAGE_INITIATOR_SIGN: 25,

  // RFC 8062 section 7 (anonymous PKINIT)
  /** PA-PKINIT-KX: the KDC's contribution to an anonymous ticket's session key, under the reply key. */
  KEY_USAGE_PA_PKINIT_KX: 44,

  // RFC 6113 section 5.4 (FAST)
  /** FAST: checksum over the request, keyed with the armor key. */
  KEY_USAGE_FAST_REQ_CHKSUM: 50,
  /** FAST: the encrypted KrbFastReq, under the armor key. */
  KEY_USAGE_FAST_ENC: 51,
  /** FAST: the encrypted KrbFastResponse, under the armor key. */
  KEY_USAGE_FAST_REP: 52,
  /** FAST: the KrbFastFinished ticket checksum. */
  KEY_USAGE_FAST_FINISHED: 53,
  /** FAST: encrypted challenge from the client (PA-ENCRYPTED-CHALLENGE). */
  KEY_USAGE_ENC_CHALLENGE_CLIENT: 54,
  /** FAST: encrypted challenge from the KDC (PA-ENCRYPTED-CHALLENGE). */
  KEY_USAGE_ENC_CHALLENGE_KDC: 55,
  /** FAST: AS-REQ checksum. */
  KEY_USAGE_AS_REQ: 56,
  /** Alias of {@link KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM}. */
  FAST_REQ_CHKSUM: 50,
  /** Alias of {@link KeyUsage.KEY_USAGE_FAST_ENC}. */
  FAST_ENC: 51,
  /** Alias of {@link KeyUsage.KEY_USAGE_FAST_REP}. */
  FAST_REP: 52,
  /** Alias of {@link KeyUsage.KEY_USAGE_FAST_FINISHED}. */
  FAST_FINISHED: 53,
  /** Alias of {@link KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT}. */
  ENC_CHALLENGE_CLIENT: 54,
  /** Alias of {@link KeyUsage.KEY_USAGE_ENC_CHALLENGE_KDC}. */
  ENC_CHALLENGE_KDC: 55,

  // RFC 4120 section 7.5.1: application usages
  /** Encryption for application protocols that define no usage of their own. */
  APP_DATA_ENCRYPT: 1024,
  /** Checksums for application protocols that define no usage of their own. */
  APP_DATA_CKSUM: 1025,
} as const;

/** The RFC name of a {@link KeyUsage} entry. */
export type KeyUsageName = keyof typeof KeyUsage;
