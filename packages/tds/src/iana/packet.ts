/**
 * MS-TDS packet header registries: the Type byte (section 2.2.3.1.1) and
 * the Status bits (section 2.2.3.1.2).
 *
 * @module
 */

/** The Type byte of a packet header: which message the packet belongs to. */
export const TdsPacketType = Object.freeze({
  /** SQL batch: ALL_HEADERS then UTF-16LE text. */
  SQL_BATCH: 0x01,
  /** Pre-TDS7 login; not served. */
  PRE_TDS7_LOGIN: 0x02,
  RPC: 0x03,
  /** Tabular result: every server message. */
  TABULAR_RESULT: 0x04,
  /** Attention signal: cancel the running request. */
  ATTENTION: 0x06,
  BULK_LOAD: 0x07,
  FEDAUTH_TOKEN: 0x08,
  TRANSACTION_MANAGER: 0x0e,
  LOGIN7: 0x10,
  /** An SSPI token of a login that needs more than one leg. */
  SSPI: 0x11,
  /** PRELOGIN, and the TLS handshake records it carries (section 3.2.5.2). */
  PRELOGIN: 0x12,
} as const);

/** The Status bits of a packet header. */
export const TdsPacketStatus = Object.freeze({
  NORMAL: 0x00,
  /** End of message: the last packet of a message. */
  EOM: 0x01,
  /** The client asks the server to ignore this message (with EOM). */
  IGNORE: 0x02,
  /** Reset the connection before this request (client to server only). */
  RESET_CONNECTION: 0x08,
  /** Reset the connection, keeping the transaction state (client to server only). */
  RESET_CONNECTION_SKIP_TRAN: 0x10,
} as const);
