/**
 * Error classes whose `instanceof` holds across copies of a package.
 *
 * Every krbsim package ships an ES module and a CommonJS build. An
 * application can load both (its own code imports `@krbsim/core`, a
 * dependency requires `@krbsim/kdc`), and then two `KerberosError` classes
 * exist: an error thrown by the CommonJS copy fails a plain
 * `instanceof` against the ES module's class, and so does
 * `isKerberosError`. The same happens with two installed versions.
 *
 * So each error class carries a brand, a string under the registry symbol
 * `Symbol.for('krbsim.error')` (the same symbol in every copy and every
 * realm of the process), and answers `instanceof` with
 * {@link hasErrorBrand}: an ordinary prototype check first, then a search of
 * the value's prototype chain for a class with the same brand. A subclass
 * written by a user, without a brand of its own, keeps the ordinary check.
 *
 * @module
 */

/** The registry symbol a krbsim error class keeps its brand under. */
export const ERROR_BRAND: unique symbol = Symbol.for('krbsim.error');

/** A class that may carry a brand: `'@krbsim/<package>:<ClassName>'`. */
type MaybeBranded = { readonly [ERROR_BRAND]?: unknown };

/** Ordinary `instanceof`, which a class's own `Symbol.hasInstance` would otherwise replace. */
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

function ownBrand(ctor: unknown): unknown {
  return typeof ctor === 'function' && Object.hasOwn(ctor, ERROR_BRAND)
    ? (ctor as MaybeBranded)[ERROR_BRAND]
    : undefined;
}

/**
 * `value instanceof ctor`, also when `value` comes from another copy of the
 * package that defines `ctor`: true when a class on `value`'s prototype
 * chain carries `ctor`'s own brand. Error classes call it from their
 * `static [Symbol.hasInstance]`.
 */
export function hasErrorBrand(ctor: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ordinaryHasInstance.call(ctor, value)) return true;
  const brand = ownBrand(ctor);
  if (typeof brand !== 'string') return false;
  for (let p: unknown = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    const c = Object.hasOwn(p as object, 'constructor')
      ? (p as { constructor: unknown }).constructor
      : undefined;
    if (ownBrand(c) === brand) return true;
  }
  return false;
}
