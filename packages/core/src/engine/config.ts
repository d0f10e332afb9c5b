import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';
import { checkSeed } from '../random/index.js';
import { resolveModelSpec, type ModelSpec, type ModelSpecInput } from '../model/spec.js';
import { LOSSES, type BackendName, type IntegratorName, type LossName, type Precision } from '../types.js';

/** `train` keys of ARCHITECTURE.md §6. */
export interface TrainSpec {
  steps: number;
  /** η */
  lr: number;
  /** λ */
  weightDecay: number;
  /** `gd`: full batch on the training set; `sgd`: population SGD, a fresh batch from the data generator each step. */
  integrator: IntegratorName;
  /** Population SGD batch size (default: the training set size). */
  batchSize: number | null;
  precision: Precision;
  backend: BackendName;
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

/** Everything a simulation needs besides its data. */
export interface SimulationConfig {
  seed: number;
  model: ModelSpec;
  loss: LossName;
  train: TrainSpec;
  log: LogSpec;
}

export interface SimulationConfigInput {
  seed?: number;
  model?: ModelSpecInput;
  loss?: LossName;
  train?: Partial<TrainSpec>;
  log?: { every?: number; particles?: Partial<LogSpec['particles']>; ntk?: Partial<LogSpec['ntk']> };
}

export const DEFAULT_TRAIN: Readonly<TrainSpec> = {
  steps: 1000,
  lr: 0.1,
  weightDecay: 0,
  integrator: 'gd',
  batchSize: null,
  precision: 'f64',
  backend: 'auto',
};

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

/** Fills defaults (documented on the types above) and validates; errors name the field. */
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
  const train: TrainSpec = {
    steps: requireInteger('train.steps', t.steps, 0),
    lr: requirePositive('train.lr', t.lr),
    weightDecay: requireFinite('train.weightDecay', t.weightDecay, 0),
    integrator: requireOneOf('train.integrator', t.integrator, ['gd', 'sgd'] as const),
    batchSize: t.batchSize === null ? null : requireInteger('train.batchSize', t.batchSize, 1),
    precision: requireOneOf('train.precision', t.precision, ['f32', 'f64'] as const),
    backend: requireOneOf('train.backend', t.backend, ['auto', 'wasm', 'tfjs', 'reference'] as const),
  };
  rejectUnknown('log', input.log, ['every', 'particles', 'ntk']);
  rejectUnknown('log.particles', input.log?.particles, ['every', 'count']);
  rejectUnknown('log.ntk', input.log?.ntk, ['every', 'probe']);
  const log: LogSpec = {
    every: requireInteger('log.every', input.log?.every ?? DEFAULT_LOG.every, 1),
    particles: {
      every: requireInteger('log.particles.every', input.log?.particles?.every ?? DEFAULT_LOG.particles.every, 0),
      count: requireInteger('log.particles.count', input.log?.particles?.count ?? DEFAULT_LOG.particles.count, 0),
    },
    ntk: {
      every: requireInteger('log.ntk.every', input.log?.ntk?.every ?? DEFAULT_LOG.ntk.every, 0),
      probe: requireInteger('log.ntk.probe', input.log?.ntk?.probe ?? DEFAULT_LOG.ntk.probe, 1),
    },
  };
  return {
    seed,
    model: resolveModelSpec(input.model),
    loss: requireOneOf('loss', input.loss ?? 'square', LOSSES),
    train,
    log,
  };
}
