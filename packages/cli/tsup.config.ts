import { defineConfig, type Options } from 'tsup';
import shared from '../../tsup.shared';

// The shared build plus the executable: package.json's `bin` is dist/bin.js.
export default defineConfig({
  ...(shared as Options),
  entry: ['src/index.ts', 'src/bin.ts'],
});
