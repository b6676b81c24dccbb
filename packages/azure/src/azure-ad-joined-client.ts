/**
 * An Azure AD-joined (or hybrid-joined) Windows client running the modern
 * interactive flow.
 *
 * Facts: Windows 10 21H1 or later; the policy "Allow retrieving the cloud
 * kerberos ticket during the logon" (`CloudKerberosTicketRetrievalEnabled=1`);
 * no trust object and no line of sight to a domain controller; interactive
 * sessions only (not applications running as a service). The cloud TGT comes
 * with the PRT; the client then talks to the Azure AD KDC only through the
 * KDC proxy. Windows refreshes the PRT at most every 4 hours, so after the
 * policy is turned on (an upgrade, a fresh deployment) a user may have no
 * cloud TGT for up to 4 hours; `dsregcmd.exe /RefreshPrt` and locking and
 * unlocking the session get one at once. Azure AD renews no cloud TGT: after
 * its 10 hours the user signs in again.
 *
 * Inferred: a background PRT refresh brings a cloud TGT only while the
 * session has none (the policy was turned on after sign-in); a cloud TGT, once
 * held, is replaced only by an interactive sign-in (`signIn()`, or an unlock
 * after `dsregcmd /RefreshPrt` or after the TGT expired), so an expired one
 * is a `sign-in-required` failure rather than a silent refresh.
 *
 * @module
 */

import { decodeAsRep, decodeEncKdcRepPart, encodeTicket } from '@krbsim/asn1';
import { type Credential, credentialFromReply, KerberosClient } from '@krbsim/client';
import { ErrorCode } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { AZURE_AD_REALM } from './cloud';
import type { CloudUser } from './directory';
import type { DsregcmdStatus } from './dsregcmd';
import { LabError, missingPrerequisite } from './lab-error';
import type { LabHost } from './lab-host';
import { DeviceRegistration, PRT_REFRESH_INTERVAL_MS, type PrtResponse, requestPrt } from './prt';
import {
  asWindowsFailure,
  newWindowsMachine,
  RoutedTransport,
  type SecurityContext,
  type SecurityContextOptions,
  securityContext,
  WINDOWS_ENC_TYPES,
  type WindowsMachine,
  windowsServiceTicket,
} from './windows-client';
import { parseWindowsVersion, supportsModernInteractiveFlow, type WindowsVersion } from './windows-version';

/** Options for an Azure AD-joined client. */
export interface AzureAdJoinedClientOptions {
  /**
   * The Windows version, as `parseWindowsVersion` reads it: `Windows 7`, `8`, `8.1`, `10` (with or
   * without a release, e.g. `Windows 10 21H1`), `11`, or `Windows Server <year>` (with or without
   * `R2`). Another is a RangeError when the client is made. Default `Windows 11`.
   */
  readonly os?: string;
  /** The `CloudKerberosTicketRetrievalEnabled` policy. Default true. */
  readonly cloudKerberosTicketRetrievalEnabled?: boolean;
  /** An interactive user session (true) or an application running as a service (false). Default true. */
  readonly interactive?: boolean;
  /** The machine's IDs its authenticators carry (MS-KILE 3.2.5.8). Default: new ones from the lab's random source. */
  readonly machine?: WindowsMachine;
}

/** An Azure AD-joined Windows machine with a cloud user signed in. */
export class AzureAdJoinedClient {
  readonly user: CloudUser;
  readonly os: string;
  readonly interactive: boolean;
  /** The Kerberos client behind SSPI; all its KDC traffic goes through the KDC proxy. */
  readonly kerberos: KerberosClient;
  readonly participant: string;
  /** The machine this client runs on, as its authenticators describe it to services. */
  readonly machine: WindowsMachine;
  /** The `CloudKerberosTicketRetrievalEnabled` policy; turning it on takes effect at the next PRT refresh. */
  cloudKerberosTicketRetrievalEnabled: boolean;
  readonly #host: LabHost;
  readonly #device: DeviceRegistration;
  #prt: PrtResponse | undefined;
  /** When this client last refreshed its PRT, by its own clock: Windows decides the next refresh so. */
  #prtRefreshedAt = 0;
  /** The cloud TGT of this sign-in, kept after it expires (the cache drops expired ones). */
  #cloudTgt: Credential | undefined;
  #refreshRequested = false;
  readonly #version: WindowsVersion;

  /** @throws RangeError when `opts.os` is not a Windows version the lab reads (see {@link AzureAdJoinedClientOptions.os}). */
  constructor(host: LabHost, user: CloudUser, opts: AzureAdJoinedClientOptions = {}) {
    this.#host = host;
    this.user = user;
    this.os = opts.os ?? 'Windows 11';
    // Read now, so that a misspelt version fails where it is given, not at the first sign-in.
    this.#version = parseWindowsVersion(this.os);
    this.interactive = opts.interactive ?? true;
    this.cloudKerberosTicketRetrievalEnabled = opts.cloudKerberosTicketRetrievalEnabled ?? true;
    this.participant = user.upn;
    this.machine = opts.machine ?? newWindowsMachine(host.random);
    this.#device = new DeviceRegistration(host.tenant);
    this.kerberos = new KerberosClient({
      realm: AZURE_AD_REALM,
      transport: new RoutedTransport(
        new Map([[AZURE_AD_REALM, host.kdcProxyTransport(host.tenant.kdcProxyUrl, this.participant)]]),
        this.participant,
      ),
      clock: host.clientClock,
      random: host.random,
      encTypes: WINDOWS_ENC_TYPES,
    });
  }

  /** When the PRT was last refreshed, or undefined before sign-in. */
  get prtIssuedAt(): number | undefined {
    return this.#prt?.issuedAt;
  }

  /** The cloud TGT in the credential cache, if the last PRT refresh brought one. */
  get cloudTgt(): Credential | undefined {
    return this.kerberos.cache.tgtFor(AZURE_AD_REALM);
  }

  /** When the cloud TGT of this sign-in ends (its 10 hours), or undefined without one. */
  get cloudTgtExpiresAt(): number | undefined {
    return this.#cloudTgt === undefined ? undefined : this.#cloudTgt.endtime;
  }

  /** Interactive sign-in: a PRT refresh (with a new cloud TGT when the policy is on). */
  async signIn(): Promise<void> {
    await this.#refreshPrt(true);
  }

  /** `dsregcmd.exe /RefreshPrt`: the refresh happens at the next lock and unlock. */
  requestPrtRefresh(): void {
    this.#refreshRequested = true;
  }

  /**
   * Locks and unlocks the session: performs a requested PRT refresh; an
   * unlock after the cloud TGT expired is a sign-in, which brings a new one.
   */
  async lockUnlock(): Promise<void> {
    if (this.#refreshRequested || this.#cloudTgtExpired()) {
      this.#refreshRequested = false;
      await this.#refreshPrt(true);
    }
  }

  /** `dsregcmd /status`: Azure AD-joined, the PRT once signed in, the cloud TGT while it lasts. */
  dsregcmdStatus(): DsregcmdStatus {
    return {
      AzureAdJoined: true,
      DomainJoined: false,
      AzureAdPrt: this.#prt !== undefined,
      CloudTgt: this.cloudTgt !== undefined,
      OnPremTgt: false,
    };
  }

  /** The prerequisites of the modern interactive flow this client does not meet. */
  missingPrerequisites(): string[] {
    const missing: string[] = [];
    if (!supportsModernInteractiveFlow(this.#version)) {
      missing.push(`Windows 10 21H1 or later (this client runs ${this.os})`);
    }
    if (!this.interactive) {
      missing.push(
        'an interactive session (the modern interactive flow does not work for applications running as a service)',
      );
    }
    if (!this.cloudKerberosTicketRetrievalEnabled) {
      missing.push(
        'the policy "Allow retrieving the cloud kerberos ticket during the logon" (CloudKerberosTicketRetrievalEnabled=1)',
      );
    }
    return missing;
  }

  /**
   * `InitializeSecurityContext` for an SPN: refreshes the PRT if Windows would
   * (4 hours since the last), then asks the Azure AD KDC, through the KDC
   * proxy, for the service ticket with the cloud TGT.
   */
  async initSecurityContext(spn: string, opts: SecurityContextOptions = {}): Promise<SecurityContext> {
    const missing = this.missingPrerequisites();
    if (missing.length > 0) {
      throw missingPrerequisite(missing[0]!, 'The modern interactive flow cannot start until it is met.');
    }
    const now = this.#host.clientClock.now();
    if (this.#prt === undefined || now - this.#prtRefreshedAt >= PRT_REFRESH_INTERVAL_MS)
      await this.#refreshPrt(this.#prt === undefined);
    if (this.#cloudTgtExpired()) {
      const ended = new Date(this.#cloudTgt!.endtime).toISOString();
      throw new LabError(
        ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
        `the cloud TGT expired at ${ended}: Azure AD issues it for 10 hours and renews none, so the user must sign in again (signIn(), or lock and unlock the session)`,
        { reason: 'sign-in-required', realm: AZURE_AD_REALM, prerequisite: 'an interactive sign-in' },
      );
    }
    if (this.cloudTgt === undefined) {
      const next = new Date(this.#prtRefreshedAt + PRT_REFRESH_INTERVAL_MS).toISOString();
      throw new LabError(
        ErrorCode.KRB_AP_ERR_NO_TGT,
        `no cloud TGT: the last PRT refresh brought none, and Windows refreshes the PRT at most every 4 hours (next at ${next}); run dsregcmd.exe /RefreshPrt, then lock and unlock the session`,
        { reason: 'no-cloud-tgt', realm: AZURE_AD_REALM, prerequisite: 'a PRT refreshed with the cloud TGT' },
      );
    }
    try {
      const ticket = await windowsServiceTicket(this.kerberos, spn, this.machine);
      return securityContext(this.kerberos, ticket, this.machine, opts);
    } catch (e) {
      return asWindowsFailure(e, spn, this.#host);
    }
  }

  #cloudTgtExpired(): boolean {
    return this.#cloudTgt !== undefined && this.#host.clientClock.now() >= this.#cloudTgt.endtime;
  }

  /**
   * A PRT refresh. `interactive`: a sign-in or an unlock, which asks for a
   * new cloud TGT; a background refresh asks for one only while the session
   * holds none (see the module documentation).
   */
  async #refreshPrt(interactive: boolean): Promise<void> {
    const wantTgt =
      this.cloudKerberosTicketRetrievalEnabled &&
      this.missingPrerequisites().length === 0 &&
      (interactive || this.#cloudTgt === undefined);
    const prt = await requestPrt(this.#host, this.user.upn, this.#device, wantTgt, this.participant);
    this.#prt = prt;
    this.#prtRefreshedAt = this.#host.clientClock.now();
    if (prt.tgt === undefined) return;
    this.#cloudTgt = this.#credentialFrom(
      prt.tgt.asRep,
      this.#device.unsealClientKey(prt.tgt.sealedClientKey),
    );
    this.kerberos.cache.add(this.#cloudTgt);
  }

  /** Reads the cloud TGT out of the AS-REP with the client key (RFC 4120 section 3.1.5). */
  #credentialFrom(
    asRepDer: Uint8Array,
    clientKey: ReturnType<DeviceRegistration['unsealClientKey']>,
  ): Credential {
    const rep = decodeAsRep(asRepDer);
    const enc = decodeEncKdcRepPart(decrypt(clientKey, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
    const cred = credentialFromReply(rep, enc, encodeTicket(rep.ticket));
    this.kerberos.cache.defaultPrincipal = cred.client;
    return cred;
  }
}
