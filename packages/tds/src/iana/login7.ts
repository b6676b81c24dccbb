/**
 * MS-TDS LOGIN7 registries (section 2.2.6.4): the TDS versions, the option
 * flag bits, and the FeatureExt feature ids (with FEATUREEXTACK, section
 * 2.2.7.11).
 *
 * @module
 */

/** TDSVersion values as LOGIN7 and LOGINACK carry them (LOGIN7 little-endian, LOGINACK big-endian). */
export const TdsVersion = Object.freeze({
  /**
   * SQL Server 2000 as released, TDS 7.1 before its revision: section 2.2.6.4's 0x00000071, which
   * lists the DWORD's bytes in wire order.
   */
  V7_1_REV0: 0x71000000,
  /** SQL Server 2000 SP1 (TDS 7.1 revision 1). */
  V7_1: 0x71000001,
  /** SQL Server 2005. */
  V7_2: 0x72090002,
  /** SQL Server 2008. */
  V7_3A: 0x730a0003,
  /** SQL Server 2008 R2. */
  V7_3B: 0x730b0003,
  /** SQL Server 2012 and later, Azure SQL. */
  V7_4: 0x74000004,
  /**
   * What some TDS 8.0 clients send (go-mssqldb in strict mode). MS-TDS 1.7: in TDS 8.0 the version
   * comes from the TLS handshake (ALPN) and LOGIN7's ought to be ignored; the session uses 7.4's forms.
   */
  V8_0: 0x08000000,
} as const);

/**
 * TDS 7.1 as SQL Server 2000 wrote it in LOGINACK (section 2.2.7.14), and as
 * some of its clients sent it in LOGIN7: the version's bytes reversed.
 */
export const TDS_7_1_SWAPPED = 0x07010000;

/** OptionFlags1 bits. */
export const OptionFlags1 = Object.freeze({
  /** fByteOrder: 1 = big-endian (68000). */
  BYTE_ORDER_68000: 0x01,
  /** fChar: 1 = EBCDIC. */
  CHAR_EBCDIC: 0x02,
  /** fFloat: 2 bits, IEEE 754 (0), VAX (1), ND5000 (2). */
  FLOAT_MASK: 0x0c,
  /** fDumpLoad: 1 = dump/load off. */
  DUMPLOAD_OFF: 0x10,
  /** fUseDB: warn on a database change. */
  USE_DB_ON: 0x20,
  /** fDatabase: a failed change to the initial database is fatal. */
  INIT_DB_FATAL: 0x40,
  /** fSetLang: warn on a language change. */
  SET_LANG_ON: 0x80,
} as const);

/** OptionFlags2 bits. */
export const OptionFlags2 = Object.freeze({
  /** fLanguage: a failed change to the initial language is fatal. */
  INIT_LANG_FATAL: 0x01,
  /** fODBC: the client is an ODBC driver. */
  ODBC_ON: 0x02,
  /** fUserType: 3 bits (normal 0, server 1, remote user 2, SQL replication 3). */
  USER_TYPE_MASK: 0x70,
  /** fIntSecurity: integrated security; the SSPI field carries the authentication token. */
  INTEGRATED_SECURITY_ON: 0x80,
} as const);

/** TypeFlags bits. */
export const TypeFlags = Object.freeze({
  /** fSQLType: 4 bits (0 = default SQL, 1 = T-SQL). */
  SQL_TYPE_MASK: 0x0f,
  /** fOLEDB: the client is an OLE DB provider. */
  OLEDB_ON: 0x10,
  /** fReadOnlyIntent (TDS 7.4). */
  READ_ONLY_INTENT: 0x20,
} as const);

/** OptionFlags3 bits. */
export const OptionFlags3 = Object.freeze({
  /** fChangePassword: the ChangePassword field holds a new password. */
  CHANGE_PASSWORD: 0x01,
  /** fSendYukonBinaryXML. */
  BINARY_XML: 0x02,
  /** fUserInstance: spawn a user instance. */
  USER_INSTANCE: 0x04,
  /** fUnknownCollationHandling. */
  UNKNOWN_COLLATION_HANDLING: 0x08,
  /** fExtension: ibExtension points to a 4-byte offset of the FeatureExt block. */
  EXTENSION: 0x10,
} as const);

/** FeatureExt FeatureId values. */
export const FeatureId = Object.freeze({
  SESSIONRECOVERY: 0x01,
  FEDAUTH: 0x02,
  COLUMNENCRYPTION: 0x04,
  GLOBALTRANSACTIONS: 0x05,
  AZURESQLSUPPORT: 0x08,
  DATACLASSIFICATION: 0x09,
  UTF8_SUPPORT: 0x0a,
  AZURESQLDNSCACHING: 0x0b,
  TERMINATOR: 0xff,
} as const);
