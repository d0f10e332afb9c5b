/** Test helpers shared by the store's tests (not part of the package build). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FixedSizeList, type Table } from 'apache-arrow';

/** A fresh temporary directory. */
export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mflab-store-${label}-`));
}

/** A small seeded PRNG (mulberry32) for reproducible random choices in tests. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The raw bytes of a column's values across all chunks (fixed-size lists: their child values). */
export function columnBytes(table: Table, name: string): Buffer {
  const column = table.getChild(name);
  if (column === null) throw new Error(`no column ${name}`);
  const parts = column.data.map((d) => {
    const listSize = d.type instanceof FixedSizeList ? d.type.listSize : 0;
    const src = listSize > 0 ? d.children[0] : d;
    const n = listSize > 0 ? d.length * listSize : d.length;
    const values = (src.values as Float64Array).subarray(0, n);
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  });
  return Buffer.concat(parts);
}

/** Child process arguments that run a TypeScript file against the sources. */
export function tsNodeArgs(script: string, args: readonly string[]): string[] {
  return ['--conditions=@mflab/source', '--import', 'tsx', script, ...args];
}
