/** The README's group-login example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from '../../service/test/readme-blocks';

it('README: a group login admits a nested member, and IS_MEMBER sees its groups', async () => {
  const lines = await runReadmeSection(
    new URL('../README.md', import.meta.url),
    '## Windows logins from the PAC',
  );
  expect(lines.slice(0, 2)).toEqual(['CONTOSO\\alice', 'CONTOSO\\alice']);
  expect(lines.slice(-2)).toEqual(['CONTOSO\\bob CONTOSO\\SqlAdmins', 'true undefined']);
});
