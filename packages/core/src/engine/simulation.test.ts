import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { initParams } from '../model/init.js';
import { allocateParams, type NetworkParams } from '../model/params.js';
import { resolveModelSpec } from '../model/spec.js';
import { fixedSampler, maxAbsDifference, randomSplit } from '../testing/fixtures.js';
import type { DataSplit } from '../types.js';
import { runSimulation, runSimulationAsync } from './run.js';
import { Simulation } from './simulation.js';
import type { SimulationConfigInput } from './config.js';
import type { ObservableRow } from './observables.js';

/** Neuron j of w becomes neurons 2j and 2j+1 of the result (same a_j, b_j). */
function duplicateNeurons(w: NetworkParams): NetworkParams {
  const out = allocateParams(2 * w.m, w.D);
  for (let j = 0; j < w.m; j++) {
    for (const copy of [2 * j, 2 * j + 1]) {
      out.a.set(w.a.subarray(j * w.D, (j + 1) * w.D), copy * w.D);
      out.b[copy] = w.b[j];
    }
  }
  return out;
}

describe('mean-field invariance (s = 1/m, γ = m)', () => {
  for (const [parameterization, alpha] of [['mean-field', 1], ['lazy', 2.5]] as const) {
    it(`${parameterization}: duplicating every neuron leaves f and the trajectory unchanged to 1e-12`, () => {
      const split = randomSplit(16, 8, 3, 2);
      const base: SimulationConfigInput = { seed: 1, model: { width: 10, parameterization, alpha }, train: { lr: 0.2, weightDecay: 0.01 } };
      const w0 = initParams(resolveModelSpec().init, 10, 4, 1);
      const small = Simulation.create(base, split, { initialParams: w0 });
      const big = Simulation.create({ ...base, model: { ...base.model, width: 20 } }, split, { initialParams: duplicateNeurons(w0) });
      expect(maxAbsDifference(big.trainOutputs(), small.trainOutputs())).toBeLessThan(1e-12);
      for (let t = 0; t < 50; t++) {
        small.step(1);
        big.step(1);
        expect(maxAbsDifference(big.trainOutputs(), small.trainOutputs())).toBeLessThan(1e-12);
        expect(maxAbsDifference(big.testOutputs(), small.testOutputs())).toBeLessThan(1e-12);
      }
      expect(maxAbsDifference(big.params.a, duplicateNeurons(small.params).a)).toBeLessThan(1e-12);
      expect(maxAbsDifference(big.params.b, duplicateNeurons(small.params).b)).toBeLessThan(1e-12);
      // The trajectory moved: the invariance is not that of a frozen network.
      expect(small.observe().move).toBeGreaterThan(1e-3);
    });
  }
});

describe('outputs at step 0', () => {
  const split = randomSplit(30, 20, 4, 3);
  for (const kind of ['gaussian', 'sphere', 'uniform-b'] as const) {
    it(`symmetric ${kind} init gives f ≡ 0 on train and test points`, () => {
      const sim = Simulation.create({ model: { width: 64, init: { kind, symmetric: true } } }, split);
      expect(Array.from(sim.trainOutputs()).every((v) => v === 0)).toBe(true);
      expect(Array.from(sim.testOutputs()).every((v) => v === 0)).toBe(true);
      sim.step(5);
      expect(maxAbsDifference(sim.trainOutputs(), new Float64Array(30))).toBeGreaterThan(0);
    });
  }
  it('centered gives f ≡ 0 at step 0 although f_{w(0)} ≠ 0', () => {
    const plain = Simulation.create({ model: { width: 64, parameterization: 'ntk' } }, split);
    expect(maxAbsDifference(plain.trainOutputs(), new Float64Array(30))).toBeGreaterThan(1e-3);
    const centered = Simulation.create({ model: { width: 64, parameterization: 'ntk', centered: true } }, split);
    expect(Array.from(centered.trainOutputs()).every((v) => v === 0)).toBe(true);
    expect(Array.from(centered.testOutputs()).every((v) => v === 0)).toBe(true);
    expect(Array.from(centered.predict(split.test)).every((v) => v === 0)).toBe(true);
  });
});

describe('determinism (ARCHITECTURE.md §4)', () => {
  const split = randomSplit(20, 10, 2, 4);
  const trajectory = (seed: number) => {
    const rows: ObservableRow[] = [];
    const sim = Simulation.create({ seed, model: { width: 32 }, train: { steps: 40, lr: 0.5 }, log: { every: 10 } }, split);
    runSimulation(sim, { onMetrics: (r) => rows.push(r) });
    return { rows, params: sim.params };
  };
  it('same seed ⇒ identical trajectory, bit for bit', () => {
    const a = trajectory(7);
    const b = trajectory(7);
    expect(a.rows).toEqual(b.rows);
    expect(Buffer.from(a.params.a.buffer).equals(Buffer.from(b.params.a.buffer))).toBe(true);
    expect(Buffer.from(a.params.b.buffer).equals(Buffer.from(b.params.b.buffer))).toBe(true);
  });
  it('different seed ⇒ different init', () => {
    const a = initParams(resolveModelSpec().init, 32, 3, 7);
    const b = initParams(resolveModelSpec().init, 32, 3, 8);
    expect(maxAbsDifference(a.a, b.a)).toBeGreaterThan(0.1);
  });
  it("neuron j's init depends only on (seed, j): a wider network extends a narrower one", () => {
    const narrow = initParams(resolveModelSpec().init, 16, 3, 9);
    const wide = initParams(resolveModelSpec().init, 64, 3, 9);
    expect(wide.a.subarray(0, 48)).toEqual(narrow.a);
    expect(wide.b.subarray(0, 16)).toEqual(narrow.b);
  });
});

describe('population SGD', () => {
  it('equals full-batch GD, bit for bit, when the sampler returns the training set', () => {
    const split = randomSplit(25, 0, 3, 5);
    const config: SimulationConfigInput = { model: { width: 16 }, train: { lr: 0.3 } };
    const gd = Simulation.create(config, split);
    const sgd = Simulation.create({ ...config, train: { ...config.train, integrator: 'sgd' } }, { ...split, sampler: fixedSampler(split.train) });
    gd.step(30);
    sgd.step(30);
    expect(sgd.params.a).toEqual(gd.params.a);
    expect(sgd.params.b).toEqual(gd.params.b);
  });
  it('draws batch k from sample indices [kB, (k+1)B)', () => {
    const split = randomSplit(8, 0, 2, 6);
    const starts: number[] = [];
    const sampler = { ...fixedSampler(split.train), sample: (start: number, count: number, x: Float64Array, y: Float64Array) => {
      starts.push(start);
      fixedSampler(split.train).sample(start, count, x, y);
    } };
    const sim = Simulation.create({ model: { width: 4 }, train: { integrator: 'sgd', batchSize: 5 } }, { ...split, sampler });
    sim.step(3);
    expect(starts).toEqual([0, 5, 10]);
  });
  it('on data without a generator runs over the finite set instead (minibatches of a shuffled epoch)', () => {
    const sim = Simulation.create({ train: { integrator: 'sgd', batchSize: 2 } }, randomSplit(4, 0, 2, 1));
    sim.step(3);
    expect(sim.currentStep).toBe(3);
  });
});

describe('runSimulation', () => {
  const split: DataSplit = randomSplit(12, 6, 2, 7, 'classification');
  it('logs step 0, every log.every steps and the last step; particles at step 0 and on their schedule', () => {
    const steps: number[] = [];
    const snaps: number[] = [];
    const sim = Simulation.create(
      { loss: 'logistic', model: { width: 20 }, train: { steps: 25, lr: 0.5 }, log: { every: 10, particles: { every: 20, count: 5 }, ntk: { every: 0 } } },
      split,
    );
    const result = runSimulation(sim, { onMetrics: (r) => steps.push(r.step), onParticles: (p) => snaps.push(p.step) });
    expect(steps).toEqual([0, 10, 20, 25]);
    expect(snaps).toEqual([0, 20, 25]);
    expect(result.status).toBe('done');
    expect(result.last.time).toBeCloseTo(25 * 0.5, 12);
    expect(result.last.error_train).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(result.last.ntk_drift)).toBe(true);
  });
  it('reports ntk_drift = 0 at step 0 and > 0 after training', () => {
    const rows: ObservableRow[] = [];
    const sim = Simulation.create({ model: { width: 50 }, train: { steps: 20, lr: 1 }, log: { every: 10, ntk: { every: 10, probe: 6 } } }, split);
    runSimulation(sim, { onMetrics: (r) => rows.push(r) });
    expect(rows[0].ntk_drift).toBe(0);
    expect(rows[2].ntk_drift).toBeGreaterThan(0);
  });
  it('marks a run whose objective blows up as diverged, with the step', () => {
    const sim = Simulation.create({ model: { width: 8, parameterization: 'ntk' }, train: { steps: 2000, lr: 1e3 }, log: { every: 1 } }, randomSplit(10, 0, 2, 1));
    const result = runSimulation(sim);
    expect(result.status).toBe('diverged');
    expect(result.step).toBeLessThan(2000);
    expect(result.reason).toMatch(/objective became (NaN|Infinity) at step \d+/);
  });
  it('stops cleanly when asked, after the current step', () => {
    let polls = 0;
    const sim = Simulation.create({ model: { width: 8 }, train: { steps: 100 }, log: { every: 1 } }, split);
    const result = runSimulation(sim, { shouldStop: () => ++polls > 3 });
    expect(result).toMatchObject({ status: 'stopped', step: 3 });
  });
  it('runSimulationAsync follows the same schedule and yields the same rows, awaiting async callbacks', async () => {
    const config = { loss: 'logistic' as const, model: { width: 20 }, train: { steps: 25, lr: 0.5 }, log: { every: 10, particles: { every: 20, count: 5 }, ntk: { every: 5, probe: 4 } } };
    const syncRows: ObservableRow[] = [];
    const syncSnaps: number[] = [];
    const syncResult = runSimulation(Simulation.create(config, split), { onMetrics: (r) => syncRows.push(r), onParticles: (p) => syncSnaps.push(p.step) });
    const asyncRows: ObservableRow[] = [];
    const asyncSnaps: number[] = [];
    const asyncResult = await runSimulationAsync(Simulation.create(config, split), {
      onMetrics: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        asyncRows.push(r);
      },
      onParticles: (p) => void asyncSnaps.push(p.step),
    });
    expect(asyncRows.map((r) => r.step)).toEqual([0, 5, 10, 15, 20, 25]);
    expect(asyncRows).toEqual(syncRows);
    expect(asyncSnaps).toEqual(syncSnaps);
    expect(asyncResult).toEqual(syncResult);
  });
});

describe('bad input names the field', () => {
  const split = randomSplit(5, 0, 2, 1);
  const cases: [string, () => unknown, RegExp][] = [
    ['negative width', () => Simulation.create({ model: { width: -4 } }, split), /^model\.width: expected an integer ≥ 1, got -4/],
    ['unknown parameterization', () => Simulation.create({ model: { parameterization: 'mfp' as never } }, split), /^model\.parameterization: expected one of "mean-field", "ntk", "lazy", "standard", "mup", got "mfp"/],
    ['a deep config', () => Simulation.create({ model: { depth: 3 } }, split), /^model\.depth: Simulation and the sharded engine run the two-layer network.*deep network \(depth 3\).*DeepSimulation/],
    ['unknown key', () => Simulation.create({ model: { widht: 3 } as never }, split), /^model\.widht: unknown key/],
    ['odd width with symmetric init', () => Simulation.create({ model: { width: 5, init: { symmetric: true } } }, split), /^model\.width: symmetric init/],
    ['zero learning rate', () => Simulation.create({ train: { lr: 0 } }, split), /^train\.lr: /],
    ['negative weight decay', () => Simulation.create({ train: { weightDecay: -1 } }, split), /^train\.weightDecay: /],
    ['fractional seed', () => Simulation.create({ seed: 1.5 }, split), /^seed: /],
    ['NaN in data', () => {
      const bad = randomSplit(5, 0, 2, 1);
      bad.train.x[3] = NaN;
      return Simulation.create({}, bad);
    }, /^data\.train\.x\[3\]: expected a finite number, got NaN/],
    ['mismatched dimensions (x length)', () => Simulation.create({}, { ...split, train: { ...split.train, d: 3 } }), /^data\.train\.x: expected n·d/],
    ['mismatched dimensions (train vs test)', () => Simulation.create({}, { ...split, test: randomSplit(4, 0, 5, 1).train }), /^data\.test: test points have dimension 5/],
    ['mismatched initial params', () => Simulation.create({ model: { width: 4 } }, split, { initialParams: allocateParams(4, 7) }), /^initialParams: expected m = 4, D = 3/],
  ];
  for (const [what, call, message] of cases) {
    it(what, () => {
      expect(call).toThrow(InvalidInputError);
      expect(call).toThrow(message);
    });
  }
});
