import type { SimulationConfig } from './config.js';
import type { ObservableRow, ParticleSnapshot } from './observables.js';
import type { Simulation } from './simulation.js';

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

/**
 * What a run drives: core's `Simulation`, or any engine with the same surface whose calls may
 * be asynchronous (the sharded engine of @mflab/parallel).
 */
export interface SteppedModel {
  readonly config: SimulationConfig;
  readonly currentStep: number;
  step(count: number): void | Promise<void>;
  observe(options: { ntk?: boolean }): ObservableRow | Promise<ObservableRow>;
  particles(): ParticleSnapshot | Promise<ParticleSnapshot>;
}

export type RunStatus = 'done' | 'diverged' | 'stopped';

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

/**
 * Runs a simulation to `config.train.steps`, logging on the schedule of `config.log`: rows every
 * `log.every` steps plus the first and last, particles every `log.particles.every`, the NTK
 * drift every `log.ntk.every`. Between log points the simulation steps in one call, so logging
 * costs nothing per step. A non-finite objective marks the run diverged and stops it.
 */
export function runSimulation(sim: Simulation, callbacks: RunCallbacks = {}): RunResult {
  const schedule = new LogSchedule(sim.config);
  const total = sim.config.train.steps;
  const emit = (): ObservableRow => {
    const step = sim.currentStep;
    const row = sim.observe({ ntk: schedule.wantsNtk(step) });
    callbacks.onMetrics?.(row);
    if (schedule.wantsParticles(step)) callbacks.onParticles?.(sim.particles());
    return row;
  };
  let last = emit();
  while (sim.currentStep < total) {
    if (!Number.isFinite(last.objective)) return diverged(sim.currentStep, last);
    if (callbacks.shouldStop?.()) return { status: 'stopped', step: sim.currentStep, last };
    sim.step(schedule.next(sim.currentStep) - sim.currentStep);
    last = emit();
  }
  if (!Number.isFinite(last.objective)) return diverged(sim.currentStep, last);
  return { status: 'done', step: sim.currentStep, last };
}

/** {@link runSimulation} for an engine (and callbacks) that may be asynchronous: the same schedule, the same rows. */
export async function runSimulationAsync(sim: SteppedModel, callbacks: AsyncRunCallbacks = {}): Promise<RunResult> {
  const schedule = new LogSchedule(sim.config);
  const total = sim.config.train.steps;
  const emit = async (): Promise<ObservableRow> => {
    const step = sim.currentStep;
    const row = await sim.observe({ ntk: schedule.wantsNtk(step) });
    await callbacks.onMetrics?.(row);
    if (schedule.wantsParticles(step)) await callbacks.onParticles?.(await sim.particles());
    return row;
  };
  let last = await emit();
  let turn = performance.now();
  while (sim.currentStep < total) {
    if (performance.now() - turn > EVENT_LOOP_TURN_MS) {
      await nextTurn();
      turn = performance.now();
    }
    if (!Number.isFinite(last.objective)) return diverged(sim.currentStep, last);
    if (callbacks.shouldStop?.()) return { status: 'stopped', step: sim.currentStep, last };
    await sim.step(schedule.next(sim.currentStep) - sim.currentStep);
    last = await emit();
  }
  if (!Number.isFinite(last.objective)) return diverged(sim.currentStep, last);
  return { status: 'done', step: sim.currentStep, last };
}
