/**
 * IDX datasets: the format of MNIST, Fashion-MNIST, KMNIST and EMNIST. An IDX file is a 4-byte
 * magic (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per
 * dimension, then the values, big-endian, in row-major order. Type codes: 0x08 ubyte, 0x09
 * sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. The first dimension counts the
 * samples and a sample is the product of the others (28×28 = 784 pixels for MNIST images;
 * one value for labels). MNIST images have magic 0x00000803 (ubyte, 3 dimensions), labels
 * 0x00000801.
 *
 * A dataset is an images file and a labels file for training, and optionally the same pair for
 * testing. Pixels of ubyte images are scaled to [0, 1] (value/255); other types are taken as
 * they are. Labels are class indices: the split is multi-class with `classes` = the largest
 * label + 1 over train and test (or `data.classes` when given). Pure (bytes in, DataSplit
 * out); reading the files and gunzipping them lives in load.ts.
 */
import type { DataSplit, Dataset } from '../types.js';
import { checkClassLabel, checkDimension, fileError, finishSplit, type FileDataOptions } from './columns.js';

/** The IDX value types by type code: name and size in bytes. */
export const IDX_TYPES: Readonly<Record<number, { readonly name: string; readonly size: number }>> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'sbyte', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/** The standard file names of the MNIST family (each may also be gzipped, with `.gz` appended). */
export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The four roles of the files of an IDX dataset. */
export type IdxRole = keyof typeof IDX_FILE_NAMES;

/** The header of an IDX file (validated against the file's size by {@link parseIdxHeader}). */
export interface IdxHeader {
  /** The type code (0x08 ubyte … 0x0E float64; see {@link IDX_TYPES}). */
  readonly type: number;
  /** Bytes per value. */
  readonly size: number;
  /** The dimensions; dims[0] is the number of samples. */
  readonly dims: readonly number[];
  /** Values per sample: the product of dims[1..] (1 for a one-dimensional file). */
  readonly sampleSize: number;
  /** Where the values start: 4 + 4·dims.length. */
  readonly dataOffset: number;
  /**
   * The file's size as the header claims it: dataOffset + dims[0]·sampleSize·size (a float:
   * a hostile header can claim more than 2^53 bytes, or Infinity).
   */
  readonly fileBytes: number;
}

/** The most bytes an IDX header takes: the magic and 255 dimensions. */
export const IDX_MAX_HEADER_BYTES = 4 + 4 * 255;

/** One IDX file: its (already gunzipped) bytes and the name errors give it (its path, usually). */
export interface IdxFile {
  readonly bytes: Uint8Array;
  readonly source: string;
}

/** The files of an IDX dataset; the test pair is optional (both or neither). */
export interface IdxFiles {
  readonly trainImages: IdxFile;
  readonly trainLabels: IdxFile;
  readonly testImages?: IdxFile;
  readonly testLabels?: IdxFile;
}

/** Largest float64 buffer we allocate (V8 caps typed arrays near 2^32 elements). */
const MAX_BUFFER_ENTRIES = 2 ** 31 - 1;

const hex = (value: number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;

/**
 * The dimensions of a shape for messages, e.g. "60000×28×28"; a header may declare 255 of them,
 * so beyond 5 only the first and last few are shown.
 */
export function shapeText(dims: readonly number[]): string {
  return dims.length <= 5 ? dims.join('×') : `${dims.slice(0, 3).join('×')}×…×${dims[dims.length - 1]} (${dims.length} dimensions)`;
}

/** "5×28×28 ubyte values": what a header declares, for messages. */
export function describeIdxShape(header: IdxHeader): string {
  return `${shapeText(header.dims)} ${IDX_TYPES[header.type].name} values`;
}

/** What the samples of a file are called in messages: one-dimensional files hold labels. */
const samplesNoun = (header: IdxHeader) => (header.dims.length === 1 ? 'labels' : 'images');

/**
 * Reads the header of an IDX file from its first bytes (`bytes` may be the whole file or any
 * prefix holding the header: {@link IDX_MAX_HEADER_BYTES} always do): the magic (two zero
 * bytes, a known type code, at least one dimension) and the dimensions, and what they claim
 * the file's size is. Nothing is checked against the file's size; that is
 * {@link checkIdxLength}. Errors are InvalidInputErrors on `data.path` naming `source`.
 */
export function readIdxClaim(bytes: Uint8Array, source: string): IdxHeader {
  const expected = 'expected an IDX file (magic 0x00000803 for ubyte images, 0x00000801 for ubyte labels)';
  if (bytes.length < 4) throw fileError(source, '', `${bytes.length === 0 ? 'the file is empty' : `only ${bytes.length} bytes`}; ${expected}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2];
  const ndims = bytes[3];
  const info = IDX_TYPES[type] as { name: string; size: number } | undefined;
  if (bytes[0] !== 0 || bytes[1] !== 0 || info === undefined || ndims === 0) {
    const why = bytes[0] !== 0 || bytes[1] !== 0 ? 'it does not start with two zero bytes' : info === undefined ? `unknown type code ${hex(type, 2)}` : 'zero dimensions';
    throw fileError(source, '', `bad magic ${hex(magic, 8)} (${why}); ${expected}`);
  }
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) {
    throw fileError(source, '', `truncated IDX file: the header declares ${ndims} dimensions (${dataOffset} header bytes) but the file has ${bytes.length} bytes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // A product with a zero factor is zero, even when the others overflow to Infinity (0·∞ is NaN).
  const product = (factors: readonly number[]) => (factors.includes(0) ? 0 : factors.reduce((a, b) => a * b, 1));
  const sampleSize = product(dims.slice(1));
  return { type, size: info.size, dims, sampleSize, dataOffset, fileBytes: dataOffset + product(dims) * info.size };
}

/**
 * Throws unless `length`, the size of an IDX file (or of its gunzipped content), is exactly
 * what its header claims. A file short of whole samples is named by how many it holds ("the
 * header claims 3000000 images … but the file holds 10").
 */
export function checkIdxLength(header: IdxHeader, length: number, source: string): void {
  const { dims, dataOffset, fileBytes, sampleSize, size } = header;
  const shape = describeIdxShape(header);
  if (length < fileBytes) {
    const sampleBytes = sampleSize * size;
    if (sampleBytes > 0 && fileBytes - length >= sampleBytes) {
      const held = Math.floor((length - dataOffset) / sampleBytes);
      throw fileError(
        source,
        '',
        `truncated IDX file: the header claims ${dims[0]} ${samplesNoun(header)} (${shape}, ${fileBytes} bytes) but the file holds ${held} (${length} bytes)`,
      );
    }
    throw fileError(source, '', `truncated IDX file: the header declares ${shape} (${fileBytes} bytes) but the file has ${length} bytes`);
  }
  if (length > fileBytes) {
    throw fileError(source, '', `the header declares ${shape} (${fileBytes} bytes) but the file has ${length} bytes: ${length - fileBytes} bytes too many`);
  }
}

/**
 * Reads and validates the header of an IDX file: the magic (two zero bytes, a known type code,
 * at least one dimension) and the file size, which must be exactly what the dimensions say.
 * Errors are InvalidInputErrors on `data.path` naming `source`.
 */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
  const header = readIdxClaim(bytes, source);
  checkIdxLength(header, bytes.length, source);
  return header;
}

/**
 * Copies the values of samples start..start+count−1 of an IDX file (whose header is `header`)
 * into `out` from `outOffset`, as float64 divided by `divisor` (default 1; a division, so that
 * ubyte/255 is the correctly rounded quotient). Float values must be finite.
 */
export function readIdxValues(
  bytes: Uint8Array,
  header: IdxHeader,
  source: string,
  start: number,
  count: number,
  out: Float64Array,
  outOffset = 0,
  divisor = 1,
): void {
  const { type, size, sampleSize, dataOffset } = header;
  const first = start * sampleSize;
  const length = count * sampleSize;
  const at = dataOffset + first * size;
  if (type === 0x08) {
    const values = bytes.subarray(at, at + length);
    if (divisor === 1) out.set(values, outOffset);
    else for (let i = 0; i < length; i++) out[outOffset + i] = values[i] / divisor;
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, length * size);
  const get: (offset: number) => number =
    type === 0x09
      ? (o) => view.getInt8(o)
      : type === 0x0b
        ? (o) => view.getInt16(o, false)
        : type === 0x0c
          ? (o) => view.getInt32(o, false)
          : type === 0x0d
            ? (o) => view.getFloat32(o, false)
            : (o) => view.getFloat64(o, false);
  for (let i = 0; i < length; i++) {
    const value = get(i * size);
    if (!Number.isFinite(value)) {
      const sample = start + Math.floor(i / sampleSize);
      throw fileError(source, `sample ${sample}, value ${(first + i) % sampleSize}`, `${String(value)} is not a finite number`);
    }
    out[outOffset + i] = value / divisor;
  }
}

/** A whole IDX file: its header and its values as float64 (unscaled), sample-major. */
export function parseIdx(bytes: Uint8Array, source: string): { readonly header: IdxHeader; readonly values: Float64Array } {
  const header = parseIdxHeader(bytes, source);
  const values = new Float64Array(header.dims[0] * header.sampleSize);
  readIdxValues(bytes, header, source, 0, header.dims[0], values);
  return { header, values };
}

/** The labels of a labels file, checked to be non-negative integers (and < classes when given). */
function readLabels(file: IdxFile, classes: number | undefined): { header: IdxHeader; labels: Float64Array } {
  const { header, values } = parseIdx(file.bytes, file.source);
  if (header.sampleSize !== 1) {
    throw fileError(file.source, '', `a labels file holds one value per sample, but this one has ${shapeText(header.dims)} values (is it an images file?)`);
  }
  for (let i = 0; i < values.length; i++) {
    if (classes !== undefined) checkClassLabel(values[i], classes, file.source, `label ${i}`);
    else if (!Number.isInteger(values[i]) || values[i] < 0) {
      throw fileError(file.source, `label ${i}`, `${values[i]} is not a class index (a non-negative integer)`);
    }
  }
  return { header, labels: values };
}

/** The images of `images` whose count matches `labels`, the first `cap` of them, into a Dataset. */
function readSet(images: IdxFile, header: IdxHeader, labelsFile: IdxFile, labels: Float64Array, cap: number | undefined): Dataset {
  const count = header.dims[0];
  if (labels.length !== count) {
    throw fileError(labelsFile.source, '', `${labels.length} labels, but ${images.source} has ${count} images: the files do not belong together`);
  }
  const n = Math.min(count, cap ?? count);
  const d = header.sampleSize;
  if (n * d > MAX_BUFFER_ENTRIES) {
    throw fileError(images.source, '', `${n}×${d} values exceed the ${MAX_BUFFER_ENTRIES} entries one float64 buffer can hold; keep fewer rows with data.n / data.nTest`);
  }
  const x = new Float64Array(n * d);
  readIdxValues(images.bytes, header, images.source, 0, n, x, 0, header.type === 0x08 ? 255 : 1);
  return { n, d, x, y: labels.slice(0, n) };
}

/**
 * Assembles an IDX dataset from its images and labels files (and the test pair when given).
 * ubyte pixels are scaled to [0, 1]; d is the product of the image dimensions after the first.
 * Labels must be non-negative integers; `classes` is `options.classes` when given (every label
 * must then be below it; error on `data.classes`), else the largest label + 1 over every label
 * of both files, before any cap (so a cap does not change the number of outputs), and must be
 * ≥ 2. `options.nCap`/`nTestCap` keep the first rows of each set, and `options.standardize`
 * standardizes with the training statistics (see FileDataOptions). The training images are read
 * straight into the float64 buffer the split holds: no full-size copy beyond it.
 */
export function parseIdxDataset(files: IdxFiles, options: FileDataOptions = {}): DataSplit {
  const { trainImages, trainLabels, testImages, testLabels } = files;
  if ((testImages === undefined) !== (testLabels === undefined)) {
    const [has, lacks] = testImages === undefined ? [testLabels, 'images'] : [testImages, 'labels'];
    throw fileError((has as IdxFile).source, '', `a test ${lacks} file is needed too: the test set is an images file and a labels file, or neither`);
  }
  const trainHeader = parseIdxHeader(trainImages.bytes, trainImages.source);
  if (trainHeader.dims[0] === 0) throw fileError(trainImages.source, '', 'no samples: the training images file declares 0 images');
  const d = trainHeader.sampleSize;
  if (d === 0) throw fileError(trainImages.source, '', `the images have ${shapeText(trainHeader.dims.slice(1))} = 0 values each`);
  checkDimension(d, options.d, trainImages.source, `images of ${trainHeader.dims.length > 2 ? `${shapeText(trainHeader.dims.slice(1))} = ` : ''}${d} values`);
  const testHeader = testImages === undefined ? undefined : parseIdxHeader(testImages.bytes, testImages.source);
  const shape = (header: IdxHeader) => header.dims.slice(1).join('×') || '1';
  if (testImages !== undefined && testHeader !== undefined && shape(testHeader) !== shape(trainHeader)) {
    const shown = (header: IdxHeader) => shapeText(header.dims.slice(1)) || '1';
    throw fileError(testImages.source, '', `test images have ${shown(testHeader)} values each, but the training images ${shown(trainHeader)}`);
  }
  const trainY = readLabels(trainLabels, options.classes);
  const testY = testLabels === undefined ? undefined : readLabels(testLabels, options.classes);

  let classes = options.classes;
  if (classes === undefined) {
    let max = 0;
    for (const labels of [trainY.labels, testY?.labels]) if (labels) for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
    classes = max + 1;
    if (classes < 2) throw fileError(trainLabels.source, '', 'every label is 0: a classification dataset needs at least 2 classes');
  }

  const train = readSet(trainImages, trainHeader, trainLabels, trainY.labels, options.nCap);
  const test =
    testImages !== undefined && testHeader !== undefined && testLabels !== undefined && testY !== undefined
      ? readSet(testImages, testHeader, testLabels, testY.labels, options.nTestCap)
      : { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) };
  return finishSplit(train, test, { ...options, classes });
}
