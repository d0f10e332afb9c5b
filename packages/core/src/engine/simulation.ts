/**
 * The two-layer network's single-thread engine (`Simulation`) and its step kernels, registered
 * with the registries (registry.ts) under the model family `two-layer`: the reference kernel
 * (float64), the fused wasm SIMD kernels (f32, f64) and the TensorFlow.js kernel (f32; `auto`
 * takes it where it was measured faster), then the single-thread engine.
 */
import { InvalidInputError } from '../errors.js';
import { outputResiduals } from '../loss.js';
import { inputDimension, type AugmentedInputs } from '../model/inputs.js';
import { twoLayerModel } from '../model/spec.js';
import { cloneParams, type NetworkParams } from '../model/params.js';
import { loadTensorBackend, tensorBackendInfo } from '../tensor/backend.js';
import { PRECISIONS, TWO_LAYER, type DataSplit } from '../types.js';
import { resolveSimulationConfig, type SimulationConfig, type SimulationConfigInput } from './config.js';
import type { BackendInfo, Engine, EngineStart } from './engine.js';
import { TwoLayerEngineBase } from './two-layer-engine.js';
import type { BlockUpdate, InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
import type { ObservableRow } from './observables.js';
import { ReferenceKernel } from './reference-kernel.js';
import type { StepCoefficients } from './step-plan.js';
import { allocateOptimizerBuffers, optimizerStateEntries, restoreOptimizerState, updateSlice, type OptimizerBuffers } from '../optim/optimizer.js';
import { kernelsOfModel, registerEngine, registerKernel, resolveKernel, type KernelShape } from './registry.js';
import { NativeKernel, nativeStepIsFaster } from './native-kernel.js';
import { loadNativeRuntime } from '../native/runtime.js';
import { TfjsKernel, tensorBackendNotLoaded, tfjsStepIsFaster } from './tfjs-kernel.js';
import { WasmKernel } from './wasm-kernel.js';
import { wasmKernelsAvailable } from './wasm-module.js';

// Registration order is `auto`'s order of preference within a precision: native where measured
// faster (GEMM-bound shapes), then wasm, then reference.
for (const precision of PRECISIONS) {
  registerKernel<StepKernel>({
    model: TWO_LAYER,
    backend: 'native',
    precision,
    available: () => loadNativeRuntime().ok,
    preferredFor: nativeStepIsFaster,
    create: () => {
      const runtime = loadNativeRuntime();
      if (!runtime.ok) throw new InvalidInputError('train.backend', `${runtime.reason}; use backend wasm or auto`);
      return new NativeKernel(precision);
    },
  });
}
for (const precision of PRECISIONS) {
  registerKernel<StepKernel>({ model: TWO_LAYER, backend: 'wasm', precision, available: wasmKernelsAvailable, create: () => new WasmKernel(precision) });
}
registerKernel<StepKernel>({ model: TWO_LAYER, backend: 'reference', precision: 'f64', available: () => true, create: () => new ReferenceKernel() });
registerKernel<StepKernel>({
  model: TWO_LAYER,
  backend: 'tfjs',
  precision: 'f32',
  available: () => tensorBackendInfo() !== null,
  prepare: async () => void (await loadTensorBackend()),
  preferredFor: tfjsStepIsFaster,
  create: () => {
    if (tensorBackendInfo() === null) throw tensorBackendNotLoaded();
    return new TfjsKernel();
  },
});

/**
 * The step kernel for `train.backend` and `train.precision`, synchronously (the registry's rule,
 * registry.ts): `tfjs` needs TensorFlow.js loaded already (see {@link prepareKernel}); `auto`
 * takes the tfjs kernel for f32 on the GEMM-bound shapes where it was measured faster
 * ({@link tfjsStepIsFaster}) when `shape` is given and TensorFlow.js is loaded, else the fused
 * wasm SIMD kernel when it is built, else the reference kernel (float64 only). Optimizers
 * other than sgd get the reference kernel, or the native one when asked for (config resolution
 * rejects the other backends).
 *
 * @example
 * const kernel = selectKernel(resolveSimulationConfig({ train: { backend: 'wasm', precision: 'f32' } }));
 */
export function selectKernel(config: SimulationConfig, shape?: KernelShape): StepKernel {
  // momentum and adam need the gradient g itself, which the reference and native kernels hand out.
  if (config.train.optimizer !== 'sgd' && config.train.backend !== 'native') return new ReferenceKernel();
  return resolveKernel<StepKernel>(TWO_LAYER, config.train, shape).create();
}

/**
 * {@link selectKernel} for a problem of the given shape, first loading what the choice needs
 * (TensorFlow.js for `backend: tfjs`, or `auto` with f32 on a shape where tfjs is faster).
 *
 * @example
 * const kernel = await prepareKernel(config, kernelShapeOf(config, data));
 * const sim = new Simulation(config, data, { kernel });
 */
export async function prepareKernel(config: SimulationConfig, shape: KernelShape): Promise<StepKernel> {
  const { backend, precision } = config.train;
  for (const k of kernelsOfModel<StepKernel>(TWO_LAYER)) {
    const wanted = k.precision === precision && (backend === k.backend || (backend === 'auto' && k.preferredFor?.(shape) === true));
    if (wanted && k.prepare) await k.prepare();
  }
  return selectKernel(config, shape);
}

/** The shape a simulation's step works on: n samples per step (the SGD batch or the training set), D, m. */
export function kernelShapeOf(config: SimulationConfig, data: DataSplit): KernelShape {
  const { train } = config;
  const model = twoLayerModel(config.model);
  const n = train.integrator === 'sgd' ? (train.batchSize ?? data.train.n) : data.train.n;
  return { n, D: inputDimension(data.train.d, model.bias), m: model.width };
}

/** Options of a single-thread engine: where it starts, and which kernel runs its step. */
export interface SimulationOptions extends EngineStart<NetworkParams> {
  /** Backend kernel (default chosen from `config.train.backend` and precision). */
  kernel?: StepKernel;
}

/**
 * A two-layer ReLU network trained by gradient descent on one thread (ARCHITECTURE.md §1): the
 * single-thread {@link Engine}. It owns the parameters in its kernel's storage and every per-step
 * buffer, so that `step()` allocates nothing. One step = partial outputs → f → residual r →
 * update (eq. 3) with the coefficients of the run's StepPlan.
 *
 * @example
 * import { Simulation, makeDataset, resolveDataSpec, runSimulation } from '@mflab/core';
 * const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 3, n: 256, nTest: 256 }), 0);
 * const sim = Simulation.create({ model: { width: 1024 }, train: { steps: 100, lr: 0.5 } }, data);
 * const result = runSimulation(sim);
 * console.log(result.last.risk_train, sim.backendInfo);
 */
export class Simulation extends TwoLayerEngineBase implements Engine<NetworkParams> {
  readonly kernel: StepKernel;
  // The kernel's resident copies; the host copy of w(t) is refreshed only when read.
  private readonly paramsHandle: ParamsHandle;
  private readonly initialHandle: ParamsHandle;
  private readonly hostParams: NetworkParams;
  private hostParamsStale = false;
  private readonly trainHandle: InputsHandle;
  private readonly testHandle: InputsHandle;
  private readonly batchHandle: InputsHandle;
  /** f_{w(0)} on the train and test sets when centered (eq. 1), else null. */
  private readonly f0Train: Float64Array | null;
  private readonly f0Test: Float64Array | null;
  // Per-step buffers (n × k outputs and, for SGD, one batch).
  private readonly batch: AugmentedInputs;
  private readonly batchY: Float64Array;
  /** Population SGD: the batch's raw (unaugmented) points. */
  private readonly batchRawX: Float64Array | null;
  private readonly batchF0: Float64Array | null;
  /** f on the current SGD batch (GD uses trainOut). */
  private readonly batchOut: Float64Array;
  private readonly residual: Float64Array;
  private readonly trainOut: Float64Array;
  /** The step whose parameters produced trainOut (−1: none): a GD step reuses what observe() computed. */
  private trainOutStep = -1;
  private readonly testOut: Float64Array;
  /**
   * momentum and adam (optim/optimizer.ts): the data terms g of a and b (m·D, m·k), their state,
   * and the factor taking g to the gradient ∇_w(κR) = κs·g that Adam normalizes; null for sgd
   * (the kernel's fused update).
   */
  private readonly stateful: { gradA: Float64Array; gradB: Float64Array; a: OptimizerBuffers; b: OptimizerBuffers; gradScale: number } | null;
  /** The native kernel's per-block hook (kernel.ts `updateWith`), made once; it reads the update's number and coefficients below. */
  private readonly applyBlock: BlockUpdate;
  private blockT = 0;
  private blockCoefficients: Readonly<StepCoefficients> = { lr: 0, step: 0, shrink: 1 };

  constructor(config: SimulationConfig, data: DataSplit, options: SimulationOptions = {}) {
    super(config, data, options);
    const { model, train } = this.config;
    const k = this.outputs;
    this.kernel = options.kernel ?? selectKernel(this.config, kernelShapeOf(this.config, data));
    this.initialHandle = this.kernel.uploadParams(this.initialParams);
    // Round w(0) to the kernel's precision so that `move` and centering see what the run uses.
    this.kernel.downloadParams(this.initialHandle, this.initialParams);
    this.hostParams = cloneParams(options.params ?? this.initialParams);
    this.paramsHandle = this.kernel.uploadParams(this.hostParams);
    this.kernel.downloadParams(this.paramsHandle, this.hostParams);
    this.trainHandle = this.kernel.uploadInputs(this.trainInputs);
    this.testHandle = this.testInputs.n > 0 ? this.kernel.uploadInputs(this.testInputs) : this.trainHandle;

    this.f0Train = model.centered ? this.rawOutputs(this.initialHandle, this.trainHandle, new Float64Array(this.trainInputs.n * k)) : null;
    this.f0Test = model.centered && this.testInputs.n > 0 ? this.rawOutputs(this.initialHandle, this.testHandle, new Float64Array(this.testInputs.n * k)) : null;

    const sgd = this.sgdBatchBuffers();
    this.batchRawX = sgd?.rawX ?? null;
    if (sgd) {
      this.batch = sgd.batch;
      this.batchY = sgd.y;
      this.batchF0 = sgd.f0;
      this.batchHandle = this.kernel.uploadInputs(this.batch);
    } else {
      this.batch = this.trainInputs;
      this.batchY = data.train.y;
      this.batchF0 = this.f0Train;
      this.batchHandle = this.trainHandle;
    }
    this.batchOut = new Float64Array(train.integrator === 'sgd' ? this.batch.n * k : 0);
    this.residual = new Float64Array(this.batch.n * k);
    this.trainOut = new Float64Array(this.trainInputs.n * k);
    this.testOut = new Float64Array(this.testInputs.n * k);
    this.applyBlock = (tensor, w, offset, g, count) => {
      const state = this.stateful as NonNullable<Simulation['stateful']>;
      const rule = this.config.train;
      if (rule.optimizer === 'adam') for (let v = 0; v < count; v++) g[v] *= state.gradScale;
      updateSlice(rule, w, g, tensor === 'a' ? state.a : state.b, offset, count, this.blockCoefficients, this.blockT, 0);
    };
    const { optimizer } = train;
    if (optimizer === 'sgd') {
      this.stateful = null;
    } else {
      const reference = this.kernel instanceof ReferenceKernel;
      if (!reference && (!this.kernel.updateWith || this.kernel.precision !== 'f64')) {
        throw new InvalidInputError('train.backend', `optimizer ${optimizer} runs on the reference or native (f64) backend only, not ${this.kernel.backend} ${this.kernel.precision}; use auto, reference or native`);
      }
      const { m, D } = this.hostParams;
      this.stateful = {
        // The reference kernel writes every neuron's g here; the native kernel hands out its own per block.
        gradA: new Float64Array(reference ? m * D : 0),
        gradB: new Float64Array(reference ? m * k : 0),
        a: allocateOptimizerBuffers(optimizer, m * D),
        b: allocateOptimizerBuffers(optimizer, m * k),
        gradScale: this.scaling.kappa * this.scaling.s,
      };
      if (options.optimizerState) restoreOptimizerState(optimizer, { a: this.stateful.a, b: this.stateful.b }, options.optimizerState);
    }
  }

  /** The optimizer's buffers for the checkpoint (Engine's; views, valid until the next step; empty for sgd). */
  optimizerState(): Record<string, Float64Array> {
    return this.stateful ? optimizerStateEntries(this.config.train.optimizer, { a: this.stateful.a, b: this.stateful.b }) : {};
  }

  /** Resolves a partial config (defaults of ARCHITECTURE.md §6) and builds the simulation. */
  static create(config: SimulationConfigInput, data: DataSplit, options?: SimulationOptions): Simulation {
    return new Simulation(resolveSimulationConfig(config), data, options);
  }

  get backendInfo(): BackendInfo {
    const info: BackendInfo = { backend: this.kernel.backend, precision: this.kernel.precision };
    if (this.kernel instanceof TfjsKernel) info.tensorBackend = this.kernel.tensorBackend;
    return info;
  }

  /** w(t): the current parameters (a float64 copy of the kernel's, refreshed when stale; read-only). */
  get params(): NetworkParams {
    if (this.hostParamsStale) {
      this.kernel.downloadParams(this.paramsHandle, this.hostParams);
      this.hostParamsStale = false;
    }
    return this.hostParams;
  }

  /** s Σ_j b_j σ(a_j·x̃_i) for the given parameters (no centering). */
  private rawOutputs(params: ParamsHandle, inputs: InputsHandle, out: Float64Array): Float64Array {
    this.kernel.partialOutputs(params, inputs, 0, params.m, out);
    const s = this.scaling.s;
    const size = inputs.n * this.outputs;
    for (let i = 0; i < size; i++) out[i] *= s;
    return out;
  }

  /** f_w(x̃_i) of eq. (1) with the current parameters, for inputs and their f_{w(0)} (when centered). */
  private outputsOn(inputs: InputsHandle, f0: Float64Array | null, out: Float64Array): Float64Array {
    this.rawOutputs(this.paramsHandle, inputs, out);
    const size = inputs.n * this.outputs;
    if (f0) for (let i = 0; i < size; i++) out[i] -= f0[i];
    return out;
  }

  /** Current outputs on the training set (a view into an internal buffer, valid until the next call or step). */
  trainOutputs(): Float64Array {
    if (this.trainOutStep !== this.stepCount) {
      this.outputsOn(this.trainHandle, this.f0Train, this.trainOut);
      this.trainOutStep = this.stepCount;
    }
    return this.trainOut;
  }

  /** Current outputs on the test set (a view into an internal buffer, valid until the next call). */
  testOutputs(): Float64Array {
    return this.testInputs.n > 0 ? this.outputsOn(this.testHandle, this.f0Test, this.testOut) : this.testOut;
  }

  /** Runs `count` updates of the configured integrator. Allocates nothing. */
  step(count = 1): void {
    for (let k = 0; k < count; k++) this.singleStep();
  }

  private singleStep(): void {
    const t = this.stepCount;
    const sgd = this.batchHandle !== this.trainHandle;
    if (this.batchRawX) this.drawBatch(t);
    else if (this.plan.batches) this.gatherBatch(t);
    const { batch, residual } = this;
    // Full-batch GD evaluates f on the training set, which a logged step may have done already.
    const outputs = sgd ? this.outputsOn(this.batchHandle, this.batchF0, this.batchOut) : this.trainOutputs();
    outputResiduals(this.config.loss, this.outputs, batch.n, outputs, this.batchY, residual);
    if (this.stateful) this.statefulUpdate(t);
    else this.kernel.update(this.paramsHandle, this.batchHandle, residual, this.plan.at(t), 0, this.paramsHandle.m);
    this.hostParamsStale = true;
    this.stepCount++;
  }

  /**
   * momentum / adam: g of every neuron from the reference kernel (whose handle is the host
   * params), then the optimizer's update of a and b (the native kernel: per block, applyBlock). The plan's drive κγs is the learning-rate
   * factor of all three rules (for Adam: see optim/optimizer.ts and ARCHITECTURE.md §1's table —
   * g_j is O(1) per neuron in every row, so κγs is SGD's per-parameter displacement scale, and
   * Adam, which normalizes g, keeps each row's regime with the same factor); Adam gets the
   * gradient κs·g.
   */
  private statefulUpdate(t: number): void {
    const state = this.stateful as NonNullable<Simulation['stateful']>;
    if (!(this.kernel instanceof ReferenceKernel)) {
      // The native kernel: its blocks' g go through applyBlock (the same rule, per block).
      this.blockT = t + 1;
      this.blockCoefficients = this.plan.at(t);
      (this.kernel.updateWith as NonNullable<StepKernel['updateWith']>)(this.paramsHandle, this.batchHandle, this.residual, 0, this.paramsHandle.m, this.applyBlock);
      return;
    }
    const { gradA, gradB, gradScale } = state;
    const params = this.paramsHandle as NetworkParams;
    (this.kernel as ReferenceKernel).gradients(params, this.batchHandle, this.residual, 0, params.m, gradA, gradB);
    const rule = this.config.train;
    if (rule.optimizer === 'adam') {
      for (let q = 0; q < gradA.length; q++) gradA[q] *= gradScale;
      for (let q = 0; q < gradB.length; q++) gradB[q] *= gradScale;
    }
    const c = this.plan.at(t);
    updateSlice(rule, params.a, gradA, state.a, 0, gradA.length, c, t + 1);
    updateSlice(rule, params.b, gradB, state.b, 0, gradB.length, c, t + 1);
  }

  /** Population SGD: update t's fresh samples, uploaded, with their f_{w(0)}. */
  private drawBatch(t: number): void {
    this.drawPopulationBatch(t, this.batchRawX as Float64Array, this.batch.x, this.batchY);
    this.kernel.refreshInputs(this.batchHandle, this.batch);
    if (this.batchF0) this.rawOutputs(this.initialHandle, this.batchHandle, this.batchF0);
  }

  /** Finite-data SGD: copies the samples of update t (x̃, y and f_{w(0)}) into the batch buffers. */
  private gatherBatch(t: number): void {
    this.gatherFiniteBatch(t, this.batch.x, this.batchY, this.f0Train, this.batchF0);
    this.kernel.refreshInputs(this.batchHandle, this.batch);
  }

  /** Computes every observable of ARCHITECTURE.md §1 at the current step. */
  observe(options: { ntk?: boolean } = {}): ObservableRow {
    return this.observableRowOf(this.trainOutputs(), this.testOutputs(), options.ntk === true);
  }

  /** Nothing to free: the kernel's memory goes with the object. (The Engine interface's.) */
  dispose(): void {}
}

registerEngine({
  model: TWO_LAYER,
  kind: 'single-thread',
  unsupported: () => null,
  create: async (config, data, options) => new Simulation(config, data, { ...(options as SimulationOptions), kernel: await prepareKernel(config, kernelShapeOf(config, data)) }),
});
