import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { IDX_FILE_NAMES, parseIdx, parseIdxDataset, parseIdxHeader, type IdxFiles } from './idx.js';
import { loadDataset } from './load.js';
import type { DataSpec } from './spec.js';
import { oneLineInputError } from '../testing/expect-field.js';
import { IDX_CODES, idxBytes, type IdxTypeName } from '../testing/data-files.js';

let root = '';
let dirs = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mflab-idx-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An IDX file written independently of the parser (the shared test builder). */
const idx = idxBytes;

/** 5 training images of 2×3 pixels (pixel p of image i is 10·i + p), labels 0..2; 2 test images. */
const TRAIN_PIXELS = Array.from({ length: 30 }, (_, k) => 10 * Math.floor(k / 6) + (k % 6));
const TRAIN_LABELS = [2, 0, 1, 1, 0];
const TEST_PIXELS = Array.from({ length: 12 }, (_, k) => 200 + k);
const TEST_LABELS = [1, 2];

interface DirOptions {
  gzip?: boolean;
  test?: boolean;
  overrides?: Partial<Record<keyof typeof IDX_FILE_NAMES, Uint8Array | null>>;
}

/** A fresh directory holding the standard files (gzipped or not); overrides replace (null: drop) one. */
async function idxDir({ gzip = false, test = true, overrides = {} }: DirOptions = {}): Promise<string> {
  const dir = join(root, `set-${dirs++}`);
  await mkdir(dir);
  const files: Record<keyof typeof IDX_FILE_NAMES, Uint8Array | null> = {
    trainImages: idx('ubyte', [5, 2, 3], TRAIN_PIXELS),
    trainLabels: idx('ubyte', [5], TRAIN_LABELS),
    testImages: test ? idx('ubyte', [2, 2, 3], TEST_PIXELS) : null,
    testLabels: test ? idx('ubyte', [2], TEST_LABELS) : null,
    ...overrides,
  };
  for (const [role, bytes] of Object.entries(files)) {
    if (bytes === null) continue;
    const name = IDX_FILE_NAMES[role as keyof typeof IDX_FILE_NAMES];
    await writeFile(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  }
  return dir;
}

const loadError = (spec: DataSpec): Promise<InvalidInputError> => oneLineInputError(loadDataset(spec, 0));

const scaled = (values: number[]) => new Float64Array(values.map((v) => v / 255));

describe('IDX datasets', () => {
  for (const gzip of [false, true]) {
    it(`reads ${gzip ? 'gzipped' : 'plain'} ubyte images scaled to [0, 1] and labels as class indices`, async () => {
      const path = await idxDir({ gzip });
      const data = await loadDataset({ kind: 'idx', path }, 0);
      expect(data.train).toEqual({ n: 5, d: 6, x: scaled(TRAIN_PIXELS), y: new Float64Array(TRAIN_LABELS) });
      expect(data.test).toEqual({ n: 2, d: 6, x: scaled(TEST_PIXELS), y: new Float64Array(TEST_LABELS) });
      expect(data.classification).toBe(true);
      expect(data.classes).toBe(3);
      expect(data.sampler).toBeUndefined();
    });
  }

  it('round-trips every IDX type code, in any number of dimensions', () => {
    const cases: [IdxTypeName, number[], number[]][] = [
      ['ubyte', [4], [0, 1, 128, 255]],
      ['sbyte', [2, 2], [-128, -1, 0, 127]],
      ['int16', [1, 2, 2], [-32768, -2, 300, 32767]],
      ['int32', [2, 1, 1, 2], [-(2 ** 31), -7, 65536, 2 ** 31 - 1]],
      ['float32', [2, 2], [0.5, -1.25, 2 ** 127, -0]],
      ['float64', [4, 1], [Math.PI, -1e-300, 1e300, 0.1]],
    ];
    for (const [type, dims, values] of cases) {
      const { header, values: read } = parseIdx(idx(type, dims, values), `mem.${type}`);
      expect(header.dims).toEqual(dims);
      expect(header.type).toBe(IDX_CODES[type][0]);
      expect(header.sampleSize).toBe(dims.slice(1).reduce((a, b) => a * b, 1));
      expect(read).toEqual(new Float64Array(values));
    }
  });

  it('takes non-ubyte images as they are, and float labels that are integers', () => {
    const images = [0.5, -2, 1e3, 4, 5, 6];
    const files: IdxFiles = {
      trainImages: { bytes: idx('float64', [3, 2], images), source: 'img' },
      trainLabels: { bytes: idx('float32', [3], [1, 0, 1]), source: 'lab' },
    };
    const data = parseIdxDataset(files);
    expect(data.train).toEqual({ n: 3, d: 2, x: new Float64Array(images), y: new Float64Array([1, 0, 1]) });
    expect(data.test).toEqual({ n: 0, d: 2, x: new Float64Array(0), y: new Float64Array(0) });
    expect(data.classes).toBe(2);
    const int16 = parseIdxDataset({ ...files, trainImages: { bytes: idx('int16', [3, 1, 2], [-300, 2, 3, 4, 5, 6]), source: 'img' } });
    expect(int16.train.x).toEqual(new Float64Array([-300, 2, 3, 4, 5, 6]));
  });

  it('trains alone when the test pair is absent, and infers classes over train and test', async () => {
    const alone = await loadDataset({ kind: 'idx', path: await idxDir({ test: false }) }, 0);
    expect(alone.test.n).toBe(0);
    expect(alone.classes).toBe(3);
    // Class 7 occurs only in the test labels, and only beyond the test cap: it still counts.
    const testLabels = idx('ubyte', [2], [0, 7]);
    const data = await loadDataset({ kind: 'idx', path: await idxDir({ overrides: { testLabels } }), nTest: 1 }, 0);
    expect(data.classes).toBe(8);
    expect(data.test.y).toEqual(new Float64Array([0]));
  });

  it('caps rows only when n or nTest is written, and takes data.classes and data.d', async () => {
    const path = await idxDir();
    const capped = await loadDataset({ kind: 'idx', path, n: 2, nTest: 0, classes: 10, d: 6 }, 0);
    expect(capped.train).toEqual({ n: 2, d: 6, x: scaled(TRAIN_PIXELS.slice(0, 12)), y: new Float64Array([2, 0]) });
    expect(capped.test.n).toBe(0);
    expect(capped.classes).toBe(10);
    expect((await loadDataset({ kind: 'idx', path, n: 100 }, 0)).train.n).toBe(5);
    const dim = await loadError({ kind: 'idx', path, d: 784 });
    expect(dim.field).toBe('data.d');
    expect(dim.message).toBe(`data.d: ${join(path, IDX_FILE_NAMES.trainImages)} has images of 2×3 = 6 values, but data.d is 784`);
  });

  it('reads other file names from data.files, relative to data.path', async () => {
    const path = await idxDir({ test: false });
    await writeFile(join(path, 'my-test-images.gz'), gzipSync(idx('ubyte', [1, 2, 3], [1, 2, 3, 4, 5, 6])));
    await writeFile(join(path, 'my-test-labels'), idx('ubyte', [1], [1]));
    const data = await loadDataset({ kind: 'idx', path, files: { testImages: 'my-test-images.gz', testLabels: 'my-test-labels' } }, 0);
    expect(data.test).toEqual({ n: 1, d: 6, x: scaled([1, 2, 3, 4, 5, 6]), y: new Float64Array([1]) });
    const missing = await loadError({ kind: 'idx', path, files: { testLabels: 'nope' } });
    expect(missing.message).toBe(`data.path: ${path}: data.files.testLabels names ${join(path, 'nope')}, which does not exist`);
  });

  it('standardizes with the training statistics', async () => {
    const data = await loadDataset({ kind: 'idx', path: await idxDir(), standardize: true }, 0);
    // Pixel p of training image i is (10·i + p)/255: every feature has train mean (20 + p)/255 and std √200/255.
    const std = Math.sqrt(200) / 255;
    for (let i = 0; i < 5; i++) for (let p = 0; p < 6; p++) expect(data.train.x[i * 6 + p]).toBeCloseTo((10 * i - 20) / 255 / std, 12);
    for (let k = 0; k < 12; k++) expect(data.test.x[k]).toBeCloseTo((200 + k - (20 + (k % 6))) / 255 / std, 12);
  });

  describe('malformed files: one line naming the file', () => {
    const trainImagesOf = (dir: string) => join(dir, IDX_FILE_NAMES.trainImages);
    const trainLabelsOf = (dir: string) => join(dir, IDX_FILE_NAMES.trainLabels);

    it('bad magic: nonzero leading bytes, unknown type code, no dimensions, too short', async () => {
      const csv = new TextEncoder().encode('x0,y\n1,2\n');
      let path = await idxDir({ overrides: { trainImages: csv } });
      expect((await loadError({ kind: 'idx', path })).message).toBe(
        `data.path: ${trainImagesOf(path)}: bad magic 0x78302c79 (it does not start with two zero bytes); expected an IDX file (magic 0x00000803 for ubyte images, 0x00000801 for ubyte labels)`,
      );
      const badType = idx('ubyte', [5], TRAIN_LABELS);
      badType[2] = 0x0a;
      path = await idxDir({ overrides: { trainLabels: badType } });
      expect((await loadError({ kind: 'idx', path })).message).toMatch(new RegExp(`^data\\.path: ${trainLabelsOf(path)}: bad magic 0x00000a01 \\(unknown type code 0x0a\\)`));
      expect(() => parseIdxHeader(new Uint8Array([0, 0, 8, 0]), 'zero')).toThrow(/^data\.path: zero: bad magic 0x00000800 \(zero dimensions\)/);
      expect(() => parseIdxHeader(new Uint8Array([0, 0]), 'short')).toThrow(/^data\.path: short: only 2 bytes; expected an IDX file/);
      expect(() => parseIdxHeader(new Uint8Array(0), 'empty')).toThrow(/^data\.path: empty: the file is empty/);
    });

    it('truncated or oversized files, by the header', async () => {
      const full = idx('ubyte', [5, 2, 3], TRAIN_PIXELS);
      for (const gzip of [false, true]) {
        const path = await idxDir({ gzip, overrides: { trainImages: full.subarray(0, full.length - 1) } });
        const source = trainImagesOf(path) + (gzip ? '.gz' : '');
        expect((await loadError({ kind: 'idx', path })).message).toBe(
          `data.path: ${source}: truncated IDX file: the header declares 5×2×3 ubyte values (46 bytes) but the file has 45 bytes`,
        );
      }
      const cutHeader = await idxDir({ overrides: { trainImages: full.subarray(0, 10) } });
      expect((await loadError({ kind: 'idx', path: cutHeader })).message).toMatch(/truncated IDX file: the header declares 3 dimensions \(16 header bytes\) but the file has 10 bytes/);
      const longer = new Uint8Array(full.length + 3);
      longer.set(full);
      const extra = await idxDir({ overrides: { trainImages: longer } });
      expect((await loadError({ kind: 'idx', path: extra })).message).toMatch(/file has 49 bytes: 3 bytes too many/);
    });

    it('corrupt or truncated gzip data', async () => {
      const gz = gzipSync(idx('ubyte', [5], TRAIN_LABELS));
      const path = await idxDir();
      const name = `${trainLabelsOf(path)}`;
      await rm(name);
      await writeFile(`${name}.gz`, gz.subarray(0, gz.length - 6));
      expect((await loadError({ kind: 'idx', path })).message).toMatch(new RegExp(`^data\\.path: ${name}\\.gz: corrupt or truncated gzip data \\(`));
    });

    it('images and labels whose counts differ, test images of another size, labels file with images', async () => {
      let path = await idxDir({ overrides: { trainLabels: idx('ubyte', [4], [0, 1, 0, 1]) } });
      expect((await loadError({ kind: 'idx', path })).message).toBe(
        `data.path: ${trainLabelsOf(path)}: 4 labels, but ${trainImagesOf(path)} has 5 images: the files do not belong together`,
      );
      path = await idxDir({ overrides: { testImages: idx('ubyte', [2, 3, 2], TEST_PIXELS) } });
      expect((await loadError({ kind: 'idx', path })).message).toMatch(/t10k-images-idx3-ubyte: test images have 3×2 values each, but the training images 2×3/);
      path = await idxDir({ overrides: { trainLabels: idx('ubyte', [5, 2, 3], TRAIN_PIXELS) } });
      expect((await loadError({ kind: 'idx', path })).message).toMatch(/train-labels-idx1-ubyte: a labels file holds one value per sample, but this one has 5×2×3 values/);
    });

    it('a missing file: which one, where, and where the datasets come from', async () => {
      const path = await idxDir({ overrides: { trainLabels: null } });
      const error = await loadError({ kind: 'idx', path });
      expect(error.field).toBe('data.path');
      expect(error.message).toMatch(
        new RegExp(`^data\\.path: ${path}: no train-labels-idx1-ubyte or train-labels-idx1-ubyte\\.gz in this directory \\(the training labels; Fashion-MNIST: https://github\\.com/zalandoresearch/fashion-mnist.*MNIST: `),
      );
      const half = await idxDir({ overrides: { testLabels: null } });
      expect((await loadError({ kind: 'idx', path: half })).message).toMatch(/no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte\.gz in this directory \(the test labels;/);
      const nowhere = join(root, 'does-not-exist');
      expect((await loadError({ kind: 'idx', path: nowhere })).message).toMatch(new RegExp(`^data\\.path: ${nowhere}: cannot read the directory \\(no such file\\)`));
      const file = join(path, IDX_FILE_NAMES.trainImages);
      expect((await loadError({ kind: 'idx', path: file })).message).toMatch(new RegExp(`^data\\.path: ${file}: not a directory`));
    });

    it('labels out of range, negative, fractional, or all one class', async () => {
      const path = await idxDir();
      const range = await loadError({ kind: 'idx', path, classes: 2 });
      expect(range.field).toBe('data.classes');
      expect(range.message).toBe(
        `data.classes: ${trainLabelsOf(path)} label 0: 2 is not a class index: with data.classes = 2 every label must be an integer in 0..1`,
      );
      const negative = await loadError({ kind: 'idx', path: await idxDir({ overrides: { trainLabels: idx('sbyte', [5], [0, 1, -1, 0, 1]) } }) });
      expect(negative.message).toMatch(/train-labels-idx1-ubyte label 2: -1 is not a class index \(a non-negative integer\)/);
      const fraction = await loadError({ kind: 'idx', path: await idxDir({ overrides: { trainLabels: idx('float32', [5], [0, 1, 0.5, 0, 1]) } }) });
      expect(fraction.message).toMatch(/label 2: 0.5 is not a class index/);
      const zeros = idx('ubyte', [5], [0, 0, 0, 0, 0]);
      const one = await loadError({ kind: 'idx', path: await idxDir({ test: false, overrides: { trainLabels: zeros } }) });
      expect(one.message).toMatch(/every label is 0: a classification dataset needs at least 2 classes/);
      const nan = await loadError({ kind: 'idx', path: await idxDir({ overrides: { trainImages: idx('float32', [5, 2, 3], [...TRAIN_PIXELS.slice(0, 7), Number.NaN, ...TRAIN_PIXELS.slice(8)]) } }) });
      expect(nan.message).toMatch(/train-images-idx3-ubyte sample 1, value 1: NaN is not a finite number/);
    });

    it('the test pair given half in memory', () => {
      const files: IdxFiles = {
        trainImages: { bytes: idx('ubyte', [1, 1], [3]), source: 'ti' },
        trainLabels: { bytes: idx('ubyte', [1], [1]), source: 'tl' },
        testImages: { bytes: idx('ubyte', [1, 1], [3]), source: 'si' },
      };
      expect(() => parseIdxDataset(files)).toThrow(/^data\.path: si: a test labels file is needed too/);
    });
  });

  const FASHION = '/usr/share/datasets/fashion-mnist';
  const haveFashion = existsSync(join(FASHION, `${IDX_FILE_NAMES.trainImages}.gz`));
  if (!haveFashion) console.info(`Fashion-MNIST test skipped: ${FASHION} not found (Debian/Ubuntu package dataset-fashion-mnist)`);
  it.skipIf(!haveFashion)(`loads Fashion-MNIST from ${FASHION} (skipped when absent: apt install dataset-fashion-mnist)`, async () => {
    const data = await loadDataset({ kind: 'idx', path: FASHION }, 0);
    expect(data.train.n).toBe(60000);
    expect(data.test.n).toBe(10000);
    expect(data.train.d).toBe(784);
    expect(data.train.x.length).toBe(60000 * 784);
    expect(data.classes).toBe(10);
    expect(data.classification).toBe(true);
    const counts = new Array<number>(10).fill(0);
    for (const label of data.train.y) counts[label]++;
    expect(counts).toEqual(new Array<number>(10).fill(6000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  }, 60_000);
});
