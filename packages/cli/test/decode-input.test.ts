import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DecodeFileError,
  DecodeInputError,
  parseDecodeInput,
  stripTcpPrefix,
  textToBytes,
} from '../src/decode-input';

const bytes = new Uint8Array([0x6a, 0x81, 0xa7, 0x30, 0xff, 0x00]);
const hex = '6a81a730ff00';

describe('decode input', () => {
  it('reads hex with spaces, colons, line breaks and 0x', () => {
    expect(textToBytes(hex)).toEqual(bytes);
    expect(textToBytes('6A 81 a7\n30:ff:00')).toEqual(bytes);
    expect(textToBytes('0x6a81a730ff00')).toEqual(bytes);
  });

  it('reads base64, base64url and Negotiate headers', () => {
    const b64 = Buffer.from(bytes).toString('base64');
    expect(textToBytes(b64)).toEqual(bytes);
    expect(textToBytes(Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
    expect(textToBytes(`Negotiate ${b64}`)).toEqual(bytes);
    expect(textToBytes(`Authorization: Negotiate ${b64}`)).toEqual(bytes);
  });

  it('forces an encoding when asked', () => {
    // "deadbeef" is valid hex and valid base64.
    expect(textToBytes('deadbeef')).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(textToBytes('deadbeef', 'base64')).toEqual(new Uint8Array(Buffer.from('deadbeef', 'base64')));
    expect(() => textToBytes('abc', 'hex')).toThrow('not hex: odd number of digits');
  });

  it('reads hex digits as hex only: an odd count is an error, not base64', () => {
    expect(() => textToBytes('6a0')).toThrow('odd-length hex: 3 hex digits');
    expect(() => textToBytes('0x6a0')).toThrow('odd-length hex: 3 hex digits');
    expect(() => textToBytes('6a:0')).toThrow('odd-length hex');
    // Text with a character outside 0-9a-f is still base64.
    expect(textToBytes('6ag')).toEqual(new Uint8Array(Buffer.from('6ag', 'base64')));
  });

  it('rejects what is neither', () => {
    expect(() => textToBytes('')).toThrow(DecodeInputError);
    expect(() => textToBytes('not*hex*or*base64')).toThrow('neither hex nor base64');
    expect(() => textToBytes('abcde', 'base64')).toThrow('not valid base64');
  });

  describe('@file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'krbsim-decode-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads raw bytes, hex text and base64 text files', async () => {
      await writeFile(join(dir, 'raw.der'), bytes);
      await writeFile(join(dir, 'msg.hex'), `${hex}\n`);
      await writeFile(join(dir, 'msg.b64'), `${Buffer.from(bytes).toString('base64')}\n`);
      expect(await parseDecodeInput(`@${join(dir, 'raw.der')}`)).toEqual(bytes);
      expect(await parseDecodeInput(`@${join(dir, 'msg.hex')}`)).toEqual(bytes);
      expect(await parseDecodeInput(`@${join(dir, 'msg.b64')}`)).toEqual(bytes);
    });

    it('names a missing file', async () => {
      await expect(parseDecodeInput(`@${join(dir, 'nope')}`)).rejects.toThrow(/cannot read .*nope/);
      await expect(parseDecodeInput(`@${join(dir, 'nope')}`)).rejects.toBeInstanceOf(DecodeFileError);
    });
  });

  it('strips a TCP length prefix only when it matches', () => {
    const framed = new Uint8Array([0, 0, 0, bytes.length, ...bytes]);
    expect(stripTcpPrefix(framed)).toEqual(bytes);
    expect(stripTcpPrefix(bytes)).toBeUndefined();
  });
});
