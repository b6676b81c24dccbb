import { isDnsLabel, isDnsName } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

describe('DNS names (RFC 1035 2.3.1, RFC 1123 2.1)', () => {
  it('takes a label of 1 to 63 letters, digits and hyphens, no hyphen first or last, in any case', () => {
    for (const ok of ['a', 'mi1', '1mi', 'abc-123', 'ABC123', 'x'.repeat(63)])
      expect(isDnsLabel(ok), ok).toBe(true);
    for (const bad of ['', '-a', 'a-', 'a.b', 'a_b', 'x'.repeat(64), 'é', ' a']) {
      expect(isDnsLabel(bad), bad).toBe(false);
    }
  });

  it('takes labels joined by dots, one trailing dot, 253 characters at most without it', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(long.length).toBe(253);
    for (const ok of ['windows.net', 'contoso.com.', 'Contoso.COM', 'localhost', long, `${long}.`]) {
      expect(isDnsName(ok), ok).toBe(true);
    }
    for (const bad of ['', '.', 'a..b', '.a', 'a.-b', `${long}e`, 'a b.com', 'contoso.com..']) {
      expect(isDnsName(bad), bad).toBe(false);
    }
  });
});
