/**
 * KERB-PA-PAC-REQUEST (MS-KILE section 2.2.3): whether the client wants a
 * PAC in its ticket. Without it the realm's default applies
 * (`includePacByDefault`); so does a value that does not decode, as AD
 * treats a malformed request as no request.
 *
 * @module
 */

import { decodePaPacRequest, PaDataType } from '@krbsim/asn1';
import { isKerberosError } from '@krbsim/core';
import type { AsPadataHandler } from './handler';

/** The PA-PAC-REQUEST handler. */
export const pacRequest: AsPadataHandler = {
  padataType: PaDataType.PA_PAC_REQUEST,
  process(state, pa) {
    try {
      state.pacRequest = decodePaPacRequest(pa.padataValue).includePac;
    } catch (e) {
      if (!isKerberosError(e)) throw e;
    }
  },
};
