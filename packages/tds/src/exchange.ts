/**
 * What a TDS listener reports of each message a client sent and the
 * server's answer to it (`ServeTdsOptions.onExchange`), so a caller can
 * trace a connection: the bytes are the TDS packets as the two endpoints
 * see them, in the clear. A message that crossed the wire inside TLS (the
 * LOGIN7 of a `login-only` session, every message of a `required` one) is
 * reported decrypted, as a capture decrypted with the TLS key log shows
 * it; the TLS handshake records carried in PRELOGIN packets are not
 * reported (MS-TDS section 3.2.5.2).
 *
 * @module
 */

import { TdsPacketType } from './iana/packet';

/** One client message and the server's answer, on one connection. */
export interface TdsExchange {
  /** The connection, unique per listener (1, 2, ...). */
  readonly connection: number;
  /** The client's address and port, as the listener saw them (`127.0.0.1:53312`). */
  readonly client: string;
  /** The client's message: its packets, headers included, decrypted. */
  readonly request: Uint8Array;
  /** `PRELOGIN`, `LOGIN7`, `SSPI`, `SQL batch`, `ATTENTION`, ... (see {@link tdsMessageName}). */
  readonly requestType: string;
  /** Whether the request crossed the wire inside TLS. */
  readonly requestInTls: boolean;
  /** The security token the request carried (LOGIN7's SSPI field, an SSPI message's payload). */
  readonly sspi?: Uint8Array;
  /** The server's answer, its packets decrypted; absent when the connection closed first. */
  readonly reply?: Uint8Array;
  /** What the answer is: `PRELOGIN`, `LOGINACK`, `SSPI`, `ERROR 18456`, `result`, `DONE`. */
  readonly replyType?: string;
  /** Whether the answer crossed the wire inside TLS. */
  readonly replyInTls?: boolean;
  /** The security token the answer carried (the AP-REP with LOGINACK, a continuation's token). */
  readonly responseToken?: Uint8Array;
  /** Why there is no answer (the connection closed: a protocol error, the client went away). */
  readonly error?: string;
}

const NAMES: Readonly<Record<number, string>> = {
  [TdsPacketType.SQL_BATCH]: 'SQL batch',
  [TdsPacketType.PRE_TDS7_LOGIN]: 'pre-TDS7 login',
  [TdsPacketType.RPC]: 'RPC',
  [TdsPacketType.TABULAR_RESULT]: 'tabular result',
  [TdsPacketType.ATTENTION]: 'ATTENTION',
  [TdsPacketType.BULK_LOAD]: 'bulk load',
  [TdsPacketType.FEDAUTH_TOKEN]: 'federated authentication token',
  [TdsPacketType.TRANSACTION_MANAGER]: 'transaction manager request',
  [TdsPacketType.LOGIN7]: 'LOGIN7',
  [TdsPacketType.SSPI]: 'SSPI',
  [TdsPacketType.PRELOGIN]: 'PRELOGIN',
};

/** The name of a message by its packet Type byte (section 2.2.3.1.1): `LOGIN7`, or `type 0x2a`. */
export function tdsMessageName(type: number): string {
  return NAMES[type] ?? `type 0x${type.toString(16).padStart(2, '0')}`;
}
