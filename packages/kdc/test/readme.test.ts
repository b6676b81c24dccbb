// The runnable example of README.md, kept identical to it (see the check at the bottom).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('runs the README example', async () => {
  const out: string[] = [];
  const console = { log: (...a: unknown[]) => out.push(a.join(' ')) };
  const { run } = await import('./readme-example');
  run(console);
  expect(out[0]).toBe('krbtgt/KERBEROS.MICROSOFTONLINE.COM');
  expect(out[1]).toBe('CONTOSO.COM KERBEROS.MICROSOFTONLINE.COM 18');
  expect(out[2]!.split('\n')).toEqual([
    'AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP',
    'TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@CONTOSO.COM -> TGS-REP (referral to KERBEROS.MICROSOFTONLINE.COM)',
    'TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM -> TGS-REP',
  ]);
});

it('keeps README.md and the example file in step', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const file = readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8');
  const body = /\/\/ BEGIN\n([\s\S]*?)\/\/ END/.exec(file)![1]!;
  // Formatting may differ (biome re-wraps the file); the code may not.
  const norm = (s: string) => s.replace(/\s+/g, '').replace(/,([)\]}])/g, '$1');
  const imports = block.slice(0, block.indexOf('const clock'));
  expect(norm(body)).toBe(norm(block.slice(imports.length)));
});
