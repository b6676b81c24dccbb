/**
 * The SQL Server errors this emulator sends, with the product's numbers,
 * classes, states and texts, so a driver reports them as it would the real
 * service's.
 *
 * @module
 */

import type { ServerMessage } from './tokens/types';

/** What an ERROR token says; the server adds its name, the procedure and the line. */
export type SqlError = Pick<ServerMessage, 'number' | 'state' | 'class' | 'msgText'>;

/**
 * 18456, class 14: the login is not allowed (no login maps to the
 * authenticated user, or SQL authentication, which this emulator does not
 * serve). Clients see state 1 whatever the reason, as SQL Server hides the
 * real state outside its error log.
 */
export function loginFailed(user: string): SqlError {
  return { number: 18456, state: 1, class: 14, msgText: `Login failed for user '${user}'.` };
}

/**
 * 18452, class 14: integrated authentication failed in the security
 * handshake (the ticket does not verify, is expired or replayed, the
 * clock is skewed, no key for the SPN), which SQL Server logs as 17806
 * "SSPI handshake failed"; also Windows authentication through a Redirect
 * connection to a managed instance.
 */
export function untrustedDomain(): SqlError {
  return {
    number: 18452,
    state: 1,
    class: 14,
    msgText:
      'Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.',
  };
}

/**
 * 4014, class 20: the stream from the client could not be read; the
 * connection closes. Sent when a client breaks the protocol after PRELOGIN,
 * with what was wrong.
 */
export function inputStreamError(detail: string): SqlError {
  return {
    number: 4014,
    state: 1,
    class: 20,
    msgText: `A fatal error occurred while reading the input stream from the network. The session will be terminated (${detail}).`,
  };
}

/**
 * 4060, class 11: the database a login asked for (LOGIN7's Database field)
 * cannot be opened. When the client made that fatal (OptionFlags1
 * fDatabase, which ODBC, SqlClient, JDBC and FreeTDS set), SQL Server sends
 * it before {@link loginFailed}'s 18456 and the connection closes.
 */
export function cannotOpenDatabase(name: string): SqlError {
  return {
    number: 4060,
    state: 1,
    class: 11,
    msgText: `Cannot open database "${name}" requested by the login. The login failed.`,
  };
}

/** 911, class 16: `USE` of a database the instance does not have. */
export function databaseDoesNotExist(name: string): SqlError {
  return {
    number: 911,
    state: 1,
    class: 16,
    msgText: `Database '${name}' does not exist. Make sure that the name is entered correctly.`,
  };
}

/**
 * 105, class 15: a string or a quoted name that does not end; `rest` is
 * the text after its opening quote (or bracket), to the end of the batch.
 */
export function unclosedQuotation(rest: string): SqlError {
  return {
    number: 105,
    state: 1,
    class: 15,
    msgText: `Unclosed quotation mark after the character string '${rest.slice(0, 100)}'.`,
  };
}

/** 113, class 15: a block comment (`/*`) that does not end. */
export function missingEndCommentMark(): SqlError {
  return { number: 113, state: 1, class: 15, msgText: "Missing end comment mark '*/'." };
}

/**
 * A syntax error near a token, as written: 156, class 15, for a reserved
 * keyword; 102, class 15, for anything else.
 */
export function incorrectSyntaxNear(token: string, keyword: boolean): SqlError {
  return keyword
    ? { number: 156, state: 1, class: 15, msgText: `Incorrect syntax near the keyword '${token}'.` }
    : { number: 102, state: 1, class: 15, msgText: `Incorrect syntax near '${token}'.` };
}

/** 103, class 15: an identifier longer than `max` (128) characters, named by its first `max`. */
export function identifierTooLong(name: string, max: number): SqlError {
  return {
    number: 103,
    state: 4,
    class: 15,
    msgText: `The identifier that starts with '${name.slice(0, max)}' is too long. Maximum length is ${max}.`,
  };
}

/** 1056, class 15: a SELECT list of more than 4096 elements. */
export function tooManySelectElements(max: number): SqlError {
  return {
    number: 1056,
    state: 1,
    class: 15,
    msgText: `The number of elements in the select list exceeds the maximum allowed number of ${max} elements.`,
  };
}

/** 3902, class 16: COMMIT with no transaction open. */
export function commitWithoutBegin(): SqlError {
  return {
    number: 3902,
    state: 1,
    class: 16,
    msgText: 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.',
  };
}

/** 3903, class 16: ROLLBACK with no transaction open. */
export function rollbackWithoutBegin(): SqlError {
  return {
    number: 3903,
    state: 1,
    class: 16,
    msgText: 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.',
  };
}

/**
 * 3989, class 16: a request whose ALL_HEADERS transaction descriptor (MS-TDS 2.2.5.3.2) is 0 while the
 * session has a transaction open; the request does not start. Drivers report it when they lost track of
 * a descriptor the server handed out in its ENVCHANGE BEGIN_TRANSACTION.
 */
export function requestWithoutTransactionDescriptor(): SqlError {
  return {
    number: 3989,
    state: 1,
    class: 16,
    msgText: 'New request is not allowed to start because it should come with valid transaction descriptor.',
  };
}

/**
 * 3971, class 16: a request whose transaction descriptor names a transaction that is not the session's
 * open one (one that ended, or none the server handed out); `descriptor` is the ULONGLONG it carried,
 * printed in hexadecimal as SQL Server prints it (`Desc:3500000021`). The request is not run.
 */
export function failedToResumeTransaction(descriptor: bigint): SqlError {
  return {
    number: 3971,
    state: 1,
    class: 16,
    msgText: `The server failed to resume the transaction. Desc:${descriptor.toString(16)}.`,
  };
}

/**
 * 3981, class 16: BEGIN, COMMIT or ROLLBACK TRANSACTION in a request whose OutstandingRequestCount
 * (MS-TDS 2.2.5.3.2) says other requests are active on the connection; without MARS there are none,
 * and a driver that counts otherwise gets this for each statement that would begin or end a transaction.
 */
export function transactionHasPendingRequests(): SqlError {
  return {
    number: 3981,
    state: 1,
    class: 16,
    msgText:
      'The transaction operation cannot be performed because there are pending requests working on this transaction.',
  };
}

/**
 * 6401, class 16: ROLLBACK TRANSACTION naming neither the outermost
 * transaction nor a savepoint (this instance has no savepoints).
 */
export function noTransactionOrSavepoint(name: string): SqlError {
  return {
    number: 6401,
    state: 1,
    class: 16,
    msgText: `Cannot roll back ${name}. No transaction or savepoint of that name was found.`,
  };
}

/**
 * 50000, class 16 (the number RAISERROR gives an ad hoc message): the
 * statement is valid SQL this emulator does not run.
 */
export function notRunByEmulator(statement: string): SqlError {
  const s = statement.length > 100 ? `${statement.slice(0, 97)}...` : statement;
  return {
    number: 50000,
    state: 1,
    class: 16,
    msgText:
      `krbsim emulates the login, not a database: it does not run "${s}". ` +
      'It answers SELECT of SUSER_SNAME(), SYSTEM_USER, ORIGINAL_LOGIN(), IS_MEMBER(...), ' +
      'IS_SRVROLEMEMBER(...), @@VERSION, @@SPID, @@SERVERNAME, @@MAX_PRECISION, @@TRANCOUNT, DB_NAME(), INT and string literals, and of ' +
      'auth_scheme, encrypt_option, net_transport from sys.dm_exec_connections WHERE session_id = @@SPID; ' +
      'it accepts USE master, transaction statements, and SET options that leave these answers as they are.',
  };
}

/**
 * 50000, class 16: a transaction manager request (MS-TDS 2.2.6.9) for what the emulated instance does
 * not serve, `what` naming it (savepoints, distributed transactions); the request is not run and the
 * session's transaction is left as it was, rather than answered as if it had been done.
 */
export function transactionRequestNotServed(what: string): SqlError {
  return {
    number: 50000,
    state: 1,
    class: 16,
    msgText: `krbsim's emulated instance does not serve ${what}: the request was not run, and the session's transaction is as it was.`,
  };
}

/**
 * 50000, class 16: a request longer than the emulated instance reads
 * (`maxMessageBytes`), read to its end and not run; the session goes on.
 */
export function requestTooLarge(bytes: number, max: number): SqlError {
  return {
    number: 50000,
    state: 1,
    class: 16,
    msgText: `krbsim reads requests of at most ${max} bytes; this one of ${bytes} bytes was not run.`,
  };
}

/**
 * 50000, class 16: a LOGIN7 asks for something this emulated instance does
 * not give (a user instance, a file to attach, a password change, federated
 * authentication, another language); the login fails and the connection
 * closes, rather than being answered as if it were served.
 */
export function notServedAtLogin(what: string): SqlError {
  return {
    number: 50000,
    state: 1,
    class: 16,
    msgText: `krbsim's emulated instance does not serve ${what}. The login failed.`,
  };
}
