/**
 * The input–output Jacobian of a deep network and its singular values (ARCHITECTURE.md §7,
 * observables at init: dynamical isometry). Following Pennington, Schoenholz & Ganguli 2017
 * ("Resurrecting the sigmoid in deep learning through dynamical isometry"), the Jacobian is that
 * of the last hidden layer's activations with respect to the input, J = ∂h_L/∂x (m_L × d) —
 * for a plain net J = D_L W_L ⋯ D_2 W_2 D_1 W_1 with D_l = diag(φ'(z_l)) — or, on request, of
 * the outputs, ∂f/∂x = W_{L+1} J (k × d). x is the raw input: the bias coordinate of x̃ is not
 * differentiated.
 */
import { InvalidInputError } from '../errors.js';
import { activationDerivative } from './activations.js';
import { singularValues } from './linalg.js';
import { deepForward } from './network.js';
import type { DeepParams } from './params.js';
import { deepCoefficients } from './scaling.js';
import { fanIn, isResidualBlock, type DeepSpec } from './spec.js';

/** A row-major rows × cols Jacobian. *
 * @example
 * const J: DeepJacobian = { rows: 2, cols: 2, values: Float64Array.of(1, 0, 0, 1) };
 * jacobianSpectrum(J).spread; // 0
 */
export interface DeepJacobian {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

/**
 * J = ∂h_L/∂x at one raw input x ∈ R^d (`of: 'hidden'`, default), or ∂f/∂x (`of: 'output'`), by
 * forward-mode differentiation through the layers (residual blocks add the identity path).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 4, depth: 3, width: 4, activation: 'linear', bias: false, scaling: 'ntk', inputFanIn: 'd' });
 * const w = initDeepParams(spec, resolveDeepInit(spec, { kind: 'orthogonal' }), 0);
 * const J = inputJacobian(spec, w, Float64Array.of(1, 0, 0, 0)); // 4 × 4, orthogonal
 */
export function inputJacobian(spec: DeepSpec, params: DeepParams, x: Float64Array, of: 'hidden' | 'output' = 'hidden'): DeepJacobian {
  const d = spec.d;
  if (x.length !== d) throw new InvalidInputError('x', `expected one raw input of d = ${d} values, got ${x.length}`);
  const xt = new Float64Array(spec.D);
  xt.set(x);
  if (spec.bias) xt[d] = 1;
  const { pre } = deepForward(spec, params, { n: 1, D: spec.D, x: xt }, { keep: true });
  const co = deepCoefficients(spec);
  const phi = spec.activation;
  // T = ∂z_l/∂x (m_l × d); layer 1: μ_1 times W_1's first d columns.
  let m = spec.widths[0];
  let cols = spec.D;
  let T = new Float64Array(m * d);
  const mu1 = co.weights[0].multiplier;
  const w1 = params.weights[0];
  for (let j = 0; j < m; j++) for (let q = 0; q < d; q++) T[j * d + q] = mu1 * w1[j * cols + q];
  for (let l = 1; l < spec.depth; l++) {
    const prevM = m;
    m = spec.widths[l];
    cols = fanIn(spec, l);
    const residual = isResidualBlock(spec, l);
    const mu = (residual ? spec.residualScale : 1) * co.weights[l].multiplier;
    const w = params.weights[l];
    const z = pre[l - 1];
    // ∂h_{l−1}/∂x = D_{l−1} T.
    const H = new Float64Array(prevM * d);
    for (let p = 0; p < prevM; p++) {
      const dp = activationDerivative(phi, z[p]);
      for (let q = 0; q < d; q++) H[p * d + q] = dp * T[p * d + q];
    }
    const next = new Float64Array(m * d);
    for (let j = 0; j < m; j++) {
      for (let q = 0; q < d; q++) {
        let s = 0;
        for (let p = 0; p < prevM; p++) s += w[j * cols + p] * H[p * d + q];
        next[j * d + q] = mu * s + (residual ? T[j * d + q] : 0);
      }
    }
    T = next;
  }
  const zL = pre[spec.depth - 1];
  for (let p = 0; p < m; p++) {
    const dp = activationDerivative(phi, zL[p]);
    for (let q = 0; q < d; q++) T[p * d + q] *= dp;
  }
  if (of === 'hidden') return { rows: m, cols: d, values: T };
  const k = spec.outputs;
  const wOut = params.weights[spec.depth];
  const muOut = co.weights[spec.depth].multiplier;
  const J = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let q = 0; q < d; q++) {
      let s = 0;
      for (let p = 0; p < m; p++) s += wOut[c * m + p] * T[p * d + q];
      J[c * d + q] = muOut * s;
    }
  }
  return { rows: k, cols: d, values: J };
}

/** The singular values of a Jacobian (descending) and their summary: the §7 observable is mean and spread. *
 * @example
 * const s: JacobianSpectrum = jacobianSpectrum({ rows: 1, cols: 2, values: Float64Array.of(3, 4) });
 * s.max; // 5
 */
export interface JacobianSpectrum {
  readonly values: Float64Array;
  readonly mean: number;
  /** Standard deviation of the singular values. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** max − min: 0 for perfect dynamical isometry. */
  readonly spread: number;
}

/**
 * The singular values of J (one-sided Jacobi, linalg.ts) with their mean, standard deviation and
 * spread (max − min).
 *
 * @example
 * jacobianSpectrum({ rows: 2, cols: 2, values: Float64Array.of(2, 0, 0, 1) }).spread; // 1
 */
export function jacobianSpectrum(J: DeepJacobian): JacobianSpectrum {
  const values = singularValues(J.values, J.rows, J.cols);
  const p = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / p;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const max = values[0];
  const min = values[p - 1];
  return { values, mean, std: Math.sqrt(ss / p), min, max, spread: max - min };
}
