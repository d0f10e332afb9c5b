/**
 * The contract between the sweep executor, the task modules it runs, and the app.
 *
 * A task module is a JavaScript ES module whose default export runs one task (one run of a grid)
 * inside a pool thread: `export default async function (input, context) { … return { status } }`.
 */

/** What a task may tell the progress bars besides its fraction done. */
export interface TaskProgressDetail {
  /** Steps completed so far. */
  step?: number;
  /** The latest objective F(w) (eq. 2). */
  objective?: number;
}

/** Handed to a task module's default export, inside the pool thread. */
export interface TaskContext {
  /**
   * Threads this task may use: 1 for a small task packed beside others, the executor's worker
   * count for a large task that runs alone (and is expected to shard itself over that many).
   */
  readonly threads: number;
  /** True once the sweep is aborted: finish the current step, flush, and return `status: 'stopped'`. */
  shouldStop(): boolean;
  /** Records progress (fraction in [0, 1]) in shared memory; cheap enough to call at every logged step. */
  reportProgress(fraction: number, detail?: TaskProgressDetail): void;
}

/** What a task module's default export returns (it must be structured-cloneable; more fields are kept). */
export interface TaskResult {
  status: 'done' | 'diverged' | 'stopped';
  /** Why the run diverged or stopped (one line). */
  reason?: string;
  /** The last observables; a 'done' result whose `final.objective` is not finite is recorded as diverged. */
  final?: { readonly objective?: number };
}

/** The shape of a task module's default export. */
export type TaskFunction<Input = unknown, Result extends TaskResult = TaskResult> = (input: Input, context: TaskContext) => Result | Promise<Result>;

/** One run of a sweep. */
export interface SweepTask<Input = unknown> {
  /** Unique within the sweep (the app uses the run's directory name, e.g. `width=1024/seed=3`). */
  id: string;
  /** Sent to the task module; must be structured-cloneable (plain data, typed arrays, SharedArrayBuffers). */
  input: Input;
  /**
   * The task's work in pairs·steps: n · m · steps (training points × neurons × GD steps), the
   * number of neuron–sample pairs the run visits (ARCHITECTURE.md eq. 3 costs O(n·m·D) per step).
   * Tasks with cost ≥ the executor's `largeTaskCost` run alone on all threads. Default 0 (small).
   */
  cost?: number;
}

/** How one task of a sweep ended (see {@link SweepOutcome.status} for what each value means). */
export type SweepStatus = 'done' | 'diverged' | 'failed' | 'stopped' | 'not-started';

/** The record of one task, in the order of the tasks given to `run`. */
export interface SweepOutcome<Result extends TaskResult = TaskResult> {
  id: string;
  /**
   * `done`, `diverged` (the task said so, or its final objective is not finite), `stopped` (the
   * sweep was aborted while it ran), `failed` (it threw, or its thread died: exit, crash, out of
   * memory), `not-started` (the sweep was aborted first).
   */
  status: SweepStatus;
  /** One line, no stack: the exception's message, the thread's death, or why it diverged. */
  error?: string;
  /** What the task module returned (absent when it failed or never started). */
  result?: Result;
  /** Wall-clock seconds from dispatch to outcome (0 when not started). */
  seconds: number;
  /** Threads the task was given (0 when not started). */
  threads: number;
}

/** One running task, as the latest progress poll saw it. NaN marks what the task has not reported. */
export interface RunningTaskProgress {
  id: string;
  threads: number;
  fraction: number;
  step: number;
  objective: number;
  /** Seconds since it was dispatched. */
  seconds: number;
}

/** What `onProgress` receives: on every poll that saw a new report, and once per finished task. */
export interface SweepProgress {
  total: number;
  /** Tasks with an outcome so far. */
  finished: number;
  running: readonly RunningTaskProgress[];
  /** Set when this call announces a finished task. */
  outcome?: SweepOutcome;
}

/** Options of one `SweepExecutor.run` call; all optional. */
export interface SweepRunOptions {
  /** Called on progress polls that saw a new report and once per finished task (see {@link SweepProgress}). */
  onProgress?: (progress: SweepProgress) => void;
  /** Aborting stops running tasks after their current step and leaves the rest `not-started`. */
  signal?: AbortSignal;
  /** How often running tasks' progress slots are polled, in ms (default 200). */
  progressIntervalMs?: number;
}

/** Heap limits of each pool thread (Node's `Worker` resourceLimits, in MB). */
export interface SweepResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/**
 * Options of `new SweepExecutor(…)`: the task module to run and the pool's shape. Only
 * `taskModule` is required; unknown keys are rejected.
 */
export interface SweepExecutorOptions {
  /** The task module: a path or a file URL of a JavaScript ES module (see {@link TaskFunction}). */
  taskModule: string | URL;
  /** Pool threads (default `os.availableParallelism()`). */
  workers?: number;
  /** Cost (pairs·steps, see {@link SweepTask.cost}) from which a task runs alone on every thread; default {@link DEFAULT_LARGE_TASK_COST}. */
  largeTaskCost?: number;
  /** Per-thread heap limits; a task that exceeds them fails with "out of memory …" and the pool goes on. */
  resourceLimits?: SweepResourceLimits;
  /**
   * Node flags of the pool threads. Default: this process's `execArgv`, less the `@mflab/source`
   * export condition when no TypeScript loader (tsx) comes with it (under vitest), so that the
   * threads' `import '@mflab/core'` loads the build rather than sources they cannot run.
   */
  execArgv?: readonly string[];
}

/**
 * 2^36 ≈ 6.9e10 pairs·steps: about two minutes of one thread at the wasm kernel's ~0.5 G
 * pairs/s (STACK-NOTES), e.g. n = 1024, m = 65 536 and 1000 steps. Below it a run is short
 * enough that packing runs side by side (no synchronisation at all) gives the best throughput;
 * above it one run's steps take milliseconds, so the partitioner's ~60 µs barrier per step is
 * noise and sharding it over all threads gives its result `workers` times sooner.
 */
export const DEFAULT_LARGE_TASK_COST = 2 ** 36;
