/**
 * One run of core's `Simulation` written as a run directory of the study (run.json, metrics and
 * particle streams, checkpoint, outputs.arrow — ARCHITECTURE.md §5), like `mflab run` writes it,
 * with two things the config cannot say: given initial parameters (Chizat's weight-decay
 * illustration draws (a_j, b_j) on a sphere of R³, an init the engine does not have) and a log
 * schedule with log-spaced steps (his figures draw paths at log-spaced iterations, so that the
 * fast start of a trajectory is not a single straight segment).
 */
import { Simulation, type DataSplit, type NetworkParams, type ObservableRow, type ParticleSnapshot } from '@mflab/core';
import { OBSERVABLES, TrajectoryWriter, writeOutputs, writeRunInfo, type RunInfo } from '@mflab/store';
import type { AppConfig } from '../../../config/schema.js';
import { simulationConfigOf } from '../../../config/validate.js';
import { packageVersions } from '../../../study/versions.js';

/**
 * The steps to log: 0, every multiple of `every`, `points` log-spaced steps between 1 and
 * `total`, and `total` — sorted, each once.
 */
export function logSchedule(total: number, every: number, points: number): number[] {
  const steps = new Set<number>([0, total]);
  if (every > 0) for (let k = every; k < total; k += every) steps.add(k);
  if (total >= 1 && points > 1) {
    for (let i = 0; i < points; i++) steps.add(Math.round(Math.exp((Math.log(total) * i) / (points - 1))));
  }
  return [...steps].sort((p, q) => p - q);
}

export interface LoggedRunRequest {
  dir: string;
  /** A validated app config; its `train` and `model` drive the simulation, `log` is superseded by `schedule`. */
  config: AppConfig;
  data: DataSplit;
  /** w(0) when the config's init is not the one wanted; recorded in run.json as `initialParams`. */
  initialParams?: { params: NetworkParams; description: string };
  /** Steps at which to log metrics and every neuron's particles (from {@link logSchedule}). */
  schedule: readonly number[];
  signal?: AbortSignal;
  /** Every particle snapshot, as written (for figures drawn without reading the stream back). */
  onParticles?: (snapshot: ParticleSnapshot) => void;
}

export interface LoggedRunResult {
  status: 'done' | 'stopped' | 'diverged';
  simulation: Simulation;
  final: ObservableRow;
  rows: ObservableRow[];
}

/** How long the run may hold the event loop before it yields (so that Ctrl-C is seen). */
const EVENT_LOOP_TURN_MS = 50;

/** Runs to the last scheduled step (or until the signal aborts), writing the run directory as it goes. */
export async function runLogged(request: LoggedRunRequest): Promise<LoggedRunResult> {
  const { dir, config, data, schedule } = request;
  const started = performance.now();
  const versions = packageVersions();
  const simulation = new Simulation(simulationConfigOf(config), data, request.initialParams ? { initialParams: request.initialParams.params } : {});
  const b = simulation.backendInfo;
  const info: RunInfo = {
    config,
    seed: config.seed,
    status: 'running',
    error: null,
    backend: `${b.backend}/${b.precision}, 1 thread`,
    precision: config.train.precision,
    versions,
    timings: {},
    logSchedule: `${schedule.length} logged steps: 0, every ${config.log.every}, and log-spaced steps up to ${config.train.steps} (metrics and every neuron's particles at each)`,
  };
  if (request.initialParams) info.initialParams = request.initialParams.description;
  writeRunInfo(dir, info);
  const writer = TrajectoryWriter.open({ dir, observables: OBSERVABLES, precision: config.train.precision, particleDimension: simulation.D, config, versions });
  const rows: ObservableRow[] = [];
  let status: LoggedRunResult['status'] = 'done';
  let turn = performance.now();
  try {
    for (const step of schedule) {
      if (step > config.train.steps) break;
      // Step 0 is always logged, so that even a stopped run has a first row.
      if (rows.length > 0 && request.signal?.aborted) {
        status = 'stopped';
        break;
      }
      if (performance.now() - turn > EVENT_LOOP_TURN_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
      simulation.step(step - simulation.currentStep);
      const row = simulation.observe();
      rows.push(row);
      writer.logMetrics(row.step, row.time, row as unknown as Record<string, number>);
      const snapshot = simulation.particles();
      writer.logParticles(snapshot);
      request.onParticles?.(snapshot);
      if (!Number.isFinite(row.objective)) {
        status = 'diverged';
        break;
      }
    }
    writer.checkpoint({ step: simulation.currentStep, params: simulation.params, initialParams: simulation.initialParams });
    writeOutputs(dir, simulation.testOutputs());
  } finally {
    writer.close();
  }
  const final = rows[rows.length - 1];
  const seconds = (performance.now() - started) / 1000;
  info.status = status === 'diverged' ? 'diverged' : status === 'done' ? 'done' : 'running';
  info.error = status === 'diverged' ? `objective became ${final.objective} at step ${final.step}` : null;
  if (status === 'stopped') info.interrupted = `stopped at step ${simulation.currentStep} of ${config.train.steps}`;
  info.timings = { wall: seconds, steps: simulation.currentStep, seconds_per_step: seconds / Math.max(1, simulation.currentStep) };
  info.final = final;
  writeRunInfo(dir, info);
  return { status, simulation, final, rows };
}
