/**
 * The top-level README's TypeScript example runs as written (imports
 * resolve to the packages' sources) and prints what it says.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('README.md: the test-double example runs and prints the login', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(1);
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-readme-root-'));
  const lines: string[] = [];
  const log = console.log;
  try {
    writeFileSync(join(dir, 'example.ts'), blocks[0]!);
    console.log = (...a: unknown[]) => lines.push(a.map(String).join(' '));
    await import(/* @vite-ignore */ join(dir, 'example.ts'));
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  expect(lines).toEqual(['CONTOSO\\alice']);
}, 60_000);
