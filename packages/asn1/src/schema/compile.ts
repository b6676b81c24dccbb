/**
 * Generates one decoder and one encoder function per declared type (see
 * `nodes.ts`), once, at first use. The generated code is plain straight-line
 * JavaScript: one function per SEQUENCE, SEQUENCE OF, CHOICE and APPLICATION
 * wrapper, each field unrolled, result objects built as object literals with
 * a fixed key order (so every decoded value of a type shares one hidden
 * class: absent OPTIONAL fields are present with the value `undefined`).
 *
 * Paths for errors cost nothing on success: each generated function keeps the
 * index of the field it is in and, only when something throws, prepends that
 * field's ASN.1 name to the {@link Asn1Error}'s path.
 *
 * Every SEQUENCE and CHOICE is generated once per direction and shared by
 * the codecs that contain it (see `shared` below).
 *
 * Only the declarations in this package are compiled (never anything derived
 * from input), so generating code with `new Function` is safe here. Each
 * generated source ends with a `//# sourceURL=` comment naming its type
 * (`krbsim-codec/decode/KRB-ERROR.js`), so stack traces and debuggers show
 * that name instead of `eval at compile` (a shared type's frames name the
 * codec it was first generated for); being a comment, it changes nothing in
 * the compiled code.
 *
 * @module
 */

import type { Reader } from '../der/reader';
import * as rd from '../der/reader';
import * as wr from '../der/writer';
import type { IntegerForm } from '../types/basic';
import type { AppNode, ChoiceNode, Node, SeqNode, SeqOfNode } from './nodes';
import { decoders, encoders } from './precompiled';
import * as gen from './runtime';

/** The deepest nesting (in TLVs) a declaration may have; input cannot make typed decoding deeper. */
const MAX_SCHEMA_DEPTH = 32;

/** A generated decoder: reads one TLV of its type at `r.pos` ending by `end`. */
export type DecodeFn = (r: Reader, end: number) => unknown;
/**
 * A generated encoder: writes `v` in front of `b[p]` and returns where it
 * starts (see `der/writer.ts`); `t` is an EXPLICIT tag to wrap it in (0:
 * none), `ctx` overrides an APPLICATION tag.
 */
export type EncodeFn = (b: Uint8Array, p: number, v: unknown, t: number, ctx?: number) => number;

/** Everything the generated code calls. */
const RT = { ...rd, ...wr, ...gen };

const RT_KEYS = Object.keys(RT);

/** Which module each helper comes from, for the imports of `precompiled.ts`. */
const HELPER_MODULES: readonly (readonly [string, readonly string[]])[] = [
  ['../der/reader', Object.keys(rd)],
  ['../der/writer', Object.keys(wr)],
  ['./runtime', Object.keys(gen)],
];

/**
 * The runtime helpers `body` calls (always as `name(`), to unpack at its
 * top: a codec's source declares only what it uses. A name that merely
 * contains another (`tlx(` holds no `tl(`, but `at(` could sit inside a
 * longer name) at worst adds an unused constant.
 */
function helpersUsed(body: string): string {
  // Sorted: a module namespace lists its names in an order that depends on the loader.
  return RT_KEYS.filter((n) => body.includes(`${n}(`))
    .sort()
    .join(', ');
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const prop = (obj: string, key: string): string =>
  IDENT.test(key) ? `${obj}.${key}` : `${obj}[${JSON.stringify(key)}]`;
const lit = (key: string): string => (IDENT.test(key) ? key : JSON.stringify(key));

/** The name a type's generated functions appear under in stack traces: `krbsim-codec/decode/KRB-ERROR.js`. */
function sourceUrl(kind: 'decode' | 'encode', name: string): string {
  // Type names are ASN.1 identifiers; anything else is replaced so the URL stays one path segment.
  return `krbsim-codec/${kind}/${name.replace(/[^A-Za-z0-9._-]/g, '_')}.js`;
}

/** A constructed node's ASN.1 name (an APPLICATION wrapper is named by its SEQUENCE). */
function nodeName(node: Exclude<Node, { kind: 'prim' }>): string {
  return node.kind === 'app' ? node.of.name : node.name;
}

/**
 * Declarations already measured ({@link schemaDepth}) and checked
 * ({@link checkForms}). Performance: types are shared by many codecs, and
 * walking each codec's whole tree again was a tenth of a fresh process's
 * first lab flow.
 */
const depths = new WeakMap<Node, number>();
const formsChecked = new WeakSet<Node>();

/** Nesting depth in TLVs of a declaration. */
function schemaDepth(node: Node): number {
  let d = depths.get(node);
  if (d !== undefined) return d;
  switch (node.kind) {
    case 'prim':
      d = 1;
      break;
    case 'seq':
      d = 1 + Math.max(0, ...node.fields.map((f) => 1 + schemaDepth(f.node)));
      break;
    case 'seqOf':
      d = 1 + schemaDepth(node.of);
      break;
    case 'app':
      d = 1 + schemaDepth(node.of);
      break;
    case 'choice':
      d = Math.max(...node.alts.map((f) => 1 + schemaDepth(f.node)));
      break;
  }
  depths.set(node, d);
  return d;
}

/** The default form of a UInt32 component (see `Field.formKey`). */
function uintForm(node: Node): IntegerForm {
  return (node.kind === 'prim' && node.uintForm) || 'unsigned';
}

/**
 * Throws for a UInt32 anywhere but directly in a SEQUENCE component: only
 * there is there a sibling key to keep its form in, and a declaration that
 * lost it would re-encode some inputs to other bytes.
 */
function checkForms(node: Node, where: string, seen = new Set<Node>()): void {
  if (seen.has(node) || formsChecked.has(node)) return;
  seen.add(node);
  let inner: [Node, string][] = [];
  if (node.kind === 'seq') inner = node.fields.map((f) => [f.node, `${where}.${f.asn}`]);
  else if (node.kind === 'app') inner = [[node.of, where]];
  else if (node.kind === 'seqOf' || node.kind === 'choice') {
    const bare: [Node, string][] =
      node.kind === 'seqOf' ? [[node.of, `${where}[]`]] : node.alts.map((a) => [a.node, `${where}.${a.asn}`]);
    for (const [n, w] of bare) {
      if (n.kind === 'prim' && n.uintForm !== undefined)
        throw new Error(`${w}: a UInt32 cannot keep its form here`);
    }
    inner = bare;
  }
  for (const [n, w] of inner) checkForms(n, w, seen);
  formsChecked.add(node);
}

/**
 * The generated function of every SEQUENCE and CHOICE, per direction, made
 * once and shared by every codec that contains it (PrincipalName is in most
 * messages, EncryptedData in a dozen). A codec's source generates the types
 * not compiled yet, hands their functions back for the next codecs, and
 * binds those compiled before to constants of its scope, called as it calls
 * the runtime helpers. Performance: when each codec generated its own copy
 * of every type inside it, one lab flow in a fresh process made 2.4 times
 * the source (223 functions for 92 types, 145 KB) for V8 to parse and
 * compile; a shared function is also compiled and warmed up once.
 */
const shared = { decode: new WeakMap<Node, unknown>(), encode: new WeakMap<Node, unknown>() };

/** Whether a node is generated once for every codec (see {@link shared}). */
const isShared = (node: Node): boolean => node.kind === 'seq' || node.kind === 'choice';

abstract class Gen {
  protected readonly out: string[] = [];
  protected readonly ids = new Map<Node, string>();
  readonly K: unknown[] = [];

  /**
   * @param standalone generate for a module of its own (`generateCodecModule`):
   *   never bind a function compiled in this process, which a module cannot hold
   * @param kName the name of the constants array in the generated code
   */
  constructor(
    private readonly standalone = false,
    private readonly kName = 'K',
  ) {}
  /** Constants binding the shared functions compiled before, which this source calls. */
  readonly #bound: string[] = [];
  /** The shared types this source generates, handed back with their function ids. */
  readonly #made: [Node, string][] = [];

  protected k(v: unknown): string {
    this.K.push(v);
    return `${this.kName}[${this.K.length - 1}]`;
  }

  protected fn(node: Node): string {
    const known = this.ids.get(node);
    if (known !== undefined) return known;
    // Named after the type (an APPLICATION wrapper after the SEQUENCE it wraps): stack frames say which.
    const typeName = node.kind === 'app' ? `app_${node.of.name}` : ((node as { name?: string }).name ?? '');
    const id = `${this.prefix}${this.ids.size}_${typeName.replace(/\W/g, '_')}`;
    this.ids.set(node, id);
    if (isShared(node) && !this.standalone) {
      const f = shared[this.kind].get(node);
      if (f !== undefined) {
        this.#bound.push(`const ${id} = ${this.k(f)};`);
        return id;
      }
      this.#made.push([node, id]);
    }
    this.out.push(this.build(node as Exclude<Node, { kind: 'prim' }>, id));
    return id;
  }

  protected abstract readonly prefix: string;
  /** Which half of the codec this generates, for the source URL. */
  protected abstract readonly kind: 'decode' | 'encode';
  /** The source of function `id` for a constructed node, by its kind. */
  protected build(node: Exclude<Node, { kind: 'prim' }>, id: string): string {
    switch (node.kind) {
      case 'seq':
        return this.seq(node, id);
      case 'seqOf':
        return this.seqOf(node, id);
      case 'app':
        return this.app(node, id);
      case 'choice':
        return this.choice(node, id);
    }
  }
  protected abstract seq(node: SeqNode, id: string): string;
  protected abstract seqOf(node: SeqOfNode, id: string): string;
  protected abstract app(node: AppNode, id: string): string;
  protected abstract choice(node: ChoiceNode, id: string): string;

  /** Checks `root` (depth, forms) and generates its function and those it calls; returns its id. */
  emit(root: Node, name?: string): string {
    const depth = schemaDepth(root);
    if (depth > MAX_SCHEMA_DEPTH)
      throw new Error(`declaration nests ${depth} deep, over ${MAX_SCHEMA_DEPTH}`);
    if (root.kind === 'prim') throw new Error('compile a constructed type');
    checkForms(root, name ?? nodeName(root));
    return this.fn(root);
  }

  /** Everything generated so far: the functions' source, in dependency order. */
  source(): string {
    return this.out.join('\n');
  }

  /** Compiles `root`; `name` (default: the root's ASN.1 name) names the source in stack traces. */
  compile<F>(root: Node, name?: string): F {
    if (root.kind === 'prim') throw new Error('compile a constructed type');
    const known = shared[this.kind].get(root);
    if (known !== undefined) return known as F;
    const rootId = this.emit(root, name);
    const url = sourceUrl(this.kind, name ?? nodeName(root));
    const body = this.out.join('\n');
    const made = this.#made.map(([, id]) => id).join(', ');
    const src = `"use strict";\nconst { ${helpersUsed(body)} } = RT;\n${this.#bound.join('\n')}\n${body}\nreturn [${rootId}, ${made}];\n//# sourceURL=${url}`;
    const fns = new Function('RT', 'K', src)(RT, this.K) as unknown[];
    this.#made.forEach(([node], i) => {
      shared[this.kind].set(node, fns[i + 1]);
    });
    return fns[0] as F;
  }
}

class DecGen extends Gen {
  protected readonly prefix = 'd';
  protected readonly kind = 'decode';

  private expr(node: Node, end: string): string {
    if (node.kind === 'prim') {
      if (node.rawTag !== undefined) {
        return node.rawTag === -1 ? `dAny(r, ${end})` : `dRaw(r, ${end}, ${node.rawTag})`;
      }
      return `${node.dec}(r, ${end})`;
    }
    return `${this.fn(node)}(r, ${end})`;
  }

  protected seq(node: SeqNode, id: string): string {
    const L: string[] = [];
    L.push(
      `function ${id}(r, end, ctx) {`,
      'let f = -1;',
      'try {',
      'const b = r.buf;',
      'const e = hdr(r, end, 48);',
    );
    node.fields.forEach((fd, i) => {
      L.push(`let v${i};`);
      if (fd.rawKey !== undefined) L.push(`let w${i};`);
      if (fd.formKey !== undefined) L.push(`let m${i};`);
    });
    node.fields.forEach((fd, i) => {
      const T = (fd.implicit ? 0x80 : 0xa0) | fd.tag;
      L.push(
        `f = ${i};`,
        `if (r.pos < e && b[r.pos] === ${T}) {`,
        // The short-form length inline; everything else (long form, errors) in hdrT.
        'const p0 = r.pos;',
        'const n0 = b[p0 + 1];',
        'let fe;',
        'if (n0 < 128 && p0 + 2 + n0 <= e) { r.pos = p0 + 2; fe = p0 + 2 + n0; } else fe = hdrT(r, e);',
      );
      if (fd.rawKey !== undefined) L.push(`const s${i} = r.pos;`);
      if (fd.node.kind === 'prim' && fd.node.msgType) {
        L.push(`v${i} = dInt32(r, fe);`, `if (v${i} !== ctx) msgTypeMismatch(r, ctx, v${i});`);
      } else if (fd.formKey !== undefined) {
        // A UInt32 of 2^31 or more has two forms; which one came is kept (only above 2^31-1,
        // so the usual small kvno or 31-bit nonce pays one comparison).
        L.push(
          `const q${i} = r.pos;`,
          `v${i} = ${this.expr(fd.node, 'fe')};`,
          `if (v${i} > 2147483647) m${i} = uintFormOf(r.pos - q${i}, ${JSON.stringify(uintForm(fd.node))});`,
        );
      } else if (fd.implicit) {
        L.push(`v${i} = dBody(r, fe);`);
      } else {
        L.push(`v${i} = ${this.expr(fd.node, 'fe')};`);
      }
      if (fd.rawKey !== undefined) L.push(`w${i} = b.subarray(s${i}, r.pos);`);
      L.push('if (r.pos !== fe) extra(r, fe);');
      L.push(fd.optional ? '}' : `} else missing(r, e, ${T});`);
    });
    L.push('f = -1;');
    if (node.ext) {
      const last = node.fields.length > 0 ? node.fields[node.fields.length - 1]!.tag : -1;
      L.push(
        'while (r.pos < e) {',
        'const t = b[r.pos];',
        `if ((t & 0xe0) === 0xa0 && (t & 31) > ${last} && (t & 31) !== 31) skip(r, e); else break;`,
        '}',
      );
    }
    L.push('if (r.pos !== e) unexpected(r, e);');
    const parts: string[] = [];
    if (node.appKey !== undefined) parts.push(`${lit(node.appKey)}: ctx`);
    node.fields.forEach((fd, i) => {
      parts.push(`${lit(fd.key)}: v${i}`);
      if (fd.formKey !== undefined) parts.push(`${lit(fd.formKey)}: m${i}`);
      if (fd.rawKey !== undefined) parts.push(`${lit(fd.rawKey)}: w${i}`);
    });
    L.push(`return { ${parts.join(', ')} };`);
    L.push(`} catch (x) { throw at(x, f, ${this.k(node.fields.map((f) => f.asn))}); }`, '}');
    return L.join('\n');
  }

  protected seqOf(node: SeqOfNode, id: string): string {
    return [
      `function ${id}(r, end) {`,
      'let i = -1;',
      'try {',
      'const e = hdr(r, end, 48);',
      'const out = [];',
      'i = 0;',
      `while (r.pos < e) { out.push(${this.expr(node.of, 'e')}); i++; }`,
      'i = -1;',
      node.min > 0 ? `if (out.length < ${node.min}) tooFew(out.length, ${node.min});` : '',
      'return out;',
      '} catch (x) { throw atI(x, i); }',
      '}',
    ].join('\n');
  }

  protected app(node: AppNode, id: string): string {
    const test = node.tags.map((t) => `t !== ${0x60 | t}`).join(' && ');
    return [
      `function ${id}(r, end) {`,
      'const t = r.pos < end ? r.buf[r.pos] : -1;',
      `if (${test}) wrongApp(r, end, ${this.k(node.tags)});`,
      'const e = len(r, end, r.pos + 1);',
      `const v = ${this.fn(node.of)}(r, e, t & 31);`,
      'if (r.pos !== e) extra(r, e);',
      'return v;',
      '}',
    ].join('\n');
  }

  protected choice(node: ChoiceNode, id: string): string {
    const L: string[] = [`function ${id}(r, end) {`, 'let f = -1;', 'try {'];
    L.push('const t = r.pos < end ? r.buf[r.pos] : -1;');
    node.alts.forEach((fd, i) => {
      const T = (fd.implicit ? 0x80 : 0xa0) | fd.tag;
      L.push(
        `if (t === ${T}) {`,
        `f = ${i};`,
        'const fe = hdrT(r, end);',
        `const v = ${fd.implicit ? 'dBody(r, fe)' : this.expr(fd.node, 'fe')};`,
        'if (r.pos !== fe) extra(r, fe);',
        `return { ${lit(fd.key)}: v };`,
        '}',
      );
    });
    L.push(`return noChoice(r, end, ${this.k(node.alts.map((a) => (a.implicit ? 0x80 : 0xa0) | a.tag))});`);
    L.push(`} catch (x) { throw at(x, f, ${this.k(node.alts.map((f) => f.asn))}); }`, '}');
    return L.join('\n');
  }
}

class EncGen extends Gen {
  protected readonly prefix = 'e';
  protected readonly kind = 'encode';

  /** An expression writing `x` (wrapped in the EXPLICIT tag `T`, 0 for none) that gives the new start. */
  private expr(node: Node, x: string, T: number): string {
    if (node.kind === 'prim') {
      if (node.msgType) return `eInt32(b, p, ctx, ${T})`;
      if (node.rawTag !== undefined) return `eRaw(b, p, ${x}, ${node.rawTag}, ${T})`;
      return `${node.enc}(b, p, ${x}, ${T})`;
    }
    return `${this.fn(node)}(b, p, ${x}, ${T})`;
  }

  protected seq(node: SeqNode, id: string): string {
    const L: string[] = [`function ${id}(b, p, v, t, ctx) {`, 'let f = -1;', 'try {'];
    L.push(`if (v === null || typeof v !== 'object') badValue(${this.k(`a ${node.name} (object)`)}, v);`);
    L.push('const s = p;', 'let x;');
    for (let i = node.fields.length - 1; i >= 0; i--) {
      const fd = node.fields[i]!;
      L.push(`f = ${i};`, `x = ${prop('v', fd.key)};`);
      let body = fd.implicit
        ? `p = eImpl(b, p, x, ${0x80 | fd.tag});`
        : `p = ${this.expr(fd.node, 'x', 0xa0 | fd.tag)};`;
      if (fd.formKey !== undefined && fd.node.kind === 'prim') {
        // The UInt32 encoders take the form the value names (used only for 2^31 and more).
        body = `p = ${fd.node.enc}(b, p, x, ${0xa0 | fd.tag}, ${prop('v', fd.formKey)});`;
      }
      L.push(fd.optional ? `if (x !== undefined && x !== null) ${body}` : body);
    }
    L.push('f = -1;', 'return tlx(b, p, 48, s - p, t);');
    L.push(`} catch (err) { throw at(err, f, ${this.k(node.fields.map((f) => f.asn))}); }`, '}');
    return L.join('\n');
  }

  protected seqOf(node: SeqOfNode, id: string): string {
    return [
      `function ${id}(b, p, a, t) {`,
      'let i = -1;',
      'try {',
      `if (!Array.isArray(a)) badValue(${this.k(`an array (${node.name})`)}, a);`,
      node.min > 0 ? `if (a.length < ${node.min}) tooFew(a.length, ${node.min});` : '',
      'const s = p;',
      `for (i = a.length - 1; i >= 0; i--) p = ${this.expr(node.of, 'a[i]', 0)};`,
      'i = -1;',
      'return tlx(b, p, 48, s - p, t);',
      '} catch (x) { throw atI(x, i); }',
      '}',
    ].join('\n');
  }

  protected app(node: AppNode, id: string): string {
    const tags = this.k(node.tags);
    const allowed = node.tags.map((t) => `n === ${t}`).join(' || ');
    const L = [`function ${id}(b, p, v, t, ov) {`, 'let n;'];
    if (node.link === 'msgType') {
      L.push(
        "n = v !== null && typeof v === 'object' ? v.msgType : undefined;",
        `if (!(${allowed})) badApp(n, ${tags}, 'msg-type');`,
      );
    } else if (node.link === 'record') {
      const key = prop('v', node.of.appKey ?? 'appTag');
      L.push(
        `n = ov !== undefined ? ov : v !== null && typeof v === 'object' && ${key} !== undefined ? ${key} : ${node.tags[0]};`,
        `if (!(${allowed})) badApp(n, ${tags}, 'application tag');`,
      );
    } else {
      L.push(`n = ${node.tags[0]};`);
    }
    L.push(
      'const s = p;',
      `p = ${this.fn(node.of)}(b, p, v, 0, n);`,
      'return tlx(b, p, 96 | n, s - p, t);',
      '}',
    );
    return L.join('\n');
  }

  protected choice(node: ChoiceNode, id: string): string {
    const L: string[] = [`function ${id}(b, p, v, t) {`, 'let f = -1;', 'try {'];
    L.push(`if (v === null || typeof v !== 'object') badValue(${this.k(`a ${node.name} (object)`)}, v);`);
    L.push('const s = p;', 'let x;');
    node.alts.forEach((fd, i) => {
      L.push(
        `x = ${prop('v', fd.key)};`,
        `if (x !== undefined) { f = ${i}; p = ${fd.implicit ? `eImpl(b, p, x, ${0x80 | fd.tag})` : this.expr(fd.node, 'x', 0xa0 | fd.tag)}; return t === 0 ? p : tl(b, p, t, s - p); }`,
      );
    });
    const keys = node.alts.map((a) => a.key).join(', ');
    L.push(`badValue(${this.k(`one of ${keys} (${node.name})`)}, v);`);
    L.push(`} catch (err) { throw at(err, f, ${this.k(node.alts.map((f) => f.asn))}); }`, '}');
    return L.join('\n');
  }
}

/** Generates the decoder of `root`; `name` (default: the root's) names it in stack traces. */
export function compileDecoder(root: Node, name?: string): DecodeFn {
  return new DecGen().compile<DecodeFn>(root, name);
}

/**
 * The source of `precompiled.ts`: the decoder and encoder of every codec in
 * `codecs`, as `compileDecoder` and `compileEncoder` would generate them, as
 * the top-level functions of one module, so that a process neither generates
 * nor parses them at first use (V8 compiles each at its first call, as it
 * does the generated ones). `scripts/codegen.ts` writes it; a test checks
 * that it is current. Each type is generated once per direction.
 */
export function generateCodecModule(
  codecs: readonly { readonly name: string; readonly node: Node }[],
): string {
  const dec = new DecGen(true, 'KD');
  const enc = new EncGen(true, 'KE');
  const names = new Set<string>();
  const decIds: string[] = [];
  const encIds: string[] = [];
  for (const c of codecs) {
    if (names.has(c.name)) throw new Error(`two codecs are named ${c.name}`);
    names.add(c.name);
    decIds.push(`  ${JSON.stringify(c.name)}: ${dec.emit(c.node, c.name)},`);
    encIds.push(`  ${JSON.stringify(c.name)}: ${enc.emit(c.node, c.name)},`);
  }
  const body = `${dec.source()}\n${enc.source()}`;
  // Each module's helpers are copied into constants of this module, as the code compiled at run
  // time unpacks them: calls then go to constants rather than through imported bindings.
  const imports = HELPER_MODULES.map(([from, exported], i) => {
    const used = exported.filter((n) => body.includes(`${n}(`)).sort();
    return used.length === 0
      ? ''
      : `import * as H${i} from '${from}';\nconst { ${used.join(', ')} } = H${i};\n`;
  }).join('');
  return [
    '// @ts-nocheck',
    '/*',
    ' * Generated by `pnpm --filter @krbsim/asn1 codegen` (scripts/codegen.ts) from the',
    ' * declarations in src/messages: do not edit. test/precompiled.test.ts fails when it',
    ' * is not current. See `generateCodecModule` in compile.ts.',
    ' */',
    '',
    imports,
    `const KD = ${JSON.stringify(dec.K)};`,
    `const KE = ${JSON.stringify(enc.K)};`,
    '',
    body,
    '',
    `export const decoders = {\n${decIds.join('\n')}\n};`,
    `export const encoders = {\n${encIds.join('\n')}\n};`,
    '',
  ].join('\n');
}

const DECODERS = decoders as unknown as Readonly<Record<string, DecodeFn>>;
const ENCODERS = encoders as unknown as Readonly<Record<string, EncodeFn>>;

/** The precompiled decoder of the codec named `name`, if `precompiled.ts` has one. */
export function precompiledDecoder(name: string): DecodeFn | undefined {
  return Object.hasOwn(DECODERS, name) ? DECODERS[name] : undefined;
}

/** The precompiled encoder of the codec named `name`, if `precompiled.ts` has one. */
export function precompiledEncoder(name: string): EncodeFn | undefined {
  return Object.hasOwn(ENCODERS, name) ? ENCODERS[name] : undefined;
}

/** Generates the encoder of `root`; `name` (default: the root's) names it in stack traces. */
export function compileEncoder(root: Node, name?: string): EncodeFn {
  return new EncGen().compile<EncodeFn>(root, name);
}
