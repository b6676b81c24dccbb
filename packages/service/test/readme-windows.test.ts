/** The service README's example of a Windows client's account of itself runs after its quick start and prints what it says. */

import { expect, it } from 'vitest';
import { runReadmeSection } from './readme-blocks';

it("README: a Windows client's token restrictions, read by a service on its machine", async () => {
  const lines = await runReadmeSection(
    new URL('../README.md', import.meta.url),
    "**A Windows client's account of itself**",
  );
  expect(lines).toEqual([
    'alice@CONTOSO.COM spnego true',
    'KRB_AP_ERR_REPEAT',
    'true HTTP/web.contoso.com@CONTOSO.COM',
  ]);
});
