import type { SimulationConfig } from './config.js';
import type { ObservableRow, ParticleSnapshot } from './observables.js';
import type { Engine } from './engine.js';

/**
 * What {@link runSimulation} calls as the run goes: each logged row and particle snapshot (to
 * write them to a store, print or plot them) and, between log points, whether to stop. All
 * optional and synchronous; {@link AsyncRunCallbacks} may return promises.
 */
export interface RunCallbacks {
  /** Called with every logged row, step 0 (or the resume step) first. */
  onMetrics?(row: ObservableRow): void;
  /** Called with every particle snapshot (step 0 always, when snapshots are on). */
  onParticles?(snapshot: ParticleSnapshot): void;
  /** Polled between steps; returning true stops the run cleanly after the current step. */
  shouldStop?(): boolean;
}

/** Callbacks of an asynchronous run: each may also return a promise, which is awaited. */
export interface AsyncRunCallbacks {
  onMetrics?(row: ObservableRow): void | Promise<void>;
  onParticles?(snapshot: ParticleSnapshot): void | Promise<void>;
  shouldStop?(): boolean;
}

/** What a run drives: any {@link Engine} (core's `Simulation` and `DeepSimulation`, the sharded engine of @mflab/parallel). */
export type SteppedModel = Pick<Engine, 'config' | 'currentStep' | 'step' | 'observe' | 'particles'>;

/**
 * What {@link runSimulation} drives: a single-thread engine, whose step and observe answer at
 * once (core's `Simulation` and `DeepSimulation`).
 *
 * @example
 * const model: SynchronousModel = Simulation.create({ model: { width: 64 } }, makeDataset(resolveDataSpec({ kind: 'teacher' }), 0));
 */
export interface SynchronousModel extends Pick<Engine, 'config' | 'currentStep' | 'particles'> {
  step(count?: number): void;
  observe(options?: { ntk?: boolean }): ObservableRow;
}

/**
 * How a run ended: `done` (all `config.train.steps` updates), `diverged` (the objective of a
 * logged row was not finite: NaN or ±∞), `stopped` (`shouldStop` returned true). Not the store's
 * `run.json` status (ARCHITECTURE.md §5, `running | done | failed | diverged`), which the app
 * derives from it: a stopped run stays `running`, to be resumed.
 */
export type RunStatus = 'done' | 'diverged' | 'stopped';

/**
 * What {@link runSimulation} and {@link runSimulationAsync} return. The run always observes after
 * its last update, so `last.step === step`, and for a `done` run `last` is the final state.
 */
export interface RunResult {
  status: RunStatus;
  /** Steps completed when the run ended. */
  step: number;
  /** The last logged row. */
  last: ObservableRow;
  /** Set when status is 'diverged': why. */
  reason?: string;
}

const isMultiple = (step: number, every: number) => every > 0 && step % every === 0;

/** The log schedule of `config.log` (rows every `log.every` plus the first and last, particles, NTK drift). */
class LogSchedule {
  constructor(private readonly config: SimulationConfig) {}

  wantsParticles(step: number): boolean {
    const { log, train } = this.config;
    return log.particles.every > 0 && (step % log.particles.every === 0 || step === train.steps);
  }

  wantsNtk(step: number): boolean {
    return isMultiple(step, this.config.log.ntk.every);
  }

  /** The next step after `step` at which something is logged (the run steps straight to it). */
  next(step: number): number {
    const { log, train } = this.config;
    let next = step + 1;
    while (next < train.steps && !isMultiple(next, log.every) && !this.wantsNtk(next) && !this.wantsParticles(next)) next++;
    return next;
  }
}

/**
 * How long an asynchronous run may keep the event loop busy (ms). A single-thread engine's steps
 * are synchronous, so without a turn of the loop now and then a SIGINT handler (or a timer, or
 * an I/O callback) would not run until training ends.
 */
const EVENT_LOOP_TURN_MS = 50;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const diverged = (step: number, last: ObservableRow): RunResult => ({
  status: 'diverged',
  step,
  last,
  reason: `objective became ${last.objective} at step ${last.step}`,
});

/** What the run loop asks its driver to do (the driver answers synchronously or asynchronously). */
type RunRequest =
  | { readonly kind: 'observe'; readonly ntk: boolean; readonly particles: boolean }
  | { readonly kind: 'step'; readonly count: number };

/**
 * The run loop, written once: log on the schedule of `config.log`, step straight to the next log
 * point, stop on a non-finite objective or when asked. It yields requests; the sync and async
 * drivers below perform them (and call the callbacks), so both run exactly the same schedule.
 */
function* runLoop(model: SteppedModel, shouldStop: (() => boolean) | undefined): Generator<RunRequest, RunResult, ObservableRow | undefined> {
  const schedule = new LogSchedule(model.config);
  const total = model.config.train.steps;
  const observe = (): RunRequest => ({ kind: 'observe', ntk: schedule.wantsNtk(model.currentStep), particles: schedule.wantsParticles(model.currentStep) });
  let last = (yield observe()) as ObservableRow;
  while (model.currentStep < total) {
    if (!Number.isFinite(last.objective)) return diverged(model.currentStep, last);
    if (shouldStop?.()) return { status: 'stopped', step: model.currentStep, last };
    yield { kind: 'step', count: schedule.next(model.currentStep) - model.currentStep };
    last = (yield observe()) as ObservableRow;
  }
  if (!Number.isFinite(last.objective)) return diverged(model.currentStep, last);
  return { status: 'done', step: model.currentStep, last };
}

/**
 * Runs a single-thread engine to `config.train.steps`, logging on the schedule of `config.log`:
 * rows every `log.every` steps plus the first and last, particles every `log.particles.every`,
 * the NTK drift every `log.ntk.every`. Between log points the engine steps in one call, so
 * logging costs nothing per step. A non-finite objective marks the run diverged and stops it.
 *
 * @example
 * const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 4, n: 128, nTest: 128 }), 0);
 * const sim = Simulation.create({ model: { width: 256 }, train: { steps: 200 }, log: { every: 50 } }, data);
 * const { status, last } = runSimulation(sim, { onMetrics: (row) => console.log(row.step, row.risk_train) });
 */
export function runSimulation(sim: SynchronousModel, callbacks: RunCallbacks = {}): RunResult {
  const loop = runLoop(sim, callbacks.shouldStop);
  let request = loop.next();
  while (!request.done) {
    const r = request.value;
    if (r.kind === 'step') {
      sim.step(r.count);
      request = loop.next();
    } else {
      const row = sim.observe({ ntk: r.ntk });
      callbacks.onMetrics?.(row);
      if (r.particles) callbacks.onParticles?.(sim.particles());
      request = loop.next(row);
    }
  }
  return request.value;
}

/**
 * {@link runSimulation} for any engine (and callbacks) that may be asynchronous: the same loop,
 * the same rows; the event loop gets a turn every {@link EVENT_LOOP_TURN_MS} ms.
 *
 * @example
 * import { createEngine } from '@mflab/parallel';
 * const sharded = await createEngine(config, data, { threads: 4 });
 * const result = await runSimulationAsync(sharded, { onMetrics: (row) => console.log(row.step, row.risk_train) });
 * await sharded.dispose();
 */
export async function runSimulationAsync(sim: SteppedModel, callbacks: AsyncRunCallbacks = {}): Promise<RunResult> {
  const loop = runLoop(sim, callbacks.shouldStop);
  let request = loop.next();
  let turn = performance.now();
  while (!request.done) {
    const r = request.value;
    if (r.kind === 'step') {
      if (performance.now() - turn > EVENT_LOOP_TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
      await sim.step(r.count);
      request = loop.next();
    } else {
      const row = await sim.observe({ ntk: r.ntk });
      await callbacks.onMetrics?.(row);
      if (r.particles) await callbacks.onParticles?.(await sim.particles());
      request = loop.next(row);
    }
  }
  return request.value;
}
