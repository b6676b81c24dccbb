/**
 * PKINIT on the client side (RFC 4556 section 3.2, RFC 8070): the AS
 * exchange with a certificate instead of a password, as MIT's `kinit -X
 * X509_user_identity=...` runs it.
 *
 *  1. The first AS-REQ carries an empty PA_AS_FRESHNESS, asking for a
 *     freshness token (RFC 8070 section 4). KDC_ERR_PREAUTH_REQUIRED must
 *     offer PA-PK-AS-REQ, and may carry the token.
 *  2. The next AS-REQ carries PA-PK-AS-REQ: a SignedData (the client's
 *     certificate and key) over an AuthPack whose PKAuthenticator holds the
 *     time, the request's nonce, the SHA-1 paChecksum of the KDC-REQ-BODY
 *     and the token, and whose clientPublicValue is an ephemeral DH or ECDH
 *     public value.
 *  3. The AS-REP's PA-PK-AS-REP holds the KDC's SignedData over
 *     KDCDHKeyInfo: it must verify, the KDC's certificate must chain to the
 *     anchors, carry id-pkinit-KPKdc and name krbtgt/REALM@REALM
 *     (section 3.2.4), the nonce must be ours. The reply key comes from the
 *     shared secret by the KDF the reply names (RFC 8636; the client lists
 *     SHA-256, SHA-512 and SHA-1), or octetstring2key when it names none
 *     (RFC 4556 section 3.2.3.1).
 *
 * With `keyDelivery: 'public-key-encryption'` (section 3.2.3.2) the AuthPack
 * carries no public value and lists the content encryptions the client
 * decrypts (supportedCMSTypes: AES-256-CBC, AES-128-CBC, des-ede3-cbc). The
 * PA-PK-AS-REP's encKeyPack is an EnvelopedData the client opens with its
 * private key, holding the KDC's SignedData (id-pkinit-rkeyData, checked as
 * in step 3) over a ReplyKeyPack: its replyKey, of the enc-part's etype, is
 * the reply key once its asChecksum (key usage 6, keyed with that key)
 * matches the AS-REQ the client sent.
 *
 * A KDC that requires freshness and got none answers PREAUTH_FAILED with a
 * token in its METHOD-DATA; the client retries once with it.
 *
 * Anonymous PKINIT (RFC 8062, MIT's `kinit -n`) is the same exchange for
 * WELLKNOWN/ANONYMOUS with request-anonymous: the AuthPack goes in a
 * SignedData with no signer, the KDC's certificate is checked all the same,
 * and the reply must name the anonymous client of the anonymous realm.
 *
 * @module
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ANONYMOUS_NAME,
  ANONYMOUS_REALM,
  type AsRep,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeKdcDhKeyInfo,
  decodeMethodData,
  decodePaPkAsRep,
  decodeReplyKeyPack,
  decodeTdDhParameters,
  decodeTypedData,
  encodeAsReq,
  encodeAuthPack,
  encodeKdcReqBody,
  encodePaPkAsReq,
  formatPrincipal,
  type KdcReqBody,
  type KrbErrorMessage,
  krbtgtName,
  type PaData,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import {
  ChecksumType,
  ErrorCode,
  equalBytes,
  isKerberosError,
  KerberosError,
  randomUInt31,
} from '@krbsim/core';
import { cf2, decrypt, type Key, KeyUsage, unkeyedChecksum, verifyChecksum } from '@krbsim/crypto';
import {
  allowsKeyUsage,
  type Certificate,
  type CmsSigner,
  CONTENT_ENCRYPTION_ALGORITHMS,
  cmsSigner,
  contentEncryptionAlgorithmId,
  createSignedData,
  createUnsignedData,
  generateKeyAgreement,
  groupOfAlgorithm,
  groupStrength,
  type KeyAgreementGroup,
  type KeyAgreementPair,
  KeyUsageBit,
  octetString2Key,
  openEnvelopedData,
  PKINIT_KDFS,
  parseCertificate,
  parseKdcPublicValue,
  pemBlocks,
  pkinitKdf,
  verifyCertificatePath,
  verifySignedData,
} from '@krbsim/pki';
import type { Credential } from '../credential';
import type { AnonymousPkinit, PkinitIdentity } from '../secret';
import { type AsRequest, asReqBody, requestPadata, verifyAsRep } from './as-exchange';
import { type ClientContext, sendAsReq } from './context';
import { errorFromKrbError, replyMismatch } from './krb-error';

interface Identity {
  /** Undefined for anonymous PKINIT: the AuthPack goes unsigned (RFC 8062 section 4.1). */
  readonly signer: CmsSigner | undefined;
  readonly anchors: readonly Certificate[];
  /** The reply key comes by public-key encryption (RFC 4556 section 3.2.3.2), not key agreement. */
  readonly keyTransport: boolean;
}

function loadIdentity(id: PkinitIdentity | AnonymousPkinit, realm: string): Identity {
  const bad = (why: string, cause?: unknown): never => {
    throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `PKINIT identity: ${why}`, { realm, cause });
  };
  const anchorPem = typeof id.anchors === 'string' ? [id.anchors] : id.anchors;
  const anchors = anchorPem.flatMap((p) => pemBlocks(p, 'CERTIFICATE')).map(parseCertificate);
  if (anchors.length === 0) bad('no anchor certificate to check the KDC with (pkinit_anchors)');
  if (!isHostnameList(id.kdcHostnames ?? []))
    bad('kdcHostnames must be a list of host names (pkinit_kdc_hostname)');
  if ('anonymous' in id) return { signer: undefined, anchors, keyTransport: false };
  let signer: CmsSigner;
  try {
    signer = cmsSigner(id.certificate, id.privateKey);
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e), e);
  }
  const keyTransport = id.keyDelivery === 'public-key-encryption';
  if (keyTransport && signer.certificate.keyType !== 'rsa') {
    // A KDC can encrypt the reply key only to an RSA key: asking would end in a refusal.
    bad(
      `keyDelivery 'public-key-encryption' needs an RSA certificate, and ${signer.certificate.subjectText} has a ${signer.certificate.keyType} key`,
    );
  }
  return { signer, anchors, keyTransport };
}

function findPadata(padata: readonly PaData[] | undefined, type: number): PaData | undefined {
  return padata?.find((p) => p.padataType === type);
}

/** What the KDC's error says about PKINIT: whether it is offered, and a freshness token. */
function readMethods(err: KrbErrorMessage): { offered: boolean; token: Uint8Array | undefined } {
  let methods: readonly PaData[] = [];
  if (err.eData !== undefined) {
    try {
      methods = decodeMethodData(err.eData);
    } catch (e) {
      if (!isKerberosError(e)) throw e;
    }
  }
  const token = findPadata(methods, PaDataType.PA_AS_FRESHNESS)?.padataValue;
  return {
    offered: findPadata(methods, PaDataType.PA_PK_AS_REQ) !== undefined,
    token: token !== undefined && token.length > 0 ? token : undefined,
  };
}

/**
 * TD-DH-PARAMETERS (RFC 4556 section 3.2.2): the first group the KDC accepts
 * that krbsim knows and that is at least as strong as modp14 (or as `sent`,
 * when the caller chose a weaker one), and the weaker ones it offered. The
 * list comes in an unauthenticated KRB-ERROR: followed down, it would let
 * anyone on the path move the client to 1024-bit modp2. MIT's client refuses
 * groups under its pkinit_dh_min_bits, 2048 by default, the same way.
 */
function acceptedGroup(
  err: KrbErrorMessage,
  sent: KeyAgreementGroup,
): { group: KeyAgreementGroup | undefined; weaker: KeyAgreementGroup[] } {
  const floor = Math.min(groupStrength(sent), groupStrength('modp14'));
  const weaker: KeyAgreementGroup[] = [];
  if (err.eData === undefined) return { group: undefined, weaker };
  try {
    const td = decodeTypedData(err.eData).find((t) => t.dataType === TD_DH_PARAMETERS);
    if (td?.dataValue === undefined) return { group: undefined, weaker };
    for (const alg of decodeTdDhParameters(td.dataValue)) {
      const g = groupOfAlgorithm(alg);
      if (g === undefined) continue;
      if (groupStrength(g) >= floor) return { group: g, weaker };
      weaker.push(g);
    }
  } catch (e) {
    if (!isKerberosError(e)) throw e;
  }
  return { group: undefined, weaker };
}

/** TD-DH-PARAMETERS' TYPED-DATA type. */
const TD_DH_PARAMETERS = 109;

/**
 * The signed PA-PK-AS-REQ for `body` (RFC 4556 section 3.2.1): with a DH or
 * ECDH public value and the KDFs, or (`pair` undefined: public-key
 * encryption) none, and the content encryptions the client decrypts.
 */
function paPkAsReq(
  ctx: ClientContext,
  id: Identity,
  pair: KeyAgreementPair | undefined,
  body: KdcReqBody,
  token: Uint8Array | undefined,
  offsetMs: number,
): PaData {
  const t = ctx.authClock.next(offsetMs);
  const authPack = encodeAuthPack({
    pkAuthenticator: {
      cusec: t.cusec,
      ctime: t.ctime,
      nonce: body.nonce,
      paChecksum: createHash('sha1').update(encodeKdcReqBody(body)).digest(),
      ...(token !== undefined && { freshnessToken: token }),
    },
    ...(pair === undefined
      ? { supportedCmsTypes: CONTENT_ENCRYPTION_ALGORITHMS.map(contentEncryptionAlgorithmId) }
      : {
          clientPublicValue: pair.spki,
          // RFC 8636: the KDFs this client can use, most preferred first.
          supportedKdfs: PKINIT_KDFS.map((kdfId) => ({ kdfId })),
        }),
  }).slice();
  const signedAuthPack =
    id.signer === undefined
      ? createUnsignedData(PkinitOid.id_pkinit_authData, authPack)
      : createSignedData(PkinitOid.id_pkinit_authData, authPack, id.signer);
  return { padataType: PaDataType.PA_PK_AS_REQ, padataValue: encodePaPkAsReq({ signedAuthPack }).slice() };
}

/**
 * RFC 4556 section 3.2.4: the KDC's certificate must be a KDC's, of this realm: an id-pkinit-san
 * for krbtgt/REALM@REALM, or a dNSName among `hostnames` (MIT's `pkinit_kdc_hostname`).
 */
function checkKdcCertificate(cert: Certificate, realm: string, hostnames: readonly string[]): void {
  if (!cert.extKeyUsage?.includes(PkinitOid.id_pkinit_KPKdc)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the KDC certificate ${cert.subjectText} has no id-pkinit-KPKdc extended key usage`,
      { realm },
    );
  }
  // It signs the reply: keyUsage digitalSignature, which MIT requires present as well.
  if (cert.keyUsage === undefined || !allowsKeyUsage(cert, KeyUsageBit.digitalSignature)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_INCONSISTENT_KEY_PURPOSE,
      `the KDC certificate ${cert.subjectText} may not sign (keyUsage ${cert.keyUsage === undefined ? 'absent' : 'without digitalSignature'})`,
      { realm },
    );
  }
  const tgs = krbtgtName(realm).nameString;
  const wanted = hostnames.map((h) => h.toLowerCase());
  const ok =
    cert.pkinitSans.some(
      (s) =>
        s.realm === realm &&
        s.principalName.nameString.length === 2 &&
        s.principalName.nameString[0] === tgs[0] &&
        s.principalName.nameString[1] === tgs[1],
    ) || cert.dnsSans.some((d) => wanted.includes(d.toLowerCase()));
  if (!ok) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_KDC_NAME_MISMATCH,
      `the KDC certificate ${cert.subjectText} does not name krbtgt/${realm}@${realm}${wanted.length > 0 ? ` nor any of ${wanted.join(', ')}` : ''}`,
      { realm },
    );
  }
}

/**
 * The content of a SignedData of `contentType` from the KDC, checked as RFC
 * 4556 section 3.2.4 says: the signature, the KDC certificate's path to the
 * anchors, and (unless turned off) its EKU and krbtgt name.
 */
function kdcSignedContent(
  ctx: ClientContext,
  pkId: PkinitIdentity | AnonymousPkinit,
  id: Identity,
  contentInfo: Uint8Array,
  contentType: string,
  realm: string,
): Uint8Array {
  const signed = verifySignedData(contentInfo, contentType);
  verifyCertificatePath(signed.signer, {
    anchors: id.anchors,
    intermediates: signed.certificates.filter((c) => c !== signed.signer),
    now: ctx.clock.now(),
    role: 'KDC',
  });
  if (pkId.checkKdcCertificate !== false) checkKdcCertificate(signed.signer, realm, pkId.kdcHostnames ?? []);
  return signed.content;
}

/**
 * Public-key encryption delivery (RFC 4556 section 3.2.3.2): the reply key
 * in the ReplyKeyPack that `encKeyPack` encrypts to `signer` (the client's
 * certificate and key) and the KDC signed, once its asChecksum matches the
 * AS-REQ sent.
 */
function transportedKey(
  ctx: ClientContext,
  pkId: PkinitIdentity | AnonymousPkinit,
  id: Identity,
  signer: CmsSigner,
  encKeyPack: Uint8Array,
  rep: AsRep,
  request: Uint8Array,
  realm: string,
): Key {
  const opened = openEnvelopedData(encKeyPack, signer);
  if (opened.contentType !== PkinitOid.id_signedData) {
    throw replyMismatch(
      `EnvelopedData.encryptedContentInfo.contentType is ${opened.contentType}, not id-signedData`,
      realm,
    );
  }
  const content = kdcSignedContent(ctx, pkId, id, opened.contentInfo, PkinitOid.id_pkinit_rkeyData, realm);
  const pack = decodeReplyKeyPack(content);
  if (pack.replyKey.keytype !== rep.encPart.etype) {
    throw replyMismatch(
      `ReplyKeyPack.replyKey is of etype ${pack.replyKey.keytype}, the enc-part of etype ${rep.encPart.etype}`,
      realm,
    );
  }
  const key: Key = { etype: pack.replyKey.keytype, bytes: pack.replyKey.keyvalue.slice() };
  // RFC 4556 section 3.2.3.2: binds the key to this very request, with a keyed checksum of the key's
  // etype. Windows KDCs send unkeyed SHA-1 (type 14) instead, which MIT's client takes
  // (pkinit_clnt.c): the KDC's signature over the ReplyKeyPack already covers the hash, so it binds
  // the reply as well. Any other unkeyed type is KRB_AP_ERR_INAPP_CKSUM.
  const { cksumtype, checksum } = pack.asChecksum;
  const bound =
    cksumtype === ChecksumType.SHA1_UNKEYED
      ? equalBytes(unkeyedChecksum(cksumtype, request), checksum)
      : verifyChecksum(key, KeyUsage.TGS_REQ_AUTH_CKSUM, request, checksum, { cksumtype });
  if (!bound) {
    throw replyMismatch('ReplyKeyPack.asChecksum is not the checksum of the AS-REQ sent', realm);
  }
  ctx.log(`PKINIT reply key by public-key encryption (${opened.algorithm}, checksum type ${cksumtype})`);
  return key;
}

/** The reply key from the AS-REP's PA-PK-AS-REP (RFC 4556 section 3.2.4). */
function replyKey(
  ctx: ClientContext,
  pkId: PkinitIdentity | AnonymousPkinit,
  id: Identity,
  pair: KeyAgreementPair | undefined,
  rep: AsRep,
  sent: { readonly body: KdcReqBody; readonly request: Uint8Array },
  realm: string,
): Key {
  // RFC 4120 section 3.1.3: the reply's enctype is one the client asked for. Checked before a key is
  // made for it, as for a password's key: a weak enctype left out is not taken from the KDC.
  if (!sent.body.etype.includes(rep.encPart.etype)) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      `the KDC for ${realm} encrypted the AS-REP with enctype ${rep.encPart.etype}, which this client did not offer (${sent.body.etype.join(', ')})`,
      { realm },
    );
  }
  const pa = findPadata(rep.padata, PaDataType.PA_PK_AS_REP);
  if (pa === undefined) throw replyMismatch('the AS-REP carries no PA-PK-AS-REP', realm);
  try {
    const pkRep = decodePaPkAsRep(pa.padataValue);
    if (pair === undefined) {
      // id.signer is there: loadIdentity asks for key transport only with a certificate.
      if (!('encKeyPack' in pkRep) || id.signer === undefined) {
        throw replyMismatch('the KDC answered with Diffie-Hellman, not public-key encryption', realm);
      }
      return transportedKey(ctx, pkId, id, id.signer, pkRep.encKeyPack, rep, sent.request, realm);
    }
    if (!('dhInfo' in pkRep))
      throw replyMismatch('the KDC answered with public-key encryption, not Diffie-Hellman', realm);
    const info = pkRep.dhInfo;
    if (info.kdf !== undefined && !PKINIT_KDFS.includes(info.kdf.kdfId)) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_NO_ACCEPTABLE_KDF,
        `the KDC chose the KDF ${info.kdf.kdfId}, which this client did not offer`,
        { realm },
      );
    }
    const content = kdcSignedContent(ctx, pkId, id, info.dhSignedData, PkinitOid.id_pkinit_DHKeyData, realm);
    const keyInfo = decodeKdcDhKeyInfo(content);
    if (keyInfo.nonce !== sent.body.nonce) {
      throw replyMismatch('the KDCDHKeyInfo nonce is not the one sent', realm);
    }
    const secret = pair.secret(parseKdcPublicValue(pair.group, keyInfo.subjectPublicKey));
    const etype = rep.encPart.etype;
    if (info.kdf === undefined) return octetString2Key(etype, secret);
    ctx.log(`PKINIT reply key by the KDF ${info.kdf.kdfId} (RFC 8636)`);
    return pkinitKdf(info.kdf.kdfId, etype, secret, {
      // The anonymous client is WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS here, as MIT names it.
      client:
        id.signer === undefined
          ? { realm: ANONYMOUS_REALM, principalName: ANONYMOUS_NAME }
          : { realm, principalName: sent.body.cname! },
      server: { realm, principalName: sent.body.sname! },
      asReq: sent.request,
      pkAsRep: pa.padataValue,
    });
  } catch (e) {
    if (!isKerberosError(e) || e.realm !== undefined) throw e;
    // A check of the KDC's answer failed: say so, keeping the code.
    throw new KerberosError(e.code, `PKINIT reply from ${realm}: ${e.message}`, { realm, cause: e });
  }
}

/**
 * RFC 8062 section 7: an anonymous reply's session key must be KRB-FX-CF2
 * of the KDC's contribution in PA-PKINIT-KX and the reply key, which only
 * the KDC that made the reply key can have arranged.
 */
function checkPkinitKx(rep: AsRep, replyKey: Key, sessionKey: Key, realm: string): void {
  const pa = findPadata(rep.padata, PaDataType.PA_PKINIT_KX);
  if (pa === undefined)
    throw replyMismatch('the anonymous AS-REP carries no PA-PKINIT-KX (RFC 8062 section 7)', realm);
  let expected: Key;
  try {
    const kx = decodeEncryptedData(pa.padataValue);
    const part = decodeEncryptionKey(decrypt(replyKey, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher));
    expected = cf2({ etype: part.keytype, bytes: part.keyvalue }, replyKey, 'PKINIT', 'KEYEXCHANGE');
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw replyMismatch(`PA-PKINIT-KX does not open with the reply key: ${e.message}`, realm);
  }
  if (expected.etype !== sessionKey.etype || !timingSafeEqual(expected.bytes, sessionKey.bytes)) {
    throw replyMismatch(
      'the session key is not KRB-FX-CF2 of PA-PKINIT-KX and the reply key (RFC 8062 section 7)',
      realm,
    );
  }
}

/** Runs the AS exchange with PKINIT (see the module comment). */
export async function pkinitAsExchange(
  ctx: ClientContext,
  req: AsRequest,
  pkId: PkinitIdentity | AnonymousPkinit,
): Promise<Credential> {
  const realm = req.client.realm;
  const id = loadIdentity(pkId, realm);
  const who = formatPrincipal(req.client.name, realm);
  let token: Uint8Array | undefined;
  let step: 'ask' | 'pkinit' | 'fresh' = 'ask';
  let group = pkId.group ?? 'modp14';
  let regrouped = false;
  // kdcTimeSync: the KDC's time as its PREAUTH_REQUIRED error gave it, less the client's (kdc-time.ts).
  let kdcOffsetMs = 0;
  for (;;) {
    const sname = req.service ?? krbtgtName(realm);
    const body = asReqBody(req, realm, sname, ctx.clock.now() + kdcOffsetMs, randomUInt31(ctx.random));
    const pair = id.keyTransport ? undefined : generateKeyAgreement(group, ctx.random);
    const padata: PaData[] = [];
    if (step === 'ask')
      padata.push({ padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) });
    else padata.push(paPkAsReq(ctx, id, pair, body, token, kdcOffsetMs));
    padata.push(...requestPadata(req));
    const bytes = encodeAsReq({ pvno: 5, msgType: 10, padata, reqBody: body }).slice();
    const delivery = pair?.group ?? 'public-key encryption';
    const method =
      step === 'ask' ? '' : ` (PKINIT ${delivery}${token === undefined ? '' : ', freshness token'})`;
    ctx.log(
      `AS-REQ ${formatPrincipal(req.client.name)} for ${formatPrincipal(sname, realm)} -> ${realm}${method}`,
    );
    const answer = await sendAsReq(ctx, realm, bytes, {
      from: who,
      label: `sname=${formatPrincipal(sname)}${method}`,
    });
    if (answer.kind === 'error') {
      const e = answer.error;
      ctx.log(`KRB-ERROR ${e.errorCode} from ${e.realm || realm}${e.eText ? `: ${e.eText}` : ''}`);
      const hints = readMethods(e);
      if (step === 'ask' && e.errorCode === ErrorCode.KDC_ERR_PREAUTH_REQUIRED) {
        if (!hints.offered) {
          throw new KerberosError(
            ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
            `the KDC for ${realm} does not offer PKINIT (no PA-PK-AS-REQ in its METHOD-DATA); configure its pkinit_identity and pkinit_anchors`,
            { realm },
          );
        }
        token = hints.token;
        step = 'pkinit';
        // MIT's pkinit plugin takes the same time as the encrypted timestamp (get_preauth_time).
        if (ctx.kdcTime !== undefined) kdcOffsetMs = e.stime + Math.floor(e.susec / 1000) - ctx.clock.now();
        continue;
      }
      // RFC 4556 section 3.2.2: TD-DH-PARAMETERS lists the groups the KDC accepts; retry once with one.
      if (
        e.errorCode === ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED &&
        pair !== undefined &&
        !regrouped
      ) {
        const { group: next, weaker } = acceptedGroup(e, group);
        if (next !== undefined) {
          ctx.log(`the KDC does not accept ${group}; it offers ${next}`);
          group = next;
          regrouped = true;
          continue;
        }
        if (weaker.length > 0) {
          throw new KerberosError(
            ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED,
            `the KDC for ${realm} does not accept ${group} and offers only groups weaker than modp14 (${weaker.join(', ')}); ask for one explicitly ({ group }) to use it`,
            { realm },
          );
        }
      }
      // RFC 8070 section 4: a KDC that requires freshness sends a token with PREAUTH_FAILED.
      if (step === 'pkinit' && token === undefined && hints.token !== undefined) {
        token = hints.token;
        step = 'fresh';
        continue;
      }
      throw errorFromKrbError(
        e,
        {
          doing: `getting initial credentials for ${who} with PKINIT`,
          client: who,
          server: formatPrincipal(sname, realm),
        },
        realm,
      );
    }
    // A KDC that did not ask for pre-authentication sealed the reply with a password key: ask again with PKINIT.
    if (step === 'ask') {
      step = 'pkinit';
      continue;
    }
    const key = replyKey(ctx, pkId, id, pair, answer.reply, { body, request: bytes }, realm);
    const cred = await verifyAsRep(ctx, req, answer.reply, {
      realm,
      body,
      sname,
      request: bytes,
      replyKey: key,
    });
    if (id.signer === undefined) checkPkinitKx(answer.reply, key, cred.sessionKey, realm);
    return cred;
  }
}

/** Whether `names` is a list of host names (`kdcHostnames`). */
function isHostnameList(names: unknown): names is readonly string[] {
  return Array.isArray(names) && names.every((n) => typeof n === 'string' && n.length > 0);
}
