/**
 * `krbsim decode --keytab`: what a keytab's keys open in a message, as
 * Wireshark's `-K` does. A ticket's enc-part under its server's key (the
 * EncTicketPart, and its PAC decoded with the server signature checked, the
 * KDC's too when the keytab holds the realm's krbtgt key), then with the
 * session key it holds the AP-REQ's authenticator (a TGS-REQ's too, and its
 * enc-authorization-data; a GSS checksum's flags and delegated KRB-CRED); an
 * AS-REQ's PA-ENC-TIMESTAMP and an AS-REP's enc-part under the client's key;
 * a FAST request's armor, its KrbFastReq and an encrypted challenge inside
 * (RFC 6113). A TGS-REP's, AP-REP's or KRB-CRED's enc-part needs a session
 * key no keytab holds: only their tickets are opened (a KRB-CRED delegated
 * in a GSS checksum is opened with the AP-REQ's; one sent in the clear, etype 0, is decoded).
 *
 * Keys are never printed: every EncryptionKey's value shows as
 * `<redacted N bytes>`, and bytes that hold one (a cleartext EncKrbCredPart,
 * a GSS checksum's delegation) show decoded, never as hex
 * ({@link redactedMessageJson}, which plain `krbsim decode` prints too).
 *
 * @module
 */

import {
  type ApReq,
  type Checksum,
  decodeApReq,
  decodeAuthorizationData,
  decodeEncryptedData,
  decodeGssChecksum,
  decodeKdcReqBody,
  decodeKrbFastReq,
  decodeMessage,
  decodePaEncTsEnc,
  decodePaFxFastRequest,
  type EncryptedData,
  type EncTicketPart,
  formatPrincipal,
  type GssChecksum,
  GssFlags,
  type Json,
  type KrbFastArmoredReq,
  type KrbFastReq,
  type KrbMessage,
  messageToJson,
  PaDataType,
  type PrincipalName,
  type Ticket,
  valueToJson,
} from '@krbsim/asn1';
import { isKerberosError } from '@krbsim/core';
import { clientChallengeKey, decrypt, fastArmorKey, type Key, KeyUsage } from '@krbsim/crypto';
import type { KeytabEntry } from '@krbsim/files';
import {
  decodePac,
  FILETIME_NEVER,
  FILETIME_NOT_SET,
  fileTimeToMillis,
  formatSid,
  type Pac,
  PacBufferType,
  type Sid,
  unwrapPac,
  verifyPac,
} from '@krbsim/pac';

/** A plaintext and the key that opened it. */
interface Opened {
  readonly plain: Uint8Array;
  readonly key: Key;
}

/** Why nothing opened an enc-part, or what did. */
type Attempt = Opened | { readonly error: string };

const opened = (a: Attempt): a is Opened => 'plain' in a;

/** The principal as a keytab names it: `name@REALM`, compared without case (AD's names are case-blind). */
const principalOf = (name: PrincipalName, realm: string): string =>
  formatPrincipal(name, realm).toLowerCase();

/**
 * Tries the keytab's keys of the enc-part's etype (and kvno, when both say one: a keytab may keep
 * only its low 8 bits), `principal`'s first (any other's too: a service may be known by several
 * names), and returns the first plaintext whose integrity holds.
 */
function open(
  keys: readonly KeytabEntry[],
  enc: EncryptedData,
  usage: number,
  principal: string,
  what: string,
): Attempt {
  const fits = keys.filter(
    (e) =>
      e.key.etype === enc.etype &&
      (enc.kvno === undefined || e.kvno === 0 || e.kvno === enc.kvno || e.kvno === (enc.kvno & 0xff)),
  );
  const wanted = principal.toLowerCase();
  const mine = (e: KeytabEntry) => principalOf(e.principal.name, e.principal.realm) === wanted;
  for (const e of [...fits.filter(mine), ...fits.filter((e) => !mine(e))]) {
    const key = { etype: e.key.etype, bytes: e.key.bytes };
    const plain = openWith(key, usage, enc.cipher);
    if (plain !== undefined) return { plain, key };
  }
  const kvno = enc.kvno === undefined ? '' : `, kvno ${enc.kvno}`;
  return {
    error: `no key in the keytab opens ${what} (${principal}, etype ${enc.etype}${kvno}; ${fits.length} key${fits.length === 1 ? '' : 's'} of that etype tried)`,
  };
}

/** The plaintext, or undefined when the key is not the one (its integrity check fails). */
function openWith(key: Key, usage: number, cipher: Uint8Array): Uint8Array | undefined {
  try {
    return decrypt(key, usage, cipher);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return undefined;
  }
}

/** The authenticator checksum type of GSS-API's krb5 mechanism (RFC 4121 section 4.1.1). */
const GSS_CHECKSUM_TYPE = 0x8003;

const GSS_FLAG_NAMES: readonly [string, number][] = Object.entries(GssFlags);

/** A decrypted APPLICATION-tagged part as JSON, its keys redacted; or what kept it from decoding. */
function partJson(plain: Uint8Array): { json: Json; message?: KrbMessage } {
  try {
    const message = decodeMessage(plain);
    return { json: redactedMessageJson(message), message };
  } catch (e) {
    return { json: { decodeError: failure(e) } };
  }
}

/**
 * A message as `messageToJson` renders it, with no key in it: every EncryptionKey's keyvalue
 * redacted; a KRB-CRED's enc-part sent in the clear (etype 0, as MIT, Windows and krbsim delegate
 * a TGT inside GSS) decoded as its EncKrbCredPart, keys redacted, instead of shown as hex; and an
 * authenticator's GSS-API checksum (0x8003, RFC 4121 4.1.1) parsed, the KRB-CRED it delegates
 * decoded the same way. What `krbsim decode` prints of any Kerberos message, keytab or not.
 */
export function redactedMessageJson(message: KrbMessage): Json {
  const json = redactKeys(messageToJson(message)) as Record<string, Json>;
  if (message.type === 'KRB-CRED' && message.value.encPart.etype === 0) {
    json.encPart = { ...(json.encPart as Record<string, Json>), ...clearCredPartJson(message.value.encPart) };
  }
  if (message.type === 'Authenticator' && message.value.cksum?.cksumtype === GSS_CHECKSUM_TYPE) {
    const { checksum: _hex, ...rest } = json.cksum as Record<string, Json>;
    json.cksum = { ...rest, ...gssChecksumFields(message.value.cksum) };
  }
  return json;
}

/** `<redacted N bytes>`: how bytes that may hold a key show. */
const redacted = (n: number): string => `<redacted ${n} bytes>`;

/**
 * An enc-part sent in the clear (etype 0): its "cipher" is the EncKrbCredPart itself, keys and
 * all, so it shows decoded (keys redacted) and its bytes never as hex.
 */
function clearCredPartJson(enc: EncryptedData): Record<string, Json> {
  const cipher = redacted(enc.cipher.length);
  try {
    const part = decodeMessage(enc.cipher);
    if (part.type !== 'EncKrbCredPart') {
      return { cipher, cleartextError: `an etype 0 enc-part holding a ${part.type}, not an EncKrbCredPart` };
    }
    return { cipher, cleartext: redactedMessageJson(part) };
  } catch (e) {
    return { cipher, cleartextError: failure(e) };
  }
}

/** A GSS checksum's flags by name and its channel bindings' hash. */
const gssFieldsJson = (gss: GssChecksum): Record<string, Json> => ({
  flags: GSS_FLAG_NAMES.filter(([, bit]) => (gss.flags & bit) !== 0).map(([name]) => name),
  bindings: Buffer.from(gss.bindings).toString('hex'),
});

/**
 * A 0x8003 checksum's fields parsed (RFC 4121 4.1.1): the flags by name, the channel bindings'
 * hash and the delegated KRB-CRED decoded, in place of its bytes (which hold the KRB-CRED, and so
 * the delegated TGT's session key when it goes in the clear). A checksum that does not parse shows
 * its bytes only when they are too few to hold a delegation.
 */
function gssChecksumFields(cksum: Checksum): Record<string, Json> {
  let gss: GssChecksum;
  try {
    gss = decodeGssChecksum(cksum);
  } catch (e) {
    const b = cksum.checksum;
    return {
      checksum: b.length <= 28 ? Buffer.from(b).toString('hex') : redacted(b.length),
      checksumError: failure(e),
    };
  }
  const decoded = gssFieldsJson(gss);
  if (gss.delegation !== undefined) {
    try {
      const cred = decodeMessage(gss.delegation);
      if (cred.type === 'KRB-CRED') decoded.delegation = redactedMessageJson(cred);
      else decoded.delegationError = `a ${cred.type}, not a KRB-CRED`;
    } catch (e) {
      decoded.delegationError = failure(e);
    }
    if (decoded.delegation === undefined) decoded.delegation = redacted(gss.delegation.length);
  }
  return { checksumDecoded: decoded };
}

/** A Kerberos error's message (a plaintext that does not decode, a signature that does not verify); anything else is a bug, rethrown. */
function failure(e: unknown): string {
  if (!isKerberosError(e)) throw e;
  return e.message;
}

/** A decrypted value as JSON, or what kept it from decoding. */
function valueJson(f: () => Json): Json {
  try {
    return f();
  } catch (e) {
    return { decodeError: failure(e) };
  }
}

/** `json` with every EncryptionKey's keyvalue replaced by its length. */
function redactKeys(json: Json): Json {
  if (Array.isArray(json)) return json.map(redactKeys);
  if (json === null || typeof json !== 'object') return json;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(json)) out[k] = redactKeys(v);
  if ('keytype' in out && typeof out.keyvalue === 'string') {
    out.keyvalue = `<redacted ${out.keyvalue.length / 2} bytes>`;
  }
  return out;
}

/** The ticket opened with its server's key: its EncTicketPart and PAC, and its session key for what follows. */
function ticketJson(
  keys: readonly KeytabEntry[],
  ticket: Ticket,
): { json: Record<string, Json>; sessionKey?: Key } {
  const principal = formatPrincipal(ticket.sname, ticket.realm);
  const got = open(keys, ticket.encPart, KeyUsage.KDC_REP_TICKET, principal, 'the ticket');
  if (!opened(got)) return { json: { ticketError: got.error } };
  const part = partJson(got.plain);
  const json: Record<string, Json> = { ticket: part.json };
  if (part.message?.type !== 'EncTicketPart') return { json };
  const etp = part.message.value;
  const pac = pacJson(keys, etp, ticket, got.key);
  if (pac !== undefined) json.pac = pac;
  return { json, sessionKey: { etype: etp.key.keytype, bytes: etp.key.keyvalue } };
}

/** MS-PAC's buffer type names (MIT's `KRB5_PAC_*`), by number. */
const PAC_BUFFER_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(PacBufferType).map(([name, type]) => [type, name]),
);

/**
 * The ticket's PAC decoded, with its signatures (MS-PAC 2.8): the server's checked with the key that
 * opened the ticket; the KDC's, and the ticket and extended KDC signatures when the PAC has them,
 * with the realm's krbtgt key when the keytab holds it.
 */
function pacJson(
  keys: readonly KeytabEntry[],
  etp: EncTicketPart,
  ticket: Ticket,
  serverKey: Key,
): Json | undefined {
  const bytes = unwrapPac(etp.authorizationData);
  if (bytes === undefined) return undefined;
  let pac: Pac;
  try {
    pac = decodePac(bytes);
  } catch (e) {
    return { decodeError: failure(e) };
  }
  const has = (type: number) => pac.buffers.some((b) => b.type === type);
  const buffers = pac.buffers.map((b) => ({
    type: b.type,
    ...(PAC_BUFFER_NAMES.has(b.type) && { typeName: PAC_BUFFER_NAMES.get(b.type)! }),
    ...('value' in b ? { value: plainJson(b.value) } : { data: Buffer.from(b.data).toString('hex') }),
  }));
  const verdict = (f: () => unknown): string => {
    try {
      f();
      return 'verified';
    } catch (e) {
      return `does not verify: ${failure(e)}`;
    }
  };
  const krbtgt = formatPrincipal({ nameType: 2, nameString: ['krbtgt', ticket.realm] }, ticket.realm);
  const kdcKeys = keys
    .filter((e) => principalOf(e.principal.name, e.principal.realm) === krbtgt.toLowerCase())
    .map((e) => ({ etype: e.key.etype, bytes: e.key.bytes }));
  // The KDC signs with one of the krbtgt's keys: the signatures verify if they do under any of them.
  const withKdcKey = (kdcKey: Key) =>
    verdict(() =>
      verifyPac(
        bytes,
        { kdcKey },
        { requireExtendedKdcSignature: false, ...(has(PacBufferType.TICKET_CHECKSUM) && { ticket: etp }) },
      ),
    );
  const kdc =
    kdcKeys.length === 0
      ? `not checked: no key of ${krbtgt} in the keytab`
      : (kdcKeys.map(withKdcKey).find((r) => r === 'verified') ?? withKdcKey(kdcKeys[0]!));
  const signed = [
    'KDC',
    ...(has(PacBufferType.TICKET_CHECKSUM) ? ['ticket'] : []),
    ...(has(PacBufferType.FULL_CHECKSUM) ? ['extended KDC'] : []),
  ];
  return {
    buffers,
    serverSignature: verdict(() => verifyPac(bytes, { serverKey })),
    // Which KDC signatures the PAC carries, and whether they verify together.
    kdcSignatures: { present: signed, result: kdc },
  };
}

/** A decoded PAC value as JSON: bytes as hex (keys redacted), SIDs as strings, FILETIMEs as ISO 8601. */
function plainJson(v: unknown, field = ''): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') {
    if (v === FILETIME_NEVER) return 'never';
    if (v === FILETIME_NOT_SET) return 'not set';
    // Every 64-bit FILETIME falls within a Date's range (year 60056 at most).
    return new Date(fileTimeToMillis(v)).toISOString();
  }
  if (v instanceof Uint8Array) {
    return /key$/i.test(field) ? `<redacted ${v.length} bytes>` : Buffer.from(v).toString('hex');
  }
  if (Array.isArray(v)) return v.map((x) => plainJson(x, field));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.identifierAuthority === 'number' && Array.isArray(o.subAuthority))
      return formatSid(o as unknown as Sid);
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(o)) if (x !== undefined) out[k] = plainJson(x, k);
    return out;
  }
  return v as Json;
}

/** An AP-REQ opened: its ticket, then its authenticator under the ticket's session key. */
function apReqJson(
  keys: readonly KeytabEntry[],
  ap: ApReq,
  usage: number,
): { json: Record<string, Json>; subkey?: Key; sessionKey?: Key } {
  const t = ticketJson(keys, ap.ticket);
  if (t.sessionKey === undefined) return { json: t.json };
  const plain = openWith(t.sessionKey, usage, ap.authenticator.cipher);
  if (plain === undefined) {
    return {
      json: { ...t.json, authenticatorError: "the ticket's session key does not open the authenticator" },
    };
  }
  const part = partJson(plain);
  const auth = part.message?.type === 'Authenticator' ? part.message.value : undefined;
  const gss =
    auth?.cksum?.cksumtype === GSS_CHECKSUM_TYPE
      ? gssChecksumJson(keys, auth.cksum, t.sessionKey)
      : undefined;
  return {
    json: { ...t.json, authenticator: part.json, ...(gss !== undefined && { gssChecksum: gss }) },
    sessionKey: t.sessionKey,
    ...(auth?.subkey !== undefined && {
      subkey: { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue },
    }),
  };
}

/**
 * A GSS-API authenticator checksum read (RFC 4121 4.1.1): the context flags by name, the channel
 * bindings' hash, and a delegated KRB-CRED with its tickets opened under the keytab's keys and its
 * enc-part decoded (in the clear, etype 0) or opened under the ticket's session key (usage 14), keys
 * redacted.
 */
function gssChecksumJson(keys: readonly KeytabEntry[], cksum: Checksum, sessionKey: Key): Json {
  let gss: GssChecksum;
  try {
    gss = decodeGssChecksum(cksum);
  } catch (e) {
    return { error: failure(e) };
  }
  const out = gssFieldsJson(gss);
  if (gss.delegation === undefined) return out;
  let cred: KrbMessage;
  try {
    cred = decodeMessage(gss.delegation);
  } catch (e) {
    return { ...out, delegationError: failure(e) };
  }
  if (cred.type !== 'KRB-CRED') return { ...out, delegationError: `a ${cred.type}, not a KRB-CRED` };
  return {
    ...out,
    delegation: {
      tickets: cred.value.tickets.map((ticket) => ticketJson(keys, ticket).json),
      ...credPartJson(cred.value.encPart, sessionKey),
    },
  };
}

/**
 * A KRB-CRED's enc-part as `encPart` (keys redacted): in the clear (etype 0, RFC 4120 5.8.1's
 * "unencrypted", as MIT's, Windows' and krbsim's initiators send a delegated TGT inside GSS), or
 * opened with `key` (usage 14).
 */
function credPartJson(enc: EncryptedData, key: Key | undefined): Record<string, Json> {
  if (enc.etype === 0) {
    const clear = clearCredPartJson(enc);
    return clear.cleartext === undefined
      ? { encPartError: clear.cleartextError! }
      : { encPart: clear.cleartext };
  }
  if (key === undefined) return {};
  const plain = openWith(key, KeyUsage.KRB_CRED_ENCPART, enc.cipher);
  return plain === undefined
    ? { encPartError: `the ticket's session key does not open the KRB-CRED (etype ${enc.etype})` }
    : { encPart: partJson(plain).json };
}

/** An AS-REQ's PA-ENC-TIMESTAMP opened with the client's key. */
function encTimestampJson(
  keys: readonly KeytabEntry[],
  value: Uint8Array,
  client: string,
): Record<string, Json> {
  let enc: EncryptedData;
  try {
    enc = decodeEncryptedData(value);
  } catch (e) {
    return { paEncTimestampError: failure(e) };
  }
  const got = open(keys, enc, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, client, 'PA-ENC-TIMESTAMP');
  if (!opened(got)) return { paEncTimestampError: got.error };
  return { paEncTimestamp: valueJson(() => valueToJson('PA-ENC-TS-ENC', decodePaEncTsEnc(got.plain))) };
}

/**
 * A PA-FX-FAST request opened (RFC 6113 5.4.2): an AS-REQ's explicit armor (an AP-REQ whose ticket the
 * keytab opens) or a TGS-REQ's implicit armor key, then the KrbFastReq under the armor key, and an
 * encrypted challenge inside under the key it derives with the client's (5.4.6).
 */
function fastJson(
  keys: readonly KeytabEntry[],
  value: Uint8Array,
  implicitArmorKey: Key | undefined,
  client: string | undefined,
): Json {
  let armored: KrbFastArmoredReq;
  try {
    armored = decodePaFxFastRequest(value).armoredData;
  } catch (e) {
    return { error: failure(e) };
  }
  const out: Record<string, Json> = {};
  let armorKey = implicitArmorKey;
  if (armored.armor !== undefined) {
    let ap: ApReq;
    try {
      ap = decodeApReq(armored.armor.armorValue);
    } catch (e) {
      return { armorError: failure(e) };
    }
    const opened = apReqJson(keys, ap, KeyUsage.AP_REQ_AUTH);
    out.armor = opened.json;
    if (opened.subkey !== undefined && opened.sessionKey !== undefined) {
      armorKey = fastArmorKey(opened.subkey, opened.sessionKey);
    }
  }
  if (armorKey === undefined) return { ...out, requestError: 'no armor key: its ticket did not open' };
  const plain = openWith(armorKey, KeyUsage.KEY_USAGE_FAST_ENC, armored.encFastReq.cipher);
  if (plain === undefined) return { ...out, requestError: 'the armor key does not open the KrbFastReq' };
  let request: KrbFastReq;
  try {
    request = decodeKrbFastReq(plain);
  } catch (e) {
    return { ...out, requestError: failure(e) };
  }
  out.request = valueJson(() => valueToJson('KrbFastReq', request));
  out.requestBody = valueJson(() => valueToJson('KDC-REQ-BODY', decodeKdcReqBody(request.reqBody)));
  const challenge = request.padata.find((p) => p.padataType === PaDataType.PA_ENCRYPTED_CHALLENGE);
  if (challenge !== undefined && client !== undefined) {
    out.encryptedChallenge = challengeJson(keys, challenge.padataValue, armorKey, client);
  }
  return out;
}

/** A client's PA-ENCRYPTED-CHALLENGE (RFC 6113 5.4.6), under KRB-FX-CF2(armor key, the client's key). */
function challengeJson(keys: readonly KeytabEntry[], value: Uint8Array, armorKey: Key, client: string): Json {
  let enc: EncryptedData;
  try {
    enc = decodeEncryptedData(value);
  } catch (e) {
    return { error: failure(e) };
  }
  const wanted = client.toLowerCase();
  for (const e of keys) {
    if (e.key.etype !== enc.etype || principalOf(e.principal.name, e.principal.realm) !== wanted) continue;
    const challengeKey = clientChallengeKey(armorKey, { etype: e.key.etype, bytes: e.key.bytes });
    const plain = openWith(challengeKey, KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT, enc.cipher);
    if (plain !== undefined) return valueJson(() => valueToJson('PA-ENC-TS-ENC', decodePaEncTsEnc(plain)));
  }
  return { error: `no key of ${client} in the keytab opens it (etype ${enc.etype})` };
}

/**
 * What the keytab's keys open in `msg`, as the `decrypted` member `krbsim decode --keytab` adds
 * beside the message; undefined for a message with nothing a keytab could open.
 */
export function decryptedJson(msg: KrbMessage, keys: readonly KeytabEntry[]): Json | undefined {
  switch (msg.type) {
    case 'Ticket':
      return ticketJson(keys, msg.value).json;
    case 'AP-REQ':
      return apReqJson(keys, msg.value, KeyUsage.AP_REQ_AUTH).json;
    case 'KRB-CRED':
      return {
        tickets: msg.value.tickets.map((t) => ticketJson(keys, t).json),
        ...credPartJson(msg.value.encPart, undefined),
      };
    case 'AS-REP':
    case 'TGS-REP': {
      const out: Record<string, Json> = { ...ticketJson(keys, msg.value.ticket).json };
      if (msg.type === 'AS-REP') {
        const client = formatPrincipal(msg.value.cname, msg.value.crealm);
        const got = open(keys, msg.value.encPart, KeyUsage.AS_REP_ENCPART, client, "the reply's enc-part");
        const armored = msg.value.padata?.some((p) => p.padataType === PaDataType.PA_FX_FAST) ?? false;
        if (opened(got)) out.encPart = partJson(got.plain).json;
        // RFC 6113 5.4.3: an armored reply with a strengthen key is sealed with a key no keytab holds.
        else if (armored)
          out.encPartError = `${got.error}; an armored reply is sealed with FAST's strengthened reply key`;
        else out.encPartError = got.error;
      }
      return out;
    }
    case 'AS-REQ': {
      const { reqBody, padata = [] } = msg.value;
      const client = reqBody.cname === undefined ? undefined : formatPrincipal(reqBody.cname, reqBody.realm);
      const out: Record<string, Json> = {};
      const ts = padata.find((p) => p.padataType === PaDataType.PA_ENC_TIMESTAMP);
      if (ts !== undefined && client !== undefined)
        Object.assign(out, encTimestampJson(keys, ts.padataValue, client));
      const fx = padata.find((p) => p.padataType === PaDataType.PA_FX_FAST);
      if (fx !== undefined) out.fast = fastJson(keys, fx.padataValue, undefined, client);
      return Object.keys(out).length === 0 ? undefined : out;
    }
    case 'TGS-REQ': {
      const padata = msg.value.padata ?? [];
      const pa = padata.find((p) => p.padataType === PaDataType.PA_TGS_REQ);
      if (pa === undefined) return undefined;
      let apReq: ApReq;
      try {
        apReq = decodeApReq(pa.padataValue);
      } catch (e) {
        return { paTgsReqError: failure(e) };
      }
      const ap = apReqJson(keys, apReq, KeyUsage.TGS_REQ_AUTH);
      const out: Record<string, Json> = { ...ap.json };
      const ad = msg.value.reqBody.encAuthorizationData;
      const adKey = ap.subkey ?? ap.sessionKey;
      if (ad !== undefined && adKey !== undefined) {
        // RFC 4120 5.4.1: sealed with the authenticator's subkey if it has one, else the TGT's session key.
        const plain = openWith(
          adKey,
          ap.subkey === undefined ? KeyUsage.TGS_REQ_AD_SESSKEY : KeyUsage.TGS_REQ_AD_SUBKEY,
          ad.cipher,
        );
        if (plain === undefined) {
          out.encAuthorizationDataError =
            'the key the authenticator gives does not open enc-authorization-data';
        } else {
          out.encAuthorizationData = valueJson(() =>
            valueToJson('AuthorizationData', decodeAuthorizationData(plain)),
          );
        }
      }
      const fx = padata.find((p) => p.padataType === PaDataType.PA_FX_FAST);
      if (fx !== undefined) {
        // RFC 6113 5.4.1.1: a TGS-REQ's armor is implicit, the PA-TGS-REQ's subkey and its ticket's session key.
        const implicit =
          ap.subkey !== undefined && ap.sessionKey !== undefined
            ? fastArmorKey(ap.subkey, ap.sessionKey)
            : undefined;
        out.fast = fastJson(keys, fx.padataValue, implicit, undefined);
      }
      return out;
    }
    default:
      return undefined;
  }
}
