/**
 * The partitioner's promise (ARCHITECTURE.md §3): a run is bitwise identical for any number of
 * workers — parameters and observables after 100 steps, f32 and f64, every parameterization,
 * block sizes that leave a partial last block, with and without data sharding. Unsharded, it is
 * also bitwise identical to core's single-thread wasm `Simulation`, and (f64) matches the
 * float64 reference forward pass to 1e-12.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  Simulation,
  makeDataset,
  resolveSimulationConfig,
  runSimulation,
  runSimulationAsync,
  type DataSplit,
  type ObservableRow,
  type Parameterization,
  type ParticleSnapshot,
  type Precision,
  type SimulationConfigInput,
} from '@mflab/core';
import { ShardedSimulation, shardWorkersOf } from './sharded-simulation.js';

const STEPS = 100;

function problem(loss: 'square' | 'logistic'): DataSplit {
  return loss === 'square'
    ? makeDataset({ kind: 'teacher', d: 3, n: 203, nTest: 61 }, 5)
    : makeDataset({ kind: 'gaussian-mixture', d: 2, n: 150, nTest: 33 }, 6);
}

function configOf(parameterization: Parameterization, precision: Precision, width: number, extra: Partial<{ loss: 'square' | 'logistic'; centered: boolean; weightDecay: number }> = {}): SimulationConfigInput {
  return {
    seed: 11,
    loss: extra.loss ?? 'square',
    model: { width, parameterization, alpha: 3, centered: extra.centered ?? false },
    train: { lr: parameterization === 'ntk' ? 0.3 : 1, precision, backend: 'wasm', weightDecay: extra.weightDecay ?? 0 },
    log: { ntk: { every: 1, probe: 8 } },
  };
}

interface Outcome {
  a: Float64Array;
  b: Float64Array;
  row: ObservableRow;
}

async function runSharded(config: SimulationConfigInput, data: DataSplit, workers: number, blockSize: number, sampleBlockSize = 0): Promise<Outcome> {
  const sim = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers, blockSize, sampleBlockSize });
  try {
    await sim.step(STEPS / 2);
    await sim.observe();
    await sim.step(STEPS / 2);
    const row = await sim.observe({ ntk: true });
    return { a: sim.params.a.slice(), b: sim.params.b.slice(), row };
  } finally {
    await sim.dispose();
  }
}

function expectBitwiseEqual(got: Outcome, want: Outcome, label: string): void {
  // Buffer.compare on the bytes: NaN payloads and signed zeros count too.
  expect(Buffer.compare(Buffer.from(got.a.buffer), Buffer.from(want.a.buffer)), `${label}: a`).toBe(0);
  expect(Buffer.compare(Buffer.from(got.b.buffer), Buffer.from(want.b.buffer)), `${label}: b`).toBe(0);
  for (const [key, value] of Object.entries(want.row)) expect(Object.is(got.row[key as keyof ObservableRow], value), `${label}: ${key}`).toBe(true);
}

describe('ShardedSimulation: bitwise identical for 1, 2, 3, 4 workers', () => {
  const cases: { parameterization: Parameterization; loss: 'square' | 'logistic'; width: number; blockSize: number; centered?: boolean; weightDecay?: number }[] = [
    { parameterization: 'mean-field', loss: 'square', width: 333, blockSize: 64 }, // last block: 13 neurons
    { parameterization: 'ntk', loss: 'logistic', width: 1000, blockSize: 256, weightDecay: 0.01 }, // last block: 232
    { parameterization: 'lazy', loss: 'square', width: 517, blockSize: 100, centered: true },
  ];
  for (const precision of ['f32', 'f64'] as const) {
    for (const c of cases) {
      const label = `${c.parameterization}/${c.loss}/${precision}, m = ${c.width}, block ${c.blockSize}`;
      it(label, async () => {
        const data = problem(c.loss);
        const config = configOf(c.parameterization, precision, c.width, c);
        const one = await runSharded(config, data, 1, c.blockSize);
        expect(Number.isFinite(one.row.risk_train) && one.row.move > 0).toBe(true);
        for (const workers of [2, 3, 4]) expectBitwiseEqual(await runSharded(config, data, workers, c.blockSize), one, `${workers} workers`);
        if (c.blockSize === 256) {
          // core's single-thread engine with the same kernels and block size
          const single = Simulation.create(config, data);
          single.step(STEPS / 2);
          single.observe();
          single.step(STEPS / 2);
          expectBitwiseEqual(one, { a: single.params.a, b: single.params.b, row: single.observe({ ntk: true }) }, 'single-thread Simulation');
        }
      });
      it(`${label}, data-sharded (sample blocks of 48)`, async () => {
        const data = problem(c.loss);
        const config = configOf(c.parameterization, precision, c.width, c);
        const one = await runSharded(config, data, 1, c.blockSize, 48);
        for (const workers of [2, 3, 4]) expectBitwiseEqual(await runSharded(config, data, workers, c.blockSize, 48), one, `${workers} workers`);
        // A different summation order, the same dynamics: close to the unsharded run.
        const unsharded = await runSharded(config, data, 2, c.blockSize);
        expect(Math.abs(one.row.risk_train - unsharded.row.risk_train)).toBeLessThanOrEqual((precision === 'f32' ? 1e-4 : 1e-10) * Math.abs(unsharded.row.risk_train));
      });
    }
  }
});

describe('ShardedSimulation: values', () => {
  it('f64 outputs equal the float64 reference forward pass (predict) to 1e-12, centered and not', async () => {
    for (const centered of [false, true]) {
      const data = problem('square');
      const sim = await ShardedSimulation.create(resolveSimulationConfig(configOf('ntk', 'f64', 700, { centered })), data, { workers: 3, blockSize: 128 });
      try {
        await sim.step(7);
        const got = await sim.trainOutputs();
        const want = sim.predict(data.train);
        let scale = 0;
        for (const v of want) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-12 * scale);
        expect(sim.backendInfo).toEqual({ backend: 'wasm', precision: 'f64', workers: 3, blockSize: 128, sampleBlockSize: 0 });
      } finally {
        await sim.dispose();
      }
    }
  });

  it('resumes: 40 steps, then a new run from those parameters for 60 more, equals 100 steps', async () => {
    const data = problem('square');
    const config = configOf('mean-field', 'f32', 300);
    const straight = await runSharded(config, data, 2, 64);
    const first = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers: 2, blockSize: 64 });
    await first.step(40);
    const params = { m: 300, D: 4, a: first.params.a.slice(), b: first.params.b.slice() };
    const initialParams = { m: 300, D: 4, a: first.initialParams.a.slice(), b: first.initialParams.b.slice() };
    await first.dispose();
    const resumed = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers: 3, blockSize: 64, params, initialParams, startStep: 40 });
    await resumed.step(10);
    await resumed.observe();
    await resumed.step(50);
    const row = await resumed.observe({ ntk: true });
    expectBitwiseEqual({ a: resumed.params.a, b: resumed.params.b, row }, straight, 'resumed');
    await resumed.dispose();
  });
});

describe('ShardedSimulation under runSimulationAsync', () => {
  it('logs the same rows and particles, bitwise, as runSimulation on the single-thread engine', async () => {
    const data = problem('logistic');
    const config: SimulationConfigInput = {
      ...configOf('mean-field', 'f32', 600, { loss: 'logistic' }),
      train: { steps: 60, lr: 1, precision: 'f32', backend: 'wasm' },
      log: { every: 20, particles: { every: 30, count: 7 }, ntk: { every: 30, probe: 5 } },
    };
    const rows: ObservableRow[] = [];
    const snaps: ParticleSnapshot[] = [];
    const single = runSimulation(Simulation.create(config, data), { onMetrics: (r) => rows.push(r), onParticles: (p) => snaps.push(p) });
    const sim = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers: 2 });
    const shardedRows: ObservableRow[] = [];
    const shardedSnaps: ParticleSnapshot[] = [];
    const sharded = await runSimulationAsync(sim, { onMetrics: (r) => void shardedRows.push(r), onParticles: (p) => void shardedSnaps.push(p) });
    await sim.dispose();
    expect(shardedRows.map((r) => r.step)).toEqual([0, 20, 30, 40, 60]);
    expect(shardedRows).toEqual(rows);
    expect(shardedSnaps).toEqual(snaps);
    expect(sharded).toEqual(single);
  });
});

describe('ShardedSimulation: failures and lifecycle', () => {
  it('a worker killed mid-run fails the run with a clear error within a second', async () => {
    const data = makeDataset({ kind: 'teacher', d: 2, n: 512, nTest: 0 }, 1);
    const sim = await ShardedSimulation.create(resolveSimulationConfig({ model: { width: 8192 }, train: { precision: 'f32' } }), data, { workers: 2 });
    const running = sim.step(1_000_000).then(
      () => null,
      (error: Error) => ({ error, at: performance.now() }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const killedAt = performance.now();
    await shardWorkersOf(sim)[1].terminate();
    const outcome = await running;
    expect(outcome).not.toBeNull();
    expect(outcome!.error.message).toMatch(/shard worker 1 exited with code \d+ during the run/);
    expect(outcome!.at - killedAt).toBeLessThan(1000);
    // The run stays failed, says why, and disposes cleanly.
    await expect(sim.step(1)).rejects.toThrow(/shard worker 1 exited/);
    await sim.dispose();
    // Other runs go on.
    const next = await ShardedSimulation.create(resolveSimulationConfig({ model: { width: 64 } }), data, { workers: 2 });
    await next.step(3);
    expect(next.currentStep).toBe(3);
    await next.dispose();
  });

  it('no thread outlives the run: a process exits on its own after dispose, and also when dispose is forgotten', () => {
    const script = fileURLToPath(new URL('../testing/exit-after-run.mjs', import.meta.url));
    for (const mode of ['dispose', 'forget']) {
      const started = performance.now();
      const child = spawnSync(process.execPath, [script, mode], { encoding: 'utf8', timeout: 20_000 });
      expect(child.status, `${mode}: ${child.stderr}`).toBe(0);
      expect(child.stdout.trim()).toMatch(/^step 5 risk_train [0-9.e-]+$/);
      expect(performance.now() - started).toBeLessThan(20_000);
    }
  });

  it('rejects bad options with one-line errors naming the option', async () => {
    const data = problem('square');
    const bad: [SimulationConfigInput, object, string][] = [
      [{}, { workers: 0 }, 'workers'],
      [{}, { workers: 2.5 }, 'workers'],
      [{}, { blockSize: 0 }, 'blockSize'],
      [{}, { sampleBlockSize: 6 }, 'sampleBlockSize'],
      [{ train: { integrator: 'sgd' } }, {}, 'train.integrator'],
      [{ train: { backend: 'reference' } }, {}, 'train.backend'],
      [{ train: { lr: -1 } }, {}, 'train.lr'],
    ];
    for (const [config, options, field] of bad) {
      const error = await Promise.resolve()
        .then(() => ShardedSimulation.create(resolveSimulationConfig(config), data, options))
        .then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, field).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
