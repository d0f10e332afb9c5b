import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';
import {
  ACTIVATIONS,
  INIT_KINDS,
  PARAMETERIZATIONS,
  type Activation,
  type InitKind,
  type Parameterization,
  type TwoLayerInitKind,
  type TwoLayerParameterization,
} from '../types.js';

/** Initialization of ARCHITECTURE.md §1 (keys of `model.init` in §6). */
export interface InitSpec {
  /** `gaussian`: a ~ N(0, σ_a² I), b ~ N(0, σ_b²); `sphere`: a uniform on the unit sphere, b = ±1; `uniform-b`: a on the unit sphere, b ~ U[0, 1]. */
  kind: TwoLayerInitKind;
  /** τ: multiplies the whole init (small τ: active/feature regime; large τ: lazy, by 2-homogeneity). */
  scale: number;
  /** Pair neuron 2k+1 with neuron 2k, b negated, so that f_{w(0)} ≡ 0. Needs an even width. */
  symmetric: boolean;
  /** σ_a of the gaussian init. */
  sigmaA: number;
  /** σ_b of the gaussian init. */
  sigmaB: number;
}

/**
 * A two-layer ReLU network's architecture (keys of `model` in ARCHITECTURE.md §6): the model
 * family `two-layer`.
 */
export interface TwoLayerModelSpec {
  /** m: number of hidden neurons. */
  width: number;
  parameterization: TwoLayerParameterization;
  /** α of the `lazy` parameterization (α = 1 is mean-field). Ignored by the others. */
  alpha: number;
  /** Augment inputs with a constant 1: x̃ = (x, 1). */
  bias: boolean;
  /** Subtract the network at initialization: f_w − f_{w(0)} (eq. 1). */
  centered: boolean;
  init: InitSpec;
  /** 1 when written (the two-layer net is depth 1); absent otherwise. */
  depth?: number;
  /** Never set on a two-layer spec (what tells the families apart, see {@link isDeepModel}). */
  activation?: undefined;
}

/**
 * `model.init` of a deep network (ARCHITECTURE.md §7): `gaussian` or `orthogonal` weights with
 * variances σ_l² (`weightVariance`, l = 1..L+1: input, hidden…, output) and σ_b,l² (`biasVariance`,
 * l = 1..L; layer 1's is W_1's bias column), each one number for every layer or one per layer,
 * or the edge of chaos of the activation. τ = `scale` multiplies every draw (variances × τ²).
 */
export interface DeepInitSpec {
  kind: 'gaussian' | 'orthogonal';
  scale: number;
  /** σ_l² (default 1); absent with `edgeOfChaos`, which picks it. */
  weightVariance?: number | number[];
  /** σ_b,l² (default 1; with `edgeOfChaos`, the activation's point unless written). */
  biasVariance?: number | number[];
  /** Pick (σ_w², σ_b²) with χ₁ = 1 (relu: 2, 0; linear: 1, 0; tanh, erf: σ_w² solved for σ_b² = `biasVariance`, default 0); recorded in run.json's `model`. */
  edgeOfChaos: boolean;
}

/**
 * A deep fully connected (or residual) network (ARCHITECTURE.md §7): the model family `deep`.
 * `width` is one width for every hidden layer or one per layer; `parameterization` names an
 * abc-parametrization preset (`lazy` is `mean-field` with output multiplier α and κ = 1/α²).
 */
export interface DeepModelSpec {
  /** m_1..m_L: one number for every hidden layer, or one per layer. */
  width: number | number[];
  /** L: hidden layers (L = 1 has §1's shape). */
  depth: number;
  parameterization: Parameterization;
  alpha: number;
  bias: boolean;
  /** f_w − f_{w(0)}. */
  centered: boolean;
  activation: Activation;
  /** Residual blocks z_l = z_{l−1} + β (W_l φ(z_{l−1}) + b_l) for the square hidden layers. */
  residual: boolean;
  /** β (present when `residual`; default 1/√L). */
  residualScale?: number;
  init: DeepInitSpec;
}

/**
 * A network's architecture (keys of `model` in ARCHITECTURE.md §6 and §7): the two-layer net of
 * §1 or a deep net of §7 — {@link isDeepModel} tells which (the routing rule is in
 * {@link resolveModelSpec}).
 */
export type ModelSpec = TwoLayerModelSpec | DeepModelSpec;

/**
 * `model` as a user writes it (ARCHITECTURE.md §6, §7): every key optional, `init` partial too.
 * {@link resolveModelSpec} fills the rest from {@link DEFAULT_MODEL} and {@link DEFAULT_INIT}
 * (and the deep defaults) and validates the result.
 *
 * @example
 * const model: ModelSpecInput = { width: 4096, parameterization: 'ntk', init: { scale: 0.1 } };
 * resolveModelSpec(model).init.kind; // 'gaussian'
 * const deep: ModelSpecInput = { depth: 3, width: 256, activation: 'tanh', parameterization: 'mup' };
 */
export interface ModelSpecInput {
  width?: number | readonly number[];
  depth?: number;
  parameterization?: Parameterization;
  alpha?: number;
  bias?: boolean;
  centered?: boolean;
  activation?: Activation;
  residual?: boolean;
  residualScale?: number;
  init?: {
    kind?: InitKind;
    scale?: number;
    symmetric?: boolean;
    sigmaA?: number;
    sigmaB?: number;
    weightVariance?: number | readonly number[];
    biasVariance?: number | readonly number[];
    edgeOfChaos?: boolean;
  };
}

/**
 * A {@link ModelSpecInput} that can only describe the two-layer network (no deep-only key can be
 * set): what lets `resolveSimulationConfig` type its result as the two-layer config.
 *
 * @example
 * const model: TwoLayerModelInput = { width: 512, parameterization: 'lazy', alpha: 10 };
 */
export interface TwoLayerModelInput extends ModelSpecInput {
  width?: number;
  depth?: 1;
  parameterization?: TwoLayerParameterization;
  activation?: undefined;
  residual?: undefined;
  residualScale?: undefined;
  init?: {
    kind?: TwoLayerInitKind;
    scale?: number;
    symmetric?: boolean;
    sigmaA?: number;
    sigmaB?: number;
    weightVariance?: undefined;
    biasVariance?: undefined;
    edgeOfChaos?: undefined;
  };
}

/** The `model.init` defaults: gaussian with σ_a = σ_b = 1, τ = 1, not symmetric (ARCHITECTURE.md §1). */
export const DEFAULT_INIT: Readonly<InitSpec> = { kind: 'gaussian', scale: 1, symmetric: false, sigmaA: 1, sigmaB: 1 };
/**
 * The `model` defaults besides `init` ({@link DEFAULT_INIT}): width m = 1024, mean-field,
 * α = 1, inputs augmented with a bias coordinate, not centered (ARCHITECTURE.md §6).
 */
export const DEFAULT_MODEL: Readonly<Omit<TwoLayerModelSpec, 'init' | 'depth' | 'activation'>> = {
  width: 1024,
  parameterization: 'mean-field',
  alpha: 1,
  bias: true,
  centered: false,
};

/**
 * The defaults of the deep-only keys (ARCHITECTURE.md §7): depth 1, `relu`, no residual blocks,
 * gaussian init with σ_w² = σ_b² = 1 (§1's σ_a = σ_b = 1 at depth 1), not at the edge of chaos.
 */
export const DEEP_MODEL_DEFAULTS = { depth: 1, activation: 'relu', residual: false, weightVariance: 1, biasVariance: 1, edgeOfChaos: false } as const;

/** The keys `model` accepts. */
const MODEL_KEYS = [...Object.keys(DEFAULT_MODEL), 'init', 'depth', 'activation', 'residual', 'residualScale'];
/** The keys `model.init` accepts (two-layer: kind, scale, symmetric, sigmaA, sigmaB; deep: kind, scale, weightVariance, biasVariance, edgeOfChaos). */
const INIT_KEYS = [...Object.keys(DEFAULT_INIT), 'weightVariance', 'biasVariance', 'edgeOfChaos'];
const TWO_LAYER_ONLY_INIT_KEYS = ['symmetric', 'sigmaA', 'sigmaB'] as const;

/**
 * Whether a model spec (resolved or as written) is a deep network of ARCHITECTURE.md §7.
 *
 * @example
 * isDeepModel(resolveModelSpec({ depth: 3 })); // true
 * isDeepModel(resolveModelSpec({ width: 64 })); // false
 */
export function isDeepModel(model: ModelSpec): model is DeepModelSpec {
  return model.activation !== undefined;
}

/**
 * The routing rule (ARCHITECTURE.md §7): a `model` as written describes a deep network — family
 * `deep` — when `depth` ≥ 2, or when it writes any deep-only key: `activation`, `residual`,
 * `residualScale`, a list `width`, the parameterization `standard` or `mup`, the init kind
 * `orthogonal`, or `init.weightVariance`, `init.biasVariance`, `init.edgeOfChaos`. Otherwise (depth
 * absent or 1 and none of those) it is §1's two-layer network. A deep spec at depth 1 has the
 * two-layer shape, and its engine agrees with the two-layer engine to rounding (1e-12).
 *
 * @example
 * describesDeepModel({ depth: 1, width: 64 }); // false: the two-layer net
 * describesDeepModel({ width: 64, activation: 'relu' }); // true: the deep engine at L = 1
 */
export function describesDeepModel(input: ModelSpecInput): boolean {
  const init = input.init ?? {};
  return (
    (typeof input.depth === 'number' && input.depth >= 2) ||
    input.activation !== undefined ||
    input.residual !== undefined ||
    input.residualScale !== undefined ||
    Array.isArray(input.width) ||
    input.parameterization === 'standard' ||
    input.parameterization === 'mup' ||
    init.kind === 'orthogonal' ||
    init.weightVariance !== undefined ||
    init.biasVariance !== undefined ||
    init.edgeOfChaos !== undefined
  );
}

/**
 * The two-layer spec of a model, or a one-line error for a deep one (what the two-layer
 * engines and kernels call first).
 *
 * @example
 * twoLayerModel(resolveModelSpec({ width: 64 })).width; // 64
 */
export function twoLayerModel(model: ModelSpec): TwoLayerModelSpec {
  if (isDeepModel(model)) {
    throw new InvalidInputError('model.depth', `Simulation and the sharded engine run the two-layer network of §1, but this config describes a deep network (depth ${model.depth}); build it with createEngine (@mflab/parallel) or DeepSimulation`);
  }
  return model;
}

/**
 * The hidden widths m_1..m_L of a model (one for the two-layer net).
 *
 * @example
 * hiddenWidths(resolveModelSpec({ depth: 3, width: 64 })); // [64, 64, 64]
 */
export function hiddenWidths(model: ModelSpec): number[] {
  if (!isDeepModel(model)) return [model.width];
  const w = model.width;
  return typeof w === 'number' ? Array.from({ length: model.depth }, () => w) : [...w];
}

/**
 * The widest hidden layer: the "width" estimates, sweeps and engine choices read (m for the
 * two-layer net).
 *
 * @example
 * widthOf(resolveModelSpec({ depth: 2, width: [128, 32] })); // 128
 */
export function widthOf(model: ModelSpec): number {
  return Math.max(...hiddenWidths(model));
}

/**
 * The number of trained parameters of a model on inputs of dimension D (d + 1 with bias) with k
 * outputs: m(D + k) for the two-layer net; Σ_l fan-in·fan-out (+ the hidden biases) for a deep one.
 *
 * @example
 * parameterCount(resolveModelSpec({ width: 10 }), 3, 1); // 40
 * parameterCount(resolveModelSpec({ depth: 2, width: 10 }), 3, 1); // 30 + 110 + 10
 */
export function parameterCount(model: ModelSpec, D: number, k: number): number {
  const widths = hiddenWidths(model);
  let total = widths[0] * D + k * widths[widths.length - 1];
  for (let l = 1; l < widths.length; l++) total += widths[l] * widths[l - 1] + (model.bias ? widths[l] : 0);
  return total;
}

/**
 * The two-layer width with as many parameters (and so about as much work per sample and step):
 * ⌈parameterCount / (D + k)⌉ — what cost and memory estimates use for a deep network (m itself
 * for the two-layer net).
 *
 * @example
 * equivalentWidth(resolveModelSpec({ depth: 3, width: 64 }), 3, 1); // ⌈(192 + 2·4160 + 64) / 4⌉ = 2144
 */
export function equivalentWidth(model: ModelSpec, D: number, k: number): number {
  return isDeepModel(model) ? Math.ceil(parameterCount(model, D, k) / (D + k)) : model.width;
}

function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidInputError(field, `expected true or false, got ${String(value)}`);
  return value;
}

function rejectUnknownKeys(field: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidInputError(`${field}.${key}`, `unknown key; allowed keys are ${known.join(', ')}`);
    }
  }
}

/**
 * Fills defaults and validates; errors name the field (`model.width: …`). The routing rule of
 * {@link describesDeepModel} picks the family: a two-layer spec resolves to §6's keys only
 * (`depth` kept when written), a deep spec to §7's (`model.init` then holds kind, scale,
 * weightVariance, biasVariance, edgeOfChaos; the two-layer init keys are errors).
 */
export function resolveModelSpec(input?: TwoLayerModelInput): TwoLayerModelSpec;
export function resolveModelSpec(input?: ModelSpecInput): ModelSpec;
export function resolveModelSpec(input: ModelSpecInput = {}): ModelSpec {
  rejectUnknownKeys('model', input, MODEL_KEYS);
  rejectUnknownKeys('model.init', input.init ?? {}, INIT_KEYS);
  const depth = input.depth === undefined ? undefined : requireInteger('model.depth', input.depth, 1);
  if (describesDeepModel(input)) return resolveDeepModel(input, depth ?? DEEP_MODEL_DEFAULTS.depth);
  const merged = { ...DEFAULT_MODEL, ...input };
  const init = { ...DEFAULT_INIT, ...input.init };
  const spec: TwoLayerModelSpec = {
    width: requireInteger('model.width', merged.width, 1),
    // standard and mup routed the model to the deep family: what is left here is §1's rows (or invalid).
    parameterization: requireOneOf('model.parameterization', merged.parameterization, PARAMETERIZATIONS) as TwoLayerParameterization,
    alpha: requirePositive('model.alpha', merged.alpha),
    bias: requireBoolean('model.bias', merged.bias),
    centered: requireBoolean('model.centered', merged.centered),
    init: {
      kind: requireOneOf('model.init.kind', init.kind, INIT_KINDS) as TwoLayerInitKind,
      scale: requireFinite('model.init.scale', init.scale, 0),
      symmetric: requireBoolean('model.init.symmetric', init.symmetric),
      sigmaA: requireFinite('model.init.sigmaA', init.sigmaA, 0),
      sigmaB: requireFinite('model.init.sigmaB', init.sigmaB, 0),
    },
  };
  if (depth !== undefined) spec.depth = depth;
  if (spec.init.symmetric && spec.width % 2 !== 0) {
    throw new InvalidInputError('model.width', `symmetric init pairs neurons, so the width must be even; got ${spec.width}`);
  }
  return spec;
}

function resolveDeepModel(input: ModelSpecInput, depth: number): DeepModelSpec {
  const initIn = input.init ?? {};
  for (const key of TWO_LAYER_ONLY_INIT_KEYS) {
    if (initIn[key] !== undefined) {
      const instead = key === 'symmetric' ? 'deep networks have no paired init; leave it out' : 'for deep networks set model.init.weightVariance (σ_w² per layer) and biasVariance';
      throw new InvalidInputError(`model.init.${key}`, `a two-layer init key; ${instead}`);
    }
  }
  const w = input.width ?? DEFAULT_MODEL.width;
  let width: number | number[];
  if (Array.isArray(w)) {
    if (w.length !== depth) throw new InvalidInputError('model.width', `expected one width per hidden layer (model.depth = ${depth}), got ${w.length}; or one number for every layer`);
    width = (w as readonly unknown[]).map((v, l) => requireInteger(`model.width[${l}]`, v, 1));
  } else {
    width = requireInteger('model.width', w, 1);
  }
  const residualScale = input.residualScale === undefined ? undefined : requirePositive('model.residualScale', input.residualScale);
  const residual = input.residual === undefined ? residualScale !== undefined : requireBoolean('model.residual', input.residual);
  if (!residual && residualScale !== undefined) {
    throw new InvalidInputError('model.residualScale', 'β scales residual blocks, but model.residual is false; set residual: true or leave residualScale out');
  }
  const kind = requireOneOf('model.init.kind', initIn.kind ?? DEFAULT_INIT.kind, INIT_KINDS);
  if (kind !== 'gaussian' && kind !== 'orthogonal') {
    throw new InvalidInputError('model.init.kind', `"${kind}" is a two-layer init; deep networks draw "gaussian" or "orthogonal" weights`);
  }
  const edgeOfChaos = requireBoolean('model.init.edgeOfChaos', initIn.edgeOfChaos ?? DEEP_MODEL_DEFAULTS.edgeOfChaos);
  const spec: DeepModelSpec = {
    width,
    depth,
    parameterization: requireOneOf('model.parameterization', input.parameterization ?? DEFAULT_MODEL.parameterization, PARAMETERIZATIONS),
    alpha: requirePositive('model.alpha', input.alpha ?? DEFAULT_MODEL.alpha),
    bias: requireBoolean('model.bias', input.bias ?? DEFAULT_MODEL.bias),
    centered: requireBoolean('model.centered', input.centered ?? DEFAULT_MODEL.centered),
    activation: requireOneOf('model.activation', input.activation ?? DEEP_MODEL_DEFAULTS.activation, ACTIVATIONS),
    residual,
    init: {
      kind,
      scale: requireFinite('model.init.scale', initIn.scale ?? DEFAULT_INIT.scale, 0),
      ...(edgeOfChaos ? {} : { weightVariance: perLayer('model.init.weightVariance', initIn.weightVariance ?? DEEP_MODEL_DEFAULTS.weightVariance, depth + 1, 'L + 1 (input, hidden…, output)') }),
      ...(initIn.biasVariance !== undefined || !edgeOfChaos ? { biasVariance: perLayer('model.init.biasVariance', initIn.biasVariance ?? DEEP_MODEL_DEFAULTS.biasVariance, depth, 'L') } : {}),
      edgeOfChaos,
    },
  };
  if (residual) spec.residualScale = residualScale ?? 1 / Math.sqrt(depth);
  if (edgeOfChaos) {
    if (initIn.weightVariance !== undefined) throw new InvalidInputError('model.init.weightVariance', 'edgeOfChaos picks σ_w²; leave weightVariance out (or set edgeOfChaos: false)');
    const phi = spec.activation;
    const b = spec.init.biasVariance;
    if (b !== undefined && typeof b !== 'number') throw new InvalidInputError('model.init.biasVariance', 'with edgeOfChaos, σ_b² is one number for every layer');
    // relu and linear: the point is (σ_w², 0); tanh and erf: σ_w² from kernels/edge-of-chaos.ts for the σ_b² given (default 0).
    if ((phi === 'relu' || phi === 'linear') && b !== undefined && b !== 0) throw new InvalidInputError('model.init.biasVariance', `the edge of chaos of ${phi} has σ_b² = 0; leave biasVariance out`);
  }
  return spec;
}

function perLayer(field: string, value: unknown, count: number, what: string): number | number[] {
  if (typeof value === 'number') return requireFinite(field, value, 0);
  if (!Array.isArray(value)) throw new InvalidInputError(field, `expected a number ≥ 0 or a list of ${count}, got ${String(value)}`);
  if (value.length !== count) throw new InvalidInputError(field, `expected one value per layer, ${what} = ${count}, got ${value.length}`);
  return value.map((v, l) => requireFinite(`${field}[${l}]`, v, 0));
}
