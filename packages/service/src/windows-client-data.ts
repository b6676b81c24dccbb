/**
 * What a Windows client tells a service of itself in its authenticator (MS-KILE 3.2.5.8), and the
 * service's reading of it (MS-KILE 3.4.5.3): the client's token (KERB_AUTH_DATA_TOKEN_RESTRICTIONS,
 * an LSAP_TOKEN_INFO_INTEGRITY), its loopback data (KERB-LOCAL) and the service it meant
 * (KERB_AUTH_DATA_CLIENT_TARGET), in AD-IF-RELEVANT.
 *
 * The machine IDs decide whether the login is local, the client on the service's own machine:
 * with CrossBootMachineIDs on both sides, another machine's is ignored, and the same machine's
 * with another PerBootMachineID (a token from an earlier start) fails the AP-REQ; without them
 * the PerBootMachineIDs alone decide. MIT and Heimdal read none of this; a Windows acceptor
 * lowers a local client's token to what the restrictions say.
 *
 * @module
 */

import {
  AdType,
  type AuthorizationData,
  type AuthorizationDataEntry,
  decodeAuthorizationData,
  decodeClientTarget,
  decodeKerbAdRestrictions,
  decodeLsapTokenInfoIntegrity,
  type LsapTokenInfoIntegrity,
  RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY,
} from '@krbsim/asn1';
import { ErrorCode, equalBytes, KerberosError } from '@krbsim/core';

/** What a Windows client told a service of itself (`AcceptResult.windows`; MS-KILE 3.2.5.8, 3.4.5.3). */
export interface WindowsClientData {
  /** The client's token (KERB_AUTH_DATA_TOKEN_RESTRICTIONS), if it sent it. */
  readonly tokenIntegrity: LsapTokenInfoIntegrity | undefined;
  /** KERB-LOCAL's data, the client machine's own, if it sent it. */
  readonly loopback: Uint8Array | undefined;
  /** The service the client meant, `name@REALM` (KERB_AUTH_DATA_CLIENT_TARGET), if it sent it. */
  readonly clientTarget: string | undefined;
  /**
   * The client runs on this service's machine: its machine IDs are the service's
   * (`ServiceOptions.machineId`, `crossBootMachineId`). False for a service given none.
   */
  readonly local: boolean;
}

/** A service's machine, for {@link readWindowsClientData}. */
export interface ServiceMachine {
  readonly machineId?: Uint8Array;
  readonly crossBootMachineId?: Uint8Array;
}

function malformed(what: string, cause: unknown): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_ERR_GENERIC,
    `the authenticator's ${what} does not decode (MS-KILE 2.2.4 to 2.2.6): ${(cause as Error).message}`,
    { cause },
  );
}

/** The entries of every AD-IF-RELEVANT in `ad` (MS-KILE 3.4.5.3: the server searches them all). */
function relevantEntries(ad: AuthorizationData): AuthorizationDataEntry[] {
  const out: AuthorizationDataEntry[] = [];
  for (const e of ad) {
    if (e.adType !== AdType.AD_IF_RELEVANT) continue;
    try {
      out.push(...decodeAuthorizationData(e.adData));
    } catch {
      // Not this reader's to refuse: the checks of the authenticator's other elements see it.
    }
  }
  return out;
}

function tokenIntegrityOf(e: AuthorizationDataEntry): LsapTokenInfoIntegrity | undefined {
  let entries: ReturnType<typeof decodeKerbAdRestrictions>;
  let restriction: LsapTokenInfoIntegrity | undefined;
  try {
    entries = decodeKerbAdRestrictions(e.adData);
    const entry = entries.find((r) => r.restrictionType === RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY);
    restriction = entry && decodeLsapTokenInfoIntegrity(entry.restriction);
  } catch (cause) {
    throw malformed('KERB_AUTH_DATA_TOKEN_RESTRICTIONS', cause);
  }
  return restriction; // another restriction-type than 0 is none MS-KILE defines: not read
}

/**
 * What the authenticator's authorization data holds of a Windows client's elements, and whether
 * the login is local to `machine`; undefined when it holds none of them.
 *
 * @throws KerberosError KRB_ERR_GENERIC when one of them does not decode;
 *   KRB_AP_ERR_MODIFIED when the client's CrossBootMachineID is this machine's and its
 *   PerBootMachineID is not (MS-KILE 3.4.5.3: a ticket from another start of this machine).
 */
export function readWindowsClientData(
  authorizationData: AuthorizationData | undefined,
  machine: ServiceMachine,
): WindowsClientData | undefined {
  if (authorizationData === undefined || authorizationData.length === 0) return undefined;
  let tokenIntegrity: LsapTokenInfoIntegrity | undefined;
  let loopback: Uint8Array | undefined;
  let clientTarget: string | undefined;
  let seen = false;
  for (const e of relevantEntries(authorizationData)) {
    if (e.adType === AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS && !seen) {
      seen = true;
      tokenIntegrity = tokenIntegrityOf(e);
    } else if (e.adType === AdType.KERB_LOCAL && loopback === undefined) {
      loopback = e.adData;
    } else if (e.adType === AdType.KERB_AUTH_DATA_CLIENT_TARGET && clientTarget === undefined) {
      try {
        clientTarget = decodeClientTarget(e.adData);
      } catch (cause) {
        throw malformed('KERB_AUTH_DATA_CLIENT_TARGET', cause);
      }
    }
  }
  if (!seen && loopback === undefined && clientTarget === undefined) return undefined;
  return { tokenIntegrity, loopback, clientTarget, local: isLocal(tokenIntegrity, machine) };
}

function isLocal(token: LsapTokenInfoIntegrity | undefined, machine: ServiceMachine): boolean {
  if (token === undefined || machine.machineId === undefined) return false;
  const perBoot = equalBytes(token.machineId, machine.machineId);
  if (token.crossBootMachineId === undefined || machine.crossBootMachineId === undefined) return perBoot;
  if (!equalBytes(token.crossBootMachineId, machine.crossBootMachineId)) return false;
  if (!perBoot) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      "the client's CrossBootMachineID is this machine's but its PerBootMachineID is another start's (MS-KILE 3.4.5.3)",
    );
  }
  return true;
}
