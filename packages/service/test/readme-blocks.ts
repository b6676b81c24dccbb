/**
 * Runs a README's GSS fragment the way a reader would: the first ```ts block
 * (the quick start, which the root readme-examples test runs alone) followed
 * by the first ```ts block under a heading, in one module, with console.log
 * captured.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BLOCK = /```ts\n([\s\S]*?)```/;

/** The lines logged by the quick start and the block under `heading` of `readme`. */
export async function runReadmeSection(readme: URL, heading: string): Promise<string[]> {
  const text = readFileSync(readme, 'utf8');
  const first = BLOCK.exec(text)?.[1];
  const at = text.indexOf(heading);
  const section = at < 0 ? undefined : BLOCK.exec(text.slice(at))?.[1];
  if (first === undefined || section === undefined)
    throw new Error(`${readme.pathname}: no ${heading} example`);
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-readme-gss-'));
  const file = join(dir, 'example.ts');
  const lines: string[] = [];
  const log = console.log;
  try {
    writeFileSync(file, `${first}\n${section}`);
    console.log = (...a: unknown[]) => lines.push(a.map(String).join(' '));
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
