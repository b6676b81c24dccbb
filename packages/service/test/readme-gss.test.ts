/** The service README's security-context example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from './readme-blocks';

it('README: the acceptor security context example', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '## Security contexts');
  expect(lines).toEqual(['alice@CONTOSO.COM spnego true', 'KRB_AP_ERR_REPEAT', '5 4 5 4 4']);
});
