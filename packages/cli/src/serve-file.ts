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
 * Reads a serve file: `file` is a path, or, when no such file exists and
 * the name has no `/` or extension, a built-in example. Returns the path
 * read and what it holds.
 */
export async function loadServeFile(
  file: string,
  dir = examplesDir(),
): Promise<ServeFile & { readonly path: string }> {
  let path = file;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const builtIn = /^[a-z0-9][a-z0-9-]*$/.test(file) && builtInNames(dir).includes(file);
    if (!builtIn) {
      const names = builtInNames(dir);
      const hint =
        /^[a-z0-9][a-z0-9-]*$/.test(file) && names.length > 0 ? `; built-in: ${names.join(', ')}` : '';
      throw new TopologyError('topology', `cannot read ${file}: ${(e as Error).message}${hint}`);
    }
    path = join(dir, `${file}.yaml`);
    text = await readFile(path, 'utf8');
  }
  return { ...parseServeFile(text, path.toLowerCase().endsWith('.json') ? 'json' : 'yaml'), path };
}
