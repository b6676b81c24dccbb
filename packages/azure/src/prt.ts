/**
 * The Primary Refresh Token and the cloud TGT that comes with it.
 *
 * Facts: with `CloudKerberosTicketRetrievalEnabled=1`, the PRT token request
 * carries `tgt=true` and the response carries the cloud TGT as a Kerberos
 * message (an AS-REP in DER) plus the client key (AES-256, etype 18),
 * protected by the device session key. Windows refreshes the PRT at most once
 * every 4 hours; `dsregcmd.exe /RefreshPrt` followed by locking and unlocking
 * the session refreshes it at once.
 *
 * Inferred: the tenant makes the AS-REP with a real AS exchange against its
 * own KDC, for a cloud principal named by the user's UPN (one component,
 * `alice@contoso.com`, in `KERBEROS.MICROSOFTONLINE.COM`) whose key is random
 * and known only to the tenant and, through the PRT response, the device.
 * The real service seals the client key in a JWE; krbsim seals it with the
 * RFC 3961 encryption of the device session key under an application key
 * usage ({@link PRT_CLIENT_KEY_USAGE}).
 *
 * @module
 */

import { KerberosClient } from '@krbsim/client';
import { Duration } from '@krbsim/core';
import { decrypt, EncType, encrypt, generateKey, type Key } from '@krbsim/crypto';
import { InProcessTransport } from '@krbsim/transport';
import type { AzureAdTenant } from './tenant';

/** Windows refreshes the PRT at most this often. */
export const PRT_REFRESH_INTERVAL_MS = 4 * Duration.hour;

/** The key usage krbsim seals the cloud TGT's client key under (an application usage, RFC 4120 section 7.5.1). */
export const PRT_CLIENT_KEY_USAGE = 1024;

/** What a PRT token response carries for Kerberos. */
export interface PrtResponse {
  readonly issuedAt: number;
  /** The cloud TGT: an AS-REP, DER. Absent when the request did not ask for it (`tgt=false`). */
  readonly tgt?: {
    readonly asRep: Uint8Array;
    /** The client key (etype 18), sealed with the device session key. */
    readonly sealedClientKey: Uint8Array;
  };
}

/** The device's registration with the tenant: its session key. */
export class DeviceRegistration {
  readonly sessionKey: Key;

  constructor(tenant: AzureAdTenant) {
    this.sessionKey = generateKey(EncType.AES256_CTS_HMAC_SHA1_96, { random: tenant.realm.random });
  }

  /** Unseals the client key from a PRT response. */
  unsealClientKey(sealed: Uint8Array): Key {
    return {
      etype: EncType.AES256_CTS_HMAC_SHA1_96,
      bytes: decrypt(this.sessionKey, PRT_CLIENT_KEY_USAGE, sealed),
    };
  }
}

/**
 * The tenant's token endpoint, for one user: a PRT refresh, with the cloud
 * TGT when asked. The AS-REP comes from the tenant's KDC through a real AS
 * exchange.
 */
export async function requestPrt(
  tenant: AzureAdTenant,
  upn: string,
  device: DeviceRegistration,
  wantTgt: boolean,
): Promise<PrtResponse> {
  const issuedAt = tenant.realm.clock.now();
  if (!wantTgt) return { issuedAt };
  const clientKey = tenant.cloudKey(upn);
  let asRep: Uint8Array | undefined;
  const inside = new InProcessTransport().register(tenant.realm.name, (req) => {
    const reply = tenant.handle(req);
    if (reply[0] === 0x6b) asRep = reply;
    return reply;
  });
  const kdcClient = new KerberosClient({
    realm: tenant.realm.name,
    transport: inside,
    clock: tenant.realm.clock,
    random: tenant.realm.random,
  });
  await kdcClient.getInitialCredentials(upn, { key: clientKey }, { forwardable: true, canonicalize: true });
  return {
    issuedAt,
    tgt: {
      asRep: asRep!,
      sealedClientKey: encrypt(device.sessionKey, PRT_CLIENT_KEY_USAGE, clientKey.bytes, {
        random: tenant.realm.random,
      }),
    },
  };
}
