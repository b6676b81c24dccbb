/**
 * MS-TDS PRELOGIN registries (section 2.2.6.5): the option tokens and the
 * ENCRYPTION values.
 *
 * @module
 */

/** PL_OPTION_TOKEN values. */
export const PreloginOption = Object.freeze({
  /** UL_VERSION and US_SUBBUILD: 6 bytes. */
  VERSION: 0x00,
  /** B_FENCRYPTION: 1 byte, an {@link Encryption} value. */
  ENCRYPTION: 0x01,
  /** B_INSTVALIDITY: the instance name, NUL-terminated (the server answers 0x00 for a match). */
  INSTOPT: 0x02,
  /** UL_THREADID: 4 bytes (or empty in a server's answer). */
  THREADID: 0x03,
  /** B_MARS: 1 byte. */
  MARS: 0x04,
  /** GUID_CONNID, ACTIVITYID: 36 bytes (TDS 7.4). */
  TRACEID: 0x05,
  /** B_FEDAUTHREQUIRED: 1 byte (TDS 7.4). */
  FEDAUTHREQUIRED: 0x06,
  /** NONCE: 32 bytes. */
  NONCEOPT: 0x07,
  TERMINATOR: 0xff,
} as const);

/** B_FENCRYPTION values. The high bit (0x80, ENCRYPT_CLIENT_CERT) asks for certificate authentication. */
export const Encryption = Object.freeze({
  /** Encryption is available but off: only LOGIN7 travels in TLS. */
  OFF: 0x00,
  /** Encryption is available and on: the whole session in TLS. */
  ON: 0x01,
  /** Encryption is not available. */
  NOT_SUP: 0x02,
  /** Encryption is required: the whole session in TLS. */
  REQ: 0x03,
  /**
   * What TDS 8.0 clients send inside their TLS session (go-mssqldb's `encryptStrict`). MS-TDS
   * 2.2.6.5 names no such value: in TDS 8.0 the client's value is ignored, TLS being set up already.
   */
  STRICT: 0x04,
  /** Bit: the client authenticates with a certificate (TDS 7.4+). Not served. */
  CLIENT_CERT: 0x80,
} as const);

/** TDS 8.0's ALPN protocol ID (MS-TDS 1.9): the TLS that comes before any TDS message offers it. */
export const TDS8_ALPN = 'tds/8.0';
