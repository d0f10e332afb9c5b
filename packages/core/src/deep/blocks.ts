/**
 * The block-structured step of a deep network (ARCHITECTURE.md §7), in float64 or float32: one
 * implementation of the math that runs on one thread (all blocks in order) or sharded over
 * threads (each thread its own blocks, a barrier between phases). The unit of work is a block
 * [j0, j1) of one layer's output neurons (`DEEP_BLOCK_SIZE` of them, the last block partial);
 * every element a phase writes is ONE inner product in a fixed order over its full fan-in (or
 * over all samples, for gradients), so the bits never depend on which thread owns the block.
 *
 * In float64 every element is computed by the same expression, in the same summation order, as
 * the reference network.ts (`forwardWith`, `backward`, the engine's update): the blocked step is
 * bitwise the reference step (blocks.test.ts checks it).
 *
 * Float32 (the TS path's definition of f32): parameters, activations, pre-activations, δ and the
 * gradient block are stored in Float32Array; every inner product is accumulated in a JS double
 * and rounded once, when it is stored. The outputs f and the residuals r (n × k) stay float64.
 *
 * One step's phases (hidden layers l = 0..L−1, weights[l] into layer l, weights[L] the output):
 *
 *     forward l = 0..L−1      z_l, h_l on blocks of layer l          (barrier after each)
 *     output                   f = μ W_out h_{L−1}, by sample ranges  (barrier)
 *     residuals                r = κ ∂ℓ/∂f on one thread             (barrier)
 *     delta top                δ_{L−1} from r and W_out               (barrier)
 *     back l = L−1..0          δ_{l−1} from δ_l and W_l (if l ≥ 1), and the update of W_{l+1}'s
 *                              entries of the blocks of layer l       (barrier after each)
 *     update W_0               rows of the blocks of layer 0
 *
 * W_{l+1} is read only by the δ_l phase, so it is updated in the phase after it: every element
 * is the value the reference (gradient first, update last) computes.
 */
import { activate, activationDerivative } from './activations.js';
import type { DeepCoefficients } from './scaling.js';
import { fanIn, hasBiasVector, isResidualBlock, type DeepSpec } from './spec.js';

/** Output neurons per block of a layer (the last block of a layer may be partial). */
export const DEEP_BLOCK_SIZE = 64;

/** The arrays a step stores in its precision: float64 or float32. */
export type RealArray = Float64Array | Float32Array;

/** A precision's array constructor. */
export type RealArrayConstructor = Float64ArrayConstructor | Float32ArrayConstructor;

/**
 * The parameters of a deep network stored in a precision (DeepParams' layout).
 *
 * @example
 * const p: DeepParamsOf<Float32Array> = { weights: [new Float32Array(4)], biases: [new Float32Array(0)] };
 */
export interface DeepParamsOf<T extends RealArray> {
  readonly weights: readonly T[];
  readonly biases: readonly T[];
}

/**
 * An update's coefficients for one tensor: w ← shrink·w − step·g (engine/step-plan.ts).
 *
 * @example
 * const c: BlockUpdateCoefficients = { shrink: 1 - 0.1 * 1e-3, step: 0.1 };
 */
export interface BlockUpdateCoefficients {
  readonly shrink: number;
  readonly step: number;
}

/**
 * The update of a slice of one tensor from its gradient: `w[offset..offset+count)` from
 * `g[gOffset..gOffset+count)`. The one place the step writes parameters — an optimizer with state
 * (momentum, Adam) replaces it without touching the loops.
 *
 * @example
 * const update: BlockUpdate = sgdBlockUpdate;
 */
export type BlockUpdate = (w: RealArray, g: RealArray, offset: number, gOffset: number, count: number, coefficients: BlockUpdateCoefficients) => void;

/**
 * Plain (S)GD with decoupled shrink: w ← shrink·w − step·g, element by element (the reference's
 * update, bitwise).
 *
 * @example
 * const w = Float64Array.of(1, 2);
 * sgdBlockUpdate(w, Float64Array.of(10, 10), 0, 0, 2, { shrink: 1, step: 0.1 }); // w = [0, 1]
 */
export function sgdBlockUpdate(w: RealArray, g: RealArray, offset: number, gOffset: number, count: number, coefficients: BlockUpdateCoefficients): void {
  const { shrink, step } = coefficients;
  for (let q = 0; q < count; q++) w[offset + q] = shrink * w[offset + q] - step * g[gOffset + q];
}

/**
 * Everything one step reads and writes, preallocated for `n` samples (the step's batch, or the
 * training set): the augmented inputs x̃ (n × D), per hidden layer z_l, h_l and δ_l = ∂(κR)/∂z_l
 * (n × m_l, sample-major), the outputs f and residuals r (n × k, float64). The arrays may live in
 * shared memory (the sharded engine's workers each see the same buffers).
 *
 * @example
 * import { resolveDeepSpec } from '@mflab/core';
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8 });
 * const buffers: DeepStepBuffers = allocateDeepStepBuffers(spec, Float64Array, 4);
 */
export interface DeepStepBuffers {
  readonly n: number;
  readonly x: RealArray;
  readonly pre: readonly RealArray[];
  readonly post: readonly RealArray[];
  readonly delta: readonly RealArray[];
  readonly f: Float64Array;
  readonly r: Float64Array;
}

/**
 * Fresh step buffers for `n` samples in the precision of `Real`.
 *
 * @example
 * import { resolveDeepSpec } from '@mflab/core';
 * const spec = resolveDeepSpec({ d: 2, depth: 3, width: 16 });
 * allocateDeepStepBuffers(spec, Float32Array, 10).pre.length; // 3 (`allocate` may place them in shared memory)
 */
export function allocateDeepStepBuffers(spec: DeepSpec, Real: RealArrayConstructor, n: number, allocate: (Real: RealArrayConstructor, length: number) => RealArray = (R, length) => new R(length)): DeepStepBuffers {
  const layer = () => spec.widths.map((m) => allocate(Real, n * m));
  const k = spec.outputs;
  return { n, x: allocate(Real, n * spec.D), pre: layer(), post: layer(), delta: layer(), f: allocate(Float64Array, n * k) as Float64Array, r: allocate(Float64Array, n * k) as Float64Array };
}

/**
 * The scratch of one thread's gradient block: the largest block of any tensor, `blockSize`
 * rows of the widest fan-in (or k columns × blockSize of the output layer, or a bias block).
 *
 * @example
 * import { resolveDeepSpec } from '@mflab/core';
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8 });
 * gradientScratchLength(spec, 64); // 8 × 8
 */
export function gradientScratchLength(spec: DeepSpec, blockSize: number): number {
  let cols = spec.outputs;
  for (let l = 0; l < spec.depth; l++) cols = Math.max(cols, fanIn(spec, l));
  return Math.min(blockSize, Math.max(...spec.widths)) * cols;
}

/**
 * What every phase reads: the spec, its coefficients, the parameters in the step's precision,
 * the step's buffers, and the update rule.
 *
 * @example
 * import { resolveDeepSpec, initDeepParams, resolveDeepInit, deepCoefficients } from '@mflab/core';
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8 });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * const step: DeepBlockStep = { spec, co: deepCoefficients(spec), params: w, buffers: allocateDeepStepBuffers(spec, Float64Array, 4), update: sgdBlockUpdate };
 */
export interface DeepBlockStep {
  readonly spec: DeepSpec;
  readonly co: DeepCoefficients;
  readonly params: DeepParamsOf<RealArray>;
  readonly buffers: DeepStepBuffers;
  readonly update: BlockUpdate;
}

/**
 * Forward phase of hidden layer `l` on its neurons [j0, j1), every sample: z_l = μ W_l h_{l−1}
 * (+ μ_b b) (residual: z_{l−1} + β(…)), h_l = φ(z_l). network.ts's `forwardWith`, element by element.
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   forwardBlock(step, 0, 0, 8); // layer 1's neurons 0..7
 * };
 */
export function forwardBlock(step: DeepBlockStep, l: number, j0: number, j1: number): void {
  const { spec, co, params, buffers } = step;
  const { n } = buffers;
  const m = spec.widths[l];
  const cols = fanIn(spec, l);
  const h = l === 0 ? buffers.x : buffers.post[l - 1];
  const zPrev = l === 0 ? null : buffers.pre[l - 1];
  const z = buffers.pre[l];
  const hOut = buffers.post[l];
  const w = params.weights[l];
  const mu = co.weights[l].multiplier;
  const bias = hasBiasVector(spec, l) ? params.biases[l] : null;
  const muB = co.biases[l]?.multiplier ?? 0;
  const residual = isResidualBlock(spec, l);
  const beta = spec.residualScale;
  const phi = spec.activation;
  for (let i = 0; i < n; i++) {
    const hOff = i * cols;
    for (let j = j0; j < j1; j++) {
      const wOff = j * cols;
      let s = 0;
      for (let q = 0; q < cols; q++) s += w[wOff + q] * h[hOff + q];
      let v = mu * s;
      if (bias) v += muB * bias[j];
      const t = i * m + j;
      z[t] = residual ? (zPrev as RealArray)[t] + beta * v : v;
      hOut[t] = activate(phi, z[t]);
    }
  }
}

/**
 * Output phase on samples [i0, i1): f_ic = μ Σ_j w_cj h_ij (float64; f32 rounds each f once).
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   outputRows(step, 0, step.buffers.n);
 * };
 */
export function outputRows(step: DeepBlockStep, i0: number, i1: number): void {
  const { spec, co, params, buffers } = step;
  const L = spec.depth;
  const k = spec.outputs;
  const m = spec.widths[L - 1];
  const h = buffers.post[L - 1];
  const w = params.weights[L];
  const mu = co.weights[L].multiplier;
  const round = w instanceof Float32Array;
  const { f } = buffers;
  for (let i = i0; i < i1; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += w[c * m + j] * h[i * m + j];
      f[i * k + c] = round ? Math.fround(mu * s) : mu * s;
    }
  }
}

/**
 * δ of the top hidden layer on its neurons [j0, j1): δ_ij = (μ Σ_c r_ic w_cj) φ'(z_ij).
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   deltaTopBlock(step, 0, 8);
 * };
 */
export function deltaTopBlock(step: DeepBlockStep, j0: number, j1: number): void {
  const { spec, co, params, buffers } = step;
  const { n, r } = buffers;
  const L = spec.depth;
  const k = spec.outputs;
  const m = spec.widths[L - 1];
  const w = params.weights[L];
  const mu = co.weights[L].multiplier;
  const z = buffers.pre[L - 1];
  const g = buffers.delta[L - 1];
  const phi = spec.activation;
  for (let i = 0; i < n; i++) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += r[i * k + c] * w[c * m + j];
      g[i * m + j] = mu * s * activationDerivative(phi, z[i * m + j]);
    }
  }
}

/** The branch factor and multipliers of layer l's gradient: z_l = (z_{l−1} +) branch · (μ W h + B). */
function branchMultipliers(step: DeepBlockStep, l: number): { mu: number; muB: number; residual: boolean } {
  const { spec, co } = step;
  const residual = isResidualBlock(spec, l);
  const branch = residual ? spec.residualScale : 1;
  const bco = co.biases[l];
  return { mu: branch * co.weights[l].multiplier, muB: bco ? branch * bco.multiplier : 0, residual };
}

/**
 * δ_{l−1} on layer l−1's neurons [q0, q1) (l ≥ 1): (μ Σ_j δ_l,ij w_jq) φ'(z_{l−1,iq}), plus δ_l,iq
 * across a residual skip. Reads all of δ_l and columns q0..q1 of W_l (before its update).
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   deltaBlock(step, 1, 0, 8); // δ of layer 1's first 8 neurons from layer 2
 * };
 */
export function deltaBlock(step: DeepBlockStep, l: number, q0: number, q1: number): void {
  const { spec, params, buffers } = step;
  const { n } = buffers;
  const m = spec.widths[l];
  const cols = fanIn(spec, l);
  const w = params.weights[l];
  const g = buffers.delta[l];
  const zPrev = buffers.pre[l - 1];
  const gPrev = buffers.delta[l - 1];
  const { mu, residual } = branchMultipliers(step, l);
  const phi = spec.activation;
  for (let i = 0; i < n; i++) {
    for (let q = q0; q < q1; q++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += g[i * m + j] * w[j * cols + q];
      let v = mu * s * activationDerivative(phi, zPrev[i * cols + q]);
      if (residual) v += g[i * m + q];
      gPrev[i * cols + q] = v;
    }
  }
}

/**
 * Gradient and update of hidden layer l's rows [j0, j1) of W_l (and its bias entries):
 * g_jq = μ Σ_i δ_ij h_{l−1,iq} into `scratch`, then `step.update` on the rows.
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   updateLayerBlock(step, 0, 0, 8, { shrink: 1, step: 0.1 }, null, new Float64Array(64));
 * };
 */
export function updateLayerBlock(step: DeepBlockStep, l: number, j0: number, j1: number, cw: BlockUpdateCoefficients, cb: BlockUpdateCoefficients | null, scratch: RealArray): void {
  const { spec, params, buffers } = step;
  const { n } = buffers;
  const m = spec.widths[l];
  const cols = fanIn(spec, l);
  const hPrev = l === 0 ? buffers.x : buffers.post[l - 1];
  const g = buffers.delta[l];
  const { mu, muB } = branchMultipliers(step, l);
  for (let j = j0; j < j1; j++) {
    const out = (j - j0) * cols;
    for (let q = 0; q < cols; q++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += g[i * m + j] * hPrev[i * cols + q];
      scratch[out + q] = mu * s;
    }
  }
  step.update(params.weights[l], scratch, j0 * cols, 0, (j1 - j0) * cols, cw);
  if (cb && params.biases[l].length > 0) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += g[i * m + j];
      scratch[j - j0] = muB * s;
    }
    step.update(params.biases[l], scratch, j0, 0, j1 - j0, cb);
  }
}

/**
 * Gradient and update of the output weights' columns [j0, j1) (neurons of the top hidden layer):
 * g_cj = μ Σ_i r_ic h_ij, then `step.update` on each output's slice.
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   updateOutputBlock(step, 0, 8, { shrink: 1, step: 0.1 }, new Float64Array(64));
 * };
 */
export function updateOutputBlock(step: DeepBlockStep, j0: number, j1: number, c: BlockUpdateCoefficients, scratch: RealArray): void {
  const { spec, co, params, buffers } = step;
  const { n, r } = buffers;
  const L = spec.depth;
  const k = spec.outputs;
  const m = spec.widths[L - 1];
  const h = buffers.post[L - 1];
  const mu = co.weights[L].multiplier;
  const width = j1 - j0;
  for (let o = 0; o < k; o++) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += r[i * k + o] * h[i * m + j];
      scratch[o * width + j - j0] = mu * s;
    }
  }
  for (let o = 0; o < k; o++) step.update(params.weights[L], scratch, o * m + j0, o * width, width, c);
}

/**
 * Blocks [first, last) of a layer of width m cut in `blockSize` neurons: the blocks [b0, b1) of
 * part `part` of `parts` (contiguous, nearly equal), as neuron bounds [j0, j1).
 *
 * @example
 * ownedNeurons(100, 16, 2, 1); // [64, 100]: blocks 4..6 of 7
 */
export function ownedNeurons(m: number, blockSize: number, parts: number, part: number): [number, number] {
  const blocks = Math.ceil(m / blockSize);
  const b0 = Math.round((part * blocks) / parts);
  const b1 = Math.round(((part + 1) * blocks) / parts);
  return [Math.min(m, b0 * blockSize), Math.min(m, b1 * blockSize)];
}

/**
 * The per-tensor coefficients of one update: weights[l] and biases[l] (null where there is no
 * bias vector).
 *
 * @example
 * const c: DeepUpdateCoefficients = { weights: [{ shrink: 1, step: 0.1 }], biases: [null] };
 */
export interface DeepUpdateCoefficients {
  readonly weights: readonly BlockUpdateCoefficients[];
  readonly biases: readonly (BlockUpdateCoefficients | null)[];
}

/**
 * The per-block compute of a step: what the runner calls on each block, pluggable. The TS
 * implementation is {@link TS_BLOCK_KERNEL} (the functions above). Another implementation (e.g. a
 * native per-block MatMul) must write the same elements with the same meaning; it keeps the
 * runner's worker-count invariance as long as each element it writes depends only on the
 * block's inputs, not on which blocks a thread owns.
 *
 * @example
 * const counting: DeepBlockKernel = { ...TS_BLOCK_KERNEL, forwardBlock: (step, l, j0, j1) => TS_BLOCK_KERNEL.forwardBlock(step, l, j0, j1) };
 */
export interface DeepBlockKernel {
  forwardBlock(step: DeepBlockStep, l: number, j0: number, j1: number): void;
  outputRows(step: DeepBlockStep, i0: number, i1: number): void;
  deltaTopBlock(step: DeepBlockStep, j0: number, j1: number): void;
  deltaBlock(step: DeepBlockStep, l: number, q0: number, q1: number): void;
  updateLayerBlock(step: DeepBlockStep, l: number, j0: number, j1: number, cw: BlockUpdateCoefficients, cb: BlockUpdateCoefficients | null, scratch: RealArray): void;
  updateOutputBlock(step: DeepBlockStep, j0: number, j1: number, c: BlockUpdateCoefficients, scratch: RealArray): void;
}

/**
 * The TypeScript per-block compute: plain loops, one double accumulator per element (f32: rounded
 * once on store). In f64 bitwise network.ts's reference.
 *
 * @example
 * const runnerOf = (step: DeepBlockStep) => new DeepBlockRunner(step, 64, 1, 0, TS_BLOCK_KERNEL);
 */
export const TS_BLOCK_KERNEL: DeepBlockKernel = { forwardBlock, outputRows, deltaTopBlock, deltaBlock, updateLayerBlock, updateOutputBlock };

/**
 * The phases of one step a thread runs between barriers, on its own blocks. `part` of `parts`
 * owns a contiguous range of blocks of every layer (and a contiguous range of samples for the
 * output phase); `barrier()` waits for every thread. One thread (parts = 1, a no-op barrier) is
 * the single-thread step. The residuals r are written by the caller between `forwardPhases` and
 * `backwardPhases` (with a barrier).
 *
 * @example
 * const run = (step: DeepBlockStep) => {
 *   const runner = new DeepBlockRunner(step, 64, 1, 0);
 *   runner.forwardPhases(() => {});
 * };
 */
export class DeepBlockRunner {
  private readonly scratch: RealArray;
  /** Per hidden layer, the neurons [j0, j1) this thread owns, flat (2l, 2l + 1). */
  private readonly bounds: Int32Array;

  constructor(
    readonly step: DeepBlockStep,
    readonly blockSize: number,
    readonly parts: number,
    readonly part: number,
    /** The per-block compute (default the TS loops). */
    readonly kernel: DeepBlockKernel = TS_BLOCK_KERNEL,
  ) {
    const Real: RealArrayConstructor = step.params.weights[0] instanceof Float32Array ? Float32Array : Float64Array;
    this.scratch = new Real(gradientScratchLength(step.spec, blockSize));
    this.bounds = new Int32Array(2 * step.spec.depth);
    for (let l = 0; l < step.spec.depth; l++) this.bounds.set(ownedNeurons(step.spec.widths[l], blockSize, parts, part), 2 * l);
  }

  /** Forward of every hidden layer, then the output f on this thread's samples. */
  forwardPhases(barrier: () => void): void {
    const { step, bounds, blockSize: B, kernel } = this;
    for (let l = 0; l < step.spec.depth; l++) {
      const end = bounds[2 * l + 1];
      for (let j0 = bounds[2 * l]; j0 < end; j0 += B) kernel.forwardBlock(step, l, j0, Math.min(end, j0 + B));
      barrier();
    }
    const { n } = step.buffers;
    kernel.outputRows(step, Math.round((this.part * n) / this.parts), Math.round(((this.part + 1) * n) / this.parts));
    barrier();
  }

  /** δ of every layer and the update of every tensor (the residuals r written). */
  backwardPhases(c: DeepUpdateCoefficients, barrier: () => void): void {
    const { step, scratch, bounds, blockSize: B, kernel } = this;
    const L = step.spec.depth;
    let end = bounds[2 * L - 1];
    for (let j0 = bounds[2 * L - 2]; j0 < end; j0 += B) kernel.deltaTopBlock(step, j0, Math.min(end, j0 + B));
    barrier();
    for (let l = L - 1; l >= 0; l--) {
      // δ_{l−1} reads W_l; W_{l+1} was last read by δ_l's phase, so it is updated now.
      if (l >= 1) {
        end = bounds[2 * l - 1];
        for (let q0 = bounds[2 * l - 2]; q0 < end; q0 += B) kernel.deltaBlock(step, l, q0, Math.min(end, q0 + B));
      }
      if (l === L - 1) {
        end = bounds[2 * l + 1];
        for (let j0 = bounds[2 * l]; j0 < end; j0 += B) kernel.updateOutputBlock(step, j0, Math.min(end, j0 + B), c.weights[L], scratch);
      } else {
        end = bounds[2 * l + 3];
        for (let j0 = bounds[2 * l + 2]; j0 < end; j0 += B) kernel.updateLayerBlock(step, l + 1, j0, Math.min(end, j0 + B), c.weights[l + 1], c.biases[l + 1], scratch);
      }
      barrier();
    }
    end = bounds[1];
    for (let j0 = bounds[0]; j0 < end; j0 += B) kernel.updateLayerBlock(step, 0, j0, Math.min(end, j0 + B), c.weights[0], c.biases[0], scratch);
    barrier();
  }
}
