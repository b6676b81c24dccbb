/**
 * The packed-install test (`pnpm test:packed`, run by .ci/run after
 * `pnpm test`): krbsim as its users get it from npm, not as the workspace
 * sees it. After `pnpm build`, it
 *
 * 1. packs every package with `pnpm pack` (workspace:* becomes the version)
 *    and checks each tarball: dist with ESM, CJS and both .d.ts, README,
 *    LICENSE, no sources or tests, no `workspace:` left; the CLI's bin
 *    without declarations;
 * 2. creates a scratch project outside the workspace and `npm install`s the
 *    tarballs into it (third-party dependencies such as yaml and pkijs
 *    come from the registry through npm's cache; fast-check as
 *    `@krbsim/testing`'s peer), with no `@types/node` anywhere;
 * 3. checks that every type the published .d.ts names is exported, and
 *    compiles a file importing every package from ESM and from CJS, plus
 *    the README quick-start, with `types: []` and `lib: es2022, dom` (and
 *    `esnext.disposable` for `await using`): the types need nothing from
 *    Node's;
 * 4. runs the quick-start of packages/azure/README.md from an .mjs and a
 *    .cjs file and checks what they print, checks that an error thrown by
 *    the CJS copy of a package passes `instanceof` and `isKerberosError`
 *    from the ES module copy, and runs the installed `krbsim` bin.
 *
 * Usage: `pnpm build && pnpm test:packed [--keep]` (`--keep` leaves the
 * scratch directory for a look). It takes about 30 s, most of it npm.
 *
 * @module
 */

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = join(ROOT, 'packages');
const keep = process.argv.includes('--keep');
const started = Date.now();
const failures: string[] = [];

function step(name: string): void {
  console.log(`pack-install: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function check(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`,
    );
  }
}

const names = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(PACKAGES, d.name, 'package.json')))
  .map((d) => d.name)
  .sort();
for (const name of names) {
  for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
    if (!existsSync(join(PACKAGES, name, 'dist', f))) {
      console.error(`pack-install: packages/${name}/dist/${f} is missing: run pnpm build first`);
      process.exit(2);
    }
  }
}

/**
 * An application whose own code is ESM and whose dependency requires the
 * lab: the LabError comes from the CJS copy of @krbsim/azure (and its
 * KerberosError from the CJS copy of @krbsim/core), and the ES module
 * copies must still recognise it.
 */
const DUAL_PACKAGE = `import { createRequire } from 'node:module';
import { isKerberosError, KerberosError } from '@krbsim/core';
import { LabError } from '@krbsim/azure';

const require = createRequire(import.meta.url);
const { createAzureSqlMiLab } = require('@krbsim/azure');
const lab = createAzureSqlMiLab({ seed: 1 });
const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
let err;
try {
  mi.createLogin('CONTOSO\\\\nobody', 'WINDOWS');
} catch (e) {
  err = e;
}
console.log(
  err?.name,
  err?.constructor === LabError ? 'esm-copy' : 'cjs-copy',
  err instanceof LabError,
  err instanceof KerberosError,
  isKerberosError(err),
);
`;

const work = mkdtempSync(join(tmpdir(), 'krbsim-packed-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);

try {
  // 1. Pack, and look inside each tarball.
  step(`packing ${names.length} packages into ${tarballs}`);
  run('pnpm', ['-r', '--filter', './packages/**', 'pack', '--pack-destination', tarballs], ROOT);
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
  check(files.length === names.length, `packed ${files.length} tarballs for ${names.length} packages`);
  for (const name of names) {
    const tgz = tarball(name);
    if (!existsSync(tgz)) {
      failures.push(`no tarball for @krbsim/${name}`);
      continue;
    }
    const entries = run('tar', ['-tzf', tgz], work).split('\n').filter(Boolean);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
    ]) {
      check(entries.includes(`package/${f}`), `@krbsim/${name}'s tarball has ${f}`);
    }
    const stray = entries.filter((e) => /^package\/(src|test)\//.test(e));
    check(
      stray.length === 0,
      `@krbsim/${name}'s tarball holds no sources or tests (found ${stray.slice(0, 3).join(', ')})`,
    );
    const manifest = run('tar', ['-xzOf', tgz, 'package/package.json'], work);
    check(!manifest.includes('workspace:'), `@krbsim/${name}'s packed package.json has no workspace: range`);
    // Only the CLI issues certificates on its own: the in-process lab installs without pkijs.
    const deps = Object.keys((JSON.parse(manifest) as { dependencies?: object }).dependencies ?? {});
    if (name !== 'cli') {
      check(
        !deps.includes('pkijs') && !deps.includes('asn1js'),
        `@krbsim/${name} does not install pkijs or asn1js (optional peers of @krbsim/pki)`,
      );
    }
    if (name === 'cli') {
      check(entries.includes('package/dist/bin.js'), '@krbsim/cli has its bin, dist/bin.js');
      const binExtras = entries.filter((e) => /^package\/dist\/bin\.(cjs|d\.ts|d\.cts)$/.test(e));
      check(
        binExtras.length === 0,
        `@krbsim/cli's bin is built once, without declarations (found ${binExtras.join(', ')})`,
      );
    }
  }

  // 2. A scratch project outside the workspace, installed from the tarballs.
  step(`npm install into ${app}`);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'krbsim-packed-app', version: '0.0.0', private: true }, null, 2)}\n`,
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...names.map(tarball)],
    app,
  );
  check(!existsSync(join(app, 'node_modules', '@types', 'node')), 'no @types/node in the scratch project');
  check(
    existsSync(join(app, 'node_modules', 'fast-check')),
    "fast-check installed as @krbsim/testing's peer",
  );

  // 3. Types: every named type exported; compiled without @types/node, from ESM and CJS.
  step('checking the published .d.ts');
  for (const name of names) {
    for (const f of ['index.d.ts', 'index.d.cts']) {
      const file = join(app, 'node_modules', '@krbsim', name, 'dist', f);
      const missing = unexportedTypes(file);
      check(
        missing.length === 0,
        `@krbsim/${name} dist/${f} names types it does not export: ${missing.join(', ')}`,
      );
    }
  }
  const quickStart = readmeQuickStart();
  writeFileSync(join(app, 'quick-start.mts'), quickStart);
  writeFileSync(
    join(app, 'all.mts'),
    names.map((n) => `export * as ${ident(n)} from '@krbsim/${n}';\n`).join(''),
  );
  writeFileSync(
    join(app, 'all.cts'),
    names.map((n) => `import ${ident(n)} = require('@krbsim/${n}');\n`).join('') +
      `export const all = [${names.map(ident).join(', ')}];\n`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'node16',
          moduleResolution: 'node16',
          lib: ['es2022', 'esnext.disposable', 'dom'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['all.mts', 'all.cts', 'quick-start.mts'],
      },
      null,
      2,
    )}\n`,
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    run(process.execPath, [tsc, '-p', app], app);
  } catch (e) {
    failures.push(`the published types do not compile without @types/node:\n${(e as Error).message}`);
  }

  // 4. Run the quick-start from ESM and CJS, the dual-package check and the bin.
  step('running the quick-start from .mjs and .cjs');
  writeFileSync(join(app, 'quick-start.mjs'), transpile(quickStart, 'esm'));
  writeFileSync(join(app, 'quick-start.cjs'), transpile(quickStart, 'cjs'));
  for (const file of ['quick-start.mjs', 'quick-start.cjs']) {
    let out = '';
    try {
      out = run(process.execPath, [file], app);
    } catch (e) {
      failures.push(`${file} failed: ${(e as Error).message}`);
      continue;
    }
    const lines = out.split('\n');
    check(
      lines[0] === 'CONTOSO\\alice' && lines[1] === 'CONTOSO\\alice',
      `${file} prints the logins: ${lines.slice(0, 2)}`,
    );
    check(out.includes('KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy)'), `${file} prints the trace`);
    check(
      lines.some((l) => l.startsWith('sequenceDiagram')),
      `${file} prints the Mermaid diagram`,
    );
  }

  step('an error from the CJS copy, checked from the ES module copy');
  writeFileSync(join(app, 'dual.mjs'), DUAL_PACKAGE);
  const dual = run(process.execPath, ['dual.mjs'], app).trim();
  check(dual === 'LabError cjs-copy true true true', `dual.mjs: ${dual}`);

  step('the krbsim bin');
  const help = run(join(app, 'node_modules', '.bin', 'krbsim'), ['--help'], app);
  check(help.startsWith('Usage: krbsim'), `krbsim --help prints the usage: ${help.slice(0, 40)}`);
} catch (e) {
  failures.push((e as Error).message);
} finally {
  if (keep) console.log(`pack-install: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`pack-install: ${failures.length} failure(s) in ${seconds} s:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `pack-install: ${names.length} packages packed, installed with npm, typed and run, in ${seconds} s`,
);

/** Where `pnpm pack` put `@krbsim/<name>`: krbsim-<name>-<version>.tgz. */
function tarball(name: string): string {
  const { version } = JSON.parse(readFileSync(join(PACKAGES, name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return join(tarballs, `krbsim-${name}-${version}.tgz`);
}

/** `@krbsim/testing` -> `krbsim_testing`, an identifier for the import. */
function ident(name: string): string {
  return `krbsim_${name}`;
}

/** The first ```ts block of packages/azure/README.md, the quick-start users copy. */
function readmeQuickStart(): string {
  const readme = readFileSync(join(PACKAGES, 'azure', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('packages/azure/README.md has no ```ts block');
  return code;
}

/**
 * The quick-start as plain JavaScript, the way a TypeScript user's compiler
 * emits it for Node 20 (target es2022, `await using` lowered). For CommonJS
 * the imports become requires and the rest runs in an async function, as
 * top-level await is for ES modules only.
 */
function transpile(source: string, format: 'esm' | 'cjs'): string {
  let code = source;
  if (format === 'cjs') {
    const imports = [...source.matchAll(/^import [\s\S]*? from '[^']+';\n/gm)].map((m) => m[0]);
    const body = imports.reduce((s, i) => s.replace(i, ''), source);
    code = `${imports.join('')}(async () => {\n${body}\n})().catch((e) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n`;
  }
  return ts.transpileModule(code, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: format === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      esModuleInterop: true,
    },
  }).outputText;
}

/**
 * Names a bundled .d.ts declares at its top level (interfaces, type aliases,
 * classes, enums, functions) without exporting them: types a user meets in
 * a signature and cannot name. Constants used only inside types (a `unique
 * symbol` key) are not counted.
 */
function unexportedTypes(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const declared = new Set<string>();
  const exported = new Set<string>();
  for (const st of sf.statements) {
    if (
      ts.isExportDeclaration(st) &&
      st.exportClause &&
      ts.isNamedExports(st.exportClause) &&
      !st.moduleSpecifier
    ) {
      for (const el of st.exportClause.elements) exported.add((el.propertyName ?? el.name).text);
    } else if (
      (ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isEnumDeclaration(st) ||
        ts.isFunctionDeclaration(st)) &&
      st.name !== undefined
    ) {
      const isExported = ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
      (isExported ? exported : declared).add(st.name.text);
    }
  }
  return [...declared].filter((n) => !exported.has(n)).sort();
}
