/**
 * The writes the read-only directory test tries, shared by the test (when it runs unprivileged)
 * and by readonly-child.ts (run as `nobody` when the test runs as root, which ignores permissions).
 */
import * as path from 'node:path';
import { FILES, StoreError, TrajectoryWriter, exportCsv, rebuildIndex, writeCheckpoint, writeRunInfo } from '../index.js';
import { tableFromArrays } from 'apache-arrow';

/** One write into a read-only directory: the path its error must name, and the write itself. */
export interface ReadOnlyAttempt {
  what: string;
  path: string;
  run: () => void;
}

/** The outcome of an attempt: the one-line StoreError message, or what else happened. */
export interface ReadOnlyOutcome {
  what: string;
  path: string;
  storeError: string | null;
  other: string | null;
}

export function readOnlyAttempts(dir: string): ReadOnlyAttempt[] {
  const params = { m: 1, D: 1, a: Float64Array.of(1), b: Float64Array.of(2) };
  const info = { config: {}, seed: 0, status: 'running', error: null, backend: null, precision: 'f64', versions: {}, timings: {} } as const;
  return [
    { what: 'open a new run below it', path: path.join(dir, 'run'), run: () => TrajectoryWriter.open({ dir: path.join(dir, 'run'), observables: ['l2'], precision: 'f64' }).close() },
    { what: 'open a run in it', path: path.join(dir, FILES.runLock), run: () => TrajectoryWriter.open({ dir, observables: ['l2'], precision: 'f64' }).close() },
    { what: 'write run.json', path: path.join(dir, FILES.runJson), run: () => writeRunInfo(dir, info) },
    { what: 'write a checkpoint', path: path.join(dir, FILES.checkpoint), run: () => writeCheckpoint(dir, { step: 0, params, initialParams: params }) },
    { what: 'rebuild the study index', path: path.join(dir, FILES.studyLock), run: () => rebuildIndex(dir) },
    { what: 'export CSV', path: path.join(dir, 'out.csv'), run: () => exportCsv(tableFromArrays({ step: Int32Array.of(0) }), path.join(dir, 'out.csv')) },
  ];
}

export function tryAttempt(attempt: ReadOnlyAttempt): ReadOnlyOutcome {
  const outcome: ReadOnlyOutcome = { what: attempt.what, path: attempt.path, storeError: null, other: null };
  try {
    attempt.run();
    outcome.other = 'succeeded';
  } catch (err) {
    if (err instanceof StoreError) outcome.storeError = err.message;
    else outcome.other = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  return outcome;
}
