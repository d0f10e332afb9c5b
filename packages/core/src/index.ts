/**
 * @mflab/core — the math of mflab (ARCHITECTURE.md §1, §7): two-layer ReLU networks in mean-field,
 * NTK and lazy parameterizations, deep fully connected and residual networks, seeded
 * counter-based randomness, datasets, the reference
 * float64 GD engine, observables, and infinite-width kernels.
 *
 * @packageDocumentation
 */
export * from './types.js';
export { InvalidInputError, MflabError, type ErrorKind } from './errors.js';
export { CounterRng, Draws, RandomStream, checkSeed, philox4x32, type RandomStreamId } from './random/index.js';
export { classLossGradient, classLossValue, lossDerivative, lossValue, outputResiduals, residuals } from './loss.js';
export * from './model/index.js';
export * from './engine/index.js';
export * from './deep/index.js';
export {
  DATA_DEFAULTS,
  FILE_DATA_KINDS,
  STRIPE_INTERVAL,
  checkerboardDelta,
  evaluateTeacher,
  isClassificationKind,
  inputMemoryBudget,
  isFileKind,
  loadDataset,
  makeDataset,
  makePopulationSampler,
  makeTeacher,
  parseArrowDataset,
  parseCsvDataset,
  parseIdx,
  parseIdxDataset,
  parseParquetDataset,
  resolveDataSpec,
  standardizeSplit,
  teacherOf,
  teacherOutput,
  type DataSpec,
  type FileDataOptions,
  type IdxFileNames,
  type IdxFiles,
  type LoadOptions,
  type ResolvedDataSpec,
  type Teacher,
} from './data/index.js';
export {
  DEEP_RELU_INPUT_PRODUCTS,
  KERNEL_REGRESSION_TARGETS,
  KernelFlowPredictor,
  KernelRegressor,
  RELU_KERNEL_KINDS,
  argmaxAccuracy,
  blockedReluKernelGram,
  fitKernelRegression,
  deepReluGram,
  deepReluKernel,
  deepReluKernelLayers,
  reluKernel,
  reluKernelGram,
  reluKernelTerms,
  resolveDeepReluOptions,
  type DeepReluGram,
  type DeepReluInputProduct,
  type DeepReluKernelLayers,
  type DeepReluKernelOptions,
  type DeepReluKernelValues,
  type KernelFlowOptions,
  type KernelRegressionEvaluation,
  type KernelRegressionOptions,
  type ReluKernelKind,
  type ReluKernelOptions,
  type ReluKernelTerms,
  type ResolvedDeepReluOptions,
} from './kernels/index.js';
export {
  loadTensorBackend,
  tensorBackendInfo,
  type LoadTensorBackendOptions,
  type TensorBackendInfo,
  type TensorBackendName,
} from './tensor/index.js';
