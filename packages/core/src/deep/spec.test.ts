/**
 * The abc presets against their sources (TP4 Definition 5.1, TP5 Table 3, the symmetry of TP4
 * Eq. 5), the spec's validation, and the exact L = 1 correspondence of the coefficients with
 * §1's scalingOf (ARCHITECTURE.md §7).
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { scalingOf } from '../model/scaling.js';
import { deepCoefficients, widthPower } from './scaling.js';
import { ABC_PRESETS, DEEP_PRESETS, isResidualBlock, presetLayers, resolveDeepSpec, type AbcExponents, type AbcTable } from './spec.js';

type Rule = 'sgd' | 'adam';
/** TP4 Eq. (5): (a, b, c) → (a + θ, b − θ, c − 2θ) for SGD; c − θ for Adam. */
const move = (e: AbcExponents, theta: number, rule: Rule): AbcExponents => ({ a: e.a + theta, b: e.b - theta, c: e.c - (rule === 'sgd' ? 2 : 1) * theta });

/** TP5 Table 3, μP column, in width exponents (every multiplier 1: a = 0). */
const TP5_TABLE3_MUP: Record<Rule, AbcTable> = {
  sgd: { input: { a: 0, b: 0, c: -1 }, hidden: { a: 0, b: 0.5, c: 0 }, output: { a: 0, b: 1, c: 1 } },
  adam: { input: { a: 0, b: 0, c: 0 }, hidden: { a: 0, b: 0.5, c: 1 }, output: { a: 0, b: 1, c: 1 } },
};
/** TP5 Table 3, SP column: init var 1/fan_in, learning rates 1. */
const TP5_TABLE3_SP: AbcTable = { input: { a: 0, b: 0, c: 0 }, hidden: { a: 0, b: 0.5, c: 0 }, output: { a: 0, b: 0.5, c: 0 } };

describe('abc presets', () => {
  it('mup (SGD) is TP4 Definition 5.1', () => {
    expect(ABC_PRESETS.mup.sgd).toEqual({ input: { a: -0.5, b: 0.5, c: 0 }, hidden: { a: 0, b: 0.5, c: 0 }, output: { a: 0.5, b: 0.5, c: 0 } });
  });

  for (const rule of ['sgd', 'adam'] as const) {
    it(`mup (${rule}) is TP5 Table 3's μP moved by the symmetry (θ = −½ input, 0 hidden, ½ output)`, () => {
      const t = TP5_TABLE3_MUP[rule];
      expect(ABC_PRESETS.mup[rule]).toEqual({ input: move(t.input, -0.5, rule), hidden: move(t.hidden, 0, rule), output: move(t.output, 0.5, rule) });
    });

    it(`mean-field (${rule}) is mup moved by θ = ½ in every layer`, () => {
      const t = ABC_PRESETS.mup[rule];
      expect(ABC_PRESETS['mean-field'][rule]).toEqual({ input: move(t.input, 0.5, rule), hidden: move(t.hidden, 0.5, rule), output: move(t.output, 0.5, rule) });
    });

  }

  it('ntk (SGD) is TP4 NTP, and not standard moved by the symmetry (SP with c = 0 is NTP with c = −1)', () => {
    const sp = ABC_PRESETS.standard.sgd;
    expect(ABC_PRESETS.ntk.sgd).toEqual({ input: sp.input, hidden: { ...move(sp.hidden, 0.5, 'sgd'), c: 0 }, output: { ...move(sp.output, 0.5, 'sgd'), c: 0 } });
    expect(move(sp.hidden, 0.5, 'sgd').c).toBe(-1);
  });

  it('ntk (Adam) is the derived kernel-regime row: c = (½, 1, ½) with NTP’s a, b', () => {
    expect(ABC_PRESETS.ntk.adam).toEqual({ input: { a: 0, b: 0, c: 0.5 }, hidden: { a: 0.5, b: 0, c: 1 }, output: { a: 0.5, b: 0, c: 0.5 } });
  });

  it('standard is TP5 Table 3 SP for both optimizers', () => {
    expect(ABC_PRESETS.standard.sgd).toEqual(TP5_TABLE3_SP);
    expect(ABC_PRESETS.standard.adam).toEqual(TP5_TABLE3_SP);
  });

  it('every preset satisfies TP4 Theorem 3.3 stability at init: a_1 + b_1 = 0, a_l + b_l = ½ (hidden), a_{L+1} + b_{L+1} ≥ ½', () => {
    for (const p of DEEP_PRESETS) {
      const t = ABC_PRESETS[p].sgd;
      expect(t.input.a + t.input.b).toBe(0);
      expect(t.hidden.a + t.hidden.b).toBe(0.5);
      expect(t.output.a + t.output.b).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('presetLayers lays out input, L − 1 hidden rows, output', () => {
    const rows = presetLayers('mup', 3);
    expect(rows).toEqual([ABC_PRESETS.mup.sgd.input, ABC_PRESETS.mup.sgd.hidden, ABC_PRESETS.mup.sgd.hidden, ABC_PRESETS.mup.sgd.output]);
  });
});

describe('resolveDeepSpec', () => {
  it('fills the defaults', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 4, width: 8 });
    expect(spec).toMatchObject({ D: 4, widths: [8, 8, 8, 8], outputs: 1, activation: 'relu', bias: true, residual: false, residualScale: 0.5, preset: 'mean-field', kappa: 1, outputMultiplier: 1, inputFanIn: 'one' });
    expect(spec.layers).toEqual(presetLayers('mean-field', 4));
    expect(spec.biasExponents).toEqual(ABC_PRESETS['mean-field'].sgd.input);
  });

  it('names the field in its errors', () => {
    expect(() => resolveDeepSpec({ d: 3, depth: 0, width: 8 })).toThrow('model.depth: expected an integer ≥ 1, got 0');
    expect(() => resolveDeepSpec({ d: 3, depth: 2, width: [8] })).toThrow('model.width: expected one width per hidden layer (2), got 1');
    expect(() => resolveDeepSpec({ d: 3, depth: 2, width: [8, 0] })).toThrow('model.width[1]');
    expect(() => resolveDeepSpec({ d: 3, depth: 2, width: 8, scaling: 'lazy' as never })).toThrow('model.scaling');
    expect(() => resolveDeepSpec({ d: 3, depth: 2, width: 8, scaling: { layers: [{ a: 0, b: 0, c: 0 }] } })).toThrow('model.scaling.layers: expected L + 1 = 3 rows');
    expect(() => resolveDeepSpec({ d: 3, depth: 2, width: 8, depht: 3 } as never)).toThrow(InvalidInputError);
  });

  it('takes exponents per layer', () => {
    const layers = [{ a: 0.1, b: 0.2, c: 0.3 }, { a: 0.4, b: 0.1, c: -0.2 }, { a: 0.7, b: 0, c: 1 }];
    const spec = resolveDeepSpec({ d: 2, depth: 2, width: [5, 7], scaling: { layers, bias: { a: 0, b: 0.5, c: 0 } } });
    expect(spec.preset).toBeNull();
    expect(spec.layers).toEqual(layers);
    const co = deepCoefficients(spec);
    // Bases: input m_1 = 5, hidden fan-in 5, output fan-in 7, hidden bias its length 7.
    expect(co.weights.map((t) => t.base)).toEqual([5, 5, 7]);
    expect(co.weights[2].multiplier).toBeCloseTo(Math.pow(7, -0.7), 15);
    expect(co.biases[1]?.initScale).toBeCloseTo(1 / Math.sqrt(7), 15);
    expect(co.biases[0]).toBeNull();
    expect(co.biases[2]).toBeNull();
  });

  it('makes residual blocks of the square hidden layers only', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 4, width: [5, 5, 4, 4], residual: true });
    expect([0, 1, 2, 3].map((l) => isResidualBlock(spec, l))).toEqual([false, true, false, true]);
  });
});

describe('coefficients', () => {
  it('widthPower is exactly 1/√n, √n, 1/n, n for the presets’ exponents', () => {
    for (const n of [3, 64, 1000]) {
      expect(widthPower(n, -0.5)).toBe(1 / Math.sqrt(n));
      expect(widthPower(n, 0.5)).toBe(Math.sqrt(n));
      expect(widthPower(n, -1)).toBe(1 / n);
      expect(widthPower(n, 1)).toBe(n);
      expect(widthPower(n, 0)).toBe(1);
    }
  });

  for (const parameterization of ['mean-field', 'ntk'] as const) {
    it(`L = 1 ${parameterization}: μ_2, γ_l, ρ_l are §1's s, γ, ρ exactly, and μ_1 = 1`, () => {
      for (const m of [1, 7, 100, 4096]) {
        const co = deepCoefficients(resolveDeepSpec({ d: 3, depth: 1, width: m, scaling: parameterization }));
        const { s, gamma, rho } = scalingOf({ width: m, parameterization, alpha: 1 });
        expect(co.weights[0].multiplier).toBe(1);
        expect(co.weights[0].initScale).toBe(1);
        expect(co.weights[1].multiplier).toBe(s);
        for (const t of co.weights) {
          expect(t.lrFactor).toBe(gamma);
          expect(t.decayWeight).toBe(rho);
        }
      }
    });
  }

  it('γ_l ρ_l = 1 in every tensor of every preset', () => {
    for (const scaling of DEEP_PRESETS) {
      const co = deepCoefficients(resolveDeepSpec({ d: 3, depth: 3, width: [16, 32, 8], scaling }));
      for (const t of [...co.weights, ...co.biases]) if (t) expect(t.lrFactor * t.decayWeight).toBeCloseTo(1, 14);
    }
  });
});
