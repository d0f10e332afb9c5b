/**
 * Bounded wasm calls: the forward and update kernels cut into calls of bounded work, so that V8
 * runs them in its optimizing tier from the first step on.
 *
 * Why. Node's V8 compiles a wasm function first with its baseline compiler (Liftoff) and
 * recompiles it with the optimizing one (TurboFan) in the background once it is hot; the new
 * code is used from the next call on, never inside a call already running (wasm has no
 * on-stack replacement). One call of the forward pass or the update at (n, D, m) =
 * (10 000, 785, 1024) is 8·10⁹ multiply-adds: the first such call ran from start to end in
 * baseline code, 3–7× slower (measured: a first step of 11 s on 2 workers instead of 1.7 s,
 * 5.5 s on one thread instead of 2 s) — most of such a run's start-up. Cut into calls of about
 * {@link WASM_CALL_WORK} multiply-adds, only the first few milliseconds run in baseline code.
 *
 * The cuts leave every result bit for bit as one call gives it:
 * - forward: a call covers whole neuron blocks (relative to j0) and a range of samples on a
 *   multiple of {@link CALL_SAMPLE_ALIGN}. A sample's output does not depend on other samples,
 *   and for each sample the blocks are still added to the float64 output in block order (the
 *   first call of a sample range clears it when the caller asked to, the later ones accumulate).
 * - update: a call covers a range of neurons on a multiple of 4 from j0 (a neuron's update, or
 *   its gradient in grad mode, depends on no other neuron; the grad pointer moves with j0).
 * Sample ranges also keep a slice of x̃ in cache across the blocks, which makes the forward pass
 * at (10 000, 785, 1024) about 20% faster than one call.
 */
import type { Precision } from '../types.js';
import type { PrecisionKernels } from './wasm-module.js';

/**
 * Most multiply-adds (samples × neurons × (D + k)) one forward or update call does, unless the
 * kernel's smallest unit (one block over 16 samples; 4 neurons over every sample) is larger:
 * about 2 ms of optimized code on one thread, and at most that much of baseline code before V8
 * has the optimized code ready.
 */
export const WASM_CALL_WORK = 1 << 24;

/** Sample ranges of a forward call start on multiples of this (whole SIMD chunks and 64-byte lines in f32). */
export const CALL_SAMPLE_ALIGN = 16;

/** Neuron ranges of an update call start on multiples of this from j0 (the kernels' register tile). */
const NEURON_ALIGN = 4;

/**
 * `kernels` (one precision's raw exports) with forward, update and their vector versions cut
 * into calls of at most `work` multiply-adds where a call is larger (see the file's comment);
 * the applyGradients kernels (no sample loop) pass through. Same signatures, same results bit
 * for bit, no allocation per call.
 */
export function boundedCalls(kernels: PrecisionKernels, precision: Precision, work = WASM_CALL_WORK): PrecisionKernels {
  const S = precision === 'f32' ? 4 : 8;
  const raw = kernels;

  /** forward (vec false, k = 1) or forwardVec with k outputs, cut into calls (no closure per call: a step allocates nothing). */
  const forwardCalls = (vec: boolean, n: number, stride: number, D: number, k: number, x: number, a: number, b: number, j0: number, j1: number, blockSize: number, acc: number, out: number, accumulate: number): void => {
    const unit = D + k;
    let samples = n;
    let span = j1 - j0;
    if (j1 > j0 && n > 0 && n * (j1 - j0) * unit > work) {
      const blockNeurons = Math.min(blockSize, j1 - j0);
      if (blockNeurons * n * unit > work) {
        samples = Math.max(CALL_SAMPLE_ALIGN, Math.floor(work / (blockNeurons * unit) / CALL_SAMPLE_ALIGN) * CALL_SAMPLE_ALIGN);
        span = blockSize;
      } else {
        span = blockSize * Math.max(1, Math.floor(work / (blockNeurons * n * unit)));
      }
    }
    if (samples >= n && span >= j1 - j0) {
      if (vec) raw.forwardVec(n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate);
      else raw.forward(n, stride, D, x, a, b, j0, j1, blockSize, acc, out, accumulate);
      return;
    }
    for (let i0 = 0; i0 < n; i0 += samples) {
      const count = Math.min(samples, n - i0);
      const xi = x + i0 * S;
      const oi = out + i0 * k * 8;
      for (let j = j0; j < j1; j += span) {
        const end = Math.min(j1, j + span);
        const add = j > j0 ? 1 : accumulate;
        if (vec) raw.forwardVec(count, stride, D, k, xi, a, b, j, end, blockSize, acc, oi, add);
        else raw.forward(count, stride, D, xi, a, b, j, end, blockSize, acc, oi, add);
      }
    }
  };

  /** Neurons per update call: a multiple of 4, at least 4. */
  const neuronsPerCall = (n: number, unit: number, j0: number, j1: number): number => {
    if ((j1 - j0) * n * unit <= work) return j1 - j0;
    return Math.max(NEURON_ALIGN, Math.floor(work / (n * unit) / NEURON_ALIGN) * NEURON_ALIGN);
  };

  return {
    forward(n, stride, D, x, a, b, j0, j1, blockSize, acc, out, accumulate) {
      forwardCalls(false, n, stride, D, 1, x, a, b, j0, j1, blockSize, acc, out, accumulate);
    },
    forwardVec(n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate) {
      forwardCalls(true, n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate);
    },
    update(n, stride, D, x, a, b, r, j0, j1, coef, ga, grad) {
      const per = neuronsPerCall(n, D + 1, j0, j1);
      if (per >= j1 - j0) {
        raw.update(n, stride, D, x, a, b, r, j0, j1, coef, ga, grad);
        return;
      }
      const gradBytes = (D + 1) * 8;
      for (let j = j0; j < j1; j += per) raw.update(n, stride, D, x, a, b, r, j, Math.min(j1, j + per), coef, ga, grad === 0 ? 0 : grad + (j - j0) * gradBytes);
    },
    updateVec(n, stride, D, k, x, a, b, r, j0, j1, coef, ga, gb, grad) {
      const per = neuronsPerCall(n, D + k, j0, j1);
      if (per >= j1 - j0) {
        raw.updateVec(n, stride, D, k, x, a, b, r, j0, j1, coef, ga, gb, grad);
        return;
      }
      const gradBytes = (k + D) * 8;
      for (let j = j0; j < j1; j += per) raw.updateVec(n, stride, D, k, x, a, b, r, j, Math.min(j1, j + per), coef, ga, gb, grad === 0 ? 0 : grad + (j - j0) * gradBytes);
    },
    applyGradients: raw.applyGradients,
    applyGradientsVec: raw.applyGradientsVec,
  };
}
