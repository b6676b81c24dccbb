/**
 * A managed instance on the wire: a TDS listener (`@krbsim/tds`) whose
 * logins go through the instance's own acceptance and login mapping
 * (`ManagedInstance.accept`), so a real SQL client holding tickets from
 * the lab's KDCs logs in exactly as the in-process flows do.
 *
 * Failures become the product's login errors (MS-TDS ERROR token), as SQL
 * Server reports a Windows login's failure:
 * - the security handshake fails (the ticket does not decrypt or verify,
 *   it expired, it is replayed, the clock is skewed, the instance has no
 *   key because Windows authentication is not enabled): 18452 "untrusted
 *   domain" (SQL Server logs 17806 "SSPI handshake failed");
 * - the Redirect connection type: 18452 too (fact, `docs/azure.md`);
 * - the ticket is good but no login maps to the user or its groups: 18456
 *   "Login failed for user 'CONTOSO\bob'."
 * The reason is logged, never sent, as SQL Server keeps it in its error log.
 *
 * With a `trace`, every connection's messages go into it as TDS entries
 * (one stream per connection, the packets in the clear even when the
 * session ran in TLS), so the trace's pcap shows PRELOGIN, LOGIN7 with the
 * client's Kerberos token and the answers beside the KDC exchanges.
 *
 * @module
 */

import { isIP } from 'node:net';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { tlsServerEndPoint } from '@krbsim/pki';
import {
  connectTds,
  loginFailed,
  type SqlError,
  serveTds,
  type TdsAuthResult,
  type TdsExchange,
  type TdsServer,
  type TdsServerEncryption,
  type TdsTimers,
  untrustedDomain,
} from '@krbsim/tds';
import { issueServerCertificate, messageType, type PemCertificate, type Trace } from '@krbsim/transport';
import { LabError, SqlErrorNumber } from './lab-error';
import { type ManagedInstance, type SqlSession, windowsAuthenticationNotEnabled } from './managed-instance';

/** The @@VERSION a managed instance reports. */
export const MANAGED_INSTANCE_VERSION =
  'Microsoft SQL Azure (RTM) - 12.0.2000.8 \n\tCopyright (C) 2022 Microsoft Corporation\n';

/** The product version a managed instance sends in PRELOGIN and LOGINACK: 12.0.2000.8. */
const MANAGED_INSTANCE_PROG_VERSION = Object.freeze({ major: 12, minor: 0, build: 2000, subBuild: 8 });

/** The fixed database roles: IS_MEMBER answers 0 for them (1 for `public`), as for a login without them. */
const FIXED_DATABASE_ROLES = new Set([
  'db_owner',
  'db_accessadmin',
  'db_securityadmin',
  'db_ddladmin',
  'db_backupoperator',
  'db_datareader',
  'db_datawriter',
  'db_denydatareader',
  'db_denydatawriter',
]);

/** Options for {@link listenTds} and `ManagedInstance.listen`. */
export interface ListenTdsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: the OS chooses. */
  readonly port?: number;
  /**
   * `required` (default, as Azure SQL insists), `login-only`, `not-supported`, or `strict` (TDS 8.0
   * only). With a certificate, every mode but `not-supported` also serves TDS 8.0 (TLS first).
   */
  readonly encryption?: TdsServerEncryption;
  /** The TLS certificate and key (PEM). Without them, `ca` issues one for the instance's FQDN and the listen address. */
  readonly cert?: string;
  readonly key?: string;
  /** The CA that issues the certificate when `cert` is not given (`ManagedInstance.listen` uses the lab's). */
  readonly ca?: PemCertificate;
  /**
   * SQL Server's Extended Protection for logins over TLS: `off` (default) checks no channel
   * bindings; `allowed` refuses a token whose bindings name another channel (a token relayed from
   * a connection to another server) but takes one that binds none, as FreeTDS sends; `required`
   * refuses that too, and a LOGIN7 that came in the clear (a `login-only` listener's client that
   * offered no encryption). The channel is the listener's certificate's (RFC 5929
   * `tls-server-end-point`). A refusal is 18452, as SQL Server answers a failed SSPI handshake.
   * `allowed` and `required` need TLS: with `encryption: 'not-supported'` they are a TypeError.
   */
  readonly extendedProtection?: 'off' | 'allowed' | 'required';
  /** Close a connection that has not logged in after this long (default 15 000 ms). */
  readonly loginTimeoutMs?: number;
  /** Close a logged-in connection that leaves a message half-sent this long (default 30 000 ms). */
  readonly messageTimeoutMs?: number;
  /** Most connections at once (default 256). */
  readonly maxConnections?: number;
  readonly timers?: TdsTimers;
  /** One line per connection event and refusal reason; never key material. */
  readonly log?: (line: string) => void;
  /**
   * Record every connection's TDS messages here (see the module comment);
   * `ManagedInstance.listen` gives the lab's trace, `false` turns that off.
   */
  readonly trace?: Trace | false;
  /** Hears each accepted login's session (the PAC's SIDs, the login that admitted it): for callers that show it. */
  readonly onSession?: (session: SqlSession) => void;
  /** Hears each login's outcome, accepted or refused (`krbsim serve` logs them); never key material. */
  readonly onLogin?: (event: TdsLoginEvent) => void;
}

/** One login to a listener and how it ended (see {@link ListenTdsOptions.onLogin}). */
export interface TdsLoginEvent {
  /** The instance's name. */
  readonly instance: string;
  /** The client's address, as the listener saw it. */
  readonly peer: string | undefined;
  /** LOGIN7's HostName: the client machine's name, as it gave it. */
  readonly hostName: string;
  readonly outcome: 'accepted' | 'refused';
  /** An accepted login's ticket client (`alice@CONTOSO.COM`). */
  readonly client?: string;
  /** An accepted login's name, as SUSER_SNAME() gives it (`CONTOSO\alice`). */
  readonly login?: string;
  /** A refused login's SQL error number (18452, 18456), what the client was told. */
  readonly sqlError?: number;
  /** A refused login's cause, which SQL Server keeps in its error log and never sends. */
  readonly reason?: string;
}

/** A managed instance's running TDS listener. */
export interface TdsListener extends TdsServer {
  /** `MSSQLSvc/<host>:<port>`: the listener's SPN, registered on the instance's principal. */
  readonly spn: string;
}

/**
 * Serve `mi` over TDS, and register `MSSQLSvc/<host>:<port>` of the
 * listener on the instance's principal (clients such as FreeTDS name the
 * service after the host and port they connect to).
 */
export async function listenTds(mi: ManagedInstance, options: ListenTdsOptions = {}): Promise<TdsListener> {
  // Refused before a socket is opened: the SPN cannot be registered on an instance not enabled yet.
  if (!mi.windowsAuthenticationEnabled) throw windowsAuthenticationNotEnabled(mi, ErrorCode.KRB_ERR_GENERIC);
  const host = options.host ?? '127.0.0.1';
  const encryption = options.encryption ?? 'required';
  const protection = options.extendedProtection ?? 'off';
  if (!['off', 'allowed', 'required'].includes(protection)) {
    throw new TypeError(`listenTds: extendedProtection '${protection}' is not off, allowed or required`);
  }
  // Extended Protection holds a login to its TLS channel: a listener that never starts TLS has none,
  // and would take every token unchecked under a setting that says otherwise.
  if (protection !== 'off' && encryption === 'not-supported') {
    throw new TypeError(
      `listenTds: extendedProtection '${protection}' needs TLS, and encryption 'not-supported' starts none: every login would go unchecked (use encryption 'required', 'login-only' or 'strict', or extendedProtection 'off')`,
    );
  }
  let { cert, key } = options;
  if (cert === undefined || key === undefined) {
    if (options.ca === undefined) {
      throw new TypeError(
        'listenTds: give cert and key, or a ca to issue them (mi.listen() uses the lab CA)',
      );
    }
    // TLS peers check validity against the wall clock, whatever clock the lab runs on. A host name
    // (`localhost`) is a DNS name of the certificate, an address an IP address.
    const names =
      isIP(host) === 0 ? { dnsNames: [mi.fqdn, host] } : { dnsNames: [mi.fqdn], ipAddresses: [host] };
    const issued = await issueServerCertificate(options.ca, names);
    cert = issued.certPem;
    key = issued.keyPem;
  }
  const log = options.log;
  const trace = options.trace === false ? undefined : options.trace;
  // The TLS channel every encrypted login travels on is this certificate's (RFC 5929 section 4).
  const channelBindings = protection === 'off' ? undefined : tlsServerEndPoint(cert);
  // A connection's stream is named after the listener's port and the trace's position when it
  // started: listeners open at once have their own ports, and a port used again comes after entries.
  const since = trace?.nextSeq ?? 0;
  let listenerId = '';
  const server = await serveTds({
    host,
    port: options.port ?? 0,
    serverName: mi.name,
    encryption,
    cert,
    key,
    version: MANAGED_INSTANCE_PROG_VERSION,
    versionText: MANAGED_INSTANCE_VERSION,
    ...(options.loginTimeoutMs !== undefined && { loginTimeoutMs: options.loginTimeoutMs }),
    ...(options.messageTimeoutMs !== undefined && { messageTimeoutMs: options.messageTimeoutMs }),
    ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
    ...(options.timers !== undefined && { timers: options.timers }),
    ...(log !== undefined && { log }),
    ...(trace !== undefined && {
      onExchange: (e: TdsExchange) => recordExchange(trace, mi.name, listenerId, e),
    }),
    authenticate({ sspi, login, remoteAddress, encrypted }): TdsAuthResult {
      let session: SqlSession;
      try {
        // A login in the clear (login-only's client that offered no encryption) has no channel to
        // bind: `required` refuses it, as it refuses a token bound to none; `allowed` takes it.
        if (protection === 'required' && !encrypted) {
          throw new KerberosError(
            ErrorCode.KRB_AP_ERR_MODIFIED,
            'Extended Protection is required and this LOGIN7 came in the clear (the client offered no encryption): it has no channel bindings to check',
          );
        }
        session = mi.accept(sspi, login.hostName || remoteAddress || 'tds-client', {
          trace: trace === undefined,
          ...(channelBindings !== undefined &&
            encrypted && { channelBindings, requireChannelBindings: protection === 'required' }),
        });
      } catch (e) {
        if (!isKerberosError(e)) throw e;
        const error = loginError(e, login.userName);
        options.onLogin?.({
          instance: mi.name,
          peer: remoteAddress,
          hostName: login.hostName,
          outcome: 'refused',
          sqlError: error.number,
          reason: e.message,
        });
        return { kind: 'refused', error, reason: e.message };
      }
      options.onSession?.(session);
      options.onLogin?.({
        instance: mi.name,
        peer: remoteAddress,
        hostName: login.hostName,
        outcome: 'accepted',
        client: session.clientPrincipal,
        login: session.login,
      });
      return {
        kind: 'accepted',
        ...(session.responseToken !== undefined && { responseToken: session.responseToken }),
        session: {
          login: session.login,
          authScheme: 'KERBEROS',
          isMember: (name) => {
            const role = name.toLowerCase();
            if (role === 'public') return 1;
            if (FIXED_DATABASE_ROLES.has(role)) return 0;
            const held = session.isMember(name);
            return held === undefined ? null : held ? 1 : 0;
          },
        },
      };
    },
  });
  listenerId = `${server.host}:${server.port}/${since}`;
  const spn = `MSSQLSvc/${server.host}:${server.port}`;
  try {
    mi.addSpn(spn);
  } catch (e) {
    await server.close();
    throw e;
  }
  // The port is free again once closed: so is its SPN, for whichever instance listens there next.
  const close = async (): Promise<void> => {
    mi.removeSpn(spn);
    await server.close();
  };
  return { ...server, host: server.host, port: server.port, spn, close, [Symbol.asyncDispose]: close };
}

/** The TLS channel a login over TDS travels on, for a token bound to it. */
export interface TdsLoginChannel {
  /**
   * The channel bindings' application data: `tls-server-end-point:` and the hash of the certificate
   * the listener presented (RFC 5929 section 4.1), what `initSecurityContext(spn, { channelBindings })`
   * puts in the token.
   */
  readonly channelBindings: Uint8Array;
}

/** What {@link loginOverTds} sends. */
export interface LoginOverTdsOptions {
  /**
   * The client's security token (SPNEGO or raw krb5 GSS): LOGIN7's SSPI field. Either made beforehand,
   * bound to no channel, or made once TLS is up from the channel it gives, as a Windows driver asks SSPI
   * for its token after the TLS handshake and binds it to the connection (Extended Protection).
   */
  readonly token: Uint8Array | ((channel: TdsLoginChannel) => Uint8Array | Promise<Uint8Array>);
  /** The CA (PEM) whose certificate the listener presents: the lab's (`lab.certificateAuthority()`). */
  readonly ca: string;
  /** The name the certificate must carry: the instance's FQDN. */
  readonly servername: string;
  /** LOGIN7's HostName (default `PC1`). */
  readonly hostName?: string;
  /** A batch to run once logged in (default `SELECT SUSER_SNAME()`). */
  readonly sql?: string;
}

/**
 * Log in to `listener` as a SQL driver does, with `@krbsim/tds`'s client:
 * PRELOGIN offering encryption, TLS with the certificate checked, LOGIN7
 * with the token (a token function is called here, with the channel's
 * bindings), one batch, then close. Resolves with the server's answer
 * to the login (its SSPI token, the AP-REP, for mutual authentication).
 * A refused login rejects with a {@link LabError} of reason
 * `sql-login-refused` carrying the SQL error's number (`sqlError`) and text,
 * and for 18456 the login name the instance reported (`login`): what a SQL
 * client learns; the cause stays in the instance's log.
 */
export async function loginOverTds(
  listener: Pick<TdsListener, 'host' | 'port'>,
  options: LoginOverTdsOptions,
): Promise<{ readonly responseToken: Uint8Array | undefined }> {
  const client = await connectTds({
    host: listener.host,
    port: listener.port,
    encryption: 'on',
    tls: { ca: options.ca, servername: options.servername },
  });
  try {
    const token =
      typeof options.token === 'function' ? await options.token(channelOf(client)) : options.token;
    const r = await client.login({
      sspi: token,
      hostName: options.hostName ?? 'PC1',
      appName: 'krbsim',
    });
    if (!r.ok) throw loginRefused(r.error);
    await client.batch(options.sql ?? 'SELECT SUSER_SNAME()');
    return { responseToken: r.responseToken };
  } finally {
    client.close();
    await client.closed;
  }
}

/** The TLS channel of a connection `connectTds` opened with encryption on. */
function channelOf(client: { readonly peerCertificate: Uint8Array | undefined }): TdsLoginChannel {
  // With encryption 'on', connectTds resolves only once TLS is up with a verified certificate.
  if (client.peerCertificate === undefined) throw new Error('the TDS connection has no TLS channel');
  return { channelBindings: tlsServerEndPoint(client.peerCertificate) };
}

/** A login the instance refused, as its client sees it: the SQL error's number and text. */
function loginRefused(error: SqlError): LabError {
  // 18456's text names the user as SQL Server reports it: Login failed for user 'CONTOSO\bob'.
  const login = /^Login failed for user '(.*)'\.$/.exec(error.msgText)?.[1];
  return new LabError(
    ErrorCode.KRB_ERR_GENERIC,
    `the instance refused the login: ${error.number} ${error.msgText}`,
    { reason: 'sql-login-refused', sqlError: error.number, ...(login !== undefined && { login }) },
  );
}

/** One exchange of a connection as a trace entry; labels name the Kerberos tokens and TLS. */
function recordExchange(trace: Trace, server: string, listener: string, e: TdsExchange): void {
  const notes = (token: Uint8Array | undefined, inTls: boolean | undefined) => {
    const parts = [
      ...(token === undefined ? [] : [`sspi=${messageType(token)}`]),
      ...(inTls === true ? ['(in TLS)'] : []),
    ];
    return parts.length === 0 ? undefined : parts.join(' ');
  };
  const label = notes(e.sspi, e.requestInTls);
  const replyLabel = notes(e.responseToken, e.replyInTls);
  trace.record({
    from: `SQL client ${e.client}`,
    to: server,
    transport: 'tcp',
    protocol: 'tds',
    stream: `tds ${server} ${listener} #${e.connection}`,
    request: e.request,
    requestType: e.requestType,
    ...(e.reply !== undefined && { reply: e.reply, replyType: e.replyType! }),
    ...(label !== undefined && { label }),
    ...(replyLabel !== undefined && { replyLabel }),
    ...(e.error !== undefined && { error: e.error }),
  });
}

/** The SQL error a client sees for a failed Windows login (see the module comment). */
function loginError(e: KerberosError, userName: string): SqlError {
  if (e instanceof LabError && e.sqlError === SqlErrorNumber.LOGIN_FAILED) {
    return loginFailed(e.login ?? userName);
  }
  return untrustedDomain();
}
