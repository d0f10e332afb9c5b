/**
 * The deep network's single-thread engine (ARCHITECTURE.md §7): `DeepSimulation`, the model
 * family `deep` behind core's `Engine` interface, registered with the engine registry. It shares
 * everything but the model with the two-layer engine (engine/engine.ts's `EngineBase`: checks,
 * w(0) and resume, the StepPlan's η_t, weight-decay shrink and SGD batches, centering, the
 * observable row, the NTK drift, prediction) and runs the float64 reference model of this
 * folder's block-structured step (blocks.ts; in f64 bitwise network.ts's reference): one step =
 * forward → residuals (loss.ts) → backward → per-tensor update of `train.optimizer` (optim/
 * optimizer.ts; sgd: w ← (1 − η_tλ) w − η_t γ_l ∇_{w}(κR)), each tensor's coefficients from the
 * plan (one parameter group per tensor, drive γ_l, or for adam the preset's Adam factor, scaling.ts
 * `adamLrFactors`). In f32 the
 * step's parameters and activations are float32 (blocks.ts); w(0) is rounded to f32 and the
 * observables are computed in float64 from the float32 parameters.
 */
import { InvalidInputError } from '../errors.js';
import type { Activation } from '../kernels/activations.js';
import { edgeOfChaos } from '../kernels/edge-of-chaos.js';
import { outputResiduals } from '../loss.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { isDeepModel, type DeepModelSpec, type ModelSpec } from '../model/spec.js';
import { DEEP, type DataSplit } from '../types.js';
import { resolveSimulationConfig, type SimulationConfig, type SimulationConfigInput } from '../engine/config.js';
import { EngineBase, outputsFor, type BackendInfo, type Engine, type EngineStart } from '../engine/engine.js';
import type { DeepObservableRow, LayerObservables, ParameterSummary } from '../engine/observables.js';
import { registerEngine } from '../engine/registry.js';
import { initDeepParams, resolveDeepInit, type DeepInit } from './init.js';
import { DEEP_BLOCK_SIZE, DeepBlockRunner, allocateDeepStepBuffers, sgdBlockUpdate, type BlockUpdate, type DeepParamsOf, type DeepStepBuffers, type DeepUpdateCoefficients, type RealArray, type RealArrayConstructor } from './blocks.js';
import { backward, forwardWith, type DeepForward } from './network.js';
import { allocateDeepParams, checkDeepParams, cloneDeepParams, type DeepParams } from './params.js';
import { inputJacobian, jacobianSpectrum } from './jacobian.js';
import { deepGradientGrams, layerTangentKernels, sumLayerKernels } from './layer-kernel.js';
import { adamLrFactors, deepCoefficients, type DeepCoefficients } from './scaling.js';
import { allocateOptimizerBuffers, optimizerStateEntries, restoreOptimizerState, updateSlice, type OptimizerBuffers } from '../optim/optimizer.js';
import { resolveDeepSpec, type DeepSpec } from './spec.js';

/**
 * The deep spec of a resolved deep model on d-dimensional inputs with k outputs: the
 * parameterization names the abc preset (`lazy`: `mean-field` with output multiplier α and
 * κ = 1/α², as at depth 1 in §1), the input fan-in is §1's (`one`).
 *
 * @example
 * const model = resolveModelSpec({ depth: 3, width: 64, activation: 'tanh' });
 * deepSpecOfModel(model, 2, 1).widths; // [64, 64, 64]
 */
export function deepSpecOfModel(model: ModelSpec, d: number, k: number): DeepSpec {
  const deep = deepModel(model);
  const lazy = deep.parameterization === 'lazy';
  return resolveDeepSpec({
    d,
    depth: deep.depth,
    width: deep.width,
    outputs: k,
    activation: deep.activation,
    bias: deep.bias,
    residual: deep.residual,
    ...(deep.residualScale !== undefined ? { residualScale: deep.residualScale } : {}),
    scaling: deep.parameterization === 'lazy' ? 'mean-field' : deep.parameterization,
    kappa: lazy ? 1 / (deep.alpha * deep.alpha) : 1,
    outputMultiplier: lazy ? deep.alpha : 1,
    inputFanIn: 'one',
  });
}

/**
 * The init a resolved deep model draws for `spec`: `model.init`'s variances (or the edge of
 * chaos: relu and linear built in, tanh and erf by the solver of kernels/edge-of-chaos.ts for
 * `model.init.biasVariance`, default 0), each multiplied by τ² (`model.init.scale`, τ
 * multiplying every draw).
 *
 * @example
 * const model = resolveModelSpec({ depth: 4, width: 64, init: { edgeOfChaos: true } });
 * deepInitOfModel(model, deepSpecOfModel(model, 2, 1)).edgeOfChaos; // { weightVariance: 2, biasVariance: 0 }
 */
export function deepInitOfModel(model: ModelSpec, spec: DeepSpec): DeepInit {
  const { init } = deepModel(model);
  const resolved = resolveDeepInit(spec, {
    kind: init.kind,
    ...(init.weightVariance !== undefined ? { weightVariance: init.weightVariance } : {}),
    ...(init.biasVariance !== undefined ? { biasVariance: init.biasVariance } : {}),
    edgeOfChaos: init.edgeOfChaos,
  }, edgeOfChaosWeightVariance);
  const t2 = init.scale * init.scale;
  if (t2 === 1) return resolved;
  return { ...resolved, weightVariance: resolved.weightVariance.map((v) => t2 * v), biasVariance: resolved.biasVariance.map((v) => t2 * v) };
}

/** σ_w² on the edge of chaos of tanh or erf for σ_b² (ARCHITECTURE.md §7): the solver of kernels/edge-of-chaos.ts. */
function edgeOfChaosWeightVariance(activation: Activation, biasVariance: number): number {
  return edgeOfChaos(activation, biasVariance).weightVariance;
}

function deepModel(model: ModelSpec): DeepModelSpec {
  if (!isDeepModel(model)) throw new InvalidInputError('model.depth', 'DeepSimulation runs deep networks (ARCHITECTURE.md §7); this config describes the two-layer network — use Simulation, or createEngine');
  return model;
}

/**
 * The ParameterSummary of a deep network: `move` = ‖θ(t) − θ(0)‖/‖θ(0)‖ over every tensor,
 * `l2` = Σ_l ‖w_l‖² / m_L, `path` = (1/m_L) Σ_j ‖column j of w_{L+1}‖ ‖(row j of w_L, its bias)‖
 * (§1's per-neuron path norm of the last hidden layer's units), `penalty` = (λ/2) Σ ρ_l ‖w_l‖².
 * At depth 1 these are §1's `move`, `l2` and `path`.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8 });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * deepParameterSummary(spec, deepCoefficients(spec), w, w, 0).move; // 0
 */
export function deepParameterSummary(spec: DeepSpec, co: DeepCoefficients, params: DeepParams, initial: DeepParams, weightDecay: number): ParameterSummary {
  let dist2 = 0;
  let init2 = 0;
  let sumSquares = 0;
  let weighted = 0;
  const tensors = (p: DeepParams) => [...p.weights, ...p.biases];
  const now = tensors(params);
  const then = tensors(initial);
  const rho = [...co.weights.map((c) => c.decayWeight), ...co.biases.map((c) => c?.decayWeight ?? 0)];
  for (let t = 0; t < now.length; t++) {
    const w = now[t];
    const w0 = then[t];
    let s = 0;
    for (let q = 0; q < w.length; q++) {
      const v = w[q];
      const e = v - w0[q];
      s += v * v;
      dist2 += e * e;
      init2 += w0[q] * w0[q];
    }
    sumSquares += s;
    weighted += rho[t] * s;
  }
  const L = spec.depth;
  const mL = spec.widths[L - 1];
  const cols = L === 1 ? spec.D : spec.widths[L - 2];
  const wL = params.weights[L - 1];
  const bL = params.biases[L - 1];
  const wOut = params.weights[L];
  const k = spec.outputs;
  let path = 0;
  for (let j = 0; j < mL; j++) {
    let in2 = bL.length > 0 ? bL[j] * bL[j] : 0;
    for (let q = 0; q < cols; q++) in2 += wL[j * cols + q] * wL[j * cols + q];
    let out2 = 0;
    for (let c = 0; c < k; c++) out2 += wOut[c * mL + j] * wOut[c * mL + j];
    path += Math.sqrt(out2) * Math.sqrt(in2);
  }
  return { move: init2 > 0 ? Math.sqrt(dist2 / init2) : Math.sqrt(dist2), l2: sumSquares / mL, path: path / mL, penalty: 0.5 * weightDecay * weighted };
}

/**
 * The empirical tangent kernel of a deep network's dynamics on `inputs` (one output):
 * K(x, x') = Σ_l γ_l ∇_{w_l} f(x)·∇_{w_l} f(x') over every weight and bias tensor, γ_l its
 * learning-rate factor — §1's K = γ Σ_j ∇_{w_j}f·∇_{w_j}f at depth 1. One backward pass per input.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'ntk' });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * deepTangentKernel(spec, deepCoefficients(spec), w, { n: 2, D: 3, x: Float64Array.of(1, 0, 1, 0, 1, 1) }).length; // 4
 */
export function deepTangentKernel(spec: DeepSpec, co: DeepCoefficients, params: DeepParams, inputs: AugmentedInputs): Float64Array {
  if (spec.outputs !== 1) throw new InvalidInputError('log.ntk.every', `the tangent kernel is defined here for one output; the network has ${spec.outputs}`);
  const p = inputs.n;
  const D = inputs.D;
  const gamma = [...co.weights.map((c) => c.lrFactor), ...co.biases.map((c) => c?.lrFactor ?? 0)];
  const grads: Float64Array[][] = [];
  const one = Float64Array.of(1);
  for (let i = 0; i < p; i++) {
    const x: AugmentedInputs = { n: 1, D, x: inputs.x.subarray(i * D, (i + 1) * D) };
    const grad = allocateDeepParams(spec);
    backward(spec, co, params, x, forwardWith(spec, co, params, x, true), one, grad);
    grads.push([...grad.weights, ...grad.biases]);
  }
  const K = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let t = 0; t < gamma.length; t++) {
        const a = grads[i][t];
        const b = grads[j][t];
        let dot = 0;
        for (let q = 0; q < a.length; q++) dot += a[q] * b[q];
        sum += gamma[t] * dot;
      }
      K[i * p + j] = sum;
      K[j * p + i] = sum;
    }
  }
  return K;
}

/**
 * A deep fully connected or residual network (ARCHITECTURE.md §7) trained on one thread, in
 * float64 by the reference model: the `deep` family's {@link Engine}. Full-batch GD, minibatch
 * SGD (population or epochs), every loss with k outputs, weight decay, schedules, centering and
 * every data kind, as the two-layer engine; the observables of §1 (with `l2`, `path` and `move`
 * as {@link deepParameterSummary} defines them) and the NTK drift for one output. At depth 1 it
 * follows the two-layer `Simulation` (reference, f64) to 1e-12.
 *
 * @example
 * import { DeepSimulation, makeDataset, resolveDataSpec, runSimulation } from '@mflab/core';
 * const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 3, n: 128, nTest: 128 }), 0);
 * const sim = DeepSimulation.create({ model: { depth: 3, width: 64, activation: 'tanh', parameterization: 'mup' }, train: { steps: 50, lr: 0.5 } }, data);
 * const result = runSimulation(sim);
 * console.log(result.last.risk_train, sim.backendInfo);
 */
export class DeepSimulation extends EngineBase<DeepParams> implements Engine<DeepParams> {
  readonly family = DEEP;
  declare readonly config: SimulationConfig<DeepModelSpec>;
  /** The network's shape and abc-parametrization. */
  readonly spec: DeepSpec;
  /** The init w(0) was drawn from (variances per layer; the edge-of-chaos point when picked). */
  readonly init: DeepInit;
  /** μ, γ, ρ of every tensor. */
  readonly coefficients: DeepCoefficients;
  private readonly current: DeepParams;
  /** StepPlan group of each weight tensor and each bias tensor (−1: none). */
  private readonly weightGroup: number[];
  private readonly biasGroup: number[];
  /** f_{w(0)} on the train and test sets when centered, else null. */
  private readonly f0Train: Float64Array | null;
  private readonly f0Test: Float64Array | null;
  /** SGD: the batch's x̃, y, raw x (population) and f_{w(0)} (centered). */
  private readonly batch: AugmentedInputs | null;
  private readonly batchY: Float64Array;
  private readonly batchRawX: Float64Array | null;
  private readonly batchF0: Float64Array | null;
  private readonly trainOut: Float64Array;
  private readonly testOut: Float64Array;
  /** The parameters the step updates, in the run's precision (f64: the same arrays as `current`). */
  protected readonly stepParams: DeepParamsOf<RealArray>;
  /** The step's inputs, layers, outputs and residuals (blocks.ts), for the batch or the training set. */
  protected readonly stepBuffers: DeepStepBuffers;
  /** The centered outputs of the step's samples (when centered). */
  private readonly stepOutputs: Float64Array;
  /** The update coefficients of the current step, per tensor (filled from the plan each step). */
  protected readonly stepCoefficients: DeepUpdateCoefficients;
  private readonly runner: DeepBlockRunner;
  /** The optimizer's buffers of every weight tensor and every bias tensor (empty for sgd). */
  private readonly weightState: OptimizerBuffers[];
  private readonly biasState: OptimizerBuffers[];
  /** The probe of the per-layer observables: the first `log.ntk.probe` training inputs. */
  private readonly layerProbe: AugmentedInputs;
  /** h_l(0) on the layer probe, and what is logged at step 0 only (ρ_l, the Jacobian's spectrum). */
  private probeAtInit: DeepForward | null = null;
  private atInit: Pick<LayerObservables, 'corr_layers' | 'jacobian_mean' | 'jacobian_spread'> | null = null;
  /** The training set's forward pass at step `trainForwardStep` (observe() and trainOutputs() share it). */
  private trainForward: DeepForward | null = null;
  private trainForwardStep = -1;
  /** `ntk_layers` of the current parameters, and the step it was computed at. */
  private ntkLayersNow: { step: number; values: number[] } | null = null;

  /**
   * `allocate` places the step's arrays (parameters in the run's precision, the step buffers): by
   * default in ordinary memory; the sharded engine passes SharedArrayBuffer-backed arrays.
   */
  constructor(config: SimulationConfig, data: DataSplit, options: EngineStart<DeepParams> = {}, allocate: StepAllocator = ordinaryMemory) {
    const spec = deepSpecOfModel(config.model, data.train.d, outputsFor(config, data));
    const init = deepInitOfModel(config.model, spec);
    const co = deepCoefficients(spec);
    const weightGroup: number[] = [];
    const biasGroup: number[] = [];
    const drives: number[] = [];
    // Adam's learning-rate factors come from the preset's Adam row, not SGD's γ_l (scaling.ts).
    const adam = config.train.optimizer === 'adam' ? adamLrFactors(spec) : null;
    for (let l = 0; l <= spec.depth; l++) {
      weightGroup.push(drives.length);
      drives.push(adam ? adam.weights[l] : co.weights[l].lrFactor);
      const b = co.biases[l];
      biasGroup.push(b ? drives.length : -1);
      if (b) drives.push(adam ? (adam.biases[l] as number) : b.lrFactor);
    }
    super(
      config,
      data,
      options,
      {
        init: () => initDeepParams(spec, init, config.seed),
        check: (field, p) => {
          if (!('weights' in p)) throw new InvalidInputError(field, 'expected the layers of a deep network (weights, biases), got a two-layer network');
          checkDeepParams(field, spec, p);
        },
        clone: cloneDeepParams,
      },
      drives,
    );
    this.spec = spec;
    this.init = init;
    this.coefficients = co;
    this.weightGroup = weightGroup;
    this.biasGroup = biasGroup;
    this.current = cloneDeepParams(options.params ?? this.initialParams);
    const f32 = config.train.precision === 'f32';
    if (f32) {
      // w(0) and w(t) as the f32 step stores them (EngineBase: rounded in place before the first step).
      for (const p of [this.initialParams, this.current]) for (const t of [...p.weights, ...p.biases]) for (let q = 0; q < t.length; q++) t[q] = Math.fround(t[q]);
    }
    const Real = f32 ? Float32Array : Float64Array;
    const copy = (t: Float64Array) => {
      const a = allocate(Real, t.length);
      a.set(t);
      return a;
    };
    this.stepParams = allocate === ordinaryMemory && !f32 ? this.current : { weights: this.current.weights.map(copy), biases: this.current.biases.map(copy) };
    const k = this.outputs;
    const { model } = this.config;
    this.f0Train = model.centered ? this.forward(this.initialParams, this.trainInputs) : null;
    this.f0Test = model.centered && this.testInputs.n > 0 ? this.forward(this.initialParams, this.testInputs) : null;
    const sgd = this.sgdBatchBuffers();
    this.batchRawX = sgd?.rawX ?? null;
    if (sgd) {
      this.batch = sgd.batch;
      this.batchY = sgd.y;
      this.batchF0 = sgd.f0;
    } else {
      this.batch = null;
      this.batchY = data.train.y;
      this.batchF0 = this.f0Train;
    }
    const n = this.batch?.n ?? this.trainInputs.n;
    this.stepBuffers = allocateDeepStepBuffers(spec, Real, n, allocate);
    if (!this.batch) this.stepBuffers.x.set(this.trainInputs.x);
    this.stepOutputs = new Float64Array(n * k);
    this.stepCoefficients = {
      weights: co.weights.map(() => ({ shrink: 1, step: 0 })),
      biases: co.biases.map((b) => (b ? { shrink: 1, step: 0 } : null)),
    };
    const { optimizer } = this.config.train;
    this.weightState = this.current.weights.map((w) => allocateOptimizerBuffers(optimizer, w.length));
    this.biasState = this.current.biases.map((b) => allocateOptimizerBuffers(optimizer, b.length));
    if (options.optimizerState) restoreOptimizerState(optimizer, this.namedOptimizerBuffers(), options.optimizerState);
    this.runner = new DeepBlockRunner({ spec, co, params: this.stepParams, buffers: this.stepBuffers, update: optimizer === 'sgd' ? sgdBlockUpdate : this.optimizerBlockUpdate() }, DEEP_BLOCK_SIZE, 1, 0);
    this.trainOut = new Float64Array(this.trainInputs.n * k);
    this.testOut = new Float64Array(this.testInputs.n * k);
    const p = Math.min(this.config.log.ntk.probe, this.trainInputs.n);
    this.layerProbe = { n: p, D: this.D, x: this.trainInputs.x.subarray(0, p * this.D) };
  }

  /** Resolves a partial config (ARCHITECTURE.md §6, §7 defaults) and builds the engine. */
  static create(config: SimulationConfigInput, data: DataSplit, options?: EngineStart<DeepParams>): DeepSimulation {
    return new DeepSimulation(resolveSimulationConfig(config), data, options);
  }

  get backendInfo(): BackendInfo {
    return { backend: 'reference', precision: this.config.train.precision };
  }

  /** w(t) (the engine's own arrays: read-only). */
  get params(): DeepParams {
    return this.current;
  }

  protected forward(params: DeepParams, inputs: AugmentedInputs): Float64Array {
    return forwardWith(this.spec, this.coefficients, params, inputs, false).f;
  }

  /**
   * The probe's tangent kernel, layer by layer (layer-kernel.ts: one batched forward/backward, no
   * per-input gradients, so it runs at large width); for the current parameters it also keeps
   * each layer's mean diagonal for `ntk_layers`.
   */
  protected tangentKernelOf(params: DeepParams, inputs: AugmentedInputs): Float64Array {
    const layers = layerTangentKernels(this.coefficients, deepGradientGrams(this.spec, this.coefficients, params, inputs));
    if (params === this.current) {
      const p = inputs.n;
      this.ntkLayersNow = {
        step: this.stepCount,
        values: layers.map((k) => {
          let trace = 0;
          for (let i = 0; i < p; i++) trace += k[i * p + i];
          return trace / p;
        }),
      };
    }
    return sumLayerKernels(layers);
  }

  protected parameterSummary(params: DeepParams, initial: DeepParams): ParameterSummary {
    return deepParameterSummary(this.spec, this.coefficients, params, initial, this.config.train.weightDecay);
  }

  protected get riskWeight(): number {
    return this.spec.kappa;
  }

  /** The family, the widths, the activation, the residual scale and the init drawn (run.json's `model`). */
  override modelInfo(): Record<string, unknown> {
    const { spec, init } = this;
    return {
      family: DEEP,
      depth: spec.depth,
      widths: [...spec.widths],
      outputs: spec.outputs,
      activation: spec.activation,
      residual: spec.residual,
      ...(spec.residual ? { residualScale: spec.residualScale } : {}),
      preset: spec.preset,
      kappa: spec.kappa,
      init: { kind: init.kind, weightVariance: [...init.weightVariance], biasVariance: [...init.biasVariance], edgeOfChaos: init.edgeOfChaos },
    };
  }

  /** The training set's forward pass at the current step, keeping its layers (cached per step). */
  private trainPass(): DeepForward {
    if (this.trainForwardStep !== this.stepCount || !this.trainForward) {
      this.trainForward = forwardWith(this.spec, this.coefficients, this.current, this.trainInputs, true);
      this.trainForwardStep = this.stepCount;
    }
    return this.trainForward;
  }

  private centeredInto(f: Float64Array, f0: Float64Array | null, out: Float64Array): Float64Array {
    if (f0) for (let i = 0; i < out.length; i++) out[i] = f[i] - f0[i];
    else out.set(f);
    return out;
  }

  /** Current outputs on the training set (a view into an internal buffer, valid until the next call or step). */
  trainOutputs(): Float64Array {
    return this.centeredInto(this.trainPass().f, this.f0Train, this.trainOut);
  }

  /** Current outputs on the test set (a view into an internal buffer, valid until the next call). */
  testOutputs(): Float64Array {
    if (this.testInputs.n === 0) return this.testOut;
    return this.centeredInto(this.forward(this.current, this.testInputs), this.f0Test, this.testOut);
  }

  /**
   * The blocked step's update for momentum and adam: a block's rows of a tensor through
   * optim/optimizer.ts's `updateSlice`, with that tensor's state (found by the tensor: one Map
   * lookup per block, no allocation) and update t + 1.
   */
  private optimizerBlockUpdate(): BlockUpdate {
    const stateOf = new Map<RealArray, OptimizerBuffers>();
    this.stepParams.weights.forEach((w, l) => stateOf.set(w, this.weightState[l]));
    this.stepParams.biases.forEach((b, l) => {
      if (b.length > 0) stateOf.set(b, this.biasState[l]);
    });
    const rule = this.config.train;
    return (w, g, offset, gOffset, count, c) => updateSlice(rule, w, g, stateOf.get(w) as OptimizerBuffers, offset, count, c, this.stepCount + 1, gOffset);
  }

  private namedOptimizerBuffers(): Record<string, OptimizerBuffers> {
    const named: Record<string, OptimizerBuffers> = {};
    this.weightState.forEach((state, l) => (named[`weights.${l}`] = state));
    this.biasState.forEach((state, l) => {
      if (this.biasGroup[l] >= 0) named[`biases.${l}`] = state;
    });
    return named;
  }

  /** The optimizer's buffers for the checkpoint (Engine's; views, valid until the next step). */
  optimizerState(): Record<string, Float64Array> {
    return optimizerStateEntries(this.config.train.optimizer, this.namedOptimizerBuffers());
  }

  /** Runs `count` updates of the configured integrator. */
  step(count = 1): void {
    for (let s = 0; s < count; s++) {
      this.prepareStep();
      this.runner.forwardPhases(noBarrier);
      this.writeResiduals();
      this.runner.backwardPhases(this.stepCoefficients, noBarrier);
      this.stepCount++;
    }
    this.syncParams();
  }

  /**
   * Update t's samples into the step buffers (SGD: the batch's x̃, y and f0; GD: the training set,
   * written once) and its coefficients into `stepCoefficients`.
   */
  protected prepareStep(): void {
    const t = this.stepCount;
    if (this.batch) {
      if (this.batchRawX) {
        this.drawPopulationBatch(t, this.batchRawX, this.batch.x, this.batchY);
        if (this.batchF0) this.batchF0.set(this.forward(this.initialParams, this.batch));
      } else {
        this.gatherFiniteBatch(t, this.batch.x, this.batchY, this.f0Train, this.batchF0);
      }
      this.stepBuffers.x.set(this.batch.x);
    }
    const { weights, biases } = this.stepCoefficients as { weights: StepCoefficientSlot[]; biases: (StepCoefficientSlot | null)[] };
    for (let l = 0; l <= this.spec.depth; l++) {
      const c = this.plan.at(t, this.weightGroup[l]);
      weights[l].shrink = c.shrink;
      weights[l].step = c.step;
      const slot = biases[l];
      if (slot) {
        const cb = this.plan.at(t, this.biasGroup[l]);
        slot.shrink = cb.shrink;
        slot.step = cb.step;
      }
    }
  }

  /** r = κ ∂ℓ/∂f of the step's (centered) outputs f, into the step buffers (after the forward phases). */
  protected writeResiduals(): void {
    const { f, r, n } = this.stepBuffers;
    const f0 = this.batch ? this.batchF0 : this.f0Train;
    const outputs = f0 ? this.centeredInto(f, f0, this.stepOutputs) : f;
    outputResiduals(this.config.loss, this.outputs, n, outputs, this.batchY, r);
    const { kappa } = this.spec;
    if (kappa !== 1) for (let i = 0; i < r.length; i++) r[i] *= kappa;
  }

  /** w(t) in float64 (`current`) from the step's parameters, after a run of steps. */
  protected syncParams(): void {
    const { stepParams: p, current } = this;
    if (p === current) return;
    for (let l = 0; l <= this.spec.depth; l++) {
      current.weights[l].set(p.weights[l]);
      current.biases[l].set(p.biases[l]);
    }
  }

  /** Every observable of ARCHITECTURE.md §1 and the per-layer ones of §7 at the current step. */
  observe(options: { ntk?: boolean } = {}): DeepObservableRow {
    const row = this.observableRowOf(this.trainOutputs(), this.testOutputs(), options.ntk === true);
    const layers = this.layerObservables();
    // observableRowOf computed the current kernel (and its layers) when the NTK is logged.
    const now = this.ntkLayersNow;
    if (options.ntk === true && now && now.step === this.stepCount) layers.ntk_layers = [...now.values];
    return { ...row, ...layers };
  }

  /**
   * §7's per-layer observables at the current step (see `LayerObservables`): the movement of
   * every layer's parameters, the features h_l on the probe against h_l(0), and at step 0 the
   * correlation ρ_l of the first two probe inputs and the input–output Jacobian's spectrum at
   * the first training input. `ntk_layers` is NaN-filled here: observe() fills it on the rows
   * where the NTK is logged.
   */
  layerObservables(): LayerObservables {
    const { spec, layerProbe: probe } = this;
    const L = spec.depth;
    this.probeAtInit ??= forwardWith(spec, this.coefficients, this.initialParams, probe, true);
    this.atInit ??= this.observablesAtInit(this.probeAtInit);
    const now = forwardWith(spec, this.coefficients, this.current, probe, true);
    const move_layers: number[] = [];
    for (let l = 0; l <= L; l++) {
      let dist2 = 0;
      let init2 = 0;
      for (const [w, w0] of [
        [this.current.weights[l], this.initialParams.weights[l]],
        [this.current.biases[l], this.initialParams.biases[l]],
      ]) {
        for (let q = 0; q < w.length; q++) {
          const e = w[q] - w0[q];
          dist2 += e * e;
          init2 += w0[q] * w0[q];
        }
      }
      move_layers.push(init2 > 0 ? Math.sqrt(dist2 / init2) : Math.sqrt(dist2));
    }
    const feature_move: number[] = [];
    const feature_scale: number[] = [];
    for (let l = 0; l < L; l++) {
      const h = now.post[l];
      const h0 = this.probeAtInit.post[l];
      let sq = 0;
      let abs = 0;
      for (let q = 0; q < h.length; q++) {
        const e = h[q] - h0[q];
        sq += e * e;
        abs += Math.abs(h[q]);
      }
      feature_move.push(h.length > 0 ? Math.sqrt(sq / h.length) : NaN);
      feature_scale.push(h.length > 0 ? abs / h.length : NaN);
    }
    const first = this.stepCount === 0;
    return {
      jacobian_mean: first ? this.atInit.jacobian_mean : NaN,
      jacobian_spread: first ? this.atInit.jacobian_spread : NaN,
      move_layers,
      feature_move,
      feature_scale,
      corr_layers: first ? this.atInit.corr_layers : Array.from({ length: L }, () => NaN),
      ntk_layers: Array.from({ length: L + 1 }, () => NaN),
    };
  }

  private observablesAtInit(fw0: DeepForward): Pick<LayerObservables, 'corr_layers' | 'jacobian_mean' | 'jacobian_spread'> {
    const { spec } = this;
    const corr_layers: number[] = [];
    for (let l = 0; l < spec.depth; l++) {
      const m = spec.widths[l];
      if (fw0.n < 2) {
        corr_layers.push(NaN);
        continue;
      }
      const z = fw0.pre[l];
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let j = 0; j < m; j++) {
        ab += z[j] * z[m + j];
        aa += z[j] * z[j];
        bb += z[m + j] * z[m + j];
      }
      corr_layers.push(ab / Math.sqrt(aa * bb));
    }
    const d = this.data.train.d;
    const spectrum = jacobianSpectrum(inputJacobian(spec, this.initialParams, this.data.train.x.slice(0, d)));
    return { corr_layers, jacobian_mean: spectrum.mean, jacobian_spread: spectrum.spread };
  }

  /** Nothing to free. (The Engine interface's.) */
  dispose(): void {}
}

/** Where the step's arrays live: a typed array of the precision and length (blocks.ts). */
export type StepAllocator = (Real: RealArrayConstructor, length: number) => RealArray;

const ordinaryMemory: StepAllocator = (Real, length) => new Real(length);

function noBarrier(): void {}

interface StepCoefficientSlot {
  shrink: number;
  step: number;
}

registerEngine({
  model: DEEP,
  kind: 'single-thread',
  unsupported: () => null,
  create: async (config, data, options) => new DeepSimulation(config, data, options as EngineStart<DeepParams>),
});
