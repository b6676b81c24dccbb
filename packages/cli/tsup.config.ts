import { defineConfig, type Options } from 'tsup';
import shared from '../../tsup.shared';

const base = shared as Options;

// Two builds into dist/:
// - the library, as every package builds it (ESM, CJS, declarations), plus
//   the file `krbsim serve --workers` forks (serve-worker.js, or .cjs beside
//   index.cjs), which needs no declarations;
// - the executable (package.json's `bin` is dist/bin.js), once: ESM only,
//   no declarations, as nothing imports it.
// tsup runs the two at once, so the first one's clean spares the bin's files.
export default defineConfig([
  {
    ...base,
    entry: ['src/index.ts', 'src/serve-worker.ts'],
    dts: { entry: 'src/index.ts' },
    clean: ['!bin.js', '!bin.js.map'],
  },
  {
    ...base,
    entry: ['src/bin.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);
