/**
 * PA-TGS-REQ (RFC 4120 section 3.3.2): the AP-REQ that authenticates a
 * TGS-REQ, with the ticket presented (a TGT, a cross-realm TGT, or the
 * ticket to renew or validate). Checked in `tgs-header.ts`.
 *
 * @module
 */

import { PaDataType } from '@krbsim/asn1';
import { verifyTgsHeader } from '../tgs-header';
import type { TgsPadataHandler } from './handler';

/** The PA-TGS-REQ handler: sets the request's verified header. */
export const tgsReq: TgsPadataHandler = {
  padataType: PaDataType.PA_TGS_REQ,
  process(state, pa) {
    state.header = verifyTgsHeader(state.realm, state.req, pa, state.now);
  },
};
