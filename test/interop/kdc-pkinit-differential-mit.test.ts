/**
 * krbsim's KDC against MIT krb5kdc 1.20 and its pkinit plugin for PKINIT
 * (RFC 4556, with RFC 8636's KDFs and RFC 8070's freshness tokens).
 *
 * One realm on each side, configured alike: the same lab CA (`@krbsim/pki`,
 * MIT's `pkinit_anchors`), the same KDC certificate and key (id-pkinit-KPKdc,
 * id-pkinit-san krbtgt/PKINIT.TEST@PKINIT.TEST; MIT's `pkinit_identity`), the
 * same principals with the same passwords, MIT's defaults elsewhere
 * (`pkinit_eku_checking = kpClientAuth`, `pkinit_dh_min_bits = 2048`, no
 * UPN, and no freshness token required: `pkinit_require_freshness` is off, as
 * krbsim's `requireFreshness`) and krbsim's matching ones; krbsim's `mit`
 * realm holds MIT's krbtgt keys and issues PACs, as MIT 1.20 does. MIT's
 * realm has a WELLKNOWN/ANONYMOUS principal and krbsim's `allowAnonymous`, so
 * both serve anonymous PKINIT (RFC 8062).
 *
 * Every case is alice's AS-REQ with a good PA-PK-AS-REQ (a SignedData over an
 * AuthPack: PKAuthenticator with the time, the nonce, the SHA-1 paChecksum
 * and this KDC's freshness token; a MODP group 14 public value; the three
 * RFC 8636 KDFs) changed in one way: the key agreement (other groups, ECDH,
 * public values out of range, clientDHNonce, none at all: public-key
 * encryption delivery, with its content encryptions), the freshness
 * token, the KDF list, the signature and the certificate behind it, the
 * PKAuthenticator, the padata around it, anonymous PKINIT. The AuthPack is
 * built with the pieces krbsim's client builds it from (`@krbsim/asn1`'s
 * encoders, `@krbsim/pki`'s CMS and key agreement), keeping the private DH
 * value, so that the reply key is derived as a client derives it: the KDC's
 * KDCDHKeyInfo verified and read, the shared secret, the KDF the reply names
 * (or octetstring2key); or, for public-key encryption delivery, the
 * EnvelopedData opened with the signer's private key, the KDC's SignedData
 * verified, the ReplyKeyPack read and its asChecksum checked against the
 * request. (The content encryption is not compared: MIT 1.20 uses
 * des-ede3-cbc whatever the client lists, krbsim its strongest the client
 * lists, AES-256-CBC when it lists none.)
 *
 * An answer is compared as helpers/kdc-oracle.ts writes it (the reply's
 * enc-part opened with the derived key, the ticket with the server's key),
 * with what PKINIT adds before it: the reply's padata types, the KDF
 * DHRepInfo names, whether KDCDHKeyInfo echoes the PKAuthenticator's nonce,
 * which key opened the enc-part and, for an anonymous reply, whether the
 * session key is PA-PKINIT-KX's; an error's code and the types in its e-data
 * (RFC 4556's TYPED-DATA, such as TD-DH-PARAMETERS: the types, not the groups
 * listed, which differ by krbsim's elliptic curves). Both must agree, except
 * in the cases listed in KNOWN_DIFFERENCES, where each side's answer is
 * pinned and the reason given.
 *
 * Four things are set aside, each a difference in every case it touches:
 * - PA-ETYPE-INFO2 in the AS-REP: krbsim sends it for the reply key's etype
 *   even when PKINIT replaced the key (padata/pk-as-req.ts keeps the etype so
 *   that it stays true); MIT leaves it out once a mechanism replaced the key.
 * - PA-PKINIT-KX in the methods a pre-authentication error offers: MIT lists
 *   every padata type of its pkinit module, PA-PKINIT-KX too (RFC 8062
 *   section 7 puts it in the AS-REP); krbsim lists what a client can send.
 * - How those methods are encoded: MIT sends the list of a failed PKINIT as
 *   TYPED-DATA (its pkinit module marks its e-data typed), krbsim always as
 *   METHOD-DATA (RFC 4120 section 5.2.7).
 * - PA-FX-COOKIE: MIT appends its cookie to every AS error's e-data, TYPED-DATA
 *   included; krbsim sends one with the methods only (preauth.ts).
 *
 * Requests go to MIT over TCP: a PKINIT reply carries the KDC's certificate
 * and can outgrow a UDP reply. Freshness tokens are fetched from each KDC
 * before the cases run; MIT's live ten minutes, krbsim's the clock skew (five).
 *
 * Skipped with a printed reason when MIT krb5's KDC or its pkinit plugin is
 * missing; failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import { createHash, getDiffieHellman } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ANONYMOUS_NAME,
  ANONYMOUS_REALM,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeKdcDhKeyInfo,
  decodeMethodData,
  decodePaPkAsRep,
  decodeReplyKeyPack,
  decodeTypedData,
  encodeAsReq,
  encodeAuthPack,
  encodeEncryptedData,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  encodePaPkAsReq,
  KdcOptions,
  type KdcRep,
  type KdcReqBody,
  type KrbErrorMessage,
  NameType,
  type PaData,
  PaDataType,
  type PkAuthenticator,
  PkinitOid,
  type PrincipalName,
} from '@krbsim/asn1';
import { concatBytes, Duration, ErrorCode, errorCodeName, systemClock, systemRandom } from '@krbsim/core';
import { cf2, checksum, decrypt, encrypt, type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  type CmsSigner,
  cmsSigner,
  createSelfSignedCa,
  createSignedData,
  createUnsignedData,
  generateKeyAgreement,
  groupAlgorithm,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  type KeyAgreementGroup,
  type KeyAgreementPair,
  octetString2Key,
  openEnvelopedData,
  type PemCertificate,
  PKINIT_KDFS,
  parseKdcPublicValue,
  pkinitKdf,
  verifySignedData,
} from '@krbsim/pki';
import { tcpExchange } from '@krbsim/transport';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  asReq,
  encTimestamp,
  openRep,
  parseReply,
  pn,
  pwKeys,
  userKey,
} from '../../packages/kdc/test/helpers';
import { ctx, oid, seq, tlv } from './der';
import {
  describeKdcReply,
  type KnownDifference,
  mitKeys,
  type OracleCase,
  type OracleSide,
  oracleTests,
  wholeSecondsNow,
} from './helpers/kdc-oracle';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeUnavailable, describeWithTools } from './mit-tools';

/** MIT's pkinit preauth plugin (Debian krb5-pkinit), wherever the multiarch directory is. */
const PKINIT_PLUGIN = ['x86_64-linux-gnu', 'aarch64-linux-gnu', '.']
  .map((arch) => join('/usr/lib', arch, 'krb5/plugins/preauth/pkinit.so'))
  .find((p) => existsSync(p));

const REALM = 'PKINIT.TEST';
const SERVICE = 'host/svc.pkinit.test';
const PASSWORDS: Record<string, string> = {
  alice: 'alice-Passw0rd',
  bob: 'bob-Passw0rd',
  carol: 'carol-Passw0rd',
  [SERVICE]: 'svc-Passw0rd',
};
const NONCE = 4556;
const hours = (n: number) => n * Duration.hour;
const minutes = (n: number) => n * Duration.minute;

/** RFC 8636's KDFs by OID, for the outcome lines. */
const KDF_NAMES: Record<string, string> = {
  [PkinitOid.id_pkinit_kdf_ah_sha1]: 'sha1',
  [PkinitOid.id_pkinit_kdf_ah_sha256]: 'sha256',
  [PkinitOid.id_pkinit_kdf_ah_sha512]: 'sha512',
};
/** An OID under MIT's arc that names no KDF. */
const UNKNOWN_KDF = '1.2.840.113554.1.2.99';
/** The key usage of both KDCs' freshness tokens (MIT's KRB5_KEYUSAGE_PA_AS_FRESHNESS). */
const KEY_USAGE_PA_AS_FRESHNESS = 514;

/** One KDC, and the freshness token it handed out before the cases ran. */
interface Side extends OracleSide {
  token?: Uint8Array;
}

/** alice's TGT as both KDCs issue it by PKINIT, with the KDF DHRepInfo names ('-': none). */
function aliceTgt(kdf: string, more = ''): string {
  const flags = 'forwardable,renewable,initial,pre-authent';
  return `pa=[17] dh kdf=${kdf}${more} key=pkinit cname=alice | REP ${flags} life=480m renew=10080m sk=18 tkt=20 s=krbtgt/${REALM} | ticket ${flags} ad=1[128] caddr=- tr=`;
}

/** alice's TGT as both KDCs issue it by public-key encryption, its asChecksum of type `cksumtype`. */
function pkeTgt(cksumtype: number): string {
  return aliceTgt('-').replace('dh kdf=-', `encKeyPack as-checksum=${cksumtype}`);
}

/** A pattern matching `text` and nothing else. */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** Each side's freshness token, for the case that sends one KDC's token to the other. */
const tokens = new Map<string, Uint8Array>();

/** Where krbsim answers otherwise on purpose: each side's answer, pinned, and why. */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'ECDH P-256': {
    oracle: /^KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED typed-data=\[109\]$/,
    krbsim: aliceTgt('sha256'),
    why: "RFC 5349: krbsim's realms serve ECDH by default (pkinit/config.ts); MIT 1.20 serves MODP groups 14 and 16 only (docs/pkinit.md)",
  },
  'ECDH P-384': {
    oracle: /^KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED typed-data=\[109\]$/,
    krbsim: aliceTgt('sha256'),
    why: 'as above',
  },
  'DH public value 1': {
    oracle: /^KRB_ERR_GENERIC$/,
    krbsim: 'KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED typed-data=[109]',
    why: "krbsim checks 1 < y < p - 1 (RFC 2631 section 2.1.5) and refuses the value as RFC 4556 section 3.2.2 refuses parameters, with the groups it serves (pki's key-agreement.ts); MIT's key derivation fails and it answers KRB_ERR_GENERIC",
  },
  'DH public value p - 1': {
    oracle: /^KRB_ERR_GENERIC$/,
    krbsim: 'KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED typed-data=[109]',
    why: 'as above',
  },
  'public-key encryption to an ECDSA certificate': {
    oracle: /^KDC_ERR_PREAUTH_FAILED$/,
    krbsim: 'KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED',
    why: "a key can be encrypted to an RSA key only; krbsim says so with RFC 4556's code for a public-key encryption it cannot do, which also tells the client that Diffie-Hellman would do (pkinit/key-transport.ts); MIT's CMS encryption fails and it answers PREAUTH_FAILED",
  },
  'public-key encryption, supportedCMSTypes rc2-cbc only': {
    oracle: exactly(pkeTgt(16)),
    krbsim: 'KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED',
    why: 'krbsim encrypts with a cipher the client lists, when it lists any (pki/enveloped-data.ts, docs/pkinit.md); MIT 1.20 with des-ede3-cbc whatever the client lists',
  },
  'a freshness token made seven minutes ago': {
    oracle: exactly(aliceTgt('sha256')),
    // An mit realm answers a stale token as MIT does, PREAUTH_FAILED (pkinit/freshness.ts).
    krbsim: 'KDC_ERR_PREAUTH_FAILED methods=[2,16,19,136]',
    why: "a krbsim token lives for the realm's clock skew unless freshnessLifetimeMs says otherwise (pkinit/config.ts, docs/pkinit.md); MIT's for ten minutes (FRESHNESS_LIFETIME in its kdc_preauth.c)",
  },
  'KDF: SHA-512, then SHA-256': {
    oracle: exactly(aliceTgt('sha256')),
    krbsim: aliceTgt('sha512'),
    why: "krbsim takes the first KDF of the client's list that it knows (docs/pkinit.md); MIT the first of its own order (SHA-256, SHA-1, SHA-512) that the client lists",
  },
  'KDF: an unknown one only': {
    oracle: exactly(aliceTgt('-')),
    krbsim: 'KDC_ERR_NO_ACCEPTABLE_KDF',
    why: 'RFC 8636 defines KDC_ERR_NO_ACCEPTABLE_KDF for a list without a KDF the KDC knows (docs/pkinit.md); MIT 1.20 falls back to octetstring2key as if there were no list',
  },
  'an unassigned digest algorithm': {
    oracle: /^KDC_ERR_INVALID_SIG$/,
    krbsim: 'KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED',
    why: 'RFC 4556 section 3.2.2 names KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED for a digest the KDC does not accept (pki/cms.ts); MIT reports the failed verification',
  },
  'no certificates in the SignedData': {
    oracle: /^KDC_ERR_PREAUTH_FAILED methods=\[2,16,19,136\]$/,
    krbsim: 'KDC_ERR_CANT_VERIFY_CERTIFICATE',
    why: "without the signer's certificate no path can be built (RFC 4556 section 3.2.2; pki/cms.ts says so); MIT's CMS verification fails and it answers PREAUTH_FAILED",
  },
  "a nonce that is not the request's": {
    oracle: exactly(aliceTgt('sha256', ' dh-nonce=request')),
    krbsim: aliceTgt('sha256'),
    why: "both serve it (RFC 4556 section 3.2.1: the PKAuthenticator's nonce need not be the request's); krbsim's KDCDHKeyInfo echoes the PKAuthenticator's nonce, as section 3.2.3.1 asks, MIT's the request's",
  },
  'a paChecksum over another body': {
    oracle: /^KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: 'KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED says the checksum is missing; for one over another body krbsim answers KRB_AP_ERR_MODIFIED, as for any modified request (padata/pk-as-req.ts, docs/pkinit.md)',
  },
  'no paChecksum': {
    oracle: /^KDC_ERR_PREAUTH_FAILED methods=\[2,16,19,136\]$/,
    krbsim: 'KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED',
    why: 'RFC 4556 section 3.2.1: paChecksum "MUST be present", and KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED is its code (padata/pk-as-req.ts); MIT answers PREAUTH_FAILED',
  },
  'a paChecksum2 (SHA-256) instead of paChecksum': {
    oracle: /^KDC_ERR_PREAUTH_FAILED methods=\[2,16,19,136\]$/,
    krbsim: 'KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED',
    why: "an MIT realm ignores MS-PKCA's paChecksum2 as MIT does (an active-directory realm validates it, docs/pkinit.md), so this is the case above",
  },
  'PA-PK-AS-REQ, then a PA-ENC-TIMESTAMP under another password': {
    oracle: exactly(aliceTgt('sha256')),
    krbsim: 'KDC_ERR_PREAUTH_FAILED methods=[2,16,19,136]',
    why: 'krbsim ignores no PA-DATA it reads, so a method that fails refuses the request (docs/pkinit.md); MIT takes the first method that succeeds and ignores the failures of the others',
  },
  'a PA-ENC-TIMESTAMP under another password, then PA-PK-AS-REQ': {
    oracle: exactly(aliceTgt('sha256')),
    krbsim: 'KDC_ERR_PREAUTH_FAILED methods=[2,16,19,136]',
    why: 'as above, whatever the order',
  },
  'dave with a PA-ENC-TIMESTAMP besides': {
    oracle:
      /^pa=\[17\] dh kdf=sha256 key=pkinit cname=dave \| REP forwardable,renewable,initial,pre-authent /,
    krbsim: 'KDC_ERR_PREAUTH_FAILED methods=[16,136]',
    why: 'as above: dave has no key, so the timestamp cannot be checked and krbsim refuses it; a PREAUTH_FAILED for a principal without keys offers PKINIT alone, as MIT offers it',
  },
  'anonymous: a signed AuthPack': {
    oracle: /^KDC_ERR_CLIENT_NAME_MISMATCH$/,
    krbsim: 'KDC_ERR_PREAUTH_FAILED methods=[2,16,19,136]',
    why: "RFC 8062 section 4.1: the anonymous client's AuthPack is unsigned, and krbsim refuses a signed one as such (docs/pkinit.md); MIT checks the signer's certificate against WELLKNOWN/ANONYMOUS",
  },
  'anonymous without request-anonymous': {
    oracle: /^KDC_ERR_PREAUTH_FAILED methods=\[2,16,19,136\]$/,
    krbsim: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
    why: "krbsim's anonymous principal answers request-anonymous only (anonymous.ts); MIT's is a database entry, which it finds, and then refuses the unsigned AuthPack of a request that does not ask for anonymity",
  },
};

// ---------------------------------------------------------------------------------------------
// DER, for the changes the encoders cannot make (an element added or dropped, an OID replaced).

/** The complete TLVs inside the constructed TLV `der` (one-octet tags). */
function childrenOf(der: Uint8Array): Uint8Array[] {
  const header = (at: number): { len: number; hdr: number } => {
    const first = der[at + 1]!;
    if (first < 0x80) return { len: first, hdr: 2 };
    let len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + der[at + 2 + i]!;
    return { len, hdr: 2 + (first & 0x7f) };
  };
  const outer = header(0);
  const out: Uint8Array[] = [];
  for (let at = outer.hdr; at < outer.hdr + outer.len; ) {
    const h = header(at);
    out.push(der.subarray(at, at + h.hdr + h.len));
    at += h.hdr + h.len;
  }
  return out;
}

/** `der` with its children replaced by `f` of them, under the same tag. */
function rebuild(der: Uint8Array, f: (children: Uint8Array[]) => Uint8Array[]): Uint8Array {
  return tlv(der[0]!, concatBytes(f(childrenOf(der))));
}

/** A DER INTEGER of the unsigned big-endian `magnitude`. */
function uint(magnitude: Uint8Array): Uint8Array {
  let m = magnitude;
  while (m.length > 1 && m[0] === 0) m = m.subarray(1);
  return tlv(0x02, m[0]! & 0x80 ? concatBytes([Uint8Array.of(0), m]) : m);
}

/** The big-endian octets of `n`. */
function octetsOf(n: bigint): Uint8Array {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

/** The BIT STRING of a DH public value: the DER INTEGER y (RFC 3279 section 2.3.3). */
const dhPublicBits = (y: Uint8Array) => tlv(0x03, concatBytes([Uint8Array.of(0), uint(y)]));

/** A Diffie-Hellman SubjectPublicKeyInfo for any `p`, `g` and `y`, with q = (p - 1) / 2. */
function dhSpki(p: Uint8Array, g: Uint8Array, y: Uint8Array): Uint8Array {
  const q = octetsOf(BigInt(`0x${Buffer.from(p).toString('hex')}`) >> 1n);
  return seq(seq(oid(PkinitOid.dhpublicnumber), seq(uint(p), uint(g), uint(q))), dhPublicBits(y));
}

/** A group 14 public value `y` (in range or not), in its SubjectPublicKeyInfo. */
const modp14Spki = (y: bigint) => seq(groupAlgorithm('modp14'), dhPublicBits(octetsOf(y)));

const MODP14_P = BigInt(`0x${getDiffieHellman('modp14').getPrime('hex')}`);

/** Replaces every occurrence of the byte string `from` in `der` with `to` (of the same length). */
function replaceBytes(der: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const out = der.slice();
  for (let i = 0; i + from.length <= out.length; i++) {
    if (from.every((b, j) => out[i + j] === b)) out.set(to, i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The certificates: made in beforeAll, one signer each.

type Identity =
  | 'alice'
  | 'aliceOtherCa'
  | 'aliceExpired'
  | 'aliceNotYetValid'
  | 'aliceClientAuthEku'
  | 'aliceScLogonEku'
  | 'aliceNoEku'
  | 'aliceNoSan'
  | 'aliceOtherRealm'
  | 'aliceEcdsa'
  | 'bob'
  | 'carol'
  | 'dave'
  | 'nobody';

let signers: Record<Identity, CmsSigner>;
let kdcCertificate: PemCertificate;
let krbtgtKeys: readonly Key[] = [];

async function issueCertificates(dir: TempDir): Promise<PemCertificate> {
  const now = Date.now();
  const ca = await createSelfSignedCa({ commonName: `krbsim lab CA ${REALM}`, keyType: 'rsa-2048' });
  const otherCa = await createSelfSignedCa({ commonName: 'not the lab CA', keyType: 'rsa-2048' });
  kdcCertificate = await issuePkinitKdcCertificate(ca, { realm: REALM });
  const user = (principal: string, more: Partial<Parameters<typeof issuePkinitClientCertificate>[1]> = {}) =>
    issuePkinitClientCertificate(ca, { principal, realm: REALM, ...more });
  const pems: Record<Identity, PemCertificate> = {
    alice: await user('alice'),
    aliceOtherCa: await issuePkinitClientCertificate(otherCa, { principal: 'alice', realm: REALM }),
    // Valid for a day, two days ago; valid for a day, from three days on.
    aliceExpired: await user('alice', { clock: { now: () => now - 3 * Duration.day }, validityDays: 1 }),
    aliceNotYetValid: await user('alice', { clock: { now: () => now + 3 * Duration.day }, validityDays: 1 }),
    aliceClientAuthEku: await user('alice', { purposes: ['client-auth'] }),
    aliceScLogonEku: await user('alice', { purposes: ['smartcard-logon'] }),
    aliceNoEku: await user('alice', { purposes: [] }),
    aliceNoSan: await user('alice', { pkinitSan: false }),
    aliceOtherRealm: await issuePkinitClientCertificate(ca, { principal: 'alice', realm: 'OTHER.TEST' }),
    aliceEcdsa: await user('alice', { keyType: 'ecdsa-p256' }),
    bob: await user('bob'),
    carol: await user('carol'),
    dave: await user('dave'),
    nobody: await user('nobody'),
  };
  signers = Object.fromEntries(
    Object.entries(pems).map(([k, p]) => [k, cmsSigner(p.certPem, p.keyPem)]),
  ) as Record<Identity, CmsSigner>;
  await writeFile(dir.file('ca.pem'), ca.certPem);
  await writeFile(dir.file('kdc.pem'), kdcCertificate.certPem);
  await writeFile(dir.file('kdc-key.pem'), kdcCertificate.keyPem, { mode: 0o600 });
  return ca;
}

// ---------------------------------------------------------------------------------------------
// The requests.

/** What a case changes in alice's good PKINIT AS-REQ. */
interface PkVariant {
  /** The client (default alice, NT-PRINCIPAL). */
  cname?: PrincipalName;
  /** The server (default krbtgt/PKINIT.TEST). */
  sname?: string;
  /** The etype list (default aes256-cts-hmac-sha1-96 alone). */
  etypes?: number[];
  /** KDC options (default forwardable, renewable, canonicalize). */
  kdcOptions?: number;
  /** Who signs the AuthPack (default alice); `unsigned`: RFC 8062's unsigned forms. */
  signer?: Identity | 'unsigned-contentinfo' | 'unsigned-signeddata';
  /** The SignedData's content type (default id-pkinit-authData). */
  contentType?: string;
  /** The digest of the SignedData (default SHA-256). */
  digest?: 'sha1' | 'sha256';
  /** The key agreement group (default modp14). */
  group?: KeyAgreementGroup;
  /** A clientPublicValue of the case's own, or `null` for none (public-key encryption delivery). */
  publicValue?: Uint8Array | null;
  /** supportedCMSTypes (default none), DER AlgorithmIdentifiers. */
  cmsTypes?: readonly Uint8Array[];
  /** supportedKDFs (default krbsim's client's list), or `null` to leave the field out. */
  kdfs?: readonly string[] | null;
  /** The freshness token (default this KDC's), or undefined for none. */
  token?: (side: Side) => Uint8Array | undefined;
  /** Rewrites the PKAuthenticator. */
  authenticator?: (a: PkAuthenticator, body: KdcReqBody) => PkAuthenticator;
  clientDhNonce?: Uint8Array;
  /** Rewrites the AuthPack's DER. */
  authPack?: (der: Uint8Array, body: KdcReqBody) => Uint8Array;
  /** Rewrites the signed AuthPack (the ContentInfo). */
  signed?: (der: Uint8Array) => Uint8Array;
  /** Makes the PA-PK-AS-REQ's value from the signed AuthPack. */
  paValue?: (signedAuthPack: Uint8Array) => Uint8Array;
  /** The padata type the PA-PK-AS-REQ goes under (default 16). */
  padataType?: number;
  /** The request's padata, given the PA-PK-AS-REQ (default: it alone). */
  padata?: (pk: PaData, now: number) => PaData[];
}

/** What a case sent, to read the answer with. */
interface Sent {
  readonly request: Uint8Array;
  readonly body: KdcReqBody;
  readonly pair: KeyAgreementPair | undefined;
  readonly clientDhNonce: Uint8Array | undefined;
  /** The PKAuthenticator's nonce, which KDCDHKeyInfo echoes (RFC 4556 section 3.2.3.1). */
  readonly authNonce: number;
  /** Who signed the AuthPack: the key an EnvelopedData is opened with. */
  readonly signer: CmsSigner | undefined;
  readonly anonymous: boolean;
}

const ALICE = pn('alice', NameType.NT_PRINCIPAL);
const ANONYMOUS_CLIENT: PrincipalName = {
  nameType: NameType.NT_WELLKNOWN,
  nameString: ['WELLKNOWN', 'ANONYMOUS'],
};

function requestBody(v: PkVariant, now: number): KdcReqBody {
  return {
    kdcOptions: v.kdcOptions ?? KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize,
    cname: v.cname ?? ALICE,
    realm: REALM,
    sname: pn(v.sname ?? `krbtgt/${REALM}`),
    till: now + hours(8),
    nonce: NONCE,
    etype: v.etypes ?? [18],
  };
}

/** The AS-REQ of `v` for `side` at `now`, and what it takes to read the answer. */
function buildPkRequest(v: PkVariant, side: Side, now: number): Sent {
  const body = requestBody(v, now);
  const pair =
    v.publicValue === undefined ? generateKeyAgreement(v.group ?? 'modp14', systemRandom) : undefined;
  const clientPublicValue = v.publicValue === undefined ? pair!.spki : (v.publicValue ?? undefined);
  const token = v.token === undefined ? side.token : v.token(side);
  const a: PkAuthenticator = {
    cusec: 0,
    ctime: now,
    nonce: body.nonce,
    paChecksum: createHash('sha1').update(encodeKdcReqBody(body)).digest(),
    ...(token !== undefined && { freshnessToken: token }),
  };
  const kdfs = v.kdfs === undefined ? PKINIT_KDFS : v.kdfs;
  const pkAuthenticator = v.authenticator?.(a, body) ?? a;
  let authPack: Uint8Array = encodeAuthPack({
    pkAuthenticator,
    ...(clientPublicValue !== undefined && { clientPublicValue }),
    ...(v.cmsTypes !== undefined && { supportedCmsTypes: v.cmsTypes }),
    ...(v.clientDhNonce !== undefined && { clientDhNonce: v.clientDhNonce }),
    ...(kdfs !== null && { supportedKdfs: kdfs.map((kdfId) => ({ kdfId })) }),
  }).slice();
  if (v.authPack !== undefined) authPack = v.authPack(authPack, body);
  const signer = v.signer ?? 'alice';
  let signed =
    signer === 'unsigned-contentinfo'
      ? // RFC 8062 section 4.1 as MIT's kinit -n sends it: a ContentInfo of id-pkinit-authData itself.
        seq(oid(PkinitOid.id_pkinit_authData), ctx(0, tlv(0x04, authPack)))
      : signer === 'unsigned-signeddata'
        ? createUnsignedData(PkinitOid.id_pkinit_authData, authPack)
        : createSignedData(
            v.contentType ?? PkinitOid.id_pkinit_authData,
            authPack,
            signers[signer],
            v.digest ?? 'sha256',
          );
  if (v.signed !== undefined) signed = v.signed(signed);
  const pk: PaData = {
    padataType: v.padataType ?? PaDataType.PA_PK_AS_REQ,
    padataValue: v.paValue?.(signed) ?? encodePaPkAsReq({ signedAuthPack: signed }).slice(),
  };
  const request = encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: v.padata?.(pk, now) ?? [pk],
    reqBody: body,
  }).slice();
  return {
    request,
    body,
    pair,
    clientDhNonce: v.clientDhNonce,
    authNonce: pkAuthenticator.nonce,
    signer: signer.startsWith('unsigned') ? undefined : signers[signer as Identity],
    anonymous: signer.startsWith('unsigned'),
  };
}

// ---------------------------------------------------------------------------------------------
// The answers.

const sortedTypes = (types: readonly number[]) => [...types].sort((a, b) => a - b).join(',');

/** The types of a sequence of PA-DATA or TYPED-DATA, and which it was; undefined for neither. */
function eDataTypes(eData: Uint8Array): { form: 'method-data' | 'typed-data'; types: number[] } | undefined {
  try {
    return { form: 'method-data', types: decodeMethodData(eData).map((p) => p.padataType) };
  } catch {
    // not METHOD-DATA: TYPED-DATA, as RFC 4556's errors carry
  }
  try {
    return { form: 'typed-data', types: decodeTypedData(eData).map((t) => t.dataType) };
  } catch {
    return undefined;
  }
}

/** The errors whose e-data lists the pre-authentication methods (METHOD-DATA, RFC 4120 section 5.2.7). */
const HINT_ERRORS: readonly number[] = [ErrorCode.KDC_ERR_PREAUTH_REQUIRED, ErrorCode.KDC_ERR_PREAUTH_FAILED];

/**
 * An error: its name and the types in its e-data, set aside what the module
 * comment says: the methods a pre-authentication error offers, however they
 * are encoded, without PA-PKINIT-KX and PA-FX-COOKIE; RFC 4556's TYPED-DATA,
 * without PA-FX-COOKIE.
 */
function errorLine(err: KrbErrorMessage): string {
  const name = errorCodeName(err.errorCode);
  if (err.eData === undefined) return name;
  const e = eDataTypes(err.eData);
  if (e === undefined) return `${name} e-data=(neither METHOD-DATA nor TYPED-DATA)`;
  const types = e.types.filter((t) => t !== PaDataType.PA_FX_COOKIE && t !== PaDataType.PA_PKINIT_KX);
  const form = HINT_ERRORS.includes(err.errorCode) ? 'methods' : e.form;
  return `${name} ${form}=[${sortedTypes(types)}]`;
}

function ticketKey(server: string, etype: number): Key {
  if (server === `krbtgt/${REALM}`) return krbtgtKeys.find((k) => k.etype === etype)!;
  return userKey(REALM, server, PASSWORDS[server]!, etype);
}

/**
 * The keys a client could open the reply with, most likely first: the
 * PKINIT reply key from PA-PK-AS-REP (by the KDF DHRepInfo names, else
 * octetstring2key, with and without the client's DH nonce; or the
 * ReplyKeyPack's), then the password's. With what PA-PK-AS-REP said.
 */
function replyKeys(rep: KdcRep, sent: Sent): { what: string; keys: [string, Key][] } {
  const etype = rep.encPart.etype;
  const keys: [string, Key][] = [];
  let what = 'no PA-PK-AS-REP';
  const pa = rep.padata?.find((p) => p.padataType === PaDataType.PA_PK_AS_REP);
  if (pa !== undefined) {
    const pkRep = decodePaPkAsRep(pa.padataValue);
    if ('encKeyPack' in pkRep) {
      // Public-key encryption delivery: the reply key travels in an EnvelopedData for the client's key.
      what = 'encKeyPack unreadable';
      if (sent.signer !== undefined) {
        const opened = openEnvelopedData(pkRep.encKeyPack, sent.signer);
        const signed = verifySignedData(opened.contentInfo, PkinitOid.id_pkinit_rkeyData);
        const pack = decodeReplyKeyPack(signed.content);
        const key: Key = { etype: pack.replyKey.keytype, bytes: pack.replyKey.keyvalue };
        const { cksumtype, checksum: sum } = pack.asChecksum;
        const ok = verifyChecksum(key, KeyUsage.TGS_REQ_AUTH_CKSUM, sent.request, sum, { cksumtype });
        what = `encKeyPack as-checksum=${ok ? cksumtype : 'wrong'}`;
        keys.push(['pkinit', key]);
      }
    } else if (sent.pair === undefined) {
      what = 'dh for no public value';
    } else {
      const info = pkRep.dhInfo;
      const signed = verifySignedData(info.dhSignedData, PkinitOid.id_pkinit_DHKeyData);
      const keyInfo = decodeKdcDhKeyInfo(signed.content);
      const secret = sent.pair.secret(parseKdcPublicValue(sent.pair.group, keyInfo.subjectPublicKey));
      const kdf = info.kdf?.kdfId;
      what = `dh kdf=${kdf === undefined ? '-' : (KDF_NAMES[kdf] ?? kdf)}`;
      if (keyInfo.nonce !== sent.authNonce)
        what += ` dh-nonce=${keyInfo.nonce === sent.body.nonce ? 'request' : 'other'}`;
      if (info.serverDhNonce !== undefined) what += ' serverDHNonce';
      if (kdf !== undefined) {
        keys.push([
          'pkinit',
          pkinitKdf(kdf, etype, secret, {
            client: sent.anonymous
              ? { realm: ANONYMOUS_REALM, principalName: ANONYMOUS_NAME }
              : { realm: REALM, principalName: sent.body.cname! },
            server: { realm: REALM, principalName: sent.body.sname! },
            asReq: sent.request,
            pkAsRep: pa.padataValue,
          }),
        ]);
      } else {
        if (sent.clientDhNonce !== undefined) {
          keys.push([
            'pkinit(clientDHNonce)',
            octetString2Key(etype, secret, sent.clientDhNonce, info.serverDhNonce),
          ]);
        }
        keys.push(['pkinit', octetString2Key(etype, secret)]);
      }
    }
  }
  const user = sent.body.cname!.nameString.join('/');
  if (PASSWORDS[user] !== undefined) keys.push(['password', userKey(REALM, user, PASSWORDS[user]!, etype)]);
  return { what, keys };
}

/** RFC 8062 section 7: an anonymous reply's session key is KRB-FX-CF2 of PA-PKINIT-KX and the reply key. */
function kxLine(rep: KdcRep, replyKey: Key, sessionKey: Key): string {
  const pa = rep.padata?.find((p) => p.padataType === PaDataType.PA_PKINIT_KX);
  if (pa === undefined) return ' kx=absent';
  let expected: Key;
  try {
    const kx = decodeEncryptedData(pa.padataValue);
    const part = decodeEncryptionKey(decrypt(replyKey, KeyUsage.KEY_USAGE_PA_PKINIT_KX, kx.cipher));
    expected = cf2({ etype: part.keytype, bytes: part.keyvalue }, replyKey, 'PKINIT', 'KEYEXCHANGE');
  } catch {
    return ' kx=unreadable';
  }
  return Buffer.from(expected.bytes).equals(Buffer.from(sessionKey.bytes)) ? ' kx=ok' : ' kx=wrong';
}

/** A PKINIT AS exchange's answer (see the module comment). */
function pkOutcome(reply: Uint8Array, sent: Sent): string {
  const r = parseReply(reply);
  if (r.kind === 'error') return errorLine(r.error);
  const rep = r.rep;
  const types = (rep.padata ?? []).map((p) => p.padataType).filter((t) => t !== PaDataType.PA_ETYPE_INFO2);
  const pa = `pa=[${sortedTypes(types)}]`;
  const { what, keys } = replyKeys(rep, sent);
  let opened: [string, Key] | undefined;
  let kx = '';
  const open = (kdcRep: KdcRep) => {
    for (const k of keys) {
      let c: ReturnType<typeof openRep>;
      try {
        c = openRep(kdcRep, k[1], KeyUsage.AS_REP_ENCPART);
      } catch {
        continue; // not this key: the next
      }
      opened = k;
      if (sent.anonymous) kx = kxLine(kdcRep, k[1], c.sessionKey);
      return c;
    }
    throw new Error('no key opens the reply');
  };
  let line: string;
  try {
    line = describeKdcReply(reply, open, (t) => ticketKey(t.sname.nameString.join('/'), t.encPart.etype));
  } catch {
    return `${pa} ${what} key=none`;
  }
  const cname = rep.cname.nameString.join('/') + (rep.crealm === REALM ? '' : `@${rep.crealm}`);
  return `${pa} ${what} key=${opened![0]}${kx} cname=${cname} | ${line}`;
}

const cases: OracleCase<Side>[] = [];

/** A PKINIT case: `v` applied to alice's good request. */
function pkCase(label: string, v: PkVariant = {}): void {
  const sent = new Map<string, Sent>();
  cases.push({
    label,
    realm: REALM,
    build: (side, now) => {
      const s = buildPkRequest(v, side, now);
      sent.set(side.name, s);
      return s.request;
    },
    outcome: (side, reply) => pkOutcome(reply, sent.get(side.name)!),
  });
}

/** A case that sends no PA-PK-AS-REQ: `padata` alone. */
function plainCase(label: string, padata: (now: number) => PaData[]): void {
  cases.push({
    label,
    realm: REALM,
    build: (_side, now) =>
      encodeAsReq({ pvno: 5, msgType: 10, padata: padata(now), reqBody: requestBody({}, now) }).slice(),
    outcome: (_side, reply) => {
      const r = parseReply(reply);
      return r.kind === 'error' ? errorLine(r.error) : 'REP';
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Freshness tokens made as each KDC makes them, at a time of the case's choosing.

/**
 * A token `ago` old, in the side's own format: MIT's is the time and the
 * krbtgt kvno, four octets each, and a checksum of the time under the first
 * krbtgt key (MIT's doc/formats/freshness_token.rst); krbsim's an
 * EncryptedData of PA-ENC-TS-ENC under the krbtgt key (pkinit/freshness.ts).
 * Both KDCs hold the same krbtgt keys, so either can be made here.
 */
function staleToken(side: Side, ago: number): Uint8Array {
  const made = wholeSecondsNow() - ago;
  if (side.name === 'mit') {
    const head = new Uint8Array(8);
    const view = new DataView(head.buffer);
    view.setUint32(0, made / 1000);
    view.setUint32(4, new DataView(side.token!.buffer, side.token!.byteOffset).getUint32(4));
    return concatBytes([head, checksum(krbtgtKeys[0]!, KEY_USAGE_PA_AS_FRESHNESS, head.subarray(0, 4))]);
  }
  const real = decodeEncryptedData(side.token!);
  const key = krbtgtKeys.find((k) => k.etype === real.etype)!;
  return encodeEncryptedData({
    etype: real.etype,
    ...(real.kvno !== undefined && { kvno: real.kvno }),
    cipher: encrypt(key, KEY_USAGE_PA_AS_FRESHNESS, encodePaEncTsEnc({ patimestamp: made }), {
      random: systemRandom,
    }),
  }).slice();
}

// ---------------------------------------------------------------------------------------------
// The cases.

plainCase('no pre-authentication', () => []);
plainCase('an empty PA_AS_FRESHNESS, asking for a token', () => [
  { padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) },
]);

// Key agreement (RFC 4556 section 3.2.3.1, RFC 5349).
pkCase('DH group 14 (2048 bits)');
pkCase('DH group 16 (4096 bits)', { group: 'modp16' });
pkCase('DH group 2 (1024 bits)', { group: 'modp2' });
pkCase('DH group 15 (3072 bits), which neither KDC serves', {
  publicValue: (() => {
    const dh = getDiffieHellman('modp15');
    dh.generateKeys();
    return dhSpki(dh.getPrime(), dh.getGenerator(), dh.getPublicKey());
  })(),
});
pkCase("DH group 14's prime with the generator 5", {
  publicValue: (() => {
    const dh = getDiffieHellman('modp14');
    dh.generateKeys();
    return dhSpki(dh.getPrime(), Uint8Array.of(5), dh.getPublicKey());
  })(),
});
pkCase('ECDH P-256', { group: 'P-256' });
pkCase('ECDH P-384', { group: 'P-384' });
pkCase('DH public value 1', { publicValue: modp14Spki(1n) });
pkCase('DH public value p - 1', { publicValue: modp14Spki(MODP14_P - 1n) });
pkCase('no clientPublicValue: public-key encryption delivery', { publicValue: null });
pkCase('public-key encryption, etype aes256-cts-hmac-sha384-192', { publicValue: null, etypes: [20] });
pkCase('public-key encryption, supportedCMSTypes des-ede3-cbc only', {
  publicValue: null,
  cmsTypes: [seq(oid(PkinitOid.des_ede3_cbc))],
});
pkCase('public-key encryption, supportedCMSTypes rc2-cbc only', {
  publicValue: null,
  cmsTypes: [seq(oid('1.2.840.113549.3.2'))],
});
pkCase('public-key encryption to an ECDSA certificate', { publicValue: null, signer: 'aliceEcdsa' });
pkCase('clientDHNonce, no KDF (octetstring2key)', {
  clientDhNonce: new Uint8Array(32).fill(0x5a),
  kdfs: null,
});
pkCase('clientDHNonce with the KDFs', { clientDhNonce: new Uint8Array(32).fill(0x5a) });

// Freshness tokens (RFC 8070).
pkCase('no freshness token', { token: () => undefined });
pkCase('a freshness token of 40 arbitrary octets', {
  token: () => Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff),
});
pkCase('an empty freshness token', { token: () => new Uint8Array(0) });
pkCase("the other KDC's freshness token", {
  token: (side) => (side.name === 'mit' ? tokens.get('krbsim') : tokens.get('mit')),
});
pkCase('a freshness token made a minute ago', { token: (side) => staleToken(side, minutes(1)) });
pkCase('a freshness token made seven minutes ago', { token: (side) => staleToken(side, minutes(7)) });
pkCase('a freshness token made a quarter of an hour ago', { token: (side) => staleToken(side, minutes(15)) });

// KDFs (RFC 8636).
pkCase('KDF: SHA-256 only', { kdfs: [PkinitOid.id_pkinit_kdf_ah_sha256] });
pkCase('KDF: SHA-512 only', { kdfs: [PkinitOid.id_pkinit_kdf_ah_sha512] });
pkCase('KDF: SHA-1 only', { kdfs: [PkinitOid.id_pkinit_kdf_ah_sha1] });
pkCase('KDF: SHA-512, then SHA-256', {
  kdfs: [PkinitOid.id_pkinit_kdf_ah_sha512, PkinitOid.id_pkinit_kdf_ah_sha256],
});
pkCase('KDF: none listed (octetstring2key)', { kdfs: null });
pkCase('KDF: an empty list', { kdfs: [] });
pkCase('KDF: an unknown one only', { kdfs: [UNKNOWN_KDF] });
pkCase('KDF: an unknown one, then SHA-1', { kdfs: [UNKNOWN_KDF, PkinitOid.id_pkinit_kdf_ah_sha1] });

// The reply key's etype, which the KDF binds.
pkCase('etype list aes128-cts-hmac-sha1-96 only', { etypes: [17] });
pkCase('etype list aes256-cts-hmac-sha384-192, then aes256-cts-hmac-sha1-96', { etypes: [20, 18] });
pkCase('KDF: none listed, etype aes256-cts-hmac-sha384-192', { kdfs: null, etypes: [20] });

// The SignedData (RFC 4556 section 3.2.1, RFC 5652).
pkCase('a signature that does not verify', {
  signed: (der) => {
    const out = der.slice();
    out[out.length - 1]! ^= 0x01; // the signature is the SignedData's last octets
    return out;
  },
});
pkCase('signed with SHA-1', { digest: 'sha1' });
pkCase('an unassigned digest algorithm', {
  // SHA-256's OID (2.16.840.1.101.3.4.2.1), in digestAlgorithms and the SignerInfo, made 2.16.840.1.101.3.4.2.99.
  signed: (der) => replaceBytes(der, oid(PkinitOid.id_sha256), oid('2.16.840.1.101.3.4.2.99')),
});
pkCase('no certificates in the SignedData', {
  signed: (der) =>
    rebuild(der, ([type, content]) => [
      type!,
      rebuild(content!, ([sd]) => [rebuild(sd!, (parts) => parts.filter((p) => p[0] !== 0xa0))]),
    ]),
});
pkCase('the AuthPack signed as the content type id-data', { contentType: PkinitOid.id_data });

// The client certificate (RFC 4556 section 3.2.2).
pkCase('a certificate from another CA', { signer: 'aliceOtherCa' });
pkCase('an expired certificate', { signer: 'aliceExpired' });
pkCase('a certificate not yet valid', { signer: 'aliceNotYetValid' });
pkCase('a certificate with the TLS client-auth EKU only', { signer: 'aliceClientAuthEku' });
pkCase('a certificate with the smart card logon EKU only', { signer: 'aliceScLogonEku' });
pkCase('a certificate without an EKU', { signer: 'aliceNoEku' });
pkCase("bob's certificate for alice", { signer: 'bob' });
pkCase('a certificate without an id-pkinit-san', { signer: 'aliceNoSan' });
pkCase('a certificate naming alice of another realm', { signer: 'aliceOtherRealm' });
pkCase('a certificate with an ECDSA P-256 key', { signer: 'aliceEcdsa' });
pkCase('a client that is not there, with its certificate', {
  signer: 'nobody',
  cname: pn('nobody', NameType.NT_PRINCIPAL),
});

// The PA-PK-AS-REQ around it.
pkCase('a PA-PK-AS-REQ that does not decode', { paValue: () => Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00) });
pkCase('kdcPkId naming another certificate', {
  paValue: (signedAuthPack) =>
    encodePaPkAsReq({
      signedAuthPack,
      kdcPkId: seq(signers.alice.certificate.issuer, signers.alice.certificate.serialNumber),
    }).slice(),
});

// The PKAuthenticator (RFC 4556 section 3.2.1; MS-PKCA 2.2.3's paChecksum2).
pkCase("a nonce that is not the request's", { authenticator: (a) => ({ ...a, nonce: NONCE + 1 }) });
pkCase('ctime ten minutes ago', { authenticator: (a) => ({ ...a, ctime: a.ctime - minutes(10) }) });
pkCase('ctime ten minutes ahead', { authenticator: (a) => ({ ...a, ctime: a.ctime + minutes(10) }) });
pkCase('a paChecksum over another body', {
  authenticator: (a, body) => ({
    ...a,
    paChecksum: createHash('sha1')
      .update(encodeKdcReqBody({ ...body, nonce: body.nonce + 1 }))
      .digest(),
  }),
});
pkCase('no paChecksum', { authenticator: ({ paChecksum: _c, ...a }) => a });

/** PAChecksum2 (MS-PKCA 2.2.3): SHA-256 of the KDC-REQ-BODY, as the PKAuthenticator's [5]. */
function withPaChecksum2(authPack: Uint8Array, body: KdcReqBody): Uint8Array {
  const sum = createHash('sha256').update(encodeKdcReqBody(body)).digest();
  const pac2 = ctx(5, seq(ctx(0, tlv(0x04, sum)), ctx(1, seq(oid(PkinitOid.id_sha256)))));
  return rebuild(authPack, ([pkAuth, ...rest]) => [
    rebuild(pkAuth!, ([a]) => [rebuild(a!, (fields) => [...fields, pac2])]),
    ...rest,
  ]);
}
pkCase('a paChecksum2 (SHA-256) besides paChecksum', { authPack: withPaChecksum2 });
pkCase('a paChecksum2 (SHA-256) instead of paChecksum', {
  authenticator: ({ paChecksum: _c, ...a }) => a,
  authPack: withPaChecksum2,
});

// Other padata.
pkCase('PA-PK-AS-REQ_OLD (type 14)', { padataType: PaDataType.PA_PK_AS_REQ_OLD });
const aliceKey = userKey(REALM, 'alice', PASSWORDS.alice!, 18);
pkCase('PA-PK-AS-REQ, then PA-ENC-TIMESTAMP', { padata: (pk, now) => [pk, encTimestamp(aliceKey, now)] });
pkCase('PA-ENC-TIMESTAMP, then PA-PK-AS-REQ', { padata: (pk, now) => [encTimestamp(aliceKey, now), pk] });
const wrongPassword = userKey(REALM, 'alice', 'not-the-password', 18);
pkCase('PA-PK-AS-REQ, then a PA-ENC-TIMESTAMP under another password', {
  padata: (pk, now) => [pk, encTimestamp(wrongPassword, now)],
});
pkCase('a PA-ENC-TIMESTAMP under another password, then PA-PK-AS-REQ', {
  padata: (pk, now) => [encTimestamp(wrongPassword, now), pk],
});
pkCase('PA-PK-AS-REQ and an empty PA_AS_FRESHNESS', {
  padata: (pk) => [pk, { padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) }],
});

// Names.
pkCase('the client named NT-UNKNOWN', { cname: pn('alice', NameType.NT_UNKNOWN) });
pkCase('an AS-REQ for a service ticket', { sname: SERVICE });
const CAROL = pn('carol', NameType.NT_PRINCIPAL);
const DAVE = pn('dave', NameType.NT_PRINCIPAL);
pkCase('carol, whose keys are aes128 only, asking for aes256', { cname: CAROL, signer: 'carol' });
pkCase('carol asking for aes256 and aes128', { cname: CAROL, signer: 'carol', etypes: [18, 17] });
pkCase('dave, who has no key', { cname: DAVE, signer: 'dave' });
pkCase('dave without pre-authentication', { cname: DAVE, signer: 'dave', padata: () => [] });
pkCase('carol without pre-authentication, asking for aes256', {
  cname: CAROL,
  signer: 'carol',
  padata: () => [],
});
pkCase('dave with a PA-ENC-TIMESTAMP besides', {
  cname: DAVE,
  signer: 'dave',
  padata: (pk, now) => [pk, encTimestamp(aliceKey, now)],
});

// Anonymous PKINIT (RFC 8062).
const anonymous: PkVariant = {
  cname: ANONYMOUS_CLIENT,
  kdcOptions: KdcOptions.forwardable | KdcOptions.renewable | KdcOptions['request-anonymous'],
  token: () => undefined,
};
pkCase('anonymous: an unsigned AuthPack (ContentInfo)', { ...anonymous, signer: 'unsigned-contentinfo' });
pkCase('anonymous: an unsigned SignedData', { ...anonymous, signer: 'unsigned-signeddata' });
pkCase('anonymous: a signed AuthPack', anonymous);
pkCase('anonymous without request-anonymous', {
  ...anonymous,
  kdcOptions: KdcOptions.forwardable,
  signer: 'unsigned-contentinfo',
});
pkCase('an unsigned AuthPack for alice', { signer: 'unsigned-contentinfo' });

if (PKINIT_PLUGIN === undefined) {
  describeUnavailable(
    'krbsim KDC against MIT krb5kdc for PKINIT',
    "MIT's pkinit plugin is not installed",
    'apt-get install krb5-pkinit',
  );
}
const withPkinit = PKINIT_PLUGIN === undefined ? () => {} : describeWithTools;

withPkinit(
  'krbsim KDC against MIT krb5kdc for PKINIT: the same requests, the same answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc'],
  (tools) => {
    let dir: TempDir;
    let mit: MitRealm;
    const sides: Side[] = [];

    beforeAll(async () => {
      dir = await makeTempDir('pkinit-differential');
      const ca = await issueCertificates(dir);
      mit = await startMitRealm(
        REALM,
        [
          { name: 'alice', password: PASSWORDS.alice!, flags: '+requires_preauth' },
          { name: 'bob', password: PASSWORDS.bob!, flags: '+requires_preauth' },
          { name: SERVICE, password: PASSWORDS[SERVICE]! },
        ],
        tools,
        {
          extraRealmConfig: [
            `pkinit_identity = FILE:${dir.file('kdc.pem')},${dir.file('kdc-key.pem')}`,
            `pkinit_anchors = FILE:${dir.file('ca.pem')}`,
          ].join('\n  '),
        },
      );
      // RFC 8062: MIT serves anonymous PKINIT once the realm has this principal (random keys).
      await mit.kadmin('addprinc -randkey +requires_preauth WELLKNOWN/ANONYMOUS');
      // carol has aes128 keys only; dave none at all (MIT's -nokey: a certificate is his only way in).
      await mit.kadmin(
        `addprinc -e aes128-cts-hmac-sha1-96:normal -pw ${PASSWORDS.carol} +requires_preauth carol`,
      );
      await mit.kadmin('addprinc -nokey +requires_preauth dave');
      krbtgtKeys = await mitKeys(mit, `krbtgt/${REALM}@${REALM}`);
      const realm = new Realm({
        name: REALM,
        krbtgtKeys: [...krbtgtKeys],
        clock: systemClock,
        random: systemRandom,
        policy: { requirePreauthByDefault: false, issuePac: true, allowAnonymous: true },
        pkinit: {
          anchors: ca.certPem,
          certificate: kdcCertificate.certPem,
          privateKey: kdcCertificate.keyPem,
        },
      });
      realm.addUser('alice', { keys: pwKeys(REALM, 'alice', PASSWORDS.alice!), requiresPreauth: true });
      realm.addUser('bob', { keys: pwKeys(REALM, 'bob', PASSWORDS.bob!), requiresPreauth: true });
      realm.addUser('carol', {
        keys: pwKeys(REALM, 'carol', PASSWORDS.carol!).filter((k) => k.etype === 17),
        requiresPreauth: true,
      });
      realm.addUser('dave', { keys: [], requiresPreauth: true });
      realm.addService(SERVICE, { keys: pwKeys(REALM, SERVICE, PASSWORDS[SERVICE]!) });
      const kdc = new Kdc(realm);
      sides.push({
        name: 'mit',
        send: (_realm, b) =>
          tcpExchange('127.0.0.1', mit.port, b, { timeoutMs: 5000, maxReplyBytes: 65_535 }),
      });
      sides.push({ name: 'krbsim', send: async (_realm, b) => kdc.handle(b) });
      // Each KDC's freshness token (RFC 8070 section 4): the answer to an empty PA_AS_FRESHNESS.
      for (const side of sides) {
        const now = wholeSecondsNow();
        const reply = parseReply(
          await side.send(
            REALM,
            asReq({
              realm: REALM,
              cname: 'alice',
              till: now + hours(8),
              etypes: [18],
              padata: [{ padataType: PaDataType.PA_AS_FRESHNESS, padataValue: new Uint8Array(0) }],
            }),
          ),
        );
        if (reply.kind !== 'error' || reply.error.errorCode !== ErrorCode.KDC_ERR_PREAUTH_REQUIRED)
          throw new Error(`${side.name} did not ask for pre-authentication`);
        side.token = decodeMethodData(reply.error.eData!).find(
          (p) => p.padataType === PaDataType.PA_AS_FRESHNESS,
        )?.padataValue;
        if (side.token === undefined || side.token.length === 0)
          throw new Error(`${side.name} sent no freshness token`);
        tokens.set(side.name, side.token);
      }
      // MIT's token is its time, its kvno and a checksum of the time under the first krbtgt key: staleToken's premise.
      const mitToken = tokens.get('mit')!;
      expect(
        Buffer.from(checksum(krbtgtKeys[0]!, KEY_USAGE_PA_AS_FRESHNESS, mitToken.subarray(0, 4))).equals(
          Buffer.from(mitToken.subarray(8)),
        ),
      ).toBe(true);
    }, 120_000);
    afterAll(async () => {
      await mit?.stop();
      await dir?.remove();
    });

    oracleTests(cases, sides, KNOWN_DIFFERENCES);
  },
);
