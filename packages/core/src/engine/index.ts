export { DEFAULT_LOG, DEFAULT_TRAIN, resolveSimulationConfig, type LogSpec, type SimulationConfig, type SimulationConfigInput, type TrainSpec } from './config.js';
export type { StepKernel, UpdateCoefficients } from './kernel.js';
export { ReferenceKernel } from './reference-kernel.js';
export { OBSERVABLE_COLUMNS, fitStats, parameterStats, particleSubsample, type FitStats, type ObservableRow, type ParameterStats, type ParticleSnapshot } from './observables.js';
export { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';
export { Simulation, selectKernel, type BackendInfo, type SimulationOptions } from './simulation.js';
export { runSimulation, type RunCallbacks, type RunResult, type RunStatus } from './run.js';
