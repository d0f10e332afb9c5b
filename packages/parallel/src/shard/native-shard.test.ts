/**
 * The sharded engine on the native (ONNX Runtime GEMM) kernel keeps the partitioner's promise
 * (ARCHITECTURE.md §3): 1, 2 and 3 workers give bitwise identical parameters and observables
 * over 100 steps, f32 and f64, GD and finite-data softmax SGD (k = 4, centered, weight decay),
 * block sizes that leave a partial last block or an idle worker — and the same bits as core's
 * single-thread Simulation on the same kernel and block size. Skips, with the reason, where
 * onnxruntime-node (an optional dependency) did not install.
 */
import { describe, expect, it } from 'vitest';
import { CounterRng, InvalidInputError, NativeKernel, Simulation, loadNativeRuntime, makeDataset, resolveSimulationConfig, type DataSplit, type ObservableRow, type SimulationConfigInput } from '@mflab/core';
import { ShardedSimulation } from './sharded-simulation.js';

const runtime = loadNativeRuntime();
const describeNative = runtime.ok ? describe : describe.skip;
if (!runtime.ok) console.warn(`native sharded tests skipped: ${runtime.reason}`);

const STEPS = 100;

/** n training and nTest test points in R^d with class labels 0..k−1 (gaussian blobs around random centres). */
function classSplit(n: number, nTest: number, d: number, k: number, seed: number): DataSplit {
  const rng = new CounterRng(seed, 77);
  const centre = (c: number, q: number) => rng.at(1_000_000 + c * d + q).normal();
  const set = (count: number, offset: number) => {
    const x = new Float64Array(count * d);
    const y = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const draws = rng.at(offset + i);
      y[i] = draws.below(k);
      for (let q = 0; q < d; q++) x[i * d + q] = centre(y[i], q) + 0.7 * draws.normal();
    }
    return { n: count, d, x, y };
  };
  return { train: set(n, 0), test: set(nTest, n), classification: true, classes: k };
}

interface Outcome {
  a: Float64Array;
  b: Float64Array;
  row: ObservableRow;
  backend: string;
}

async function runSharded(config: SimulationConfigInput, data: DataSplit, workers: number, blockSize: number): Promise<Outcome> {
  const sim = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers, blockSize });
  try {
    await sim.step(STEPS / 2);
    await sim.observe();
    await sim.step(STEPS / 2);
    const row = await sim.observe();
    return { a: sim.params.a.slice(), b: sim.params.b.slice(), row, backend: sim.backendInfo.backend };
  } finally {
    await sim.dispose();
  }
}

function runSingle(config: SimulationConfigInput, data: DataSplit, blockSize: number): Outcome {
  const resolved = resolveSimulationConfig(config);
  const sim = new Simulation(resolved, data, { kernel: new NativeKernel(resolved.train.precision, blockSize) });
  sim.step(STEPS / 2);
  sim.observe();
  sim.step(STEPS / 2);
  return { a: sim.params.a, b: sim.params.b, row: sim.observe(), backend: sim.backendInfo.backend };
}

function expectBitwiseEqual(got: Outcome, want: Outcome, label: string): void {
  expect(Buffer.compare(Buffer.from(got.a.buffer), Buffer.from(want.a.buffer)), `${label}: a`).toBe(0);
  expect(Buffer.compare(Buffer.from(got.b.buffer), Buffer.from(want.b.buffer)), `${label}: b`).toBe(0);
  for (const [key, value] of Object.entries(want.row)) expect(Object.is(got.row[key as keyof ObservableRow], value), `${label}: ${key}`).toBe(true);
}

describeNative('ShardedSimulation on the native kernel: bitwise identical for 1, 2, 3 workers and to one thread', () => {
  const cases = [
    {
      label: 'GD square, ntk, m = 333, block 64 (last block 13)',
      blockSize: 64,
      data: () => makeDataset({ kind: 'teacher', d: 40, n: 203, nTest: 61 }, 5),
      config: { seed: 3, loss: 'square', model: { width: 333, parameterization: 'ntk' }, train: { lr: 0.3, weightDecay: 0.01 } },
    },
    {
      label: 'GD logistic, mean-field, 17 000 training and 17 000 test points (two sample chunks each), m = 90, block 32',
      blockSize: 32,
      data: () => makeDataset({ kind: 'gaussian-mixture', d: 6, n: 17_000, nTest: 17_000 }, 8),
      config: { seed: 5, loss: 'logistic', model: { width: 90 }, train: { lr: 0.5 } },
    },
    {
      label: 'softmax SGD k = 4, mean-field, centered, m = 300, block 128 (3 blocks: a fourth worker would idle)',
      blockSize: 128,
      data: () => classSplit(180, 40, 30, 4, 9),
      config: { seed: 4, loss: 'softmax', model: { width: 300, centered: true }, train: { lr: 0.5, integrator: 'sgd', batchSize: 32, epochs: 30, weightDecay: 0.01 } },
    },
  ] as const;
  for (const precision of ['f32', 'f64'] as const) {
    for (const c of cases) {
      it(`${precision}: ${c.label}`, async () => {
        const data = c.data();
        const config = { ...c.config, train: { ...c.config.train, backend: 'native', precision } } as SimulationConfigInput;
        const one = await runSharded(config, data, 1, c.blockSize);
        expect(one.backend).toBe('native');
        expect(Number.isFinite(one.row.risk_train) && one.row.move > 0).toBe(true);
        for (const workers of [2, 3]) expectBitwiseEqual(await runSharded(config, data, workers, c.blockSize), one, `${workers} workers`);
        expectBitwiseEqual(runSingle(config, data, c.blockSize), one, 'single-thread Simulation');
      });
    }
  }

  it('auto picks the native kernel for a GEMM-bound shape; data sharding with it is refused with a one-line error', async () => {
    const data = makeDataset({ kind: 'teacher', d: 200, n: 300, nTest: 0 }, 1);
    const config = resolveSimulationConfig({ model: { width: 512 }, train: { precision: 'f32' } });
    const sim = await ShardedSimulation.create(config, data, { workers: 2 });
    try {
      expect(sim.backendInfo.backend).toBe('native');
    } finally {
      await sim.dispose();
    }
    await expect(ShardedSimulation.create(config, data, { workers: 2, sampleBlockSize: 64 })).rejects.toThrow(InvalidInputError);
    await expect(ShardedSimulation.create(config, data, { workers: 2, sampleBlockSize: 64 })).rejects.toThrow(/sampleBlockSize: the native kernel shards whole neuron blocks/);
  });
});
