/**
 * Analytic infinite-width kernels and the kernel gradient-flow predictor (ARCHITECTURE.md §1):
 * the two-layer ReLU NNGP/NTK of eq. (4), the deep fully connected ReLU recursion, and the
 * lazy/NTK prediction f_t(X*) = K(X*, X) K⁻¹ (I − e^{−ηKt/n}) y.
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
