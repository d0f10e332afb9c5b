/**
 * μP's coordinate check (ARCHITECTURE.md §7; Yang et al. 2022, Tensor Programs V, and
 * microsoft/mup's `coord_check`): train networks of growing width for a few steps of SGD on one
 * small fixed batch and record, per step and per layer, how far the features moved —
 * `feature_move`, the RMS over the batch and the units of h_l(t) − h_l(0) (the engine's
 * observable). Under μP it is flat in width (the fitted log–log exponent ≈ 0); under the standard
 * parametrization with a width-independent learning rate it grows with width (TP4 Theorem 4.1:
 * SP with c = 0 is unstable as m → ∞). (microsoft/mup's check records the mean |activation| of each
 * module per step; the movement from init is the part of it that training causes.)
 */
import { makeDataset, resolveDataSpec } from '../data/index.js';
import type { Activation } from '../kernels/activations.js';
import { DeepSimulation } from './engine.js';
import type { DeepPreset } from './spec.js';

/** What {@link coordinateCheck} runs (defaults in brackets). *
 * @example
 * const options: CoordinateCheckOptions = { widths: [64, 128], presets: ['mup'], steps: 3 };
 */
export interface CoordinateCheckOptions {
  /** The widths m [256, 512, 1024, 2048, 4096]. */
  readonly widths?: readonly number[];
  /** The parametrizations compared [mup, standard]. */
  readonly presets?: readonly DeepPreset[];
  /** L, hidden layers [2]. */
  readonly depth?: number;
  readonly activation?: Activation;
  /** SGD steps on the fixed batch [5]. */
  readonly steps?: number;
  /** η, the same at every width [0.005]. */
  readonly lr?: number;
  /** The batch: n teacher points in R^d [n = 4, d = 4]. */
  readonly n?: number;
  readonly d?: number;
  readonly seed?: number;
}

/** What {@link coordinateCheck} measured. *
 * @example
 * const result: CoordinateCheckResult = coordinateCheck({ widths: [32, 64], presets: ['mup'], steps: 2 });
 * result.exponents.mup?.[1]; // the log–log slope of feature_move vs width at step 2, per layer
 */
export interface CoordinateCheckResult {
  readonly widths: readonly number[];
  readonly depth: number;
  readonly steps: number;
  /** featureMove[preset][t − 1][width index][l − 1]: RMS of h_l(t) − h_l(0), t = 1…steps, l = 1…L. */
  readonly featureMove: Partial<Record<DeepPreset, number[][][]>>;
  /** exponents[preset][t − 1][l − 1]: the least-squares slope of ln feature_move on ln m. */
  readonly exponents: Partial<Record<DeepPreset, number[][]>>;
}

/**
 * The least-squares slope of ln y on ln x (a power law y ∝ x^slope); NaN with fewer than 2 points
 * or a non-positive value.
 *
 * @example
 * logLogSlope([1, 2, 4], [3, 6, 12]); // 1
 */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length < 2 || xs.length !== ys.length || ys.some((y) => !(y > 0))) return NaN;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) * (lx[i] - mx);
  }
  return sxy / sxx;
}

/**
 * Runs the coordinate check: for each preset and width, a `DeepSimulation` (full-batch GD on the
 * fixed batch, i.e. SGD on one batch) for `steps` steps, reading `feature_move` on the batch after
 * each step, and fits the width exponent per step and layer.
 *
 * @example
 * const { exponents } = coordinateCheck({ widths: [64, 128, 256], steps: 3 });
 * console.log(exponents.mup, exponents.standard);
 */
export function coordinateCheck(options: CoordinateCheckOptions = {}): CoordinateCheckResult {
  const widths = options.widths ?? [256, 512, 1024, 2048, 4096];
  const presets = options.presets ?? (['mup', 'standard'] as const);
  const depth = options.depth ?? 2;
  const steps = options.steps ?? 5;
  const n = options.n ?? 4;
  const seed = options.seed ?? 0;
  const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: options.d ?? 4, n, nTest: 0 }), seed);
  const featureMove: Partial<Record<DeepPreset, number[][][]>> = {};
  const exponents: Partial<Record<DeepPreset, number[][]>> = {};
  for (const preset of presets) {
    const byStep: number[][][] = Array.from({ length: steps }, () => []);
    for (const width of widths) {
      const sim = DeepSimulation.create(
        { seed, model: { depth, width, activation: options.activation ?? 'relu', parameterization: preset }, train: { steps, lr: options.lr ?? 0.005 }, log: { ntk: { probe: n } } },
        data,
      );
      for (let t = 0; t < steps; t++) {
        sim.step(1);
        byStep[t].push(sim.layerObservables().feature_move);
      }
    }
    featureMove[preset] = byStep;
    exponents[preset] = byStep.map((rows) => Array.from({ length: depth }, (_, l) => logLogSlope(widths, rows.map((r) => r[l]))));
  }
  return { widths, depth, steps, featureMove, exponents };
}
