/**
 * Initialization of deep networks (ARCHITECTURE.md §7): gaussian with (σ_w², σ_b²) per layer,
 * orthogonal (Haar, scaled), and the edge of chaos; seeded as §4 asks.
 *
 * Streams (§4). Unit j of hidden layer l (l = 1..L) draws from core's counter RNG at
 * (seed, RandomStream.init, index (l − 1)·2³² + j), in this order: its fan-in weights (row j of
 * W_l; for l = 1 the D entries of a_j, the bias weight last), then its bias (l ≥ 2, with `bias`),
 * then, for l = L, its k output weights (column j of W_{L+1}). For L = 1 that is exactly the
 * sequence model/init.ts draws for neuron j (a_j, then b_j ∈ R^k, from `rng.at(j)`), so a deep
 * net with L = 1 starts where §1's two-layer net does, bit for bit. A unit's draws depend only on
 * (seed, l, j), a layer's only on (seed, l) and its shape. Layer l uses the high word of the
 * 53-bit index, which the two-layer net (m < 2³²) never reaches.
 */
import { InvalidInputError, requireFinite, requireOneOf } from '../errors.js';
import { CounterRng, RandomStream, type Draws } from '../random/index.js';
import { allocateDeepParams, type DeepParams } from './params.js';
import { deepCoefficients } from './scaling.js';
import { semiOrthogonal } from './linalg.js';
import { fanIn, fanOut, hasBiasVector, type DeepActivation, type DeepSpec } from './spec.js';

/** `gaussian`: w_l ~ σ_l n_l^{−b_l} N(0, 1) entrywise; `orthogonal`: a scaled Haar (semi-)orthogonal matrix per layer. *
 * @example
 * const kind: DeepInitKind = 'orthogonal';
 */
export type DeepInitKind = 'gaussian' | 'orthogonal';
/** Every {@link DeepInitKind}. *
 * @example
 * DEEP_INIT_KINDS.includes('gaussian'); // true
 */
export const DEEP_INIT_KINDS: readonly DeepInitKind[] = ['gaussian', 'orthogonal'];

/**
 * `model.init` of a deep network as a user writes it. Variances are per layer or one number for
 * all: `weightVariance` σ_l² for l = 1..L+1 (input, hidden…, output), `biasVariance` σ_b,l² for
 * l = 1..L (layer 1's is the variance of W_1's bias column). Defaults: gaussian, σ² = 1 and
 * σ_b² = 1 (§1's σ_a = σ_b = 1 at L = 1).
 *
 * @example
 * const init: DeepInitInput = { kind: 'orthogonal', edgeOfChaos: true };
 */
export interface DeepInitInput {
  readonly kind?: DeepInitKind;
  readonly weightVariance?: number | readonly number[];
  readonly biasVariance?: number | readonly number[];
  /**
   * Pick (σ_w², σ_b²) on the edge of chaos of the activation, the same in every layer: χ₁ =
   * σ_w² E[φ'(z)²] = 1 at the variance fixed point. Built in: relu (σ_w² = 2, σ_b² = 0) and
   * linear (σ_w² = 1, σ_b² = 0); other activations need an {@link EdgeOfChaosSolver} (σ_b² from
   * `biasVariance`, a single number).
   */
  readonly edgeOfChaos?: boolean;
}

/**
 * σ_w² on the edge of chaos of φ for a given σ_b² (the hook for the solver in kernels/; e.g.
 * tanh: the (σ_w, σ_b) curve of Schoenholz et al. 2017).
 *
 * @example
 * const fixed: EdgeOfChaosSolver = (_phi, biasVariance) => 1 + biasVariance; // a stand-in, not the tanh curve
 * const spec = resolveDeepSpec({ d: 3, depth: 4, width: 64, activation: 'tanh' });
 * resolveDeepInit(spec, { edgeOfChaos: true, biasVariance: 0.1 }, fixed).edgeOfChaos; // { weightVariance: 1.1, biasVariance: 0.1 }
 */
export type EdgeOfChaosSolver = (activation: DeepActivation, biasVariance: number) => number;

/** A validated deep init: variances per layer, and the edge-of-chaos point when one was picked (to record in run.json). *
 * @example
 * const spec = resolveDeepSpec({ d: 3, depth: 2, width: 32 });
 * const init: DeepInit = resolveDeepInit(spec, { weightVariance: [1, 2, 2] });
 * init.biasVariance; // [1, 1]
 */
export interface DeepInit {
  readonly kind: DeepInitKind;
  /** σ_l² for l = 1..L+1. */
  readonly weightVariance: readonly number[];
  /** σ_b,l² for l = 1..L. */
  readonly biasVariance: readonly number[];
  readonly edgeOfChaos: { readonly weightVariance: number; readonly biasVariance: number } | null;
}

function perLayer(field: string, value: number | readonly number[] | undefined, count: number, fallback: number): number[] {
  if (value === undefined) return Array.from({ length: count }, () => fallback);
  if (typeof value === 'number') return Array.from({ length: count }, () => requireFinite(field, value, 0));
  if (!Array.isArray(value) || value.length !== count) throw new InvalidInputError(field, `expected a number or ${count} numbers, got ${String(value)}`);
  return value.map((v, l) => requireFinite(`${field}[${l}]`, v, 0));
}

/**
 * Fills defaults and validates; with `edgeOfChaos`, picks the point (relu and linear built in,
 * others from `solver`).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 3, depth: 8, width: 256, activation: 'relu', scaling: 'ntk' });
 * resolveDeepInit(spec, { edgeOfChaos: true }).edgeOfChaos; // { weightVariance: 2, biasVariance: 0 }
 */
export function resolveDeepInit(spec: DeepSpec, input: DeepInitInput = {}, solver?: EdgeOfChaosSolver): DeepInit {
  const known = ['kind', 'weightVariance', 'biasVariance', 'edgeOfChaos'];
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new InvalidInputError(`model.init.${key}`, `unknown key; allowed keys are ${known.join(', ')}`);
  }
  const kind = requireOneOf('model.init.kind', input.kind ?? 'gaussian', DEEP_INIT_KINDS);
  const L = spec.depth;
  if (input.edgeOfChaos !== true) {
    if (input.edgeOfChaos !== undefined && input.edgeOfChaos !== false) {
      throw new InvalidInputError('model.init.edgeOfChaos', `expected true or false, got ${String(input.edgeOfChaos)}`);
    }
    return {
      kind,
      weightVariance: perLayer('model.init.weightVariance', input.weightVariance, L + 1, 1),
      biasVariance: perLayer('model.init.biasVariance', input.biasVariance, L, 1),
      edgeOfChaos: null,
    };
  }
  if (input.weightVariance !== undefined) {
    throw new InvalidInputError('model.init.weightVariance', 'edgeOfChaos picks σ_w²; leave weightVariance out (or set edgeOfChaos: false)');
  }
  if (input.biasVariance !== undefined && typeof input.biasVariance !== 'number') {
    throw new InvalidInputError('model.init.biasVariance', 'with edgeOfChaos, σ_b² is one number for every layer');
  }
  const phi = spec.activation;
  let point: { weightVariance: number; biasVariance: number };
  if (phi === 'relu' || phi === 'linear') {
    if (input.biasVariance !== undefined && input.biasVariance !== 0) {
      throw new InvalidInputError('model.init.biasVariance', `the edge of chaos of ${phi} has σ_b² = 0, got ${input.biasVariance}`);
    }
    point = { weightVariance: phi === 'relu' ? 2 : 1, biasVariance: 0 };
  } else {
    if (!solver) {
      throw new InvalidInputError('model.init.edgeOfChaos', `no edge-of-chaos solver for ${phi} was given (built in: relu, linear)`);
    }
    const biasVariance = requireFinite('model.init.biasVariance', input.biasVariance ?? 0, 0);
    point = { weightVariance: requireFinite('model.init.edgeOfChaos', solver(phi, biasVariance), 0), biasVariance };
  }
  return {
    kind,
    weightVariance: Array.from({ length: L + 1 }, () => point.weightVariance),
    biasVariance: Array.from({ length: L }, () => point.biasVariance),
    edgeOfChaos: point,
  };
}

/** The stride between layers in the init stream's index: unit j of hidden layer l (1-based) is index (l − 1)·2³² + j. *
 * @example
 * const index = (3 - 1) * DEEP_LAYER_STRIDE + 5; // unit 5 of hidden layer 3
 */
export const DEEP_LAYER_STRIDE = 4294967296;

/**
 * The draws of unit j of hidden layer `layer` (0-based: layer 0 is §7's layer 1) — see the
 * module comment for their order.
 *
 * @example
 * unitDraws(0, 0, 5).normal(); // the first entry of a_5 of the two-layer net with seed 0, before σ_a
 */
export function unitDraws(seed: number, layer: number, j: number): Draws {
  return new CounterRng(seed, RandomStream.init).at(layer * DEEP_LAYER_STRIDE + j);
}

/**
 * Draws w(0) for `spec` (ARCHITECTURE.md §7). Entries are std · z with z from the streams of the
 * module comment and std = σ n^{−b} (scaling.ts), the input layer's d weight columns also
 * divided by √d with `inputFanIn: 'd'`. `orthogonal` replaces each weight matrix (for layer 1,
 * its d weight columns; the bias column stays gaussian) by the Haar (semi-)orthogonal Q of the
 * same gaussian draws (linalg.ts), scaled by std·√max(rows, cols) so that its entries have the
 * gaussian's variance: a square hidden layer then has W_l = μ_l w_l = σ_l Q under every preset
 * (a_l + b_l = ½), and so does layer 1 with `inputFanIn: 'd'` (a_1 + b_1 = 0) — Saxe et al.
 * 2014, Pennington et al. 2017. Biases are gaussian.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 3, depth: 3, width: 64, activation: 'tanh', scaling: 'ntk' });
 * const w0 = initDeepParams(spec, resolveDeepInit(spec, { kind: 'orthogonal' }), 7);
 */
export function initDeepParams(spec: DeepSpec, init: DeepInit, seed: number): DeepParams {
  const L = spec.depth;
  const k = spec.outputs;
  const co = deepCoefficients(spec);
  const params = allocateDeepParams(spec);
  const rng = new CounterRng(seed, RandomStream.init);
  // Standard normals first (z), scaled afterwards: the same draws serve both kinds.
  const zw = params.weights.map((w) => new Float64Array(w.length));
  for (let l = 0; l < L; l++) {
    const m = spec.widths[l];
    const cols = fanIn(spec, l);
    for (let j = 0; j < m; j++) {
      const draws = rng.at(l * DEEP_LAYER_STRIDE + j);
      for (let q = 0; q < cols; q++) zw[l][j * cols + q] = draws.normal();
      if (hasBiasVector(spec, l)) params.biases[l][j] = draws.normal();
      if (l === L - 1) for (let c = 0; c < k; c++) zw[L][c * m + j] = draws.normal();
    }
  }
  for (let l = 0; l <= L; l++) {
    const rows = fanOut(spec, l);
    const cols = fanIn(spec, l);
    const w = params.weights[l];
    const z = zw[l];
    const std = Math.sqrt(init.weightVariance[l]) * co.weights[l].initScale;
    // Layer 1's bias column (x̃'s last coordinate) is a bias: σ_b,1, never divided by d.
    const biasColumn = l === 0 && spec.bias;
    const wcols = biasColumn ? cols - 1 : cols;
    const wstd = l === 0 && spec.inputFanIn === 'd' ? std / Math.sqrt(spec.d) : std;
    if (init.kind === 'gaussian') {
      for (let j = 0; j < rows; j++) for (let q = 0; q < wcols; q++) w[j * cols + q] = wstd * z[j * cols + q];
    } else {
      const g = new Float64Array(rows * wcols);
      for (let j = 0; j < rows; j++) for (let q = 0; q < wcols; q++) g[j * wcols + q] = z[j * cols + q];
      const qm = semiOrthogonal(g, rows, wcols);
      const scale = wstd * Math.sqrt(Math.max(rows, wcols));
      for (let j = 0; j < rows; j++) for (let q = 0; q < wcols; q++) w[j * cols + q] = scale * qm[j * wcols + q];
    }
    if (biasColumn) {
      const bstd = Math.sqrt(init.biasVariance[0]) * co.weights[0].initScale;
      for (let j = 0; j < rows; j++) w[j * cols + cols - 1] = bstd * z[j * cols + cols - 1];
    }
    const bco = co.biases[l];
    if (bco) {
      const bstd = Math.sqrt(init.biasVariance[l]) * bco.initScale;
      const b = params.biases[l];
      for (let j = 0; j < b.length; j++) b[j] = bstd * b[j];
    }
  }
  return params;
}
