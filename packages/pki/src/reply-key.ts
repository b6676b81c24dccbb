/**
 * The AS reply key of PKINIT's Diffie-Hellman delivery (RFC 4556 section
 * 3.2.3.1): octetstring2key over the shared secret and the nonces,
 *
 *   x = DHSharedSecret | n_c | n_s          (client and server DH nonces, when sent)
 *   k = K-truncate(SHA1(0x00 | x) | SHA1(0x01 | x) | SHA1(0x02 | x) | ...)
 *   reply key = random-to-key(k)
 *
 * with K the etype's key-generation seed length; or, when client and KDC
 * agree on one (RFC 8636), a KDF over the secret and the exchange.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { encodeKrb5PrincipalName, type Krb5PrincipalName, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { getEncType, type Key, randomToKey } from '@krbsim/crypto';
import { algorithm, ctx, octets, seq, smallInt } from './der';

/** RFC 4556 section 3.2.3.1's octetstring2key for `etype`. */
export function octetString2Key(
  etype: number,
  secret: Uint8Array,
  clientNonce: Uint8Array = new Uint8Array(0),
  serverNonce: Uint8Array = new Uint8Array(0),
): Key {
  const k = getEncType(etype).seedBytes;
  const x = Buffer.concat([secret, clientNonce, serverNonce]);
  const out = new Uint8Array(k);
  let filled = 0;
  for (let counter = 0; filled < k; counter++) {
    const h = createHash('sha1')
      .update(Uint8Array.of(counter & 0xff))
      .update(x)
      .digest();
    out.set(h.subarray(0, Math.min(h.length, k - filled)), filled);
    filled += h.length;
  }
  return randomToKey(etype, out);
}

/** The hash of each RFC 8636 KDF. */
const KDF_HASHES: Readonly<Record<string, string>> = {
  [PkinitOid.id_pkinit_kdf_ah_sha1]: 'sha1',
  [PkinitOid.id_pkinit_kdf_ah_sha256]: 'sha256',
  [PkinitOid.id_pkinit_kdf_ah_sha512]: 'sha512',
};

/** The RFC 8636 KDFs krbsim knows, in its order of preference. */
export const PKINIT_KDFS: readonly string[] = [
  PkinitOid.id_pkinit_kdf_ah_sha256,
  PkinitOid.id_pkinit_kdf_ah_sha512,
  PkinitOid.id_pkinit_kdf_ah_sha1,
];

/** What RFC 8636's key derivation binds the reply key to. */
export interface KdfContext {
  /** The client and the server the AS-REQ named. */
  readonly client: Krb5PrincipalName;
  readonly server: Krb5PrincipalName;
  /** The AS-REQ as the client sent it (and the KDC received it). */
  readonly asReq: Uint8Array;
  /** The PA-PK-AS-REP's padata-value as the KDC sent it. */
  readonly pkAsRep: Uint8Array;
}

/**
 * RFC 8636 section 7: the reply key from the shared secret Z by the
 * one-step KDF of NIST SP 800-56A section 5.8.1 with the KDF's hash H,
 *
 *   K(i) = H(i as 32-bit big-endian | Z | OtherInfo), i = 1, 2, ...
 *   reply key = random-to-key(first seed-length octets of K(1) | K(2) | ...)
 *
 * OtherInfo ::= SEQUENCE { algorithmID AlgorithmIdentifier (the KDF, no
 * parameters), partyUInfo [0] OCTET STRING (the client's KRB5PrincipalName),
 * partyVInfo [1] OCTET STRING (the server's), suppPubInfo [2] OCTET STRING
 * (PkinitSuppPubInfo ::= SEQUENCE { enctype [0] Int32, as-REQ [1] OCTET
 * STRING, pk-as-rep [2] OCTET STRING }) }.
 *
 * @throws KerberosError KDC_ERR_NO_ACCEPTABLE_KDF for a KDF krbsim does not know.
 */
export function pkinitKdf(kdfId: string, etype: number, secret: Uint8Array, context: KdfContext): Key {
  const hash = KDF_HASHES[kdfId];
  if (hash === undefined) {
    throw new KerberosError(ErrorCode.KDC_ERR_NO_ACCEPTABLE_KDF, `the KDF ${kdfId} is not one krbsim knows`);
  }
  const suppPubInfo = seq(
    ctx(0, smallInt(etype)),
    ctx(1, octets(context.asReq)),
    ctx(2, octets(context.pkAsRep)),
  );
  const otherInfo = seq(
    algorithm(kdfId),
    ctx(0, octets(encodeKrb5PrincipalName(context.client).slice())),
    ctx(1, octets(encodeKrb5PrincipalName(context.server).slice())),
    ctx(2, octets(suppPubInfo)),
  );
  const k = getEncType(etype).seedBytes;
  const out = new Uint8Array(k);
  let filled = 0;
  for (let i = 1; filled < k; i++) {
    const counter = Uint8Array.of(i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
    const h = createHash(hash).update(counter).update(secret).update(otherInfo).digest();
    out.set(h.subarray(0, Math.min(h.length, k - filled)), filled);
    filled += h.length;
  }
  return randomToKey(etype, out);
}
