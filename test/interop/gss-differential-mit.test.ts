/**
 * krbsim's RFC 4121 per-message token checks (`GssSecurityContext.unwrap`
 * and `verifyMic`) against MIT krb5 1.20's `gss_unwrap` and `gss_verify_mic`
 * as an oracle: the same token bytes, damaged or altered one way each, given
 * to an MIT context and to a krbsim context in the same role, with the same
 * keys and the same sequence state.
 *
 * The design. A receiver's answer depends on its keys, its role, its flags
 * and the numbers it has seen, so a fair comparison gives both
 * implementations the same bytes in the same state. Comparing krbsim with a
 * damaged MIT token against MIT with the same damage done to a krbsim token
 * would compare two different tokens, and a difference could come from
 * either sender; and two MIT receivers cannot share one context. But a
 * krbsim context can be built with any keys. So each case sets up a context
 * between two MIT peers (gss-peer.c, compiled here, with tickets from the
 * krbsim KDC of gss-lab.ts), and krbsim reads the same exchange:
 * `KerberosService.accept` checks the MIT initiator's AP-REQ (the session
 * key, the initiator's subkey and sequence number, the GSS flags) and the
 * MIT acceptor's AP-REP is decrypted with the session key (the acceptor's
 * subkey and number). With these krbsim builds a twin of each MIT context: a
 * `GssSecurityContext` given the parameters `accept` and the client's
 * `verifyApRep` give their own. A token of the MIT initiator then goes to
 * the MIT acceptor and to the acceptor twin, a token of the MIT acceptor to
 * the MIT initiator and to the initiator twin: the same bytes, to receivers
 * that differ in nothing but their implementation. Every case runs in a
 * fresh context, so no case depends on another.
 *
 * The tokens are MIT's, changed by the case. Some are re-protected by the
 * test with the context's key after a change an attacker could not make
 * (flags, EC, the encrypted header copy, the key or key usage), to see what
 * each side makes of what a differently written peer might send; a few are
 * krbsim's own (its `windows` and `dce` layouts, which MIT's gss_wrap does
 * not make).
 *
 * The setups: aes256-cts-hmac-sha1-96 with MUTUAL, REPLAY and SEQUENCE (MIT's
 * acceptor then asserts a subkey, and every token carries AcceptorSubkey), the
 * default; the same without MUTUAL (no AP-REP, no acceptor subkey); each other
 * AES enctype (17, 19, 20: checksums of 12, 16 and 24 octets); REPLAY only,
 * SEQUENCE only, and neither; and DCE style (GSS_C_DCE_STYLE, whose raw
 * AP-REQ `accept` reads without its GSS checksum, so the twins take the
 * setup's flags; without REPLAY and SEQUENCE: only the layout is compared).
 * RFC 1964 tokens (DES, RC4) are not compared: krbsim speaks RFC 4121 tokens
 * only and refuses an rc4-hmac context outright (its README); RFC 1964
 * TOK_IDs given to an RFC 4121 context are among the cases.
 *
 * The cases, by part of the token: the TOK_ID (the other kind, RFC 1964's,
 * unassigned, RFC 2743 framing); each flag set or cleared wrongly, and unknown
 * bits, on the wire and re-protected; the key and key usage; the filler
 * octets; EC (too large, inconsistent, a real filler); RRC (the rotations
 * Heimdal and Windows send, counts beyond the token, a count that does not
 * match the data); the encrypted header copy; SND_SEQ (changed, replayed,
 * out of order, a gap, the window's edges, jumps, below the initial number,
 * each flag setting); one bit flipped in the ciphertext, the checksum or the
 * message; another context; the direction (a token reflected to its maker);
 * two faults at once; DCE layout; the length (empty, truncated at every
 * length, trailing octets); empty, binary and large messages; and the
 * baseline in every setup, both ways.
 *
 * Answers are reduced to the GSS-API major status (RFC 2744 section 3.9.1;
 * MIT's comes from gss-peer's UNWRAP-STATUS and VERIFY-STATUS): a routine
 * error (`DEFECTIVE_TOKEN`; `BAD_MIC`, GSS_S_BAD_SIG's GSS-API v2 name) or a
 * calling error (`CALL_INACCESSIBLE_READ`), with `BAD_MIC (reflected)` when
 * MIT's minor status is G_BAD_DIRECTION or krbsim's code
 * KRB_AP_ERR_BADDIRECTION. A token that verifies is `OK`, for a Wrap token
 * with its conf_state and the message that came out; supplementary statuses
 * are named, `UNSEQ_TOKEN` and `GAP_TOKEN` with the message (krbsim hands it
 * over in the error's `accepted`), `DUPLICATE_TOKEN` and `OLD_TOKEN` without
 * (krbsim refuses those: packages/service/README.md). A case that delivers
 * several tokens joins the answers with " / " (a run of one answer as
 * `×n`); the truncation cases deliver every length and give ranges of
 * lengths with the same answer.
 *
 * The two must agree, except in the cases listed in KNOWN_DIFFERENCES, where
 * each side's answer is pinned and the reason given. MIT here is Debian's 1.20, whose k5sealv3.c carries the fixes
 * for CVE-2024-37370 and 37371 (EC is compared with the encrypted header
 * copy, the decrypted length checked); MIT's 2024 rewrite of the parser
 * (unwrap.c) answers two kinds of the pinned cases as krbsim does, as their
 * reasons say.
 *
 * No case depends on the time: the contexts last as long as their tickets
 * (hours). Skipped with a printed reason when MIT krb5 or gcc is missing;
 * failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { decodeApRep, decodeEncApRepPart, GssOid, unwrapKrb5Token, wrapGssToken } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { checksum, decrypt, encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import { readKeytabFile } from '@krbsim/files';
import { GssSecurityContext, GssTokenError, KerberosService, type WrapStyle } from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GssLab, REALM, startGssLab, TARGET } from './gss-lab';
import { buildGssPeer, GssPeer, type PeerStatus } from './gss-peer';
import { type KnownDifference, knownDifferencesTest } from './helpers/kdc-oracle';
import { MitClient } from './helpers/mit';
import { describeWithTools } from './mit-tools';

/** GSS_C_* request flags (RFC 2744 section 5.19) and GSS_C_DCE_STYLE. */
const MUTUAL = 0x02;
const REPLAY = 0x04;
const SEQUENCE = 0x08;
const CONF = 0x10;
const INTEG = 0x20;
const DCE_STYLE = 0x1000;

/** RFC 4121 section 4.2.2 flags. */
const SEALED = 0x02;
const ACCEPTOR_SUBKEY = 0x04;

const WRAP = 0x0504;
const MIC = 0x0404;

/** MIT's generic minor status G_BAD_DIRECTION (gssapi_err_generic.et, table ggss). */
const G_BAD_DIRECTION = 0x861b6d0d;

/** The contexts a case can run in. */
const SETUPS = {
  default: { etype: 18, flags: MUTUAL | REPLAY | SEQUENCE | CONF | INTEG },
  'no acceptor subkey': { etype: 18, flags: REPLAY | SEQUENCE | CONF | INTEG },
  'aes128-sha1': { etype: 17, flags: MUTUAL | REPLAY | SEQUENCE | CONF | INTEG },
  'aes128-sha256': { etype: 19, flags: MUTUAL | REPLAY | SEQUENCE | CONF | INTEG },
  'aes256-sha384': { etype: 20, flags: MUTUAL | REPLAY | SEQUENCE | CONF | INTEG },
  'replay only': { etype: 18, flags: MUTUAL | REPLAY | CONF | INTEG },
  'sequence only': { etype: 18, flags: MUTUAL | SEQUENCE | CONF | INTEG },
  'neither replay nor sequence': { etype: 18, flags: MUTUAL | CONF | INTEG },
  'DCE style': { etype: 18, flags: DCE_STYLE | MUTUAL | CONF | INTEG },
} as const;
type SetupName = keyof typeof SETUPS;

const ENCTYPE_NAMES: Record<number, string> = {
  17: 'aes128-cts-hmac-sha1-96',
  18: 'aes256-cts-hmac-sha1-96',
  19: 'aes128-cts-hmac-sha256-128',
  20: 'aes256-cts-hmac-sha384-192',
};

/** The same difference, for each case of `labels`. */
const each = (labels: readonly string[], known: KnownDifference): Record<string, KnownDifference> =>
  Object.fromEntries(labels.map((label) => [label, known]));

/** MIT's answer when it takes the case's token: the message, or for a MIC just OK. */
const DELIVERED = /^OK(?: (?:sealed|signed) "a message for the differential")?$/;

const WHY = {
  headerCopy:
    'the encrypted header copy differs from the header: krbsim calls the token modified, BAD_MIC (README’s table; Heimdal too), MIT malformed (k5sealv3.c, and its CVE-2024-37370 fix for EC)',
  subkeyFlag:
    'AcceptorSubkey must match the context (RFC 4121 section 2: an asserted acceptor subkey protects every token; README, security-context.ts; Heimdal too); MIT chooses its key by the flag and ignores a flag it has no key for, so the checksum fails instead (k5sealv3.c)',
  otherSubkey:
    'AcceptorSubkey must match the context (RFC 4121 section 2; README, security-context.ts; Heimdal too); MIT chooses its key by the flag and ignores a flag it has no key for, so it takes a token under the initiator’s subkey (k5sealv3.c, its comment says why)',
  unsealedEc:
    'RFC 4121 section 4.2.3 fixes an integrity-only token’s EC to the checksum length: krbsim refuses another as malformed before the checksum (per-message-token.ts), as MIT’s 2024 rewrite (unwrap.c) does; 1.20 finds it while checking the checksum',
  micSealed:
    'RFC 4121 section 4.2.2: Sealed SHALL NOT be set in a MIC token, and krbsim refuses one that has it as malformed (decodePerMessageToken); MIT does not look, so only the checksum speaks',
  framed:
    'per-message tokens are not framed (RFC 4121 section 4.2.6; 4.4 keeps TOK_IDs clear of 0x60 to tell framing apart): krbsim refuses a framed one (per-message-token.ts); MIT’s parser takes the RFC 2743 frame as optional (g_verify_token_header)',
  empty:
    'an empty buffer is a calling error of MIT’s C bindings (the mechglue’s argument checks, RFC 2744 section 3.9.1); krbsim has no calling errors: the token is shorter than its 16-octet header',
  old: 'older than the 64-number window is OLD_TOKEN whatever the flags (README’s table; RFC 2743 section 1.2.3 lists OLD_TOKEN among the sequence checks’ statuses too); MIT answers UNSEQ_TOKEN when the sequence flag is set (util_seqstate.c)',
  twoFaults:
    'two faults, and each side names the one it checks first: krbsim the structure, then the direction (security-context.ts’s order of checks), as MIT’s 2024 rewrite (unwrap.c) does; 1.20 the direction, then TOK_ID and filler (k5sealv3.c)',
  dce: 'DCE style rotates sealed data by RRC + EC (MS-KILE section 3.4.5.4.1, as Heimdal and Windows do; README); MIT’s gss_unwrap rotates by RRC alone (k5sealv3.c)',
} as const;

/**
 * Where krbsim answers otherwise: each side's answer, pinned, and why.
 */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  ...each(
    [
      'TOK_ID: a sealed Wrap token in RFC 2743 framing (0x60, the krb5 OID) (to the acceptor)',
      'TOK_ID: an integrity-only Wrap token in RFC 2743 framing (0x60, the krb5 OID) (to the acceptor)',
      'TOK_ID: a MIC token in RFC 2743 framing (0x60, the krb5 OID) (to the acceptor)',
    ],
    { oracle: DELIVERED, krbsim: 'DEFECTIVE_TOKEN', why: WHY.framed },
  ),
  ...each(
    [
      'flags: AcceptorSubkey cleared in a sealed Wrap token (to the acceptor)',
      'flags: AcceptorSubkey cleared in an integrity-only Wrap token (to the acceptor)',
      'flags: AcceptorSubkey cleared in a MIC token (to the acceptor)',
      'flags: AcceptorSubkey set in an integrity-only Wrap token (to the acceptor, no acceptor subkey)',
      'flags: AcceptorSubkey set in a MIC token (to the acceptor, no acceptor subkey)',
    ],
    { oracle: /^BAD_MIC$/, krbsim: 'DEFECTIVE_TOKEN', why: WHY.subkeyFlag },
  ),
  ...each(
    [
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in a sealed Wrap token (to the acceptor)',
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in an integrity-only Wrap token (to the acceptor)',
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in a MIC token (to the acceptor)',
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in a sealed Wrap token (to the initiator)',
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in an integrity-only Wrap token (to the initiator)',
      'key: AcceptorSubkey cleared and the token under the initiator’s subkey, in a MIC token (to the initiator)',
      'key: AcceptorSubkey set, the token under the initiator’s subkey, in a sealed Wrap token (to the acceptor, no acceptor subkey)',
      'key: AcceptorSubkey set, the token under the initiator’s subkey, in an integrity-only Wrap token (to the acceptor, no acceptor subkey)',
      'key: AcceptorSubkey set, the token under the initiator’s subkey, in a MIC token (to the acceptor, no acceptor subkey)',
    ],
    { oracle: DELIVERED, krbsim: 'DEFECTIVE_TOKEN', why: WHY.otherSubkey },
  ),
  ...each(
    [
      'flags: Sealed cleared in a sealed Wrap token (to the acceptor)',
      'EC: 0 in an integrity-only Wrap token (to the acceptor)',
      'EC: the checksum length less 1 in an integrity-only Wrap token (to the acceptor)',
      'EC: the checksum length plus 1 in an integrity-only Wrap token (to the acceptor)',
      'EC: 12 (aes-sha1’s checksum length) in an integrity-only Wrap token (to the acceptor, aes256-sha384)',
    ],
    { oracle: /^BAD_MIC$/, krbsim: 'DEFECTIVE_TOKEN', why: WHY.unsealedEc },
  ),
  'flags: Sealed set in a MIC token (to the acceptor)': {
    oracle: /^BAD_MIC$/,
    krbsim: 'DEFECTIVE_TOKEN',
    why: WHY.micSealed,
  },
  'flags: Sealed set in a MIC token, re-protected (to the acceptor)': {
    oracle: /^OK$/,
    krbsim: 'DEFECTIVE_TOKEN',
    why: WHY.micSealed,
  },
  ...each(
    [
      'flags: unknown bit 0x08 set in a sealed Wrap token (to the acceptor)',
      'flags: unknown bit 0x80 set in a sealed Wrap token (to the initiator)',
      'EC: 1 in a sealed Wrap token (to the acceptor)',
      'EC: 16 in a sealed Wrap token (to the acceptor)',
      'EC: 5 in the header, 0 in the encrypted copy and no filler, re-sealed (to the acceptor)',
      'EC: 0 in the header, 5 in the encrypted copy with 5 filler octets, re-sealed (to the acceptor)',
      'header copy: TOK_ID 04 04 in the encrypted copy, re-sealed (to the acceptor)',
      'header copy: flags without Sealed in the encrypted copy, re-sealed (to the acceptor)',
      'header copy: SND_SEQ plus 1 in the encrypted copy, re-sealed (to the acceptor)',
      'SND_SEQ: plus 1 in a sealed Wrap token (to the acceptor)',
    ],
    { oracle: /^DEFECTIVE_TOKEN$/, krbsim: 'BAD_MIC', why: WHY.headerCopy },
  ),
  ...each(
    [
      'sequence: 0, 99, then 1 (beyond the 64-number window) (to the acceptor)',
      'sequence: 0, 99, then 1 (beyond the 64-number window) (to the acceptor, sequence only)',
    ],
    { oracle: /^OK \/ GAP_TOKEN \/ UNSEQ_TOKEN$/, krbsim: 'OK / GAP_TOKEN / OLD_TOKEN', why: WHY.old },
  ),
  'sequence: 0, 64, 0 (just beyond the window) (to the acceptor)': {
    oracle: /^OK \/ GAP_TOKEN \/ UNSEQ_TOKEN$/,
    krbsim: 'OK / GAP_TOKEN / OLD_TOKEN',
    why: WHY.old,
  },
  'sequence: 2^63 ahead (re-protected), then the next in order (to the acceptor)': {
    oracle: /^GAP_TOKEN \/ UNSEQ_TOKEN$/,
    krbsim: 'GAP_TOKEN / OLD_TOKEN',
    why: WHY.old,
  },
  'sequence: a sealed Wrap token twice (to the acceptor, sequence only)': {
    oracle: /^OK sealed "message 0" \/ UNSEQ_TOKEN sealed "message 0"$/,
    krbsim: 'OK sealed "message 0" / DUPLICATE_TOKEN',
    why: 'a repeated number is DUPLICATE_TOKEN with either flag (sequence-window.ts; RFC 2743 section 1.2.3 lists DUPLICATE_TOKEN among the sequence checks’ statuses); MIT looks for duplicates only with the replay flag (util_seqstate.c)',
  },
  // MIT's error, not krbsim's.
  ...each(
    [
      'sequence: 0, 1, 2, 66 (a jump of the window’s size), then 65 (to the acceptor)',
      'sequence: 0, 1, 2, 67 (a jump of the window’s size and one), then 66 (to the acceptor)',
    ],
    {
      oracle: /^OK ×3 \/ GAP_TOKEN \/ DUPLICATE_TOKEN$/,
      krbsim: 'OK ×3 / GAP_TOKEN / UNSEQ_TOKEN',
      why: 'the last number was never received: krbsim clears its window after a jump of 64 or more (sequence-window.ts); MIT shifts its 64-bit bitmap by 64 or 65, undefined in C, which x86 takes modulo 64, so old bits stay (util_seqstate.c)',
    },
  ),
  ...each(
    [
      'two faults: SentByAcceptor flipped and the filler octet 00 (to the acceptor)',
      'two faults: SentByAcceptor flipped in a MIC token given to unwrap (to the initiator)',
    ],
    { oracle: /^BAD_MIC \(reflected\)$/, krbsim: 'DEFECTIVE_TOKEN', why: WHY.twoFaults },
  ),
  ...each(
    [
      'DCE: krbsim’s dce layout (EC to the cipher block, rotated by RRC + EC), two sealed Wrap tokens (to the acceptor, DCE style)',
      'DCE: krbsim’s dce layout (EC to the cipher block, rotated by RRC + EC), two sealed Wrap tokens (to the initiator, DCE style)',
    ],
    {
      oracle: /^BAD_MIC ×2$/,
      krbsim: 'OK sealed "a message for the differential" / OK sealed "sixteen octets.."',
      why: WHY.dce,
    },
  ),
  ...each(
    [
      'DCE: 5 filler octets, the data rotated by RRC 0 only, re-sealed (to the acceptor, DCE style)',
      'DCE: 5 filler octets, the data rotated by RRC 0 only, re-sealed (to the initiator, DCE style)',
    ],
    { oracle: DELIVERED, krbsim: 'BAD_MIC', why: WHY.dce },
  ),
  ...each(
    [
      'DCE: 5 filler octets and RRC 28, the data rotated by RRC + EC, re-sealed (to the acceptor, DCE style)',
      'DCE: 5 filler octets and RRC 28, the data rotated by RRC + EC, re-sealed (to the initiator, DCE style)',
    ],
    { oracle: /^BAD_MIC$/, krbsim: 'OK sealed "a message for the differential"', why: WHY.dce },
  ),
  ...each(
    [
      'length: an empty token given to unwrap (to the acceptor)',
      'length: an empty token given to verify a MIC (to the initiator)',
    ],
    { oracle: /^CALL_INACCESSIBLE_READ$/, krbsim: 'DEFECTIVE_TOKEN', why: WHY.empty },
  ),
};

/** Who receives the case's tokens; the other MIT peer makes them. */
type Role = 'initiator' | 'acceptor';
/** A sealed or integrity-only Wrap token, or a MIC token. */
type Kind = 'sealed' | 'signed' | 'mic';

interface Case {
  readonly label: string;
  readonly setup: SetupName;
  readonly receiver: Role;
  readonly run: (x: Exchange) => Promise<void>;
}

const cases: Case[] = [];
const add = (label: string, run: Case['run'], opts: { setup?: SetupName; receiver?: Role } = {}): void => {
  const setup = opts.setup ?? 'default';
  const receiver = opts.receiver ?? 'acceptor';
  const where = `${receiver === 'acceptor' ? 'to the acceptor' : 'to the initiator'}${setup === 'default' ? '' : `, ${setup}`}`;
  cases.push({ label: `${label} (${where})`, setup, receiver, run });
};

const enc = (s: string) => new TextEncoder().encode(s);
const MESSAGE = enc('a message for the differential');
const KINDS: readonly Kind[] = ['sealed', 'signed', 'mic'];
const ROLES: readonly Role[] = ['acceptor', 'initiator'];
/** Each kind of token, with its article, for the labels. */
const A: Record<Kind, string> = {
  sealed: 'a sealed Wrap token',
  signed: 'an integrity-only Wrap token',
  mic: 'a MIC token',
};

/** The keys and numbers of one context, as both MIT peers hold them. */
interface ContextKeys {
  readonly sessionKey: Key;
  readonly initiatorSubkey?: Key;
  readonly acceptorSubkey?: Key;
  readonly initiatorSeqNumber?: number;
  readonly acceptorSeqNumber?: number;
  readonly flags: number;
}

/** A context between two MIT peers, and krbsim's twins of each side. */
interface Pair {
  readonly initiator: GssPeer;
  readonly acceptor: GssPeer;
  readonly keys: ContextKeys;
  readonly twins: Record<Role, GssSecurityContext>;
}

/** A GssSecurityContext for `role` with `keys`, as `accept` (acceptor) or `verifyApRep` (initiator) builds it. */
function contextFor(role: Role, keys: ContextKeys, wrapStyle?: WrapStyle): GssSecurityContext {
  return new GssSecurityContext({
    initiator: role === 'initiator',
    sessionKey: keys.sessionKey,
    ...(keys.initiatorSubkey === undefined ? {} : { initiatorSubkey: keys.initiatorSubkey }),
    ...(keys.acceptorSubkey === undefined ? {} : { acceptorSubkey: keys.acceptorSubkey }),
    ...(keys.initiatorSeqNumber === undefined ? {} : { initiatorSeqNumber: keys.initiatorSeqNumber }),
    ...(keys.acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber: keys.acceptorSeqNumber }),
    flags: keys.flags,
    ...(wrapStyle === undefined ? {} : { wrapStyle }),
  });
}

/** How one token header reads (RFC 4121 section 4.2.6). */
interface Header {
  tokId: number;
  flags: number;
  filler: number;
  ec: number;
  rrc: number;
  seq: bigint;
}

function readHeader(token: Uint8Array): Header {
  const dv = new DataView(token.buffer, token.byteOffset, 16);
  return {
    tokId: dv.getUint16(0),
    flags: token[2]!,
    filler: token[3]!,
    ec: dv.getUint16(4),
    rrc: dv.getUint16(6),
    seq: dv.getBigUint64(8),
  };
}

function writeHeader(h: Header): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, h.tokId);
  out[2] = h.flags;
  out[3] = h.filler;
  dv.setUint16(4, h.ec);
  dv.setUint16(6, h.rrc);
  dv.setBigUint64(8, h.seq);
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** `data` rotated right by `n` octets (RFC 4121 section 4.2.5). */
function rotateRight(data: Uint8Array, n: number): Uint8Array {
  if (data.length === 0) return data;
  const r = n % data.length;
  return concat(data.subarray(data.length - r), data.subarray(0, data.length - r));
}

const rotateLeft = (data: Uint8Array, n: number): Uint8Array =>
  data.length === 0 ? data : rotateRight(data, data.length - (n % data.length));

/**
 * A Wrap or MIC token made as RFC 4121 section 4.2.4 says, from its parts: how
 * the test re-protects a token after changing what no attacker could.
 */
interface TokenSpec {
  header: Header;
  message: Uint8Array;
  key: Key;
  usage: number;
  /** Sealed Wrap: filler octets between the message and the header copy (default: header.ec). */
  filler?: number;
  /** Sealed Wrap: the encrypted header copy (default: the header with RRC 0). */
  copy?: Header;
  /** Wrap: the rotation applied to the data (default: header.rrc). */
  rotate?: number;
}

function makeToken(s: TokenSpec): Uint8Array {
  const h = s.header;
  if (h.tokId !== WRAP) {
    // MIC: header | checksum(message | header).
    return concat(writeHeader(h), checksum(s.key, s.usage, concat(s.message, writeHeader(h))));
  }
  if ((h.flags & SEALED) !== 0) {
    const filler = s.filler ?? h.ec;
    const copy = writeHeader(s.copy ?? { ...h, rrc: 0 });
    const plain = concat(s.message, new Uint8Array(filler).fill(0xff), copy);
    const data = encrypt(s.key, s.usage, plain);
    return concat(writeHeader(h), rotateRight(data, s.rotate ?? h.rrc));
  }
  const signedHeader = writeHeader({ ...h, ec: 0, rrc: 0 });
  const data = concat(s.message, checksum(s.key, s.usage, concat(s.message, signedHeader)));
  return concat(writeHeader(h), rotateRight(data, s.rotate ?? h.rrc));
}

/** A message's description in an answer: printable text quoted, else its length and digest. */
function describe(m: Uint8Array): string {
  const text = Buffer.from(m).toString('latin1');
  if (m.length <= 48 && /^[\x20-\x7e]*$/.test(text)) return JSON.stringify(text);
  return `${m.length} octets, sha256 ${createHash('sha256').update(m).digest('hex').slice(0, 16)}`;
}

const opened = (conf: boolean, message: Uint8Array): string =>
  ` ${conf ? 'sealed' : 'signed'} ${describe(message)}`;

/** GSS-API routine errors (RFC 2744 section 3.9.1), by number; 6 is GSS_S_BAD_SIG, alias GSS_S_BAD_MIC. */
const ROUTINE_ERRORS = [
  '',
  'BAD_MECH',
  'BAD_NAME',
  'BAD_NAMETYPE',
  'BAD_BINDINGS',
  'BAD_STATUS',
  'BAD_MIC',
  'NO_CRED',
  'NO_CONTEXT',
  'DEFECTIVE_TOKEN',
  'DEFECTIVE_CREDENTIAL',
  'CREDENTIALS_EXPIRED',
  'CONTEXT_EXPIRED',
  'FAILURE',
  'BAD_QOP',
  'UNAUTHORIZED',
  'UNAVAILABLE',
  'DUPLICATE_ELEMENT',
  'NAME_NOT_MN',
];
const CALLING_ERRORS = ['', 'INACCESSIBLE_READ', 'INACCESSIBLE_WRITE', 'BAD_STRUCTURE'];
/** Supplementary status bits (RFC 2744 section 3.9.1). */
const SUPPLEMENTARY: readonly [number, string][] = [
  [0x02, 'DUPLICATE_TOKEN'],
  [0x04, 'OLD_TOKEN'],
  [0x08, 'UNSEQ_TOKEN'],
  [0x10, 'GAP_TOKEN'],
];

/** MIT's answer: its major status, named, and for a Wrap token that verified what came out. */
function mitOutcome(s: PeerStatus): string {
  const calling = s.major >>> 24;
  const routine = (s.major >>> 16) & 0xff;
  if (calling !== 0) return `CALL_${CALLING_ERRORS[calling] ?? calling}`;
  if (routine !== 0) {
    const name = ROUTINE_ERRORS[routine] ?? `routine error ${routine}`;
    return name === 'BAD_MIC' && s.minor === G_BAD_DIRECTION ? 'BAD_MIC (reflected)' : name;
  }
  const got = s.message === undefined ? '' : opened(s.conf!, s.message);
  const bits = s.major & 0xffff;
  const named = SUPPLEMENTARY.filter(([bit]) => bits & bit).map(([, name]) => name);
  if (named.length === 0) return bits === 0 ? `OK${got}` : `supplementary 0x${bits.toString(16)}`;
  // krbsim hands over the message only with UNSEQ and GAP; DUPLICATE and OLD are refusals.
  return named.includes('DUPLICATE_TOKEN') || named.includes('OLD_TOKEN')
    ? named.join('+')
    : `${named.join('+')}${got}`;
}

/** krbsim's answer, reduced as MIT's is. */
function krbsimOutcome(f: () => { message?: Uint8Array; conf?: boolean }): string {
  try {
    const r = f();
    return `OK${r.message === undefined ? '' : opened(r.conf!, r.message)}`;
  } catch (e) {
    if (!(e instanceof GssTokenError)) {
      return `THROWN ${(e as Error).name}${isKerberosError(e) ? ` ${e.codeName}` : ''}: ${(e as Error).message}`;
    }
    if (e.status === 'BAD_MIC' && e.code === ErrorCode.KRB_AP_ERR_BADDIRECTION) return 'BAD_MIC (reflected)';
    if (e.status === 'UNSEQ_TOKEN' || e.status === 'GAP_TOKEN') {
      const r = e.accepted as { message?: Uint8Array; conf?: boolean };
      return `${e.status}${r.message === undefined ? '' : opened(r.conf!, r.message)}`;
    }
    return e.status;
  }
}

/** Answers by token length, reduced to ranges of lengths: `1-15 DEFECTIVE_TOKEN; 16-59 BAD_MIC`. */
function ranges(answers: readonly { length: number; answer: string }[]): string {
  const out: string[] = [];
  for (let i = 0; i < answers.length; ) {
    let j = i;
    while (j + 1 < answers.length && answers[j + 1]!.answer === answers[i]!.answer) j++;
    const a = answers[i]!.length;
    const b = answers[j]!.length;
    out.push(`${a === b ? a : `${a}-${b}`} ${answers[i]!.answer}`);
    i = j + 1;
  }
  return out.join('; ');
}

/** A case's answers in order, a run of the same answer written once with its count: `OK / UNSEQ_TOKEN ×63`. */
function joinAnswers(answers: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < answers.length; ) {
    let j = i;
    while (j + 1 < answers.length && answers[j + 1] === answers[i]) j++;
    out.push(j > i ? `${answers[i]} ×${j - i + 1}` : answers[i]!);
    i = j + 1;
  }
  return out.join(' / ');
}

/**
 * One case's exchange: the MIT sender makes tokens; each token the case
 * delivers goes to the MIT receiver and to krbsim's twin of it.
 */
class Exchange {
  readonly mit: string[] = [];
  readonly krbsim: string[] = [];

  constructor(
    readonly pair: Pair,
    readonly receiver: Role,
    readonly etype: number,
    readonly another: () => Promise<Pair>,
  ) {}

  get senderRole(): Role {
    return this.receiver === 'acceptor' ? 'initiator' : 'acceptor';
  }

  /** The MIT peer that makes the tokens. */
  get sender(): GssPeer {
    return this.pair[this.senderRole];
  }

  /** The MIT peer that receives them. */
  get mitReceiver(): GssPeer {
    return this.pair[this.receiver];
  }

  get twin(): GssSecurityContext {
    return this.pair.twins[this.receiver];
  }

  /** The key every token of the context is protected with (RFC 4121 section 2). */
  get key(): Key {
    const k = this.pair.keys;
    return k.acceptorSubkey ?? k.initiatorSubkey ?? k.sessionKey;
  }

  /** The sender's key usage for a token of `kind` (RFC 4121 section 2). */
  usage(kind: Kind, role: Role = this.senderRole): number {
    if (kind === 'mic') {
      return role === 'initiator' ? KeyUsage.KG_USAGE_INITIATOR_SIGN : KeyUsage.KG_USAGE_ACCEPTOR_SIGN;
    }
    return role === 'initiator' ? KeyUsage.KG_USAGE_INITIATOR_SEAL : KeyUsage.KG_USAGE_ACCEPTOR_SEAL;
  }

  /** The MIT sender's token of `kind` for `message`. */
  async token(kind: Kind, message: Uint8Array = MESSAGE, peer: GssPeer = this.sender): Promise<Uint8Array> {
    return kind === 'mic' ? peer.mic(message) : peer.wrap(message, kind === 'sealed');
  }

  /** A token of the receiving side's own making: what a reflection sends back. */
  ownToken(kind: Kind, message: Uint8Array = MESSAGE): Promise<Uint8Array> {
    return this.token(kind, message, this.mitReceiver);
  }

  /**
   * The MIT sender's token of `kind`, made again by the test after `change`
   * edits its parts: header, message, key, usage, filler, header copy.
   */
  async reprotect(
    kind: Kind,
    change: (s: TokenSpec) => void,
    message: Uint8Array = MESSAGE,
  ): Promise<Uint8Array> {
    const mitToken = await this.token(kind, message);
    const header = readHeader(mitToken);
    const spec: TokenSpec = { header, message, key: this.key, usage: this.usage(kind) };
    change(spec);
    return makeToken(spec);
  }

  /** A krbsim context in the sender's role, with the sender's keys, laid out as `style`. */
  krbsimSender(style: WrapStyle): GssSecurityContext {
    return contextFor(this.senderRole, this.pair.keys, style);
  }

  /** Gives `token` (for `message` if a MIC) to both receivers, recording their answers. */
  async deliver(kind: Kind, token: Uint8Array, message: Uint8Array = MESSAGE): Promise<void> {
    const [mit, krbsim] = await this.answers(kind, token, message);
    this.mit.push(mit);
    this.krbsim.push(krbsim);
  }

  async answers(kind: Kind, token: Uint8Array, message: Uint8Array = MESSAGE): Promise<[string, string]> {
    const copy = Uint8Array.from(token);
    if (kind === 'mic') {
      const mit = mitOutcome(await this.mitReceiver.verifyStatus(message, token));
      return [
        mit,
        krbsimOutcome(() => {
          this.twin.verifyMic(message, copy);
          return {};
        }),
      ];
    }
    const mit = mitOutcome(await this.mitReceiver.unwrapStatus(token));
    return [mit, krbsimOutcome(() => this.twin.unwrap(copy))];
  }

  /** Gives each token to both receivers; records the answers as ranges of the tokens' lengths. */
  async deliverEach(kind: Kind, tokens: readonly Uint8Array[]): Promise<void> {
    const mit: { length: number; answer: string }[] = [];
    const krbsim: { length: number; answer: string }[] = [];
    for (const t of tokens) {
      const [m, k] = await this.answers(kind, t);
      mit.push({ length: t.length, answer: m });
      krbsim.push({ length: t.length, answer: k });
    }
    this.mit.push(ranges(mit));
    this.krbsim.push(ranges(krbsim));
  }
}

/** Flips bit `bit` of octet `at` (negative: from the end). */
function flip(token: Uint8Array, at: number, bit = 0): Uint8Array {
  const t = Uint8Array.from(token);
  const i = at < 0 ? t.length + at : at;
  t[i]! ^= 1 << bit;
  return t;
}

/** `token` with octet `at` set to `value`. */
function withOctet(token: Uint8Array, at: number, value: number): Uint8Array {
  const t = Uint8Array.from(token);
  t[at] = value;
  return t;
}

/** `token` with the 16-bit field at `at` (EC 4, RRC 6) set to `value`. */
function withField16(token: Uint8Array, at: number, value: number): Uint8Array {
  const t = Uint8Array.from(token);
  new DataView(t.buffer).setUint16(at, value);
  return t;
}

/** A token of `kind` with one change made by `edit` to the MIT sender's token. */
function damaged(
  label: string,
  kind: Kind,
  edit: (t: Uint8Array) => Uint8Array,
  opts: { setup?: SetupName; receiver?: Role; message?: Uint8Array } = {},
): void {
  add(
    label,
    async (x) => {
      const message = opts.message ?? MESSAGE;
      await x.deliver(kind, edit(await x.token(kind, message)), message);
    },
    opts,
  );
}

/** A token of `kind` re-protected by the test after `change`. */
function reprotected(
  label: string,
  kind: Kind,
  change: (s: TokenSpec, x: Exchange) => void,
  opts: { setup?: SetupName; receiver?: Role } = {},
): void {
  add(
    label,
    async (x) => {
      await x.deliver(kind, await x.reprotect(kind, (s) => change(s, x)));
    },
    opts,
  );
}

// The baseline: MIT's tokens as they are, in every setup, both ways.
for (const setup of Object.keys(SETUPS) as SetupName[]) {
  for (const receiver of ROLES) {
    for (const kind of KINDS) damaged(`baseline: ${A[kind]}`, kind, (t) => t, { setup, receiver });
  }
}

// Messages.
for (const receiver of ROLES) {
  for (const kind of KINDS) {
    damaged(`message: empty, in ${A[kind]}`, kind, (t) => t, {
      receiver,
      message: new Uint8Array(0),
    });
  }
}
for (const kind of KINDS) {
  damaged(`message: 100000 octets, in ${A[kind]}`, kind, (t) => t, {
    message: Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff),
  });
  damaged(`message: the 256 octet values, in ${A[kind]}`, kind, (t) => t, {
    message: Uint8Array.from({ length: 256 }, (_, i) => i),
  });
}

// TOK_ID (RFC 4121 section 4.2.6; 4.4 reserves 0x60 for RFC 2743 framing).
add('TOK_ID: a MIC token given to unwrap', async (x) => x.deliver('sealed', await x.token('mic')));
add('TOK_ID: a sealed Wrap token given to verify a MIC', async (x) =>
  x.deliver('mic', await x.token('sealed')),
);
add('TOK_ID: an integrity-only Wrap token given to verify a MIC', async (x) =>
  x.deliver('mic', await x.token('signed')),
);
for (const [id, what] of [
  [0x0405, '04 05 (MIT’s context deletion token)'],
  [0x0201, '02 01 (RFC 1964 Wrap)'],
  [0x0505, '05 05 (unassigned)'],
] as const) {
  damaged(`TOK_ID: ${what} in a sealed Wrap token`, 'sealed', (t) => withField16(t, 0, id));
}
damaged('TOK_ID: 01 01 (RFC 1964 MIC) in a MIC token', 'mic', (t) => withField16(t, 0, 0x0101));
damaged('TOK_ID: 05 04 in a MIC token', 'mic', (t) => withField16(t, 0, WRAP));
damaged('TOK_ID: 04 04 in a sealed Wrap token', 'sealed', (t) => withField16(t, 0, MIC));
for (const kind of KINDS) {
  damaged(`TOK_ID: ${A[kind]} in RFC 2743 framing (0x60, the krb5 OID)`, kind, (t) =>
    Uint8Array.from(wrapGssToken(GssOid.KRB5, t)),
  );
}
damaged('TOK_ID: a sealed Wrap token in RFC 2743 framing with the SPNEGO OID', 'sealed', (t) =>
  Uint8Array.from(wrapGssToken(GssOid.SPNEGO, t)),
);

// Flags (RFC 4121 section 4.2.2), changed on the wire.
for (const receiver of ROLES) {
  for (const kind of KINDS) {
    damaged(`flags: SentByAcceptor flipped in ${A[kind]}`, kind, (t) => flip(t, 2, 0), {
      receiver,
    });
  }
}
damaged('flags: Sealed set in an integrity-only Wrap token', 'signed', (t) => flip(t, 2, 1));
damaged('flags: Sealed cleared in a sealed Wrap token', 'sealed', (t) => flip(t, 2, 1));
damaged('flags: Sealed set in a MIC token', 'mic', (t) => flip(t, 2, 1));
for (const kind of KINDS) {
  damaged(`flags: AcceptorSubkey cleared in ${A[kind]}`, kind, (t) => flip(t, 2, 2));
  damaged(`flags: AcceptorSubkey set in ${A[kind]}`, kind, (t) => flip(t, 2, 2), {
    setup: 'no acceptor subkey',
  });
  damaged(`flags: unknown bit 0x08 set in ${A[kind]}`, kind, (t) => flip(t, 2, 3));
  damaged(`flags: unknown bit 0x80 set in ${A[kind]}`, kind, (t) => flip(t, 2, 7), {
    receiver: 'initiator',
  });
}

// Flags, re-protected: the token verifies, and only the flags speak.
for (const kind of KINDS) {
  reprotected(`flags: unknown bits 0xf8 set, re-protected, in ${A[kind]}`, kind, (s) => {
    s.header.flags |= 0xf8;
  });
}
for (const receiver of ROLES) {
  for (const kind of KINDS) {
    reprotected(
      `key: AcceptorSubkey cleared and the token under the initiator’s subkey, in ${A[kind]}`,
      kind,
      (s, x) => {
        s.header.flags &= ~ACCEPTOR_SUBKEY;
        s.key = x.pair.keys.initiatorSubkey!;
      },
      { receiver },
    );
  }
}
for (const kind of KINDS) {
  reprotected(
    `key: AcceptorSubkey set, the token under the initiator’s subkey, in ${A[kind]}`,
    kind,
    (s) => {
      s.header.flags |= ACCEPTOR_SUBKEY;
    },
    { setup: 'no acceptor subkey' },
  );
  reprotected(
    `key: AcceptorSubkey set, the token under the initiator’s subkey, in ${A[kind]}`,
    kind,
    (s, x) => {
      s.key = x.pair.keys.initiatorSubkey!;
    },
  );
  reprotected(`key: the token under the ticket’s session key, in ${A[kind]}`, kind, (s, x) => {
    s.key = x.pair.keys.sessionKey;
  });
  reprotected(
    `key: the token under a key of the same enctype from elsewhere, in ${A[kind]}`,
    kind,
    (s, x) => {
      s.key = generateKey(x.etype);
    },
  );
}
reprotected('flags: Sealed set in a MIC token, re-protected', 'mic', (s) => {
  s.header.flags |= SEALED;
});
reprotected('key usage: a sealed Wrap token sealed with the SIGN usage', 'sealed', (s, x) => {
  s.usage = x.usage('mic');
});
reprotected('key usage: a MIC token signed with the SEAL usage', 'mic', (s, x) => {
  s.usage = x.usage('sealed');
});
reprotected('key usage: a sealed Wrap token sealed with the receiver’s own usage', 'sealed', (s, x) => {
  s.usage = x.usage('sealed', x.receiver);
});
reprotected(
  'key usage: a MIC token signed with the receiver’s own usage',
  'mic',
  (s, x) => {
    s.usage = x.usage('mic', x.receiver);
  },
  { receiver: 'initiator' },
);

// The filler octets (RFC 4121 section 4.2.6).
damaged('filler: octet 3 of a sealed Wrap token 00', 'sealed', (t) => withOctet(t, 3, 0));
damaged('filler: octet 3 of an integrity-only Wrap token fe', 'signed', (t) => withOctet(t, 3, 0xfe));
damaged('filler: octet 3 of a MIC token 00', 'mic', (t) => withOctet(t, 3, 0));
damaged('filler: octets 4-7 of a MIC token 00 00 00 00', 'mic', (t) =>
  withField16(withField16(t, 4, 0), 6, 0),
);
damaged('filler: octet 7 of a MIC token fe', 'mic', (t) => withOctet(t, 7, 0xfe), { receiver: 'initiator' });

// EC (RFC 4121 section 4.2.3).
damaged('EC: 1 in a sealed Wrap token', 'sealed', (t) => withField16(t, 4, 1));
damaged('EC: 16 in a sealed Wrap token', 'sealed', (t) => withField16(t, 4, 16));
damaged('EC: the message length plus 1 in a sealed Wrap token', 'sealed', (t) =>
  withField16(t, 4, MESSAGE.length + 1),
);
damaged('EC: ffff in a sealed Wrap token', 'sealed', (t) => withField16(t, 4, 0xffff));
reprotected('EC: 5 filler octets, re-sealed, in a sealed Wrap token', 'sealed', (s) => {
  s.header.ec = 5;
});
reprotected('EC: 5 in the header and the encrypted copy, no filler octets, re-sealed', 'sealed', (s) => {
  s.header.ec = 5;
  s.filler = 0;
});
reprotected('EC: 5 filler octets and RRC 28, rotated, re-sealed', 'sealed', (s) => {
  s.header.ec = 5;
  s.header.rrc = 28;
});
reprotected('EC: 5 in the header, 0 in the encrypted copy and no filler, re-sealed', 'sealed', (s) => {
  s.header.ec = 5;
  s.filler = 0;
  s.copy = { ...s.header, ec: 0, rrc: 0 };
});
reprotected('EC: 0 in the header, 5 in the encrypted copy with 5 filler octets, re-sealed', 'sealed', (s) => {
  s.filler = 5;
  s.copy = { ...s.header, ec: 5, rrc: 0 };
});
for (const [ec, what] of [
  [0, '0'],
  [11, 'the checksum length less 1'],
  [13, 'the checksum length plus 1'],
  [0xffff, 'ffff'],
] as const) {
  damaged(`EC: ${what} in an integrity-only Wrap token`, 'signed', (t) => withField16(t, 4, ec));
}
damaged(
  'EC: 12 (aes-sha1’s checksum length) in an integrity-only Wrap token',
  'signed',
  (t) => withField16(t, 4, 12),
  {
    setup: 'aes256-sha384',
  },
);

// RRC (RFC 4121 section 4.2.5): the receiver undoes any rotation.
/** `token` with its data rotated right by `n` and RRC set to `rrc` (default n). */
function rotated(token: Uint8Array, n: number, rrc = n): Uint8Array {
  const h = readHeader(token);
  return concat(writeHeader({ ...h, rrc }), rotateRight(rotateLeft(token.subarray(16), h.rrc), n));
}
damaged('RRC: 28, rotated as Heimdal and Windows send, in a sealed Wrap token', 'sealed', (t) =>
  rotated(t, 28),
);
damaged('RRC: 12, rotated as Heimdal and Windows send, in an integrity-only Wrap token', 'signed', (t) =>
  rotated(t, 12),
);
damaged('RRC: 40 (16 + the MAC), rotated, in a sealed Wrap token', 'sealed', (t) => rotated(t, 40), {
  setup: 'aes256-sha384',
});
damaged('RRC: 5, rotated, in an integrity-only Wrap token', 'signed', (t) => rotated(t, 5), {
  receiver: 'initiator',
});
damaged('RRC: 1000, beyond the token, rotated, in a sealed Wrap token', 'sealed', (t) => rotated(t, 1000));
damaged('RRC: ffff, rotated, in an integrity-only Wrap token', 'signed', (t) => rotated(t, 0xffff));
damaged('RRC: 28 with the data not rotated, in a sealed Wrap token', 'sealed', (t) => withField16(t, 6, 28));
damaged('RRC: 12 with the data not rotated, in an integrity-only Wrap token', 'signed', (t) =>
  withField16(t, 6, 12),
);
damaged('RRC: 28, rotated, in a sealed Wrap token of an empty message', 'sealed', (t) => rotated(t, 28), {
  message: new Uint8Array(0),
});
damaged('RRC: the data rotated by 28 with RRC 0, in a sealed Wrap token', 'sealed', (t) => rotated(t, 28, 0));
reprotected('RRC: 28 in the encrypted header copy, re-sealed', 'sealed', (s) => {
  s.copy = { ...s.header, rrc: 28 };
});
for (const conf of [true, false]) {
  add(`RRC: krbsim’s windows layout, ${conf ? 'sealed' : 'integrity only'}`, async (x) => {
    await x.deliver(conf ? 'sealed' : 'signed', x.krbsimSender('windows').wrap(MESSAGE, { conf }));
  });
}

// The header copy a sealed Wrap token encrypts (RFC 4121 section 4.2.4).
reprotected('header copy: TOK_ID 04 04 in the encrypted copy, re-sealed', 'sealed', (s) => {
  s.copy = { ...s.header, rrc: 0, tokId: MIC };
});
reprotected('header copy: flags without Sealed in the encrypted copy, re-sealed', 'sealed', (s) => {
  s.copy = { ...s.header, rrc: 0, flags: s.header.flags & ~SEALED };
});
reprotected('header copy: SND_SEQ plus 1 in the encrypted copy, re-sealed', 'sealed', (s) => {
  s.copy = { ...s.header, rrc: 0, seq: s.header.seq + 1n };
});

// SND_SEQ (RFC 4121 section 4.2.1), changed on the wire.
damaged('SND_SEQ: plus 1 in a sealed Wrap token', 'sealed', (t) => flip(t, 15, 0));
damaged('SND_SEQ: plus 1 in an integrity-only Wrap token', 'signed', (t) => flip(t, 15, 0));
damaged('SND_SEQ: bit 63 flipped in a MIC token', 'mic', (t) => flip(t, 8, 7), { receiver: 'initiator' });

/** Delivers the MIT sender's tokens numbered `order` (0 its first), of `kind`, made in sequence. */
async function inOrder(x: Exchange, kind: Kind, made: number, order: readonly number[]): Promise<void> {
  const tokens: Uint8Array[] = [];
  for (let i = 0; i < made; i++) tokens.push(await x.token(kind, enc(`message ${i}`)));
  for (const i of order) await x.deliver(kind, tokens[i]!, enc(`message ${i}`));
}

// Sequence numbers: replays, order, gaps (RFC 2743 section 1.2.3), each flag setting.
for (const setup of ['default', 'replay only', 'sequence only', 'neither replay nor sequence'] as const) {
  add('sequence: a sealed Wrap token twice', (x) => inOrder(x, 'sealed', 1, [0, 0]), { setup });
  add('sequence: 1 then 0', (x) => inOrder(x, 'sealed', 2, [1, 0]), { setup });
  add('sequence: 0 then 2 (1 lost)', (x) => inOrder(x, 'signed', 3, [0, 2]), { setup });
  add('sequence: 0, 99, then 1 (beyond the 64-number window)', (x) => inOrder(x, 'mic', 100, [0, 99, 1]), {
    setup,
  });
}
add('sequence: a MIC token twice', (x) => inOrder(x, 'mic', 1, [0, 0]), { receiver: 'initiator' });
add('sequence: 0, 1, 0', (x) => inOrder(x, 'signed', 2, [0, 1, 0]));
add('sequence: 0, 64, 1 (the window’s oldest number)', (x) => inOrder(x, 'mic', 65, [0, 64, 1]));
add('sequence: 0, 64, 0 (just beyond the window)', (x) => inOrder(x, 'mic', 65, [0, 64, 0]));
add('sequence: 0, 1, 2, 66 (a jump of the window’s size), then 65', (x) =>
  inOrder(x, 'mic', 67, [0, 1, 2, 66, 65]),
);
add('sequence: 0, 1, 2, 67 (a jump of the window’s size and one), then 66', (x) =>
  inOrder(x, 'mic', 68, [0, 1, 2, 67, 66]),
);
add('sequence: 63 to 0 in reverse', (x) =>
  inOrder(
    x,
    'mic',
    64,
    Array.from({ length: 64 }, (_, i) => 63 - i),
  ),
);
add(
  'sequence: Wrap and MIC tokens share one counter: a Wrap token, a MIC token, delivered MIC first',
  async (x) => {
    const wrap = await x.token('sealed');
    const mic = await x.token('mic');
    await x.deliver('mic', mic);
    await x.deliver('sealed', wrap);
  },
);
add('sequence: a MIC token (re-protected) with the number of a Wrap token already received', async (x) => {
  const wrap = await x.token('signed');
  await x.deliver('signed', wrap);
  await x.deliver(
    'mic',
    await x.reprotect('mic', (s) => {
      s.header.seq = readHeader(wrap).seq;
    }),
  );
});
add('sequence: one below the initial number (re-protected), then the initial number', async (x) => {
  const first = await x.token('signed');
  await x.deliver(
    'signed',
    await x.reprotect('signed', (s) => {
      s.header.seq = (readHeader(first).seq - 1n) & 0xffffffffffffffffn;
    }),
  );
  await x.deliver('signed', first);
});
add('sequence: 2^63 ahead (re-protected), then the next in order', async (x) => {
  const forged = await x.reprotect('mic', (s) => {
    s.header.seq = (s.header.seq + (1n << 63n)) & 0xffffffffffffffffn;
  });
  await x.deliver('mic', forged);
  await x.deliver('mic', await x.token('mic'));
});

// Integrity: one bit flipped in the encrypted data, the checksum, the message.
damaged('integrity: the first octet of the ciphertext (confounder) flipped', 'sealed', (t) => flip(t, 16));
damaged('integrity: a middle octet of the ciphertext flipped', 'sealed', (t) => flip(t, 40, 5));
damaged('integrity: the last octet (HMAC) flipped', 'sealed', (t) => flip(t, -1, 7), {
  receiver: 'initiator',
});
damaged('integrity: a message octet flipped', 'signed', (t) => flip(t, 16));
damaged('integrity: the last checksum octet flipped', 'signed', (t) => flip(t, -1));
damaged('integrity: the first checksum octet flipped', 'mic', (t) => flip(t, 16));
damaged('integrity: the last checksum octet flipped', 'mic', (t) => flip(t, -1), { receiver: 'initiator' });
damaged('integrity: the last checksum octet flipped', 'sealed', (t) => flip(t, -1), {
  setup: 'aes128-sha256',
});
damaged('integrity: a checksum octet flipped', 'signed', (t) => flip(t, -3), { setup: 'aes256-sha384' });
add('integrity: a MIC token over another message', async (x) =>
  x.deliver('mic', await x.token('mic'), enc('another message')),
);
add('integrity: a MIC token over the message with one more octet', async (x) =>
  x.deliver('mic', await x.token('mic'), concat(MESSAGE, Uint8Array.of(0))),
);
add('integrity: a token of another context between the same peers', async (x) => {
  const other = await x.another();
  try {
    await x.deliver('sealed', await x.token('sealed', MESSAGE, other[x.senderRole]));
  } finally {
    await other.initiator.close();
    await other.acceptor.close();
  }
});

// Direction (RFC 4121 section 4.2.2): a token sent back to the side that made it.
for (const receiver of ROLES) {
  for (const kind of KINDS) {
    add(
      `direction: the receiver’s own token, ${A[kind]}, reflected`,
      async (x) => x.deliver(kind, await x.ownToken(kind)),
      { receiver },
    );
  }
}

// Two faults: which check comes first.
damaged('two faults: SentByAcceptor flipped and the filler octet 00', 'sealed', (t) =>
  withOctet(flip(t, 2, 0), 3, 0),
);
add(
  'two faults: SentByAcceptor flipped in a MIC token given to unwrap',
  async (x) => x.deliver('sealed', flip(await x.token('mic'), 2, 0)),
  { receiver: 'initiator' },
);

// DCE style (GSS_C_DCE_STYLE; MS-KILE section 3.4.5.4.1): sealed data rotated by RRC + EC.
for (const receiver of ROLES) {
  damaged('DCE: a sealed Wrap token rotated by 28', 'sealed', (t) => rotated(t, 28), {
    setup: 'DCE style',
    receiver,
  });
  add(
    'DCE: krbsim’s dce layout (EC to the cipher block, rotated by RRC + EC), two sealed Wrap tokens',
    async (x) => {
      const k = x.krbsimSender('dce');
      await x.deliver('sealed', k.wrap(MESSAGE));
      await x.deliver('sealed', k.wrap(enc('sixteen octets..')));
    },
    { setup: 'DCE style', receiver },
  );
  reprotected(
    'DCE: 5 filler octets, the data rotated by RRC 0 only, re-sealed',
    'sealed',
    (s) => {
      s.header.ec = 5;
    },
    { setup: 'DCE style', receiver },
  );
  reprotected(
    'DCE: 5 filler octets and RRC 28, the data rotated by RRC + EC, re-sealed',
    'sealed',
    (s) => {
      s.header.ec = 5;
      s.header.rrc = 28;
      s.rotate = 33;
    },
    { setup: 'DCE style', receiver },
  );
}

// Length: empty, truncated at every length, trailing octets.
add('length: an empty token given to unwrap', async (x) => x.deliver('sealed', new Uint8Array(0)));
add('length: an empty token given to verify a MIC', async (x) => x.deliver('mic', new Uint8Array(0)), {
  receiver: 'initiator',
});
for (const kind of KINDS) {
  add(`length: ${A[kind]}, truncated to each length from 1`, async (x) => {
    const t = await x.token(kind);
    await x.deliverEach(
      kind,
      Array.from({ length: t.length - 1 }, (_, i) => t.slice(0, i + 1)),
    );
  });
  damaged(`length: ${A[kind]}, with one trailing octet`, kind, (t) => concat(t, Uint8Array.of(0)));
  damaged(`length: ${A[kind]}, with 16 trailing octets`, kind, (t) => concat(t, new Uint8Array(16)), {
    receiver: 'initiator',
  });
}
add(
  'length: a sealed Wrap token, truncated to each length from 1',
  async (x) => {
    const t = await x.token('sealed');
    await x.deliverEach(
      'sealed',
      Array.from({ length: t.length - 1 }, (_, i) => t.slice(0, i + 1)),
    );
  },
  { setup: 'aes256-sha384', receiver: 'initiator' },
);

describeWithTools(
  'RFC 4121 Wrap and MIC tokens: krbsim and MIT gss_unwrap/gss_verify_mic, the same damaged tokens',
  ['gcc', 'kinit'],
  (tools) => {
    let lab: GssLab;
    let mit: MitClient;
    let peerPath: string;
    let service: KerberosService;
    const envs = new Map<number, Promise<Record<string, string>>>();

    beforeAll(async () => {
      lab = await startGssLab('gss-differential-mit');
      mit = new MitClient(tools, lab.dir.path, lab.krb5conf, lab.dir.file('cc-mit'), () => lab.diagnostics());
      peerPath = lab.dir.file('gss-peer-mit');
      await buildGssPeer(tools.gcc!, peerPath);
      service = new KerberosService({ keytab: await readKeytabFile(lab.keytab), replayCache: false });
    });
    afterAll(async () => {
      await lab?.close();
    });

    /** The peers' environment for `etype`: a profile allowing only it, and a TGT got with it. */
    function envFor(etype: number): Promise<Record<string, string>> {
      let env = envs.get(etype);
      if (env === undefined) {
        env = (async () => {
          const name = ENCTYPE_NAMES[etype]!;
          const conf = lab.dir.file(`krb5-${etype}.conf`);
          const cc = lab.dir.file(`cc-${etype}`);
          const base = await readFile(lab.krb5conf, 'utf8');
          await writeFile(
            conf,
            base.replace(
              '[libdefaults]',
              `[libdefaults]\n    default_tkt_enctypes = ${name}\n    default_tgs_enctypes = ${name}\n    default_etypes = ${name}`,
            ),
          );
          await mit.ok('kinit', [`alice@${REALM}`], {
            input: 'Al1ce-Passw0rd\n',
            krb5conf: conf,
            ccache: cc,
          });
          return {
            KRB5_CONFIG: conf,
            KRB5CCNAME: `FILE:${cc}`,
            KRB5_KTNAME: `FILE:${lab.keytab}`,
            KRB5RCACHETYPE: 'none',
          };
        })();
        envs.set(etype, env);
      }
      return env;
    }

    /** A context between two MIT peers in `setup`, and krbsim's twins of each side. */
    async function establish(setupName: SetupName): Promise<Pair> {
      const setup = SETUPS[setupName];
      const env = await envFor(setup.etype);
      const initiator = GssPeer.start(peerPath, ['init', TARGET, setup.flags.toString(16)], env);
      const acceptor = GssPeer.start(peerPath, ['accept'], env);
      try {
        const apReq = await initiator.token();
        const dce = (setup.flags & DCE_STYLE) !== 0;
        // krbsim reads the AP-REQ the MIT acceptor gets: the session key, the initiator's subkey and number.
        const r = service.accept(apReq);
        acceptor.sendToken(apReq);
        const apRep = await acceptor.token(); // empty without MUTUAL
        if (dce) {
          // DCE style: raw AP-REQ and AP-REP, then the initiator's AP-REP as a third leg.
          initiator.sendToken(apRep);
          acceptor.sendToken(await initiator.token());
          await acceptor.token();
        } else if (apRep.length > 0) {
          initiator.sendToken(apRep);
        }
        await acceptor.ready();
        await initiator.ready();
        let reply: { subkey?: Key; seqNumber?: number } | undefined;
        if (apRep.length > 0) {
          const part = decodeEncApRepPart(
            decrypt(
              r.sessionKey,
              KeyUsage.AP_REP_ENCPART,
              decodeApRep(dce ? apRep : unwrapKrb5Token(apRep).message).encPart.cipher,
            ),
          );
          reply = {
            ...(part.subkey === undefined
              ? {}
              : { subkey: { etype: part.subkey.keytype, bytes: part.subkey.keyvalue } }),
            ...(part.seqNumber === undefined ? {} : { seqNumber: part.seqNumber }),
          };
        }
        expect(r.sessionKey.etype).toBe(setup.etype);
        // A raw (DCE) AP-REQ is accepted without its GSS checksum: the flags are the setup's.
        if (!dce) expect(r.gssFlags! & setup.flags).toBe(setup.flags);
        const keys: ContextKeys = {
          sessionKey: r.sessionKey,
          ...(r.subkey === undefined ? {} : { initiatorSubkey: r.subkey }),
          ...(reply?.subkey === undefined ? {} : { acceptorSubkey: reply.subkey }),
          ...(r.seqNumber === undefined ? {} : { initiatorSeqNumber: r.seqNumber }),
          // As the client's verifyApRep: an AP-REP without a number means 0, no AP-REP the initiator's.
          ...(reply === undefined ? {} : { acceptorSeqNumber: reply.seqNumber ?? 0 }),
          flags: dce ? setup.flags : (r.gssFlags ?? 0),
        };
        return {
          initiator,
          acceptor,
          keys,
          twins: { initiator: contextFor('initiator', keys), acceptor: contextFor('acceptor', keys) },
        };
      } catch (e) {
        await initiator.close();
        await acceptor.close();
        throw e;
      }
    }

    knownDifferencesTest(cases, KNOWN_DIFFERENCES);

    for (const c of cases) {
      it(c.label, async () => {
        const pair = await establish(c.setup);
        try {
          const x = new Exchange(pair, c.receiver, SETUPS[c.setup].etype, () => establish(c.setup));
          await c.run(x);
          const mitSays = joinAnswers(x.mit);
          const krbsimSays = joinAnswers(x.krbsim);
          const known = KNOWN_DIFFERENCES[c.label];
          if (known === undefined) {
            expect(krbsimSays).toBe(mitSays);
          } else {
            expect(mitSays).toMatch(known.oracle);
            expect(krbsimSays).toBe(known.krbsim);
          }
        } finally {
          await pair.initiator.close();
          await pair.acceptor.close();
        }
      });
    }
  },
);
