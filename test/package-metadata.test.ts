/**
 * What npm shows and checks for each published package: the Node versions
 * it runs on (`engines`, so Node 18 warns at install instead of failing
 * later), the MIT licence as a file and a field, where the source, the
 * home page and the issues are (`repository.directory` points at the
 * package's own folder), keywords, public access for the scoped name, and
 * `files` listing what the tarball holds. Every package under packages/ is
 * checked, so a new one cannot be published without them.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url);
const PACKAGES = new URL('packages/', ROOT);
const rootPkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
const licence = readFileSync(new URL('LICENSE', ROOT), 'utf8');

const names = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/package.json`, PACKAGES)))
  .map((d) => d.name);

describe('package metadata', () => {
  it('the root LICENSE is MIT, held by the krbsim authors', () => {
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the krbsim authors\n/);
    expect(rootPkg.license).toBe('MIT');
  });

  it('every package has the same version (they are released in lockstep, see RELEASING.md)', () => {
    const versions = new Set(
      names.map((n) => JSON.parse(readFileSync(new URL(`${n}/package.json`, PACKAGES), 'utf8')).version),
    );
    expect([...versions]).toHaveLength(1);
  });

  for (const name of names) {
    it(`packages/${name}: engines, licence, repository, homepage, bugs, keywords, publishConfig, files`, () => {
      const pkg = JSON.parse(readFileSync(new URL(`${name}/package.json`, PACKAGES), 'utf8'));
      expect(pkg.name).toBe(`@krbsim/${name}`);
      expect(pkg.engines).toEqual({ node: rootPkg.engines.node });
      expect(pkg.license).toBe('MIT');
      expect(readFileSync(new URL(`${name}/LICENSE`, PACKAGES), 'utf8')).toBe(licence);
      expect(pkg.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/krbsim/krbsim.git',
        directory: `packages/${name}`,
      });
      expect(pkg.homepage).toBe(`https://github.com/krbsim/krbsim/tree/main/packages/${name}#readme`);
      expect(pkg.bugs).toEqual({ url: 'https://github.com/krbsim/krbsim/issues' });
      expect(pkg.keywords).toEqual(expect.arrayContaining(['kerberos', 'krbsim']));
      expect(pkg.keywords.length).toBeGreaterThan(2);
      expect(pkg.publishConfig).toEqual({ access: 'public' });
      expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
    });
  }
});
