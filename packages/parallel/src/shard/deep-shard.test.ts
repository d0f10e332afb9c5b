/**
 * The deep sharded engine's promise (ARCHITECTURE.md §3, §7): sharded over the output neurons of
 * every layer, a deep run is bitwise identical for 1, 2 and 3 workers and to core's single-thread
 * DeepSimulation — every parameter tensor after 100 steps, and every observable row (the risk,
 * the per-layer observables, the NTK drift) at steps 0, 50 and 100 — for L = 3, residual and not,
 * f32 and f64, with block size 16 and widths 40–70 (partial last blocks). The four cases cover
 * full-batch GD, finite-data SGD (epochs), population SGD, softmax with k = 3 outputs, weight
 * decay, a cosine schedule and centering. And createEngine picks it when threads and work allow.
 */
import { describe, expect, it } from 'vitest';
import { DEEP, DeepSimulation, makeDataset, resolveSimulationConfig, type DataSplit, type DeepParams, type Precision, type SimulationConfigInput } from '@mflab/core';
import { chooseEngine, createEngine } from '../engine.js';
import { ShardedDeepSimulation } from './deep-shard.js';

const STEPS = 100;

interface Case {
  readonly name: string;
  readonly residual: boolean;
  readonly precision: Precision;
  readonly config: SimulationConfigInput;
  readonly data: () => DataSplit;
}

function caseOf(residual: boolean, precision: Precision, integrator: 'gd' | 'sgd-epochs' | 'sgd-population', softmax: boolean): Case {
  const width = residual ? 53 : [40, 70, 37];
  const train = integrator === 'gd' ? { integrator: 'gd' as const } : { integrator: 'sgd' as const, batchSize: 16 };
  return {
    name: `residual ${residual}, ${precision}, ${integrator}${softmax ? ', softmax k = 3' : ''}`,
    residual,
    precision,
    config: {
      seed: 3,
      loss: softmax ? 'softmax' : 'square',
      model: { depth: 3, width, residual, activation: residual ? 'tanh' : 'relu', parameterization: 'mup', centered: integrator === 'gd' },
      train: { steps: STEPS, lr: 0.1, weightDecay: 1e-3, schedule: softmax ? 'cosine' : 'constant', precision, ...train },
      log: { ntk: { every: softmax ? 0 : 1, probe: 6 } },
    },
    data: () =>
      softmax
        ? randomClassSplit(40, 10, 4, 3, 9)
        : integrator === 'sgd-population'
          ? makeDataset({ kind: 'teacher', d: 4, n: 40, nTest: 10 }, 8)
          : withoutSampler(makeDataset({ kind: 'teacher', d: 4, n: 40, nTest: 10 }, 8)),
  };
}

/** n points in d dimensions with labels 0..classes−1 (deterministic, no sampler: finite-data SGD). */
function randomClassSplit(n: number, nTest: number, d: number, classes: number, seed: number): DataSplit {
  const set = (count: number, offset: number) => ({
    n: count,
    d,
    x: Float64Array.from({ length: count * d }, (_, t) => Math.sin(1.7 * (t + offset) + seed) * 1.5),
    y: Float64Array.from({ length: count }, (_, i) => (i * 7 + seed) % classes),
  });
  return { train: set(n, 0), test: set(nTest, 1000), classification: true, classes };
}

/** The data without its population sampler: SGD then draws epochs of the finite training set. */
function withoutSampler(data: DataSplit): DataSplit {
  return { train: data.train, test: data.test, classification: data.classification };
}

const CASES: readonly Case[] = [caseOf(false, 'f64', 'gd', false), caseOf(true, 'f64', 'sgd-epochs', true), caseOf(false, 'f32', 'sgd-epochs', true), caseOf(true, 'f32', 'gd', false)];

interface Outcome {
  readonly params: DeepParams;
  readonly rows: unknown[];
}

type Stepper = Pick<DeepSimulation, 'params' | 'observe'> & { step(count: number): unknown };

async function trajectory(sim: Stepper): Promise<Outcome> {
  const rows: unknown[] = [];
  rows.push(await sim.observe({ ntk: true }));
  await sim.step(STEPS / 2);
  rows.push(await sim.observe({ ntk: true }));
  await sim.step(STEPS / 2);
  rows.push(await sim.observe({ ntk: true }));
  return { params: { weights: sim.params.weights.map((w) => w.slice()), biases: sim.params.biases.map((b) => b.slice()) }, rows };
}

/** The first value that differs in its bits (Object.is: NaN equals NaN, +0 differs from −0), or null. */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (x.length !== y.length) return `${path}: length ${x.length} vs ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const d = firstDifference(x[i], y[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && typeof a === 'object') {
    const keys = Object.keys(a).sort();
    if (keys.join() !== Object.keys(b as object).sort().join()) return `${path}: keys ${keys.join()} vs ${Object.keys(b as object).join()}`;
    for (const key of keys) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
}

describe('sharded deep engine: bitwise the single-thread DeepSimulation for 1, 2 and 3 workers', () => {
  it.each(CASES)('L = 3, $name, 100 steps', async ({ config, data: makeData, precision }) => {
    const data = makeData();
    const resolved = resolveSimulationConfig(config);
    const single = await trajectory(new DeepSimulation(resolved, data));
    // The run learned something, so equal bits are not two untouched copies.
    expect(firstDifference(single.params, new DeepSimulation(resolved, data).params)).not.toBeNull();
    for (const workers of [1, 2, 3]) {
      const sim = await ShardedDeepSimulation.start(resolved, data, { workers, blockSize: 16 });
      try {
        expect(sim.backendInfo).toEqual({ backend: 'reference', precision, workers, blockSize: 16 });
        const sharded = await trajectory(sim);
        expect(firstDifference(sharded.params, single.params, 'params'), `${workers} workers`).toBeNull();
        expect(firstDifference(sharded.rows, single.rows, 'rows'), `${workers} workers`).toBeNull();
      } finally {
        await sim.dispose();
      }
    }
  });

  it('population SGD (batches drawn on the main thread) is bitwise the single-thread run with 2 workers', async () => {
    const { config, data: makeData } = caseOf(false, 'f64', 'sgd-population', false);
    const data = makeData();
    const resolved = resolveSimulationConfig(config);
    const single = await trajectory(new DeepSimulation(resolved, data));
    const sim = await ShardedDeepSimulation.start(resolved, data, { workers: 2, blockSize: 16 });
    try {
      expect(firstDifference(await trajectory(sim), single)).toBeNull();
    } finally {
      await sim.dispose();
    }
  });
});

describe('createEngine for the deep family', () => {
  it('shards a deep config when threads > 1 and samples × Σ_l m_l reaches the threshold, else stays on one thread', async () => {
    const data = makeDataset({ kind: 'teacher', d: 4, n: 1024 }, 1);
    const big = resolveSimulationConfig({ model: { depth: 3, width: 128 }, train: { steps: 2 } });
    expect(chooseEngine(big, data, 2)).toBe('sharded');
    expect(chooseEngine(big, data, 1)).toBe('single-thread');
    expect(chooseEngine(resolveSimulationConfig({ model: { depth: 3, width: 16 } }), data, 2)).toBe('single-thread');
    const engine = await createEngine(big, data, { threads: 2 });
    try {
      expect(engine.family).toBe(DEEP);
      expect(engine).toBeInstanceOf(ShardedDeepSimulation);
      expect(engine.backendInfo.workers).toBe(2);
    } finally {
      await engine.dispose();
    }
  });
});
