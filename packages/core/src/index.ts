/**
 * @mflab/core — the math of mflab (ARCHITECTURE.md §1): two-layer ReLU networks in mean-field,
 * NTK and lazy parameterizations, seeded counter-based randomness, datasets, the reference
 * float64 GD engine, observables, and infinite-width kernels.
 *
 * @packageDocumentation
 */
export * from './types.js';
export { InvalidInputError } from './errors.js';
export { CounterRng, Draws, RandomStream, checkSeed, philox4x32, type RandomStreamId } from './random/index.js';
export { lossDerivative, lossValue, residuals } from './loss.js';
export * from './model/index.js';
export * from './engine/index.js';
export {
  DATA_DEFAULTS,
  FILE_DATA_KINDS,
  STRIPE_INTERVAL,
  checkerboardDelta,
  evaluateTeacher,
  isClassificationKind,
  isFileKind,
  loadDataset,
  makeDataset,
  makePopulationSampler,
  makeTeacher,
  parseArrowDataset,
  parseCsvDataset,
  resolveDataSpec,
  teacherOf,
  teacherOutput,
  type DataSpec,
  type ResolvedDataSpec,
  type Teacher,
} from './data/index.js';
