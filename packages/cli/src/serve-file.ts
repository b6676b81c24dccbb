/**
 * What `krbsim serve` serves: a topology file (realms and trusts) or an
 * Azure lab file (`kind: azure-sql-mi`), given as a path or as the name of
 * an example shipped with the package (`krbsim serve azure-sql-mi`,
 * `krbsim serve azure-trust`): the files of `examples/` beside `dist/`
 * (or `src/`), which the package publishes, so an installed CLI finds them.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AzureLabFile, validateAzureLab } from './azure-lab-file';
import { builtInNames, examplesDir } from './examples';
import { parseDocument, TopologyError, type TopologyFile, validateTopology } from './topology';

/** A file `krbsim serve` can serve. */
export type ServeFile =
  | { readonly kind: 'topology'; readonly topology: TopologyFile }
  | { readonly kind: 'azure-sql-mi'; readonly lab: AzureLabFile };

/**
 * Parses and validates a serve file's text: `kind: azure-sql-mi` is an
 * Azure lab, anything else a topology. `format` defaults to YAML (a
 * superset of JSON).
 */
export function parseServeFile(text: string, format: 'json' | 'yaml' = 'yaml'): ServeFile {
  const doc = parseDocument(text, format);
  const kind = typeof doc === 'object' && doc !== null ? (doc as { kind?: unknown }).kind : undefined;
  if (kind === undefined) return { kind: 'topology', topology: validateTopology(doc) };
  if (kind === 'azure-sql-mi') return { kind: 'azure-sql-mi', lab: validateAzureLab(doc) };
  throw new TopologyError(
    'kind',
    `expected azure-sql-mi (an Azure lab) or no kind (a topology of realms), got ${JSON.stringify(kind)}`,
  );
}

/**
 * @internal A serve file's bytes as text, refused unless they are UTF-8: a
 * lenient decoder would turn a latin-1 password (`caf\xe9`) into another
 * (`caf\ufffd`), served without a word. The error says where (line and
 * byte offset), never the bytes, which may be a password's.
 */
export function decodeServeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    throw new TopologyError(
      'topology',
      `not UTF-8 text: an invalid byte at line ${line} (byte offset ${at}); save the file as UTF-8`,
    );
  }
}

/** The offset of the first byte that does not continue a valid UTF-8 sequence (`bytes.length` if none). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const [extra, min] =
      b < 0x80
        ? [0, 0]
        : b >= 0xc2 && b < 0xe0
          ? [1, 0x80]
          : b >= 0xe0 && b < 0xf0
            ? [2, 0x800]
            : b >= 0xf0 && b < 0xf5
              ? [3, 0x10000]
              : [-1, 0];
    if (extra < 0) return i;
    let cp = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are no UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += extra + 1;
  }
  return i;
}

/**
 * Reads a serve file: `file` is a path, or, when no such file exists and
 * the name has no `/` or extension, a built-in example. Returns the path
 * read and what it holds.
 */
export async function loadServeFile(
  file: string,
  dir = examplesDir(),
): Promise<ServeFile & { readonly path: string }> {
  let path = file;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const builtIn = /^[a-z0-9][a-z0-9-]*$/.test(file) && builtInNames(dir).includes(file);
    if (!builtIn) {
      const names = builtInNames(dir);
      const hint =
        /^[a-z0-9][a-z0-9-]*$/.test(file) && names.length > 0 ? `; built-in: ${names.join(', ')}` : '';
      throw new TopologyError('topology', `cannot read ${file}: ${(e as Error).message}${hint}`);
    }
    path = join(dir, `${file}.yaml`);
    bytes = await readFile(path);
  }
  const text = decodeServeText(bytes);
  return { ...parseServeFile(text, path.toLowerCase().endsWith('.json') ? 'json' : 'yaml'), path };
}
