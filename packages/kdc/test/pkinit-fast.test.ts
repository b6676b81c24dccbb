/**
 * PKINIT inside FAST (RFC 6113): an armored anonymous PKINIT AS-REQ (RFC 8062,
 * MIT's `kinit -n -T <armor ccache>`), whose reply the KDC seals with the
 * strengthened reply key while PA-PKINIT-KX, and the KRB-FX-CF2 that makes
 * the anonymous session key, use the key PKINIT agreed, as MIT's KDC does
 * and MIT's client (verify_anonymous, with ctx->as_key) checks.
 */

import { createHash } from 'node:crypto';
import {
  decodeAsRep,
  decodeEncKdcRepPart,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeKdcDhKeyInfo,
  decodePaPkAsRep,
  encodeAsReq,
  encodeAuthPack,
  encodeKdcReqBody,
  encodePaFxFastRequest,
  encodePaPkAsReq,
  KdcOptions,
  type KdcReqBody,
  NameType,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { cf2, decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import {
  createSelfSignedCa,
  createUnsignedData,
  generateKeyAgreement,
  issuePkinitKdcCertificate,
  octetString2Key,
  type PemCertificate,
  parseKdcPublicValue,
  verifySignedData,
} from '@krbsim/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { apArmor, armoredReq, fastResponse } from './fast-helpers';
import { login, makeRealm, T0, userKey } from './helpers';

const REALM = 'PKFAST.TEST';
let ca: PemCertificate;
let kdcCert: PemCertificate;

beforeAll(async () => {
  const o = { clock: new ManualClock(T0), random: new SeededRandom('pkinit-fast-certs'), realm: REALM };
  ca = await createSelfSignedCa({ ...o, commonName: 'krbsim PKINIT-in-FAST CA', keyType: 'ecdsa-p256' });
  kdcCert = await issuePkinitKdcCertificate(ca, { ...o, keyType: 'ecdsa-p256' });
});

function lab(fastStrengthenKey = true) {
  const l = makeRealm(REALM, { allowAnonymous: true, fastStrengthenKey }, new ManualClock(T0), {
    pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem },
  });
  l.realm.addUser('alice', { password: 'alice-Passw0rd' });
  return l;
}

describe('anonymous PKINIT inside FAST (kinit -n -T)', () => {
  /** The armored anonymous AS-REQ, what the KDC answered, and the keys to open it. */
  function armoredAnonymous(l: ReturnType<typeof lab>) {
    const armorTgt = login(l, 'alice', userKey(REALM, 'alice', 'alice-Passw0rd'));
    const armor = apArmor(armorTgt, T0);
    const body: KdcReqBody = {
      kdcOptions: (KdcOptions['request-anonymous'] | KdcOptions.canonicalize) >>> 0,
      cname: { nameType: NameType.NT_WELLKNOWN, nameString: ['WELLKNOWN', 'ANONYMOUS'] },
      realm: REALM,
      sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] },
      till: T0 + 36_000_000,
      nonce: 8062,
      etype: [18],
    };
    const bodyDer = encodeKdcReqBody(body).slice();
    const pair = generateKeyAgreement('P-256', new SeededRandom('pkinit-fast-dh'));
    const authPack = encodeAuthPack({
      pkAuthenticator: {
        cusec: 0,
        ctime: T0,
        nonce: body.nonce,
        paChecksum: createHash('sha1').update(bodyDer).digest(),
      },
      clientPublicValue: pair.spki,
    }).slice();
    const signedAuthPack = createUnsignedData(PkinitOid.id_pkinit_authData, authPack);
    const inner = [
      { padataType: PaDataType.PA_PK_AS_REQ, padataValue: encodePaPkAsReq({ signedAuthPack }).slice() },
    ];
    const fx = armoredReq(armor.armorKey, { padata: inner, body }, bodyDer, armor.armor);
    const rep = decodeAsRep(
      l.kdc.handle(
        encodeAsReq({
          pvno: 5,
          msgType: 10,
          padata: [
            { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: fx }) },
          ],
          reqBody: body,
        }),
      ),
    );
    const response = fastResponse(rep.padata ?? [], armor.armorKey)!;
    const pk = decodePaPkAsRep(
      response.padata.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue,
    );
    if (!('dhInfo' in pk)) throw new Error('expected a Diffie-Hellman reply');
    const info = decodeKdcDhKeyInfo(
      verifySignedData(pk.dhInfo.dhSignedData, PkinitOid.id_pkinit_DHKeyData).content,
    );
    // No supportedKDFs: RFC 4556's octetstring2key of the shared secret.
    const replyKey = octetString2Key(
      rep.encPart.etype,
      pair.secret(parseKdcPublicValue('P-256', info.subjectPublicKey)),
    );
    const kx = response.padata.find((p) => p.padataType === PaDataType.PA_PKINIT_KX)!;
    return { rep, response, replyKey, kx: decodeEncryptedData(kx.padataValue) };
  }

  it('seals the enc-part with the strengthened reply key, and PA-PKINIT-KX and KRB-FX-CF2 with the PKINIT reply key', () => {
    const { rep, response, replyKey, kx } = armoredAnonymous(lab());
    expect(response.strengthenKey).toBeDefined();
    const strengthen: Key = {
      etype: response.strengthenKey!.keytype,
      bytes: response.strengthenKey!.keyvalue,
    };
    const strengthened = cf2(strengthen, replyKey, 'strengthenkey', 'replykey');
    // RFC 6113 section 5.4.3: the enc-part opens with the strengthened key only.
    expect(() => decrypt(replyKey, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher)).toThrow();
    const part = decodeEncKdcRepPart(decrypt(strengthened, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
    // RFC 8062 section 7: the KDC contribution is under the key PKINIT made (usage 44), not the strengthened one.
    expect(() => decrypt(strengthened, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher)).toThrow();
    const contribution = decodeEncryptionKey(decrypt(replyKey, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher));
    expect(kx.etype).toBe(replyKey.etype);
    const session = cf2(
      { etype: contribution.keytype, bytes: contribution.keyvalue },
      replyKey,
      'PKINIT',
      'KEYEXCHANGE',
    );
    expect(part.key.keytype).toBe(session.etype);
    expect(Buffer.from(part.key.keyvalue).toString('hex')).toBe(Buffer.from(session.bytes).toString('hex'));
  });

  it('without a strengthen key (fastStrengthenKey: false) the two keys are one', () => {
    const { rep, response, replyKey, kx } = armoredAnonymous(lab(false));
    expect(response.strengthenKey).toBeUndefined();
    const part = decodeEncKdcRepPart(decrypt(replyKey, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher));
    const contribution = decodeEncryptionKey(decrypt(replyKey, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher));
    const session = cf2(
      { etype: contribution.keytype, bytes: contribution.keyvalue },
      replyKey,
      'PKINIT',
      'KEYEXCHANGE',
    );
    expect(Buffer.from(part.key.keyvalue).toString('hex')).toBe(Buffer.from(session.bytes).toString('hex'));
  });
});
