/** The client README's PKINIT example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from '../../service/test/readme-blocks';

it('README: the PKINIT example', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '## PKINIT');
  expect(lines).toEqual([
    'alice@CONTOSO.COM',
    'bob has krbtgt/PKI.TEST',
    'bob again, by public-key encryption',
  ]);
});
