/**
 * The deep family's engine (`DeepSimulation`) behind core's Engine interface: at depth 1 it
 * follows the two-layer `Simulation` (reference, f64) to 1e-12 over 50 steps — parameters,
 * outputs and every observable of the row — for mean-field and ntk, GD and SGD (epochs,
 * population), square and softmax (k = 3), with weight decay, a cosine schedule and centering;
 * deep runs (relu, tanh; plain and residual) lower the risk with finite observables; resume is
 * bitwise; the routing rule and the errors name their field.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { makeDataset, resolveDataSpec } from '../data/index.js';
import { resolveSimulationConfig, type SimulationConfigInput } from '../engine/config.js';
import type { DeepObservableRow, ObservableRow } from '../engine/observables.js';
import { getEngine, modelFamilyOf } from '../engine/registry.js';
import { runSimulation } from '../engine/run.js';
import { Simulation } from '../engine/simulation.js';
import { randomClassSplit, randomSplit } from '../testing/fixtures.js';
import { DEEP, TWO_LAYER, type DataSplit, type LossName, type TwoLayerParameterization } from '../types.js';
import { DeepSimulation } from './engine.js';
import { twoLayerParamsFromDeep } from './two-layer.js';

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** max |a − b| / max |b| (exact equality of two zero vectors is 0). */
function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m === 0 ? 0 : m / maxAbs(b);
}

const ROW_FIELDS = ['risk_train', 'risk_test', 'objective', 'error_train', 'error_test', 'move', 'l2', 'path', 'margin', 'ntk_drift'] as const;

function expectRowsClose(deep: ObservableRow, two: ObservableRow, tol: number): void {
  expect(deep.step).toBe(two.step);
  expect(deep.time).toBe(two.time);
  for (const name of ROW_FIELDS) {
    const a = deep[name];
    const b = two[name];
    if (Number.isNaN(b)) expect(a, name).toBeNaN();
    else expect(Math.abs(a - b), name).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
  }
}

const STEPS = 50;
const m = 16;
const d = 3;

interface Case {
  parameterization: TwoLayerParameterization;
  loss: LossName;
  integrator: 'gd' | 'sgd';
  centered?: boolean;
  cosine?: boolean;
  population?: boolean;
}

const CASES: Case[] = [];
for (const parameterization of ['mean-field', 'ntk'] as const) {
  for (const loss of ['square', 'softmax'] as const) {
    for (const integrator of ['gd', 'sgd'] as const) CASES.push({ parameterization, loss, integrator });
  }
}
CASES.push({ parameterization: 'ntk', loss: 'square', integrator: 'gd', centered: true, cosine: true });
CASES.push({ parameterization: 'mean-field', loss: 'softmax', integrator: 'sgd', centered: true });
CASES.push({ parameterization: 'mean-field', loss: 'square', integrator: 'sgd', population: true });

function dataFor(c: Case): DataSplit {
  if (c.population) return makeDataset(resolveDataSpec({ kind: 'teacher', d, n: 32, nTest: 8 }), 4);
  return c.loss === 'softmax' ? randomClassSplit(24, 6, d, 3, 5) : randomSplit(24, 6, d, 5);
}

function configFor(c: Case, deep: boolean): SimulationConfigInput {
  const ntk = c.parameterization === 'ntk';
  return {
    seed: 3,
    model: { width: m, parameterization: c.parameterization, centered: c.centered ?? false, init: { scale: 0.9 }, ...(deep ? { activation: 'relu' as const } : {}) },
    loss: c.loss,
    train: {
      lr: ntk ? 0.5 : 0.2,
      weightDecay: 0.02,
      backend: 'reference',
      precision: 'f64',
      integrator: c.integrator,
      schedule: c.cosine ? 'cosine' : 'constant',
      ...(c.integrator === 'sgd' ? (c.population ? { batchSize: 8, steps: STEPS } : { batchSize: 8, epochs: Math.ceil(STEPS / 3) }) : { steps: STEPS }),
    },
    log: { every: 10, particles: { every: 0 }, ntk: { every: c.loss === 'square' ? 10 : 0, probe: 8 } },
  };
}

describe('DeepSimulation at depth 1 follows the two-layer Simulation (reference, f64) to 1e-12 over 50 steps', () => {
  for (const c of CASES) {
    const name = `${c.parameterization}, ${c.loss}, ${c.integrator}${c.population ? ' (population)' : c.integrator === 'sgd' ? ' (epochs)' : ''}${c.centered ? ', centered' : ''}${c.cosine ? ', cosine' : ''}, λ = 0.02`;
    it(name, () => {
      const data = dataFor(c);
      const two = Simulation.create(configFor(c, false), data);
      const deep = DeepSimulation.create(configFor(c, true), data);
      expect(modelFamilyOf(deep.config)).toBe(DEEP);
      expect(modelFamilyOf(two.config)).toBe(TWO_LAYER);
      expect(deep.config.train.steps).toBe(two.config.train.steps);
      // The same w(0), bit for bit (§4's init streams).
      const start = twoLayerParamsFromDeep(deep.spec, deep.initialParams);
      expect(Array.from(start.a)).toEqual(Array.from(two.initialParams.a));
      expect(Array.from(start.b)).toEqual(Array.from(two.initialParams.b));
      const rowsDeep: ObservableRow[] = [];
      const rowsTwo: ObservableRow[] = [];
      const rDeep = runSimulation(deep, { onMetrics: (r) => rowsDeep.push(r) });
      expect(runSimulation(two, { onMetrics: (r) => rowsTwo.push(r) }).status).toBe('done');
      expect(rDeep.status).toBe('done');
      expect(rowsDeep.length).toBe(rowsTwo.length);
      for (let i = 0; i < rowsTwo.length; i++) expectRowsClose(rowsDeep[i], rowsTwo[i], 1e-12);
      const end = twoLayerParamsFromDeep(deep.spec, deep.params);
      expect(relativeMaxError(end.a, two.params.a)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(end.b, two.params.b)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(deep.trainOutputs(), two.trainOutputs())).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(deep.testOutputs(), two.testOutputs())).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(deep.predict(data.test), two.predict(data.test))).toBeLessThanOrEqual(1e-12);
      // The run moved: agreement is not two frozen copies.
      expect(rowsTwo[rowsTwo.length - 1].move).toBeGreaterThan(1e-3);
      if (c.loss === 'square') expect(Math.max(...rowsTwo.map((r) => (Number.isNaN(r.ntk_drift) ? 0 : r.ntk_drift)))).toBeGreaterThan(0);
    });
  }
});

describe('DeepSimulation at depth 3', () => {
  const data = randomSplit(48, 16, 4, 7);
  for (const activation of ['relu', 'tanh'] as const) {
    for (const residual of [false, true]) {
      it(`${activation}${residual ? ', residual' : ''}: the risk decreases and every observable is finite`, () => {
        const sim = DeepSimulation.create(
          {
            seed: 1,
            model: { depth: 3, width: 32, activation, residual, parameterization: 'mup' },
            train: { steps: 60, lr: 0.2, weightDecay: 1e-3 },
            log: { every: 20, ntk: { every: 30, probe: 8 } },
          },
          data,
        );
        const rows: ObservableRow[] = [];
        const result = runSimulation(sim, { onMetrics: (r) => rows.push(r) });
        expect(result.status).toBe('done');
        expect(rows.map((r) => r.step)).toEqual([0, 20, 30, 40, 60]);
        expect(rows[rows.length - 1].risk_train).toBeLessThan(0.8 * rows[0].risk_train);
        for (const row of rows) {
          for (const name of ['risk_train', 'risk_test', 'objective', 'move', 'l2', 'path'] as const) expect(Number.isFinite(row[name]), name).toBe(true);
        }
        expect(rows[0].ntk_drift).toBe(0);
        expect(rows[2].ntk_drift).toBeGreaterThan(0);
        expect(sim.modelInfo()).toMatchObject({ family: 'deep', depth: 3, widths: [32, 32, 32], activation, residual });
      });
    }
  }

  it('resumes bitwise from (w(0), w(t), t), as a checkpoint does', () => {
    const config: SimulationConfigInput = { seed: 2, model: { depth: 2, width: [12, 8], activation: 'erf', parameterization: 'ntk' }, train: { integrator: 'sgd', batchSize: 16, epochs: 4, lr: 0.3, weightDecay: 0.01, schedule: 'cosine' } };
    const full = DeepSimulation.create(config, data);
    full.step(full.config.train.steps);
    const first = DeepSimulation.create(config, data);
    first.step(5);
    const resumed = DeepSimulation.create(config, data, { initialParams: first.initialParams, params: first.params, startStep: 5 });
    resumed.step(full.config.train.steps - 5);
    for (let l = 0; l < 3; l++) {
      expect(Buffer.from(resumed.params.weights[l].buffer).equals(Buffer.from(full.params.weights[l].buffer))).toBe(true);
      expect(Buffer.from(resumed.params.biases[l].buffer).equals(Buffer.from(full.params.biases[l].buffer))).toBe(true);
    }
    expect(resumed.observe()).toEqual(full.observe());
  });
});

describe('per-layer observables (ARCHITECTURE.md §7)', () => {
  const data = randomSplit(40, 8, 4, 3);

  it('are logged on every row in layer order: L + 1 moves, L feature moves and scales; ρ_l and the Jacobian at step 0', () => {
    const sim = DeepSimulation.create({ seed: 4, model: { depth: 3, width: 24, activation: 'tanh', parameterization: 'ntk' }, train: { steps: 30, lr: 0.5 }, log: { every: 10, ntk: { probe: 16 } } }, data);
    const rows: DeepObservableRow[] = [];
    runSimulation(sim, { onMetrics: (r) => rows.push(r as DeepObservableRow) });
    expect(rows.map((r) => [r.move_layers.length, r.feature_move.length, r.feature_scale.length, r.corr_layers.length, r.ntk_layers.length])).toEqual(rows.map(() => [4, 3, 3, 3, 4]));
    const [first, last] = [rows[0], rows[rows.length - 1]];
    expect(first.move_layers).toEqual([0, 0, 0, 0]);
    expect(first.feature_move).toEqual([0, 0, 0]);
    for (const v of first.feature_scale) expect(v).toBeGreaterThan(0);
    for (const v of first.corr_layers) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    expect(first.jacobian_mean).toBeGreaterThan(0);
    expect(first.jacobian_spread).toBeGreaterThanOrEqual(0);
    for (const v of [...last.move_layers, ...last.feature_move]) expect(v).toBeGreaterThan(0);
    expect(last.corr_layers.every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(last.jacobian_mean) && Number.isNaN(last.jacobian_spread)).toBe(true);
  });

  it('at depth 1 are §1 quantities of the two-layer net: ‖a − a0‖/‖a0‖, ‖b − b0‖/‖b0‖, mean relu(a·x̃) over the probe', () => {
    const config: SimulationConfigInput = { seed: 5, model: { width: 12, activation: 'relu' }, train: { steps: 20, lr: 0.3, backend: 'reference' }, log: { ntk: { probe: 10 } } };
    const deep = DeepSimulation.create(config, data);
    deep.step(20);
    const row = deep.observe();
    const two = twoLayerParamsFromDeep(deep.spec, deep.params);
    const two0 = twoLayerParamsFromDeep(deep.spec, deep.initialParams);
    const rel = (u: Float64Array, v: Float64Array) => Math.sqrt(u.reduce((s, x, i) => s + (x - v[i]) ** 2, 0) / v.reduce((s, x) => s + x * x, 0));
    expect(row.move_layers[0]).toBeCloseTo(rel(two.a, two0.a), 14);
    expect(row.move_layers[1]).toBeCloseTo(rel(two.b, two0.b), 14);
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 12; j++) {
        let z = two.a[j * 5 + 4];
        for (let q = 0; q < 4; q++) z += two.a[j * 5 + q] * data.train.x[i * 4 + q];
        sum += Math.max(z, 0);
      }
    }
    expect(row.feature_scale[0]).toBeCloseTo(sum / 120, 13);
  });

  it('dynamical isometry: an orthogonal deep linear net has Jacobian spread ≈ 0, a gaussian one does not (L = 10)', () => {
    const spread = (kind: 'orthogonal' | 'gaussian') => {
      const sim = DeepSimulation.create({ model: { depth: 10, width: 16, activation: 'linear', parameterization: 'ntk', init: { kind } } }, data);
      const row = sim.observe();
      return row.jacobian_spread / row.jacobian_mean;
    };
    expect(spread('orthogonal')).toBeLessThan(1e-6);
    expect(spread('gaussian')).toBeGreaterThan(0.5);
  });
});

describe('the deep family: routing and errors', () => {
  const split = randomSplit(8, 0, 2, 1);
  it('routes depth ≥ 2 and every deep-only key to the deep family, and registers its single-thread engine only', () => {
    const family = (model: SimulationConfigInput['model']) => modelFamilyOf(resolveSimulationConfig({ model }));
    expect(family({})).toBe(TWO_LAYER);
    expect(family({ depth: 1 })).toBe(TWO_LAYER);
    for (const model of [{ depth: 2 }, { activation: 'relu' }, { residual: false }, { residualScale: 0.5 }, { width: [8] }, { parameterization: 'mup' }, { parameterization: 'standard' }, { init: { kind: 'orthogonal' } }, { init: { weightVariance: 2 } }, { init: { biasVariance: 0 } }, { init: { edgeOfChaos: true } }] as const) {
      expect(family(model as SimulationConfigInput['model'])).toBe(DEEP);
    }
    expect(getEngine(DEEP, 'single-thread')).toBeDefined();
    expect(getEngine(DEEP, 'sharded')).toBeUndefined();
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['wasm', () => DeepSimulation.create({ model: { depth: 2, width: 4 }, train: { backend: 'wasm' } }, split), /^train\.backend: deep networks run on the reference backend only/],
    ['particles', () => DeepSimulation.create({ model: { depth: 2, width: 4 }, log: { particles: { every: 10 } } }, split), /^log\.particles\.every: particle snapshots are a two-layer feature/],
    ['two-layer config', () => new DeepSimulation(resolveSimulationConfig({ model: { width: 4 } }), split), /^model\.depth: DeepSimulation runs deep networks/],
    ['two-layer init key', () => DeepSimulation.create({ model: { depth: 2, width: 4, init: { sigmaA: 2 } } }, split), /^model\.init\.sigmaA: a two-layer init key; for deep networks set model\.init\.weightVariance/],
    ['sphere init', () => DeepSimulation.create({ model: { depth: 2, width: 4, init: { kind: 'sphere' } } }, split), /^model\.init\.kind: "sphere" is a two-layer init/],
    ['widths', () => DeepSimulation.create({ model: { depth: 3, width: [4, 4] } }, split), /^model\.width: expected one width per hidden layer \(model\.depth = 3\), got 2/],
    ['depth', () => DeepSimulation.create({ model: { depth: 0 } }, split), /^model\.depth: expected an integer ≥ 1, got 0/],
    ['edge of chaos, relu with σ_b²', () => DeepSimulation.create({ model: { depth: 2, width: 4, init: { edgeOfChaos: true, biasVariance: 0.1 } } }, split), /^model\.init\.biasVariance: the edge of chaos of relu has σ_b² = 0/],
    ['edge of chaos, σ_b² per layer', () => DeepSimulation.create({ model: { depth: 2, width: 4, activation: 'tanh', init: { edgeOfChaos: true, biasVariance: [0.1, 0.1] } } }, split), /^model\.init\.biasVariance: with edgeOfChaos, σ_b² is one number/],
    ['residualScale without residual', () => DeepSimulation.create({ model: { depth: 2, width: 4, residual: false, residualScale: 0.3 } }, split), /^model\.residualScale: β scales residual blocks, but model\.residual is false/],
    ['weightVariance list', () => DeepSimulation.create({ model: { depth: 2, width: 4, init: { weightVariance: [1, 2] } } }, split), /^model\.init\.weightVariance: expected one value per layer, L \+ 1 \(input, hidden…, output\) = 3, got 2/],
    ['ntk with k outputs', () => DeepSimulation.create({ model: { depth: 2, width: 4 }, loss: 'softmax', log: { ntk: { every: 5 } } }, randomClassSplit(8, 0, 2, 3, 1)), /^log\.ntk\.every: /],
    ['a two-layer resume', () => DeepSimulation.create({ model: { depth: 2, width: 4 } }, split, { params: { m: 4, D: 3, a: new Float64Array(12), b: new Float64Array(4) } as never }), /^params: expected the layers of a deep network/],
  ];
  for (const [what, call, message] of cases) {
    it(`${what}: one line naming the field`, () => {
      expect(call).toThrow(InvalidInputError);
      expect(call).toThrow(message);
    });
  }

  it('records the edge of chaos and scales the init by τ²', () => {
    const sim = DeepSimulation.create({ model: { depth: 4, width: 8, init: { edgeOfChaos: true, kind: 'orthogonal' } } }, split);
    expect(sim.init.edgeOfChaos).toEqual({ weightVariance: 2, biasVariance: 0 });
    expect(sim.modelInfo()).toMatchObject({ init: { kind: 'orthogonal', edgeOfChaos: { weightVariance: 2, biasVariance: 0 } } });
    const scaled = DeepSimulation.create({ model: { depth: 2, width: 8, init: { scale: 0.5, weightVariance: [1, 2, 3] } } }, split);
    expect(scaled.init.weightVariance).toEqual([0.25, 0.5, 0.75]);
  });
});
