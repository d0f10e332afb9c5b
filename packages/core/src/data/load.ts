/**
 * The one place this module touches the file system: it reads the bytes and hands them to the
 * pure parsers, so those stay testable without files and usable in browsers and workers.
 */
import { readFile } from 'node:fs/promises';
import type { DataSplit } from '../types.js';
import { requireInteger } from '../errors.js';
import { parseArrowDataset } from './arrow.js';
import { fileError } from './columns.js';
import { parseCsvDataset } from './csv.js';
import { makeDataset } from './generators.js';
import { resolveDataSpec, type DataSpec } from './spec.js';

/**
 * Any data spec to a DataSplit: csv and arrow files are read (relative paths against the
 * working directory) and parsed; generated kinds are delegated to {@link makeDataset}. File
 * data has no population sampler and ignores the seed, which is still validated so a bad seed
 * fails the same way for every kind.
 */
export async function loadDataset(spec: DataSpec, seed: number): Promise<DataSplit> {
  requireInteger('seed', seed, 0);
  const resolved = resolveDataSpec(spec);
  if (resolved.kind !== 'csv' && resolved.kind !== 'arrow') return makeDataset(resolved, seed);
  const path = resolved.path as string;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw fileError(path, '', `cannot read the file (${reason})`);
  }
  if (resolved.kind === 'csv') return parseCsvDataset(new TextDecoder('utf-8').decode(bytes), path, resolved.d);
  return parseArrowDataset(bytes, path, resolved.d);
}
