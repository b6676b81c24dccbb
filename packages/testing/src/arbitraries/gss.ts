/**
 * Arbitraries for GSS-API framing (RFC 2743 section 3.1), the Kerberos V5
 * context tokens (RFC 4121 section 4.1) and SPNEGO (RFC 4178 section 4.2,
 * MS-SPNG section 2.2.1).
 *
 * @module
 */

import type {
  GssInitialContextToken,
  Krb5Token,
  NegHints,
  NegotiationToken,
  NegTokenInit,
  NegTokenResp,
} from '@krbsim/asn1';
import { encodeApRep, encodeApReq, encodeKrbError, GssOid } from '@krbsim/asn1';
import fc from 'fast-check';
import { arbApRep, arbApReq } from './ap';
import { arbKerberosFlags, arbKerberosString, octets, recordOptions } from './basic';
import { arbKrbError } from './error';

const arbArc = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 48 }) },
);

/**
 * An OBJECT IDENTIFIER in dotted form (X.660): first arc 0..2, second arc
 * below 40 under 0 and 1, then 0..6 more arcs up to 2^48; the well-known
 * mechanism OIDs half the time.
 */
export const arbOid: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...Object.values(GssOid)),
  fc
    .tuple(
      fc.oneof(
        fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 39 })),
        fc.tuple(
          fc.constant(2),
          fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 0xffffffff })),
        ),
      ),
      fc.array(arbArc, { maxLength: 6 }),
    )
    .map(([[a, b], rest]) => [a, b, ...rest].join('.')),
);

/** GSS-API InitialContextToken framing (RFC 2743 section 3.1) with an opaque inner token. */
export const arbGssInitialContextToken: fc.Arbitrary<GssInitialContextToken> = fc.record(
  { thisMech: arbOid, innerToken: octets(64) },
  recordOptions,
);

/** A Kerberos V5 context token (RFC 4121 section 4.1): an AP-REQ, AP-REP or KRB-ERROR behind its TOK_ID. */
export const arbKrb5Token: fc.Arbitrary<Krb5Token> = fc
  .tuple(
    fc.oneof(
      arbApReq.map((m) => ({ tokId: 0x0100 as const, message: encodeApReq(m) })),
      arbApRep.map((m) => ({ tokId: 0x0200 as const, message: encodeApRep(m) })),
      arbKrbError.map((m) => ({ tokId: 0x0300 as const, message: encodeKrbError(m) })),
    ),
    fc.constantFrom(GssOid.KRB5, GssOid.MS_KRB5),
  )
  .map(([t, mech]) => ({ ...t, mech }));

/** NegHints (MS-SPNG section 2.2.1). */
export const arbNegHints: fc.Arbitrary<NegHints> = fc.record(
  { hintName: arbKerberosString, hintAddress: octets(16) },
  { ...recordOptions, requiredKeys: [] },
);

/** NegTokenInit (RFC 4178 section 4.2.1), or NegTokenInit2 (MS-SPNG section 2.2.1) when `negHints` is present. */
export const arbNegTokenInit: fc.Arbitrary<NegTokenInit> = fc.record(
  {
    mechTypes: fc.array(arbOid, { maxLength: 4 }),
    reqFlags: arbKerberosFlags,
    mechToken: octets(64),
    negHints: arbNegHints,
    mechListMic: octets(32),
  },
  { ...recordOptions, requiredKeys: ['mechTypes'] },
);

/** NegTokenResp (RFC 4178 section 4.2.2). */
export const arbNegTokenResp: fc.Arbitrary<NegTokenResp> = fc.record(
  {
    negState: fc.integer({ min: 0, max: 3 }),
    supportedMech: arbOid,
    responseToken: octets(64),
    mechListMic: octets(32),
  },
  { ...recordOptions, requiredKeys: [] },
);

/** NegotiationToken (RFC 4178 section 4.2): either alternative. */
export const arbNegotiationToken: fc.Arbitrary<NegotiationToken> = fc.oneof(
  fc.record({ negTokenInit: arbNegTokenInit }, recordOptions),
  fc.record({ negTokenResp: arbNegTokenResp }, recordOptions),
);
