/**
 * Every input is bounded before it is trusted: lying IDX headers, gzip bombs, devices, FIFOs,
 * files over the memory budget, and huge CSV cells. The cases that would exhaust memory or
 * block if a bound were missing run in a child process with a 512 MB heap, which reports its
 * peak resident set size.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RecordBatchReader, Table, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipWithZeros, idxBytes } from '../testing/data-files.js';
import { oneLineInputError } from '../testing/expect-field.js';
import { QUOTE_LIMIT, quoteList, quoteValue } from './columns.js';
import { MAX_CSV_CELL, MAX_CSV_LINE } from './csv.js';
import { IDX_FILE_NAMES } from './idx.js';
import { IDX_GZIP_MARGIN, inputMemoryBudget, loadDataset } from './load.js';
import type { DataSpec } from './spec.js';

const PROBE = fileURLToPath(new URL('../testing/load-probe.ts', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The peak RSS a bounded load may reach in the child (Node and the TypeScript loader alone take ~100 MB). */
const RSS_LIMIT = 600 * 2 ** 20;

let root = '';
let dirs = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mflab-limits-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Outcome {
  readonly ok: boolean;
  readonly name?: string;
  readonly message?: string;
}

/**
 * Loads each spec in a child process with a 512 MB heap and `env` added, and returns how each
 * load ended and the child's peak RSS. A child that does not finish within a minute is killed
 * and fails the test (a loader that blocks on a FIFO would).
 */
async function probe(specs: DataSpec[], env: Record<string, string> = {}): Promise<{ outcomes: Outcome[]; maxRssBytes: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--max-old-space-size=512', '--conditions=@mflab/source', '--import', 'tsx', PROBE, JSON.stringify(specs)],
    { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, timeout: 60_000, encoding: 'utf8' },
  );
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const { maxRssBytes } = lines.pop() as { maxRssBytes: number };
  return { outcomes: lines as unknown as Outcome[], maxRssBytes };
}

/** Asserts a child's outcome is one InvalidInputError line matching `pattern`, and its peak RSS is bounded. */
function expectBoundedRefusal(result: { outcomes: Outcome[]; maxRssBytes: number }, pattern: RegExp, label: string): void {
  console.info(`${label}: peak RSS ${(result.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  for (const outcome of result.outcomes) {
    expect(outcome.name).toBe('InvalidInputError');
    expect(outcome.message).not.toContain('\n');
    expect(outcome.message).toMatch(pattern);
  }
  expect(result.maxRssBytes).toBeLessThan(RSS_LIMIT);
}

/** A fresh directory holding `files` (name → bytes). */
async function dirWith(files: Record<string, Uint8Array>): Promise<string> {
  const dir = join(root, `d${dirs++}`);
  await mkdir(dir);
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

const PIXELS = 28 * 28;
/** `count` images of 28×28 pixels (pixel values cycle through 0..250). */
const images = (count: number) => Array.from({ length: count * PIXELS }, (_, k) => k % 251);

describe('case 6: IDX headers and gzip streams are bounded before they are trusted', () => {
  it('a gzipped header claiming 3 000 000 images over 10: "header claims N images, file holds M", bounded memory', async () => {
    const claimed = 3_000_000;
    const dir = await dirWith({
      [`${IDX_FILE_NAMES.trainImages}.gz`]: gzipWithZeros(idxBytes('ubyte', [claimed, 28, 28], images(10)), 0),
      [`${IDX_FILE_NAMES.trainLabels}.gz`]: gzipWithZeros(idxBytes('ubyte', [claimed], [0, 1]), claimed - 2),
    });
    // A budget far above the claim (21 GiB with the float64 copy), so the inflation itself,
    // not the up-front refusal, is what stops: the file holds 10 images.
    const result = await probe([{ kind: 'idx', path: dir }], { MFLAB_MAX_INPUT_BYTES: '1T' });
    expectBoundedRefusal(result, /train-images-idx3-ubyte\.gz: truncated IDX file: the header claims 3000000 images \(3000000×28×28 ubyte values, 2352000016 bytes\) but the file holds 10 \(7856 bytes\)$/, 'lying header');
  });

  it('the reported file: 2 MB of gzip that really inflates to 2.7 M images is refused against the budget before inflating', async () => {
    const claimed = 2_700_000;
    const head = idxBytes('ubyte', [claimed, 28, 28], []);
    const gz = gzipWithZeros(head, claimed * PIXELS);
    expect(gz.length).toBeLessThan(3e6);
    const dir = await dirWith({
      [`${IDX_FILE_NAMES.trainImages}.gz`]: gz,
      [`${IDX_FILE_NAMES.trainLabels}.gz`]: gzipWithZeros(idxBytes('ubyte', [claimed], [0, 1]), claimed - 2),
    });
    // 2.1 GB of pixels and 15.8 GiB as float64: over a 4 GiB budget (and half of most machines).
    const result = await probe([{ kind: 'idx', path: dir }], { MFLAB_MAX_INPUT_BYTES: '4G' });
    expectBoundedRefusal(
      result,
      /train-images-idx3-ubyte\.gz: the header claims 2700000 images \(2700000×28×28 ubyte values\): 2\.0 GiB of data and 15\.8 GiB as float64, which takes about 17\.7 GiB, over the input memory budget of 4\.0 GiB; set MFLAB_MAX_INPUT_BYTES \(bytes\) to raise it$/,
      'real 2.7 M images',
    );
  });

  it('a gzip bomb (1 GiB of zeros in 1 MB) behind a header claiming 10 images stops at the claim plus a margin', async () => {
    const head = idxBytes('ubyte', [10, 28, 28], images(10));
    const dir = await dirWith({
      [`${IDX_FILE_NAMES.trainImages}.gz`]: gzipWithZeros(head, 2 ** 30),
      [`${IDX_FILE_NAMES.trainLabels}`]: idxBytes('ubyte', [10], [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
    });
    const limit = head.length + IDX_GZIP_MARGIN;
    const result = await probe([{ kind: 'idx', path: dir }], { MFLAB_MAX_INPUT_BYTES: '1G' });
    expectBoundedRefusal(
      result,
      new RegExp(`train-images-idx3-ubyte\\.gz: more data than the header claims: it declares 10×28×28 ubyte values \\(7856 bytes\\) but the gzipped data inflates past ${limit} bytes$`),
      'gzip bomb',
    );
  });

  it('an uncompressed file is compared with its header before it is read', async () => {
    const dir = await dirWith({
      [IDX_FILE_NAMES.trainImages]: idxBytes('ubyte', [3_000_000, 28, 28], images(2)),
      [IDX_FILE_NAMES.trainLabels]: idxBytes('ubyte', [2], [0, 1]),
    });
    const error = await oneLineInputError(loadDataset({ kind: 'idx', path: dir }, 0));
    expect(error.message).toMatch(/truncated IDX file: the header claims 3000000 images \(3000000×28×28 ubyte values, 2352000016 bytes\) but the file holds 2 \(1584 bytes\)$/);
  });

  it('counts every file of a dataset, and the float64 copy, against the budget', async () => {
    const dir = await dirWith({
      [IDX_FILE_NAMES.trainImages]: idxBytes('ubyte', [100, 28, 28], images(100)),
      [IDX_FILE_NAMES.trainLabels]: idxBytes('ubyte', [100], new Array<number>(100).fill(1).fill(0, 50)),
    });
    // 78 416 bytes of pixels and 627 200 as float64.
    expect((await loadDataset({ kind: 'idx', path: dir }, 0, { maxInputBytes: 706_532 })).train.n).toBe(100);
    const error = await oneLineInputError(loadDataset({ kind: 'idx', path: dir }, 0, { maxInputBytes: 706_000 }));
    expect(error.message).toMatch(/train-labels-idx1-ubyte: the header claims 100 labels \(100 ubyte values\): 108 B of data and 800 B as float64, which takes about 908 B beside 689 KiB for the files before it, over the input memory budget of 689 KiB;/);
    // With data.n the float64 copy is smaller.
    expect((await loadDataset({ kind: 'idx', path: dir, n: 10 }, 0, { maxInputBytes: 200_000 })).train.n).toBe(10);
  });
});

describe('case 6: only regular files are opened', () => {
  it('/dev/zero as a CSV, Arrow or Parquet file, or as an IDX file in the directory, is refused at once', async () => {
    const dir = await dirWith({ [IDX_FILE_NAMES.trainLabels]: idxBytes('ubyte', [1], [1]) });
    await symlink('/dev/zero', join(dir, IDX_FILE_NAMES.trainImages));
    const result = await probe([
      { kind: 'csv', path: '/dev/zero' },
      { kind: 'arrow', path: '/dev/zero' },
      { kind: 'parquet', path: '/dev/zero' },
      { kind: 'idx', path: dir },
    ]);
    expectBoundedRefusal(result, /^data\.path: \S+: a character device, not a regular file: data files are read whole, so only regular files are accepted$/, '/dev/zero');
  });

  const mkfifo = spawnSync('mkfifo', ['--version']);
  const noFifo = mkfifo.error !== undefined || mkfifo.status !== 0;
  if (noFifo) console.info('FIFO test skipped: mkfifo is not available');
  it.skipIf(noFifo)('a FIFO (no writer ever comes) is refused without opening it, so nothing blocks', async () => {
    const fifo = join(root, 'data.fifo');
    const dir = await dirWith({ [IDX_FILE_NAMES.trainLabels]: idxBytes('ubyte', [1], [1]) });
    for (const path of [fifo, join(dir, IDX_FILE_NAMES.trainImages)]) expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const result = await probe([
      { kind: 'csv', path: fifo },
      { kind: 'idx', path: dir },
    ]);
    expectBoundedRefusal(result, /^data\.path: \S+: a FIFO \(named pipe\), not a regular file/, 'FIFO');
  });
});

describe('case 6: Arrow metadata is checked before apache-arrow trusts it', () => {
  const table = () =>
    new Table({ x0: makeVector(new Float64Array([1, 2, 3, 4])), y: makeVector(new Float64Array([1, -1, 1, 1])), split: vectorFromArray(['train', 'test', 'train', 'train']) });
  /** Where `pattern` first occurs in `bytes`. */
  const find = (bytes: Uint8Array, pattern: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(pattern);
  const int64 = (value: number) => new Uint8Array(new BigInt64Array([BigInt(value)]).buffer);

  it('a footer block pointing at the schema message (which hung the reader) and a vector claiming 2^28 field nodes (4 GB) are one line, fast', async () => {
    // The file's record batch block, pointed at the schema message at offset 8: apache-arrow's
    // file reader resets its batch counter on a schema message and read that block forever.
    const file = tableToIPC(table(), 'file');
    const reader = RecordBatchReader.from(file);
    reader.open();
    const block = (reader as unknown as { footer: { getRecordBatch(i: number): { offset: number } } }).footer.getRecordBatch(0);
    // The block is in the footer, after every message.
    const at = Buffer.from(file).lastIndexOf(int64(block.offset));
    expect(at).toBeGreaterThan(block.offset);
    const looping = new Uint8Array(file);
    looping.set(int64(8), at);
    // The stream's field nodes (length 4, no nulls, for each of 3 columns), their count
    // made 2^28: apache-arrow decoded 2^28 nodes from out-of-bounds reads.
    const stream = tableToIPC(table(), 'stream');
    const node = new Uint8Array([...int64(4), ...int64(0)]);
    const nodes = find(stream, new Uint8Array([3, 0, 0, 0, ...node, ...node, ...node]));
    expect(nodes).toBeGreaterThan(0);
    const huge = new Uint8Array(stream);
    new DataView(huge.buffer).setUint32(nodes, 2 ** 28, true);
    const [loopPath, hugePath] = [join(root, 'loop.arrow'), join(root, 'huge.arrows')];
    await writeFile(loopPath, looping);
    await writeFile(hugePath, huge);
    const result = await probe([
      { kind: 'arrow', path: loopPath },
      { kind: 'arrow', path: hugePath },
    ]);
    expectBoundedRefusal(result, /: not a readable Arrow IPC file or stream \(corrupt metadata: (record batch 0 is not a record batch message|a vector claims 268435456 elements, more than its buffer holds)\)$/, 'hostile Arrow metadata');
    expect(result.outcomes.map((o) => /record batch 0 is not/.test(o.message ?? ''))).toEqual([true, false]);
  });
});

describe('case 6: files over the input memory budget', () => {
  const csv = `x0,y\n${Array.from({ length: 1000 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`;

  it('refuses a file over the budget, naming the budget and how to raise it', async () => {
    const path = join(root, 'big.csv');
    await writeFile(path, csv);
    const error = await oneLineInputError(loadDataset({ kind: 'csv', path }, 0, { maxInputBytes: 4096 }));
    expect(Buffer.byteLength(csv)).toBe(5895);
    expect(error.message).toBe(
      `data.path: ${path}: the file has 5.8 KiB (11.5 KiB in memory as bytes and text), over the input memory budget of 4.0 KiB; set MFLAB_MAX_INPUT_BYTES (bytes) to raise it`,
    );
    // The file fits, but not its rows as float64 (17 bytes a row).
    const rows = await oneLineInputError(loadDataset({ kind: 'csv', path }, 0, { maxInputBytes: 2 * 5895 + 4096 }));
    expect(rows.message).toBe(`data.path: ${path}: 1000 rows of 1 inputs take 16.6 KiB as float64, more than the 4.0 KiB left of the input memory budget; set MFLAB_MAX_INPUT_BYTES (bytes) to raise it`);
    expect((await loadDataset({ kind: 'csv', path }, 0, { maxInputBytes: 2 * 5895 + 17_000 })).train.n).toBe(1000);
  });

  it('reads the budget from MFLAB_MAX_INPUT_BYTES (bytes or K, M, G, T), else half the memory', () => {
    expect(inputMemoryBudget({ MFLAB_MAX_INPUT_BYTES: '4096' })).toBe(4096);
    expect(inputMemoryBudget({ MFLAB_MAX_INPUT_BYTES: '4K' })).toBe(4096);
    expect(inputMemoryBudget({ MFLAB_MAX_INPUT_BYTES: '1.5GiB' })).toBe(1.5 * 2 ** 30);
    const half = inputMemoryBudget({});
    expect(half).toBeGreaterThan(0);
    expect(inputMemoryBudget({ MFLAB_MAX_INPUT_BYTES: '' })).toBe(half);
    for (const bad of ['-1', '0', 'lots', '1e9', '12Q']) {
      expect(() => inputMemoryBudget({ MFLAB_MAX_INPUT_BYTES: bad })).toThrow(/^MFLAB_MAX_INPUT_BYTES: expected a positive number of bytes/);
    }
  });

  it('the variable reaches a child process', async () => {
    const path = join(root, 'env.csv');
    await writeFile(path, csv);
    const result = await probe([{ kind: 'csv', path }], { MFLAB_MAX_INPUT_BYTES: '4K' });
    expectBoundedRefusal(result, /over the input memory budget of 4\.0 KiB; set MFLAB_MAX_INPUT_BYTES \(bytes\) to raise it$/, 'budget from the environment');
  });
});

describe('case 9: error messages quote at most ~80 characters of the file', () => {
  it('a 10 MB cell: under 300 characters, naming line and column', async () => {
    const path = join(root, 'huge-cell.csv');
    await writeFile(path, `x0,x1,y\n1,2,3\n4,${'7'.repeat(10_000_000)},5\n`);
    const error = await oneLineInputError(loadDataset({ kind: 'csv', path }, 0));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toBe(`data.path: ${path} line 3, column "x1": "${'7'.repeat(40)}…" (10000000 characters) is longer than a cell may be (65536 characters)`);
  });

  it('a huge column name, a long line of short cells, a long cell within a line, a long bad value', async () => {
    const header = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('name.csv', `x0,${'y'.repeat(5_000_000)}\n1,2\n`) }, 0));
    expect(header.message).toMatch(/ line 1, column 2: "y{40}…" \(5000000 characters\) is longer than a cell may be/);
    const wide = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('wide.csv', `x0,y\n${'1,'.repeat(MAX_CSV_LINE)}1\n`) }, 0));
    expect(wide.message).toMatch(new RegExp(` line 2: the line has ${2 * MAX_CSV_LINE + 1} characters, more than a line may have \\(${MAX_CSV_LINE}\\)$`));
    const cell = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('cell.csv', `x0,y\n${'9'.repeat(MAX_CSV_CELL + 1)},1\n`) }, 0));
    expect(cell.message).toMatch(/ line 2, column "x0": "9{40}…" \(65537 characters\) is longer than a cell may be/);
    const word = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('word.csv', `x0,y\n${'a'.repeat(1000)},1\n`) }, 0));
    expect(word.message).toMatch(new RegExp(` line 2, column "x0": "a{${QUOTE_LIMIT}}…" \\(1000 characters\\) is not a number$`));
    const split = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('split.csv', `x0,y,split\n1,1,${'t\u2028'.repeat(500)}\n`) }, 0));
    expect(split.message).not.toMatch(/[\u2028\n]/);
    expect(split.message.length).toBeLessThan(300);
  });

  it('long column names in the list of columns found', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `column_${i}_${'n'.repeat(500)}`);
    const error = await oneLineInputError(loadDataset({ kind: 'csv', path: await write('names.csv', `${names.join(',')},y\n${names.map(() => '1').join(',')},1\n`) }, 0));
    expect(error.message).toMatch(/no x columns: .*found "column_0_n+…" \(509 characters\), .*… \(51 columns\)$/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('quoteValue and quoteList', () => {
    expect(quoteValue('abc')).toBe('"abc"');
    expect(quoteValue('a'.repeat(100_000_000))).toBe(`"${'a'.repeat(80)}…" (100000000 characters)`);
    expect(quoteValue('a\nb\u2028c"')).toBe('"a\\nb\\u2028c\\""');
    // Escapes count against the limit, and a surrogate pair is never cut in half.
    expect(quoteValue('\u0000'.repeat(100))).toBe(`"${'\\u0000'.repeat(13)}…" (100 characters)`);
    expect(quoteValue(`${'a'.repeat(79)}😀`)).toBe(`"${'a'.repeat(79)}…" (81 characters)`);
    expect(quoteList(['a', 'b'])).toBe('"a", "b"');
    expect(quoteList(Array.from({ length: 100 }, (_, i) => `x${i}`), 40)).toBe('"x0", "x1", "x2", "x3", "x4", "x5", … (100 columns)');
  });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text);
  return path;
}
