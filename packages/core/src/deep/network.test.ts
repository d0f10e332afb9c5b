/**
 * The deep reference model's forward pass and gradient against an independently written F(θ)
 * (ARCHITECTURE.md §7; issue 15's acceptance): for every (preset × activation × residual ×
 * loss), L = 1..3, d = 3, widths 4–6, n = 5, f64, the backpropagated gradient of every weight and
 * bias tensor matches central finite differences of the naive F with relative error < 1e-6
 * (‖g − g_fd‖ / ‖g_fd‖ per tensor), and the forward outputs agree to 1e-13.
 *
 * The naive F shares no code with network.ts: per-sample scalar loops over nested arrays, its
 * own activations (tanh from exp, erf by Gauss–Legendre quadrature), its own losses and Math.pow
 * for the abc multipliers; it reads only the spec's fields and the parameter layout.
 */
import { describe, expect, it } from 'vitest';
import { CounterRng } from '../random/index.js';
import type { LossName } from '../types.js';
import { initDeepParams, resolveDeepInit } from './init.js';
import { deepForward, deepGdStep, deepGradient } from './network.js';
import { cloneDeepParams, type DeepParams } from './params.js';
import { DEEP_ACTIVATIONS, DEEP_PRESETS, resolveDeepSpec, type DeepActivation, type DeepSpec, type DeepSpecInput } from './spec.js';

/** 5-point Gauss–Legendre nodes and weights on [−1, 1] (Abramowitz & Stegun 25.4.30). */
const GL_NODES = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
const GL_WEIGHTS = [0.5688888888888889, 0.47862867049936647, 0.47862867049936647, 0.23692688505618908, 0.23692688505618908];

/** erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt by composite 5-point Gauss–Legendre on 64 panels (error far below 1e-15 for |x| ≤ 10). */
function quadratureErf(x: number): number {
  const panels = 64;
  const h = x / panels;
  let sum = 0;
  for (let p = 0; p < panels; p++) {
    const mid = (p + 0.5) * h;
    for (let q = 0; q < 5; q++) {
      const t = mid + 0.5 * h * GL_NODES[q];
      sum += GL_WEIGHTS[q] * Math.exp(-t * t);
    }
  }
  return (2 / Math.sqrt(Math.PI)) * 0.5 * h * sum;
}

function naivePhi(phi: DeepActivation, z: number): number {
  if (phi === 'relu') return Math.max(z, 0);
  if (phi === 'tanh') {
    const e = Math.exp(2 * z);
    return (e - 1) / (e + 1);
  }
  if (phi === 'erf') return quadratureErf(z);
  return z;
}

interface Problem {
  readonly x: number[][];
  readonly y: number[];
}

/** F(θ) = κ R + (λ/2) Σ ρ ‖w‖², written from the definitions in network.ts's comment and scaling.ts's. */
function naiveObjective(spec: DeepSpec, p: DeepParams, data: Problem, loss: LossName, lambda: number): number {
  const L = spec.depth;
  const k = spec.outputs;
  const m = spec.widths;
  const base = (l: number) => (l === 0 ? m[0] : m[l - 1]);
  const mult = (l: number) => Math.pow(base(l), -spec.layers[l].a) * (l === L ? spec.outputMultiplier : 1);
  const multB = (l: number) => Math.pow(m[l], -spec.biasExponents.a);
  let risk = 0;
  for (let i = 0; i < data.x.length; i++) {
    const xt = spec.bias ? [...data.x[i], 1] : [...data.x[i]];
    let z: number[] = [];
    for (let j = 0; j < m[0]; j++) {
      let s = 0;
      for (let q = 0; q < xt.length; q++) s += p.weights[0][j * xt.length + q] * xt[q];
      z.push(mult(0) * s);
    }
    for (let l = 1; l < L; l++) {
      const h = z.map((v) => naivePhi(spec.activation, v));
      const next: number[] = [];
      for (let j = 0; j < m[l]; j++) {
        let s = 0;
        for (let q = 0; q < m[l - 1]; q++) s += p.weights[l][j * m[l - 1] + q] * h[q];
        let branch = mult(l) * s + (spec.bias ? multB(l) * p.biases[l][j] : 0);
        if (spec.residual && m[l] === m[l - 1]) branch = z[j] + spec.residualScale * branch;
        next.push(branch);
      }
      z = next;
    }
    const h = z.map((v) => naivePhi(spec.activation, v));
    const f: number[] = [];
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < m[L - 1]; j++) s += p.weights[L][c * m[L - 1] + j] * h[j];
      f.push(mult(L) * s);
    }
    const y = data.y[i];
    if (loss === 'logistic') risk += Math.log(1 + Math.exp(-y * f[0]));
    else if (loss === 'softmax') risk += Math.log(f.reduce((acc, v) => acc + Math.exp(v), 0)) - f[y];
    else if (k === 1) risk += 0.5 * (f[0] - y) ** 2;
    else risk += 0.5 * f.reduce((acc, v, c) => acc + (v - (c === y ? 1 : 0)) ** 2, 0);
  }
  risk /= data.x.length;
  let decay = 0;
  for (let l = 0; l <= L; l++) {
    const rho = Math.pow(base(l), spec.layers[l].c);
    for (const v of p.weights[l]) decay += rho * v * v;
    if (l >= 1 && l < L && spec.bias) {
      const rhoB = Math.pow(m[l], spec.biasExponents.c);
      for (const v of p.biases[l]) decay += rhoB * v * v;
    }
  }
  return spec.kappa * risk + 0.5 * lambda * decay;
}

function makeProblem(n: number, d: number, loss: LossName, k: number, seed: number): Problem {
  const rng = new CounterRng(seed, 3001);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    x.push(Array.from({ length: d }, () => draws.normal()));
    const u = draws.uniform();
    y.push(loss === 'logistic' ? (u < 0.5 ? -1 : 1) : k > 1 ? Math.floor(u * k) : 2 * u - 1);
  }
  return { x, y };
}

function inputsOf(spec: DeepSpec, data: Problem) {
  const n = data.x.length;
  const x = new Float64Array(n * spec.D);
  data.x.forEach((row, i) => {
    row.forEach((v, q) => (x[i * spec.D + q] = v));
    if (spec.bias) x[i * spec.D + spec.d] = 1;
  });
  return { n, D: spec.D, x };
}

/** Initial parameters moved off the init a little (so no symmetry or zero hides a term). */
function testParams(spec: DeepSpec, seed: number): DeepParams {
  const p = initDeepParams(spec, resolveDeepInit(spec, { weightVariance: 1, biasVariance: 0.5 }), seed);
  const rng = new CounterRng(seed, 3002);
  let t = 0;
  for (const arr of [...p.weights, ...p.biases]) for (let q = 0; q < arr.length; q++) arr[q] += 0.1 * rng.at(t++).normal() * (Math.abs(arr[q]) + 0.1);
  return p;
}

/** Per-tensor relative errors ‖g − g_fd‖/‖g_fd‖ of central differences (step h) of the naive F. */
function fdErrors(spec: DeepSpec, p: DeepParams, data: Problem, loss: LossName, lambda: number, g: DeepParams, h = 1e-6): number[] {
  const errors: number[] = [];
  const probe = cloneDeepParams(p);
  const tensors = [...probe.weights.map((w, l) => [w, g.weights[l]] as const), ...probe.biases.map((b, l) => [b, g.biases[l]] as const)];
  for (const [arr, grad] of tensors) {
    if (arr.length === 0) continue;
    let num = 0;
    let den = 0;
    for (let q = 0; q < arr.length; q++) {
      const v = arr[q];
      arr[q] = v + h;
      const fp = naiveObjective(spec, probe, data, loss, lambda);
      arr[q] = v - h;
      const fm = naiveObjective(spec, probe, data, loss, lambda);
      arr[q] = v;
      const fd = (fp - fm) / (2 * h);
      num += (grad[q] - fd) ** 2;
      den += fd * fd;
    }
    errors.push(Math.sqrt(num) / Math.sqrt(den));
  }
  return errors;
}

const WIDTHS: Record<number, number[]> = { 1: [5], 2: [6, 6], 3: [5, 5, 4] };
const LOSSES: [LossName, number][] = [
  ['square', 1],
  ['logistic', 1],
  ['softmax', 3],
];

describe('gradient of F against central finite differences of an independent F (f64, rel. < 1e-6 per tensor)', () => {
  for (const scaling of DEEP_PRESETS) {
    for (const activation of DEEP_ACTIVATIONS) {
      for (const residual of [false, true]) {
        for (const [loss, k] of LOSSES) {
          it(`${scaling}, ${activation}, residual ${residual}, ${loss} (k = ${k}), L = 1..3`, () => {
            for (const depth of [1, 2, 3]) {
              const spec = resolveDeepSpec({ d: 3, depth, width: WIDTHS[depth], outputs: k, activation, residual, scaling });
              const data = makeProblem(5, 3, loss, k, 10 * depth + k);
              const p = testParams(spec, depth);
              const lambda = 0.03;
              const inputs = inputsOf(spec, data);
              const y = Float64Array.from(data.y);
              const result = deepGradient(spec, p, inputs, y, loss, lambda);
              expect(Math.abs(result.objective - naiveObjective(spec, p, data, loss, lambda))).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(result.objective)));
              const errors = fdErrors(spec, p, data, loss, lambda, result.grad);
              expect(errors.length).toBe(depth + 1 + (depth - 1));
              for (const e of errors) expect(e).toBeLessThan(1e-6);
            }
          });
        }
      }
    }
  }

  it('general exponents, κ ≠ 1, an output multiplier, square loss on k = 2 one-hot targets, no bias', () => {
    const input: DeepSpecInput = {
      d: 3,
      depth: 3,
      width: [4, 4, 6],
      outputs: 2,
      activation: 'tanh',
      residual: true,
      residualScale: 0.7,
      bias: false,
      kappa: 0.4,
      outputMultiplier: 2.5,
      scaling: { layers: [{ a: 0.2, b: 0.1, c: 0.3 }, { a: 0.35, b: 0.15, c: -0.4 }, { a: -0.1, b: 0.6, c: 0.7 }, { a: 0.8, b: 0, c: -0.5 }] },
    };
    const spec = resolveDeepSpec(input);
    const data = makeProblem(5, 3, 'square', 2, 77);
    const p = testParams(spec, 4);
    const result = deepGradient(spec, p, inputsOf(spec, data), Float64Array.from(data.y), 'square', 0.2);
    for (const e of fdErrors(spec, p, data, 'square', 0.2, result.grad)) expect(e).toBeLessThan(1e-6);
  });

  it('biases with their own exponents', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 3, width: [5, 6, 4], activation: 'erf', scaling: { layers: [{ a: 0, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }], bias: { a: 0.25, b: 0.1, c: -0.3 } } });
    const data = makeProblem(5, 3, 'square', 1, 78);
    const p = testParams(spec, 5);
    const result = deepGradient(spec, p, inputsOf(spec, data), Float64Array.from(data.y), 'square', 0.1);
    for (const e of fdErrors(spec, p, data, 'square', 0.1, result.grad)) expect(e).toBeLessThan(1e-6);
  });
});

describe('forward pass', () => {
  it('keeps z_l and h_l = φ(z_l) on request; f matches the naive forward (via the objective with λ = 0, square, y = 0)', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 3, width: [5, 5, 4], outputs: 1, activation: 'tanh', residual: true, scaling: 'mup' });
    const data = makeProblem(5, 3, 'square', 1, 5);
    const zero: Problem = { x: data.x, y: [0, 0, 0, 0, 0] };
    const p = testParams(spec, 6);
    const fw = deepForward(spec, p, inputsOf(spec, data), { keep: true });
    expect(fw.pre.map((z) => z.length)).toEqual([25, 25, 20]);
    fw.pre.forEach((z, l) => z.forEach((v, t) => expect(fw.post[l][t]).toBe(Math.tanh(v))));
    const risk = fw.f.reduce((s, v) => s + 0.5 * v * v, 0) / 5;
    expect(Math.abs(risk - naiveObjective(spec, p, zero, 'square', 0))).toBeLessThanOrEqual(1e-13 * risk);
    expect(deepForward(spec, p, inputsOf(spec, data)).pre).toEqual([]);
  });

  it('rejects inputs of the wrong dimension and mismatched losses', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 2, width: 4 });
    const p = testParams(spec, 1);
    expect(() => deepForward(spec, p, { n: 1, D: 3, x: new Float64Array(3) })).toThrow('inputs: expected n × D = 1 × 4');
    const inputs = { n: 1, D: 4, x: Float64Array.of(1, 2, 3, 1) };
    expect(() => deepGradient(spec, p, inputs, Float64Array.of(0), 'softmax')).toThrow('softmax cross-entropy needs k ≥ 2');
    const spec3 = resolveDeepSpec({ d: 3, depth: 2, width: 4, outputs: 3 });
    expect(() => deepGradient(spec3, testParams(spec3, 1), inputs, Float64Array.of(0), 'logistic')).toThrow('logistic loss is for one output');
  });
});

describe('GD step', () => {
  it('is w_l − η γ_l ∇_{w_l} F (γ_l ρ_l = 1: decay shrinks every tensor by ηλ), and decreases F for a small η', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 3, width: [6, 6, 5], activation: 'erf', residual: true, scaling: 'mean-field' });
    const data = makeProblem(5, 3, 'square', 1, 9);
    const inputs = inputsOf(spec, data);
    const y = Float64Array.from(data.y);
    const p = testParams(spec, 7);
    const before = cloneDeepParams(p);
    const eta = 0.01;
    const lambda = 0.05;
    const full = deepGradient(spec, p, inputs, y, 'square', lambda);
    deepGdStep(spec, p, inputs, y, 'square', { lr: eta, weightDecay: lambda });
    // mean-field: γ_l = fan-in base (m_1 = 6 for the input layer), c = −1 everywhere.
    const gammas = [6, 6, 6, 5];
    p.weights.forEach((w, l) =>
      w.forEach((v, q) => {
        const expected = before.weights[l][q] - eta * gammas[l] * full.grad.weights[l][q];
        expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(expected)));
      }),
    );
    // Hidden biases: base their length m_l, c = −1.
    [0, 6, 5].forEach((gamma, l) =>
      p.biases[l].forEach((v, q) => {
        const expected = before.biases[l][q] - eta * gamma * full.grad.biases[l][q];
        expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(expected)));
      }),
    );
    expect(deepGradient(spec, p, inputs, y, 'square', lambda).objective).toBeLessThan(full.objective);
  });
});
