/**
 * The config schema (ARCHITECTURE.md §6), in zod: the one place where every key, its type, its
 * allowed values and its default are declared (`mflab run --print-config` prints the result).
 * The defaults are core's own constants, so the library and the CLI cannot disagree. Every
 * object is strict: a misspelt key is an error, never a silently ignored setting.
 */
import { z } from 'zod';
import { ACTIVATIONS, BACKENDS, DATA_DEFAULTS, DATA_KINDS, DEFAULT_INIT, DEFAULT_LOG, DEFAULT_MODEL, DEFAULT_TRAIN, INIT_KINDS, INTEGRATORS, LOSSES, OPTIMIZERS, PARAMETERIZATIONS, PRECISIONS, SCHEDULES, isFileKind, type LogSpec, type ModelSpec, type TrainSpec } from '@mflab/core';

const int = (min: number) => z.number().int().min(min);
const positive = () => z.number().positive();
const finite = () => z.number().refine(Number.isFinite, 'expected a finite number');
const nonNegative = () => z.number().min(0);
const oneOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]]);

/**
 * Caps on free text: a name, title and description are copied into run.json and every stream's
 * metadata, so a 50 MB description would be copied dozens of times; a path is bounded by the
 * system's (PATH_MAX 4096).
 */
export const MAX_NAME = 100;
export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 10_000;
const MAX_PATH = 4096;
/** Grid keys are config paths (`model.init.scale`); grid values the values of config keys. */
const MAX_GRID_KEY = 200;
const MAX_GRID_STRING = MAX_DESCRIPTION;
/** Most values one grid axis may list (the grid's runs are capped at 100 000 too, see grid.ts). */
export const MAX_GRID_VALUES = 100_000;
const path = () => z.string().min(1).max(MAX_PATH);

const dataObject = z.strictObject({
  kind: oneOf(DATA_KINDS).default(DATA_DEFAULTS.kind),
  /** csv/arrow/parquet: the file; idx: the directory of MNIST-format files (relative paths resolve against the config file's directory). */
  path: path().optional(),
  d: int(1).optional(),
  /** Generated data: the number of points (default 256). Files: when given, a cap (the first n training rows). */
  n: int(1).optional(),
  /** Generated data: test points (default 1024). Files: when given, a cap on the test rows. */
  nTest: int(0).optional(),
  /** Files: y holds class indices 0..classes−1 (idx: inferred from the labels); the network gets k = classes outputs. */
  classes: int(2).optional(),
  /** Files: standardize each input feature with the training rows' mean and standard deviation. */
  standardize: z.boolean().default(false),
  /** Files: multiply every input coordinate by this after standardization (1/√d: inputs of norm ≈ 1). */
  inputScale: positive().default(1),
  /** idx: file names in `path`, when they are not the standard train-images-idx3-ubyte[.gz] etc. */
  files: z
    .strictObject({ trainImages: path().optional(), trainLabels: path().optional(), testImages: path().optional(), testLabels: path().optional() })
    .optional(),
  teacherWidth: int(1).default(DATA_DEFAULTS.teacherWidth),
  sphere: z.boolean().default(DATA_DEFAULTS.sphere),
  outputScale: finite().default(DATA_DEFAULTS.outputScale),
  labelNoise: nonNegative().default(DATA_DEFAULTS.labelNoise),
  k: int(1).default(DATA_DEFAULTS.k),
  /** Default depends on the kind (see @mflab/core's DataSpec). */
  spread: positive().optional(),
  separation: nonNegative().default(DATA_DEFAULTS.separation),
  /** Seed of the data draws (default 0), apart from the top-level seed (init, SGD batches): a seed sweep then varies the network, not the data. */
  seed: int(0).default(0),
});

/** Generated kinds get their n and nTest defaults; a file keeps n and nTest only where they were written (they cap it). */
export const dataSchema = dataObject.transform((data) =>
  isFileKind(data.kind) ? data : { ...data, n: data.n ?? DATA_DEFAULTS.n, nTest: data.nTest ?? DATA_DEFAULTS.nTest },
);

/** One number for every layer, or one per layer (deep networks' variances). */
const perLayer = () => z.union([nonNegative(), z.array(nonNegative()).min(1)]);

/**
 * `model.init`. The two-layer keys (`symmetric`, `sigmaA`, `sigmaB`) and the deep keys
 * (`weightVariance`, `biasVariance`, `edgeOfChaos`) have no default here: core fills them for
 * the family the model routes to (ARCHITECTURE.md §7; writing a deep key makes the model deep,
 * writing a two-layer key on a deep model is an error).
 */
export const initSchema = z.strictObject({
  kind: oneOf(INIT_KINDS).default(DEFAULT_INIT.kind),
  scale: nonNegative().default(DEFAULT_INIT.scale),
  symmetric: z.boolean().optional(),
  sigmaA: nonNegative().optional(),
  sigmaB: nonNegative().optional(),
  /** Deep: σ_l² of the weights, l = 1..L+1 (default 1). */
  weightVariance: perLayer().optional(),
  /** Deep: σ_b,l² of the biases, l = 1..L (default 1). */
  biasVariance: perLayer().optional(),
  /** Deep: (σ_w², σ_b²) on the edge of chaos (relu, linear; tanh and erf for σ_b² = biasVariance). */
  edgeOfChaos: z.boolean().optional(),
});

/**
 * `model` (ARCHITECTURE.md §6, §7). The deep-only keys (`depth` ≥ 2, `activation`, `residual`,
 * `residualScale`, a list `width`, …) have no default here: core's routing rule reads whether
 * they were written (`describesDeepModel`), and fills their defaults for deep networks.
 */
export const modelSchema = z.strictObject({
  /** m, or (deep networks) one width per hidden layer. */
  width: z.union([int(1), z.array(int(1)).min(1)]).default(DEFAULT_MODEL.width),
  parameterization: oneOf(PARAMETERIZATIONS).default(DEFAULT_MODEL.parameterization),
  alpha: positive().default(DEFAULT_MODEL.alpha),
  bias: z.boolean().default(DEFAULT_MODEL.bias),
  centered: z.boolean().default(DEFAULT_MODEL.centered),
  init: initSchema.prefault({}),
  /** L hidden layers (default 1: the two-layer network of §1). */
  depth: int(1).optional(),
  /** Deep: φ of the hidden layers (default relu). */
  activation: oneOf(ACTIVATIONS).optional(),
  /** Deep: residual blocks (β = 1/√L unless residualScale). */
  residual: z.boolean().optional(),
  /** Deep: β of the residual blocks (turns them on). */
  residualScale: positive().optional(),
});

export const trainSchema = z.strictObject({
  steps: int(0).default(DEFAULT_TRAIN.steps),
  lr: positive().default(DEFAULT_TRAIN.lr),
  weightDecay: nonNegative().default(DEFAULT_TRAIN.weightDecay),
  integrator: oneOf(INTEGRATORS).default(DEFAULT_TRAIN.integrator),
  batchSize: int(1).nullable().default(DEFAULT_TRAIN.batchSize),
  /** Minibatch SGD over the training set: this many epochs of ⌊n/B⌋ steps (replaces steps). */
  epochs: int(1).nullable().default(DEFAULT_TRAIN.epochs),
  schedule: oneOf(SCHEDULES).default(DEFAULT_TRAIN.schedule),
  precision: oneOf(PRECISIONS).default(DEFAULT_TRAIN.precision),
  backend: oneOf(BACKENDS).default(DEFAULT_TRAIN.backend),
  /** The update rule (ARCHITECTURE.md §7): sgd, momentum (heavy ball) or adam (AdamW); momentum and adam run on the reference backend, f64. */
  optimizer: oneOf(OPTIMIZERS).default(DEFAULT_TRAIN.optimizer),
  // The hyperparameters have no default here: core fills them, and rejects one written for another optimizer.
  /** momentum's β (default 0.9). */
  momentum: z.number().optional(),
  /** adam's β₁, β₂ (default [0.9, 0.999]). */
  betas: z.array(z.number()).optional(),
  /** adam's ε (default 1e-8). */
  eps: z.number().optional(),
  /** A run whose training risk exceeds this (or is not finite) is stopped and marked diverged. */
  maxRisk: positive().default(1e6),
});

export const logSchema = z.strictObject({
  every: int(1).default(DEFAULT_LOG.every),
  particles: z
    // every: no default here (core's: 100 for the two-layer network, 0 for deep ones, which have no particles).
    .strictObject({ every: int(0).optional(), count: int(0).default(DEFAULT_LOG.particles.count) })
    .prefault({}),
  ntk: z.strictObject({ every: int(0).default(DEFAULT_LOG.ntk.every), probe: int(1).default(DEFAULT_LOG.ntk.probe) }).prefault({}),
  /** Checkpoint (full state, for resume) every this many steps; 0: only at the end. */
  checkpointEvery: int(0).default(1000),
});

/** A grid axis: a non-empty list of values, where a string "a..b" expands to the integers a, a+1, …, b. */
const gridValue = z.union([z.number(), z.string().max(MAX_GRID_STRING), z.boolean()]);
export const gridSchema = z.record(z.string().min(1).max(MAX_GRID_KEY), z.array(gridValue).min(1).max(MAX_GRID_VALUES));

/**
 * The whole config file (ARCHITECTURE.md §6) as a strict zod object: parsing fills every default
 * and rejects unknown keys. Prefer {@link validateConfig}, which adds the cross-field checks and
 * turns failures into one-line ConfigErrors.
 */
export const configSchema = z.strictObject({
  /** A short name: the default output directory is mflab-out/<name>. */
  name: z.string().max(MAX_NAME).regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, ".", "_" or "-"').optional(),
  title: z.string().max(MAX_TITLE).optional(),
  description: z.string().max(MAX_DESCRIPTION).optional(),
  seed: int(0).default(0),
  data: dataSchema.prefault({}),
  model: modelSchema.prefault({}),
  loss: oneOf(LOSSES).default('square'),
  train: trainSchema.prefault({}),
  log: logSchema.prefault({}),
  /** `mflab sweep` only: config key paths → lists of values. */
  grid: gridSchema.optional(),
});

/** A config as zod parses it: types and allowed values checked, the family-independent defaults filled in. */
export type ParsedConfig = z.output<typeof configSchema>;

/**
 * A config with every default filled in: zod's parse resolved by core (`validateConfig`), so
 * `model` is core's {@link ModelSpec} (the two-layer or the deep network), and `train` (with the
 * optimizer's hyperparameters filled) and `log` core's.
 */
export type AppConfig = Omit<ParsedConfig, 'model' | 'log' | 'train'> & { model: ModelSpec; train: TrainSpec & { maxRisk: number }; log: LogSpec & { checkpointEvery: number } };
/** A config as written (YAML/JSON, ARCHITECTURE.md §6): every key optional, before defaults. */
export type AppConfigInput = z.input<typeof configSchema>;
