import { InvalidInputError, widthOf } from '@mflab/core';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../config/grid.js';
import { cellsOfShard, partitionByCost, resolveShard, runCost, shardLoads } from './shards.js';

/** A small deterministic generator (not the library's): costs for the balance checks. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The best possible makespan, by trying every assignment (the independent reference). */
function optimalMakespan(costs: readonly number[], shards: number): number {
  let best = Infinity;
  const load = new Array<number>(shards).fill(0);
  const visit = (i: number): void => {
    const worst = Math.max(...load);
    if (worst >= best) return;
    if (i === costs.length) {
      best = worst;
      return;
    }
    for (let s = 0; s < shards; s++) {
      load[s] += costs[i];
      visit(i + 1);
      load[s] -= costs[i];
    }
  };
  visit(0);
  return best;
}

function makespan(costs: readonly number[], shardOf: Int32Array, shards: number): number {
  const load = new Array<number>(shards).fill(0);
  costs.forEach((c, i) => (load[shardOf[i]] += c));
  return Math.max(...load);
}

describe('partitionByCost (LPT)', () => {
  it('gives the hand-computed LPT split, ties to the lowest shard', () => {
    // 5→0, 4→1, 3→1 (4 < 5), 3→0 (5 < 7), 3→1 (7 < 8)
    expect([...partitionByCost([5, 4, 3, 3, 3], 2)]).toEqual([0, 1, 1, 0, 1]);
    // Equal costs: round robin in grid order.
    expect([...partitionByCost([1, 1, 1, 1, 1], 2)]).toEqual([0, 1, 0, 1, 0]);
    // More shards than cells: the extra shards get nothing.
    expect([...partitionByCost([2, 7], 4)]).toEqual([1, 0]);
    expect([...partitionByCost([], 3)]).toEqual([]);
  });

  it('stays within Graham\'s 4/3 − 1/(3N) bound of the optimum (brute force, 300 random instances)', () => {
    const random = lcg(7);
    let worstRatio = 1;
    for (let trial = 0; trial < 300; trial++) {
      const shards = 2 + (trial % 3);
      const cells = 3 + Math.floor(random() * 6);
      const costs = Array.from({ length: cells }, () => 1 + Math.floor(random() * 100));
      const ratio = makespan(costs, partitionByCost(costs, shards), shards) / optimalMakespan(costs, shards);
      expect(ratio).toBeLessThanOrEqual(4 / 3 - 1 / (3 * shards) + 1e-12);
      worstRatio = Math.max(worstRatio, ratio);
    }
    expect(worstRatio).toBeGreaterThan(1); // the instances do exercise imperfect splits
  });

  it('is a pure function of (costs, N): the same split on every call, every cell in exactly one shard', () => {
    const random = lcg(3);
    const costs = Array.from({ length: 50 }, () => Math.floor(random() * 1000));
    const first = partitionByCost(costs, 7);
    expect([...partitionByCost([...costs], 7)]).toEqual([...first]);
    expect(first.every((s) => s >= 0 && s < 7)).toBe(true);
  });

  it('rejects a bad count or cost naming the field', () => {
    expect(() => partitionByCost([1], 0)).toThrow(InvalidInputError);
    expect(() => partitionByCost([1], 0)).toThrow(/^shards: /);
    expect(() => partitionByCost([1, NaN], 2)).toThrow(/^costs\[1\]: /);
  });
});

describe('cellsOfShard on a grid', () => {
  const cells = expandGrid({ data: { n: 32 }, train: { steps: 10 }, grid: { 'model.width': [8, 64, 16], seed: [0, 1, 2] } });

  it('the shards are disjoint, cover the grid, and balance n·m·steps', () => {
    const shards = [0, 1, 2].map((index) => cellsOfShard(cells, { index, count: 3 }));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(cells.map((_, i) => i));
    // Widths 64, 16, 8 each thrice: LPT puts one of each width on every shard.
    for (const mine of shards) expect(mine.map((i) => widthOf(cells[i].config.model)).sort((a, b) => a - b)).toEqual([8, 16, 64]);
    const loads = shardLoads(cells, 3);
    expect(loads).toEqual([88 * 32 * 10, 88 * 32 * 10, 88 * 32 * 10]);
    expect(runCost(cells[0])).toBe(32 * 8 * 10);
  });

  it('minibatch SGD by epochs costs B·m per step over epochs·⌊n/B⌋ steps', () => {
    const [sgd] = expandGrid({ data: { n: 105 }, train: { integrator: 'sgd', batchSize: 10, epochs: 3 }, grid: { 'model.width': [8] } });
    expect(runCost(sgd)).toBe(10 * 8 * (3 * 10));
  });

  it('without a shard (or with N = 1) a process runs every cell', () => {
    expect(cellsOfShard(cells, undefined)).toEqual(cells.map((_, i) => i));
    expect(cellsOfShard(cells, { index: 0, count: 1 })).toEqual(cells.map((_, i) => i));
  });
});

describe('resolveShard', () => {
  it('--shard I/N wins; a bare environment means no shard', () => {
    expect(resolveShard({ shardFlag: '2/5', env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' } })).toMatchObject({ index: 2, count: 5 });
    expect(resolveShard({ env: {} })).toBeUndefined();
    expect(resolveShard({ env: { MFLAB_SHARDS: '4' } })).toBeUndefined();
  });

  it('Slurm without a count: ID − MIN of COUNT (or MAX − MIN + 1)', () => {
    expect(resolveShard({ env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' } })).toMatchObject({ index: 3, count: 4 });
    expect(resolveShard({ env: { SLURM_ARRAY_TASK_ID: '12', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '13' } })).toMatchObject({ index: 2, count: 4 });
  });

  it('Slurm with --shards N or MFLAB_SHARDS: the task id is the shard (so `sbatch --array=3` reruns shard 3)', () => {
    const env = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '1' };
    expect(resolveShard({ shardsFlag: '8', env })).toMatchObject({ index: 3, count: 8 });
    expect(resolveShard({ env: { ...env, MFLAB_SHARDS: '8' } })).toMatchObject({ index: 3, count: 8 });
  });

  it('Kubernetes: JOB_COMPLETION_INDEX with --shards or MFLAB_SHARDS', () => {
    expect(resolveShard({ shardsFlag: '6', env: { JOB_COMPLETION_INDEX: '5' } })).toMatchObject({ index: 5, count: 6 });
    expect(resolveShard({ env: { JOB_COMPLETION_INDEX: '0', MFLAB_SHARDS: '2' } })).toMatchObject({ index: 0, count: 2 });
  });

  const field = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      return (error as InvalidInputError).field;
    }
    throw new Error('expected an InvalidInputError');
  };

  it('inconsistent or missing values are errors naming the variable', () => {
    expect(field(() => resolveShard({ env: { JOB_COMPLETION_INDEX: '1' } }))).toBe('JOB_COMPLETION_INDEX');
    expect(field(() => resolveShard({ env: { JOB_COMPLETION_INDEX: '4', MFLAB_SHARDS: '4' } }))).toBe('JOB_COMPLETION_INDEX');
    expect(field(() => resolveShard({ shardsFlag: '4', env: { SLURM_ARRAY_TASK_ID: '4' } }))).toBe('SLURM_ARRAY_TASK_ID');
    expect(field(() => resolveShard({ env: { SLURM_ARRAY_TASK_ID: 'x' } }))).toBe('SLURM_ARRAY_TASK_ID');
    expect(field(() => resolveShard({ env: { SLURM_ARRAY_TASK_ID: '1' } }))).toBe('SLURM_ARRAY_TASK_COUNT');
    expect(field(() => resolveShard({ env: { SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' } }))).toBe('SLURM_ARRAY_TASK_ID');
    expect(field(() => resolveShard({ env: { MFLAB_SHARDS: 'many', JOB_COMPLETION_INDEX: '0' } }))).toBe('MFLAB_SHARDS');
    expect(field(() => resolveShard({ shardsFlag: '3', env: { MFLAB_SHARDS: '4', JOB_COMPLETION_INDEX: '0' } }))).toBe('--shards');
    expect(field(() => resolveShard({ shardsFlag: '3', env: {} }))).toBe('--shards');
    expect(field(() => resolveShard({ shardFlag: '3/3', env: {} }))).toBe('--shard');
    expect(field(() => resolveShard({ shardFlag: '1/3', shardsFlag: '4', env: {} }))).toBe('--shards');
  });
});
