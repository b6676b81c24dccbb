/** The client README's security-context example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from '../../service/test/readme-blocks';

it('README: the initiator security context example', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '## Security contexts');
  expect(lines).toEqual(['alice@CONTOSO.COM', 'SELECT name FROM sys.databases true']);
});
