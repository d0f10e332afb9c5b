/**
 * @mflab/parallel — the partitioner (ARCHITECTURE.md §3): neuron and data shards on long-lived
 * worker threads, bitwise identical for any worker count; and the sweep executor on a piscina pool.
 *
 * @packageDocumentation
 */
export { ShardedSimulation, type ShardedBackendInfo, type ShardedSimulationOptions } from './shard/index.js';
