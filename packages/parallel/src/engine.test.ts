/**
 * The one engine rule and model families: a deep config (ARCHITECTURE.md §7) stays on core's
 * single-thread `DeepSimulation` whatever the thread count (no sharded deep engine exists yet),
 * and the sharded engine refuses it with one line naming the field; so do momentum and adam
 * runs (train.optimizer), which only the reference kernel can step.
 */
import { describe, expect, it } from 'vitest';
import { DeepSimulation, InvalidInputError, makeDataset, resolveDataSpec, resolveSimulationConfig, runSimulationAsync } from '@mflab/core';
import { chooseEngine, createEngine } from './engine.js';
import { ShardedSimulation } from './shard/sharded-simulation.js';

const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 3, n: 512, nTest: 32 }), 0);

describe('createEngine and deep networks', () => {
  const deep = resolveSimulationConfig({ model: { depth: 3, width: 1024 }, train: { steps: 2, lr: 0.05 }, log: { every: 1 } });

  it('shards a deep config of the size a two-layer one is sharded at (its sharded engine: deep-shard.ts), and not on one thread', () => {
    const twoLayer = resolveSimulationConfig({ model: { width: 1024 } });
    expect(chooseEngine(twoLayer, data, 4)).toBe('sharded');
    expect(chooseEngine(deep, data, 4)).toBe('sharded');
    expect(chooseEngine(deep, data, 1)).toBe('single-thread');
  });

  it('keeps momentum and adam runs on one thread (the reference kernel holds their state), and builds them there', async () => {
    for (const optimizer of ['momentum', 'adam'] as const) {
      const config = resolveSimulationConfig({ model: { width: 1024 }, train: { steps: 2, lr: 0.05, optimizer }, log: { every: 1 } });
      expect(chooseEngine(config, data, 4)).toBe('single-thread');
      const engine = await createEngine({ ...config, model: { ...config.model, width: 16 } }, data, { threads: 4 });
      try {
        expect(engine.backendInfo).toEqual({ backend: 'reference', precision: 'f64' });
        expect((await runSimulationAsync(engine)).status).toBe('done');
        expect(Object.keys(engine.optimizerState?.() ?? {}).length).toBe(optimizer === 'adam' ? 4 : 2);
      } finally {
        await engine.dispose();
      }
    }
  });

  it('builds DeepSimulation through the registry and runs it', async () => {
    const small = resolveSimulationConfig({ model: { depth: 2, width: 16 }, train: { steps: 3, lr: 0.05 }, log: { every: 1 } });
    const engine = await createEngine(small, data, { threads: 4 });
    try {
      expect(engine).toBeInstanceOf(DeepSimulation);
      expect(engine.family).toBe('deep');
      const result = await runSimulationAsync(engine);
      expect(result.status).toBe('done');
      expect(engine.backendInfo).toEqual({ backend: 'reference', precision: 'f64' });
    } finally {
      await engine.dispose();
    }
  });

  it('the sharded engine refuses a deep config cleanly (before any worker starts)', async () => {
    await expect(ShardedSimulation.create(deep, data, { workers: 2 })).rejects.toThrow(InvalidInputError);
    await expect(ShardedSimulation.create(deep, data, { workers: 2 })).rejects.toThrow(/^model\.depth: Simulation and the sharded engine run the two-layer network/);
  });
});
