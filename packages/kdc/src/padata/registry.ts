/**
 * The KDC's PA-DATA registries: which handler runs for which padata type,
 * in the order the KDC runs them. Adding a padata type is one handler file
 * and one line here (or, for a test or an extension, a `Kdc` option).
 *
 * @module
 */

import { encTimestamp } from './enc-timestamp';
import { encryptedChallenge } from './encrypted-challenge';
import { fxFastAs, fxFastTgs } from './fx-fast';
import type { AsPadataHandler, TgsPadataHandler } from './handler';
import { pacOptions } from './pac-options';
import { pacRequest } from './pac-request';
import { asFreshness, pkAsReq } from './pk-as-req';
import { reqEncPaRep } from './req-enc-pa-rep';
import { paForUser, paS4uX509User } from './s4u';
import { tgsReq } from './tgs-req';

/**
 * AS-REQ padata, in processing order (and the order PREAUTH_REQUIRED offers
 * them in, after ETYPE-INFO2). An armored AS-REQ is opened before these run
 * (`fast-armor.ts`); PA-FX-FAST's handler here only advertises FAST.
 */
export const AS_PADATA_HANDLERS: readonly AsPadataHandler[] = Object.freeze([
  encTimestamp,
  encryptedChallenge,
  // PKINIT (RFC 4556) and its freshness token (RFC 8070), offered when the realm serves it.
  pkAsReq,
  asFreshness,
  fxFastAs,
  pacRequest,
  reqEncPaRep,
]);

/**
 * TGS-REQ padata, in processing order: the authentication header first,
 * then PA-FX-FAST, armored by it, which hands the inner padata to the rest.
 */
export const TGS_PADATA_HANDLERS: readonly TgsPadataHandler[] = Object.freeze([
  tgsReq,
  fxFastTgs,
  // PA-S4U-X509-USER before PA-FOR-USER: when MIT sends both, the X.509 form names the user.
  paS4uX509User,
  paForUser,
  pacOptions,
]);
