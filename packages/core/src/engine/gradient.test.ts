import { describe, expect, it } from 'vitest';
import { lossValue } from '../loss.js';
import { initParams } from '../model/init.js';
import { cloneParams, type NetworkParams } from '../model/params.js';
import { resolveModelSpec, twoLayerModel } from '../model/spec.js';
import { scalingOf } from '../model/scaling.js';
import { CounterRng } from '../random/index.js';
import { randomSplit, relativeError } from '../testing/fixtures.js';
import type { Dataset, LossName, Parameterization } from '../types.js';
import { resolveSimulationConfig, type SimulationConfig } from './config.js';
import { Simulation } from './simulation.js';

/**
 * F(w) of eq. (2) written out directly from ARCHITECTURE.md §1, sharing no code with the
 * engine: the independent reference for the gradient the step applies.
 */
function naiveObjective(config: SimulationConfig, data: Dataset, w: NetworkParams, w0: NetworkParams): number {
  const model = twoLayerModel(config.model);
  const { s, kappa, rho } = scalingOf(model);
  const net = (p: NetworkParams, i: number) => {
    let f = 0;
    for (let j = 0; j < p.m; j++) {
      let z = 0;
      for (let k = 0; k < data.d; k++) z += p.a[j * p.D + k] * data.x[i * data.d + k];
      if (model.bias) z += p.a[j * p.D + data.d];
      f += p.b[j] * Math.max(z, 0);
    }
    return s * f;
  };
  let risk = 0;
  for (let i = 0; i < data.n; i++) {
    const f = net(w, i) - (model.centered ? net(w0, i) : 0);
    risk += lossValue(config.loss, f, data.y[i]);
  }
  risk /= data.n;
  let norm2 = 0;
  for (let j = 0; j < w.m; j++) {
    norm2 += w.b[j] ** 2;
    for (let k = 0; k < w.D; k++) norm2 += w.a[j * w.D + k] ** 2;
  }
  return kappa * risk + 0.5 * config.train.weightDecay * rho * norm2;
}

/** Central finite differences of the naive objective over every parameter. */
function finiteDifferenceGradient(config: SimulationConfig, data: Dataset, w: NetworkParams, w0: NetworkParams, h: number): Float64Array {
  const flat = [w.a, w.b];
  const grad = new Float64Array(w.a.length + w.b.length);
  let g = 0;
  for (const arr of flat) {
    for (let k = 0; k < arr.length; k++) {
      const keep = arr[k];
      arr[k] = keep + h;
      const up = naiveObjective(config, data, w, w0);
      arr[k] = keep - h;
      const down = naiveObjective(config, data, w, w0);
      arr[k] = keep;
      grad[g++] = (up - down) / (2 * h);
    }
  }
  return grad;
}

/** The gradient the engine applies: one step with η = 1 moves w by −γ∇F. */
function engineGradient(config: SimulationConfig, split: ReturnType<typeof randomSplit>, w: NetworkParams, w0: NetworkParams): Float64Array {
  const sim = new Simulation(config, split, { initialParams: w0, params: w });
  sim.step(1);
  const gamma = sim.scaling.gamma;
  const grad = new Float64Array(w.a.length + w.b.length);
  for (let k = 0; k < w.a.length; k++) grad[k] = (w.a[k] - sim.params.a[k]) / gamma;
  for (let j = 0; j < w.m; j++) grad[w.a.length + j] = (w.b[j] - sim.params.b[j]) / gamma;
  return grad;
}

/** w(0) and a point w ≠ w(0) nearby, so that centering matters. */
function paramsPair(m: number, D: number, seed: number): { w0: NetworkParams; w: NetworkParams } {
  const w0 = initParams(resolveModelSpec().init, m, D, seed);
  const w = cloneParams(w0);
  const rng = new CounterRng(seed + 99, 77);
  for (let k = 0; k < w.a.length; k++) w.a[k] += 0.3 * rng.at(k).normal();
  for (let j = 0; j < m; j++) w.b[j] += 0.3 * rng.at(10_000 + j).normal();
  return { w0, w };
}

const parameterizations: [Parameterization, number][] = [['mean-field', 1], ['ntk', 1], ['lazy', 3]];
const losses: LossName[] = ['square', 'logistic'];

describe('gradient of F (eq. 2) applied by the reference step', () => {
  for (const [parameterization, alpha] of parameterizations) {
    for (const loss of losses) {
      for (const bias of [true, false]) {
        for (const centered of [false, true]) {
          it(`${parameterization}${parameterization === 'lazy' ? ` α=${alpha}` : ''}, ${loss}, bias=${bias}, centered=${centered}: agrees with central finite differences (rel < 1e-6)`, () => {
            const m = 6;
            const d = 3;
            const config = resolveSimulationConfig({
              seed: 5,
              model: { width: m, parameterization, alpha, bias, centered },
              loss,
              train: { lr: 1, weightDecay: 0.05 },
            });
            const split = randomSplit(9, 0, d, 11, loss === 'logistic' ? 'classification' : 'regression');
            const { w0, w } = paramsPair(m, bias ? d + 1 : d, 3);
            const fd = finiteDifferenceGradient(config, split.train, cloneParams(w), w0, 1e-6);
            const engine = engineGradient(config, split, w, w0);
            expect(relativeError(engine, fd)).toBeLessThan(1e-6);
          });
        }
      }
    }
  }
});
