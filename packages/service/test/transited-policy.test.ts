import { hierarchicalTransit } from '@krbsim/service';
import { describe, expect, it } from 'vitest';

const ok = (clientRealm: string, transited: string[], serviceRealm: string) =>
  hierarchicalTransit({ clientRealm, transited, serviceRealm });

describe('hierarchicalTransit: the realms between client and service on the DNS hierarchy', () => {
  it('accepts the common ancestor and the ancestors on each side of it', () => {
    expect(ok('OTHER.TEST', ['TEST'], 'APREQ.TEST')).toBe(true);
    expect(ok('A.B.EXAMPLE.COM', ['B.EXAMPLE.COM', 'EXAMPLE.COM', 'X.EXAMPLE.COM'], 'Y.X.EXAMPLE.COM')).toBe(
      true,
    );
    // In any order, and only some of them.
    expect(ok('A.B.EXAMPLE.COM', ['EXAMPLE.COM', 'B.EXAMPLE.COM'], 'X.EXAMPLE.COM')).toBe(true);
    // With no common name, through each side's top-level name.
    expect(ok('CONTOSO.COM', ['COM', 'ORG'], 'FABRIKAM.ORG')).toBe(true);
  });

  it('refuses a realm off the path, the endpoints themselves, and any path within one realm', () => {
    expect(ok('OTHER.TEST', ['ELSEWHERE.EXAMPLE'], 'APREQ.TEST')).toBe(false);
    expect(ok('OTHER.TEST', ['TEST', 'ELSEWHERE.EXAMPLE'], 'APREQ.TEST')).toBe(false);
    expect(ok('OTHER.TEST', ['OTHER.TEST'], 'APREQ.TEST')).toBe(false);
    expect(ok('OTHER.TEST', ['APREQ.TEST'], 'APREQ.TEST')).toBe(false);
    // A parent and its child have nothing between them.
    expect(ok('TEST', ['COM'], 'APREQ.TEST')).toBe(false);
    // The common ancestor is not crossed twice: COM is above it.
    expect(ok('A.EXAMPLE.COM', ['COM'], 'B.EXAMPLE.COM')).toBe(false);
    expect(ok('CONTOSO.COM', ['COM'], 'CONTOSO.COM')).toBe(false);
  });
});
