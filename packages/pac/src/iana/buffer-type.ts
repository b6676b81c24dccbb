/**
 * PAC buffer types: the `ulType` of a PAC_INFO_BUFFER (MS-PAC section 2.4).
 * A leaf module.
 *
 * Names follow MIT krb5's `KRB5_PAC_*` constants, which follow the spec's
 * table: PRIVSVR_CHECKSUM is MS-PAC's "KDC (privilege server) checksum",
 * FULL_CHECKSUM its "extended KDC (privilege server) checksum". (MS-PAC has
 * renumbered the subsections of 2.8 as signatures were added, so comments
 * here cite 2.8 and the signature's name.)
 *
 * @module
 */

export const PacBufferType = {
  /** KERB_VALIDATION_INFO, logon information (2.5). */
  LOGON_INFO: 1,
  /** PAC_CREDENTIAL_INFO, encrypted credentials (2.6). Kept as bytes. */
  CREDENTIALS_INFO: 2,
  /** Server signature, PAC_SIGNATURE_DATA (2.8). */
  SERVER_CHECKSUM: 6,
  /** KDC (privilege server) signature, PAC_SIGNATURE_DATA (2.8). */
  PRIVSVR_CHECKSUM: 7,
  /** PAC_CLIENT_INFO, client name and ticket information (2.7). */
  CLIENT_INFO: 10,
  /** S4U_DELEGATION_INFO, constrained delegation information (2.9). */
  DELEGATION_INFO: 11,
  /** UPN_DNS_INFO, user principal name and DNS information (2.10). */
  UPN_DNS_INFO: 12,
  /** PAC_CLIENT_CLAIMS_INFO (2.11). Kept as bytes. */
  CLIENT_CLAIMS_INFO: 13,
  /** PAC_DEVICE_INFO (2.12). Kept as bytes. */
  DEVICE_INFO: 14,
  /** PAC_DEVICE_CLAIMS_INFO (2.13). Kept as bytes. */
  DEVICE_CLAIMS_INFO: 15,
  /** Ticket signature, PAC_SIGNATURE_DATA (2.8; CVE-2020-17049). */
  TICKET_CHECKSUM: 16,
  /** PAC_ATTRIBUTES_INFO (2.14). */
  ATTRIBUTES_INFO: 17,
  /** PAC_REQUESTOR, the requestor's SID (2.15; CVE-2021-42287). */
  REQUESTOR: 18,
  /** Extended KDC (privilege server) signature over the full PAC (2.8; CVE-2022-37967). */
  FULL_CHECKSUM: 19,
} as const;

/** The spec's structure name for each buffer type: used in error paths. */
export const PAC_BUFFER_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'KERB_VALIDATION_INFO',
  2: 'PAC_CREDENTIAL_INFO',
  6: 'PAC_SIGNATURE_DATA(server)',
  7: 'PAC_SIGNATURE_DATA(kdc)',
  10: 'PAC_CLIENT_INFO',
  11: 'S4U_DELEGATION_INFO',
  12: 'UPN_DNS_INFO',
  13: 'PAC_CLIENT_CLAIMS_INFO',
  14: 'PAC_DEVICE_INFO',
  15: 'PAC_DEVICE_CLAIMS_INFO',
  16: 'PAC_SIGNATURE_DATA(ticket)',
  17: 'PAC_ATTRIBUTES_INFO',
  18: 'PAC_REQUESTOR',
  19: 'PAC_SIGNATURE_DATA(full)',
};
