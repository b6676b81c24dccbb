/**
 * Kerberos message types: RFC 4120 section 7.5.7 (the `msg-type` field and
 * the APPLICATION tag of each top-level message), plus the RFC 4120 section 5
 * application tags of the encrypted parts and the Ticket. A leaf module.
 *
 * @module
 */

/** `msg-type` values (RFC 4120 section 7.5.7). */
export const MsgType = {
  KRB_AS_REQ: 10,
  KRB_AS_REP: 11,
  KRB_TGS_REQ: 12,
  KRB_TGS_REP: 13,
  KRB_AP_REQ: 14,
  KRB_AP_REP: 15,
  KRB_RESERVED16: 16,
  KRB_RESERVED17: 17,
  KRB_SAFE: 20,
  KRB_PRIV: 21,
  KRB_CRED: 22,
  KRB_ERROR: 30,
} as const;

/**
 * APPLICATION tag numbers (RFC 4120 section 5 ASN.1 module). The top-level
 * messages share their number with their msg-type; the others are the
 * encrypted parts and building blocks that carry their own tag.
 */
export const AppTag = {
  Ticket: 1,
  Authenticator: 2,
  EncTicketPart: 3,
  AS_REQ: 10,
  AS_REP: 11,
  TGS_REQ: 12,
  TGS_REP: 13,
  AP_REQ: 14,
  AP_REP: 15,
  KRB_SAFE: 20,
  KRB_PRIV: 21,
  KRB_CRED: 22,
  EncASRepPart: 25,
  EncTGSRepPart: 26,
  EncAPRepPart: 27,
  EncKrbPrivPart: 28,
  EncKrbCredPart: 29,
  KRB_ERROR: 30,
} as const;
