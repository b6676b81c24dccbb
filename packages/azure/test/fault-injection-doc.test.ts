/**
 * docs/fault-injection.md's examples, run: its first ```ts block is the
 * setup, each later block runs after it in a fresh lab, and every `// →`
 * line of a block must match, in order, the start of a line the block
 * printed (`console.log`), so the cookbook cannot drift from the product.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOC = readFileSync(new URL('../../../docs/fault-injection.md', import.meta.url), 'utf8');
const blocks = [...DOC.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const [setup, ...examples] = blocks;

async function run(code: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'krbsim-faults-doc-'));
  const file = join(dir, 'example.ts');
  const lines: string[] = [];
  const log = console.log;
  try {
    writeFileSync(file, `${code}\nexport {};\n`);
    console.log = (...a: unknown[]) =>
      lines.push(
        ...a
          .map((x) => (typeof x === 'string' ? x : String(x)))
          .join(' ')
          .split('\n'),
      );
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

describe('docs/fault-injection.md', () => {
  it('has a setup block and examples', () => {
    expect(setup).toContain('createAzureSqlMiLab');
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((code, i) => [i + 1, code] as const))(
    'example %i prints what it says',
    async (_, code) => {
      const expected = [...code.matchAll(/^\/\/ → (.*)$/gm)].map((m) => m[1]!);
      expect(expected.length).toBeGreaterThan(0);
      const printed = await run(`${setup}\n${code}`);
      let at = 0;
      for (const want of expected) {
        const found = printed.findIndex((line, i) => i >= at && line.startsWith(want));
        expect(found, `"${want}" in:\n${printed.join('\n')}`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    },
  );
});
