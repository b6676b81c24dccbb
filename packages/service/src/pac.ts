/**
 * The PAC of an accepted ticket: MS-PAC section 2.8 (signatures) and MS-KILE
 * section 3.4.5.3 (a service reads the PAC from the ticket's
 * authorization-data and checks it before it builds the user's token).
 *
 * 1. Find the PAC: the AD-WIN2K-PAC element inside AD-IF-RELEVANT (a ticket
 *    without one is accepted; whether a PAC is required is the caller's
 *    policy, as it is for MIT's `krb5_rd_req`).
 * 2. Check the server signature with the key that decrypted the ticket, as
 *    MIT's `krb5_rd_req` (`krb5_pac_verify` with the server key) and a
 *    Windows service do.
 * 3. With the issuing KDC's krbtgt keys (an option: a service rarely has
 *    them), also the KDC signature and, for a service ticket, the ticket and
 *    extended KDC signatures (the Bronze Bit fix, CVE-2020-17049), as MIT's
 *    `krb5_kdc_verify_ticket` does. The keys whose checksum type the KDC
 *    signature names are tried in turn (the old and new keys of a rotation).
 * 4. PAC_CLIENT_INFO must be there, once (MS-PAC 2.4), and name the
 *    ticket's client and authtime (MS-PAC 2.7), as MIT's `krb5_pac_verify`
 *    checks: its Name the client name's components joined with `/` (or
 *    followed by `@` and the realm, as a cross-realm S4U2Self PAC writes
 *    it), its ClientId the authtime. A PAC lifted from another ticket, or
 *    without the buffer that would tie it to one, is refused
 *    (KRB_AP_ERR_MODIFIED).
 *
 * Refusals keep the signature code (KRB_AP_ERR_MODIFIED for a wrong or
 * missing signature, KRB_AP_ERR_INAPP_CKSUM for an unkeyed one, MS14-068);
 * a PAC that does not decode is KRB_AP_ERR_MODIFIED, as a KDC answers it.
 *
 * Security: the view returned here holds no key; it serializes to JSON
 * with FILETIMEs as decimal strings and byte strings as hex (a signature
 * is a MAC, not a key).
 *
 * @module
 */

import type { EncTicketPart, PrincipalName } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { checksumTypeFor, type Key } from '@krbsim/crypto';
import {
  decodePac,
  fileTimeFromMillis,
  findPac,
  formatSid,
  getPacBuffer,
  hasTicketSignature,
  isPacError,
  type KerbValidationInfo,
  type Pac,
  type PacBuffer,
  PacBufferType,
  type PacClientInfo,
  type PacSignatureKind,
  parsePac,
  validationInfoSids,
  verifyTicketPac,
} from '@krbsim/pac';
import { ApReqError } from './check-ap-req';

/** The SIDs of a PAC's logon information, as text (`S-1-5-21-...`). */
export interface PacSids {
  /** The user's SID: LogonDomainId and UserId. */
  readonly user: string;
  /**
   * Every other SID of the logon, each once: the primary group when GroupIds
   * does not list it, GroupIds in PAC order, ExtraSids (other domains'
   * groups, S-1-18-x) and, with LOGON_RESOURCE_GROUPS, resource groups
   * (`validationInfoSids`). What a Windows token's groups hold, enabled or
   * not (their attributes are in {@link VerifiedPac.logonInfo}).
   */
  readonly groups: readonly string[];
}

/**
 * A ticket's PAC, decoded and verified: a {@link Pac} (its `buffers`), with
 * the logon information and SIDs read out.
 */
export interface VerifiedPac extends Pac {
  /** KERB_VALIDATION_INFO, if the PAC has one. */
  readonly logonInfo: KerbValidationInfo | undefined;
  /** The user's and groups' SIDs from {@link logonInfo}. */
  readonly sids: PacSids | undefined;
  /** The signatures that were checked: `server`, then with KDC keys `kdc`, `ticket`, `full`. */
  readonly verifiedSignatures: readonly PacSignatureKind[];
}

/** How a service checks PACs (see the module comment). */
export interface PacCheck {
  /** The issuing KDC's krbtgt keys: with them the KDC, ticket and extended KDC signatures are checked too. */
  readonly kdcKeys?: readonly Key[];
  /** With `kdcKeys`: require the extended KDC signature in service tickets. Default true. */
  readonly requireExtendedKdcSignature?: boolean;
}

/** `value` with bigints as decimal strings and byte arrays as hex: what JSON can hold. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

class AcceptedPac implements VerifiedPac {
  readonly buffers: readonly PacBuffer[];
  readonly logonInfo: KerbValidationInfo | undefined;
  readonly sids: PacSids | undefined;
  readonly verifiedSignatures: readonly PacSignatureKind[];

  constructor(pac: Pac, logonInfo: KerbValidationInfo | undefined, verified: readonly PacSignatureKind[]) {
    this.buffers = pac.buffers;
    this.logonInfo = logonInfo;
    this.sids = logonInfo === undefined ? undefined : sidsOf(logonInfo);
    this.verifiedSignatures = verified;
  }

  toJSON(): object {
    return jsonSafe({ ...this }) as object;
  }
}

function sidsOf(info: KerbValidationInfo): PacSids | undefined {
  const all = validationInfoSids(info).map((s) => formatSid(s.sid));
  const [user, ...rest] = all;
  if (user === undefined || info.logonDomainId === undefined) return undefined;
  return { user, groups: [...new Set(rest)] };
}

/** A verified PAC and its PAC_CLIENT_INFO. */
interface ReadPac {
  readonly pac: AcceptedPac;
  readonly clientInfo: PacClientInfo | undefined;
}

function refuse(ticket: EncTicketPart, realm: string, code: number, message: string, cause: unknown): never {
  throw new ApReqError(code, message, { realm, client: ticket, cause });
}

/**
 * Find, verify and read the PAC of `ticket`, decrypted with `serverKey`
 * (see the module comment). Undefined when the ticket carries no PAC.
 * Throws {@link ApReqError} with the signature's code when it does not verify.
 */
export function acceptedPac(
  ticket: EncTicketPart,
  server: { readonly realm: string; readonly name: PrincipalName },
  serverKey: Key,
  check: PacCheck,
): VerifiedPac | undefined {
  let verified: ReadPac | undefined;
  try {
    verified = verifiedPac(ticket, server, serverKey, check);
  } catch (e) {
    // Only a PAC or codec refusal becomes a wire code; a bug stays a bug.
    if (!isKerberosError(e)) throw e;
    const signature = isPacError(e) && e.signature !== undefined;
    const code = signature ? e.code : ErrorCode.KRB_AP_ERR_MODIFIED;
    const what = signature ? 'does not verify' : 'is malformed';
    return refuse(ticket, server.realm, code, `the ticket's PAC ${what}: ${e.message}`, e);
  }
  if (verified === undefined) return undefined;
  const mismatch = clientInfoMismatch(ticket, verified.clientInfo);
  if (mismatch !== undefined) {
    return refuse(
      ticket,
      server.realm,
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the ticket's PAC ${mismatch}`,
      undefined,
    );
  }
  return verified.pac;
}

/**
 * Steps 1 to 3: the PAC found, verified and decoded, with its PAC_CLIENT_INFO
 * (read here, so that a PAC with two is refused as malformed); undefined without a PAC.
 */
function verifiedPac(
  ticket: EncTicketPart,
  server: { readonly realm: string; readonly name: PrincipalName },
  serverKey: Key,
  check: PacCheck,
): ReadPac | undefined {
  const loc = findPac(ticket.authorizationData);
  if (loc === undefined) return undefined;
  const kdcKeys = check.kdcKeys === undefined ? [undefined] : kdcKeysFor(loc.pac, check.kdcKeys);
  let kdcKey: Key | undefined;
  let failure: unknown;
  for (const candidate of kdcKeys) {
    try {
      verifyTicketPac(
        ticket,
        { serverKey, ...(candidate !== undefined && { kdcKey: candidate }) },
        {
          server: server.name,
          ...(check.requireExtendedKdcSignature !== undefined && {
            requireExtendedKdcSignature: check.requireExtendedKdcSignature,
          }),
        },
      );
      kdcKey = candidate;
      failure = undefined;
      break;
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
  // verifyTicketPac parses; every buffer is decoded here, so that a malformed one is refused with the ticket.
  const pac = decodePac(loc.pac);
  const verified: PacSignatureKind[] = ['server'];
  if (kdcKey !== undefined) {
    verified.push('kdc');
    if (hasTicketSignature(server.name)) verified.push('ticket');
    if (getPacBuffer(pac, PacBufferType.FULL_CHECKSUM) !== undefined) verified.push('full');
  }
  return {
    pac: new AcceptedPac(pac, getPacBuffer(pac, PacBufferType.LOGON_INFO), verified),
    clientInfo: getPacBuffer(pac, PacBufferType.CLIENT_INFO),
  };
}

/**
 * Why PAC_CLIENT_INFO does not describe `ticket`'s client (MS-PAC 2.7), or
 * undefined when it does. A PAC without one is refused: MS-PAC 2.4 has every
 * PAC carry one, and MIT's `krb5_pac_verify` fails without it (`k5_pac_validate_client`).
 */
function clientInfoMismatch(ticket: EncTicketPart, info: PacClientInfo | undefined): string | undefined {
  if (info === undefined) {
    return 'has no PAC_CLIENT_INFO buffer, which every PAC must carry (MS-PAC 2.4): nothing ties it to this ticket';
  }
  const name = ticket.cname.nameString.join('/');
  // The name alone, or with the realm (as a cross-realm S4U2Self PAC writes it, MS-SFU 3.2.5.1.1).
  if (info.name !== name && info.name !== `${name}@${ticket.crealm}`) {
    return `names client ${info.name}, not ${name}`;
  }
  if (info.clientId !== fileTimeFromMillis(ticket.authtime)) {
    return `was issued at another logon (ClientId ${info.clientId}, authtime ${new Date(ticket.authtime).toISOString()})`;
  }
  return undefined;
}

/**
 * The KDC keys that may have made the KDC signature, each tried in turn (after
 * a krbtgt rotation the KDC signs with its new key while a service may still
 * be given the old one first): those whose mandatory checksum type is the one
 * it names; when none is (an HMAC-MD5 signature, which any key can make, as
 * Windows 2008 signed with AES keys), every key. A failure is reported as the
 * first candidate's.
 */
function kdcKeysFor(bytes: Uint8Array, keys: readonly Key[]): readonly (Key | undefined)[] {
  if (keys.length <= 1) return keys.length === 0 ? [undefined] : keys;
  const type = getPacBuffer(parsePac(bytes), PacBufferType.PRIVSVR_CHECKSUM)?.signatureType;
  const ofType = keys.filter((k) => checksumTypeFor(k.etype) === type);
  return ofType.length > 0 ? ofType : keys;
}
