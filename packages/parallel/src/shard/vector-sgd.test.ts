/**
 * The partitioner's promise (ARCHITECTURE.md §3) for k-output networks and for minibatch SGD
 * over a finite training set: parameters and observables are bitwise identical for 1, 2 and 3
 * workers, and (without data sharding) bitwise identical to core's single-thread wasm
 * `Simulation`; with data sharding, identical across worker counts.
 */
import { describe, expect, it } from 'vitest';
import { CounterRng, Simulation, WasmKernel, resolveSimulationConfig, type DataSplit, type Dataset, type ObservableRow, type Precision, type SimulationConfigInput } from '@mflab/core';
import { ShardedSimulation } from './sharded-simulation.js';

/** Gaussian blobs around `classes` random centres in R^d, labels 0..classes−1. */
function blobs(n: number, d: number, classes: number, seed: number): Dataset {
  const centres = new CounterRng(99, 1).at(0);
  const mu = Float64Array.from({ length: classes * d }, () => 1.5 * centres.normal());
  const rng = new CounterRng(seed, 2);
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    const c = draws.below(classes);
    y[i] = c;
    for (let q = 0; q < d; q++) x[i * d + q] = mu[c * d + q] + draws.normal();
  }
  return { n, d, x, y };
}

function classSplit(classes: number): DataSplit {
  return { train: blobs(190, 5, classes, 1), test: blobs(47, 5, classes, 2), classification: true, classes };
}

interface Outcome {
  a: number[];
  b: number[];
  rows: ObservableRow[];
}

const STEPS = 24;

async function sharded(config: SimulationConfigInput, data: DataSplit, workers: number, blockSize: number, sampleBlockSize = 0): Promise<Outcome> {
  const sim = await ShardedSimulation.create(resolveSimulationConfig(config), data, { workers, blockSize, sampleBlockSize });
  try {
    const rows = [await sim.observe()];
    await sim.step(STEPS / 2);
    rows.push(await sim.observe());
    await sim.step(STEPS / 2);
    rows.push(await sim.observe());
    return { a: Array.from(sim.params.a), b: Array.from(sim.params.b), rows };
  } finally {
    await sim.dispose();
  }
}

function single(config: SimulationConfigInput, data: DataSplit, precision: Precision, blockSize: number): Outcome {
  const sim = Simulation.create(config, data, { kernel: new WasmKernel(precision, { blockSize }) });
  const rows = [sim.observe()];
  sim.step(STEPS / 2);
  rows.push(sim.observe());
  sim.step(STEPS / 2);
  rows.push(sim.observe());
  return { a: Array.from(sim.params.a), b: Array.from(sim.params.b), rows };
}

function configOf(precision: Precision, extra: Partial<{ loss: 'softmax' | 'square'; centered: boolean; sgd: boolean; cosine: boolean; width: number }>): SimulationConfigInput {
  return {
    seed: 5,
    loss: extra.loss ?? 'softmax',
    model: { width: extra.width ?? 333, parameterization: 'mean-field', centered: extra.centered ?? false },
    train: {
      lr: 0.5,
      weightDecay: 1e-3,
      precision,
      backend: 'wasm',
      ...(extra.sgd ? { integrator: 'sgd' as const, batchSize: 36, epochs: 5 } : { steps: STEPS }),
      ...(extra.cosine ? { schedule: 'cosine' as const } : {}),
    },
    log: { ntk: { every: 0 } },
  };
}

const cases: [string, Precision, Parameters<typeof configOf>[1], DataSplit][] = [
  ['k = 4 softmax, GD', 'f32', {}, classSplit(4)],
  ['k = 4 softmax, GD', 'f64', {}, classSplit(4)],
  ['k = 3 square on one-hot, centered, GD', 'f32', { loss: 'square', centered: true }, classSplit(3)],
  ['k = 4 softmax, minibatch SGD (B = 36, cosine)', 'f32', { sgd: true, cosine: true }, classSplit(4)],
  ['k = 3 softmax, minibatch SGD, centered', 'f64', { sgd: true, centered: true }, classSplit(3)],
  ['k = 1 square, minibatch SGD', 'f32', { loss: 'square', sgd: true }, { ...classSplit(2), classes: undefined, classification: false }],
];

describe('worker-count invariance with vector outputs and minibatch SGD', () => {
  for (const [name, precision, extra, data] of cases) {
    it(`${name}, ${precision}: 1, 2 and 3 workers and the single-thread engine agree bitwise (m = 333 in blocks of 64)`, async () => {
      const config = configOf(precision, extra);
      const reference = single(config, data, precision, 64);
      expect(reference.rows.at(-1)?.step).toBe(STEPS);
      expect(reference.rows.at(-1)?.risk_train).toBeLessThan(reference.rows[0].risk_train);
      for (const workers of [1, 2, 3]) {
        const outcome = await sharded(config, data, workers, 64);
        expect(outcome.a, `${workers} workers: a`).toEqual(reference.a);
        expect(outcome.b, `${workers} workers: b`).toEqual(reference.b);
        expect(outcome.rows, `${workers} workers: rows`).toEqual(reference.rows);
      }
    }, 60_000);
  }

  it('data-sharded (sample blocks of 40) vector SGD: 1, 2 and 3 workers agree bitwise, and stay within 1e-4 of the unsharded run', async () => {
    const data = classSplit(4);
    const config = configOf('f32', { sgd: true });
    const unsharded = single(config, data, 'f32', 64);
    const outcomes = [];
    for (const workers of [1, 2, 3]) outcomes.push(await sharded(config, data, workers, 64, 40));
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[2]).toEqual(outcomes[0]);
    const rel = Math.hypot(...outcomes[0].b.map((v, i) => v - unsharded.b[i])) / Math.hypot(...unsharded.b);
    expect(rel).toBeLessThan(1e-4);
  }, 60_000);
});
