/**
 * The one place this module touches the file system: it reads the bytes (gunzipping IDX files)
 * and hands them to the pure parsers, so those stay testable without files and usable in
 * browsers and workers.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DataSplit } from '../types.js';
import { requireInteger } from '../errors.js';
import { parseArrowDataset } from './arrow.js';
import { fileError, type FileDataOptions } from './columns.js';
import { parseCsvDataset } from './csv.js';
import { makeDataset } from './generators.js';
import { IDX_FILE_NAMES, parseIdxDataset, type IdxFile, type IdxFiles, type IdxRole } from './idx.js';
import { parseParquetDataset } from './parquet.js';
import { isFileKind, resolveDataSpec, type DataSpec, type ResolvedDataSpec } from './spec.js';

/**
 * Any data spec to a DataSplit: csv, arrow and parquet files and idx directories are read
 * (relative paths against the working directory) and parsed; generated kinds are delegated to
 * {@link makeDataset}. File data has no population sampler and ignores the seed, which is still
 * validated so a bad seed fails the same way for every kind.
 */
export async function loadDataset(spec: DataSpec, seed: number): Promise<DataSplit> {
  requireInteger('seed', seed, 0);
  const resolved = resolveDataSpec(spec);
  if (!isFileKind(resolved.kind)) return makeDataset(resolved, seed);
  const path = resolved.path as string;
  const options: FileDataOptions = {
    d: resolved.d,
    classes: resolved.classes,
    nCap: resolved.nCap,
    nTestCap: resolved.nTestCap,
    standardize: resolved.standardize,
  };
  const split = await parseFile(resolved, path, options);
  if (resolved.inputScale !== 1) {
    for (const set of [split.train, split.test]) for (let i = 0; i < set.x.length; i++) set.x[i] *= resolved.inputScale;
  }
  return split;
}

async function parseFile(resolved: ResolvedDataSpec, path: string, options: FileDataOptions): Promise<DataSplit> {
  switch (resolved.kind) {
    case 'csv':
      return parseCsvDataset(new TextDecoder('utf-8').decode(await readBytes(path)), path, options);
    case 'arrow':
      return parseArrowDataset(await readBytes(path), path, options);
    case 'parquet':
      return parseParquetDataset(await readBytes(path), path, options);
    default:
      return parseIdxDataset(await readIdxFiles(resolved), options);
  }
}

/** Why a read failed, in words. */
function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  return String(code ?? error);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The file's bytes, gunzipped when they start with the gzip magic (IDX files never do: theirs is 00 00). */
async function readMaybeGzipped(path: string): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  if (bytes.length < 2 || bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw fileError(path, '', `corrupt or truncated gzip data (${message.split('\n')[0]})`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Where to get the files, for the message of a missing one. */
const IDX_SOURCES =
  'Fashion-MNIST: https://github.com/zalandoresearch/fashion-mnist (Debian/Ubuntu package dataset-fashion-mnist installs it in /usr/share/datasets/fashion-mnist); MNIST: https://yann.lecun.com/exdb/mnist/';

/**
 * Finds and reads the files of an idx dataset in `data.path`: each role's name from
 * `data.files` or the standard one, as is or with `.gz`. The training pair must exist; the test
 * pair is optional when neither of its files exists and neither was named in `data.files`.
 */
async function readIdxFiles(spec: ResolvedDataSpec): Promise<IdxFiles> {
  const dir = spec.path as string;
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    throw fileError(dir, '', `cannot read the directory (${readFailure(error)}); kind "idx" reads a directory holding the MNIST-format files (${IDX_SOURCES})`);
  }
  if (!info.isDirectory()) {
    throw fileError(dir, '', `not a directory: kind "idx" reads a directory holding ${Object.values(IDX_FILE_NAMES).join(', ')} (each possibly .gz)`);
  }
  const find = async (role: IdxRole): Promise<string | undefined> => {
    const named = spec.files?.[role];
    const candidates = named !== undefined ? [resolve(dir, named)] : [resolve(dir, IDX_FILE_NAMES[role]), resolve(dir, `${IDX_FILE_NAMES[role]}.gz`)];
    for (const candidate of candidates) if (await exists(candidate)) return candidate;
    if (named !== undefined) throw fileError(dir, '', `data.files.${role} names ${candidates[0]}, which does not exist`);
    return undefined;
  };
  const missing = (role: IdxRole) =>
    fileError(dir, '', `no ${IDX_FILE_NAMES[role]} or ${IDX_FILE_NAMES[role]}.gz in this directory (the ${role === 'testImages' || role === 'testLabels' ? 'test' : 'training'} ${role.endsWith('Images') ? 'images' : 'labels'}; ${IDX_SOURCES})`);
  const read = async (path: string): Promise<IdxFile> => ({ bytes: await readMaybeGzipped(path), source: path });

  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all((['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const).map(find));
  if (trainImages === undefined) throw missing('trainImages');
  if (trainLabels === undefined) throw missing('trainLabels');
  if ((testImages === undefined) !== (testLabels === undefined)) throw missing(testImages === undefined ? 'testImages' : 'testLabels');
  return {
    trainImages: await read(trainImages),
    trainLabels: await read(trainLabels),
    ...(testImages !== undefined && testLabels !== undefined ? { testImages: await read(testImages), testLabels: await read(testLabels) } : {}),
  };
}
