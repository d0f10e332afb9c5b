/**
 * The deep NNGP/NTK recursions (deep-kernels.ts, ARCHITECTURE.md §7) against wide random networks:
 * the empirical NNGP and NTK of R independent networks of width m in the NTK parametrization,
 * written out plainly here (forward pass, backpropagation, Θ̂ = Σ_θ ∂f(x)/∂θ ∂f(x')/∂θ summed
 * per layer), averaged; three inputs in R⁴, σ_w² = 1.6, σ_b² = 0.1, input product x·x'/d.
 *
 * - Σ¹, Θ¹: one network of width 131 072, whose neurons are independent: 5 standard errors of
 *   the per-neuron terms (relative SE ≤ 2%, asserted).
 * - Σ^L, Θ^L at L = 1, 2, 3, every activation: R = 16 networks of width 1024; residual (L = 3,
 *   β = 1/√3, relu and tanh): R = 4 networks of width 2048. The feed-forward networks' hidden
 *   matrices are the four 1024×1024 quadrants of the residual networks' (independent Gaussian
 *   blocks), because drawing the normals is most of the cost.
 *
 * Tolerance. The per-network estimates are independent, so their mean has standard error
 * SE = sd/√R (sd from the R samples; relative SE 0.5–10% here, asserted ≤ 12%). The mean differs
 * from the infinite-width value by the finite-width bias, O(L/m) relative (exactly 0 for the NNGP
 * at L = 1, an average of m independent terms); we allow |mean − analytic| ≤ 5·SE + (L/m)·|analytic|.
 * The checks have teeth: σ_w² off by 10% is rejected for the feed-forward nets, and β = 1 (no
 * 1/√L) and the plain feed-forward recursion are each rejected for the residual nets.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CounterRng } from '../random/index.js';
import { ACTIVATIONS, activationDerivative, activationFunction, type Activation } from './activations.js';
import { deepKernel, type DeepKernelOptions } from './deep-kernels.js';

const TEST_STREAM = 913;
const D_IN = 4;
/** Three inputs in R⁴ (unequal norms, one obtuse pair). */
const INPUTS = [
  [1.1, 0.4, -0.6, 0.9],
  [0.2, 1.3, 0.5, -0.4],
  [-0.9, 0.3, 1.0, 0.7],
];
const P = INPUTS.length;
/** The pairs (p, q) compared, with one diagonal entry. */
const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0, 1],
  [1, 2],
];
const SW = 1.6;
const SB = 0.1;

/** The random parameters of one network (all entries N(0, 1)): NTK parametrization. */
interface Params {
  readonly m: number;
  /** First layer, m×d. */
  readonly win: Float64Array;
  /** Hidden m×m layers: wh[l − 1] maps layer l to layer l + 1, l = 1..L−1. */
  readonly wh: Float64Array[];
  /** Biases of layers 1..L. */
  readonly b: Float64Array[];
  /** Readouts, one per depth L' = 1..L (independent). */
  readonly v: Float64Array[];
  readonly bOut: Float64Array;
}

/** The parameters of network r; `hidden: false` leaves out the m×m matrices (wh = []). */
function drawParams(seed: number, r: number, m: number, L: number, hidden = true): Params {
  const rng = new CounterRng(seed, TEST_STREAM);
  const draw = (k: number, length: number) => {
    const a = new Float64Array(length);
    rng.at(r * 64 + k).normals(a, 0, length);
    return a;
  };
  const wh: Float64Array[] = [];
  const b: Float64Array[] = [];
  const v: Float64Array[] = [];
  if (hidden) for (let l = 1; l < L; l++) wh.push(draw(l, m * m));
  for (let l = 1; l <= L; l++) {
    b.push(draw(16 + l, m));
    v.push(draw(32 + l, m));
  }
  return { m, win: draw(0, m * D_IN), wh, b, v, bOut: draw(63, L) };
}

/**
 * A network of width m/2 whose hidden matrices are quadrant `k` (0..3) of `big`'s (an m/2 × m/2
 * block of an iid Gaussian matrix is one, and the four quadrants are independent of each other),
 * with its own small parameters drawn at `index`: four independent narrower networks for the
 * price of the big one's draws.
 */
function quadrantParams(big: Params, k: number, seed: number, index: number, L: number): Params {
  const half = big.m / 2;
  const row0 = (k >> 1) * half;
  const col0 = (k & 1) * half;
  const wh = big.wh.map((W) => {
    const Q = new Float64Array(half * half);
    for (let i = 0; i < half; i++) Q.set(W.subarray((row0 + i) * big.m + col0, (row0 + i) * big.m + col0 + half), i * half);
    return Q;
  });
  return { ...drawParams(seed, index, half, L, false), wh };
}

/** out[p·m + i] = scale Σ_j W[i,j] h[p·m + j] + biasScale·bias[i] for the P = 3 inputs at once. */
function dense(W: Float64Array, h: Float64Array, m: number, scale: number, bias: Float64Array, biasScale: number, out: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const row = i * m;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < m; j++) {
      const w = W[row + j];
      s0 += w * h[j];
      s1 += w * h[m + j];
      s2 += w * h[2 * m + j];
    }
    out[i] = scale * s0 + biasScale * bias[i];
    out[m + i] = scale * s1 + biasScale * bias[i];
    out[2 * m + i] = scale * s2 + biasScale * bias[i];
  }
}

/** out[p·m + j] = scale Σ_i W[i,j] g[p·m + i] (the transpose, for backpropagation). */
function denseTranspose(W: Float64Array, g: Float64Array, m: number, scale: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    const g0 = scale * g[i];
    const g1 = scale * g[m + i];
    const g2 = scale * g[2 * m + i];
    for (let j = 0; j < m; j++) {
      const w = W[row + j];
      out[j] += w * g0;
      out[m + j] += w * g1;
      out[2 * m + j] += w * g2;
    }
  }
}

function dotRows(a: Float64Array, p: number, b: Float64Array, q: number, m: number): number {
  let s = 0;
  for (let i = 0; i < m; i++) s += a[p * m + i] * b[q * m + i];
  return s;
}

/** Σ⁰(x_p, x_q) = σ_w,in² x_p·x_q/d + σ_b,in² (input product 'mean'). */
function inputKernel(p: number, q: number): number {
  let s = 0;
  for (let k = 0; k < D_IN; k++) s += INPUTS[p][k] * INPUTS[q][k];
  return (SW * s) / D_IN + SB;
}

/** First layer z₁ for the P inputs. */
function firstLayer(params: Params): Float64Array {
  const m = params.m;
  const z = new Float64Array(P * m);
  const scale = Math.sqrt(SW / D_IN);
  const sb = Math.sqrt(SB);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let k = 0; k < D_IN; k++) s += params.win[i * D_IN + k] * INPUTS[p][k];
      z[p * m + i] = scale * s + sb * params.b[0][i];
    }
  }
  return z;
}

const apply = (f: (x: number) => number, z: Float64Array) => z.map(f);

/**
 * Empirical NNGP and NTK of a feed-forward network at every depth L' = 1..L (the first L' layers
 * and readout v[L' − 1]) on the PAIRS: [depth − 1][pair] → { nngp, ntk }.
 */
function feedForwardKernels(params: Params, activation: Activation, L: number): Array<Array<{ nngp: number; ntk: number }>> {
  const m = params.m;
  const phi = activationFunction(activation);
  const dphi = activationDerivative(activation);
  const scale = Math.sqrt(SW / m);
  const sb = Math.sqrt(SB);
  const z: Float64Array[] = [firstLayer(params)];
  for (let l = 1; l < L; l++) {
    const next = new Float64Array(P * m);
    dense(params.wh[l - 1], apply(phi, z[l - 1]), m, scale, params.b[l], sb, next);
    z.push(next);
  }
  const h = z.map((zl) => apply(phi, zl));
  const dh = z.map((zl) => apply(dphi, zl));
  const result: Array<Array<{ nngp: number; ntk: number }>> = [];
  const back = new Float64Array(P * m);
  for (let depth = 1; depth <= L; depth++) {
    // δ_l = ∂f/∂z_l for l = depth..1.
    const delta: Float64Array[] = new Array(depth);
    const top = new Float64Array(P * m);
    const v = params.v[depth - 1];
    for (let p = 0; p < P; p++) for (let i = 0; i < m; i++) top[p * m + i] = scale * v[i] * dh[depth - 1][p * m + i];
    delta[depth - 1] = top;
    for (let l = depth - 1; l >= 1; l--) {
      denseTranspose(params.wh[l - 1], delta[l], m, scale, back);
      const d = new Float64Array(P * m);
      for (let k = 0; k < P * m; k++) d[k] = dh[l - 1][k] * back[k];
      delta[l - 1] = d;
    }
    result.push(
      PAIRS.map(([p, q]) => {
        const nngp = (SW / m) * dotRows(h[depth - 1], p, h[depth - 1], q, m) + SB;
        let ntk = nngp; // readout weights and bias
        for (let l = 1; l < depth; l++) {
          // weights wh[l − 1] and bias b[l] of layer l + 1
          ntk += dotRows(delta[l], p, delta[l], q, m) * ((SW / m) * dotRows(h[l - 1], p, h[l - 1], q, m) + SB);
        }
        ntk += dotRows(delta[0], p, delta[0], q, m) * inputKernel(p, q); // first layer
        return { nngp, ntk };
      }),
    );
  }
  return result;
}

/**
 * Empirical NNGP and NTK of the residual network of ARCHITECTURE.md §7 with L hidden layers:
 * y₁ = z₁, y_{l+1} = y_l + β((σ_w/√m) W φ(y_l) + σ_b b), f = (σ_w/√m) v·φ(y_L) + σ_b b_out.
 */
function residualKernels(params: Params, activation: Activation, L: number, beta: number): Array<{ nngp: number; ntk: number }> {
  const m = params.m;
  const phi = activationFunction(activation);
  const dphi = activationDerivative(activation);
  const scale = Math.sqrt(SW / m);
  const sb = Math.sqrt(SB);
  const y: Float64Array[] = [firstLayer(params)];
  const branch = new Float64Array(P * m);
  for (let l = 1; l < L; l++) {
    dense(params.wh[l - 1], apply(phi, y[l - 1]), m, scale, params.b[l], sb, branch);
    const next = new Float64Array(P * m);
    for (let k = 0; k < P * m; k++) next[k] = y[l - 1][k] + beta * branch[k];
    y.push(next);
  }
  const h = y.map((yl) => apply(phi, yl));
  const dh = y.map((yl) => apply(dphi, yl));
  // g_l = ∂f/∂y_l
  const g: Float64Array[] = new Array(L);
  const v = params.v[L - 1];
  const top = new Float64Array(P * m);
  for (let k = 0; k < P * m; k++) top[k] = scale * v[k % m] * dh[L - 1][k];
  g[L - 1] = top;
  const back = new Float64Array(P * m);
  for (let l = L - 1; l >= 1; l--) {
    denseTranspose(params.wh[l - 1], g[l], m, scale, back);
    const next = new Float64Array(P * m);
    for (let k = 0; k < P * m; k++) next[k] = g[l][k] + beta * dh[l - 1][k] * back[k];
    g[l - 1] = next;
  }
  return PAIRS.map(([p, q]) => {
    const nngp = (SW / m) * dotRows(h[L - 1], p, h[L - 1], q, m) + SB;
    let ntk = nngp;
    for (let l = 1; l < L; l++) {
      ntk += beta * beta * dotRows(g[l], p, g[l], q, m) * ((SW / m) * dotRows(h[l - 1], p, h[l - 1], q, m) + SB);
    }
    ntk += dotRows(g[0], p, g[0], q, m) * inputKernel(p, q);
    return { nngp, ntk };
  });
}

/** Mean and standard error of R samples. */
function meanAndError(samples: number[]): { mean: number; se: number } {
  const R = samples.length;
  const mean = samples.reduce((a, b) => a + b, 0) / R;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1);
  return { mean, se: Math.sqrt(variance / R) };
}

function analytic(p: number, q: number, options: DeepKernelOptions) {
  return deepKernel(Float64Array.from(INPUTS[p]), Float64Array.from(INPUTS[q]), {
    weightVariance: SW,
    biasVariance: SB,
    inputProduct: 'mean',
    ...options,
  });
}

interface Check {
  label: string;
  mean: number;
  se: number;
  exact: number;
  allowance: number;
}

function expectWithin(checks: Check[]): void {
  const report = checks.map((c) => `${c.label}: mean ${c.mean.toFixed(5)} ± ${c.se.toExponential(1)}, analytic ${c.exact.toFixed(5)}, z = ${((c.mean - c.exact) / c.se).toFixed(2)}`);
  for (const [k, c] of checks.entries()) {
    expect(Math.abs(c.mean - c.exact), report[k]).toBeLessThanOrEqual(5 * c.se + c.allowance);
    // the standard error is a modest fraction of the value (≤ 12%: R·m is small on purpose)
    expect(c.se, report[k]).toBeLessThan(0.12 * Math.abs(c.exact));
  }
}

/**
 * Asserts that the model `wrong` (a function of the pair) is rejected by the checks (in the
 * order PAIRS × [nngp, ntk]): some entry is outside 5·SE + allowance of it.
 */
function expectRejected(checks: Check[], wrong: (p: number, q: number) => { nngp: number; ntk: number }): void {
  const values = PAIRS.flatMap(([p, q]) => {
    const k = wrong(p, q);
    return [k.nngp, k.ntk];
  });
  expect(checks.some((c, k) => Math.abs(c.mean - values[k]) > 5 * c.se + c.allowance)).toBe(true);
}

describe('Σ¹ and Θ¹ against one very wide network (m = 131 072; the m neurons are independent)', () => {
  it('every activation, three pairs, within 5 standard errors of the per-neuron terms', () => {
    // f = (σ_w/√m) Σ_j v_j φ(z_j) + σ_b b: Σ̂¹ = σ_b² + (σ_w²/m) Σ_j φ(z_j(x)) φ(z_j(x')) and
    // Θ̂¹ = Σ̂¹ + (σ_w²/m) Σ_j v_j² φ'(z_j(x)) φ'(z_j(x')) Σ⁰(x,x'): means of m iid terms.
    const m = 131_072;
    const rng = new CounterRng(21, TEST_STREAM);
    const w = new Float64Array(D_IN + 2);
    const z = new Float64Array(P);
    const phi = ACTIVATIONS.map(activationFunction);
    const dphi = ACTIVATIONS.map(activationDerivative);
    // sums[activation][pair] = [Σ nngp, Σ nngp², Σ ntk, Σ ntk²]; the same neurons for every activation
    const sums = ACTIVATIONS.map(() => PAIRS.map(() => new Float64Array(4)));
    for (let j = 0; j < m; j++) {
      rng.at(j).normals(w, 0, D_IN + 2); // the first-layer row, its bias, the readout v_j
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let k = 0; k < D_IN; k++) s += w[k] * INPUTS[p][k];
        z[p] = Math.sqrt(SW / D_IN) * s + Math.sqrt(SB) * w[D_IN];
      }
      const v2 = w[D_IN + 1] ** 2;
      for (let a = 0; a < ACTIVATIONS.length; a++) {
        for (const [pair, [p, q]] of PAIRS.entries()) {
          const nngp = SW * phi[a](z[p]) * phi[a](z[q]) + SB;
          const ntk = nngp + SW * v2 * dphi[a](z[p]) * dphi[a](z[q]) * inputKernel(p, q);
          const s = sums[a][pair];
          s[0] += nngp;
          s[1] += nngp * nngp;
          s[2] += ntk;
          s[3] += ntk * ntk;
        }
      }
    }
    for (const [a, activation] of ACTIVATIONS.entries()) {
      for (const [pair, [p, q]] of PAIRS.entries()) {
        const exact = analytic(p, q, { depth: 1, activation });
        const s = sums[a][pair];
        for (const [offset, value] of [
          [0, exact.nngp],
          [2, exact.ntk],
        ] as const) {
          const mean = s[offset] / m;
          const se = Math.sqrt((s[offset + 1] / m - mean * mean) / m);
          expect(Math.abs(mean - value), `${activation} (${p},${q}) [${offset}]: ${mean} vs ${value} ± ${se}`).toBeLessThanOrEqual(5 * se);
          expect(se).toBeLessThan(0.02 * Math.abs(value));
        }
      }
    }
  });
});

/**
 * The residual networks (width 2048, R = 4) and the feed-forward ones (width 1024, R = 16: the
 * four quadrants of each residual network's hidden matrices) are sampled together, one residual
 * network at a time (drawing the normals is most of the cost).
 */
const L_NET = 3;
const BIG = { m: 2048, R: 4 } as const;
const SMALL = { m: BIG.m / 2, R: 4 * BIG.R } as const;
const BETA = 1 / Math.sqrt(L_NET);
const RESIDUAL_ACTIVATIONS: Activation[] = ['relu', 'tanh'];
/** ffSamples[activation][depth − 1][pair], resSamples[activation][pair]: per-network values. */
const ffSamples = new Map<Activation, Array<Array<{ nngp: number[]; ntk: number[] }>>>();
const resSamples = new Map<Activation, Array<{ nngp: number[]; ntk: number[] }>>();

beforeAll(() => {
  for (const a of ACTIVATIONS) ffSamples.set(a, Array.from({ length: L_NET }, () => PAIRS.map(() => ({ nngp: [] as number[], ntk: [] as number[] }))));
  for (const a of RESIDUAL_ACTIVATIONS) resSamples.set(a, PAIRS.map(() => ({ nngp: [] as number[], ntk: [] as number[] })));
  for (let r = 0; r < BIG.R; r++) {
    const big = drawParams(12, r, BIG.m, L_NET);
    for (const a of RESIDUAL_ACTIVATIONS) {
      const k = residualKernels(big, a, L_NET, BETA);
      for (let pair = 0; pair < PAIRS.length; pair++) {
        resSamples.get(a)![pair].nngp.push(k[pair].nngp);
        resSamples.get(a)![pair].ntk.push(k[pair].ntk);
      }
    }
    for (let quadrant = 0; quadrant < 4; quadrant++) {
      const params = quadrantParams(big, quadrant, 11, 4 * r + quadrant, L_NET); // the same networks for every activation
      for (const a of ACTIVATIONS) {
        const k = feedForwardKernels(params, a, L_NET);
        for (let depth = 1; depth <= L_NET; depth++) {
          for (let pair = 0; pair < PAIRS.length; pair++) {
            ffSamples.get(a)![depth - 1][pair].nngp.push(k[depth - 1][pair].nngp);
            ffSamples.get(a)![depth - 1][pair].ntk.push(k[depth - 1][pair].ntk);
          }
        }
      }
    }
  }
}, 120_000);

describe('deep kernels against wide random feed-forward networks (m = 1024, R = 16)', () => {
  const m = SMALL.m;
  const L = L_NET;

  for (const activation of ACTIVATIONS) {
    it(`${activation}: NNGP Σ^L and NTK Θ^L at L = 1, 2, 3 (5 SE + L/m)`, () => {
      const checks: Check[] = [];
      for (let depth = 1; depth <= L; depth++) {
        for (const [pair, [p, q]] of PAIRS.entries()) {
          const exact = analytic(p, q, { depth, activation });
          const s = ffSamples.get(activation)![depth - 1][pair];
          for (const kind of ['nngp', 'ntk'] as const) {
            const { mean, se } = meanAndError(s[kind]);
            const bias = kind === 'nngp' && depth === 1 ? 0 : depth / m;
            checks.push({ label: `${kind} L=${depth} (${p},${q})`, mean, se, exact: exact[kind], allowance: bias * Math.abs(exact[kind]) });
          }
        }
      }
      expectWithin(checks);
      // The test has teeth: σ_w² off by 10% is rejected (some entry outside its tolerance).
      let index = 0;
      const wrong: number[] = [];
      for (let depth = 1; depth <= L; depth++) {
        for (const [p, q] of PAIRS) {
          const k = analytic(p, q, { depth, activation, weightVariance: 1.1 * SW });
          wrong[index++] = k.nngp;
          wrong[index++] = k.ntk;
        }
      }
      expect(checks.some((c, k) => Math.abs(c.mean - wrong[k]) > 5 * c.se + c.allowance)).toBe(true);
    });
  }
});

describe('deep kernels against wide random residual networks (m = 2048, R = 4, L = 3, β = 1/√3)', () => {
  const m = BIG.m;
  const L = L_NET;

  for (const activation of RESIDUAL_ACTIVATIONS) {
    it(`${activation}: NNGP and NTK of the residual recursion (5 SE + L/m); the variants without β², or without the skip, are rejected`, () => {
      const checks: Check[] = [];
      for (const [pair, [p, q]] of PAIRS.entries()) {
        const exact = analytic(p, q, { depth: L, activation, residual: true });
        const s = resSamples.get(activation)![pair];
        for (const kind of ['nngp', 'ntk'] as const) {
          const { mean, se } = meanAndError(s[kind]);
          checks.push({ label: `${kind} (${p},${q})`, mean, se, exact: exact[kind], allowance: (L / m) * Math.abs(exact[kind]) });
        }
      }
      expectWithin(checks);
      // The test has teeth: the wrong models β = 1 (no 1/√L) and the plain feed-forward net (no
      // skip) are each rejected (some entry outside its tolerance).
      expectRejected(checks, (p, q) => analytic(p, q, { depth: L, activation, residual: true, residualScale: 1 }));
      expectRejected(checks, (p, q) => analytic(p, q, { depth: L, activation }));
    });
  }
});
