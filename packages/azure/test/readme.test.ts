import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README's example also runs, with its output checked, in test/readme-examples.test.ts at the root.
describe('README example', () => {
  it('is examples/quick-start.ts, line for line', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/quick-start.ts', import.meta.url), 'utf8');
    const body = example
      .split('\n')
      .filter((l) => !l.startsWith('export async function') && !l.startsWith('/**') && l !== '}')
      .map((l) => l.replace(/^ {2}/, '').replace(/\blog\(/g, 'console.log('))
      .join('\n')
      .trim();
    expect(readme).toContain(body);
  });
});
