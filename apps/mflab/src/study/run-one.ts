/**
 * One run, start to finish: data, engine (chosen by @mflab/parallel's `createEngine`: core's
 * single-thread `Simulation`, or the sharded engine when the run is given several threads and
 * a step is large enough), the store's streams and
 * checkpoints, divergence, interruption and resume. Everything a researcher needs to trust a
 * run lands in its directory: run.json (config, status, error, backend, versions, timings),
 * metrics.arrows, particles.arrows, checkpoint.arrow and outputs.arrow.
 */
import { InvalidInputError, describeBackend, loadDataset, observableColumnsOf, runSimulationAsync, type Engine, type ObservableRow, type RunResult } from '@mflab/core';
import { createEngine } from '@mflab/parallel';
import { TrajectoryWriter, readCheckpoint, writeOutputs, writeRunInfo, type RunInfo, type StoredCheckpoint } from '@mflab/store';
import type { AppConfig } from '../config/schema.js';
import { dataSpecOf, simulationConfigOf } from '../config/validate.js';
import { configFingerprint } from './fingerprint.js';
import { assertRunMatches } from './out-dir.js';
import { packageVersions } from './versions.js';

/**
 * A run whose parameters grow this much (in l2 = (1/m) Σ ‖w_j‖², i.e. 10⁶ in norm) beyond their
 * start is diverging even when the risk looks tame: with a huge step every ReLU can die, f ≡ 0
 * keeps the risk at mean(y²)/2, and the weights run off to 1e80.
 */
export const MAX_L2_GROWTH = 1e12;

/** What {@link executeRun} runs, and where: one validated config into one run directory. */
export interface RunRequest {
  /** The run's config, every default filled in (see {@link validateConfig}). */
  config: AppConfig;
  /** The run directory (ARCHITECTURE.md §5 files); created when absent. */
  dir: string;
  /** Threads this run may use (default 1). */
  threads?: number;
  /** Continue from the directory's checkpoint when there is one. */
  resume?: boolean;
  /** Polled at every log point: true stops the run there, checkpointed and resumable. */
  shouldStop?: () => boolean;
  /** Called with every logged row; `total` is the run's step count (epochs resolved). */
  onProgress?: (step: number, total: number, row: ObservableRow) => void;
}

export type RunOutcomeStatus = 'done' | 'diverged' | 'stopped';

/**
 * How a run ended, as also written to its run.json (ARCHITECTURE.md §5). A failure is not an
 * outcome: {@link executeRun} records it in run.json and throws.
 */
export interface RunOutcome {
  /** `stopped` (asked to stop) leaves run.json `running`, to continue with `resume`. */
  status: RunOutcomeStatus;
  /** Steps completed (the checkpoint's step). */
  step: number;
  /** Why it diverged or stopped (one line). */
  reason?: string;
  /** The last logged row of observables (ARCHITECTURE.md §1). */
  final: ObservableRow;
  /** The engine that ran it, in words (e.g. `wasm/f64, 4 threads (sharded, block 256)`). */
  backend: string;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** The checkpoint step it resumed from, or null for a fresh start. */
  resumedFrom: number | null;
}

/**
 * Runs one config to the end into `dir`, writing run.json, metrics.arrows, particles.arrows,
 * checkpoint.arrow and outputs.arrow (ARCHITECTURE.md §5). Refuses a directory that holds
 * another run (or any run, without `resume`) before writing anything; on failure it marks
 * run.json `failed` and throws.
 *
 * @example
 * const config = validateConfig({ model: { width: 256 }, train: { steps: 500 } });
 * const outcome = await executeRun({ config, dir: 'runs/first' });
 * console.log(outcome.status, outcome.final.risk_test);
 */
export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const { config, dir } = request;
  const started = performance.now();
  const versions = packageVersions();
  // Nothing is written before this check: a directory holding another run (or any run, without resume) is left as it is.
  assertRunMatches(dir, config, request.resume === true);
  const info: RunInfo = { config, fingerprint: configFingerprint(config), seed: config.seed, status: 'running', error: null, backend: null, precision: config.train.precision, versions, timings: {} };
  writeRunInfo(dir, info);
  let writer: TrajectoryWriter | null = null;
  let engine: Engine | null = null;
  try {
    const data = await loadDataset(dataSpecOf(config), config.data.seed);
    const checkpoint: StoredCheckpoint | null = request.resume ? readCheckpoint(dir) : null;
    // The optimizer's state (momentum / Adam buffers) rides in the checkpoint's `integrator.*` rows.
    const resumeOptions = checkpoint ? { initialParams: checkpoint.initialParams, params: checkpoint.params, startStep: checkpoint.step, optimizerState: checkpoint.integrator ?? {} } : {};
    // The one rule for which engine runs (core's single thread, or sharded): @mflab/parallel's createEngine.
    engine = await createEngine(simulationConfigOf(config), data, { threads: request.threads ?? 1, ...resumeOptions });
    const outputs = engine.outputs;
    const backend = describeBackend(engine.backendInfo);
    info.backend = backend;
    // The model as drawn: its family and, for deep networks, the widths and the init (the edge-of-chaos point).
    info.model = engine.modelInfo();
    writeRunInfo(dir, info);
    const D = engine.D;
    // §1's columns; a deep network adds its per-layer List<Float64> columns (ARCHITECTURE.md §7).
    const columns = observableColumnsOf(engine.family);
    writer = TrajectoryWriter.open({
      dir,
      observables: columns.scalars,
      listObservables: columns.lists,
      precision: config.train.precision,
      particleDimension: config.log.particles.every > 0 && config.log.particles.count > 0 ? D : undefined,
      particleOutputs: outputs,
      config,
      versions,
      resumeFrom: checkpoint,
    });
    const resumeStep = checkpoint?.step ?? -1;
    // The engine's config has train.epochs resolved into train.steps on the data.
    const total = engine.config.train.steps;
    const every = config.log.checkpointEvery;
    let nextCheckpoint = every > 0 ? (Math.floor(Math.max(resumeStep, 0) / every) + 1) * every : Infinity;
    let tooLarge: string | null = null;
    let l2AtStart = NaN;
    const run = engine;
    const w = writer;
    const result: RunResult = await runSimulationAsync(run, {
      onMetrics: (row) => {
        // On resume the checkpoint's own step is already on disk.
        if (row.step > resumeStep) w.logMetrics(row.step, row.time, row as unknown as Record<string, number | number[]>);
        if (Number.isNaN(l2AtStart)) l2AtStart = row.l2;
        if (row.risk_train > config.train.maxRisk) tooLarge = `risk_train ${row.risk_train.toExponential(3)} exceeded train.maxRisk = ${config.train.maxRisk} at step ${row.step}`;
        else if (!Number.isFinite(row.l2) || row.l2 > MAX_L2_GROWTH * Math.max(1, l2AtStart)) {
          tooLarge = `the parameters blew up at step ${row.step} (l2 = ${row.l2.toExponential(3)}, ${MAX_L2_GROWTH.toExponential(0)}× their start) while risk_train = ${row.risk_train.toExponential(3)}`;
        }
        if (row.step >= nextCheckpoint && row.step < total) {
          w.checkpoint({ step: row.step, params: run.params, initialParams: run.initialParams, integrator: run.optimizerState?.() ?? {} });
          nextCheckpoint = row.step + every;
        }
        request.onProgress?.(row.step, total, row);
      },
      onParticles: (snapshot) => {
        if (snapshot.step > resumeStep && config.log.particles.count > 0) w.logParticles(snapshot);
      },
      shouldStop: () => tooLarge !== null || (request.shouldStop?.() ?? false),
    });
    let status: RunOutcomeStatus = result.status;
    let reason = result.reason;
    if (tooLarge) {
      status = 'diverged';
      reason = tooLarge;
    }
    w.checkpoint({ step: run.currentStep, params: run.params, initialParams: run.initialParams, integrator: run.optimizerState?.() ?? {} });
    writeOutputs(dir, await run.testOutputs(), outputs);
    w.close();
    writer = null;
    const seconds = (performance.now() - started) / 1000;
    info.status = status === 'stopped' ? 'running' : status;
    info.error = status === 'diverged' ? (reason ?? 'diverged') : null;
    if (status === 'stopped') info.interrupted = `stopped at step ${run.currentStep} of ${total}; continue with --resume`;
    else delete info.interrupted;
    info.timings = { wall: seconds, steps: run.currentStep - Math.max(resumeStep, 0), seconds_per_step: seconds / Math.max(1, run.currentStep - Math.max(resumeStep, 0)) };
    info.final = result.last;
    info.resumedFrom = checkpoint ? checkpoint.step : null;
    writeRunInfo(dir, info);
    return { status, step: run.currentStep, reason, final: result.last, backend, seconds, resumedFrom: checkpoint?.step ?? null };
  } catch (error) {
    const message = oneLine(error);
    try {
      writer?.close();
    } catch {
      // the original error is what matters
    }
    info.status = 'failed';
    info.error = message;
    info.timings = { wall: (performance.now() - started) / 1000 };
    writeRunInfo(dir, info);
    throw error instanceof InvalidInputError ? error : new Error(message);
  } finally {
    await engine?.dispose();
  }
}

export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
