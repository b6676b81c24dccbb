/**
 * The generated decoders and encoders (schema/compile.ts) carry a
 * `//# sourceURL=` comment, so a stack trace through them names the type
 * (`krbsim-codec/decode/KRB-ERROR.js`) rather than `eval at compile`.
 * The errors below are thrown by runtime helpers that the generated code
 * calls, so the generated frames are on the captured stack.
 */

import { Asn1Error, decodeKrbError, decodeTicket, encodeKrbError, type KrbErrorMessage } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { thrown } from './helpers';

describe('generated codec functions are named in stack traces', () => {
  it('a decoder frame: krbsim-codec/decode/KRB-ERROR.js', () => {
    // [APPLICATION 30] holding an empty SEQUENCE: pvno [0] is missing.
    const e = thrown(() => decodeKrbError(new Uint8Array([0x7e, 0x02, 0x30, 0x00])));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.path).toBe('KRB-ERROR.pvno');
    expect(e.stack).toContain('krbsim-codec/decode/KRB-ERROR.js');
  });

  it('each type has its own name: krbsim-codec/decode/Ticket.js', () => {
    // [APPLICATION 1] holding an empty SEQUENCE: tkt-vno [0] is missing.
    const e = thrown(() => decodeTicket(new Uint8Array([0x61, 0x02, 0x30, 0x00])));
    expect(e.path).toBe('Ticket.tkt-vno');
    expect(e.stack).toContain('krbsim-codec/decode/Ticket.js');
    expect(e.stack).not.toContain('krbsim-codec/decode/KRB-ERROR.js');
  });

  it('an encoder frame: krbsim-codec/encode/KRB-ERROR.js', () => {
    // No msg-type: the generated [APPLICATION 30] wrapper rejects it.
    const e = thrown(() => encodeKrbError({} as KrbErrorMessage));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.stack).toContain('krbsim-codec/encode/KRB-ERROR.js');
  });
});
