import { InvalidInputError } from '../errors.js';
import { outputResiduals } from '../loss.js';
import { initParams } from '../model/init.js';
import { augmentInputs, augmentInto, inputDimension, type AugmentedInputs } from '../model/inputs.js';
import { checkParams, cloneParams, outputCount, type NetworkParams } from '../model/params.js';
import { driveOf, scalingOf, type Scaling } from '../model/scaling.js';
import { loadTensorBackend, tensorBackendInfo, type TensorBackendName } from '../tensor/backend.js';
import type { DataSplit, Dataset, Precision } from '../types.js';
import { EpochBatches } from './batches.js';
import { checkBatchSize, flowTime, resolveRunLength, resolveSimulationConfig, stepSizeAt, usesFiniteBatches, type SimulationConfig, type SimulationConfigInput } from './config.js';
import type { InputsHandle, ParamsHandle, StepKernel, UpdateCoefficients } from './kernel.js';
import { observableRow, particleSnapshot, particleSubsample, type ObservableRow, type ParticleSnapshot } from './observables.js';
import { ReferenceKernel } from './reference-kernel.js';
import { TfjsKernel, tensorBackendNotLoaded, tfjsStepIsFaster, type KernelShape } from './tfjs-kernel.js';
import { WasmKernel } from './wasm-kernel.js';
import { wasmKernelsAvailable } from './wasm-module.js';
import { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';

/** Which implementation ran, for every run's metadata. */
export interface BackendInfo {
  backend: StepKernel['backend'];
  precision: Precision;
  /** With backend 'tfjs': which TensorFlow.js backend ran the GEMMs (tfjs-node or tfjs-wasm). */
  tensorBackend?: TensorBackendName;
}

export interface SimulationOptions {
  /** w(0): the parameters at step 0 (default: drawn from `config.model.init` and the seed). */
  initialParams?: NetworkParams;
  /** w(t) to start from with `startStep` (resuming); default w(0). */
  params?: NetworkParams;
  startStep?: number;
  /** Backend kernel (default chosen from `config.train.backend` and precision). */
  kernel?: StepKernel;
}

/**
 * Picks the step kernel for `train.backend` and `train.precision`, synchronously. `tfjs` needs
 * TensorFlow.js loaded already (see {@link prepareKernel}). `auto` takes the tfjs kernel for f32
 * on the GEMM-bound shapes where it was measured faster ({@link tfjsStepIsFaster}) when `shape`
 * is given and TensorFlow.js is loaded, else the fused wasm SIMD kernel when it is built, else
 * the reference kernel (float64 only).
 */
export function selectKernel(config: SimulationConfig, shape?: KernelShape): StepKernel {
  const { backend, precision } = config.train;
  if (backend === 'tfjs') {
    if (precision !== 'f32') throw new InvalidInputError('train.precision', 'TensorFlow.js computes in float32 only; use f32 or backend wasm');
    if (tensorBackendInfo() === null) throw tensorBackendNotLoaded();
    return new TfjsKernel();
  }
  if (backend === 'auto' && precision === 'f32' && shape && tfjsStepIsFaster(shape) && tensorBackendInfo() !== null) return new TfjsKernel();
  if (backend === 'reference' || (backend === 'auto' && !wasmKernelsAvailable())) {
    if (precision !== 'f64') {
      throw new InvalidInputError('train.precision', `the reference backend runs in float64 only; use "f64", or backend "wasm" for f32`);
    }
    return new ReferenceKernel();
  }
  return new WasmKernel(precision);
}

/**
 * {@link selectKernel} for a problem of the given shape, first loading TensorFlow.js when the
 * choice needs it (`backend: tfjs`, or `auto` with f32 on a shape where tfjs is faster). Pass
 * the kernel to the simulation as `options.kernel` (or rely on the simulation choosing the same
 * one, now that TensorFlow.js is loaded).
 */
export async function prepareKernel(config: SimulationConfig, shape: KernelShape): Promise<StepKernel> {
  const { backend, precision } = config.train;
  const wantsTfjs = backend === 'tfjs' ? precision === 'f32' : backend === 'auto' && precision === 'f32' && tfjsStepIsFaster(shape);
  if (wantsTfjs) await loadTensorBackend();
  return selectKernel(config, shape);
}

/** The shape a simulation's step works on: n samples per step (the SGD batch or the training set), D, m. */
export function kernelShapeOf(config: SimulationConfig, data: DataSplit): KernelShape {
  const { train, model } = config;
  const n = train.integrator === 'sgd' ? (train.batchSize ?? data.train.n) : data.train.n;
  return { n, D: inputDimension(data.train.d, model.bias), m: model.width };
}

/**
 * f_w(x) of eq. (1) on any points (n×d, sample-major), in float64 by the reference kernel, minus
 * f_{w(0)} when the model is centered. Shared by every engine's `predict`, so that calls on ever
 * new point sets leave no buffers behind in a backend.
 */
export function predictOn(points: Dataset, model: { bias: boolean; centered: boolean }, scaling: Scaling, params: NetworkParams, initialParams: NetworkParams): Float64Array {
  const inputs = augmentInputs(points, model.bias, 'points');
  const reference = new ReferenceKernel();
  const size = inputs.n * outputCount(params);
  const raw = (p: NetworkParams) => {
    const out = new Float64Array(size);
    reference.partialOutputs(p, inputs, 0, p.m, out);
    for (let i = 0; i < size; i++) out[i] *= scaling.s;
    return out;
  };
  const out = raw(params);
  if (model.centered) {
    const f0 = raw(initialParams);
    for (let i = 0; i < size; i++) out[i] -= f0[i];
  }
  return out;
}

/**
 * k, the number of network outputs, for a config's loss on this data: the number of classes of
 * multi-class data (softmax cross-entropy, or square loss on one-hot targets), else 1. Checks
 * what k > 1 rules out; errors name the field to change. Every engine calls it.
 */
export function outputsFor(config: Pick<SimulationConfig, 'loss' | 'log'>, data: Pick<DataSplit, 'classes'>): number {
  const k = outputCountFor(config.loss, data.classes);
  if (k > 1 && config.log.ntk.every > 0) {
    throw new InvalidInputError('log.ntk.every', `ntk_drift is defined for one output; with ${k} outputs set log.ntk.every: 0`);
  }
  return k;
}

function outputCountFor(loss: SimulationConfig['loss'], classes: number | undefined): number {
  if (classes === undefined) {
    if (loss === 'softmax') {
      throw new InvalidInputError('loss', 'softmax cross-entropy needs multi-class data (integer labels 0..C−1): use data.kind idx, or a file with data.classes set; for ±1 labels use logistic');
    }
    return 1;
  }
  if (loss === 'logistic') {
    throw new InvalidInputError('loss', `logistic loss is for ±1 labels, but the data has ${classes} classes; use softmax (cross-entropy) or square (one-hot targets)`);
  }
  return classes;
}

/**
 * A two-layer ReLU network trained by gradient descent (ARCHITECTURE.md §1): it owns the
 * parameters, the initial parameters, the (augmented) data and every per-step buffer, so that
 * `step()` allocates nothing. One step = partial outputs → f → residual r → update (eq. 3).
 */
export class Simulation {
  readonly config: SimulationConfig;
  readonly scaling: Scaling;
  readonly data: DataSplit;
  /** D: input dimension seen by the neurons (d + 1 with bias). */
  readonly D: number;
  /** w(0), as the run's precision rounds it. */
  readonly initialParams: NetworkParams;
  readonly kernel: StepKernel;
  /** k: outputs per sample (the number of classes of multi-class data, else 1). */
  readonly outputs: number;
  readonly particleNeurons: Int32Array;
  private stepCount: number;
  private readonly coef: { lr: number; drive: number; decay: number } & UpdateCoefficients;
  private readonly train: AugmentedInputs;
  private readonly test: AugmentedInputs;
  // The kernel's resident copies; the host copy of w(t) is refreshed only when read.
  private readonly paramsHandle: ParamsHandle;
  private readonly initialHandle: ParamsHandle;
  private readonly hostParams: NetworkParams;
  private hostParamsStale = false;
  private readonly trainHandle: InputsHandle;
  private readonly testHandle: InputsHandle;
  private readonly batchHandle: InputsHandle;
  private readonly probe: AugmentedInputs | null;
  private kernelAtInit: Float64Array | null = null;
  /** f_{w(0)} on the train and test sets when centered (eq. 1), else null. */
  private readonly f0Train: Float64Array | null;
  private readonly f0Test: Float64Array | null;
  // Per-step buffers (n × k outputs and, for SGD, one batch).
  private readonly batch: AugmentedInputs;
  private readonly batchY: Float64Array;
  /** Population SGD: the batch's raw (unaugmented) points. */
  private readonly batchRawX: Float64Array | null;
  /** Finite-data SGD: the epochs' visiting order. */
  private readonly epochBatches: EpochBatches | null;
  private readonly batchF0: Float64Array | null;
  /** f on the current SGD batch (GD uses trainOut). */
  private readonly batchOut: Float64Array;
  private readonly residual: Float64Array;
  private readonly trainOut: Float64Array;
  /** The step whose parameters produced trainOut (−1: none): a GD step reuses what observe() computed. */
  private trainOutStep = -1;
  private readonly testOut: Float64Array;

  constructor(config: SimulationConfig, data: DataSplit, options: SimulationOptions = {}) {
    config = resolveRunLength(config, data);
    this.config = config;
    this.data = data;
    const { model, train } = config;
    const k = outputsFor(config, data);
    this.outputs = k;
    const d = data.train.d;
    if (data.train.n < 1) throw new InvalidInputError('data.n', 'the training set is empty; expected at least one point');
    if (data.test.n > 0 && data.test.d !== d) {
      throw new InvalidInputError('data.test', `test points have dimension ${data.test.d} but training points have ${d}`);
    }
    this.D = inputDimension(d, model.bias);
    this.scaling = scalingOf(model);
    this.kernel = options.kernel ?? selectKernel(config, kernelShapeOf(config, data));
    this.train = augmentInputs(data.train, model.bias, 'data.train');
    this.test = data.test.n > 0 ? augmentInputs(data.test, model.bias, 'data.test') : { n: 0, D: this.D, x: new Float64Array(0) };
    if (options.initialParams) checkParams('initialParams', options.initialParams, model.width, this.D, k);
    if (options.params) checkParams('params', options.params, model.width, this.D, k);
    this.initialParams = options.initialParams ? cloneParams(options.initialParams) : initParams(model.init, model.width, this.D, config.seed, k);
    this.initialHandle = this.kernel.uploadParams(this.initialParams);
    // Round w(0) to the kernel's precision so that `move` and centering see what the run uses.
    this.kernel.downloadParams(this.initialHandle, this.initialParams);
    this.hostParams = cloneParams(options.params ?? this.initialParams);
    this.paramsHandle = this.kernel.uploadParams(this.hostParams);
    this.kernel.downloadParams(this.paramsHandle, this.hostParams);
    this.trainHandle = this.kernel.uploadInputs(this.train);
    this.testHandle = this.test.n > 0 ? this.kernel.uploadInputs(this.test) : this.trainHandle;
    this.stepCount = options.startStep ?? 0;
    this.coef = { lr: train.lr, drive: driveOf(this.scaling), decay: train.weightDecay };
    this.particleNeurons = particleSubsample(model.width, config.log.particles.count, config.seed);

    const probeCount = Math.min(config.log.ntk.probe, this.train.n);
    this.probe = config.log.ntk.every > 0 ? { n: probeCount, D: this.D, x: this.train.x.subarray(0, probeCount * this.D) } : null;

    this.f0Train = model.centered ? this.rawOutputs(this.initialHandle, this.trainHandle, new Float64Array(this.train.n * k)) : null;
    this.f0Test = model.centered && this.test.n > 0 ? this.rawOutputs(this.initialHandle, this.testHandle, new Float64Array(this.test.n * k)) : null;

    this.batchRawX = null;
    this.epochBatches = null;
    if (train.integrator === 'sgd') {
      const size = train.batchSize ?? data.train.n;
      if (usesFiniteBatches(config, data)) {
        checkBatchSize(config, data);
        this.epochBatches = new EpochBatches(config.seed, data.train.n, size);
        this.batch = { n: size, D: this.D, x: new Float64Array(size * this.D) };
      } else {
        this.batchRawX = new Float64Array(size * d);
        this.batch = { n: size, D: this.D, x: model.bias ? new Float64Array(size * this.D) : this.batchRawX };
      }
      this.batchY = new Float64Array(size);
      this.batchF0 = model.centered ? new Float64Array(size * k) : null;
      this.batchHandle = this.kernel.uploadInputs(this.batch);
    } else {
      this.batch = this.train;
      this.batchY = data.train.y;
      this.batchF0 = this.f0Train;
      this.batchHandle = this.trainHandle;
    }
    this.batchOut = new Float64Array(train.integrator === 'sgd' ? this.batch.n * k : 0);
    this.residual = new Float64Array(this.batch.n * k);
    this.trainOut = new Float64Array(this.train.n * k);
    this.testOut = new Float64Array(this.test.n * k);
  }

  /** Resolves a partial config (defaults of ARCHITECTURE.md §6) and builds the simulation. */
  static create(config: SimulationConfigInput, data: DataSplit, options?: SimulationOptions): Simulation {
    return new Simulation(resolveSimulationConfig(config), data, options);
  }

  /** Number of updates applied so far (k: the parameters describe step k). */
  get currentStep(): number {
    return this.stepCount;
  }

  /** The flow's time: Σ_{t < step} η_t (step · η for a constant step size). */
  get time(): number {
    return flowTime(this.config.train, this.stepCount);
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

  /**
   * Network outputs f_w(x) (eq. 1, centered if configured) on any points (n×d, sample-major),
   * evaluated in float64 on the current parameters by the reference kernel, so that calls on
   * ever new point sets leave no buffers behind in the backend.
   */
  predict(points: Dataset): Float64Array {
    return predictOn(points, this.config.model, this.scaling, this.params, this.initialParams);
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
    return this.test.n > 0 ? this.outputsOn(this.testHandle, this.f0Test, this.testOut) : this.testOut;
  }

  /** Runs `count` updates of the configured integrator. Allocates nothing. */
  step(count = 1): void {
    for (let k = 0; k < count; k++) this.singleStep();
  }

  private singleStep(): void {
    const sgd = this.batchHandle !== this.trainHandle;
    if (this.batchRawX) this.drawBatch(this.stepCount);
    else if (this.epochBatches) this.gatherBatch(this.stepCount, this.epochBatches);
    const { batch, residual } = this;
    // Full-batch GD evaluates f on the training set, which a logged step may have done already.
    const outputs = sgd ? this.outputsOn(this.batchHandle, this.batchF0, this.batchOut) : this.trainOutputs();
    outputResiduals(this.config.loss, this.outputs, batch.n, outputs, this.batchY, residual);
    // Only a schedule writes η_t: a constant step leaves the coefficients as built (no boxed double per step).
    if (this.config.train.schedule !== 'constant') this.coef.lr = stepSizeAt(this.config.train, this.stepCount);
    this.kernel.update(this.paramsHandle, this.batchHandle, residual, this.coef, 0, this.paramsHandle.m);
    this.hostParamsStale = true;
    this.stepCount++;
  }

  /** Population SGD: batch k is samples [kB, (k+1)B) of the generator — fixed by the seed. */
  private drawBatch(k: number): void {
    const x = this.batchRawX as Float64Array;
    const B = this.batch.n;
    const d = this.data.train.d;
    (this.data.sampler as NonNullable<DataSplit['sampler']>).sample(k * B, B, x, this.batchY);
    if (this.config.model.bias) augmentInto(B, d, x, true, this.batch.x);
    this.kernel.refreshInputs(this.batchHandle, this.batch);
    if (this.batchF0) this.rawOutputs(this.initialHandle, this.batchHandle, this.batchF0);
  }

  /** Finite-data SGD: copies the samples of update `step` (x̃, y and f_{w(0)}) into the batch buffers. */
  private gatherBatch(step: number, batches: EpochBatches): void {
    const offset = batches.offsetOf(step);
    const { order } = batches;
    const { D, outputs: k } = this;
    const B = this.batch.n;
    const src = this.train.x;
    const dst = this.batch.x;
    const y = this.data.train.y;
    const f0 = this.f0Train;
    const batchF0 = this.batchF0;
    for (let i = 0; i < B; i++) {
      const row = order[offset + i];
      for (let q = 0; q < D; q++) dst[i * D + q] = src[row * D + q];
      this.batchY[i] = y[row];
      if (f0 && batchF0) for (let c = 0; c < k; c++) batchF0[i * k + c] = f0[row * k + c];
    }
    this.kernel.refreshInputs(this.batchHandle, this.batch);
  }

  /** The empirical tangent kernel on the probe set (ARCHITECTURE.md §1) for the given parameters. */
  tangentKernelOnProbe(params: NetworkParams = this.params): Float64Array {
    if (!this.probe) throw new InvalidInputError('log.ntk.every', 'the NTK probe is off; set log.ntk.every > 0');
    return empiricalTangentKernel(params, this.scaling, this.probe);
  }

  /** Computes every observable of ARCHITECTURE.md §1 at the current step. */
  observe(options: { ntk?: boolean } = {}): ObservableRow {
    let drift = NaN;
    if (options.ntk && this.probe) {
      this.kernelAtInit ??= this.tangentKernelOnProbe(this.initialParams);
      drift = relativeFrobeniusDistance(this.tangentKernelOnProbe(), this.kernelAtInit);
    }
    return observableRow({
      step: this.stepCount,
      time: this.time,
      loss: this.config.loss,
      scaling: this.scaling,
      weightDecay: this.config.train.weightDecay,
      classification: this.data.classification,
      outputs: this.outputs,
      trainOutputs: this.trainOutputs(),
      trainTargets: this.data.train.y,
      testOutputs: this.testOutputs(),
      testTargets: this.test.n > 0 ? this.data.test.y : this.testOut,
      params: this.params,
      initialParams: this.initialParams,
      ntkDrift: drift,
    });
  }

  /** (a_j, b_j) of the fixed neuron subsample, copied. */
  particles(): ParticleSnapshot {
    return particleSnapshot(this.params, this.particleNeurons, this.stepCount);
  }

}
