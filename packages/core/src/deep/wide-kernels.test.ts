/**
 * Empirical against analytic kernels at init, width m = 4096 (ARCHITECTURE.md §7; the issue's
 * acceptance): the NNGP, the NTK and the correlation map ρ_l of one random network per case,
 * computed by the network's own code (init.ts, network.ts, the layer-wise NTK of
 * layer-kernel.ts), against the infinite-width recursions of kernels/deep-kernels.ts.
 *
 * Networks. `ntk` preset, inputFanIn 'one', bias, d = 3, three inputs on the unit sphere
 * (x̃ = (x, 1)). Every weight entry is σ_w·N(0,1) (the input layer's bias column and the hidden
 * biases σ_b·N(0,1)), so z_1 = W_1 x̃ has Σ⁰ = σ_w² x·x' + σ_b² (deep-kernels' inputProduct
 * 'raw'), hidden layers z = (1/√m) w h + b, f = (1/√m) w_out h_L: the analytic recursion with
 * the same σ_w², σ_b² in every layer, except that the net has no output bias, so its kernels are
 * Σ^L − σ_b² and Θ^L − σ_b² (the readout adds σ_b² to both).
 * Cases: relu (σ_w², σ_b²) = (2, 0), tanh and erf at the edge of chaos with σ_b² = 0.05 (the
 * solver of kernels/edge-of-chaos.ts), residual relu (1, 0.1) with β = 1/√L.
 *
 * Depths L = 1…8 from one stack: initDeepParams draws a depth-8 net (one weight stack, drawn once
 * with σ = 1 and rescaled in place for each case's σ_w, σ_b); the depth-L net is its first L
 * layers (initDeepParams' streams of unit j of layer l depend only on (seed, l, j), so these are
 * exactly the first L layers a depth-L net draws) plus its own readout w_out ~ σ_w N(0, 1) from a
 * separate test stream (the depth-L net's own readout comes from the middle of layer L's streams).
 *
 * Empirical kernels. NTK: stax's NTK parametrization (neural-tangents, which the analytic side
 * follows) trains W_stax = w/σ, so Θ = Σ_l (σ_w² ⟨∂f/∂w_l, ∂f/∂w_l⟩ + σ_b² ⟨∂f/∂b_l, ∂f/∂b_l⟩)
 * from deepGradientGrams' per-tensor Gram matrices (layer 1's bias column with σ_b²; at
 * σ_w² = σ_b² = 1 this is the engine's own kernel, every γ_l = 1 under `ntk`). NNGP: the
 * readout's conditional covariance given the features, σ_w² (1/m) ⟨h_L(x), h_L(x')⟩.
 *
 * Tolerance (neural-tangents' atol 0.01, rtol 0.05), applied entrywise to the 3×3 matrices after
 * dividing both by s = the mean analytic diagonal of that kernel (so atol is 1% of the kernel's
 * scale): |emp/s − an/s| ≤ 0.01 + 0.05·|an/s|. Correlation map: |ρ_l^emp − ρ_l| ≤ 0.02 for
 * l = 1…8 (ρ_l the cosine of z_l(x), z_l(x') of the first two inputs, as the engine's
 * `corr_layers`), on the depth-8 stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeOfChaos } from '../kernels/edge-of-chaos.js';
import { deepCorrelationLayers, deepKernelGram } from '../kernels/deep-kernels.js';
import { CounterRng } from '../random/index.js';
import type { Activation } from '../kernels/activations.js';
import { initDeepParams, resolveDeepInit } from './init.js';
import { deepGradientGrams } from './layer-kernel.js';
import { forwardWith, type DeepForward } from './network.js';
import type { DeepParams } from './params.js';
import { deepCoefficients } from './scaling.js';
import { resolveDeepSpec } from './spec.js';

const WIDTH = 4096;
const DEPTH = 8;
const D_RAW = 3;
const SEED = 11;
const TEST_STREAM = 4711;
const ATOL = 0.01;
const RTOL = 0.05;
const RHO_TOL = 0.02;
/**
 * Networks averaged: `MFLAB_WIDE_NETS` (default 1), each drawn with its own seed — the empirical
 * kernels and ρ_l are Monte Carlo means over them, as neural-tangents' `monte_carlo_kernel_fn`
 * compares with its analytic kernels.
 *
 * What is asserted: the violation ratio max |e − a| / (atol + rtol|a|) ≤ KERNEL_FACTOR and
 * |ρ^emp − ρ| ≤ RHO_FACTOR · 0.02. One network of width 4096 does NOT meet the issue's tolerances
 * (factor 1): measured ratios up to 2.3 (NNGP) and 2.1 (NTK), ρ errors up to 0.024, and with
 * another seed the errors change sign — finite-width fluctuation, not bias: already at L = 1 the
 * NNGP diagonal is a mean of m iid terms with relative SE √(5/m) = 3.5% against a 6% tolerance,
 * and it grows with depth. So `npm test` (one net, 35 s) guards at 3× and 1.5×, and the issue's
 * tolerance itself (factor 1) is asserted on a mean over ≥ 8 networks:
 *
 *     cd packages/core && MFLAB_WIDE_NETS=16 npx vitest run src/deep/wide-kernels.test.ts
 *
 * (about 10 minutes on 2 cores; the ratios are printed).
 */
const NETS = Math.max(1, Math.floor(Number(process.env.MFLAB_WIDE_NETS ?? 1)) || 1);
const KERNEL_FACTOR = NETS >= 8 ? 1 : 3;
const RHO_FACTOR = NETS >= 8 ? 1 : 1.5;
/** Three unit vectors of R³: angles ≈ 60°, 100°, 140° between them. */
const RAW = [
  [1, 0, 0],
  [0.5, Math.sqrt(3) / 2, 0],
  [-0.3, 0.2, Math.sqrt(1 - 0.09 - 0.04)],
];
const P = RAW.length;
const X_RAW = Float64Array.from(RAW.flat());
const PROBE = { n: P, D: D_RAW + 1, x: Float64Array.from(RAW.flatMap((r) => [...r, 1])) };

interface Case {
  readonly name: string;
  readonly activation: Activation;
  readonly residual: boolean;
  readonly weightVariance: number;
  readonly biasVariance: number;
}

const tanh = edgeOfChaos('tanh', 0.05);
const erf = edgeOfChaos('erf', 0.05);
const CASES: Case[] = [
  { name: 'relu', activation: 'relu', residual: false, weightVariance: 2, biasVariance: 0 },
  { name: 'tanh', activation: 'tanh', residual: false, weightVariance: tanh.weightVariance, biasVariance: 0.05 },
  { name: 'erf', activation: 'erf', residual: false, weightVariance: erf.weightVariance, biasVariance: 0.05 },
  { name: 'residual relu', activation: 'relu', residual: true, weightVariance: 1, biasVariance: 0.1 },
];

/** The depth-8 stack (σ = 1) and one readout per depth L = 1…8, all N(0, 1), of the net being measured. */
let unitStack: DeepParams;
let readouts: Float64Array[];
/** The σ_w the stack's weights are currently scaled by; the biases' N(0, 1) draws kept apart (σ_b may be 0). */
let scaledW = 1;
let unitBiases: Float64Array[];

/** Draws net number `net` (seed SEED + net) into the stack and readouts. */
function drawStack(net: number): void {
  const spec = resolveDeepSpec({ d: D_RAW, depth: DEPTH, width: WIDTH, scaling: 'ntk' });
  unitStack = { weights: [], biases: [] };
  unitStack = initDeepParams(spec, resolveDeepInit(spec, { weightVariance: 1, biasVariance: 1 }), SEED + net);
  scaledW = 1;
  const D = D_RAW + 1;
  // Layer 1's bias column, then the hidden biases.
  unitBiases = [Float64Array.from({ length: WIDTH }, (_, j) => unitStack.weights[0][j * D + D - 1]), ...unitStack.biases.slice(1).map((b) => b.slice())];
  const rng = new CounterRng(SEED + net, TEST_STREAM);
  readouts = Array.from({ length: DEPTH }, (_, l) => {
    const w = new Float64Array(WIDTH);
    rng.at(l).normals(w, 0, WIDTH);
    return w;
  });
}

/** Rescales the stack in place so that its weights are σ_w·N(0,1) and its biases σ_b·N(0,1). */
function scaleStack(sw: number, sb: number): void {
  const fw = sw / scaledW;
  const D = D_RAW + 1;
  for (let l = 0; l < DEPTH; l++) {
    const w = unitStack.weights[l];
    for (let t = 0; t < w.length; t++) w[t] *= fw;
  }
  scaledW = sw;
  const w1 = unitStack.weights[0];
  for (let j = 0; j < WIDTH; j++) w1[j * D + D - 1] = sb * unitBiases[0][j];
  for (let l = 1; l < DEPTH; l++) {
    const b = unitStack.biases[l];
    for (let t = 0; t < b.length; t++) b[t] = sb * unitBiases[l][t];
  }
}

function netOfDepth(L: number, sw: number): DeepParams {
  const readout = readouts[L - 1].map((v) => sw * v);
  return { weights: [...unitStack.weights.slice(0, L), readout], biases: [...unitStack.biases.slice(0, L), new Float64Array(0)] };
}

/** The largest violation ratio max |e − a| / (atol + rtol |a|) after dividing by s (≤ 1 passes). */
function worst(emp: Float64Array, an: Float64Array): { ratio: number; s: number } {
  let s = 0;
  for (let i = 0; i < P; i++) s += an[i * P + i] / P;
  let ratio = 0;
  for (let t = 0; t < emp.length; t++) ratio = Math.max(ratio, Math.abs(emp[t] - an[t]) / s / (ATOL + (RTOL * Math.abs(an[t])) / s));
  return { ratio, s };
}

/** One case's empirical kernels, summed over the nets measured so far (divide by NETS for the mean). */
interface Measured {
  /** Per depth L = 1…8 at index L − 1: the NNGP and the stax-weighted NTK (P × P). */
  readonly nngp: Float64Array[];
  readonly ntk: Float64Array[];
  /** The L = 8 NTK without stax's σ² weights (the engine's own kernel), for the teeth check. */
  readonly unweighted: Float64Array;
  /** ρ_l of the first two inputs, l = 1…8. */
  readonly rho: Float64Array;
}

const measured = new Map<string, Measured>();

/** Adds the current stack's kernels and ρ_l for case `c` into `measured`. */
function measureCase(c: Case): void {
  const sw = Math.sqrt(c.weightVariance);
  scaleStack(sw, Math.sqrt(c.biasVariance));
  let sums = measured.get(c.name);
  if (!sums) {
    const mats = () => Array.from({ length: DEPTH }, () => new Float64Array(P * P));
    sums = { nngp: mats(), ntk: mats(), unweighted: new Float64Array(P * P), rho: new Float64Array(DEPTH) };
    measured.set(c.name, sums);
  }
  // A feed-forward net's layers 1…L are the depth-8 net's: one forward pass serves every depth.
  const stackSpec = resolveDeepSpec({ d: D_RAW, depth: DEPTH, width: WIDTH, activation: c.activation, residual: c.residual, scaling: 'ntk' });
  const stackPass = forwardWith(stackSpec, deepCoefficients(stackSpec), netOfDepth(DEPTH, sw), PROBE, true);
  for (let L = 1; L <= DEPTH; L++) {
    const spec = resolveDeepSpec({ d: D_RAW, depth: L, width: WIDTH, activation: c.activation, residual: c.residual, scaling: 'ntk' });
    const co = deepCoefficients(spec);
    const params = netOfDepth(L, sw);
    // A residual net's β = 1/√L depends on L: its own forward pass.
    const fw: DeepForward = c.residual ? forwardWith(spec, co, params, PROBE, true) : { n: P, f: new Float64Array(0), pre: stackPass.pre.slice(0, L), post: stackPass.post.slice(0, L) };
    const grams = deepGradientGrams(spec, co, params, PROBE, fw);
    const ntk = sums.ntk[L - 1];
    for (let l = 0; l <= L; l++) for (let t = 0; t < P * P; t++) ntk[t] += c.weightVariance * grams.weights[l][t] + c.biasVariance * grams.biases[l][t];
    const nngp = sums.nngp[L - 1];
    for (let t = 0; t < P * P; t++) nngp[t] += c.weightVariance * grams.weights[L][t];
    if (L === DEPTH) for (let l = 0; l <= L; l++) for (let t = 0; t < P * P; t++) sums.unweighted[t] += grams.weights[l][t] + grams.biases[l][t];
  }
  // ρ_l of the first two inputs, l = 1…8, on the depth-8 net (its z_l: the stack's layers).
  for (let l = 0; l < DEPTH; l++) {
    const z = stackPass.pre[l];
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < WIDTH; j++) {
      ab += z[j] * z[WIDTH + j];
      aa += z[j] * z[j];
      bb += z[WIDTH + j] * z[WIDTH + j];
    }
    sums.rho[l] += ab / Math.sqrt(aa * bb);
  }
}

const mean = (a: Float64Array) => a.map((v) => v / NETS);

beforeAll(() => {
  for (let net = 0; net < NETS; net++) {
    drawStack(net);
    for (const c of CASES) measureCase(c);
  }
}, NETS * 600_000);

afterAll(() => {
  unitStack = { weights: [], biases: [] };
});

describe(`empirical (mean of ${NETS} net${NETS === 1 ? '' : 's'}) vs analytic kernels at width ${WIDTH}, L = 1…${DEPTH}`, () => {
  for (const c of CASES) {
    it(`${c.name}: NNGP and NTK within ${KERNEL_FACTOR} × (atol ${ATOL} + rtol ${RTOL}), ρ_l within ${RHO_FACTOR} × ${RHO_TOL}`, () => {
      const sums = measured.get(c.name) as Measured;
      const options = { activation: c.activation, weightVariance: c.weightVariance, biasVariance: c.biasVariance, inputProduct: 'raw' as const, residual: c.residual };
      const report: string[] = [];
      for (let L = 1; L <= DEPTH; L++) {
        const an = deepKernelGram(X_RAW, null, D_RAW, { ...options, depth: L });
        const a = worst(mean(sums.nngp[L - 1]), an.nngp.map((v) => v - c.biasVariance));
        const b = worst(mean(sums.ntk[L - 1]), an.ntk.map((v) => v - c.biasVariance));
        report.push(`L=${L} nngp ${a.ratio.toFixed(2)} ntk ${b.ratio.toFixed(2)} (Θ scale ${b.s.toFixed(2)})`);
        expect(a.ratio, `NNGP at L = ${L}: ${report.join('; ')}`).toBeLessThanOrEqual(KERNEL_FACTOR);
        expect(b.ratio, `NTK at L = ${L}: ${report.join('; ')}`).toBeLessThanOrEqual(KERNEL_FACTOR);
      }
      const rho = deepCorrelationLayers(X_RAW.subarray(0, D_RAW), X_RAW.subarray(D_RAW, 2 * D_RAW), { ...options, depth: DEPTH });
      const emp = mean(sums.rho);
      for (let l = 0; l < DEPTH; l++) {
        report.push(`ρ_${l + 1} ${emp[l].toFixed(4)}/${rho[l].toFixed(4)}`);
        expect(Math.abs(emp[l] - rho[l]), `ρ_${l + 1}: ${report.join('; ')}`).toBeLessThanOrEqual(RHO_FACTOR * RHO_TOL);
      }
      console.log(`${c.name}: ${report.join('; ')}`);
    });
  }

  // (Not teeth: a 10% error in σ_w² moves the kernels by about 3 × the tolerance, which
  // one net at width 4096 cannot tell from its own fluctuation.)
  it('has teeth at the asserted tolerance: wrong conventions are rejected at L = 8 (measured ratios 16 and 53)', () => {
    const ratioAgainst = (emp: Float64Array, c: Case, extra: { residualScale?: number } = {}) => {
      const an = deepKernelGram(X_RAW, null, D_RAW, { activation: c.activation, weightVariance: c.weightVariance, biasVariance: c.biasVariance, inputProduct: 'raw', residual: c.residual, depth: DEPTH, ...extra });
      return worst(emp, an.ntk.map((v) => v - c.biasVariance)).ratio;
    };
    const [, tanhCase, , residualRelu] = CASES;
    // The residual recursion with β = 1 in place of 1/√L.
    const ratios = [
      ratioAgainst(mean((measured.get(residualRelu.name) as Measured).ntk[DEPTH - 1]), residualRelu, { residualScale: 1 }),
      ratioAgainst(mean((measured.get(tanhCase.name) as Measured).unweighted), tanhCase),
    ];
    console.log(`teeth ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    expect(ratios[0]).toBeGreaterThan(KERNEL_FACTOR);
    // The net's own (unweighted) kernel against stax's σ²-weighted recursion (tanh: σ_w² = 1.76).
    expect(ratios[1]).toBeGreaterThan(KERNEL_FACTOR);
  });
});
