import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quickStart } from '../examples/quick-start';

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

  it('runs and prints both logins, the trace and the diagram', async () => {
    const logged: string[] = [];
    await quickStart((...a) => logged.push(a.join(' ')));
    expect(logged[0]).toBe('CONTOSO\\alice');
    expect(logged[1]).toBe('CONTOSO\\alice');
    expect(logged[2]).toContain('KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)');
    expect(logged[3]).toMatch(/^sequenceDiagram/);
  });
});
