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
export type { BlockUpdate, InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
export { StepPlan, updateCoefficients, type StepCoefficients, type StepPlanData } from './step-plan.js';
export { describeBackend, outputsFor, type BackendInfo, type Engine, type EngineStart, type FamilyStart, type MaybePromise, type ModelParams } from './engine.js';
export { predictOn } from './two-layer-engine.js';
export {
  getEngine,
  getKernel,
  kernelsOfModel,
  modelFamilyOf,
  registerEngine,
  registerKernel,
  resolveKernel,
  type DataShape,
  type EngineKind,
  type EngineOptions,
  type EngineRegistration,
  type KernelBackend,
  type KernelRegistration,
  type KernelShape,
} from './registry.js';
export { ReferenceKernel } from './reference-kernel.js';
export { NATIVE_BLOCK_SIZE, NATIVE_CACHE_BYTES, NATIVE_SAMPLE_CHUNK, NativeKernel, nativeStepIsFaster } from './native-kernel.js';
export { loadNativeRuntime, type NativeRuntimeStatus } from '../native/runtime.js';
export { TfjsKernel, tfjsStepIsFaster, type TfjsKernelOptions } from './tfjs-kernel.js';
export {
  OBSERVABLE_COLUMNS,
  classFitStats,
  fitStats,
  observableColumnsOf,
  observableRow,
  parameterStats,
  twoLayerParameterSummary,
  particleSnapshot,
  particleSubsample,
  type FitStats,
  type ObservableInputs,
  type ObservableRow,
  type DeepObservableRow,
  type LayerObservables,
  type ParameterStats,
  type ParameterSummary,
  type ParticleSnapshot,
} from './observables.js';
export { WasmKernel } from './wasm-kernel.js';
export { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';
export { Simulation, kernelShapeOf, prepareKernel, selectKernel, type SimulationOptions } from './simulation.js';
export { runSimulation, runSimulationAsync, type AsyncRunCallbacks, type RunCallbacks, type RunResult, type RunStatus, type SteppedModel, type SynchronousModel } from './run.js';
