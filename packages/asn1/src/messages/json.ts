/**
 * `messageToJson`: any decoded Kerberos message as plain JSON for traces and
 * logs, with the opaque values that have a known layout decoded in place:
 * PA-DATA values by padata-type (`padataValueDecoded`), authorization-data
 * containers (`adDataDecoded`) and KRB-ERROR e-data (`eDataDecoded`). A value
 * that does not decode is left as hex with `...DecodedError` beside it.
 *
 * Decoded values nest (e-data holds a PA-FX-ERROR, which is a KRB-ERROR with
 * e-data...; AD-IF-RELEVANT holds authorization data), so the output is
 * bounded two ways: at `maxDepth` nested decoded values the next one is left
 * as hex with `...DecodedError: 'nests deeper than maxDepth 32'`, and a value
 * shown decoded keeps only the first 64 bytes of its hex (`padataValue:
 * '3081...'`, `padataValueLength: 1234`), so the JSON stays within a small
 * factor of the input's size.
 *
 * @module
 */

import { Asn1Error } from '../der/errors';
import { AdType } from '../iana/ad-type';
import { PaDataType } from '../iana/pa-data-type';
import { Codec, DEFAULT_MAX_DEPTH } from '../schema/codec';
import { type Json, type JsonHooks, toJson } from '../schema/json';
import type { Node, SeqNode } from '../schema/nodes';
import type { KrbMessage, KrbMessageType } from '../types/message';
import { ApReqDef } from './ap-req';
import { AdAndOrDef, AdKdcIssuedDef } from './authorization-data';
import {
  AuthorizationDataDef,
  AuthorizationDataEntryDef,
  ChecksumDef,
  EncryptedDataDef,
  EncryptionKeyDef,
  EtypeListDef,
  HostAddressDef,
  HostAddressesDef,
  LastReqDef,
  MethodDataDef,
  PaDataDef,
  PrincipalNameDef,
  TransitedEncodingDef,
} from './basic';
import {
  KrbFastArmorDef,
  KrbFastArmoredRepDef,
  KrbFastArmoredReqDef,
  KrbFastFinishedDef,
  KrbFastReqDef,
  KrbFastResponseDef,
  PaFxFastReplyDef,
  PaFxFastRequestDef,
} from './fast';
import { KdcProxyMessageDef } from './kdc-proxy';
import { KdcReqBodyDef } from './kdc-req';
import { KrbErrorDef, TypedDataDef } from './krb-error';
import { KrbSafeBodyDef } from './krb-safe';
import { messageNode } from './message';
import {
  EtypeInfo2Def,
  EtypeInfoDef,
  PaEncTsEncDef,
  PaForUserDef,
  PaPacOptionsDef,
  PaPacRequestDef,
  PaS4uX509UserDef,
} from './padata';
import { KerbAdRestrictionsDef } from './token-restrictions';

const codecs = new Map<Node, Codec<unknown>>();
function decodeWith(node: Node, bytes: Uint8Array): unknown {
  let c = codecs.get(node);
  if (c === undefined) {
    c = new Codec<unknown>((node as { name?: string }).name ?? 'value', node);
    codecs.set(node, c);
  }
  return c.decode(bytes);
}

const PA_VALUES: ReadonlyMap<number, readonly Node[]> = new Map<number, readonly Node[]>([
  [PaDataType.PA_TGS_REQ, [ApReqDef]],
  [PaDataType.PA_ENC_TIMESTAMP, [EncryptedDataDef]],
  [PaDataType.PA_ETYPE_INFO, [EtypeInfoDef]],
  [PaDataType.PA_ETYPE_INFO2, [EtypeInfo2Def]],
  [PaDataType.PA_PAC_REQUEST, [PaPacRequestDef]],
  [PaDataType.PA_FOR_USER, [PaForUserDef]],
  [PaDataType.PA_FOR_X509_USER, [PaS4uX509UserDef]],
  [PaDataType.PA_FX_FAST, [PaFxFastRequestDef, PaFxFastReplyDef]],
  [PaDataType.PA_FX_ERROR, [KrbErrorDef]],
  [PaDataType.PA_ENCRYPTED_CHALLENGE, [EncryptedDataDef]],
  [PaDataType.PA_REQ_ENC_PA_REP, [ChecksumDef]],
  [PaDataType.PA_PAC_OPTIONS, [PaPacOptionsDef]],
]);

const AD_VALUES: ReadonlyMap<number, Node> = new Map<number, Node>([
  [AdType.AD_IF_RELEVANT, AuthorizationDataDef],
  [AdType.AD_MANDATORY_FOR_KDC, AuthorizationDataDef],
  [AdType.AD_KDC_ISSUED, AdKdcIssuedDef],
  [AdType.AD_AND_OR, AdAndOrDef],
  [AdType.AD_ETYPE_NEGOTIATION, EtypeListDef],
  [AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS, KerbAdRestrictionsDef],
]);

/** Options of {@link messageToJson} and {@link valueToJson}. */
export interface JsonOptions {
  /**
   * How many opaque values nested in one another are shown decoded; the next
   * one is left as hex. Default {@link DEFAULT_MAX_DEPTH} (32).
   */
  readonly maxDepth?: number;
}

/**
 * The hooks for a depth limit: each tries the declarations of a field's
 * bytes in turn and puts the JSON of the first that decodes under
 * `<field>Decoded` (else the first error under `<field>DecodedError`).
 */
function makeHooks(maxDepth: number): JsonHooks {
  const decoded = (
    nodes: readonly Node[],
    bytes: unknown,
    out: Record<string, Json>,
    field: string,
    depth: number,
  ): void => {
    // Empty values are signals ("I support this"), not encodings.
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) return;
    const key = `${field}Decoded`;
    // `!(<)`: a maxDepth that is not a number stops here too.
    if (!(depth < maxDepth)) {
      out[`${key}Error`] = `nests deeper than maxDepth ${maxDepth}`;
      return;
    }
    let err: string | undefined;
    for (const n of nodes) {
      try {
        out[key] = toJson(n, decodeWith(n, bytes), hooks, depth + 1);
        return;
      } catch (x) {
        err ??= x instanceof Asn1Error ? x.message : String(x);
      }
    }
    if (err !== undefined) out[`${key}Error`] = err;
  };
  const hooks: JsonHooks = new Map<
    SeqNode,
    (v: Record<string, unknown>, out: Record<string, Json>, depth: number) => void
  >([
    [
      PaDataDef,
      (v, out, depth) => {
        const nodes = PA_VALUES.get(v.padataType as number);
        if (nodes !== undefined) decoded(nodes, v.padataValue, out, 'padataValue', depth);
      },
    ],
    [
      AuthorizationDataEntryDef,
      (v, out, depth) => {
        const node = AD_VALUES.get(v.adType as number);
        if (node !== undefined) decoded([node], v.adData, out, 'adData', depth);
      },
    ],
    [
      KrbErrorDef.of,
      (v, out, depth) => {
        if (v.eData !== undefined) decoded([MethodDataDef, TypedDataDef], v.eData, out, 'eData', depth);
      },
    ],
  ]);
  return hooks;
}

const DEFAULT_HOOKS = makeHooks(DEFAULT_MAX_DEPTH);

function hooksFor(options: JsonOptions | undefined): JsonHooks {
  const max = options?.maxDepth;
  return max === undefined || max === DEFAULT_MAX_DEPTH ? DEFAULT_HOOKS : makeHooks(max);
}

/**
 * Renders a decoded message as plain JSON for traces: `{ type, ...fields }`
 * with bytes as hex, times as ISO 8601, flags as name arrays, numbers with
 * `<key>Name` siblings, and known nested values decoded, at most
 * `options.maxDepth` (default 32) within one another (see the module notes).
 */
export function messageToJson(msg: KrbMessage, options?: JsonOptions): { type: string; [key: string]: Json } {
  const body = toJson(messageNode(msg.type), msg.value, hooksFor(options)) as Record<string, Json>;
  return { type: msg.type, ...body };
}

/**
 * The names `valueToJson` accepts: every message type, and the other declared
 * types below. Spelled out (rather than `keyof typeof` the table) so that the
 * published types name strings, not the codec's schema nodes.
 */
export type JsonTypeName =
  | KrbMessageType
  | 'PrincipalName'
  | 'EncryptedData'
  | 'EncryptionKey'
  | 'Checksum'
  | 'HostAddress'
  | 'HostAddresses'
  | 'AuthorizationData'
  | 'PA-DATA'
  | 'METHOD-DATA'
  | 'TYPED-DATA'
  | 'TransitedEncoding'
  | 'LastReq'
  | 'KDC-REQ-BODY'
  | 'KRB-SAFE-BODY'
  | 'PA-ENC-TS-ENC'
  | 'ETYPE-INFO'
  | 'ETYPE-INFO2'
  | 'KERB-PA-PAC-REQUEST'
  | 'PA-PAC-OPTIONS'
  | 'PA-FOR-USER'
  | 'PA-S4U-X509-USER'
  | 'PA-FX-FAST-REQUEST'
  | 'PA-FX-FAST-REPLY'
  | 'KrbFastArmor'
  | 'KrbFastArmoredReq'
  | 'KrbFastArmoredRep'
  | 'KrbFastReq'
  | 'KrbFastResponse'
  | 'KrbFastFinished'
  | 'AD-KDCIssued'
  | 'AD-AND-OR'
  | 'KDC-PROXY-MESSAGE';

/** The non-message types `valueToJson` knows by name (the Record keeps it and the union in step). */
const JSON_TYPES: Readonly<Record<Exclude<JsonTypeName, KrbMessageType>, Node>> = {
  PrincipalName: PrincipalNameDef,
  EncryptedData: EncryptedDataDef,
  EncryptionKey: EncryptionKeyDef,
  Checksum: ChecksumDef,
  HostAddress: HostAddressDef,
  HostAddresses: HostAddressesDef,
  AuthorizationData: AuthorizationDataDef,
  'PA-DATA': PaDataDef,
  'METHOD-DATA': MethodDataDef,
  'TYPED-DATA': TypedDataDef,
  TransitedEncoding: TransitedEncodingDef,
  LastReq: LastReqDef,
  'KDC-REQ-BODY': KdcReqBodyDef,
  'KRB-SAFE-BODY': KrbSafeBodyDef,
  'PA-ENC-TS-ENC': PaEncTsEncDef,
  'ETYPE-INFO': EtypeInfoDef,
  'ETYPE-INFO2': EtypeInfo2Def,
  'KERB-PA-PAC-REQUEST': PaPacRequestDef,
  'PA-PAC-OPTIONS': PaPacOptionsDef,
  'PA-FOR-USER': PaForUserDef,
  'PA-S4U-X509-USER': PaS4uX509UserDef,
  'PA-FX-FAST-REQUEST': PaFxFastRequestDef,
  'PA-FX-FAST-REPLY': PaFxFastReplyDef,
  KrbFastArmor: KrbFastArmorDef,
  KrbFastArmoredReq: KrbFastArmoredReqDef,
  KrbFastArmoredRep: KrbFastArmoredRepDef,
  KrbFastReq: KrbFastReqDef,
  KrbFastResponse: KrbFastResponseDef,
  KrbFastFinished: KrbFastFinishedDef,
  'AD-KDCIssued': AdKdcIssuedDef,
  'AD-AND-OR': AdAndOrDef,
  'KDC-PROXY-MESSAGE': KdcProxyMessageDef,
};

/**
 * Renders a value of any declared type as JSON, like {@link messageToJson}
 * does for messages: `valueToJson('ETYPE-INFO2', decodeEtypeInfo2(bytes))`.
 */
export function valueToJson(type: JsonTypeName, value: unknown, options?: JsonOptions): Json {
  const node: Node =
    type in JSON_TYPES ? JSON_TYPES[type as keyof typeof JSON_TYPES] : messageNode(type as KrbMessageType);
  return toJson(node, value, hooksFor(options));
}
