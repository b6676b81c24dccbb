/**
 * Records whose secrets are there to read but not to print (a lab user's or a
 * topology's passwords): the secret fields are not
 * enumerable, and `util.inspect` and `JSON.stringify` show `'<redacted>'` for
 * each one that is set, so logging a parsed topology (a user, a service, a
 * trust) or a test diff never shows a password, and a spread copy (`{ ...user }`)
 * leaves them out. Code reads them as before (`user.password`).
 *
 * @module
 */

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** What a printed or serialized record shows for a secret that is set. */
const REDACTED = '<redacted>';

/**
 * `fields` as a new record whose `secrets` are readable but not enumerable, printed and
 * serialized as `'<redacted>'` (left out when unset). `fields` may be such a record already.
 */
export function withSecretFields<T extends object>(fields: T, secrets: readonly (keyof T & string)[]): T {
  const source = fields as Record<string, unknown>;
  const isSecret = (k: string) => (secrets as readonly string[]).includes(k);
  const shown: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) if (!isSecret(k)) shown[k] = v;
  // The fields in their order, each secret where it was (after the others when it was not enumerable).
  const order = [...Object.keys(source), ...secrets.filter((k) => !Object.keys(source).includes(k))];
  const printed = () => {
    const out: Record<string, unknown> = {};
    for (const k of order) {
      if (!isSecret(k)) out[k] = shown[k];
      else if (source[k] !== undefined) out[k] = REDACTED;
    }
    return out;
  };
  const record = { ...shown };
  const hidden: PropertyDescriptorMap = {};
  for (const k of secrets) hidden[k] = { value: source[k], enumerable: false };
  Object.defineProperties(record, {
    ...hidden,
    toJSON: { value: printed, enumerable: false },
    [INSPECT]: {
      value: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
        inspect(printed(), options),
      enumerable: false,
    },
  });
  return record as T;
}

/** `record` as plain data, its `secrets` enumerable again: for a channel that must carry them (a worker's start message). */
export function withPlainFields<T extends object>(record: T, secrets: readonly (keyof T & string)[]): T {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const k of secrets) {
    const v = (record as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
