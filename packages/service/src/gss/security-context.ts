/**
 * An established Kerberos GSS-API security context (RFC 4121 section 2 and
 * section 4.2): GSS_Wrap, GSS_Unwrap, GSS_GetMIC and GSS_VerifyMIC for one
 * side of a context set up by an AP exchange.
 *
 * Keys (section 2): the acceptor's subkey when the AP-REP carried one (and
 * then every token, both ways, has the AcceptorSubkey flag), else the
 * initiator's subkey from the authenticator, else the ticket's session key.
 *
 * Sequence numbers (section 4.2.1): each side numbers its tokens from its
 * initial sequence number (the initiator's from the authenticator; the
 * acceptor's from its AP-REP, or the initiator's when there was no AP-REP,
 * as MIT's acceptor does), one counter for MIC and Wrap tokens, 64 bits.
 * Received numbers go through a {@link SequenceWindow} when the context has
 * the replay or sequence flag.
 *
 * Order of checks on receipt: structure, direction and key flag, then the
 * cryptography, and only then the sequence number, so a forged token never
 * moves the replay window.
 *
 * @module
 */

import { GssFlags } from '@krbsim/asn1';
import {
  type Clock,
  ErrorCode,
  KerberosError,
  type RandomSource,
  systemClock,
  systemRandom,
} from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { GssTokenError } from './gss-error';
import {
  checkWrapStyle,
  decodePerMessageToken,
  type GssRole,
  makeMicToken,
  makeWrapToken,
  openWrapToken,
  PerMessageFlags,
  type PerMessageTokenHeader,
  PerMessageTokenId,
  type TokenSender,
  usesRfc1964Tokens,
  verifyMicToken,
  type WrapStyle,
} from './per-message-token';
import { SequenceWindow } from './sequence-window';

const MASK64 = (1n << 64n) - 1n;

/** What builds a {@link GssSecurityContext}: the outcome of an AP exchange, from one side. */
export interface SecurityContextParams {
  /** This side started the context (sent the AP-REQ). */
  readonly initiator: boolean;
  /** The ticket's session key. */
  readonly sessionKey: Key;
  /** The subkey of the initiator's authenticator, if any. */
  readonly initiatorSubkey?: Key;
  /** The subkey of the acceptor's AP-REP, if any. */
  readonly acceptorSubkey?: Key;
  /** The authenticator's seq-number (default 0). */
  readonly initiatorSeqNumber?: number | bigint;
  /**
   * The AP-REP's seq-number (0 for an AP-REP without one). Default, when
   * there was no AP-REP: the initiator's, as MIT's acceptor does.
   */
  readonly acceptorSeqNumber?: number | bigint;
  /** The GSS context flags (RFC 4121 section 4.1.1.1): replay (4) and sequence (8) turn on the checks; 0x1000 is DCE style. */
  readonly flags: number;
  /**
   * When the context expires, ms: the ticket's endtime (an acceptor's, as `KerberosService` makes it,
   * plus the clock skew it allows, as MIT's acceptor); default never.
   */
  readonly endtime?: number;
  readonly clock?: Clock;
  /** Confounders for sealed Wrap tokens. */
  readonly random?: RandomSource;
  /** How this side lays out its Wrap tokens; default `'mit'`, or `'dce'` for a DCE-style context. */
  readonly wrapStyle?: WrapStyle;
}

/** Options for {@link GssSecurityContext.wrap}. */
export interface WrapOptions {
  /** Encrypt the message (GSS conf_req_flag). Default true. */
  readonly conf?: boolean;
}

/** What {@link GssSecurityContext.unwrap} returns. */
export interface UnwrapResult {
  /** The message. */
  readonly message: Uint8Array;
  /** Whether it was encrypted (GSS conf_state). */
  readonly conf: boolean;
  /** The token's SND_SEQ. */
  readonly seqNumber: bigint;
}

/** What {@link GssSecurityContext.verifyMic} returns. */
export interface VerifyMicResult {
  /** The token's SND_SEQ. */
  readonly seqNumber: bigint;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function toSeq(n: number | bigint | undefined): bigint {
  if (n === undefined) return 0n;
  return (typeof n === 'bigint' ? n : BigInt(n)) & MASK64;
}

/**
 * One side of an established GSS-API Kerberos context: protects messages
 * for the peer and checks the peer's. Made by `KerberosService.accept`
 * (acceptor) and by `@krbsim/client`'s `verifyApRep`/`buildApReq`
 * (initiator).
 *
 * Security: the keys stay inside (private fields); printing or serializing
 * a context shows its role, flags, enctype and sequence numbers only.
 *
 * @example
 * ```ts
 * const token = ctx.wrap(new TextEncoder().encode('hello'));     // sealed Wrap token
 * const { message, conf } = peer.unwrap(token);
 * const mic = ctx.getMic(message);
 * peer.verifyMic(message, mic);
 * ```
 */
export class GssSecurityContext {
  /** True for the side that sent the AP-REQ. */
  readonly initiator: boolean;
  /** The GSS context flags: the initiator's checksum flags (RFC 4121 section 4.1.1.1). */
  readonly flags: number;
  /** Wrap tokens this side makes are laid out this way. */
  readonly wrapStyle: WrapStyle;
  readonly #key: Key;
  /** The key before any acceptor subkey: the initiator's subkey, else the session key. */
  readonly #initiatorKey: Key;
  readonly #acceptorSubkey: boolean;
  readonly #window: SequenceWindow;
  readonly #endtime: number | undefined;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #dce: boolean;
  #sendSeq: bigint;

  /**
   * The flags GSS-API returns for this context (RFC 2744's `ret_flags`), as MIT krb5's
   * `gss_init_sec_context` and `gss_accept_sec_context` give them: of {@link flags}, the service
   * flags the Kerberos mechanism knows (delegation, mutual, replay, sequence, confidentiality,
   * integrity, DCE style, identify, extended error, and at the acceptor channel-bound when the
   * bindings matched), with TRANS, and PROT_READY at an acceptor that
   * answered with an AP-REP (mutual authentication, not DCE style: MIT's acceptor sets it there
   * alone). Heimdal's acceptor leaves PROT_READY out. A context that can make no tokens (rc4-hmac:
   * RFC 4757's, which krbsim does not implement) leaves out CONF, INTEG and PROT_READY, which
   * promise them, on either side.
   */
  get retFlags(): number {
    const known =
      this.flags &
      (GssFlags.deleg |
        GssFlags.mutual |
        GssFlags.replay |
        GssFlags.sequence |
        GssFlags.conf |
        GssFlags.integ |
        GssFlags.dceStyle |
        GssFlags.identify |
        GssFlags.extendedError |
        GssFlags.channelBound);
    if (usesRfc1964Tokens(this.#key.etype)) {
      return ((known & ~(GssFlags.conf | GssFlags.integ)) | GssFlags.trans) >>> 0;
    }
    const protReady =
      !this.initiator && (this.flags & GssFlags.mutual) !== 0 && (this.flags & GssFlags.dceStyle) === 0;
    return (known | GssFlags.trans | (protReady ? GssFlags.protReady : 0)) >>> 0;
  }

  constructor(p: SecurityContextParams) {
    this.initiator = p.initiator;
    this.flags = p.flags >>> 0;
    checkWrapStyle(p.wrapStyle);
    this.wrapStyle = p.wrapStyle ?? ((this.flags & GssFlags.dceStyle) !== 0 ? 'dce' : 'mit');
    // A peer that sends DCE-style tokens reads them so too (both sides agree through the flag or the option).
    this.#dce = (this.flags & GssFlags.dceStyle) !== 0 || this.wrapStyle === 'dce';
    this.#initiatorKey = p.initiatorSubkey ?? p.sessionKey;
    this.#key = p.acceptorSubkey ?? this.#initiatorKey;
    this.#acceptorSubkey = p.acceptorSubkey !== undefined;
    const initiatorSeq = toSeq(p.initiatorSeqNumber);
    const acceptorSeq = p.acceptorSeqNumber === undefined ? initiatorSeq : toSeq(p.acceptorSeqNumber);
    this.#sendSeq = p.initiator ? initiatorSeq : acceptorSeq;
    this.#window = new SequenceWindow(p.initiator ? acceptorSeq : initiatorSeq, {
      replay: (this.flags & GssFlags.replay) !== 0,
      sequence: (this.flags & GssFlags.sequence) !== 0,
    });
    this.#endtime = p.endtime;
    this.#clock = p.clock ?? systemClock;
    this.#random = p.random ?? systemRandom;
  }

  /** The enctype of the key protecting the tokens. */
  get etype(): number {
    return this.#key.etype;
  }

  /** True when the acceptor's subkey protects the tokens (they carry the AcceptorSubkey flag). */
  get usesAcceptorSubkey(): boolean {
    return this.#acceptorSubkey;
  }

  /** The sequence number the next token this side makes will carry. */
  get nextSendSeqNumber(): bigint {
    return this.#sendSeq;
  }

  /**
   * GSS_Wrap: a Wrap token (TOK_ID 05 04) carrying `message`, encrypted
   * unless `conf` is false (then only checksummed).
   *
   * @throws GssTokenError CONTEXT_EXPIRED after the ticket's endtime;
   *   KerberosError KDC_ERR_ETYPE_NOSUPP for an rc4-hmac context.
   */
  wrap(message: Uint8Array, opts: WrapOptions = {}): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError('wrap: message must be a Uint8Array');
    const token = makeWrapToken(this.#sender(), message, {
      conf: opts.conf ?? true,
      style: this.wrapStyle,
      random: this.#random,
    });
    this.#sendSeq = (this.#sendSeq + 1n) & MASK64;
    return token;
  }

  /**
   * GSS_Unwrap: checks a Wrap token from the peer and returns its message.
   *
   * @throws GssTokenError DEFECTIVE_TOKEN (not a Wrap token, or its flags do
   *   not fit this context), BAD_MIC (modified, another key, or reflected:
   *   code KRB_AP_ERR_BADDIRECTION), DUPLICATE_TOKEN, OLD_TOKEN, and with
   *   the sequence flag UNSEQ_TOKEN or GAP_TOKEN (whose `accepted` holds the
   *   result: the token itself verified), CONTEXT_EXPIRED.
   */
  unwrap(token: Uint8Array): UnwrapResult {
    const h = this.#receive(token, PerMessageTokenId.WRAP);
    const opened = openWrapToken(this.#key, this.#peer(), token, h, this.#dce);
    const result: UnwrapResult = { message: opened.message, conf: opened.conf, seqNumber: h.seqNumber };
    this.#order(h.seqNumber, result, 'Wrap');
    return result;
  }

  /**
   * GSS_GetMIC: a MIC token (TOK_ID 04 04) over `message`.
   *
   * @throws as {@link GssSecurityContext.wrap}.
   */
  getMic(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError('getMic: message must be a Uint8Array');
    const token = makeMicToken(this.#sender(), message);
    this.#sendSeq = (this.#sendSeq + 1n) & MASK64;
    return token;
  }

  /**
   * GSS_VerifyMIC: checks the peer's MIC token over `message`.
   *
   * @throws GssTokenError as {@link GssSecurityContext.unwrap} does.
   */
  verifyMic(message: Uint8Array, token: Uint8Array): VerifyMicResult {
    if (!(message instanceof Uint8Array)) throw new TypeError('verifyMic: message must be a Uint8Array');
    const h = this.#receive(token, PerMessageTokenId.MIC);
    verifyMicToken(this.#key, this.#peer(), token, message);
    const result: VerifyMicResult = { seqNumber: h.seqNumber };
    this.#order(h.seqNumber, result, 'MIC');
    return result;
  }

  /**
   * SPNEGO, at the acceptor (RFC 4178 section 5): checks the mechListMIC an initiator sent beside its
   * first token, over `mechTypes` (the DER MechTypeList as its NegTokenInit carried it). The
   * initiator made it before it could know of an acceptor subkey, so it is a MIC token (RFC 4121
   * section 4.2.6.1) under the initiator's subkey, or the session key, with the AcceptorSubkey flag
   * clear, key usage 25, as MIT's acceptor reads a token without the flag (with `ctx->subkey`). Its
   * sequence number goes through the replay window as {@link verifyMic}'s would. `KerberosService.accept`
   * calls it; a context made otherwise has no use for it.
   *
   * @throws TypeError at an initiator; GssTokenError as {@link verifyMic}; KerberosError
   *   KDC_ERR_ETYPE_NOSUPP when that key is rc4-hmac (RFC 4757's tokens).
   */
  verifyInitiatorMechListMic(mechTypes: Uint8Array, token: Uint8Array): VerifyMicResult {
    if (this.initiator) {
      throw new TypeError(
        "verifyInitiatorMechListMic: the initiator's mechListMIC is checked at the acceptor",
      );
    }
    if (!(mechTypes instanceof Uint8Array)) {
      throw new TypeError('verifyInitiatorMechListMic: mechTypes must be a Uint8Array');
    }
    const h = this.#receive(token, PerMessageTokenId.MIC, this.#initiatorKey, false);
    verifyMicToken(this.#initiatorKey, 'initiator', token, mechTypes);
    const result: VerifyMicResult = { seqNumber: h.seqNumber };
    this.#order(h.seqNumber, result, 'MIC');
    return result;
  }

  /** Non-secret state, for logs. */
  toJSON(): object {
    return {
      initiator: this.initiator,
      flags: this.flags,
      etype: this.#key.etype,
      usesAcceptorSubkey: this.#acceptorSubkey,
      wrapStyle: this.wrapStyle,
      nextSendSeqNumber: this.#sendSeq.toString(),
    };
  }

  [INSPECT](): object {
    return this.toJSON();
  }

  #live(key: Key = this.#key): void {
    if (this.#endtime !== undefined && this.#clock.now() > this.#endtime) {
      throw new GssTokenError(
        'CONTEXT_EXPIRED',
        `the security context expired at ${new Date(this.#endtime).toISOString()} (its ticket's end); establish a new one`,
      );
    }
    if (usesRfc1964Tokens(key.etype)) {
      // RFC 4121 section 4.2 tokens are for the RFC 3961 simplified profile's enctypes;
      // rc4-hmac contexts use RFC 4757's RFC 1964-style tokens.
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `per-message tokens for enctype ${key.etype} (rc4-hmac) are RFC 4757's, which krbsim does not implement; use an AES session key or subkey`,
      );
    }
  }

  #sender(): TokenSender {
    this.#live();
    return {
      key: this.#key,
      sender: this.initiator ? 'initiator' : 'acceptor',
      acceptorSubkey: this.#acceptorSubkey,
      seqNumber: this.#sendSeq,
    };
  }

  #peer(): GssRole {
    return this.initiator ? 'acceptor' : 'initiator';
  }

  /**
   * Decodes the header and checks what this context expects of it before any cryptography: the
   * token is to be under `key`, with the AcceptorSubkey flag when `acceptorSubkey` (by default this
   * context's key and flag).
   */
  #receive(
    token: Uint8Array,
    tokId: number,
    key: Key = this.#key,
    acceptorSubkey: boolean = this.#acceptorSubkey,
  ): PerMessageTokenHeader {
    this.#live(key);
    const h = decodePerMessageToken(token);
    const kind = tokId === PerMessageTokenId.WRAP ? 'Wrap' : 'MIC';
    if (h.tokId !== tokId) {
      const got = h.tokId === PerMessageTokenId.WRAP ? 'a Wrap token' : 'a MIC token';
      throw new GssTokenError(
        'DEFECTIVE_TOKEN',
        `expected a ${kind} token (TOK_ID 0x0${tokId.toString(16)}), got ${got}`,
      );
    }
    const fromAcceptor = (h.flags & PerMessageFlags.sentByAcceptor) !== 0;
    if (fromAcceptor !== this.initiator) {
      // Section 4.2.2: a token with this side's own direction was reflected back.
      throw new GssTokenError(
        'BAD_MIC',
        `the ${kind} token was made by the ${fromAcceptor ? 'acceptor' : 'initiator'}, which is this side: a reflected token`,
        { code: ErrorCode.KRB_AP_ERR_BADDIRECTION },
      );
    }
    const flagged = (h.flags & PerMessageFlags.acceptorSubkey) !== 0;
    if (flagged !== acceptorSubkey) {
      throw new GssTokenError(
        'DEFECTIVE_TOKEN',
        flagged
          ? this.#acceptorSubkey
            ? `the ${kind} token claims the acceptor's subkey, which the initiator could not know of when it made it`
            : `the ${kind} token claims the acceptor's subkey, but the acceptor sent none in this context`
          : `the ${kind} token lacks the AcceptorSubkey flag, but the acceptor's subkey protects this context (RFC 4121 section 2)`,
      );
    }
    return h;
  }

  /** Runs an authenticated token's number through the window; throws for what GSS reports. */
  #order<T>(seq: bigint, result: T, kind: string): void {
    const verdict = this.#window.check(seq);
    switch (verdict) {
      case 'ok':
        return;
      case 'duplicate':
        throw new GssTokenError(
          'DUPLICATE_TOKEN',
          `the ${kind} token's sequence number ${seq} was already received: a replay`,
        );
      case 'old':
        throw new GssTokenError(
          'OLD_TOKEN',
          `the ${kind} token's sequence number ${seq} is older than the replay window; it cannot be checked for replay`,
        );
      case 'unseq':
        throw new GssTokenError<T>(
          'UNSEQ_TOKEN',
          `the ${kind} token's sequence number ${seq} arrived after a later one (out of order); it verified, see .accepted`,
          { accepted: result },
        );
      case 'gap':
        throw new GssTokenError<T>(
          'GAP_TOKEN',
          `the ${kind} token's sequence number ${seq} skips earlier tokens (some were lost); it verified, see .accepted`,
          { accepted: result },
        );
    }
  }
}
