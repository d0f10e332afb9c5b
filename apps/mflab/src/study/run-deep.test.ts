/**
 * One deep run (ARCHITECTURE.md §7) through `executeRun`: stopped at a log point and resumed from
 * its checkpoint (the layers of a deep network, checkpoint.arrow's `params.weights.<l>`), its
 * metrics — per-layer list columns included — are bitwise those of an uninterrupted run (and so
 * are a deep and a two-layer run with momentum and adam, whose state the checkpoint holds); the
 * estimate of a deep run counts its parameters.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRun, readCheckpoint } from '@mflab/store';
import { validateConfig } from '../config/validate.js';
import { estimateRun } from './estimate.js';
import { executeRun } from './run-one.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mflab-deep-${label}-`));
  dirs.push(dir);
  return dir;
}

/** Every metrics column as hex of its values' bits, row by row (list columns: each row's list). */
function metricBits(dir: string): Record<string, string[]> {
  const table = openRun(dir).metrics();
  const out: Record<string, string[]> = {};
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name)!;
    out[field.name] = Array.from({ length: table.numRows }, (_, i) => {
      const v = col.get(i) as number | { toArray(): Float64Array };
      const values = typeof v === 'number' ? Float64Array.of(v) : Float64Array.from(v.toArray());
      return Buffer.from(values.buffer).toString('hex');
    });
  }
  return out;
}

const CONFIG = {
  seed: 3,
  data: { kind: 'teacher', d: 3, n: 40, nTest: 10 },
  model: { depth: 3, width: [12, 12, 6], activation: 'erf', residual: true, parameterization: 'ntk', init: { kind: 'orthogonal' } },
  train: { integrator: 'sgd', batchSize: 8, epochs: 6, lr: 0.3, weightDecay: 0.01, schedule: 'cosine' },
  log: { every: 3, checkpointEvery: 6 },
};

describe('a deep run through executeRun', () => {
  it('stopped and resumed from its checkpoint, writes the metrics of an uninterrupted run bit for bit', async () => {
    const config = validateConfig(CONFIG);
    const full = tempDir('full');
    expect((await executeRun({ config, dir: full })).status).toBe('done');
    const split = tempDir('split');
    let polls = 0;
    const stopped = await executeRun({ config, dir: split, shouldStop: () => ++polls > 4 });
    expect(stopped.status).toBe('stopped');
    const checkpoint = readCheckpoint(split);
    expect(checkpoint?.params).toHaveProperty('weights');
    expect(checkpoint!.step).toBeGreaterThan(0);
    expect((await executeRun({ config, dir: split, resume: true })).status).toBe('done');
    expect(metricBits(split)).toEqual(metricBits(full));
    expect(readFileSync(join(split, 'outputs.arrow')).equals(readFileSync(join(full, 'outputs.arrow')))).toBe(true);
  });

  // train.optimizer's state (momentum's v, Adam's m and v) rides in the checkpoint: resume stays bitwise.
  const TWO_LAYER = { seed: 3, data: { kind: 'teacher', d: 3, n: 40, nTest: 10 }, model: { width: 16 }, train: { steps: 30, lr: 0.05, weightDecay: 0.01 }, log: { every: 3, checkpointEvery: 6, particles: { every: 0 } } };
  for (const optimizer of ['momentum', 'adam'] as const) {
    for (const [family, base] of [['deep', CONFIG], ['two-layer', TWO_LAYER]] as const) {
      it(`${family}, optimizer ${optimizer}: stopped and resumed from its checkpoint (with the optimizer state), writes the metrics of an uninterrupted run bit for bit`, async () => {
        const config = validateConfig({ ...base, train: { ...base.train, optimizer, lr: optimizer === 'adam' ? 0.01 : 0.05 } });
        expect(config.train).toMatchObject({ optimizer, momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8 });
        const full = tempDir(`${optimizer}-full`);
        expect((await executeRun({ config, dir: full })).status).toBe('done');
        expect(JSON.parse(readFileSync(join(full, 'run.json'), 'utf8')).config.train).toMatchObject({ optimizer, momentum: 0.9, betas: [0.9, 0.999], eps: 1e-8 });
        const split = tempDir(`${optimizer}-split`);
        let polls = 0;
        expect((await executeRun({ config, dir: split, shouldStop: () => ++polls > 4 })).status).toBe('stopped');
        const checkpoint = readCheckpoint(split)!;
        expect(checkpoint.step).toBeGreaterThan(0);
        const first = family === 'deep' ? 'optimizer.first.weights.0' : 'optimizer.first.a';
        expect(checkpoint.integrator?.[first]).toBeInstanceOf(Float64Array);
        expect('optimizer.second.b' in (checkpoint.integrator ?? {}) || 'optimizer.second.weights.0' in (checkpoint.integrator ?? {})).toBe(optimizer === 'adam');
        expect((await executeRun({ config, dir: split, resume: true })).status).toBe('done');
        expect(metricBits(split)).toEqual(metricBits(full));
        expect(readFileSync(join(split, 'outputs.arrow')).equals(readFileSync(join(full, 'outputs.arrow')))).toBe(true);
      });
    }
  }

  it('is estimated by its parameter count (a depth-4 width-1024 net weighs more than its two-layer namesake)', () => {
    const deep = estimateRun(validateConfig({ model: { depth: 4, width: 1024 }, train: { steps: 10 } }));
    const two = estimateRun(validateConfig({ model: { width: 1024 }, train: { steps: 10 } }));
    expect(deep.shape.kernel).toBe('reference');
    expect(deep.shape.m).toBeGreaterThan(100 * two.shape.m);
    expect(deep.memoryBytes).toBeGreaterThan(3 * 1024 * 1024 * 8 * 2);
  });
});
