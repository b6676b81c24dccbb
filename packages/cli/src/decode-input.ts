/**
 * Turning what a person pastes into bytes for `krbsim decode`: hex (spaces,
 * colons and a `0x` prefix allowed, as Wireshark's "copy as hex stream" and
 * `xxd -p` give), base64 or base64url (as in `Authorization: Negotiate ...`
 * headers and KRB5_TRACE), or `@file` (raw bytes, or a file holding hex or
 * base64 text; `@-` is standard input).
 *
 * @module
 */

/** How to read the input text. `auto` (default) tries hex, then base64. */
export type InputEncoding = 'auto' | 'hex' | 'base64';

/** Options for {@link parseDecodeInput}. */
export interface DecodeInputOptions {
  readonly encoding?: InputEncoding;
}

/** A decode input that cannot be turned into bytes. */
export class DecodeInputError extends Error {
  override get name(): string {
    return 'DecodeInputError';
  }
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/\-_]+={0,2}$/;

/** Strip `Negotiate `/`Kerberos ` header schemes, whitespace, colons and a `0x` prefix. */
function clean(text: string): string {
  let t = text.trim().replace(/^(?:Authorization:\s*)?(?:Negotiate|Kerberos)\s+/i, '');
  t = t.replace(/\s+/g, '');
  return t;
}

function fromHex(t: string): Uint8Array | undefined {
  const h = t.replace(/^0x/i, '').replace(/[:]/g, '');
  if (h.length === 0 || h.length % 2 !== 0 || !HEX.test(h)) return undefined;
  return new Uint8Array(Buffer.from(h, 'hex'));
}

function fromBase64(t: string): Uint8Array | undefined {
  if (t.length === 0 || !BASE64.test(t)) return undefined;
  const std = t.replace(/-/g, '+').replace(/_/g, '/');
  const unpadded = std.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  const bytes = Buffer.from(std, 'base64');
  // Reject input Node would silently truncate or misread.
  if (bytes.toString('base64').replace(/=+$/, '') !== unpadded) return undefined;
  return new Uint8Array(bytes);
}

/** An `@file` that cannot be read: a usage error (exit 2), not bad input. */
export class DecodeFileError extends DecodeInputError {
  override get name(): string {
    return 'DecodeFileError';
  }
}

/**
 * Text (hex or base64) to bytes. In `auto`, text made of hex digits only is
 * hex: an odd number of them is an error, not a second try as base64 (which
 * would decode `6a0` to two unrelated bytes and report a misleading length).
 */
export function textToBytes(text: string, encoding: InputEncoding = 'auto'): Uint8Array {
  const t = clean(text);
  if (t.length === 0) throw new DecodeInputError('the input is empty');
  if (encoding !== 'base64') {
    const hex = fromHex(t);
    if (hex !== undefined) return hex;
    const digits = t.replace(/^0x/i, '').replace(/:/g, '');
    if (encoding === 'auto' && HEX.test(digits) && digits.length % 2 === 1) {
      throw new DecodeInputError(
        `odd-length hex: ${digits.length} hex digits, a byte takes two (use --base64 if it is base64)`,
      );
    }
    if (encoding === 'hex') {
      throw new DecodeInputError(
        `not hex: ${t.replace(/^0x/i, '').replace(/:/g, '').length % 2 === 1 ? 'odd number of digits' : 'a character outside 0-9a-f'}`,
      );
    }
  }
  const b64 = fromBase64(t);
  if (b64 !== undefined) return b64;
  throw new DecodeInputError(
    encoding === 'base64' ? 'not valid base64' : 'the input is neither hex nor base64 (or @file for a file)',
  );
}

/** True when a file's bytes are printable text (so hex or base64), not a raw message. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) {
    if (b === 9 || b === 10 || b === 13) continue;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/**
 * The bytes an argument names: `@path` (`@-`: standard input) reads a file,
 * raw or hex/base64 text; anything else is hex or base64 text.
 */
export async function parseDecodeInput(
  arg: string,
  options: DecodeInputOptions & { readFile?: (path: string) => Promise<Uint8Array> } = {},
): Promise<Uint8Array> {
  if (!arg.startsWith('@')) return textToBytes(arg, options.encoding);
  const path = arg.slice(1);
  let bytes: Uint8Array;
  try {
    bytes =
      options.readFile !== undefined
        ? await options.readFile(path)
        : path === '-'
          ? await readStdin()
          : new Uint8Array(await (await import('node:fs/promises')).readFile(path));
  } catch (e) {
    throw new DecodeFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (options.encoding === undefined || options.encoding === 'auto') {
    return looksLikeText(bytes) ? textToBytes(Buffer.from(bytes).toString('latin1')) : bytes;
  }
  return textToBytes(Buffer.from(bytes).toString('latin1'), options.encoding);
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * When `bytes` starts with a 4-byte big-endian length equal to the rest's
 * length (a TCP record, RFC 4120 section 7.2.2, as copied from Wireshark's TCP
 * payload), the message without it; otherwise undefined.
 */
export function stripTcpPrefix(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 5) return undefined;
  const n = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return n === bytes.length - 4 ? bytes.subarray(4) : undefined;
}
