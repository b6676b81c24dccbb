/**
 * What docs/getting-started.md tells a failing test to do: write
 * `lab.trace.toHtml()`. After a refused login the page has the whole
 * exchange, and the refusal shown as an error.
 */

import { describe, expect, it } from 'vitest';
import { createAzureSqlMiLab } from '../src';

describe('the HTML trace of a failed login', () => {
  it('shows the flow up to the refusal, the refused token flagged with its error', async () => {
    await using qs = createAzureSqlMiLab.quickStart();
    const token = await qs.getToken();
    qs.instance.accept(token);
    expect(() => qs.instance.accept(token)).toThrow(/replayed authenticator/);

    const html = qs.lab.trace.toHtml({ title: 'failed flow' });
    expect(html).toContain('<title>failed flow</title>');
    // The Kerberos exchanges that got the token, then both AP-REQs to the instance.
    for (const type of ['AS-REQ', 'AS-REP', 'TGS-REQ', 'TGS-REP']) expect(html).toContain(type);
    const toInstance = html.match(/→ mi1 \[inproc\] AP-REQ/g) ?? [];
    expect(toInstance).toHaveLength(2);
    // The second one carries the instance's refusal.
    const refused = html.lastIndexOf('→ mi1 [inproc] AP-REQ');
    expect(html.indexOf('replayed authenticator', refused)).toBeGreaterThan(refused);
    // Drawn as a failed (red) arrow, and said in words in the message's section.
    expect(html).toMatch(
      /<a href="#[^"]+" class="arrow [^"]* error"><title>[^<]*failed: replayed authenticator/,
    );
    expect(html).toContain('No reply: replayed authenticator');
  });
});
