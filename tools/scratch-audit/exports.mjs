import ts from 'typescript';
import { execSync } from 'node:child_process';
const pkgs = { core: 'packages/core/src/index.ts', parallel: 'packages/parallel/src/index.ts', store: 'packages/store/src/index.ts', app: 'apps/mflab/src/index.ts' };
const program = ts.createProgram(Object.values(pkgs), { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, customConditions: ['@mflab/source'], strict: true });
const checker = program.getTypeChecker();
for (const [name, file] of Object.entries(pkgs)) {
  const sf = program.getSourceFile(file);
  const sym = checker.getSymbolAtLocation(sf);
  const exps = checker.getExportsOfModule(sym);
  let undocumented = [];
  const rows = [];
  for (const e of exps) {
    let target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    const docs = target.getDocumentationComment(checker);
    const decl = target.declarations?.[0];
    const where = decl ? decl.getSourceFile().fileName.replace(process.cwd() + '/', '') : '?';
    const hasDoc = docs.length > 0 || (decl && ts.getJSDocTags(decl).length > 0);
    if (!hasDoc) undocumented.push(e.name);
    const pkgDir = file.split('/src/')[0];
    let outside = '';
    try { outside = execSync(`grep -rlw --include=*.ts --include=*.mjs --include=*.md ${e.name} packages apps test tools README.md docs | grep -v dist | grep -v node_modules | grep -v '^${pkgDir}/' | head -5`, { encoding: 'utf8' }).trim().split('\n').filter(Boolean).join(' '); } catch {}
    rows.push(`${hasDoc ? ' ' : '!'} ${e.name.padEnd(34)} ${where.padEnd(48)} ${outside}`);
  }
  console.log(`\n## ${name}: ${exps.length} exports, ${undocumented.length} undocumented`);
  console.log(rows.join('\n'));
}
