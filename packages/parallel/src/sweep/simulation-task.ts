/**
 * The built-in task module: one core `Simulation` per task, from a config and a data spec, run to
 * the end with `runSimulation`; it returns the last logged row. It serves the benchmark and any
 * sweep that needs only final observables; the app supplies its own module that also writes the
 * trajectory to the store.
 *
 * The engine is chosen by `createEngine` (../engine.ts), the same rule as everywhere: a large task
 * given `context.threads` > 1 is sharded over them — the same rows, bitwise, sooner.
 */
import {
  InvalidInputError,
  loadDataset,
  resolveDataSpec,
  resolveSimulationConfig,
  runSimulationAsync,
  widthOf,
  type BackendInfo,
  type DataSpec,
  type ObservableRow,
  type SimulationConfigInput,
} from '@mflab/core';
import { createEngine } from '../engine.js';
import type { TaskContext, TaskResult } from './types.js';

/**
 * The input of the built-in task module ({@link SIMULATION_TASK_MODULE}), one per grid cell:
 * plain data, so it crosses to the pool thread by structured clone. Unknown keys are rejected,
 * and {@link simulationTaskCost} validates it before the sweep starts.
 */
export interface SimulationTaskInput {
  /** The run's config (ARCHITECTURE.md §6 keys seed, model, loss, train, log). */
  config: SimulationConfigInput;
  /** The `data` section; files (csv/arrow) are read inside the pool thread. */
  data: DataSpec;
  /** Seed of the data draw (default: `config.seed`, as the CLI does with one `seed` key). */
  dataSeed?: number;
}

/**
 * What the built-in task module returns: the TaskResult status, the steps completed and the last
 * logged row — final observables only; nothing is written to disk (the app's own task module
 * writes the trajectory to the store).
 */
export interface SimulationTaskResult extends TaskResult {
  /** Steps completed. */
  steps: number;
  /** The last logged row (every observable of ARCHITECTURE.md §1). */
  final: ObservableRow;
  /** Which engine ran it (single-thread or sharded, backend, precision). */
  backend: BackendInfo;
}

const INPUT_KEYS = ['config', 'data', 'dataSeed'];

function checkInput(input: unknown): SimulationTaskInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError('input', `expected { config, data, dataSeed? }, got ${String(input)}`);
  }
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.includes(key)) throw new InvalidInputError(`input.${key}`, `unknown key; allowed keys are ${INPUT_KEYS.join(', ')}`);
  }
  return input as SimulationTaskInput;
}

/**
 * The task's cost in pairs·steps (see `SweepTask.cost`): n·m·steps, with n the SGD batch size
 * when there is one. For file data, n is the spec's (a guess: the file decides). Validates the
 * config and data spec, so a bad grid cell fails before the sweep starts.
 */
export function simulationTaskCost(input: SimulationTaskInput): number {
  const { config, data } = checkInput(input);
  const resolved = resolveSimulationConfig(config);
  const n = resolved.train.integrator === 'sgd' && resolved.train.batchSize !== null ? resolved.train.batchSize : resolveDataSpec(data).n;
  return n * widthOf(resolved.model) * resolved.train.steps;
}

export default async function runSimulationTask(input: unknown, context: TaskContext): Promise<SimulationTaskResult> {
  const { config, data, dataSeed } = checkInput(input);
  // The one resolution of this task's config; the engine takes it as it is.
  const resolved = resolveSimulationConfig(config);
  const split = await loadDataset(data, dataSeed ?? resolved.seed);
  const engine = await createEngine(resolved, split, { threads: context.threads });
  try {
    const total = engine.config.train.steps;
    const result = await runSimulationAsync(engine, {
      onMetrics: (row: ObservableRow) => context.reportProgress(total > 0 ? row.step / total : 1, { step: row.step, objective: row.objective }),
      shouldStop: () => context.shouldStop(),
    });
    return {
      status: result.status,
      ...(result.reason !== undefined ? { reason: result.reason } : {}),
      steps: result.step,
      final: result.last,
      backend: engine.backendInfo,
    };
  } finally {
    await engine.dispose();
  }
}
