/** The sweep executor (ARCHITECTURE.md §3, last point): independent runs as tasks on a piscina pool. */
export { SweepExecutor } from './executor.js';
export { stopOnSigint, type SignalStop } from './signals.js';
export { SIMULATION_TASK_MODULE } from './modules.js';
export { simulationTaskCost, type SimulationTaskInput, type SimulationTaskResult } from './simulation-task.js';
export {
  DEFAULT_LARGE_TASK_COST,
  type RunningTaskProgress,
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
} from './types.js';
