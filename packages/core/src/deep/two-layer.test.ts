/**
 * L = 1 is §1's two-layer network (ARCHITECTURE.md §7, issue 15's acceptance): with the spec
 * and init of `deepSpecOfTwoLayer`, the deep model's w(0) is the two-layer init bit for bit, and
 * 50 GD steps of `deepGdStep` follow core's Simulation (reference backend, f64) to 1e-12
 * (max |Δ| / max |reference|, parameters and outputs), for mean-field, ntk and lazy, square,
 * logistic and softmax (k = 3) losses, with weight decay. `mup` follows mean-field too, up to
 * TP4's symmetry (compared through the effective weights μ_l w_l).
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../engine/simulation.js';
import { augmentInputs } from '../model/inputs.js';
import { randomClassSplit, randomSplit } from '../testing/fixtures.js';
import type { DataSplit, LossName, Parameterization } from '../types.js';
import { initDeepParams } from './init.js';
import { deepForward, deepGdStep } from './network.js';
import { deepCoefficients } from './scaling.js';
import { resolveDeepSpec } from './spec.js';
import { deepSpecOfTwoLayer, twoLayerParamsFromDeep } from './two-layer.js';

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** max |a − b| / max |b|. */
function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / maxAbs(b);
}

const STEPS = 50;
const m = 16;
const d = 3;

function dataFor(loss: LossName): { data: DataSplit; k: number } {
  if (loss === 'softmax') return { data: randomClassSplit(24, 0, d, 3, 5), k: 3 };
  return { data: randomSplit(24, 0, d, 5, loss === 'logistic' ? 'classification' : 'regression'), k: 1 };
}

function simulation(parameterization: Parameterization, loss: LossName, data: DataSplit, lr: number, weightDecay: number, bias: boolean): Simulation {
  return Simulation.create(
    {
      seed: 3,
      model: { width: m, parameterization, alpha: 4, bias, init: { scale: 0.9, sigmaA: 1.2, sigmaB: 0.8 } },
      loss,
      train: { steps: STEPS, lr, weightDecay, backend: 'reference', precision: 'f64' },
      log: { particles: { every: 0 }, ntk: { every: 0 } },
    },
    data,
  );
}

const CASES: [Parameterization, LossName, boolean][] = [
  ['mean-field', 'square', true],
  ['mean-field', 'logistic', true],
  ['mean-field', 'softmax', false],
  ['ntk', 'square', false],
  ['ntk', 'logistic', true],
  ['ntk', 'softmax', true],
  ['lazy', 'square', true],
  ['lazy', 'softmax', true],
];

describe('L = 1 reproduces the two-layer engine (reference, f64) to 1e-12 over 50 GD steps', () => {
  for (const [parameterization, loss, bias] of CASES) {
    it(`${parameterization}, ${loss}, bias ${bias}, λ = 0.02`, () => {
      const { data, k } = dataFor(loss);
      const lr = parameterization === 'ntk' ? 0.5 : 0.2;
      const sim = simulation(parameterization, loss, data, lr, 0.02, bias);
      const { spec, init } = deepSpecOfTwoLayer(sim.config.model, d, k);
      const w = initDeepParams(spec, init, sim.config.seed);
      // Same start, bit for bit.
      const start = twoLayerParamsFromDeep(spec, w);
      expect(Array.from(start.a)).toEqual(Array.from(sim.params.a));
      expect(Array.from(start.b)).toEqual(Array.from(sim.params.b));
      const inputs = augmentInputs(data.train, bias);
      const f0 = deepForward(spec, w, inputs).f;
      expect(relativeMaxError(f0, sim.trainOutputs())).toBeLessThanOrEqual(1e-15);
      const risk0 = sim.observe().risk_train;
      for (let t = 0; t < STEPS; t++) deepGdStep(spec, w, inputs, data.train.y, loss, { lr, weightDecay: 0.02 });
      sim.step(STEPS);
      const end = twoLayerParamsFromDeep(spec, w);
      expect(relativeMaxError(end.a, sim.params.a)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(end.b, sim.params.b)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(deepForward(spec, w, inputs).f, sim.trainOutputs())).toBeLessThanOrEqual(1e-12);
      // The run moved: agreement is not two frozen copies.
      expect(sim.observe().risk_train).toBeLessThan(0.95 * risk0);
    });
  }

  for (const loss of ['square', 'softmax'] as const) {
    it(`mup follows mean-field up to the symmetry: μ_1 w_1 = a, μ_2 w_2 = s·b (${loss}, 50 steps, 1e-12)`, () => {
      const { data, k } = dataFor(loss);
      const sim = simulation('mean-field', loss, data, 0.2, 0.02, true);
      const { init } = deepSpecOfTwoLayer(sim.config.model, d, k);
      const spec = resolveDeepSpec({ d, depth: 1, width: m, outputs: k, scaling: 'mup' });
      const w = initDeepParams(spec, init, sim.config.seed);
      const inputs = augmentInputs(data.train, true);
      for (let t = 0; t < STEPS; t++) deepGdStep(spec, w, inputs, data.train.y, loss, { lr: 0.2, weightDecay: 0.02 });
      sim.step(STEPS);
      const co = deepCoefficients(spec);
      const W1 = w.weights[0].map((v) => co.weights[0].multiplier * v);
      const W2 = twoLayerParamsFromDeep(spec, w).b.map((v) => co.weights[1].multiplier * v);
      const sb = sim.params.b.map((v) => v / m);
      expect(relativeMaxError(W1, sim.params.a)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(W2, sb)).toBeLessThanOrEqual(1e-12);
      expect(relativeMaxError(deepForward(spec, w, inputs).f, sim.trainOutputs())).toBeLessThanOrEqual(1e-12);
    });
  }
});
