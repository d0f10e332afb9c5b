/**
 * The update rules of optim/optimizer.ts against independent references: an AdamW written out
 * as torch.optim.AdamW's single-tensor step (lerp for m, √v/√(1−β₂ᵗ) + ε, decay first), run on
 * a coupled quadratic for 40 steps (≤ 1e-13 relative); heavy ball on f(w) = ½aw² against its
 * closed form w_t = c₁λ₁ᵗ + c₂λ₂ᵗ (roots of λ² − (1 + β − ηa)λ + β, ≤ 1e-12); sgd is today's
 * formula bit for bit and momentum with β = 0 is sgd bit for bit; the config keys' one-line errors.
 */
import { describe, expect, it } from 'vitest';
import { resolveSimulationConfig } from '../engine/config.js';
import { allocateOptimizerBuffers, optimizerStateEntries, restoreOptimizerState, updateSlice, type OptimizerSpec } from './optimizer.js';

const spec = (over: Partial<OptimizerSpec>): OptimizerSpec => ({ optimizer: 'sgd', momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8, ...over });

/** g = A w for a fixed symmetric positive definite A (a coupled quadratic ½ wᵀAw). */
function quadraticGradient(w: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (i === j ? 2 + i : 0.3 / (1 + Math.abs(i - j))) * w[j];
    out[i] = s;
  }
  return out;
}

/** torch.optim.AdamW, `_single_tensor_adamw` (non-capturable, amsgrad off, maximize off), on plain arrays. */
function torchAdamW(w: number[], steps: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number): number[] {
  const expAvg = w.map(() => 0);
  const expAvgSq = w.map(() => 0);
  const g = new Float64Array(w.length);
  for (let step = 1; step <= steps; step++) {
    quadraticGradient(w, g);
    for (let i = 0; i < w.length; i++) {
      w[i] *= 1 - lr * weightDecay; // param.mul_(1 - lr * weight_decay)
      expAvg[i] += (g[i] - expAvg[i]) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expAvgSq[i] = expAvgSq[i] * beta2 + (1 - beta2) * g[i] * g[i]; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const stepSize = lr / biasCorrection1;
      const denom = Math.sqrt(expAvgSq[i]) / Math.sqrt(biasCorrection2) + eps;
      w[i] -= stepSize * (expAvg[i] / denom); // param.addcdiv_(exp_avg, denom, value=-step_size)
    }
  }
  return w;
}

function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

describe('adam (AdamW, decoupled weight decay)', () => {
  it('follows torch.optim.AdamW written out independently, 40 steps on a coupled quadratic, to 1e-13', () => {
    const start = [1.5, -0.7, 0.2, 2.1, -1.3];
    const lr = 0.05;
    const weightDecay = 0.1;
    const rule = spec({ optimizer: 'adam', betas: [0.8, 0.95], eps: 1e-6 });
    const w = Float64Array.from(start);
    const g = new Float64Array(w.length);
    const state = allocateOptimizerBuffers('adam', w.length);
    // Two slices per step, as a block-wise engine calls it.
    for (let t = 1; t <= 40; t++) {
      quadraticGradient(w, g);
      const c = { lr, step: lr, shrink: 1 - lr * weightDecay };
      updateSlice(rule, w, g, state, 0, 2, c, t);
      updateSlice(rule, w, g, state, 2, 3, c, t);
    }
    const reference = torchAdamW([...start], 40, lr, 0.8, 0.95, 1e-6, weightDecay);
    expect(relativeMaxError(w, reference)).toBeLessThanOrEqual(1e-13);
    // It moved far from the start (not two frozen copies).
    expect(relativeMaxError(w, start)).toBeGreaterThan(0.3);
  });

  it("first step moves every coordinate by lr · g/(|g| + ε) (the bias-corrected moments are g and g²)", () => {
    const w = Float64Array.of(1, 1, 1);
    const g = Float64Array.of(3e-3, -2, 1e-9);
    updateSlice(spec({ optimizer: 'adam' }), w, g, allocateOptimizerBuffers('adam', 3), 0, 3, { lr: 0.1, step: 0.1, shrink: 1 }, 1);
    for (let i = 0; i < 3; i++) expect(w[i]).toBeCloseTo(1 - (0.1 * g[i]) / (Math.abs(g[i]) + 1e-8), 12);
  });
});

describe('momentum (heavy ball, PyTorch buffer convention v ← βv + g)', () => {
  it('on f(w) = ½aw² follows the closed form c₁λ₁ᵗ + c₂λ₂ᵗ for 60 steps, to 1e-12', () => {
    const a = 1.3;
    const eta = 0.1;
    const beta = 0.2;
    // [w; v] ← [[1 − ηa, −ηβ], [a, β]] [w; v]: characteristic polynomial λ² − (1 + β − ηa)λ + β.
    const trace = 1 + beta - eta * a;
    const disc = Math.sqrt(trace * trace - 4 * beta);
    const l1 = (trace + disc) / 2;
    const l2 = (trace - disc) / 2;
    // w₀ = 1, w₁ = 1 − ηa (v₀ = 0).
    const c1 = (1 - eta * a - l2) / (l1 - l2);
    const c2 = 1 - c1;
    const w = Float64Array.of(1);
    const g = new Float64Array(1);
    const state = allocateOptimizerBuffers('momentum', 1);
    for (let t = 1; t <= 60; t++) {
      g[0] = a * w[0];
      updateSlice(spec({ optimizer: 'momentum', momentum: beta }), w, g, state, 0, 1, { lr: eta, step: eta, shrink: 1 }, t);
      const exact = c1 * l1 ** t + c2 * l2 ** t;
      expect(Math.abs(w[0] - exact)).toBeLessThanOrEqual(1e-12 * Math.max(1e-3, Math.abs(exact)));
    }
  });

  it('with β = 0 is sgd bit for bit, and sgd is w ← shrink·w − step·g bit for bit', () => {
    const w0 = Float64Array.from({ length: 9 }, (_, i) => Math.sin(i + 1));
    const g = Float64Array.from({ length: 9 }, (_, i) => Math.cos(3 * i));
    const c = { lr: 0.3, step: 0.3 * 0.77, shrink: 1 - 0.3 * 0.01 };
    const sgd = Float64Array.from(w0);
    const heavy = Float64Array.from(w0);
    updateSlice(spec({}), sgd, g, allocateOptimizerBuffers('sgd', 9), 0, 9, c, 1);
    updateSlice(spec({ optimizer: 'momentum', momentum: 0 }), heavy, g, allocateOptimizerBuffers('momentum', 9), 0, 9, c, 1);
    const today = w0.map((v, q) => c.shrink * v - c.step * g[q]);
    expect(Buffer.from(sgd.buffer).equals(Buffer.from(today.buffer))).toBe(true);
    expect(Buffer.from(heavy.buffer).equals(Buffer.from(today.buffer))).toBe(true);
  });
});

describe('optimizer state in the checkpoint form', () => {
  it('round-trips through optimizerStateEntries / restoreOptimizerState; a wrong size is a one-line error', () => {
    const state = { a: allocateOptimizerBuffers('adam', 3), b: allocateOptimizerBuffers('adam', 2) };
    state.a.first.set([1, 2, 3]);
    state.b.second.set([4, 5]);
    const entries = optimizerStateEntries('adam', state);
    expect(Object.keys(entries).sort()).toEqual(['optimizer.first.a', 'optimizer.first.b', 'optimizer.second.a', 'optimizer.second.b']);
    const copy = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Float64Array.from(v)]));
    const fresh = { a: allocateOptimizerBuffers('adam', 3), b: allocateOptimizerBuffers('adam', 2) };
    restoreOptimizerState('adam', fresh, copy);
    expect(Array.from(fresh.a.first)).toEqual([1, 2, 3]);
    expect(Array.from(fresh.b.second)).toEqual([4, 5]);
    expect(() => restoreOptimizerState('adam', fresh, { ...copy, 'optimizer.first.a': new Float64Array(2) })).toThrow(/^optimizerState\.optimizer\.first\.a: expected 3 values of the adam state[^\n]*$/);
    expect(() => restoreOptimizerState('momentum', { a: allocateOptimizerBuffers('momentum', 3) }, {})).toThrow(/^optimizerState\.optimizer\.first\.a: /);
    expect(optimizerStateEntries('sgd', state)).toEqual({});
  });
});

describe('train.optimizer and its keys', () => {
  it('default to sgd, momentum 0.9, betas [0.9, 0.999], eps 1e-8', () => {
    const { train } = resolveSimulationConfig({});
    expect([train.optimizer, train.momentum, train.betas, train.eps]).toEqual(['sgd', 0.9, [0.9, 0.999], 1e-8]);
    // A resolved config resolves again (it carries every default, for every optimizer).
    expect(resolveSimulationConfig({ train }).train).toEqual(train);
    expect(resolveSimulationConfig({ train: { optimizer: 'adam', betas: [0.5, 0.9], eps: 1e-6 } }).train).toMatchObject({ optimizer: 'adam', betas: [0.5, 0.9], eps: 1e-6 });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown optimizer', { optimizer: 'rmsprop' }, /^train\.optimizer: expected one of "sgd", "momentum", "adam", got "rmsprop"$/],
    ['momentum ≥ 1', { optimizer: 'momentum', momentum: 1 }, /^train\.momentum: expected a number in \[0, 1\), got 1$/],
    ['one beta', { optimizer: 'adam', betas: [0.9] }, /^train\.betas: expected two numbers in \[0, 1\) \(β₁, β₂\), got \[0\.9\]$/],
    ['a beta of 1', { optimizer: 'adam', betas: [0.9, 1] }, /^train\.betas: expected two numbers in \[0, 1\)/],
    ['eps 0', { optimizer: 'adam', eps: 0 }, /^train\.eps: expected a finite number > 0, got 0$/],
    ['momentum ≠ its default with sgd', { momentum: 0.5 }, /^train\.momentum: is a hyperparameter of optimizer momentum, but train\.optimizer is sgd; set train\.optimizer: momentum or leave train\.momentum out$/],
    ['betas with momentum', { optimizer: 'momentum', betas: [0.9, 0.99] }, /^train\.betas: is a hyperparameter of optimizer adam, but train\.optimizer is momentum/],
    ['adam on wasm', { optimizer: 'adam', backend: 'wasm' }, /^train\.backend: optimizer adam runs on the reference or native backend only \(the fused wasm kernels[^\n]*use auto, reference or native, or optimizer sgd$/],
    ['momentum in f32', { optimizer: 'momentum', precision: 'f32' }, /^train\.precision: optimizer momentum runs in float64 only \(reference or native backend\); use f64, or optimizer sgd$/],
  ];
  for (const [what, train, message] of bad) {
    it(`${what}: one line naming the field`, () => {
      expect(() => resolveSimulationConfig({ train: train as never })).toThrow(message);
    });
  }
});
