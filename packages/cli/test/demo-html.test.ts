/**
 * `krbsim demo --html FILE`: the demo's trace as one self-contained page,
 * its SPNEGO tokens decoded as `krbsim decode` prints them, and the SIDs the
 * trust filtered shown with the Azure AD KDC's exchange.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaptured } from './run-cli';

const run = runCaptured;

describe('krbsim demo --html', () => {
  it('writes the page: diagram, decoded messages (SPNEGO opened), the filtered SIDs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krbsim-demo-html-'));
    try {
      const file = join(dir, 'flows.html');
      const { code, stdout, stderr } = await run(['demo', '--seed', '7', '--flow', 'trust', '--html', file]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`wrote \\d+ exchanges to ${file.replace(/[.]/g, '\\.')}\\n$`));
      const html = readFileSync(file, 'utf8');
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain('<title>krbsim demo (seed 7)</title>');
      expect(html.match(/<svg /g)).toHaveLength(1);
      expect(html).toContain('KRB-ERROR KDC_ERR_PREAUTH_REQUIRED');
      // The AP-REQ is a SPNEGO token: the CLI's decoder opens it (not the generic DER tree).
      expect(html).toMatch(/&#34;type&#34;: &#34;SPNEGO/);
      expect(html).toMatch(
        /<p class="note">SIDs filtered at the trust \(alice@CONTOSO\.COM for MSSQLSvc\/[^)]+\): [^<]*S-1-5-21-2127521184-1604012920-1887927527-1106/,
      );
      expect(html).not.toMatch(/<(script|link|img)[^>]* (src|href)=/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an --html file in a directory that does not exist is a usage error before any flow runs', async () => {
    const { code, stdout, stderr } = await run(['demo', '--html', '/missing/dir/x.html']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "krbsim demo: --html /missing/dir/x.html: the directory /missing/dir does not exist\nTry 'krbsim demo --help'.\n",
    );
  });
});
