/**
 * The Azure AD Kerberos server object and the incoming cloud trust: what
 * `Set-AzureADKerberosServer -Domain <dom> -SetupCloudTrust` creates, and what
 * `-RotateServerKey` changes.
 *
 * Facts modelled:
 * - Setup creates, if missing, the computer object
 *   `CN=AzureADKerberos,OU=Domain Controllers,<domain DN>` shaped like a
 *   read-only DC, a disabled account `krbtgt_AzureAD` holding its key, and
 *   the trusted domain object for `KERBEROS.MICROSOFTONLINE.COM` with
 *   top-level names defaulting to `windows.net`.
 * - The key's version on-prem (`KeyVersion`) must equal the cloud's
 *   (`CloudKeyVersion`); when they differ, referrals fail with
 *   KRB_AP_ERR_MODIFIED.
 * - Keys rotate at most once per 24 hours unless forced.
 * - For an RODC-style krbtgt, the key version's high 16 bits name the branch
 *   and the low 16 bits are the version (MS-KILE).
 * - A second trust that already claims `windows.net` makes setup fail with
 *   "Collision setting top level names on trust KERBEROS.MICROSOFTONLINE.COM".
 *
 * Inferred: the trust's inter-realm key (`krbtgt/KERBEROS.MICROSOFTONLINE.COM@CONTOSO.COM`)
 * rotates together with the server key and carries the same version, so a
 * version mismatch surfaces on the referral ticket as in the real product.
 *
 * @module
 */

import {
  DNS_LABEL_RULE,
  Duration,
  ErrorCode,
  isDnsName,
  isKerberosError,
  type RandomSource,
  randomBytes,
} from '@krbsim/core';
import { EncType, generateKey } from '@krbsim/crypto';
import { composeKvno, createTrust, type PrincipalEntry, type Trust } from '@krbsim/kdc';
import { LabError } from './lab-error';
import type { OnPremDomain } from './on-prem-domain';
import type { AzureAdTenant } from './tenant';

/** The computer object `Set-AzureADKerberosServer` creates on-prem (its account: `AzureADKerberos$`). */
const COMPUTER_NAME = 'AzureADKerberos';

/** What `Get-AzureADKerberosServer` shows. */
export interface AzureAdKerberosServerInfo {
  readonly id: number;
  readonly domainDnsName: string;
  readonly computerAccount: string;
  readonly userAccount: string;
  /** The RODC-style key version on-prem: branch in the high 16 bits. */
  readonly keyVersion: number;
  readonly keyUpdatedOn: Date;
  readonly cloudKeyVersion: number;
  readonly cloudKeyUpdatedOn: Date;
  readonly topLevelNames: readonly string[];
}

/** Options for {@link CloudTrust.rotateServerKey}. */
export interface RotateServerKeyOptions {
  /** Rotate even within 24 hours of the last rotation (`-Force`). */
  readonly force?: boolean;
  /**
   * Fault injection: the on-prem side rotates but the cloud update is lost,
   * leaving `KeyVersion` and `CloudKeyVersion` different.
   */
  readonly skipCloudUpdate?: boolean;
}

/** The Azure AD Kerberos server object together with the incoming trust it carries. */
export class CloudTrust {
  /** The RODC branch id of the AzureADKerberos object (high 16 bits of its kvnos). */
  readonly branchId: number;
  readonly computerAccount: string;
  readonly userAccount = 'krbtgt_AzureAD';
  readonly trust: Trust;
  readonly #tenant: AzureAdTenant;
  readonly #domain: OnPremDomain;
  readonly #random: RandomSource;
  #keyVersion = 1;
  #cloudKeyVersion = 1;
  #keyUpdatedOn: number;
  #cloudKeyUpdatedOn: number;

  /** @internal Use {@link setupCloudTrust}. */
  constructor(
    tenant: AzureAdTenant,
    domain: OnPremDomain,
    random: RandomSource,
    topLevelNames: readonly string[],
  ) {
    checkTopLevelNames(topLevelNames, domain.realm.name);
    this.#tenant = tenant;
    this.#domain = domain;
    this.#random = random;
    // Branch ids of real RODCs are small positive numbers; derive one from the seed.
    const b = randomBytes(random, 2);
    this.branchId = 1 + (((b[0]! << 8) | b[1]!) % 0x7ffe);
    this.computerAccount = `CN=${COMPUTER_NAME},OU=Domain Controllers,${domain.dnsName
      .split('.')
      .map((p) => `DC=${p}`)
      .join(',')}`;
    const now = tenant.realm.clock.now();
    this.#keyUpdatedOn = now;
    this.#cloudKeyUpdatedOn = now;
    const key = this.#newKey();
    // The on-prem objects the command makes must not exist yet: checked before anything is made, so
    // that a refusal leaves nothing behind (the directory keeps an account once made) and a later
    // call, once the collision is gone, starts from scratch.
    for (const name of [`${COMPUTER_NAME}$`, this.userAccount]) {
      if (domain.realm.lookup(name) !== undefined || domain.realm.directory.account(name) !== undefined) {
        throw new LabError(
          ErrorCode.KRB_ERR_GENERIC,
          `Set-AzureADKerberosServer -SetupCloudTrust failed: ${name} already exists in ${domain.realm.name}`,
          { reason: 'cloud-trust-refused', realm: domain.realm.name },
        );
      }
    }
    // The trust first: refused (another trust claims the names), it leaves nothing behind, and a
    // later call, once the collision is gone, starts from scratch.
    try {
      this.trust = createTrust({
        trusting: tenant.realm,
        trusted: domain.realm,
        direction: 'one-way',
        kind: 'forest',
        topLevelNames: [...topLevelNames],
        keys: [key],
        kvno: 1,
        branchId: this.branchId,
      });
    } catch (e) {
      if (!isKerberosError(e)) throw e;
      throw new LabError(e.code, `Set-AzureADKerberosServer -SetupCloudTrust failed: ${e.message}`, {
        reason: 'cloud-trust-refused',
        realm: domain.realm.name,
        cause: e,
      });
    }
    // The on-prem objects: the computer object shaped like a read-only DC (its account
    // AzureADKerberos$, made as an RODC's account is by default: inferred, the product's
    // userAccountControl is not published), then the disabled account that holds the server key.
    let computer: PrincipalEntry | undefined;
    try {
      computer = domain.realm.addComputer(COMPUTER_NAME, {
        dnsHostName: `${COMPUTER_NAME}.${domain.dnsName}`,
        domainController: 'read-only',
      });
      domain.realm.addUser(this.userAccount, {
        keys: [key],
        disabled: true,
        kvno: composeKvno(this.branchId, 1),
      });
    } catch (e) {
      if (computer !== undefined) domain.realm.db.remove(computer.name, domain.realm.name);
      this.trust.remove();
      throw e;
    }
  }

  /** `KeyVersion` on-prem, RODC-style (branch id in the high 16 bits). */
  get keyVersion(): number {
    return composeKvno(this.branchId, this.#keyVersion);
  }

  /** `CloudKeyVersion` in Azure AD. */
  get cloudKeyVersion(): number {
    return composeKvno(this.branchId, this.#cloudKeyVersion);
  }

  /** What `Get-AzureADKerberosServer` prints. */
  info(): AzureAdKerberosServerInfo {
    return {
      id: this.branchId,
      domainDnsName: this.#domain.dnsName,
      computerAccount: this.computerAccount,
      userAccount: this.userAccount,
      keyVersion: this.keyVersion,
      keyUpdatedOn: new Date(this.#keyUpdatedOn),
      cloudKeyVersion: this.cloudKeyVersion,
      cloudKeyUpdatedOn: new Date(this.#cloudKeyUpdatedOn),
      topLevelNames: this.trust.topLevelNames,
    };
  }

  /**
   * `Set-AzureADKerberosServer -RotateServerKey`: a new key, on-prem and (unless
   * the update is lost) in the cloud. Refused within 24 hours of the last
   * rotation unless forced.
   */
  rotateServerKey(opts: RotateServerKeyOptions = {}): AzureAdKerberosServerInfo {
    const now = this.#tenant.realm.clock.now();
    if (!opts.force && now - this.#keyUpdatedOn < Duration.day) {
      const next = new Date(this.#keyUpdatedOn + Duration.day).toISOString();
      throw new LabError(
        ErrorCode.KDC_ERR_POLICY,
        `the Azure AD Kerberos server key was rotated less than 24 hours ago; rotate again after ${next}, or pass force (-Force)`,
        { reason: 'key-rotation-too-soon', prerequisite: 'at most one key rotation per 24 hours' },
      );
    }
    const key = this.#newKey();
    const version = this.#keyVersion + 1;
    this.#keyVersion = version;
    this.#keyUpdatedOn = now;
    this.#domain.realm.setKeys(this.userAccount, [key], { kvno: composeKvno(this.branchId, version) });
    this.trust.rotateKey('trusted', { keys: [key], kvno: version });
    if (!opts.skipCloudUpdate) {
      this.trust.rotateKey('trusting', { keys: [key], kvno: version });
      this.#cloudKeyVersion = version;
      this.#cloudKeyUpdatedOn = now;
    }
    return this.info();
  }

  #newKey() {
    return generateKey(EncType.AES256_CTS_HMAC_SHA1_96, { random: this.#random });
  }
}

/**
 * Refuses top-level names a trust cannot route by: none at all (a trust that claims no name refers
 * no SPN to Azure AD), or a name that is not a DNS name (AD's forest trust information holds DNS
 * names; the on-prem KDC matches a host against them label by label). Checked before anything is
 * made, so a refusal leaves nothing behind.
 *
 * @internal
 */
export function checkTopLevelNames(topLevelNames: readonly string[], realm: string): void {
  const refuse = (why: string) =>
    new LabError(ErrorCode.KRB_ERR_GENERIC, `Set-AzureADKerberosServer -SetupCloudTrust refused: ${why}`, {
      reason: 'cloud-trust-refused',
      realm,
    });
  if (topLevelNames.length === 0) {
    throw refuse('the trust needs at least one top-level name to route SPNs by (the default is windows.net)');
  }
  for (const name of topLevelNames) {
    if (typeof name !== 'string' || !isDnsName(name)) {
      throw refuse(
        `top-level name ${JSON.stringify(name)} is not a DNS name (labels of ${DNS_LABEL_RULE}, joined by dots, e.g. windows.net)`,
      );
    }
  }
}

/**
 * `Set-AzureADKerberosServer -SetupCloudTrust`: creates the server object, the
 * `krbtgt_AzureAD` account and the incoming trust (on-prem users reach the
 * tenant's services; never the reverse).
 */
export function setupCloudTrust(
  tenant: AzureAdTenant,
  domain: OnPremDomain,
  random: RandomSource,
  topLevelNames: readonly string[] = tenant.cloud.topLevelNames,
): CloudTrust {
  return new CloudTrust(tenant, domain, random, topLevelNames);
}
