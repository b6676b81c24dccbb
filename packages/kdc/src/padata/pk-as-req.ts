/**
 * PA-PK-AS-REQ (RFC 4556 section 3.2.2): the client authenticates with a
 * certificate and the AS reply is sealed with a key agreed by
 * Diffie-Hellman or ECDH (section 3.2.3.1), or with a random key the KDC
 * encrypts to the client's certificate (section 3.2.3.2,
 * `pkinit/key-transport.ts`), returned in PA-PK-AS-REP.
 *
 * Processing, in the RFC's order:
 *  1. the realm serves PKINIT (else KDC_ERR_PADATA_TYPE_NOSUPP);
 *  2. the SignedData verifies (KDC_ERR_INVALID_SIG) and its content is an
 *     AuthPack (id-pkinit-authData);
 *  3. the signer's certificate chains to a realm anchor
 *     (KDC_ERR_CANT_VERIFY_CERTIFICATE, KDC_ERR_INVALID_CERTIFICATE), has a
 *     client EKU the realm accepts (KDC_ERR_INCONSISTENT_KEY_PURPOSE) and
 *     maps to the requested client (KDC_ERR_CLIENT_NAME_MISMATCH);
 *  4. the PKAuthenticator is timely (KRB_AP_ERR_SKEW), carries the SHA-1
 *     paChecksum of the KDC-REQ-BODY (its nonce, echoed in the reply,
 *     need not be the request's: RFC 4556 section 3.2.1)
 *     (KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED, KRB_AP_ERR_MODIFIED), and the
 *     RFC 8070 freshness token when there is one or the realm requires it;
 *  5. the client offered a DH or ECDH value in a group the realm serves
 *     (KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED with TD-DH-PARAMETERS); a
 *     request without one asks for public-key encryption delivery, served
 *     to an RSA client certificate (else
 *     KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED).
 *
 * The anonymous principal (RFC 8062 section 4.1) sends an unsigned
 * SignedData: no signer, no certificate, so steps 2 and 3 are skipped, and
 * a signed one is refused (KDC_ERR_PREAUTH_FAILED); the key must be agreed
 * by DH or ECDH, there being no certificate to encrypt one to.
 *
 * An agreed reply key is, for the reply etype, RFC 8636's KDF when the client
 * lists one the KDC knows (the first of the client's list; the reply names
 * it; a list of only unknown KDFs is KDC_ERR_NO_ACCEPTABLE_KDF), else RFC
 * 4556's octetstring2key of the shared secret (a client without
 * supportedKDFs, or a realm with `useKdf: false`).
 *
 * @module
 */

import { createHash } from 'node:crypto';
import {
  type AuthPack,
  decodeAuthPack,
  decodePaPkAsReq,
  encodeExternalPrincipalIdentifiers,
  encodeKdcDhKeyInfo,
  encodeMethodData,
  encodePaPkAsRep,
  encodeTdDhParameters,
  encodeTypedData,
  type PaData,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import {
  type Certificate,
  createSignedData,
  digestOfAlgorithm,
  generateKeyAgreement,
  groupAlgorithm,
  issuerAndSerialNumber,
  octetString2Key,
  PKINIT_KDFS,
  parseClientPublicValue,
  pkinitKdf,
  readUnsignedData,
  verifyCertificatePath,
  verifySignedData,
} from '@krbsim/pki';
import { ANONYMOUS_NAME, ANONYMOUS_REALM, isAnonymousEntry } from '../anonymous';
import { etypeNoSupp } from '../keys';
import { KdcError } from '../krb-error';
import { checkClientEku, checkClientMapping } from '../pkinit/client-mapping';
import type { PkinitConfig } from '../pkinit/config';
import { makeFreshnessToken, verifyFreshnessToken } from '../pkinit/freshness';
import { keyTransportDelivery, type PkinitDelivery } from '../pkinit/key-transport';
import { recordPkinitLogon } from '../pkinit/logon';
import type { AsPadataHandler, AsRequestState } from './handler';

/** TD-DH-PARAMETERS' TYPED-DATA type (RFC 4556 section 3.2.2). */
const TD_DH_PARAMETERS = 109;

function decodeOr<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, `the ${what} does not decode`, { cause: e });
  }
}

function freshnessRequired(state: AsRequestState): KdcError {
  // RFC 8070 section 4: PREAUTH_FAILED with a token in METHOD-DATA, so the client can retry with it.
  const eData = encodeMethodData([
    { padataType: PaDataType.PA_AS_FRESHNESS, padataValue: makeFreshnessToken(state.realm) },
  ]).slice();
  return new KdcError(
    ErrorCode.KDC_ERR_PREAUTH_FAILED,
    'this realm requires a PKINIT freshness token (RFC 8070)',
    {
      eData,
    },
  );
}

function dhNotAccepted(config: PkinitConfig, why: string): KdcError {
  const params = encodeTdDhParameters(config.groups.map(groupAlgorithm)).slice();
  const eData = encodeTypedData([{ dataType: TD_DH_PARAMETERS, dataValue: params }]).slice();
  return new KdcError(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED, why, { eData });
}

/** TYPED-DATA types of RFC 4556 section 3.2.2: the KDC's anchors, and the certificates it refused. */
const TD_TRUSTED_CERTIFIERS = 104;
const TD_INVALID_CERTIFICATES = 105;

/**
 * A refused certificate path, with the TYPED-DATA RFC 4556 section 3.2.2
 * gives its code, as MIT's KDC sends it: KDC_ERR_CANT_VERIFY_CERTIFICATE
 * names the anchors the KDC trusts (TD-TRUSTED-CERTIFIERS), so that a client
 * holding several identities can pick one they issued;
 * KDC_ERR_INVALID_CERTIFICATE names the signer's certificate
 * (TD-INVALID-CERTIFICATES). Anything else is returned as it is.
 */
function withCertificateHints(e: unknown, config: PkinitConfig, signer: Certificate): unknown {
  let entry: { dataType: number; dataValue: Uint8Array } | undefined;
  if (isKerberosError(e, ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE)) {
    const anchors = config.anchors.map((a) => ({
      subjectName: a.subject,
      issuerAndSerialNumber: issuerAndSerialNumber(a),
    }));
    entry = {
      dataType: TD_TRUSTED_CERTIFIERS,
      dataValue: encodeExternalPrincipalIdentifiers(anchors).slice(),
    };
  } else if (isKerberosError(e, ErrorCode.KDC_ERR_INVALID_CERTIFICATE)) {
    const invalid = [{ issuerAndSerialNumber: issuerAndSerialNumber(signer) }];
    entry = {
      dataType: TD_INVALID_CERTIFICATES,
      dataValue: encodeExternalPrincipalIdentifiers(invalid).slice(),
    };
  }
  if (entry === undefined || !isKerberosError(e)) return e;
  return new KdcError(e.code, e.message, { eData: encodeTypedData([entry]).slice(), cause: e });
}

/**
 * The AuthPack's DER and the client's certificate: for the anonymous
 * principal, unsigned and none (RFC 8062 section 4.1); for anyone else, from
 * a SignedData whose signer's certificate chains to an anchor and maps to
 * the client.
 */
function authPackContent(
  config: PkinitConfig,
  state: AsRequestState,
  signedAuthPack: Uint8Array,
): { readonly content: Uint8Array; readonly signer: Certificate | undefined } {
  if (isAnonymousEntry(state.client)) {
    return { content: readUnsignedData(signedAuthPack, PkinitOid.id_pkinit_authData), signer: undefined };
  }
  const signed = verifySignedData(signedAuthPack, PkinitOid.id_pkinit_authData);
  const others = signed.certificates.filter((c) => c !== signed.signer);
  try {
    verifyCertificatePath(signed.signer, { anchors: config.anchors, intermediates: others, now: state.now });
  } catch (e) {
    throw withCertificateHints(e, config, signed.signer);
  }
  checkClientEku(config, signed.signer);
  checkClientMapping(config, signed.signer, state.client, state.realm);
  return { content: signed.content, signer: signed.signer };
}

/** Verifies a PA-PK-AS-REQ and, when it is good, sets the reply key and the PA-PK-AS-REP. */
function process(state: AsRequestState, pa: PaData): void {
  const { realm, req } = state;
  const config = realm.pkinit;
  if (config === undefined) {
    throw new KdcError(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP, `realm ${realm.name} does not serve PKINIT`);
  }
  const pk = decodeOr('PA-PK-AS-REQ', () => decodePaPkAsReq(pa.padataValue));
  const { content, signer } = authPackContent(config, state, pk.signedAuthPack);
  const authPack = decodeOr('AuthPack', () => decodeAuthPack(content));
  const a = authPack.pkAuthenticator;
  const ctime = a.ctime + Math.floor(a.cusec / 1000);
  if (Math.abs(ctime - state.now) > realm.policy.clockSkewMs) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great between client and KDC');
  }
  // RFC 4556 section 3.2.1: the PKAuthenticator's nonce "does not need to match" the request's (MIT
  // does not compare them); the KDCDHKeyInfo echoes it (section 3.2.3.1).
  if (a.paChecksum === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED,
      'the PKAuthenticator has no paChecksum over the request body',
    );
  }
  const bodyDer = req.reqBodyDer;
  if (bodyDer === undefined) throw new Error('pk-as-req: the decoded request kept no reqBodyDer');
  const sum = createHash('sha1').update(bodyDer).digest();
  if (!sum.equals(a.paChecksum)) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_MODIFIED, 'the paChecksum does not match the request body');
  }
  // MS-PKCA 2.2.3: an AD KDC validates paChecksum2 whenever it is there, even over SHA-1. (MIT's KDC
  // does not know the field, and an MIT realm ignores it as it ignores any extension.)
  if (a.paChecksum2 !== undefined && config.activeDirectory) {
    const digest = digestOfAlgorithm(a.paChecksum2.algorithmIdentifier);
    if (digest === undefined) {
      throw new KdcError(
        ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
        'the paChecksum2 names a hash algorithm other than SHA-1, SHA-256, SHA-384 or SHA-512',
      );
    }
    if (!createHash(digest).update(bodyDer).digest().equals(a.paChecksum2.checksum)) {
      throw new KdcError(
        ErrorCode.KRB_AP_ERR_MODIFIED,
        `the paChecksum2 (${digest}) does not match the request body`,
      );
    }
  }
  if (a.freshnessToken !== undefined) {
    verifyFreshnessToken(realm, a.freshnessToken, config.freshnessLifetimeMs ?? realm.policy.clockSkewMs);
  } else if (config.requireFreshness) {
    throw freshnessRequired(state);
  }

  const etype = replyEtype(state);
  let delivery: PkinitDelivery;
  if (authPack.clientPublicValue !== undefined) {
    delivery = keyAgreement(state, config, authPack, authPack.clientPublicValue, etype);
  } else if (signer !== undefined) {
    delivery = keyTransportDelivery(state, config, signer, authPack.supportedCmsTypes, etype);
  } else {
    throw new KdcError(
      ErrorCode.KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED,
      'anonymous PKINIT needs a Diffie-Hellman or ECDH public value: there is no client certificate to encrypt a reply key to (RFC 8062 section 4.1)',
    );
  }
  // The client's key of that etype, if it has one, stays named (ETYPE-INFO2, the enc-part's kvno).
  const own = state.clientKeys.find((k) => k.key.etype === etype);
  state.replyKey = { kvno: own?.kvno ?? 0, salt: own?.salt ?? '', key: delivery.key };
  state.replyPadata.push({ padataType: PaDataType.PA_PK_AS_REP, padataValue: delivery.pkAsRep });
  state.preauthenticated = true;
  // For the PAC (pkinit/logon.ts): S-1-18-3 after a validated freshness token, PAC_CREDENTIAL_INFO.
  if (signer !== undefined) recordPkinitLogon(state, { freshnessToken: a.freshnessToken !== undefined });
}

/**
 * The etype of the reply key PKINIT makes: the first the request lists that
 * the realm permits, whether or not the client has a key of it, as MIT's KDC
 * chooses it (pkinit_server_return_padata). So a principal without keys
 * (`addprinc -nokey`), or without one of the etypes asked for, comes in by
 * its certificate.
 */
function replyEtype(state: AsRequestState): number {
  const asked = state.req.reqBody.etype;
  const etype = asked.find((e) => state.realm.policy.permittedEncTypes.includes(e));
  if (etype === undefined) etypeNoSupp('the PKINIT reply key', asked, state.realm.name);
  return etype;
}

/** Diffie-Hellman or ECDH delivery (RFC 4556 section 3.2.3.1, RFC 5349) with RFC 8636's KDFs. */
function keyAgreement(
  state: AsRequestState,
  config: PkinitConfig,
  authPack: AuthPack,
  clientPublicValue: Uint8Array,
  etype: number,
): PkinitDelivery {
  const { realm, req } = state;
  const a = authPack.pkAuthenticator;
  let peer: ReturnType<typeof parseClientPublicValue>;
  try {
    peer = parseClientPublicValue(clientPublicValue);
  } catch (e) {
    if (isKerberosError(e, ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED))
      throw dhNotAccepted(config, e.message);
    throw e;
  }
  if (!config.groups.includes(peer.group)) {
    throw dhNotAccepted(config, `realm ${realm.name} does not accept the group ${peer.group}`);
  }
  // RFC 8636 section 4: the first KDF of the client's list that the KDC knows; none known is an error.
  const offered = authPack.supportedKdfs?.map((k) => k.kdfId);
  const kdf =
    config.useKdf && offered !== undefined ? offered.find((id) => PKINIT_KDFS.includes(id)) : undefined;
  if (config.useKdf && offered !== undefined && offered.length > 0 && kdf === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_NO_ACCEPTABLE_KDF,
      `none of the client's KDFs (${offered.join(', ')}) is one this KDC knows (${PKINIT_KDFS.join(', ')})`,
    );
  }
  const pair = generateKeyAgreement(peer.group, realm.random);
  const secret = pair.secret(peer.value);

  const keyInfo = encodeKdcDhKeyInfo({
    subjectPublicKey: pair.subjectPublicKey,
    nonce: a.nonce,
    ...(a.nonceForm !== undefined && { nonceForm: a.nonceForm }),
  }).slice();
  const dhSignedData = createSignedData(PkinitOid.id_pkinit_DHKeyData, keyInfo, config.signer);
  const pkAsRep = encodePaPkAsRep({
    dhInfo: { dhSignedData, ...(kdf !== undefined && { kdf: { kdfId: kdf } }) },
  }).slice();
  const body = req.reqBody;
  const key =
    kdf === undefined
      ? octetString2Key(etype, secret)
      : pkinitKdf(kdf, etype, secret, {
          // RFC 8636 section 7: the names as the AS-REQ sent them (MIT's request->client), the realm
          // in the case the client wrote it too. MIT's KDC and client both name the anonymous client
          // WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS here.
          client: isAnonymousEntry(state.client)
            ? { realm: ANONYMOUS_REALM, principalName: ANONYMOUS_NAME }
            : { realm: body.realm, principalName: state.cname },
          server: { realm: body.realm, principalName: body.sname! },
          asReq: state.requestDer,
          pkAsRep,
        });
  return { key, pkAsRep };
}

/** The PA-PK-AS-REQ handler; offered in PREAUTH_REQUIRED when the realm serves PKINIT. */
export const pkAsReq: AsPadataHandler = {
  padataType: PaDataType.PA_PK_AS_REQ,
  offer: (state) =>
    state.realm.pkinit === undefined
      ? undefined
      : { padataType: PaDataType.PA_PK_AS_REQ, padataValue: new Uint8Array(0) },
  process,
};

/**
 * PA_AS_FRESHNESS (RFC 8070 section 4): a client asks for a token with an
 * empty one; KDC_ERR_PREAUTH_REQUIRED then carries a token, when the realm
 * serves PKINIT and the client asked (or the realm requires freshness).
 */
export const asFreshness: AsPadataHandler = {
  padataType: PaDataType.PA_AS_FRESHNESS,
  offer(state) {
    const config = state.realm.pkinit;
    if (config === undefined) return undefined;
    const asked = state.req.padata?.some((p) => p.padataType === PaDataType.PA_AS_FRESHNESS) ?? false;
    if (!asked && !config.requireFreshness) return undefined;
    return { padataType: PaDataType.PA_AS_FRESHNESS, padataValue: makeFreshnessToken(state.realm) };
  },
  process() {
    // The request for a token; the token itself is checked inside the PKAuthenticator.
  },
};
