/**
 * `@krbsim/tds`: the wire endpoint of an emulated SQL Server (MS-TDS 7.4).
 * PRELOGIN with the encryption negotiation and TLS inside PRELOGIN packets,
 * LOGIN7 with integrated security (a Kerberos or SPNEGO token in the SSPI
 * field, the AP-REP back in an SSPI token), LOGINACK with the ENVCHANGE,
 * INFO and DONE tokens a client expects, the product's login errors, and a
 * few statements that show who logged in. It is not a database.
 *
 * @packageDocumentation
 */

export { TdsError, type TdsErrorReason } from './errors';
export {
  DoneStatus,
  Encryption,
  EnvChangeType,
  PreloginOption,
  TdsPacketStatus,
  TdsPacketType,
  TdsToken,
} from './iana/packet-type';
export { decodeLogin7, encodeLogin7, type Login7 } from './login7';
export { DEFAULT_PACKET_SIZE, encodePackets, PacketReader, type TdsMessage } from './packet';
export { decodePrelogin, encodePrelogin, type PreloginOptions } from './prelogin';
export {
  type ServeTdsOptions,
  serveTds,
  type TdsAuthenticate,
  type TdsLoginAccepted,
  type TdsLoginRefused,
  type TdsServer,
} from './server';
export { answerBatch, type QueryResult, type SessionFacts } from './sql-surface';
export type { Cell, Column, ServerMessage } from './tokens';
