/**
 * The registries, in the spirit of tfjs-core's kernel registry: step kernels keyed by
 * (model family, backend, precision), and engines keyed by (model family, engine kind). A model
 * family registers what it has; `selectKernel` and `createEngine` (@mflab/parallel) look them
 * up by one rule each, so a new family, backend or engine is added by registering it — no
 * switch elsewhere changes.
 */
import { InvalidInputError } from '../errors.js';
import { isDeepModel } from '../model/spec.js';
import { DEEP, TWO_LAYER, type DataSplit, type Precision } from '../types.js';
import type { SimulationConfig } from './config.js';
import type { Engine, EngineStart } from './engine.js';

/** The backends of step kernels (`train.backend` without `auto`). */
export type KernelBackend = 'reference' | 'wasm' | 'tfjs' | 'native';

/** The shape of one step: n samples (the SGD batch or the training set), input dimension D (with the bias coordinate), m neurons. */
export interface KernelShape {
  readonly n: number;
  readonly D: number;
  readonly m: number;
}

/** One step kernel of one model family, as registered. */
export interface KernelRegistration<Kernel> {
  readonly model: string;
  readonly backend: KernelBackend;
  readonly precision: Precision;
  /** Whether it can be created now (its wasm is built, its library loaded). */
  available(): boolean;
  /** Loads what it needs before `available()` can hold (TensorFlow.js), when that can be done. */
  prepare?(): Promise<void>;
  /**
   * For `train.backend: auto`: whether this kernel is the measured faster choice for this shape.
   * Kernels without it are `auto`'s plain default in registration order.
   */
  preferredFor?(shape: KernelShape): boolean;
  create(): Kernel;
}

const kernels = new Map<string, KernelRegistration<unknown>>();
const kernelKey = (model: string, backend: string, precision: string) => `${model}/${backend}/${precision}`;

/**
 * Registers a step kernel (a later registration of the same key replaces the earlier one).
 *
 * @example
 * registerKernel({ model: 'two-layer', backend: 'reference', precision: 'f64', available: () => true, create: () => new ReferenceKernel() });
 */
export function registerKernel<Kernel>(registration: KernelRegistration<Kernel>): void {
  kernels.set(kernelKey(registration.model, registration.backend, registration.precision), registration as KernelRegistration<unknown>);
}

/** The registration of (model, backend, precision), or undefined. */
export function getKernel<Kernel>(model: string, backend: KernelBackend, precision: Precision): KernelRegistration<Kernel> | undefined {
  return kernels.get(kernelKey(model, backend, precision)) as KernelRegistration<Kernel> | undefined;
}

/** Every kernel registered for a model family, in registration order. */
export function kernelsOfModel<Kernel>(model: string): KernelRegistration<Kernel>[] {
  return [...kernels.values()].filter((k) => k.model === model) as KernelRegistration<Kernel>[];
}

/**
 * The kernel `train.backend` and `train.precision` ask for, for a model family: a named backend
 * must be registered in that precision (the error names the precisions it has); `auto` takes the
 * first registered kernel of that precision preferred for `shape` and available, else the first
 * available one (registration order is the family's order of preference).
 */
export function resolveKernel<Kernel>(model: string, train: Pick<SimulationConfig['train'], 'backend' | 'precision'>, shape?: KernelShape): KernelRegistration<Kernel> {
  const { backend, precision } = train;
  if (backend !== 'auto') {
    const entry = getKernel<Kernel>(model, backend, precision);
    if (entry) return entry;
    const has = kernelsOfModel(model).filter((k) => k.backend === backend).map((k) => k.precision);
    if (has.length === 0) throw new InvalidInputError('train.backend', `no "${backend}" kernel for the ${model} model; use one of ${[...new Set(kernelsOfModel(model).map((k) => k.backend))].join(', ')} or auto`);
    throw new InvalidInputError('train.precision', PRECISION_ADVICE[backend] ?? `the ${backend} backend runs in ${has.join(', ')} only`);
  }
  const candidates = kernelsOfModel<Kernel>(model).filter((k) => k.precision === precision);
  const preferred = shape ? candidates.find((k) => k.preferredFor?.(shape) === true && k.available()) : undefined;
  const chosen = preferred ?? candidates.find((k) => k.preferredFor === undefined && k.available());
  if (!chosen) throw new InvalidInputError('train.precision', `no ${precision} kernel of the ${model} model can run here${precision === 'f32' ? '; use f64 (the reference kernel), or build the wasm kernels' : ''}`);
  return chosen;
}

// Messages users met before the registry existed (they name the fix).
const PRECISION_ADVICE: Partial<Record<KernelBackend, string>> = {
  tfjs: 'TensorFlow.js computes in float32 only; use f32 or backend wasm',
  reference: 'the reference backend runs in float64 only; use "f64", or backend "wasm" for f32',
};

/**
 * What the choice of an engine needs of the data, before it is read or after: the training set's
 * size and whether a population sampler comes with it (generated data). A DataSplit is one.
 */
export interface DataShape {
  readonly train: { readonly n: number };
  readonly sampler?: unknown;
}

/** Engine kinds: one thread, or the neuron/data partitioner of @mflab/parallel. */
export type EngineKind = 'single-thread' | 'sharded';

/** Options every engine factory takes (the start's parameters are the family's own). */
export interface EngineOptions extends EngineStart {
  /** Threads the engine may use (sharded engines). */
  threads?: number;
}

/** One engine of one model family, as registered. */
export interface EngineRegistration {
  readonly model: string;
  readonly kind: EngineKind;
  /** Why this engine cannot run this config on data of this shape (then another is chosen), or null. */
  unsupported(config: SimulationConfig, data: DataShape): string | null;
  create(config: SimulationConfig, data: DataSplit, options: EngineOptions): Promise<Engine>;
}

const engines = new Map<string, EngineRegistration>();

/**
 * Registers an engine (core registers the single-thread engines of the two-layer and deep models,
 * @mflab/parallel the two-layer model's sharded engine). `create` gets the family's own start
 * parameters in `options` (the registry keys guarantee which family calls it).
 *
 * @example
 * registerEngine({ model: 'two-layer', kind: 'single-thread', unsupported: () => null, create: async (c, d, o) => new Simulation(c, d, o as SimulationOptions) });
 */
export function registerEngine(registration: EngineRegistration): void {
  engines.set(`${registration.model}/${registration.kind}`, registration);
}

/** The engine of (model, kind), or undefined. */
export function getEngine(model: string, kind: EngineKind): EngineRegistration | undefined {
  return engines.get(`${model}/${kind}`);
}

/**
 * The model family a resolved config describes: `deep` (ARCHITECTURE.md §7) when its model is a
 * deep network — depth ≥ 2, or any deep-only key written (see `describesDeepModel`) — else the
 * two-layer network of §1.
 *
 * @example
 * modelFamilyOf(resolveSimulationConfig({ model: { depth: 3, width: 64 } })); // 'deep'
 */
export function modelFamilyOf(config: Pick<SimulationConfig, 'model'>): string {
  return isDeepModel(config.model) ? DEEP : TWO_LAYER;
}
