/**
 * A study: the grid's runs as tasks on @mflab/parallel's SweepExecutor (small runs side by side,
 * a large one alone on every thread), each written by `run-task.ts` into its hive-style
 * directory; then `study.json` and the store's `index.arrow`. A `--shard I/N` process takes
 * every N-th run (Slurm / Kubernetes array jobs); `--resume` skips finished runs and continues
 * interrupted ones from their checkpoints.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SweepExecutor, type SweepOutcome, type SweepProgress, type SweepTask } from '@mflab/parallel';
import { readRunInfo, rebuildIndex, runDirName, withStudyLock, writeFileAtomic } from '@mflab/store';
import type { GridCell } from '../config/grid.js';
import type { RunTaskInput, RunTaskResult } from './run-task.js';
import { packageVersions } from './versions.js';

// The pool threads import the built task module (from src/study/ and dist/study/ alike).
export const RUN_TASK_MODULE = new URL('../../dist/study/run-task.js', import.meta.url);

export interface StudyMeta {
  name: string;
  title?: string;
  description?: string;
  grid: Record<string, unknown>;
  /** The config without its grid, as written (before defaults). */
  config: Record<string, unknown>;
}

export interface SweepRequest {
  cells: readonly GridCell[];
  out: string;
  meta: StudyMeta;
  workers: number;
  resume: boolean;
  /** Run only cells i with i mod count = index. */
  shard?: { index: number; count: number };
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  /** Called once the tasks are known (ids, costs, steps) — for the progress display. */
  onPlan?: (tasks: readonly { id: string; cost: number; steps: number }[], skipped: number) => void;
}

export interface StudyRunSummary {
  id: string;
  dir: string;
  status: 'done' | 'diverged' | 'failed' | 'stopped' | 'not-started' | 'skipped';
  error?: string;
  seconds: number;
  threads: number;
  result?: RunTaskResult;
}

export interface SweepSummary {
  runs: StudyRunSummary[];
  seconds: number;
}

/** n · m · steps: the run's work in neuron–sample pairs visited (what the executor packs by). */
export function runCost(cell: GridCell): number {
  const { data, model, train } = cell.config;
  return data.n * model.width * Math.max(1, train.steps);
}

export async function runSweep(request: SweepRequest): Promise<SweepSummary> {
  const started = performance.now();
  const { out, cells } = request;
  writeStudyMeta(out, request.meta);
  const tasks: SweepTask<RunTaskInput>[] = [];
  const runs: StudyRunSummary[] = [];
  cells.forEach((cell, i) => {
    if (request.shard && i % request.shard.count !== request.shard.index) return;
    const id = runDirName(cell.keys);
    const dir = join(out, id);
    if (request.resume && existsSync(join(dir, 'run.json'))) {
      const status = safeStatus(dir);
      if (status === 'done' || status === 'diverged') {
        runs.push({ id, dir, status: 'skipped', seconds: 0, threads: 0 });
        return;
      }
    }
    tasks.push({ id, input: { config: cell.config, dir, resume: request.resume }, cost: runCost(cell) });
  });
  request.onPlan?.(
    tasks.map((t) => ({ id: t.id, cost: t.cost ?? 0, steps: t.input.config.train.steps })),
    runs.length,
  );
  if (tasks.length > 0) {
    const executor = new SweepExecutor({ taskModule: RUN_TASK_MODULE, workers: request.workers });
    let outcomes: SweepOutcome<RunTaskResult>[];
    try {
      outcomes = (await executor.run(tasks, { signal: request.signal, onProgress: request.onProgress })) as SweepOutcome<RunTaskResult>[];
    } finally {
      await executor.close();
    }
    for (const o of outcomes) {
      const dir = join(out, o.id);
      runs.push({ id: o.id, dir, status: o.status, error: o.error, seconds: o.seconds, threads: o.threads, result: o.result });
    }
  }
  rebuildIndex(out);
  return { runs, seconds: (performance.now() - started) / 1000 };
}

function safeStatus(dir: string): string | null {
  try {
    return readRunInfo(dir).status;
  } catch {
    return null;
  }
}

/** `study.json`: what the study is (its report and `mflab inspect` read it). */
export function writeStudyMeta(out: string, meta: StudyMeta): void {
  withStudyLock(out, () => {
    writeFileAtomic(join(out, 'study.json'), `${JSON.stringify({ ...meta, versions: packageVersions(), written: new Date().toISOString() }, null, 2)}\n`);
  });
}
