/**
 * PKINIT (RFC 4556) at a KDC: a realm of its own, PKI.TEST, with a CA, a KDC
 * certificate and alice's client certificate (ECDSA P-256, made at the run's
 * fixed time from the seed), and AS-REQs carrying a PA-PK-AS-REQ as the
 * krbsim client builds it (an AuthPack with an ECDH public value, signed in
 * CMS SignedData). Two targets damage it behind the outer DER:
 *
 * - `pkinit-cms`: the signedAuthPack itself (the ContentInfo: SignedData,
 *   its certificates, SignerInfo and signed attributes), so the damage
 *   reaches the CMS and X.509 readers and the signature check;
 * - `pkinit-authpack`: the AuthPack, signed again with alice's key, so the
 *   damage gets past the signature to the PKAuthenticator's checks (nonce,
 *   time, paChecksum, freshness), the client public value and its group.
 *
 * The invariants are the KDC's (checks.ts): nothing thrown out of
 * `Kdc.handle`, no internal error reported, every reply well-formed.
 */

import { createHash } from 'node:crypto';
import {
  encodeAsReq,
  encodeAuthPack,
  encodeKdcReqBody,
  encodePaPkAsReq,
  type KdcReqBody,
  NameType,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  type CmsSigner,
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  generateKeyAgreement,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
} from '@krbsim/pki';
import { checkKdcReply } from './checks';
import { InputStream } from './inputs';
import type { Target } from './targets';

const REALM = 'PKI.TEST';

/** An AS-REQ for alice at PKI.TEST whose PA-PK-AS-REQ carries `signedAuthPack`. */
function asReq(body: KdcReqBody, signedAuthPack: Uint8Array): Uint8Array {
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: [{ padataType: PaDataType.PA_PK_AS_REQ, padataValue: encodePaPkAsReq({ signedAuthPack }) }],
    reqBody: body,
  });
}

/** The PKINIT targets, with their realm and KDC. */
export async function pkinitTargets(seed: string, now: number): Promise<Target[]> {
  const clock = new ManualClock(now);
  const certs = {
    clock,
    random: new SeededRandom(`${seed}:pkinit-certs`),
    realm: REALM,
    keyType: 'ecdsa-p256',
  } as const;
  const ca = await createSelfSignedCa({ ...certs, commonName: 'krbsim fuzz PKINIT CA' });
  const kdcCert = await issuePkinitKdcCertificate(ca, certs);
  const alice = await issuePkinitClientCertificate(ca, { ...certs, principal: 'alice' });
  const realm = new Realm({
    name: REALM,
    clock,
    random: new SeededRandom(`${seed}:pkinit-realm`),
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem },
  });
  realm.addUser('alice', { password: 'unused-Passw0rd' });
  let bugs: unknown[] = [];
  const kdc = new Kdc(realm, { onInternalError: (e) => bugs.push(e) });
  const signer: CmsSigner = cmsSigner(alice.certPem, alice.keyPem);

  const body: KdcReqBody = {
    kdcOptions: 0,
    cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] },
    realm: REALM,
    sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] },
    till: now + 36_000_000,
    nonce: 4556,
    etype: [18, 17],
  };
  const authPack = encodeAuthPack({
    pkAuthenticator: {
      cusec: 0,
      ctime: Math.floor(now / 1000) * 1000,
      nonce: body.nonce,
      paChecksum: createHash('sha1').update(encodeKdcReqBody(body)).digest(),
    },
    clientPublicValue: generateKeyAgreement('P-256', new SeededRandom(`${seed}:pkinit-dh`)).spki,
  }).slice();
  const signedAuthPack = createSignedData(PkinitOid.id_pkinit_authData, authPack, signer);

  const feed = (t: Target, request: Uint8Array): string => {
    t.lastBuilt = request;
    let reply: Uint8Array;
    try {
      reply = kdc.handle(request);
    } catch (e) {
      throw new Error(`Kdc.handle threw: ${(e as Error).stack ?? e}`, { cause: e });
    }
    if (bugs.length > 0) {
      const e = bugs[0] as Error;
      bugs = [];
      throw new Error(
        `the KDC reported an internal error (KRB_ERR_GENERIC to the client): ${e?.stack ?? e}`,
        {
          cause: e,
        },
      );
    }
    return checkKdcReply(request, reply);
  };
  // The undamaged request must be answered with an AS-REP, or the targets test nothing.
  const baseline = kdc.handle(asReq(body, signedAuthPack));
  if (baseline[0] !== 0x6b)
    throw new Error('fuzz: the PKINIT baseline AS-REQ was not answered with an AS-REP');

  const cms: Target = {
    name: 'pkinit-cms',
    weight: 1,
    inputs: new InputStream(seed, 'pkinit-cms', [signedAuthPack], [0x30]),
    run: (damaged) => feed(cms, asReq(body, damaged)),
  };
  const pack: Target = {
    name: 'pkinit-authpack',
    weight: 1,
    inputs: new InputStream(seed, 'pkinit-authpack', [authPack], [0x30]),
    run: (damaged) =>
      feed(pack, asReq(body, createSignedData(PkinitOid.id_pkinit_authData, damaged, signer))),
  };
  return [cms, pack];
}
