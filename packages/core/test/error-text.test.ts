import { describe, expect, it } from 'vitest';
import { errorText } from '../src/error-text';

describe('errorText', () => {
  it("gives an Error's message, and String() of anything else", () => {
    expect(errorText(new TypeError('bad'))).toBe('bad');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
    expect(errorText(undefined)).toBe('undefined');
    expect(errorText(Symbol('s'))).toBe('Symbol(s)');
  });

  it('never throws: a value with no string form is named by its type', () => {
    const badMessage = new Error();
    Object.defineProperty(badMessage, 'message', {
      get() {
        throw new Error('no message either');
      },
    });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwingToString = {
      toString() {
        throw new Error('no');
      },
    };
    expect(errorText(Object.create(null))).toBe('object with no string form');
    expect(errorText(badMessage)).toBe('object with no string form');
    expect(errorText(proxy)).toBe('object with no string form');
    expect(errorText(throwingToString)).toBe('object with no string form');
  });
});
