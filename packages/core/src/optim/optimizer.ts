/**
 * The optimizers of `train.optimizer` (ARCHITECTURE.md §7): `sgd`, `momentum` and `adam`, as one
 * strided update over a slice of a parameter tensor, so that an engine can call it per tensor
 * (the deep engine) or per block of neurons (the two-layer engine, a block-wise deep step).
 *
 * Every rule reads the StepPlan's coefficients (step-plan.ts) of the slice's parameter group:
 * `shrink` = 1 − η_tλ (weight decay, decoupled in every rule) and `step` = η_t · factor, where
 * the factor is the group's learning-rate factor for this optimizer:
 *
 *     sgd:       w ← shrink·w − step·g                                   (today's formula, bit for bit)
 *     momentum:  v ← β v + g;   w ← shrink·w − step·v                    (PyTorch's SGD buffer: dampening 0,
 *                                                                         not Nesterov; v(0) = 0 so v₁ = g)
 *     adam:      m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,                (AdamW, Loshchilov & Hutter; PyTorch's
 *                m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),                          torch.optim.AdamW formula, eps outside
 *                w ← shrink·w − step·m̂/(√v̂ + ε)                          the square root, t = 1, 2, …)
 *
 * For sgd and momentum the factor is the SGD drive (κγs of §1, γ_l of §7), and g is what the
 * engine's SGD step multiplies by it (so momentum with β = 0 is SGD). Adam is invariant to the
 * gradient's scale, so its factor comes from the scaling's Adam table instead (see
 * `adamFactor` in the engines), and its g is the gradient ∇_w(κR) itself (the scale matters only
 * against ε). Weight decay is PyTorch's AdamW decoupled decay w ← (1 − η_tλ) w for Adam; for
 * momentum it is the same shrink (decoupled, unlike torch.optim.SGD's L2 term added to g).
 */
import { InvalidInputError } from '../errors.js';
import type { StepCoefficients } from '../engine/step-plan.js';

/** The names of `train.optimizer`. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** Every {@link OptimizerName}, in the order the docs list them. */
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

/**
 * An optimizer and its hyperparameters (the `train` keys `optimizer`, `momentum`, `betas`, `eps`).
 *
 * @example
 * const rule: OptimizerSpec = { optimizer: 'adam', momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8 };
 */
export interface OptimizerSpec {
  optimizer: OptimizerName;
  /** β of `momentum` (heavy ball). */
  momentum: number;
  /** β₁, β₂ of `adam`. */
  betas: readonly [number, number];
  /** ε of `adam`. */
  eps: number;
}

/**
 * The state of one parameter tensor: `first` is momentum's v or Adam's m, `second` Adam's v
 * (empty where the rule has none). Same length and layout as the tensor.
 *
 * @example
 * const buffers = allocateOptimizerBuffers('adam', 10); // first and second of length 10
 */
export interface OptimizerBuffers {
  readonly first: Float64Array;
  readonly second: Float64Array;
}

const EMPTY = new Float64Array(0);

/**
 * Zeroed state for a tensor of `length` values under `optimizer` (sgd: none).
 *
 * @example
 * allocateOptimizerBuffers('momentum', 4).first.length; // 4
 */
export function allocateOptimizerBuffers(optimizer: OptimizerName, length: number): OptimizerBuffers {
  return {
    first: optimizer === 'sgd' ? EMPTY : new Float64Array(length),
    second: optimizer === 'adam' ? new Float64Array(length) : EMPTY,
  };
}

/**
 * Applies one update of `spec`'s rule to w[offset .. offset + count) from the gradient g (same
 * indices) and the tensor's state, with the StepPlan coefficients of the slice's group and `t`,
 * the 1-based number of this update (Adam's bias correction); the gradient of w[q] is
 * g[q − offset + gradOffset] (default: the same index; a block-local gradient passes 0).
 * Allocation-free.
 *
 * @example
 * const w = Float64Array.of(1, 2);
 * const g = Float64Array.of(0.5, -1);
 * const state = allocateOptimizerBuffers('momentum', 2);
 * const spec: OptimizerSpec = { optimizer: 'momentum', momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8 };
 * updateSlice(spec, w, g, state, 0, 2, { lr: 0.1, step: 0.1, shrink: 1 }, 1); // w = [0.95, 2.1]
 */
export function updateSlice(spec: OptimizerSpec, w: Float64Array | Float32Array, g: Float64Array | Float32Array, state: OptimizerBuffers, offset: number, count: number, c: Readonly<Pick<StepCoefficients, 'step' | 'shrink'> & { lr?: number }>, t: number, gradOffset = offset): void {
  const { step, shrink } = c;
  const end = offset + count;
  // g's index of w[q] (a kernel's block-local gradient starts at 0; the state shares w's indices).
  const shift = gradOffset - offset;
  switch (spec.optimizer) {
    case 'sgd':
      for (let q = offset; q < end; q++) w[q] = shrink * w[q] - step * g[q + shift];
      return;
    case 'momentum': {
      const beta = spec.momentum;
      const v = state.first;
      for (let q = offset; q < end; q++) {
        const vq = beta * v[q] + g[q + shift];
        v[q] = vq;
        w[q] = shrink * w[q] - step * vq;
      }
      return;
    }
    case 'adam': {
      // Index reads, not array destructuring: that goes through an iterator, an allocation per call.
      const beta1 = spec.betas[0];
      const beta2 = spec.betas[1];
      const eps = spec.eps;
      // m̂ = m / (1 − β₁ᵗ), √v̂ = √v / √(1 − β₂ᵗ), as torch.optim.AdamW (non-capturable path) computes them.
      const correction1 = 1 - Math.pow(beta1, t);
      const sqrtCorrection2 = Math.sqrt(1 - Math.pow(beta2, t));
      const stepSize = step / correction1;
      const m = state.first;
      const v = state.second;
      for (let q = offset; q < end; q++) {
        const gq = g[q + shift];
        const mq = beta1 * m[q] + (1 - beta1) * gq;
        const vq = beta2 * v[q] + (1 - beta2) * gq * gq;
        m[q] = mq;
        v[q] = vq;
        w[q] = shrink * w[q] - (stepSize * mq) / (Math.sqrt(vq) / sqrtCorrection2 + eps);
      }
      return;
    }
  }
}

/**
 * Checks the optimizer keys of a `train` section (each error one line, naming the field). A
 * hyperparameter of another optimizer than the chosen one, set to other than its default, is an
 * error rather than silently ignored (`train.momentum: 0.5` with `optimizer: adam` is almost
 * surely a mistake); its default value passes, so that a resolved config resolves again.
 *
 * @example
 * resolveOptimizerSpec({ optimizer: 'adam', betas: [0.9, 0.99] }); // eps 1e-8, momentum 0.9
 */
export function resolveOptimizerSpec(input: { optimizer?: unknown; momentum?: unknown; betas?: unknown; eps?: unknown }): OptimizerSpec {
  const optimizer = input.optimizer ?? 'sgd';
  if (typeof optimizer !== 'string' || !(OPTIMIZERS as readonly string[]).includes(optimizer)) {
    throw new InvalidInputError('train.optimizer', `expected one of ${OPTIMIZERS.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(optimizer)}`);
  }
  const name = optimizer as OptimizerName;
  const owner: Record<string, OptimizerName> = { momentum: 'momentum', betas: 'adam', eps: 'adam' };
  // A resolved config carries every default, so a default value is accepted whatever the optimizer
  // (resolution stays idempotent); a value that differs would be silently unused: an error.
  const isDefault = (key: 'momentum' | 'betas' | 'eps'): boolean => JSON.stringify(input[key]) === JSON.stringify(DEFAULT_OPTIMIZER[key]);
  for (const key of ['momentum', 'betas', 'eps'] as const) {
    if (input[key] !== undefined && owner[key] !== name && !isDefault(key)) {
      throw new InvalidInputError(`train.${key}`, `is a hyperparameter of optimizer ${owner[key]}, but train.optimizer is ${name}; set train.optimizer: ${owner[key]} or leave train.${key} out`);
    }
  }
  const momentum = input.momentum ?? DEFAULT_OPTIMIZER.momentum;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
    throw new InvalidInputError('train.momentum', `expected a number in [0, 1), got ${JSON.stringify(momentum)}`);
  }
  const betas = input.betas ?? DEFAULT_OPTIMIZER.betas;
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
    throw new InvalidInputError('train.betas', `expected two numbers in [0, 1) (β₁, β₂), got ${JSON.stringify(betas)}`);
  }
  const eps = input.eps ?? DEFAULT_OPTIMIZER.eps;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
    throw new InvalidInputError('train.eps', `expected a finite number > 0, got ${JSON.stringify(eps)}`);
  }
  return { optimizer: name, momentum, betas: [betas[0] as number, betas[1] as number], eps };
}

/**
 * The optimizer defaults (ARCHITECTURE.md §7): plain SGD; momentum 0.9; betas [0.9, 0.999]; eps 1e-8.
 *
 * @example
 * DEFAULT_OPTIMIZER.betas; // [0.9, 0.999]
 */
export const DEFAULT_OPTIMIZER: Readonly<OptimizerSpec> = { optimizer: 'sgd', momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8 };

/**
 * The checkpoint form of an engine's optimizer state: `<prefix>.first.<name>` and
 * `<prefix>.second.<name>` for every named tensor (Adam's step count is the checkpoint's `step`:
 * every update is an Adam update). sgd has no state.
 *
 * @example
 * optimizerStateEntries('momentum', { a: allocateOptimizerBuffers('momentum', 2) }); // { 'optimizer.first.a': Float64Array(2) }
 */
export function optimizerStateEntries(optimizer: OptimizerName, tensors: Record<string, OptimizerBuffers>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  if (optimizer === 'sgd') return out;
  for (const [name, buffers] of Object.entries(tensors)) {
    out[`optimizer.first.${name}`] = buffers.first;
    if (optimizer === 'adam') out[`optimizer.second.${name}`] = buffers.second;
  }
  return out;
}

/**
 * Restores state written by {@link optimizerStateEntries} into the engine's buffers (copied in
 * place); a missing or mis-sized entry is a one-line error naming it.
 *
 * @example
 * const state = { a: allocateOptimizerBuffers('momentum', 2) };
 * restoreOptimizerState('momentum', state, { 'optimizer.first.a': Float64Array.of(1, 2) });
 */
export function restoreOptimizerState(optimizer: OptimizerName, tensors: Record<string, OptimizerBuffers>, saved: Readonly<Record<string, Float64Array | number>>): void {
  if (optimizer === 'sgd') return;
  for (const [name, buffers] of Object.entries(tensors)) {
    const parts: [string, Float64Array][] = [[`optimizer.first.${name}`, buffers.first]];
    if (optimizer === 'adam') parts.push([`optimizer.second.${name}`, buffers.second]);
    for (const [key, into] of parts) {
      const value = saved[key];
      if (!(value instanceof Float64Array) || value.length !== into.length) {
        throw new InvalidInputError(`optimizerState.${key}`, `expected ${into.length} values of the ${optimizer} state (checkpoint written by another optimizer or shape?); resume with the run's own config`);
      }
      into.set(value);
    }
  }
}
