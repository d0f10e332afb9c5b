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
 * - `csv`, `arrow`: path, and d as a check (the file decides n and the test set)
 */
export interface DataSpec {
  /** Which data family (default `teacher`). */
  kind?: DataKind;
  /** File to read, for `csv` and `arrow` only (relative paths resolve against the working directory). */
  path?: string;
  /** Input dimension (default 2). For files it is inferred from the x columns, and checked if given. */
  d?: number;
  /** Number of training points (default 256); ignored for files, where the rows decide. */
  n?: number;
  /** Number of test points (default 1024; 0 allowed); ignored for files. */
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
}

/**
 * A validated spec with every default filled in. `path` is set only for files; `d` is left
 * undefined only for a file whose dimension is to be inferred from its columns.
 */
export interface ResolvedDataSpec {
  readonly kind: DataKind;
  readonly path: string | undefined;
  readonly d: number | undefined;
  readonly n: number;
  readonly nTest: number;
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
} as const satisfies Omit<Required<DataSpec>, 'path'>;

/** Kinds read from a file (asynchronous, via loadDataset) rather than generated from the seed. */
export const FILE_DATA_KINDS: readonly DataKind[] = ['csv', 'arrow'];

/** Whether a kind is read from a file. */
export function isFileKind(kind: DataKind): boolean {
  return kind === 'csv' || kind === 'arrow';
}

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
];

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
    if (!KNOWN_KEYS.includes(key)) {
      throw new InvalidInputError(`data.${key}`, `unknown key; allowed keys are ${KNOWN_KEYS.join(', ')}`);
    }
  }
  const given = (key: string): boolean => raw[key] !== undefined;

  const kind = requireOneOf('data.kind', raw.kind ?? DATA_DEFAULTS.kind, DATA_KINDS);
  const fileKind = isFileKind(kind);

  let path: string | undefined;
  if (fileKind) {
    if (!given('path')) {
      throw new InvalidInputError('data.path', `required for kind ${JSON.stringify(kind)}: the ${kind} file to read`);
    }
    if (typeof raw.path !== 'string' || raw.path.trim() === '') {
      throw new InvalidInputError('data.path', `expected a non-empty file path, got ${JSON.stringify(raw.path)}`);
    }
    path = raw.path;
  } else if (given('path')) {
    // A path with a generated kind almost always means `kind: csv` was forgotten.
    throw new InvalidInputError('data.path', `only used by kinds "csv" and "arrow", but data.kind is ${JSON.stringify(kind)}`);
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

  if (d !== undefined && !fileKind) {
    if (n * d > MAX_BUFFER_ENTRIES) {
      throw new InvalidInputError('data.n', `n·d = ${n}·${d} exceeds the ${MAX_BUFFER_ENTRIES} entries one buffer can hold`);
    }
    if (nTest * d > MAX_BUFFER_ENTRIES) {
      throw new InvalidInputError('data.nTest', `nTest·d = ${nTest}·${d} exceeds the ${MAX_BUFFER_ENTRIES} entries one buffer can hold`);
    }
  }

  return { kind, path, d, n, nTest, teacherWidth, sphere, outputScale, labelNoise, k, spread, separation };
}

/**
 * Chizat's unit Δ = 1/(3k−1) for a k×k board: cluster centres sit 3Δ apart and points lie
 * within Δ of their centre, so two clusters are always at least Δ apart.
 */
export function checkerboardDelta(k: number): number {
  return 1 / (3 * k - 1);
}
