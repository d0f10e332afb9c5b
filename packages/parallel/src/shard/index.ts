export { ShardedSimulation, type ShardedBackendInfo, type ShardedSimulationOptions } from './sharded-simulation.js';
export type { ShardLayout, ShardWorkerApi } from './protocol.js';
export { ShardedDeepSimulation, type ShardedDeepOptions } from './deep-shard.js';
