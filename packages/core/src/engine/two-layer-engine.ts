/**
 * What the engines of the two-layer network of ARCHITECTURE.md §1 share beyond every family's
 * base (engine.ts): the parameterization's constants (s, κ, ρ, γ), w(0) from model/init.ts,
 * particle snapshots, the §1 tangent kernel and the reference kernel's forward pass.
 * Core's `Simulation` and @mflab/parallel's sharded engine extend it.
 */
import { initParams } from '../model/init.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { augmentInputs } from '../model/inputs.js';
import { checkParams, cloneParams, outputCount, type NetworkParams } from '../model/params.js';
import { scalingOf, type Scaling } from '../model/scaling.js';
import { twoLayerModel, type TwoLayerModelSpec } from '../model/spec.js';
import { TWO_LAYER, type DataSplit, type Dataset } from '../types.js';
import type { SimulationConfig } from './config.js';
import { EngineBase, type EngineStart } from './engine.js';
import { particleSnapshot, particleSubsample, twoLayerParameterSummary, type ParameterSummary, type ParticleSnapshot } from './observables.js';
import { ReferenceKernel } from './reference-kernel.js';
import { empiricalTangentKernel } from './tangent-kernel.js';

/**
 * f_w(x) of eq. (1) on any points (n×d, sample-major), in float64 by the reference kernel, minus
 * f_{w(0)} when the model is centered.
 *
 * @example
 * const p = allocateParams(2, 2);
 * predictOn({ n: 1, d: 1, x: Float64Array.of(1), y: Float64Array.of(0) }, { bias: true, centered: false }, { s: 0.5, kappa: 1, rho: 1, gamma: 1 }, p, p); // [0]
 */
export function predictOn(points: Dataset, model: { bias: boolean; centered: boolean }, scaling: Scaling, params: NetworkParams, initialParams: NetworkParams): Float64Array {
  const inputs = augmentInputs(points, model.bias, 'points');
  const out = twoLayerForward(params, scaling, inputs);
  if (model.centered) {
    const f0 = twoLayerForward(initialParams, scaling, inputs);
    for (let i = 0; i < out.length; i++) out[i] -= f0[i];
  }
  return out;
}

/** s Σ_j b_j σ(a_j·x̃_i) by the reference kernel (n × k), in float64. */
function twoLayerForward(params: NetworkParams, scaling: Scaling, inputs: AugmentedInputs): Float64Array {
  const size = inputs.n * outputCount(params);
  const out = new Float64Array(size);
  new ReferenceKernel().partialOutputs(params, inputs, 0, params.m, out);
  for (let i = 0; i < size; i++) out[i] *= scaling.s;
  return out;
}

/**
 * The base of the two-layer network's engines: {@link EngineBase} with §1's parameters — the
 * constants (s, κ, ρ, γ) of the parameterization, w(0) of model/init.ts, the particle subsample,
 * the tangent kernel K = γ Σ_j ∇_{w_j}f·∇_{w_j}f and l2/path/move of §1.
 */
export abstract class TwoLayerEngineBase extends EngineBase<NetworkParams> {
  readonly family = TWO_LAYER;
  declare readonly config: SimulationConfig<TwoLayerModelSpec>;
  readonly scaling: Scaling;
  readonly particleNeurons: Int32Array;

  protected constructor(config: SimulationConfig, data: DataSplit, start: EngineStart<NetworkParams>) {
    const model = twoLayerModel(config.model);
    super(config, data, start, {
      init: (D, k) => initParams(model.init, model.width, D, config.seed, k),
      check: (field, p, D, k) => checkParams(field, p, model.width, D, k),
      clone: cloneParams,
    });
    this.scaling = scalingOf(model);
    this.particleNeurons = particleSubsample(model.width, config.log.particles.count, config.seed);
  }

  /** (a_j, b_j) of the fixed neuron subsample, copied. */
  override particles(): ParticleSnapshot {
    return particleSnapshot(this.params, this.particleNeurons, this.stepCount);
  }

  /** The empirical tangent kernel of §1 on the inputs for the given parameters. */
  protected tangentKernelOf(params: NetworkParams, inputs: AugmentedInputs): Float64Array {
    return empiricalTangentKernel(params, this.scaling, inputs);
  }

  protected forward(params: NetworkParams, inputs: AugmentedInputs): Float64Array {
    return twoLayerForward(params, this.scaling, inputs);
  }

  protected parameterSummary(params: NetworkParams, initial: NetworkParams): ParameterSummary {
    return twoLayerParameterSummary(params, initial, this.config.train.weightDecay, this.scaling.rho);
  }

  protected get riskWeight(): number {
    return this.scaling.kappa;
  }
}
