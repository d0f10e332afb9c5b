import { DEEP_OBSERVABLES, LAYER_OBSERVABLES, OBSERVABLES } from '@mflab/store';
import { classLossValue, lossValue } from '../loss.js';
import { outputCount, type NetworkParams } from '../model/params.js';
import { CounterRng, RandomStream } from '../random/index.js';
import { DEEP, type LossName } from '../types.js';

/**
 * One logged row (ARCHITECTURE.md §1 "Observables"; the names are the store's column names).
 * NaN marks what does not apply: no test set, regression targets (errors, margin), or a step
 * at which `ntk_drift` is not computed.
 */
export interface ObservableRow {
  step: number;
  /** step · η: the time of the gradient flow being discretized. */
  time: number;
  risk_train: number;
  risk_test: number;
  /** F(w) of eq. (2). */
  objective: number;
  error_train: number;
  error_test: number;
  /** ‖w(t) − w(0)‖ / ‖w(0)‖ over all parameters. */
  move: number;
  /** (1/m) Σ_j ‖w_j‖² (‖w_j‖² = ‖a_j‖² + ‖b_j‖²). */
  l2: number;
  /** (1/m) Σ_j ‖b_j‖ ‖a_j‖ (variation-norm proxy). */
  path: number;
  /**
   * min_i y_i f(x_i) / l2 on the training set; with k classes the margin of sample i is the
   * correct-class output minus the best other, f_{y_i}(x_i) − max_{c ≠ y_i} f_c(x_i), also over l2.
   */
  margin: number;
  /** ‖K_t − K_0‖_F / ‖K_0‖_F on the probe set. */
  ntk_drift: number;
}

/** The columns of a logged row: step, time and the store's one list of observable names. */
export const OBSERVABLE_COLUMNS: readonly (keyof ObservableRow)[] = ['step', 'time', ...OBSERVABLES];

/**
 * The observables of a deep network (ARCHITECTURE.md §7) beyond §1's, on every row of a deep
 * run: per layer, in layer order, and the input–output Jacobian at initialization. The names are
 * the store's (`DEEP_OBSERVABLES`, `LAYER_OBSERVABLES`); what does not apply at a step is NaN.
 *
 * @example
 * const extra: LayerObservables = { jacobian_mean: 1, jacobian_spread: 0, move_layers: [0, 0], feature_move: [0], feature_scale: [0.5], corr_layers: [0.9], ntk_layers: [0.7, 0.3] };
 */
export interface LayerObservables {
  /** Mean singular value of J = ∂h_L/∂x at the first training input, at step 0 (NaN later). */
  jacobian_mean: number;
  /** Largest minus smallest singular value of that J, at step 0 (NaN later). */
  jacobian_spread: number;
  /** ‖θ_l(t) − θ_l(0)‖_F / ‖θ_l(0)‖_F for the weights and bias of each layer l = 1…L+1. */
  move_layers: number[];
  /** RMS over the probe inputs and the units of h_l(t) − h_l(0), l = 1…L (the μP coordinate check's movement). */
  feature_move: number[];
  /** Mean |h_l| over the probe inputs and the units, l = 1…L (microsoft/mup's coordinate check). */
  feature_scale: number[];
  /** ρ_l: the cosine of the pre-activations z_l of the first two probe inputs at step 0, l = 1…L (NaN later). */
  corr_layers: number[];
  /**
   * Layer l's contribution Θ_l to the tangent kernel Θ = Σ_l Θ_l on the NTK probe (its weights'
   * and bias's gradients, each weighted by its learning-rate factor γ, as ntk_drift's kernel),
   * reduced to the mean of Θ_l(x_i, x_i) over the probe (so Σ_l is the mean diagonal of Θ),
   * l = 1…L+1; on the rows where the NTK is logged (`log.ntk.every`), NaN-filled on the others.
   */
  ntk_layers: number[];
}

/** A deep network's logged row: §1's observables and {@link LayerObservables}. */
export type DeepObservableRow = ObservableRow & LayerObservables;

/**
 * The metrics columns a model family logs after step and time: scalar float64 observables, then
 * per-layer List<Float64> ones (the deep family's; none for the two-layer network, whose schema
 * is §5's).
 *
 * @example
 * observableColumnsOf('deep').lists; // ['move_layers', 'feature_move', 'feature_scale', 'corr_layers', 'ntk_layers']
 */
export function observableColumnsOf(family: string): { scalars: readonly string[]; lists: readonly string[] } {
  return family === DEEP ? { scalars: [...OBSERVABLES, ...DEEP_OBSERVABLES], lists: LAYER_OBSERVABLES } : { scalars: OBSERVABLES, lists: [] };
}

// ObservableRow's fields are exactly step, time and the store's OBSERVABLES: adding an observable
// means its name there and its field and value here, and nothing compiles until both are done.
type RowNames = Exclude<keyof ObservableRow, 'step' | 'time'>;
type StoreNames = (typeof OBSERVABLES)[number];
const namesAgree: [RowNames] extends [StoreNames] ? ([StoreNames] extends [RowNames] ? true : never) : never = true;
void namesAgree;
type LayerNames = keyof LayerObservables;
type DeepStoreNames = (typeof DEEP_OBSERVABLES)[number] | (typeof LAYER_OBSERVABLES)[number];
const layerNamesAgree: [LayerNames] extends [DeepStoreNames] ? ([DeepStoreNames] extends [LayerNames] ? true : never) : never = true;
void layerNamesAgree;

/** Parameter statistics: Σ_j ‖w_j‖², (1/m)Σ|b_j|‖a_j‖, and the relative distance to w(0). */
export interface ParameterStats {
  sumSquares: number;
  l2: number;
  path: number;
  move: number;
}

/**
 * Σ_j ‖w_j‖², l2, path and move over every parameter, with ‖w_j‖² = ‖a_j‖² + ‖b_j‖² and
 * path = (1/m) Σ_j ‖b_j‖‖a_j‖ (for k = 1, ‖b_j‖ = √(b_j²) = |b_j| exactly).
 */
export function parameterStats(params: NetworkParams, initial: NetworkParams): ParameterStats {
  const { a, b, m, D } = params;
  const k = outputCount(params);
  let sumSquares = 0;
  let path = 0;
  let dist2 = 0;
  let init2 = 0;
  for (let j = 0; j < m; j++) {
    let an2 = 0;
    for (let q = 0; q < D; q++) {
      const v = a[j * D + q];
      const v0 = initial.a[j * D + q];
      an2 += v * v;
      dist2 += (v - v0) * (v - v0);
      init2 += v0 * v0;
    }
    let bn2 = 0;
    for (let c = 0; c < k; c++) {
      const v = b[j * k + c];
      const v0 = initial.b[j * k + c];
      bn2 += v * v;
      dist2 += (v - v0) * (v - v0);
      init2 += v0 * v0;
    }
    sumSquares += an2 + bn2;
    path += Math.sqrt(bn2) * Math.sqrt(an2);
  }
  return { sumSquares, l2: sumSquares / m, path: path / m, move: init2 > 0 ? Math.sqrt(dist2 / init2) : Math.sqrt(dist2) };
}

/**
 * Mean loss, error and smallest margin of n k-output predictions (f n × k, y class indices):
 * the error counts argmax_c f_c ≠ y (ties go to the lowest index, so an all-equal output is
 * wrong unless y = 0); the margin of a sample is f_y − max_{c≠y} f_c.
 */
export function classFitStats(loss: LossName, k: number, n: number, f: Float64Array, y: Float64Array): FitStats {
  if (n === 0) return { risk: NaN, error: NaN, minMargin: NaN };
  let risk = 0;
  let wrong = 0;
  let minMargin = Infinity;
  for (let i = 0; i < n; i++) {
    const off = i * k;
    const label = y[i];
    risk += classLossValue(loss, k, f, off, label);
    let best = 0;
    let other = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = f[off + c];
      if (v > f[off + best]) best = c;
      if (c !== label && v > other) other = v;
    }
    if (best !== label) wrong++;
    const margin = f[off + label] - other;
    if (margin < minMargin) minMargin = margin;
  }
  return { risk: risk / n, error: wrong / n, minMargin };
}

/** Mean loss, classification error (sign(f) ≠ y) and min_i y_i f_i over n predictions. */
export interface FitStats {
  risk: number;
  error: number;
  minMargin: number;
}

/**
 * {@link FitStats} of n scalar predictions f against targets y (k = 1; {@link classFitStats}
 * for k ≥ 2): risk R = (1/n) Σ_i ℓ(f_i, y_i) (ARCHITECTURE.md §1), error the fraction with
 * y_i f_i ≤ 0 (f_i = 0 counts as wrong), minMargin = min_i y_i f_i. Error and margin mean
 * something only for ±1 labels ({@link observableRow} reports NaN for regression). n = 0 gives NaN
 * for all three.
 *
 * @example
 * fitStats('square', 2, Float64Array.of(0.5, -1), Float64Array.of(1, -1)); // { risk: 0.0625, error: 0, minMargin: 0.5 }
 */
export function fitStats(loss: LossName, n: number, f: Float64Array, y: Float64Array): FitStats {
  if (n === 0) return { risk: NaN, error: NaN, minMargin: NaN };
  let risk = 0;
  let wrong = 0;
  let minMargin = Infinity;
  for (let i = 0; i < n; i++) {
    risk += lossValue(loss, f[i], y[i]);
    const yf = y[i] * f[i];
    if (!(yf > 0)) wrong++;
    if (yf < minMargin) minMargin = yf;
  }
  return { risk: risk / n, error: wrong / n, minMargin };
}

/**
 * What a model family reports of its parameters for a logged row: `move`, `l2`, `path`, and
 * `penalty`, the weight-decay term (λ/2) Σ ρ‖w‖² of the objective F (eq. 2).
 *
 * @example
 * const summary: ParameterSummary = { move: 0, l2: 1, path: 0.5, penalty: 0 };
 */
export interface ParameterSummary {
  move: number;
  l2: number;
  path: number;
  penalty: number;
}

/**
 * The two-layer network's {@link ParameterSummary} (ARCHITECTURE.md §1): {@link parameterStats}
 * and the penalty (λ/2) ρ Σ_j ‖w_j‖².
 *
 * @example
 * const p = allocateParams(2, 2);
 * twoLayerParameterSummary(p, p, 1e-3, 0.5).move; // 0
 */
export function twoLayerParameterSummary(params: NetworkParams, initial: NetworkParams, weightDecay: number, rho: number): ParameterSummary {
  const stats = parameterStats(params, initial);
  return { move: stats.move, l2: stats.l2, path: stats.path, penalty: 0.5 * weightDecay * rho * stats.sumSquares };
}

/** What one logged row is computed from: outputs on both sets and the parameters' summary (any engine, any family). */
export interface ObservableInputs {
  step: number;
  time: number;
  loss: LossName;
  /** κ: the weight of the risk in F. */
  kappa: number;
  classification: boolean;
  /** Number of outputs k (default 1); k > 1: outputs are n × k and targets class indices. */
  outputs?: number;
  trainOutputs: Float64Array;
  trainTargets: Float64Array;
  testOutputs: Float64Array;
  testTargets: Float64Array;
  /** move, l2, path and the weight-decay term of F, from the model family. */
  parameters: ParameterSummary;
  /** ntk_drift, or NaN when not computed at this step. */
  ntkDrift: number;
}

/**
 * The observables of ARCHITECTURE.md §1 from outputs and parameters. Every engine (single
 * thread, sharded, every model family) goes through this one function, so equal outputs and
 * parameters give bitwise equal rows.
 */
export function observableRow(inputs: ObservableInputs): ObservableRow {
  const { loss, classification } = inputs;
  const k = inputs.outputs ?? 1;
  const fit = (f: Float64Array, y: Float64Array) => (k === 1 ? fitStats(loss, y.length, f, y) : classFitStats(loss, k, y.length, f, y));
  const fitTrain = fit(inputs.trainOutputs, inputs.trainTargets);
  const fitTest = fit(inputs.testOutputs, inputs.testTargets);
  const stats = inputs.parameters;
  // eq. (2): F = κ R + (λ/2) ρ Σ_j ‖w_j‖²
  const objective = inputs.kappa * fitTrain.risk + stats.penalty;
  return {
    step: inputs.step,
    time: inputs.time,
    risk_train: fitTrain.risk,
    risk_test: fitTest.risk,
    objective,
    error_train: classification ? fitTrain.error : NaN,
    error_test: classification ? fitTest.error : NaN,
    move: stats.move,
    l2: stats.l2,
    path: stats.path,
    margin: classification ? fitTrain.minMargin / stats.l2 : NaN,
    ntk_drift: inputs.ntkDrift,
  };
}

/**
 * The fixed neuron subsample whose particles are snapshotted: `count` distinct indices of
 * [0, m), drawn by a seeded partial Fisher–Yates shuffle and sorted; all neurons when count ≥ m.
 * Random rather than evenly spaced because symmetric init pairs neighbours: a stride would
 * pick one sign of b only.
 */
export function particleSubsample(m: number, count: number, seed: number): Int32Array {
  if (count >= m) return Int32Array.from({ length: m }, (_, j) => j);
  const order = Int32Array.from({ length: m }, (_, j) => j);
  const rng = new CounterRng(seed, RandomStream.particleSubsample);
  for (let k = 0; k < count; k++) {
    const pick = k + rng.at(k).below(m - k);
    const t = order[k];
    order[k] = order[pick];
    order[pick] = t;
  }
  return order.slice(0, count).sort();
}

/** Particle positions (a_j, b_j) of a neuron subsample after `step` updates. */
export interface ParticleSnapshot {
  step: number;
  neurons: Int32Array;
  /** count × D, neuron-major */
  a: Float64Array;
  /** count × k, neuron-major (k = 1: one value per neuron) */
  b: Float64Array;
}

/** Copies (a_j, b_j) of the neurons `idx` out of `params`. */
export function particleSnapshot(params: NetworkParams, idx: Int32Array, step: number): ParticleSnapshot {
  const D = params.D;
  const outputs = outputCount(params);
  const a = new Float64Array(idx.length * D);
  const b = new Float64Array(idx.length * outputs);
  for (let k = 0; k < idx.length; k++) {
    const j = idx[k];
    for (let c = 0; c < D; c++) a[k * D + c] = params.a[j * D + c];
    for (let c = 0; c < outputs; c++) b[k * outputs + c] = params.b[j * outputs + c];
  }
  return { step, neurons: idx, a, b };
}
