/**
 * The public face of a declared type: {@link Codec} decodes a whole input
 * (checking size limits and trailing bytes, naming the type at the head of
 * error paths) and encodes a value to fresh bytes. The generated functions
 * behind it come from `precompiled.ts` (generated at build time from the
 * same declarations), else are compiled on first use.
 *
 * @module
 */

import { Asn1Error, asAsn1Error } from '../der/errors';
import { writeOutput } from '../der/output';
import type { Reader } from '../der/reader';
import {
  compileDecoder,
  compileEncoder,
  type DecodeFn,
  type EncodeFn,
  precompiledDecoder,
  precompiledEncoder,
} from './compile';
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

/**
 * Every codec by name, the first of each name: the declarations of this
 * package's modules, which `precompiled.ts` holds (a codec made later under
 * a taken name, such as the JSON converter's, is compiled at first use).
 */
const declared = new Map<string, Node>();

/** The codecs declared so far, for `scripts/codegen.ts`. */
export function declaredCodecs(): { readonly name: string; readonly node: Node }[] {
  return [...declared].map(([name, node]) => ({ name, node }));
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
  ) {
    if (!declared.has(name)) declared.set(name, node);
  }

  /** Whether `precompiled.ts` holds this codec's functions (it is the declaration of its name). */
  #precompiled(): boolean {
    return declared.get(this.name) === this.node;
  }

  /** The generated decoder (precompiled, or compiled on first use). */
  get decoder(): DecodeFn {
    if (this.dec === undefined) {
      this.dec =
        (this.#precompiled() ? precompiledDecoder(this.name) : undefined) ??
        compileDecoder(this.node, this.name);
    }
    return this.dec;
  }

  /** The generated encoder (precompiled, or compiled on first use). */
  get encoder(): EncodeFn {
    if (this.enc === undefined) {
      this.enc =
        (this.#precompiled() ? precompiledEncoder(this.name) : undefined) ??
        compileEncoder(this.node, this.name);
    }
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
   * of types that allow more than one (EncKDCRepPart: 25 or 26). The result
   * is a view into a shared slab (see `der/output.ts`).
   */
  encode(value: T, appTag?: number): Uint8Array {
    const e = this.enc ?? this.encoder;
    try {
      return writeOutput(e, value, appTag);
    } catch (x) {
      throw asAsn1Error(x).prepend(this.name);
    }
  }

  /**
   * Writes `value` in front of `b[p]` and returns where it starts (see
   * `der/writer.ts`), wrapped in the EXPLICIT tag `t` unless it is 0, for
   * hand-written encoders that embed this type.
   */
  encodeTo(b: Uint8Array, p: number, value: T, t = 0, appTag?: number): number {
    return this.encoder(b, p, value, t, appTag);
  }
}
