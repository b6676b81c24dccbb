/**
 * MS-TDS token stream registries: token types (section 2.2.7), DONE status
 * bits (2.2.7.6), ENVCHANGE types (2.2.7.9) and the data types this
 * package encodes (2.2.5.4).
 *
 * @module
 */

/** TokenType bytes. */
export const TdsToken = Object.freeze({
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  INFO: 0xab,
  LOGINACK: 0xad,
  FEATUREEXTACK: 0xae,
  ROW: 0xd1,
  ENVCHANGE: 0xe3,
  SSPI: 0xed,
  DONE: 0xfd,
  DONEPROC: 0xfe,
  DONEINPROC: 0xff,
} as const);

/** DONE Status bits. */
export const DoneStatus = Object.freeze({
  FINAL: 0x0000,
  /** More results follow in this batch. */
  MORE: 0x0001,
  /** The statement failed. */
  ERROR: 0x0002,
  /** A transaction is in progress. */
  INXACT: 0x0004,
  /** DoneRowCount is valid. */
  COUNT: 0x0010,
  /** The acknowledgement of an ATTENTION. */
  ATTN: 0x0020,
  /** A severe error: the results so far are to be discarded. */
  SRVERROR: 0x0100,
} as const);

/** ENVCHANGE Type values this package writes and reads. */
export const EnvChangeType = Object.freeze({
  DATABASE: 1,
  LANGUAGE: 2,
  CHARSET: 3,
  PACKET_SIZE: 4,
  /** B_VARBYTE values: the 5-byte collation. */
  SQL_COLLATION: 7,
  BEGIN_TRANSACTION: 8,
  COMMIT_TRANSACTION: 9,
  ROLLBACK_TRANSACTION: 10,
  /** A DTC transaction the session enlisted in: its 8-byte descriptor the NewValue. */
  ENLIST_DTC_TRANSACTION: 11,
  /** The session left its DTC transaction: its descriptor the OldValue. */
  DEFECT_TRANSACTION: 12,
  /** Promote Transaction: an L_VARBYTE NewValue (the DTC token), an empty B_VARBYTE OldValue. */
  PROMOTE_TRANSACTION: 15,
  /** The answer to TM_GET_DTC_ADDRESS. */
  TRANSACTION_MANAGER_ADDRESS: 16,
  /** A transaction ended otherwise than by this session's COMMIT or ROLLBACK: its descriptor the OldValue. */
  TRANSACTION_ENDED: 17,
  RESET_CONNECTION_ACK: 18,
  /** The instance's real name (Azure SQL). */
  USER_INSTANCE: 19,
  /** Routing (Azure SQL's redirection): a US_VARBYTE of RoutingData, an empty US_VARBYTE OldValue. */
  ROUTING: 20,
} as const);

/** Data types (TYPE_INFO) of the columns this package writes. */
export const DataType = Object.freeze({
  /** INT4: a fixed 4-byte integer. */
  INT4: 0x38,
  /** INTN: a nullable integer with a 1-byte length (0, 1, 2, 4 or 8). */
  INTN: 0x26,
  /** NVARCHAR: USHORTLEN, a collation, UTF-16LE; 0xFFFF is NULL. */
  NVARCHAR: 0xe7,
  /** BIGVARCHR (VARCHAR): USHORTLEN, a collation, bytes in the collation's code page; 0xFFFF is NULL. */
  BIGVARCHR: 0xa7,
} as const);
