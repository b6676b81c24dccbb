/** What the azure tests share: the error a call throws, or a promise rejects with, of a given class. */

import { expect } from 'vitest';

/** The error `f` throws, checked to be a `type`. */
export function thrown<E>(f: () => unknown, type: abstract new (...args: never[]) => E): E {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** The error `p` rejects with, checked to be a `type`. */
export async function rejection<E>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
