/**
 * `krbsim decode`: print a Kerberos message (any RFC 4120 message, a
 * GSS-API krb5 or SPNEGO token, an MS-KKDCP KDC-PROXY-MESSAGE, an RFC 3244
 * kpasswd request or reply) as JSON, or,
 * for DER that is no known message, the generic DER tree.
 *
 * @module
 */

import {
  decodeDerTree,
  decodeKdcProxyMessage,
  decodeKpasswdMessage,
  decodeMessage,
  decodeNegotiationToken,
  GssOid,
  isAsn1Error,
  type Json,
  KpasswdVersion,
  unwrapGssToken,
  unwrapKrb5Token,
} from '@krbsim/asn1';
import { type KeytabEntry, readKeytabFile } from '@krbsim/files';
import { parseCommand, usageError } from './args';
import {
  DecodeFileError,
  DecodeInputError,
  type InputEncoding,
  parseDecodeInput,
  stripTcpPrefix,
} from './decode-input';
import { decryptedJson, redactedMessageJson } from './decode-keys';
import { type CliIo, ExitCode } from './io';

export { type DecodeInputOptions, parseDecodeInput } from './decode-input';

export const DECODE_USAGE = `Usage: krbsim decode <hex|base64|@file> [options]

Decode a Kerberos message and print it as JSON: AS-REQ/REP, TGS-REQ/REP,
AP-REQ/REP, KRB-ERROR, KRB-SAFE/PRIV/CRED, a bare Ticket, a GSS-API krb5 or
SPNEGO token, an RFC 4121 Wrap/MIC token, an MS-KKDCP KDC-PROXY-MESSAGE, or
an RFC 3244 kpasswd request or reply (its header, AP-REQ or AP-REP, KRB-PRIV
or KRB-ERROR). DER that is none of these is printed as a generic DER tree. A
4-byte TCP length prefix is removed.

Input:
  <hex>           e.g. 6a81a73081a4a103020105... (spaces, colons, 0x allowed)
  <base64>        e.g. YIIC... (also base64url, and 'Negotiate <token>')
  @<file>         a file of raw bytes, or of hex or base64 text; @- reads stdin

Options:
  --hex           the input is hex (no guessing)
  --base64        the input is base64 (no guessing)
  --tree          print the generic DER tree even for a known message (every
                  byte as it is: keys in a cleartext part are not redacted)
  --compact       one-line JSON
  --keytab <file> decrypt with an MIT keytab's keys (repeatable), as
                  Wireshark's -K: a
                  ticket (its EncTicketPart, its PAC with the signatures
                  checked), an AP-REQ's authenticator, a TGS-REQ's and its
                  enc-authorization-data, an AS-REQ's PA-ENC-TIMESTAMP and an
                  AS-REP's enc-part under the client's key, a FAST request's
                  armor, KrbFastReq and encrypted challenge; added as
                  "decrypted" beside the message
  -h, --help      show this help

Keys never print, with or without --keytab: every EncryptionKey shows as
<redacted N bytes>; a KRB-CRED's cleartext (etype 0) enc-part and a GSS
checksum's delegation show decoded, never as hex.

Exit codes: 0 decoded, 1 the input is not valid (one line naming the field,
e.g. AS-REQ.req-body.sname.name-string[1]: ..., or odd-length hex), 2 bad
arguments or an @file that cannot be read.
`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const MECH_NAMES: Record<string, string> = {
  [GssOid.KRB5]: 'krb5',
  [GssOid.MS_KRB5]: 'krb5 (Microsoft legacy OID)',
  [GssOid.SPNEGO]: 'spnego',
  [GssOid.NTLMSSP]: 'ntlmssp',
  [GssOid.KRB5_U2U]: 'krb5 user-to-user',
};

const TOK_IDS: Record<number, string> = { 256: 'KRB_AP_REQ', 512: 'KRB_AP_REP', 768: 'KRB_ERROR' };

const mech = (oid: string): Json => (MECH_NAMES[oid] ? { oid, name: MECH_NAMES[oid] } : oid);

/** The keys `--keytab` gave (none: nothing is decrypted). */
type Keys = readonly KeytabEntry[];

/**
 * A Kerberos message (APPLICATION-tagged) as JSON: `{ type, value }` with the codec's JSON form,
 * and with keys what they open in it (`decrypted`).
 */
function kerberosJson(bytes: Uint8Array, keys: Keys): Json {
  const message = decodeMessage(bytes);
  // Keys redacted even without a keytab: a bare EncTicketPart, or a KRB-CRED sent in the clear.
  const json = redactedMessageJson(message) as Record<string, Json>;
  if (keys.length === 0) return json;
  const decrypted = decryptedJson(message, keys);
  return decrypted === undefined ? json : { ...json, decrypted };
}

/** A GSS-API krb5 token (RFC 4121 section 4.1) as JSON. */
function krb5TokenJson(bytes: Uint8Array, keys: Keys): Json {
  const t = unwrapKrb5Token(bytes);
  return {
    type: 'GSS-API krb5 token',
    mech: mech(t.mech),
    tokId: TOK_IDS[t.tokId] ?? t.tokId,
    message: kerberosJson(t.message, keys),
  };
}

/** A mechanism token carried inside SPNEGO: decoded when it is krb5, else hex. */
function innerTokenJson(bytes: Uint8Array, keys: Keys): Json {
  if (bytes[0] === 0x60) {
    const { thisMech } = unwrapGssToken(bytes);
    if (thisMech === GssOid.KRB5 || thisMech === GssOid.MS_KRB5) return krb5TokenJson(bytes, keys);
    return { type: 'GSS-API token', mech: mech(thisMech), hex: hex(bytes) };
  }
  if ((bytes[0]! & 0xe0) === 0x60) return kerberosJson(bytes, keys);
  return { hex: hex(bytes) };
}

/** A SPNEGO NegotiationToken (RFC 4178), framed or bare, as JSON. */
function spnegoJson(bytes: Uint8Array, keys: Keys): Json {
  const t = decodeNegotiationToken(bytes);
  if ('negTokenInit' in t) {
    const i = t.negTokenInit;
    return {
      type: i.negHints === undefined ? 'SPNEGO NegTokenInit' : 'SPNEGO NegTokenInit2',
      mechTypes: i.mechTypes.map(mech),
      ...(i.reqFlags !== undefined && { reqFlags: i.reqFlags }),
      ...(i.mechToken !== undefined && { mechToken: innerTokenJson(i.mechToken, keys) }),
      ...(i.negHints !== undefined && {
        negHints: {
          ...(i.negHints.hintName !== undefined && { hintName: i.negHints.hintName }),
          ...(i.negHints.hintAddress !== undefined && { hintAddress: hex(i.negHints.hintAddress) }),
        },
      }),
      ...(i.mechListMic !== undefined && { mechListMic: hex(i.mechListMic) }),
    };
  }
  const r = t.negTokenResp;
  const states = ['accept-completed', 'accept-incomplete', 'reject', 'request-mic'];
  return {
    type: 'SPNEGO NegTokenResp',
    ...(r.negState !== undefined && { negState: states[r.negState] ?? r.negState }),
    ...(r.supportedMech !== undefined && { supportedMech: mech(r.supportedMech) }),
    ...(r.responseToken !== undefined && { responseToken: innerTokenJson(r.responseToken, keys) }),
    ...(r.mechListMic !== undefined && { mechListMic: hex(r.mechListMic) }),
  };
}

/** An MS-KKDCP KDC-PROXY-MESSAGE, with the Kerberos message inside decoded. */
function kdcProxyJson(bytes: Uint8Array, keys: Keys): Json {
  const m = decodeKdcProxyMessage(bytes);
  const inner = stripTcpPrefix(m.kerbMessage);
  return {
    type: 'KDC-PROXY-MESSAGE',
    kerbMessage: inner === undefined ? { hex: hex(m.kerbMessage) } : kerberosJson(inner, keys),
    ...(m.targetDomain !== undefined && { targetDomain: m.targetDomain }),
    ...(m.dclocatorHint !== undefined && { dclocatorHint: m.dclocatorHint }),
  };
}

/**
 * A kpasswd message (RFC 3244 section 2): its header's version and the
 * Kerberos messages it frames (the result itself is sealed in the KRB-PRIV).
 * Undefined unless the header holds (its length the message's, version 1 or
 * 0xff80) and an AP-REQ or AP-REP follows it, or a KRB-ERROR without one.
 */
function kpasswdJson(bytes: Uint8Array, keys: Keys): Json | undefined {
  let m: ReturnType<typeof decodeKpasswdMessage>;
  try {
    m = decodeKpasswdMessage(bytes);
  } catch {
    return undefined;
  }
  if (m.version !== KpasswdVersion.CHANGE_PASSWORD && m.version !== KpasswdVersion.SET_PASSWORD)
    return undefined;
  const framed = m.ap.length > 0 ? m.ap[0] === 0x6e || m.ap[0] === 0x6f : m.rest[0] === 0x7e;
  if (!framed) return undefined;
  return {
    type: 'kpasswd',
    version: m.version,
    ...(m.ap.length > 0 && { ap: kerberosJson(m.ap, keys) }),
    message: kerberosJson(m.rest, keys),
  };
}

/**
 * RFC 4121 section 4.2.6 per-message tokens (GSS_Wrap and GSS_GetMIC, which
 * carry no DER): the 16-octet header, and the rest as hex (it is encrypted or
 * a checksum). Undefined when `bytes` is not one.
 */
function perMessageTokenJson(bytes: Uint8Array): Json | undefined {
  if (bytes.length < 16) return undefined;
  const wrap = bytes[0] === 0x05 && bytes[1] === 0x04;
  const mic = bytes[0] === 0x04 && bytes[1] === 0x04;
  if (!wrap && !mic) return undefined;
  const flagByte = bytes[2]!;
  const flags = [
    ...(flagByte & 0x01 ? ['SentByAcceptor'] : []),
    ...(flagByte & 0x02 ? ['Sealed'] : []),
    ...(flagByte & 0x04 ? ['AcceptorSubkey'] : []),
  ];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seq = view.getBigUint64(8);
  return {
    type: wrap ? 'GSS-API krb5 Wrap token' : 'GSS-API krb5 MIC token',
    tokId: wrap ? '0504' : '0404',
    flags,
    ...(wrap
      ? { ec: view.getUint16(4), rrc: view.getUint16(6) }
      : { filler: Buffer.from(bytes.subarray(3, 8)).toString('hex') }),
    sndSeq: seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : seq.toString(),
    [wrap ? 'data' : 'checksum']: hex(bytes.subarray(16)),
  };
}

/** The generic DER tree, for DER that is none of the known messages. */
function treeJson(bytes: Uint8Array): Json {
  return { type: 'DER', tree: decodeDerTree(bytes) as unknown as Json };
}

/** Options for {@link decodeToJson}. */
export interface DecodeJsonOptions {
  /** Print the generic DER tree even for a known message. */
  readonly tree?: boolean;
  /**
   * A keytab's entries: what their keys open is added beside each message as `decrypted` (see
   * `--keytab`), keys redacted.
   */
  readonly keys?: readonly KeytabEntry[];
}

/**
 * Decode `bytes` to the JSON `krbsim decode` prints. The first octet picks
 * the decoder: `0x60` a GSS-API token (krb5 or SPNEGO), `0xa0`/`0xa1` a bare
 * SPNEGO token, another APPLICATION tag a Kerberos message, a SEQUENCE a
 * KDC-PROXY-MESSAGE (or, if it is not one, the DER tree), `05 04`/`04 04` an
 * RFC 4121 Wrap or MIC token, anything else the DER tree. A 4-byte TCP length prefix is removed first.
 *
 * @throws Asn1Error naming the field when the bytes claim a known message
 *   (or are DER at all) but do not decode.
 */
export function decodeToJson(bytes: Uint8Array, options: DecodeJsonOptions = {}): Json {
  const keys = options.keys ?? [];
  const message = stripTcpPrefix(bytes) ?? bytes;
  if (options.tree) return treeJson(message);
  const tag = message[0];
  if (tag === 0x60) {
    const { thisMech } = unwrapGssToken(message);
    if (thisMech === GssOid.SPNEGO) return spnegoJson(message, keys);
    if (thisMech === GssOid.KRB5 || thisMech === GssOid.MS_KRB5) return krb5TokenJson(message, keys);
    return {
      type: 'GSS-API token',
      mech: mech(thisMech),
      innerToken: hex(unwrapGssToken(message).innerToken),
    };
  }
  if (tag === 0xa0 || tag === 0xa1) {
    try {
      return spnegoJson(message, keys);
    } catch (e) {
      if (!isAsn1Error(e)) throw e;
      return treeJson(message);
    }
  }
  if (tag !== undefined && (tag & 0xe0) === 0x60) return kerberosJson(message, keys);
  // kpasswd's header, never a DER tag: its own length, then version 1 or 0xff80.
  const kpasswd = kpasswdJson(message, keys);
  if (kpasswd !== undefined) return kpasswd;
  const perMessage = perMessageTokenJson(message);
  if (perMessage !== undefined) return perMessage;
  if (tag === 0x30) {
    try {
      return kdcProxyJson(message, keys);
    } catch (e) {
      if (!isAsn1Error(e)) throw e;
      return treeJson(message);
    }
  }
  return treeJson(message);
}

/** Run `krbsim decode`; resolves with the exit code. */
export async function decodeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand<{
    hex?: boolean;
    base64?: boolean;
    tree?: boolean;
    compact?: boolean;
    keytab?: string[];
  }>(
    'decode',
    argv,
    {
      hex: { type: 'boolean' },
      base64: { type: 'boolean' },
      tree: { type: 'boolean' },
      compact: { type: 'boolean' },
      keytab: { type: 'string', multiple: true },
    },
    DECODE_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || (values.hex && values.base64)) {
    io.stderr(
      usageError('decode', 'expected one input (hex, base64 or @file) and at most one of --hex, --base64'),
    );
    return ExitCode.usage;
  }
  const encoding: InputEncoding = values.hex ? 'hex' : values.base64 ? 'base64' : 'auto';
  const keys: KeytabEntry[] = [];
  for (const path of values.keytab ?? []) {
    try {
      keys.push(...(await readKeytabFile(path)).entries);
    } catch (e) {
      io.stderr(`krbsim decode: cannot read the keytab ${path}: ${(e as Error).message}\n`);
      return ExitCode.usage;
    }
  }
  try {
    const bytes = await parseDecodeInput(positionals[0]!, { encoding });
    const json = decodeToJson(bytes, { tree: values.tree === true, keys });
    io.stdout(`${JSON.stringify(json, null, values.compact ? undefined : 2)}\n`);
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof DecodeInputError) {
      io.stderr(`krbsim decode: ${e.message}\n`);
      return e instanceof DecodeFileError ? ExitCode.usage : ExitCode.failure;
    }
    if (isAsn1Error(e)) {
      const at = e.offset >= 0 ? ` (at byte ${e.offset})` : '';
      io.stderr(`krbsim decode: ${e.path === '' ? e.reason : `${e.path}: ${e.reason}`}${at}\n`);
      return ExitCode.failure;
    }
    throw e;
  }
}
