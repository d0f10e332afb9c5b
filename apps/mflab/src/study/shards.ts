/**
 * Splitting a sweep over several processes (Slurm job arrays, Kubernetes Indexed Jobs): which
 * grid cells shard I of N runs, and which shard this process is (`--shard I/N`, or the array
 * index the scheduler put in the environment).
 *
 * The partition depends only on the grid — the cells' estimated costs and their order — never on
 * what is on disk, so a resubmitted or requeued shard gets exactly the cells it had, and the
 * shards of one study never overlap.
 */
import { InvalidInputError, equivalentWidth } from '@mflab/core';
import type { GridCell } from '../config/grid.js';
import { nominalDataSize, nominalSteps } from '../config/validate.js';

/** Shard `index` of `count` (0-based). */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** n · m · steps (B · m · steps with SGD batches of B): the run's work in neuron–sample pairs visited (one step costs O(n·m·D), ARCHITECTURE.md (3)). */
export function runCost(cell: GridCell): number {
  const { model, train } = cell.config;
  const { n } = nominalDataSize(cell.config);
  const perStep = train.integrator === 'sgd' ? Math.min(n, train.batchSize ?? n) : n;
  // A deep network: the two-layer width with as many parameters (d nominal, k = 1).
  const D = (cell.config.data.d ?? 2) + (model.bias ? 1 : 0);
  return perStep * equivalentWidth(model, D, 1) * Math.max(1, nominalSteps(cell.config));
}

/**
 * The shard of every cell: longest-processing-time-first (LPT) — cells by decreasing cost (ties by
 * grid index), each to the shard with the least cost so far (ties to the lowest shard). LPT keeps
 * the most loaded shard within 4/3 of the best possible split; what matters more here is that the
 * result is a pure function of (costs, count), so every process computes the same partition.
 */
export function partitionByCost(costs: readonly number[], count: number): Int32Array {
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidInputError('shards', `expected an integer ≥ 1, got ${String(count)}`);
  costs.forEach((c, i) => {
    if (!Number.isFinite(c) || c < 0) throw new InvalidInputError(`costs[${i}]`, `expected a finite cost ≥ 0, got ${String(c)}`);
  });
  const order = costs.map((_, i) => i).sort((i, j) => costs[j] - costs[i] || i - j);
  const load = new Float64Array(count);
  const shardOf = new Int32Array(costs.length);
  for (const cell of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    shardOf[cell] = best;
    load[best] += costs[cell];
  }
  return shardOf;
}

/** The grid indices of the cells shard `shard` runs (in grid order). Without a shard: every cell. */
export function cellsOfShard(cells: readonly GridCell[], shard: ShardSpec | undefined): number[] {
  const all = cells.map((_, i) => i);
  if (!shard || shard.count === 1) return all;
  const shardOf = partitionByCost(cells.map(runCost), shard.count);
  return all.filter((i) => shardOf[i] === shard.index);
}

/** Each shard's total cost (n·m·steps summed), for `--emit` and `sweep status`. */
export function shardLoads(cells: readonly GridCell[], count: number): number[] {
  const costs = cells.map(runCost);
  const shardOf = partitionByCost(costs, count);
  const load = new Array<number>(count).fill(0);
  costs.forEach((c, i) => (load[shardOf[i]] += c));
  return load;
}

/** `I/N` with 0 ≤ I < N, as `--shard` takes it. */
export function parseShardSpec(field: string, value: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new InvalidInputError(field, `expected I/N with 0 ≤ I < N (e.g. 0/4), got "${value}"`);
  return { index, count };
}

/** A shard count N ≥ 1 from a flag or a variable. */
export function parseShardCount(field: string, value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidInputError(field, `expected the number of shards, an integer ≥ 1, got "${value}"`);
  return n;
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(raw)) throw new InvalidInputError(name, `expected a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** Where this process's shard came from (printed, so a job log says why it ran what it ran). */
export interface ResolvedShard extends ShardSpec {
  source: string;
}

/**
 * This process's shard. In order:
 * 1. `--shard I/N` (`shardFlag`).
 * 2. Slurm job array: `SLURM_ARRAY_TASK_ID`. With a known count N (`--shards N` or `MFLAB_SHARDS`;
 *    the scripts of `--emit slurm` pass it) the task id is the shard, checked against N — so
 *    resubmitting one index (`sbatch --array=3 …`) reruns shard 3. Without N: the shard is
 *    ID − SLURM_ARRAY_TASK_MIN and N is SLURM_ARRAY_TASK_COUNT (or MAX − MIN + 1).
 * 3. Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, with N from `--shards N` or `MFLAB_SHARDS`.
 * Otherwise no shard (the whole grid). `--shards N` alone (no index anywhere) is an error.
 */
export function resolveShard(options: { shardFlag?: string; shardsFlag?: string; env?: NodeJS.ProcessEnv }): ResolvedShard | undefined {
  const env = options.env ?? process.env;
  const flagCount = options.shardsFlag === undefined ? undefined : parseShardCount('--shards', options.shardsFlag);
  if (options.shardFlag !== undefined) {
    const spec = parseShardSpec('--shard', options.shardFlag);
    if (flagCount !== undefined && flagCount !== spec.count) throw new InvalidInputError('--shards', `says ${flagCount} shards but --shard ${options.shardFlag} says ${spec.count}; give one of them`);
    return { ...spec, source: '--shard' };
  }
  const envCount = env.MFLAB_SHARDS === undefined || env.MFLAB_SHARDS.trim() === '' ? undefined : parseShardCount('MFLAB_SHARDS', env.MFLAB_SHARDS);
  if (flagCount !== undefined && envCount !== undefined && flagCount !== envCount) {
    throw new InvalidInputError('--shards', `says ${flagCount} shards but MFLAB_SHARDS=${envCount}; make them agree or drop one`);
  }
  const count = flagCount ?? envCount;
  const countSource = flagCount !== undefined ? '--shards' : 'MFLAB_SHARDS';

  const slurmId = envInteger(env, 'SLURM_ARRAY_TASK_ID');
  if (slurmId !== undefined) {
    if (count !== undefined) {
      if (slurmId >= count) throw new InvalidInputError('SLURM_ARRAY_TASK_ID', `is ${slurmId} but ${countSource} says ${count} shards (0…${count - 1}); submit with --array=0-${count - 1}`);
      return { index: slurmId, count, source: `SLURM_ARRAY_TASK_ID=${slurmId} of ${count} (${countSource})` };
    }
    const min = envInteger(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const max = envInteger(env, 'SLURM_ARRAY_TASK_MAX');
    const slurmCount = envInteger(env, 'SLURM_ARRAY_TASK_COUNT') ?? (max !== undefined ? max - min + 1 : undefined);
    if (slurmCount === undefined) throw new InvalidInputError('SLURM_ARRAY_TASK_COUNT', 'is not set (nor SLURM_ARRAY_TASK_MAX): pass --shards N (the array size)');
    const index = slurmId - min;
    if (index < 0 || index >= slurmCount || slurmCount < 1) {
      throw new InvalidInputError('SLURM_ARRAY_TASK_ID', `is ${slurmId}, outside the array ${min}…${min + slurmCount - 1} (SLURM_ARRAY_TASK_MIN/COUNT); use a contiguous --array=0-(N-1), or pass --shards N`);
    }
    return { index, count: slurmCount, source: `SLURM_ARRAY_TASK_ID=${slurmId} (array ${min}…${min + slurmCount - 1})` };
  }

  const k8sIndex = envInteger(env, 'JOB_COMPLETION_INDEX');
  if (k8sIndex !== undefined) {
    if (count === undefined) throw new InvalidInputError('JOB_COMPLETION_INDEX', 'is set but not the number of shards: pass --shards N or set MFLAB_SHARDS (the Job\'s completions)');
    if (k8sIndex >= count) throw new InvalidInputError('JOB_COMPLETION_INDEX', `is ${k8sIndex} but ${countSource} says ${count} shards; set the Job's completions to ${count}`);
    return { index: k8sIndex, count, source: `JOB_COMPLETION_INDEX=${k8sIndex} of ${count} (${countSource})` };
  }
  if (flagCount !== undefined) {
    throw new InvalidInputError('--shards', 'needs a shard index: --shard I/N, or run inside a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)');
  }
  return undefined;
}
