import { InvalidInputError, requireFinite, requireInteger, requireOneOf, requirePositive } from '../errors.js';
import { INIT_KINDS, PARAMETERIZATIONS, type InitKind, type Parameterization } from '../types.js';

/** Initialization of ARCHITECTURE.md §1 (keys of `model.init` in §6). */
export interface InitSpec {
  /** `gaussian`: a ~ N(0, σ_a² I), b ~ N(0, σ_b²); `sphere`: a uniform on the unit sphere, b = ±1; `uniform-b`: a on the unit sphere, b ~ U[0, 1]. */
  kind: InitKind;
  /** τ: multiplies the whole init (small τ: active/feature regime; large τ: lazy, by 2-homogeneity). */
  scale: number;
  /** Pair neuron 2k+1 with neuron 2k, b negated, so that f_{w(0)} ≡ 0. Needs an even width. */
  symmetric: boolean;
  /** σ_a of the gaussian init. */
  sigmaA: number;
  /** σ_b of the gaussian init. */
  sigmaB: number;
}

/** A two-layer ReLU network's architecture (keys of `model` in ARCHITECTURE.md §6). */
export interface ModelSpec {
  /** m: number of hidden neurons. */
  width: number;
  parameterization: Parameterization;
  /** α of the `lazy` parameterization (α = 1 is mean-field). Ignored by the others. */
  alpha: number;
  /** Augment inputs with a constant 1: x̃ = (x, 1). */
  bias: boolean;
  /** Subtract the network at initialization: f_w − f_{w(0)} (eq. 1). */
  centered: boolean;
  init: InitSpec;
}

/**
 * `model` as a user writes it (ARCHITECTURE.md §6): every key optional, `init` partial too.
 * {@link resolveModelSpec} fills the rest from {@link DEFAULT_MODEL} and {@link DEFAULT_INIT}
 * and validates the result.
 *
 * @example
 * const model: ModelSpecInput = { width: 4096, parameterization: 'ntk', init: { scale: 0.1 } };
 * resolveModelSpec(model).init.kind; // 'gaussian'
 */
export type ModelSpecInput = Partial<Omit<ModelSpec, 'init'>> & { init?: Partial<InitSpec> };

/** The `model.init` defaults: gaussian with σ_a = σ_b = 1, τ = 1, not symmetric (ARCHITECTURE.md §1). */
export const DEFAULT_INIT: Readonly<InitSpec> = { kind: 'gaussian', scale: 1, symmetric: false, sigmaA: 1, sigmaB: 1 };
/**
 * The `model` defaults besides `init` ({@link DEFAULT_INIT}): width m = 1024, mean-field,
 * α = 1, inputs augmented with a bias coordinate, not centered (ARCHITECTURE.md §6).
 */
export const DEFAULT_MODEL: Readonly<Omit<ModelSpec, 'init'>> = {
  width: 1024,
  parameterization: 'mean-field',
  alpha: 1,
  bias: true,
  centered: false,
};

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

/** Fills defaults and validates; errors name the field (`model.width: …`). */
export function resolveModelSpec(input: ModelSpecInput = {}): ModelSpec {
  rejectUnknownKeys('model', input, [...Object.keys(DEFAULT_MODEL), 'init']);
  const merged = { ...DEFAULT_MODEL, ...input };
  const initIn = input.init ?? {};
  rejectUnknownKeys('model.init', initIn, Object.keys(DEFAULT_INIT));
  const init = { ...DEFAULT_INIT, ...initIn };
  const spec: ModelSpec = {
    width: requireInteger('model.width', merged.width, 1),
    parameterization: requireOneOf('model.parameterization', merged.parameterization, PARAMETERIZATIONS),
    alpha: requirePositive('model.alpha', merged.alpha),
    bias: requireBoolean('model.bias', merged.bias),
    centered: requireBoolean('model.centered', merged.centered),
    init: {
      kind: requireOneOf('model.init.kind', init.kind, INIT_KINDS),
      scale: requireFinite('model.init.scale', init.scale, 0),
      symmetric: requireBoolean('model.init.symmetric', init.symmetric),
      sigmaA: requireFinite('model.init.sigmaA', init.sigmaA, 0),
      sigmaB: requireFinite('model.init.sigmaB', init.sigmaB, 0),
    },
  };
  if (spec.init.symmetric && spec.width % 2 !== 0) {
    throw new InvalidInputError('model.width', `symmetric init pairs neurons, so the width must be even; got ${spec.width}`);
  }
  return spec;
}
