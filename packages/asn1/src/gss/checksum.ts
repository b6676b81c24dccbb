/**
 * The GSS-API Kerberos authenticator checksum: RFC 4121 section 4.1.1
 * (checksum type 0x8003), and the channel-binding hash of section 4.1.1.2.
 * The initiator encodes it into its authenticator; the acceptor decodes it.
 *
 * ```
 * octets  name    contents
 * 0..3    Lgth    16, little-endian (the length of Bnd)
 * 4..19   Bnd     MD5 of the channel bindings, or 16 zero octets
 * 20..23  Flags   the context flags asked for, little-endian
 * 24..25  DlgOpt  1 when a KRB-CRED follows (only with the deleg flag)
 * 26..27  Dlgth   the KRB-CRED's length
 * 28..    Deleg   the KRB-CRED
 * ```
 *
 * As MIT's acceptor does, Lgth is read little-endian with a big-endian
 * fallback. A malformed checksum is KRB_AP_ERR_INAPP_CKSUM.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { Asn1Error } from '../der/errors';
import { badValue, expectBytes } from '../der/writer';
import type { Checksum } from '../types/basic';

/** RFC 4121 section 4.1.1.1 checksum type of the GSS authenticator checksum. */
export const GSS_CHECKSUM_TYPE = 0x8003;

/** GSS context flags (RFC 2744 section 5.19, as RFC 4121 section 4.1.1.1 puts them in Flags). */
export const GssFlags = {
  deleg: 1,
  mutual: 2,
  replay: 4,
  sequence: 8,
  conf: 16,
  integ: 32,
  /** GSS_C_ANON_FLAG (RFC 2744 section 5.19). */
  anon: 0x40,
  /** GSS_C_PROT_READY_FLAG: per-message protection is available (RFC 2744 section 5.19; a returned flag). */
  protReady: 0x80,
  /** GSS_C_TRANS_FLAG: the context can be exported (RFC 2744 section 5.19; a returned flag). */
  trans: 0x100,
  /** GSS_C_DCE_STYLE (MS-KILE 3.4.5.1; Heimdal's and MIT's value). */
  dceStyle: 0x1000,
  /** GSS_C_IDENTIFY_FLAG (MS-KILE 3.4.5.1; Heimdal's and MIT's value). */
  identify: 0x2000,
  /** GSS_C_EXTENDED_ERROR_FLAG (MS-KILE 3.4.5.1; Heimdal's and MIT's value). */
  extendedError: 0x4000,
  /**
   * GSS_C_CHANNEL_BOUND_FLAG: the acceptor checked the initiator's channel bindings against its own
   * and they matched (a returned flag; MIT's value, from krb5 1.19).
   */
  channelBound: 0x800,
} as const;

/** The channel bindings of RFC 2744 section 3.11: addresses (usually empty) and application data. */
export interface ChannelBindings {
  readonly initiatorAddrType?: number;
  readonly initiatorAddress?: Uint8Array;
  readonly acceptorAddrType?: number;
  readonly acceptorAddress?: Uint8Array;
  /** E.g. `tls-server-end-point:` followed by the certificate hash (RFC 5929). */
  readonly applicationData: Uint8Array;
}

function u32le(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

/**
 * The 16-octet Bnd value: MD5 over the channel bindings laid out as RFC 4121
 * section 4.1.1.2 says (each address type and length as 4 little-endian
 * octets, then the octets). `undefined` gives 16 zero octets ("no bindings").
 */
export function channelBindingHash(cb: ChannelBindings | Uint8Array | undefined): Uint8Array {
  return bindingHash(cb, 'ChannelBindings');
}

/** {@link channelBindingHash}, naming bad input by `path` (the caller's name for the bindings). */
function bindingHash(cb: ChannelBindings | Uint8Array | undefined, path: string): Uint8Array {
  if (cb === undefined) return new Uint8Array(16);
  if (cb === null || typeof cb !== 'object') badValue('ChannelBindings (object) or a Uint8Array', cb, path);
  const b: ChannelBindings = cb instanceof Uint8Array ? { applicationData: cb } : cb;
  const ia = b.initiatorAddress ?? new Uint8Array(0);
  const aa = b.acceptorAddress ?? new Uint8Array(0);
  const ad = b.applicationData;
  expectBytes(ia, `${path}.initiatorAddress`);
  expectBytes(aa, `${path}.acceptorAddress`);
  expectBytes(ad, `${path}.applicationData`);
  for (const k of ['initiatorAddrType', 'acceptorAddrType'] as const) {
    const t = b[k];
    if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 0xffffffff)) {
      badValue('a UInt32 address type', t, `${path}.${k}`);
    }
  }
  const buf = new Uint8Array(8 + ia.length + 8 + aa.length + 4 + ad.length);
  let at = 0;
  u32le(buf, at, b.initiatorAddrType ?? 0);
  u32le(buf, at + 4, ia.length);
  buf.set(ia, at + 8);
  at += 8 + ia.length;
  u32le(buf, at, b.acceptorAddrType ?? 0);
  u32le(buf, at + 4, aa.length);
  buf.set(aa, at + 8);
  at += 8 + aa.length;
  u32le(buf, at, ad.length);
  buf.set(ad, at + 4);
  return new Uint8Array(createHash('md5').update(buf).digest());
}

/** Options for {@link encodeGssChecksum}. */
export interface GssChecksumOptions {
  /** The GSS flags (see {@link GssFlags}). */
  readonly flags: number;
  /** Channel bindings (or just their application data); default none. */
  readonly channelBindings?: ChannelBindings | Uint8Array;
  /** A DER KRB-CRED to delegate; sets the deleg flag. */
  readonly delegation?: Uint8Array;
}

/**
 * The 0x8003 authenticator checksum (not keyed: it is protected by the
 * authenticator's encryption). A bad option is an `Asn1Error` with its path
 * (`GssChecksum.delegation`), as from the other encoders.
 */
export function encodeGssChecksum(opts: GssChecksumOptions): Checksum {
  if (opts === null || typeof opts !== 'object') badValue('GssChecksumOptions (object)', opts, 'GssChecksum');
  const { flags } = opts;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < -0x80000000 || flags > 0xffffffff) {
    badValue('32 bits of GSS flags', flags, 'GssChecksum.flags');
  }
  const deleg = opts.delegation;
  if (deleg !== undefined) {
    expectBytes(deleg, 'GssChecksum.delegation');
    if (deleg.length > 0xffff) {
      const why = `a delegated KRB-CRED of ${deleg.length} octets does not fit Dlgth (at most 65535)`;
      throw new Asn1Error(why, { path: 'GssChecksum.delegation' });
    }
  }
  const bnd = bindingHash(opts.channelBindings, 'GssChecksum.channelBindings');
  const out = new Uint8Array(24 + (deleg === undefined ? 0 : 4 + deleg.length));
  u32le(out, 0, 16);
  out.set(bnd, 4);
  u32le(out, 20, (deleg === undefined ? flags & ~GssFlags.deleg : flags | GssFlags.deleg) >>> 0);
  if (deleg !== undefined) {
    out[24] = 1;
    out[25] = 0;
    out[26] = deleg.length & 0xff;
    out[27] = (deleg.length >>> 8) & 0xff;
    out.set(deleg, 28);
  }
  return { cksumtype: GSS_CHECKSUM_TYPE, checksum: out };
}

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

function u32leAt(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Parses the authenticator's checksum as a 0x8003 GSS checksum; throws KRB_AP_ERR_INAPP_CKSUM if it is not one. */
export function decodeGssChecksum(cksum: Checksum | undefined): GssChecksum {
  if (cksum === undefined) throw inapp('the authenticator has no checksum');
  // Not a Checksum at all: the encoders' error, with the code of an unusable checksum.
  if (cksum === null || typeof cksum !== 'object')
    badValue('a Checksum (object)', cksum, 'Checksum', ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
  if (cksum.cksumtype !== GSS_CHECKSUM_TYPE) throw inapp(`its type is ${cksum.cksumtype}`);
  const b = cksum.checksum;
  if (!(b instanceof Uint8Array))
    badValue('a Uint8Array', b, 'Checksum.checksum', ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
  if (b.length < 24) throw inapp(`it is ${b.length} octets, shorter than the 24 required`);
  // Lgth is little-endian (RFC 4121 section 4.1.1.1); old initiators wrote the whole checksum
  // big-endian, and old MIT read every integer of it in the order Lgth showed.
  const bigEndian = u32leAt(b, 0) !== 16;
  if (bigEndian && u32be(b, 0) !== 16) throw inapp('Lgth is not 16');
  const u32 = bigEndian ? u32be : u32leAt;
  const u16 = (at: number) => (bigEndian ? (b[at]! << 8) | b[at + 1]! : b[at]! | (b[at + 1]! << 8));
  const bindings = b.slice(4, 20);
  const flags = u32(b, 20);
  if ((flags & GssFlags.deleg) === 0 || b.length < 28) return { flags, bindings };
  const dlgOpt = u16(24);
  const dlgth = u16(26);
  // With the deleg flag, what follows the flags is the delegation (DlgOpt 1); MIT fails anything else.
  if (dlgOpt !== 1) throw inapp(`the deleg flag is set and DlgOpt is ${dlgOpt}, not 1`);
  if (28 + dlgth > b.length) throw inapp(`Dlgth ${dlgth} runs past the end of the checksum`);
  return { flags, bindings, delegation: b.slice(28, 28 + dlgth) };
}
