/** The client README's delegation example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from '../../service/test/readme-blocks';

it('README: the S4U2Self and S4U2Proxy example', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '## Delegation');
  expect(lines).toEqual(['alice@CONTOSO.COM', 'alice -> MSSQLSvc/sql.contoso.com:1433']);
});
