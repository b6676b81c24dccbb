/**
 * MS-TDS registries: packet types (section 2.2.3.1.1), packet status bits
 * (2.2.3.1.2), token types (2.2.4.2), ENVCHANGE types (2.2.7.9) and the
 * PRELOGIN option tokens and encryption values (2.2.6.5).
 *
 * @module
 */

/** The Type byte of a packet header. */
export const TdsPacketType = Object.freeze({
  SQL_BATCH: 0x01,
  RPC: 0x03,
  TABULAR_RESULT: 0x04,
  ATTENTION: 0x06,
  BULK_LOAD: 0x07,
  TRANSACTION_MANAGER: 0x0e,
  LOGIN7: 0x10,
  SSPI: 0x11,
  PRELOGIN: 0x12,
} as const);

/** The Status bits of a packet header. */
export const TdsPacketStatus = Object.freeze({
  NORMAL: 0x00,
  /** End of message: the last packet of a message. */
  EOM: 0x01,
  IGNORE: 0x02,
  RESET_CONNECTION: 0x08,
} as const);

/** Token types of the tabular result stream. */
export const TdsToken = Object.freeze({
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  INFO: 0xab,
  LOGINACK: 0xad,
  ROW: 0xd1,
  ENVCHANGE: 0xe3,
  SSPI: 0xed,
  DONE: 0xfd,
} as const);

/** ENVCHANGE types. */
export const EnvChangeType = Object.freeze({
  DATABASE: 1,
  LANGUAGE: 2,
  PACKET_SIZE: 4,
  SQL_COLLATION: 7,
} as const);

/** PRELOGIN option tokens. */
export const PreloginOption = Object.freeze({
  VERSION: 0x00,
  ENCRYPTION: 0x01,
  INSTOPT: 0x02,
  THREADID: 0x03,
  MARS: 0x04,
  TRACEID: 0x05,
  FEDAUTHREQUIRED: 0x06,
  NONCEOPT: 0x07,
  TERMINATOR: 0xff,
} as const);

/** PRELOGIN ENCRYPTION values. */
export const Encryption = Object.freeze({
  /** Encryption available but off: only LOGIN7 travels in TLS. */
  OFF: 0x00,
  ON: 0x01,
  NOT_SUP: 0x02,
  REQ: 0x03,
} as const);

/** DONE status bits. */
export const DoneStatus = Object.freeze({
  FINAL: 0x0000,
  MORE: 0x0001,
  ERROR: 0x0002,
  COUNT: 0x0010,
} as const);
