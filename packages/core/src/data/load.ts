/**
 * The one place this module touches the file system: it reads the bytes (gunzipping IDX files)
 * and hands them to the pure parsers, so those stay testable without files and usable in
 * browsers and workers.
 *
 * Every input is bounded before it is trusted: only regular files are opened (a FIFO blocks
 * the open, a device never ends), a file's size and what its header claims are checked
 * against the input memory budget ({@link inputMemoryBudget}) before anything of that size is
 * read or allocated, and gzip streams are inflated incrementally and stopped at what the IDX
 * header claims.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import type { Stats } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { DataSplit } from '../types.js';
import { InvalidInputError, requireInteger, requirePositive } from '../errors.js';
import { firstLine, parseArrowDataset } from './arrow.js';
import { BUDGET_VARIABLE, budgetAdvice, fileError, formatBytes, type FileDataOptions } from './columns.js';
import { parseCsvDataset } from './csv.js';
import { makeDataset } from './generators.js';
import {
  IDX_FILE_NAMES,
  IDX_MAX_HEADER_BYTES,
  checkIdxLength,
  describeIdxShape,
  parseIdxDataset,
  readIdxClaim,
  type IdxFile,
  type IdxFiles,
  type IdxHeader,
  type IdxRole,
} from './idx.js';
import { parseParquetDataset } from './parquet.js';
import { isFileKind, resolveDataSpec, type DataSpec, type ResolvedDataSpec } from './spec.js';

/** How loadDataset reads files, beyond the data spec. */
export interface LoadOptions {
  /**
   * The input memory budget in bytes (see {@link inputMemoryBudget}, its default): what the
   * files read into memory and the arrays parsed from them may take together.
   */
  readonly maxInputBytes?: number;
}

/** Binary multiples a budget may be written with: 512M, 2G, 1.5T. */
const SIZE_SUFFIXES: Readonly<Record<string, number>> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * The input memory budget: how many bytes the data files read into memory, and the arrays
 * parsed from them, may take together. `MFLAB_MAX_INPUT_BYTES` when set (bytes, or with a
 * binary suffix K, M, G or T: `512M`, `8G`), else half the memory this process may use: the
 * machine's total, or the cgroup limit (containers, batch jobs) when that is smaller. A file or
 * header asking for more is refused before anything that size is read or allocated, so a
 * hostile or corrupt file fails with one line instead of exhausting memory; a real dataset that
 * large needs the variable raised. A malformed value is an InvalidInputError on the variable.
 */
export function inputMemoryBudget(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const written = env[BUDGET_VARIABLE];
  if (written !== undefined && written.trim() !== '') {
    const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)i?B?\s*$/i.exec(written);
    const bytes = match ? Math.floor(Number(match[1]) * SIZE_SUFFIXES[match[2].toUpperCase()]) : NaN;
    if (!(bytes > 0) || !Number.isSafeInteger(bytes)) {
      throw new InvalidInputError(BUDGET_VARIABLE, `expected a positive number of bytes, optionally with a suffix K, M, G or T (e.g. 8G), got ${JSON.stringify(written.slice(0, 40))}`);
    }
    return bytes;
  }
  const total = totalmem();
  // process.constrainedMemory() is the cgroup limit, or 0 or a huge number when there is none.
  const constrained = process.constrainedMemory?.() ?? 0;
  return Math.floor((constrained > 0 && constrained < total ? constrained : total) / 2);
}

/** The budget as the files of one dataset use it up. */
class Budget {
  private used = 0;
  constructor(readonly total: number) {}

  /** What is left for the arrays parsed from the files taken so far. */
  get left(): number {
    return Math.max(0, this.total - this.used);
  }

  /** Takes `bytes` for `what` in `source`, or throws naming the budget and how to raise it. */
  take(bytes: number, source: string, what: string): void {
    if (!(this.used + bytes <= this.total)) {
      const beside = this.used > 0 ? ` beside ${formatBytes(this.used)} for the files before it` : '';
      throw fileError(source, '', `${what} takes about ${formatBytes(bytes)}${beside}, ${budgetAdvice(this.total)}`);
    }
    this.used += bytes;
  }
}

/**
 * The largest CSV file read: V8's longest string (2^29 − 24 characters) holds its text, and
 * one character per byte is the most that can take.
 */
const MAX_CSV_BYTES = 2 ** 29 - 24;

/**
 * Any data spec to a DataSplit: csv, arrow and parquet files and idx directories are read
 * (relative paths against the working directory) and parsed; generated kinds are delegated to
 * {@link makeDataset}. File data has no population sampler and ignores the seed, which is still
 * validated so a bad seed fails the same way for every kind. Files are bounded by the input
 * memory budget (`options.maxInputBytes`, else {@link inputMemoryBudget}); only regular files
 * are read.
 */
export async function loadDataset(spec: DataSpec, seed: number, loadOptions: LoadOptions = {}): Promise<DataSplit> {
  requireInteger('seed', seed, 0);
  const resolved = resolveDataSpec(spec);
  if (!isFileKind(resolved.kind)) return makeDataset(resolved, seed);
  const path = resolved.path as string;
  const budget = new Budget(loadOptions.maxInputBytes === undefined ? inputMemoryBudget() : requirePositive('maxInputBytes', loadOptions.maxInputBytes));
  const options: FileDataOptions = {
    d: resolved.d,
    classes: resolved.classes,
    nCap: resolved.nCap,
    nTestCap: resolved.nTestCap,
    standardize: resolved.standardize,
  };
  const split = await parseFile(resolved, path, options, budget);
  if (resolved.inputScale !== 1) {
    for (const set of [split.train, split.test]) for (let i = 0; i < set.x.length; i++) set.x[i] *= resolved.inputScale;
  }
  return split;
}

async function parseFile(resolved: ResolvedDataSpec, path: string, options: FileDataOptions, budget: Budget): Promise<DataSplit> {
  switch (resolved.kind) {
    case 'csv': {
      // The bytes and the decoded text are both held while the text is decoded.
      const bytes = await readWhole(path, budget, 2, MAX_CSV_BYTES, 'CSV files larger than 512 MiB cannot be read (the longest JavaScript string); convert it to Parquet or Arrow');
      const text = new TextDecoder('utf-8').decode(bytes);
      return parseCsvDataset(text, path, { ...options, maxBytes: budget.left });
    }
    case 'arrow':
      return parseArrowDataset(await readWhole(path, budget, 1), path, { ...options, maxBytes: budget.left });
    case 'parquet':
      return parseParquetDataset(await readWhole(path, budget, 1), path, { ...options, maxBytes: budget.left });
    default:
      return parseIdxDataset(await readIdxFiles(resolved, budget), options);
  }
}

/** Why a read failed, in words. */
function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  return String(code ?? firstLine(error));
}

/** What a file that is not a regular one is, in words. */
function fileType(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

const notRegular = (path: string, info: Stats) =>
  info.isDirectory()
    ? fileError(path, '', 'cannot read the file (is a directory)')
    : fileError(path, '', `${fileType(info)}, not a regular file: data files are read whole, so only regular files are accepted`);

/**
 * Opens `path` for reading when it is a regular file, and returns the handle and its size.
 * The path is stat'ed before it is opened, because opening a FIFO blocks until a writer
 * comes and a device (/dev/zero) never ends; the open itself does not block (O_NONBLOCK) and
 * the opened file is checked again, in case the path changed in between.
 */
async function openRegular(path: string): Promise<{ handle: FileHandle; size: number }> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
  }
  if (!info.isFile()) throw notRegular(path, info);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
  }
  const opened = await handle.stat();
  if (!opened.isFile()) {
    await handle.close();
    throw notRegular(path, opened);
  }
  return { handle, size: opened.size };
}

/**
 * Reads an open file to its end, or throws `tooLong()` as soon as it holds more than `limit`
 * bytes. The buffer starts at the size stat reported (plus one byte, to see the end) and grows
 * only with data actually read, so a file that grows, or reports size 0 (/proc), stays bounded.
 */
async function readToEnd(handle: FileHandle, size: number, limit: number, tooLong: () => Error): Promise<Uint8Array> {
  let buffer = new Uint8Array(Math.min(size, limit) + 1);
  let total = 0;
  while (true) {
    if (total === buffer.length) {
      if (total > limit) throw tooLong();
      const grown = new Uint8Array(Math.min(limit + 1, Math.max(2 * buffer.length, 1 << 16)));
      grown.set(buffer);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  if (total > limit) throw tooLong();
  return buffer.subarray(0, total);
}

/**
 * Reads a whole regular file whose bytes cost `factor` bytes each while parsed (2 for CSV:
 * the bytes and the text), taking that from the budget, refusing files over `hardLimit`
 * bytes with `hardLimitWhy`.
 */
async function readWhole(path: string, budget: Budget, factor: number, hardLimit = Number.MAX_SAFE_INTEGER, hardLimitWhy = ''): Promise<Uint8Array> {
  const { handle, size } = await openRegular(path);
  try {
    const refuse = (bytes: number) => {
      if (bytes > hardLimit) return fileError(path, '', `the file has ${bytes === size ? bytes : `more than ${hardLimit}`} bytes: ${hardLimitWhy}`);
      const more = bytes === size ? '' : ' or more';
      const held = factor === 1 ? '' : ` (${formatBytes(bytes * factor)}${more} in memory as bytes and text)`;
      return fileError(path, '', `the file has ${formatBytes(bytes)}${more}${held}, ${budgetAdvice(budget.total)}`);
    };
    const limit = Math.min(hardLimit, Math.floor(budget.left / factor));
    if (size > limit) throw refuse(size);
    let bytes: Uint8Array;
    try {
      bytes = await readToEnd(handle, size, limit, () => refuse(limit + 1));
    } catch (error) {
      if (!isSystemError(error)) throw error;
      throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
    }
    budget.take(bytes.length * factor, path, 'the file');
    return bytes;
  } finally {
    await handle.close();
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * How far a gzipped IDX file may inflate past the size its header claims before inflating
 * stops: enough to count a few stray bytes exactly, small against any bomb.
 */
export const IDX_GZIP_MARGIN = 1 << 16;

/**
 * What loading an IDX file whose header is `header` costs: its bytes, and its values as
 * float64 (the first `cap` samples of an images file, every label of a labels file).
 */
function idxCost(header: IdxHeader, role: IdxRole, cap: number | undefined): { bytes: number; what: string } {
  const samples = header.dims[0];
  const kept = role.endsWith('Images') ? Math.min(samples, cap ?? samples) : samples;
  const arrays = kept * header.sampleSize * 8;
  const noun = header.dims.length === 1 ? 'labels' : 'images';
  return {
    bytes: header.fileBytes + arrays,
    what: `the header claims ${samples} ${noun} (${describeIdxShape(header)}): ${formatBytes(header.fileBytes)} of data and ${formatBytes(arrays)} as float64, which`,
  };
}

/**
 * Reads one file of an IDX dataset, gunzipped when it starts with the gzip magic (IDX files
 * never do: theirs is 00 00). The header is read first and its claim taken from the budget
 * before the data: a plain file's size must match the claim before its data is read, and a
 * gzip stream is inflated chunk by chunk and stopped at the claim plus
 * {@link IDX_GZIP_MARGIN}, so neither a lying header nor a gzip bomb allocates more than the
 * data actually there, or the claim, whichever is less.
 */
async function readIdxFile(path: string, role: IdxRole, cap: number | undefined, budget: Budget): Promise<IdxFile> {
  const { handle, size } = await openRegular(path);
  let closed = false;
  try {
    const prefix = new Uint8Array(Math.min(size, IDX_MAX_HEADER_BYTES));
    let got = 0;
    while (got < prefix.length) {
      const { bytesRead } = await handle.read(prefix, got, prefix.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const start = prefix.subarray(0, got);
    if (got >= 2 && start[0] === GZIP_MAGIC[0] && start[1] === GZIP_MAGIC[1]) {
      closed = true;
      return { bytes: await inflateIdx(handle, path, role, cap, budget), source: path };
    }
    const header = readIdxClaim(start, path);
    checkIdxLength(header, size, path);
    const cost = idxCost(header, role, cap);
    budget.take(cost.bytes, path, cost.what);
    const bytes = await readToEnd(handle, size, header.fileBytes, () =>
      fileError(path, '', `the file grew while read: the header declares ${describeIdxShape(header)} (${header.fileBytes} bytes)`),
    );
    checkIdxLength(header, bytes.length, path);
    return { bytes, source: path };
  } catch (error) {
    if (!isSystemError(error)) throw error;
    throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
  } finally {
    if (!closed) await handle.close();
  }
}

/** Whether an error came from the operating system (EIO, EACCES, …): a read that failed, not bad data or a bug. */
const isSystemError = (error: unknown) => error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && !(error instanceof InvalidInputError);

/** Whether an error came from zlib (bad or truncated compressed data) rather than from reading. */
const isZlibError = (error: unknown) => /^Z_/.test(String((error as NodeJS.ErrnoException).code ?? ''));

/**
 * Inflates a gzipped IDX file chunk by chunk (see {@link readIdxFile}); closes `handle`.
 * Chunks are kept until the end and joined once: nothing is allocated for the claimed size
 * before that much has actually inflated.
 */
async function inflateIdx(handle: FileHandle, path: string, role: IdxRole, cap: number | undefined, budget: Budget): Promise<Uint8Array> {
  const input = handle.createReadStream({ start: 0, highWaterMark: 1 << 16 });
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const chunks: Buffer[] = [];
  let total = 0;
  let header: IdxHeader | undefined;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (header === undefined) {
        const first = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        if (first.length < 4 || first.length < 4 + 4 * first[3]) continue;
        header = readIdxClaim(first, path);
        const cost = idxCost(header, role, cap);
        budget.take(cost.bytes, path, cost.what);
      }
      if (total > header.fileBytes + IDX_GZIP_MARGIN) {
        throw fileError(
          path,
          '',
          `more data than the header claims: it declares ${describeIdxShape(header)} (${header.fileBytes} bytes) but the gzipped data inflates past ${header.fileBytes + IDX_GZIP_MARGIN} bytes`,
        );
      }
    }
  } catch (error) {
    if (isZlibError(error)) throw fileError(path, '', `corrupt or truncated gzip data (${firstLine(error)})`);
    if (!isSystemError(error)) throw error;
    throw fileError(path, '', `cannot read the file (${readFailure(error)})`);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  chunks.length = 0;
  header ??= readIdxClaim(bytes, path);
  checkIdxLength(header, bytes.length, path);
  return bytes;
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
async function readIdxFiles(spec: ResolvedDataSpec, budget: Budget): Promise<IdxFiles> {
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
  const read = (path: string, role: IdxRole): Promise<IdxFile> =>
    readIdxFile(path, role, role === 'trainImages' ? spec.nCap : role === 'testImages' ? spec.nTestCap : undefined, budget);

  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all((['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const).map(find));
  if (trainImages === undefined) throw missing('trainImages');
  if (trainLabels === undefined) throw missing('trainLabels');
  if ((testImages === undefined) !== (testLabels === undefined)) throw missing(testImages === undefined ? 'testImages' : 'testLabels');
  return {
    trainImages: await read(trainImages, 'trainImages'),
    trainLabels: await read(trainLabels, 'trainLabels'),
    ...(testImages !== undefined && testLabels !== undefined
      ? { testImages: await read(testImages, 'testImages'), testLabels: await read(testLabels, 'testLabels') }
      : {}),
  };
}
