/**
 * The sweep's task module: the piscina pool threads of @mflab/parallel's SweepExecutor import
 * this file (built) and call its default export once per run of the grid.
 */
import type { TaskContext, TaskResult } from '@mflab/parallel';
import type { AppConfig } from '../config/schema.js';
import { executeRun, type RunOutcome } from './run-one.js';

export interface RunTaskInput {
  config: AppConfig;
  dir: string;
  resume: boolean;
}

export interface RunTaskResult extends TaskResult {
  outcome: RunOutcome;
}

export default async function runTask(input: RunTaskInput, context: TaskContext): Promise<RunTaskResult> {
  const outcome = await executeRun({
    config: input.config,
    dir: input.dir,
    resume: input.resume,
    threads: context.threads,
    shouldStop: () => context.shouldStop(),
    onProgress: (step, total, row) => context.reportProgress(total > 0 ? step / total : 1, { step, objective: row.objective }),
  });
  return { status: outcome.status, reason: outcome.reason, final: outcome.final, outcome };
}
