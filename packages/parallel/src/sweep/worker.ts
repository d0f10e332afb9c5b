/**
 * The piscina entry point (runs inside every pool thread): loads the sweep's task module, rebuilds
 * the task's context from the shared control block, runs the task and reports back. Exceptions
 * are caught here and returned as one-line messages, so an error never depends on how piscina
 * clones Error objects and never carries a stack.
 */
import { workerData } from 'node:worker_threads';
import { SweepControl } from './control.js';
import type { TaskContext, TaskFunction, TaskProgressDetail, TaskResult } from './types.js';

/** What the executor posts for one task. */
export interface WorkerTaskMessage {
  /** file: URL of the task module. */
  moduleHref: string;
  input: unknown;
  control: SharedArrayBuffer;
  slot: number;
  threads: number;
}

export type WorkerTaskReply = { ok: true; result: TaskResult } | { ok: false; error: string };

const STATUSES: readonly string[] = ['done', 'diverged', 'stopped'];

/** The first line of an error's message, with its class name unless that says nothing more. */
export function oneLineError(error: unknown): string {
  if (error instanceof Error) {
    const message = (error.message.split('\n')[0] ?? '').trim() || '(no message)';
    return error.name === 'Error' || error.name === 'InvalidInputError' ? message : `${error.name}: ${message}`;
  }
  return (String(error).split('\n')[0] ?? '').trim() || '(no message)';
}

// One import per module and thread: the module's own state (compiled wasm, caches) is reused by
// every later task that this thread runs.
const loaded = new Map<string, Promise<TaskFunction>>();

function loadTaskModule(href: string): Promise<TaskFunction> {
  let task = loaded.get(href);
  if (!task) {
    task = import(href).then(
      (module: { default?: unknown }) => {
        if (typeof module.default !== 'function') {
          throw new Error(`the task module ${href} has no default export function; export default (input, context) => result`);
        }
        return module.default as TaskFunction;
      },
      (error: unknown) => {
        throw new Error(`cannot load the task module ${href}: ${oneLineError(error)}`);
      },
    );
    loaded.set(href, task);
  }
  return task;
}

// The executor names its task module in workerData: start loading it (core, its wasm) while the
// thread waits for its first task. A failure is kept for that task to report.
const preload = (workerData as { taskModule?: unknown } | null)?.taskModule;
if (typeof preload === 'string') loadTaskModule(preload).catch(() => undefined);

function contextFor(control: SweepControl, slot: number, threads: number): TaskContext {
  return {
    threads,
    shouldStop: () => control.stopRequested,
    reportProgress(fraction: number, detail?: TaskProgressDetail): void {
      // Clamped rather than rejected: a progress bar is no reason to fail a run.
      const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : NaN;
      control.report(slot, clamped, detail?.step ?? NaN, detail?.objective ?? NaN);
    },
  };
}

function checkResult(result: unknown): TaskResult {
  const status = (result as { status?: unknown } | null)?.status;
  if (typeof result !== 'object' || result === null || typeof status !== 'string' || !STATUSES.includes(status)) {
    const shown = typeof result === 'object' && result !== null ? `status ${JSON.stringify(status)}` : String(result);
    throw new Error(`the task module returned ${shown}; expected an object with status "done", "diverged" or "stopped"`);
  }
  return result as TaskResult;
}

export default async function runSweepTask(message: WorkerTaskMessage): Promise<WorkerTaskReply> {
  try {
    const task = await loadTaskModule(message.moduleHref);
    const context = contextFor(new SweepControl(message.control), message.slot, message.threads);
    return { ok: true, result: checkResult(await task(message.input, context)) };
  } catch (error) {
    return { ok: false, error: oneLineError(error) };
  }
}
