/**
 * Analytic infinite-width kernels and the kernel gradient-flow predictor (ARCHITECTURE.md §1):
 * the two-layer ReLU NNGP/NTK of eq. (4), the deep fully connected ReLU recursion, and the
 * lazy/NTK prediction f_t(X*) = K(X*, X) K⁻¹ (I − e^{−ηKt/n}) y; and the infinite-width side of
 * deep networks (ARCHITECTURE.md §7): NNGP/NTK of deep fully connected and residual networks
 * with relu, erf, tanh (Gauss–Hermite) and linear activations, the correlation map and the edge
 * of chaos.
 */
export {
  RELU_KERNEL_KINDS,
  reluKernel,
  reluKernelGram,
  reluKernelTerms,
  type ReluKernelKind,
  type ReluKernelOptions,
  type ReluKernelTerms,
} from './relu-kernels.js';
export {
  DEEP_RELU_INPUT_PRODUCTS,
  deepReluGram,
  deepReluKernel,
  deepReluKernelLayers,
  resolveDeepReluOptions,
  type DeepReluGram,
  type DeepReluInputProduct,
  type DeepReluKernelLayers,
  type DeepReluKernelOptions,
  type DeepReluKernelValues,
  type ResolvedDeepReluOptions,
} from './deep-relu.js';
export { activationDerivative, activationFunction, erf } from './activations.js';
export {
  MAX_GAUSS_HERMITE_ORDER,
  bivariateGaussianExpectation,
  gaussHermiteRule,
  gaussianExpectation,
  type GaussHermiteRule,
} from './gauss-hermite.js';
export {
  AUTO_QUADRATURE_MAX_ORDER,
  activationKernel,
  autoQuadratureOrder,
  autoUnivariateOrder,
  type ActivationKernelOptions,
  type ActivationKernelValues,
  type QuadratureOrder,
} from './activation-kernels.js';
export {
  DEFAULT_WEIGHT_VARIANCES,
  deepCorrelationLayers,
  deepKernel,
  deepKernelGram,
  deepKernelLayers,
  deepKernelLayersFromCovariance,
  resolveDeepKernelOptions,
  type DeepKernelGram,
  type DeepKernelLayers,
  type DeepKernelOptions,
  type DeepKernelValues,
  type ResolvedDeepKernelOptions,
} from './deep-kernels.js';
export {
  chi1,
  correlationMap,
  edgeOfChaos,
  varianceFixedPoint,
  varianceMap,
  type CorrelationMapOptions,
  type EdgeOfChaosPoint,
  type SignalPropagationOptions,
  type VarianceFixedPointOptions,
} from './edge-of-chaos.js';
export { DeepKernelPredictor, type DeepKernelPredictorOptions } from './deep-kernel-flow.js';
export { KernelFlowPredictor, type KernelFlowOptions } from './kernel-flow.js';
export {
  KERNEL_REGRESSION_TARGETS,
  KernelRegressor,
  argmaxAccuracy,
  fitKernelRegression,
  type ClassAccuracy,
  type KernelPredictOptions,
  type KernelRegressionEvaluation,
  type KernelRegressionFitTimings,
  type KernelRegressionOptions,
  type KernelRegressionTargets,
} from './kernel-regression.js';
export { blockedReluKernelGram } from './blocked-gram.js';
export { choleskyFactor, choleskySolve } from './cholesky.js';
