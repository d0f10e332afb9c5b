export { ShardedSimulation, type ShardedBackendInfo, type ShardedSimulationOptions } from './sharded-simulation.js';
export type { ShardLayout, ShardWorkerApi, StepConstants } from './protocol.js';
