/**
 * Runs the README's first TypeScript example, so the documented quick start
 * keeps working.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('the README quick start runs and prints the client principal', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-readme-'));
  const file = join(dir, 'quickstart.ts');
  const lines: string[] = [];
  const log = console.log;
  try {
    writeFileSync(file, code);
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  expect(lines).toEqual(['alice@CONTOSO.COM']);
});
