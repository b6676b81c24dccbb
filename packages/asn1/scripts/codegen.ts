/**
 * Writes src/schema/precompiled.ts: the decoder and encoder of every codec
 * this package declares, generated as at run time (`generateCodecModule`),
 * so that processes do not generate and parse them at first use. Run after
 * changing a declaration: `pnpm --filter @krbsim/asn1 codegen`.
 */

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import '../src/index';
import { declaredCodecs } from '../src/schema/codec';
import { generateCodecModule } from '../src/schema/compile';

const target = fileURLToPath(new URL('../src/schema/precompiled.ts', import.meta.url));
const source = generateCodecModule(declaredCodecs());
writeFileSync(target, source);
process.stdout.write(`wrote ${target} (${declaredCodecs().length} codecs, ${source.length} bytes)\n`);
