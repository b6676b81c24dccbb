/**
 * PKINIT key agreement (RFC 4556 section 3.2.3.1): finite-field
 * Diffie-Hellman over the MODP groups of RFC 2409 (group 2, 1024 bits) and
 * RFC 3526 (groups 14 and 16, 2048 and 4096 bits), the groups MIT krb5
 * offers, and elliptic-curve Diffie-Hellman over P-256, P-384 and P-521
 * (RFC 5349). Public values travel as SubjectPublicKeyInfo (client, in
 * AuthPack.clientPublicValue) and as KDCDHKeyInfo's subjectPublicKey BIT
 * STRING (KDC): for DH the BIT STRING holds the DER INTEGER y (RFC 3279
 * section 2.3.3), for ECDH the uncompressed point (RFC 5480 section 2.2).
 *
 * Private values come from the injected random source; the arithmetic is
 * `node:crypto`'s createDiffieHellman and createECDH, synchronous.
 *
 * @module
 */

import { createDiffieHellman, createECDH, getDiffieHellman } from 'node:crypto';
import { isAsn1Error, PkinitOid } from '@krbsim/asn1';
import { ErrorCode, equalBytes, KerberosError, type RandomSource } from '@krbsim/core';
import {
  algorithm,
  bitString,
  bitStringOctets,
  children,
  expectTag,
  oid,
  oidOf,
  readOne,
  seq,
  Tag,
  type Tlv,
  unsigned,
  unsignedOf,
} from './der';

/** A key agreement group krbsim serves. */
export type KeyAgreementGroup = 'modp2' | 'modp14' | 'modp16' | 'P-256' | 'P-384' | 'P-521';

/** Every group, strongest finite-field group last. */
export const KEY_AGREEMENT_GROUPS: readonly KeyAgreementGroup[] = [
  'modp2',
  'modp14',
  'modp16',
  'P-256',
  'P-384',
  'P-521',
];

interface FfGroup {
  readonly kind: 'dh';
  readonly p: Uint8Array;
  readonly g: Uint8Array;
  readonly q: Uint8Array;
  readonly bits: number;
}
interface EcGroup {
  readonly kind: 'ec';
  readonly oid: string;
  readonly nodeName: string;
  readonly bytes: number;
  readonly bits: number;
}

/** RFC 2409 / 3526: p a safe prime, g = 2, q = (p - 1) / 2. */
function ff(name: 'modp2' | 'modp14' | 'modp16', bits: number): FfGroup {
  const p = new Uint8Array(getDiffieHellman(name).getPrime());
  const q = new Uint8Array(
    Buffer.from((BigInt(`0x${Buffer.from(p).toString('hex')}`) >> 1n).toString(16), 'hex'),
  );
  return { kind: 'dh', p, g: Uint8Array.of(2), q, bits };
}

let groups: Record<KeyAgreementGroup, FfGroup | EcGroup> | undefined;
function groupsTable(): Record<KeyAgreementGroup, FfGroup | EcGroup> {
  groups ??= {
    modp2: ff('modp2', 1024),
    modp14: ff('modp14', 2048),
    modp16: ff('modp16', 4096),
    'P-256': { kind: 'ec', oid: PkinitOid.secp256r1, nodeName: 'prime256v1', bytes: 32, bits: 256 },
    'P-384': { kind: 'ec', oid: PkinitOid.secp384r1, nodeName: 'secp384r1', bytes: 48, bits: 384 },
    'P-521': { kind: 'ec', oid: PkinitOid.secp521r1, nodeName: 'secp521r1', bytes: 66, bits: 521 },
  };
  return groups;
}

/** The size of a group in bits (the modulus, or the curve's field). */
export function groupBits(group: KeyAgreementGroup): number {
  return groupsTable()[group].bits;
}

/**
 * A group's security strength in bits (NIST SP 800-57 Part 1, table 2), to
 * rank finite-field and elliptic-curve groups together: modp2 80, modp14
 * 112, P-256 128, modp16 140 (between 3072 bits' 128 and 7680 bits' 192),
 * P-384 192, P-521 256.
 */
export function groupStrength(group: KeyAgreementGroup): number {
  return { modp2: 80, modp14: 112, 'P-256': 128, modp16: 140, 'P-384': 192, 'P-521': 256 }[group];
}

function notAccepted(why: string, cause?: unknown): never {
  throw new KerberosError(ErrorCode.KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED, why, { cause });
}

/** The AlgorithmIdentifier of a group: dhpublicnumber with DomainParameters, or id-ecPublicKey with the curve. */
export function groupAlgorithm(group: KeyAgreementGroup): Uint8Array {
  const g = groupsTable()[group];
  if (g.kind === 'ec') return algorithm(PkinitOid.id_ecPublicKey, oid(g.oid));
  // DomainParameters ::= SEQUENCE { p, g, q, j OPTIONAL, validationParms OPTIONAL } (RFC 3279)
  return algorithm(PkinitOid.dhpublicnumber, seq(unsigned(g.p), unsigned(g.g), unsigned(g.q)));
}

/** A peer's public value: its group and the raw value (y's magnitude, or the EC point). */
export interface PeerPublicValue {
  readonly group: KeyAgreementGroup;
  readonly value: Uint8Array;
}

/**
 * The group an AlgorithmIdentifier names (as TD-DH-PARAMETERS lists them),
 * or undefined for one krbsim does not know.
 */
export function groupOfAlgorithm(algorithmId: Uint8Array): KeyAgreementGroup | undefined {
  try {
    return groupOf(children(readOne(algorithmId, Tag.SEQUENCE, 'AlgorithmIdentifier')));
  } catch (e) {
    if (isAsn1Error(e)) return undefined;
    throw e;
  }
}

function groupOf([algOid, params]: Tlv[]): KeyAgreementGroup | undefined {
  const id = oidOf(algOid, 'algorithm');
  const table = groupsTable();
  if (id === PkinitOid.dhpublicnumber) {
    const [p, g] = children(expectTag(params, Tag.SEQUENCE, 'DomainParameters'));
    const pv = unsignedOf(p, 'p');
    const gv = unsignedOf(g, 'g');
    return (['modp2', 'modp14', 'modp16'] as const).find((n) => {
      const t = table[n] as FfGroup;
      return equalBytes(t.p, pv) && equalBytes(t.g, gv);
    });
  }
  if (id === PkinitOid.id_ecPublicKey) {
    const curve = oidOf(params, 'namedCurve');
    return (['P-256', 'P-384', 'P-521'] as const).find((n) => (table[n] as EcGroup).oid === curve);
  }
  return undefined;
}

/**
 * Reads a client's SubjectPublicKeyInfo (AuthPack.clientPublicValue).
 *
 * @throws KerberosError KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED for a group
 *   krbsim does not know, a malformed value, or a public value out of range.
 */
export function parseClientPublicValue(spki: Uint8Array): PeerPublicValue {
  try {
    const [alg, key] = children(readOne(spki, Tag.SEQUENCE, 'SubjectPublicKeyInfo'));
    const parts = children(expectTag(alg, Tag.SEQUENCE, 'algorithm'));
    const id = oidOf(parts[0], 'algorithm');
    const bits = bitStringOctets(key, 'subjectPublicKey');
    const table = groupsTable();
    const group = groupOf(parts);
    if (id === PkinitOid.dhpublicnumber) {
      if (group === undefined) notAccepted('a Diffie-Hellman group krbsim does not know');
      const y = unsignedOf(readOne(bits, Tag.INTEGER, 'DH public value'), 'y');
      checkDhPublic(table[group] as FfGroup, y);
      return { group, value: y };
    }
    if (id === PkinitOid.id_ecPublicKey) {
      if (group === undefined) notAccepted('an elliptic curve krbsim does not serve');
      const g = table[group] as EcGroup;
      if (bits.length !== 1 + 2 * g.bytes || bits[0] !== 4)
        notAccepted('the EC public value is not an uncompressed point');
      return { group, value: bits };
    }
    return notAccepted(`key agreement algorithm ${id} is not Diffie-Hellman or ECDH`);
  } catch (e) {
    if (isAsn1Error(e)) return notAccepted(`malformed client public value: ${e.message}`, e);
    throw e;
  }
}

/** 1 < y < p - 1 (RFC 2631 section 2.1.5's range check; no small-subgroup values). */
function checkDhPublic(g: FfGroup, y: Uint8Array): void {
  const yv = BigInt(`0x${Buffer.from(y).toString('hex') || '0'}`);
  const pv = BigInt(`0x${Buffer.from(g.p).toString('hex')}`);
  if (yv <= 1n || yv >= pv - 1n) notAccepted('the Diffie-Hellman public value is out of range');
}

/** One side's ephemeral key pair. */
export interface KeyAgreementPair {
  readonly group: KeyAgreementGroup;
  /** SubjectPublicKeyInfo DER (the client's AuthPack.clientPublicValue). */
  readonly spki: Uint8Array;
  /** The BIT STRING DER for KDCDHKeyInfo.subjectPublicKey. */
  readonly subjectPublicKey: Uint8Array;
  /** The raw public value (y's magnitude, or the EC point). */
  readonly value: Uint8Array;
  /**
   * The shared secret with `peer` (RFC 4556 section 3.2.3.1): for DH,
   * `peer^x mod p` left-padded to the modulus' length; for ECDH, the
   * x-coordinate of the shared point.
   */
  secret(peer: Uint8Array): Uint8Array;
}

/** A fresh key pair in `group`, its private value drawn from `random`. */
export function generateKeyAgreement(group: KeyAgreementGroup, random: RandomSource): KeyAgreementPair {
  const g = groupsTable()[group];
  if (g.kind === 'dh') {
    const dh = createDiffieHellman(g.p, g.g);
    // A 512-bit exponent: well above twice the security level of every group offered.
    dh.setPrivateKey(random.fill(new Uint8Array(64)));
    dh.generateKeys();
    const y = new Uint8Array(dh.getPublicKey());
    const subjectPublicKey = bitString(unsigned(y));
    return {
      group,
      spki: seq(groupAlgorithm(group), subjectPublicKey),
      subjectPublicKey,
      value: y,
      secret(peer) {
        checkDhPublic(g, peer);
        const z = new Uint8Array(dh.computeSecret(peer));
        const out = new Uint8Array(g.p.length);
        out.set(z, g.p.length - z.length);
        return out;
      },
    };
  }
  const ecdh = createECDH(g.nodeName);
  for (let tries = 0; ; tries++) {
    const d = random.fill(new Uint8Array(g.bytes));
    if (group === 'P-521') d[0]! &= 0x01;
    try {
      ecdh.setPrivateKey(d);
      break;
    } catch (e) {
      if (tries > 8) throw e; // a scalar out of range is rare; eight in a row is a broken source
    }
  }
  const point = new Uint8Array(ecdh.getPublicKey());
  const subjectPublicKey = bitString(point);
  return {
    group,
    spki: seq(groupAlgorithm(group), subjectPublicKey),
    subjectPublicKey,
    value: point,
    secret(peer) {
      try {
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch (e) {
        return notAccepted('the ECDH public value is not a point on the curve', e);
      }
    },
  };
}

/**
 * Reads the KDC's public value from KDCDHKeyInfo.subjectPublicKey (a DER
 * BIT STRING) for a client whose pair is in `group`.
 */
export function parseKdcPublicValue(group: KeyAgreementGroup, bitStringDer: Uint8Array): Uint8Array {
  try {
    const bits = bitStringOctets(readOne(bitStringDer, Tag.BIT_STRING, 'subjectPublicKey'));
    return groupsTable()[group].kind === 'dh'
      ? unsignedOf(readOne(bits, Tag.INTEGER, 'DH public value'))
      : bits;
  } catch (e) {
    if (isAsn1Error(e)) return notAccepted(`malformed KDC public value: ${e.message}`, e);
    throw e;
  }
}
