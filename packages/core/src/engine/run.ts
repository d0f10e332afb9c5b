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

/**
 * Runs a simulation to `config.train.steps`, logging on the schedule of `config.log`: rows every
 * `log.every` steps plus the first and last, particles every `log.particles.every`, the NTK
 * drift every `log.ntk.every`. Between log points the simulation steps in one call, so logging
 * costs nothing per step. A non-finite objective marks the run diverged and stops it.
 */
export function runSimulation(sim: Simulation, callbacks: RunCallbacks = {}): RunResult {
  const { train, log } = sim.config;
  const total = train.steps;
  const wantsRow = (step: number) => step === total || isMultiple(step, log.every) || isMultiple(step, log.ntk.every);
  const wantsParticles = (step: number) => log.particles.every > 0 && (step % log.particles.every === 0 || step === total);

  const emit = (): ObservableRow => {
    const step = sim.currentStep;
    const row = sim.observe({ ntk: isMultiple(step, log.ntk.every) });
    callbacks.onMetrics?.(row);
    if (wantsParticles(step)) callbacks.onParticles?.(sim.particles());
    return row;
  };

  let last = emit();
  while (sim.currentStep < total) {
    if (!Number.isFinite(last.objective)) {
      return { status: 'diverged', step: sim.currentStep, last, reason: `objective became ${last.objective} at step ${last.step}` };
    }
    if (callbacks.shouldStop?.()) return { status: 'stopped', step: sim.currentStep, last };
    let next = sim.currentStep + 1;
    while (next < total && !wantsRow(next) && !wantsParticles(next)) next++;
    sim.step(next - sim.currentStep);
    last = emit();
  }
  if (!Number.isFinite(last.objective)) {
    return { status: 'diverged', step: sim.currentStep, last, reason: `objective became ${last.objective} at step ${last.step}` };
  }
  return { status: 'done', step: sim.currentStep, last };
}
