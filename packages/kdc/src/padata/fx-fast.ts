/**
 * PA-FX-FAST (RFC 6113 section 5.4.2) in the PA-DATA registries.
 *
 * - AS: the armor is opened before the exchange looks the client up (the
 *   inner req-body names it; `fast-armor.ts`, run first by
 *   `processAsReq`), so the AS handler only advertises FAST: an empty
 *   PA-FX-FAST in KDC_ERR_PREAUTH_REQUIRED's METHOD-DATA when the realm
 *   serves FAST and the request was not armored (the hint MIT's client acts
 *   on: "Upgrading to FAST"). A PA-FX-FAST inside an armored request's inner
 *   padata is FAST within FAST: KDC_ERR_PREAUTH_FAILED.
 * - TGS: runs right after PA-TGS-REQ, whose verified ticket and
 *   authenticator subkey give the implicit armor key (section 5.4.1.1). It
 *   replaces the request with the inner one, so the handlers after it read
 *   the inner padata and the exchange answers the inner req-body; a
 *   PA-FX-FAST among that inner padata is FAST within FAST, refused too.
 *
 * @module
 */

import { PaDataType } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { unwrapTgsFast } from '../fast-armor';
import { fromEncryptionKey } from '../keys';
import { KdcError } from '../krb-error';
import type { AsPadataHandler, TgsPadataHandler } from './handler';

/**
 * The AS handler: advertises FAST, refuses it nested. The offer stands in an
 * armored KDC_ERR_PREAUTH_REQUIRED too, as MIT's KDC makes it: the client
 * learns from a protected list that FAST is there (RFC 6113 section 5.4.2).
 */
export const fxFastAs: AsPadataHandler = {
  padataType: PaDataType.PA_FX_FAST,
  offer: (state) => {
    const { fast, fastOfferedInErrors } = state.realm.policy;
    // MS-KILE 3.3.5.1: an AD DC at "Supported" does not offer FAST in its errors; at "Required" it does.
    const offered = fast === 'required' || (fast === 'supported' && fastOfferedInErrors);
    return offered ? { padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) } : undefined;
  },
  process() {
    throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'FAST: PA-FX-FAST inside an armored request');
  },
};

/** The TGS handler: implicit armor, then the inner request. */
export const fxFastTgs: TgsPadataHandler = {
  padataType: PaDataType.PA_FX_FAST,
  process(state, pa) {
    const h = state.header;
    const tgsReq = state.req.padata?.find((p) => p.padataType === PaDataType.PA_TGS_REQ);
    if (h === undefined || tgsReq === undefined) {
      throw new KdcError(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP, 'FAST: an armored TGS-REQ needs a PA-TGS-REQ');
    }
    if (state.fast !== undefined) {
      throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'FAST: PA-FX-FAST inside an armored request');
    }
    const sub = h.authenticator.subkey;
    const realm = state.realm;
    const fast = unwrapTgsFast(
      realm,
      state.req,
      pa,
      tgsReq.padataValue,
      {
        subkey: sub === undefined ? undefined : fromEncryptionKey(sub),
        sessionKey: fromEncryptionKey(h.tgt.key),
      },
      { now: state.now, style: realm.policy.krbErrorStyle, random: realm.random },
    );
    state.fast = fast;
    state.req = fast.inner;
    // The handlers run once each, so a PA-FX-FAST in the inner padata would go unread: refuse it
    // (armored, as the state is FAST now), as the AS handler does.
    if (fast.inner.padata?.some((p) => p.padataType === PaDataType.PA_FX_FAST)) {
      throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'FAST: PA-FX-FAST inside an armored request');
    }
  },
};
