// Child process of the lifecycle test: runs a small sharded simulation and then either disposes
// it or forgets it. Either way the process must exit on its own (no thread keeps it alive).
import { makeDataset, resolveSimulationConfig } from '@mflab/core';
import { ShardedSimulation } from '@mflab/parallel';

const sim = await ShardedSimulation.create(resolveSimulationConfig({ model: { width: 300 } }), makeDataset({ kind: 'teacher', d: 2, n: 64, nTest: 0 }, 1), { workers: 2 });
await sim.step(5);
const row = await sim.observe();
console.log(`step ${row.step} risk_train ${row.risk_train}`);
if (process.argv[2] === 'dispose') await sim.dispose();
