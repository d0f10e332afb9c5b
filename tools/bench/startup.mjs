// Child process of the bench: the start-up of one engine in a fresh process (so that nothing it
// loads or compiles was loaded by an earlier row). Times the data generation, then the wall time
// from constructing the engine (after the data exist) to the end of its first GD step.
//   node tools/bench/startup.mjs N D M BACKEND WORKERS   (WORKERS 1: single-thread engine; > 1: ShardedSimulation)
import { resolveSimulationConfig } from '@mflab/core';
import { ShardedSimulation, createEngine } from '@mflab/parallel';
import { gemmConfig } from './gemm.mjs';
import { syntheticSplit } from './kernels.mjs';

const [n, d, m] = process.argv.slice(2, 5).map(Number);
const backend = process.argv[5] ?? 'auto';
const workers = Number(process.argv[6] ?? 1);

const t0 = performance.now();
const data = syntheticSplit(n, d);
const t1 = performance.now();
const config = resolveSimulationConfig(gemmConfig({ d, m }, backend));
const engine = workers > 1 ? await ShardedSimulation.create(config, data, { workers }) : await createEngine(config, data, { threads: 1 });
const t2 = performance.now();
await engine.step(1);
const t3 = performance.now();
const info = engine.backendInfo;
await engine.dispose();
process.stdout.write(
  JSON.stringify({
    n, d, m, backend, workers,
    impl: `mflab-${info.tensorBackend ?? info.backend}`,
    data_ms: t1 - t0,
    construct_ms: t2 - t1,
    first_step_ms: t3 - t2,
    startup_ms: t3 - t1,
  }) + '\n',
);
