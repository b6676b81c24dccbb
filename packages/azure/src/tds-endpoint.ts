/**
 * A managed instance on the wire: a TDS listener (`@krbsim/tds`) whose
 * logins go through the instance's own acceptance and login mapping
 * (`ManagedInstance.accept`), so a real SQL client holding tickets from
 * the lab's KDCs logs in exactly as the in-process flows do.
 *
 * Failures become the product's login errors (MS-TDS ERROR token): 18452
 * for an untrusted domain (the Redirect connection type), and 18456 for
 * everything else: no login, a ticket that does not verify, a missing
 * prerequisite. The reason is logged, not sent, as SQL Server does.
 *
 * @module
 */

import { isKerberosError } from '@krbsim/core';
import {
  answerBatch,
  serveTds,
  type TdsLoginAccepted,
  type TdsLoginRefused,
  type TdsServer,
} from '@krbsim/tds';
import { WindowsStatus } from './lab-error';
import type { ManagedInstance } from './managed-instance';

/** The @@VERSION a managed instance reports. */
export const MANAGED_INSTANCE_VERSION =
  'Microsoft SQL Azure (RTM) - 12.0.2000.8 \n\tCopyright (C) 2022 Microsoft Corporation\n';

/** Options for {@link listenTds}. */
export interface ListenTdsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: the OS chooses. */
  readonly port?: number;
  /** `required` (default, as Azure SQL insists) or `login-only`. */
  readonly encryption?: 'required' | 'login-only';
  /** The TLS certificate and key (PEM) for the instance's host name. */
  readonly cert: string;
  readonly key: string;
  readonly log?: (line: string) => void;
}

/**
 * Serve `mi` over TDS, and register `MSSQLSvc/<host>:<port>` of the
 * listener on the instance's principal (clients name the service after the
 * host and port they connect to).
 */
export async function listenTds(mi: ManagedInstance, options: ListenTdsOptions): Promise<TdsServer> {
  let spid = 51;
  const server = await serveTds({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    serverName: mi.name,
    encryption: options.encryption ?? 'required',
    cert: options.cert,
    key: options.key,
    ...(options.log !== undefined && { log: options.log }),
    authenticate(login): TdsLoginAccepted | TdsLoginRefused {
      let session: ReturnType<ManagedInstance['accept']>;
      try {
        session = mi.accept(login.sspi, login.hostName || 'tds-client');
      } catch (e) {
        if (!isKerberosError(e)) throw e;
        options.log?.(`${mi.name}: login refused: ${e.message}`);
        const untrusted =
          (e as { windowsStatus?: number }).windowsStatus === WindowsStatus.SQL_LOGIN_UNTRUSTED_DOMAIN;
        return {
          ok: false,
          error: untrusted
            ? {
                number: 18452,
                state: 1,
                class: 14,
                text: 'Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.',
              }
            : { number: 18456, state: 1, class: 14, text: `Login failed for user '${login.userName}'.` },
        };
      }
      const facts = {
        login: session.login,
        authScheme: 'KERBEROS',
        version: MANAGED_INSTANCE_VERSION,
        spid: spid++,
        isMember: (name: string) => (name.toLowerCase() === session.login.toLowerCase() ? 1 : null),
        isSrvRoleMember: (role: string) => (role.toLowerCase() === 'sysadmin' ? 0 : null),
      };
      return {
        ok: true,
        login: session.login,
        ...(session.responseToken !== undefined && { responseToken: session.responseToken }),
        query: (sql) => answerBatch(sql, facts),
      };
    },
  });
  mi.addSpn(`MSSQLSvc/${server.host}:${server.port}`);
  return server;
}
