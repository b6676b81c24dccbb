/**
 * Stack traces through the generated decoders and encoders name the type:
 * - the codecs this package declares run from `precompiled.ts`, whose
 *   functions are named after their types (`d52_KRB_ERROR`,
 *   `e51_app_KRB_ERROR`);
 * - a codec compiled at run time (schema/compile.ts) carries a
 *   `//# sourceURL=` comment, so its frames name the type
 *   (`krbsim-codec/decode/...js`) rather than `eval at compile`.
 * The errors below are thrown by runtime helpers that the generated code
 * calls, so the generated frames are on the captured stack.
 */

import { Asn1Error, decodeKrbError, decodeTicket, encodeKrbError, type KrbErrorMessage } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { Codec } from '../src/schema/codec';
import { field, int32, seq } from '../src/schema/nodes';
import { thrown } from './helpers';

describe('precompiled codec functions are named after their types in stack traces', () => {
  it('a decoder frame: KRB_ERROR, in precompiled.ts', () => {
    // [APPLICATION 30] holding an empty SEQUENCE: pvno [0] is missing.
    const e = thrown(() => decodeKrbError(new Uint8Array([0x7e, 0x02, 0x30, 0x00])));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.path).toBe('KRB-ERROR.pvno');
    expect(e.stack).toMatch(/at d\d+_KRB_ERROR \(.*precompiled/);
    expect(e.stack).toMatch(/at d\d+_app_KRB_ERROR \(/);
  });

  it('each type has its own name: Ticket', () => {
    // [APPLICATION 1] holding an empty SEQUENCE: tkt-vno [0] is missing.
    const e = thrown(() => decodeTicket(new Uint8Array([0x61, 0x02, 0x30, 0x00])));
    expect(e.path).toBe('Ticket.tkt-vno');
    expect(e.stack).toMatch(/at d\d+_Ticket \(/);
    expect(e.stack).not.toMatch(/KRB_ERROR/);
  });

  it('an encoder frame: the APPLICATION wrapper of KRB-ERROR', () => {
    // No msg-type: the generated [APPLICATION 30] wrapper rejects it.
    const e = thrown(() => encodeKrbError({} as KrbErrorMessage));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.stack).toMatch(/at e\d+_app_KRB_ERROR \(/);
  });
});

describe('codecs compiled at run time carry a source URL naming the type', () => {
  it('krbsim-codec/decode/SourceUrlProbe.js and krbsim-codec/encode/SourceUrlProbe.js', () => {
    const probe = new Codec<{ n: number }>('SourceUrlProbe', seq('SourceUrlProbe', [field(0, 'n', int32)]));
    const d = thrown(() => probe.decode(Uint8Array.of(0x30, 0x00)));
    expect(d.path).toBe('SourceUrlProbe.n');
    expect(d.stack).toContain('krbsim-codec/decode/SourceUrlProbe.js');
    const e = thrown(() => probe.encode({ n: 'x' } as never));
    expect(e.stack).toContain('krbsim-codec/encode/SourceUrlProbe.js');
  });
});
