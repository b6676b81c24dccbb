/**
 * Principal name types: RFC 4120 section 6.2, plus NT-ENTERPRISE (RFC 6806
 * section 5) and the Microsoft additions (MS-KILE section 2.2.1). A leaf module.
 *
 * @module
 */

export const NameType = {
  NT_UNKNOWN: 0,
  NT_PRINCIPAL: 1,
  NT_SRV_INST: 2,
  NT_SRV_HST: 3,
  NT_SRV_XHST: 4,
  NT_UID: 5,
  NT_X500_PRINCIPAL: 6,
  NT_SMTP_NAME: 7,
  NT_ENTERPRISE: 10,
  NT_WELLKNOWN: 11,
  NT_SRV_HST_DOMAIN: 12,
  // MS-KILE 2.2.1
  NT_MS_PRINCIPAL: -128,
  NT_MS_PRINCIPAL_AND_ID: -129,
  NT_ENT_PRINCIPAL_AND_ID: -130,
} as const;
