/**
 * `src/schema/precompiled.ts` holds the decoder and encoder of every codec
 * the package declares, generated at build time as they would be at run
 * time. It must be current: regenerated from today's declarations it is the
 * same text (else `pnpm --filter @krbsim/asn1 codegen`). And the declared
 * codecs run from it: a codec made later under a taken name is compiled.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeTicket } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { Codec, declaredCodecs } from '../src/schema/codec';
import { compileDecoder, generateCodecModule, precompiledDecoder } from '../src/schema/compile';
import { field, int32, seq } from '../src/schema/nodes';

describe('precompiled.ts', () => {
  it('is what the declarations generate today (run `pnpm --filter @krbsim/asn1 codegen` if not)', () => {
    const file = readFileSync(
      fileURLToPath(new URL('../src/schema/precompiled.ts', import.meta.url)),
      'utf8',
    );
    const codecs = declaredCodecs();
    expect(codecs.length).toBeGreaterThanOrEqual(60);
    expect(generateCodecModule(codecs) === file).toBe(true);
  });

  it('serves the declared codecs, and not a later codec that takes a declared name', () => {
    expect(precompiledDecoder('Ticket')).toBeTypeOf('function');
    expect(precompiledDecoder('NoSuchCodec')).toBeUndefined();
    // decodeTicket's codec runs the precompiled function (its frames are in precompiled.ts).
    let stack = '';
    try {
      decodeTicket(Uint8Array.of(0x61, 0x02, 0x30, 0x00));
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    expect(stack).toMatch(/precompiled/);
    // Another declaration named Ticket gets its own compiled functions.
    const impostor = new Codec<{ n: number }>('Ticket', seq('Ticket', [field(0, 'n', int32)]));
    expect(impostor.decoder).not.toBe(precompiledDecoder('Ticket'));
    expect(impostor.decode(impostor.encode({ n: 5 }))).toEqual({ n: 5 });
  });

  it('a precompiled decoder and a compiled one read the same bytes the same way', () => {
    const ticket = declaredCodecs().find((c) => c.name === 'Ticket')!;
    const der = Uint8Array.from(
      Buffer.from(
        '61 40 30 3e a0 03 02 01 05 a1 0d 1b 0b 45 58 41 4d 50 4c 45 2e 43 4f 4d a2 1a 30 18 a0 03 02 01 02 a1 11 30 0f 1b 06 6b 72 62 74 67 74 1b 05 45 58 41 4d 50 a3 0c 30 0a a0 03 02 01 12 a2 03 04 01 00'.replace(
          / /g,
          '',
        ),
        'hex',
      ),
    );
    const compiled = compileDecoder(ticket.node, 'Ticket');
    const run = (d: (r: never, end: number) => unknown) => {
      const r = { buf: der, pos: 0, ab: der.buffer, off: der.byteOffset };
      return d(r as never, der.length);
    };
    expect(run(precompiledDecoder('Ticket')! as never)).toEqual(run(compiled as never));
  });
});
