import { escapeControls, safeLogSink } from '@krbsim/core';
import { describe, expect, it } from 'vitest';

describe('escapeControls', () => {
  it('writes each control character as an escape, and leaves other text as it is', () => {
    expect(escapeControls('alice@CONTOSO.COM')).toBe('alice@CONTOSO.COM');
    expect(escapeControls('a\r\nb\tc')).toBe('a\\r\\nb\\tc');
    expect(escapeControls('\u001b[31mred\u007f')).toBe('\\x1b[31mred\\x7f');
    expect(escapeControls('x\u0085y\u2028z\u2029')).toBe('x\\x85y\\u2028z\\u2029');
    expect(escapeControls('é 中 \u{1f600}')).toBe('é 中 \u{1f600}');
  });
});

describe('safeLogSink', () => {
  it('gives each line escaped, drops a line the sink throws on, and is a no-op without a sink', () => {
    const lines: string[] = [];
    safeLogSink((l) => lines.push(l))('a\nb');
    expect(lines).toEqual(['a\\nb']);
    const throwing = safeLogSink(() => {
      throw new Error('disk full');
    });
    expect(() => throwing('x')).not.toThrow();
    expect(() => safeLogSink(undefined)('x')).not.toThrow();
  });
});
