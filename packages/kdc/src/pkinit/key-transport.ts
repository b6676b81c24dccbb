/**
 * PKINIT's public-key encryption delivery (RFC 4556 section 3.2.3.2), what
 * the KDC answers an AuthPack without clientPublicValue with (MIT's `kinit
 * -X flag_RSA_PROTOCOL=yes`, Heimdal's `kinit --pk-use-enckey`):
 *
 *  1. the client's certificate has an RSA key, the only kind a key can be
 *     encrypted to here (else KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED);
 *  2. a content encryption the client can decrypt, from its
 *     supportedCMSTypes (else the same code);
 *  3. a random reply key of the reply's etype, from the realm's random source;
 *  4. ReplyKeyPack { replyKey, asChecksum }: the etype's mandatory checksum,
 *     keyed with the reply key, key usage 6, over the AS-REQ as the KDC
 *     received it (for an armored request, the outer one, as MIT's KDC
 *     checksums its request packet);
 *  5. signed by the KDC (SignedData, id-pkinit-rkeyData), encrypted to the
 *     client's certificate (EnvelopedData), sent in PA-PK-AS-REP's
 *     encKeyPack.
 *
 * The PA-PK-AS-REQ checks before it (signature, certificate, paChecksum,
 * freshness) are the Diffie-Hellman path's, in `padata/pk-as-req.ts`.
 *
 * @module
 */

import { encodePaPkAsRep, encodeReplyKeyPack, PkinitOid } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { checksum, checksumTypeFor, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import {
  type Certificate,
  CONTENT_ENCRYPTION_ALGORITHMS,
  createEnvelopedData,
  createSignedData,
  selectContentEncryption,
} from '@krbsim/pki';
import { KdcError } from '../krb-error';
import type { AsRequestState } from '../padata/handler';
import type { PkinitConfig } from './config';

/** The reply key a PA-PK-AS-REP delivers, and that PA-DATA's value. */
export interface PkinitDelivery {
  readonly key: Key;
  readonly pkAsRep: Uint8Array;
}

/**
 * Public-key encryption delivery for the client whose certificate signed
 * the AuthPack (see the module comment); `supportedCmsTypes` is the
 * AuthPack's.
 */
export function keyTransportDelivery(
  state: AsRequestState,
  config: PkinitConfig,
  client: Certificate,
  supportedCmsTypes: readonly Uint8Array[] | undefined,
  etype: number,
): PkinitDelivery {
  // The code: RFC 4556's for a public-key encryption the KDC cannot do, which also tells the
  // client that Diffie-Hellman would do. MIT 1.20's KDC has no such check: its CMS encryption
  // fails ("encryption not supported for this key type") and the client gets PREAUTH_FAILED.
  if (client.keyType !== 'rsa') {
    throw new KdcError(
      ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
      `public-key encryption delivery needs an RSA client key, and the certificate ${client.subjectText} has a ${client.keyType} key; send a Diffie-Hellman or ECDH public value`,
    );
  }
  const { algorithm, offered } = selectContentEncryption(supportedCmsTypes);
  if (algorithm === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
      `none of the content encryption algorithms of the client's supportedCMSTypes (${offered.join(', ')}) is one this KDC encrypts with (${CONTENT_ENCRYPTION_ALGORITHMS.join(', ')})`,
    );
  }
  const key = generateKey(etype, { random: state.realm.random });
  const keyPack = encodeReplyKeyPack({
    replyKey: { keytype: key.etype, keyvalue: key.bytes },
    asChecksum: {
      cksumtype: checksumTypeFor(etype),
      checksum: checksum(key, KeyUsage.TGS_REQ_AUTH_CKSUM, state.requestDer),
    },
  }).slice();
  let signed: Uint8Array;
  try {
    signed = createSignedData(PkinitOid.id_pkinit_rkeyData, keyPack, config.signer);
  } finally {
    keyPack.fill(0); // Security: it holds the reply key; only the envelope may carry it on.
  }
  let encKeyPack: Uint8Array;
  try {
    encKeyPack = createEnvelopedData(signed, client, { algorithm, random: state.realm.random });
  } finally {
    signed.fill(0);
  }
  return { key, pkAsRep: encodePaPkAsRep({ encKeyPack }).slice() };
}
