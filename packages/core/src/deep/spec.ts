/**
 * Deep fully connected and residual networks (ARCHITECTURE.md §7): the architecture, and the
 * abc-parametrization of Yang & Hu 2021 (Tensor Programs IV, "Feature learning in infinite-width
 * neural networks", arXiv 2011.14522) that sets the width scaling of each layer.
 *
 * Layers are numbered as in §7: l = 1 is the input layer W_1 (m_1 × D, acting on
 * x̃ = (x, 1) when `bias`, so its last column is layer 1's bias), l = 2..L are the hidden layers
 * W_l (m_l × m_{l−1}, each with a bias vector of length m_l when `bias`), l = L + 1 is the
 * output layer W_{L+1} (k × m_L, no bias). In arrays, layer l sits at index l − 1.
 */
import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';
import { inputDimension } from '../model/inputs.js';
import { ACTIVATIONS, type Activation } from '../types.js';

/** φ of a deep network (ARCHITECTURE.md §7): the activations named in types.ts, defined once in kernels/activations.ts. */
export type DeepActivation = Activation;
/**
 * Every {@link DeepActivation}.
 *
 * @example
 * DEEP_ACTIVATIONS.includes('tanh'); // true
 */
export const DEEP_ACTIVATIONS: readonly DeepActivation[] = ACTIVATIONS;

/** The named abc-parametrizations of ARCHITECTURE.md §7 (see {@link ABC_PRESETS}). *
 * @example
 * const preset: DeepPreset = 'mup';
 */
export type DeepPreset = 'standard' | 'ntk' | 'mup' | 'mean-field';
/** Every {@link DeepPreset}, in the order of {@link ABC_PRESETS}' table. *
 * @example
 * for (const scaling of DEEP_PRESETS) resolveDeepSpec({ d: 2, depth: 3, width: 64, scaling });
 */
export const DEEP_PRESETS: readonly DeepPreset[] = ['standard', 'ntk', 'mup', 'mean-field'];

/**
 * The exponents of one layer in an abc-parametrization (Tensor Programs IV, Definition 3.1), with
 * n the layer's width base (see {@link DeepSpec}): effective weight W = n^{−a} w, init
 * w ~ N(0, σ² n^{−2b}), learning rate η n^{−c}.
 *
 * @example
 * const hidden: AbcExponents = { a: 0, b: 0.5, c: 0 }; // μP's hidden layers
 */
export interface AbcExponents {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/**
 * One preset's exponents for the three kinds of layer of an MLP: the input layer W_1 (and every
 * bias: TP5 Table 3 groups "input weights & all biases"), the hidden layers W_2..W_L, the output
 * layer W_{L+1}.
 *
 * @example
 * const table: AbcTable = ABC_PRESETS.ntk.sgd; // table.output.a === 0.5
 */
export interface AbcTable {
  readonly input: AbcExponents;
  readonly hidden: AbcExponents;
  readonly output: AbcExponents;
}

const abc = (a: number, b: number, c: number): AbcExponents => ({ a, b, c });

/**
 * The named presets (ARCHITECTURE.md §7), per layer kind, for SGD (used by the sgd and momentum
 * steps) and for Adam (its c column gives `train.optimizer: adam`'s learning-rate factors,
 * scaling.ts `adamLrFactors`). The width base n of a layer is its fan-in for
 * hidden and output layers and m_1 (its fan-out: the input dimension is held fixed, as in TP4)
 * for the input layer; for a bias, the length m_l of the bias (see {@link DeepSpec}).
 *
 *     SGD (c: learning rate η n^{−c})    input (& biases)    hidden          output
 *                                        a     b     c       a    b    c     a    b    c
 *     standard   (TP4 §3, "SP")          0     0     0       0    ½    0     0    ½    0
 *     ntk        (TP4 §3, "NTP")         0     0     0       ½    0    0     ½    0    0
 *     mup        (TP4 Definition 5.1)    −½    ½     0       0    ½    0     ½    ½    0
 *     mean-field (μP moved by θ = ½)     0     0     −1      ½    0    −1    1    0    −1
 *
 *     Adam (a, b as for SGD)             c input             c hidden        c output
 *     standard   (TP5 Table 3, SP)       0                   0               0
 *     ntk        (derived, see below)    ½                   1               ½
 *     mup        (TP5 Table 3, μP)       ½                   1               ½
 *     mean-field (μP moved by θ = ½)     0                   ½               0
 *
 * Sources. TP4 = Yang & Hu 2021 (Tensor Programs IV) gives SP, NTP and μP in the text, not as a
 * table: the abc-parametrization is its Definition 3.1, SP and NTP the examples after it, μP its
 * Definition 5.1 (a_1 = −½, a_l = 0 for 2 ≤ l ≤ L, a_{L+1} = ½, b_l = ½, c = 0). TP5 = Yang et
 * al. 2022 (Tensor Programs V, "Tuning large neural networks via zero-shot hyperparameter
 * transfer", arXiv 2203.03466), Table 3, lists μP and SP per layer kind in fan-in/fan-out form,
 * all multipliers 1 (a = 0). μP: input weights & biases init var 1/fan_in, SGD LR fan_out, Adam
 * LR 1; hidden 1/fan_in, 1, 1/fan_in; output 1/fan_in², 1/fan_in, 1/fan_in. SP: init var
 * 1/fan_in and both LRs 1 everywhere. The input's fan-in is fixed as the width grows, so in
 * width exponents Table 3's μP is input (0, 0), SGD c = −1, Adam c = 0; hidden (0, ½), 0, 1;
 * output (0, 1), 1, 1. These are the rows above moved by the symmetry of TP4 Eq. (5),
 * (a, b, c) → (a + θ, b − θ, c − 2θ) for SGD, which leaves the trained function unchanged; for
 * Adam, whose update does not scale with the gradient, c → c − θ (Everett et al. 2024, "Scaling
 * exponents across parameterizations and optimizers", arXiv 2407.05872). Input row moved by
 * θ = −½: (−½, ½), SGD c = 0, Adam c = ½; output row moved by θ = ½: (½, ½), SGD c = 0, Adam
 * c = ½: TP4's μP, and the Adam row above.
 *
 * `mean-field` is μP moved by θ = ½ in every layer (b = 0: unit-variance weights). For L = 1,
 * TP4 §3 notes that μP is the mean-field parametrization MFP (a = (0, 1), b = 0, c = −1) up to
 * this symmetry; for L > 1 this row is the deep continuation of MFP that keeps μP's dynamics.
 * `ntk`'s Adam row is derived, not taken from a table (TP5 lists only μP and SP): the Adam
 * learning rates under which NTP stays in the kernel regime as SGD with c = 0 does, i.e. each
 * layer's update moves the next pre-activation by Θ(n^{−½}) and the output by Θ(1). Adam moves
 * every entry of w by Θ(η n^{−c}), so with NTP's multipliers: input n^{−c} = n^{−½} (c = ½);
 * hidden n^{−½} · n^{−c} · n (n correlated terms) = n^{−½} (c = 1); output
 * n^{−½} · n^{−c} · n = 1 (c = ½). No test checks this row yet.
 * Note that `standard` and `ntk` are not one parametrization for SGD: TP4 gives both c = 0, and
 * SP with c = 0 is NTP with c = −1 in the hidden and output layers.
 *
 * At L = 1, `mean-field` is §1's `mean-field` row and `ntk` is §1's `ntk` row exactly
 * (s = n^{−a_2}, γ = n^{−c}, ρ = 1/γ, κ = 1): see `deepSpecOfTwoLayer`. `mup` is §1's
 * mean-field up to the symmetry (same function at every step, other parameter values), and
 * `standard` has no §1 row (its output layer would need its own learning rate). TP4 Theorem 4.1:
 * SP is stable at large width only with c = 1 (η ∝ 1/width), and then it is in the kernel
 * regime; the table keeps TP4's c = 0, the standard practice.
 *
 * @example
 * ABC_PRESETS.mup.sgd.output; // { a: 0.5, b: 0.5, c: 0 }
 * ABC_PRESETS['mean-field'].sgd.hidden.c; // -1: learning rate η·m
 */
export const ABC_PRESETS: Readonly<Record<DeepPreset, { readonly sgd: AbcTable; readonly adam: AbcTable }>> = {
  standard: {
    sgd: { input: abc(0, 0, 0), hidden: abc(0, 0.5, 0), output: abc(0, 0.5, 0) },
    adam: { input: abc(0, 0, 0), hidden: abc(0, 0.5, 0), output: abc(0, 0.5, 0) },
  },
  ntk: {
    sgd: { input: abc(0, 0, 0), hidden: abc(0.5, 0, 0), output: abc(0.5, 0, 0) },
    adam: { input: abc(0, 0, 0.5), hidden: abc(0.5, 0, 1), output: abc(0.5, 0, 0.5) },
  },
  mup: {
    sgd: { input: abc(-0.5, 0.5, 0), hidden: abc(0, 0.5, 0), output: abc(0.5, 0.5, 0) },
    adam: { input: abc(-0.5, 0.5, 0.5), hidden: abc(0, 0.5, 1), output: abc(0.5, 0.5, 0.5) },
  },
  'mean-field': {
    sgd: { input: abc(0, 0, -1), hidden: abc(0.5, 0, -1), output: abc(1, 0, -1) },
    adam: { input: abc(0, 0, 0), hidden: abc(0.5, 0, 0.5), output: abc(1, 0, 0) },
  },
};

/** Exponents set by hand: one row per layer l = 1..L+1 (input, hidden…, output), and one for every bias. *
 * @example
 * const scaling: CustomAbc = { layers: [{ a: 0, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }, { a: 1, b: 0, c: -1 }] };
 * resolveDeepSpec({ d: 2, depth: 2, width: 32, scaling }).preset; // null
 */
export interface CustomAbc {
  readonly layers: readonly AbcExponents[];
  /** The biases' exponents (default: the input layer's, as TP5 Table 3 treats biases). */
  readonly bias?: AbcExponents;
}

/**
 * A deep network as a user writes it (the future `model` keys of ARCHITECTURE.md §7). Defaults:
 * one output, `relu`, bias, no residual blocks, β = 1/√L, `mean-field` (§6's default
 * parameterization), κ = 1, output multiplier 1, input fan-in `one`.
 *
 * @example
 * const input: DeepSpecInput = { d: 3, depth: 3, width: [64, 64, 32], activation: 'tanh', scaling: 'mup' };
 * resolveDeepSpec(input).widths; // [64, 64, 32]
 */
export interface DeepSpecInput {
  /** d: the input dimension (before the bias coordinate). */
  readonly d: number;
  /** L: the number of hidden layers (L = 1 is the two-layer net of ARCHITECTURE.md §1). */
  readonly depth: number;
  /** m_1..m_L: one width for every hidden layer, or one per layer. */
  readonly width: number | readonly number[];
  /** k: the number of outputs (default 1). */
  readonly outputs?: number;
  readonly activation?: DeepActivation;
  /** Augment the input, x̃ = (x, 1), and give the hidden layers 2..L a bias vector (default true). */
  readonly bias?: boolean;
  /** Residual blocks for the square layers: z_l = z_{l−1} + β (W_l φ(z_{l−1}) + b_l) where m_l = m_{l−1} (default false). */
  readonly residual?: boolean;
  /** β of the residual blocks (default 1/√L). */
  readonly residualScale?: number;
  /** A named preset ({@link ABC_PRESETS}, SGD rows) or exponents per layer (default `mean-field`). */
  readonly scaling?: DeepPreset | CustomAbc;
  /** κ, the weight of the risk in F = κ R + (λ/2) Σ_l ρ_l ‖w_l‖² (default 1; §1's `lazy` uses 1/α²). */
  readonly kappa?: number;
  /** A constant factor on the output layer's multiplier (default 1; §1's `lazy` uses α). */
  readonly outputMultiplier?: number;
  /**
   * The input layer's fan-in in its init variance: `one` draws w_1 ~ N(0, σ_1² n^{−2b_1}) as
   * §1 draws a_j (default); `d` divides the variance of the d weight columns by d (not the bias
   * column), the NNGP convention Σ⁰ = σ_w² x·x'/d + σ_b² of §1's deep kernels.
   */
  readonly inputFanIn?: 'one' | 'd';
}

/** A validated deep network: {@link DeepSpecInput} with every default filled in. *
 * @example
 * const spec: DeepSpec = resolveDeepSpec({ d: 3, depth: 2, width: [16, 8] });
 * spec.D; // 4: x̃ = (x, 1)
 */
export interface DeepSpec {
  readonly d: number;
  /** D = d + 1 with bias, else d: the input layer's fan-in. */
  readonly D: number;
  readonly depth: number;
  /** m_1..m_L. */
  readonly widths: readonly number[];
  /** k. */
  readonly outputs: number;
  readonly activation: DeepActivation;
  readonly bias: boolean;
  readonly residual: boolean;
  /** β. */
  readonly residualScale: number;
  /** The preset the exponents come from, or null when they were set by hand. */
  readonly preset: DeepPreset | null;
  /** (a_l, b_l, c_l) for l = 1..L+1 (index l − 1). */
  readonly layers: readonly AbcExponents[];
  /** The exponents of every bias (layer 1's bias column is part of W_1 and follows `layers[0]`). */
  readonly biasExponents: AbcExponents;
  readonly kappa: number;
  readonly outputMultiplier: number;
  readonly inputFanIn: 'one' | 'd';
}

function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidInputError(field, `expected true or false, got ${String(value)}`);
  return value;
}

function checkExponents(field: string, e: AbcExponents): AbcExponents {
  return { a: requireFinite(`${field}.a`, e?.a), b: requireFinite(`${field}.b`, e?.b), c: requireFinite(`${field}.c`, e?.c) };
}

/**
 * Per-layer exponents of a preset's SGD rows for depth L: input, L − 1 hidden rows, output.
 *
 * @example
 * presetLayers('ntk', 2); // [{ a: 0, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }, { a: 0.5, b: 0, c: 0 }]
 */
export function presetLayers(preset: DeepPreset, depth: number): AbcExponents[] {
  const t = ABC_PRESETS[preset].sgd;
  return [t.input, ...Array.from({ length: depth - 1 }, () => t.hidden), t.output];
}

const SPEC_KEYS = ['d', 'depth', 'width', 'outputs', 'activation', 'bias', 'residual', 'residualScale', 'scaling', 'kappa', 'outputMultiplier', 'inputFanIn'];

/**
 * Fills defaults and validates a {@link DeepSpecInput}; errors name the field as the config
 * will (`model.depth: expected an integer ≥ 1, got 0`).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 4, width: 128, residual: true, scaling: 'ntk' });
 * spec.residualScale; // 0.5 = 1/√4
 * spec.layers[1]; // { a: 0.5, b: 0, c: 0 }
 */
export function resolveDeepSpec(input: DeepSpecInput): DeepSpec {
  for (const key of Object.keys(input)) {
    if (!SPEC_KEYS.includes(key)) throw new InvalidInputError(`model.${key}`, `unknown key; allowed keys are ${SPEC_KEYS.join(', ')}`);
  }
  const d = requireInteger('model.d', input.d, 1);
  const depth = requireInteger('model.depth', input.depth, 1);
  const w = input.width;
  let widths: number[];
  if (typeof w === 'number') {
    widths = Array.from({ length: depth }, () => requireInteger('model.width', w, 1));
  } else if (Array.isArray(w)) {
    if (w.length !== depth) throw new InvalidInputError('model.width', `expected one width per hidden layer (${depth}), got ${w.length}`);
    widths = w.map((v, l) => requireInteger(`model.width[${l}]`, v, 1));
  } else {
    throw new InvalidInputError('model.width', `expected an integer ≥ 1 or a list of ${depth}, got ${String(w)}`);
  }
  const bias = requireBoolean('model.bias', input.bias ?? true);
  const scaling = input.scaling ?? 'mean-field';
  let preset: DeepPreset | null = null;
  let layers: AbcExponents[];
  let biasExponents: AbcExponents;
  if (typeof scaling === 'string') {
    preset = requireOneOf('model.scaling', scaling, DEEP_PRESETS);
    layers = presetLayers(preset, depth);
    biasExponents = ABC_PRESETS[preset].sgd.input;
  } else {
    if (!Array.isArray(scaling?.layers) || scaling.layers.length !== depth + 1) {
      throw new InvalidInputError('model.scaling.layers', `expected L + 1 = ${depth + 1} rows (input, hidden…, output), got ${String(scaling?.layers?.length)}`);
    }
    layers = scaling.layers.map((e, l) => checkExponents(`model.scaling.layers[${l}]`, e));
    biasExponents = scaling.bias ? checkExponents('model.scaling.bias', scaling.bias) : layers[0];
  }
  return {
    d,
    D: inputDimension(d, bias),
    depth,
    widths,
    outputs: requireInteger('model.outputs', input.outputs ?? 1, 1),
    activation: requireOneOf('model.activation', input.activation ?? 'relu', DEEP_ACTIVATIONS),
    bias,
    residual: requireBoolean('model.residual', input.residual ?? false),
    residualScale: requireFinite('model.residualScale', input.residualScale ?? 1 / Math.sqrt(depth)),
    preset,
    layers,
    biasExponents,
    kappa: requirePositive('model.kappa', input.kappa ?? 1),
    outputMultiplier: requirePositive('model.outputMultiplier', input.outputMultiplier ?? 1),
    inputFanIn: requireOneOf('model.inputFanIn', input.inputFanIn ?? 'one', ['one', 'd'] as const),
  };
}

/**
 * Fan-in of layer l (0-based index; l = depth is the output layer): D, then m_{l}, …
 *
 * @example
 * fanIn(resolveDeepSpec({ d: 3, depth: 2, width: [5, 4] }), 1); // 5
 */
export function fanIn(spec: DeepSpec, layer: number): number {
  return layer === 0 ? spec.D : spec.widths[layer - 1];
}

/**
 * Fan-out of layer l (0-based index; l = depth is the output layer, fan-out k).
 *
 * @example
 * fanOut(resolveDeepSpec({ d: 3, depth: 2, width: [5, 4], outputs: 3 }), 2); // 3
 */
export function fanOut(spec: DeepSpec, layer: number): number {
  return layer === spec.depth ? spec.outputs : spec.widths[layer];
}

/**
 * Whether hidden layer l (0-based, 1 ≤ l < depth) is a residual block: `residual` is on and
 * the layer is square (m_{l+1} = m_l in §7's numbering). The input and output layers never are.
 *
 * @example
 * isResidualBlock(resolveDeepSpec({ d: 3, depth: 3, width: [5, 5, 4], residual: true }), 1); // true
 */
export function isResidualBlock(spec: DeepSpec, layer: number): boolean {
  return spec.residual && layer >= 1 && layer < spec.depth && spec.widths[layer] === spec.widths[layer - 1];
}

/**
 * Whether layer l (0-based) has its own bias vector: the hidden layers 2..L of §7 (index 1..L−1)
 * when `bias`. Layer 1's bias is the last column of W_1; the output layer has none (as in §1).
 *
 * @example
 * hasBiasVector(resolveDeepSpec({ d: 3, depth: 2, width: 4 }), 1); // true
 */
export function hasBiasVector(spec: DeepSpec, layer: number): boolean {
  return spec.bias && layer >= 1 && layer < spec.depth;
}
