/**
 * The KDC's FAST replies (RFC 6113 section 5.4.3 and 5.4.4): what an
 * armored request gets back.
 *
 * - A reply (AS-REP, TGS-REP): its padata moves into a KrbFastResponse,
 *   sealed with the armor key (usage 52) in the one outer PA-FX-FAST. The
 *   response holds a fresh strengthen key, which replaces the reply key:
 *     reply key = KRB-FX-CF2(strengthen key, reply key, "strengthenkey", "replykey");
 *   and KrbFastFinished, with the client's name and a checksum of the
 *   ticket keyed with the armor key (usage 53), so the reply cannot be
 *   spliced.
 * - An error: the KRB-ERROR itself goes, without e-data, into PA-FX-ERROR;
 *   the METHOD-DATA it would have carried (for a pre-authentication error:
 *   ETYPE-INFO2, the methods offered and a PA-FX-COOKIE, preauth.ts) goes
 *   beside it in a KrbFastResponse sealed as above; the outer KRB-ERROR keeps
 *   the code and carries only PA-FX-FAST in its e-data, as MIT's KDC sends
 *   it. MIT's client retries a FAST error only when it carries a cookie.
 *
 * krbsim's KDC keeps no conversation state: its cookie is an opaque constant,
 * and a cookie the client echoes is not read (every method krbsim offers
 * under FAST completes in one round trip).
 *
 * @module
 */

import {
  decodeMethodData,
  type EncryptionKey,
  encodeKrbError,
  encodeKrbFastResponse,
  encodeMethodData,
  encodePaFxFastReply,
  encodeTicket,
  type KdcReq,
  type PaData,
  PaDataType,
  type PrincipalName,
  type Ticket,
} from '@krbsim/asn1';
import { isKerberosError, type RandomSource } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  encrypt,
  generateKey,
  type Key,
  KeyUsage,
  strengthenedReplyKey,
} from '@krbsim/crypto';
import type { FastRequest } from './fast-armor';
import { toEncryptionKey } from './keys';
import { describeError, KdcError, krbErrorMessage } from './krb-error';
import type { KrbErrorStyle } from './policy';

/** RFC 8062 section 3: the anonymous principal, named in place of the client when it is hidden. */
const ANONYMOUS = {
  cname: { nameType: 2, nameString: ['WELLKNOWN', 'ANONYMOUS'] } as PrincipalName,
  crealm: 'WELLKNOWN:ANONYMOUS',
};

/** A fresh strengthen key and the reply key it makes (section 5.4.3). */
export function strengthenReplyKey(
  replyKey: Key,
  random: RandomSource,
): { strengthenKey: Key; replyKey: Key } {
  const strengthenKey = generateKey(replyKey.etype, { random });
  return { strengthenKey, replyKey: strengthenedReplyKey(strengthenKey, replyKey) };
}

/** What a successful armored reply puts in its KrbFastResponse. */
export interface FastReplyContent {
  /** The padata the reply would carry unarmored. */
  readonly padata: readonly PaData[];
  /** The strengthen key, unless the realm sends none (`fastStrengthenKey`). */
  readonly strengthenKey: Key | undefined;
  readonly ticket: Ticket;
  readonly cname: PrincipalName;
  readonly crealm: string;
  /** The KDC's time for KrbFastFinished (ms). */
  readonly now: number;
}

function sealFastResponse(
  fast: FastRequest,
  response: {
    padata: readonly PaData[];
    strengthenKey?: EncryptionKey;
    finished?: Parameters<typeof encodeKrbFastResponse>[0]['finished'];
  },
  random: RandomSource,
): PaData {
  const body = fast.inner.reqBody;
  const plain = encodeKrbFastResponse({
    padata: response.padata,
    ...(response.strengthenKey !== undefined && { strengthenKey: response.strengthenKey }),
    ...(response.finished !== undefined && { finished: response.finished }),
    nonce: body.nonce,
    ...(body.nonceForm !== undefined && { nonceForm: body.nonceForm }),
  });
  const key = fast.armorKey;
  const cipher = encrypt(key, KeyUsage.KEY_USAGE_FAST_REP, plain, { random });
  return {
    padataType: PaDataType.PA_FX_FAST,
    padataValue: encodePaFxFastReply({ armoredData: { encFastRep: { etype: key.etype, cipher } } }),
  };
}

/** The one outer PA-DATA of an armored AS-REP or TGS-REP: PA-FX-FAST with its KrbFastResponse. */
export function fastReplyPadata(fast: FastRequest, content: FastReplyContent, random: RandomSource): PaData {
  const key = fast.armorKey;
  const millis = content.now % 1000;
  return sealFastResponse(
    fast,
    {
      padata: content.padata,
      ...(content.strengthenKey !== undefined && { strengthenKey: toEncryptionKey(content.strengthenKey) }),
      finished: {
        timestamp: content.now - millis,
        usec: millis * 1000,
        crealm: content.crealm,
        cname: content.cname,
        ticketChecksum: {
          cksumtype: checksumTypeFor(key.etype),
          checksum: checksum(key, KeyUsage.KEY_USAGE_FAST_FINISHED, encodeTicket(content.ticket)),
        },
      },
    },
    random,
  );
}

/** The client an armored reply names in the clear: hidden when the client asked (hide-client-names). */
export function visibleClient(
  fast: FastRequest | undefined,
  cname: PrincipalName,
  crealm: string,
): { cname: PrincipalName; crealm: string } {
  const hide = fast !== undefined && (fast.options & FAST_OPTION_HIDE_CLIENT_NAMES) !== 0;
  return hide ? ANONYMOUS : { cname, crealm };
}

/** FastOptions hide-client-names (bit 1). */
const FAST_OPTION_HIDE_CLIENT_NAMES = 0x40000000;

function methodDataOf(eData: Uint8Array | undefined): readonly PaData[] | undefined {
  if (eData === undefined) return undefined;
  try {
    return decodeMethodData(eData);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return undefined;
  }
}

/**
 * `e`, a refusal of the armored request `fast` (whose outer form is
 * `outer`), as the armored KRB-ERROR of the module notes. Anything that is
 * not a KerberosError is a bug and is returned as it is.
 */
export function armoredError(
  e: unknown,
  fast: FastRequest,
  outer: KdcReq,
  ctx: { now: number; style: KrbErrorStyle; random: RandomSource },
): unknown {
  if (!isKerberosError(e)) return e;
  const body = fast.inner.reqBody;
  const { code, text, details } = describeError(e);
  const padata = methodDataOf(details.eData);
  // The METHOD-DATA moves into the response; the KRB-ERROR in PA-FX-ERROR goes without it.
  const { eData: _moved, ...named } = details;
  const inner = krbErrorMessage(
    padata === undefined ? e : new KdcError(code, text, named),
    {
      realm: body.realm,
      ...(body.sname && { sname: body.sname }),
      ...(fast.inner.msgType === 10 && body.cname && { cname: body.cname, crealm: body.realm }),
    },
    ctx.now,
    ctx.style,
  );
  const response = sealFastResponse(
    fast,
    {
      padata: [{ padataType: PaDataType.PA_FX_ERROR, padataValue: encodeKrbError(inner) }, ...(padata ?? [])],
    },
    ctx.random,
  );
  // The outer KRB-ERROR names the client as the unarmored one would, unless the client hid it.
  const cname = details.cname ?? (outer.msgType === 10 ? outer.reqBody.cname : undefined);
  const crealm = details.crealm ?? outer.reqBody.realm;
  const client = cname === undefined ? undefined : visibleClient(fast, cname, crealm);
  return new KdcError(code, text, {
    eData: encodeMethodData([response]),
    ...(client !== undefined && client),
    cause: e,
  });
}
