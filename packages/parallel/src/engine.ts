/**
 * `createEngine`: the one place that decides which engine runs a config — core's single-thread
 * engine, or the sharded engine of this package — by one measured rule ({@link chooseEngine}),
 * for `mflab run`, sweeps (the app's and the built-in task module) and library users alike.
 * Importing this package registers the sharded engines of the two-layer and deep models with
 * core's engine registry.
 */
import { DEEP, InvalidInputError, TWO_LAYER, getEngine, hiddenWidths, modelFamilyOf, registerEngine, usesFiniteBatches, widthOf, type DataShape, type DataSplit, type Engine, type EngineKind, type EngineOptions, type SimulationConfig } from '@mflab/core';
import { SHARDED_BACKENDS, ShardedSimulation, type ShardedSimulationOptions } from './shard/sharded-simulation.js';
import { ShardedDeepSimulation, type ShardedDeepOptions } from './shard/deep-shard.js';

/**
 * Below this much work per step (samples per step × neurons) a step takes well under a
 * millisecond and threads only add synchronisation (three barriers per step, ≈ 60 µs each on
 * 2 cores): such runs stay on one thread.
 */
export const SHARD_MIN_PAIRS = 1 << 18;

registerEngine({
  model: TWO_LAYER,
  kind: 'sharded',
  unsupported: (config, data) => {
    if (config.train.integrator !== 'gd' && !usesFiniteBatches(config, data)) return 'population SGD draws fresh samples on one thread';
    if (config.train.optimizer !== 'sgd') return `optimizer ${config.train.optimizer} runs on the reference or native kernel, on one thread`;
    if (!SHARDED_BACKENDS.includes(config.train.backend)) return `the sharded engine runs the wasm or native kernels, not ${config.train.backend}`;
    return null;
  },
  create: (config, data, options) => ShardedSimulation.create(config, data, { ...(options as ShardedSimulationOptions), workers: options.threads }),
});

// Deep networks: every config the single-thread engine runs (GD, both SGDs, f32 and f64; the
// batch is drawn on the main thread), sharded over the output neurons of every layer.
registerEngine({
  model: DEEP,
  kind: 'sharded',
  unsupported: (config) => (config.train.optimizer !== 'sgd' ? `train.optimizer: ${config.train.optimizer} runs on one thread (its state is not sharded yet)` : null),
  create: (config, data, options) => ShardedDeepSimulation.start(config, data, { ...(options as ShardedDeepOptions), workers: options.threads }),
});

/**
 * Which engine runs `config` on `data` with `threads` threads: sharded when it has more than one
 * thread, the model has a sharded engine that supports the config (two-layer: full-batch GD or
 * finite-data SGD, on wasm or native, optimizer sgd; deep: optimizer sgd), and a step does at
 * least {@link SHARD_MIN_PAIRS} sample·neuron pairs (deep: neurons summed over the layers); else the
 * single-thread engine. `data` may be the data itself or its shape before it is read (estimates).
 *
 * @example
 * chooseEngine(config, data, 4); // 'sharded' for n = 4096 samples × m = 65 536 neurons
 */
export function chooseEngine(config: SimulationConfig, data: DataShape, threads: number): EngineKind {
  if (threads <= 1) return 'single-thread';
  const sharded = getEngine(modelFamilyOf(config), 'sharded');
  if (!sharded || sharded.unsupported(config, data) !== null) return 'single-thread';
  const n = data.train.n;
  const samples = config.train.integrator === 'sgd' ? Math.min(n, config.train.batchSize ?? n) : n;
  // A deep net's step does work in every layer: samples × total width (Σ_l m_l).
  const width = modelFamilyOf(config) === DEEP ? hiddenWidths(config.model).reduce((a, b) => a + b, 0) : widthOf(config.model);
  return samples * width >= SHARD_MIN_PAIRS ? 'sharded' : 'single-thread';
}

/**
 * Builds the engine for a resolved config (`resolveSimulationConfig`, or the CLI's validated
 * config) on its data, chosen by {@link chooseEngine}; `threads` defaults to 1. Dispose it when done.
 *
 * @example
 * import { createEngine } from '@mflab/parallel';
 * import { loadDataset, resolveSimulationConfig, runSimulationAsync } from '@mflab/core';
 * const config = resolveSimulationConfig({ model: { width: 4096 }, train: { steps: 500 } });
 * const data = await loadDataset({ kind: 'teacher', d: 8, n: 1024 }, 0);
 * const engine = await createEngine(config, data, { threads: 2 });
 * try {
 *   const result = await runSimulationAsync(engine);
 *   console.log(result.status, engine.backendInfo);
 * } finally {
 *   await engine.dispose();
 * }
 */
export async function createEngine(config: SimulationConfig, data: DataSplit, options: EngineOptions = {}): Promise<Engine> {
  const threads = options.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) throw new InvalidInputError('threads', `expected an integer from 1 to 256, got ${String(options.threads)}`);
  const model = modelFamilyOf(config);
  const kind = chooseEngine(config, data, threads);
  const registration = getEngine(model, kind);
  if (!registration) throw new InvalidInputError('model', `no ${kind} engine is registered for the ${model} model`);
  return registration.create(config, data, { ...options, threads });
}
