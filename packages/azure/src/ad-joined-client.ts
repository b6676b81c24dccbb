/**
 * An AD-joined Windows client running the incoming trust-based flow.
 *
 * Facts: the client must be AD-joined with line of sight to a domain
 * controller, run Windows Server 2012+ or Windows 10+, in a domain at
 * functional level 2012+, with identities synced by Azure AD Connect; the
 * only client policy needed is the KDC proxy mapping for
 * `KERBEROS.MICROSOFTONLINE.COM`. The flow: AS-REQ to the on-prem KDC (TGT);
 * TGS-REQ to the on-prem KDC, answered with a referral TGT for
 * `KERBEROS.MICROSOFTONLINE.COM`; TGS-REQ with it to the Azure AD KDC through
 * the KDC proxy, answered with the `MSSQLSvc/...` ticket; AP-REQ to the
 * instance.
 *
 * @module
 */

import { type Credential, KdcRefusedError, KerberosClient, PasswordChangeError } from '@krbsim/client';
import { ErrorCode, type KerberosError } from '@krbsim/core';
import { InProcessTransport, type KdcTransport } from '@krbsim/transport';
import { AZURE_AD_REALM } from './cloud';
import { downLevelLogonName, type OnPremUser } from './directory';
import type { DsregcmdStatus } from './dsregcmd';
import { LabError, missingPrerequisite, WindowsStatus } from './lab-error';
import type { LabHost } from './lab-host';
import {
  asWindowsFailure,
  newWindowsMachine,
  RoutedTransport,
  type SecurityContext,
  type SecurityContextOptions,
  securityContext,
  UnreachableKdc,
  WINDOWS_ENC_TYPES,
  type WindowsMachine,
  windowsServiceTicket,
} from './windows-client';
import { parseWindowsVersion, supportsIncomingTrustFlow, type WindowsVersion } from './windows-version';

/** Options for an AD-joined client. */
export interface AdJoinedClientOptions {
  /**
   * The Windows version, as `parseWindowsVersion` reads it: `Windows 7`, `8`, `8.1`, `10` (with or
   * without a release, e.g. `Windows 10 21H1`), `11`, or `Windows Server <year>` (with or without
   * `R2`). Another is a RangeError when the client is made. Default `Windows 10 22H2`.
   */
  readonly os?: string;
  /** Can the client reach a domain controller? Default true. */
  readonly lineOfSightToDc?: boolean;
  /** Is the KDC proxy mapping for `KERBEROS.MICROSOFTONLINE.COM` configured? Default true. */
  readonly kdcProxyPolicy?: boolean;
  /** The machine's IDs its authenticators carry (MS-KILE 3.2.5.8). Default: new ones from the lab's random source. */
  readonly machine?: WindowsMachine;
}

/** An AD-joined Windows machine with a user signed in. */
export class AdJoinedClient {
  readonly os: string;
  /** The Kerberos client behind SSPI, with its credential cache. */
  readonly kerberos: KerberosClient;
  /** The name this client has in traces, e.g. `CONTOSO\alice`. */
  readonly participant: string;
  /** The machine this client runs on, as its authenticators describe it to services. */
  readonly machine: WindowsMachine;
  readonly #host: LabHost;
  readonly #opts: Required<Omit<AdJoinedClientOptions, 'machine'>>;
  readonly #user: OnPremUser;
  readonly #version: WindowsVersion;

  /** @throws RangeError when `opts.os` is not a Windows version the lab reads (see {@link AdJoinedClientOptions.os}). */
  constructor(host: LabHost, user: OnPremUser, opts: AdJoinedClientOptions = {}) {
    this.#host = host;
    this.#user = user;
    const { machine, ...rest } = opts;
    this.#opts = { os: 'Windows 10 22H2', lineOfSightToDc: true, kdcProxyPolicy: true, ...rest };
    this.os = this.#opts.os;
    // Read now, so that a misspelt version fails where it is given, not at the first logon.
    this.#version = parseWindowsVersion(this.os);
    this.participant = downLevelLogonName(user);
    this.machine = machine ?? newWindowsMachine(host.random);
    const onPrem = host.onPrem.realm.name;
    const routes = new Map<string, KdcTransport>([
      [
        onPrem,
        this.#opts.lineOfSightToDc
          ? new InProcessTransport({ trace: host.trace, from: this.participant }).register(onPrem, (req) =>
              host.onPremKdc(req),
            )
          : new UnreachableKdc(() =>
              missingPrerequisite(
                'line of sight to a domain controller',
                `No domain controller of ${onPrem} answers (0x51f); the incoming trust-based flow needs one.`,
                WindowsStatus.NO_LOGON_SERVERS,
              ),
            ),
      ],
      [
        AZURE_AD_REALM,
        this.#opts.kdcProxyPolicy
          ? host.kdcProxyTransport(host.tenant.kdcProxyUrl, this.participant)
          : new UnreachableKdc(
              () =>
                new LabError(
                  ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
                  `no logon servers (0x51f): the KDC proxy mapping for ${AZURE_AD_REALM} is not configured; set the "KDC proxy servers" policy to ${host.tenant.kdcProxyUrl}`,
                  {
                    reason: 'client-prerequisite-missing',
                    realm: AZURE_AD_REALM,
                    windowsStatus: WindowsStatus.NO_LOGON_SERVERS,
                    prerequisite: `KDC proxy mapping for ${AZURE_AD_REALM}`,
                  },
                ),
            ),
      ],
    ]);
    this.kerberos = new KerberosClient({
      realm: onPrem,
      transport: new RoutedTransport(routes, this.participant),
      clock: host.clientClock,
      random: host.random,
      encTypes: WINDOWS_ENC_TYPES,
    });
  }

  /** The signed-in user, as the domain knows it now (a changed password included). */
  get user(): OnPremUser {
    return this.#host.onPrem.user(this.#user.samAccountName) ?? this.#user;
  }

  /**
   * Ctrl+Alt+Del, "Change a password" (or the prompt of a user who must change it, 0x773 at logon):
   * the kpasswd exchange with the domain controller (RFC 3244) from the user's current password, after
   * which the user logs on with the new one.
   *
   * @throws LabError `password-change-refused`, with Windows' status: 0x52d when the domain's policy
   *   refuses the new password (AD's Default Domain Policy: at least 7 characters of three kinds, none
   *   of the 24 previous passwords, a day after the last change), 0x56 when the current one is wrong.
   */
  async changePassword(newPassword: string): Promise<void> {
    const user = this.user;
    const onPrem = this.#host.onPrem;
    const service = onPrem.passwordChangeService();
    // On the lab's trace beside the AS exchange for kadmin/changepw: the DC's port 464 in its pcap.
    const kpasswd = new InProcessTransport({
      trace: this.#host.trace,
      from: this.participant,
      protocol: 'kpasswd',
    }).register(onPrem.realm.name, (req) => service.handle(req));
    try {
      await this.kerberos.changePassword(user.samAccountName, user.password, newPassword, {
        transport: kpasswd,
      });
    } catch (e) {
      const wrong = e instanceof KdcRefusedError && e.code === ErrorCode.KDC_ERR_PREAUTH_FAILED;
      if (!wrong && !(e instanceof PasswordChangeError)) throw e;
      const [status, text] = wrong
        ? [WindowsStatus.WRONG_PASSWORD, 'the specified network password is not correct']
        : [WindowsStatus.PASSWORD_RESTRICTION, 'the password does not meet the password policy requirements'];
      throw new LabError(
        (e as KerberosError).code,
        `${text} (0x${status.toString(16)}): ${(e as Error).message}`,
        {
          reason: 'password-change-refused',
          realm: onPrem.realm.name,
          windowsStatus: status,
          cause: e,
        },
      );
    }
    // The domain controller recorded the new password (its service's onChange). The credentials of
    // the old password are gone, as after a new interactive logon.
    this.kerberos.cache.clear();
  }

  /** Is a domain controller in sight (the `lineOfSightToDc` option)? */
  get canReachDomainController(): boolean {
    return this.#opts.lineOfSightToDc;
  }

  /** `dsregcmd /status`: domain-joined, no PRT, the on-prem TGT if the logon got one. */
  dsregcmdStatus(): DsregcmdStatus {
    return {
      AzureAdJoined: false,
      DomainJoined: true,
      AzureAdPrt: false,
      CloudTgt: false,
      OnPremTgt: this.kerberos.cache.tgtFor(this.kerberos.realm) !== undefined,
    };
  }

  /** The prerequisites of the incoming trust-based flow this client does not meet. */
  missingPrerequisites(): string[] {
    const missing: string[] = [];
    if (!supportsIncomingTrustFlow(this.#version)) {
      missing.push(`Windows Server 2012 or later, or Windows 10 or later (this client runs ${this.os})`);
    }
    if (this.#host.onPrem.functionalLevel < 2012) {
      missing.push(
        `domain functional level 2012 or higher (${this.#host.onPrem.dnsName} is at ${this.#host.onPrem.functionalLevel})`,
      );
    }
    if (this.#host.tenant.user(this.user.upn) === undefined) {
      missing.push(`Azure AD Connect sync of ${this.user.upn} to the tenant`);
    }
    return missing;
  }

  /**
   * Interactive logon: the AS exchange with the on-prem KDC, for a TGT that
   * is forwardable and renewable, as Windows asks for it and AD issues it
   * (aes256-cts-hmac-sha1-96 by AD's default etypes, no aes-sha2).
   */
  async logon(): Promise<Credential> {
    // As Windows asks for a TGT: forwardable, renewable and canonicalize.
    try {
      return await this.kerberos.getInitialCredentials(
        this.user.samAccountName,
        { password: this.user.password },
        { forwardable: true, renewable: true, canonicalize: true },
      );
    } catch (e) {
      // A refused account as Windows reports it (0x533 disabled, 0x775 locked out, ...).
      return asWindowsFailure(e, `krbtgt/${this.kerberos.realm}`, this.#host);
    }
  }

  /**
   * `InitializeSecurityContext` for an SPN: logs on if needed, gets the
   * service ticket (following the on-prem KDC's referral to Azure AD), and
   * returns the SPNEGO token for the instance. "If needed": before the first
   * logon, and when the TGT has expired (AD's 10 hours), as Windows gets a
   * new one from the session's cached logon without asking the user.
   */
  async initSecurityContext(spn: string, opts: SecurityContextOptions = {}): Promise<SecurityContext> {
    const missing = this.missingPrerequisites();
    if (missing.length > 0) {
      throw missingPrerequisite(missing[0]!, 'The incoming trust-based flow cannot start until it is met.');
    }
    try {
      if (this.kerberos.cache.tgtFor(this.kerberos.realm) === undefined) await this.logon();
      const ticket = await windowsServiceTicket(this.kerberos, spn, this.machine);
      return securityContext(this.kerberos, ticket, this.machine, opts);
    } catch (e) {
      return asWindowsFailure(e, spn, this.#host);
    }
  }
}
