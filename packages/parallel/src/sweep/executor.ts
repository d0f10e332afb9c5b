import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { InvalidInputError } from '@mflab/core';
import { Piscina } from 'piscina';
import { workerExecArgv } from '../worker-argv.js';
import { SweepControl } from './control.js';
import { SWEEP_WORKER_MODULE } from './modules.js';
import {
  DEFAULT_LARGE_TASK_COST,
  type RunningTaskProgress,
  type SweepExecutorOptions,
  type SweepOutcome,
  type SweepProgress,
  type SweepResourceLimits,
  type SweepRunOptions,
  type SweepTask,
  type TaskResult,
} from './types.js';
import { oneLineError, type WorkerTaskMessage, type WorkerTaskReply } from './worker.js';

const OPTION_KEYS = ['taskModule', 'workers', 'largeTaskCost', 'resourceLimits', 'execArgv'];
const RESOURCE_LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];
const RUN_OPTION_KEYS = ['onProgress', 'signal', 'progressIntervalMs'];
const MAX_WORKERS = 1024;
const DEFAULT_PROGRESS_INTERVAL_MS = 200;

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function rejectUnknownKeys(field: string, value: Record<string, unknown>, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new InvalidInputError(`${prefix}${key}`, `unknown ${field}; allowed: ${known.join(', ')}`);
  }
}

/** A path (relative to the working directory) or a file: URL, as a file: URL of an existing file. */
function resolveTaskModule(value: unknown): URL {
  let url: URL;
  if (value instanceof URL) url = value;
  else if (typeof value === 'string' && value.trim() !== '') url = value.startsWith('file:') ? new URL(value) : pathToFileURL(resolve(value));
  else throw new InvalidInputError('taskModule', `expected the path or file: URL of a JavaScript module, got ${show(value)}`);
  if (url.protocol !== 'file:') throw new InvalidInputError('taskModule', `expected a file: URL, got ${url.href}`);
  const path = fileURLToPath(url);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new InvalidInputError('taskModule', `no such file: ${path} (a task module is a built JavaScript file; run \`npm run build\` first)`);
  }
  return url;
}

function resolveWorkers(value: unknown): number {
  if (value === undefined) return availableParallelism();
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_WORKERS) {
    throw new InvalidInputError('workers', `expected an integer in [1, ${MAX_WORKERS}] (pool threads; default the core count), got ${show(value)}`);
  }
  return value;
}

function resolveLargeTaskCost(value: unknown): number {
  if (value === undefined) return DEFAULT_LARGE_TASK_COST;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new InvalidInputError('largeTaskCost', `expected a positive number of pairs·steps (n·m·steps; Infinity never runs a task alone), got ${show(value)}`);
  }
  return value;
}

function resolveResourceLimits(value: unknown): SweepResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new InvalidInputError('resourceLimits', `expected an object with keys ${RESOURCE_LIMIT_KEYS.join(', ')}, got ${show(value)}`);
  rejectUnknownKeys('resource limit', value, RESOURCE_LIMIT_KEYS, 'resourceLimits.');
  for (const [key, limit] of Object.entries(value)) {
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
      throw new InvalidInputError(`resourceLimits.${key}`, `expected a positive number of MB, got ${show(limit)}`);
    }
  }
  return { ...value } as SweepResourceLimits;
}

function resolveExecArgv(value: unknown): string[] {
  if (value === undefined) return workerExecArgv();
  if (!Array.isArray(value) || !value.every((flag) => typeof flag === 'string')) {
    throw new InvalidInputError('execArgv', `expected an array of Node flags (strings), got ${show(value)}`);
  }
  return [...value];
}

function checkTasks(tasks: unknown): readonly SweepTask[] {
  if (!Array.isArray(tasks)) throw new InvalidInputError('tasks', `expected an array of { id, input, cost? }, got ${show(tasks)}`);
  const seen = new Set<string>();
  tasks.forEach((task: unknown, i) => {
    if (!isObject(task)) throw new InvalidInputError(`tasks[${i}]`, `expected { id, input, cost? }, got ${show(task)}`);
    rejectUnknownKeys('task key', task, ['id', 'input', 'cost'], `tasks[${i}].`);
    if (typeof task.id !== 'string' || task.id === '') throw new InvalidInputError(`tasks[${i}].id`, `expected a non-empty string, got ${show(task.id)}`);
    if (seen.has(task.id)) throw new InvalidInputError(`tasks[${i}].id`, `duplicate id ${show(task.id)}; every task of a sweep needs its own`);
    seen.add(task.id);
    if (task.cost !== undefined && (typeof task.cost !== 'number' || !Number.isFinite(task.cost) || task.cost < 0)) {
      throw new InvalidInputError(`tasks[${i}].cost`, `expected a finite number ≥ 0 of pairs·steps (n·m·steps), got ${show(task.cost)}`);
    }
  });
  return tasks as SweepTask[];
}

function checkRunOptions(options: unknown): SweepRunOptions & { progressIntervalMs: number } {
  if (options === undefined) return { progressIntervalMs: DEFAULT_PROGRESS_INTERVAL_MS };
  if (!isObject(options)) throw new InvalidInputError('options', `expected { onProgress?, signal?, progressIntervalMs? }, got ${show(options)}`);
  rejectUnknownKeys('run option', options, RUN_OPTION_KEYS);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidInputError('onProgress', `expected a function, got ${show(options.onProgress)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidInputError('signal', `expected an AbortSignal (e.g. from stopOnSigint()), got ${show(options.signal)}`);
  }
  const interval = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1) {
    throw new InvalidInputError('progressIntervalMs', `expected a number of milliseconds ≥ 1, got ${show(interval)}`);
  }
  return { ...(options as SweepRunOptions), progressIntervalMs: interval };
}

/** A 'done' result whose final objective is not finite diverged, whatever the task said. */
function outcomeOf(id: string, result: TaskResult, seconds: number, threads: number): SweepOutcome {
  const objective = result.final?.objective;
  if (result.status === 'done' && typeof objective === 'number' && !Number.isFinite(objective)) {
    return { id, status: 'diverged', error: `the final objective is ${objective}`, result, seconds, threads };
  }
  if (result.status === 'diverged') {
    return { id, status: 'diverged', error: oneLineError(result.reason ?? 'the task reported divergence'), result, seconds, threads };
  }
  return { id, status: result.status, result, seconds, threads };
}

// Pools by executor, for workerThreadsOf (tests and diagnostics) without a public getter.
const pools = new WeakMap<SweepExecutor, Piscina>();

/**
 * Runs the independent runs of a sweep (grid cells) as tasks on a piscina pool of worker threads.
 *
 * Small tasks are packed side by side, one per thread (`context.threads = 1`); a task whose cost
 * reaches `largeTaskCost` runs alone with `context.threads = workers` (the pool drains first, the
 * small ones resume after). Large tasks go first, then small ones by decreasing cost: one drain
 * per sweep at most, and the longest runs do not end up last (longest-processing-time order).
 * Outcomes come back in the order of the tasks given.
 *
 * A run that throws, or whose thread dies (process.exit, termination, a crash, out of memory),
 * is recorded as failed with a one-line error and the others go on; the pool replaces the dead
 * thread. Aborting the signal asks running tasks to stop after their current step (they return
 * 'stopped' once flushed) and leaves the rest 'not-started'.
 *
 * @example
 * import { SIMULATION_TASK_MODULE, SweepExecutor, stopOnSigint, type SimulationTaskInput, type SimulationTaskResult, type SweepTask } from '@mflab/parallel';
 * // Four runs of the built-in task module (widths × seeds); Ctrl-C stops them after their current step.
 * const tasks: SweepTask<SimulationTaskInput>[] = [64, 256].flatMap((width) =>
 *   [0, 1].map((seed) => ({
 *     id: `width=${width}/seed=${seed}`,
 *     input: { config: { seed, model: { width }, train: { steps: 100 } }, data: { kind: 'teacher', d: 4, n: 128 }, dataSeed: 0 },
 *   })),
 * );
 * const executor = new SweepExecutor({ taskModule: SIMULATION_TASK_MODULE, workers: 2 });
 * const stop = stopOnSigint();
 * try {
 *   const outcomes = await executor.run<SimulationTaskInput, SimulationTaskResult>(tasks, { signal: stop.signal });
 *   for (const o of outcomes) console.log(o.id, o.status, o.result?.final.risk_train);
 * } finally {
 *   stop.dispose();
 *   await executor.close();
 * }
 */
export class SweepExecutor {
  readonly taskModule: URL;
  readonly workers: number;
  readonly largeTaskCost: number;
  readonly resourceLimits: SweepResourceLimits | undefined;
  readonly execArgv: readonly string[];
  #state: 'open' | 'closed' | 'destroyed' = 'open';
  /** The sweep in progress (one at a time: each fills every thread). */
  #current: Promise<SweepOutcome[]> | null = null;

  constructor(options: SweepExecutorOptions) {
    if (!isObject(options)) throw new InvalidInputError('options', `expected { taskModule, workers?, largeTaskCost?, resourceLimits?, execArgv? }, got ${show(options)}`);
    rejectUnknownKeys('option', options, OPTION_KEYS);
    this.taskModule = resolveTaskModule(options.taskModule);
    this.workers = resolveWorkers(options.workers);
    this.largeTaskCost = resolveLargeTaskCost(options.largeTaskCost);
    this.resourceLimits = resolveResourceLimits(options.resourceLimits);
    this.execArgv = resolveExecArgv(options.execArgv);
    const workerPath = fileURLToPath(SWEEP_WORKER_MODULE);
    if (!existsSync(workerPath)) throw new Error(`the sweep worker is not built (${workerPath} is missing): run \`npm run build\` first`);
    const pool = new Piscina({
      filename: workerPath,
      minThreads: this.workers,
      maxThreads: this.workers,
      concurrentTasksPerWorker: 1,
      workerData: { taskModule: this.taskModule.href },
      // 'sync' would block a thread's event loop between tasks; a task that drives its own shard
      // workers through messages (comlink) needs the loop (STACK-NOTES, piscina 5).
      atomics: 'disabled',
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      execArgv: [...this.execArgv],
    });
    // A thread that dies between tasks has no task to fail: piscina replaces it and emits
    // 'error', which would crash the process without a listener.
    pool.on('error', (error: unknown) => process.emitWarning(`mflab sweep: pool error outside any task: ${oneLineError(error)}`));
    pools.set(this, pool);
  }

  /**
   * Runs every task; resolves with one outcome per task, in the given order, once all have
   * finished (or, after an abort, once the running ones have stopped). Never rejects because a
   * task failed: only bad input (InvalidInputError) or a closed executor reject.
   */
  async run<Input, Result extends TaskResult = TaskResult>(tasks: readonly SweepTask<Input>[], options?: SweepRunOptions): Promise<SweepOutcome<Result>[]> {
    const checked = checkTasks(tasks);
    const { onProgress, signal, progressIntervalMs } = checkRunOptions(options);
    if (this.#state !== 'open') throw new Error(`the sweep executor is ${this.#state}; create a new one`);
    if (this.#current) throw new Error('a sweep is already running on this executor; await it before starting another');
    const sweep = this.#schedule(checked, onProgress, signal, progressIntervalMs);
    this.#current = sweep;
    try {
      return (await sweep) as SweepOutcome<Result>[];
    } finally {
      this.#current = null;
    }
  }

  /**
   * Starts no more tasks (a sweep in progress reports its queued ones 'not-started'), waits for
   * the running ones to end, however long they take, then ends every pool thread. The executor
   * cannot run again.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    await this.#current;
    await (pools.get(this) as Piscina).close();
  }

  /** Ends every pool thread now; running tasks fail ("the executor was destroyed …"). */
  async destroy(): Promise<void> {
    if (this.#state === 'destroyed') return;
    this.#state = 'destroyed';
    await (pools.get(this) as Piscina).destroy();
  }

  #isLarge(task: SweepTask): boolean {
    return (task.cost ?? 0) >= this.largeTaskCost;
  }

  #schedule(tasks: readonly SweepTask[], onProgress: SweepRunOptions['onProgress'], signal: AbortSignal | undefined, intervalMs: number): Promise<SweepOutcome[]> {
    const pool = pools.get(this) as Piscina;
    const outcomes: SweepOutcome[] = new Array(tasks.length);
    const control = new SweepControl(tasks.length);
    const indices = tasks.map((_, i) => i);
    // Large first (as given), then small by decreasing cost; sort is stable.
    const queue = [...indices.filter((i) => this.#isLarge(tasks[i])), ...indices.filter((i) => !this.#isLarge(tasks[i])).sort((i, j) => (tasks[j].cost ?? 0) - (tasks[i].cost ?? 0))];
    const running = new Map<number, { threads: number; started: number }>();
    const seenVersions = new Int32Array(tasks.length);
    let finished = 0;
    let largeRunning = false;
    let warnedAboutProgress = false;

    const report = (outcome?: SweepOutcome): void => {
      if (!onProgress) return;
      const now = performance.now();
      const live: RunningTaskProgress[] = [];
      for (const [i, { threads, started }] of running) {
        const slot = control.read(i);
        seenVersions[i] = slot.version;
        live.push({ id: tasks[i].id, threads, fraction: slot.fraction, step: slot.step, objective: slot.objective, seconds: (now - started) / 1000 });
      }
      const progress: SweepProgress = { total: tasks.length, finished, running: live, ...(outcome ? { outcome } : {}) };
      try {
        onProgress(progress);
      } catch (error) {
        // A broken progress bar must not take the runs down with it.
        if (!warnedAboutProgress) process.emitWarning(`mflab sweep: onProgress threw (${oneLineError(error)}); the sweep goes on`);
        warnedAboutProgress = true;
      }
    };

    return new Promise((resolveAll) => {
      let timer: NodeJS.Timeout | undefined;
      let resolved = false;
      const onAbort = (): void => {
        control.requestStop();
        pump();
      };
      const finish = (): void => {
        if (resolved) return;
        resolved = true;
        if (timer) clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        resolveAll(outcomes);
      };
      const settle = (i: number, outcome: SweepOutcome): void => {
        running.delete(i);
        if (this.#isLarge(tasks[i])) largeRunning = false;
        outcomes[i] = outcome;
        finished++;
        report(outcome);
        pump();
      };
      const start = (i: number, threads: number): void => {
        const task = tasks[i];
        const started = performance.now();
        running.set(i, { threads, started });
        const message: WorkerTaskMessage = { moduleHref: this.taskModule.href, input: task.input, control: control.buffer, slot: i, threads };
        const seconds = (): number => (performance.now() - started) / 1000;
        // pool.run may throw synchronously (e.g. an input that cannot be cloned): same path.
        Promise.resolve()
          .then(() => pool.run(message) as Promise<WorkerTaskReply>)
          .then(
            (reply) => settle(i, reply.ok ? outcomeOf(task.id, reply.result, seconds(), threads) : { id: task.id, status: 'failed', error: reply.error, seconds: seconds(), threads }),
            (error: unknown) => settle(i, { id: task.id, status: 'failed', error: this.#describeThreadFailure(error), seconds: seconds(), threads }),
          );
      };
      const pump = (): void => {
        if (control.stopRequested || this.#state !== 'open') {
          for (const i of queue.splice(0)) {
            outcomes[i] = { id: tasks[i].id, status: 'not-started', seconds: 0, threads: 0 };
            finished++;
          }
        }
        while (queue.length > 0 && !largeRunning) {
          const next = queue[0];
          if (this.#isLarge(tasks[next])) {
            // Alone on every thread: wait for the pool to drain.
            if (running.size > 0) break;
            queue.shift();
            largeRunning = true;
            start(next, this.workers);
          } else {
            if (running.size >= this.workers) break;
            queue.shift();
            start(next, 1);
          }
        }
        if (running.size === 0 && queue.length === 0) finish();
      };

      if (signal?.aborted) control.requestStop();
      else signal?.addEventListener('abort', onAbort, { once: true });
      if (onProgress) {
        timer = setInterval(() => {
          for (const i of running.keys()) {
            if (control.version(i) !== seenVersions[i]) {
              report();
              return;
            }
          }
        }, intervalMs);
        timer.unref();
      }
      pump();
    });
  }

  /** piscina's rejection when a thread dies, as the one line a user can act on. */
  #describeThreadFailure(error: unknown): string {
    if ((error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit = this.resourceLimits?.maxOldGenerationSizeMb;
      const where = limit === undefined ? "Node's default heap limit" : `resourceLimits.maxOldGenerationSizeMb = ${limit}`;
      return `out of memory: the run's thread reached its heap limit (${where}); raise the limit or make the run smaller`;
    }
    const message = oneLineError(error);
    if ((error as { name?: unknown } | null)?.name === 'DataCloneError') {
      return `a value could not be passed between threads (${message}); task inputs and results must be structured-cloneable`;
    }
    const exit = /worker exited with code:? (-?\d+)/.exec(message);
    if (this.#state === 'destroyed' || message === 'Terminating worker thread') return 'the executor was destroyed while the run was in progress';
    if (exit) return `worker exited with code ${exit[1]} before the run returned (process.exit, a crash, or the thread was terminated)`;
    return `the run's thread failed: ${message}`;
  }
}

/** The pool's live threads (tests and diagnostics only; not exported by the package). */
export function workerThreadsOf(executor: SweepExecutor): readonly Worker[] {
  return (pools.get(executor) as Piscina).threads;
}
