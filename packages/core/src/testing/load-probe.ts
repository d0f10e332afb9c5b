/**
 * Child process of data/limits.test.ts: loads each data spec of the JSON array in argv[2] in
 * turn and prints one JSON line per spec (a DataSplit's sizes, or the error's name and
 * message), then one line with the process's peak resident set size in bytes. Run in a child,
 * with a heap limit, so that a loader that does allocate without bound (or blocks) costs that
 * child and not the test runner, and its peak is measured alone.
 */
import { loadDataset } from '../data/load.js';
import type { DataSpec } from '../data/spec.js';

const specs = JSON.parse(process.argv[2] as string) as DataSpec[];
for (const spec of specs) {
  let outcome: Record<string, unknown>;
  try {
    const data = await loadDataset(spec, 0);
    outcome = { ok: true, n: data.train.n, d: data.train.d };
  } catch (error) {
    outcome = error instanceof Error ? { ok: false, name: error.name, message: error.message } : { ok: false, name: typeof error, message: String(error) };
  }
  console.log(JSON.stringify(outcome));
}
// resourceUsage().maxRSS is in kilobytes.
console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
