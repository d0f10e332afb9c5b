/**
 * Minibatch SGD over a finite training set: the seeded epoch order, and each update against an
 * independent reference — a full-batch GD step on exactly that batch, from the same parameters.
 */
import { describe, expect, it } from 'vitest';
import { CounterRng, RandomStream } from '../random/index.js';
import { randomClassSplit, randomSplit } from '../testing/fixtures.js';
import type { DataSplit, Dataset } from '../types.js';
import { EpochBatches } from './batches.js';
import { flowTime, resolveSimulationConfig, stepSizeAt, type SimulationConfigInput } from './config.js';
import { ReferenceKernel } from './reference-kernel.js';
import { Simulation } from './simulation.js';

function subset(data: Dataset, rows: ArrayLike<number>): Dataset {
  const x = new Float64Array(rows.length * data.d);
  const y = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    x.set(data.x.subarray(rows[i] * data.d, (rows[i] + 1) * data.d), i * data.d);
    y[i] = data.y[rows[i]];
  }
  return { n: rows.length, d: data.d, x, y };
}

describe('EpochBatches', () => {
  it('visits every sample once per epoch when B divides n, in an order fixed by the seed', () => {
    const batches = new EpochBatches(7, 24, 6);
    expect(batches.perEpoch).toBe(4);
    const idx = new Int32Array(6);
    const epochs: number[][] = [];
    for (let e = 0; e < 3; e++) {
      const seen: number[] = [];
      for (let t = 0; t < 4; t++) {
        batches.indicesInto(e * 4 + t, idx);
        seen.push(...idx);
      }
      expect([...seen].sort((p, q) => p - q)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      epochs.push(seen);
    }
    expect(epochs[1]).not.toEqual(epochs[0]);
    const again = new EpochBatches(7, 24, 6);
    again.indicesInto(9, idx);
    expect(Array.from(idx)).toEqual(epochs[2].slice(6, 12));
    const other = new EpochBatches(8, 24, 6);
    other.indicesInto(0, idx);
    expect(Array.from(idx)).not.toEqual(epochs[0].slice(0, 6));
  });

  it('is the Fisher–Yates shuffle of CounterRng(seed, batchOrder).at(epoch), swap i ↔ below(i + 1)', () => {
    const batches = new EpochBatches(2 ** 40 + 3, 50, 50);
    for (const epoch of [0, 1, 7]) {
      const expected = Array.from({ length: 50 }, (_, i) => i);
      const draws = new CounterRng(2 ** 40 + 3, RandomStream.batchOrder).at(epoch);
      for (let i = 49; i > 0; i--) {
        const pick = draws.below(i + 1);
        [expected[i], expected[pick]] = [expected[pick], expected[i]];
      }
      const idx = new Int32Array(50);
      batches.indicesInto(epoch, idx);
      expect(Array.from(idx)).toEqual(expected);
    }
  });

  it('skips the n mod B samples left at the end of an epoch order (⌊n/B⌋ batches)', () => {
    const batches = new EpochBatches(1, 10, 4);
    expect(batches.perEpoch).toBe(2);
    const idx = new Int32Array(4);
    const seen = new Set<number>();
    for (let t = 0; t < 2; t++) {
      batches.indicesInto(t, idx);
      for (const i of idx) seen.add(i);
    }
    expect(seen.size).toBe(8);
  });
});

describe('finite-data minibatch SGD', () => {
  const cases: [string, DataSplit, SimulationConfigInput][] = [
    ['square, k = 1', randomSplit(30, 5, 3, 2), { loss: 'square' }],
    ['softmax, k = 3, centered', randomClassSplit(30, 5, 3, 3, 2), { loss: 'softmax', model: { width: 10, centered: true } }],
  ];
  for (const [name, split, extra] of cases) {
    it(`${name}: update t is a GD step on exactly batch t, bitwise (reference kernel)`, () => {
      const input: SimulationConfigInput = { seed: 4, ...extra, model: { width: 10, ...extra.model }, train: { integrator: 'sgd', batchSize: 7, epochs: 3, lr: 0.2, weightDecay: 0.01, backend: 'reference' }, log: { ntk: { every: 0 } } };
      const sim = Simulation.create(input, split, { kernel: new ReferenceKernel() });
      expect(sim.config.train.steps).toBe(3 * 4);
      const batches = new EpochBatches(4, 30, 7);
      const idx = new Int32Array(7);
      for (let t = 0; t < sim.config.train.steps; t++) {
        batches.indicesInto(t, idx);
        const before = sim.params;
        const gd = Simulation.create(
          { ...input, train: { ...input.train, integrator: 'gd', epochs: null, batchSize: null } },
          { ...split, train: subset(split.train, idx) },
          { initialParams: sim.initialParams, params: before, kernel: new ReferenceKernel() },
        );
        gd.step(1);
        sim.step(1);
        expect(Array.from(sim.params.a)).toEqual(Array.from(gd.params.a));
        expect(Array.from(sim.params.b)).toEqual(Array.from(gd.params.b));
      }
    });
  }

  it('the cosine schedule: update t uses η_t = η(1 + cos(πt/T))/2, and time is Σ η_t', () => {
    const split = randomSplit(16, 0, 2, 3);
    const input: SimulationConfigInput = { model: { width: 6 }, train: { integrator: 'sgd', batchSize: 16, epochs: 5, lr: 0.5, schedule: 'cosine', backend: 'reference' } };
    const sim = Simulation.create(input, split);
    const T = sim.config.train.steps;
    expect(T).toBe(5);
    sim.step(2);
    const eta2 = 0.25 * (1 + Math.cos((2 * Math.PI) / 5));
    expect(stepSizeAt(sim.config.train, 2)).toBeCloseTo(eta2, 15);
    const gd = Simulation.create({ model: { width: 6 }, train: { lr: eta2, backend: 'reference' } }, split, { initialParams: sim.initialParams, params: sim.params });
    sim.step(1);
    gd.step(1);
    // B = n: the batch is the whole set, in shuffled order — equal up to the summation order.
    for (let q = 0; q < gd.params.a.length; q++) expect(sim.params.a[q]).toBeCloseTo(gd.params.a[q], 13);
    expect(sim.time).toBeCloseTo(0.5 + 0.25 * (1 + Math.cos(Math.PI / 5)) + eta2, 15);
    expect(flowTime(sim.config.train, 3)).toBe(sim.time);
    expect(sim.observe().time).toBe(sim.time);
  });

  it('bad combinations name the field', () => {
    const split = randomSplit(16, 0, 2, 3);
    expect(() => Simulation.create({ train: { integrator: 'sgd', batchSize: 17 } }, split)).toThrow(/^train\.batchSize: a batch of 17 is larger than the 16 training points/);
    expect(() => resolveSimulationConfig({ train: { epochs: 2 } })).toThrow(/^train\.epochs: /);
    expect(() => resolveSimulationConfig({ train: { integrator: 'sgd', schedule: 'linear' as 'cosine' } })).toThrow(/^train\.schedule: /);
  });
});
