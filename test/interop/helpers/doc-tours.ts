/**
 * The shell tours of the documentation, as data: every ```sh / ```bash /
 * ```shell block of README.md, packages/<name>/README.md and docs/*.md, and
 * the commented command lines at the top of packages/cli/examples/*.yaml
 * (`#   command`, indented under the `#`), each split into the commands a
 * reader types, with their line numbers. `readme-tours.test.ts` runs them.
 *
 * A command is one line of the block, or several joined by a trailing `\`;
 * lines that are only a comment are left out, and a trailing `# comment`
 * (a `#` after white space, outside quotes, as the shell reads it) is cut
 * off, so that the command is what the shell runs.
 *
 * A block may opt out with `<!-- readme-tours: skip <reason> -->` on the
 * line before its fence; the reason is required, and the test prints it.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One command of a tour, as the reader types it (comments removed). */
export interface TourCommand {
  readonly text: string;
  /** 1-based line of the command's first line in its file. */
  readonly line: number;
}

/** One shell block (or a YAML file's header) and its commands. */
export interface Tour {
  /** The file, relative to the workspace root. */
  readonly file: string;
  /** 1-based number of the shell block in its file (always 1 for a YAML header). */
  readonly block: number;
  /** 1-based line of the opening fence (of the first command line for YAML). */
  readonly line: number;
  readonly commands: readonly TourCommand[];
  /** The reason given by an opt-out marker, if the block has one. */
  readonly optOut?: string;
}

const SHELL_FENCE = /^(\s*)```(sh|bash|shell)\s*$/;
const OPT_OUT = /^<!--\s*readme-tours:\s*skip\b\s*(.*?)\s*-->$/;

/** The files whose tours are run, relative to `root`, in a stable order. */
export function tourFiles(root: string): string[] {
  const md = (dir: string) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.md'))
      .map((d) => `${dir}/${d.name}`)
      .sort();
  const packageReadmes = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `packages/${d.name}/README.md`)
    .filter((f) => {
      try {
        readFileSync(join(root, f));
        return true;
      } catch {
        return false;
      }
    })
    .sort();
  const examples = readdirSync(join(root, 'packages/cli/examples'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `packages/cli/examples/${f}`)
    .sort();
  return ['README.md', ...packageReadmes, ...md('docs'), ...examples];
}

/** The tours of one file (none if it has no shell block or command header). */
export function extractTours(root: string, file: string): Tour[] {
  const text = readFileSync(join(root, file), 'utf8');
  return /\.ya?ml$/.test(file) ? yamlHeaderTour(file, text) : markdownTours(file, text);
}

function markdownTours(file: string, text: string): Tour[] {
  const lines = text.split('\n');
  const tours: Tour[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = SHELL_FENCE.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j]!.trim() !== '```'; j++) {
      body.push({
        text: lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!,
        line: j + 1,
      });
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: shell block never closed`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? OPT_OUT.exec(lines[before]!.trim()) : null;
    if (marker && marker[1]!.length < 10)
      throw new Error(`${file}:${before + 1}: a readme-tours skip marker must say why the block cannot run`);
    tours.push({
      file,
      block: tours.length + 1,
      line: i + 1,
      commands: splitCommands(body),
      ...(marker && { optOut: marker[1]! }),
    });
    i = j;
  }
  return tours;
}

function yamlHeaderTour(file: string, text: string): Tour[] {
  const body: { text: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && lines[i]!.startsWith('#'); i++) {
    // Prose is `# text`; commands are indented further, `#   command`.
    const m = /^# {2,}(\S.*)$/.exec(lines[i]!);
    if (m) body.push({ text: m[1]!, line: i + 1 });
  }
  if (body.length === 0) return [];
  return [{ file, block: 1, line: body[0]!.line, commands: splitCommands(body) }];
}

/** Join `\` continuations, drop comment-only lines, cut trailing comments. */
export function splitCommands(lines: readonly { text: string; line: number }[]): TourCommand[] {
  const out: TourCommand[] = [];
  let pending: { text: string; line: number } | undefined;
  for (const { text, line } of lines) {
    const code = stripComment(pending ? `${pending.text} ${text.trim()}` : text).trimEnd();
    const start = pending?.line ?? line;
    pending = undefined;
    if (code.endsWith('\\')) pending = { text: code.slice(0, -1).trimEnd(), line: start };
    else if (code.trim() !== '') out.push({ text: code.trim(), line: start });
  }
  if (pending && pending.text.trim() !== '') out.push({ text: pending.text.trim(), line: pending.line });
  return out;
}

/** `line` without a trailing shell comment: a `#` at the start or after white space, outside quotes. */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}
