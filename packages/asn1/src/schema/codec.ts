/**
 * The public face of a declared type: {@link Codec} decodes a whole input
 * (checking size limits and trailing bytes, naming the type at the head of
 * error paths) and encodes a value to fresh bytes. The generated functions
 * behind it are compiled on first use.
 *
 * @module
 */

import { Asn1Error, asAsn1Error } from '../der/errors';
import type { Reader } from '../der/reader';
import { newWriter, takeOutput, type Writer } from '../der/writer';
import { compileDecoder, compileEncoder, type DecodeFn, type EncodeFn } from './compile';
import type { Node } from './nodes';

/** Options every `decodeX` function accepts. */
export interface DecodeOptions {
  /** Largest input accepted, in bytes. Default {@link DEFAULT_MAX_BYTES} (1 MiB). */
  readonly maxBytes?: number;
  /**
   * Deepest nesting accepted by the recursive decoders (`decodeDerTree`,
   * `expandAuthorizationData`). Default {@link DEFAULT_MAX_DEPTH}. The typed
   * decoders nest only as deep as their declarations (at most 32).
   */
  readonly maxDepth?: number;
}

/** Default `maxBytes`: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1 << 20;
/** Default `maxDepth`: 32. */
export const DEFAULT_MAX_DEPTH = 32;

const EMPTY = new Uint8Array(0);
/**
 * Decoding is synchronous and never re-enters, so one cursor serves every
 * call. It keeps a reference to the last input until the next call.
 */
const reader: Reader = { buf: EMPTY, pos: 0, ab: EMPTY.buffer, off: 0 };
/**
 * Encoders write into shared slabs and return views of them (see
 * `takeOutput`): a new slab when less than `SLAB_MIN_ROOM` is left.
 */
const SLAB_SIZE = 64 * 1024;
const SLAB_MIN_ROOM = 4096;
const SLAB_MAX = 1 << 20;
let shared: Writer = newWriter(SLAB_SIZE);
let writerBusy = false;

/** Checks the input of a decoder: a Uint8Array no larger than `maxBytes`. */
export function checkInput(bytes: unknown, options: DecodeOptions | undefined, name: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new Asn1Error(`expected a Uint8Array to decode, got ${bytes === null ? 'null' : typeof bytes}`, {
      path: name,
    });
  }
  const max = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > max) {
    throw new Asn1Error(`input of ${bytes.length} bytes exceeds maxBytes ${max}`, { path: name, offset: 0 });
  }
  return bytes;
}

/** A declared type with its generated decoder and encoder. */
export class Codec<T> {
  private dec: DecodeFn | undefined;
  private enc: EncodeFn | undefined;

  /**
   * @param name the type's ASN.1 name, the first segment of error paths (`AS-REQ`)
   * @param node its declaration
   */
  constructor(
    readonly name: string,
    readonly node: Node,
  ) {}

  /** The generated decoder (compiled on first use). */
  get decoder(): DecodeFn {
    if (this.dec === undefined) this.dec = compileDecoder(this.node);
    return this.dec;
  }

  /** The generated encoder (compiled on first use). */
  get encoder(): EncodeFn {
    if (this.enc === undefined) this.enc = compileEncoder(this.node);
    return this.enc;
  }

  /**
   * Decodes exactly one value filling all of `bytes`. Throws {@link Asn1Error}
   * on anything malformed, with the path starting at this type's name.
   */
  decode(bytes: Uint8Array, options?: DecodeOptions): T {
    const d = this.dec ?? this.decoder;
    if (!(bytes instanceof Uint8Array) || bytes.length > (options?.maxBytes ?? DEFAULT_MAX_BYTES)) {
      checkInput(bytes, options, this.name);
    }
    const r = reader;
    const n = bytes.length;
    r.buf = bytes;
    r.pos = 0;
    r.ab = bytes.buffer;
    r.off = bytes.byteOffset;
    try {
      const v = d(r, n);
      if (r.pos !== n) {
        throw new Asn1Error(`${n - r.pos} trailing bytes after the value`, { offset: r.pos });
      }
      return v as T;
    } catch (x) {
      throw asAsn1Error(x).prepend(this.name);
    }
  }

  /**
   * Decodes one value at `r.pos` ending by `end` inside a larger input
   * (no trailing-byte check), for hand-written decoders that embed this type.
   */
  decodeAt(r: Reader, end: number): T {
    return this.decoder(r, end) as T;
  }

  /**
   * Encodes `value` to canonical DER. `appTag` overrides the APPLICATION tag
   * of types that allow more than one (EncKDCRepPart: 25 or 26).
   */
  encode(value: T, appTag?: number): Uint8Array {
    const e = this.encoder;
    if (writerBusy) {
      // Re-entered (an accessor on the value encoded something): use a private writer.
      const own = newWriter(1024);
      try {
        e(own, value, appTag);
      } catch (x) {
        throw asAsn1Error(x).prepend(this.name);
      }
      return takeOutput(own);
    }
    writerBusy = true;
    let w = shared;
    // A new slab when this one is nearly full, or was detached (an output's
    // buffer transferred to a worker takes the whole slab with it).
    if (w.pos < SLAB_MIN_ROOM || w.buf.byteLength === 0) w = shared = newWriter(SLAB_SIZE);
    w.end = w.pos;
    try {
      e(w, value, appTag);
      const out = takeOutput(w);
      if (w.buf.length > SLAB_MAX) shared = newWriter(SLAB_SIZE);
      return out;
    } catch (x) {
      w.pos = w.end;
      throw asAsn1Error(x).prepend(this.name);
    } finally {
      writerBusy = false;
    }
  }

  /** Encodes in front of `w.pos` of a caller's writer, for hand-written encoders that embed this type. */
  encodeTo(w: Writer, value: T, appTag?: number): void {
    this.encoder(w, value, appTag);
  }
}
