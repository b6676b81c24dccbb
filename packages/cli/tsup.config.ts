import { defineConfig, type Options } from 'tsup';
import shared from '../../tsup.shared';

// The shared build plus the executable (package.json's `bin` is dist/bin.js) and
// the file `krbsim serve --workers` forks (dist/serve-worker.js).
export default defineConfig({
  ...(shared as Options),
  entry: ['src/index.ts', 'src/bin.ts', 'src/serve-worker.ts'],
});
