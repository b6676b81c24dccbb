/**
 * The dual-package hazard: an application that loads both builds of
 * `@krbsim/core` (the ES module and the CommonJS file) has two
 * `KerberosError` classes. `instanceof` and `isKerberosError` must hold for
 * an error from either copy, for subclasses by their own brand, and for
 * nothing else. This builds the package's two files as tsup does for
 * publishing (into a temporary directory) and loads them side by side; the
 * last test holds every error class that any package exports to a brand of
 * its own.
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_BRAND } from '@krbsim/core';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Core = typeof import('@krbsim/core');

const CORE_SRC = fileURLToPath(new URL('../src/index.ts', import.meta.url));
let out: string;
let esm: Core;
let cjs: Core;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'krbsim-dual-'));
  await build({
    config: false,
    entry: { index: CORE_SRC },
    format: ['esm', 'cjs'],
    outDir: out,
    target: 'node20',
    platform: 'node',
    dts: false,
    silent: true,
  });
  esm = (await import(/* @vite-ignore */ pathToFileURL(join(out, 'index.js')).href)) as Core;
  cjs = createRequire(import.meta.url)(join(out, 'index.cjs')) as Core;
}, 60_000);

afterAll(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe('KerberosError across the ES module and CommonJS copies of @krbsim/core', () => {
  it('the two copies are distinct classes', () => {
    expect(esm.KerberosError).not.toBe(cjs.KerberosError);
    expect(esm.ERROR_BRAND).toBe(cjs.ERROR_BRAND);
    expect(esm.ERROR_BRAND).toBe(Symbol.for('krbsim.error'));
  });

  it('instanceof and isKerberosError hold both ways', () => {
    const fromCjs = new cjs.KerberosError(cjs.ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great');
    const fromEsm = new esm.KerberosError(esm.ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great');
    expect(fromCjs instanceof esm.KerberosError).toBe(true);
    expect(fromEsm instanceof cjs.KerberosError).toBe(true);
    expect(esm.isKerberosError(fromCjs)).toBe(true);
    expect(esm.isKerberosError(fromCjs, esm.ErrorCode.KRB_AP_ERR_SKEW)).toBe(true);
    expect(esm.isKerberosError(fromCjs, esm.ErrorCode.KRB_AP_ERR_REPEAT)).toBe(false);
    expect(cjs.isKerberosError(fromEsm)).toBe(true);
    expect(fromCjs instanceof Error).toBe(true);
  });

  it('a branded subclass answers to its own brand in the other copy, not to another brand', () => {
    class AsnEsm extends esm.KerberosError {
      static override readonly [ERROR_BRAND]: string = '@krbsim/test:A';
    }
    class AsnCjs extends cjs.KerberosError {
      static override readonly [ERROR_BRAND]: string = '@krbsim/test:A';
    }
    class OtherCjs extends cjs.KerberosError {
      static override readonly [ERROR_BRAND]: string = '@krbsim/test:B';
    }
    const a = new AsnCjs(1, 'a');
    const b = new OtherCjs(1, 'b');
    expect(a instanceof AsnEsm).toBe(true);
    expect(new AsnEsm(1, 'a') instanceof AsnCjs).toBe(true);
    expect(b instanceof AsnEsm).toBe(false);
    expect(b instanceof esm.KerberosError).toBe(true);
    expect(new esm.KerberosError(1, 'base') instanceof AsnCjs).toBe(false);
  });

  it('a subclass without a brand of its own keeps the ordinary check', () => {
    class Mine extends esm.KerberosError {}
    class Theirs extends cjs.KerberosError {}
    expect(new Mine(1, 'x') instanceof Mine).toBe(true);
    expect(new Theirs(1, 'x') instanceof Mine).toBe(false);
    expect(new Theirs(1, 'x') instanceof esm.KerberosError).toBe(true);
  });

  it('nothing else passes: plain errors, look-alikes, primitives', () => {
    const lookAlike = Object.assign(new Error('x'), { name: 'KerberosError', code: 37 });
    class Impostor extends Error {
      static readonly [ERROR_BRAND] = '@krbsim/core:Other';
    }
    for (const v of [lookAlike, new Impostor(), {}, null, undefined, 37, 'KerberosError']) {
      expect(v instanceof esm.KerberosError).toBe(false);
      expect(esm.isKerberosError(v)).toBe(false);
    }
  });
});

describe('every exported error class carries a brand of its own', () => {
  const packagesDir = new URL('../../', import.meta.url);
  const classByBrand = new Map<string, unknown>();
  const names = readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  for (const name of names) {
    it(`@krbsim/${name}`, async () => {
      const mod = (await import(/* @vite-ignore */ `@krbsim/${name}`)) as Record<string, unknown>;
      for (const [exported, value] of Object.entries(mod)) {
        if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
        expect(Object.hasOwn(value, ERROR_BRAND), `${exported} has no brand`).toBe(true);
        // Re-exports (`GssTokenError` from @krbsim/client) keep the defining package's brand.
        const brand = (value as unknown as Record<symbol, unknown>)[ERROR_BRAND] as string;
        expect(brand).toMatch(new RegExp(`^@krbsim/[a-z0-9]+:${exported}$`));
        expect(classByBrand.get(brand) ?? value, `${brand} names two classes`).toBe(value);
        classByBrand.set(brand, value);
        expect(value[Symbol.hasInstance], `${exported} keeps the ordinary instanceof`).not.toBe(
          Function.prototype[Symbol.hasInstance],
        );
      }
    });
  }
});
