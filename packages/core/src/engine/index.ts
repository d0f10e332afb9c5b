export {
  DEFAULT_LOG,
  DEFAULT_TRAIN,
  batchesPerEpoch,
  checkBatchSize,
  flowTime,
  resolveRunLength,
  resolveSimulationConfig,
  stepSizeAt,
  usesFiniteBatches,
  type LogSpec,
  type LrSchedule,
  type SimulationConfig,
  type SimulationConfigInput,
  type TrainSpec,
} from './config.js';
export { EpochBatches } from './batches.js';
export type { StepKernel, UpdateCoefficients } from './kernel.js';
export { ReferenceKernel } from './reference-kernel.js';
export { TfjsKernel, tfjsStepIsFaster, type KernelShape, type TfjsKernelOptions } from './tfjs-kernel.js';
export {
  OBSERVABLE_COLUMNS,
  classFitStats,
  fitStats,
  observableRow,
  parameterStats,
  particleSnapshot,
  particleSubsample,
  type FitStats,
  type ObservableInputs,
  type ObservableRow,
  type ParameterStats,
  type ParticleSnapshot,
} from './observables.js';
// The shared-memory build of the wasm kernels, for the partitioner (@mflab/parallel).
export {
  SHARED_MEMORY_BASE,
  SHARED_MEMORY_MAX_BYTES,
  createSharedWasmMemory,
  instantiateSharedWasmKernels,
  kernelsOf,
  type PrecisionKernels,
  type SharedWasmMemory,
  type WasmKernelExports,
} from './wasm-module.js';
export { WasmKernel, sampleStride } from './wasm-kernel.js';
export { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';
export { Simulation, kernelShapeOf, outputsFor, predictOn, prepareKernel, selectKernel, type BackendInfo, type SimulationOptions } from './simulation.js';
export { runSimulation, runSimulationAsync, type AsyncRunCallbacks, type RunCallbacks, type RunResult, type RunStatus, type SteppedModel } from './run.js';
