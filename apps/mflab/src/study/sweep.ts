/**
 * A study: the grid's runs as tasks on @mflab/parallel's SweepExecutor (small runs side by side,
 * a large one alone on every thread), each written by `run-task.ts` into its hive-style
 * directory; then `study.json` and the store's `index.arrow`.
 *
 * Several processes may write one study (Slurm / Kubernetes array jobs, see docs/cluster.md): a
 * shard I/N runs the cells the cost-balanced partition of `shards.ts` gives it, and every process
 * claims a run directory (`claim.ts`) before running it, so no cell is ever run twice at once.
 * With `resume` — the default for a shard, so a requeued array task just continues — finished
 * runs are skipped and interrupted ones continue from their checkpoints. Runs another live
 * process holds are waited for (polled) rather than skipped: when the holder finishes, the cell is
 * skipped; when it dies (or its heartbeat stops), this process takes the cell over.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SweepExecutor, type SweepOutcome, type SweepProgress, type SweepTask } from '@mflab/parallel';
import { FILES, readRunInfo, rebuildIndex, runDirName, withStudyLock, writeFileAtomic } from '@mflab/store';
import type { GridCell } from '../config/grid.js';
import { ClaimRegistry } from './claim.js';
import { prepareStudyDirectory, studyIdentity, type StudyIdentity } from './out-dir.js';
import type { RunTaskInput, RunTaskResult } from './run-task.js';
import { cellsOfShard, runCost, type ShardSpec } from './shards.js';
import { packageVersions } from './versions.js';
import { nominalSteps } from '../config/validate.js';

export { runCost } from './shards.js';

// The pool threads import the built task module (from src/study/ and dist/study/ alike).
export const RUN_TASK_MODULE = new URL('../../dist/study/run-task.js', import.meta.url);

/** How often a process waiting for runs that others hold looks again (ms). */
export const DEFAULT_CLAIM_POLL_MS = 2_000;

export interface StudyMeta {
  name: string;
  title?: string;
  description?: string;
  grid: Record<string, unknown>;
  /** The config without its grid, as written (before defaults). */
  config: Record<string, unknown>;
  /** The number of shards the study was run as (`mflab sweep status` partitions by it). */
  shards?: number;
}

/** What {@link runSweep} runs, and where: the grid's cells into one study directory. */
export interface SweepRequest {
  /** The runs, as {@link expandGrid} returns them; each goes to `out/<swept keys>/`. */
  cells: readonly GridCell[];
  /** The study directory (ARCHITECTURE.md §5). */
  out: string;
  /** What `study.json` records: name, title, the grid and the config as written. */
  meta: StudyMeta;
  /** Pool threads of the sweep executor. */
  workers: number;
  /** Skip finished runs, continue interrupted ones from their checkpoints (always on for a shard). */
  resume: boolean;
  /** Move a study already in `out` aside first (see out-dir.ts; excludes `resume`). */
  overwrite?: boolean;
  /** Resume when `out` holds this very study, refuse when it holds another (`mflab default`). */
  resumeIfSame?: boolean;
  /** Run only this shard's cells (the cost-balanced partition of shards.ts). */
  shard?: ShardSpec;
  /** Aborting stops running runs after their current step (resumable) and starts no more. */
  signal?: AbortSignal;
  /** The executor's progress reports (see @mflab/parallel's SweepProgress). */
  onProgress?: (progress: SweepProgress) => void;
  /** Called once the tasks are known (ids, costs, steps) — for the progress display. */
  onPlan?: (tasks: readonly { id: string; cost: number; steps: number }[], skipped: number) => void;
  /** Lines worth a log entry: runs taken over from a dead process, runs waited for. */
  onNote?: (line: string) => void;
  /** Poll interval while waiting for runs other processes hold (default {@link DEFAULT_CLAIM_POLL_MS}). */
  claimPollMs?: number;
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

/** How a sweep went: one entry per cell of this process's shard, and the wall-clock time. */
export interface SweepSummary {
  /** Every cell's outcome, `skipped` for runs finished before (with `resume`). */
  runs: StudyRunSummary[];
  /** Wall-clock seconds of the whole call. */
  seconds: number;
}

interface PendingCell {
  cell: GridCell;
  id: string;
  dir: string;
}

/**
 * Runs a study into `out`: writes `study.json`, runs each cell as a task on a SweepExecutor into
 * its hive-style run directory, then rebuilds `index.arrow` (ARCHITECTURE.md §5). Several
 * processes may share a study (each run directory is claimed first); a failed run is recorded
 * and the others go on.
 *
 * @example
 * const grid = { 'model.width': [64, 256], seed: [0, 1] };
 * const cells = expandGrid({ train: { steps: 500 }, grid });
 * const meta = { name: 'widths', grid, config: { train: { steps: 500 } } };
 * const summary = await runSweep({ cells, out: 'mflab-out/widths', meta, workers: 2, resume: false });
 * console.log(summary.runs.filter((r) => r.status === 'done').length, 'of', cells.length, 'done');
 */
export async function runSweep(request: SweepRequest): Promise<SweepSummary> {
  const started = performance.now();
  const { out, cells, signal } = request;
  const note = (line: string) => request.onNote?.(line);
  // Before anything is written: a study of another config, or any results without resume, is refused.
  const prepared = prepareStudyDirectory(out, cells, { resume: request.resume || request.shard !== undefined, overwrite: request.overwrite === true, resumeIfSame: request.resumeIfSame });
  if (prepared.note) note(prepared.note);
  const resume = prepared.resume;
  writeStudyMeta(out, { ...(request.shard ? { ...request.meta, shards: request.shard.count } : request.meta), ...studyIdentity(cells) });
  const runs: StudyRunSummary[] = [];
  const claims = new ClaimRegistry({
    shard: request.shard ? `${request.shard.index}/${request.shard.count}` : null,
    onLost: (dir, detail) => note(`${dir}: lost its claim (${detail}); another process judged this one gone`),
  });
  let pending: PendingCell[] = cellsOfShard(cells, request.shard).map((i) => {
    const id = runDirName(cells[i].keys);
    return { cell: cells[i], id, dir: join(out, id) };
  });
  let executor: SweepExecutor | null = null;
  let planned = false;
  let finishedBefore = 0;
  try {
    for (let round = 0; pending.length > 0 && !signal?.aborted; round++) {
      const tasks: SweepTask<RunTaskInput>[] = [];
      const waiting: PendingCell[] = [];
      const holders: string[] = [];
      for (const p of pending) {
        if (resume && isFinished(p.dir)) {
          runs.push({ id: p.id, dir: p.dir, status: 'skipped', seconds: 0, threads: 0 });
          continue;
        }
        const attempt = claims.tryClaim(p.dir);
        if (!attempt.ok) {
          waiting.push(p);
          holders.push(`${p.id} (${attempt.holder})`);
          continue;
        }
        // Checked again under the claim: its last holder may have finished it just before releasing.
        if (resume && isFinished(p.dir)) {
          claims.release(p.dir);
          runs.push({ id: p.id, dir: p.dir, status: 'skipped', seconds: 0, threads: 0 });
          continue;
        }
        if (attempt.tookOver) note(`${p.id}: taken over (${attempt.tookOver})${resume ? '; continuing from its checkpoint' : ''}`);
        tasks.push({ id: p.id, input: { config: p.cell.config, dir: p.dir, resume }, cost: runCost(p.cell) });
      }
      if (!planned) {
        planned = true;
        request.onPlan?.(
          [...tasks.map((t) => ({ id: t.id, cost: t.cost ?? 0, steps: nominalSteps(t.input.config) })), ...waiting.map((p) => ({ id: p.id, cost: runCost(p.cell), steps: nominalSteps(p.cell.config) }))],
          runs.length,
        );
      }
      if (waiting.length > 0 && (round === 0 || tasks.length > 0)) {
        note(`waiting for ${waiting.length} run${waiting.length === 1 ? '' : 's'} that other processes hold: ${holders.slice(0, 3).join('; ')}${holders.length > 3 ? '; …' : ''}`);
      }
      if (tasks.length > 0) {
        executor ??= new SweepExecutor({ taskModule: RUN_TASK_MODULE, workers: request.workers });
        const dirOf = new Map(tasks.map((t) => [t.id, t.input.dir]));
        const before = finishedBefore;
        const later = waiting.length;
        let outcomes: SweepOutcome<RunTaskResult>[];
        try {
          outcomes = (await executor.run(tasks, {
            signal,
            onProgress: (p) => {
              // The run's log points reach this thread as progress: they are its claim's heartbeat.
              for (const r of p.running) claims.touch(dirOf.get(r.id) as string);
              if (p.outcome) claims.release(dirOf.get(p.outcome.id) as string);
              request.onProgress?.({ ...p, total: before + p.total + later, finished: before + p.finished });
            },
          })) as SweepOutcome<RunTaskResult>[];
        } finally {
          for (const dir of dirOf.values()) claims.release(dir);
        }
        finishedBefore += outcomes.length;
        for (const o of outcomes) runs.push({ id: o.id, dir: dirOf.get(o.id) as string, status: o.status, error: o.error, seconds: o.seconds, threads: o.threads, result: o.result });
      } else if (waiting.length > 0) {
        await sleep(request.claimPollMs ?? DEFAULT_CLAIM_POLL_MS, signal);
      }
      pending = waiting;
    }
  } finally {
    claims.close();
    await executor?.close();
  }
  for (const p of pending) runs.push({ id: p.id, dir: p.dir, status: 'not-started', seconds: 0, threads: 0 });
  rebuildIndex(out);
  return { runs, seconds: (performance.now() - started) / 1000 };
}

/** Done or diverged: nothing left to run. */
function isFinished(dir: string): boolean {
  if (!existsSync(join(dir, 'run.json'))) return false;
  const status = safeStatus(dir);
  return status === 'done' || status === 'diverged';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function safeStatus(dir: string): string | null {
  try {
    return readRunInfo(dir).status;
  } catch {
    return null;
  }
}

/** `study.json`: what the study is (its report and `mflab inspect` read it; `--resume` compares its identity). */
export function writeStudyMeta(out: string, meta: StudyMeta & Partial<StudyIdentity>): void {
  withStudyLock(out, () => {
    writeFileAtomic(join(out, FILES.studyJson), `${JSON.stringify({ ...meta, versions: packageVersions(), written: new Date().toISOString() }, null, 2)}\n`);
  });
}
