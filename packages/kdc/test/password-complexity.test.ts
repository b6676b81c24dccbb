/**
 * AD's "Password must meet complexity requirements", as `password-policy.ts`
 * writes it: a table of passwords and the verdict Microsoft's description of
 * the rule gives them (kinds of character, the account name from three
 * characters, display-name parts from three characters), each checked to
 * fail with its rule changed.
 */

import { describe, expect, it } from 'vitest';
import { meetsComplexity } from '../src/password-policy';

describe("AD's password complexity", () => {
  it('wants three kinds of character of five', () => {
    const table: [string, boolean][] = [
      ['Passw0rd', true], // upper, lower, digit
      ['passw0rd!', true], // lower, digit, symbol
      ['PASSWORD!1', true],
      ['password', false],
      ['password1', false], // two kinds
      ['PASSWORD-', false],
      ['12345678!', false],
      ['pass word 1', false], // a space is no symbol
      ['passwörd€1', false], // ö is lower-case; € is no symbol
      ['Passwörd', false], // upper and lower (ö among them): two kinds
      ['Passwörd1', true],
      ['東京tokyo7', true], // a letter without case is a kind of its own
      ['東京-7', true],
      ['東京東京', false],
      ['ΑΒΓδεζ', false], // Greek upper and lower: two kinds
      ['ΑΒΓδεζ1', true],
      ['~`|\\(){}', false], // symbols only
      ['a~b`c|1', true],
    ];
    const wrong = table.filter(([p, ok]) => meetsComplexity(p, 'zz', undefined) !== ok);
    expect(wrong.map(([p]) => p)).toEqual([]);
  });

  it('refuses the account name from three characters, and display-name parts from three', () => {
    expect(meetsComplexity('Alice-Passw0rd', 'alice')).toBe(false);
    expect(meetsComplexity('ALICE-Passw0rd', 'alice')).toBe(false);
    expect(meetsComplexity('Al-Passw0rd', 'al')).toBe(true); // a name of two characters is not checked
    expect(meetsComplexity('Bob-Passw0rd', 'bob')).toBe(false);
    const display = 'Alice Li Smith-Jones, Jr.';
    for (const part of ['smith', 'JONES', 'Alice']) {
      expect([part, meetsComplexity(`${part}-Passw0rd`, 'zz', display)]).toEqual([part, false]);
    }
    for (const part of ['Li', 'Jr']) {
      expect([part, meetsComplexity(`${part}-Passw0rd`, 'zz', display)]).toEqual([part, true]);
    }
    // Delimiters: commas, periods, hyphens, underscores, spaces, number signs, tabs.
    expect(meetsComplexity('Xyz-Passw0rd', 'zz', 'Abc#Xyz')).toBe(false);
    expect(meetsComplexity('Xyz-Passw0rd', 'zz', 'Abc\tXyz')).toBe(false);
    expect(meetsComplexity('Xyz-Passw0rd', 'zz', 'Abc_Xyz')).toBe(false);
    expect(meetsComplexity('Xyz-Passw0rd', 'zz', 'Abc/Xyz')).toBe(true); // not a delimiter: "abc/xyz" is the part
  });
});
