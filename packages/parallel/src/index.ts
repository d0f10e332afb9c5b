/**
 * @mflab/parallel — the partitioner (ARCHITECTURE.md §3): neuron and data shards on long-lived
 * worker threads, bitwise identical for any worker count; and the sweep executor on a piscina pool.
 *
 * @packageDocumentation
 */
export { ShardedDeepSimulation, ShardedSimulation, type ShardedBackendInfo, type ShardedDeepOptions, type ShardedSimulationOptions } from './shard/index.js';
export { SHARD_MIN_PAIRS, chooseEngine, createEngine } from './engine.js';
export {
  DEFAULT_LARGE_TASK_COST,
  SIMULATION_TASK_MODULE,
  SweepExecutor,
  simulationTaskCost,
  stopOnSigint,
  type RunningTaskProgress,
  type SignalStop,
  type SimulationTaskInput,
  type SimulationTaskResult,
  type SweepExecutorOptions,
  type SweepOutcome,
  type SweepProgress,
  type SweepResourceLimits,
  type SweepRunOptions,
  type SweepStatus,
  type SweepTask,
  type TaskContext,
  type TaskFunction,
  type TaskProgressDetail,
  type TaskResult,
} from './sweep/index.js';
