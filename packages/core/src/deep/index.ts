/**
 * Deep fully connected and residual networks, float64 reference model (ARCHITECTURE.md §7):
 * spec and abc-parametrization presets, init (gaussian, orthogonal, edge of chaos), forward and
 * backward, GD step, the L = 1 correspondence with §1, the input–output Jacobian, and the
 * single-thread engine of the `deep` model family (`DeepSimulation`).
 */
export {
  ABC_PRESETS,
  DEEP_ACTIVATIONS,
  DEEP_PRESETS,
  fanIn,
  fanOut,
  hasBiasVector,
  isResidualBlock,
  presetLayers,
  resolveDeepSpec,
  type AbcExponents,
  type AbcTable,
  type CustomAbc,
  type DeepActivation,
  type DeepPreset,
  type DeepSpec,
  type DeepSpecInput,
} from './spec.js';
export { adamLrFactors, deepCoefficients, weightBase, widthPower, type DeepCoefficients, type TensorCoefficients } from './scaling.js';
// φ itself (erf, activationFunction, activationDerivative) is exported from kernels/activations.ts.
export { activate } from './activations.js';
export { allocateDeepParams, checkDeepParams, cloneDeepParams, weightedSquaredNorm, type DeepParams } from './params.js';
export {
  DEEP_INIT_KINDS,
  DEEP_LAYER_STRIDE,
  initDeepParams,
  resolveDeepInit,
  unitDraws,
  type DeepInit,
  type DeepInitInput,
  type DeepInitKind,
  type EdgeOfChaosSolver,
} from './init.js';
export { jacobiSvd, orthonormalColumns, semiOrthogonal, singularValues, transpose, type Svd } from './linalg.js';
export { backward, deepForward, deepGdStep, deepGradient, deepRisk, forwardWith, type DeepForward, type DeepGradient, type DeepStepOptions } from './network.js';
export { deepParamsFromTwoLayer, deepSpecOfTwoLayer, twoLayerParamsFromDeep } from './two-layer.js';
export { inputJacobian, jacobianSpectrum, type DeepJacobian, type JacobianSpectrum } from './jacobian.js';
export { deepGradientGrams, layerTangentKernels, sumLayerKernels, type DeepGradientGrams } from './layer-kernel.js';
export { coordinateCheck, logLogSlope, type CoordinateCheckOptions, type CoordinateCheckResult } from './coord-check.js';
export { DeepSimulation, deepInitOfModel, deepParameterSummary, deepSpecOfModel, deepTangentKernel } from './engine.js';
