/**
 * The `data` section of a config (ARCHITECTURE.md §6): its type, its defaults and its
 * validation. Every error is an InvalidInputError naming the field as `data.<name>` and saying
 * what is allowed, so the CLI can print it as the one-line message users see.
 */
import { DATA_KINDS, type DataKind } from '../types.js';
import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';

/**
 * A data spec as written in a config. Every field is optional; {@link resolveDataSpec} fills
 * in the defaults of {@link DATA_DEFAULTS} and validates.
 *
 * Which fields each kind reads:
 * - `teacher`: d, n, nTest, teacherWidth, sphere, outputScale, labelNoise
 * - `circle`: n, nTest, teacherWidth, outputScale, labelNoise (d must be 2; inputs are on the unit
 *   circle; Chizat's 2-D illustrations use about 15 training points and a 3-neuron teacher)
 * - `gaussian-mixture`: d, n, nTest, separation, spread
 * - `stripe`: d, n, nTest
 * - `checkerboard`: d (≥ 2), n, nTest, k, spread
 * - `csv`, `arrow`, `parquet`: path (a file with columns x0..x{d−1}, y and optionally split),
 *   and d as a check, classes, standardize, n and nTest as caps (the file decides the rows)
 * - `idx`: path (a directory holding the MNIST-format files; see `files`), and d, classes,
 *   standardize, n, nTest as for the other files
 *
 * File data (ARCHITECTURE.md §6 plus issue #9): the file decides the training and test rows;
 * `n`/`nTest` cap them only when written explicitly. Targets are regression values, ±1 labels
 * (classification when every y is −1 or +1), or class indices 0..classes−1 with `classes`
 * (always for `idx`, whose labels are class indices): the network then has k = classes outputs.
 */
export interface DataSpec {
  /** Which data family (default `teacher`). */
  kind?: DataKind;
  /**
   * File to read, required for `csv`, `arrow` and `parquet`; for `idx` the directory holding
   * train-images-idx3-ubyte, train-labels-idx1-ubyte and optionally t10k-images-idx3-ubyte,
   * t10k-labels-idx1-ubyte (each possibly gzipped, `.gz`). Relative paths resolve against the
   * working directory. Not allowed for generated kinds.
   */
  path?: string;
  /** Input dimension (default 2). For files it is inferred from the x columns, and checked if given. */
  d?: number;
  /**
   * Number of training points (default 256). For files, when written, the first n training
   * rows (file order) are kept: a cap, so a file with fewer keeps them all; the default does
   * not cap a file.
   */
  n?: number;
  /** Number of test points (default 1024; 0 allowed). For files, when written, a cap like n. */
  nTest?: number;
  /** Number of teacher neurons m0 for `teacher` and `circle` (default 3). */
  teacherWidth?: number;
  /** `teacher`: inputs uniform on the unit sphere S^{d−1} (default true) rather than N(0, I_d). */
  sphere?: boolean;
  /** `teacher`/`circle`: the teacher's output is multiplied by this (default 1). */
  outputScale?: number;
  /**
   * `teacher`/`circle`: standard deviation of Gaussian noise added to the training targets only
   * (default 0). Test targets stay clean so that the test risk measures the distance to f*.
   */
  labelNoise?: number;
  /** `checkerboard`: the board has k×k clusters (default 4, an even k so the classes balance). */
  k?: number;
  /**
   * Cluster size. `gaussian-mixture`: standard deviation of each class (default 1).
   * `checkerboard`: largest jitter radius around a cluster centre (default Δ = 1/(3k−1), Chizat's).
   */
  spread?: number;
  /** `gaussian-mixture`: distance between the two class means (default 4, means at ±2·e_1). */
  separation?: number;
  /**
   * Files only: the number of classes C (an integer ≥ 2). For `csv`/`arrow`/`parquet` it declares
   * that y holds class indices 0..C−1 (every label must be an integer in range; the error names
   * the row and the value) and the split is multi-class (k = C outputs). For `idx` labels are
   * always class indices and C defaults to the largest label + 1; given, every label must be < C.
   */
  classes?: number;
  /**
   * Files only (default false): standardize every input feature with the mean and standard
   * deviation (population, ÷n) of the training rows, after the caps, applied to train and test
   * alike; a feature constant on the training rows is only centered. `idx` pixels are first
   * scaled to [0, 1].
   */
  standardize?: boolean;
  /**
   * Files only (default 1): every input coordinate, train and test, is multiplied by this after
   * standardization. With `standardize: true`, 1/√d gives inputs of norm ≈ 1, the scale the
   * mean-field and NTK theory (and a default-scale init) assume.
   */
  inputScale?: number;
  /**
   * `idx` only: other file names for some of the four files, resolved against `path`
   * (absolute names stay as they are). Each defaults to its standard name, found as is or
   * with `.gz`.
   */
  files?: IdxFileNames;
}

/** The file names of an IDX dataset that `data.files` can override. */
export interface IdxFileNames {
  trainImages?: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
}

const IDX_FILE_KEYS = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;

/**
 * A validated spec with every default filled in. `path` is set only for files; `d` is left
 * undefined only for a file whose dimension is to be inferred from its columns. For files,
 * `nCap`/`nTestCap` are n/nTest when they were written and undefined otherwise (`n`/`nTest`
 * then hold the defaults, which files ignore); for generated kinds they are undefined.
 * Resolving a resolved spec gives an equal one (its caps are taken as they are).
 */
export interface ResolvedDataSpec {
  readonly kind: DataKind;
  readonly path: string | undefined;
  readonly d: number | undefined;
  readonly n: number;
  readonly nTest: number;
  /** Files: keep at most this many training rows (data.n when written). */
  readonly nCap: number | undefined;
  /** Files: keep at most this many test rows (data.nTest when written). */
  readonly nTestCap: number | undefined;
  /** Files: y holds class indices 0..classes−1 (idx: inferred when undefined). */
  readonly classes: number | undefined;
  readonly standardize: boolean;
  readonly inputScale: number;
  /** `idx`: the file-name overrides, as given. */
  readonly files: Readonly<IdxFileNames> | undefined;
  readonly teacherWidth: number;
  readonly sphere: boolean;
  readonly outputScale: number;
  readonly labelNoise: number;
  readonly k: number;
  readonly spread: number;
  readonly separation: number;
}

/** The defaults of ARCHITECTURE.md §6 plus those of the optional extras (`spread` depends on the kind). */
export const DATA_DEFAULTS = {
  kind: 'teacher',
  d: 2,
  n: 256,
  nTest: 1024,
  teacherWidth: 3,
  sphere: true,
  outputScale: 1,
  labelNoise: 0,
  k: 4,
  spread: 1,
  separation: 4,
  standardize: false,
  inputScale: 1,
} as const satisfies Omit<Required<DataSpec>, 'path' | 'classes' | 'files'>;

/** Kinds read from a file (asynchronous, via loadDataset) rather than generated from the seed. */
export const FILE_DATA_KINDS: readonly DataKind[] = ['csv', 'arrow', 'parquet', 'idx'];

/** Whether a kind is read from a file (or, for `idx`, a directory of files). */
export function isFileKind(kind: DataKind): boolean {
  return FILE_DATA_KINDS.includes(kind);
}

const FILE_KINDS_TEXT = '"csv", "arrow", "parquet" and "idx"';

/** Whether a kind's targets are ±1 labels (files decide for themselves, from their y values). */
export function isClassificationKind(kind: DataKind): boolean {
  return kind === 'gaussian-mixture' || kind === 'stripe' || kind === 'checkerboard';
}

/**
 * Largest number of float64 entries we let one buffer hold. V8 caps typed arrays near 2^32
 * elements; failing here gives a field-level message instead of a RangeError deep inside.
 */
const MAX_BUFFER_ENTRIES = 2 ** 31 - 1;

const KNOWN_KEYS: readonly string[] = [
  'kind',
  'path',
  'd',
  'n',
  'nTest',
  'teacherWidth',
  'sphere',
  'outputScale',
  'labelNoise',
  'k',
  'spread',
  'separation',
  'classes',
  'standardize',
  'inputScale',
  'files',
];

/**
 * Keys of a resolved spec that a config does not write (data.n and data.nTest are the caps):
 * accepted so that resolving is idempotent, left out of the allowed keys users are shown.
 */
const RESOLVED_ONLY_KEYS: readonly string[] = ['nCap', 'nTestCap'];

/** Largest k accepted for the checkerboard: k² cells must stay a sane, exactly drawable count. */
const MAX_CHECKERBOARD_K = 4096;

/**
 * Validates a data spec (a {@link DataSpec}) and fills in its defaults. Accepts `unknown` because the spec usually
 * comes straight from a YAML/JSON config; anything that is not a well-formed spec throws an
 * InvalidInputError naming `data.<field>`. Idempotent: resolving a resolved spec returns an
 * equal one.
 */
export function resolveDataSpec(partial: unknown = {}): ResolvedDataSpec {
  if (partial === undefined || partial === null) partial = {};
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    throw new InvalidInputError('data', `expected an object with keys ${KNOWN_KEYS.join(', ')}, got ${JSON.stringify(partial)}`);
  }
  const raw = partial as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    // A typo (nTrain, width) would otherwise silently fall back to a default.
    if (!KNOWN_KEYS.includes(key) && !RESOLVED_ONLY_KEYS.includes(key)) {
      throw new InvalidInputError(`data.${key}`, `unknown key; allowed keys are ${KNOWN_KEYS.join(', ')}`);
    }
  }
  const given = (key: string): boolean => raw[key] !== undefined;

  const kind = requireOneOf('data.kind', raw.kind ?? DATA_DEFAULTS.kind, DATA_KINDS);
  const fileKind = isFileKind(kind);

  let path: string | undefined;
  if (fileKind) {
    const what = kind === 'idx' ? 'the directory holding the IDX files' : `the ${kind} file to read`;
    if (!given('path')) {
      throw new InvalidInputError('data.path', `required for kind ${JSON.stringify(kind)}: ${what}`);
    }
    if (typeof raw.path !== 'string' || raw.path.trim() === '') {
      throw new InvalidInputError('data.path', `expected a non-empty ${kind === 'idx' ? 'directory' : 'file'} path (${what}), got ${JSON.stringify(raw.path)}`);
    }
    path = raw.path;
  } else if (given('path')) {
    // A path with a generated kind almost always means `kind: csv` was forgotten.
    throw new InvalidInputError('data.path', `only used by the file kinds ${FILE_KINDS_TEXT}, but data.kind is ${JSON.stringify(kind)}`);
  }

  let d: number | undefined;
  if (given('d')) d = requireInteger('data.d', raw.d, 1);
  else if (!fileKind) d = kind === 'circle' ? 2 : DATA_DEFAULTS.d;
  if (kind === 'circle' && d !== 2) {
    throw new InvalidInputError('data.d', `kind "circle" draws points on the unit circle, so d must be 2, got ${String(d)}`);
  }
  if (kind === 'checkerboard' && d !== undefined && d < 2) {
    throw new InvalidInputError('data.d', `kind "checkerboard" needs d ≥ 2 (2 board coordinates, the rest spurious), got ${d}`);
  }

  const n = given('n') ? requireInteger('data.n', raw.n, 1) : DATA_DEFAULTS.n;
  const nTest = given('nTest') ? requireInteger('data.nTest', raw.nTest, 0) : DATA_DEFAULTS.nTest;
  const teacherWidth = given('teacherWidth') ? requireInteger('data.teacherWidth', raw.teacherWidth, 1) : DATA_DEFAULTS.teacherWidth;
  let sphere: boolean = DATA_DEFAULTS.sphere;
  if (given('sphere')) {
    if (typeof raw.sphere !== 'boolean') {
      throw new InvalidInputError('data.sphere', `expected true or false, got ${JSON.stringify(raw.sphere)}`);
    }
    sphere = raw.sphere;
  }
  const outputScale = given('outputScale') ? requirePositive('data.outputScale', raw.outputScale) : DATA_DEFAULTS.outputScale;
  const labelNoise = given('labelNoise') ? requireFinite('data.labelNoise', raw.labelNoise, 0) : DATA_DEFAULTS.labelNoise;
  if (labelNoise > 0 && kind !== 'teacher' && kind !== 'circle') {
    // Silently ignoring it would let a user believe a classification run had noisy labels.
    throw new InvalidInputError(
      'data.labelNoise',
      `additive target noise is only defined for the regression kinds "teacher" and "circle", but data.kind is ${JSON.stringify(kind)}`,
    );
  }
  const k = given('k') ? requireInteger('data.k', raw.k, 2) : DATA_DEFAULTS.k;
  if (k > MAX_CHECKERBOARD_K) {
    throw new InvalidInputError('data.k', `expected an integer in [2, ${MAX_CHECKERBOARD_K}], got ${k}`);
  }
  const spread = given('spread')
    ? requireFinite('data.spread', raw.spread, 0)
    : kind === 'checkerboard'
      ? checkerboardDelta(k)
      : DATA_DEFAULTS.spread;
  const separation = given('separation') ? requireFinite('data.separation', raw.separation, 0) : DATA_DEFAULTS.separation;

  // Files: the caps (n and nTest when written; a resolved spec carries them as nCap/nTestCap).
  let nCap: number | undefined;
  let nTestCap: number | undefined;
  if ('nCap' in raw || 'nTestCap' in raw) {
    nCap = raw.nCap === undefined ? undefined : requireInteger('data.nCap', raw.nCap, 1);
    nTestCap = raw.nTestCap === undefined ? undefined : requireInteger('data.nTestCap', raw.nTestCap, 0);
    if (!fileKind && (nCap !== undefined || nTestCap !== undefined)) {
      throw new InvalidInputError(nCap !== undefined ? 'data.nCap' : 'data.nTestCap', `row caps only apply to the file kinds ${FILE_KINDS_TEXT}; write data.n / data.nTest`);
    }
  } else if (fileKind) {
    nCap = given('n') ? n : undefined;
    nTestCap = given('nTest') ? nTest : undefined;
  }

  // Only files have labels to declare and features to standardize; silently ignoring either
  // with a generated kind would misreport the run. standardize: false is a no-op, so allowed.
  let classes: number | undefined;
  if (given('classes')) {
    if (!fileKind) {
      throw new InvalidInputError('data.classes', `only used by the file kinds ${FILE_KINDS_TEXT} (generated kinds decide their own targets), but data.kind is ${JSON.stringify(kind)}`);
    }
    classes = requireInteger('data.classes', raw.classes, 2);
  }
  let standardize: boolean = DATA_DEFAULTS.standardize;
  if (given('standardize')) {
    if (typeof raw.standardize !== 'boolean') {
      throw new InvalidInputError('data.standardize', `expected true or false, got ${JSON.stringify(raw.standardize)}`);
    }
    standardize = raw.standardize;
    if (standardize && !fileKind) {
      throw new InvalidInputError('data.standardize', `only used by the file kinds ${FILE_KINDS_TEXT}, but data.kind is ${JSON.stringify(kind)}`);
    }
  }
  let inputScale: number = DATA_DEFAULTS.inputScale;
  if (given('inputScale')) {
    inputScale = requirePositive('data.inputScale', raw.inputScale);
    if (!Number.isFinite(inputScale)) throw new InvalidInputError('data.inputScale', `expected a finite positive number, got ${String(raw.inputScale)}`);
    if (inputScale !== 1 && !fileKind) {
      throw new InvalidInputError('data.inputScale', `only used by the file kinds ${FILE_KINDS_TEXT}, but data.kind is ${JSON.stringify(kind)}`);
    }
  }
  let files: IdxFileNames | undefined;
  if (given('files')) {
    if (kind !== 'idx') {
      throw new InvalidInputError('data.files', `only used by kind "idx", but data.kind is ${JSON.stringify(kind)}`);
    }
    const rawFiles = raw.files;
    if (typeof rawFiles !== 'object' || rawFiles === null || Array.isArray(rawFiles)) {
      throw new InvalidInputError('data.files', `expected an object with keys ${IDX_FILE_KEYS.join(', ')}, got ${JSON.stringify(rawFiles)}`);
    }
    const names: IdxFileNames = {};
    for (const [key, value] of Object.entries(rawFiles as Record<string, unknown>)) {
      if (!(IDX_FILE_KEYS as readonly string[]).includes(key)) {
        throw new InvalidInputError(`data.files.${key}`, `unknown key; allowed keys are ${IDX_FILE_KEYS.join(', ')}`);
      }
      if (value === undefined) continue;
      if (typeof value !== 'string' || value.trim() === '') {
        throw new InvalidInputError(`data.files.${key}`, `expected a non-empty file name, got ${JSON.stringify(value)}`);
      }
      names[key as keyof IdxFileNames] = value;
    }
    files = names;
  }

  if (d !== undefined && !fileKind) {
    if (n * d > MAX_BUFFER_ENTRIES) {
      throw new InvalidInputError('data.n', `n·d = ${n}·${d} exceeds the ${MAX_BUFFER_ENTRIES} entries one buffer can hold`);
    }
    if (nTest * d > MAX_BUFFER_ENTRIES) {
      throw new InvalidInputError('data.nTest', `nTest·d = ${nTest}·${d} exceeds the ${MAX_BUFFER_ENTRIES} entries one buffer can hold`);
    }
  }

  return { kind, path, d, n, nTest, nCap, nTestCap, teacherWidth, sphere, outputScale, labelNoise, k, spread, separation, classes, standardize, inputScale, files };
}

/**
 * Chizat's unit Δ = 1/(3k−1) for a k×k board: cluster centres sit 3Δ apart and points lie
 * within Δ of their centre, so two clusters are always at least Δ apart.
 */
export function checkerboardDelta(k: number): number {
  return 1 / (3 * k - 1);
}
