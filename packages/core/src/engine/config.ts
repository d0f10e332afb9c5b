import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';
import { checkSeed } from '../random/index.js';
import { DEFAULT_OPTIMIZER, resolveOptimizerSpec, type OptimizerName } from '../optim/optimizer.js';
import { isDeepModel, resolveModelSpec, type ModelSpec, type ModelSpecInput, type TwoLayerModelInput, type TwoLayerModelSpec } from '../model/spec.js';
import { BACKENDS, INTEGRATORS, LOSSES, PRECISIONS, SCHEDULES, type BackendName, type DataSplit, type IntegratorName, type LossName, type LrSchedule, type Precision } from '../types.js';

/** `train` keys of ARCHITECTURE.md §6. */
export interface TrainSpec {
  steps: number;
  /** η */
  lr: number;
  /** λ */
  weightDecay: number;
  /**
   * `gd`: full batch on the training set. `sgd`: minibatch SGD — over the finite training set
   * (seeded shuffle each epoch) when the data come from a file or `epochs` is set, else
   * population SGD (a fresh batch from the data generator each step).
   */
  integrator: IntegratorName;
  /** SGD batch size B (default: the training set size). */
  batchSize: number | null;
  /**
   * Finite-data SGD: run this many epochs of ⌊n/B⌋ steps each (the n mod B samples left over
   * by an epoch's shuffle are skipped that epoch); replaces `steps`. null: `steps` decides.
   */
  epochs: number | null;
  /** Step size η_t: `constant` η, or `cosine` η (1 + cos(π t / T)) / 2 over the T steps of the run. */
  schedule: LrSchedule;
  precision: Precision;
  backend: BackendName;
  /**
   * The update rule (ARCHITECTURE.md §7, optim/optimizer.ts): `sgd` (plain gradient steps, the
   * default), `momentum` (heavy ball, β = `momentum`) or `adam` (AdamW: `betas`, `eps`, weight
   * decay decoupled). momentum and adam run in float64 on the reference backend (`auto`) or the
   * native one (when asked for).
   */
  optimizer: OptimizerName;
  /** β of `momentum` (default 0.9); an error with another optimizer. */
  momentum: number;
  /** β₁, β₂ of `adam` (default [0.9, 0.999]); an error with another optimizer. */
  betas: [number, number];
  /** ε of `adam` (default 1e-8); an error with another optimizer. */
  eps: number;
}

/** `log` keys of ARCHITECTURE.md §6. */
export interface LogSpec {
  /** Log observables every this many steps (step 0 and the last step are always logged). */
  every: number;
  /** Particle snapshots of `count` neurons (all of them when count ≥ width) every `every` steps; 0 turns them off. */
  particles: { every: number; count: number };
  /** `ntk_drift` on the first `probe` training points every `every` steps; 0 turns it off. */
  ntk: { every: number; probe: number };
}

/**
 * Everything a simulation needs besides its data. `M` narrows the model: a family's engines
 * type their config with their own spec (`SimulationConfig<TwoLayerModelSpec>`).
 */
export interface SimulationConfig<M extends ModelSpec = ModelSpec> {
  seed: number;
  model: M;
  loss: LossName;
  train: TrainSpec;
  log: LogSpec;
}

/**
 * A {@link SimulationConfig} as a user writes it (a config file's keys of ARCHITECTURE.md §6
 * without `data` and `grid`): every key optional, each section partial. Defaults: seed 0,
 * {@link DEFAULT_MODEL} and `DEFAULT_INIT`, loss `square`, {@link DEFAULT_TRAIN},
 * {@link DEFAULT_LOG}. {@link resolveSimulationConfig} fills and validates it (unknown keys are
 * errors); `Simulation.create` takes it directly.
 *
 * @example
 * const input: SimulationConfigInput = {
 *   seed: 3,
 *   model: { width: 512, parameterization: 'lazy', alpha: 10 },
 *   train: { steps: 2000, lr: 0.05, weightDecay: 1e-3 },
 *   log: { every: 20, particles: { every: 0 } },
 * };
 * const resolved = resolveSimulationConfig(input); // resolved.train.precision === 'f64'
 */
export interface SimulationConfigInput<M extends ModelSpecInput = ModelSpecInput> {
  seed?: number;
  model?: M;
  loss?: LossName;
  /** `betas` may be any list here; resolution checks it holds two numbers in [0, 1). */
  train?: Partial<Omit<TrainSpec, 'betas'>> & { betas?: readonly number[] };
  log?: { every?: number; particles?: Partial<LogSpec['particles']>; ntk?: Partial<LogSpec['ntk']> };
}

export type { LrSchedule };

/**
 * The `train` defaults (ARCHITECTURE.md §6): 1000 steps of full-batch GD with η = 0.1, no
 * weight decay, a constant step size, float64, backend `auto`; `batchSize` and `epochs` null
 * (the whole training set, and `steps` sets the length); optimizer `sgd` (momentum 0.9,
 * betas [0.9, 0.999], eps 1e-8 when those optimizers are picked).
 */
export const DEFAULT_TRAIN: Readonly<TrainSpec> = {
  steps: 1000,
  lr: 0.1,
  weightDecay: 0,
  integrator: 'gd',
  batchSize: null,
  epochs: null,
  schedule: 'constant',
  precision: 'f64',
  backend: 'auto',
  optimizer: DEFAULT_OPTIMIZER.optimizer,
  momentum: DEFAULT_OPTIMIZER.momentum,
  betas: [DEFAULT_OPTIMIZER.betas[0], DEFAULT_OPTIMIZER.betas[1]],
  eps: DEFAULT_OPTIMIZER.eps,
};

/**
 * The `log` defaults (ARCHITECTURE.md §6): a row every 10 steps, snapshots of 64 neurons every
 * 100 steps, `ntk_drift` off (on a probe of 64 training points when turned on).
 */
export const DEFAULT_LOG: Readonly<LogSpec> = {
  every: 10,
  particles: { every: 100, count: 64 },
  ntk: { every: 0, probe: 64 },
};

function rejectUnknown(field: string, value: object | undefined, known: readonly string[]): void {
  for (const key of Object.keys(value ?? {})) {
    if (!known.includes(key)) throw new InvalidInputError(`${field}.${key}`, `unknown key; allowed keys are ${known.join(', ')}`);
  }
}

/**
 * Fills defaults (documented on the types above) and validates; errors name the field. The
 * model's family follows the routing rule of `resolveModelSpec` (depth ≥ 2 or a deep-only key:
 * the deep network of ARCHITECTURE.md §7). Deep networks run in f64 or f32 (deep/blocks.ts's
 * block-structured step, on the reference backend), take no particle
 * snapshots (`log.particles.every` defaults to 0 for them, and > 0 is an error) and log
 * `ntk_drift` with the tangent kernel Σ_l γ_l ∇_{w_l}f·∇_{w_l}f (one output).
 */
export function resolveSimulationConfig(input?: SimulationConfigInput<TwoLayerModelInput>): SimulationConfig<TwoLayerModelSpec>;
export function resolveSimulationConfig(input?: SimulationConfigInput): SimulationConfig;
export function resolveSimulationConfig(input: SimulationConfigInput = {}): SimulationConfig {
  rejectUnknown('config', input, ['seed', 'model', 'loss', 'train', 'log']);
  const seed = input.seed ?? 0;
  try {
    checkSeed(seed);
  } catch {
    throw new InvalidInputError('seed', `expected a non-negative integer below 2^53, got ${String(seed)}`);
  }
  rejectUnknown('train', input.train, Object.keys(DEFAULT_TRAIN));
  const t = { ...DEFAULT_TRAIN, ...input.train };
  // Only the keys written count as given: a hyperparameter of another optimizer is an error.
  const optimizer = resolveOptimizerSpec({ optimizer: input.train?.optimizer, momentum: input.train?.momentum, betas: input.train?.betas, eps: input.train?.eps });
  const train: TrainSpec = {
    steps: requireInteger('train.steps', t.steps, 0),
    lr: requirePositive('train.lr', t.lr),
    weightDecay: requireFinite('train.weightDecay', t.weightDecay, 0),
    integrator: requireOneOf('train.integrator', t.integrator, INTEGRATORS),
    batchSize: t.batchSize === null ? null : requireInteger('train.batchSize', t.batchSize, 1),
    epochs: t.epochs === null ? null : requireInteger('train.epochs', t.epochs, 1),
    schedule: requireOneOf('train.schedule', t.schedule, SCHEDULES),
    precision: requireOneOf('train.precision', t.precision, PRECISIONS),
    backend: requireOneOf('train.backend', t.backend, BACKENDS),
    optimizer: optimizer.optimizer,
    momentum: optimizer.momentum,
    betas: [optimizer.betas[0], optimizer.betas[1]],
    eps: optimizer.eps,
  };
  if (train.optimizer !== 'sgd' && (train.backend === 'wasm' || train.backend === 'tfjs')) {
    throw new InvalidInputError('train.backend', `optimizer ${train.optimizer} runs on the reference or native backend only (the fused ${train.backend} kernels apply the SGD update; they do not hand out the gradient); use auto, reference or native, or optimizer sgd`);
  }
  if (train.optimizer !== 'sgd' && train.precision !== 'f64') {
    throw new InvalidInputError('train.precision', `optimizer ${train.optimizer} runs in float64 only (reference or native backend); use f64, or optimizer sgd`);
  }
  if (train.epochs !== null && train.integrator !== 'sgd') {
    throw new InvalidInputError('train.epochs', 'epochs are passes of minibatch SGD over the training set; set train.integrator: sgd, or use train.steps with gd');
  }
  const model = resolveModelSpec(input.model);
  const deep = isDeepModel(model);
  if (deep && train.backend !== 'auto' && train.backend !== 'reference') {
    throw new InvalidInputError('train.backend', `deep networks run on the reference backend only for now (no ${train.backend} kernel is written yet); use auto or reference`);
  }
  rejectUnknown('log', input.log, ['every', 'particles', 'ntk']);
  rejectUnknown('log.particles', input.log?.particles, ['every', 'count']);
  rejectUnknown('log.ntk', input.log?.ntk, ['every', 'probe']);
  const log: LogSpec = {
    every: requireInteger('log.every', input.log?.every ?? DEFAULT_LOG.every, 1),
    particles: {
      every: requireInteger('log.particles.every', input.log?.particles?.every ?? (deep ? 0 : DEFAULT_LOG.particles.every), 0),
      count: requireInteger('log.particles.count', input.log?.particles?.count ?? DEFAULT_LOG.particles.count, 0),
    },
    ntk: {
      every: requireInteger('log.ntk.every', input.log?.ntk?.every ?? DEFAULT_LOG.ntk.every, 0),
      probe: requireInteger('log.ntk.probe', input.log?.ntk?.probe ?? DEFAULT_LOG.ntk.probe, 1),
    },
  };
  if (deep && log.particles.every > 0) {
    throw new InvalidInputError('log.particles.every', `particle snapshots are a two-layer feature and this config describes a deep network (model.depth = ${model.depth}); set log.particles.every: 0 (or leave log.particles out)`);
  }
  return {
    seed,
    model,
    loss: requireOneOf('loss', input.loss ?? 'square', LOSSES),
    train,
    log,
  };
}

/** Whether SGD runs over the finite training set (epochs of shuffled batches) rather than fresh population samples. */
export function usesFiniteBatches(config: Pick<SimulationConfig, 'train'>, data: { readonly sampler?: unknown }): boolean {
  return config.train.integrator === 'sgd' && (config.train.epochs !== null || !data.sampler);
}

/** Finite-data SGD: the batch must fit in the training set (errors name train.batchSize). */
export function checkBatchSize(config: SimulationConfig, data: DataSplit): void {
  const size = config.train.batchSize ?? data.train.n;
  if (size > data.train.n) {
    throw new InvalidInputError('train.batchSize', `a batch of ${size} is larger than the ${data.train.n} training points; use at most ${data.train.n}`);
  }
}

/** Batches per epoch of finite-data SGD: ⌊n / B⌋ (at least 1; B ≤ n is checked when the simulation is built). */
export function batchesPerEpoch(config: SimulationConfig, nTrain: number): number {
  return Math.max(1, Math.floor(nTrain / Math.min(nTrain, config.train.batchSize ?? nTrain)));
}

/**
 * The config a run on this data executes: `train.epochs` turned into `train.steps`
 * (epochs · ⌊n/B⌋). Engines call it on construction, so `config.train.steps` is always the
 * run's length.
 */
export function resolveRunLength(config: SimulationConfig, data: DataSplit): SimulationConfig {
  const { epochs } = config.train;
  if (epochs === null || !usesFiniteBatches(config, data)) return config;
  const steps = epochs * batchesPerEpoch(config, data.train.n);
  return steps === config.train.steps ? config : { ...config, train: { ...config.train, steps } };
}

/**
 * η_t, the step size of update t (0-based) of a T-step run (cosine: η (1 + cos(π t/T)) / 2).
 */
export function stepSizeAt(train: Pick<TrainSpec, 'lr' | 'schedule' | 'steps'>, t: number): number {
  if (train.schedule === 'constant' || train.steps === 0) return train.lr;
  return 0.5 * train.lr * (1 + Math.cos((Math.PI * t) / train.steps));
}

/** The flow time after `step` updates: Σ_{t < step} η_t (= step·η for a constant step). */
export function flowTime(train: Pick<TrainSpec, 'lr' | 'schedule' | 'steps'>, step: number): number {
  if (train.schedule === 'constant') return step * train.lr;
  let time = 0;
  for (let t = 0; t < step; t++) time += stepSizeAt(train, t);
  return time;
}
