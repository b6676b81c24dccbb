/**
 * MS-TDS transaction manager request registries (section 2.2.6.9): the
 * RequestType values and the ISOLATION_LEVEL values a begin carries.
 *
 * @module
 */

/** A transaction manager request's RequestType (USHORT); no other value is defined. */
export const TransactionManagerRequestType = Object.freeze({
  /** The DTC's network address, as a one-row result set (distributed transactions). */
  GET_DTC_ADDRESS: 0,
  /** Enlist in a DTC transaction, from an opaque buffer (distributed transactions). */
  PROPAGATE_XACT: 1,
  /** Begin a transaction, or count one more inside the open one. */
  BEGIN_XACT: 5,
  /** Turn the open local transaction into a distributed one (ENVCHANGE 15). */
  PROMOTE_XACT: 6,
  /** COMMIT, and with fBeginXact begin the next transaction. */
  COMMIT_XACT: 7,
  /** ROLLBACK, and with fBeginXact begin the next transaction. */
  ROLLBACK_XACT: 8,
  /** A savepoint in the open transaction (a name is required). */
  SAVE_XACT: 9,
} as const);

/** ISOLATION_LEVEL: the isolation level a begun transaction asks for; 0 leaves the session's as it is. */
export const IsolationLevel = Object.freeze({
  NO_CHANGE: 0x00,
  READ_UNCOMMITTED: 0x01,
  READ_COMMITTED: 0x02,
  REPEATABLE_READ: 0x03,
  SERIALIZABLE: 0x04,
  SNAPSHOT: 0x05,
} as const);
