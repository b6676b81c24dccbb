import { defineConfig } from 'tsup';

/** The one build every package uses: ESM + CJS + declarations, from src/index.ts. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  // Sibling packages stay imports, never inlined copies.
  external: [/^@krbsim\//],
});
