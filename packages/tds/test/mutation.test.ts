/**
 * Mutation fuzzing of the decoders a client's bytes reach: valid PRELOGIN,
 * LOGIN7, SQLBatch and token streams with bytes changed, cut or appended.
 * The contract: only TdsErrors come out (never a RangeError from a view
 * read past its end), and whatever decodes re-encodes without throwing.
 */
import {
  decodeLogin7,
  decodePrelogin,
  decodeSqlBatch,
  decodeTokens,
  encodeLogin7,
  encodePrelogin,
  encodeSqlBatch,
  encodeTokens,
  isTdsError,
} from '@krbsim/tds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const mutation = (seed: Uint8Array) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(seed.length - 1), fc.nat(255)), { maxLength: 4 }),
      fc.nat(seed.length),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([flips, cut, tail]) => {
      const b = seed.slice();
      for (const [at, v] of flips) b[at] = v;
      return Uint8Array.from([...b.subarray(0, cut), ...tail]);
    });

function holds<T>(seed: Uint8Array, decode: (b: Uint8Array) => T, encode: (v: T) => unknown, seedNo: number) {
  fc.assert(
    fc.property(mutation(seed), (b) => {
      let v: T;
      try {
        v = decode(b);
      } catch (e) {
        if (!isTdsError(e)) throw e;
        return;
      }
      expect(() => encode(v)).not.toThrow();
    }),
    { seed: seedNo, numRuns: 1500 },
  );
}

describe('mutated client messages yield only TdsErrors', () => {
  it('PRELOGIN', () => {
    const seed = encodePrelogin({
      version: { major: 1, minor: 2, build: 3, subBuild: 4 },
      encryption: 1,
      instance: Uint8Array.of(0),
      threadId: 42,
      mars: 0,
      traceId: new Uint8Array(36),
    });
    holds(seed, decodePrelogin, encodePrelogin, 51);
  });

  it('LOGIN7', () => {
    const seed = encodeLogin7({
      hostName: 'pc1',
      userName: 'u',
      password: 'p',
      appName: 'a',
      database: 'master',
      sspi: new Uint8Array(40).fill(0x60),
      features: [{ id: 0x0a, data: Uint8Array.of(1) }],
    });
    holds(seed, (b) => decodeLogin7(b), encodeLogin7, 52);
  });

  it('SQLBatch', () => {
    holds(
      encodeSqlBatch('SELECT SUSER_SNAME()'),
      (b) => decodeSqlBatch(b),
      (v) => encodeSqlBatch(v.sqlText),
      53,
    );
  });

  it('token streams', () => {
    const seed = encodeTokens([
      { type: 'ENVCHANGE', envType: 1, newValue: 'master', oldValue: '' },
      {
        type: 'LOGINACK',
        interface: 1,
        tdsVersion: 0x74000004,
        progName: 'x',
        progVersion: { major: 1, minor: 0, build: 1 },
      },
      {
        type: 'COLMETADATA',
        columns: [
          { name: 'a', type: 'nvarchar' },
          { name: 'b', type: 'int' },
          { name: 'c', type: 'varchar', length: 4 },
          { name: 'd', type: 'smallint' },
          { name: 'e', type: 'tinyint' },
        ],
      },
      { type: 'ROW', values: ['v', 1, 'caf\u00e9', -2, 38] },
      { type: 'DONE', status: 0x10, curCmd: 0xc1, rowCount: 1 },
    ]);
    holds(
      seed,
      (b) => decodeTokens(b),
      (v) => encodeTokens(v),
      54,
    );
  });
});
