/**
 * The execArgv for worker threads that run this package's built JavaScript. A worker inherits
 * its parent's flags; under vitest (or `node --conditions=@mflab/source`) those include the
 * `@mflab/source` export condition, which would make the worker's `import '@mflab/core'` load
 * TypeScript sources that plain Node cannot run. Unless a TypeScript loader (tsx) is present,
 * that condition is dropped, so the worker uses the built packages.
 */
const SOURCE_CONDITION = '@mflab/source';

export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  if (parent.some((arg) => /(^|[/\\])tsx([/\\@]|$)/.test(arg))) return [...parent];
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i];
    if ((arg === '--conditions' || arg === '-C') && parent[i + 1] === SOURCE_CONDITION) {
      i++;
      continue;
    }
    if (arg === `--conditions=${SOURCE_CONDITION}` || arg === `-C=${SOURCE_CONDITION}`) continue;
    out.push(arg);
  }
  return out;
}
