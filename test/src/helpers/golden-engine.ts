/**
 * How the golden-trajectory test builds and runs an engine — the one part of that test that
 * follows the engine API; the cases and the recorded hashes do not change with it.
 */
import { ReferenceKernel, Simulation, WasmKernel, kernelShapeOf, prepareKernel, resolveSimulationConfig, runSimulationAsync, type DataSplit, type ObservableRow, type SimulationConfigInput } from '@mflab/core';
import { ShardedSimulation } from '@mflab/parallel';

export type GoldenEngine =
  | { kind: 'reference' }
  | { kind: 'wasm'; precision: 'f32' | 'f64' }
  | { kind: 'tfjs' }
  | { kind: 'sharded'; precision: 'f32' | 'f64'; workers: number };

export interface GoldenOutcome {
  rows: ObservableRow[];
  a: Float64Array;
  b: Float64Array;
  testOutputs: Float64Array;
  /** Which backend ran (tfjs: which TensorFlow.js backend). */
  backend: string;
}

/** Runs `config` on `data` to its end with the given engine, logging on the config's schedule. */
export async function runGolden(config: Record<string, unknown>, data: DataSplit, engine: GoldenEngine): Promise<GoldenOutcome> {
  const resolved = resolveSimulationConfig(config as SimulationConfigInput);
  const rows: ObservableRow[] = [];
  if (engine.kind === 'sharded') {
    const sim = await ShardedSimulation.create(resolved, data, { workers: engine.workers, blockSize: 64 });
    try {
      await runSimulationAsync(sim, { onMetrics: (row) => void rows.push({ ...row }) });
      return { rows, a: sim.params.a.slice(), b: sim.params.b.slice(), testOutputs: (await sim.testOutputs()).slice(), backend: `sharded-wasm` };
    } finally {
      await sim.dispose();
    }
  }
  const kernel =
    engine.kind === 'reference'
      ? new ReferenceKernel()
      : engine.kind === 'wasm'
        ? new WasmKernel(engine.precision, { blockSize: 64 })
        : await prepareKernel({ ...resolved, train: { ...resolved.train, backend: 'tfjs', precision: 'f32' } }, kernelShapeOf(resolved, data));
  const sim = new Simulation(resolved, data, { kernel });
  await runSimulationAsync(sim, { onMetrics: (row) => void rows.push({ ...row }) });
  const info = sim.backendInfo;
  return { rows, a: sim.params.a.slice(), b: sim.params.b.slice(), testOutputs: sim.testOutputs().slice(), backend: `${info.backend}${info.tensorBackend ? `-${info.tensorBackend}` : ''}` };
}
