/**
 * RFC 4121 section 4.2: the Kerberos GSS-API per-message tokens, MIC (TOK_ID
 * 04 04) and Wrap (05 04), for the RFC 3961 enctypes of RFC 3962 and RFC 8009.
 *
 * ```
 * MIC  (4.2.6.1)  04 04 | Flags | FF FF FF FF FF | SND_SEQ (8) | SGN_CKSUM
 * Wrap (4.2.6.2)  05 04 | Flags | FF | EC (2) | RRC (2) | SND_SEQ (8) | Data
 *
 * Flags (4.2.2): 0x01 SentByAcceptor, 0x02 Sealed, 0x04 AcceptorSubkey;
 *                other bits are ignored on receipt.
 * ```
 *
 * All numbers are big-endian. The protected data (section 4.2.4):
 *
 * - MIC: SGN_CKSUM = checksum(message | header), the SIGN key usage;
 * - sealed Wrap: Data = encrypt(message | EC filler octets | header), the
 *   SEAL usage, where the header copy has RRC = 0 (EC keeps its value);
 * - unsealed Wrap: Data = message | checksum(message | header), the SEAL
 *   usage too ("even if the Wrap token does not provide for
 *   confidentiality"), the checksummed header having EC = RRC = 0; on the
 *   wire EC is the checksum's length.
 *
 * Key usages (section 2): KG-USAGE-ACCEPTOR-SEAL 22, ACCEPTOR-SIGN 23,
 * INITIATOR-SEAL 24, INITIATOR-SIGN 25, by the sender's role. The checksum
 * is the key etype's mandatory one (RFC 3961 section 3).
 *
 * Rotation (section 4.2.5): Data is rotated right by RRC octets after it is
 * made; a receiver rotates it back, whatever RRC is. MIT sends RRC 0;
 * Heimdal and Windows send RRC = 16 + the MAC's length when sealed (28 for
 * aes-sha1), the checksum's length when not, so the trailer comes first.
 * In DCE style (Windows' GSS_WrapEx, MS-KILE section 3.4.5.4.1) a sealed
 * token carries EC = padding to the cipher's block, and the data is rotated
 * by RRC + EC though RRC says only RRC.
 *
 * @module
 */

import { ErrorCode, isKerberosError, type RandomSource } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  getChecksumType,
  getEncType,
  type Key,
  KeyUsage,
  verifyChecksum,
  WEAK_ENC_TYPES,
} from '@krbsim/crypto';
import { GssTokenError } from './gss-error';

/**
 * True for the enctypes whose per-message tokens are RFC 1964's and RFC
 * 4757's (DES, 3DES, RC4) rather than RFC 4121's. Such a context takes an
 * acceptor subkey only when negotiation (RFC 4537) makes it an RFC 4121 one:
 * the older tokens do not say which key protects them.
 */
export function usesRfc1964Tokens(etype: number): boolean {
  return WEAK_ENC_TYPES.has(etype);
}

/** TOK_ID values of RFC 4121 section 4.2.6. */
export const PerMessageTokenId = {
  /** GSS_GetMIC token, section 4.2.6.1. */
  MIC: 0x0404,
  /** GSS_Wrap token, section 4.2.6.2. */
  WRAP: 0x0504,
} as const;

/** The Flags octet of RFC 4121 section 4.2.2. */
export const PerMessageFlags = {
  sentByAcceptor: 0x01,
  sealed: 0x02,
  acceptorSubkey: 0x04,
} as const;

const HEADER = 16;
const KNOWN_FLAGS = 0x07;

/** The 16-octet header of a per-message token, as sent. */
export interface PerMessageTokenHeader {
  /** {@link PerMessageTokenId}: 0x0404 (MIC) or 0x0504 (Wrap). */
  readonly tokId: number;
  /** The known flag bits ({@link PerMessageFlags}); unknown bits are dropped, as section 4.2.2 asks. */
  readonly flags: number;
  /** Wrap: the filler length (sealed) or checksum length (unsealed). MIC: 0xffff (filler). */
  readonly ec: number;
  /** Wrap: the right rotation count. MIC: 0xffff (filler). */
  readonly rrc: number;
  /** SND_SEQ. */
  readonly seqNumber: bigint;
}

/** The Wrap token layouts: `'mit'` (RRC 0), `'windows'` (Heimdal's and Windows' RRC) and `'dce'`. */
const WRAP_STYLES = ['mit', 'windows', 'dce'] as const;

/** How a sender lays out a Wrap token: `'mit'` (RRC 0), `'windows'` (Heimdal's and Windows' RRC) or `'dce'`. */
export type WrapStyle = (typeof WRAP_STYLES)[number];

/** Throws a RangeError unless `style` is undefined or one of the Wrap token layouts. */
export function checkWrapStyle(style: unknown): void {
  if (style !== undefined && !(WRAP_STYLES as readonly unknown[]).includes(style)) {
    throw new RangeError(`wrapStyle must be one of ${WRAP_STYLES.join(', ')}, got ${String(style)}`);
  }
}

function defective(why: string, code?: number): GssTokenError {
  return new GssTokenError('DEFECTIVE_TOKEN', `not a usable RFC 4121 per-message token: ${why}`, {
    ...(code === undefined ? {} : { code }),
  });
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/** Names a TOK_ID that is not RFC 4121's, for the error message. */
function describeTokId(token: Uint8Array): string {
  const id = (token[0]! << 8) | token[1]!;
  if (token[0] === 0x60)
    return 'it starts with 0x60, an RFC 2743 framed token (RFC 1964 tokens of DES and RC4 sessions are framed)';
  if (id === 0x0101 || id === 0x0201 || id === 0x0102) {
    return `its TOK_ID ${hex4(id)} is an RFC 1964 token (DES and RC4 sessions); krbsim speaks RFC 4121 tokens only`;
  }
  return `its TOK_ID is ${hex4(id)}, not 0x0404 (MIC) or 0x0504 (Wrap)`;
}

/**
 * Reads a per-message token's header, checking what section 4.2.6 fixes:
 * the TOK_ID, the filler octets, and at least 16 octets. Throws a
 * `DEFECTIVE_TOKEN` {@link GssTokenError} otherwise. Nothing is verified:
 * the fields are as sent.
 */
export function decodePerMessageToken(token: Uint8Array): PerMessageTokenHeader {
  if (!(token instanceof Uint8Array)) throw new TypeError('a per-message token must be a Uint8Array');
  if (token.length < HEADER) {
    throw defective(`it is ${token.length} octets, shorter than the 16-octet header`);
  }
  const tokId = (token[0]! << 8) | token[1]!;
  if (tokId !== PerMessageTokenId.MIC && tokId !== PerMessageTokenId.WRAP) {
    throw defective(describeTokId(token));
  }
  const flags = token[2]! & KNOWN_FLAGS;
  if (token[3] !== 0xff) throw defective(`the filler octet is 0x${token[3]!.toString(16)}, not 0xff`);
  const ec = (token[4]! << 8) | token[5]!;
  const rrc = (token[6]! << 8) | token[7]!;
  if (tokId === PerMessageTokenId.MIC) {
    if (ec !== 0xffff || rrc !== 0xffff)
      throw defective('the MIC token filler (octets 3 to 7) is not all 0xff');
    if ((flags & PerMessageFlags.sealed) !== 0) throw defective('a MIC token has the Sealed flag');
  }
  return { tokId, flags, ec, rrc, seqNumber: readU64(token, 8) };
}

function readU64(b: Uint8Array, at: number): bigint {
  const dv = new DataView(b.buffer, b.byteOffset + at, 8);
  return (BigInt(dv.getUint32(0)) << 32n) | BigInt(dv.getUint32(4));
}

function writeHeader(
  out: Uint8Array,
  tokId: number,
  flags: number,
  ec: number,
  rrc: number,
  seq: bigint,
): void {
  out[0] = tokId >>> 8;
  out[1] = tokId & 0xff;
  out[2] = flags;
  out[3] = 0xff;
  out[4] = ec >>> 8;
  out[5] = ec & 0xff;
  out[6] = rrc >>> 8;
  out[7] = rrc & 0xff;
  const dv = new DataView(out.buffer, out.byteOffset + 8, 8);
  dv.setUint32(0, Number((seq >> 32n) & 0xffffffffn));
  dv.setUint32(4, Number(seq & 0xffffffffn));
}

/** `data` rotated right by `n` octets (section 4.2.5), into a new array. */
function rotateRight(data: Uint8Array, n: number): Uint8Array {
  const len = data.length;
  const out = new Uint8Array(len);
  if (len === 0) return out;
  const r = n % len;
  out.set(data.subarray(len - r), 0);
  out.set(data.subarray(0, len - r), r);
  return out;
}

/** `data` rotated left by `n` octets: undoes {@link rotateRight}. */
function rotateLeft(data: Uint8Array, n: number): Uint8Array {
  const len = data.length;
  return len === 0 ? new Uint8Array(0) : rotateRight(data, len - (n % len));
}

/** Who made a token: the sender's role picks the key usage and the SentByAcceptor flag. */
export type GssRole = 'initiator' | 'acceptor';

function sealUsage(sender: GssRole): number {
  return sender === 'initiator' ? KeyUsage.KG_USAGE_INITIATOR_SEAL : KeyUsage.KG_USAGE_ACCEPTOR_SEAL;
}

function signUsage(sender: GssRole): number {
  return sender === 'initiator' ? KeyUsage.KG_USAGE_INITIATOR_SIGN : KeyUsage.KG_USAGE_ACCEPTOR_SIGN;
}

/** The parameters every token a sender makes shares. */
export interface TokenSender {
  readonly key: Key;
  readonly sender: GssRole;
  /** Set the AcceptorSubkey flag: `key` is the acceptor's subkey. */
  readonly acceptorSubkey: boolean;
  readonly seqNumber: bigint;
}

function senderFlags(p: TokenSender): number {
  return (
    (p.sender === 'acceptor' ? PerMessageFlags.sentByAcceptor : 0) |
    (p.acceptorSubkey ? PerMessageFlags.acceptorSubkey : 0)
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The length of the key etype's mandatory checksum (12 for aes-sha1, 16 and 24 for aes-sha2). */
function checksumBytes(key: Key): number {
  return getChecksumType(checksumTypeFor(key.etype)).checksumBytes;
}

/** GSS_GetMIC: the MIC token for `message` (section 4.2.6.1). */
export function makeMicToken(p: TokenSender, message: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER);
  writeHeader(header, PerMessageTokenId.MIC, senderFlags(p), 0xffff, 0xffff, p.seqNumber);
  return concat(header, checksum(p.key, signUsage(p.sender), concat(message, header)));
}

/**
 * Verifies a MIC token over `message` with the key the receiver chose for
 * it; the header must come from {@link decodePerMessageToken}. Throws
 * `BAD_MIC` when the checksum does not match.
 */
export function verifyMicToken(key: Key, sender: GssRole, token: Uint8Array, message: Uint8Array): void {
  const header = token.subarray(0, HEADER);
  const mac = token.subarray(HEADER);
  if (!verifyChecksum(key, signUsage(sender), concat(message, header), mac)) {
    throw new GssTokenError(
      'BAD_MIC',
      'the MIC does not verify: the message or the token was modified, or it was made with another key',
    );
  }
}

/** Options for {@link makeWrapToken}. */
export interface WrapTokenOptions {
  /** Encrypt (Sealed) or only checksum. */
  readonly conf: boolean;
  /** Default `'mit'`. */
  readonly style?: WrapStyle;
  /** Confounders come from here (sealed tokens). */
  readonly random?: RandomSource;
  /** An explicit confounder, for test vectors. */
  readonly confounder?: Uint8Array;
}

/** EC, the RRC field, and the rotation actually applied, for a Wrap token of `style`. */
function wrapLayout(
  key: Key,
  conf: boolean,
  style: WrapStyle,
  messageLength: number,
): { ec: number; rrc: number; rotate: number } {
  if (!conf) {
    const rrc = style === 'mit' ? 0 : checksumBytes(key);
    return { ec: checksumBytes(key), rrc, rotate: rrc };
  }
  if (style === 'mit') return { ec: 0, rrc: 0, rotate: 0 };
  const rrc = HEADER + getEncType(key.etype).macBytes;
  if (style === 'windows') return { ec: 0, rrc, rotate: rrc };
  // DCE: pad message | header to the block (a full block when already aligned, as Heimdal and MS-KILE do).
  const block = getEncType(key.etype).blockSize;
  const ec = block - ((messageLength + HEADER) % block);
  return { ec, rrc, rotate: rrc + ec };
}

/** GSS_Wrap: the Wrap token carrying `message` (section 4.2.6.2). */
export function makeWrapToken(p: TokenSender, message: Uint8Array, opts: WrapTokenOptions): Uint8Array {
  const style = opts.style ?? 'mit';
  const { ec, rrc, rotate } = wrapLayout(p.key, opts.conf, style, message.length);
  const flags = senderFlags(p) | (opts.conf ? PerMessageFlags.sealed : 0);
  const header = new Uint8Array(HEADER);
  let data: Uint8Array;
  if (opts.conf) {
    // encrypt(message | filler | header with RRC 0), section 4.2.4.
    writeHeader(header, PerMessageTokenId.WRAP, flags, ec, 0, p.seqNumber);
    const plain = new Uint8Array(message.length + ec + HEADER);
    plain.set(message, 0);
    plain.fill(0xff, message.length, message.length + ec);
    plain.set(header, message.length + ec);
    data = encrypt(p.key, sealUsage(p.sender), plain, {
      ...(opts.random === undefined ? {} : { random: opts.random }),
      ...(opts.confounder === undefined ? {} : { confounder: opts.confounder }),
    });
    plain.fill(0);
  } else {
    // message | checksum(message | header with EC = RRC = 0), section 4.2.4.
    writeHeader(header, PerMessageTokenId.WRAP, flags, 0, 0, p.seqNumber);
    data = concat(message, checksum(p.key, sealUsage(p.sender), concat(message, header)));
  }
  writeHeader(header, PerMessageTokenId.WRAP, flags, ec, rrc, p.seqNumber);
  return concat(header, rotateRight(data, rotate));
}

/** What {@link openWrapToken} found inside a Wrap token. */
export interface OpenedWrapToken {
  readonly message: Uint8Array;
  /** The token was sealed (encrypted). */
  readonly conf: boolean;
}

function badWrap(why: string): GssTokenError {
  return new GssTokenError('BAD_MIC', `the Wrap token does not verify: ${why}`);
}

/**
 * Opens a Wrap token with the key the receiver chose for it: rotates the
 * data back, then decrypts and checks the header copy (sealed) or checks
 * the checksum (unsealed). `h` must be {@link decodePerMessageToken}'s
 * reading of `token`. `dce`: rotate sealed data by RRC + EC.
 */
export function openWrapToken(
  key: Key,
  sender: GssRole,
  token: Uint8Array,
  h: PerMessageTokenHeader,
  dce: boolean,
): OpenedWrapToken {
  const body = token.subarray(HEADER);
  if ((h.flags & PerMessageFlags.sealed) !== 0) {
    const data = rotateLeft(body, dce ? h.rrc + h.ec : h.rrc);
    let plain: Uint8Array;
    try {
      plain = decrypt(key, sealUsage(sender), data);
    } catch (e) {
      if (isKerberosError(e, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)) {
        throw badWrap('it does not decrypt (modified, truncated, or made with another key)');
      }
      throw e;
    }
    if (plain.length < h.ec + HEADER) {
      throw defective(
        `EC ${h.ec} leaves no room for the ${HEADER}-octet header copy in ${plain.length} octets`,
      );
    }
    // The encrypted header copy must be the header sent, RRC aside (section 4.2.4): the sender
    // encrypts RRC as 0, but what it is is not checked, as MIT and Heimdal do not check it.
    const copy = plain.subarray(plain.length - HEADER);
    let diff = 0;
    for (let i = 0; i < HEADER; i++) if (i !== 6 && i !== 7) diff |= token[i]! ^ copy[i]!;
    if (diff !== 0)
      throw badWrap('the encrypted header copy differs from the header (flags, EC or SND_SEQ changed)');
    const message = plain.slice(0, plain.length - h.ec - HEADER);
    plain.fill(0);
    return { message, conf: true };
  }
  const want = checksumBytes(key);
  if (h.ec !== want) {
    throw defective(`an unsealed Wrap token's EC must be the checksum length ${want}, got ${h.ec}`);
  }
  if (body.length < want)
    throw defective(`${body.length} octets of data cannot hold a ${want}-octet checksum`);
  const data = rotateLeft(body, h.rrc);
  const message = data.slice(0, data.length - want);
  const header = token.slice(0, HEADER);
  header.fill(0, 4, 8); // EC and RRC are zero in the checksummed header
  if (!verifyChecksum(key, sealUsage(sender), concat(message, header), data.subarray(data.length - want))) {
    throw badWrap('the checksum does not match (the message or header was modified, or another key made it)');
  }
  return { message, conf: false };
}
