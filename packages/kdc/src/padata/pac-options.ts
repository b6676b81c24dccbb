/**
 * PA-PAC-OPTIONS (MS-KILE section 2.2.10) in a TGS-REQ: the options the
 * client asks the KDC for. krbsim serves one, resource-based constrained
 * delegation (MS-SFU 3.1.5.2.1), and the TGS-REP says so by returning
 * PA-PAC-OPTIONS with that bit in its encrypted-pa-data: MIT's client asks
 * for it in every S4U2Proxy request and requires that answer before it
 * follows an S4U2Proxy referral to another realm. The others (claims, branch-aware,
 * forward-to-full-dc) concern claims and read-only DCs; they are not echoed,
 * which tells the client they are not served (nor is an element with no bit left). A value that does not decode
 * is treated as no request, as AD treats a malformed KERB-PA-PAC-REQUEST.
 *
 * @module
 */

import { decodePaPacOptions, encodePaPacOptions, PacOptions, type PaData, PaDataType } from '@krbsim/asn1';
import { isKerberosError } from '@krbsim/core';
import type { TgsPadataHandler } from './handler';

/** The PA-PAC-OPTIONS bits this KDC serves. */
const SERVED = PacOptions['resource-based-constrained-delegation'];

/** The PA-PAC-OPTIONS handler: records the served options the client asked for. */
export const pacOptions: TgsPadataHandler = {
  padataType: PaDataType.PA_PAC_OPTIONS,
  process(state, pa) {
    try {
      // Only a served option is echoed: a request for the others alone gets no PA-PAC-OPTIONS
      // back, as MIT's KDC masks and suppresses it and a Samba AD DC answers a Windows client's
      // branch-aware (the Samba differential test).
      const served = decodePaPacOptions(pa.padataValue).flags & SERVED;
      if (served !== 0) state.pacOptions = served;
    } catch (e) {
      if (!isKerberosError(e)) throw e;
    }
  },
};

/** The TGS-REP's PA-PAC-OPTIONS for the served options `flags` asked for. */
export function pacOptionsReply(flags: number): PaData {
  return { padataType: PaDataType.PA_PAC_OPTIONS, padataValue: encodePaPacOptions({ flags }) };
}
