/**
 * The examples `krbsim serve` ships as built-in names (`krbsim serve
 * azure-sql-mi`): the files of `examples/` beside `dist/` (or `src/`), which
 * the package publishes, so an installed CLI finds them. Kept apart from the
 * file readers so that the help texts can list them without loading a parser.
 *
 * @module
 */

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `examples/` directory of this package (beside `src/` and `dist/`). */
export function examplesDir(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return join(dirname(here), '..', 'examples');
}

/** The built-in names: every `examples/<name>.yaml`, sorted. */
export function builtInNames(dir = examplesDir()): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * @internal `names` joined by `, ` for a help text: lines of at most `width` columns, each after
 * the first indented by `indent` spaces, the first `first` columns in already.
 */
export function wrapNames(names: readonly string[], first: number, indent: number, width = 78): string {
  let out = '';
  let column = first;
  names.forEach((name, i) => {
    const word = i < names.length - 1 ? `${name},` : name;
    if (i > 0 && column + 1 + word.length > width) {
      out += `\n${' '.repeat(indent)}`;
      column = indent;
    } else if (i > 0) {
      out += ' ';
      column += 1;
    }
    out += word;
    column += word.length;
  });
  return out;
}
