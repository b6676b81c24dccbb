/**
 * What the two kinds of Windows client share: a Kerberos client whose KDC
 * traffic goes to the on-prem domain controller directly and to Azure AD
 * through the KDC proxy, and the mapping of Kerberos failures to the Windows
 * statuses the facts sheet lists.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  encodeAuthorizationData,
  PacOptions,
  TokenIntegrityLevel,
} from '@krbsim/asn1';
import { type Credential, KdcRefusedError, type KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, NtStatus, type RandomSource, randomBytes } from '@krbsim/core';
import type { KdcTransport, SendOptions } from '@krbsim/transport';
import { AZURE_AD_REALM } from './cloud';
import { LabError, WindowsStatus } from './lab-error';
import type { LabHost } from './lab-host';
import { spnNotFoundHeading } from './spn-not-found';

/**
 * A realm → transport table for one Windows machine; realms without an entry
 * get Windows' "no logon servers". Every request is traced as sent by
 * `from` (`CONTOSO\alice`), the way Windows names the signed-in user.
 */
export class RoutedTransport implements KdcTransport {
  readonly #routes: ReadonlyMap<string, KdcTransport>;
  readonly #from: string;

  constructor(routes: ReadonlyMap<string, KdcTransport>, from: string) {
    this.#routes = routes;
    this.#from = from;
  }

  async send(realm: string, request: Uint8Array, options?: SendOptions): Promise<Uint8Array> {
    const route = this.#routes.get(realm);
    if (route === undefined) {
      throw new LabError(
        ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
        `no logon servers (0x51f): no KDC is reachable for ${realm}`,
        { reason: 'no-logon-servers', realm, windowsStatus: WindowsStatus.NO_LOGON_SERVERS },
      );
    }
    return route.send(realm, request, { ...options, from: this.#from });
  }
}

/** A KDC the client cannot reach: every send fails with the given error. */
export class UnreachableKdc implements KdcTransport {
  readonly #error: () => Error;

  constructor(error: () => Error) {
    this.#error = error;
  }

  async send(): Promise<Uint8Array> {
    throw this.#error();
  }
}

/** How Windows words an account a domain controller refused, by the NTSTATUS it gave (MS-ERREF 2.3.1). */
const ACCOUNT_REFUSALS: Readonly<Record<number, { readonly status: number; readonly text: string }>> = {
  [NtStatus.STATUS_ACCOUNT_DISABLED]: {
    status: WindowsStatus.ACCOUNT_DISABLED,
    text: 'the referenced account is currently disabled',
  },
  [NtStatus.STATUS_ACCOUNT_EXPIRED]: {
    status: WindowsStatus.ACCOUNT_EXPIRED,
    text: "the user's account has expired",
  },
  [NtStatus.STATUS_ACCOUNT_LOCKED_OUT]: {
    status: WindowsStatus.ACCOUNT_LOCKED_OUT,
    text: 'the referenced account is currently locked out and may not be logged on to',
  },
  [NtStatus.STATUS_INVALID_LOGON_HOURS]: {
    status: WindowsStatus.INVALID_LOGON_HOURS,
    text: 'account logon time restriction violation',
  },
  [NtStatus.STATUS_PASSWORD_EXPIRED]: {
    status: WindowsStatus.PASSWORD_EXPIRED,
    text: 'the specified account password has expired',
  },
  [NtStatus.STATUS_PASSWORD_MUST_CHANGE]: {
    status: WindowsStatus.PASSWORD_MUST_CHANGE,
    text: "the user's password must be changed before signing in",
  },
};

/**
 * Re-throws a logon or ticket failure the way Windows reports it: the KDC's
 * code is kept, and the Win32 status the facts sheet names (or the account
 * status a domain controller gave) is attached. An unknown
 * SPN that a missing lab step explains (no cloud trust, no admin consent)
 * names that step, as `host.explainSpnNotFound` finds it.
 */
export function asWindowsFailure(e: unknown, spn: string, host: LabHost): never {
  if (e instanceof LabError || !(e instanceof KerberosError)) throw e;
  // A domain controller that refused the account said why (MS-KILE 2.2.1): Windows shows that.
  const refusal =
    e instanceof KdcRefusedError && e.ntStatus !== undefined ? ACCOUNT_REFUSALS[e.ntStatus] : undefined;
  if (refusal !== undefined) {
    throw new LabError(e.code, `${refusal.text} (0x${refusal.status.toString(16)}): ${e.message}`, {
      reason: 'account-refused',
      realm: e.realm,
      windowsStatus: refusal.status,
      cause: e,
    });
  }
  // Windows reports an unknown SPN as 0x6fb, whatever its service: "SQL SPN not found" only for a SQL one.
  if (e.code === ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN) {
    const cause = host.explainSpnNotFound(spn, e.realm);
    const heading = spnNotFoundHeading(spn);
    throw new LabError(
      e.code,
      cause === undefined
        ? `${heading}: no realm issues tickets for ${spn}: ${e.message}`
        : `${heading}: ${cause.explanation}`,
      {
        reason: cause?.reason ?? 'spn-not-found',
        ...(cause !== undefined && { prerequisite: cause.prerequisite }),
        realm: e.realm,
        windowsStatus: WindowsStatus.SPN_NOT_FOUND,
        cause: e,
      },
    );
  }
  if (e.code === host.tenant.conditionalAccessErrorCode && e.realm === AZURE_AD_REALM) {
    throw new LabError(e.code, `account restriction (0x52f): ${e.message}`, {
      reason: 'account-restriction',
      realm: e.realm,
      windowsStatus: WindowsStatus.ACCOUNT_RESTRICTION,
      cause: e,
    });
  }
  throw e;
}

/** A security context in progress: the token to send and how to check the reply. */
export interface SecurityContext {
  /** The SPNEGO token Windows' SSPI sends to SQL Server. */
  readonly token: Uint8Array;
  /** The service ticket behind it. */
  readonly ticket: Credential;
  /** Checks the server's AP-REP (mutual authentication); throws KRB_AP_ERR_MUT_FAIL or an integrity error. */
  complete(responseToken: Uint8Array): void;
}

/** Options of `initSecurityContext`, as an application gives `InitializeSecurityContext` its input. */
export interface SecurityContextOptions {
  /**
   * The TLS channel's bindings (`tls-server-end-point:` and the server certificate's hash: `@krbsim/pki`'s
   * `tlsServerEndPoint`), which SSPI puts in the token's GSS checksum with KERB_AP_OPTIONS_CBT, as
   * Windows does over TLS, for a server with Extended Protection to check.
   */
  readonly channelBindings?: Uint8Array;
}

/**
 * The Windows machine a lab client runs on, as its authenticators describe it to a service
 * (MS-KILE 3.2.5.8): a service given the same `machineId` (`KerberosService`'s option) sees the
 * login as local.
 */
export interface WindowsMachine {
  /** Its PerBootMachineID (MS-KILE 3.1.1.4): 32 random bytes, made when the machine started. */
  readonly machineId: Uint8Array;
  /** KERB-LOCAL's data for the signed-in user's logon session (Windows sends 16 bytes of its own). */
  readonly loopback: Uint8Array;
}

/** A new machine's IDs, from the lab's random source. */
export function newWindowsMachine(random: RandomSource): WindowsMachine {
  return { machineId: randomBytes(random, 32), loopback: randomBytes(random, 16) };
}

/**
 * The enctypes a lab Windows client offers, strongest first: the AES types Windows implements (it
 * has no RFC 8009 aes-sha2). RC4, which Windows also offers unless a policy removes it, is left out,
 * as krbsim's client leaves weak enctypes out unless told otherwise.
 */
export const WINDOWS_ENC_TYPES: readonly number[] = Object.freeze([18, 17]);

/**
 * A service ticket for `spn` as Windows asks for one (MS-KILE 3.2.5.7): its TGS-REQs carry the
 * logon session's KERB-LOCAL in an AD-IF-RELEVANT (every TGS-REQ whose server is not krbtgt),
 * which the KDCs copy into the ticket, and PA-PAC-OPTIONS with branch-aware (no DC of the lab is
 * read-only, so none answers it). The session's cached ticket (asked for with the same data) is
 * reused, as Windows reuses its own.
 */
export function windowsServiceTicket(
  client: KerberosClient,
  spn: string,
  machine: WindowsMachine,
): Promise<Credential> {
  return client.getServiceTicket(spn, {
    authorizationData: kerbLocalRequest(machine),
    pacOptions: PacOptions['branch-aware'],
  });
}

/** The enc-authorization-data of a Windows TGS-REQ: AD-IF-RELEVANT{KERB-LOCAL}. */
function kerbLocalRequest(machine: WindowsMachine): AuthorizationData {
  const local = encodeAuthorizationData([{ adType: AdType.KERB_LOCAL, adData: machine.loopback }]);
  return [{ adType: AdType.AD_IF_RELEVANT, adData: local.slice() }];
}

/**
 * Builds the SPNEGO token for a service ticket, with mutual authentication, as Windows' SSPI
 * does: the authenticator says which machine the client runs on and that its token is a
 * standard user's, full and of medium integrity (KERB_AUTH_DATA_TOKEN_RESTRICTIONS), with
 * KERB-LOCAL and the service meant (KERB_AUTH_DATA_CLIENT_TARGET).
 */
export function securityContext(
  client: KerberosClient,
  ticket: Credential,
  machine: WindowsMachine,
  opts: SecurityContextOptions = {},
): SecurityContext {
  const { token, context } = client.buildApReq(ticket, {
    mutual: true,
    gss: 'spnego',
    windows: {
      tokenIntegrity: { flags: 0, tokenIL: TokenIntegrityLevel.MEDIUM, machineId: machine.machineId },
      loopback: machine.loopback,
    },
    ...(opts.channelBindings !== undefined && {
      channelBindings: opts.channelBindings,
      clientAwareChannelBindings: true,
    }),
  });
  return {
    token,
    ticket,
    complete: (responseToken) => {
      client.verifyApRep(context, responseToken);
    },
  };
}
