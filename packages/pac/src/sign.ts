/**
 * PAC signatures: MS-PAC 2.8 (and MS-KILE 3.3.5.6.4), with the extended KDC
 * signature of the November 2022 updates (CVE-2022-37967). Every signature
 * is a keyed checksum with key usage 17 (KERB_NON_KERB_CKSUM_SALT) whose
 * type is the key's mandatory checksum type (`checksumTypeFor`: hmac-md5
 * -138 for RC4 keys, hmac-sha1-96-aes256 16 and -aes128 15 for AES keys):
 *
 * 1. ticket signature (16), KDC key: over the EncTicketPart with the PAC
 *    replaced by a zero byte (see `ticketSignatureData`); it does not cover
 *    the PAC, so it is computed first and written into the PAC;
 * 2. extended KDC signature (19), KDC key: over the whole PAC with the
 *    server, KDC and extended KDC signatures zeroed;
 * 3. server signature (6), the key the ticket is encrypted with: over the
 *    whole PAC with the server and KDC signatures zeroed (the extended KDC
 *    signature in place);
 * 4. KDC signature (7), KDC key: over the server signature's bytes.
 *
 * "Zeroed" means every byte after SignatureType, a RODCIdentifier trailer
 * included, as MIT and Samba zero them. Ticket and extended KDC signatures
 * go only into tickets that are not for a TGS or kadmin/changepw (see
 * `hasTicketSignature`).
 *
 * Verification refuses an unkeyed checksum type in any signature (MS14-068:
 * a forger needs no key for an MD5 or SHA-1 "signature") with
 * KRB_AP_ERR_INAPP_CKSUM, an unknown type with KDC_ERR_SUMTYPE_NOSUPP, and a
 * missing or wrong signature with KRB_AP_ERR_MODIFIED (what MS-SFU and MIT's
 * `krb5_kdc_verify_ticket` return); the error's `signature` says which.
 *
 * @module
 */

import type { EncTicketPart, PrincipalName } from '@krbsim/asn1';
import { ChecksumType, ErrorCode, KerberosError } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  getChecksumType,
  type Key,
  KeyUsage,
  supportedChecksumTypes,
  verifyChecksum,
} from '@krbsim/crypto';
import { decodePacSignatureData, type PacSignatureData } from './buffers/signature';
import { PacError, type PacSignatureKind } from './errors';
import { PacBufferType } from './iana/buffer-type';
import { acquireWriter, releaseWriter } from './ndr/writer';
import {
  type DecodePacOptions,
  type Pac,
  type PacBuffer,
  type PacDirectoryEntry,
  parsePacWithDirectory,
  writePac,
} from './pac';
import { findPac, hasTicketSignature, ticketSignatureData, withPac } from './ticket';

const SIGNATURE_KINDS: Readonly<Record<number, PacSignatureKind>> = {
  [PacBufferType.SERVER_CHECKSUM]: 'server',
  [PacBufferType.PRIVSVR_CHECKSUM]: 'kdc',
  [PacBufferType.TICKET_CHECKSUM]: 'ticket',
  [PacBufferType.FULL_CHECKSUM]: 'full',
};

const SIGNATURE_NAMES: Readonly<Record<PacSignatureKind, string>> = {
  server: 'server signature (PAC buffer 6)',
  kdc: 'KDC signature (PAC buffer 7)',
  ticket: 'ticket signature (PAC buffer 16)',
  full: 'extended KDC signature (PAC buffer 19)',
};

/**
 * Unkeyed checksum types (RFC 3961 section 8): CRC32, RSA-MD4, RSA-MD5 and
 * SHA-1. A PAC "signed" with one proves nothing: MS14-068 forged PACs with
 * RSA-MD5.
 */
const UNKEYED_CHECKSUM_TYPES: ReadonlySet<number> = new Set([
  ChecksumType.CRC32,
  ChecksumType.RSA_MD4,
  ChecksumType.RSA_MD5,
  ChecksumType.SHA1,
  ChecksumType.SHA1_UNKEYED,
]);

const usage = KeyUsage.KERB_NON_KERB_CKSUM_SALT;

/** The keys that sign a PAC. */
export interface PacSigningKeys {
  /** The key the ticket is encrypted with (the service's, or the krbtgt or inter-realm key of a TGT). */
  readonly serverKey: Key;
  /** The issuing KDC's krbtgt key (the "privilege server" key). */
  readonly kdcKey: Key;
}

/** Options for {@link signPac}. */
export interface SignPacOptions {
  /**
   * The EncTicketPart the PAC goes into, holding a PAC element (whatever its
   * contents: the ticket signature covers a zero byte in its place). When
   * given, the ticket signature and the extended KDC signature are added;
   * when not (a TGT or referral), any ticket and extended KDC signature
   * buffers are removed.
   */
  readonly ticket?: EncTicketPart;
  /** Add the extended KDC signature along with the ticket signature (default true, as Windows has since November 2022). */
  readonly extendedKdcSignature?: boolean;
  /** Checksum type of the server signature; default the server key's mandatory one. */
  readonly serverChecksumType?: number;
  /** Checksum type of the KDC, ticket and extended KDC signatures; default the KDC key's mandatory one. */
  readonly kdcChecksumType?: number;
  /**
   * The KDC signature's RODCIdentifier (MS-PAC 2.8): the signing read-only
   * DC's branch, the high 16 bits of its krbtgt kvno (MS-KILE 3.1.5.8);
   * `null` for none (a writable KDC, re-signing a PAC another KDC signed).
   * Default: the one the PAC's KDC signature buffer has, if any (a
   * placeholder that names it).
   */
  readonly rodcIdentifier?: number | null;
}

/** A signed PAC: its encoding and its value with the signatures filled in. */
export interface SignedPac {
  readonly pac: Pac;
  /** The encoding: a view into a slab shared with other outputs (`slice()` it for a buffer of your own). */
  readonly bytes: Uint8Array;
}

function zeroSignature(
  type: number,
  signatureType: number,
  previous: PacSignatureData | undefined,
  rodcIdentifier: number | null | undefined,
): PacSignatureData {
  const length = getChecksumType(signatureType).checksumBytes;
  const rodc = rodcIdentifier === null ? undefined : (rodcIdentifier ?? previous?.rodcIdentifier);
  return {
    signatureType,
    signature: new Uint8Array(length),
    ...(rodc !== undefined && type === PacBufferType.PRIVSVR_CHECKSUM ? { rodcIdentifier: rodc } : {}),
  };
}

/**
 * The signature a buffer held as bytes (a PAC from `parsePac`), for its
 * RODCIdentifier; undefined when those bytes are no signature (they are
 * replaced anyway).
 */
function previousSignature(b: PacBuffer): PacSignatureData | undefined {
  if (!('data' in b)) return undefined;
  try {
    return decodePacSignatureData(b.data);
  } catch {
    return undefined;
  }
}

function checkSigningType(cksumtype: number, key: Key, kind: PacSignatureKind): void {
  if (UNKEYED_CHECKSUM_TYPES.has(cksumtype) || getChecksumType(cksumtype).kind === 'unkeyed') {
    throw new PacError(`checksum type ${cksumtype} is unkeyed; a PAC signature must be keyed`, {
      code: ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      signature: kind,
    });
  }
  // The key's mandatory type always fits it. Another type may not: checksumming nothing makes
  // one that does not fit fail before anything is signed.
  if (cksumtype !== checksumTypeFor(key.etype)) checksum(key, usage, new Uint8Array(0), { cksumtype });
}

function entryOf(entries: readonly PacDirectoryEntry[], type: number): PacDirectoryEntry | undefined {
  let found: PacDirectoryEntry | undefined;
  for (const e of entries) {
    if (e.type !== type) continue;
    if (found !== undefined) {
      throw new PacError(`the PAC has more than one buffer of type ${type}`, {
        code: ErrorCode.KRB_AP_ERR_MODIFIED,
        signature: SIGNATURE_KINDS[type],
        path: 'PACTYPE',
      });
    }
    found = e;
  }
  return found;
}

/** Zeroes everything after SignatureType in the signature buffer `e` of `b`. */
function zeroAfterType(b: Uint8Array, e: PacDirectoryEntry | undefined): void {
  if (e !== undefined && e.size > 4) b.fill(0, e.offset + 4, e.offset + e.size);
}

/**
 * Signs a PAC (MS-PAC 2.8): sets the signature buffers' types, zeroes them,
 * then computes the ticket, extended KDC, server and KDC signatures in that
 * order (see the module comment). Missing signature buffers are appended in
 * the order server, KDC, ticket, extended KDC; existing ones keep their
 * place (and a KDC signature its RODCIdentifier).
 *
 * @throws PacError or KerberosError for a key or checksum type that cannot
 *   sign (an unkeyed type, a type of another etype's keys), or a PAC with
 *   two buffers of one signature type.
 */
export function signPac(pac: Pac, keys: PacSigningKeys, options: SignPacOptions = {}): SignedPac {
  const serverType = options.serverChecksumType ?? checksumTypeFor(keys.serverKey.etype);
  const kdcType = options.kdcChecksumType ?? checksumTypeFor(keys.kdcKey.etype);
  checkSigningType(serverType, keys.serverKey, 'server');
  checkSigningType(kdcType, keys.kdcKey, 'kdc');
  const ticket = options.ticket;
  const full = ticket !== undefined && (options.extendedKdcSignature ?? true);
  // The signature buffers the PAC gets, in the order missing ones are appended, and their checksum types.
  const wantedTypes: readonly number[] = [PacBufferType.SERVER_CHECKSUM, PacBufferType.PRIVSVR_CHECKSUM];
  const types = [serverType, kdcType];
  if (ticket !== undefined) {
    (wantedTypes as number[]).push(PacBufferType.TICKET_CHECKSUM);
    types.push(kdcType);
  }
  if (full) {
    (wantedTypes as number[]).push(PacBufferType.FULL_CHECKSUM);
    types.push(kdcType);
  }

  const ticketSignature =
    ticket === undefined
      ? undefined
      : checksum(keys.kdcKey, usage, ticketSignatureData(ticket), { cksumtype: kdcType });

  /** Where each wanted signature buffer is in `buffers`, by its index in `wantedTypes`. */
  const index = [-1, -1, -1, -1];
  const buffers: PacBuffer[] = [];
  for (const b of pac.buffers) {
    const t = b.type;
    if (SIGNATURE_KINDS[t] === undefined) {
      buffers.push(b);
      continue;
    }
    const k = wantedTypes.indexOf(t);
    if (k < 0) continue; // a ticket or extended KDC signature that no longer applies
    if (index[k] !== -1) {
      throw new PacError(`the PAC has more than one buffer of type ${t}`, { signature: SIGNATURE_KINDS[t] });
    }
    index[k] = buffers.length;
    const previous = 'value' in b ? (b.value as PacSignatureData) : previousSignature(b);
    buffers.push({
      type: t,
      value: zeroSignature(t, types[k]!, previous, options.rodcIdentifier),
    } as PacBuffer);
  }
  for (let k = 0; k < wantedTypes.length; k++) {
    if (index[k] !== -1) continue;
    const t = wantedTypes[k]!;
    index[k] = buffers.length;
    buffers.push({
      type: t,
      value: zeroSignature(t, types[k]!, undefined, options.rodcIdentifier),
    } as PacBuffer);
  }
  if (ticketSignature !== undefined) {
    buffers[index[2]!] = {
      type: PacBufferType.TICKET_CHECKSUM,
      value: { signatureType: kdcType, signature: ticketSignature },
    };
  }

  // Encoded once, into a reused writer; the checksums read it in place and
  // the result is its one copy. The signature buffers were written zeroed,
  // as the checksums need them, except a KDC signature's RODCIdentifier,
  // which is zeroed for them and then put back.
  const w = acquireWriter();
  let bytes: Uint8Array;
  let serverSignature: Uint8Array;
  let kdcSignature: Uint8Array;
  let fullSignature: Uint8Array | undefined;
  try {
    const entries = writePac(w, { buffers });
    // `entries` follows `buffers`, whose signature buffers `index` locates.
    const server = entries[index[0]!]!;
    const kdc = entries[index[1]!]!;
    const trailerAt = kdc.offset + 4 + getChecksumType(kdcType).checksumBytes;
    const kdcEnd = kdc.offset + kdc.size;
    const trailer = trailerAt < kdcEnd ? w.view(trailerAt, kdcEnd).slice() : undefined;
    if (trailer !== undefined) w.view(trailerAt, kdcEnd).fill(0);
    const whole = w.view(0, w.pos);
    if (full) {
      const fe = entries[index[3]!]!;
      fullSignature = checksum(keys.kdcKey, usage, whole, { cksumtype: kdcType });
      w.putBytes(fe.offset + 4, fullSignature);
    }
    serverSignature = checksum(keys.serverKey, usage, whole, { cksumtype: serverType });
    w.putBytes(server.offset + 4, serverSignature);
    if (trailer !== undefined) w.putBytes(trailerAt, trailer);
    kdcSignature = checksum(keys.kdcKey, usage, w.view(server.offset + 4, server.offset + server.size), {
      cksumtype: kdcType,
    });
    w.putBytes(kdc.offset + 4, kdcSignature);
    bytes = w.finish();
  } finally {
    releaseWriter(w);
  }

  // The returned value carries the signatures; `buffers` is this call's own array.
  const computed = [serverSignature, kdcSignature, undefined, fullSignature];
  for (let k = 0; k < computed.length; k++) {
    const signature = computed[k];
    if (signature === undefined) continue;
    const b = buffers[index[k]!] as { type: number; value: PacSignatureData };
    buffers[index[k]!] = { type: b.type, value: { ...b.value, signature } } as PacBuffer;
  }
  return { pac: { buffers }, bytes };
}

/** The keys to check a PAC's signatures with; a signature whose key is not given is not checked. */
export interface PacVerificationKeys {
  /** Checks the server signature: the key the ticket was encrypted with. */
  readonly serverKey?: Key;
  /** Checks the KDC signature, and the ticket and extended KDC signatures: the issuing KDC's krbtgt key. */
  readonly kdcKey?: Key;
}

/** Options for {@link verifyPac}. */
export interface VerifyPacOptions extends DecodePacOptions {
  /**
   * The decrypted EncTicketPart the PAC came in. With a `kdcKey`, its ticket
   * signature is required and checked (the Bronze Bit fix, CVE-2020-17049).
   * Leave out for TGTs and tickets to kadmin/changepw (see
   * `hasTicketSignature`).
   */
  readonly ticket?: EncTicketPart;
  /**
   * Require the extended KDC signature (with a `kdcKey`). Default: true when
   * `ticket` is given, as Windows (since the enforcement phase of the 2022
   * updates) and MIT 1.21 require; false accepts PACs from KDCs older than
   * that, such as MIT 1.20's. A present one is checked either way.
   */
  readonly requireExtendedKdcSignature?: boolean;
}

function signatureError(kind: PacSignatureKind, reason: string, code: number, cause?: unknown): PacError {
  return new PacError(`${SIGNATURE_NAMES[kind]}: ${reason}`, { code, signature: kind, cause });
}

/** The SignatureType of the signature buffer `e` of `b` (little-endian), or undefined when it has none. */
function signatureTypeOf(b: Uint8Array, e: PacDirectoryEntry | undefined): number | undefined {
  if (e === undefined || e.size < 4) return undefined;
  return b[e.offset]! | (b[e.offset + 1]! << 8) | (b[e.offset + 2]! << 16) | (b[e.offset + 3]! << 24) | 0;
}

/**
 * Reads the signature buffer `e` of `b` and checks it against `data` with `key`. With `kdc`, the
 * KDC signature's buffer: `e` must be of its type once its own type is known good (MS-PAC 2.8.2 and
 * 2.8.3: the ticket and extended KDC signatures are made with the KDC signature's key and their
 * SignatureType MUST match; an HMAC-MD5 signature, which takes any key, could otherwise stand
 * beside an AES KDC signature).
 */
function verifyOne(
  b: Uint8Array,
  e: PacDirectoryEntry | undefined,
  kind: PacSignatureKind,
  key: Key,
  data: Uint8Array,
  kdc?: PacDirectoryEntry,
): void {
  if (e === undefined) throw signatureError(kind, 'missing', ErrorCode.KRB_AP_ERR_MODIFIED);
  if (e.size < 4) throw signatureError(kind, `the buffer has ${e.size} bytes`, ErrorCode.KRB_AP_ERR_MODIFIED);
  const cksumtype = signatureTypeOf(b, e)!;
  if (UNKEYED_CHECKSUM_TYPES.has(cksumtype)) {
    throw signatureError(
      kind,
      `checksum type ${cksumtype} is unkeyed, and a PAC signature must be keyed (MS14-068)`,
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  }
  if (!supportedChecksumTypes.includes(cksumtype)) {
    throw signatureError(
      kind,
      `checksum type ${cksumtype} is not supported`,
      ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
    );
  }
  const profile = getChecksumType(cksumtype);
  if (profile.kind === 'unkeyed') {
    throw signatureError(
      kind,
      `checksum type ${cksumtype} (${profile.name}) is unkeyed, and a PAC signature must be keyed (MS14-068)`,
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    );
  }
  const kdcType = signatureTypeOf(b, kdc);
  if (kdcType !== undefined && cksumtype !== kdcType) {
    throw signatureError(
      kind,
      `signature type ${cksumtype} is not the KDC signature's, ${kdcType} (MS-PAC 2.8: they must match)`,
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
  }
  // The buffer holds exactly the checksum (and perhaps an RODCIdentifier): never a MAC read past its
  // end, out of the padding or the next buffer (MIT: KRB5_BAD_MSIZE; readPacSignatureData's rule).
  const after = e.size - 4;
  if (after !== profile.checksumBytes && after !== profile.checksumBytes + 2) {
    throw signatureError(
      kind,
      `checksum type ${cksumtype} has a ${profile.checksumBytes}-byte signature; the buffer has ${after} bytes after SignatureType`,
      ErrorCode.KRB_AP_ERR_MODIFIED,
    );
  }
  const mac = b.subarray(e.offset + 4, e.offset + 4 + profile.checksumBytes);
  let ok: boolean;
  try {
    ok = verifyChecksum(key, usage, data, mac, { cksumtype });
  } catch (x) {
    // Only the crypto's refusals (a type that does not fit the key) become a signature error.
    if (!(x instanceof KerberosError)) throw x;
    throw signatureError(kind, x.message, x.code, x);
  }
  if (!ok) throw signatureError(kind, 'does not match', ErrorCode.KRB_AP_ERR_MODIFIED);
}

/**
 * Checks a PAC's signatures (MS-PAC 2.8) and returns the PAC as
 * `parsePac` returns it, as MIT's `krb5_pac_parse` and `krb5_pac_verify`
 * do: every buffer as bytes, decoded by `getPacBuffer` when asked for
 * (`decodePac` of the same bytes decodes them all at once), and written
 * back as they are when the PAC is signed again.
 *
 * The signatures checked:
 *
 * - with `serverKey`: the server signature;
 * - with `kdcKey`: the KDC signature; with `ticket` too, the ticket
 *   signature (required) and the extended KDC signature (required unless
 *   `requireExtendedKdcSignature` is false; checked whenever present).
 *
 * Checks run in the order ticket, server, extended KDC, KDC, as MIT's do;
 * the first failure is thrown.
 *
 * @throws PacError: a malformed header or directory (60, with a path); a signature missing or
 *   wrong (KRB_AP_ERR_MODIFIED), unkeyed or not fitting the key
 *   (KRB_AP_ERR_INAPP_CKSUM), of an unknown type (KDC_ERR_SUMTYPE_NOSUPP),
 *   each with `signature` set; a ticket or extended KDC signature of
 *   another type than the KDC signature's (KRB_AP_ERR_MODIFIED, MS-PAC 2.8);
 *   more than one buffer of a signature type (KRB_AP_ERR_MODIFIED).
 */
export function verifyPac(bytes: Uint8Array, keys: PacVerificationKeys, options: VerifyPacOptions = {}): Pac {
  const { pac, entries } = parsePacWithDirectory(bytes, options);
  const { serverKey, kdcKey } = keys;
  const server = entryOf(entries, PacBufferType.SERVER_CHECKSUM);
  const kdc = entryOf(entries, PacBufferType.PRIVSVR_CHECKSUM);
  const full = entryOf(entries, PacBufferType.FULL_CHECKSUM);
  const ticketEntry = entryOf(entries, PacBufferType.TICKET_CHECKSUM);
  if (kdcKey !== undefined && options.ticket !== undefined) {
    verifyOne(bytes, ticketEntry, 'ticket', kdcKey, ticketSignatureData(options.ticket), kdc);
  }
  // The checksummed copy, with signatures zeroed, lives in a reused writer: it never leaves here.
  const w = acquireWriter();
  try {
    w.bytes(bytes);
    const copy = w.view(0, bytes.length);
    zeroAfterType(copy, server);
    zeroAfterType(copy, kdc);
    if (serverKey !== undefined) verifyOne(bytes, server, 'server', serverKey, copy);
    if (kdcKey !== undefined) {
      const required = options.requireExtendedKdcSignature ?? options.ticket !== undefined;
      if (full !== undefined || required) {
        zeroAfterType(copy, full);
        verifyOne(bytes, full, 'full', kdcKey, copy, kdc);
      }
      if (server === undefined) throw signatureError('server', 'missing', ErrorCode.KRB_AP_ERR_MODIFIED);
      verifyOne(bytes, kdc, 'kdc', kdcKey, bytes.subarray(server.offset + 4, server.offset + server.size));
    }
  } finally {
    releaseWriter(w);
  }
  return pac;
}

/** Options for {@link signTicketPac}. */
export interface SignTicketPacOptions extends Omit<SignPacOptions, 'ticket'> {
  /** The ticket's server name: decides whether it gets the ticket and extended KDC signatures ({@link hasTicketSignature}). */
  readonly server: PrincipalName;
}

/** A signed PAC placed in its EncTicketPart. */
export interface SignedTicketPac extends SignedPac {
  /** `encTicketPart` with the signed PAC in its authorization data. */
  readonly encTicketPart: EncTicketPart;
}

/**
 * Signs `pac` for the ticket `encTicketPart` and puts it there, as a KDC
 * does before encrypting the ticket (MIT's `krb5_kdc_sign_ticket`): into the
 * ticket's PAC element if it has one, else into a new AD-IF-RELEVANT
 * container placed first. Service tickets get the ticket and extended KDC
 * signatures; tickets for a TGS or kadmin/changepw do not.
 */
export function signTicketPac(
  encTicketPart: EncTicketPart,
  pac: Pac,
  keys: PacSigningKeys,
  options: SignTicketPacOptions,
): SignedTicketPac {
  const { server, ...rest } = options;
  const placeholder: EncTicketPart = {
    ...encTicketPart,
    authorizationData: withPac(encTicketPart.authorizationData, Uint8Array.of(0)),
  };
  const signed = signPac(pac, keys, { ...rest, ...(hasTicketSignature(server) && { ticket: placeholder }) });
  return {
    ...signed,
    encTicketPart: {
      ...encTicketPart,
      authorizationData: withPac(encTicketPart.authorizationData, signed.bytes),
    },
  };
}

/** Options for {@link verifyTicketPac}. */
export interface VerifyTicketPacOptions extends DecodePacOptions {
  /** The ticket's server name: decides whether ticket and extended KDC signatures are expected. */
  readonly server: PrincipalName;
  /** See {@link VerifyPacOptions.requireExtendedKdcSignature}; default true for service tickets. */
  readonly requireExtendedKdcSignature?: boolean;
}

/**
 * Finds the PAC in a decrypted ticket and checks its signatures, as MIT's
 * `krb5_kdc_verify_ticket` does: with a `kdcKey`, a service ticket's ticket
 * signature is required. Returns undefined when the ticket has no PAC
 * (whether one is required is the caller's policy).
 *
 * @throws PacError as {@link verifyPac} does.
 */
export function verifyTicketPac(
  encTicketPart: EncTicketPart,
  keys: PacVerificationKeys,
  options: VerifyTicketPacOptions,
): Pac | undefined {
  const loc = findPac(encTicketPart.authorizationData);
  if (loc === undefined) return undefined;
  const service = hasTicketSignature(options.server);
  return verifyPac(loc.pac, keys, {
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    ...(service && { ticket: encTicketPart }),
    requireExtendedKdcSignature: service && (options.requireExtendedKdcSignature ?? true),
  });
}
