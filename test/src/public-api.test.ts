import { describe, expect, it } from 'vitest';
import * as core from '@mflab/core';

describe('@mflab/core as published (dist, export map)', () => {
  it('resolves to the built files, not the TypeScript sources', () => {
    expect(import.meta.resolve('@mflab/core')).toMatch(/packages\/core\/dist\/index\.js$/);
  });

  it('trains a mean-field network on generated teacher data and lowers the risk', () => {
    const data = core.makeDataset(core.resolveDataSpec({ kind: 'teacher', d: 3, n: 64, nTest: 64 }), 1);
    const sim = core.Simulation.create({ seed: 2, model: { width: 256 }, train: { steps: 300, lr: 0.5 }, log: { every: 100 } }, data);
    const rows: core.ObservableRow[] = [];
    const result = core.runSimulation(sim, { onMetrics: (r) => rows.push(r) });
    expect(result.status).toBe('done');
    expect(rows.map((r) => r.step)).toEqual([0, 100, 200, 300]);
    expect(rows[3].risk_train).toBeLessThan(0.5 * rows[0].risk_train);
    // backend 'auto' takes the wasm SIMD kernels: the built package finds wasm-build/kernels.wasm.
    expect(sim.backendInfo).toEqual({ backend: 'wasm', precision: 'f64' });
  });

  it('throws InvalidInputError naming the field for bad config', () => {
    expect(() => core.resolveSimulationConfig({ model: { width: 0 } })).toThrow(core.InvalidInputError);
    expect(() => core.resolveSimulationConfig({ model: { width: 0 } })).toThrow(/^model\.width:/);
  });
});
