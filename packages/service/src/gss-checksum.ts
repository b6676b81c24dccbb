/**
 * Reading the GSS-API Kerberos authenticator checksum on the acceptor side:
 * RFC 4121 section 4.1.1 (checksum type 0x8003: Lgth, Bnd, Flags, then the
 * optional delegation DlgOpt/Dlgth/Deleg) and the channel-binding check of
 * section 4.1.1.2.
 *
 * As MIT's acceptor does, Lgth is read little-endian with a big-endian
 * fallback, and an initiator that sent no bindings (Bnd all zero) is
 * accepted even when the acceptor has bindings (MIT ticket 8899). Bindings
 * that are present and differ are refused with KRB_AP_ERR_MODIFIED: no RFC
 * 4120 code names this (GSS reports GSS_S_BAD_BINDINGS), and "modified" is
 * what a relayed token looks like.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type { Checksum } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** RFC 4121 section 4.1.1 checksum type. */
export const GSS_CHECKSUM_TYPE = 0x8003;

/** The GSS context flags (RFC 2744), as carried in Flags. */
export const GssFlags = {
  deleg: 1,
  mutual: 2,
  replay: 4,
  sequence: 8,
  conf: 16,
  integ: 32,
} as const;

/** The parsed 0x8003 checksum. */
export interface GssChecksum {
  /** The context flags the initiator asked for. */
  readonly flags: number;
  /** Bnd: 16 octets, all zero when the initiator sent no bindings. */
  readonly bindings: Uint8Array;
  /** The delegated KRB-CRED (DER), when DlgOpt is 1. */
  readonly delegation?: Uint8Array;
}

function inapp(why: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
    `the GSS-API authenticator checksum is unusable: ${why} (RFC 4121 section 4.1.1 expects type 0x8003)`,
  );
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Parses the authenticator's checksum as a 0x8003 GSS checksum; throws KRB_AP_ERR_INAPP_CKSUM if it is not one. */
export function parseGssChecksum(cksum: Checksum | undefined): GssChecksum {
  if (cksum === undefined) throw inapp('the authenticator has no checksum');
  if (cksum.cksumtype !== GSS_CHECKSUM_TYPE) throw inapp(`its type is ${cksum.cksumtype}`);
  const b = cksum.checksum;
  if (b.length < 24) throw inapp(`it is ${b.length} octets, shorter than the 24 required`);
  if (u32le(b, 0) !== 16 && u32be(b, 0) !== 16) throw inapp('Lgth is not 16');
  const bindings = b.slice(4, 20);
  const flags = u32le(b, 20);
  if ((flags & GssFlags.deleg) === 0 || b.length < 28) return { flags, bindings };
  const dlgOpt = b[24]! | (b[25]! << 8);
  const dlgth = b[26]! | (b[27]! << 8);
  if (dlgOpt !== 1) return { flags, bindings };
  if (28 + dlgth > b.length) throw inapp(`Dlgth ${dlgth} runs past the end of the checksum`);
  return { flags, bindings, delegation: b.slice(28, 28 + dlgth) };
}

/** MD5 of the channel bindings laid out as RFC 4121 section 4.1.1.2 says, with no addresses. */
export function channelBindingHash(applicationData: Uint8Array): Uint8Array {
  const buf = new Uint8Array(20 + applicationData.length);
  // Initiator and acceptor: address type 0, length 0 (8 zero octets each).
  const len = applicationData.length;
  buf[16] = len & 0xff;
  buf[17] = (len >>> 8) & 0xff;
  buf[18] = (len >>> 16) & 0xff;
  buf[19] = (len >>> 24) & 0xff;
  buf.set(applicationData, 20);
  return new Uint8Array(createHash('md5').update(buf).digest());
}

/**
 * Checks Bnd against the acceptor's channel bindings (their application
 * data). No acceptor bindings, or none sent by the initiator, passes.
 */
export function checkChannelBindings(parsed: GssChecksum, applicationData: Uint8Array | undefined): void {
  if (applicationData === undefined) return;
  if (parsed.bindings.every((x) => x === 0)) return;
  const want = channelBindingHash(applicationData);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= want[i]! ^ parsed.bindings[i]!;
  if (diff !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the channel bindings in the GSS checksum do not match this connection; the token was made for another channel (a relay?) or the client computed bindings differently',
    );
  }
}
