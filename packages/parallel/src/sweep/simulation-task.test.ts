/**
 * The built-in simulation task through the pool, against the same runs made in this process
 * directly with core's Simulation and runSimulation: every observable must match bitwise
 * (tolerance 0: same code, same seeds, same float operations, only the thread differs).
 */
import { OBSERVABLE_COLUMNS, Simulation, makeDataset, runSimulation, type DataSpec, type ObservableRow, type SimulationConfigInput } from '@mflab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/sweep-helpers.js';
import { SweepExecutor } from './executor.js';
import { SIMULATION_TASK_MODULE } from './modules.js';
import { simulationTaskCost, type SimulationTaskInput, type SimulationTaskResult } from './simulation-task.js';
import type { SweepProgress } from './types.js';

/** The reference: the run made in this process, straight from core. */
function directRun(input: SimulationTaskInput, stopAtStep = Infinity) {
  const sim = Simulation.create(input.config, makeDataset(input.data, input.dataSeed ?? input.config.seed ?? 0));
  return { ...runSimulation(sim, { shouldStop: () => sim.currentStep >= stopAtStep }), backend: sim.backendInfo };
}

function expectBitwiseEqual(actual: ObservableRow, expected: ObservableRow): void {
  for (const column of OBSERVABLE_COLUMNS) {
    expect(Object.is(actual[column], expected[column]), `${column}: ${actual[column]} vs ${expected[column]}`).toBe(true);
  }
}

const teacher: DataSpec = { kind: 'teacher', d: 2, n: 64, nTest: 32 };
const RUNS: Record<string, SimulationTaskInput> = {
  'mean-field f64': { config: { seed: 3, model: { width: 128 }, train: { steps: 60, lr: 0.5 }, log: { every: 7 } }, data: teacher },
  'ntk f32, logistic, centered, weight decay': {
    config: { seed: 4, model: { width: 96, parameterization: 'ntk', centered: true }, loss: 'logistic', train: { steps: 40, lr: 0.2, weightDecay: 1e-3, precision: 'f32', backend: 'wasm' } },
    data: { kind: 'gaussian-mixture', d: 3, n: 50, nTest: 20 },
  },
  'population SGD, own data seed, reference backend': {
    config: { seed: 5, model: { width: 64, parameterization: 'lazy', alpha: 2 }, train: { steps: 30, lr: 0.3, integrator: 'sgd', batchSize: 16, backend: 'reference' }, log: { every: 10, ntk: { every: 15, probe: 8 } } },
    data: teacher,
    dataSeed: 11,
  },
};

describe('the simulation task', () => {
  let executor: SweepExecutor;
  beforeAll(() => {
    executor = new SweepExecutor({ taskModule: SIMULATION_TASK_MODULE, workers: 2 });
  });
  afterAll(() => executor.close());

  it('shards a large task over every thread and still gives the direct run\'s rows bitwise', async () => {
    // 64 samples × 4096 neurons = 2^18 pairs per step: createEngine's threshold for sharding.
    const input: SimulationTaskInput = { config: { seed: 6, model: { width: 4096 }, train: { steps: 30, lr: 0.5, precision: 'f32', backend: 'wasm' }, log: { every: 10 } }, data: teacher };
    const [outcome] = await executor.run<SimulationTaskInput, SimulationTaskResult>([{ id: 'large', input, cost: Number.MAX_SAFE_INTEGER }]);
    expect(outcome.status).toBe('done');
    expect(outcome.threads).toBe(2);
    expect(outcome.result?.backend).toMatchObject({ backend: 'wasm', workers: 2 });
    expectBitwiseEqual(outcome.result?.final as ObservableRow, directRun(input).last);
  });

  it('gives bitwise the rows of the same runs made directly in this process', async () => {
    const names = Object.keys(RUNS);
    const reports: SweepProgress[] = [];
    const outcomes = await executor.run<SimulationTaskInput, SimulationTaskResult>(
      names.map((id) => ({ id, input: RUNS[id], cost: simulationTaskCost(RUNS[id]) })),
      { onProgress: (p) => reports.push(p), progressIntervalMs: 1 },
    );
    outcomes.forEach((outcome, k) => {
      const expected = directRun(RUNS[names[k]]);
      expect(outcome.status).toBe('done');
      expect(outcome.result?.steps).toBe(expected.step);
      expect(outcome.result?.backend).toEqual(expected.backend);
      expectBitwiseEqual(outcome.result?.final as ObservableRow, expected.last);
    });
    expect(outcomes[2].result?.final.ntk_drift).toBeGreaterThan(0);
    // Every finished run was announced, and fractions stay in [0, 1].
    expect(reports.filter((p) => p.outcome).length).toBe(3);
    for (const r of reports.flatMap((p) => p.running)) if (!Number.isNaN(r.fraction)) expect(r.fraction).toBeGreaterThanOrEqual(0);
  });

  it('reports divergence with its reason, and a bad config as a failed run naming the field', async () => {
    const diverging: SimulationTaskInput = {
      config: { seed: 1, model: { width: 8, parameterization: 'ntk' }, train: { steps: 2000, lr: 1e3 }, log: { every: 1 } },
      data: { kind: 'teacher', d: 2, n: 10, nTest: 0, sphere: false },
    };
    const [diverged, bad] = await executor.run([
      { id: 'diverging', input: diverging },
      { id: 'bad', input: { config: { model: { width: 0 } }, data: teacher } },
    ]);
    const expected = directRun(diverging);
    expect(expected.status).toBe('diverged');
    expect(expected.reason).toMatch(/^objective became (NaN|Infinity) at step \d+$/);
    expect(diverged).toMatchObject({ status: 'diverged', error: expected.reason });
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/^model\.width: /);
  });

  it('stops at a logged step on abort, with the same row as a direct run stopped there', async () => {
    const long: SimulationTaskInput = { config: { seed: 2, model: { width: 256 }, train: { steps: 1_000_000, lr: 0.1 }, log: { every: 10, particles: { every: 0 } } }, data: teacher };
    const controller = new AbortController();
    const [outcome] = await executor.run<SimulationTaskInput, SimulationTaskResult>([{ id: 'long', input: long }], {
      signal: controller.signal,
      progressIntervalMs: 5,
      onProgress: (p) => (p.running.some((r) => r.step >= 20) ? controller.abort() : undefined),
    });
    expect(outcome.status).toBe('stopped');
    const steps = outcome.result?.steps as number;
    expect(steps).toBeGreaterThanOrEqual(20);
    expect(steps % 10).toBe(0);
    expect(outcome.result?.final.step).toBe(steps);
    expectBitwiseEqual(outcome.result?.final as ObservableRow, directRun(long, steps).last);
  });
});

describe('simulationTaskCost', () => {
  it('is n·m·steps, with the SGD batch for n, and validates the config', async () => {
    expect(simulationTaskCost({ config: { model: { width: 128 }, train: { steps: 60 } }, data: { n: 64 } })).toBe(64 * 128 * 60);
    // Defaults of ARCHITECTURE.md §6: n = 256, width 1024, 1000 steps.
    expect(simulationTaskCost({ config: {}, data: {} })).toBe(256 * 1024 * 1000);
    expect(simulationTaskCost({ config: { train: { integrator: 'sgd', batchSize: 8, steps: 10 } }, data: { n: 500 } })).toBe(8 * 1024 * 10);
    await expectFieldError(() => simulationTaskCost({ config: { train: { steps: -1 } } as SimulationConfigInput, data: {} }), 'train.steps');
    await expectFieldError(() => simulationTaskCost({ config: {}, data: {}, seed: 1 } as never), 'input.seed', /unknown key/);
  });
});
