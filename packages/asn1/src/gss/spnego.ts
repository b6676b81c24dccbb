/**
 * SPNEGO: RFC 4178 section 4.2, with Microsoft's NegTokenInit2 (MS-SPNG
 * section 2.2.1), the form Windows servers send unprompted.
 *
 * The initiator's first token is a NegotiationToken choosing `negTokenInit`
 * inside the RFC 2743 framing with the SPNEGO OID; later tokens are bare
 * NegotiationTokens (`0xa1 ...` for negTokenResp).
 *
 * @module
 */

import { Asn1Error, asAsn1Error } from '../der/errors';
import { writeOutput } from '../der/output';
import { badValue, eOct } from '../der/writer';
import { flagBit } from '../iana/flags';
import { Codec, checkInput, type DecodeOptions } from '../schema/codec';
import {
  choice,
  derOf,
  enumerated,
  field,
  kerberosString,
  namedBits,
  octetString,
  oid,
  optional,
  seq,
  seqOf,
} from '../schema/nodes';
import type { NegHints, NegotiationToken, NegTokenInit, NegTokenResp } from '../types/gss';
import { GssOid, unwrapGssToken, wrapGssToken } from './framing';

/** ContextFlags bits (RFC 4178 section 4.2.1), in RFC bit order like KerberosFlags. */
export const ContextFlags = {
  delegFlag: flagBit(0),
  mutualFlag: flagBit(1),
  replayFlag: flagBit(2),
  sequenceFlag: flagBit(3),
  anonFlag: flagBit(4),
  confFlag: flagBit(5),
  integFlag: flagBit(6),
} as const;

/** negState values (RFC 4178 section 4.2.2). */
export const NegState = {
  'accept-completed': 0,
  'accept-incomplete': 1,
  reject: 2,
  'request-mic': 3,
} as const;

/**
 * NegHints ::= SEQUENCE {
 *   hintName    [0] GeneralString OPTIONAL,
 *   hintAddress [1] OCTET STRING OPTIONAL
 * }
 */
export const NegHintsDef = seq('NegHints', [
  optional(field(0, 'hintName', kerberosString)),
  optional(field(1, 'hintAddress', octetString)),
]);

/** MechTypeList ::= SEQUENCE OF MechType (RFC 4178 section 4.1), MechType an OBJECT IDENTIFIER. */
const MechTypeListDef = seqOf('MechTypeList', oid);

/**
 * NegTokenInit ::= SEQUENCE {            NegTokenInit2 ::= SEQUENCE {
 *   mechTypes   [0] MechTypeList,          mechTypes   [0] MechTypeList OPTIONAL,
 *   reqFlags    [1] ContextFlags OPTIONAL, reqFlags    [1] ContextFlags OPTIONAL,
 *   mechToken   [2] OCTET STRING OPTIONAL, mechToken   [2] OCTET STRING OPTIONAL,
 *   mechListMIC [3] OCTET STRING OPTIONAL, negHints    [3] NegHints OPTIONAL,
 *   ...                                    mechListMIC [4] OCTET STRING OPTIONAL,
 * }                                        ... }
 * MechTypeList ::= SEQUENCE OF MechType   -- OBJECT IDENTIFIER
 *
 * Component [3] is told apart by its inner tag (0x04 MIC, 0x30 NegHints).
 */
const NegTokenInitWireDef = seq(
  'NegTokenInit',
  [
    field(0, 'mechTypes', MechTypeListDef),
    optional(field(1, 'reqFlags', namedBits)),
    optional(field(2, 'mechToken', octetString)),
    optional(field(3, 'mechListMIC', derOf('mechListMIC or negHints', -1), { key: 'f3' })),
    optional(field(4, 'mechListMIC', octetString, { key: 'f4' })),
  ],
  { ext: true },
);

/**
 * NegTokenResp ::= SEQUENCE {
 *   negState      [0] ENUMERATED { accept-completed (0), accept-incomplete (1),
 *                                  reject (2), request-mic (3) } OPTIONAL,
 *   supportedMech [1] MechType OPTIONAL,
 *   responseToken [2] OCTET STRING OPTIONAL,
 *   mechListMIC   [3] OCTET STRING OPTIONAL,
 *   ...
 * }
 */
export const NegTokenRespDef = seq(
  'NegTokenResp',
  [
    optional(field(0, 'negState', enumerated)),
    optional(field(1, 'supportedMech', oid)),
    optional(field(2, 'responseToken', octetString)),
    optional(field(3, 'mechListMIC', octetString, { key: 'mechListMic' })),
  ],
  { ext: true },
);

/** NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp } */
const NegotiationTokenDef = choice('NegotiationToken', [
  field(0, 'negTokenInit', NegTokenInitWireDef),
  field(1, 'negTokenResp', NegTokenRespDef),
]);

interface NegTokenInitWire {
  readonly mechTypes: readonly string[];
  readonly reqFlags?: number;
  readonly mechToken?: Uint8Array;
  readonly f3?: Uint8Array;
  readonly f4?: Uint8Array;
}
type WireToken = { readonly negTokenInit: NegTokenInitWire } | { readonly negTokenResp: NegTokenResp };

const wire = new Codec<WireToken>('NegotiationToken', NegotiationTokenDef);
const mechTypeList = new Codec<readonly string[]>('MechTypeList', MechTypeListDef);
const negHints = new Codec<NegHints>('NegHints', NegHintsDef);

function toWire(init: NegTokenInit): NegTokenInitWire {
  if (init === null || typeof init !== 'object') badValue('a NegTokenInit (object)', init);
  const base = { mechTypes: init.mechTypes, reqFlags: init.reqFlags, mechToken: init.mechToken };
  if (init.negHints !== undefined) {
    return { ...base, f3: negHints.encode(init.negHints), f4: init.mechListMic };
  }
  if (init.mechListMic === undefined) return base;
  // [3] holds the MIC's whole OCTET STRING TLV.
  return { ...base, f3: writeOutput((b, p, mic) => eOct(b, p, mic, 0), init.mechListMic) };
}

function fromWire(w: NegTokenInitWire): NegTokenInit {
  let hints: NegHints | undefined;
  let mic = w.f4;
  const f3 = w.f3;
  if (f3 !== undefined) {
    if (f3[0] === 0x30) {
      hints = negHints.decode(f3);
    } else if (f3[0] === 0x04) {
      if (mic !== undefined)
        throw new Asn1Error('both [3] and [4] carry a mechListMIC', { path: '.mechListMIC' });
      const n = f3[1]!;
      mic = f3.subarray(n < 0x80 ? 2 : 2 + (n & 0x7f));
    } else {
      throw new Asn1Error(
        `expected OCTET STRING (0x04) or NegHints SEQUENCE (0x30), got 0x${f3[0]!.toString(16)}`,
        {
          path: '.mechListMIC',
        },
      );
    }
  }
  return {
    mechTypes: w.mechTypes,
    reqFlags: w.reqFlags,
    mechToken: w.mechToken,
    negHints: hints,
    mechListMic: mic,
  };
}

/**
 * Encodes a NegotiationToken (RFC 4178 section 4.2). A `negTokenInit` comes
 * out inside the RFC 2743 framing with the SPNEGO OID (the initial token);
 * with `negHints` set it is Microsoft's NegTokenInit2. A `negTokenResp`
 * comes out bare.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeNegotiationToken(token: NegotiationToken): Uint8Array {
  if (token === null || typeof token !== 'object') {
    badValue('a NegotiationToken (object)', token, 'NegotiationToken');
  }
  if ('negTokenInit' in token && token.negTokenInit !== undefined) {
    let init: NegTokenInitWire;
    try {
      init = toWire(token.negTokenInit);
    } catch (x) {
      throw asAsn1Error(x).prepend('NegotiationToken.negTokenInit');
    }
    return wrapGssToken(GssOid.SPNEGO, wire.encode({ negTokenInit: init }));
  }
  return wire.encode(token as WireToken);
}

/**
 * Decodes a NegotiationToken (RFC 4178 section 4.2), framed (`0x60 ...`, the
 * SPNEGO OID required) or bare (`0xa0`/`0xa1 ...`).
 */
export function decodeNegotiationToken(bytes: Uint8Array, options?: DecodeOptions): NegotiationToken {
  checkInput(bytes, options, 'NegotiationToken');
  let inner = bytes;
  if (bytes[0] === 0x60) {
    const t = unwrapGssToken(bytes, options);
    if (t.thisMech !== GssOid.SPNEGO) {
      throw new Asn1Error(`mechanism ${t.thisMech} is not SPNEGO (${GssOid.SPNEGO})`, {
        path: 'InitialContextToken.thisMech',
      });
    }
    inner = t.innerToken;
  }
  const v = wire.decode(inner, options);
  if ('negTokenResp' in v) return v;
  try {
    return { negTokenInit: fromWire(v.negTokenInit) };
  } catch (x) {
    throw asAsn1Error(x).prepend('NegotiationToken.negTokenInit');
  }
}

/**
 * The DER MechTypeList (RFC 4178 section 4.1): what a mechListMIC is computed
 * over (section 5), the initiator's list exactly as its NegTokenInit carried it.
 *
 * **The result is a view into a shared slab**, as {@link encodeNegotiationToken}'s.
 */
export function encodeMechTypeList(mechTypes: readonly string[]): Uint8Array {
  return mechTypeList.encode(mechTypes);
}
