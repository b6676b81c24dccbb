/**
 * The declaration language for the RFC 4120 section 5 ASN.1 module (and the
 * RFC 6113, MS-SFU, MS-KILE, MS-KKDCP and RFC 4178 additions): each message
 * type is declared once as a tree of these nodes, and both its decoder and its
 * encoder are generated from that one declaration (see `compile.ts`).
 *
 * - primitives ({@link int32}, {@link kerberosString}, {@link kerberosTime}, ...)
 * - {@link seq} with {@link field}s carrying EXPLICIT context tags `[n]`
 *   (RFC 4120 section 5 uses `DEFINITIONS EXPLICIT TAGS`), {@link optional}
 * - {@link seqOf}, {@link app} (`[APPLICATION n]`), {@link choice}
 *
 * Field keys are the ASN.1 names in camelCase (`renew-till` is `renewTill`).
 *
 * @module
 */

import type { IntegerForm } from '../types/basic';

/** How a primitive is rendered by `messageToJson`. */
type JsonKind = 'int' | 'time' | 'bytes' | 'string' | 'flags' | 'bool' | 'oid' | 'raw' | 'bits';

/** A primitive: one universal TLV read and written by a runtime function of `der/`. */
export interface PrimNode {
  readonly kind: 'prim';
  /** The ASN.1 type name, for messages and docs. */
  readonly asn: string;
  /** The runtime decode and encode function names (see `compile.ts`). */
  readonly dec: string;
  readonly enc: string;
  /** For opaque DER values: the tag the value must start with. */
  readonly rawTag?: number;
  /** Set on the `msg-type` field: its value must equal the APPLICATION tag number. */
  readonly msgType?: boolean;
  readonly json: JsonKind;
  /** Names for numbers (`NameType`, `EncType`...) or flag bits, for JSON. */
  readonly names?: Readonly<Record<string, number>>;
  /** Name lookup that is not a table, e.g. error codes. */
  readonly nameOf?: (v: number) => string | undefined;
  /**
   * Set on the UInt32 primitives: the form the encoder writes a value of
   * 2^31 or more in when the value does not say (see {@link Field.formKey}).
   */
  readonly uintForm?: IntegerForm;
}

/** One component of a SEQUENCE (or one alternative of a CHOICE): `name [tag] Type OPTIONAL`. */
export interface Field {
  /** The context tag number `n` of `[n]`. */
  readonly tag: number;
  /** The ASN.1 component name, used in error paths (`req-body`). */
  readonly asn: string;
  /** The property name in the TypeScript type (`reqBody`). */
  readonly key: string;
  readonly node: Node;
  readonly optional: boolean;
  /** When set, the decoder also stores the DER bytes of the value under this key. */
  readonly rawKey?: string;
  /**
   * Set for every UInt32 component (`<key>Form`, e.g. `nonceForm`). A value
   * of 2^31 or more has two DER forms: the canonical unsigned one (`02 05 00
   * 94 70 9c 33`) and the 32-bit two's complement that implementations
   * declaring the field Int32 write (MIT's and Heimdal's nonces, `02 04 94 70 9c 33`).
   * The decoder stores the form it read under this key when it is not the
   * primitive's `uintForm` (else `undefined`), and the encoder writes the
   * form stored there, so every accepted input re-encodes to its own bytes.
   */
  readonly formKey?: string;
  /**
   * `[n] IMPLICIT OCTET STRING` (the RFC 4556 module mixes these into its
   * EXPLICIT-tagged types): the context tag replaces the OCTET STRING's own,
   * primitive (`0x80 | n`).
   */
  readonly implicit?: boolean;
}

/** `SEQUENCE { ... }` with explicitly tagged components. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly name: string;
  readonly fields: readonly Field[];
  /** The type has an extension marker `...`: unknown higher-numbered trailing components are skipped. */
  readonly ext: boolean;
  /** Set by {@link app} with `record`: the property receiving the APPLICATION tag number. */
  appKey?: string;
  /** Optional JSON post-processing (decoding known nested values for traces). */
  jsonHook?: (value: Record<string, unknown>, out: Record<string, unknown>) => void;
}

/** `SEQUENCE [SIZE (min..MAX)] OF T`. */
export interface SeqOfNode {
  readonly kind: 'seqOf';
  readonly name: string;
  readonly of: Node;
  readonly min: number;
}

/**
 * `[APPLICATION n] T`. `link` says how the tag number relates to the value:
 * `msgType` (equals its `msg-type` field), `record` (kept in `seq.appKey`) or
 * `none` (fixed).
 */
export interface AppNode {
  readonly kind: 'app';
  readonly tags: readonly number[];
  readonly of: SeqNode;
  readonly link: 'msgType' | 'record' | 'none';
}

/** `CHOICE { a [0] A, b [1] B }`: an object with exactly one of the alternative keys. */
export interface ChoiceNode {
  readonly kind: 'choice';
  readonly name: string;
  readonly alts: readonly Field[];
}

/** Any declaration node. */
export type Node = PrimNode | SeqNode | SeqOfNode | AppNode | ChoiceNode;

const prim = (asn: string, dec: string, enc: string, json: JsonKind): PrimNode => ({
  kind: 'prim',
  asn,
  dec,
  enc,
  json,
});

/** `Int32 ::= INTEGER (-2147483648..2147483647)`. */
export const int32: PrimNode = prim('Int32', 'dInt32', 'eInt32', 'int');
/**
 * `UInt32 ::= INTEGER (0..4294967295)`, written in canonical unsigned form
 * (negative Int32 accepted on decode, see `dUInt32`, and its form kept, see
 * {@link Field.formKey}).
 */
export const uint32: PrimNode = { ...prim('UInt32', 'dUInt32', 'eUInt32', 'int'), uintForm: 'unsigned' };
/**
 * `nonce UInt32` (KDC-REQ-BODY, EncKDCRepPart, EncKrbCredPart, KrbFastResponse,
 * S4UUserID, PKAuthenticator, KDCDHKeyInfo), written signed as MIT writes it
 * and its decoders require (they read nonces as Int32, and refuse `02 05 00
 * 94 70 9c 33`); the unsigned form read is kept, see {@link Field.formKey}.
 */
export const nonce: PrimNode = { ...prim('UInt32', 'dUInt32', 'eNonce', 'int'), uintForm: 'signed' };
/** `kvno [1] UInt32`, written signed as MIT does (the unsigned form read is kept, see {@link Field.formKey}). */
export const kvno: PrimNode = { ...prim('UInt32', 'dUInt32', 'eKvno', 'int'), uintForm: 'signed' };
/** `Microseconds ::= INTEGER (0..999999)`. */
export const microseconds: PrimNode = prim('Microseconds', 'dMicro', 'eMicro', 'int');
/** `INTEGER (5)`: pvno, tkt-vno, authenticator-vno. Other values are `KRB_AP_ERR_BADVERSION`. */
export const vno: PrimNode = prim('INTEGER (5)', 'dVno', 'eVno', 'int');
/** `msg-type INTEGER`, checked against the enclosing APPLICATION tag (`KRB_AP_ERR_MSG_TYPE`). */
export const msgType: PrimNode = { ...prim('INTEGER', 'dInt32', 'eInt32', 'int'), msgType: true };
/** `KerberosString ::= GeneralString (IA5String)`, carried as UTF-8. */
export const kerberosString: PrimNode = prim('GeneralString', 'dStr', 'eStr', 'string');
/**
 * `Realm ::= KerberosString`.
 *
 * @alias
 */
export const realm: PrimNode = kerberosString;
/** `OCTET STRING`. */
export const octetString: PrimNode = prim('OCTET STRING', 'dOct', 'eOct', 'bytes');
/** `KerberosTime ::= GeneralizedTime -- with no fractional seconds`. */
export const kerberosTime: PrimNode = prim('KerberosTime', 'dTime', 'eTime', 'time');
/** `BOOLEAN`. */
export const boolean: PrimNode = prim('BOOLEAN', 'dBool', 'eBool', 'bool');
/** `OBJECT IDENTIFIER`, as dotted text. */
export const oid: PrimNode = prim('OBJECT IDENTIFIER', 'dOid', 'eOid', 'oid');
/** `ENUMERATED`, as an Int32. */
export const enumerated: PrimNode = prim('ENUMERATED', 'dEnum', 'eEnum', 'int');
/** A named-bit `BIT STRING` encoded with trailing zero bits removed (SPNEGO ContextFlags). */
export const namedBits: PrimNode = prim('BIT STRING', 'dBits', 'eBits', 'bits');

/** `KerberosFlags ::= BIT STRING (SIZE (32..MAX))`, named by `table` in JSON. */
export function kerberosFlags(table: Readonly<Record<string, number>>): PrimNode {
  return { ...prim('KerberosFlags', 'dFlags', 'eFlags', 'flags'), names: table };
}

/** A primitive whose numbers have names (etypes, name types...) for JSON. */
export function named(
  p: PrimNode,
  names: Readonly<Record<string, number>> | ((v: number) => string | undefined),
): PrimNode {
  return typeof names === 'function' ? { ...p, nameOf: names } : { ...p, names };
}

/**
 * A value kept as its DER bytes (a whole TLV starting with `tag`, or with any
 * single-octet tag when `tag` is -1), e.g. KrbFastReq's req-body.
 */
export function derOf(asn: string, tag = 0x30): PrimNode {
  return { ...prim(asn, 'dRaw', 'eRaw', 'raw'), rawTag: tag };
}

/** `"renew-till"` to `"renewTill"`. */
function camel(asn: string): string {
  return asn.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A component `asn [tag] node`; the key is the camelCase of `asn` unless given. */
export function field(
  tag: number,
  asn: string,
  node: Node,
  opts: { key?: string; rawKey?: string } = {},
): Field {
  if (tag < 0 || tag > 30) throw new Error(`context tag ${tag} out of range`);
  const key = opts.key ?? camel(asn);
  const formKey = node.kind === 'prim' && node.uintForm !== undefined ? `${key}Form` : undefined;
  return { tag, asn, key, node, optional: false, rawKey: opts.rawKey, formKey };
}

/** `asn [tag] IMPLICIT OCTET STRING` (RFC 4556's signedAuthPack, dhSignedData...). */
export function implicitOctets(tag: number, asn: string): Field {
  return { ...field(tag, asn, octetString), implicit: true };
}

/** Marks a component OPTIONAL. */
export function optional(f: Field): Field {
  return { ...f, optional: true };
}

/** `SEQUENCE { fields }`. Tags must be strictly increasing (as in every Kerberos type). */
export function seq(name: string, fields: readonly Field[], opts: { ext?: boolean } = {}): SeqNode {
  for (let i = 1; i < fields.length; i++) {
    if (fields[i]!.tag <= fields[i - 1]!.tag) throw new Error(`${name}: field tags must increase`);
  }
  return { kind: 'seq', name, fields, ext: opts.ext ?? false };
}

/** `SEQUENCE SIZE (min..MAX) OF of`. */
export function seqOf(name: string, of: Node, opts: { min?: number } = {}): SeqOfNode {
  return { kind: 'seqOf', name, of, min: opts.min ?? 0 };
}

/** `[APPLICATION n] SEQUENCE`; see {@link AppNode} for `link`. */
export function app(
  tags: number | readonly number[],
  of: SeqNode,
  link: AppNode['link'] = 'none',
  appKey = 'appTag',
): AppNode {
  const list = typeof tags === 'number' ? [tags] : tags;
  if (link === 'record') of.appKey = appKey;
  return { kind: 'app', tags: list, of, link };
}

/** `CHOICE { alternatives }`, each explicitly tagged. */
export function choice(name: string, alts: readonly Field[]): ChoiceNode {
  return { kind: 'choice', name, alts };
}
