/**
 * S4U2Self (MS-SFU section 3.2.5.1): PA-FOR-USER and PA-S4U-X509-USER ask
 * the TGS for a ticket to the requesting service on behalf of another user.
 * krbsim's KDC does not implement the protocol yet, and a KDC that ignored
 * these padata would answer a ticket for the service itself, which a client
 * may take for the impersonated user's (Heimdal's `kgetcred --impersonate`
 * did). So they are refused: KDC_ERR_PADATA_TYPE_NOSUPP, never ignored.
 *
 * @module
 */

import { PaDataType } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { KdcError } from '../krb-error';
import type { TgsPadataHandler } from './handler';

function refuse(name: string): TgsPadataHandler['process'] {
  return () => {
    throw new KdcError(
      ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
      `${name} (S4U2Self, MS-SFU) is not supported by this KDC`,
    );
  };
}

/** PA-FOR-USER (129): refused. */
export const paForUser: TgsPadataHandler = {
  padataType: PaDataType.PA_FOR_USER,
  process: refuse('PA-FOR-USER'),
};

/** PA-S4U-X509-USER (130): refused. */
export const paS4uX509User: TgsPadataHandler = {
  padataType: PaDataType.PA_FOR_X509_USER,
  process: refuse('PA-S4U-X509-USER'),
};
