/**
 * The public API as the TypeScript compiler sees it, for api-docs.test.ts: every export of the
 * packages' entry points with whether it has a doc comment, every `@example` in those doc
 * comments turned into a module that is type-checked, and a runner for the examples that must
 * also run. Read api-docs.test.ts's header for the rules the doc writers follow.
 *
 * The entry points are read from their TypeScript sources with the options of
 * tsconfig.base.json (nodenext, strict, `customConditions: ['@mflab/source']`, so that
 * `@mflab/*` imports resolve to sources); the examples that run, run against the built `dist/`
 * (the way a user's script does), so build first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (absolute, no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

/** A public entry point: the specifier a user imports and the source file behind it. */
export interface EntryPoint {
  specifier: string;
  /** Repo-relative TypeScript source. */
  source: string;
  /** Repo-relative built module (what a user's `import` loads). */
  dist: string;
}

/** Every public entry point, in the order in which an export reached from two of them is attributed. */
export const ENTRY_POINTS: readonly EntryPoint[] = [
  { specifier: '@mflab/core', source: 'packages/core/src/index.ts', dist: 'packages/core/dist/index.js' },
  { specifier: '@mflab/core/internal', source: 'packages/core/src/internal.ts', dist: 'packages/core/dist/internal.js' },
  { specifier: '@mflab/parallel', source: 'packages/parallel/src/index.ts', dist: 'packages/parallel/dist/index.js' },
  { specifier: '@mflab/store', source: 'packages/store/src/index.ts', dist: 'packages/store/dist/index.js' },
  { specifier: 'mflab', source: 'apps/mflab/src/index.ts', dist: 'apps/mflab/dist/index.js' },
];

/**
 * The free variables an example may use without defining them, as `declare global` lines of the
 * prelude every generated example module sees. Keep in step with the header of api-docs.test.ts.
 * Examples that must run (the headline ones) may not use them.
 */
export const PRELUDE_VARIABLES: ReadonlyArray<{ name: string; type: string; from?: string }> = [
  { name: 'config', type: 'SimulationConfig', from: '@mflab/core' },
  { name: 'data', type: 'DataSplit', from: '@mflab/core' },
  { name: 'engine', type: 'Engine', from: '@mflab/core' },
  { name: 'writer', type: 'TrajectoryWriter', from: '@mflab/store' },
  { name: 'dir', type: 'string' },
];

/** One export of an entry point. */
export interface ApiExport {
  entry: EntryPoint;
  name: string;
  /** Repo-relative `file:line` of its (first) declaration, or `unresolved`. */
  location: string;
  documented: boolean;
  /** How the auto-import of an example brings it in: as a value, as a type only, or not at all. */
  importAs: 'value' | 'type' | null;
  /** False when an earlier entry point exports the same declaration (it is reported, and its examples collected, there). */
  attributed: boolean;
}

/** One `@example` block of a doc comment. */
export interface ApiExample {
  entry: EntryPoint;
  /** The exported name it documents (`Simulation`, `runSimulation`). */
  symbol: string;
  /** `Simulation`, `Simulation.create`, `Engine.step`; `#2`… for a second example on the same declaration. */
  id: string;
  /** Repo-relative file of the doc comment. */
  file: string;
  /** The example's code lines, fences and comment stars removed, each with its 1-based line in `file`. */
  lines: ReadonlyArray<{ text: string; line: number }>;
}

export interface ApiSurface {
  exports: ApiExport[];
  examples: ApiExample[];
  /** Compiler options (tsconfig.base.json, no emit, unused names allowed). */
  options: ts.CompilerOptions;
  host: ts.CompilerHost;
  program: ts.Program;
}

/** The compiler options of tsconfig.base.json, for checking without emitting. */
export function baseCompilerOptions(): ts.CompilerOptions {
  const file = join(REPO_ROOT, 'tsconfig.base.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new Error(`tsconfig.base.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const { options, errors } = ts.convertCompilerOptionsFromJson((read.config as { compilerOptions: unknown }).compilerOptions, REPO_ROOT, file);
  if (errors.length > 0) throw new Error(`tsconfig.base.json: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, ' ')).join('; ')}`);
  return {
    ...options,
    customConditions: ['@mflab/source'],
    noEmit: true,
    composite: false,
    incremental: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    skipLibCheck: true,
  };
}

/** A compiler host that parses each file once, shared by the surface and the examples' programs. */
function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const cache = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!cache.has(fileName)) cache.set(fileName, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return cache.get(fileName);
  };
  return host;
}

const rel = (file: string): string => relative(REPO_ROOT, file);

function locationOf(decl: ts.Declaration): string {
  const sf = decl.getSourceFile();
  return `${rel(sf.fileName)}:${sf.getLineAndCharacterOfPosition(decl.getStart(sf)).line + 1}`;
}

const FILE_HEADER_TAGS = new Set(['packageDocumentation', 'module', 'file', 'fileoverview', 'overview']);

/** The doc comments (`/** … *\/`) of a declaration, file headers left out. */
function docCommentsOf(decl: ts.Node): ts.JSDoc[] {
  return ts.getJSDocCommentsAndTags(decl).filter((j): j is ts.JSDoc => ts.isJSDoc(j) && !(j.tags ?? []).some((t) => FILE_HEADER_TAGS.has(t.tagName.text)));
}

function isDocumented(decl: ts.Node): boolean {
  return docCommentsOf(decl).some((j) => (ts.getTextOfJSDocComment(j.comment) ?? '').trim() !== '' || (j.tags?.length ?? 0) > 0);
}

/** Whether an alias on the way from the export to its declaration is type-only (`export type { X }`). */
function reachedTypeOnly(checker: ts.TypeChecker, symbol: ts.Symbol): boolean {
  let s = symbol;
  for (let depth = 0; depth < 32 && s.flags & ts.SymbolFlags.Alias; depth++) {
    for (const d of s.declarations ?? []) {
      if ((ts.isExportSpecifier(d) || ts.isImportSpecifier(d)) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) return true;
      if (ts.isImportClause(d) && d.isTypeOnly) return true;
      if (ts.isNamespaceExport(d) && d.parent.isTypeOnly) return true;
    }
    const next = checker.getImmediateAliasedSymbol(s);
    if (!next) break;
    s = next;
  }
  return false;
}

/** The code of an `@example` tag: comment stars, a `<caption>` and Markdown fences removed. */
function exampleLines(tag: ts.JSDocTag, sf: ts.SourceFile): Array<{ text: string; line: number }> {
  const raw = sf.text.slice(tag.pos, tag.end).replace(/\*\/\s*$/, '');
  const first = sf.getLineAndCharacterOfPosition(tag.pos).line + 1;
  const out = raw.split('\n').map((text, i) => ({
    text: (i === 0 ? text.replace(/^@example\b/, '') : text.replace(/^\s*\*(?: |$)?/, '')).replace(/\s+$/, ''),
    line: first + i,
  }));
  out[0].text = out[0].text.replace(/^\s*<caption>.*?<\/caption>/, '').trim();
  const code = out.filter((l) => !/^\s*```/.test(l.text));
  while (code.length > 0 && code[0].text === '') code.shift();
  while (code.length > 0 && code[code.length - 1].text === '') code.pop();
  return code;
}

function isPublicMember(member: ts.Node): boolean {
  const name = (member as ts.NamedDeclaration).name;
  if (name && ts.isPrivateIdentifier(name)) return false;
  if (!ts.canHaveModifiers(member)) return true;
  return (ts.getCombinedModifierFlags(member as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

function memberName(member: ts.ClassElement | ts.TypeElement, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(member)) return 'constructor';
  if (ts.isConstructSignatureDeclaration(member)) return 'new';
  if (ts.isCallSignatureDeclaration(member)) return '()';
  if (ts.isIndexSignatureDeclaration(member)) return '[]';
  return member.name ? member.name.getText(sf) : '?';
}

/**
 * Loads every public entry point (one program over their sources) and lists its exports, with
 * whether each is documented, and the `@example` blocks of the exported declarations and of
 * their public members (classes and interfaces).
 */
export function loadApiSurface(): ApiSurface {
  const options = baseCompilerOptions();
  const host = cachingHost(options);
  const roots = ENTRY_POINTS.map((e) => join(REPO_ROOT, e.source));
  const program = ts.createProgram({ rootNames: roots, options, host });
  const checker = program.getTypeChecker();
  const exports: ApiExport[] = [];
  const examples: ApiExample[] = [];
  const seenSymbols = new Set<ts.Symbol>();
  const seenTags = new Set<ts.JSDocTag>();

  const collect = (entry: EntryPoint, symbol: string, prefix: string, node: ts.Node): void => {
    const sf = node.getSourceFile();
    let n = 0;
    for (const doc of docCommentsOf(node)) {
      for (const tag of doc.tags ?? []) {
        if (tag.tagName.text !== 'example' || seenTags.has(tag)) continue;
        seenTags.add(tag);
        n++;
        examples.push({ entry, symbol, id: n === 1 ? prefix : `${prefix}#${n}`, file: rel(sf.fileName), lines: exampleLines(tag, sf) });
      }
    }
  };

  for (const entry of ENTRY_POINTS) {
    const sf = program.getSourceFile(join(REPO_ROOT, entry.source));
    const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
    if (!sf || !moduleSymbol) throw new Error(`${entry.source}: not found, or not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const name = exported.getName();
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = target.declarations ?? [];
      const typeOnly = reachedTypeOnly(checker, exported);
      const importAs = target.flags & ts.SymbolFlags.Value && !typeOnly ? 'value' : target.flags & (ts.SymbolFlags.Type | ts.SymbolFlags.Value) ? 'type' : null;
      const attributed = !seenSymbols.has(target);
      seenSymbols.add(target);
      exports.push({ entry, name, location: decls.length > 0 ? locationOf(decls[0]) : 'unresolved', documented: decls.some(isDocumented), importAs, attributed });
      if (!attributed) continue;
      for (const decl of decls) {
        collect(entry, name, name, decl);
        if (ts.isClassLike(decl) || ts.isInterfaceDeclaration(decl)) {
          const members: ReadonlyArray<ts.ClassElement | ts.TypeElement> = decl.members;
          for (const member of members) if (isPublicMember(member)) collect(entry, name, `${name}.${memberName(member, decl.getSourceFile())}`, member);
        }
      }
    }
  }
  return { exports, examples, options, host, program };
}

/** The generated module of one example, and what type-checking it found. */
export interface CheckedExample {
  example: ApiExample;
  /** Virtual path of the generated module. */
  fileName: string;
  text: string;
  /** `file:line: TSnnnn message`, the line mapped back to the doc comment where it falls in the example. */
  diagnostics: string[];
  /** The prelude's free variables it uses (a runnable example uses none). */
  usesPrelude: string[];
}

export interface ExampleCheck {
  checked: CheckedExample[];
  /** Diagnostics of the prelude and of the per-package canaries (an empty example): a broken generator, not a doc. */
  generatorErrors: string[];
}

const GENERATED_DIR = join(REPO_ROOT, 'test', '.generated-examples');
const PRELUDE_FILE = join(GENERATED_DIR, 'prelude.d.mts');

function preludeText(): string {
  const byModule = new Map<string, string[]>();
  for (const v of PRELUDE_VARIABLES) if (v.from) byModule.set(v.from, [...(byModule.get(v.from) ?? []), v.type]);
  return [
    '// The free variables a doc example may use without defining them (test/src/helpers/api-docs.ts).',
    ...[...byModule].map(([from, types]) => `import type { ${types.join(', ')} } from '${from}';`),
    'declare global {',
    ...PRELUDE_VARIABLES.map((v) => `  const ${v.name}: ${v.type};`),
    '}',
    'export {};',
    '',
  ].join('\n');
}

/**
 * The module an example becomes: its own imports first, then an import of every exported name of
 * its package that it does not import itself (types as `type`), then its body inside
 * `export async function example()`. `lineMap[i]` is the doc comment's line of generated line i.
 */
export function generateExampleModule(example: ApiExample, exports: readonly ApiExport[]): { text: string; lineMap: Array<number | undefined> } {
  const code = example.lines.map((l) => l.text).join('\n');
  const parsed = ts.createSourceFile('example.mts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imported = new Set<string>();
  const hoisted: Array<{ text: string; line: number }> = [];
  let body = code;
  for (const statement of parsed.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isImportEqualsDeclaration(statement)) continue;
    const start = statement.getStart(parsed);
    hoisted.push({ text: code.slice(start, statement.end), line: example.lines[parsed.getLineAndCharacterOfPosition(start).line].line });
    // Blank the import out of the body, keeping its line breaks so that body lines map 1:1.
    body = body.slice(0, start) + code.slice(start, statement.end).replace(/[^\n]/g, ' ') + body.slice(statement.end);
    if (ts.isImportEqualsDeclaration(statement)) imported.add(statement.name.text);
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    if (clause?.name) imported.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) imported.add(el.name.text);
  }
  const prelude = new Set(PRELUDE_VARIABLES.map((v) => v.name));
  const auto = exports
    .filter((e) => e.entry === example.entry && e.importAs !== null && !imported.has(e.name) && !prelude.has(e.name) && e.name !== 'default')
    .map((e) => (e.importAs === 'type' ? `type ${e.name}` : e.name));
  const lines: string[] = [`// ${example.entry.specifier} ${example.id}, from ${example.file}:${example.lines[0]?.line ?? '?'} (generated by test/src/api-docs.test.ts)`];
  const lineMap: Array<number | undefined> = [undefined];
  for (const h of hoisted) {
    for (const [i, text] of h.text.split('\n').entries()) {
      lines.push(text);
      lineMap.push(h.line + i);
    }
  }
  if (auto.length > 0) {
    lines.push(`import { ${auto.join(', ')} } from '${example.entry.specifier}';`);
    lineMap.push(undefined);
  }
  lines.push('export async function example(): Promise<void> {');
  lineMap.push(undefined);
  for (const [i, text] of body.split('\n').entries()) {
    lines.push(text);
    lineMap.push(example.lines[i]?.line);
  }
  lines.push('}', '');
  lineMap.push(undefined, undefined);
  return { text: lines.join('\n'), lineMap };
}

function formatDiagnostic(d: ts.Diagnostic, where: (line: number) => string): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : undefined;
  return `${line === undefined ? '' : `${where(line)}: `}TS${d.code} ${message}`;
}

/**
 * Type-checks every example's generated module in one program (in memory, under
 * test/.generated-examples/, which is never written), with the prelude and one empty canary
 * module per entry point.
 */
export function checkExamples(surface: ApiSurface, examples: readonly ApiExample[] = surface.examples): ExampleCheck {
  const virtual = new Map<string, string>([[PRELUDE_FILE, preludeText()]]);
  const maps = new Map<string, Array<number | undefined>>();
  const generated = examples.map((example, i) => {
    const fileName = join(GENERATED_DIR, `${String(i).padStart(3, '0')}-${example.id.replace(/[^\w.-]+/g, '_')}.mts`);
    const { text, lineMap } = generateExampleModule(example, surface.exports);
    virtual.set(fileName, text);
    maps.set(fileName, lineMap);
    return { example, fileName, text };
  });
  const canaries = ENTRY_POINTS.map((entry, i) => {
    const fileName = join(GENERATED_DIR, `canary-${i}.mts`);
    virtual.set(fileName, generateExampleModule({ entry, symbol: '(canary)', id: '(canary)', file: '(none)', lines: [] }, surface.exports).text);
    return fileName;
  });

  const base = surface.host;
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (f) => virtual.has(f) || base.fileExists(f),
    readFile: (f) => virtual.get(f) ?? base.readFile(f),
    directoryExists: (d) => d === GENERATED_DIR || (base.directoryExists?.(d) ?? ts.sys.directoryExists(d)),
    getSourceFile: (f, lang, onError, create) => {
      const text = virtual.get(f);
      return text === undefined ? base.getSourceFile(f, lang, onError, create) : ts.createSourceFile(f, text, lang, true);
    },
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: surface.options, host, oldProgram: surface.program });
  const checker = program.getTypeChecker();
  const diagnosticsOf = (fileName: string): readonly ts.Diagnostic[] => {
    const sf = program.getSourceFile(fileName);
    if (!sf) return [];
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].filter((d) => d.category === ts.DiagnosticCategory.Error);
  };

  const generatorErrors = [PRELUDE_FILE, ...canaries].flatMap((f) => diagnosticsOf(f).map((d) => `${rel(f)}: ${formatDiagnostic(d, (line) => `line ${line + 1}`)}\n${virtual.get(f)}`));
  const preludeSource = program.getSourceFile(PRELUDE_FILE);
  const checked = generated.map(({ example, fileName, text }): CheckedExample => {
    const lineMap = maps.get(fileName) ?? [];
    const where = (line: number): string => {
      const source = lineMap[line];
      return source === undefined ? `${example.file} (generated line ${line + 1}: ${text.split('\n')[line]?.slice(0, 120) ?? ''})` : `${example.file}:${source}`;
    };
    const diagnostics = diagnosticsOf(fileName).map((d) => formatDiagnostic(d, where));
    const usesPrelude = new Set<string>();
    const sf = program.getSourceFile(fileName);
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const decl = checker.getSymbolAtLocation(node)?.declarations?.[0];
        if (decl && decl.getSourceFile() === preludeSource) usesPrelude.add(node.text);
      }
      ts.forEachChild(node, visit);
    };
    if (sf) visit(sf);
    return { example, fileName, text, diagnostics, usesPrelude: [...usesPrelude].sort() };
  });
  return { checked, generatorErrors };
}

/** How running one example went. */
export interface ExampleRun {
  ok: boolean;
  /** Wall time of the child process, in seconds. */
  seconds: number;
  /** `ok`, `exit code 1`, `timed out after 60 s` … with the end of its stderr when it failed. */
  summary: string;
  stdout: string;
  stderr: string;
}

/** Whether every entry point's `dist/` module exists (the examples that run use the build). */
export function missingBuilds(): string[] {
  return ENTRY_POINTS.filter((e) => !existsSync(join(REPO_ROOT, e.dist))).map((e) => e.dist);
}

/**
 * Runs an example with node: its generated module transpiled to example.mjs in a fresh temporary
 * directory whose node_modules links to the repository's (so `@mflab/*` resolve to the built
 * `dist/`, as in a user's project), calling `example()`, with an empty `work/` folder as the
 * working directory. Killed after `timeoutMs`.
 */
export async function runExample(checked: CheckedExample, timeoutMs: number): Promise<ExampleRun> {
  const { outputText } = ts.transpileModule(checked.text, {
    fileName: 'example.mts',
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true, sourceMap: false },
  });
  const root = mkdtempSync(join(tmpdir(), 'mflab-example-'));
  const work = join(root, 'work');
  mkdirSync(work);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const script = join(root, 'example.mjs');
  writeFileSync(script, `${outputText}\nawait example();\n`);
  const started = performance.now();
  try {
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [script], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString('utf8')).slice(-20_000)));
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, timedOut, stdout, stderr });
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, timedOut, stdout, stderr: `${stderr}\n${error.message}` });
      });
    });
    const seconds = (performance.now() - started) / 1000;
    const ok = result.code === 0 && !result.timedOut;
    const tail = result.stderr.trim().split('\n').slice(-6).join('\n      ');
    const summary = ok
      ? 'ok'
      : result.timedOut
        ? `did not finish within ${timeoutMs / 1000} s (too slow, or something left open: dispose engines, close executors and writers)`
        : `${result.code === null ? `killed by ${result.signal}` : `exit code ${result.code}`}${tail ? `:\n      ${tail}` : ''}`;
    return { ok, seconds, summary, stdout: result.stdout, stderr: result.stderr };
  } finally {
    unlinkSync(join(root, 'node_modules'));
    rmSync(root, { recursive: true, force: true });
  }
}
