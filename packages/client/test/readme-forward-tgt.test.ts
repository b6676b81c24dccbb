/** The client README's TGT delegation example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from '../../service/test/readme-blocks';

it('README: delegating the TGT by policy', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '### Delegating the TGT');
  expect(lines).toEqual(['alice@CONTOSO.COM', 'krbtgt/CONTOSO.COM', 'undefined']);
});
