/** The service README's PAC example runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from './readme-blocks';

it('README: the PAC example (an AD realm, the KDC keys given)', async () => {
  const lines = await runReadmeSection(new URL('../README.md', import.meta.url), '## PACs (MS-PAC)');
  expect(lines).toEqual([
    'alice@CONTOSO.COM spnego true',
    'KRB_AP_ERR_REPEAT',
    'server kdc ticket full',
    'true',
    'true',
  ]);
});
