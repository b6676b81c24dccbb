/**
 * `@krbsim/tds`: the wire endpoint of an emulated SQL Server (MS-TDS 7.4).
 * PRELOGIN with the encryption negotiation and TLS inside PRELOGIN packets,
 * LOGIN7 with integrated security (a Kerberos or SPNEGO token in the SSPI
 * field, the AP-REP back in an SSPI token), LOGINACK with the ENVCHANGE,
 * INFO and DONE tokens a client expects, the product's login errors, a
 * few statements that show who logged in, and transactions begun and ended
 * by SQL or by transaction manager requests. It is not a database.
 *
 * The package knows TDS and TLS, not Kerberos: a login's token goes to the
 * `authenticate` callback of {@link serveTds}, which accepts it (for the
 * emulated managed instance, `@krbsim/azure` through `@krbsim/service`).
 *
 * @packageDocumentation
 */

export {
  type ConnectTdsOptions,
  connectTds,
  type TdsBatchResult,
  type TdsClient,
  type TdsClientEncryption,
  type TdsClientLogin,
  type TdsLoginResult,
  type TdsResultSet,
} from './client';
export { isTdsError, TdsError, type TdsErrorReason } from './errors';
export { type TdsExchange, tdsMessageName } from './exchange';
export { FeatureId, OptionFlags1, OptionFlags2, OptionFlags3, TdsVersion, TypeFlags } from './iana/login7';
export { TdsPacketStatus, TdsPacketType } from './iana/packet';
export { Encryption, PreloginOption, TDS8_ALPN } from './iana/prelogin';
export { DataType, DoneStatus, EnvChangeType, TdsToken } from './iana/tokens';
export { IsolationLevel, TransactionManagerRequestType } from './iana/transaction-manager';
export {
  DEFAULT_MAX_SSPI_BYTES,
  decodeLogin7,
  encodeLogin7,
  type Login7,
  type Login7Feature,
  type Login7Init,
  MAX_LOGIN7_BYTES,
} from './login7';
export { type EncryptionMode, negotiateEncryption, negotiateTdsVersion } from './negotiate';
export {
  DEFAULT_PACKET_SIZE,
  decodePacketHeader,
  type EncodePacketsOptions,
  encodePacketHeader,
  encodePackets,
  MAX_PACKET_SIZE,
  MIN_PACKET_SIZE,
  PACKET_HEADER_BYTES,
  type PacketLimits,
  PacketReader,
  type PacketReaderOptions,
  type TdsMessage,
  type TdsPacketHeader,
} from './packet';
export { decodePrelogin, encodePrelogin, type Prelogin, type PreloginVersion } from './prelogin';
export {
  type ServeTdsOptions,
  serveTds,
  TDS_SERVER_DEFAULTS,
  type TdsAuthenticate,
  type TdsAuthRequest,
  type TdsAuthResult,
  type TdsServer,
  type TdsServerEncryption,
  type TdsSession,
} from './server';
export {
  AllHeadersType,
  decodeSqlBatch,
  encodeSqlBatch,
  type SqlBatch,
  type StreamHeader,
  type TransactionDescriptorHeader,
  transactionDescriptorOf,
} from './sql-batch';
export {
  cannotOpenDatabase,
  loginFailed,
  notRunByEmulator,
  type SqlError,
  untrustedDomain,
} from './sql-errors';
export { answerBatch, type SessionFacts, type StatementResult } from './sql-surface';
export { systemTdsTimers, type TdsTimers } from './timers';
export { type DecodeTokensOptions, decodeTokens } from './tokens/decode';
export { DEFAULT_COLLATION, encodeTokens } from './tokens/encode';
export type {
  Cell,
  ColMetadataToken,
  Column,
  DoneToken,
  EnvChangeToken,
  ErrorToken,
  FeatureExtAckToken,
  InfoToken,
  IntColumn,
  LoginAckToken,
  ProgVersion,
  RowToken,
  ServerMessage,
  SspiToken,
  StringColumn,
  TdsTokenValue,
  TokenContext,
} from './tokens/types';
export {
  decodeTransactionManagerRequest,
  encodeTransactionManagerRequest,
  type TransactionBegin,
  type TransactionManagerRequest,
  type TransMgrReq,
} from './transaction-manager';
