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
 * usage ({@link PRT_CLIENT_KEY_USAGE}). The token request and response go
 * into the lab's trace as one HTTP exchange with the token endpoint (the
 * cleartext a TLS key log would show): a form POST carrying `tgt=true`, and a
 * JSON answer whose `tgt_cloud` carries the AS-REP (`messageBuffer`, base64)
 * and the sealed client key (`clientKey`, `keyType` 18); the JSON's shape is
 * krbsim's.
 *
 * @module
 */

import { KerberosClient } from '@krbsim/client';
import { Duration, ErrorCode } from '@krbsim/core';
import { decrypt, EncType, encrypt, generateKey, type Key } from '@krbsim/crypto';
import { InProcessTransport } from '@krbsim/transport';
import { AZURE_AD_REALM } from './cloud';
import { LabError, WindowsStatus } from './lab-error';
import type { LabHost } from './lab-host';
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
 * TGT when asked (`tgt=true`). The AS-REP comes from the tenant's KDC through
 * a real AS exchange. The exchange is recorded in the lab's trace, from
 * `from` to the cloud's login host.
 */
export async function requestPrt(
  host: Pick<LabHost, 'tenant' | 'trace'>,
  upn: string,
  device: DeviceRegistration,
  wantTgt: boolean,
  from: string,
): Promise<PrtResponse> {
  const tenant = host.tenant;
  // Inferred: Azure AD refuses the sign-in of a disabled account (AADSTS50057), so no PRT.
  if (tenant.user(upn)?.accountEnabled === false) {
    throw new LabError(
      ErrorCode.KDC_ERR_CLIENT_REVOKED,
      `the referenced account is currently disabled (0x533): Azure AD refused the sign-in of ${upn} (AADSTS50057: the user account is disabled)`,
      {
        reason: 'account-refused',
        realm: tenant.realm.name,
        windowsStatus: WindowsStatus.ACCOUNT_DISABLED,
      },
    );
  }
  const response = await tokenResponse(tenant, upn, device, wantTgt);
  host.trace.record({
    from,
    to: tenant.cloud.loginHost,
    transport: 'tcp',
    protocol: 'http',
    requestType: 'PRT request',
    replyType: 'PRT response',
    request: tokenRequestHttp(tenant, upn, wantTgt),
    reply: tokenResponseHttp(response),
    label: `tgt=${wantTgt}`,
    ...(response.tgt !== undefined && {
      replyLabel: `tgt_cloud: AS-REP ${response.tgt.asRep.length} bytes, client key etype 18 sealed with the device session key`,
    }),
  });
  return response;
}

async function tokenResponse(
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
  await kdcClient.getInitialCredentials(
    upn,
    { key: clientKey },
    {
      // The flags klist shows on a cloud TGT.
      forwardable: true,
      renewable: true,
      canonicalize: true,
    },
  );
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

const utf8 = new TextEncoder();

/** An HTTP/1.1 message: start line, headers, and `body` with its length. */
function httpMessage(startLine: string, headers: readonly string[], body: string): Uint8Array {
  const bytes = utf8.encode(body);
  const head = [startLine, ...headers, `Content-Length: ${bytes.length}`, '', ''].join('\r\n');
  const out = new Uint8Array(head.length + bytes.length);
  out.set(utf8.encode(head));
  out.set(bytes, head.length);
  return out;
}

/** The token request (a PRT refresh) as the device POSTs it; `tgt=true` asks for the cloud TGT. */
function tokenRequestHttp(tenant: AzureAdTenant, upn: string, wantTgt: boolean): Uint8Array {
  const form = new URLSearchParams({ grant_type: 'refresh_token', username: upn, tgt: String(wantTgt) });
  return httpMessage(
    `POST /${tenant.tenantId}/oauth2/token HTTP/1.1`,
    [`Host: ${tenant.cloud.loginHost}`, 'Content-Type: application/x-www-form-urlencoded'],
    form.toString(),
  );
}

/** The token response: the cloud TGT's AS-REP and sealed client key when one was asked for. */
function tokenResponseHttp(r: PrtResponse): Uint8Array {
  const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const body = {
    token_type: 'Bearer',
    ...(r.tgt !== undefined && {
      tgt_cloud: {
        realm: AZURE_AD_REALM,
        messageBuffer: base64(r.tgt.asRep),
        clientKey: base64(r.tgt.sealedClientKey),
        keyType: EncType.AES256_CTS_HMAC_SHA1_96,
      },
    }),
  };
  return httpMessage('HTTP/1.1 200 OK', ['Content-Type: application/json'], JSON.stringify(body));
}
