import { describe, expect, it } from 'vitest';
import { InvalidInputError, Simulation, augmentInputs, initParams, makeDataset, resolveModelSpec } from '@mflab/core';
import { networkOutputs, relativeFrobeniusError, rootMeanSquareDifference, squareRisk } from './network.js';

describe('networkOutputs', () => {
  it("agrees with core's Simulation.predict (reference kernel) on stored parameters, to 1e-12", () => {
    const data = makeDataset({ kind: 'teacher', d: 3, n: 16, nTest: 32 }, 1);
    for (const parameterization of ['ntk', 'mean-field'] as const) {
      const model = { width: 40, parameterization };
      const params = initParams(resolveModelSpec(model).init, 40, 4, 5);
      const sim = Simulation.create({ model, train: { precision: 'f64', backend: 'reference' } }, data, { initialParams: params });
      const expected = sim.predict(data.test);
      const s = parameterization === 'ntk' ? 1 / Math.sqrt(40) : 1 / 40;
      const got = networkOutputs(params, s, augmentInputs(data.test, true));
      for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected[i])));
    }
  });

  it('rejects inputs of another dimension, naming them', () => {
    const data = makeDataset({ kind: 'teacher', d: 3, n: 4, nTest: 0 }, 1);
    const params = initParams(resolveModelSpec({ width: 2 }).init, 2, 5, 0);
    expect(() => networkOutputs(params, 1, augmentInputs(data.train, true))).toThrow(InvalidInputError);
    expect(() => networkOutputs(params, 1, augmentInputs(data.train, true))).toThrow(/^inputs\.D: /);
  });
});

describe('error measures', () => {
  it('compute RMSE, relative Frobenius error and the square risk of hand-checked examples', () => {
    expect(rootMeanSquareDifference([1, 2, 3, 4], [1, 2, 3, 0])).toBeCloseTo(2, 15); // √(16/4)
    expect(relativeFrobeniusError([3, 4], [0, 5])).toBeCloseTo(Math.sqrt(10) / 5, 15); // ‖(3, −1)‖/‖(0, 5)‖
    expect(squareRisk([1, -1], [0, 1])).toBeCloseTo((0.5 * 1 + 0.5 * 4) / 2, 15);
    expect(() => rootMeanSquareDifference([1], [1, 2])).toThrow(InvalidInputError);
  });
});
